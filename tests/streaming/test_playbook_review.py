"""Phrase rules and playbook cues found wrong by a review: each rule's miss and a false hit
it must not make (own utterances, written for these tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from streaming import events as ev
from streaming.center_clock import CenterClock, parse_weekend
from streaming.scoring import Scorer, practices
from streaming.scoring.phrases import PhraseBook
from streaming.scoring.practices import due_at, due_in_s
from streaming.store import StoreBatch

BOOK = PhraseBook.default()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00

# (speaker, category, text, meant)
CASES = [
    # 1. a mention or reported speech is no threat
    ("customer", "legal", "My daughter is a solicitor and she said you'd sort it", False),
    ("customer", "legal", "I used to work as an attorney, funnily enough", False),
    ("customer", "legal", "My solicitors will be writing to you", True),
    ("customer", "legal", "I'm going to get a lawyer involved", True),
    ("customer", "legal", "I'm passing this to my attorney", True),
    ("customer", "manager", "Your supervisor rang me on Tuesday and said it was sorted", False),
    ("customer", "manager", "The manager already told me that last week", False),
    ("customer", "manager", "Let me talk to your supervisor.", True),
    ("customer", "regulator", "I found your number on Twitter", False),
    ("customer", "regulator", "I'm going to post all of this on Facebook", True),
    ("customer", "regulator", "I'll be leaving a one star review", True),
    ("customer", "abuse", "My wife said to tell you to shut up, she's joking", False),
    # 2. escalations missed
    ("customer", "manager", "Get me someone above you, now", True),
    ("customer", "manager", "I want this escalated to management", True),
    ("customer", "manager", "put ur manager on", True),
    ("customer", "manager", "I want your manger", True),
    ("customer", "cancel", "Cancel my internet, I've had enough", True),
    ("customer", "cancel", "We're switching to a rival tomorrow", True),
    ("customer", "cancel", "I'm switching to paperless bills", False),
    ("customer", "cancel", "I'll be taking my business elsewhere then", True),
    ("customer", "cancel", "Can I cancel the delivery slot and pick another?", False),
    ("customer", "cancel", "I want out of my contract today", True),
    ("customer", "abuse", "oh f*** off will you", True),
    ("customer", "abuse", "shut the f*** up", True),
    ("customer", "abuse", "You're a complete idiot", True),
    ("customer", "abuse", "I felt like such an idiot", False),
    ("customer", "abuse", "I didn't call you a moron", False),
    ("customer", "formal_complaint", "I wish to lodge a complaint about this", True),
    ("customer", "formal_complaint", "I don't want to make a formal complaint, just fix it", False),
    # 3. reflect, options, recap in the agent's own words
    ("agent", "reflect", "So if I've got this right, the bill doubled in June?", True),
    ("agent", "reflect", "Correct me if I'm wrong, the parcel never came?", True),
    ("agent", "reflect", "To confirm your address, what's the postcode?", False),
    ("agent", "reflect", "Just to make sure you know, this call is recorded.", False),
    ("agent", "options", "I can credit the account or book a visit, whichever suits you.", True),
    ("agent", "options", "Would you rather have a voucher, or a refund?", True),
    ("agent", "options", "You could also have checked the app.", False),
    ("agent", "recap", "Quick recap before you go: the refund is on its way.", True),
    ("agent", "recap", "So to sum up, the engineer comes Friday.", True),
    # 4. empathy: an apology used as a filler or a "but" is no empathy
    ("agent", "empathy", "I'm sorry, but the fee is in the terms.", False),
    ("agent", "empathy", "I'm sorry, could you spell the surname?", False),
    ("agent", "empathy", "I understand that the plan changed, so the price went up.", False),
    ("agent", "empathy", "I'm truly sorry this dragged on.", True),
    ("agent", "empathy", "That sounds so stressful.", True),
    ("agent", "empathy", "I can see why you'd be upset about it.", True),
    ("agent", "empathy", "I fully understand.", True),
    # 5. callbacks: said, not denied, asked or reported
    ("agent", "callback", "We'll phone you on Wednesday with the result.", True),
    ("agent", "callback", "A colleague will give you a call tomorrow.", True),
    ("agent", "callback", "I can't guarantee anyone will call you back.", False),
    ("agent", "callback", "Has anybody said they'd call you back?", False),
    ("agent", "callback", "My colleague said he'd call you back, I see.", False),
    # 6. "when" and timeframes
    ("customer", "when", "Any idea when the credit will land?", True),
    ("customer", "when", "When's the engineer due?", True),
    ("customer", "when", "How long have I had this phone? Years.", False),
    ("agent", "timeframe", "Bear with me, give me five minutes to look.", False),
    # 8. repeat callers: the customer's own contacts
    ("customer", "repeat", "I phoned you on Friday about this exact problem", True),
    ("customer", "repeat", "I've been on the phone with your lot three times", True),
    ("customer", "repeat", "Second time lucky, I got a person!", False),
    ("customer", "repeat", "I haven't called before about this", False),
    ("customer", "repeat", "My sister called yesterday about her own bill", False),
    # 9. curt wording
    ("agent", "curt", "There's nothing else I can do.", True),
    ("agent", "curt", "That's just the way it is, I'm afraid.", True),
    ("agent", "curt", "It's not that I can't help you, I need the account first.", False),
]


@pytest.mark.parametrize(("speaker", "category", "text", "meant"), CASES)
def test_phrase_rules(speaker: str, category: str, text: str, meant: bool) -> None:
    assert (category in BOOK.find(speaker, text)) is meant, BOOK.find(speaker, text)


def test_a_masked_word_matches_a_run_of_masking_characters() -> None:
    assert BOOK.find("customer", "what the f***ing hell")["profanity"] == "f***ing"
    assert "abuse" in BOOK.find("customer", "f#@k you")


def test_a_vague_answer_is_no_timeframe() -> None:
    _, batch = run([("customer", "When will my refund come through?"),
                    ("agent", "Maybe next week, maybe the week after, I couldn't say.")])  # fmt: skip
    assert "timeframe_given" not in {p.practice for p in batch.practices}
    assert "no_timeframe" in lapses(batch)


def run(lines: list[tuple[str, str] | tuple[str, str, dict[str, str]]], t0: datetime = T0,
        gap_s: float = 10, timezone: tzinfo = UTC) -> tuple[Scorer, StoreBatch]:  # fmt: skip
    scorer, batch = Scorer(center=CenterClock(timezone)), StoreBatch()
    scorer.apply(ev.CallStarted("c1", t0, 0, queue="billing", agent_id="a1", agent_name="Ana",
                                team="Blue", customer_id="k1", channel="voice", language="en",
                                wait_s=12.0), batch)  # fmt: skip
    ms, t = 0, 0.0
    for i, line in enumerate(lines, start=1):
        t += gap_s
        if line[0] == "transfer":
            moved = {"type": "transfer", "call_id": "c1", "seq": i, "to_queue": "billing2",
                     "ts": (t0 + timedelta(seconds=t)).isoformat(), "to_agent_id": line[1]}
            scorer.apply(ev.event_from_dict(moved), batch)
            continue
        speaker, text = line[0], line[1]
        spoken = max(3500, 400 * len(text.split()))
        scorer.apply(ev.Utterance("c1", t0 + timedelta(seconds=t), i, speaker=speaker, text=text,
                                  start_ms=ms + 500, end_ms=ms + 500 + spoken), batch)  # fmt: skip
        ms += 500 + spoken
    return scorer, batch


def lapses(batch: StoreBatch) -> set[str]:
    return {p.practice for p in batch.practices if p.kind == "lapse"}


def test_a_mentioned_lawyer_does_not_turn_the_tile_red() -> None:
    scorer, _ = run([("agent", "Hello, how can I help?"),
                     ("customer", "My brother is a lawyer and he told me to ring you.")])  # fmt: skip
    assert scorer.calls["c1"].level != "hot"


def test_a_formal_complaint_is_a_hard_rule() -> None:
    scorer, _ = run([("agent", "Hello, how can I help?"),
                     ("customer", "I would like to lodge a formal complaint, please.")])  # fmt: skip
    state = scorer.calls["c1"]
    assert state.risk >= 0.7 and "wants to make a formal complaint" in state.reasons


def test_sorry_alone_does_not_acknowledge_but_reflecting_does() -> None:
    _, batch = run([("customer", "You billed me twice, this is unacceptable."),
                    ("agent", "I'm sorry about that."), ("customer", "Right."),
                    ("agent", "Let me pull the account up.")])  # fmt: skip
    assert "no_ack" in lapses(batch)
    _, batch = run([("customer", "You billed me twice, this is unacceptable."),
                    ("agent", "I'm sorry. Just so I'm clear, both payments left on the 3rd?"),
                    ("customer", "Yes."), ("agent", "Let me pull the account up.")])  # fmt: skip
    assert "no_ack" not in lapses(batch)


def test_the_boundary_line_after_abuse_is_no_lapse() -> None:
    _, batch = run([("customer", "You're a liar, all of you."),
                    ("agent", "I do want to help, and I need us to keep this respectful."),
                    ("customer", "Fine."), ("agent", "Thank you. Let me look.")])  # fmt: skip
    assert "no_ack" not in lapses(batch)


def test_a_promise_without_a_timeframe_is_a_lapse_and_with_one_is_not() -> None:
    _, batch = run([("customer", "My refund never arrived."),
                    ("agent", "I'll get that sorted and someone will be in touch.")])  # fmt: skip
    assert "no_timeframe" in lapses(batch)
    _, batch = run([("customer", "My refund never arrived."),
                    ("agent", "I'll get that sorted, you'll have it within 3 working days.")])  # fmt: skip
    assert "no_timeframe" not in lapses(batch)


def test_curt_wording_gets_its_own_whisper() -> None:
    scorer, _ = run([("customer", "The bill is wrong again."),
                     ("agent", "Like I said, the bill is right.")])  # fmt: skip
    assert scorer.calls["c1"].whisper == scorer.playbook.cue("curt").whisper


def test_one_transfer_is_no_lapse_and_a_second_is_the_handing_agents() -> None:
    _, batch = run([("customer", "My bill is wrong."), ("transfer", "a2"), ("agent", "Hi, taking over.")])
    assert "handoffs" not in lapses(batch)
    _, batch = run([("customer", "My bill is wrong."), ("transfer", "a2"), ("agent", "Hi, taking over."),
                    ("transfer", "a3"), ("agent", "Hello, it's Bo.")])  # fmt: skip
    [handoff] = [p for p in batch.practices if p.practice == "handoffs"]
    assert handoff.agent_id == "a2"


def test_a_manager_request_gets_a_whisper() -> None:
    scorer, _ = run([("customer", "Put a supervisor on the line.")])
    state = scorer.calls["c1"]
    assert state.whisper == scorer.playbook.cue("asked_manager").whisper
    assert state.reasons.count("asked for a manager") == 1


def test_abuse_is_not_said_twice_as_harsh_words() -> None:
    scorer, _ = run([("customer", "you moron, you utter moron")])
    reasons = scorer.calls["c1"].reasons
    assert "abusive language" in reasons and not any(r.startswith("harsh words") for r in reasons)


WEDNESDAY_8PM = datetime(2026, 3, 4, 20, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("text", "due"), [
    ("I'll ring you by Friday", "2026-03-06 17:00"),  # the coming Friday, end of the business day
    ("I'll ring you on Monday", "2026-03-09 17:00"),
    ("I'll ring you later today", "2026-03-04 23:59"),  # said after hours: by the end of today
    ("I'll ring you at 10am", "2026-03-05 10:00"),  # past today: tomorrow's
    ("I'll ring you tomorrow afternoon", "2026-03-05 17:00"),
    ("I'll ring you by end of day tomorrow", "2026-03-05 17:00"),
    ("Not today, I'm afraid, but I'll ring you tomorrow", "2026-03-05 17:00"),
    ("I'll ring you next week", "2026-03-13 17:00"),
    ("I'll ring you in a couple of days", "2026-03-06 20:00"),
    ("I'll ring you in 2 working days", "2026-03-06 20:00"),
    # a center review: dates and an hour with no am/pm had fallen back to a day, "no timeframe"
    ("I'll ring you on March 9th", "2026-03-09 17:00"),
    ("I'll ring you on the 15th", "2026-03-15 17:00"),
    ("I'll ring you on the 2nd", "2026-04-02 17:00"),  # this month's is past: next month's
    ("I'll ring you by the 3rd of April at 2pm", "2026-04-03 14:00"),
    ("I'll ring you Friday at 3", "2026-03-06 15:00"),  # at 3 in the afternoon, not 17:00
    ("I'll ring you tomorrow at 9", "2026-03-05 09:00"),
    ("I'll ring you at 4 o'clock tomorrow", "2026-03-05 16:00"),
])  # fmt: skip
def test_due_times_from_the_time_the_promise_is_said(text: str, due: str) -> None:
    at, said = due_at(text, WEDNESDAY_8PM)
    assert datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") == due and said


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("said", "text", "due"), [
    # 16:00 in New York is 21:00 UTC: the end of New York's business day is an hour off,
    # not tomorrow's 17:00 UTC (nor the end of the UTC day)
    ("2026-03-04 16:00", "I'll ring you by end of day", "2026-03-04 17:00"),
    ("2026-03-04 16:00", "I'll ring you by Friday", "2026-03-06 17:00"),
    ("2026-03-04 20:30", "I'll ring you tomorrow morning", "2026-03-05 12:00"),  # 01:30 UTC on the 5th
    ("2026-03-04 20:30", "I'll ring you at 9am", "2026-03-05 09:00"),
    # New York moves its clocks on Sunday 8 March: two working days from Friday 10:00 are
    # Tuesday 10:00 on New York's clock, 71 hours later, not 72
    ("2026-03-06 10:00", "I'll ring you in 2 working days", "2026-03-10 10:00"),
    # and two days from Saturday 10:00 are Monday 10:00 there, 47 hours later, not 48
    ("2026-03-07 10:00", "I'll ring you within 2 days", "2026-03-09 10:00"),
    ("2026-03-07 10:00", "I'll ring you within 48 hours", "2026-03-09 11:00"),
])  # fmt: skip
def test_due_times_are_the_centers_days_and_hours(said: str, text: str, due: str) -> None:
    ts = datetime.fromisoformat(said).replace(tzinfo=NEW_YORK).timestamp()
    at, given = due_at(text, ts, CenterClock(NEW_YORK))
    assert datetime.fromtimestamp(at, NEW_YORK).strftime("%Y-%m-%d %H:%M") == due and given


@pytest.mark.parametrize(("weekend", "text", "due"), [
    # said on Thursday 5 March 2026 at 10:00; a Friday-Saturday weekend ends the week on
    # Thursday and starts it on Sunday
    ("fri,sat", "I'll ring you by the end of the week", "2026-03-05 17:00 Thu"),
    ("fri,sat", "I'll ring you in 2 working days", "2026-03-09 10:00 Mon"),
    ("fri,sat", "I'll ring you next week", "2026-03-12 17:00 Thu"),
    ("sat,sun", "I'll ring you by the end of the week", "2026-03-06 17:00 Fri"),
    ("sat,sun", "I'll ring you in 2 working days", "2026-03-09 10:00 Mon"),
    ("sat,sun", "I'll ring you next week", "2026-03-13 17:00 Fri"),
    ("", "I'll ring you in 2 working days", "2026-03-07 10:00 Sat"),  # no weekend: open every day
    ("sun", "I'll ring you in 3 working days", "2026-03-09 10:00 Mon"),
])  # fmt: skip
def test_working_days_and_the_end_of_the_week_follow_the_centers_weekend(weekend: str, text: str,
                                                                         due: str) -> None:  # fmt: skip
    center = CenterClock(weekend=parse_weekend(weekend))
    at, given = due_at(text, datetime(2026, 3, 5, 10, 0, tzinfo=UTC).timestamp(), center)
    assert datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M %a") == due and given


def test_the_scorer_works_out_promises_on_the_centers_clock() -> None:
    said = datetime(2026, 3, 4, 16, 0, tzinfo=NEW_YORK)  # 21:00 UTC
    for timezone, due in ((NEW_YORK, "2026-03-04 22:00 UTC"), (UTC, "2026-03-04 23:59 UTC")):
        _, batch = run([("customer", "When will it be fixed?"),
                        ("agent", "I will call you back by end of day with the fix")],
                       t0=said, timezone=timezone)  # fmt: skip
        [promise] = batch.commitments
        assert practices.format_due(promise.due_at) == due


def test_no_timeframe_is_a_day_and_a_span_is_capped() -> None:
    assert due_at("I'll ring you back", WEDNESDAY_8PM) == (WEDNESDAY_8PM + 86_400, False)
    assert due_in_s("I'll ring you back within 400 weeks") == 90 * 86_400


def test_a_callback_offered_as_a_question_is_a_commitment_once_the_customer_says_yes() -> None:
    """A center review: "Shall I call you back tomorrow afternoon?" "Yes please" made no
    commitment (a question promises nothing until it is taken up); "No" still makes none."""
    _, batch = run([("customer", "My router keeps dropping out."),
                    ("agent", "Shall I call you back tomorrow afternoon once the engineer has looked?"),
                    ("customer", "Yes please, that would be great.")])  # fmt: skip
    [promise] = batch.commitments
    assert datetime.fromtimestamp(promise.due_at, UTC).strftime("%Y-%m-%d %H:%M") == "2026-03-03 17:00"
    assert promise.seq == 3 and "callback_promised" in {p.practice for p in batch.practices}
    _, batch = run([("customer", "My router keeps dropping out."),
                    ("agent", "Would you like me to call you back tomorrow?"),
                    ("customer", "No thanks, I'll hold on.")])  # fmt: skip
    assert batch.commitments == []


def test_a_callback_said_again_in_the_recap_is_one_commitment_and_a_later_timeframe_is_its_due() -> None:
    """A center review: a promise repeated in the agent's recap was a second commitment
    (two callbacks "promised" on the Trends page for one)."""
    scorer, batch = run([("customer", "The refund still hasn't arrived."),
                         ("agent", "I'll call you back tomorrow at 10am with an update."),
                         ("customer", "Okay."),
                         ("agent", "So to recap, I'll call you back tomorrow at 10am, and the refund "
                                   "should land by Friday.")])  # fmt: skip
    assert [c.seq for c in batch.commitments] == [2]
    _, batch = run([("customer", "The refund still hasn't arrived."),
                    ("agent", "Let me chase it and I'll call you back."),
                    ("customer", "When?"),
                    ("agent", "I'll call you back by 3pm tomorrow.")])  # fmt: skip
    # the second row is the first again, now due when said: the store keeps the last one
    assert [c.seq for c in batch.commitments] == [2, 2]
    due = datetime.fromtimestamp(batch.commitments[-1].due_at, UTC).strftime("%Y-%m-%d %H:%M")
    assert due == "2026-03-03 15:00"


def test_threats_to_leave_and_formal_complaints_come_with_a_whisper() -> None:
    """A center review: both go hot at once, but had no whisper for the supervisor."""
    for text, key in (("If this isn't fixed today I'm cancelling my contract.", "churn_threat"),
                      ("I want to make a formal complaint about this.", "formal_complaint")):
        scorer, batch = run([("customer", text)])
        state = scorer.calls["c1"]
        assert state.level == "hot" and state.whisper == scorer.playbook.cue(key).whisper, text
        assert (key, "situation") in {(p.practice, p.kind) for p in batch.practices}


def test_an_agent_closing_without_a_recap_gets_the_whisper_while_the_call_is_live() -> None:
    """A center review: "No recap" (playbook 12) was recorded once the call had ended, too late
    for its whisper. It shows when the agent closes, and is the agent's lapse only if the call
    ends without one."""
    lines = [("customer", "I need to change my address."),
             ("agent", "Of course, I've updated it now."),
             ("customer", "Thanks."),
             ("agent", "Is there anything else I can help you with today?")]  # fmt: skip
    scorer, batch = run(lines)
    assert scorer.calls["c1"].whisper == scorer.playbook.cue("no_recap").whisper
    assert "no_recap" not in lapses(batch)  # not yet: the agent may still recap
    scorer, batch = run([*lines, ("customer", "No, that's all."),
                         ("agent", "To recap, your new address is on file and your next bill goes there.")])
    assert scorer.calls["c1"].whisper != scorer.playbook.cue("no_recap").whisper
    scorer.apply(ev.CallEnded("c1", T0 + timedelta(minutes=5), 99, disposition="resolved"), batch)
    assert "no_recap" not in lapses(batch)


TUESDAY_2PM = datetime(2026, 3, 3, 14, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("text", "due"), [
    # a diff review: a date or a number mentioned in passing had overruled the day said
    ("You've called for the 3rd time, I'll ring you back tomorrow", "2026-03-04 17:00"),
    ("I'll ring you tomorrow about the payment you made on the 2nd", "2026-03-04 17:00"),
    ("I'll ring you on Friday about your bill from March 3rd", "2026-03-06 17:00"),
    ("I'll ring you tonight at 8", "2026-03-03 20:00"),  # not at 8 this morning: due at once
    ("I'll ring you this evening at 9", "2026-03-03 21:00"),
    ("I'll ring you today at 8", "2026-03-03 20:00"),  # 8 this morning is past
    ("Your order is at 2 of 5 stages; I'll ring you by 10am", "2026-03-04 10:00"),  # am/pm first
    ("I'll ring you tomorrow at 95", "2026-03-04 17:00"),  # no such hour: the day still counts
    ("I'll ring you tomorrow morning at 9", "2026-03-04 09:00"),
    # a second diff review
    ("I'll call you back March 9th with the engineer's report.", "2026-03-09 17:00"),
    ("I'll call you back the 9th of March once the part is in.", "2026-03-09 17:00"),
    ("About the statement of the 2nd of May: I'll ring you back tomorrow.", "2026-03-04 17:00"),
    ("The fee went up by 12, I'll call you back tomorrow.", "2026-03-04 17:00"),
    ("I'll ring you today at 3:30", "2026-03-03 15:30"),  # not 03:30, gone already
    ("I'll ring you at 5.30pm", "2026-03-03 17:30"),
    ("I'll ring you back at 3 tomorrow", "2026-03-04 15:00"),
])  # fmt: skip
def test_a_day_said_is_not_overruled_by_numbers_mentioned_beside_it(text: str, due: str) -> None:
    at, said = due_at(text, TUESDAY_2PM)
    assert datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") == due and said


def test_a_question_about_a_past_callback_or_a_reply_that_declines_is_no_promise() -> None:
    """A diff review: "Did someone promise to call you back last week?" "Yes, and nobody ever
    did!" was recorded as a callback promised, and "Okay no, ..." as taking one up."""
    for offer, reply in (("Did someone promise to call you back last week?", "Yes, and nobody ever did!"),
                         ("Shall I call you back tomorrow?", "Okay no, just sort it out now.")):
        _, batch = run([("customer", "Nobody got back to me."), ("agent", offer), ("customer", reply)])
        assert batch.commitments == [], offer


