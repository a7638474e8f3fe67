"""Send the simulation to ``call-events``, paced in real time (compressed by ``speed``)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from kafka.errors import KafkaError

from streaming.errors import BrokerError
from streaming.events import event_to_dict
from streaming.kafka_io import make_producer, send_json
from streaming.settings import Settings
from streaming.simulator.acd import generate
from streaming.simulator.config import SimConfig

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 60.0


def publish(settings: Settings, config: SimConfig, *, stop: threading.Event | None = None,
            max_events: int | None = None) -> int:  # fmt: skip
    """Produce :func:`generate` to ``call-events`` keyed by ``call_id``, paced in real time.

    An event ``T`` simulated seconds after the start is sent ``T / speed`` wall
    seconds after this call began. The start is ``config.start`` or now, so with
    ``speed == 1`` event times track the wall clock (faster speeds run ahead of it).
    Stops when ``stop`` is set, the simulation ends or ``max_events`` were sent;
    flushes the producer before returning.

    Returns
    -------
    int
        How many events were sent.
    """
    stop = stop or threading.Event()
    start = config.start_utc()
    config = replace(config, start=start)
    topic = settings.topics.call_events
    producer = make_producer(settings)
    failures: list[BaseException] = []
    sent, wall0 = 0, time.monotonic()
    next_progress = wall0 + PROGRESS_EVERY_S
    try:
        for ts, event in generate(config):
            if stop.is_set() or (max_events is not None and sent >= max_events):
                break
            delay = (ts - start).total_seconds() / config.speed - (time.monotonic() - wall0)
            if delay > 0 and stop.wait(delay):
                break
            future = send_json(producer, topic, event.call_id, event_to_dict(event))
            future.add_errback(failures.append)
            sent += 1
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_EVERY_S
                log.info("simulator: %d events sent, simulated time %s", sent, ts.isoformat())
        producer.flush(timeout=60)
    except KafkaError as exc:
        where = f"{topic} on {settings.bootstrap_servers}"
        raise BrokerError(f"cannot publish to {where}: {exc}") from exc
    finally:
        producer.close(timeout=10)
    if failures:
        raise BrokerError(f"{len(failures)} of {sent} events were not accepted by the broker: "
                          f"{failures[0]}")  # fmt: skip
    return sent
