"""Which of a call's events have been applied: a replayed event from a late or a lost one.

Kafka delivers a call's events in order (one key, one partition), but at least once: a
restarted scorer replays from its last commit, and a producer that retries may send an
event twice. Both are duplicates and are skipped. An event that arrives after the
call's later events (a producer that sends out of order), or after the call ended, is
not a duplicate: skipping it silently would lose it. The scorer cannot score the past
again, so it refuses such an event, and the consumer sends it to the DLQ with the reason.

What tells them apart, per call: the Kafka offsets applied, and the sequence numbers
applied, kept as the first and last ``seq`` and the ranges in between that never came
(:data:`MAX_GAPS` of them; a call whose producer skips numbers more often than that has
its oldest gaps forgotten, and their late events count as duplicates, as they all did
before this was kept).

A replay is this very message read again: its offset is one the call noted (between the
first and the last it noted on that partition), with the same content (a live call keeps
the digests of the messages at its :data:`KEEP_DIGESTS` latest offsets). Offsets start
again from 0 when a topic is recreated or a broker restarts empty (the embedded broker
keeps topics in memory), so an offset noted is not enough: a message at an offset below
the call's first, or at one of its latest offsets with other content, is a new message
after a partition reset (:func:`replay_of` says ``reset``), and the call forgets what it
had noted on that partition. Between the call's first offset and its latest kept ones
(or on an ended call's record, which keeps no digests) the two cannot be told apart:
``unsure``, taken as a replay, and the consumer logs it.

>>> d = Ended("ended")
>>> [record(d, s, 0, o) for s, o in ((1, 10), (2, 11), (5, 12))]
[1, 2, 5]
>>> d.seq_gaps
[[3, 4]]
>>> [verdict(d, s, replay_of(d, 0, o)) for s, o in ((2, 13), (4, 13), (6, 13), (5, 12))]
['duplicate', 'late', 'new', 'duplicate']
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol

MAX_GAPS = 32
# A producer's retry of an event is a duplicate; an event of its own that reuses a seq
# already applied (a bug, or an event without seq, numbered by the scorer, followed by
# one with) is not, and must not vanish as one: the digests of a call's latest events
# tell the two apart, and the second goes to the DLQ.
KEEP_DIGESTS = 32

Verdict = Literal["new", "duplicate", "late"]
Replay = Literal["new", "replay", "reset", "unsure"]


class Delivered(Protocol):
    """What is kept of a call's delivery: a live call's state, or an ended call's record."""

    first_seq: int  # -1: nothing applied yet, or not known (a state stored before it was kept)
    last_seq: int
    seq_gaps: list[list[int]]  # [first, last] ranges of seqs below last_seq never applied
    offsets: dict[str, int]  # partition -> the last offset applied
    first_offsets: dict[str, int]  # partition -> the first offset noted (absent: not known)


@dataclass(slots=True)
class Ended:
    """An ended call's delivery, kept so that its replayed events are told from new ones."""

    status: str  # ended, abandoned or interrupted
    first_seq: int = -1
    last_seq: int = -1
    seq_gaps: list[list[int]] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)
    first_offsets: dict[str, int] = field(default_factory=dict)
    # when the call ended (None: a record stored before it was kept), for the actions that
    # need a live call (a whisper an hour after the end is refused)
    ended_at: float | None = None

    @classmethod
    def of(cls, status: str, d: Delivered, ended_at: float | None = None) -> Ended:
        return cls(status, d.first_seq, d.last_seq, [list(g) for g in d.seq_gaps], dict(d.offsets),
                   dict(d.first_offsets), ended_at)  # fmt: skip


def ended_to_json(ended: Ended) -> str:
    """An ended call's stored state: ``{"ended": status, ...}`` (what ``Scorer.adopt`` reads)."""
    data = asdict(ended)
    return json.dumps({"ended": data.pop("status"), **data}, separators=(",", ":"))


def ended_from_json(text: str) -> Ended | None:
    """The record :func:`ended_to_json` wrote; None where it cannot be read."""
    try:
        data = json.loads(text)
        return Ended(str(data["ended"]), int(data["first_seq"]), int(data["last_seq"]),
                     [[int(a), int(b)] for a, b in data["seq_gaps"]],
                     {str(k): int(v) for k, v in data["offsets"].items()},
                     {str(k): int(v) for k, v in data.get("first_offsets", {}).items()},
                     None if data.get("ended_at") is None else float(data["ended_at"]))  # fmt: skip
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def verdict(d: Delivered, seq: int | None, replay: Replay, *, ended: bool = False) -> Verdict:
    """``new`` (apply it), ``duplicate`` (applied before: skip it) or ``late`` (never applied,
    but the call has moved past it: refuse it); ``replay``: what :func:`replay_of` says of the
    message. ``ended``: ``d`` is an ended call's record, whose every later event is refused
    (and a replay of one refused is a duplicate)."""
    replayed = replay in ("replay", "unsure")
    if seq is None or seq > d.last_seq:
        # Past the call's last seq, a live call has never seen this event, even at an offset
        # it has seen (after a partition reset). An event with no seq, or after an ended
        # call's end, has only its offset to tell a replay by.
        return "duplicate" if replayed and (ended or seq is None) else "new"
    if replayed:
        return "duplicate"  # a replay: this very message was applied (or may have been)
    if d.first_seq < 0:  # a state kept before the seqs applied were: as it was then
        return "duplicate"
    if seq < d.first_seq or any(a <= seq <= b for a, b in d.seq_gaps):
        return "late"
    return "duplicate"


