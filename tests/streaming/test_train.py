"""callheat train: labelled conversations taught to the running scorers, through the real broker.

The dialogues are written here (tests.streaming.test_evaluate), never ../shared/data texts.
"""

from __future__ import annotations

import json
import re

import pytest
from kafka import KafkaConsumer, TopicPartition

from streaming import checkpoint
from streaming.cli import main
from streaming.evaluate import evaluate, load_dialogues
from streaming.scoring import Scorer
from streaming.scoring.examples import PaceExample, RiskExample, SentimentExample
from streaming.train import learn_dialogues, train
from tests.factories import angry_call
from tests.streaming.test_consumer import Running, events_of, publish
from tests.streaming.test_evaluate import write

DIALOGUES = 24  # 3 labelled customer turns each, 1 in 4 escalated


def learned(scorer: Scorer, dialogues, run_id: str) -> list:
    """Every example ``learn_dialogues`` yields, in order (once the scorer learned them)."""
    return [e for examples in learn_dialogues(scorer, dialogues, run_id) for e in examples]


def probe(scorer: Scorer) -> list[float]:
    """What ``scorer`` predicts for a few turns and call states: equal lists, equal models."""
    words = scorer.risk.sparse_inputs({"w:refund": 1.0, "w:useless": 1.0})
    states = [dict.fromkeys(("negative_sentiment", "customer_turns", "manager"), v) for v in (0.0, 0.5, 1.0)]
    return ([scorer.sentiment.predict_one(t) for t in ("this is useless", "thanks, that is great")]
            + [scorer.risk.predict_proba_one(x, words) for x in states])  # fmt: skip


def test_the_import_learns_every_label_once_and_a_replica_learning_its_examples_ends_the_same(tmp_path):
    dialogues = load_dialogues(write(tmp_path / "d.jsonl", DIALOGUES, labelled=True))
    importer = Scorer()
    examples = learned(importer, dialogues, "run1")
    sentiment = [e for e in examples if isinstance(e, SentimentExample)]
    risk = [e for e in examples if isinstance(e, RiskExample)]
    assert len(sentiment) == 3 * DIALOGUES and importer.sentiment.n_labels == len(sentiment)
    # one outcome per customer turn snapshot, every one an import; no made-up agent pace
    assert len(risk) == 3 * DIALOGUES and importer.risk.n_labels == len(risk)
    assert {e.source for e in risk} == {"import"} and not any(isinstance(e, PaceExample) for e in examples)
    assert sum(e.label for e in risk) == 3 * sum(d.escalated for d in dialogues)
    # the model page's progressive validation stays about live calls
    validation = importer.validation()
    assert validation["outcomes"] == validation["feedback_labels"] == validation["sentiment_corrections"] == 0
    assert validation["risk_labels"] == len(risk) and validation["imported_labels"] == len(examples)
    assert {e.source for e in sentiment} == {"import"}
    # a replica that learns the published examples, in order, holds the importer's models
    replica = Scorer()
    for example in examples:
        replica.learn(example)
    assert probe(replica) == probe(importer) != probe(Scorer())
    # a second import of the same file is new examples, not a replay of the first's
    again = learned(Scorer(), dialogues, "run2")
    assert not {e.key for e in again} & {e.key for e in examples}
    assert all(e.key.startswith("import-run1-") for e in examples)


def test_train_refuses_a_missing_or_partitioned_training_topic_before_sending(broker, tmp_path, capsys,
                                                                            monkeypatch):  # fmt: skip
    """A first send to a missing training-examples topic had Tansu create it with 4
    partitions, and no scorer would start on it after that."""
    from streaming.broker import create_topics
    from streaming.settings import Settings

    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    data = write(tmp_path / "d.jsonl", 2, labelled=True)
    topics = Settings(topic_prefix="train-none-").topics
    argv = ["train", "--bootstrap-servers", broker.bootstrap_servers, "--data", str(data)]
    assert main([*argv, "--topic-prefix", "train-none-"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"callheat: error: {topics.training_examples} does not exist; it needs exactly 1 partition so "
        "every replica learns in the same order: create it with one partition (`callheat broker` and "
        "`callheat run` create the topics on the broker they start; on another broker, use its own "
        "tools, e.g. kafka-topics.sh --create --partitions 1)\n")
    reader = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers)
    try:
        assert topics.training_examples not in reader.topics()  # not created by a send
    finally:
        reader.close()
    topics = Settings(topic_prefix="train-six-").topics
    create_topics(broker.bootstrap_servers, topics.all(), 6)  # training-examples too
    assert main([*argv, "--topic-prefix", "train-six-"]) == 1
    assert capsys.readouterr().err == (
        f"callheat: error: {topics.training_examples} has 6 partitions; it needs exactly 1 so every "
        "replica learns in the same order: recreate it with one partition\n")


