import dataclasses
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from streaming import events as ev
from streaming.scoring import Scorer
from streaming.scoring.delivery import ended_from_json
from streaming.scoring.scorer import TOMBSTONE
from streaming.scoring.state import CallState
from streaming.store import StoreBatch
from tests.factories import T0, CallScript, angry_call, calm_call


def run(scorer, script):
    batch = StoreBatch()
    updates = []
    for e in script.events:
        updates += scorer.apply(e, batch).updates
    scorer.flush(batch)
    return batch, updates


def test_calm_call_stays_calm_and_angry_call_turns_hot_with_reasons():
    scorer = Scorer()
    calm, _ = run(scorer, calm_call())
    assert max(u.risk for u in [*calm.turns]) < 0.4
    assert calm.calls["calm-1"].status == "ended" and calm.calls["calm-1"].peak_risk < 0.4
    assert not calm.alerts

    angry, updates = run(scorer, angry_call())
    row = angry.calls["angry-1"]
    assert row.peak_risk >= 0.7
    assert len(angry.alerts) == 1  # turned hot once, with its reasons
    assert angry.alerts[0].reasons  # the alert says why
    last_turn = [u for u in updates if u.status == "live"][-1]
    assert last_turn.reasons[:2] == ("asked for a manager", "threatened to cancel")
    hot = [u for u in updates if u.level == "hot"]
    assert hot and all(u.reasons for u in hot)


def test_a_risk_the_learned_model_gives_for_the_agent_alone_says_so():
    """A calm call of an agent whose calls all escalated turns hot from the learned model's
    agent input, which no call-state feature accounts for: the tile still says why."""
    scorer = Scorer()
    for i in range(30):
        start = calm_call().events[0].ts + timedelta(minutes=10 * i)
        run(scorer, calm_call(f"bad{i}", ended=False, agent_id="a-bad", customer_id=f"x{i}",
                              start=start).end("escalated"))  # fmt: skip
        run(scorer, calm_call(f"good{i}", agent_id="a-good", customer_id=f"y{i}", start=start))
    batch, updates = run(scorer, calm_call("probe", ended=False, agent_id="a-bad", customer_id="new",
                                           start=start + timedelta(days=1)))  # fmt: skip
    assert batch.calls["probe"].level == "hot"
    assert "this agent's calls escalate often" in batch.calls["probe"].reasons
    assert all(u.reasons for u in updates if u.level == "hot")
    _, others = run(scorer, calm_call("probe-2", ended=False, agent_id="a-good", customer_id="new-2",
                                      start=start + timedelta(days=1)))  # fmt: skip
    assert all("this agent's calls escalate often" not in u.reasons for u in others)


def test_the_words_quoted_as_a_reason_are_never_an_account_number_read_out():
    """Found by a floor review: red tiles gave 'customer's words ("5", "k h")', from customers
    reading out an account number ("it's K H 2 0 6 6 3"): digits and one or two letters
    tell a supervisor nothing."""
    scorer = Scorer()
    start = calm_call().events[0].ts

    def call(i: int, ref: str) -> CallScript:
        return (CallScript(f"ref{i}", agent_id=f"a{i}", queue=f"q{i}", customer_id=f"x{i}",
                           start=start + timedelta(minutes=10 * i))
                .say("agent", "Hello, support desk speaking.")
                .say("customer", f"Hi, it's {ref}. The router drops again.")
                .say("agent", "Let me look that up for you."))  # fmt: skip

    for i in range(12):
        run(scorer, call(i, "K H 2 0 6 6 3").end("escalated"))
    batch, _ = run(scorer, call(99, "K H 2 0 6 6 3"))
    reason = next(r for r in batch.calls["ref99"].reasons if r.startswith("customer's words ("))
    quoted = reason[len("customer's words ("):-1].replace('"', "").split(", ")
    assert quoted and all(any(len(w) > 2 and not w.isdigit() for w in q.split()) for q in quoted), reason


def test_between_customer_turns_the_learned_part_of_a_risk_stands_while_other_calls_teach_the_model():
    """Found by a floor review: a tile went hot, calm, hot again within seconds (0.79 -> 0.39
    on an agent's turn) because the learned part of its risk was read again with what other
    calls' outcomes had just taught the model. It stands until the customer speaks again."""
    scorer = Scorer()

    def parcel(i: int, minute: float) -> CallScript:
        at = T0 + timedelta(minutes=minute)
        return (CallScript(f"p{i}", agent_id=f"a{i}", customer_id=f"x{i}", start=at)
                .say("agent", "Hello, support desk speaking.")
                .say("customer", "The parcel tracking has shown nothing since Monday.")
                .say("agent", "Let me check the courier's system."))  # fmt: skip

    for i in range(12):  # such calls escalate here...
        run(scorer, parcel(i, i).end("escalated"))
    probe = parcel(99, 20)
    *to_customer, agent_turn = probe.events
    batch = StoreBatch()
    for e in to_customer:
        scorer.apply(e, batch)
    said = scorer.calls["p99"].risk
    for i in range(12, 40):  # ... until they do not: the model learns it while p99 is live
        run(scorer, parcel(i, 20 + (i - 11) / 60).end("resolved"))
    now, _ = run(scorer, parcel(100, 21))  # the same words, heard after
    assert now.calls["p100"].risk < said - 0.15  # what the model says of such a call now
    scorer.apply(agent_turn, batch)
    assert abs(scorer.calls["p99"].risk - said) < 0.05  # p99's risk moves with its own turns only


def test_a_risk_only_the_centers_own_outcomes_explain_still_says_why():
    """Every call so far escalated, however calm: the learned model puts calm calls high.
    The reasons then quote the customer's words it learned from, or, for words it has
    never seen, say that many calls here escalate."""
    scorer = Scorer()
    start = calm_call().events[0].ts
    for i in range(12):  # each with its own agent and queue, so neither explains it
        run(scorer, calm_call(f"c{i}", ended=False, agent_id=f"a{i}", queue=f"q{i}", customer_id=f"x{i}",
                              start=start + timedelta(minutes=10 * i)).end("escalated"))  # fmt: skip
    same, _ = run(scorer, calm_call("same-words", ended=False, agent_id="new", queue="new",
                                    customer_id="n1", start=start + timedelta(days=1)))  # fmt: skip
    quoted = same.calls["same-words"].reasons[0]
    assert quoted.startswith("customer's words (")
    said = " ".join(t.text.lower() for t in same.turns if t.speaker == "customer")
    assert all(w in said for w in quoted[len("customer's words ("):-1].replace('"', "").split(", "))
    new_words = (CallScript("new-words", agent_id="new-2", queue="new-2", customer_id="n2",
                            start=start + timedelta(days=2))
                 .say("agent", "Hello, support desk speaking.")
                 .say("customer", "Morning. Requesting delivery rescheduling tomorrow."))  # fmt: skip
    batch, updates = run(scorer, new_words)
    assert batch.calls["new-words"].risk >= scorer.warm_threshold
    assert batch.calls["new-words"].reasons == ("many calls here escalate",)
    assert all(u.reasons for u in updates if u.risk >= scorer.warm_threshold)


