"""Log lines an operator can read through a broker outage (streaming/logs.py)."""

from __future__ import annotations

import logging

from streaming.logs import Throttle


def test_the_clients_lines_are_throttled_and_its_tracebacks_dropped_ours_are_not():
    clock = iter(float(t) for t in range(100)).__next__
    throttle = Throttle(every_s=30, clock=clock)

    def line(name: str, msg: str, exc: bool = False) -> logging.LogRecord:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError:
            import sys

            info = sys.exc_info() if exc else None
        return logging.LogRecord(name, logging.ERROR, "", 0, msg, ("node-1",), info)

    passed = [throttle.filter(r) for r in (line("kafka.conn", "%s: refused") for _ in range(40))]
    assert passed.count(True) == 2  # at 0 s and at 30 s of the fake clock
    assert all(throttle.filter(line("streaming.consumer", "scored %s")) for _ in range(5))
    dropped = line("kafka.net.transport", "%s: reset", exc=True)
    assert throttle.filter(dropped) and dropped.exc_info is None
