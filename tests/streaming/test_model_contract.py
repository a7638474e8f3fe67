"""One contract for the scorer's learned models, as river runs every estimator through
the same checks: the arguments kept under their names, a pickle round trip (what a
checkpoint is) that predicts the same, predicting that neither learns nor changes its
input, and missing or unseen features tolerated."""

from __future__ import annotations

import copy
import pickle

import pytest

from streaming.scoring.risk import RiskModel
from streaming.scoring.sentiment import SentimentModel, TurnContext

CUSTOMER = TurnContext(speaker="customer", reply_to="Your refund was sent yesterday.")


def _risk() -> RiskModel:
    model = RiskModel(learning_rate=0.05, blend_memory=0.9)
    for i in range(30):
        x = {"sentiment_ewm": -0.6 if i % 3 == 0 else 0.3, "turns": float(i % 7), "transfers": float(i % 2)}
        model.learn_one(x, y=i % 3 == 0, words=RiskModel.sparse_inputs({"w:refund": 1.0}))
    return model


def _sentiment() -> SentimentModel:
    model = SentimentModel(warmup=2, learning_rate=0.2, adagrad_start=0.1)
    for i, (text, y) in enumerate([("this is useless", -0.8), ("thanks, that's great", 0.8),
                                   ("ok", 0.0)] * 10):  # fmt: skip
        model.learn_one(f"{text} {i}", y, CUSTOMER)
    return model


def test_models_keep_their_arguments_under_their_names():
    assert (_risk().learning_rate, _risk().blend_memory) == (0.05, 0.9)
    model = _sentiment()
    assert (model.warmup, model.learning_rate, model.adagrad_start) == (2, 0.2, 0.1)


def test_risk_model_contract():
    model = _risk()
    x = {"sentiment_ewm": -0.5, "turns": 4.0, "never_seen": 2.0}
    words = RiskModel.sparse_inputs({"w:refund": 1.0, "w:unseen": 1.0})
    before = (copy.deepcopy(x), copy.deepcopy(words), pickle.dumps(model))
    p = model.predict_proba_one(x, words)
    assert 0.0 < p < 1.0
    assert (x, words, pickle.dumps(model)) == before  # predicting learns nothing, changes nothing
    assert pickle.loads(pickle.dumps(model)).predict_proba_one(x, words) == p
    assert 0.0 < model.predict_proba_one({}) < 1.0  # every feature missing
    assert 0.0 < RiskModel().predict_proba_one(x, words) < 1.0  # cold, unseen features


@pytest.mark.parametrize("context", [CUSTOMER, None])
def test_sentiment_model_contract(context):
    model = _sentiment()
    before = pickle.dumps(model)
    y = model.predict_one("this is useless, again", context)
    assert -1.0 <= y <= 1.0
    assert pickle.dumps(model) == before  # predicting learns nothing
    assert pickle.loads(before).predict_one("this is useless, again", context) == y
    assert -1.0 <= model.predict_one("", context) <= 1.0  # nothing to read
    assert -1.0 <= SentimentModel().predict_one("zxqv qwrt", context) <= 1.0  # cold, unseen words


def test_the_playbook_reads_missing_features_as_absent():
    """Its detectors indexed the features: a state scored without one raised KeyError."""
    from streaming.scoring.playbook import Playbook
    from streaming.scoring.state import CallState

    assert Playbook.default().lapses(CallState("c"), {}) == []
