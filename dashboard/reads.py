"""The wallboard's own reads beyond the store interface: read-only SQL through ``store.query``.

Plain functions of a :class:`Store` (no Streamlit), so tests call them on a real
SQLite file. Every query is parameterised and bounded by a time window or by the
live calls, so a store holding months of history reads as fast as a fresh one.
"""

from __future__ import annotations

from functools import lru_cache

from dashboard.alerts import CLAIMS, Precision
from dashboard.queues import QueueCall
from streaming.scoring.playbook import DETECTORS, Cue, Playbook
from streaming.store import ActionRow, Store

INTERVENTIONS = ("whisper", "barge_in")


def queue_calls(store: Store, since: float) -> list[QueueCall]:
    """Calls waiting or live now, and calls that ended (answered or abandoned) since ``since``.

    A call answered since ``since`` is live now or ended after it, so this covers
    every call the queue figures of that window need.
    """
    rows = store.query(
        "SELECT call_id, status, queue, queued_at, started_at, wait_s, ended_at FROM calls "
        "WHERE status IN ('queued', 'live') OR ended_at >= ?",
        (since,),
    )
    return [QueueCall(**r) for r in rows]


def intervened_calls(store: Store, since: float) -> list[tuple[str, str | None, str]]:
    """``(call_id, team, queue)`` of the calls whispered to or barged in on since ``since``."""
    marks = ", ".join("?" * len(INTERVENTIONS))
    rows = store.query(
        "SELECT DISTINCT a.call_id, c.team, c.queue FROM actions a "
        f"LEFT JOIN calls c ON c.call_id = a.call_id WHERE a.ts >= ? AND a.action IN ({marks})",
        (since, *INTERVENTIONS),
    )
    return [(r["call_id"], r["team"], r["queue"] or "") for r in rows]


def live_claims(store: Store) -> list[ActionRow]:
    """Acknowledge, monitor and barge-in actions on the calls that are live now."""
    marks = ", ".join("?" * len(CLAIMS))
    rows = store.query(
        "SELECT a.* FROM actions a JOIN calls c ON c.call_id = a.call_id "
        f"WHERE c.status = 'live' AND a.action IN ({marks}) ORDER BY a.ts",
        CLAIMS,
    )
    return [ActionRow(**r) for r in rows]


def feedback_precision(store: Store, supervisor_id: str) -> Precision:
    """How many calls ``supervisor_id`` labelled hot and not hot."""
    rows = store.query(
        "SELECT label, COUNT(*) AS n FROM actions WHERE action = 'feedback' "
        "AND supervisor_id = ? AND label IN ('hot', 'not_hot') GROUP BY label",
        (supervisor_id,),
    )
    counts = {r["label"]: int(r["n"]) for r in rows}
    return Precision(counts.get("hot", 0), counts.get("not_hot", 0))


@lru_cache(maxsize=1)
def playbook() -> Playbook:
    """The center's playbook wording (``streaming/scoring/data/playbook.json``), read once."""
    return Playbook.default()


def playbook_cues(store: Store, call_id: str) -> list[Cue]:
    """The playbook lapses the scorer saw on the call, most urgent first (the detectors' order)."""
    keys = {p.practice for p in store.practices(call_id) if p.kind == "lapse"}
    rank = {key: i for i, key in enumerate(DETECTORS)}
    return [playbook().cue(k) for k in sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))]
