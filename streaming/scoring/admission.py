"""Whether an event is applied: new, a duplicate to skip, or refused with the reason.

The rules are :mod:`~streaming.scoring.delivery`'s; here they judge one event against a
live call's state (:func:`judge_live`) or an ended call's record (:func:`judge_ended`).
A refused event's offset is noted, so that its replay is a duplicate, and the refusal
says why: the consumer sends the event to the DLQ with that reason.
"""

from __future__ import annotations

from streaming import events as ev
from streaming.scoring.delivery import (
    Ended,
    ended_to_json,
    forget_partition,
    note_offset,
    offset_only,
    replay_of,
    same_event,
    verdict,
)
from streaming.scoring.rows import Applied
from streaming.scoring.state import CallState
from streaming.store.base import StoreBatch


def judge_live(state: CallState, event: ev.CallEvent, fingerprint: int, partition: int | None,
               offset: int | None) -> tuple[Applied | None, bool]:  # fmt: skip
    """None for a new event (apply it); else a duplicate, or a refusal (the call's state
    changed: its offset noted). ``fingerprint``: the event's :func:`~streaming.scoring.delivery.digest`.
    With it, whether the event showed its partition's offsets started again (a reset: what
    the call had noted on that partition is forgotten)."""
    replay = replay_of(state, partition, offset, fingerprint)
    if replay == "unsure" and event.seq is not None and event.seq > state.last_seq:
        replay = "reset"  # a live call never applied a seq past its last: not a replay
    if replay == "unsure" and event.seq is None and event.ts.timestamp() > state.updated_at:
        replay = "reset"  # dated after every event the call applied: not a replay of one
    reset = replay == "reset"
    if event.seq is None and replay in ("new", "reset") and fingerprint in state.seq_digests.values():
        # sent again at another offset with no seq to tell it by (a producer's retry): the
        # same fields, time included, as an event the call applied lately is that event
        note_offset(state, partition, offset, fingerprint, reset=reset)  # its replay is one too
        return Applied(duplicate=True), reset
    match verdict(state, event.seq, replay):
        case "duplicate" if replay in ("replay", "unsure") or same_event(state.seq_digests, event.seq,
                                                                         fingerprint):
            return Applied(duplicate=True, offset_only=offset_only(state, event.seq, replay)), False
        case "duplicate":
            note_offset(state, partition, offset, fingerprint, reset=reset)  # its replay is refused again
            return Applied(refused=f"seq {event.seq} was already applied to a different event of "
                                   "this call (a producer that reuses a seq, or numbers some events "
                                   "and not others): not scored"), reset  # fmt: skip
        case "late":
            note_offset(state, partition, offset, fingerprint, reset=reset)  # its replay is a duplicate
            return Applied(refused=f"seq {event.seq} came after seq {state.last_seq} of the same "
                                   "call: an event out of order is not scored"), reset  # fmt: skip
    if reset:
        forget_partition(state, partition)  # record() notes the event afresh
    return None, reset


def judge_ended(ended: Ended | None, event: ev.CallEvent, batch: StoreBatch, partition: int | None,
                offset: int | None) -> tuple[Applied, bool]:  # fmt: skip
    """An event of a call that ended (``ended``: its delivery, None if not known): a
    duplicate, or refused, its offset noted in the record (stored into ``batch``); with it,
    whether the event showed its partition's offsets started again."""
    if ended is None:
        return Applied(duplicate=True), False
    replay = replay_of(ended, partition, offset)
    if verdict(ended, event.seq, replay, ended=True) == "duplicate":
        return Applied(duplicate=True, offset_only=offset_only(ended, event.seq, replay)), False
    reset = replay == "reset"
    note_offset(ended, partition, offset, reset=reset)
    batch.put_state(event.call_id, ended_to_json(ended), ended.last_seq)  # its replay is a duplicate
    how = ("closed as interrupted (no event for too long)" if ended.status == "interrupted"
           else ended.status)  # fmt: skip
    return Applied(refused=f"the call was {how} at seq {ended.last_seq}: an event after "
                           "a call's end is not scored"), reset  # fmt: skip
