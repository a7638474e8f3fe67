"""Calls changing hands between scorer replicas: state dropped when partitions go, and taken
over from the store when a call this replica does not hold turns up."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from kafka import ConsumerRebalanceListener

from streaming.events import CallEvent, CallStarted, SupervisorAction
from streaming.scoring import Scorer
from streaming.store import Store

# the scorer service's lines, under its one logger name, wherever they are written from
log = logging.getLogger("streaming.consumer")

# an assignment still empty after this long is logged as a warning: the scorer is idle
EMPTY_ASSIGNMENT_WARN_S = 60.0


def adopt_stored(scorer: Scorer, store: Store, items: list[CallEvent | SupervisorAction]) -> None:
    """Load from the store what ``items`` need and ``scorer`` does not hold.

    A call this replica has no state for (after a restart or a rebalance) is taken over
    from its persisted state, or known as ended. An action about a call that ended, which
    this replica does not remember, gets the call's final state from ``ended_states``, so
    feedback sent after the end is learned whichever replica receives it; one about a
    call the store holds with no state is known to be a real call. The actions
    already stored under the batch's action ids are noted, so that an id used again for
    another action is refused whichever replica receives it. A starting
    call's customer this replica has not seen is looked up in the calls that ended, so a
    repeat caller is one whichever replica their last call ended on.
    """
    missing = scorer.missing({item.call_id for item in items})
    if missing:
        for call_id, state in store.load_states(missing).items():
            scorer.adopt(call_id, state)
    actions = scorer.unknown_actions({item.action_id for item in items if isinstance(item, SupervisorAction)})
    if actions:
        for row in store.actions_by_id(actions).values():
            scorer.remember_action(row)
    acted_on = {item.call_id for item in items if isinstance(item, SupervisorAction)}
    unheld = scorer.unheld(acted_on)
    if unheld:
        for call_id, state in store.load_ended_states(unheld).items():
            scorer.adopt_ended(call_id, state)
    # a call in the store with no state (a history fill's, one closed as interrupted, one
    # ended long ago): its actions are stored, and teach nothing
    for call_id in scorer.unknown_calls(acted_on):
        if (call := store.get_call(call_id)) is not None:
            scorer.remember_stored_call(call_id, call.ended_at)
    starts = [item for item in items if isinstance(item, CallStarted)]
    customers = scorer.unknown_customers({s.customer_id for s in starts})
    if customers:
        before = max(s.ts.timestamp() for s in starts)
        for customer_id, ended_at in store.last_calls_ended(customers, before).items():
            scorer.remember_customer(customer_id, ended_at)


def adopt_idle(scorer: Scorer, store: Store, partition_times: dict[int, float], idle_s: float) -> int:
    """Take over the calls this replica owns but does not hold that have had no event for
    ``idle_s``, so that the idle sweep (:meth:`Scorer.evict_idle`) can close them; how many.
    A rebalance drops every call from memory (those of the partitions kept too), and so
    does a restart: a call whose end was lost gets no event to bring it back, and stayed
    live on the wallboard for good.

    ``partition_times``: the partitions of ``call-events`` assigned here, each with the
    latest event time taken from it since this scorer started. A call is owned here when
    every partition its state noted an offset on is among them (so one replica closes it),
    and idle when its last event is ``idle_s`` older than the latest event of each of them:
    a partition whose backlog is still being read, or that has had no event since the
    start, says nothing yet. A state that noted no offset (stored before 2026-11-24) is left.
    """
    if not partition_times:
        return 0
    rows = store.query("SELECT call_id, updated_at FROM calls WHERE status IN ('live', 'queued') "
                       "AND updated_at < ?", (max(partition_times.values()) - idle_s,))  # fmt: skip
    last = {r["call_id"]: float(r["updated_at"]) for r in rows}
    adopted = 0
    for call_id, text in store.load_states(scorer.missing(set(last))).items():
        try:
            noted = json.loads(text).get("offsets") if text.startswith("{") else None
        except ValueError:
            continue
        if not isinstance(noted, dict) or not noted or text.startswith('{"ended"'):
            continue
        parts = {int(p) for p in noted}
        if not parts <= partition_times.keys():
            continue
        if last[call_id] < min(partition_times[p] for p in parts) - idle_s:
            scorer.adopt(call_id, text)
            adopted += 1
    return adopted


class ForgetOnRevoke(ConsumerRebalanceListener):
    """When partitions move to another replica, drop ``scorer``'s in-memory call state (it
    is in the store) and count the revocation, so that a batch held for the store is not
    written after its partitions may have moved (see
    :meth:`~streaming.batch_writer.BatchWriter.retry_held`). An assignment that stays empty
    for ``EMPTY_ASSIGNMENT_WARN_S`` is logged as a warning."""

    def __init__(self, scorer: Scorer, group_id: str = "") -> None:
        self.scorer = scorer
        self.group_id = group_id
        self.revocations = 0  # partitions revoked so far
        self._empty: threading.Timer | None = None  # warns unless partitions come first
        self._closed = False  # the scorer stopped: its consumer's leaving is no idleness

    def on_partitions_revoked(self, revoked: Any) -> None:
        if revoked:
            self.revocations += 1
            self.scorer.release_calls()
        self._arm()

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("assigned partitions: %s", sorted((tp.topic, tp.partition) for tp in assigned))
        if assigned:
            self._disarm()
        else:
            self._arm()

    def start(self) -> None:
        """The scorer starts consuming: an assignment that never comes is as idle as an empty one."""
        self._closed = False
        self._arm()

    def close(self) -> None:
        """The scorer stops: no warning from now on (closing its consumer revokes its partitions)."""
        self._closed = True
        self._disarm()

    def _arm(self) -> None:
        """Warn once no partition has come for EMPTY_ASSIGNMENT_WARN_S (unless already counting)."""
        if self._empty is not None or self._closed:
            return
        self._empty = threading.Timer(EMPTY_ASSIGNMENT_WARN_S, log.warning, args=(
            "no partitions assigned for %.0f s: the other members of consumer group %r hold them "
            "all (more scorers than partitions, or another install on this broker using the same "
            "group id), or the broker's group coordinator assigns none (after every member of the "
            "group stopped at once, say: restart the scorers one at a time); this scorer scores "
            "nothing", EMPTY_ASSIGNMENT_WARN_S, self.group_id))  # fmt: skip
        self._empty.daemon = True
        self._empty.start()

    def _disarm(self) -> None:
        if self._empty is not None:
            self._empty.cancel()
            self._empty = None
