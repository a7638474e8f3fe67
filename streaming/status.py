"""Whether scoring is happening, from the store: what ``callheat status`` prints and exits by.

Every scorer replica leaves a heartbeat in the store every 10 s, busy or idle (``meta``
key ``scorer``: the time and its figures), so a heartbeat older than ``stale_after_s``
means no scorer is running against this store. The heartbeat is read, not the store's
last write: ``callheat simulate --history-days`` writes too, with no scorer. With several
replicas the heartbeat is the latest any of them left, and so are its figures: this says
whether the scorer group is running, not which replica is alive.

>>> s = Status(heartbeat_at=1_000.0, now=1_004.0, stale_after_s=30.0, live=3, queued=1,
...            heartbeat={"events_per_s": 12.5, "lag": 0, "calls_in_memory": 3, "group_id": "g"})
>>> s.fresh
True
>>> for part in s.line().split("; "):
...     print(part)
scoring: last scorer heartbeat 4 s ago (stale after 30 s)
that replica's last 10 s: 12.5 events/s, lag 0, 3 calls in memory (group g)
3 live calls, 1 queued
>>> Status(None, 1_004.0, 30.0, 0, 0, {}).line()
'not scoring: no scorer heartbeat in this store; 0 live calls, 0 queued'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from streaming.store import Store
from streaming.store import meta as meta_keys


@dataclass(frozen=True, slots=True)
class Status:
    heartbeat_at: float | None  # epoch s of the latest scorer heartbeat; None: there is none
    now: float
    stale_after_s: float
    live: int
    queued: int
    heartbeat: dict[str, Any] = field(default_factory=dict)  # that heartbeat's figures

    @property
    def fresh(self) -> bool:
        return self.heartbeat_at is not None and self.now - self.heartbeat_at <= self.stale_after_s

    def line(self) -> str:
        calls = f"{self.live:,} live calls, {self.queued:,} queued"
        if self.heartbeat_at is None:
            return f"not scoring: no scorer heartbeat in this store; {calls}"
        ago = (f"last scorer heartbeat {max(0.0, self.now - self.heartbeat_at):,.0f} s ago "
               f"(stale after {self.stale_after_s:g} s)")  # fmt: skip
        hb = self.heartbeat
        lag = "unknown" if hb.get("lag") is None else f"{hb['lag']:,}"
        figures = (f"that replica's last 10 s: {hb.get('events_per_s', 0):g} events/s, lag {lag}, "
                   f"{hb.get('calls_in_memory', 0):,} calls in memory (group {hb.get('group_id', '?')})")
        return f"{'scoring' if self.fresh else 'not scoring'}: {ago}; {figures}; {calls}"

    def to_dict(self) -> dict[str, Any]:
        return {"fresh": self.fresh, "heartbeat_at": self.heartbeat_at, "now": self.now,
                "stale_after_s": self.stale_after_s, "live_calls": self.live,
                "queued_calls": self.queued, "scorer": self.heartbeat or None}  # fmt: skip


def read_status(store: Store, now: float, stale_after_s: float) -> Status:
    rows = store.query("SELECT status, COUNT(*) AS n FROM calls WHERE status IN ('live', 'queued') "
                       "GROUP BY status")  # fmt: skip
    counts = {r["status"]: int(r["n"]) for r in rows}
    raw = store.meta(meta_keys.HEARTBEAT)
    try:
        heartbeat = json.loads(raw) if raw else {}
    except ValueError:  # not JSON (another version's, say): no heartbeat to go by
        heartbeat = {}
    if not isinstance(heartbeat, dict) or not isinstance(heartbeat.get("at"), int | float):
        heartbeat = {}
    at = float(heartbeat["at"]) if heartbeat else None
    return Status(at, now, stale_after_s, counts.get("live", 0), counts.get("queued", 0), heartbeat)