def test_evaluate_can_start_warm_from_a_file_the_baseline_stays_cold(tmp_path, capsys):
    data = write(tmp_path / "d.jsonl", DIALOGUES, labelled=True)
    cold = evaluate(data, baseline="lexicon")
    warm = evaluate(data, baseline="lexicon", train=data)
    assert warm["trained_on"] == {"dataset": "d.jsonl", "dialogues": DIALOGUES} and "trained_on" not in cold
    assert warm["baseline"] == cold["baseline"]
    assert warm["validation"]["risk_labels"] == cold["validation"]["risk_labels"] + 3 * DIALOGUES
    assert warm["callheat"] != cold["callheat"]
    assert main(["evaluate", "--data", str(data), "--train", str(data)]) == 0
    assert "CallHeat trained first on d.jsonl (24 dialogues)" in capsys.readouterr().out
    assert main(["evaluate", "--data", str(data), "--train", str(tmp_path / "missing.jsonl")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.jsonl" in err[0]


def published(settings) -> list[dict]:
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, consumer_timeout_ms=3000)
    try:
        tp = TopicPartition(settings.topics.training_examples, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()


def test_a_running_scorer_learns_an_import_and_goes_on_scoring(kafka_settings, tmp_path):
    data = write(tmp_path / "d.jsonl", DIALOGUES, labelled=True)
    running = Running(kafka_settings)
    try:
        scorer = running.service.scorer
        done = train(kafka_settings, [data], run_id="t")
        assert done["dialogues"] == DIALOGUES and done["from_checkpoint"] is False
        assert done["examples"] == done["sentiment_labels"] + done["risk_examples"] == 6 * DIALOGUES
        assert running.wait_for(lambda: scorer.risk.n_labels == done["risk_examples"]
                                and scorer.sentiment.n_labels == done["sentiment_labels"])  # fmt: skip
        assert probe(scorer) == probe(learned_as_imported(data))
        validation = scorer.validation()
        assert validation["outcomes"] == 0  # imports are not the center's live calls
        assert validation["imported_labels"] == done["examples"]
        publish(kafka_settings, events_of(angry_call()))  # and it goes on scoring the floor
        assert running.wait_for(lambda: running.store.counts()["turns"] == 6)
        assert running.store.get_call("angry-1").peak_risk >= 0.7
        assert running.wait_for(lambda: scorer.validation()["outcomes"] == 1)
    finally:
        running.close()
    assert sum(e["call_id"].startswith("import-t-") for e in published(kafka_settings)) == done["examples"]


def learned_as_imported(data) -> Scorer:
    scorer = Scorer()
    learned(scorer, load_dialogues(data), "t")
    return scorer


def test_train_reads_the_checkpoint_and_a_bad_file_sends_nothing(
    kafka_settings, tmp_path, capsys, monkeypatch
):
    data = write(tmp_path / "d.jsonl", 4, labelled=True)
    checkpoint.save(learned_as_imported(data), kafka_settings.checkpoint_path)
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(kafka_settings.data_dir))
    kafka = ["--bootstrap-servers", kafka_settings.bootstrap_servers, "--topic-prefix",
             kafka_settings.topic_prefix, "--group-id", kafka_settings.group_id]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"dialogue_id": "a", "escalated": true, "turns": [{"speaker": "agent", "text": "hi"}]}\n'
                   "not json\n", encoding="utf-8")
    assert main(["train", *kafka, "--data", str(data), "--data", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.jsonl:2" in err[0]
    assert published(kafka_settings) == []  # every file is read before anything is sent
    assert main(["train", *kafka, "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "learned 4 dialogues (1 escalated) on top of the model checkpoint" in out
    assert "published 24 training examples (12 turn sentiment labels, 12 risk examples)" in out
    assert len(published(kafka_settings)) == 24


@pytest.mark.parametrize("text, words", [
    ("a\ud800b", "turns[0].text is not valid Unicode (surrogates not allowed)"),
    ("a" * 10_001, "turns[0].text is longer than 10000 characters"),
])  # fmt: skip
def test_a_turn_no_utterance_could_carry_is_refused_before_anything_is_sent(
    text, words, kafka_settings, tmp_path, capsys, monkeypatch
):
    """Found by a CLI review: the check took any string, then the import published the
    dialogues before it and failed on that turn (a UnicodeEncodeError traceback, or the
    broker's MessageSizeTooLarge for a 1.2 MB turn)."""
    data = write(tmp_path / "d.jsonl", 4, labelled=True)
    bad = {"dialogue_id": "x", "escalated": True, "turns": [{"speaker": "customer", "text": text}]}
    with open(data, "a", encoding="utf-8") as f:
        f.write(json.dumps(bad) + "\n")  # a lone surrogate as JSON writes it: "\\ud800"
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(kafka_settings.data_dir))
    code = main(["train", "--bootstrap-servers", kafka_settings.bootstrap_servers, "--topic-prefix",
                 kafka_settings.topic_prefix, "--data", str(data)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err == f"callheat: error: {data}:5: not a labelled dialogue ({words})\n"
    assert published(kafka_settings) == []


def test_an_import_whose_sends_the_broker_refuses_exits_1_in_one_line(own_broker, tmp_path, capsys,
                                                                      monkeypatch):  # fmt: skip
    """Found by a code review: train flushed and reported every example "published" while the
    broker refused them (kafka-python's flush() does not raise). Its producer is one the test's
    own broker, restarted for real, left in kafka-python's fatal state: every send fails."""
    from streaming import train as train_module
    from streaming.broker import create_topics
    from tests.streaming.test_consumer import fatal_producer

    producer = fatal_producer(own_broker)
    create_topics(own_broker.bootstrap_servers, ["training-examples"], 1)  # train checks it first
    monkeypatch.setattr(train_module, "make_producer", lambda settings: producer)
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path / "data"))
    data = write(tmp_path / "d.jsonl", 4, labelled=True)
    code = main(["train", "--bootstrap-servers", own_broker.bootstrap_servers, "--data", str(data)])
    captured = capsys.readouterr()
    assert code == 1 and "published" not in captured.out
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("callheat: error: the broker did not accept every "
                                                   "training example sent to training-examples"), err
    # it stops at the first refusal it sees: how far it got depends on when the broker answered
    assert re.search(r"\(KafkaError: .*\); 0 of the \d+ sent were accepted before the import stopped, "
                     r"at dialogue [1-4]\n", err), err
