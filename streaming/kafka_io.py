"""Kafka clients configured from :class:`~streaming.settings.Settings`, in one place."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections import deque
from collections.abc import Sequence
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from streaming.errors import BrokerError
from streaming.events import encode
from streaming.reach import BOOTSTRAP_TIMEOUT_MS, interruptible, wait_for_broker
from streaming.settings import Settings

log = logging.getLogger(__name__)


class SendFailed(KafkaError):
    """Records the broker did not accept: kafka-python's ``flush()`` returns without
    raising once every record is done, accepted or not, so a failure shows only on the
    record's future.

    ``unanswered`` when no failure is a refusal, only time running out (kafka-python expires
    a batch it got no answer for): a record that went out and got no answer may still be
    written by a broker that stalled, so it is not known to be lost.
    """

    def __init__(self, message: str, unanswered: bool = False) -> None:
        super().__init__(message)
        self.unanswered = unanswered


def require_broker(settings: Settings, timeout_s: float = 5.0) -> None:
    """BrokerError in one line unless a bootstrap server accepts a connection.

    For one-shot commands (``train``, ``replay``, ``record``): kafka-python alone retries a
    dead address for 30 s, logging each attempt, before it gives up. The scorer and the
    simulator do not check: started beside a broker, they wait for it (``reach.wait_for_broker``).
    """
    errors = []
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if not port.isdigit():
            errors.append(f"{server.strip()}: not host:port")
            continue
        try:
            socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=timeout_s).close()
            return
        except OSError as exc:
            errors.append(f"{server.strip()}: {exc.strerror or exc}")
    raise BrokerError(f"no broker reachable at {'; '.join(errors)}")


def make_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """A producer with keys and values as bytes; ``acks=all`` so accepted means stored."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "acks": "all",
        "linger_ms": 5,
        "retries": 5,
        "max_in_flight_requests_per_connection": 1,  # keep per-key order on retries
    }
    config.update(overrides)
    try:
        with interruptible():
            wait_for_broker(settings, config.get("bootstrap_timeout_ms", BOOTSTRAP_TIMEOUT_MS) / 1000)
            return KafkaProducer(**config)
    except KafkaError as exc:
        raise BrokerError(f"cannot connect a producer to {settings.bootstrap_servers}: {exc}") from exc


def make_consumer(
    settings: Settings, *topics: str, group_id: str | None = None, **overrides: Any
) -> KafkaConsumer:
    """A consumer that never auto-commits: offsets are committed after the store write."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "group_id": group_id if group_id is not None else settings.group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": settings.max_poll_interval_ms,
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": max(500, settings.session_timeout_ms // 5),
        "max_poll_records": settings.batch_max_records,
        "fetch_max_wait_ms": 100,
    }
    config.update(overrides)
    try:
        with interruptible():
            wait_for_broker(settings, config.get("bootstrap_timeout_ms", BOOTSTRAP_TIMEOUT_MS) / 1000)
            consumer = KafkaConsumer(**config)
    except KafkaError as exc:
        raise BrokerError(f"cannot connect a consumer to {settings.bootstrap_servers}: {exc}") from exc
    if topics:
        consumer.subscribe(list(topics))
    return consumer


def send_json(producer: KafkaProducer, topic: str, key: str, obj: dict[str, Any]) -> Any:
    """Publish one JSON object keyed by ``key``; returns kafka-python's future."""
    return producer.send(topic, key=key.encode("utf-8"), value=encode(obj))


def await_sends(producer: KafkaProducer, futures: Sequence[Any], timeout_s: float = 30.0) -> None:
    """Flush ``producer`` and raise :class:`SendFailed` unless every one of ``futures`` (from
    its sends) was accepted; KafkaTimeoutError if they are not all done within ``timeout_s``.

    A producer that got a failed future may be in a fatal state (kafka-python's idempotent
    producer never recovers from one, e.g. a restarted broker refusing its producer id):
    every later send of it fails too, so the caller makes a new producer (:func:`close_quietly`
    the old one).
    """
    producer.flush(timeout=timeout_s)
    failed = [f for f in futures if not f.succeeded()]
    if failed:
        first = failed[0].exception or "not done after the flush"
        unanswered = all(f.exception is None or isinstance(f.exception, KafkaTimeoutError) for f in failed)
        raise SendFailed(f"{len(failed)} of {len(futures)} records were not accepted by the "
                         f"broker: {first}", unanswered)  # fmt: skip


class Sends:
    """The sends of one long run of ``producer`` (an import, a replay): how many were sent
    and accepted, and the first refusal, found as the run goes so that the run stops there
    instead of sending on into a producer that fails everything (kafka-python's fatal state).
    Only the futures not done yet are kept: a run of any length holds about as many as are
    in flight."""

    def __init__(self, producer: KafkaProducer) -> None:
        self.producer = producer
        self.sent = 0
        self.accepted = 0
        self.refused: BaseException | None = None  # the first refusal seen
        self._pending: deque[Any] = deque()

    def track(self, future: Any) -> None:
        """Keep ``future`` (of a send of ``producer``); SendFailed (once the sends in flight
        are done, so the counts are whole) if a send before it was refused."""
        self._pending.append(future)
        self.sent += 1
        while self._pending and self._pending[0].is_done:
            if self._pending[0].failed():
                self.wait()  # raises SendFailed
            self._pending.popleft()
            self.accepted += 1

    def wait(self, timeout_s: float = 30.0) -> None:
        """:func:`await_sends` on the sends still pending; the counts are updated, raise or not."""
        pending, self._pending = list(self._pending), deque()
        try:
            await_sends(self.producer, pending, timeout_s)
        finally:
            self.accepted += sum(1 for f in pending if f.succeeded())
            if self.refused is None:
                self.refused = next((f.exception for f in pending if f.failed()), None)

    def settle(self, timeout_s: float = 10.0) -> None:
        """After a send failed: wait for the sends still in flight, so the counts are whole,
        whatever becomes of them (the failure already being raised)."""
        with contextlib.suppress(KafkaError):
            self.wait(timeout_s)


def abandon(producer: KafkaProducer) -> None:
    """Close a producer that is being replaced without sending the records it still holds.

    Its caller publishes them again with the new producer. kafka-python's ``close()``
    flushes first, and a flush that times out (a broker that does not answer) raises
    before the producer's I/O thread is stopped, so the thread would go on and send the
    held records once the broker answers again: one more copy for each publish that timed
    out. Its ``force_close()`` (no public API does this) fails the unsent records instead.
    A record already on the wire may still be written; that is the at-least-once of a
    publish the broker never answered.
    """
    sender = getattr(producer, "_sender", None)
    if sender is not None:
        sender.force_close()
        sender.join(5.0)
    close_quietly(producer, timeout_s=0)


def close_quietly(producer: KafkaProducer, timeout_s: float = 5.0) -> None:
    """Close a producer that is being replaced; a close that fails is logged, not raised."""
    try:
        producer.close(timeout=timeout_s)
    except KafkaError as exc:
        log.warning("closing the old producer failed: %s", exc)
