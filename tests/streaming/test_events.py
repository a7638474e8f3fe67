import json

import pytest

from streaming.errors import InvalidEvent
from streaming.events import (
    CallStarted,
    Utterance,
    encode,
    event_to_dict,
    parse_action,
    parse_event,
)
from tests.factories import angry_call

GOOD = {"type": "utterance", "call_id": "c1", "ts": "2026-01-05T09:00:00Z", "seq": 3,
        "speaker": "agent", "text": "hello", "start_ms": 100, "end_ms": 900}


def raw(**changes):
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...}).encode()


def test_every_event_type_round_trips():
    for event in angry_call().events:
        assert parse_event(encode(event_to_dict(event))) == event


def test_utterance_is_typed_and_times_are_utc():
    e = parse_event(raw(ts="2026-01-05T10:00:00+01:00"))
    assert isinstance(e, Utterance)
    assert e.ts.utcoffset().total_seconds() == 0 and e.ts.hour == 9
    assert e.seq == 3 and e.duration_ms == 800


def test_call_started_consent_defaults_to_true():
    e = parse_event(json.dumps({
        "type": "call_started", "call_id": "c", "ts": "2026-01-05T09:00:00Z", "queue": "q",
        "agent_id": "a", "agent_name": "A", "team": "t", "customer_id": "k", "channel": "voice",
        "language": "en", "wait_s": 3}).encode())
    assert isinstance(e, CallStarted) and e.consent is True and e.wait_s == 3.0


@pytest.mark.parametrize("payload, reason", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (raw(type="call_exploded"), "unknown event type"),
    (raw(call_id=...), "missing field 'call_id'"),
    (raw(call_id=""), "must not be empty"),
    (raw(ts="yesterday"), "not an ISO-8601 time"),
    (raw(ts="2026-01-05T09:00:00"), "has no timezone"),
    (raw(speaker="robot"), "must be one of customer, agent"),
    (raw(end_ms=50), "before start_ms"),
    (raw(start_ms=-1), "must be >= 0"),
    (raw(seq="7"), "must be a number"),
    (raw(text=5), "must be a string"),
    (raw(confidence=1.5), "must be <= 1"),
    (b'\xff\xfe', "not valid JSON"),
    # found by a QA pass: each of these crashed the scorer instead of going to the DLQ
    (raw(ts="0001-01-01T00:00:00+01:00"), "field 'ts' is out of range"),
    (raw(end_ms=...)[:-1] + b', "end_ms": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    (raw(seq=2**70), "must be at most"),
    (raw(end_ms=10**20), "must be at most"),
    (raw(text="hi \ud800 there"), "not valid Unicode"),  # a lone surrogate: the store refused it
    (raw(text="hi \x00 there"), "holds a NUL character"),  # PostgreSQL's text refuses it
    # found by an input review: these crashed the consumer (a crash loop on restart) or
    # were taken in a way nobody meant
    (None, "not valid JSON: no value"),  # a tombstone
    (raw(seq=...)[:-1] + b', "seq": 1' + b"0" * 400 + b"}", "a number of 401 digits"),
    (raw(seq=...)[:-1] + b', "seq": 1' + b"0" * 400 + b".0}", "must be finite"),  # json.loads reads inf
    (raw(type=...)[:-1] + b', "type": "utterance", "type": "call_ended"}', "field 'type' appears twice"),
    (raw().decode().encode("utf-16"), "not UTF-8"),
    (raw(call_id="c1\n\n# heading"), "field 'call_id' holds a control character"),
    (raw(speaker="agent\t"), "holds a control character"),
])
def test_invalid_events_say_why(payload, reason):
    with pytest.raises(InvalidEvent) as info:
        parse_event(payload)
    assert reason in info.value.reason


def test_a_queue_wait_beyond_a_week_is_refused():
    base = {"type": "call_started", "call_id": "c", "ts": "2026-01-05T09:00:00Z", "queue": "q",
            "agent_id": "a", "agent_name": "A", "team": "t", "customer_id": "k", "channel": "voice",
            "language": "en"}  # fmt: skip
    with pytest.raises(InvalidEvent, match="wait_s"):
        parse_event(json.dumps({**base, "wait_s": 1e308}))


