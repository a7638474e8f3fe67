"""The scorer's boundary: each polled message parsed once, into an event or an action, or
into a DLQ record that carries the reason and the original bytes."""

from __future__ import annotations

import base64
import math
import time
from datetime import UTC, datetime
from typing import Any

from streaming.errors import InvalidEvent
from streaming.events import CallEvent, SupervisorAction, parse_action, parse_event

# of a message sent to the DLQ, the bytes kept: its record (the text and base64) stays well
# under Kafka's 1 MB message limit, which a larger one would exceed and stall the scorer
DLQ_KEEP_BYTES = 64 * 1024


def dlq_record(reason: str, topic: str, partition: int, offset: int, key: bytes | None,
               value: bytes | None) -> dict[str, Any]:  # fmt: skip
    """What goes to the DLQ: the reason, where it came from, and the original bytes (the
    first ``DLQ_KEEP_BYTES`` of them, so that a record never outgrows a Kafka message:
    ``value_bytes`` says how long the original was)."""
    whole = value or b""
    raw = whole[:DLQ_KEEP_BYTES]
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # not UTF-8, or cut inside a character
        cut = len(raw) < len(whole) and exc.start >= len(raw) - 3
        text = raw[: exc.start].decode("utf-8") if cut else None
    return {
        "reason": reason,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "key": None if key is None else key[:DLQ_KEEP_BYTES].decode("utf-8", "replace"),
        "value": text,
        "value_b64": base64.b64encode(raw).decode("ascii"),
        "value_bytes": len(whole),
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


Parsed = tuple[CallEvent | SupervisorAction, Any, Any]  # (event or action, topic-partition, message)


def parse_polled(records: dict[Any, list[Any]], actions_topic: str, clock: float, idle_call_s: float,
                 dlq: list[dict[str, Any]],
                 partition_times: dict[tuple[str, int], float]) -> list[Parsed]:  # fmt: skip
    """(event or action, topic-partition, message) of each valid message of a polled batch;
    a DLQ record appended to ``dlq`` for each other one.

    Messages from ``actions_topic`` are supervisor actions, the others call events. A
    message keyed other than by its call id is refused. The scorer's ``clock`` follows the
    events (replays and time-compressed runs run ahead of the wall clock), but one event
    dated far ahead would age every live call past ``idle_call_s`` at once: an event more
    than that ahead of both clocks is refused. So is one more than that behind the latest
    event taken from its own partition (``partition_times``, kept by the caller: a producer
    whose clock is hours slow, among others on time): its call would be closed as idle at
    the next sweep, and the rest of it refused as coming after that end. Its own partition,
    not the scorer's clock: after downtime the backlog of one partition can be read hours
    ahead of another's, and the other's events are not late for that.

    A supervisor action dated more than ``idle_call_s`` ahead of both clocks is refused as
    an event is (one dated 2099 was taken as "now" for its call: a 30-minute call, an alert
    and a barge-in dated 2099). One dated behind is not: an action carries the wallboard's
    wall clock, which a time-compressed run (``callheat run --speed 10``) or a replay leaves
    hours behind the events, and the scorer takes it as no earlier than its call's last event.
    """
    parsed: list[Parsed] = []
    latest = max(clock, time.time()) + idle_call_s
    for tp, messages in records.items():
        is_action = tp.topic == actions_topic
        for m in messages:
            try:
                item: CallEvent | SupervisorAction = (
                    parse_action(m.value) if is_action else parse_event(m.value)
                )
                key = None if m.key is None else m.key.decode("utf-8", "replace")
                if key is not None and key != item.call_id:
                    raise InvalidEvent(f"message key {key!r} does not match call_id {item.call_id!r}")
                if item.ts.timestamp() > latest:
                    raise InvalidEvent(
                        f"ts {item.ts.isoformat()} is more than {idle_call_s:g} s ahead "
                        "of both the wall clock and the latest event (CALLHEAT_IDLE_CALL_S): "
                        "a clock error")  # fmt: skip
                part = (tp.topic, tp.partition)
                if not is_action and item.ts.timestamp() < partition_times.get(part, -math.inf) - idle_call_s:
                    raise InvalidEvent(
                        f"ts {item.ts.isoformat()} is more than {idle_call_s:g} s behind the latest "
                        f"event on its partition (CALLHEAT_IDLE_CALL_S): a clock error, or an old "
                        "recording replayed with --keep-ts")  # fmt: skip
                if not is_action:
                    partition_times[part] = max(partition_times.get(part, -math.inf), item.ts.timestamp())
            except InvalidEvent as exc:
                dlq.append(dlq_record(exc.reason, tp.topic, tp.partition, m.offset, m.key, m.value))
                continue
            parsed.append((item, tp, m))
    return parsed
