"""The console script: bad arguments get one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from streaming.cli import main


@pytest.mark.parametrize("argv, words", [
    (["simulate", "--speed", "0"], "must be greater than 0"),
    (["simulate", "--speed", "fast"], "expected a number"),
    (["simulate", "--calls", "-3"], "must be 0 or more"),
    (["run", "--port", "70000"], "a port is 1-65535"),
    (["replay"], "the following arguments are required: file"),
    (["frobnicate"], "invalid choice"),
    ([], "the following arguments are required: command"),
])
def test_bad_arguments_get_one_line_and_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("callheat")


def test_bad_setting_from_the_environment_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CALLHEAT_HOT_THRESHOLD", "2")
    assert main(["replay", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hot_threshold" in err


def test_replay_of_a_missing_file_is_a_clear_error(capsys, tmp_path):
    assert main(["replay", str(tmp_path / "nope.jsonl")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["replay"], ["backtest", "--events"], ["evaluate", "--data"],
                                     ["train", "--data"]])  # fmt: skip
@pytest.mark.parametrize(("content", "words"), [
    (b'{"type": "call_started", "call_id": "caf\xe9"}\n', "x.jsonl:1: not UTF-8 text"),
    (None, "cannot read"),  # a directory
])  # fmt: skip
def test_an_unreadable_input_file_is_one_line(command, content, words, capsys, tmp_path):
    path = tmp_path / "x.jsonl"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    # the file is read before any broker is needed: none is given
    assert main([*command, str(path), *(["--bootstrap-servers", "127.0.0.1:9"]
                                        if command[0] in ("replay", "train") else [])]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("callheat: error:")


def test_unreachable_store_url_scheme_is_one_line(capsys):
    assert main(["score", "--store-url", "mysql://x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unsupported store URL" in err


def test_help_runs_from_the_installed_script():
    out = subprocess.run([sys.executable, "-m", "streaming.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for sub in ("run", "broker", "simulate", "score", "dashboard", "record", "replay"):
        assert sub in out


def test_run_refuses_a_busy_broker_port_in_one_line(broker, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from streaming.broker import free_port

    code = main(["run", "--broker-port", str(broker.port), "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"port {broker.port} is in use" in err and "--broker-port" in err


def test_bench_reports_each_stage_as_json(capsys):
    import json

    assert main(["bench", "--events", "400", "--batch-size", "100", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"] == 400 and report["peak_rss_mb"] > 0
    assert [s["stage"] for s in report["stages"]] == ["score", "score+store"]
    assert all(s["events"] == 400 and s["events_per_s"] > 0 for s in report["stages"])


def test_stopping_callheat_dashboard_stops_streamlit_too(tmp_path):
    import os
    import signal
    import time

    from streaming.broker import free_port, port_open

    port = free_port()
    env = {**os.environ, "CALLHEAT_DASHBOARD_PORT": str(port),
           "CALLHEAT_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "streaming.cli", "dashboard"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert port_open("127.0.0.1", port), "the wallboard never answered"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) is not None
        deadline = time.monotonic() + 20
        while port_open("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not port_open("127.0.0.1", port), "Streamlit outlived callheat dashboard"
    finally:
        proc.kill()


@pytest.mark.parametrize(
    "command", [["replay", "{file}"], ["record", "--out", "{out}"], ["train", "--data", "{data}"]]
)
def test_a_broker_nobody_listens_on_is_one_line_at_once(command, capsys, tmp_path, monkeypatch):
    """kafka-python alone would retry for 30 s, logging each attempt, before giving up."""
    from streaming.broker import free_port
    from tests.streaming.test_evaluate import write

    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "call_started", "call_id": "c1"}\n', encoding="utf-8")
    paths = {"file": events, "out": tmp_path / "out.jsonl", "data": write(tmp_path / "d.jsonl", 2, True)}
    argv = [part.format(**paths) for part in command]
    assert main([*argv, "--bootstrap-servers", f"127.0.0.1:{free_port()}"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no broker reachable at 127.0.0.1:" in err
