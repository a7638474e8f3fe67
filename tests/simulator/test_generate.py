"""generate(): the event stream obeys the contract, is deterministic and behaves like a floor."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import islice
from statistics import mean

import pytest

from streaming.events import (
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallQueued,
    CallStarted,
    HoldEnded,
    HoldStarted,
    Transfer,
    Utterance,
    encode,
    event_to_dict,
    parse_event,
)
from streaming.simulator import SimConfig, generate
from streaming.simulator.floor import build_floor
from tests.simulator.util import HOT, START, by_call, customer_turns, first_hot_turn

RUN = SimConfig(seed=11, calls=500, start=START)


@pytest.fixture(scope="module")
def run_events() -> list[CallEvent]:
    """Every event of a 500-call run with the default floor and mix."""
    return [event for _, event in generate(RUN)]


@pytest.fixture(scope="module")
def calls(run_events: list[CallEvent]) -> dict[str, list[CallEvent]]:
    return by_call(run_events)


def _wire(config: SimConfig) -> list[bytes]:
    return [encode(event_to_dict(e)) for _, e in generate(config)]


def test_every_event_round_trips_through_the_contract(run_events):
    assert len(run_events) > 10_000
    for event in run_events:
        assert parse_event(encode(event_to_dict(event))) == event


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not():
    config = SimConfig(seed=5, calls=60, start=START)
    first = _wire(config)
    assert first == _wire(config)
    assert first != _wire(SimConfig(seed=6, calls=60, start=START))


def test_yields_events_in_time_order_with_their_ts():
    pairs = list(generate(SimConfig(seed=2, calls=40, start=START)))
    assert all(ts == e.ts for ts, e in pairs)
    times = [ts for ts, _ in pairs]
    assert times == sorted(times)
    assert times[0] >= START


def test_seqs_count_up_and_times_never_go_back_within_a_call(calls):
    for events in calls.values():
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert all(a.ts <= b.ts for a, b in zip(events, events[1:], strict=False))


def test_every_call_is_queued_then_abandoned_or_started_and_ended_once(calls):
    assert len(calls) == RUN.calls
    abandoned = 0
    for events in calls.values():
        kinds = [type(e) for e in events]
        assert kinds[0] is CallQueued
        if CallAbandoned in kinds:  # only ever while queued: nothing else happened
            abandoned += 1
            assert kinds == [CallQueued, CallAbandoned]
        else:
            assert kinds[1] is CallStarted and kinds.count(CallStarted) == 1
            assert kinds[-1] is CallEnded and kinds.count(CallEnded) == 1
    assert 0 < abandoned < 0.15 * RUN.calls


def test_utterances_are_timed_from_call_start_and_sent_when_they_end(calls):
    talk_over = 0
    for events in calls.values():
        if not isinstance(events[1], CallStarted):
            continue
        started = events[1]
        holds, prev = [], None
        for e in events:
            if isinstance(e, HoldStarted | HoldEnded):
                holds.append((e.ts - started.ts) / timedelta(milliseconds=1))
            if not isinstance(e, Utterance):
                continue
            assert 0 <= e.start_ms < e.end_ms
            assert e.text.strip() and "{" not in e.text and "}" not in e.text
            assert e.ts == started.ts + timedelta(milliseconds=e.end_ms)
            if prev is not None:
                assert e.end_ms >= prev.end_ms
                talk_over += e.speaker == "agent" and prev.speaker == "customer" \
                    and e.start_ms < prev.end_ms
            prev = e
        # nobody talks while the customer is on hold
        for begin, end in zip(holds[::2], holds[1::2], strict=True):
            assert not any(isinstance(e, Utterance) and begin < e.start_ms < end for e in events)
    assert talk_over > 20


def test_holds_pair_up_and_transfers_go_to_agents_of_that_queue(calls):
    floor = build_floor(RUN.n_agents, RUN.floor_seed)
    agents = {a.agent_id: a for a in floor.agents}
    holds = transfers = 0
    for events in calls.values():
        kinds = [e.type for e in events if isinstance(e, HoldStarted | HoldEnded)]
        assert kinds == ["hold_started", "hold_ended"] * (len(kinds) // 2)
        holds += len(kinds) // 2
        for e in events:
            if isinstance(e, CallStarted):
                assert e.queue in agents[e.agent_id].queues
            if isinstance(e, Transfer):
                transfers += 1
                assert e.to_queue in floor.queues
                assert e.to_agent_id is None or e.to_queue in agents[e.to_agent_id].queues
    assert holds > 50 and transfers > 10


def test_call_started_describes_a_varied_floor(calls):
    started = [e for events in calls.values() for e in events if isinstance(e, CallStarted)]
    queued = {e.call_id: e for events in calls.values() for e in events
              if isinstance(e, CallQueued)}  # fmt: skip
    assert len({e.agent_name for e in started}) >= 20
    assert len({e.team for e in started}) == 3
    assert len({e.queue for e in started}) == 4
    channels = Counter(e.channel for e in started)
    assert channels["voice"] > 0.8 * len(started) and channels["chat"] > 0
    assert {e.language for e in started} == {"en"}
    consent = Counter(e.consent for e in started)
    assert 0 < consent[False] < 0.1 * len(started)
    for e in started:
        q = queued[e.call_id]
        assert (e.queue, e.customer_id) == (q.queue, q.customer_id)
        assert e.wait_s == pytest.approx((e.ts - q.ts).total_seconds(), abs=0.06)


def test_chat_turns_carry_no_recognition_confidence(calls):
    for events in calls.values():
        if isinstance(events[1], CallStarted):
            voice = events[1].channel == "voice"
            for e in events:
                if isinstance(e, Utterance):
                    assert (e.confidence is not None) == voice


def test_the_floor_keeps_concurrency_calls_and_some_wait(run_events, calls):
    assert RUN.n_agents < RUN.concurrency
    in_system, most = 0, 0
    for e in run_events:
        in_system += isinstance(e, CallQueued) - isinstance(e, CallEnded | CallAbandoned)
        most = max(most, in_system)
        assert in_system <= RUN.concurrency
    assert most == RUN.concurrency
    waits = [e.wait_s for events in calls.values() for e in events if isinstance(e, CallStarted)]
    assert sum(w > 20 for w in waits) > 0.3 * len(waits)


def test_calls_last_minutes(calls):
    minutes = sorted((events[-1].ts - events[1].ts).total_seconds() / 60
                     for events in calls.values() if isinstance(events[-1], CallEnded))  # fmt: skip
    assert 0.7 < minutes[0] and minutes[-1] < 12
    assert 2 <= minutes[len(minutes) // 2] <= 5


def test_some_customers_call_again_but_never_twice_at_once(calls):
    spans: dict[str, list[tuple]] = {}
    for events in calls.values():
        spans.setdefault(events[0].customer_id, []).append((events[0].ts, events[-1].ts))
    repeaters = [s for s in spans.values() if len(s) > 1]
    assert len(repeaters) >= 0.05 * RUN.calls
    for s in repeaters:
        s.sort()
        assert all(a[1] <= b[0] for a, b in zip(s, s[1:], strict=False))


def test_outcomes_follow_from_the_conversation(calls):
    hot, other = [], []
    for events in calls.values():
        if isinstance(events[-1], CallEnded):
            (hot if first_hot_turn(events) is not None else other).append(events[-1])
    share = {name: Counter(e.disposition for e in group) for name, group in
             (("hot", hot), ("other", other))}  # fmt: skip
    assert share["hot"]["escalated"] > 0.5 * len(hot)
    assert share["other"]["escalated"] < 0.05 * len(other)
    assert share["hot"]["resolved"] > 0  # a few escalating calls are rescued
    assert share["other"]["unresolved"] > 0  # and a few quiet ones are not solved
    assert mean(e.csat for e in other if e.csat) - mean(e.csat for e in hot if e.csat) > 1.5


def test_escalation_builds_up_over_the_call(calls):
    firsts = [i for events in calls.values() if (i := first_hot_turn(events)) is not None]
    assert len(firsts) > 0.1 * RUN.calls
    assert min(firsts) >= 1  # never in the customer's first turn
    assert sum(i >= 3 for i in firsts) > 0.8 * len(firsts)


def test_agents_promise_callbacks_and_customers_mention_repeat_contacts(calls):
    texts = [e for events in calls.values() for e in events if isinstance(e, Utterance)]
    agent = [e.text.lower() for e in texts if e.speaker == "agent"]
    customer = [e.text.lower() for e in texts if e.speaker == "customer"]
    assert sum("call you back" in t or "follow up with you" in t for t in agent) > 10
    assert sum("time i've called" in t for t in customer) > 5


@pytest.mark.parametrize("seed", [7, 1, 2, 3, 4, 5])
def test_defaults_fill_the_floor_and_escalate_early(seed):
    """At speed 2, 60 simulated seconds are 30 s on the wall and 180 are 90 s."""
    live: set[str] = set()
    most_live_1min, first_hot_s = 0, None
    for ts, e in generate(SimConfig(seed=seed, start=START)):
        elapsed = (ts - START).total_seconds()
        if elapsed > 180:
            break
        if isinstance(e, CallStarted):
            live.add(e.call_id)
        elif isinstance(e, CallEnded):
            live.discard(e.call_id)
        if elapsed <= 60:
            most_live_1min = max(most_live_1min, len(live))
        if first_hot_s is None and isinstance(e, Utterance) and e.speaker == "customer" \
                and HOT.search(e.text):
            first_hot_s = elapsed
    assert most_live_1min >= 20
    assert first_hot_s is not None and first_hot_s < 180


def test_an_endless_run_keeps_bringing_calls():
    events = [e for _, e in islice(generate(SimConfig(seed=3, calls=0, start=START)), 30_000)]
    ended = sum(isinstance(e, CallEnded | CallAbandoned) for e in events)
    assert ended > 3 * SimConfig().concurrency
    assert len({e.call_id for e in events}) >= ended + SimConfig().concurrency - 5


def test_call_ids_differ_between_runs_but_agents_do_not():
    a = next(e for _, e in generate(SimConfig(calls=3, start=START)) if isinstance(e, CallStarted))
    later = START + timedelta(hours=1)
    b = next(e for _, e in generate(SimConfig(calls=3, start=later)) if isinstance(e, CallStarted))
    assert a.call_id != b.call_id
    floor_ids = {x.agent_id: x.name for x in build_floor(SimConfig().n_agents).agents}
    assert floor_ids[a.agent_id] == a.agent_name and floor_ids[b.agent_id] == b.agent_name


def test_a_few_calls_end_after_their_customer_turns():
    events = [e for _, e in generate(SimConfig(seed=9, calls=3, start=START))]
    assert len(by_call(events)) == 3
    for call in by_call(events).values():
        if isinstance(call[-1], CallEnded):
            assert customer_turns(call)
            assert call[-1].ts > max(e.ts for e in call if isinstance(e, Utterance))


def test_no_agent_is_on_two_live_calls_even_after_transfers_that_waited():
    from streaming.scoring import Scorer
    from streaming.store import StoreBatch

    scorer, transfers = Scorer(), 0
    for _, event in generate(SimConfig(seed=7, calls=300, concurrency=30, start=START)):
        batch = StoreBatch()
        scorer.apply(event, batch)
        scorer.flush(batch)
        transfers += isinstance(event, Transfer)
        agents = [s.agent_id for s in scorer.calls.values() if s.status == "live" and s.agent_id]
        assert len(agents) == len(set(agents)), event
    assert transfers > 5
