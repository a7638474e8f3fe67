"""Utterance timing: speaking rates, gaps, talk-over and holds."""

from __future__ import annotations

import random

import pytest

from streaming.simulator.timing import Hold, Turn, Voices, lay_out

VOICES = Voices(agent_wpm=150, customer_wpm=150)


def test_a_turn_lasts_its_words_at_the_speaking_rate():
    items, end = lay_out([Turn("customer", " ".join(["word"] * 150))], random.Random(1), VOICES)
    (turn,) = items
    assert turn.end_ms - turn.start_ms == pytest.approx(60_000, rel=0.1)
    assert end == turn.end_ms == turn.at_ms


def test_faster_pace_is_shorter_and_lower_confidence():
    text = " ".join(["word"] * 60)
    calm, _ = lay_out([Turn("agent", text)], random.Random(4), VOICES)
    rushed, _ = lay_out([Turn("agent", text, pace=1.3)], random.Random(4), VOICES)
    assert rushed[0].end_ms - rushed[0].start_ms < 0.85 * (calm[0].end_ms - calm[0].start_ms)
    assert rushed[0].confidence < calm[0].confidence


def test_talk_over_starts_before_the_previous_turn_ends():
    beats = [Turn("customer", " ".join(["angry"] * 40)),
             Turn("agent", "Okay, okay, but as I said,", overlap=True)]  # fmt: skip
    for seed in range(20):
        (c, a), _ = lay_out(beats, random.Random(seed), VOICES)
        assert a.start_ms < c.end_ms < a.end_ms
        assert a.at_ms >= c.at_ms


def test_gaps_follow_the_situation():
    def gap(kind: str) -> int:
        items, _ = lay_out([Turn("agent", "one two"), Turn("agent", "three", gap=kind)],
                           random.Random(2), VOICES)  # fmt: skip
        return items[1].start_ms - items[0].end_ms

    assert gap("quick") < 600 <= gap("lookup") and gap("dead_air") > 8_000


def test_holds_are_silent_and_timed():
    items, end = lay_out([Turn("agent", "Please hold."), Hold(42.5), Turn("agent", "Thanks.")],
                         random.Random(3), VOICES, start_ms=10_000)  # fmt: skip
    kinds = [i.kind for i in items]
    assert kinds == ["utterance", "hold_started", "hold_ended", "utterance"]
    assert items[0].start_ms > 10_000
    assert items[2].at_ms - items[1].at_ms == 42_500
    assert items[3].start_ms >= items[2].at_ms and end == items[3].end_ms
    assert [i.at_ms for i in items] == sorted(i.at_ms for i in items)


def test_chat_has_no_confidence_and_no_talk_over():
    chat = Voices(agent_wpm=70, customer_wpm=60, chat=True)
    items, _ = lay_out([Turn("customer", "hello there"), Turn("agent", "hi", overlap=True)],
                       random.Random(5), chat)  # fmt: skip
    assert all(i.confidence is None for i in items)
    assert items[1].start_ms > items[0].end_ms
