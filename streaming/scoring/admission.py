"""Whether an event is applied: new, a duplicate to skip, or refused with the reason.

The rules are :mod:`~streaming.scoring.delivery`'s; here they judge one event against a
live call's state (:func:`judge_live`) or an ended call's record (:func:`judge_ended`).
A refused event's offset is noted, so that its replay is a duplicate, and the refusal
says why: the consumer sends the event to the DLQ with that reason.
"""

from __future__ import annotations

from streaming import events as ev
from streaming.scoring.delivery import Ended, ended_to_json, is_replay, note_offset, same_event, verdict
from streaming.scoring.rows import Applied
from streaming.scoring.state import CallState
from streaming.store.base import StoreBatch


def judge_live(state: CallState, event: ev.CallEvent, fingerprint: int, partition: int | None,
               offset: int | None) -> Applied | None:  # fmt: skip
    """None for a new event (apply it); else a duplicate, or a refusal (the call's state
    changed: its offset noted). ``fingerprint``: the event's :func:`~streaming.scoring.delivery.digest`."""
    match verdict(state, event.seq, partition, offset):
        case "duplicate" if (is_replay(state, partition, offset)
                             or same_event(state.seq_digests, event.seq, fingerprint)):
            return Applied(duplicate=True)
        case "duplicate":
            note_offset(state, partition, offset)  # its replay is refused again, not applied
            return Applied(refused=f"seq {event.seq} was already applied to a different event of "
                                   "this call (a producer that reuses a seq, or numbers some events "
                                   "and not others): not scored")  # fmt: skip
        case "late":
            note_offset(state, partition, offset)  # its replay is a duplicate
            return Applied(refused=f"seq {event.seq} came after seq {state.last_seq} of the same "
                                   "call: an event out of order is not scored")  # fmt: skip
    return None


def judge_ended(ended: Ended | None, event: ev.CallEvent, batch: StoreBatch, partition: int | None,
                offset: int | None) -> Applied:  # fmt: skip
    """An event of a call that ended (``ended``: its delivery, None if not known): a
    duplicate, or refused, its offset noted in the record (stored into ``batch``)."""
    if ended is None or verdict(ended, event.seq, partition, offset, ended=True) == "duplicate":
        return Applied(duplicate=True)
    note_offset(ended, partition, offset)
    batch.states[event.call_id] = ended_to_json(ended)  # its replay is a duplicate
    how = ("closed as interrupted (no event for too long)" if ended.status == "interrupted"
           else ended.status)  # fmt: skip
    return Applied(refused=f"the call was {how} at seq {ended.last_seq}: an event after "
                           "a call's end is not scored")  # fmt: skip
