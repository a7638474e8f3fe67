"""`callheat broker`: the embedded Tansu broker as a command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from kafka import KafkaAdminClient

from streaming.broker import free_port, port_open
from streaming.settings import Topics

pytestmark = pytest.mark.broker


def test_broker_command_creates_topics_and_stops_on_sigterm(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streaming.cli", "broker", "--port", str(port), "--partitions", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        while line and "topics created" not in line:
            line = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in line
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        topics = set(admin.list_topics())
        assert set(Topics.with_prefix("").all()) <= topics
        described = admin.describe_topics(["call-events"])
        assert len(described[0]["partitions"]) == 2
        admin.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not port_open("127.0.0.1", port)  # the Tansu process went with it


def test_broker_goes_when_the_command_is_killed(tmp_path):
    """SIGKILL gives `callheat broker` no chance to stop Tansu: the kernel does (children.py)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streaming.cli", "broker", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        while line and "topics created" not in line:
            line = proc.stdout.readline()
        assert port_open("127.0.0.1", port)
    finally:
        proc.kill()
        proc.wait(timeout=20)
    deadline = time.monotonic() + 10
    while port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not port_open("127.0.0.1", port)


def test_broker_command_refuses_a_port_in_use(tmp_path, broker):
    out = subprocess.run(
        [sys.executable, "-m", "streaming.cli", "broker", "--port", str(broker.port)],
        cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        f"callheat: error: port {broker.port} on 127.0.0.1 is already in use")