def test_a_recap_that_adds_the_hour_to_the_day_is_the_same_callback() -> None:
    """A diff review: "on Friday" then "on Friday at 10am" made two callbacks, one of them late."""
    _, batch = run([("customer", "The refund still hasn't arrived."),
                    ("agent", "I'll call you back on Friday with an update."),
                    ("customer", "Okay."),
                    ("agent", "So, I'll call you back on Friday at 10am."),
                    ("customer", "Thanks."),
                    ("agent", "And I'll call you back on Friday as I said.")])  # fmt: skip
    assert {c.seq for c in batch.commitments} == {2}
    due = datetime.fromtimestamp(batch.commitments[-1].due_at, UTC).strftime("%Y-%m-%d %H:%M")
    assert due == "2026-03-06 10:00"


def test_a_greeting_is_no_close_and_the_no_recap_cue_lasts_while_the_close_is_the_last_word() -> None:
    """A diff review: "Thank you for calling" in the greeting turned "No recap" on for the call."""
    scorer, _ = run([("agent", "Thank you for calling Acme, how can I help?"),
                     ("customer", "I need to change my address."),
                     ("agent", "Of course, I've updated it now.")])  # fmt: skip
    assert "no_recap" not in {c.key for c in scorer.playbook.lapses(scorer.calls["c1"], {})}
    scorer, _ = run([("customer", "I need to change my address."),
                     ("agent", "Of course, I've updated it now."),
                     ("customer", "Thanks."),
                     ("agent", "Is there anything else I can help you with?"),
                     ("customer", "Actually yes, my phone number too."),
                     ("agent", "Sure, what is the new number?")])  # fmt: skip
    assert "no_recap" not in {c.key for c in scorer.playbook.lapses(scorer.calls["c1"], {})}


