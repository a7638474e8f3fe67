"""Waiting for a Kafka broker in a way a stop signal interrupts.

kafka-python's client constructors wait for a broker, up to 30 s for one that does not
answer, in code a signal handler that only sets an event (``children.stop_on_signals``) cannot
reach: Ctrl-C on a scorer or a simulator started before its broker was ignored that long.
:func:`wait_for_broker` does that wait first, in a plain loop of sockets and sleeps, and
:func:`interruptible` makes a stop signal end it at once (``kafka_io.make_producer`` and
``make_consumer`` use both).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from streaming.errors import BrokerError
from streaming.settings import Settings

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
BOOTSTRAP_TIMEOUT_MS = 30_000  # kafka-python's default bootstrap_timeout_ms


def wait_for_broker(settings: Settings, timeout_s: float) -> None:
    """Return once a bootstrap server accepts a connection; BrokerError in one line if none
    does within ``timeout_s`` (kafka-python's own bootstrap wait, which it replaces before a
    client is made: a plain loop of sockets and sleeps that a stop signal can interrupt
    cleanly, see :func:`interruptible`)."""
    from streaming.kafka_io import require_broker  # which makes its clients with this wait

    deadline = time.monotonic() + timeout_s
    warned = False
    while True:
        try:
            return require_broker(settings, max(0.1, min(1.0, deadline - time.monotonic())))
        except BrokerError as exc:
            if time.monotonic() >= deadline:
                raise BrokerError(f"{exc} (waited {timeout_s:.0f} s)") from None
        if not warned:
            log.warning("no broker reachable at %s yet; waiting up to %.0f s for one",
                        settings.bootstrap_servers, timeout_s)  # fmt: skip
            warned = True
        time.sleep(0.25)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """A stop signal (Ctrl-C, SIGTERM, SIGHUP) raises KeyboardInterrupt inside, after the
    handler installed before (``children.stop_on_signals`` sets its stop event) has run. Only in
    the main thread, where Python runs signal handlers (elsewhere, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def handler(signum: int, frame: Any) -> None:
        before = previous[signal.Signals(signum)]
        if callable(before):
            before(signum, frame)
        raise KeyboardInterrupt

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)
