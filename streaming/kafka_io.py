"""Kafka clients configured from :class:`~streaming.settings.Settings`, in one place."""

from __future__ import annotations

import socket
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from streaming.errors import BrokerError
from streaming.events import encode
from streaming.settings import Settings


def require_broker(settings: Settings, timeout_s: float = 5.0) -> None:
    """BrokerError in one line unless a bootstrap server accepts a connection.

    For one-shot commands (``train``, ``replay``, ``record``): kafka-python alone retries a
    dead address for 30 s, logging each attempt, before it gives up. The scorer and the
    simulator do not check: started beside a broker, they wait for it as kafka-python does.
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
        consumer = KafkaConsumer(**config)
    except KafkaError as exc:
        raise BrokerError(f"cannot connect a consumer to {settings.bootstrap_servers}: {exc}") from exc
    if topics:
        consumer.subscribe(list(topics))
    return consumer


def send_json(producer: KafkaProducer, topic: str, key: str, obj: dict[str, Any]) -> Any:
    """Publish one JSON object keyed by ``key``; returns kafka-python's future."""
    return producer.send(topic, key=key.encode("utf-8"), value=encode(obj))