def test_one_reason_says_the_customer_is_negative_not_three():
    from streaming.scoring.reasons import top_reasons

    s = CallState("c1", sentiment_ewm=-0.5, customer_ms=90_000)
    x = {"mean_negative": 0.5, "satisfaction_gap": 1.0, "negative_sentiment": 0.5, "customer_speech": 1.5,
         "customer_words": 2.3}  # fmt: skip
    contributions = {"mean_negative": 1.2, "satisfaction_gap": 1.1, "negative_sentiment": 1.0,
                     "customer_words": 0.9, "customer_speech": 0.8}  # fmt: skip
    assert top_reasons(contributions, x, s, limit=4) == [
        ("mean_negative", "customer negative on average (-0.50)"),
        ("customer_words", "customer has talked for 2 min"),
    ]


def test_every_reason_counts_as_one_kind_whatever_its_figures_and_quotes():
    """The trends page counts reasons by kind: "3rd transfer" and "5th transfer" are one, and
    "agent curt" whatever the agent said."""
    from streaming.scoring.reasons import PHRASES, describe, reason_kind

    def state(n: int, quote: str) -> CallState:
        s = CallState("c1", transfers=n, holds=n, talk_over=n, dead_air=n, negative_streak=n,
                      customer_ms=60_000 * n, queue="billing", repeat_caller=False)  # fmt: skip
        quoted = ("customer.complaint", "customer.profanity", "customer.repeat", "agent.curt", "agent.jargon")
        for key in quoted:
            s.quotes[key], s.phrases[key] = quote, 1
        return s

    for feature in PHRASES:
        texts = {t for n, v, q in [(1, 0.15, "third time"), (2, 0.6, "as i said"), (5, 4.5, "x")]
                 if (t := describe(feature, v, state(n, q))) is not None}  # fmt: skip
        kinds = {reason_kind(t) for t in texts}
        assert len(kinds) <= 1, (feature, texts, kinds)
        assert not any(c.isdigit() for k in kinds for c in k), (feature, kinds)


def test_a_playbook_cue_and_the_risk_feature_for_the_same_lapse_count_as_one_kind():
    """A call can show "no acknowledgement yet" (the playbook's cue) or "complaint not
    acknowledged" (the risk feature, once the agent answered): one problem on the trends page."""
    from streaming.scoring.playbook import SAME_AS_FEATURE, Playbook
    from streaming.scoring.reasons import PHRASES, describe, reason_kind

    s = CallState("c1", talk_over=2, queue="billing")
    s.quotes["agent.curt"], s.phrases["agent.curt"] = "calm down", 1
    book = Playbook.default()
    for cue_key, feature in SAME_AS_FEATURE.items():
        cue = book.cue(cue_key).reason
        text = describe(feature, 1.0, s) if feature in PHRASES else None
        if text is not None and feature not in {"negative_streak", "repeat_contact", "transfers"}:
            assert reason_kind(cue[:1].lower() + cue[1:]) == reason_kind(text), (cue_key, cue, text)
    assert reason_kind("billing calls escalate often") == reason_kind("retention calls escalate often")
    assert reason_kind("this agent's calls escalate often") != reason_kind("billing calls escalate often")


def test_small_amounts_are_not_given_as_reasons():
    from streaming.scoring.reasons import describe

    s = CallState("c1", customer_ms=10_000)
    assert describe("duration", 0.02, s) is None  # not a "long call (0 min)"
    assert describe("customer_speech", 10_000 / 60_000, s) is None
    assert describe("customer_questions", 1.0, s) == "customer asked a question"
    assert describe("duration", 0.6, s) is None  # a 6-minute call is an ordinary one
    assert describe("duration", 1.2, s) == "long call (12 min)"


def test_not_hot_quiets_a_live_call_until_it_gets_worse():
    from streaming import events as ev
    from streaming.scoring.rescoring import NOT_HOT_REASON

    scorer = Scorer()
    script = angry_call("loud-1", ended=False)  # ends asking for a manager, threatening to cancel
    batch, _ = run(scorer, script)
    assert batch.calls["loud-1"].level == "hot" and len(batch.alerts) == 1
    mark = ev.SupervisorAction("feedback", "nh-1", "loud-1", "sup-1", script.events[-1].ts, label="not_hot")
    batch = StoreBatch()
    scorer.apply_action(mark, batch)
    scorer.flush(batch)
    row = batch.calls["loud-1"]
    assert row.level == "warming" and row.risk >= scorer.hot_threshold and row.reasons[0] == NOT_HOT_REASON

    script.say("customer", "I am still waiting and I am still not happy about any of this.", secs=5)
    batch, _ = run(scorer, SimpleNamespace(events=script.events[-1:]))
    assert batch.calls["loud-1"].level == "warming" and not batch.alerts  # no worse: still quiet

    script.say("customer", "Fine, my lawyer will be hearing about this.", secs=4)
    batch, _ = run(scorer, SimpleNamespace(events=script.events[-1:]))
    assert batch.calls["loud-1"].level == "hot" and batch.alerts  # a legal threat: hot again
    assert batch.alerts[0].reasons[0] == "legal threat"

    undo = ev.SupervisorAction("feedback", "h-1", "loud-1", "sup-1", script.events[-1].ts, label="hot")
    scorer.apply_action(undo, StoreBatch())
    assert scorer.calls["loud-1"].not_hot_at is None


def test_a_rule_marked_not_hot_that_stopped_holding_alerts_when_it_fires_again():
    """Found by a center review: a manager request marked not hot silenced the same rule
    for the rest of the call, so "Put me through to a manager" minutes later, after the
    customer had calmed and the rule had stopped holding, never alerted."""
    from streaming import events as ev

    scorer = Scorer()
    script = CallScript("again-1")
    script.say("customer", "Hello, my parcel has not arrived yet.")
    script.say("agent", "I'm sorry to hear that, let me look into it for you.")
    script.say("customer", "Can I speak to your manager please?")
    batch, _ = run(scorer, script)
    assert batch.calls["again-1"].level == "hot" and "asked for a manager" in batch.calls["again-1"].reasons
    mark = ev.SupervisorAction("feedback", "nh-1", "again-1", "sup-1", script.events[-1].ts, label="not_hot")
    scorer.apply_action(mark, StoreBatch())
    script.say("agent", "Of course, but let me check the tracking first, it shows it is at the depot.")
    script.say("customer", "Okay, thank you, that sounds good.")
    script.say("agent", "It will be delivered tomorrow morning.")
    script.say("customer", "Great, thanks, that helps.")
    script.say("agent", "Is there anything else?")
    batch, _ = run(scorer, SimpleNamespace(events=script.events[-5:]))
    calmed = scorer.calls["again-1"]
    assert not scorer.risk.rule_floor({"manager": 1.0}, calmed.calm_turns_since_rule)[1]
    assert calmed.not_hot_rules == [] and batch.calls["again-1"].level != "hot"  # the rule stopped holding

    script.say("customer", "Actually no, put me through to a manager right now.")
    batch, _ = run(scorer, SimpleNamespace(events=script.events[-1:]))
    assert batch.calls["again-1"].level == "hot" and batch.alerts
    assert "asked for a manager" in batch.alerts[0].reasons


