"""A supervisor's wallboard preferences, kept in the URL so each screen opens on its own view.

``?sup=sup-ana&team=Team+Blue&queue=billing&tv=1&budget=3&sound=1``: who is
looking, which teams and queues, TV mode, the alert budget (absent = the
``alert_budget`` setting) and the new-hot sound. Plain functions from and to the
query parameters (every value a list, as ``st.query_params.get_all`` returns).

>>> p = from_params({"sup": [" sup-ana "], "team": ["Team Blue"], "tv": ["1"], "budget": ["3"]})
>>> (p.supervisor, p.teams, p.tv, p.budget, p.sound)
('sup-ana', ('Team Blue',), True, 3, False)
>>> to_params(p)
{'sup': 'sup-ana', 'team': ['Team Blue'], 'tv': '1', 'budget': '3'}
>>> from_params({"budget": ["lots"], "tv": ["no"]}) == BoardPrefs()
True

A call page opened from the Trends page's review list says where to go back to:
``back=trends`` and the Trends view it came from, in one parameter (``view``), so
its "Back" link returns to that view rather than to the wallboard.

>>> link = back_to_trends({"from": ["2026-03-02"], "to": ["2026-03-08"], "team": ["Blue", "Red"]})
>>> link
{'back': 'trends', 'view': 'from=2026-03-02&to=2026-03-08&team=Blue&team=Red'}
>>> trends_view({k: [v] for k, v in link.items()})
{'from': '2026-03-02', 'to': '2026-03-08', 'team': ['Blue', 'Red']}
>>> trends_view({"call_id": ["c1"]}) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

MAX_SUPERVISOR_LEN = 100
TRUE = ("1", "true", "yes", "on")
BOARD_KEYS = ("sup", "team", "queue", "tv", "budget", "sound")
TRENDS_KEYS = ("from", "to", "by", "queue", "team", "agent")  # the Trends view in its URL
MULTI = ("queue", "team", "agent")  # parameters that may repeat


@dataclass(frozen=True, slots=True)
class BoardPrefs:
    supervisor: str = ""
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    tv: bool = False
    budget: int | None = None  # None: the alert_budget setting
    sound: bool = False


def _last(params: Mapping[str, Sequence[str]], key: str) -> str:
    values = params.get(key) or []
    return values[-1].strip() if values else ""


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def clean_supervisor(value: str) -> str:
    """A supervisor id as typed: trimmed and bounded (the event contract refuses empty ids)."""
    return value.strip()[:MAX_SUPERVISOR_LEN]


def from_params(params: Mapping[str, Sequence[str]]) -> BoardPrefs:
    """Preferences from query parameters; anything unreadable falls back to the default."""
    budget_text = _last(params, "budget")
    budget = int(budget_text) if budget_text.isdigit() else None
    return BoardPrefs(
        supervisor=clean_supervisor(_last(params, "sup")),
        teams=_unique(params.get("team") or []),
        queues=_unique(params.get("queue") or []),
        tv=_last(params, "tv").lower() in TRUE,
        budget=budget,
        sound=_last(params, "sound").lower() in TRUE,
    )


def to_params(prefs: BoardPrefs) -> dict[str, str | list[str]]:
    """Query parameters for ``prefs``, leaving out what is at its default."""
    out: dict[str, str | list[str]] = {}
    if prefs.supervisor:
        out["sup"] = prefs.supervisor
    if prefs.teams:
        out["team"] = list(prefs.teams)
    if prefs.queues:
        out["queue"] = list(prefs.queues)
    if prefs.tv:
        out["tv"] = "1"
    if prefs.budget is not None:
        out["budget"] = str(prefs.budget)
    if prefs.sound:
        out["sound"] = "1"
    return out


def back_to_trends(params: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Query parameters for a link to a call page that leads back to this Trends view."""
    view = [(key, value) for key in TRENDS_KEYS for value in params.get(key) or []]
    return {"back": "trends", "view": urlencode(view)}


def trends_view(params: Mapping[str, Sequence[str]]) -> dict[str, str | list[str]] | None:
    """The Trends view a call page was opened from (its query parameters), or None when it
    was not opened from the Trends page."""
    if _last(params, "back") != "trends":
        return None
    parsed = parse_qs(_last(params, "view"))
    out: dict[str, str | list[str]] = {}
    for key in TRENDS_KEYS:
        values = parsed.get(key)
        if values:
            out[key] = values if key in MULTI else values[-1]
    return out
