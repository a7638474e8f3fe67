"""Playbook detectors that missed what a supervisor reading the playbook expects, found by a
third review (own utterances, written for these tests): churn threats in other words than
"cancel", insults to the agent with masked swearing, repeat-contact phrases asked about
now rather than said of an earlier contact, and curt agent wording."""

from __future__ import annotations

import pytest

from streaming.scoring.phrases import PhraseBook
from tests.streaming.test_playbook_review import run

BOOK = PhraseBook.default()

# (speaker, category, text, meant): each was wrong before this review
MISSED = [
    # 1. churn threats in other words (playbook: "threatening to cancel or leave")
    ("customer", "cancel", "Close the account, I'm leaving", True),
    ("customer", "cancel", "I'm closing my account.", True),
    ("customer", "cancel", "Sort it out by Friday or I'm leaving.", True),
    ("customer", "cancel", "Shut down my account, I've had it.", True),
    ("customer", "cancel", "We're done with your company after this.", True),
    ("customer", "cancel", "I'm finished with you people.", True),
    ("customer", "cancel", "I won't be renewing my contract.", True),
    ("customer", "cancel", "I'm taking my money elsewhere.", True),
    ("customer", "cancel", "I'll never deal with you lot again.", True),
    ("customer", "cancel", "I am going to leave your bank.", True),
    ("customer", "cancel", "Why did you close my account?", False),  # a question about what was done
    ("customer", "cancel", "Did you cancel my order by mistake?", False),
    # 2. insults to the agent, with or without masked swearing (playbook 8)
    ("customer", "abuse", "You're f***ing useless", True),
    ("customer", "abuse", "You're f*cking useless", True),
    ("customer", "abuse", "You're f**king useless", True),
    ("customer", "abuse", "You're fuc*ing useless", True),
    ("customer", "abuse", "You lot are completely useless.", True),
    ("customer", "abuse", "Are you f***ing stupid?", True),
    ("customer", "abuse", "You absolute a**hole.", True),
    ("customer", "abuse", "Fu*k you and your refund.", True),
    ("customer", "abuse", "You're such a jerk.", True),
    ("customer", "abuse", "You useless piece of crap.", True),
    ("customer", "abuse", "You're not an idiot, I know it's the system.", False),
    ("customer", "abuse", "I'm not saying you're an idiot.", False),
    ("customer", "profanity", "This fuc*ing router again.", True),
    ("customer", "profanity", "What a load of s**t.", True),
    ("customer", "profanity", "This is cr*p.", True),
    # 3. repeat contact: the customer says they contacted before, not asks how things are now
    ("customer", "repeat", "Is it still not working?", False),
    ("customer", "repeat", "Is it still not working on your end?", False),
    ("customer", "repeat", "Still broken on your side?", False),
    ("customer", "repeat", "Why is it still not fixed?", False),
    ("customer", "repeat", "How many times a day does it drop out?", False),
    ("customer", "repeat", "Your sales team keep calling me.", False),
    ("customer", "repeat", "It's not the first time I've called about this.", True),
    ("customer", "repeat", "I'm calling again about my broadband.", True),
    ("customer", "repeat", "I've been calling you for weeks.", True),
    # 4. curt agent wording (playbook 3)
    ("agent", "curt", "That's your problem, not ours.", True),
    ("agent", "curt", "You're not listening to me.", True),
    ("agent", "curt", "Stop shouting at me.", True),
    ("agent", "curt", "Listen, I've told you three times already.", True),
]

# (speaker, category, text, meant): what the rules above must still do, or must not start doing
KEPT = [
    ("customer", "cancel", "I'm closing my account, I'm done with you", True),
    ("customer", "cancel", "Can you close my account today please?", True),
    ("customer", "cancel", "I'm not leaving, I just want it fixed.", False),
    ("customer", "cancel", "I'm not closing my account, just fix the bill.", False),
    ("customer", "cancel", "I don't want to leave, I've been with you ten years.", False),
    ("customer", "cancel", "I'm leaving for work at eight, can the engineer come before?", False),
    ("customer", "cancel", "I'm leaving the country next week, so I need the router sooner.", False),
    ("customer", "cancel", "You never asked where I'm leaving from.", False),
    ("customer", "cancel", "I deleted the account on my phone and added it again.", False),
    ("customer", "cancel", "It's not that I won't renew, I just want a better price.", False),
    ("customer", "cancel", "Are you done with my details?", False),
    ("customer", "cancel", "I'll leave it with you then.", False),
    ("customer", "abuse", "This f***ing router is useless.", False),  # harsh words, not at the agent
    ("customer", "profanity", "This f***ing router is useless.", True),
    ("customer", "abuse", "You're not useless, the app is.", False),
    ("customer", "abuse", "You're giving me useless answers.", False),
    ("customer", "repeat", "It's still not working, this is the third time I call", True),
    ("customer", "repeat", "I called yesterday about the same problem", True),
    ("customer", "repeat", "It's still not working.", True),
    ("customer", "repeat", "Why is it still not fixed? I reported it last week.", True),
    ("customer", "repeat", "How many times do I have to call you about this?", True),
    ("customer", "repeat", "How many times have I told you people!", True),
    ("customer", "repeat", "I keep calling and nobody helps.", True),
    ("customer", "repeat", "I can't remember how many times I've emailed you about this.", True),
    ("customer", "repeat", "It's not the first time this has happened to me.", False),  # no contact said
    ("customer", "repeat", "It's the first time I've called.", False),
    ("customer", "repeat", "I haven't been calling, my wife has.", False),
    ("customer", "complaint", "Don't you think that's ridiculous?", True),
    ("agent", "repeat", "Is it still not working on your end?", False),
    ("agent", "curt", "Could you stop shouting, please?", False),
    # ordinary calm calls the first version of these rules turned hot (found by a review of them)
    ("customer", "cancel", "Hi! I'm closing my account at the other bank and moving everything here.", False),
    ("customer", "cancel", "Just updating my address, we're moving abroad and we're leaving.", False),
    ("customer", "cancel", "We're terminating the contract with our old supplier to join you.", False),
    ("customer", "cancel", "I never renew manually, it's automatic isn't it", False),
    ("customer", "cancel", "We're not renewing the parking permit, we sold the car.", False),
    ("customer", "cancel", "If nobody's home, I'll leave.", False),
    ("customer", "cancel", "Are you done with this service visit?", False),
    ("customer", "cancel", "I need to close the account I opened by mistake", False),
    ("customer", "abuse", "Hi, can you collect the piece of junk in the front garden?", False),
    ("customer", "abuse", "Did you get the piece of rubbish I reported by the bins?", False),
    ("customer", "abuse", "You useless piece of junk.", True),
    ("agent", "curt", "Ah, that's your problem right there, the cable is loose.", False),
    ("agent", "curt", "That's your problem, not mine.", True),
    ("customer", "repeat", "I've been calling my mum all week and the line keeps dropping.", False),
    ("customer", "repeat", "I've been calling you all week about this.", True),
]


