"""Publishing the scorer's output: every record accepted by the broker, or an error, and a
new producer in place of one whose send failed or timed out."""

from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from streaming.kafka_io import abandon, await_sends, make_producer, send_json
from streaming.settings import Settings

# the scorer service's lines, under its one logger name, wherever they are written from
log = logging.getLogger("streaming.consumer")


class Publisher:
    """Sends (topic, key, object) records with ``producer``, replaced when a send fails."""

    def __init__(self, settings: Settings, producer: KafkaProducer, timeout_s: float = 30.0) -> None:
        self.settings = settings
        self.producer = producer
        self.timeout_s = timeout_s  # for the broker to accept a publish's records
        self._failed = False  # a send failed or timed out: the next publish makes a new producer

    def publish(self, sends: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Send (topic, key, object) each, flush, and raise unless the broker accepted all.

        kafka-python's ``flush()`` does not raise for a record the broker refused, nor for
        one a producer in a fatal state aborted (after a broker restart, say: it then fails
        every send, logging each batch it aborts): only the futures say. A failed send
        leaves the producer marked, and the next publish makes a new one. So does a publish
        that timed out: its records, still held by the producer, would otherwise go out
        when the broker answers again, beside the copies the caller publishes then.
        """
        producer = self._ready()
        try:
            futures = [send_json(producer, topic, key, obj) for topic, key, obj in sends]
            await_sends(producer, futures, timeout_s=self.timeout_s)
        except KafkaError:
            self._failed = True
            raise

    def _ready(self) -> KafkaProducer:
        """The producer, or a new one in place of one whose send failed (BrokerError if no
        broker answers the new one: the scorer's loop tries again after its pause)."""
        if self._failed:
            abandon(self.producer)  # what it still holds is published again by the caller
            self.producer = make_producer(self.settings)
            self._failed = False
            log.warning("a new producer replaces the one whose sends failed")
        return self.producer
