"""Whether scoring is happening, from the store: what ``callheat status`` prints and exits by.

The scorer writes to the store at least every 10 s (a heartbeat when the floor is quiet,
``meta`` keys ``last_update`` and ``scorer``), so a store last written longer ago than
``stale_after_s`` has no scorer writing to it: the same rule as the wallboard's "data is
stale" banner. With several replicas the heartbeat is the latest of any of them: this
says whether the scorer group is writing, not which replica is alive.

>>> s = Status(last_update=1_000.0, now=1_004.0, stale_after_s=30.0, live=3, queued=1,
...            heartbeat={"events_per_s": 12.5, "lag": 0, "calls_in_memory": 3, "group_id": "g"})
>>> s.fresh
True
>>> for part in s.line().split("; "):
...     print(part)
scoring: last store write 4 s ago (stale after 30 s)
12.5 events/s, lag 0, 3 calls in memory (group g)
3 live calls, 1 queued
>>> Status(None, 1_004.0, 30.0, 0, 0, {}).line()
'not scoring: no scorer has written to this store'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from streaming.store import Store
from streaming.store import meta as meta_keys


@dataclass(frozen=True, slots=True)
class Status:
    last_update: float | None  # epoch s of the store's last write; None: never written
    now: float
    stale_after_s: float
    live: int
    queued: int
    heartbeat: dict[str, Any] = field(default_factory=dict)  # the scorer's last figures

    @property
    def fresh(self) -> bool:
        return self.last_update is not None and self.now - self.last_update <= self.stale_after_s

    def line(self) -> str:
        if self.last_update is None:
            return "not scoring: no scorer has written to this store"
        ago = f"last store write {max(0.0, self.now - self.last_update):,.0f} s ago (stale after " \
              f"{self.stale_after_s:g} s)"
        head = f"scoring: {ago}" if self.fresh else f"not scoring: {ago}"
        hb = self.heartbeat
        if hb:
            lag = "unknown" if hb.get("lag") is None else f"{hb['lag']:,}"
            head += (f"; {hb.get('events_per_s', 0):g} events/s, lag {lag}, "
                     f"{hb.get('calls_in_memory', 0):,} calls in memory (group {hb.get('group_id', '?')})")
        return f"{head}; {self.live:,} live calls, {self.queued:,} queued"

    def to_dict(self) -> dict[str, Any]:
        return {"fresh": self.fresh, "last_update": self.last_update, "now": self.now,
                "stale_after_s": self.stale_after_s, "live_calls": self.live,
                "queued_calls": self.queued, "scorer": self.heartbeat or None}  # fmt: skip


def read_status(store: Store, now: float, stale_after_s: float) -> Status:
    rows = store.query("SELECT status, COUNT(*) AS n FROM calls WHERE status IN ('live', 'queued') "
                       "GROUP BY status")  # fmt: skip
    counts = {r["status"]: int(r["n"]) for r in rows}
    raw = store.meta(meta_keys.HEARTBEAT)
    try:
        heartbeat = json.loads(raw) if raw else {}
    except ValueError:  # written by another version, say: the rest still tells
        heartbeat = {}
    return Status(store.last_update(), now, stale_after_s, counts.get("live", 0), counts.get("queued", 0),
                  heartbeat if isinstance(heartbeat, dict) else {})  # fmt: skip
