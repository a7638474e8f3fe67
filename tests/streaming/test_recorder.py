"""record -> file -> replay, against the real broker."""

from __future__ import annotations

import json
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