def test_marked_hot_shows_a_calm_call_hot_until_marked_not_hot():
    """The supervisor heard something the scorer did not: the tile goes red at once,
    says who made it so, and is not counted as one of the scorer's alerts."""
    from streaming import events as ev
    from streaming.scoring.rescoring import MARKED_HOT_REASON

    scorer = Scorer()
    script = calm_call("quiet-1", ended=False)
    batch, _ = run(scorer, script)
    assert batch.calls["quiet-1"].level == "calm"
    at = script.events[-1].ts
    mark = ev.SupervisorAction("feedback", "h-1", "quiet-1", "sup-1", at, label="hot")
    batch = StoreBatch()
    scorer.apply_action(mark, batch)
    scorer.flush(batch)
    row = batch.calls["quiet-1"]
    assert row.level == "hot" and row.risk < scorer.hot_threshold
    assert row.reasons[0] == MARKED_HOT_REASON and not batch.alerts

    script.say("agent", "Is there anything else I can help with?")
    script.say("customer", "No, thank you, that was all.", secs=3)
    batch, _ = run(scorer, SimpleNamespace(events=script.events[-2:]))
    assert batch.calls["quiet-1"].level == "hot" and not batch.alerts  # still hot as the call goes on

    undo = ev.SupervisorAction("feedback", "nh-1", "quiet-1", "sup-1", at, label="not_hot")
    batch = StoreBatch()
    scorer.apply_action(undo, batch)
    scorer.flush(batch)
    assert batch.calls["quiet-1"].level == "calm" and MARKED_HOT_REASON not in batch.calls["quiet-1"].reasons
    restored = CallState.from_json(scorer.calls["quiet-1"].to_json())
    assert restored.marked_hot is False and restored.not_hot_at is not None


def test_risk_rises_before_the_manager_request():
    scorer = Scorer()
    batch, updates = run(scorer, angry_call())
    risks = [t.risk for t in batch.turns if t.speaker == "customer"]
    assert risks[1] > risks[0]  # repeat contact, interruption and anger before any manager ask
    assert risks[1] >= 0.4


def test_turn_sentiment_is_scored_per_speaker():
    batch, _ = run(Scorer(), angry_call())
    customer = [t.sentiment for t in batch.turns if t.speaker == "customer"]
    assert all(-1 <= s <= 1 for s in customer)
    assert min(customer) < -0.3
    calm, _ = run(Scorer(), calm_call())
    assert max(t.sentiment for t in calm.turns if t.speaker == "customer") > 0.3


def test_replayed_events_are_duplicates():
    scorer = Scorer()
    script = angry_call()
    batch = StoreBatch()
    for e in script.events[:4]:
        scorer.apply(e, batch, partition=0, offset=e.seq)
    again = [scorer.apply(e, StoreBatch(), partition=0, offset=e.seq).duplicate
             for e in script.events[:4]]
    assert all(again)
    # events without seq are deduplicated by Kafka offset
    from dataclasses import replace
    e5 = replace(script.events[4], seq=None)
    assert not scorer.apply(e5, StoreBatch(), partition=0, offset=5).duplicate
    assert scorer.apply(e5, StoreBatch(), partition=0, offset=5).duplicate


def test_an_event_that_reuses_a_seq_is_refused_not_skipped_as_a_duplicate():
    """Found by an input review: a different event under a seq already applied, or one the
    scorer had numbered (sent without seq) followed by one with that seq, vanished as a
    duplicate. A producer's retry of the same event is still a duplicate, after a restart too."""
    from dataclasses import replace

    scorer = Scorer()
    events = calm_call("reuse", ended=False).events
    for offset, e in enumerate(events):
        scorer.apply(e, StoreBatch(), partition=0, offset=offset)
    last = events[-1]
    assert scorer.apply(last, StoreBatch(), partition=0, offset=50).duplicate  # a retry: same event
    other = replace(last, text="Actually, get me your manager, I want to cancel.")
    refused = scorer.apply(other, StoreBatch(), partition=0, offset=51)
    assert not refused.duplicate and "already applied to a different event" in (refused.refused or "")
    assert scorer.apply(other, StoreBatch(), partition=0, offset=51).duplicate  # its own replay

    restarted = Scorer()  # the digests are part of the stored state
    batch = StoreBatch()
    scorer.flush(batch)
    restarted.adopt("reuse", batch.states["reuse"])
    assert restarted.apply(last, StoreBatch(), partition=0, offset=60).duplicate
    assert restarted.apply(other, StoreBatch(), partition=0, offset=61).refused

    mixed = Scorer()
    first = calm_call("mixed", ended=False).events
    for e in first[:3]:
        mixed.apply(e, StoreBatch())
    mixed.apply(replace(first[3], seq=None), StoreBatch())  # numbered by the scorer as 4
    assert mixed.apply(first[3], StoreBatch()).duplicate  # the same event, now with its seq
    assert mixed.apply(replace(first[4], seq=4), StoreBatch()).refused  # another event as 4


def test_state_survives_a_restart_through_json():
    first = Scorer()
    script = angry_call()
    batch = StoreBatch()
    for e in script.events[:5]:
        first.apply(e, batch)
    first.flush(batch)
    saved = batch.states["angry-1"]
    second = Scorer()
    assert second.missing({"angry-1"}) == ["angry-1"]
    second.adopt("angry-1", saved)
    rest_a, rest_b = StoreBatch(), StoreBatch()
    for e in script.events[5:]:
        first.apply(e, rest_a)
        second.apply(e, rest_b)
    assert rest_a.calls["angry-1"] == rest_b.calls["angry-1"]
    assert second.apply(script.events[0], StoreBatch()).duplicate  # ended calls drop replays


def test_no_consent_means_no_text_scored_or_stored():
    script = CallScript("nc", consent=False).say("customer", "I want your manager now!").end()
    batch, updates = run(Scorer(), script)
    assert not batch.turns
    assert batch.calls["nc"].reasons == () and batch.calls["nc"].sentiment is None
    assert batch.calls["nc"].status == "ended"


def test_outcomes_train_the_model_and_feedback_is_learned():
    scorer = Scorer()
    for i in range(3):
        run(scorer, angry_call(f"a{i}", customer_id=f"k{i}"))
        run(scorer, calm_call(f"c{i}", customer_id=f"m{i}"))
    v = scorer.validation()
    assert v["outcomes"] == 6 and v["risk_labels"] > 6
    assert v["roc_auc"] == 1.0  # angry calls peaked above calm ones, predicted before learning


def test_repeat_caller_is_recognised():
    scorer = Scorer()
    run(scorer, calm_call("first", customer_id="same"))
    batch, _ = run(scorer, calm_call("second", customer_id="same"))
    states = [s for s in batch.states.values() if ended_from_json(s) is None]
    assert not states  # ended calls leave memory (their delivery record stays)
    assert "second" not in scorer.calls
    assert CallState.from_json(CallState("x", repeat_caller=True).to_json()).repeat_caller


