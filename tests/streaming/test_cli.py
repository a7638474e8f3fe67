"""The console script: bad arguments get one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
import time

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
    # 0 events has no meaning: it used to record (or send) one, or none
    (["record", "--out", "/dev/null", "--max-events", "0"], "--max-events: must be 1 or more"),
    (["simulate", "--max-events", "0"], "--max-events: must be 1 or more"),
    # absurd sizes fail at once instead of hanging
    (["simulate", "--concurrency", "99999999999999999999"], "--concurrency: must be 1-10,000"),
    (["simulate", "--history-days", "1", "--calls-per-day", "99999999999999999999"],
     "--calls-per-day: must be 1-1,000,000"),
    (["simulate", "--speed", "1e-300"], "--speed: must be 0.001-1,000,000"),
    (["bench", "--events", "99999999999999999999"], "--events: must be 1-10,000,000"),
    (["prune", "--older-than-days", "0"], "--older-than-days: must be 7-36,500, got 0"),
    (["prune", "--older-than-days", "3"], "--older-than-days: must be 7-36,500, got 3"),
    (["prune"], "the following arguments are required: --older-than-days"),
    (["bench", "--pages", "--runs", "99999999999999999999"], "--runs: must be 1-1,000"),
    # run checks the simulator's arguments before it starts anything
    (["run", "--concurrency", "0"], "--concurrency: must be 1-10,000, got 0"),
    (["run", "--speed", "1e9"], "--speed: must be 0.001-1,000,000"),
    # the help said 1-366, and the error came later without naming the argument
    (["simulate", "--history-days", "367"], "--history-days: must be 1-366, got 367"),
    (["broker", "--partitions", "0"], "--partitions: must be 1-1,024, got 0"),  # pydantic's words
    # the last one was used, the first ignored in silence
    (["backtest", "--events", "a", "--events", "b"], "argument --events: given twice"),
    (["evaluate", "--data", "a", "--data", "b"], "argument --data: given twice"),
    (["prune", "--older-than-days", "7", "--older-than-days", "8"],
     "argument --older-than-days: given twice; it takes one N"),  # it said "one file"
    # found by a CLI review: "must be 0 or more" (0 is refused too), "greater than 0, got inf"
    (["evaluate", "--data", "x", "--limit", "-1"], "--limit: must be 1 or more, got -1"),
    (["record", "--out", "/dev/null", "--max-events", "-3"], "--max-events: must be 1 or more, got -3"),
    (["replay", "x", "--speed", "inf"], "--speed: must be a finite number greater than 0, got inf"),
    (["simulate", "--speed", "inf"], "--speed: must be a finite number greater than 0, got inf"),
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
    assert main(["score", "--store-url", "mysql://x"]) == 2  # an invalid setting (it was 1)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unsupported store URL" in err


def test_help_runs_from_the_installed_script():
    out = subprocess.run([sys.executable, "-m", "streaming.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for sub in ("run", "broker", "simulate", "score", "dashboard", "record", "replay"):
        assert sub in out
    # each command's line names its other mode (wrapped at any hyphen or space)
    out = "".join(out.split())
    assert "fillthestorewithpastcalls(--history-days)" in out and "pagetimes(--pages)" in out


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
    assert report["store"] == "sqlite"


def test_bench_times_the_stores_on_postgresql_in_schemas_of_its_own_and_drops_them(postgres, capsys):
    import json

    import psycopg

    url = postgres.new_database()
    assert main(["bench", "--events", "300", "--batch-size", "100", "--json", "--store-url", url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["store"] == "postgresql" and report["stages"][1]["events"] == 300
    # the rows went to PostgreSQL: its own count of them (the closed sessions' counts arrive
    # as their server processes exit, so it is read again for a few seconds)
    inserted, deadline = 0, time.monotonic() + 15
    while inserted <= 300 and time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            inserted = conn.execute("SELECT tup_inserted FROM pg_stat_database "
                                    "WHERE datname = current_database()").fetchone()[0]  # fmt: skip
        time.sleep(0.2)
    assert inserted > 300
    with psycopg.connect(url) as conn:  # nothing of the benchmark's is left, nothing else written
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'callheat_bench%'")
        assert schemas.fetchall() == []
        assert conn.execute("SELECT to_regclass('public.calls')").fetchone() == (None,)
    assert main(["bench", "--events", "300", "--store-url", "sqlite:///x.db"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "takes a postgresql:// URL" in err


def test_stopping_callheat_dashboard_stops_streamlit_too(tmp_path):
    import os
    import signal
    import time

    from streaming.broker import free_port, port_open

    port = free_port()
    env = {**os.environ, "CALLHEAT_DASHBOARD_PORT": str(port),
           "CALLHEAT_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "streaming.cli", "dashboard"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
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
        # started before any scorer wrote there (or at a mistyped path): it says so
        assert f"no store at {tmp_path / 'c.db'} yet: made an empty one" in proc.stderr.read()
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


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("callheat: error: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def signal_handlers():
    """Commands that get as far as stop_on_signals() take SIGINT from pytest: give it back."""
    import signal

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_bounds_are_in_the_help(capsys):
    for command, words in (("simulate", ["1-10,000", "1-1,000,000", "0.001-1,000,000", "1-366"]),
                           ("broker", ["1-1,024"]),
                           ("run", ["1-10,000"]), ("bench", ["1-10,000,000", "1-1,000"])):  # fmt: skip
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert all(w in out for w in words), (command, out)


@pytest.mark.parametrize("out", ["", "/proc/x", "{tmp}/missing/x.jsonl", "{tmp}"])
def test_record_to_a_file_that_cannot_be_opened_is_one_line(out, capsys, tmp_path):
    out = out.format(tmp=tmp_path)
    # the file is opened before any broker is needed: none is given
    assert main(["record", "--out", out, "--bootstrap-servers", "127.0.0.1:9"]) == 1
    assert f"--out {out!r}: cannot write to it" in one_line(capsys)


@pytest.mark.parametrize("command", [["replay"], ["backtest", "--events"]])
@pytest.mark.parametrize(("content", "words"), [
    ("[" * 100_000 + "]" * 100_000, "x.jsonl:2: not a JSON line (nested too deeply)"),
    ('{"n": ' + "9" * 5_000 + "}", "x.jsonl:2: not a JSON line (a number of more than 4300 digits)"),
    ("[1, 2]", "x.jsonl:2: expected a JSON object per line (a JSON array, not an object)"),
    ("null", "x.jsonl:2: expected a JSON object per line (null, not an object)"),
])  # fmt: skip
def test_a_line_json_cannot_hold_is_one_line(command, content, words, capsys, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"type": "call_started", "call_id": "c1"}\n' + content + "\n", encoding="utf-8")
    extra = ["--bootstrap-servers", "127.0.0.1:9"] if command == ["replay"] else []
    assert main([*command, str(path), *extra]) == 1
    assert words in one_line(capsys)


def _events(path, *stamps: str):
    path.write_text("".join(f'{{"type": "call_started", "call_id": "c1", "ts": "{ts}"}}\n'
                            for ts in stamps), encoding="utf-8")  # fmt: skip
    return str(path)


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_replay_of_a_file_with_no_event_is_one_line(content, capsys, tmp_path):
    """It said "replayed 0 events", exit 0, where evaluate and backtest say the file is empty."""
    path = tmp_path / "x.jsonl"
    path.write_text(content, encoding="utf-8")
    # checked before the broker is: none listens on port 9
    assert main(["replay", str(path), "--bootstrap-servers", "127.0.0.1:9"]) == 1
    assert one_line(capsys) == f"callheat: error: {path} holds no events\n"


def test_replay_keep_ts_needs_no_shift_in_range(capsys, tmp_path):
    path = _events(tmp_path / "x.jsonl", "9999-01-01T00:00:00Z", "0001-01-01T00:00:01Z")
    assert main(["replay", path, "--keep-ts", "--bootstrap-servers", "127.0.0.1:9"]) == 1
    assert "no broker reachable" in one_line(capsys)  # past the timing check


def test_replay_of_a_lone_surrogate_is_one_line(capsys, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"type": "call_started", "call_id": "\\ud800"}\n', encoding="utf-8")
    assert main(["replay", str(path), "--bootstrap-servers", "127.0.0.1:9"]) == 1
    assert "x.jsonl:1: a string in it is not valid Unicode" in one_line(capsys)


def test_a_broker_host_that_does_not_resolve_is_one_line(capsys, tmp_path, monkeypatch, signal_handlers):
    from streaming.broker import free_port

    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CALLHEAT_BROKER_HOST", "nonsense.invalid")
    assert main(["broker", "--port", str(free_port())]) == 1
    assert "host 'nonsense.invalid' is not an address" in one_line(capsys)


@pytest.mark.parametrize("command", ["broker", "run"])
@pytest.mark.parametrize(("data_dir", "words"), [
    ("/proc/x", "data directory /proc/x (CALLHEAT_DATA_DIR) cannot be created"),
    ("{tmp}/a-file", "data directory {tmp}/a-file (CALLHEAT_DATA_DIR) is a file"),
    ("{tmp}/a-file/data", "data directory {tmp}/a-file/data (CALLHEAT_DATA_DIR) cannot be created"),
])  # fmt: skip
def test_a_data_dir_that_cannot_be_made_is_one_line(command, data_dir, words, capsys, tmp_path,
                                                    monkeypatch, signal_handlers):  # fmt: skip
    from streaming.broker import free_port, port_open

    (tmp_path / "a-file").write_text("", encoding="utf-8")
    monkeypatch.setenv("CALLHEAT_DATA_DIR", data_dir.format(tmp=tmp_path))
    monkeypatch.setenv("CALLHEAT_STORE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    port = free_port()
    ports = ["--port", str(port)] if command == "broker" else ["--port", str(free_port()),
                                                               "--broker-port", str(port)]  # fmt: skip
    assert main([command, *ports]) == 1
    assert words.format(tmp=tmp_path) in one_line(capsys)
    assert not port_open("127.0.0.1", port)  # no broker was started


@pytest.mark.parametrize("command", ["dashboard", "run"])
@pytest.mark.parametrize(("url", "words", "code"), [
    ("mysql://x", "unsupported store URL 'mysql://x'", 2),  # an invalid setting
    ("sqlite:///{tmp}/a-file/y.db", "cannot open SQLite store at {tmp}/a-file/y.db", 1),
])  # fmt: skip
def test_a_store_url_that_does_not_open_is_one_line_before_anything_starts(command, url, words, code, capsys,
                                                                            tmp_path, monkeypatch):
    from streaming.broker import free_port, port_open

    (tmp_path / "a-file").write_text("", encoding="utf-8")
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path / "data"))
    port, broker_port = free_port(), free_port()
    extra = ["--broker-port", str(broker_port)] if command == "run" else []
    assert main([command, "--store-url", url.format(tmp=tmp_path), "--port", str(port), *extra]) == code
    assert words.format(tmp=tmp_path) in one_line(capsys)
    assert not port_open("127.0.0.1", port) and not port_open("127.0.0.1", broker_port)


KAFKA_COMMANDS = [["simulate"], ["score"], ["dashboard"], ["record", "--out", "{tmp}/o.jsonl"],
                  ["replay", "{tmp}/x.jsonl"], ["train", "--data", "{tmp}/x.jsonl"]]  # fmt: skip


@pytest.mark.parametrize("command", KAFKA_COMMANDS)
@pytest.mark.parametrize(("value", "why"), [
    ("nonsense", "no :port"), ("host:notaport", "port 'notaport' is not a number"),
    ("127.0.0.1:99999", "a port is 1-65535"), (":29092", "no host"),
    ("127.0.0.1:9092,", "'': no :port"), ("", "no :port"),
])  # fmt: skip
def test_bootstrap_servers_that_are_not_host_port_are_one_line_at_once(command, value, why, capsys,
                                                                        tmp_path):  # fmt: skip
    argv = [part.format(tmp=tmp_path) for part in command]
    assert main([*argv, "--bootstrap-servers", value]) == 2
    err = one_line(capsys)
    assert f"--bootstrap-servers: expected host:port[,host:port...], got {value!r} ({why})" in err


@pytest.mark.parametrize("command", KAFKA_COMMANDS)
@pytest.mark.parametrize(("prefix", "words"), [
    ("bad prefix!/", "only letters, digits, '.', '_' and '-' can be in a Kafka topic name"),
    ("a" * 300, "at most 231 characters (a Kafka topic name is at most 249), got 300"),
])  # fmt: skip
def test_a_topic_prefix_kafka_cannot_name_topics_with_is_one_line(command, prefix, words, capsys,
                                                                   tmp_path):  # fmt: skip
    argv = [part.format(tmp=tmp_path) for part in command]
    assert main([*argv, "--topic-prefix", prefix]) == 2
    assert f"--topic-prefix: {words}" in one_line(capsys)


def test_the_longest_topic_name_a_prefix_allows_is_legal():
    from streaming.settings import MAX_TOPIC_LEN, Settings

    longest = max(len(t) for t in Settings().topics.all())
    topics = Settings(topic_prefix="p" * (MAX_TOPIC_LEN - longest)).topics.all()
    assert max(len(t) for t in topics) == MAX_TOPIC_LEN
    with pytest.raises(ValueError, match="topic_prefix"):
        Settings(topic_prefix="p" * (MAX_TOPIC_LEN - longest + 1))


def test_bad_kafka_setting_from_the_environment_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("CALLHEAT_BOOTSTRAP_SERVERS", "nonsense")
    assert main(["score"]) == 2
    assert "setting bootstrap_servers (CALLHEAT_BOOTSTRAP_SERVERS): expected host:port" in one_line(capsys)


def test_a_closed_stdout_ends_quietly(tmp_path):
    import json
    import os

    from streaming.events import event_to_dict
    from streaming.simulator import SimConfig, generate
    from tests.streaming.test_learning import START

    path = tmp_path / "rec.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for _, event in generate(SimConfig(seed=4, calls=20, concurrency=5, start=START)):
            f.write(json.dumps(event_to_dict(event)) + "\n")
    read, write = os.pipe()
    os.close(read)  # what `| head -2` leaves once it has its lines
    try:
        proc = subprocess.run([sys.executable, "-m", "streaming.cli", "backtest", "--events", str(path)],
                              stdout=write, stderr=subprocess.PIPE, text=True)  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 141 and proc.stderr == ""


@pytest.mark.parametrize(("name", "value", "words"), [
    # kafka-python sends these two as int32 (JoinGroup): a larger one was accepted, then it logged
    # "'i' format requires -2147483648 <= number <= 2147483647" and the scorer never joined its group
    ("MAX_POLL_INTERVAL_MS", "999999999999", "less than or equal to 2147483647"),
    ("SESSION_TIMEOUT_MS", "2147483648", "less than or equal to 2147483647"),
    # a poll that long holds up stopping, the report and the checkpoint
    ("POLL_TIMEOUT_MS", "99999999", "less than or equal to 10000"),
    ("BATCH_MAX_RECORDS", "999999999999", "less than or equal to 100000"),
    ("LEARN_MAX_RECORDS", "999999999999", "less than or equal to 100000"),
    # inf turned the checkpoint off, and the closing of idle calls with it
    ("CHECKPOINT_EVERY_S", "inf", "finite number"),
    ("CHECKPOINT_EVERY_S", "1e9", "less than or equal to 3600"),
    ("IDLE_CALL_S", "inf", "finite number"),
    ("REFRESH_S", "inf", "finite number"),
    ("STALE_AFTER_S", "inf", "finite number"),  # a scorer that is down would never show as down
    # below two of the scorer's 10 s heartbeats, a quiet floor's scorer would show as down
    ("STALE_AFTER_S", "15", "greater than or equal to 20"),
    ("SERVICE_LEVEL_S", "inf", "finite number"),
    ("SERVICE_LEVEL_S", "nan", "finite number"),
    ("HOT_THRESHOLD", "nan", "finite number"),
    ("WARM_THRESHOLD", "inf", "finite number"),
    # the group id names the model checkpoint file: '' wrote models/.pkl
    ("GROUP_ID", "", "expected a consumer group id, got '' (empty)"),
    ("GROUP_ID", "  ", "expected a consumer group id, got '  ' (empty)"),
    ("GROUP_ID", "a/b", "'/' cannot be in a group id"),
    ("GROUP_ID", "g" * 252, "at most 251 bytes"),
    ("BROKER_HOST", "", "expected a host name or address, got ''"),
    ("DASHBOARD_HOST", " ", "expected a host name or address, got ' '"),
    ("DATA_DIR", "", "expected a directory, got ''"),  # it was the current directory
    ("STORE_URL", "sqlite:///", "expected sqlite:///PATH, got 'sqlite:///' (no path)"),
    ("CENTER_TIMEZONE", "Mars/Base", "expected a time zone name such as Europe/Paris"),
    ("RETENTION_DAYS", "3", "expected 0 (keep everything) or at least 7 days, got 3"),
    ("CENTER_TIMEZONE", "America", "got 'America'"),  # a directory of zones: was an OSError
    ("CENTER_TIMEZONE", "../etc/passwd", "expected a time zone name"),
    ("CENTER_WEEKEND", "sat,sunday,holiday", "expected weekday names such as sat,sun or fri,sat, got 'hol"),
    ("CENTER_WEEKEND", "mon,tue,wed,thu,fri,sat,sun", "leaves no working day"),
])  # fmt: skip
def test_a_setting_out_of_its_range_is_one_line(name, value, words, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(f"CALLHEAT_{name}", value)
    # replay checks its settings before the file it is given (missing: exit 1 had they passed)
    assert main(["replay", str(tmp_path / "x.jsonl")]) == 2
    err = one_line(capsys)
    assert f"setting {name.lower()} (CALLHEAT_{name}): " in err and words in err


def test_the_group_timeouts_at_their_bound_are_what_kafka_python_can_send():
    import struct

    from kafka.protocol.consumer.group import JoinGroupRequest
    from pydantic import ValidationError

    from streaming.settings import INT32_MAX, Settings

    def join(s: Settings) -> bytes:
        return JoinGroupRequest(group_id=s.group_id, session_timeout_ms=s.session_timeout_ms,
                                rebalance_timeout_ms=s.max_poll_interval_ms, member_id="",
                                group_instance_id=None, protocol_type="consumer", protocols=[],
                                max_version=7).encode(version=7)  # fmt: skip

    largest = Settings(max_poll_interval_ms=INT32_MAX, session_timeout_ms=INT32_MAX)
    assert join(largest)
    with pytest.raises(struct.error):
        join(largest.model_copy(update={"max_poll_interval_ms": INT32_MAX + 1}))  # not validated
    for name in ("max_poll_interval_ms", "session_timeout_ms"):
        with pytest.raises(ValidationError, match=name):
            Settings(**{name: INT32_MAX + 1})


@pytest.mark.parametrize(("warm", "hot"), [("0.9", None), ("0.5", "0.5"), ("0.6", "0.3")])
def test_a_warm_threshold_not_below_the_hot_one_is_one_line(warm, hot, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CALLHEAT_WARM_THRESHOLD", warm)
    if hot is not None:
        monkeypatch.setenv("CALLHEAT_HOT_THRESHOLD", hot)
    assert main(["replay", str(tmp_path / "x.jsonl")]) == 2
    assert (f"callheat: error: settings: warm_threshold ({warm}, CALLHEAT_WARM_THRESHOLD) must be below "
            f"hot_threshold ({hot or '0.7'}, CALLHEAT_HOT_THRESHOLD)") in one_line(capsys)


@pytest.mark.parametrize("group_id", ["", " "])
@pytest.mark.parametrize("command", [["train", "--data", "{tmp}/x.jsonl"], ["score", "--store-url", "mysql://x"]])
def test_an_empty_group_id_argument_is_one_line(command, group_id, capsys, tmp_path):
    """``--group-id ''`` was taken, and the model checkpoint written as models/.pkl."""
    argv = [part.format(tmp=tmp_path) for part in command]
    assert main([*argv, "--group-id", group_id]) == 2
    assert f"--group-id: expected a consumer group id, got {group_id!r} (empty)" in one_line(capsys)


def test_the_default_group_id_is_the_topic_prefix_s_and_names_the_checkpoint(monkeypatch, tmp_path):
    """Tenants sharing a broker through their topic prefixes shared the default group: the
    second tenant's scorer was assigned no partition and idled. Without a prefix, nothing
    changes for an existing install."""
    from streaming.children import settings_env
    from streaming.cli import build_parser, settings_from_args
    from streaming.settings import Settings

    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    plain = Settings()
    assert plain.group_id == "callheat-scorer"
    assert plain.checkpoint_path == tmp_path / "models" / "callheat-scorer.pkl"
    tenant = settings_from_args(build_parser().parse_args(["score", "--topic-prefix", "dt."]))
    assert tenant.group_id == "dt.callheat-scorer"
    assert tenant.checkpoint_path == tmp_path / "models" / "dt.callheat-scorer.pkl"
    # the same from the environment, and handed as it is to what `callheat run` starts
    monkeypatch.setenv("CALLHEAT_TOPIC_PREFIX", "r2.")
    assert Settings().group_id == "r2.callheat-scorer"
    monkeypatch.setenv("CALLHEAT_GROUP_ID", "r2.callheat-scorer")
    assert settings_env(Settings())["CALLHEAT_GROUP_ID"] == "r2.callheat-scorer"
    # a group id given is kept, whatever the prefix
    monkeypatch.setenv("CALLHEAT_GROUP_ID", "callheat-scorer")
    assert Settings().group_id == "callheat-scorer"
    args = build_parser().parse_args(["train", "--data", "x", "--group-id", "mine"])
    assert settings_from_args(args).group_id == "mine"


def test_a_prefixed_install_upgraded_is_told_how_to_keep_its_old_group(monkeypatch, tmp_path, caplog):
    from streaming.cli.preflight import warn_of_the_old_default_group
    from streaming.settings import Settings

    old = tmp_path / "models" / "callheat-scorer.pkl"
    old.parent.mkdir()
    old.write_bytes(b"")
    with caplog.at_level("WARNING", logger="callheat"):
        warn_of_the_old_default_group(Settings(data_dir=tmp_path))  # no prefix: its own group
        warn_of_the_old_default_group(Settings(data_dir=tmp_path, topic_prefix="dt.", group_id="x"))
        assert caplog.records == []
        warn_of_the_old_default_group(Settings(data_dir=tmp_path, topic_prefix="dt."))
    assert "set CALLHEAT_GROUP_ID=callheat-scorer" in caplog.text and "'dt.callheat-scorer'" in caplog.text


@pytest.mark.parametrize(("data_dir", "words"), [
    ("/proc/x", "data directory /proc/x (CALLHEAT_DATA_DIR) cannot be created"),
    # it exists, but nothing can be written in it
    ("/proc", "/proc/models in the data directory /proc (CALLHEAT_DATA_DIR) cannot be created"),
    ("{tmp}/a-file", "data directory {tmp}/a-file (CALLHEAT_DATA_DIR) is a file"),
    ("{tmp}/data", "{tmp}/data/models in the data directory {tmp}/data (CALLHEAT_DATA_DIR) is a file"),
])  # fmt: skip
def test_score_checks_its_data_dir_before_it_starts(data_dir, words, capsys, tmp_path, monkeypatch):
    """The scorer ran on with CALLHEAT_DATA_DIR=/proc/x, logging `model checkpoint not saved`
    every 30 s. (The store URL cannot open: had the data dir passed, that would be the error.)"""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "models").write_text("", encoding="utf-8")
    monkeypatch.setenv("CALLHEAT_DATA_DIR", data_dir.format(tmp=tmp_path))
    assert main(["score", "--store-url", "mysql://x"]) == 1
    assert words.format(tmp=tmp_path) in one_line(capsys)


def test_a_data_dir_that_exists_but_cannot_be_written_is_one_line(capsys, tmp_path, monkeypatch,
                                                                  signal_handlers):  # fmt: skip
    from streaming.broker import free_port, port_open

    monkeypatch.setenv("CALLHEAT_DATA_DIR", "/proc")
    port = free_port()
    assert main(["broker", "--port", str(port)]) == 1
    assert "data directory /proc (CALLHEAT_DATA_DIR) cannot be written to" in one_line(capsys)
    assert not port_open("127.0.0.1", port)


@pytest.mark.broker
def test_score_refuses_a_training_examples_topic_of_several_partitions_in_one_line(
    broker, capsys, tmp_path, monkeypatch, signal_handlers
):
    from streaming.broker import create_topics
    from streaming.settings import Settings

    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    topics = Settings(topic_prefix="cli-six-").topics
    create_topics(broker.bootstrap_servers, topics.all(), 6)  # training-examples too
    argv = ["score", "--bootstrap-servers", broker.bootstrap_servers, "--topic-prefix", "cli-six-"]
    assert main(argv) == 1
    assert one_line(capsys) == (
        "callheat: error: cli-six-training-examples has 6 partitions; it needs exactly 1 so every "
        "replica learns in the same order: recreate it with one partition\n")


@pytest.mark.parametrize("command", [["score", "--bootstrap-servers", "127.0.0.1:9"], ["dashboard"],
                                     ["simulate", "--history-days", "1"], ["bench", "--events", "10"]])
@pytest.mark.parametrize("url", [
    "postgresql://u:secretpw@[::1/db",  # urlsplit raised ValueError: a 40-line traceback
    "postgresql://u:secret%zzpw@127.0.0.1:1/db",  # libpq's message quoted the password
    "postgresql://u:secret%zzpw@[::1/db",
])  # fmt: skip
def test_a_malformed_postgresql_url_is_one_line_without_its_password(
    command, url, capsys, tmp_path, monkeypatch, signal_handlers
):
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    assert main([*command, "--store-url", url]) == 2  # an invalid setting
    err = one_line(capsys)
    assert "secret" not in err and "***" in err, err


def test_redacted_never_raises_and_hides_every_password():
    from streaming.store import redacted

    for url, hidden in [("postgresql://u:secretpw@[::1/db", "postgresql://u:***@[::1/db"),
                        ("postgresql://u:sec@ret@db/x", "postgresql://u:***@db/x"),
                        ("postgresql://u@db/x?sslmode=require&password=secret",
                         "postgresql://u@db/x?sslmode=require&password=***"),
                        ("postgresql://u:secret@db:notaport/x", "postgresql://u:***@db:notaport/x"),
                        ("mysql://x", "mysql://x"),
                        ("sqlite:///a@b:c.db", "sqlite:///a@b:c.db")]:  # fmt: skip
        assert redacted(url) == hidden


@pytest.mark.parametrize("command", [["score"], ["simulate"]])
def test_ctrl_c_while_waiting_for_a_broker_stops_at_once(command, tmp_path):
    """A Ctrl-C was ignored for about 30 s, while kafka-python's client waited for the broker."""
    import os
    import signal

    from streaming.broker import free_port

    env = {**os.environ, "CALLHEAT_DATA_DIR": str(tmp_path),
           "CALLHEAT_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}"}  # fmt: skip
    server = f"127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "streaming.cli", *command, "--bootstrap-servers", server]
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)  # started, and waiting for a broker
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=40)
        assert time.monotonic() - sent < 5 and proc.returncode == 130, err
        assert "no broker reachable at 127.0.0.1:" in err  # it was waiting for one
        assert "Traceback" not in err and "ERROR" not in err and "Exception" not in err, err
    finally:
        proc.kill()
        proc.wait()