def test_curt_words_turns_ago_do_not_hide_a_new_complaints_cue() -> None:
    """A review of the cues: curt wording anywhere in the call came first for the rest of it,
    so a new complaint twelve turns later whispered "Soften your wording" instead of its own."""
    scorer, _ = run([("customer", "The bill is wrong again."),
                     ("agent", "As I said, the bill is right."),
                     ("customer", "Okay, fine, thanks."),
                     ("agent", "Let me look at the other charges for you."),
                     ("customer", "And now I see you charged me twice for the same month, this is a joke.")])
    assert scorer.calls["c1"].whisper != scorer.playbook.cue("curt").whisper


def test_you_will_get_a_call_is_a_callback_promised() -> None:
    """A review of the cues: the simulator's agents' "You'll get a call within two working days"
    (16% of their promises) was never a commitment."""
    _, batch = run([("customer", "I want this looked at properly."),
                    ("agent", "I've logged it with the complaints team. "
                              "You'll get a call within two working days.")])  # fmt: skip
    [promise] = batch.commitments
    assert promise.due_at - promise.ts == 2 * 86_400  # Monday 09:00: Wednesday 09:00


@pytest.mark.parametrize("offer", ["I can call you back tomorrow if you like?",
                                   "I'll give you a call back tomorrow, is that alright?",
                                   "What if I give you a call back tomorrow?"])
