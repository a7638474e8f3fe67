"""``callheat run``: the embedded default, every part on one machine.

Starts the Tansu broker, creates the topics, then the scorer, the wallboard and the
simulator as child processes (each the same ``callheat`` subcommand you could run
by hand), prints the wallboard URL, and on Ctrl-C / SIGTERM stops them all.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streaming.broker import EmbeddedBroker, create_callheat_topics, port_open
from streaming.children import (
    dashboard_command,
    die_with_parent,
    settings_env,
    stop_children,
    stop_on_signals,
)
from streaming.errors import BrokerError, InUse
from streaming.settings import Settings
from streaming.store import open_store

log = logging.getLogger(__name__)

LOCK_FILE = "run.lock"  # in the data directory: which callheat run holds it (its pid)


def _exited(children: dict[str, subprocess.Popen[bytes]]) -> tuple[str, int] | None:
    """The first child that ended when it should not have (a simulator of --calls N ends
    with 0 when it is done), and its exit code."""
    for name, proc in children.items():
        code = proc.poll()
        if code is not None and not (name == "simulator" and code == 0):
            return name, code
    return None


def _wait_http(url: str, timeout_s: float, stop: threading.Event,
               children: dict[str, subprocess.Popen[bytes]]) -> bool:  # fmt: skip
    """Whether ``url`` answered 200 within ``timeout_s``; False at once when stopped or when a
    child ended (the wallboard failing to start, say: it was waited for in vain for 60 s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stop.is_set() and not _exited(children):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - our own localhost URL
                if r.status == 200:
                    return True
        except OSError:
            pass
        stop.wait(0.3)
    return False


def run_all(settings: Settings, *, seed: int, calls: int, concurrency: int, speed: float) -> int:
    if port_open(settings.dashboard_host, settings.dashboard_port):
        raise BrokerError(f"port {settings.dashboard_port} is in use (is CallHeat already running?); "
                          "choose another with --port")
    if port_open(settings.broker_host, settings.broker_port):
        raise BrokerError(f"port {settings.broker_port} is in use (is a broker already running?); "
                          "choose another with --broker-port")

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with holding(settings.data_dir):
        return _run(settings, seed=seed, calls=calls, concurrency=concurrency, speed=speed)


@contextmanager
def holding(data_dir: Path) -> Iterator[None]:
    """This run's hold on ``data_dir`` (its store, checkpoint and broker log), or InUse, in one
    line, while another ``callheat run`` holds it: this run would close that one's live calls
    as left over and write the same checkpoint. The kernel lets go of a run killed however."""
    path = data_dir / LOCK_FILE
    with path.open("a+") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.seek(0)
            pid = held.read().strip() or "?"
            raise InUse(f"another callheat run (pid {pid}) is using the data directory {data_dir}; "
                        "stop it first, or give this one another CALLHEAT_DATA_DIR") from None  # fmt: skip
        held.seek(0)
        held.truncate()
        held.write(f"{os.getpid()}\n")
        held.flush()
        yield  # the lock goes with the file's close


def _run(settings: Settings, *, seed: int, calls: int, concurrency: int, speed: float) -> int:
    stop = stop_on_signals()
    broker = EmbeddedBroker(settings.broker_host, settings.broker_port,
                            log_path=settings.data_dir / "broker.log")  # fmt: skip
    broker.start()
    # the children feed and read the broker started here, on broker_port, never the
    # broker CALLHEAT_BOOTSTRAP_SERVERS names (a production Kafka, say)
    settings = settings.model_copy(update={"bootstrap_servers": broker.bootstrap_servers})
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        create_callheat_topics(broker.bootstrap_servers, settings.topics, settings.partitions)
        # The embedded broker keeps topics in memory: calls left live by an earlier run
        # can never end, so close them before this run starts.
        store = open_store(settings.store_url)
        closed = store.close_interrupted(time.time())
        store.close()
        if closed:
            log.info("closed %d calls left open by an earlier run", closed)
        env = settings_env(settings)
        me = [sys.executable, "-m", "streaming.cli"]
        # each child dies with this process, even one killed with SIGKILL (children.py)
        children["scorer"] = subprocess.Popen([*me, "score"], env=env, preexec_fn=die_with_parent())
        children["wallboard"] = subprocess.Popen(
            dashboard_command(settings), env=env, stdout=subprocess.DEVNULL, preexec_fn=die_with_parent())
        children["simulator"] = subprocess.Popen(
            [*me, "simulate", "--seed", str(seed), "--calls", str(calls),
             "--concurrency", str(concurrency), "--speed", str(speed)], env=env,
            preexec_fn=die_with_parent())  # fmt: skip
        url = f"http://{settings.dashboard_host}:{settings.dashboard_port}"
        if _wait_http(f"{url}/_stcore/health", 60, stop, children):
            print(f"\n  CallHeat wallboard: {url}\n  Ctrl-C stops everything.\n", flush=True)
        elif not stop.is_set() and not _exited(children):
            log.error("the wallboard did not answer at %s within 60 s", url)
            return 1
        while True:
            if (exited := _exited(children)) is not None:
                # Ctrl-C reaches the children too, and one may end before this process
                # has handled it: a stop that follows at once is a clean stop
                if stop.wait(0.5):
                    return 0
                name, code = exited
                log.error("%s exited with code %s; stopping", name, code)
                return 1
            if stop.wait(1.0):
                return 0
    finally:
        stop_children(children)
        broker.stop()
