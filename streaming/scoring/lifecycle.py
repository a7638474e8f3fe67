"""A call's lifecycle events (queued, started, hold, transfer) applied to its state.

Each moves the call's status, queue, agent or hold time, and leaves a marker on the
call's timeline. Turns are read in :mod:`~streaming.scoring.turns`, a call's end in
:mod:`~streaming.scoring.ending`.
"""

from __future__ import annotations

from collections.abc import Mapping

from streaming import events as ev
from streaming.scoring.state import CallState
from streaming.store.base import MarkerRow, StoreBatch

REPEAT_WINDOW_S = 7 * 86_400  # a customer calling again within this is a repeat caller


def contradiction(state: CallState, event: ev.CallEvent) -> str | None:
    """Why ``event`` contradicts what the call's events said so far (it is refused, and goes
    to the DLQ with this reason), or None.

    ``call_abandoned`` is the customer hanging up while queued: on a call an agent has, it
    would count an answered call as abandoned and learn no outcome, so it is refused (a call
    transferred to a queue with no agent named waits there again, and may be abandoned).
    ``call_queued`` is a call arriving in a queue: after the call was answered it would set
    it back to queued with another queue and customer while its agent stays, so it is
    refused, after a transfer too (the ``transfer`` itself says where the call waits; the
    simulator sends ``call_queued`` only as a call's first event).
    """
    waiting = state.agent_id is None and state.transfers > 0  # transferred, no agent has it yet
    if isinstance(event, ev.CallAbandoned) and state.status == "live" and not waiting:
        who = f"agent {state.agent_id} has it" if state.agent_id else "its turns were scored"
        return (f"call_abandoned for an answered call ({who}): send call_ended when a customer "
                "hangs up on an agent: not scored")  # fmt: skip
    if isinstance(event, ev.CallQueued) and state.started_at is not None:
        return ("call_queued for a call already answered: a transfer moves an answered call to "
                "another queue (call_queued is a call's arrival): not scored")  # fmt: skip
    return None


def apply_lifecycle(state: CallState, event: ev.CallEvent, seq: int, ts: float, batch: StoreBatch, *,
                    agent_directory: dict[str, tuple[str | None, str | None]],
                    customers: Mapping[str, float]) -> str | None:  # fmt: skip
    """Apply a lifecycle event; for a transfer, the agent who handed the call off (a lapse
    the transfer brings is theirs, not the next agent's), else None.

    ``agent_directory`` (agent id -> name, team) learns each started call's agent and names
    a transfer's; ``customers`` (customer id -> when their last call ended) tells a
    repeat caller. Other events change nothing.
    """
    if isinstance(event, ev.CallQueued):
        state.queue, state.customer_id, state.status = event.queue, event.customer_id, "queued"
        state.queued_at = ts
        if state.first_queue is None:
            state.first_queue = event.queue
        batch.markers.append(MarkerRow(state.call_id, seq, ts, "queued", event.queue))
    elif isinstance(event, ev.CallStarted):
        _started(state, event, ts, agent_directory, customers.get(event.customer_id))
        batch.markers.append(MarkerRow(state.call_id, seq, ts, "started", event.agent_name))
    elif isinstance(event, ev.HoldStarted):
        state.holds += 1
        state.on_hold_since = ts
        batch.markers.append(MarkerRow(state.call_id, seq, ts, "hold_started"))
    elif isinstance(event, ev.HoldEnded):
        if state.on_hold_since is not None:
            state.hold_s += max(0.0, ts - state.on_hold_since)
        state.on_hold_since = None
        batch.markers.append(MarkerRow(state.call_id, seq, ts, "hold_ended"))
    elif isinstance(event, ev.Transfer):
        handed_off_by = state.agent_id
        if state.agent_id is not None:  # else: an agent takes a transfer that waited
            state.handed_off_from = [state.agent_id, state.agent_name, state.team, state.queue]
        if not (state.agent_id is None and event.to_queue == state.queue and event.to_agent_id):
            state.transfers += 1  # else: the agent who took a transfer that waited in the queue
        state.queue = event.to_queue
        state.agent_last = []  # the last agent's words are no cue for the next one
        # no agent named: the call waits in the new queue and its last agent is free again
        state.agent_id = event.to_agent_id
        state.agent_name, state.team = agent_directory.get(
            event.to_agent_id or "", (event.to_agent_id, state.team))
        detail = event.to_queue + (f" / {event.to_agent_id}" if event.to_agent_id else "")
        batch.markers.append(MarkerRow(state.call_id, seq, ts, "transfer", detail))
        return handed_off_by
    return None


def _started(state: CallState, event: ev.CallStarted, ts: float,
             agent_directory: dict[str, tuple[str | None, str | None]],
             last_call: float | None) -> None:  # fmt: skip
    state.status = "live"
    state.queue, state.customer_id = event.queue, event.customer_id
    state.first_queue = event.queue  # answered from: the queue its wait_s was measured in
    state.agent_id, state.agent_name, state.team = event.agent_id, event.agent_name, event.team
    agent_directory[event.agent_id] = (event.agent_name, event.team)
    state.channel, state.language, state.consent = event.channel, event.language, event.consent
    state.started_at, state.wait_s = ts, event.wait_s
    if state.queued_at is None:
        state.queued_at = ts - event.wait_s
    state.repeat_caller = last_call is not None and 0.0 <= ts - last_call < REPEAT_WINDOW_S
