"""Which of a call's events have been applied: a replayed event from a late or a lost one.

Kafka delivers a call's events in order (one key, one partition), but at least once: a
restarted scorer replays from its last commit, and a producer that retries may send an
event twice. Both are duplicates and are skipped. An event that arrives after the
call's later events (a producer that sends out of order), or after the call ended, is
not a duplicate: skipping it silently would lose it. The scorer cannot score the past
again, so it refuses such an event, and the consumer sends it to the DLQ with the reason.

What tells them apart, per call: the Kafka offsets applied (a replay's offset is not
new), and the sequence numbers applied, kept as the first and last ``seq`` and the
ranges in between that never came (:data:`MAX_GAPS` of them; a call whose producer
skips numbers more often than that has its oldest gaps forgotten, and their late events
count as duplicates, as they all did before this was kept).

>>> d = Ended("ended")
>>> [record(d, s, 0, o) for s, o in ((1, 10), (2, 11), (5, 12))]
[1, 2, 5]
>>> d.seq_gaps
[[3, 4]]
>>> verdict(d, 2, 0, 13), verdict(d, 4, 0, 13), verdict(d, 6, 0, 13), verdict(d, 5, 0, 12)
('duplicate', 'late', 'new', 'duplicate')
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


class Delivered(Protocol):
    """What is kept of a call's delivery: a live call's state, or an ended call's record."""

    first_seq: int  # -1: nothing applied yet, or not known (a state stored before it was kept)
    last_seq: int
    seq_gaps: list[list[int]]  # [first, last] ranges of seqs below last_seq never applied
    offsets: dict[str, int]  # partition -> the last offset applied


@dataclass(slots=True)
class Ended:
    """An ended call's delivery, kept so that its replayed events are told from new ones."""

    status: str  # ended, abandoned or interrupted
    first_seq: int = -1
    last_seq: int = -1
    seq_gaps: list[list[int]] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, status: str, d: Delivered) -> Ended:
        return cls(status, d.first_seq, d.last_seq, [list(g) for g in d.seq_gaps], dict(d.offsets))


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
                     {str(k): int(v) for k, v in data["offsets"].items()})  # fmt: skip
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def verdict(d: Delivered, seq: int | None, partition: int | None, offset: int | None,
            *, ended: bool = False) -> Verdict:  # fmt: skip
    """``new`` (apply it), ``duplicate`` (applied before: skip it) or ``late`` (never applied,
    but the call has moved past it: refuse it). ``ended``: ``d`` is an ended call's record,
    whose every later event is refused (and a replay of one refused is a duplicate)."""
    replayed = is_replay(d, partition, offset)
    if seq is None or seq > d.last_seq:
        # Past the call's last seq, a live call has never seen this event, even at an offset
        # it has seen: offsets start again when a topic is recreated or a broker loses its
        # log, and the call's next turns must not be skipped as replays. An event with no
        # seq, or after an ended call's end, has only its offset to tell a replay by.
        return "duplicate" if replayed and (ended or seq is None) else "new"
    if replayed:
        return "duplicate"  # a replay: this very message was applied
    if d.first_seq < 0:  # a state kept before the seqs applied were: as it was then
        return "duplicate"
    if seq < d.first_seq or any(a <= seq <= b for a, b in d.seq_gaps):
        return "late"
    return "duplicate"


def is_replay(d: Delivered, partition: int | None, offset: int | None) -> bool:
    """Whether this very message (by its Kafka offset) was handled before."""
    return partition is not None and offset is not None and offset <= d.offsets.get(str(partition), -1)


def record(d: Delivered, seq: int | None, partition: int | None, offset: int | None) -> int:
    """Note a new event as applied; the seq it is applied as (the next one if it has none)."""
    if partition is not None and offset is not None:
        d.offsets[str(partition)] = offset
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


def note_offset(d: Delivered, partition: int | None, offset: int | None) -> None:
    """Note a refused or duplicate message's offset, so that its replay is a duplicate."""
    if partition is not None and offset is not None:
        d.offsets[str(partition)] = max(offset, d.offsets.get(str(partition), -1))
