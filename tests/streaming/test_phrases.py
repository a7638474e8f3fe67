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


@pytest.mark.parametrize(("text", "category"), [
    ("No, I don't want to cancel my account, I want it fixed.", "cancel"),
    ("I do not want to speak to a manager, just sort it out.", "manager"),
    ("I was told I had to cancel my subscription to change plans.", "cancel"),
    ("I'm not going to complain, it's fine.", "complaint"),
])  # fmt: skip
def test_a_threat_the_customer_negates_or_reports_is_not_one(text: str, category: str) -> None:
    assert category not in BOOK.match("customer", text)


@pytest.mark.parametrize(("text", "category"), [
    ("If I don't get a refund today I will cancel my account.", "cancel"),
    ("You don't listen, I want your manager.", "manager"),
    ("Can I please speak with the manager?", "manager"),
    ("I'm switching to another provider tomorrow.", "cancel"),
    ("I will never use your company again.", "cancel"),
    ("Then I'll see you in court.", "legal"),
    ("I will report this to the consumer council.", "regulator"),
    ("Go to hell, you liar.", "abuse"),
])  # fmt: skip
def test_a_threat_after_a_negation_of_something_else_still_counts(text: str, category: str) -> None:
    assert category in BOOK.match("customer", text)


def test_a_masked_swear_word_is_heard_and_a_word_it_resembles_is_not() -> None:
    assert BOOK.match("customer", "This f*ck*ng modem again") == {"profanity"}
    assert BOOK.find("customer", "This fucking modem again") == {"profanity": "fucking"}
    # '*' inside a word is a masking character, not any letter: "shut" is not "sh*t"
    assert BOOK.match("customer", "Please shut the door, the shot was fine") == set()


def test_an_agent_apologising_for_the_company_shows_empathy() -> None:
    assert "empathy" in BOOK.match("agent", "We are very sorry for the trouble this caused.")
    assert "empathy" in BOOK.match("agent", "Our apologies for the delay.")


def test_the_same_problem_as_other_people_is_no_repeat_contact() -> None:
    assert "repeat" not in BOOK.match("customer", "Lots of people nearby have the same problem.")
    assert "repeat" in BOOK.match("customer", "I still have the same problem after your fix.")


def test_a_curt_phrase_asked_as_a_question_is_not_curt() -> None:
    assert "curt" not in BOOK.match("agent", "Are you sure I can't help you find one? We have many.")
    assert "curt" in BOOK.match("agent", "Sorry, I can't help you. Goodbye.")


def test_a_clock_time_is_a_time_not_a_timeframe_promise() -> None:
    assert BOOK.find("agent", "Check-in is any time after 3pm.") == {"time": "3pm"}
    assert BOOK.find("agent", "It leaves at 07:15 from platform 2.") == {"time": "07:15"}


def test_a_regular_expression_that_does_not_compile_is_named() -> None:
    from streaming.errors import InvalidDataFile

    with pytest.raises(InvalidDataFile, match=r'^phrases.json: customer.manager\[0\] "re:\(unclosed" is '
                       r"not a valid regular expression: missing \), unterminated subpattern at position 0$"):
        PhraseBook.from_json('{"customer": {"manager": ["re:(unclosed"]}}')