def test_calls_that_go_silent_are_closed_as_interrupted():
    scorer = Scorer()
    lost = angry_call("lost", ended=False)
    batch, _ = run(scorer, lost)
    later = calm_call("later", customer_id="k9", start=lost.t + timedelta(hours=3))
    batch, _ = run(scorer, later)
    assert scorer.evict_idle(batch, scorer.clock - 2 * 3600) == 1
    assert batch.calls["lost"].status == "interrupted"
    assert ended_from_json(batch.states["lost"]) == scorer.ended["lost"]
    assert "lost" not in scorer.calls
    assert scorer.apply(lost.events[-1], StoreBatch()).duplicate  # a late replay is dropped
    more = lost.say("customer", "Hello? Are you still there?").events[-1]
    assert "closed as interrupted" in (scorer.apply(more, StoreBatch()).refused or "")


def test_an_event_out_of_order_or_after_the_end_is_refused_with_its_reason_not_skipped():
    from dataclasses import replace

    script = angry_call("late")
    events = list(script.events)  # seq 1 .. n, the last call_ended
    scorer, batch = Scorer(), StoreBatch()
    held_back = events[4]
    for e in events[:4] + events[5:-1]:
        assert not scorer.apply(e, batch, partition=0, offset=e.seq).duplicate
    late = scorer.apply(held_back, batch, partition=0, offset=99)
    assert late.refused == (f"seq 5 came after seq {events[-2].seq} of the same call: "
                            "an event out of order is not scored")
    assert not late.updates and held_back.seq not in [t.seq for t in batch.turns]
    # what was applied is still a duplicate, by seq (a producer's retry) or by offset (a replay)
    assert scorer.apply(events[2], StoreBatch(), partition=0, offset=100).duplicate
    assert scorer.apply(held_back, StoreBatch(), partition=0, offset=99).duplicate  # the refused one's replay
    assert scorer.apply(events[-1], batch, partition=0, offset=101).updates  # call_ended
    ended = StoreBatch()
    after = [
        replace(events[-1], disposition="resolved", seq=events[-1].seq + 1),  # a second call_ended
        script.say("customer", "One more thing.").events[-1],
        replace(held_back, seq=None),  # no seq: a new offset is a new event
    ]
    refused = [scorer.apply(e, ended, partition=0, offset=102 + i).refused for i, e in enumerate(after)]
    assert all(r and f"the call was ended at seq {events[-1].seq}" in r for r in refused)
    assert not ended.turns and not ended.markers and not ended.calls
    assert scorer.apply(events[3], StoreBatch(), partition=0, offset=3).duplicate

    # a restarted scorer reads the same from the store: the ended call's stored record
    restarted = Scorer()
    restarted.adopt("late", ended.states["late"])
    assert restarted.apply(after[1], StoreBatch(), partition=0, offset=103).duplicate  # refused before
    assert restarted.apply(after[1], StoreBatch(), partition=0, offset=200).refused
    assert restarted.apply(events[0], StoreBatch()).duplicate
    legacy = Scorer()  # a store written before the record was kept: everything is a replay, as then
    legacy.adopt("late", TOMBSTONE)
    assert legacy.apply(after[1], StoreBatch(), partition=0, offset=200).duplicate


def test_a_live_calls_next_events_are_applied_after_the_topics_offsets_start_again():
    """A recreated topic, or a broker that lost its log, numbers its messages from 0 again:
    the call's later turns come at offsets it has seen, and must not be skipped as replays."""
    events = angry_call("reset").events
    scorer, batch = Scorer(), StoreBatch()
    for i, e in enumerate(events[:5]):
        assert not scorer.apply(e, batch, partition=0, offset=1000 + i).duplicate
    after_reset = [scorer.apply(e, batch, partition=0, offset=i) for i, e in enumerate(events[5:])]
    assert not any(a.duplicate or a.refused for a in after_reset)
    assert {t.seq for t in batch.turns} >= {e.seq for e in events[5:-1]}
    assert batch.calls["reset"].status == "ended"
    # a replay of the new messages is still a duplicate, by seq
    assert scorer.apply(events[6], StoreBatch(), partition=0, offset=1).duplicate


def test_a_call_state_stored_before_seqs_were_kept_goes_on_as_it_did():
    script = calm_call("old", ended=False)
    scorer, batch = Scorer(), StoreBatch()
    for e in script.events:
        scorer.apply(e, batch)
    scorer.flush(batch)
    stored = json.loads(batch.states["old"])
    del stored["first_seq"], stored["seq_gaps"]
    restarted = Scorer()
    restarted.adopt("old", json.dumps(stored))
    assert restarted.apply(script.events[1], StoreBatch()).duplicate
    assert not restarted.apply(script.say("customer", "Thanks!").events[-1], StoreBatch()).duplicate


def test_a_polite_manager_request_is_not_scored_as_positive():
    script = CallScript("polite").say("customer", "Could I speak to a manager please? Thanks.")
    batch, _ = run(Scorer(), script)
    assert batch.turns[-1].sentiment <= -0.4


def test_sequences_may_start_at_zero_and_missing_ones_are_numbered():
    from dataclasses import replace

    script = calm_call("zero", ended=False)
    events = [replace(e, seq=e.seq - 1) for e in script.events]  # 0, 1, 2, ...
    batch = StoreBatch()
    scorer = Scorer()
    assert not any(scorer.apply(e, batch).duplicate for e in events)
    assert [t.seq for t in batch.turns] == [e.seq for e in events[2:]]
    unnumbered = [replace(e, seq=None) for e in calm_call("none", ended=False).events]
    batch = StoreBatch()
    assert not any(scorer.apply(e, batch).duplicate for e in unnumbered)
    assert [t.seq for t in batch.turns] == list(range(2, 2 + len(unnumbered) - 2))


def test_an_unnumbered_event_sent_twice_is_applied_once():
    """An input review: the contract makes seq optional, and a producer's retry of an event
    with none came at a new offset and was applied again (a doubled transcript line, two
    holds). The same fields, its time included, as an event the call applied lately are it."""
    from dataclasses import replace

    script = calm_call("twice", ended=False).add("hold_started")
    events = [replace(e, seq=None) for e in script.events]
    scorer, batch = Scorer(), StoreBatch()
    offset = 0
    for e in events:
        for _ in range(2):  # each sent twice
            offset += 1
            scorer.apply(e, batch, partition=0, offset=offset)
    said = [e for e in events if isinstance(e, ev.Utterance)]
    assert [t.text for t in batch.turns] == [e.text for e in said]
    assert scorer.calls["twice"].holds == 1
    again = replace(said[-1], ts=said[-1].ts + timedelta(seconds=9))  # the same words said again later
    assert not scorer.apply(again, batch, partition=0, offset=offset + 1).duplicate


