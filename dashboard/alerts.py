"""Alert fatigue controls: the alert budget, new-hot cues, who is on a call, alert precision.

Plain functions over store rows (no Streamlit). A wallboard that shows twenty red
tiles gets ignored; a budget caps how many calls are shown hot at once (the
hottest win, the rest read as warming with an "over budget" note), and each
supervisor sees how many of the alerts they gave feedback on they marked hot.

>>> calls = [CallRow("a", "live", "q", "c", 0.0, level="hot", risk=0.8),
...          CallRow("b", "live", "q", "c", 0.0, level="hot", risk=0.95)]
>>> shown, over = apply_budget(calls, 1)
>>> [(c.call_id, c.level) for c in shown], sorted(over)
([('a', 'warming'), ('b', 'hot')], ['a'])
>>> new_hot(frozenset({"a"}), frozenset({"a", "b"})), new_hot(None, frozenset({"a"}))
(frozenset({'b'}), frozenset())
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from streaming.store import ActionRow, CallRow

NEW_HOT_S = 30.0
CLAIMS = ("acknowledge", "monitor", "barge_in")  # actions that say "a supervisor is on it"
CLAIM_WORDS = {"acknowledge": "", "monitor": "monitoring", "barge_in": "barged in"}


def apply_budget(calls: Sequence[CallRow], budget: int) -> tuple[list[CallRow], frozenset[str]]:
    """Keep at most ``budget`` calls hot (highest risk first; 0 = no cap).

    The others are shown as warming; their ids come back as the second value so
    their tiles can say they are over budget. The calls keep their order.
    """
    hot = sorted((c for c in calls if c.level == "hot"), key=lambda c: (-c.risk, c.call_id))
    if budget <= 0 or len(hot) <= budget:
        return list(calls), frozenset()
    over = frozenset(c.call_id for c in hot[budget:])
    return [replace(c, level="warming") if c.call_id in over else c for c in calls], over


def is_new_hot(call: CallRow, now: float, within_s: float = NEW_HOT_S) -> bool:
    """Whether the call turned hot within the last ``within_s`` of board time."""
    return (call.level == "hot" and call.hot_since is not None
            and now - within_s <= call.hot_since <= now + within_s)  # fmt: skip


def new_hot(previous: frozenset[str] | None, current: frozenset[str]) -> frozenset[str]:
    """Hot calls that were not hot at the previous refresh (none on the first one).

    ``previous``: every call that was hot then, over the alert budget or not; ``current``:
    the hot calls shown now. Under a budget two hot calls swap places as their risks move;
    the one that comes back into view was hot all along, so it is not new (and no beep).

    >>> new_hot(frozenset({"a", "b"}), frozenset({"b"}))  # b was over budget, now shown
    frozenset()
    """
    return frozenset() if previous is None else current - previous


def claims(actions: Iterable[ActionRow]) -> dict[str, tuple[str, ...]]:
    """Who is on each call, newest first: ``sup-ana``, ``sup-lee (barged in)``.

    >>> rows = [ActionRow("1", "c", "acknowledge", "sup-ana", 10.0),
    ...         ActionRow("2", "c", "barge_in", "sup-lee", 20.0),
    ...         ActionRow("3", "c", "monitor", "sup-ana", 30.0)]
    >>> claims(rows)
    {'c': ('sup-ana (monitoring)', 'sup-lee (barged in)')}
    """
    latest: dict[str, dict[str, ActionRow]] = {}
    for a in sorted(actions, key=lambda a: a.ts):
        if a.action in CLAIMS:
            per_call = latest.setdefault(a.call_id, {})
            per_call.pop(a.supervisor_id, None)  # re-insert: newest last
            per_call[a.supervisor_id] = a
    out = {}
    for call_id, by_sup in latest.items():
        names = []
        for sup, a in reversed(by_sup.items()):
            word = CLAIM_WORDS.get(a.action, "")
            names.append(f"{sup} ({word})" if word else sup)
        out[call_id] = tuple(names)
    return out


@dataclass(frozen=True, slots=True)
class Precision:
    """A supervisor's hot / not-hot feedback: of the alerts they gave feedback on, how many they
    marked hot (their own judgment of the alerts, not a grade of the supervisor)."""

    hot: int
    not_hot: int

    @property
    def labels(self) -> int:
        return self.hot + self.not_hot

    @property
    def value(self) -> float | None:
        return self.hot / self.labels if self.labels else None

    def text(self) -> str:
        """What the wallboard writes after "your alert precision:", or ``no feedback yet``.

        >>> Precision(3, 1).text()
        '75% (you marked hot 3 of the 4 alerts you gave feedback on)'
        >>> Precision(0, 1).text(), Precision(0, 0).text()
        ('0% (you marked hot 0 of the 1 alert you gave feedback on)', 'no feedback yet')
        """
        if self.value is None:
            return "no feedback yet"
        alerts = f"{self.labels} alert{'' if self.labels == 1 else 's'}"
        return f"{self.value:.0%} (you marked hot {self.hot} of the {alerts} you gave feedback on)"
