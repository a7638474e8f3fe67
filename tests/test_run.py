"""`callheat run` end to end: the real broker, simulator, scorer and wallboard processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from streaming.broker import free_port
from streaming.store import open_store

pytestmark = pytest.mark.broker


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except OSError:
        return 0


def _start_run(data: Path, port: int, broker_port: int, *, env_port: bool = False) -> subprocess.Popen[str]:
    """``callheat run``; with ``env_port``, its broker port from CALLHEAT_BROKER_PORT, and a
    CALLHEAT_BOOTSTRAP_SERVERS nobody listens on that it must not feed (it did: the children
    followed it, not the broker run started)."""
    env = {**os.environ, "CALLHEAT_DATA_DIR": str(data),
           "CALLHEAT_STORE_URL": f"sqlite:///{data / 'callheat.db'}"}
    ports = ["--broker-port", str(broker_port)]
    if env_port:
        env.update(CALLHEAT_BROKER_PORT=str(broker_port),
                   CALLHEAT_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
        ports = []
    # Faster than the default x2 so the test is short; `make run` uses the defaults.
    return subprocess.Popen(
        [sys.executable, "-m", "streaming.cli", "run", "--port", str(port), *ports, "--speed", "6"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_for_wallboard(proc: subprocess.Popen[str], port: int, deadline: float) -> None:
    while _get(f"http://127.0.0.1:{port}/_stcore/health") != 200:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < deadline, "wallboard never answered"
        time.sleep(0.5)


def _leftovers(port: int, broker_port: int) -> list[str]:
    """Pids of a wallboard or a broker still serving this run's ports."""
    pattern = f"--server.port {port}|--listener-url tcp://127.0.0.1:{broker_port}"
    return subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True).stdout.split()


def test_run_serves_a_live_wallboard_and_stops_cleanly(tmp_path: Path):
    port, broker_port = free_port(), free_port()
    data = tmp_path / "data"
    proc = _start_run(data, port, broker_port, env_port=True)
    try:
        deadline = time.monotonic() + 90
        _wait_for_wallboard(proc, port, deadline)
        store = None
        most_live, hot = 0, None
        while time.monotonic() < deadline + 60 and not (most_live >= 20 and hot):
            if store is None and (data / "callheat.db").exists():
                store = open_store(f"sqlite:///{data / 'callheat.db'}")
            if store is not None:
                live = store.live_calls()
                most_live = max(most_live, len(live))
                hot = hot or next((c for c in live if c.level == "hot" and c.reasons), None)
            time.sleep(1)
        assert most_live >= 20
        assert hot is not None and hot.reasons
        # a second run on the same data directory, on ports of its own, is refused before it
        # touches anything (it closed this run's live calls as left over by an earlier run)
        env = {**os.environ, "CALLHEAT_DATA_DIR": str(data),
               "CALLHEAT_STORE_URL": f"sqlite:///{data / 'callheat.db'}"}  # fmt: skip
        second = subprocess.run([sys.executable, "-m", "streaming.cli", "run", "--port", str(free_port()),
                                 "--broker-port", str(free_port())], env=env, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        assert second.returncode == 1 and second.stderr.startswith(
            f"callheat: error: another callheat run (pid {proc.pid}) is using the data directory {data}; "
            "stop it first"), second.stderr  # fmt: skip
        assert store.query("SELECT COUNT(*) AS n FROM calls WHERE status = 'interrupted'", ())[0]["n"] == 0
        store.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            out, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode == 0, out
    # nothing logged an error, the shutdown included: the broker, in a session of its
    # own, is stopped last, after the scorer's last commit
    assert " ERROR " not in out, out
    assert _get(f"http://127.0.0.1:{port}/_stcore/health") == 0  # the wallboard is gone
    assert not _leftovers(port, broker_port)


def test_run_killed_with_sigkill_leaves_nothing_running(tmp_path: Path):
    """No handler runs on SIGKILL: the children go because the kernel tells them (children.py)."""
    port, broker_port = free_port(), free_port()
    proc = _start_run(tmp_path / "data", port, broker_port)
    try:
        _wait_for_wallboard(proc, port, time.monotonic() + 90)
        proc.kill()  # this process only, not its group: what the OOM killer or `kill -9` does
        proc.wait(timeout=10)
        deadline = time.monotonic() + 30
        while _leftovers(port, broker_port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _leftovers(port, broker_port)
        assert _get(f"http://127.0.0.1:{port}/_stcore/health") == 0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group, if the test failed
        except ProcessLookupError:
            pass
        for pid in _leftovers(port, broker_port):  # the broker has a session of its own
            os.kill(int(pid), signal.SIGKILL)


def test_run_refuses_one_port_for_the_wallboard_and_the_broker(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "CALLHEAT_DATA_DIR": str(tmp_path), "CALLHEAT_BROKER_PORT": str(port)}
    proc = subprocess.run([sys.executable, "-m", "streaming.cli", "run", "--port", str(port)], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and proc.stderr == (
        f"callheat: error: the wallboard and the broker cannot share port {port} (--port, "
        "CALLHEAT_BROKER_PORT): choose two ports\n")
    assert not _leftovers(port, port)


def test_run_notices_at_once_a_wallboard_that_could_not_start(tmp_path: Path):
    """It waited 60 s for the wallboard to answer, then blamed it for not answering."""
    port, broker_port = free_port(), free_port()
    env = {**os.environ, "CALLHEAT_DATA_DIR": str(tmp_path / "data"),
           "CALLHEAT_STORE_URL": f"sqlite:///{tmp_path / 'data' / 'callheat.db'}",
           "CALLHEAT_DASHBOARD_HOST": "192.0.2.1"}  # an address of no interface here: no bind
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "streaming.cli", "run", "--port", str(port),
                           "--broker-port", str(broker_port)], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1 and time.monotonic() - started < 40, proc.stderr
    assert "wallboard exited with code" in proc.stderr and "within 60 s" not in proc.stderr
    assert not _leftovers(port, broker_port)
