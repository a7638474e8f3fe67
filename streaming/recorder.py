"""Record ``call-events`` to JSON lines, and replay such a file with its original timing.

The file holds one event per line, exactly the JSON object that was on the topic,
so a day's traffic (or a hand-written scenario) can be replayed, backtested and
shared.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from kafka import TopicPartition
from kafka.errors import KafkaError

from streaming import jsonl
from streaming.errors import BrokerError, ConfigError
from streaming.events import encode, format_ts
from streaming.jsonl import parse_object
from streaming.kafka_io import Sends, close_quietly, make_consumer, make_producer, require_broker
from streaming.settings import Settings

log = logging.getLogger(__name__)


def record(settings: Settings, out: IO[str], *, from_beginning: bool = False,
           stop: threading.Event | None = None, max_events: int | None = None,
           idle_timeout_s: float | None = None) -> int:  # fmt: skip
    """Append what arrives on call-events to ``out``, one JSON object per line.

    Reads every partition directly (no consumer group, so recording never takes
    partitions away from the scorers). Returns how many events were written.
    """
    require_broker(settings)
    consumer = make_consumer(settings, group_id=None)
    topic = settings.topics.call_events
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        consumer.close()
        raise ConfigError(f"topic {topic!r} does not exist on {settings.bootstrap_servers}")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    if from_beginning:
        consumer.seek_to_beginning(*tps)
    else:
        consumer.seek_to_end(*tps)
    written, skipped, last_seen = 0, 0, time.monotonic()
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=200)
            for messages in polled.values():
                for m in messages:
                    try:
                        line = _line(m.value)
                    except ValueError as exc:
                        skipped += 1
                        log.warning("skipping a message that is not a JSON object at %s@%s: %s",
                                    m.partition, m.offset, exc)  # fmt: skip
                        continue
                    out.write(line)
                    written += 1
                    if max_events is not None and written >= max_events:
                        return written
            if polled:
                out.flush()
                last_seen = time.monotonic()
            elif idle_timeout_s is not None and time.monotonic() - last_seen > idle_timeout_s:
                break
    finally:
        out.flush()
        consumer.close(autocommit=False)
        if skipped:
            log.warning("skipped %d messages that were not JSON objects (%d recorded)", skipped, written)
    return written


def _line(value: bytes | None) -> str:
    """A message's JSON object as one line of the record, or ValueError if replay would refuse it."""
    obj = parse_object(value)
    try:
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        line.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate escape ("\\ud800"): not sendable text
        raise ValueError(f"a string that is not valid Unicode ({exc.reason})") from exc
    except (RecursionError, ValueError) as exc:
        raise ValueError(f"cannot be written back as JSON ({exc.__class__.__name__})") from exc
    return line + "\n"


@dataclass(frozen=True, slots=True)
class ReplayLine:
    number: int
    obj: dict[str, Any]
    ts: datetime | None


def read_lines(path: Path) -> Iterator[ReplayLine]:
    """The file's events; a line that is not a JSON object is an error naming its number."""
    for number, line in jsonl.lines(path):
        try:
            obj = parse_object(line)
        except ValueError as exc:
            if exc.__cause__ is not None:  # not JSON at all, not just JSON of another kind
                raise ConfigError(f"{path}:{number}: not a JSON line ({exc})") from exc
            raise ConfigError(f"{path}:{number}: expected a JSON object per line ({exc})") from exc
        ts = None
        if isinstance(obj.get("ts"), str):
            try:
                ts = datetime.fromisoformat(obj["ts"])
                ts = ts if ts.tzinfo else None
            except ValueError:
                ts = None
        yield ReplayLine(number, obj, ts)


def replay(settings: Settings, path: Path, *, speed: float = 1.0, keep_ts: bool = False,
           stop: threading.Event | None = None) -> int:  # fmt: skip
    """Publish ``path`` to call-events with its original gaps divided by ``speed``.

    Unless ``keep_ts``, event times are shifted (and compressed by ``speed``) so the
    first event is "now" and the wallboard shows the calls as live. Lines are sent
    as they are otherwise: an invalid event reaches the scorer, which sends it to
    the DLQ. A line that is not a JSON object, that cannot be sent as UTF-8, or whose
    time cannot be waited for or shifted, stops the replay before anything is sent.
    Returns how many events were published, every one acknowledged by the broker; the
    first send it refuses stops the replay with BrokerError saying how many were accepted
    (kafka-python's ``flush()`` does not raise for a refused record).
    """
    if not (speed > 0 and math.isfinite(speed)):
        raise ConfigError("--speed must be greater than 0")
    if not path.exists():
        raise ConfigError(f"no such file: {path}")
    # check the whole file first: all of it is sent, or none
    first: datetime | None = None
    checked = datetime.now(UTC)
    total = 0
    for line in read_lines(path):
        total += 1
        try:
            encode(line.obj)
        except UnicodeEncodeError as exc:  # a lone surrogate escape such as "\\ud800"
            raise ConfigError(f"{path}:{line.number}: a string in it is not valid Unicode "
                              f"({exc.reason})") from None  # fmt: skip
        if line.ts is not None:
            first = first or line.ts
            # sending starts a moment after this check: its "now" is checked a day either side
            for now0 in (checked - timedelta(days=1), checked + timedelta(days=1)):
                _timing(path, line, first, speed, None if keep_ts else now0)
    stop = stop or threading.Event()
    require_broker(settings)
    producer = make_producer(settings)
    sends = Sends(producer)
    first, wall0 = None, time.monotonic()
    now = datetime.now(UTC)
    try:
        for line in read_lines(path):
            if stop.is_set():
                break
            obj = line.obj
            if line.ts is not None:
                first = first or line.ts
                offset_s, shifted = _timing(path, line, first, speed, None if keep_ts else now)
                delay = wall0 + offset_s - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    break
                if shifted is not None:
                    obj = {**obj, "ts": shifted}
            call_id = obj.get("call_id")
            key = call_id.encode("utf-8") if isinstance(call_id, str) else None
            sends.track(producer.send(settings.topics.call_events, key=key, value=encode(obj)))
        sends.wait(timeout_s=60)
    except KafkaError as exc:
        sends.settle()
        raise BrokerError(
            f"replay stopped: the broker did not accept every event sent to {settings.topics.call_events} "
            f"on {settings.bootstrap_servers} ({sends.refused or exc}); {sends.accepted} of the {total} "
            f"events of {path} were published before it stopped ({sends.sent} sent)"
        ) from exc  # fmt: skip
    finally:
        close_quietly(producer, timeout_s=10)
    return sends.sent


def _timing(path: Path, line: ReplayLine, first: datetime, speed: float,
            now0: datetime | None) -> tuple[float, str | None]:  # fmt: skip
    """When to send ``line`` (seconds after the first event) and, given the "now" the first
    event is shifted to, its shifted ts; a ConfigError if either is out of range."""
    assert line.ts is not None
    offset_s = (line.ts - first).total_seconds() / speed
    if not offset_s <= threading.TIMEOUT_MAX:
        raise ConfigError(f"{path}:{line.number}: at --speed {speed:g} this event would be sent "
                          f"{offset_s:.3g} s after the first, longer than replay can wait")  # fmt: skip
    if now0 is None:
        return offset_s, None
    try:
        return offset_s, format_ts(now0 + timedelta(seconds=offset_s))
    except (OverflowError, ValueError):
        raise ConfigError(f"{path}:{line.number}: its ts {line.obj['ts']!r}, shifted to now at --speed "
                          f"{speed:g}, is out of the years 1-9999 (--keep-ts sends it as it is)") from None
