"""Whether scoring is happening, from the store: what ``callheat status`` prints and exits by.

Every scorer replica leaves a heartbeat of its own in the store every 10 s, busy or idle
(``meta`` key ``scorer/<host>/<pid>``: the time and its figures), and on a clean stop one
that says so. A replica whose heartbeat is older than ``stale_after_s``, or that stopped,
is not scoring; the store is being scored while any replica is. The heartbeats are
read, not the store's last write: ``callheat simulate --history-days`` writes too, with
no scorer. Replicas not heard from for a day are not listed (a scorer deletes those
gone for a week).

>>> s = Status(now=1_004.0, stale_after_s=30.0, live=3, queued=1, replicas=(
...     Replica("host-a/7", 1_000.0, {"events_per_s": 12.5, "lag": 0, "calls_in_memory": 3,
...                                   "group_id": "g"}),
...     Replica("host-b/9", 880.0, {"stopped": True, "group_id": "g"})))
>>> s.fresh
True
>>> print(s.line())
scoring: 1 replica running, last heartbeat 4 s ago (stale after 30 s); 3 live calls, 1 queued
  host-a/7: scoring, heartbeat 4 s ago; last 10 s: 12.5 events/s, lag 0, 3 calls in memory (group g)
  host-b/9: stopped cleanly 2 min ago (group g)
>>> idle = Status(1_004.0, 30.0, 0, 0, (Replica("host-c/3", 1_001.0, {"partitions": 0, "lag": 0}),))
>>> idle.fresh, idle.line().split(" (")[0]
(False, 'not scoring: 1 replica running, none assigned a partition of call-events')
>>> print(Status(1_004.0, 30.0, 0, 0, ()).line())
not scoring: no scorer heartbeat in this store; 0 live calls, 0 queued
>>> print(Status(1_004.0, 30.0, 0, 0, (Replica("host-b/9", 1_001.0, {"stopped": True}),)).line())
not scoring: the last replica stopped cleanly 3 s ago; 0 live calls, 0 queued
  host-b/9: stopped cleanly 3 s ago
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from streaming.store import Store, StoreBatch
from streaming.store import meta as meta_keys

SHOWN_S = 86_400.0  # replicas heard from in the last day are listed
FORGET_S = 7 * 86_400.0  # a scorer deletes the heartbeats of replicas gone this long


@dataclass(frozen=True, slots=True)
class Replica:
    """One scorer replica's last heartbeat: its name (host/pid), when (epoch s), its figures."""

    name: str
    at: float
    figures: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # its meta key

    @property
    def stopped(self) -> bool:
        """It said it stopped cleanly."""
        return bool(self.figures.get("stopped"))

    @property
    def failing_since(self) -> float | None:
        """When its broker began failing (epoch s), if it said so."""
        failing = self.figures.get("failing_s")
        return None if failing is None else self.at - float(failing)


