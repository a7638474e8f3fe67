"""Send the simulation to ``call-events``, paced in real time (compressed by ``speed``)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from kafka.errors import KafkaError

from streaming.errors import BrokerError
from streaming.events import event_to_dict
from streaming.kafka_io import close_quietly, make_producer, send_json
from streaming.settings import Settings
from streaming.simulator.acd import generate
from streaming.simulator.config import SimConfig

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 60.0


class _Sends:
    """What became of one producer's sends (its futures' callbacks run on its IO thread)."""

    def __init__(self) -> None:
        self.failed: list[BaseException] = []
        self.accepted = False

    def track(self, future: Any) -> None:
        future.add_errback(self.failed.append)
        future.add_callback(self._accept)

    def _accept(self, _metadata: Any) -> None:
        self.accepted = True


def publish(settings: Settings, config: SimConfig, *, stop: threading.Event | None = None,
            max_events: int | None = None) -> int:  # fmt: skip
    """Produce :func:`generate` to ``call-events`` keyed by ``call_id``, paced in real time.

    An event ``T`` simulated seconds after the start is sent ``T / speed`` wall
    seconds after this call began. The start is ``config.start`` or now, so with
    ``speed == 1`` event times track the wall clock (faster speeds run ahead of it).
    Stops when ``stop`` is set, the simulation ends or ``max_events`` were sent;
    flushes the producer before returning.

    A send the broker refuses is seen on its future (kafka-python's producer goes on
    accepting sends it will never deliver, e.g. in the fatal state a restarted broker
    leaves it in). The first time, one error line says how many events were lost and a
    new producer goes on with the simulation; if the new producer's sends fail too before
    any was accepted, BrokerError stops it.

    Returns
    -------
    int
        How many events were sent.
    """
    stop = stop or threading.Event()
    start = config.start_utc()
    config = replace(config, start=start)
    topic = settings.topics.call_events
    where = f"{topic} on {settings.bootstrap_servers}"
    producer = make_producer(settings)
    sends, replaced = _Sends(), False  # replaced: this producer took over from a failed one
    sent, wall0 = 0, time.monotonic()
    next_progress = wall0 + PROGRESS_EVERY_S

    def check() -> None:
        nonlocal producer, sends, replaced
        if not sends.failed:
            return
        close_quietly(producer)  # its other sends end too, so the count below is whole
        first = sends.failed[0]
        if replaced and not sends.accepted:
            raise BrokerError(f"cannot publish to {where}: a new producer's sends failed too "
                              f"({len(sends.failed)} events lost): {first}")  # fmt: skip
        log.error("simulator: the broker refused %d events (lost): %s; going on with a new producer",
                  len(sends.failed), first)  # fmt: skip
        producer, sends, replaced = make_producer(settings), _Sends(), True

    try:
        for ts, event in generate(config):
            if stop.is_set() or (max_events is not None and sent >= max_events):
                break
            delay = (ts - start).total_seconds() / config.speed - (time.monotonic() - wall0)
            if delay > 0 and stop.wait(delay):
                break
            check()
            sends.track(send_json(producer, topic, event.call_id, event_to_dict(event)))
            sent += 1
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_EVERY_S
                log.info("simulator: %d events sent, simulated time %s", sent, ts.isoformat())
        producer.flush(timeout=60)
    except KafkaError as exc:
        raise BrokerError(f"cannot publish to {where}: {exc}") from exc
    finally:
        close_quietly(producer, timeout_s=10)
    if sends.failed:
        raise BrokerError(f"{len(sends.failed)} of the last events sent were not accepted by the "
                          f"broker: {sends.failed[0]}")  # fmt: skip
    return sent
