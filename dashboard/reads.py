"""The wallboard's own reads beyond the store interface: read-only SQL through ``store.query``.

Plain functions of a :class:`Store` (no Streamlit), so tests call them on a real
SQLite file. Every query is parameterised and bounded by a time window or by the
live calls, so a store holding months of history reads as fast as a fresh one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dashboard.alerts import CLAIMS, Precision
from dashboard.queues import QueueCall
from streaming.scoring.playbook import DETECTORS, Cue, Playbook
from streaming.scoring.playbook import PACKAGED_FILE as PACKAGED_PLAYBOOK
from streaming.store import ActionRow, Store

INTERVENTIONS = ("whisper", "barge_in")


def queue_calls(store: Store, since: float) -> list[QueueCall]:
    """Calls waiting or live now, and calls that ended (answered or abandoned) since ``since``.

    A call answered since ``since`` is live now or ended after it, so this covers
    every call the queue figures of that window need. Each is in the queue it waited in
    and was answered from (``first_queue``), where a transfer has moved it since: its
    wait counts toward that queue's service level, not the one it was passed to (rows
    stored before ``first_queue`` was kept read by ``queue``). A live call a transfer left
    with no agent waits again in the queue it is in now (``now_queue``), since its last
    transfer (``transferred_at``).
    """
    rows = store.query(
        "SELECT call_id, status, COALESCE(first_queue, queue) AS queue, queued_at, started_at, "
        "wait_s, ended_at, queue AS now_queue, "
        "CASE WHEN status = 'live' AND agent_id IS NULL THEN (SELECT MAX(m.ts) FROM markers m "
        "WHERE m.call_id = calls.call_id AND m.kind = 'transfer') END AS transferred_at FROM calls "
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


# a supervisor's latest hot / not-hot verdict on a call (a second click, or a change of mind,
# replaces the first): the feedback row ``a`` that no later one of theirs on the call follows
_LATEST_VERDICT = (
    "a.action = 'feedback' AND a.label IN ('hot', 'not_hot') AND NOT EXISTS (SELECT 1 FROM actions b "
    "WHERE b.call_id = a.call_id AND b.supervisor_id = a.supervisor_id AND b.action = 'feedback' "
    "AND b.label IN ('hot', 'not_hot') AND (b.ts > a.ts OR (b.ts = a.ts AND b.action_id > a.action_id)))"
)


def feedback_counts(store: Store, *, since: float | None = None,
                    supervisor_id: str | None = None) -> list[tuple[str, str, int]]:  # fmt: skip
    """Alerts judged hot or not hot, as (supervisor_id, label, n): each supervisor's latest
    verdict on each call the scorer alerted on, given since ``since`` where given, of one
    supervisor where given: the wallboard's and the model page's one count. A mark on a call
    that never alerted judges no alert (a missed escalation marked hot, a calm call marked
    not hot), and a second click on a call is not a second alert. (Not "alerted before the
    mark": an alert is stamped with the call's event time, a mark with the wallboard's
    clock, and a time-compressed run's events run ahead of it.)"""
    conds, params = [_LATEST_VERDICT], list[float | str]()
    if since is not None:
        conds.append("a.ts >= ?")
        params.append(since)
    if supervisor_id is not None:
        conds.append("a.supervisor_id = ?")
        params.append(supervisor_id)
    conds.append("EXISTS (SELECT 1 FROM alerts al WHERE al.call_id = a.call_id)")
    rows = store.query(f"SELECT a.supervisor_id, a.label, COUNT(*) AS n FROM actions a "
                       f"WHERE {' AND '.join(conds)} GROUP BY a.supervisor_id, a.label",
                       tuple(params))  # fmt: skip
    return [(r["supervisor_id"], r["label"], int(r["n"])) for r in rows]


def feedback_outcomes(store: Store, *, since: float | None = None) -> list[tuple[str, int, int]]:
    """Per supervisor, their latest hot / not-hot verdict on each call that has ended (alerted
    or not) as ``(supervisor_id, judged, agreed)``: how many calls, and on how many it agreed
    with how the call ended (hot on an escalated call, not hot on any other). Feedback on live
    calls is not judged yet."""
    conds = [_LATEST_VERDICT, "c.disposition IS NOT NULL"]
    params: tuple[float, ...] = ()
    if since is not None:
        conds.append("a.ts >= ?")
        params = (since,)
    rows = store.query(
        "SELECT a.supervisor_id, COUNT(*) AS judged, SUM(CASE WHEN (a.label = 'hot') = "
        "(c.disposition = 'escalated') THEN 1 ELSE 0 END) AS agreed FROM actions a "
        f"JOIN calls c ON c.call_id = a.call_id WHERE {' AND '.join(conds)} GROUP BY a.supervisor_id",
        params,
    )  # fmt: skip
    return [(r["supervisor_id"], int(r["judged"]), int(r["agreed"])) for r in rows]


def feedback_precision(store: Store, supervisor_id: str) -> Precision:
    """How many alerts ``supervisor_id`` judged hot and not hot (:func:`feedback_counts`)."""
    counts = {label: n for _, label, n in feedback_counts(store, supervisor_id=supervisor_id)}
    return Precision(counts.get("hot", 0), counts.get("not_hot", 0))


@lru_cache(maxsize=4)
def playbook(path: Path = PACKAGED_PLAYBOOK) -> Playbook:
    """The center's playbook wording (the file ``CALLHEAT_PLAYBOOK_FILE`` names, by default
    ``streaming/scoring/data/playbook.json``), read once."""
    return Playbook.from_file(path)


def playbook_cues(store: Store, call_id: str, playbook_file: Path = PACKAGED_PLAYBOOK) -> list[Cue]:
    """The playbook cues the scorer recorded on the call (lapses and the situations the agent
    met), most urgent first (the detectors' order), in the wording of ``playbook_file``."""
    keys = {p.practice for p in store.practices(call_id) if p.kind != "good"}
    rank = {key: i for i, key in enumerate(DETECTORS)}
    wording = playbook(playbook_file)
    return [wording.cue(k) for k in sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))]
