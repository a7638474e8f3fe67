"""The sentiment model's soft negative target."""

from __future__ import annotations

import pytest

from streaming.scoring.sentiment import SentimentModel, TurnContext, negative_target


def _p_negative(model: SentimentModel, text: str) -> float:
    x = model.features(text, TurnContext(), model.lexicon.predict_one(text))
    return float(model.negative.predict_proba_one(x).get(True, 0.0))


@pytest.mark.parametrize("y, share", [(-0.25, 0.5), (-0.5, 1.0), (-1.0, 1.0), (0.0, 0.0), (0.6, 0.0)])
def test_a_label_is_as_negative_as_its_share_of_one_rating_step(y, share):
    assert negative_target(y) == pytest.approx(share)


def test_a_turn_raters_split_on_teaches_half_a_negative_turn():
    # raters split between 2 and 3 (mean -0.25): neither neutral (target 0) nor negative (1)
    split, negative, calm = SentimentModel(warmup=1), SentimentModel(warmup=1), SentimentModel(warmup=1)
    for _ in range(300):
        split.learn_one("well that is one option i suppose", -0.25)
        negative.learn_one("well that is one option i suppose", -0.75)
        calm.learn_one("well that is one option i suppose", 0.0)
    text = "well that is one option i suppose"
    assert _p_negative(calm, text) < 0.1
    assert 0.3 < _p_negative(split, text) < 0.7
    assert _p_negative(negative, text) > 0.9
