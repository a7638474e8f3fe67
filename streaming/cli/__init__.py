"""callheat: the real-time hot-call wallboard for contact-center supervisors.

One console script, one subcommand per part of the system. This module turns the
arguments into ``Settings`` and a command's errors into one line and an exit code;
the parser is in ``parser`` (its argument types in ``argtypes``), the commands in
``services`` (broker, score, dashboard, run) and ``tools`` (the rest), and what they
check before starting in ``preflight``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from streaming import logs
from streaming.cli.parser import build_parser
from streaming.errors import CallHeatError, UsageError
from streaming.settings import Settings, unknown_variables

__all__ = ["build_parser", "main", "settings_from_args"]

log = logging.getLogger("callheat")

SETTING_ARGS = ("bootstrap_servers", "topic_prefix", "store_url", "group_id", "dashboard_port",
                "broker_port", "partitions")  # fmt: skip


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Argument, then environment, then default."""
    overrides = {k: getattr(args, k) for k in SETTING_ARGS if getattr(args, k, None) is not None}
    # `callheat run` connects its children to the broker it starts (run.py), whatever
    # --bootstrap-servers or CALLHEAT_BOOTSTRAP_SERVERS say
    return Settings(**overrides)


def _setting_error(exc: ValidationError, args: argparse.Namespace) -> str:
    """The first invalid setting in one line, named as it was given: argument or environment."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
    if not where:  # a rule between settings (warm below hot): its message names them
        return f"settings: {msg}"
    if where in SETTING_ARGS and getattr(args, where, None) is not None:
        return f"--{where.replace('_', '-')}: {msg}"
    env = f"CALLHEAT_{where.upper()}"
    if any(name.upper() == env for name in os.environ):
        return f"setting {where} ({env}): {msg}"
    return f"setting {where}: {msg}"


def _stdout_closed() -> int:
    """What a closed stdout (``callheat backtest | head``) ends with: quietly, no traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind sys.stdout: nothing to flush at exit
        pass
    return 128 + signal.SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    for name, meant in unknown_variables(os.environ):
        log.warning("%s is not a CallHeat setting: it is ignored%s", name,
                    f" (did you mean {meant}?)" if meant else "")  # fmt: skip
    func: Callable[[Settings, argparse.Namespace], int] = args.func
    try:
        settings = settings_from_args(args)
        code = func(settings, args)
        sys.stdout.flush()  # here, where a closed stdout is caught, not at exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except ValidationError as exc:
        print(f"callheat: error: {_setting_error(exc, args)}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"callheat: error: {exc}", file=sys.stderr)
        return 2
    except CallHeatError as exc:
        print(f"callheat: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