def test_dashboard_on_a_busy_port_is_one_line_before_it_prints_an_address(capsys, tmp_path, monkeypatch):
    """It printed the address (another program's), then Streamlit's own words, exit 1."""
    import socket

    from streaming.cli.argtypes import MAX_HISTORY_DAYS
    from streaming.history import MAX_DAYS

    assert MAX_HISTORY_DAYS == MAX_DAYS
    monkeypatch.setenv("CALLHEAT_STORE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == (
        f"callheat: error: port {port} is in use (is a wallboard already running?); choose another "
        "with --port\n")


def test_a_misspelled_setting_variable_is_warned_of_once(monkeypatch, caplog, capsys, tmp_path):
    """CALLHEAT_BOOTSTRAP_SERVER=kafka:9092 quietly left the default 127.0.0.1:9092."""
    from streaming.children import settings_env
    from streaming.settings import Settings, unknown_variables

    monkeypatch.setenv("CALLHEAT_BOOTSTRAP_SERVER", "kafka:9092")
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))  # a known one: no warning
    with caplog.at_level("WARNING", logger="callheat"):
        assert main(["replay", str(tmp_path / "x.jsonl")]) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["CALLHEAT_BOOTSTRAP_SERVER is not a CallHeat setting: it is ignored (did you "
                        "mean CALLHEAT_BOOTSTRAP_SERVERS?)"]
    assert "no such file" in one_line(capsys)
    # what `callheat run` hands its children: every setting, and nothing they would warn of again
    env = settings_env(Settings())
    assert unknown_variables(env) == [] and "CALLHEAT_BOOTSTRAP_SERVER" not in env
    assert {f"CALLHEAT_{name.upper()}" for name in Settings.model_fields} <= set(env)


