"""Publishing the scorer's output: every record accepted by the broker, or an error, and a
new producer in place of one whose send failed."""

from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaProducer

from streaming.kafka_io import SendFailed, await_sends, close_quietly, make_producer, send_json
from streaming.settings import Settings

# the scorer service's lines, under its one logger name, wherever they are written from
log = logging.getLogger("streaming.consumer")


class Publisher:
    """Sends (topic, key, object) records with ``producer``, replaced when a send fails."""

    def __init__(self, settings: Settings, producer: KafkaProducer) -> None:
        self.settings = settings
        self.producer = producer
        self._failed = False  # a send failed: the next publish makes a new producer

    def publish(self, sends: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Send (topic, key, object) each, flush, and raise unless the broker accepted all.

        kafka-python's ``flush()`` does not raise for a record the broker refused, nor for
        one a producer in a fatal state aborted (after a broker restart, say: it then fails
        every send, logging each batch it aborts): only the futures say. A failed send
        leaves the producer marked, and the next publish makes a new one.
        """
        producer = self._ready()
        futures = [send_json(producer, topic, key, obj) for topic, key, obj in sends]
        try:
            await_sends(producer, futures, timeout_s=30)
        except SendFailed:
            self._failed = True
            raise

    def _ready(self) -> KafkaProducer:
        """The producer, or a new one in place of one whose send failed (BrokerError if no
        broker answers the new one: the scorer's loop tries again after its pause)."""
        if self._failed:
            close_quietly(self.producer)  # its futures are done: this does not wait
            self.producer = make_producer(self.settings)
            self._failed = False
            log.warning("a new producer replaces the one whose sends failed")
        return self.producer