@pytest.mark.parametrize("reply", ["Yes please.", "Yes, I'm not going anywhere.", "Yes, no rush.",
                                   "Sure, I'll wait for your call.", "Please do, I don't mind."])
def test_offers_in_other_words_taken_up_in_other_words_are_promises(offer: str, reply: str) -> None:
    """A second diff review: these offers were not read as offers, and these replies read as
    refusals, so an agreed callback was no commitment."""
    _, batch = run([("customer", "My router keeps dropping out."), ("agent", offer), ("customer", reply)])
    assert len(batch.commitments) == 1


def test_a_question_mid_call_is_no_close_and_a_conditional_call_is_no_promise() -> None:
    """A second diff review: "Was there anything else on the bill...?" showed "No recap", and
    "You'll get a call ... if anything else looks odd" was a callback due in a day."""
    scorer, batch = run([("customer", "My card was used abroad."),
                         ("agent", "I've blocked the card. You'll get a call from our fraud team if "
                                   "anything else looks odd."),
                         ("customer", "Thanks."),
                         ("agent", "Was there anything else on the statement that looked odd?")])  # fmt: skip
    assert batch.commitments == []
    assert "no_recap" not in {c.key for c in scorer.playbook.lapses(scorer.calls["c1"], {})}


def test_a_call_live_across_the_upgrade_keeps_its_promise_once_when_the_recap_repeats_it() -> None:
    """An upgrade review: a call state kept before callbacks were (promises only) took the
    recap's repeat of its promise for a second one."""
    import json

    from streaming.scoring.state import CallState

    scorer, batch = run([("customer", "The refund still hasn't arrived."),
                         ("agent", "I'll call you back within 24 hours with an update.")])  # fmt: skip
    assert len(batch.commitments) == 1
    old = json.loads(scorer.calls["c1"].to_json())
    del old["callbacks"]  # as the scorer before 2026-11-25 kept it
    scorer.calls["c1"] = CallState.from_json(json.dumps(old))
    later = StoreBatch()
    scorer.apply(ev.Utterance("c1", T0 + timedelta(seconds=40), 3, speaker="agent",
                              text="So to recap: I'll call you back within 24 hours with an update.",
                              start_ms=60_000, end_ms=65_000), later)  # fmt: skip
    assert later.commitments == [] and len(scorer.calls["c1"].promises) == 1
