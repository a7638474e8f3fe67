"""Child processes that do not outlive the CallHeat process that started them.

A Ctrl-C or a SIGTERM stops CallHeat's children in order (``cli.stop_children``,
``EmbeddedBroker.stop``). A SIGKILL, or a crash of the interpreter, gives no such
chance: the broker would go on holding its port, and a scorer or a wallboard would
run on with nobody to stop them. On Linux each child therefore asks the kernel for a
SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``), which it handles as any
other stop. Elsewhere children are started as before.

The kernel sends the signal when the *thread* that started the child ends, so start
children from a thread that lives as long as they should (CallHeat starts them from
its main thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

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
