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


def test_run_serves_a_live_wallboard_and_stops_cleanly(tmp_path: Path):
    port, broker_port = free_port(), free_port()
    data = tmp_path / "data"
    env = {**os.environ, "CALLHEAT_DATA_DIR": str(data),
           "CALLHEAT_STORE_URL": f"sqlite:///{data / 'callheat.db'}"}
    # Faster than the default x2 so the test is short; `make run` uses the defaults.
    proc = subprocess.Popen(
        [sys.executable, "-m", "streaming.cli", "run", "--port", str(port), "--broker-port",
         str(broker_port), "--speed", "6"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while _get(f"http://127.0.0.1:{port}/_stcore/health") != 200:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "wallboard never answered"
            time.sleep(0.5)
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
    leftovers = subprocess.run(["pgrep", "-f", "--", f"--server.port {port}|--listener-url tcp://127.0.0.1:{broker_port}"],
                               capture_output=True, text=True).stdout.split()
    assert not leftovers
