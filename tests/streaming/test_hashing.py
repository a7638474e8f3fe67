"""The learned models' vocabularies are bounded, and every process hashes alike."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from streaming.scoring import hashing, risk, sentiment
from streaming.scoring.risk import RiskModel
from streaming.scoring.sentiment import SentimentModel


def _words(i: int) -> list[str]:
    return [f"word{i}x{j}" for j in range(4)]


def test_the_risk_models_words_stay_in_their_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(risk, "RISK_WORD_BITS", 6)
    model = RiskModel()
    dense = {"negative_sentiment": 0.5, "transfers": 1.0}
    for i in range(2_000):  # 8,000 distinct words
        words = model.sparse_inputs({f"w:{w}": 0.5 for w in _words(i)} | {"queue=billing": 1.0})
        model.learn_one(dense, i % 5 == 0, words=words)
    word_keys = [k for k in model.classifier._weights if str(k).startswith("w#")]
    assert 0 < len(word_keys) <= 64
    assert {"negative_sentiment", "transfers", "queue=billing"} <= set(model.classifier._weights)


def test_the_sentiment_models_ngrams_stay_in_their_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment, "SENTIMENT_BITS", 6)
    model = SentimentModel(warmup=1)
    for i in range(500):  # thousands of distinct n-grams, turn and answered turn
        context = sentiment.TurnContext(reply_to=" ".join(_words(-i)), queue="billing")
        model.learn_one(" ".join(_words(i)), (-0.8, 0.0, 0.6)[i % 3], context)
    kinds = ("w#", "r#", "f#", "f2#", "l#")
    for weights in (model.negative._weights, model.positive._weights):
        for kind in kinds:
            assert 0 < sum(1 for k in weights if str(k).startswith(kind)) <= 64
    assert 0 < len(model.word_counts) <= 2 * 64  # turn and answered-turn n-grams
    assert model.predict_one(" ".join(_words(3))) != model.lexicon.predict_one(" ".join(_words(3)))


def test_buckets_do_not_depend_on_the_process() -> None:
    # replicas and restarts must put a word in the same bucket: Python's own hash() is
    # salted per process, so run the hash under two different seeds
    code = "from streaming.scoring.hashing import bucket; print(bucket('w:refund please', 18))"
    seen = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
        seen.add(int(out))
    assert seen == {hashing.bucket("w:refund please", 18)}
