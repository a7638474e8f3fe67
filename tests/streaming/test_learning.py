"""The online loop: learning from outcomes improves risk, and replicas learn the same models."""

from __future__ import annotations

import threading
import time
from contextlib import closing
from datetime import UTC, datetime

import pytest

from streaming import events as ev
from streaming import quality
from streaming.consumer import ScorerService
from streaming.events import encode, event_to_dict
from streaming.kafka_io import make_producer
from streaming.scoring import RiskExample, Scorer
from streaming.scoring.risk import Blend
from streaming.scoring.sentiment import TurnContext
from streaming.simulator import SimConfig, generate
from streaming.store import StoreBatch, open_store

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def progressive(calls: int, seed: int, learn: bool) -> list[tuple[float, bool]]:
    """(risk predicted during a call, the call's outcome), in the order the outcomes arrived."""
    scorer = Scorer()
    scorer.learn_inline = learn
    pairs = []
    for _, event in generate(SimConfig(seed=seed, calls=calls, concurrency=30, start=START)):
        batch = StoreBatch()
        applied = scorer.apply(event, batch)
        scorer.flush(batch)
        pairs.extend((x.predicted, x.label) for x in applied.examples
                     if isinstance(x, RiskExample) and x.predicted is not None)  # fmt: skip
    return pairs


def auc(pairs: list[tuple[float, bool]]) -> float:
    value = quality.roc_auc([p for p, _ in pairs], [y for _, y in pairs])
    assert value is not None
    return value


def test_risk_auc_improves_as_the_scorer_learns_from_outcomes():
    pairs = progressive(1000, seed=3, learn=True)
    half = len(pairs) // 2
    first, second = auc(pairs[:half]), auc(pairs[half:])
    assert second > first + 0.02, (first, second)
    # and it is the learning that does it: the same traffic, nothing learned, does not improve
    frozen = progressive(1000, seed=3, learn=False)
    assert auc(frozen[half:]) < second - 0.05


def test_the_blend_starts_as_the_prior_and_moves_only_with_labels():
    scorer = Scorer()
    assert scorer.risk.weight == 0.0
    calm = {"negative_sentiment": 0.0}
    assert scorer.risk.predict_proba_one(calm) == scorer.risk.prior_proba(calm)


def test_the_blend_hands_over_to_whichever_part_predicts_better():
    blend = Blend()
    assert blend.learned_share < 0.2  # before any record, nearly the prior alone
    for _ in range(40):  # the learned part is right, the prior unsure
        blend.learn(prior=0.5, learned=0.9, y=True)
    assert blend.learned_share > 0.95
    for _ in range(400):  # then the learned part goes wrong: its record fades, the prior's counts
        blend.learn(prior=0.2, learned=0.9, y=False)
    assert blend.learned_share < 0.05


def sim_events(calls: int, seed: int) -> list[tuple[str, bytes]]:
    out = []
    for _, event in generate(SimConfig(seed=seed, calls=calls, concurrency=20, start=START)):
        out.append((event.call_id, encode(event_to_dict(event))))
    return out


@pytest.mark.broker
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_replicas_learning_from_training_examples_make_the_same_predictions(kafka_settings, engine,
                                                                                request):  # fmt: skip
    items = sim_events(120, seed=11)
    # batches short next to the test's 3 s poll interval even on a loaded machine: a
    # slower batch costs a replica its partitions (handled, see test_consumer), and
    # rebalance after rebalance can outlast the deadline below
    settings = kafka_settings.model_copy(update={"batch_max_records": 250})
    if engine == "postgresql":  # the production shape: replicas share one PostgreSQL database
        url = request.getfixturevalue("postgres").new_database()
        settings = settings.model_copy(update={"store_url": url})
    stores = [open_store(settings.store_url) for _ in range(2)]
    services = [ScorerService(settings, s) for s in stores]
    stop = threading.Event()
    threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in services]
    try:
        for t in threads:
            t.start()
        producer = make_producer(settings)
        for key, value in items:
            producer.send(settings.topics.call_events, key=key.encode(), value=value)
        producer.flush()
        producer.close()

        def settled() -> bool:
            scored = sum(s.stats.events + s.stats.duplicates for s in services)
            published = sum(s.stats.examples for s in services)
            return (scored >= len(items) and published > 0
                    and all(s.stats.learned == published for s in services))  # fmt: skip

        deadline = time.monotonic() + 120
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert settled(), [(s.stats.events, s.stats.examples, s.stats.learned) for s in services]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        for s in services:
            s.close()
        for st in stores:
            st.close()
    ended = sum(1 for _, value in items if b'"call_ended"' in value)
    with closing(open_store(settings.store_url)) as store:  # every call each replica ended is stored
        assert store.query("SELECT COUNT(*) AS n FROM calls WHERE status = 'ended'")[0]["n"] == ended > 0
    a, b = (s.scorer for s in services)
    # both replicas owned calls (the group split the partitions) ...
    assert all(s.stats.examples > 0 for s in services)
    # ... yet learned every example, in the same order, so they predict alike
    assert a.risk.n_labels == b.risk.n_labels > 0
    # ... and the agents' pace norms too, though each call ended on one replica only
    assert a.agent_wpm == b.agent_wpm and len(a.agent_wpm) > 1
    # ... and progressive validation over every call, not only the calls each one owned
    assert a.validation() == b.validation() and a.validation()["outcomes"] > 0
    probes = [
        {"negative_sentiment": 0.6, "negative_streak": 3.0, "transfers": 1.0},
        {"empathy_shown": 1.0, "duration": 0.5},
        {"manager": 1.0, "worst_turn": 0.8, "hold_minutes": 2.0},
    ]
    for x in probes:
        words = a.risk.sparse_inputs({"w:refund": 0.7, "w:again": 0.7, "queue=billing": 1.0})
        assert a.risk.predict_proba_one(x, words) == b.risk.predict_proba_one(x, words)
        assert a.risk.predict_proba_one(x) != a.risk.prior_proba(x)  # something was learned
    context = TurnContext("let me check that for you", "billing", 2, -0.2)
    assert a.sentiment.predict_one("this is still not fixed", context) == b.sentiment.predict_one(
        "this is still not fixed", context)  # fmt: skip
    assert a.training_offset == b.training_offset >= 0


