"""The simulator's words: phrase templates, issues and the floor, loaded from ``data/``.

Templates hold slots in braces (``{problem}``, ``{agent}``); :func:`fill` fills them
from a :class:`Slots` mapping, which also derives ``<slot>_cap`` (first letter upper
case) and ``<slot>_lc`` (first letter lower case) from any slot.

>>> fill("{problem_cap}, since {day}.", Slots(problem="my {thing} broke", thing="router",
...                                          day="Monday"))
'My router broke, since Monday.'
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from streaming.errors import ConfigError


class Slots(dict[str, str]):
    """Slot values for one call; ``x_cap`` and ``x_lc`` are derived from ``x``."""

    def __missing__(self, key: str) -> str:
        if key.endswith("_cap"):
            value = self[key[:-4]]
            return value[:1].upper() + value[1:]
        if key.endswith("_lc"):
            value = self[key[:-3]]
            if value.startswith(("I ", "I'")):
                return value
            return value[:1].lower() + value[1:]
        raise KeyError(key)


def fill(template: str, slots: Slots) -> str:
    """``template`` with its slots filled (slot values may hold slots themselves)."""
    text = template
    for _ in range(4):
        if "{" not in text:
            return text
        text = text.format_map(slots)
    return text


@dataclass(frozen=True, slots=True)
class Option:
    """A remedy an agent can offer: what is offered, what was done, and by when."""

    offer: str
    done: str
    timeframe: str


@dataclass(frozen=True, slots=True)
class Issue:
    """Something customers call about, with its wording variants."""

    key: str
    queue: str
    weight: float
    vars: dict[str, tuple[str, ...]]
    text: dict[str, tuple[str, ...]]
    steps: tuple[tuple[str, str], ...]
    options: tuple[Option, ...]
    specialists: str


@dataclass(frozen=True, slots=True)
class Phrasebook:
    """Conversation steps by speaker, shared vars and the voice fillers."""

    vars: dict[str, tuple[str, ...]]
    agent: dict[str, tuple[str, ...]]
    customer: dict[str, tuple[str, ...]]
    fillers: tuple[str, ...]

    def pick(self, rng: random.Random, speaker: str, step: str) -> str:
        """One variant of ``step`` for ``speaker`` (a template, not yet filled)."""
        table = self.agent if speaker == "agent" else self.customer
        try:
            return rng.choice(table[step])
        except KeyError:
            raise ConfigError(f"no {speaker} phrases for step {step!r} in phrases.json") from None


@dataclass(frozen=True, slots=True)
class FloorData:
    """Company, queues with their share of calls, teams and the names agents get."""

    company: str
    queue_shares: dict[str, float]
    team_labels: dict[str, str]
    teams: tuple[tuple[str, tuple[str, ...]], ...]
    escalation_teams: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _read(name: str) -> dict[str, Any]:
    try:
        text = resources.files("streaming.simulator").joinpath("data", name).read_text("utf-8")
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read simulator data file {name}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"simulator data file {name} must hold a JSON object")
    return data


def _variants(table: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in table.items() if isinstance(v, list)}


@cache
def phrasebook() -> Phrasebook:
    data = _read("phrases.json")
    return Phrasebook(vars=_variants(data["vars"]), agent=_variants(data["agent"]),
                      customer=_variants(data["customer"]), fillers=tuple(data["fillers"]))


@cache
def issues() -> tuple[Issue, ...]:
    out = []
    for raw in _read("issues.json")["issues"]:
        text = {k: tuple(v) for k, v in raw.items()
                if isinstance(v, list) and k not in ("steps", "options")}
        out.append(Issue(
            key=raw["key"], queue=raw["queue"], weight=float(raw["weight"]),
            vars=_variants(raw.get("vars", {})), text=text,
            steps=tuple((a, c) for a, c in raw["steps"]),
            options=tuple(Option(**o) for o in raw["options"]),
            specialists=raw["specialists"],
        ))
    return tuple(out)


@cache
def floor_data() -> FloorData:
    data = _read("floor.json")
    queues = data["queues"]
    return FloorData(
        company=data["company"],
        queue_shares={q: float(v["share"]) for q, v in queues.items()},
        team_labels={q: v["team_label"] for q, v in queues.items()},
        teams=tuple((t["name"], tuple(t["queues"])) for t in data["teams"]),
        escalation_teams=tuple(data["escalation_teams"]),
        first_names=tuple(data["first_names"]),
        last_names=tuple(data["last_names"]),
    )
