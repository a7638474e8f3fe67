"""record -> file -> replay, against the real broker."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import datetime

import pytest

from streaming.errors import ConfigError
from streaming.recorder import read_lines, record, replay
from tests.factories import angry_call, calm_call
from tests.streaming.test_consumer import events_of, publish, read_topic

pytestmark = pytest.mark.broker


def test_record_then_replay_keeps_events_and_their_gaps(new_kafka_settings, tmp_path):
    source, target = new_kafka_settings(), new_kafka_settings()
    scripts = (angry_call(), calm_call(customer_id="k2"))
    sent = events_of(*scripts)
    publish(source, sent)
    path = tmp_path / "day.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        n = record(source, out, from_beginning=True, max_events=len(sent), idle_timeout_s=20)
    assert n == len(sent)
    recorded = [line.obj for line in read_lines(path)]
    assert sorted(json.dumps(o, sort_keys=True) for o in recorded) == sorted(
        json.dumps(d, sort_keys=True) for s in scripts for d in s.dicts())

    # the two calls' events interleave in time; replay at 1000x keeps their order per call
    assert replay(target, path, speed=1000) == len(sent)
    got = [json.loads(m.value) for m in read_topic(target, target.topics.call_events, len(sent))]
    assert len(got) == len(sent)
    for script in scripts:
        mine = [g for g in got if g["call_id"] == script.call_id]
        assert [g["seq"] for g in mine] == [e.seq for e in script.events]
        ts = [datetime.fromisoformat(g["ts"]) for g in mine]
        gaps = [(b - a).total_seconds() for a, b in zip(ts, ts[1:], strict=False)]
        original = [(b.ts - a.ts).total_seconds() / 1000
                    for a, b in zip(script.events, script.events[1:], strict=False)]
        assert gaps == pytest.approx(original, abs=0.002)  # shifted to now, compressed x1000


def test_replay_rejects_a_file_that_is_not_json_lines(kafka_settings, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "call_abandoned"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.jsonl:2: not a JSON line"):
        replay(kafka_settings, path, speed=100, stop=threading.Event())


def test_record_skips_messages_its_readers_would_refuse(kafka_settings, tmp_path, caplog):
    good = b'{"type":"call_started","call_id":"c1"}'
    refused = [b"[" * 100_000 + b"]" * 100_000, b'{"n":' + b"9" * 5_000 + b"}", b"[1,2]", b"null",
               b"not json", b'{"call_id":"\\ud800"}', None]  # fmt: skip
    # one key, one partition: the good event is read after every refused one
    publish(kafka_settings, [("c1", value) for value in [*refused, good]])  # type: ignore[misc]
    path = tmp_path / "rec.jsonl"
    with caplog.at_level("WARNING", logger="streaming.recorder"), open(path, "w", encoding="utf-8") as out:
        assert record(kafka_settings, out, from_beginning=True, max_events=1, idle_timeout_s=20) == 1
    assert [line.obj for line in read_lines(path)] == [json.loads(good)]
    assert f"skipped {len(refused)} messages that were not JSON objects" in caplog.text
    for reason in ("nested too deeply", "a number of more than 4300 digits", "a JSON array, not an object",
                   "null, not an object", "not valid Unicode", "no value"):  # fmt: skip
        assert reason in caplog.text


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_record_to_a_full_disk_is_one_line(kafka_settings, capsys):
    from streaming.cli import main

    publish(kafka_settings, [("c1", b'{"type":"call_started","call_id":"c1"}')])
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        code = main(["record", "--out", "/dev/full", "--from-beginning", "--max-events", "1",
                     "--idle-timeout", "20", "--bootstrap-servers", kafka_settings.bootstrap_servers,
                     "--topic-prefix", kafka_settings.topic_prefix])  # fmt: skip
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    err = capsys.readouterr().err
    assert code == 1
    assert err == "callheat: error: --out '/dev/full': cannot write to it: No space left on device\n"


def test_a_replay_whose_sends_the_broker_refuses_exits_1_in_one_line_saying_how_many_got_out(
    own_broker, tmp_path, capsys
):
    """Found by a code review: replay flushed and reported every event "replayed" while the
    broker refused them (kafka-python's flush() does not raise). The test's own broker is
    restarted for real between the file's first event and its second: the restarted broker
    refuses the replay's producer id, the fatal state of kafka-python's producer."""
    from streaming.broker import create_callheat_topics
    from streaming.cli import main
    from streaming.settings import Settings

    own = Settings(bootstrap_servers=own_broker.bootstrap_servers, partitions=1)
    create_callheat_topics(own.bootstrap_servers, own.topics, own.partitions)
    path = tmp_path / "day.jsonl"
    path.write_text("".join(
        json.dumps({"type": "call_started", "call_id": f"c{i}", "ts": f"2026-01-05T09:00:0{s}+00:00"}) + "\n"
        for i, s in enumerate((0, 6, 7))), encoding="utf-8")  # fmt: skip
    restarted = threading.Event()

    def restart_after_the_first_event() -> None:
        if read_topic(own, own.topics.call_events, 1, timeout_s=5):
            own_broker.stop()
            own_broker.start()  # in memory: it starts empty, and knows no producer id
            create_callheat_topics(own.bootstrap_servers, own.topics, own.partitions)
            restarted.set()

    restarter = threading.Thread(target=restart_after_the_first_event)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    restarter.start()
    try:
        code = main(["replay", str(path), "--speed", "1", "--bootstrap-servers", own.bootstrap_servers])
    finally:
        restarter.join()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert restarted.is_set()  # the restart came between the first event and the second
    captured = capsys.readouterr()
    assert code == 1 and "replayed" not in captured.out
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("callheat: error: replay stopped: "), err
    assert f"1 of the 3 events of {path} were published before it stopped" in err, err