@pytest.mark.parametrize("field", ["wait_s", "agent_name", "team", "queue"])
def test_call_started_refuses_what_no_figure_or_one_line_name_can_be(field):
    base = {"type": "call_started", "call_id": "c", "ts": "2026-01-05T09:00:00Z", "queue": "q",
            "agent_id": "a", "agent_name": "A", "team": "t", "customer_id": "k", "channel": "voice",
            "language": "en"}  # fmt: skip
    bad = 10**400 if field == "wait_s" else "Ana\n\n[Sign in again](https://example.invalid/sso)"
    with pytest.raises(InvalidEvent) as info:
        parse_event(json.dumps({**base, field: bad}))
    assert field in info.value.reason and len(info.value.reason) < 200  # one short line for the DLQ


def test_utterance_text_may_hold_line_breaks():
    assert parse_event(raw(text="first line\nsecond line")).text == "first line\nsecond line"


def test_an_id_or_name_with_an_invisible_format_character_is_refused_naming_it():
    """Found by a CLI review: a zero-width space made an id that looks like another, an RTL
    override a name shown reversed on the wallboard; they passed where a control character did
    not. Utterance text keeps them, and names the zero-width joiners (Persian, Malayalam, emoji)."""
    base = {"type": "call_started", "call_id": "c", "ts": "2026-01-05T09:00:00Z", "queue": "q",
            "agent_id": "a", "agent_name": "A", "team": "t", "customer_id": "k", "channel": "voice",
            "language": "en", "wait_s": 0}  # fmt: skip
    for field, value, reason in [
        ("call_id", "c1\u200b", "field 'call_id' holds the invisible format character U+200B "
         "(ZERO WIDTH SPACE)"),
        ("agent_name", "Ana \u202etfel", "field 'agent_name' holds the invisible format character U+202E "
         "(RIGHT-TO-LEFT OVERRIDE)"),
        ("team", "\ufeffTeam North", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ]:  # fmt: skip
        with pytest.raises(InvalidEvent) as info:
            parse_event(json.dumps({**base, field: value}))
        assert reason in info.value.reason
    assert parse_event(raw(text="right\u200b here \u202e")).text == "right\u200b here \u202e"
    persian = "\u0645\u06cc\u200c\u0631\u0627"  # with a zero-width non-joiner
    assert parse_event(json.dumps({**base, "agent_name": persian})).agent_name == persian


def test_an_action_dated_out_of_range_is_refused():
    with pytest.raises(InvalidEvent, match="out of range"):
        parse_action(json.dumps({"action_id": "x1", "call_id": "c", "supervisor_id": "s", "action": "monitor",
                                 "ts": "0001-01-01T00:00:00+01:00"}))  # fmt: skip


def test_call_ended_checks_disposition_and_csat():
    base = {"type": "call_ended", "call_id": "c", "ts": "2026-01-05T09:00:00Z"}
    assert parse_event(json.dumps({**base, "disposition": "resolved", "csat": 4})).csat == 4
    with pytest.raises(InvalidEvent, match="disposition"):
        parse_event(json.dumps({**base, "disposition": "happy"}))
    with pytest.raises(InvalidEvent, match="csat"):
        parse_event(json.dumps({**base, "disposition": "resolved", "csat": 9}))


def test_supervisor_actions_validate():
    base = {"action_id": "x1", "call_id": "c", "supervisor_id": "s", "ts": "2026-01-05T09:00:00Z"}
    a = parse_action(json.dumps({**base, "action": "whisper", "text": "Slow down", "agent_id": "a"}))
    assert a.text == "Slow down" and a.agent_id == "a"
    assert parse_action(json.dumps({**base, "action": "feedback", "label": "not_hot"})).label == "not_hot"
    with pytest.raises(InvalidEvent, match="needs a non-empty 'text'"):
        parse_action(json.dumps({**base, "action": "whisper", "text": " "}))
    with pytest.raises(InvalidEvent, match="feedback needs"):
        parse_action(json.dumps({**base, "action": "feedback"}))
    with pytest.raises(InvalidEvent, match="must be one of"):
        parse_action(json.dumps({**base, "action": "dance"}))
