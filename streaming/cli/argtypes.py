"""What the command line accepts: argument types, their bounds and the parser's error style.

Each type turns one argument's text into its value or refuses it with an
``argparse.ArgumentTypeError`` that says what was expected, so a bad argument is one
line and exit code 2 (``Parser``), before anything starts.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any, NoReturn

# the bounds of the sizes the commands take (said in --help)
MAX_CONCURRENCY = 10_000
MAX_CALLS_PER_DAY = 1_000_000
MAX_BENCH_EVENTS = 10_000_000
MAX_BENCH_RUNS = 1_000
DEFAULT_BENCH_RUNS = 5
MAX_HISTORY_DAYS = 366
MIN_SPEED, MAX_SPEED = 0.001, 1_000_000.0


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:") and any(
                t.split("=")[0] == "--log-level" for t in message.split()):
            message += " (--log-level goes before the command: callheat --log-level DEBUG COMMAND)"
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def at_least_one(text: str) -> int:
    """
    >>> at_least_one("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be 1 or more, got -1
    """
    value = _whole(text)
    if value < 1:  # one message for 0 and -1 alike ("0 or more" was not true)
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_float(text: str) -> float:
    """
    >>> positive_float("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a finite number greater than 0, got inf
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def bounded(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``: absurd sizes fail at once instead of hanging.

    >>> bounded(1, 10_000)("30")
    30
    >>> bounded(1, 10_000)("20000")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be 1-10,000, got 20,000
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:  # one message for either side ("-2": not "0 or more")
            raise argparse.ArgumentTypeError(f"must be {low:,}-{high:,}, got {value:,}")
        return value

    return parse


def sim_speed(text: str) -> float:
    value = positive_float(text)
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"must be {MIN_SPEED:g}-{MAX_SPEED:,.0f}, got {text}")
    return value


def port_number(text: str) -> int:
    value = positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


class Once(argparse.Action):
    """An option that takes one value: given twice, it is refused (the last one used to win)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:  # fmt: skip
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"argument {option_string}: given twice; it takes one {self.metavar or 'value'}")
        setattr(namespace, self.dest, values)


class Given(argparse.Action):
    """An option stored as usual, and noted as given (``given(args)``): one with a default
    that another option makes meaningless is refused when given, not ignored in silence."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:  # fmt: skip
        setattr(namespace, self.dest, values)
        namespace.given_options = [*given(namespace), self.option_strings[0]]


def given(args: argparse.Namespace) -> list[str]:
    """The ``Given`` options on the command line, in its order (once each)."""
    return list(dict.fromkeys(getattr(args, "given_options", [])))


def either(options: list[str], word: str = "or") -> str:
    """
    >>> either(["--speed"]), either(["--calls", "--speed", "--max-events"])
    ('--speed', '--calls, --speed or --max-events')
    """
    return options[0] if len(options) == 1 else f"{', '.join(options[:-1])} {word} {options[-1]}"
