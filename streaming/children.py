"""Child processes and stopping: how CallHeat starts its children and stops them all.

A Ctrl-C, a SIGTERM or a SIGHUP sets the event ``stop_on_signals`` returns, so loops stop
cleanly and commit, and ``stop_children`` stops the children in order (as does
``EmbeddedBroker.stop``). A child is handed the settings through its environment
(``settings_env``); the wallboard is one (``dashboard_command``).

A SIGKILL, or a crash of the interpreter, gives no such chance: the broker would go on
holding its port, and a scorer or a wallboard would run on with nobody to stop them. On
Linux each child therefore asks the kernel for a SIGTERM when its parent dies
(``die_with_parent``: ``prctl(PR_SET_PDEATHSIG)``), which it handles as any other stop.
Elsewhere children are started as before.

The kernel sends the signal when the *thread* that started the child ends, so start
children from a thread that lives as long as they should (CallHeat starts them from
its main thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from streaming.settings import Settings, unknown_variables

log = logging.getLogger("callheat")

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child gets SIGTERM when this process dies.

    ``None`` where the platform has no such call, so ``Popen(preexec_fn=...)`` works unchanged.
    Everything is resolved here, in the parent: between fork and exec the child only
    makes two system calls.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the call took effect
            os._exit(1)

    return in_child


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT / SIGTERM / SIGHUP (the terminal closed), so loops stop
    cleanly and commit, and ``callheat run`` stops what it started."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)
    return stop


def stop_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM every child still running (last started first); kill one that ignores it for 15 s."""
    for name, proc in reversed(children.items()):
        if proc.poll() is None:
            log.info("stopping %s", name)
            proc.send_signal(signal.SIGTERM)
    for name, proc in reversed(children.items()):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in 15 s; killing it", name)
            proc.kill()
            proc.wait()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that hands ``settings`` to a child process (without the ``CALLHEAT_*``
    names that are no setting: this process warned of them already)."""
    unknown = {name for name, _ in unknown_variables(os.environ)}
    env = {name: value for name, value in os.environ.items() if name not in unknown}
    for name, value in settings.model_dump().items():
        # a secret (the store URL) is handed as it is: its str() is **********
        secret = isinstance(value, SecretStr)
        env[f"CALLHEAT_{name.upper()}"] = value.get_secret_value() if secret else str(value)
    return env


def dashboard_command(settings: Settings) -> list[str]:
    """The command line that serves the Streamlit wallboard with ``settings``."""
    import dashboard

    app = Path(dashboard.__file__).parent / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.address", settings.dashboard_host,
            "--server.port", str(settings.dashboard_port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer"]  # fmt: skip
