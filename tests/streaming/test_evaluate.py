"""callheat evaluate and callheat backtest on data written here (never ../shared/data texts)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from streaming import evaluate as evaluation
from streaming.backtest import backtest
from streaming.cli import main
from streaming.errors import ConfigError
from streaming.events import event_from_dict, event_to_dict
from streaming.scoring import Scorer
from streaming.simulator import SimConfig, generate
from streaming.store import StoreBatch
from tests.streaming.test_learning import START

CALM = ["Hi, I would like to change my delivery address", "Great, that sounds good, thank you",
        "Perfect, thanks for your help"]  # fmt: skip
ANGRY = ["My order never arrived and nobody answers", "This is useless, third time I call about it",
         "I want a refund now or I go to the regulator"]  # fmt: skip
AGENT = ["Sure, let me look at that for you", "Sorry, there is nothing I can do about that",
         "I have updated it for you"]  # fmt: skip


def dialogue(i: int, escalated: bool, labelled: bool, rng: random.Random) -> dict:
    turns = []
    for k in range(3):
        text = (ANGRY if escalated and k > 0 else CALM)[k]
        # the first angry turn is rated 3 (not yet dissatisfied), the second 1
        label = (-0.8 if k == 2 else -0.2) if escalated and k > 0 else 0.5 if k else 0.0
        label = label if labelled else None
        rating = None if label is None else (1 if label < -0.5 else 4 if label > 0.25 else 3)
        turns.append({"speaker": "customer", "text": text, "sentiment": label, "sentiment_label": rating})
        turns.append({"speaker": "agent", "text": rng.choice(AGENT)})
    return {"dialogue_id": f"d{i}", "source": "test", "escalated": escalated, "turns": turns,
            "first_dissatisfied_turn": 4 if escalated and labelled else None}  # fmt: skip


def write(path: Path, n: int, labelled: bool) -> Path:
    rng = random.Random(5)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(dialogue(i, i % 4 == 0, labelled, rng)) + "\n")
    return path


def test_report_has_the_documented_shape_and_both_systems(tmp_path):
    report = evaluation.evaluate(write(tmp_path / "d.jsonl", 60, labelled=True), baseline="lexicon")
    assert report["dataset"] == "d.jsonl" and report["dialogues"] == 60
    for system in ("callheat", "baseline"):
        figures = report[system]
        assert set(figures) == set(evaluation.FIGURE_KEYS)
        for key in ("escalation_auc", "escalation_ap", "early_warning_rate", "sentiment_macro_f1"):
            assert 0.0 <= figures[key] <= 1.0
        assert -1.0 <= figures["sentiment_spearman"] <= 1.0
    # escalated dialogues here say so in words before their first dissatisfied turn
    assert report["callheat"]["escalation_auc"] > 0.9
    assert report["validation"]["sentiment_labels"] > 0  # labels were learned as corrections


def test_figures_without_labels_are_null_and_no_baseline_unless_asked(tmp_path):
    report = evaluation.evaluate(write(tmp_path / "d.jsonl", 20, labelled=False))
    assert report["baseline"] is None
    assert report["callheat"]["sentiment_macro_f1"] is None
    assert report["callheat"]["sentiment_spearman"] is None


def test_warning_only_counts_before_the_first_dissatisfied_turn():
    d = evaluation.Dialogue("x", "t", True, 2, tuple(evaluation.Turn("customer", "a") for _ in range(4)))
    late = evaluation.Trace(risks=[0.1, 0.2, 0.9, 0.9])
    early = evaluation.Trace(risks=[0.1, 0.8, 0.9, 0.9])
    calm = evaluation.Dialogue("y", "t", False, None, d.turns)
    quiet = evaluation.Trace(risks=[0.1, 0.1, 0.1, 0.1])
    assert evaluation.figures([d, calm], [late, quiet], 0.7)["early_warning_rate"] == 0.0
    f = evaluation.figures([d, calm], [early, quiet], 0.7)
    assert f["early_warning_rate"] == 1.0 and f["median_lead_turns"] == 1.0
    assert f["false_alarms_per_100"] == 0.0 and f["escalation_auc"] == 1.0


def test_cli_json_and_one_line_errors(tmp_path, capsys):
    path = write(tmp_path / "d.jsonl", 12, labelled=True)
    assert main(["evaluate", "--data", str(path), "--baseline", "lexicon", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"dataset", "dialogues", "callheat", "baseline"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"dialogue_id": "a", "escalated": true, "turns": [{"speaker": "agent", "text": "hi"}]}\n'
                   "not json\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.jsonl:2" in err[0]
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--data", str(path), "--baseline", "vader"])
    assert exc.value.code == 2


def test_backtest_reports_alert_rate_and_precision_per_threshold(tmp_path, capsys):
    path = tmp_path / "rec.jsonl"
    config = SimConfig(seed=4, calls=150, concurrency=20, start=START)
    events = [event_to_dict(e) for _, e in generate(config)]
    escalated = sum(1 for e in events if e["type"] == "call_ended" and e["disposition"] == "escalated")
    end = next(e for e in events if e["type"] == "call_ended" and e["disposition"] == "escalated")
    with open(path, "w", encoding="utf-8") as f:
        for e in events + [{**end, "seq": end["seq"] + 1, "disposition": "resolved"}]:  # a second end
            f.write(json.dumps(e) + "\n")
        f.write('{"type": "utterance", "call_id": "x"}\n')  # invalid: skipped and counted
    report = backtest(path)
    assert report["invalid_lines"] == 1 and report["calls"] > 100 and report["escalated"] == escalated > 0
    assert report["skipped_events"] == 1  # refused by the scorer: it does not change the outcome
    rows = report["thresholds"]
    alerts = [r["alerts"] for r in rows]
    assert alerts == sorted(alerts, reverse=True) and alerts[0] > alerts[-1]
    for r in rows:
        assert r["alerts_per_hour_per_100_calls"] >= 0
        assert r["precision"] is None or 0 <= r["precision"] <= 1
    # a higher threshold buys precision with recall
    assert rows[0]["recall"] >= rows[-1]["recall"]
    # alerts, not alerted calls (found by a review: a call that cooled and heated again alerts
    # again on the wallboard): at the scorer's own threshold, the alerts it writes itself
    scorer, batch = Scorer(), StoreBatch()
    for e in events:
        scorer.apply(event_from_dict(e), batch)
    at_07 = next(r for r in rows if r["threshold"] == scorer.hot_threshold)
    assert at_07["alerts"] == len(batch.alerts) > at_07["alerted_calls"]
    assert main(["backtest", "--events", str(path)]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "1 event skipped as repeated, out of order or after its call's end" in out


def test_shuffle_replays_the_same_dialogues_in_another_order(tmp_path, capsys):
    path = write(tmp_path / "d.jsonl", 40, labelled=True)
    plain = evaluation.evaluate(path)
    again = evaluation.evaluate(path, shuffle=3)
    assert (plain["order"], again["order"]) == ("file", "shuffled, seed 3")
    assert again["dialogues"] == plain["dialogues"] and again["escalated"] == plain["escalated"]
    # same seed, same order, same figures; the scorer learned the labels in another order
    assert evaluation.evaluate(path, shuffle=3)["callheat"] == again["callheat"]
    assert again["validation"] != plain["validation"]
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--data", str(path), "--shuffle", "-1"])
    assert exc.value.code == 2 and "must be 0 or more" in capsys.readouterr().err


def test_limit_replays_the_first_dialogues_of_the_order(tmp_path, capsys):
    path = write(tmp_path / "d.jsonl", 40, labelled=True)
    few = evaluation.evaluate(path, shuffle=3, limit=15)
    assert (few["dialogues"], few["order"]) == (15, "shuffled, seed 3, first 15")
    # the same 15 dialogues, in the same order, as the first 15 of the shuffled file
    shuffled = evaluation.load_dialogues(path)
    random.Random(3).shuffle(shuffled)
    assert few["escalated"] == sum(d.escalated for d in shuffled[:15])
    assert evaluation.evaluate(path, limit=100)["dialogues"] == 40  # more than the file: all of it
    assert main(["evaluate", "--data", str(path), "--limit", "10"]) == 0
    out = capsys.readouterr().out
    assert "10 dialogues" in out and "order file, first 10" in out
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--data", str(path), "--limit", "0"])
    assert exc.value.code == 2 and "must be 1 or more" in capsys.readouterr().err


def test_a_turn_with_a_rating_and_no_mean_is_labelled_by_its_rating(tmp_path):
    rated = {"dialogue_id": "r", "escalated": False, "turns": [
        {"speaker": "customer", "text": "fine", "sentiment_label": 1},
        {"speaker": "customer", "text": "ok", "sentiment": 0.25, "sentiment_label": 3}]}  # fmt: skip
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(rated) + "\n", encoding="utf-8")
    turns = evaluation.load_dialogues(path)[0].turns
    assert [(t.sentiment, t.rating) for t in turns] == [(-1.0, 1), (0.25, 3)]


def turn(**fields) -> dict:
    return {"speaker": "customer", "text": "hi", **fields}


@pytest.mark.parametrize("change, words", [
    ({"escalated": "no"}, "escalated must be true or false"),
    ({"first_dissatisfied_turn": -1}, "first_dissatisfied_turn must be a turn index"),
    ({"turns": [turn(sentiment=1.5)]}, "sentiment must be a number in [-1, 1]"),
    ({"turns": [turn(sentiment=float("nan"))]}, "got nan"),
    ({"turns": [turn(sentiment_label=6)]}, "sentiment_label must be a rating 1-5"),
    ({"turns": [turn(text=None)]}, "text must be a string"),
    # taken, and read as "None", an empty call, a label of no turn, a rating of 2.0
    ({"dialogue_id": None}, "dialogue_id must be a string or a whole number, got None"),
    ({"turns": []}, "turns must be a list of one turn or more, got []"),
    ({"first_dissatisfied_turn": 1}, "first_dissatisfied_turn must be a turn index (0-0) or null, got 1"),
    ({"turns": [turn(sentiment_label=2.0)]}, "turns[0].sentiment_label must be a rating 1-5, a whole "
     "number, got 2.0"),
    # "string indices must be integers"
    ({"turns": "abc"}, "turns must be a list of one turn or more, got 'abc'"),
    ({"turns": [turn(), "abc"]}, "turns[1] must be an object with speaker and text, got 'abc'"),
    ({"turns": [turn(), {"text": "x"}]}, "turns[1] has no field 'speaker'"),
    # an utterance's text rules, or train published part of the import before failing to send
    ({"turns": [turn(), turn(text="a\ud800b")]}, "turns[1].text is not valid Unicode (surrogates not "
     "allowed)"),
    ({"turns": [turn(text="a" * 10_001)]}, "turns[0].text is longer than 10000 characters"),
    ({"turns": [turn(text="a\x00b")]}, "turns[0].text holds a NUL character"),
    ({"source": "billing\nretention"}, "source holds a control character"),  # the call's queue
    ({"source": "b" * 129}, "source is longer than 128 characters"),
])  # fmt: skip
def test_a_label_out_of_range_is_refused_with_its_line(change, words, tmp_path):
    """What evaluate measures against, and callheat train teaches every replica, must be a label."""
    good = {"dialogue_id": "g", "escalated": False, "turns": [turn()]}
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, **change}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"d\.jsonl:2: not a labelled dialogue") as info:
        evaluation.load_dialogues(path)
    assert words in str(info.value)


@pytest.mark.parametrize(("line", "words"), [
    ('{"dialogue_id": "d", "escalated": true}', "no field 'turns'"),
    ("[" * 100_000 + "]" * 100_000, "not a labelled dialogue"),  # deep nesting: a RecursionError
])  # fmt: skip
def test_a_line_that_is_no_dialogue_is_one_line(line, words, tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d.jsonl:1: not a labelled dialogue" in err and words in err


def test_backtest_of_a_file_without_a_valid_event_is_an_error(tmp_path, capsys):
    path = tmp_path / "e.jsonl"
    path.write_text('{"type": "call_exploded", "call_id": "c"}\n', encoding="utf-8")
    assert main(["backtest", "--events", str(path)]) == 1
    assert "holds no valid call event (1 invalid)" in capsys.readouterr().err
