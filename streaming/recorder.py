"""Record ``call-events`` to JSON lines, and replay such a file with its original timing.

The file holds one event per line, exactly the JSON object that was on the topic,
so a day's traffic (or a hand-written scenario) can be replayed, backtested and
shared.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from kafka import TopicPartition

from streaming import jsonl
from streaming.errors import ConfigError
from streaming.events import encode, format_ts
from streaming.kafka_io import make_consumer, make_producer, require_broker
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
    written, last_seen = 0, time.monotonic()
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=200)
            for messages in polled.values():
                for m in messages:
                    try:
                        obj = json.loads(m.value)
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        log.warning("skipping a message that is not JSON at %s@%s", m.partition, m.offset)
                        continue
                    out.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")
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
    return written


@dataclass(frozen=True, slots=True)
class ReplayLine:
    number: int
    obj: dict[str, Any]
    ts: datetime | None


def read_lines(path: Path) -> Iterator[ReplayLine]:
    """The file's events; a line that is not a JSON object is an error naming its number."""
    for number, line in jsonl.lines(path):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not a JSON line ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise ConfigError(f"{path}:{number}: expected a JSON object per line")
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
    the DLQ. A line that is not a JSON object stops the replay before anything is
    sent. Returns how many events were published.
    """
    if speed <= 0:
        raise ConfigError("--speed must be greater than 0")
    if not path.exists():
        raise ConfigError(f"no such file: {path}")
    for _ in read_lines(path):  # check the whole file first: all of it is sent, or none
        pass
    stop = stop or threading.Event()
    require_broker(settings)
    producer = make_producer(settings)
    sent, first, wall0 = 0, None, time.monotonic()
    now0 = datetime.now(UTC)
    try:
        for line in read_lines(path):
            if stop.is_set():
                break
            obj = line.obj
            if line.ts is not None:
                first = first or line.ts
                offset_s = (line.ts - first).total_seconds() / speed
                delay = wall0 + offset_s - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    break
                if not keep_ts:
                    obj = {**obj, "ts": format_ts(now0 + timedelta(seconds=offset_s))}
            call_id = obj.get("call_id")
            key = call_id.encode("utf-8") if isinstance(call_id, str) else None
            producer.send(settings.topics.call_events, key=key, value=encode(obj))
            sent += 1
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=10)
    return sent
