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


def test_a_new_words_first_step_follows_how_wrong_the_model_was():
    # AdaGrad started at zero steps a new word by the full rate whatever its error;
    # started at ADAGRAD_START, a word in a turn the model nearly got right moves less
    steps = []
    for target in (0.6, 0.9):  # the fresh model says 0.5: nearly right, then badly wrong
        model = SentimentModel()
        model.negative.learn_one({"w#1": 1.0}, target)
        steps.append(model.negative.weights["w#1"])
    assert steps[1] > 2.5 * steps[0] > 0