def test_an_agent_turn_timed_faster_than_anyone_speaks_counts_as_the_fastest_pace():
    """An input review: 10,000 characters in 5 s made a pace of thousands of words a minute,
    which the agent's norm and the risk model's scaling of pace would carry for every call
    after it."""
    from streaming.scoring.state import MAX_WPM

    script = CallScript("fast-1")
    script.say("customer", "My bill is wrong.")
    script.say("agent", "word " * 2000, secs=5)
    scorer = Scorer()
    run(scorer, script.end())
    assert scorer.agent_wpm["a1"] == MAX_WPM  # the pace example the ended call taught


def test_a_call_first_seen_mid_conversation_is_scored_as_live():
    """A scorer started mid-call (or a platform that sends no call_started) still scores."""
    script = angry_call("midway", ended=False)
    batch = StoreBatch()
    scorer = Scorer()
    for e in script.events[3:]:  # from the first customer turn on
        scorer.apply(e, batch)
    scorer.flush(batch)
    row = batch.calls["midway"]
    assert row.status == "live" and row.started_at is not None
    assert row.level == "hot" and "asked for a manager" in row.reasons


def test_a_repeat_caller_is_known_whichever_replica_their_last_call_ended_on(store):
    from streaming.consumer import adopt_stored
    from tests.factories import T0

    other = Scorer()  # the replica the earlier calls ended on
    for script in (calm_call("c-week", customer_id="k9"),
                   calm_call("c-old", customer_id="k8", start=T0 - timedelta(days=8))):  # fmt: skip
        for e in script.events:
            batch = StoreBatch()
            other.apply(e, batch)
            store.apply(batch)

    def starts(scorer: Scorer, customer_id: str, adopt: bool) -> bool:
        script = calm_call(f"again-{customer_id}", customer_id=customer_id, start=T0 + timedelta(hours=2))
        queued, started = script.events[:2]  # call_queued, call_started
        if adopt:
            adopt_stored(scorer, store, [queued, started])
        for e in (queued, started):
            scorer.apply(e, StoreBatch())
        return scorer.calls[script.call_id].repeat_caller

    assert not starts(Scorer(), "k9", adopt=False)  # on its own, this replica never saw k9
    assert starts(Scorer(), "k9", adopt=True)  # the store knows k9 called two hours ago
    assert not starts(Scorer(), "k8", adopt=True)  # eight days ago: outside the repeat window
    assert not starts(Scorer(), "k-new", adopt=True)


def test_a_hard_rule_holds_the_risk_until_the_customer_has_been_calm_for_two_turns():
    from streaming.scoring.risk import RULE_FLOORS, RULE_HOLD_CALM_TURNS

    floor = RULE_FLOORS["manager"][0]
    script = (CallScript("m1").say("agent", "Thanks for calling, how can I help?")
              .say("customer", "Hi, my bill is higher than usual this month.")
              .say("agent", "Let me look into that for you.")
              .say("customer", "Could I speak to a manager about it please?")
              .say("agent", "I see a one-off fee; I have removed it, so the bill is back to normal.")
              .say("customer", "Oh, okay, that sounds good, thank you.")
              .say("agent", "You're welcome. Anything else?")
              .say("customer", "No, that's great, thanks so much for sorting it.")
              .say("agent", "Have a lovely day."))  # fmt: skip
    _, updates = run(Scorer(), script)
    customer = [u for u, e in zip(updates, script.events, strict=True)
                if getattr(e, "speaker", None) == "customer"]  # fmt: skip
    asked, calm_1, calm_2 = customer[1:]
    assert asked.risk >= floor and asked.level == "hot" and "asked for a manager" in asked.reasons
    assert RULE_HOLD_CALM_TURNS == 2 and calm_1.risk >= floor  # one calm turn: still held
    assert calm_2.risk < floor and calm_2.level != "hot"  # two: the floor lifts
    assert updates[-1].level != "hot"


def test_a_negative_turn_or_another_threat_restarts_the_hold():
    script = (CallScript("m2").say("customer", "I want to speak to your manager.")
              .say("agent", "Let me see what I can do.")
              .say("customer", "Okay, fine, thank you.")
              .say("agent", "I have put a note on the account.")
              .say("customer", "Right, and I'm cancelling my contract if it happens again.")
              .say("agent", "Understood.")
              .say("customer", "Okay, thanks."))  # fmt: skip
    _, updates = run(Scorer(), script)
    assert updates[-1].risk >= 0.7  # one calm turn since the threat: still held


def test_one_turn_dated_back_does_not_make_a_live_call_look_idle():
    # a robustness review: a turn stamped an hour and a half back set the call's last
    # activity there, and the next idle sweep closed the live call as interrupted
    script = CallScript("c1").say("customer", "Hello, my bill is wrong.")
    script.add("utterance", dt=-5_400, speaker="customer", text="It has been wrong twice.",
               start_ms=9_000, end_ms=12_000)  # fmt: skip
    scorer, batch = Scorer(), StoreBatch()
    for e in script.events:
        scorer.apply(e, batch)
    latest = max(e.ts.timestamp() for e in script.events)
    assert scorer.calls["c1"].updated_at == latest
    assert scorer.evict_idle(batch, latest - 3_600) == 0 and scorer.calls["c1"].status == "live"


def test_a_transferred_call_keeps_the_queue_it_was_answered_from_and_who_had_it_when_it_turned_hot():
    """Hot under Emeka in tech_support, then passed to retention, where it waits until Luca
    takes it: the row is Luca's and retention's now, but says who had it when it turned hot."""
    scorer = Scorer()
    calm, _ = run(scorer, calm_call("luca-1", agent_id="a-luca", agent_name="Luca Haddou",
                                    team="Team Harbor", queue="retention", customer_id="k9"))
    assert calm.calls["luca-1"].hot_agent_id is None  # never hot
    script = angry_call("x1", ended=False, agent_id="a-emeka", agent_name="Emeka Castillo",
                        team="Team Meadow", queue="tech_support", customer_id="k1")
    script.add("transfer", to_queue="retention").add("transfer", dt=20, to_queue="retention",
                                                     to_agent_id="a-luca")
    script.say("agent", "Hello, this is retention, I have your notes here.").end("escalated", 1)
    batch, _ = run(scorer, script)
    row = batch.calls["x1"]
    assert (row.queue, row.agent_id, row.agent_name, row.team) == (
        "retention", "a-luca", "Luca Haddou", "Team Harbor")  # fmt: skip
    assert row.first_queue == "tech_support" and row.transfers == 1
    assert (row.hot_agent_id, row.hot_agent_name, row.hot_team, row.hot_queue) == (
        "a-emeka", "Emeka Castillo", "Team Meadow", "tech_support")  # fmt: skip
    # kept in the state a scorer persists (here the ended call's, for late feedback)
    again = CallState.from_json(batch.ended_states["x1"][1])
    assert again.hot_holder == ["a-emeka", "Emeka Castillo", "Team Meadow", "tech_support"]