def test_the_default_store_is_in_the_data_dir(monkeypatch, tmp_path):
    """It was sqlite:///.callheat/callheat.db whatever CALLHEAT_DATA_DIR said."""
    from streaming.cli import build_parser, settings_from_args
    from streaming.settings import Settings

    monkeypatch.delenv("CALLHEAT_STORE_URL", raising=False)
    monkeypatch.delenv("CALLHEAT_DATA_DIR", raising=False)
    assert Settings().store_url.get_secret_value() == "sqlite:///.callheat/callheat.db"  # as before
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path / "d"))
    assert Settings().store_url.get_secret_value() == f"sqlite:///{tmp_path / 'd' / 'callheat.db'}"
    given = settings_from_args(build_parser().parse_args(["score", "--store-url", "sqlite:///x.db"]))
    assert given.store_url.get_secret_value() == "sqlite:///x.db" and given.data_dir == tmp_path / "d"
    monkeypatch.setenv("CALLHEAT_STORE_URL", "sqlite:///y.db")
    assert Settings().store_url.get_secret_value() == "sqlite:///y.db"


@pytest.mark.parametrize(("argv", "words"), [
    # ignored in silence
    (["bench", "--runs", "3"], "bench --runs is for --pages"),
    (["bench", "--pages", "--broker"], "bench --pages times the wallboard pages on SQLite: it takes no "
                                       "--broker"),
    (["bench", "--pages", "--store-url", "postgresql://u@h/db"], "it takes no --store-url"),
])  # fmt: skip
def test_bench_options_that_do_not_go_together_are_refused(argv, words, capsys):
    assert main(argv) == 2
    assert words in one_line(capsys)