def offset_only(d: Delivered, seq: int | None, replay: Replay) -> bool:
    """Whether a duplicate was judged by its offset alone, which a partition reset would make
    a new event: ``unsure`` (see :func:`replay_of`), and no seq, or one never applied (past an
    ended call's end, or out of order), to tell it by."""
    if replay != "unsure":
        return False
    if seq is None or seq > d.last_seq:
        return True
    return d.first_seq >= 0 and (seq < d.first_seq or any(a <= seq <= b for a, b in d.seq_gaps))


def replay_of(d: Delivered, partition: int | None, offset: int | None,
              fingerprint: int | None = None) -> Replay:  # fmt: skip
    """Whether this very message was handled before: ``new`` (past every offset the call noted
    on its partition, or no offset given), ``replay`` (noted at this offset with this content),
    ``reset`` (at or below an offset noted, but another message: the partition's offsets
    started again) or ``unsure`` (a live call's ``fingerprint``, the event's :func:`digest`,
    is needed to tell, and its latest kept offsets do not reach back this far).

    >>> d = Ended("ended", offsets={"0": 9}, first_offsets={"0": 5})
    >>> [replay_of(d, 0, o) for o in (10, 7, 4)]
    ['new', 'unsure', 'reset']
    """
    if partition is None or offset is None:
        return "new"
    p = str(partition)
    if offset > d.offsets.get(p, -1):
        return "new"
    first = d.first_offsets.get(p)
    if first is not None and offset < first:
        return "reset"  # the call had noted nothing on this partition this early
    kept: dict[str, int] = getattr(d, "offset_digests", {})
    at = kept.get(f"{p}:{offset}")
    if at is not None:
        return "replay" if fingerprint is None or at == fingerprint else "reset"
    if fingerprint is not None and any(_offset_of(k, p) <= offset for k in kept if k.startswith(f"{p}:")):
        return "reset"  # within the offsets kept, where this call had no message
    return "unsure"


def _offset_of(key: str, partition: str) -> int:
    return int(key[len(partition) + 1 :])


def record(d: Delivered, seq: int | None, partition: int | None, offset: int | None,
           fingerprint: int | None = None, *, reset: bool = False) -> int:  # fmt: skip
    """Note a new event as applied; the seq it is applied as (the next one if it has none).
    ``reset``: its partition's offsets started again (see :func:`note_offset`)."""
    note_offset(d, partition, offset, fingerprint, reset=reset)
    seq = d.last_seq + 1 if seq is None else seq
    if d.last_seq < 0 and d.first_seq < 0:
        d.first_seq = seq
    elif seq > d.last_seq + 1 and d.first_seq >= 0:
        d.seq_gaps.append([d.last_seq + 1, seq - 1])
        del d.seq_gaps[:-MAX_GAPS]
    d.last_seq = max(d.last_seq, seq)
    return seq


def digest(event: Any) -> int:
    """A short, stable fingerprint of a parsed event: its fields but its seq (the same event
    sent once without a seq and once with one is the same event), not its bytes."""
    unnumbered = event if event.seq is None else replace(event, seq=None)
    return zlib.crc32(repr(unnumbered).encode("utf-8", "surrogatepass"))


def same_event(digests: dict[str, int], seq: int | None, event_digest: int) -> bool:
    """Whether a duplicate by ``seq`` is the event applied under that seq, as far as the
    recent :data:`KEEP_DIGESTS` tell (an older one, or one with no seq, is taken as it)."""
    kept = None if seq is None else digests.get(str(seq))
    return kept is None or kept == event_digest


def keep_digest(digests: dict[str, int], seq: int, event_digest: int) -> None:
    """Note the event applied as ``seq``; only the latest :data:`KEEP_DIGESTS` are kept."""
    digests[str(seq)] = event_digest
    while len(digests) > KEEP_DIGESTS:
        del digests[next(iter(digests))]


def note_offset(d: Delivered, partition: int | None, offset: int | None, fingerprint: int | None = None,
                *, reset: bool = False) -> None:  # fmt: skip
    """Note a message's offset (applied, or refused), so that its replay is a duplicate;
    ``fingerprint`` (its :func:`digest`) is kept with it where ``d`` keeps digests. ``reset``:
    :func:`replay_of` found the partition's offsets started again, and what was noted on it
    is forgotten first."""
    if partition is None or offset is None:
        return
    p = str(partition)
    kept: dict[str, int] | None = getattr(d, "offset_digests", None)
    if reset:
        forget_partition(d, partition)
    if p not in d.offsets:
        d.first_offsets[p] = offset
    d.offsets[p] = max(offset, d.offsets.get(p, -1))
    if kept is not None and fingerprint is not None:
        key = f"{p}:{offset}"
        kept.pop(key, None)
        kept[key] = fingerprint
        while len(kept) > KEEP_DIGESTS:
            del kept[next(iter(kept))]


def forget_partition(d: Delivered, partition: int | None) -> None:
    """Forget the offsets noted on ``partition``: its offsets started again (a reset)."""
    p = str(partition)
    d.offsets.pop(p, None)
    d.first_offsets.pop(p, None)
    kept: dict[str, int] | None = getattr(d, "offset_digests", None)
    if kept is not None:
        for key in [k for k in kept if k.startswith(f"{p}:")]:
            del kept[key]
