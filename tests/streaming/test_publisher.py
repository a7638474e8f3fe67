"""The scorer's publisher against a real broker that goes away and comes back."""

from __future__ import annotations

import json
import time

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError

from streaming.broker import create_callheat_topics
from streaming.kafka_io import make_consumer, make_producer
from streaming.publisher import Publisher
from streaming.settings import Settings

pytestmark = pytest.mark.broker


def _read_all(settings: Settings, topic: str, settle_s: float) -> list[dict]:
    """Every record on ``topic``, read until nothing new arrives for ``settle_s``."""
    consumer = make_consumer(settings, group_id=None)
    values: list[dict] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(settings.partitions)])
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle_s:
            polled = consumer.poll(timeout_ms=250)
            for records in polled.values():
                values += [json.loads(r.value) for r in records]
                quiet_since = time.monotonic()
    finally:
        consumer.close(autocommit=False)
    return values


def test_a_publish_that_timed_out_is_not_sent_later_by_the_old_producer(own_broker, tmp_path):
    """Suspected by a crash review: a publish whose flush timed out kept its producer, which
    still held the records and would send them once the broker answered again, beside the
    copies the scorer publishes when it polls the batch again. The next publish now makes a
    new producer and abandons the old one's held records.

    A real Tansu, stopped (connections refused, so the records stay queued, not on the
    wire) and started again. It starts empty and refuses an idempotent producer it has not
    seen, which would hide the copies, so the old producer here is not idempotent: it
    stands for a broker that kept its state through the outage (a network outage), which
    takes the held records."""
    settings = Settings(bootstrap_servers=own_broker.bootstrap_servers, partitions=1,
                        data_dir=tmp_path / "data")  # fmt: skip
    topic = settings.topics.call_scores
    create_callheat_topics(settings.bootstrap_servers, settings.topics, settings.partitions)
    publisher = Publisher(settings, make_producer(settings, enable_idempotence=False), timeout_s=1)
    publisher.publish([(topic, "call-1", {"n": 1})])

    own_broker.stop()
    with pytest.raises(KafkaError):
        publisher.publish([(topic, "call-1", {"n": 2})])  # held by the producer, unanswered

    own_broker.start()  # empty: the record published before the outage is gone with it
    create_callheat_topics(settings.bootstrap_servers, settings.topics, settings.partitions)
    publisher.timeout_s = 30
    publisher.publish([(topic, "call-1", {"n": 3})])  # the batch published again
    try:
        assert _read_all(settings, topic, settle_s=3) == [{"n": 3}]
    finally:
        publisher.producer.close(timeout=5)
