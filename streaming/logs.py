"""Log lines an operator can read through an outage.

While a broker is down, kafka-python logs every failed connection attempt and
metadata request, dozens of lines a second, and the scorer's own lines ("broker or
store failing, retrying") drown in them. :class:`Throttle` lets each kind of line
(its logger, level and message template) through at most once per ``every_s``, says
how many like it it held back, and leaves out the client's own tracebacks of dropped
sockets (kept at ``--log-level DEBUG``).

>>> t = Throttle(every_s=30, clock=iter([0.0, 1.0, 2.0, 31.0]).__next__)
>>> rec = lambda: logging.LogRecord("kafka.conn", logging.WARNING, "", 0, "%s: refused", ("n1",), None)
>>> [t.filter(r := rec()) for _ in range(3)]
[True, False, False]
>>> t.filter(r := rec()), r.getMessage()
(True, 'n1: refused (and 2 more like it in the last 30 s)')
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

THROTTLED = ("kafka",)  # loggers whose lines are throttled (and their children)
EVERY_S = 30.0


class Throttle(logging.Filter):
    """At most one line of each kind per ``every_s`` from the ``prefixes`` loggers."""

    def __init__(self, every_s: float = EVERY_S, prefixes: tuple[str, ...] = THROTTLED,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        super().__init__()
        self.every_s, self.prefixes, self.clock = every_s, prefixes, clock
        self.last: dict[tuple[str, int, str], float] = {}
        self.held: dict[tuple[str, int, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not any(record.name == p or record.name.startswith(p + ".") for p in self.prefixes):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        last = self.last.get(key)
        if last is not None and now - last < self.every_s:
            self.held[key] = self.held.get(key, 0) + 1
            return False
        self.last[key] = now
        if record.exc_info and not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            # the client's own traceback of a dropped socket says nothing the line does not
            record.exc_info, record.exc_text = None, None
        held = self.held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self.every_s:.0f} s)"
        return True


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    """A process's logging, as the CLI and the wallboard both set it: lines to stderr at
    ``level``, the chatty loggers throttled, kafka-python's INFO narration left out.

    The handler is added once: a second call (each wallboard page run calls it) adds no other.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format=FORMAT)
        throttle_chatty_loggers()  # a broker outage: one line of each kind per 30 s, not dozens a second
    # kafka-python narrates every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # its IO thread warns whenever a scoring batch holds the GIL for >0.1 s: noise, not a fault
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)


def throttle_chatty_loggers(every_s: float = EVERY_S) -> None:
    """Throttle the chatty loggers on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(Throttle(every_s))
