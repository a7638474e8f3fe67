"""record -> file -> replay, against the real broker."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import UTC, datetime

import pytest

from streaming.errors import ConfigError
from streaming.recorder import MAX_WAIT_S, Schedule, read_lines, record, replay
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


def test_replay_does_not_wait_for_a_gap_of_more_than_a_day_and_says_so(kafka_settings, tmp_path, caplog):
    """Found by a CLI review: a recording whose first line was dated 1970, or with a line dated
    9999 (record keeps invalid events), made replay wait in silence, for 56 years at --speed 1."""
    stamps = ["1970-01-01T00:00:00Z", "2026-01-05T09:00:00Z", "2026-01-05T09:00:01Z",
              "9999-12-31T00:00:00Z", "2026-01-05T09:00:02Z"]  # fmt: skip
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps({"type": "hold_started", "call_id": "c1", "seq": i, "ts": ts}) + "\n"
                            for i, ts in enumerate(stamps)), encoding="utf-8")  # fmt: skip
    stop, sent = threading.Event(), []
    replayer = threading.Thread(target=lambda: sent.append(replay(kafka_settings, path, speed=10, stop=stop)))
    with caplog.at_level("WARNING", logger="streaming.recorder"):
        began = time.monotonic()
        replayer.start()
        replayer.join(timeout=30)
        stop.set()  # a replay still waiting gives up
        replayer.join()
    assert sent == [5] and time.monotonic() - began < 30
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        f"{path}:2: 56 years after line 1 (more than a day at --speed 10): sent right after it, without "
        "waiting",
        f"{path}:4: 7,974 years after line 3 (more than a day at --speed 10): sent right after it, without "
        "waiting",
        f"{path}:5: 7,974 years before line 4 (more than a day at --speed 10): sent right after it, without "
        "waiting",
    ]  # fmt: skip
    got = [json.loads(m.value) for m in read_topic(kafka_settings, kafka_settings.topics.call_events, 5)]
    assert [g["seq"] for g in got] == [0, 1, 2, 3, 4]  # one call: one partition, in order
    ts = [datetime.fromisoformat(g["ts"]) for g in got]
    # shifted to now, each line's time when it was sent: the 1 s gap at --speed 10, the others none
    offsets = [(t - ts[0]).total_seconds() for t in ts]
    assert offsets == pytest.approx([0, 0, 0.1, 0.1, 0.1], abs=0.002)
    assert abs((ts[0] - datetime.now(UTC)).total_seconds()) < 30


def test_a_gap_is_waited_for_up_to_a_day_of_real_time_whatever_the_speed():
    """A week-long recording keeps its nights at --speed 1, its weekend at --speed 3 (a 60 h gap,
    20 h of waiting); at --speed 1 the weekend is not waited for."""
    friday, monday = datetime(2026, 1, 9, 18, tzinfo=UTC), datetime(2026, 1, 12, 6, tzinfo=UTC)
    night = datetime(2026, 1, 10, 6, tzinfo=UTC)
    assert MAX_WAIT_S == 86_400
    at = Schedule(speed=1)
    assert [at.place(1, friday), at.place(2, night), at.place(3, monday)] == [0, 12 * 3600, 12 * 3600]
    assert [(s.line, s.after, s.gap_s) for s in at.skipped] == [(3, 2, 48 * 3600)]
    at = Schedule(speed=3)
    assert [at.place(1, friday), at.place(2, monday)] == [0, 20 * 3600] and not at.skipped