def test_a_transfer_that_tips_a_call_hot_is_the_doing_of_the_agent_who_handed_it_off():
    scorer = Scorer(hot_threshold=0.01)  # any risk is hot: the rescore after the transfer tips it
    emeka = ["a-emeka", "Emeka Castillo", "Team Meadow", "tech_support"]

    def luca_has_it(call_id: str) -> CallState:  # Emeka passed it to Luca in retention
        return CallState(call_id, queue="retention", agent_id="a-luca", agent_name="Luca Haddou",
                         team="Team Harbor", status="live", started_at=0.0, handed_off_from=list(emeka))

    state = luca_has_it("x2")
    scorer._rescore(state, 5, 10.0, StoreBatch(), lapse_agent="a-emeka")  # right after the transfer
    assert state.hot_holder == emeka
    other = luca_has_it("x3")
    scorer._rescore(other, 6, 20.0, StoreBatch())  # a later turn: Luca's
    assert other.hot_holder == ["a-luca", "Luca Haddou", "Team Harbor", "retention"]


def unnumbered(events):
    return [dataclasses.replace(e, seq=None) for e in events]


def test_events_without_seq_after_a_partition_reset_are_applied_and_replays_skipped():
    """Found by a robustness review: offsets start again at 0 when the broker restarts empty,
    and a live call's new events without seq were skipped as replays of its old ones."""
    script = calm_call("plain-1", ended=False)  # 8 events, at offsets 100-107
    before = unnumbered(script.events)
    script.say("customer", "And one more thing about the address.").say("agent", "Sure.")
    after = unnumbered(script.events[len(before):])
    scorer = Scorer()
    for offset, e in enumerate(before, 100):
        assert not scorer.apply(e, StoreBatch(), partition=2, offset=offset).duplicate
    batch = StoreBatch()
    scorer.flush(batch)
    # a replay (a rewind, a restart from the store's state) is skipped, told by its content
    restarted = Scorer()
    restarted.adopt("plain-1", batch.states["plain-1"])
    for offset, e in enumerate(before, 100):
        assert restarted.apply(e, StoreBatch(), partition=2, offset=offset).duplicate
    assert not restarted.partition_resets
    # the partition reset: new events at offsets below the call's first, then at its own
    assert [restarted.apply(e, StoreBatch(), partition=2, offset=o).updates[0].seq
            for e, o in zip(after, (3, 4), strict=True)] == [8, 9]  # fmt: skip
    assert restarted.partition_resets == {2: 1}
    assert restarted.calls["plain-1"].offsets == {"2": 4}
    # a new event at an offset the call noted, with other content: a reset too
    other = Scorer()
    other.adopt("plain-1", batch.states["plain-1"])
    assert other.apply(after[0], StoreBatch(), partition=2, offset=101).updates[0].seq == 8
    assert other.partition_resets == {2: 1}
    # a state kept before the offsets' contents were: a message at an offset noted is new
    # when it is dated after every event the call applied (a review: such events were
    # skipped), else it cannot be told from a replay, and the consumer says so
    old = json.loads(batch.states["plain-1"])
    old["offset_digests"], old["first_offsets"] = {}, {}
    legacy = Scorer()
    legacy.adopt("plain-1", json.dumps(old))
    skipped = legacy.apply(before[5], StoreBatch(), partition=2, offset=105)
    assert skipped.duplicate and skipped.offset_only
    assert legacy.apply(after[0], StoreBatch(), partition=2, offset=101).updates[0].seq == 8


def test_an_ended_calls_new_event_after_a_partition_reset_goes_to_the_dlq():
    """It was skipped as a replay: an event after the end is refused, whatever its offset."""
    events = unnumbered(calm_call("gone-1").events)
    scorer = Scorer()
    for offset, e in enumerate(events, 50):
        scorer.apply(e, StoreBatch(), partition=0, offset=offset)
    assert scorer.apply(events[3], StoreBatch(), partition=0, offset=53).duplicate  # a replay
    late = scorer.apply(events[3], StoreBatch(), partition=0, offset=2)  # below its first: new
    assert late.refused and late.refused.startswith("the call was ended at seq")
    assert scorer.partition_resets == {0: 1}


def test_actions_about_no_call_or_no_turn_or_under_a_reused_id_are_refused(store):
    """Found by a robustness review: they were stored without a word, taught nothing, and a
    reused action_id left one action in the store and the other on the call."""
    from streaming import events as ev
    from streaming.rebalance import adopt_stored

    live, ended = angry_call("live-1", ended=False), calm_call("ended-1", customer_id="k2")
    owner = Scorer()
    for script in (live, ended):
        batch = StoreBatch()
        for e in script.events:
            owner.apply(e, batch)
        owner.flush(batch)
        store.apply(batch)
    at = live.events[-1].ts

    def act(action_id, call_id, action="feedback", **kw):
        return ev.SupervisorAction(action, action_id, call_id, "sup-1", at, **kw)

    # a scorer that holds none of these calls (a restart, a partition moved): the store knows them
    scorer = Scorer()
    actions = [act("n1", "nobody-1", label="hot"), act("n2", "nobody-1", "whisper", text="Calm down"),
               act("t1", "live-1", utterance_seq=99, sentiment=0.5),
               act("t2", "live-1", utterance_seq=1, sentiment=0.5),  # seq 1: call_started, no turn
               act("r1", "live-1", label="not_hot"), act("r1", "live-1", label="hot"),
               act("w1", "live-1", "whisper", text="Slow down"),
               act("w1", "live-1", "whisper", text="Slow down"),  # sent again: the same action
               act("late-1", "ended-1", label="hot"),
               act("ok-1", "live-1", utterance_seq=8, sentiment=-0.9)]  # fmt: skip
    adopt_stored(scorer, store, actions)
    batch = StoreBatch()
    refused = {a.action_id + ("'" if a.label == "hot" and a.action_id == "r1" else ""): out.refused
               for a in actions if (out := scorer.apply_action(a, batch)).refused}  # fmt: skip
    assert sorted(refused) == ["n1", "n2", "r1'", "t1", "t2"]
    assert refused["n1"].startswith("no such call: neither the scorer nor the store knows call 'nobody-1'")
    assert refused["t1"].startswith("no such turn: utterance_seq 99 is not a turn of call live-1")
    assert refused["t2"].startswith("no such turn: utterance_seq 1")
    assert refused["r1'"].startswith("action_id reused with different content: 'r1'")
    # the same action sent twice is taken twice, as before (the store keeps one row per id)
    assert [a.action_id for a in batch.actions] == ["r1", "w1", "w1", "late-1", "ok-1"]
    assert not scorer.calls["live-1"].marked_hot  # the first "not hot" stands
    # after a restart, the id's first use is in the store
    store.apply(batch)
    again = Scorer()
    adopt_stored(again, store, [act("r1", "live-1", label="hot"),
                                act("w1", "live-1", "whisper", text="Slow down")])  # fmt: skip
    assert again.apply_action(act("r1", "live-1", label="hot"), StoreBatch()).refused
    assert not again.apply_action(act("w1", "live-1", "whisper", text="Slow down"), StoreBatch()).refused


