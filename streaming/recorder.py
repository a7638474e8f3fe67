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


# the longest replay waits between two consecutive lines of a file, in real time (after
# --speed): a longer gap (a recording left running over a weekend, an event whose clock said
# 1970 or 9999) is not waited for, so a replay never sits silent for days or for ever
MAX_WAIT_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Skipped:
    """A gap between two consecutive lines that replay does not wait for."""

    line: int
    after: int  # the line before it, in the file, that had a time
    gap_s: float  # in the recording's time, negative if the line is dated before that one


class Schedule:
    """When each line with a time is sent, in seconds after the first: its gap from the line
    before, divided by ``speed``, unless that is more than MAX_WAIT_S either way; such a line
    is sent right after the one before and the lines after it are timed from it.

    >>> from datetime import datetime
    >>> at = Schedule(speed=2)
    >>> [at.place(number, datetime(*ymd, tzinfo=UTC)) for number, ymd in enumerate(
    ...     [(2026, 1, 5), (2026, 1, 6), (9999, 12, 31), (2026, 1, 6), (2026, 1, 5)], start=1)]
    [0.0, 43200.0, 43200.0, 43200.0, 0.0]
    >>> [(s.line, s.after) for s in at.skipped]
    [(3, 2), (4, 3)]
    """

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.skipped: list[Skipped] = []
        self._anchor: tuple[datetime, float] | None = None  # a line's time and its offset
        self._last: tuple[int, datetime, float] | None = None  # the last line placed

    def place(self, number: int, ts: datetime) -> float:
        """The offset at which to send line ``number``, dated ``ts``."""
        if self._last is None:
            offset = 0.0
            self._anchor = (ts, offset)
        else:
            last_number, last_ts, last_offset = self._last
            gap_s = (ts - last_ts).total_seconds()
            if not abs(gap_s) / self.speed <= MAX_WAIT_S:
                self.skipped.append(Skipped(number, last_number, gap_s))
                offset = last_offset
                self._anchor = (ts, offset)
            else:
                assert self._anchor is not None
                anchor_ts, anchor_offset = self._anchor  # not the last line's: no drift
                offset = anchor_offset + (ts - anchor_ts).total_seconds() / self.speed
        self._last = (number, ts, offset)
        return offset


def replay(settings: Settings, path: Path, *, speed: float = 1.0, keep_ts: bool = False,
           stop: threading.Event | None = None) -> int:  # fmt: skip
    """Publish ``path`` to call-events with its original gaps divided by ``speed``.

    Unless ``keep_ts``, event times are shifted (and compressed by ``speed``) so the
    first event is "now" and the wallboard shows the calls as live: a line's time is
    when it is sent. A gap between two lines that would be a wait of more than
    MAX_WAIT_S (a day) is not waited for (``Schedule``), with a warning naming the line.
    Lines are sent as they are otherwise: an invalid event reaches the scorer, which
    sends it to the DLQ. A file with no line, a line that is not a JSON object, that
    cannot be sent as UTF-8, or whose time cannot be shifted, stops the replay before
    anything is sent. Returns how many events were published, every one acknowledged by
    the broker; the first send it refuses stops the replay with BrokerError saying how
    many were accepted (kafka-python's ``flush()`` does not raise for a refused record).
    """
    if not (speed > 0 and math.isfinite(speed)):
        raise ConfigError("--speed must be a finite number greater than 0")
    if not path.exists():
        raise ConfigError(f"no such file: {path}")
    # check the whole file first: all of it is sent, or none
    schedule = Schedule(speed)
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
            offset_s = schedule.place(line.number, line.ts)
            if not keep_ts:  # sending starts a moment after this check: its "now" a day either side
                for now0 in (checked - timedelta(days=1), checked + timedelta(days=1)):
                    _shifted(path, line, offset_s, speed, now0)
    if not total:
        raise ConfigError(f"{path} holds no events")
    for skipped in schedule.skipped[:MAX_WARNINGS]:
        log.warning("%s:%d: %s %s line %d (more than %s at --speed %g): sent right after it, "
                    "without waiting", path, skipped.line, _span(abs(skipped.gap_s)),
                    "after" if skipped.gap_s > 0 else "before", skipped.after,
                    _span(MAX_WAIT_S), speed)  # fmt: skip
    if len(schedule.skipped) > MAX_WARNINGS:
        log.warning("%s: %d more gaps of more than %s at --speed %g not waited for",
                    path, len(schedule.skipped) - MAX_WARNINGS, _span(MAX_WAIT_S), speed)  # fmt: skip
    stop = stop or threading.Event()
    require_broker(settings)
    producer = make_producer(settings)
    sends = Sends(producer)
    schedule, wall0 = Schedule(speed), time.monotonic()
    now = datetime.now(UTC)
    try:
        for line in read_lines(path):
            if stop.is_set():
                break
            obj = line.obj
            if line.ts is not None:
                offset_s = schedule.place(line.number, line.ts)
                delay = wall0 + offset_s - time.monotonic()  # at most MAX_WAIT_S
                if delay > 0 and stop.wait(delay):
                    break
                if not keep_ts:
                    obj = {**obj, "ts": _shifted(path, line, offset_s, speed, now)}
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


MAX_WARNINGS = 10  # gaps not waited for, named one by one; the rest counted


def _span(seconds: float) -> str:
    """A duration as a person reads it.

    >>> [_span(s) for s in (45, 5400, 86_400, 3 * 86_400, 250_000 * 86_400)]
    ['45 s', '90 min', 'a day', '3 days', '684 years']
    """
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds == 86_400:
        return "a day"
    if seconds < 2 * 86_400:
        return f"{seconds / 3600:.0f} h"
    if seconds < 2 * 365 * 86_400:
        return f"{seconds / 86_400:.0f} days"
    return f"{seconds / (365.25 * 86_400):,.0f} years"


def _shifted(path: Path, line: ReplayLine, offset_s: float, speed: float, now0: datetime) -> str:
    """``line``'s time shifted so that the first line is ``now0``, or a ConfigError if that
    is out of the years 1-9999."""
    try:
        return format_ts(now0 + timedelta(seconds=offset_s))
    except (OverflowError, ValueError):
        raise ConfigError(f"{path}:{line.number}: its ts {line.obj['ts']!r}, shifted to now at --speed "
                          f"{speed:g}, is out of the years 1-9999 (--keep-ts sends it as it is)") from None