@dataclass(frozen=True, slots=True)
class Status:
    now: float
    stale_after_s: float
    live: int
    queued: int
    replicas: tuple[Replica, ...]  # heard from within SHOWN_S, the latest heartbeat first

    def running(self, replica: Replica) -> bool:
        return not replica.stopped and self.now - replica.at <= self.stale_after_s

    @staticmethod
    def assigned(replica: Replica) -> bool:
        """It holds partitions of ``call-events`` (a heartbeat that does not say: taken as so)."""
        return replica.figures.get("partitions") != 0

    def scoring(self, replica: Replica) -> bool:
        """Running, with partitions to score, its broker answering."""
        return self.running(replica) and self.assigned(replica) and replica.failing_since is None

    @property
    def fresh(self) -> bool:
        """Some replica is scoring."""
        return any(self.scoring(r) for r in self.replicas)

    @property
    def heartbeat_at(self) -> float | None:
        """The latest heartbeat of any replica (a clean stop's included)."""
        return max((r.at for r in self.replicas), default=None)

    def line(self) -> str:
        """The status: one line, then one per replica listed."""
        calls = f"{self.live:,} live calls, {self.queued:,} queued"
        if not self.replicas:
            return f"not scoring: no scorer heartbeat in this store; {calls}"
        latest = self.replicas[0]
        stale = f"(stale after {self.stale_after_s:g} s)"
        n = sum(self.running(r) for r in self.replicas)
        replicas = f"{n} replica{'' if n == 1 else 's'} running"
        failing = [r.failing_since for r in self.replicas if self.running(r) and r.failing_since is not None]
        if self.fresh:
            head = f"scoring: {replicas}, last heartbeat {self._ago(latest.at)} ago {stale}"
        elif failing:
            head = (f"not scoring: {replicas}, the broker not answering for "
                    f"{self._ago(failing[0])}")  # fmt: skip
        elif n:
            head = (f"not scoring: {replicas}, none assigned a partition of call-events (the broker's "
                    "group coordinator assigns none: restart the scorers one at a time)")  # fmt: skip
        elif latest.stopped:
            head = f"not scoring: the last replica stopped cleanly {self._ago(latest.at)} ago"
        else:
            head = f"not scoring: last scorer heartbeat {self._ago(latest.at)} ago {stale}"
        return "\n".join([f"{head}; {calls}", *(f"  {self._replica_line(r)}" for r in self.replicas)])

    def _replica_line(self, r: Replica) -> str:
        group = f" (group {r.figures['group_id']})" if r.figures.get("group_id") else ""
        if r.stopped:
            return f"{r.name}: stopped cleanly {self._ago(r.at)} ago{group}"
        lag = "unknown" if r.figures.get("lag") is None else f"{r.figures['lag']:,}"
        if not self.running(r):
            state = "no heartbeat since (stale)"
        elif r.failing_since is not None:
            state = f"broker not answering for {self._ago(r.failing_since)}"
        else:
            state = "scoring" if self.assigned(r) else "running, no partition assigned"
        n = r.figures.get("partitions")
        held = f"{n:,} partitions, " if isinstance(n, int) else ""
        return (f"{r.name}: {state}, heartbeat {self._ago(r.at)} ago; last 10 s: "
                f"{r.figures.get('events_per_s', 0):g} events/s, lag {lag}, {held}"
                f"{r.figures.get('calls_in_memory', 0):,} calls in memory{group}")  # fmt: skip

    def _ago(self, at: float) -> str:
        s = max(0.0, self.now - at)
        if s < 120:
            return f"{s:,.0f} s"
        return f"{s / 60:,.0f} min" if s < 7_200 else f"{s / 3_600:,.1f} h"

    def to_dict(self) -> dict[str, Any]:
        scoring = [r for r in self.replicas if self.scoring(r)]
        return {"fresh": self.fresh, "heartbeat_at": self.heartbeat_at, "now": self.now,
                "stale_after_s": self.stale_after_s, "live_calls": self.live,
                "queued_calls": self.queued,
                # the latest running replica's figures (as before there was one per replica)
                "scorer": scoring[0].figures if scoring else None,
                "replicas": [{**r.figures, "replica": r.name, "at": r.at,
                              "scoring": self.scoring(r), "stopped": r.stopped}
                             for r in self.replicas]}  # fmt: skip


def replica_name() -> str:
    """This process's name as a scorer replica: host and process id."""
    return f"{socket.gethostname()}/{os.getpid()}"


def heartbeat_batch(replica: str, figures: dict[str, Any], forget: list[str] | None = None) -> StoreBatch:
    """The write of ``replica``'s heartbeat ``figures`` (``at`` among them), deleting the
    heartbeats under the keys ``forget`` (see :func:`long_gone`). A heartbeat of a replica
    whose broker is failing (``failing_s``) leaves the store's last update as it was, so
    the wallboard goes stale as it should."""
    return StoreBatch(meta={meta_keys.replica_key(replica): json.dumps(figures)}, meta_dropped=forget or [],
                      stamp=figures.get("failing_s") is None)  # fmt: skip


def long_gone(store: Store, now: float) -> list[str]:
    """The keys of heartbeats no replica has left for FORGET_S (restarted replicas' old names)."""
    return [r.key for r in heartbeats(store) if now - r.at > FORGET_S]


def heartbeats(store: Store) -> list[Replica]:
    """Every replica heartbeat in the store (and the shared one older scorers left), latest
    first; one that does not read as a heartbeat (another version's, say) is left out."""
    rows = store.query("SELECT key, value FROM meta WHERE key = ? OR key LIKE ?",
                       (meta_keys.HEARTBEAT, meta_keys.REPLICA_PREFIX + "%"))  # fmt: skip
    out = []
    for row in rows:
        try:
            figures = json.loads(row["value"])
        except ValueError:
            continue
        if isinstance(figures, dict) and isinstance(figures.get("at"), int | float):
            key = str(row["key"])
            legacy = key == meta_keys.HEARTBEAT
            name = "older scorer" if legacy else key.removeprefix(meta_keys.REPLICA_PREFIX)
            out.append(Replica(name, float(figures["at"]), figures, key))
    return sorted(out, key=lambda r: -r.at)


def read_status(store: Store, now: float, stale_after_s: float) -> Status:
    rows = store.query("SELECT status, COUNT(*) AS n FROM calls WHERE status IN ('live', 'queued') "
                       "GROUP BY status")  # fmt: skip
    counts = {r["status"]: int(r["n"]) for r in rows}
    shown = tuple(r for r in heartbeats(store) if now - r.at <= SHOWN_S)
    return Status(now, stale_after_s, counts.get("live", 0), counts.get("queued", 0), shown)