def test_an_action_on_a_call_the_store_holds_without_state_is_stored(tmp_path):
    # a review of the refusals above: feedback from the wallboard on a call of a history fill
    # (which stores no scorer state), or one closed as interrupted when callheat run started
    # again (its state deleted), went to the DLQ as "no such call" though the board showed it
    from streaming import events as ev
    from streaming.rebalance import adopt_stored
    from streaming.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        owner, batch = Scorer(), StoreBatch()
        for e in angry_call("was-live", ended=False).events:
            owner.apply(e, batch)
        owner.flush(batch)
        store.apply(batch)
        store.close_interrupted(owner.clock)  # a new run: the call's state is gone
        assert store.load_states(["was-live"]) == {} and store.get_call("was-live") is not None
        action = ev.SupervisorAction("feedback", "f1", "was-live", "sup-1", T0, label="not_hot")
        scorer = Scorer()
        adopt_stored(scorer, store, [action])
        out, stored = scorer.apply_action(action, batch := StoreBatch()), batch.actions
        assert out.refused is None and [a.action_id for a in stored] == ["f1"] and not out.examples
    finally:
        store.close()


def test_the_call_page_says_which_turn_corrections_the_model_learns_as_the_scorer_does(store):
    """Left open by earlier sessions: a correction of a turn older than the turns the scorer keeps
    was "Correction sent" on the call page and taught nothing. The page now says which teach
    nothing (dashboard.views.why_not_learned); here its rule is held to the scorer's own."""
    from dashboard.views import why_not_learned
    from streaming import events as ev
    from streaming.scoring.state import KEEP_TURNS

    script = CallScript("long-1")
    for i in range(KEEP_TURNS + 6):
        script.say("customer" if i % 2 else "agent", f"Turn number {i}, about the bill.")
    scorer, batch = Scorer(), StoreBatch()
    for e in script.events:
        scorer.apply(e, batch)
    scorer.flush(batch)
    store.apply(batch)
    call, turns = store.get_call("long-1"), store.turns("long-1")
    assert call is not None and len(turns) == KEEP_TURNS + 6
    at = script.events[-1].ts
    said, learned = [], []
    for t in turns:
        before = scorer.n_sentiment_corrections
        fix = ev.SupervisorAction("feedback", f"fix-{t.seq}", "long-1", "sup-1", at,
                                  utterance_seq=t.seq, sentiment=-0.5)  # fmt: skip
        assert not scorer.apply_action(fix, StoreBatch()).refused  # stored, either way
        learned.append(scorer.n_sentiment_corrections > before)
        said.append(why_not_learned(call, turns, t.seq, at.timestamp()) is None)
    assert said == learned and learned.count(True) == KEEP_TURNS

    # once the call ended, for as long as the store keeps its state (7 days), and no longer,
    # however few calls ended since (this scorer holds it in memory all along)
    script.end()
    ended = StoreBatch()
    scorer.apply(script.events[-1], ended)
    scorer.flush(ended)
    store.apply(ended)
    call, last = store.get_call("long-1"), turns[-1].seq
    assert call is not None and call.ended_at is not None
    for days, teaches in ((6.9, True), (7.1, False)):
        at = datetime.fromtimestamp(call.ended_at + days * 86_400, UTC)
        before = scorer.n_sentiment_corrections
        fix = ev.SupervisorAction("feedback", f"late-{days}", "long-1", "sup-1", at,
                                  utterance_seq=last, sentiment=0.5)  # fmt: skip
        assert not scorer.apply_action(fix, StoreBatch()).refused
        assert (scorer.n_sentiment_corrections > before) is teaches
        assert (why_not_learned(call, turns, last, at.timestamp()) is None) is teaches


def test_an_action_dated_ahead_moves_its_call_no_further_than_an_event_could():
    """Found by an input review: a "hot" mark and a barge-in dated 2099 were taken as "now" for
    their call: a 6-second-old call read "long call (30 min)", its hot_since and alert were
    dated 2099, and the barge-in counted in the last hour for good. The live scorer passes
    the clock limit events get (max_clock_jump_s past the clocks); past it, an action is
    taken as dated at it, for its call and its stored row."""
    from streaming import events as ev

    scorer = Scorer()
    script = calm_call("soon-1", ended=False)
    run(scorer, script)
    limit = scorer.clock + 300.0  # what the consumer passes: max(clock, wall) + max_clock_jump_s
    far = datetime(2099, 6, 1, tzinfo=UTC)
    batch = StoreBatch()
    mark = ev.SupervisorAction("feedback", "hot-1", "soon-1", "sup-1", far, label="hot")
    barge = ev.SupervisorAction("barge_in", "b-1", "soon-1", "sup-1", far)
    assert not scorer.apply_action(mark, batch, clock_limit=limit).refused
    assert not scorer.apply_action(barge, batch, clock_limit=limit).refused
    scorer.flush(batch)
    row = batch.calls["soon-1"]
    assert row.level == "hot" and row.hot_since is not None and row.hot_since <= limit
    assert not any(r.startswith("long call") for r in row.reasons)
    assert [a.ts for a in batch.actions] == [limit, limit]
    # dated before its call's last event (a wallboard's wall clock behind a time-compressed
    # run), it is taken at that event's time, as before
    back = ev.SupervisorAction("monitor", "m-1", "soon-1", "sup-1", T0 - timedelta(hours=5))
    assert not scorer.apply_action(back, batch, clock_limit=limit).refused