def test_feedback_and_corrections_become_examples_learned_at_once_without_kafka():
    scorer = Scorer()
    batch = StoreBatch()
    t0 = START.timestamp()
    events = [
        ev.CallStarted("c1", START, 0, queue="billing", agent_id="a1", agent_name="Ana", team="Blue",
                       customer_id="k1", channel="voice", language="en", wait_s=5.0),
        ev.Utterance("c1", datetime.fromtimestamp(t0 + 5, UTC), 1, speaker="customer",
                     text="My bill is wrong again", start_ms=1000, end_ms=4000),
    ]  # fmt: skip
    for e in events:
        scorer.apply(e, batch)
    when = datetime.fromtimestamp(t0 + 10, UTC)
    out = scorer.apply_action(ev.SupervisorAction("feedback", "f1", "c1", "sup-1", when, label="hot"), batch)
    assert [type(x).__name__ for x in out.examples] == ["RiskExample"] and out.examples[0].label is True
    out = scorer.apply_action(ev.SupervisorAction("feedback", "f2", "c1", "sup-1", when, utterance_seq=1,
                                                  sentiment=-0.9), batch)  # fmt: skip
    assert [type(x).__name__ for x in out.examples] == ["SentimentExample"]
    assert scorer.risk.n_labels == 1 and scorer.sentiment.n_labels == 1
    # the correction is the call's sentiment now
    scorer.flush(batch)
    assert batch.calls["c1"].sentiment == pytest.approx(-0.9)
    out = scorer.apply_action(ev.SupervisorAction("barge_in", "b1", "c1", "sup-1", when, label="hot"), batch)
    assert out.examples and out.examples[0].source == "barge_in"


def test_feedback_sent_after_the_call_ended_is_learned_about_the_call_as_it_ended():
    scorer = Scorer()
    batch = StoreBatch()
    t0 = START.timestamp()
    for e in [
        ev.CallStarted("c1", START, 0, queue="billing", agent_id="a1", agent_name="Ana", team="Blue",
                       customer_id="k1", channel="voice", language="en", wait_s=5.0),
        ev.Utterance("c1", datetime.fromtimestamp(t0 + 5, UTC), 1, speaker="customer",
                     text="My bill is wrong again", start_ms=1000, end_ms=4000),
        ev.CallEnded("c1", datetime.fromtimestamp(t0 + 60, UTC), 2, disposition="resolved"),
    ]:  # fmt: skip
        scorer.apply(e, batch)
    at_end = scorer.features(scorer.ended_states["c1"], t0 + 60)
    labels = scorer.risk.n_labels
    an_hour_later = datetime.fromtimestamp(t0 + 3600, UTC)
    out = scorer.apply_action(ev.SupervisorAction("feedback", "f1", "c1", "sup-1", an_hour_later,
                                                  label="not_hot"), batch)  # fmt: skip
    assert [(x.source, x.label) for x in out.examples if isinstance(x, RiskExample)] == [("feedback", False)]
    assert out.examples[0].features == at_end  # not an hour-long call
    out = scorer.apply_action(ev.SupervisorAction("feedback", "f2", "c1", "sup-1", an_hour_later,
                                                  utterance_seq=1, sentiment=-0.8), batch)  # fmt: skip
    assert [type(x).__name__ for x in out.examples] == ["SentimentExample"]
    assert scorer.risk.n_labels == labels + 1 and scorer.n_feedback == 1
    assert "c1" not in scorer.calls  # still ended: nothing rescored, nothing live


def test_only_the_most_recent_ended_calls_are_kept_for_late_feedback(monkeypatch):
    monkeypatch.setattr("streaming.scoring.scorer.KEEP_ENDED_CALLS", 2)
    scorer = Scorer()
    for i in range(3):
        run_call = [
            ev.CallStarted(f"c{i}", START, 0, queue="billing", agent_id="a1", agent_name="Ana",
                           team="Blue", customer_id=f"k{i}", channel="voice", language="en", wait_s=1.0),
            ev.Utterance(f"c{i}", START, 1, speaker="customer", text="hello", start_ms=0, end_ms=900),
            ev.CallEnded(f"c{i}", START, 2, disposition="resolved"),
        ]  # fmt: skip
        for e in run_call:
            scorer.apply(e, StoreBatch())
    assert list(scorer.ended_states) == ["c1", "c2"]
    out = scorer.apply_action(ev.SupervisorAction("feedback", "f", "c0", "sup-1", START, label="hot"),
                              StoreBatch())  # fmt: skip
    assert out.examples == []
