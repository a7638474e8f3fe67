"""How long the store keeps calls: calls that ended more than ``retention_days`` ago are
deleted with everything about them (their words, scores, alerts, practices, callbacks and
supervisors' actions), by the scorer as it runs or by ``callheat prune``.

Transcripts are personal data, and a center's policy says how long it may keep them; the
trends and the wallboard then cover that period. The model keeps what it learned from
those calls (its checkpoint holds weights, not words), and its history on the model page
is kept. ``retention_days = 0`` (the default) keeps everything.

>>> from datetime import UTC, datetime
>>> now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC).timestamp()
>>> datetime.fromtimestamp(cutoff(now, 30), UTC).isoformat()
'2026-03-01T12:00:00+00:00'
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from streaming.errors import StoreError
from streaming.store import Store

log = logging.getLogger(__name__)

DAY_S = 86_400.0
EVERY_S = 3_600.0  # how often the scorer prunes: retention is counted in days
BUDGET_S = 1.0  # a prune stops after the chunk (500 calls) that passes this; the rest goes on later
AGAIN_S = 10.0  # how soon a prune that ran out of its budget goes on


def cutoff(now: float, days: int) -> float:
    """The end time before which a call is deleted (epoch s)."""
    return now - days * DAY_S


def described(counts: dict[str, int]) -> str:
    """One line of what a prune deleted (or would delete).

    >>> described({"calls": 2, "turns": 30, "markers": 4, "alerts": 0})
    '2 calls, 30 turns, 4 markers'
    """
    return ", ".join(f"{n:,} {table}" for table, n in counts.items() if n) or "nothing"


class Retention:
    """The scorer's pruning: :meth:`tick` from its loop deletes what has aged out, at most
    once an hour and for at most ``budget_s`` at a time. Several replicas may prune the
    same store; deleting what another replica deleted changes nothing."""

    def __init__(self, store: Store, days: int, every_s: float = EVERY_S,
                 budget_s: float = BUDGET_S) -> None:  # fmt: skip
        self.store = store
        self.days = days
        self.every_s = every_s
        self.budget_s = budget_s
        self._next = time.monotonic()  # the first tick prunes what aged out while it was down

    def tick(self) -> dict[str, int] | None:
        """Prune if due (cheap when not: the scorer calls it every turn of its loop); the rows
        deleted, or None when nothing was due (or it is off)."""
        if self.days <= 0 or time.monotonic() < self._next:
            return None
        before = cutoff(time.time(), self.days)
        try:
            counts, finished = self.store.prune(before, until=time.monotonic() + self.budget_s)
        except StoreError as exc:  # the store is down: scoring goes on, the prune later
            log.warning("retention: could not prune calls ended before %s, trying again in %.0f s: %s",
                        stamp(before), self.every_s, exc)  # fmt: skip
            self._next = time.monotonic() + self.every_s
            return None
        self._next = time.monotonic() + (self.every_s if finished else AGAIN_S)
        if any(counts.values()):
            log.info("retention (%d days): deleted %s of calls ended before %s%s", self.days,
                     described(counts), stamp(before), "" if finished else "; more to go")  # fmt: skip
        return counts


def stamp(ts: float) -> str:
    """A cutoff as the logs and ``callheat prune`` say it."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")