def test_whispers_and_barge_ins_after_a_calls_end_are_refused_but_feedback_is_taken():
    """Found by an input review: whisper, barge-in and monitor on an ended call were taken from
    the topic (the wallboard refuses them), and Trends credited the call's outcome to them.
    The click-vs-end race stays taken: one dated up to AFTER_END_SLACK_S after the end."""
    from streaming import events as ev
    from streaming.scoring.feedback import AFTER_END_SLACK_S

    scorer = Scorer()
    script = calm_call("done-1")
    batch, _ = run(scorer, script)
    end = script.events[-1].ts

    def act(action_id, action, after_s, call_id="done-1", **kw):
        return ev.SupervisorAction(action, action_id, call_id, "sup-1",
                                   end + timedelta(seconds=after_s), **kw)  # fmt: skip

    race = act("w-race", "whisper", AFTER_END_SLACK_S - 5, agent_id="a1", text="Recap please")
    assert scorer.apply_action(race, StoreBatch()).refused is None
    late = [act("w-late", "whisper", 120, agent_id="a1", text="Recap please"),
            act("b-late", "barge_in", 120), act("m-late", "monitor", 600),
            act("a-late", "acknowledge", 3600)]  # fmt: skip
    refused = [scorer.apply_action(a, StoreBatch()).refused for a in late]
    assert refused[0] == ("whisper on an ended call: its ts is 120 s after the call's end (more "
                          f"than {AFTER_END_SLACK_S:g} s); only feedback is taken once a call has "
                          "ended: not stored")  # fmt: skip
    assert all(r and "on an ended call" in r for r in refused)
    # a replay that keeps its recording's times: the wallboard's clock is a day past the call's
    # own, and a whisper on the tile it shows live cannot be set against its end (a diff review)
    replayed = act("w-replay", "whisper", 86_400, agent_id="a1", text="Recap please")
    assert scorer.apply_action(replayed, StoreBatch(), clocks_agree=False).refused is None
    # an end record an older scorer kept has no end time: the store's calls row gives it (an
    # upgrade review: such a call took whispers for good)
    older = Scorer()
    from streaming.scoring.delivery import ended_to_json

    record = json.loads(ended_to_json(scorer.ended["done-1"]))
    assert record.pop("ended_at") == end.timestamp()
    older.adopt("done-1", json.dumps(record))
    assert older.unknown_calls({"done-1"}) == ["done-1"]
    older.remember_stored_call("done-1", end.timestamp())
    late_whisper = act("w-older", "whisper", 120, agent_id="a1", text="Recap")
    assert older.apply_action(late_whisper, StoreBatch()).refused
    # labels arrive late: feedback and a turn's correction an hour after the end are learned
    verdict = act("f-late", "feedback", 3600, label="not_hot")
    customer_turn = next(e.seq for e in script.events if getattr(e, "speaker", "") == "customer")
    fix = act("c-late", "feedback", 3600, utterance_seq=customer_turn, sentiment=0.8)
    for a in (verdict, fix):
        out = scorer.apply_action(a, StoreBatch())
        assert out.refused is None and out.examples

    # a scorer that holds only the ended call's stored record (a restart), a call that ended
    # with no customer turn (no final state kept) and one the store holds with no state
    restarted = Scorer()
    restarted.adopt("done-1", batch.states["done-1"])
    assert restarted.apply_action(late[1], StoreBatch()).refused
    assert restarted.apply_action(race, StoreBatch()).refused is None
    silent = CallScript("silent-1").say("agent", "Hello, how can I help?").end()
    run(scorer, silent)
    assert "silent-1" not in scorer.ended_states
    assert scorer.apply_action(act("w-s", "whisper", 300, "silent-1", text="Hi"), StoreBatch()).refused
    restarted.remember_stored_call("history-1", end.timestamp())
    assert restarted.apply_action(act("b-h", "barge_in", 300, "history-1"), StoreBatch()).refused
    assert restarted.apply_action(act("f-h", "feedback", 300, "history-1", label="hot"),
                                  StoreBatch()).refused is None  # fmt: skip


def test_lifecycle_events_that_contradict_the_call_are_refused_and_the_simulators_never_are():
    """Found by an input review: call_abandoned after call_started and a turn set the call
    abandoned (the queue table counted an answered call as abandoned, no outcome learned);
    call_queued after call_started set it queued, with a new queue and customer, its agent
    staying. Both are refused; a call transferred to a queue with no agent named waits
    there again, and its customer may hang up."""
    from streaming.simulator import SimConfig, generate

    scorer = Scorer()
    answered = calm_call("ans-1", ended=False, customer_id="k1")
    run(scorer, answered)
    abandoned = answered.add("call_abandoned").events[-1]
    out = scorer.apply(abandoned, StoreBatch(), partition=0, offset=50)
    assert out.refused == ("call_abandoned for an answered call (agent a1 has it): send call_ended "
                           "when a customer hangs up on an agent: not scored")  # fmt: skip
    assert scorer.calls["ans-1"].status == "live" and not out.updates
    assert scorer.apply(abandoned, StoreBatch(), partition=0, offset=50).duplicate  # its replay
    queued = answered.add("call_queued", queue="sales", customer_id="someone-else").events[-1]
    out = scorer.apply(queued, StoreBatch(), partition=0, offset=51)
    assert out.refused and out.refused.startswith("call_queued for a call already answered")
    state = scorer.calls["ans-1"]
    assert (state.status, state.queue, state.customer_id) == ("live", "billing", "k1")
    batch, _ = run(scorer, SimpleNamespace(events=answered.end().events[-1:]))
    assert batch.calls["ans-1"].status == "ended"  # the call goes on to its real end

    # transferred to a queue with no agent named: it waits, and may be abandoned there
    moved = calm_call("moved-1", ended=False, customer_id="k2").add("transfer", to_queue="retention")
    run(scorer, moved)
    requeued = moved.add("call_queued", queue="retention", customer_id="k2").events[-1]
    assert scorer.apply(requeued, StoreBatch()).refused  # the transfer said where it waits
    batch, _ = run(scorer, SimpleNamespace(events=moved.add("call_abandoned").events[-1:]))
    assert batch.calls["moved-1"].status == "abandoned"
    never = CallScript("never-1", answered=False, customer_id="k3").add("call_abandoned")
    batch, _ = run(scorer, never)
    assert batch.calls["never-1"].status == "abandoned"

    # the simulator's own streams (abandons, transfers that wait in a queue) are all taken
    scorer, seen = Scorer(), set()
    for _, event in generate(SimConfig(seed=7, calls=300, concurrency=30, start=T0)):
        out = scorer.apply(event, StoreBatch())
        assert out.refused is None, (event, out.refused)
        seen.add(event.type if event.type != "transfer" or event.to_agent_id else "transfer_waits")
    assert {"call_abandoned", "transfer_waits"} <= seen


def test_a_replica_that_takes_an_ended_call_from_the_store_refuses_a_whisper_after_its_end(engine_store):
    # the refusal above whichever replica gets the action: the ended call's final state or
    # its stored record (a restart, a rebalance), and a call the store holds with no state
    # (closed as interrupted when callheat run started again, or a history fill's), say when
    # the call ended
    from streaming import events as ev
    from streaming.rebalance import adopt_stored

    owner = Scorer()
    batch, _ = run(owner, angry_call("left-2", ended=False))
    engine_store.apply(batch)
    engine_store.close_interrupted(owner.clock)  # a new run: left-2 interrupted, its state gone
    done = calm_call("done-2", customer_id="k1")
    silent = CallScript("silent-2", customer_id="k2").say("agent", "Hello, how can I help?").end()
    for script in (done, silent):  # silent-2: no customer turn, so no final state kept
        batch, _ = run(owner, script)
        engine_store.apply(batch)
    calls = ("done-2", "silent-2", "left-2")
    ended_at = {c: engine_store.get_call(c).ended_at for c in calls}
    assert None not in ended_at.values()
    assert set(engine_store.load_ended_states(list(calls))) == {"done-2"}

    def act(action, call_id, **kw):
        at = datetime.fromtimestamp(ended_at[call_id] + 600, UTC)
        return ev.SupervisorAction(action, f"{action}-{call_id}", call_id, "sup-1", at, **kw)

    whispers = [act("whisper", c, text="Recap") for c in calls]
    verdicts = [act("feedback", c, label="hot") for c in calls]
    scorer, batch = Scorer(), StoreBatch()
    adopt_stored(scorer, engine_store, whispers + verdicts)
    refused = [scorer.apply_action(a, batch).refused for a in whispers + verdicts]
    assert all(r and "600 s after the call's end" in r for r in refused[:3]), refused
    assert refused[3:] == [None, None, None]
    engine_store.apply(batch)
    assert sorted(a.action_id for c in calls for a in engine_store.actions(c)) == sorted(
        a.action_id for a in verdicts)
