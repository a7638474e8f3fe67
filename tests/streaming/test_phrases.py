"""The default phrase lists: the hard-rule categories fire on what the customer asks or
says to the agent, not on the same words used for something else."""

from __future__ import annotations

import pytest

from streaming.scoring.phrases import PhraseBook

BOOK = PhraseBook.default()


@pytest.mark.parametrize(("text", "category"), [
    ("I want to speak to your manager.", "manager"),
    ("Could I talk to a supervisor, please?", "manager"),
    ("Get me someone in charge.", "manager"),
    ("You idiot, that is not what I said.", "abuse"),
    ("How dare you hang up on me!", "abuse"),
    ("I'm leaving you for another bank.", "cancel"),
    ("I'll go to the newspapers with this.", "regulator"),
])  # fmt: skip
def test_requests_threats_and_insults_aimed_at_the_agent_fire(text: str, category: str) -> None:
    assert category in BOOK.match("customer", text)


@pytest.mark.parametrize(("text", "category"), [
    ("The photos vanished after I opened the file manager.", "manager"),
    ("The store manager told me the part was on its way.", "manager"),
    ("Some idiots keep parking in front of my garage.", "abuse"),
    ("I need to leave you now, bye.", "cancel"),
    ("The mobile newspaper service stopped working.", "regulator"),
])  # fmt: skip
def test_the_same_words_about_something_else_do_not(text: str, category: str) -> None:
    assert category not in BOOK.match("customer", text)


def test_insults_about_others_still_count_as_profanity() -> None:
    assert "profanity" in BOOK.match("customer", "Some idiots keep parking in front of my garage.")


@pytest.mark.parametrize("text", [
    "It'll be with you tomorrow between 7 and 11.",
    "It can take up to 24 hours to settle.",
    "You'll see the credit on your next bill.",
    "It comes off next month's bill.",
    "The refund follows in five days.",
    "The engineer comes on Thursday morning.",
    "You'll get a text with a one-hour window.",
])  # fmt: skip
def test_an_agent_giving_a_timeframe_is_heard_as_one(text: str) -> None:
    assert "timeframe" in BOOK.match("agent", text)


def test_a_greeting_that_says_today_gives_no_timeframe() -> None:
    assert "timeframe" not in BOOK.match("agent", "Thanks for calling, how can I help you today?")