def test_record_that_fails_before_recording_leaves_no_empty_file(broker, capsys, tmp_path):
    out = tmp_path / "r3.jsonl"
    argv = ["record", "--bootstrap-servers", broker.bootstrap_servers, "--topic-prefix", "zz-nothing-"]
    assert main([*argv, "--out", str(out)]) == 1
    assert "topic 'zz-nothing-call-events' does not exist" in one_line(capsys)
    assert not out.exists()
    out.write_text("kept\n", encoding="utf-8")  # a file that was there is left as it was
    assert main([*argv, "--out", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == "kept\n"


def test_prune_counts_then_deletes_calls_past_the_days_given(tmp_path, capsys):
    from streaming.store import CallRow, StoreBatch, TurnRow, open_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    for call_id, days_ago in (("old", 40), ("recent", 5)):
        ended = time.time() - days_ago * 86_400
        row = CallRow(call_id, "ended", "billing", "k1", updated_at=ended, ended_at=ended, last_seq=1)
        turn = TurnRow(call_id, 1, ended, "customer", "hi", 0, 900, 0.0, 0.1)
        store.apply(StoreBatch(calls={call_id: row}, turns=[turn]))
    store.close()
    assert main(["prune", "--older-than-days", "30", "--store-url", url, "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("would delete 1 calls that ended before ")
    assert main(["prune", "--older-than-days", "30", "--store-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("deleted 1 calls that ended before ") and "with 1 turns, from sqlite:///" in out
    assert main(["prune", "--older-than-days", "30", "--store-url", url]) == 0
    assert capsys.readouterr().out.startswith("nothing to delete: no call in sqlite:///")
    store = open_store(url)
    assert store.get_call("old") is None and store.get_call("recent") is not None
    store.close()


def test_prune_of_a_store_that_is_not_there_is_one_line_and_creates_none(tmp_path, capsys):
    missing = tmp_path / "typo.db"
    assert main(["prune", "--older-than-days", "30", "--store-url", f"sqlite:///{missing}"]) == 2
    assert f"no store at {missing}" in one_line(capsys) and not missing.exists()


@pytest.mark.parametrize("given", [["--log-level", "DEBUG"], ["--log-level=DEBUG"]])
def test_log_level_after_the_command_says_where_it_goes(given, capsys):
    """Found by a first-run review: "unrecognized arguments: --log-level DEBUG" and nothing more."""
    with pytest.raises(SystemExit) as info:
        main(["status", *given])
    assert info.value.code == 2
    assert one_line(capsys).endswith("(--log-level goes before the command: callheat --log-level DEBUG "
                                      "COMMAND)\n")  # fmt: skip
