"""The floor: teams of named agents, the queues each team answers, and how good each agent is.

The floor is built from its own seed, so agent ``ag-105`` is the same person (name,
team, skill) in every run.

>>> floor = build_floor(25, seed=1)
>>> len(floor.agents), len({a.team for a in floor.agents})
(25, 3)
>>> sorted({q for a in floor.agents for q in a.queues})
['billing', 'orders', 'retention', 'tech_support']
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from streaming.simulator.phrasebook import floor_data

AGENTS_PER_TEAM = 10


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent on the floor.

    ``skill`` in [0, 1] is how well they handle a difficult customer: it tilts
    difficult calls towards de-escalation and away from curt answers and jargon.
    ``wpm`` is their calm speaking rate.
    """

    index: int
    agent_id: str
    name: str
    team: str
    queues: tuple[str, ...]
    skill: float
    wpm: float

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Floor:
    """Agents, the queues calls arrive in (with their share) and how agents name teams."""

    company: str
    agents: tuple[Agent, ...]
    queue_shares: dict[str, float]
    team_labels: dict[str, str]
    escalation_teams: tuple[str, ...]

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(self.queue_shares)


def _names(rng: random.Random, n: int, first: tuple[str, ...], last: tuple[str, ...]) -> list[str]:
    """``n`` distinct full names (first names reused only once they run out)."""
    firsts = list(first)
    rng.shuffle(firsts)
    lasts = list(last)
    rng.shuffle(lasts)
    names: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(names) < n:
        name = f"{firsts[i % len(firsts)]} {lasts[(i * 7 + i // len(lasts)) % len(lasts)]}"
        if name not in seen:
            seen.add(name)
            names.append(name)
        i += 1
    return names


def build_floor(n_agents: int, seed: int = 1) -> Floor:
    """A floor of ``n_agents`` agents in teams of about ten, from ``floor.json``."""
    data = floor_data()
    rng = random.Random(f"callheat-floor-{seed}")
    n_teams = min(n_agents, max(3, math.ceil(n_agents / AGENTS_PER_TEAM)))
    teams = []
    for t in range(n_teams):
        name, queues = data.teams[t % len(data.teams)]
        if t >= len(data.teams):
            name = f"{name} {t // len(data.teams) + 1}"
        teams.append((name, queues))
    covered = {q for _, qs in teams for q in qs}
    missing = tuple(q for q in data.queue_shares if q not in covered)
    names = _names(rng, n_agents, data.first_names, data.last_names)
    agents = []
    for i in range(n_agents):
        team, queues = teams[i % n_teams]
        agents.append(Agent(
            index=i, agent_id=f"ag-{101 + i}", name=names[i], team=team,
            queues=queues + missing, skill=round(rng.uniform(0.15, 0.95), 2),
            wpm=round(rng.uniform(138, 168), 1),
        ))
    return Floor(company=data.company, agents=tuple(agents), queue_shares=data.queue_shares,
                 team_labels=data.team_labels, escalation_teams=data.escalation_teams)