@pytest.mark.parametrize(("speaker", "category", "text", "meant"), MISSED + KEPT)
def test_phrase_rules(speaker: str, category: str, text: str, meant: bool) -> None:
    assert (category in BOOK.find(speaker, text)) is meant, BOOK.find(speaker, text)


def test_a_masked_insult_is_abuse_and_not_also_harsh_words() -> None:
    scorer, batch = run([("agent", "Hello, how can I help?"), ("customer", "You're f***ing useless")])
    state = scorer.calls["c1"]
    assert "abusive language" in state.reasons and not any(r.startswith("harsh words") for r in state.reasons)
    assert state.whisper == scorer.playbook.cue("abuse").whisper
    assert ("abuse", "situation") in {(p.practice, p.kind) for p in batch.practices}


def test_a_churn_threat_in_other_words_raises_risk_at_once() -> None:
    scorer, _ = run([("agent", "Hello, how can I help?"), ("customer", "Close the account, I'm leaving")])
    state = scorer.calls["c1"]
    assert state.risk >= 0.7 and "threatened to cancel" in state.reasons


def test_asking_whether_it_still_fails_is_no_repeat_caller() -> None:
    _, batch = run([("customer", "My internet keeps dropping."),
                    ("agent", "Is it still not working on your end?"),
                    ("customer", "Is it still not working? The light is red.")])  # fmt: skip
    assert "repeat_caller" not in {p.practice for p in batch.practices}
    _, batch = run([("customer", "It's still not working, this is the third time I call.")])
    assert "repeat_caller" in {p.practice for p in batch.practices}


# A bereaved customer closing an account is making a request, not threatening to leave
# (own utterances); a phone that "died" is no bereavement.
BEREAVEMENT = [
    ("My husband passed away last month.", True),
    ("I'm calling about my late father's account.", True),
    ("My mum died in March and I have the death certificate.", True),
    ("I'm the executor of my aunt's estate.", True),
    ("I lost my wife in June.", True),
    ("My phone died halfway through the last call.", False),
    ("She passed the exam, so she needs her own plan now.", False),
    ("He passed me to billing and hung up.", False),
    ("I lost my card on the bus.", False),
    ("There's a late fee on my account.", False),
]


@pytest.mark.parametrize(("text", "meant"), BEREAVEMENT)
def test_a_death_in_the_family_is_told_apart(text: str, meant: bool) -> None:
    assert ("bereavement" in BOOK.find("customer", text)) is meant, BOOK.find("customer", text)


@pytest.mark.parametrize("turns", [
    [("customer", "My husband passed away last month and I need to close our account.")],
    [("customer", "My dad died in March."), ("agent", "I'm so sorry for your loss."),
     ("customer", "Thank you. I need to cancel the contract, please.")],
])  # fmt: skip
def test_closing_the_account_of_someone_who_died_is_no_churn_threat(turns) -> None:
    scorer, batch = run([("agent", "Hello, how can I help?"), *turns])
    state = scorer.calls["c1"]
    assert "threatened to cancel" not in state.reasons and state.risk < 0.7, (state.risk, state.reasons)
    assert "cancel" not in {p.practice for p in batch.practices}


def test_a_dead_phone_does_not_void_a_churn_threat() -> None:
    scorer, _ = run([("agent", "Hello, how can I help?"),
                     ("customer", "My phone died again, I'm cancelling my contract.")])  # fmt: skip
    state = scorer.calls["c1"]
    assert state.risk >= 0.7 and "threatened to cancel" in state.reasons
