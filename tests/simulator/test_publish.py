"""publish(): paced sending keyed by call_id; stop, max_events; and a real broker round trip."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka import TopicPartition

from streaming.broker import create_callheat_topics
from streaming.events import encode, event_to_dict, parse_event
from streaming.kafka_io import make_consumer
from streaming.settings import Settings
from streaming.simulator import SimConfig, generate, publish, publisher
from tests.simulator.util import START
from tests.streaming.test_consumer import wait_for


class _Future:
    def add_errback(self, fn: Any) -> None:
        pass

    def add_callback(self, fn: Any) -> None:
        pass


class FakeProducer:
    """Records what is sent and when (wall seconds since creation)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.sent: list[tuple[float, str, bytes, bytes]] = []
        self.sent_at: list[datetime] = []
        self.flushed = self.closed = False

    def send(self, topic: str, key: bytes, value: bytes) -> _Future:
        self.sent.append((time.monotonic() - self.t0, topic, key, value))
        self.sent_at.append(datetime.now(UTC))
        return _Future()

    def flush(self, timeout: float | None = None) -> None:
        self.flushed = True

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


@pytest.fixture
def producer(monkeypatch) -> FakeProducer:
    fake = FakeProducer()
    monkeypatch.setattr(publisher, "make_producer", lambda settings: fake)
    return fake


def test_sends_every_event_keyed_by_call_paced_by_speed(settings, producer):
    config = SimConfig(seed=4, calls=3, speed=400, start=START)
    expected = [encode(event_to_dict(e)) for _, e in generate(config)]
    assert publish(settings, config) == len(expected)
    assert [value for *_, value in producer.sent] == expected
    assert {topic for _, topic, _, _ in producer.sent} == {settings.topics.call_events}
    for wall_s, _, key, value in producer.sent:
        obj = json.loads(value)
        assert key.decode() == obj["call_id"]
        due = (datetime.fromisoformat(obj["ts"]) - START).total_seconds() / config.speed
        assert wall_s >= due - 0.01  # never early
    last_due = (datetime.fromisoformat(json.loads(expected[-1])["ts"]) - START).total_seconds()
    assert producer.sent[-1][0] < last_due / config.speed + 1.0  # and not much late
    assert producer.flushed and producer.closed


def test_at_speed_one_event_times_track_the_wall_clock(settings, producer):
    assert publish(settings, SimConfig(calls=4, speed=1.0, burst_s=0.6), max_events=4) == 4
    for (*_, value), wall in zip(producer.sent, producer.sent_at, strict=True):
        ts = datetime.fromisoformat(json.loads(value)["ts"])
        assert abs((ts - wall).total_seconds()) < 0.25


def test_stops_at_max_events_or_when_told(settings, producer):
    assert publish(settings, SimConfig(calls=0, speed=1000, start=START), max_events=25) == 25
    assert len(producer.sent) == 25 and producer.flushed

    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    t0 = time.monotonic()
    sent = publish(settings, SimConfig(calls=0, speed=1.0, start=START), stop=stop)
    assert time.monotonic() - t0 < 3
    assert 0 < sent < 1_000


@pytest.mark.broker
def test_publishes_to_the_broker_and_reads_back_the_same_events(kafka_settings):
    config = SimConfig(calls=5, speed=1000, seed=1)
    n = publish(kafka_settings, config)
    assert n > 50

    topic = kafka_settings.topics.call_events
    consumer = make_consumer(kafka_settings, group_id=f"sim-{uuid.uuid4().hex[:8]}")
    partitions = consumer.partitions_for_topic(topic)
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    consumer.seek_to_beginning()
    got = []
    deadline = time.monotonic() + 30
    try:  # count what arrives (this broker's end offsets are not to be trusted)
        while time.monotonic() < deadline:
            for messages in consumer.poll(timeout_ms=500).values():
                got.extend(messages)
            if len(got) >= n:
                for messages in consumer.poll(timeout_ms=1000).values():  # nothing extra
                    got.extend(messages)
                break
    finally:
        consumer.close(autocommit=False)
    assert len(got) == n

    per_call: dict[str, list] = defaultdict(list)
    for m in got:
        event = parse_event(m.value)
        assert m.key.decode() == event.call_id
        per_call[(m.partition, event.call_id)].append(event)
    assert len({call for _, call in per_call}) == 5
    for events in per_call.values():
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].type == "call_queued"
        assert events[-1].type in ("call_ended", "call_abandoned")


def has_events(settings: Settings, want: int) -> bool:
    """Whether call-events holds ``want`` events now (read from the beginning, until that
    many or none came for a second)."""
    topic = settings.topics.call_events
    consumer = make_consumer(settings, group_id=None)
    tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    n = 0
    try:
        while n < want and (batch := consumer.poll(timeout_ms=1000)):
            n += sum(map(len, batch.values()))
    finally:
        consumer.close(autocommit=False)
    return n >= want


@pytest.mark.broker
def test_after_a_broker_restart_a_new_producer_goes_on_with_one_error_line(own_broker, tmp_path, caplog):
    """Found by an operator: a restarted broker refuses the producer's id, kafka-python's
    producer goes into a fatal state and fails every send from then on; an endless
    simulation went on for 45 s, logging 1,050 errors and sending nothing."""
    settings = Settings(bootstrap_servers=own_broker.bootstrap_servers, topic_prefix="sim-",
                        partitions=2, data_dir=tmp_path / "data")  # fmt: skip
    create_callheat_topics(settings.bootstrap_servers, settings.topics, settings.partitions)
    stop, outcome = threading.Event(), {}

    def simulate() -> None:
        try:
            outcome["sent"] = publish(settings, SimConfig(calls=0, speed=50, seed=2), stop=stop)
        except Exception as exc:  # what the test reports
            outcome["error"] = exc

    thread = threading.Thread(target=simulate, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: has_events(settings, 1))
        own_broker.stop()
        own_broker.start()  # empty: Tansu keeps topics in memory
        create_callheat_topics(settings.bootstrap_servers, settings.topics, settings.partitions)
        assert wait_for(lambda: has_events(settings, 20)), outcome  # sent after the restart
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive() and "error" not in outcome, outcome
    assert caplog.text.count("going on with a new producer") == 1
