"""Training examples are parsed once, like events: a malformed one is refused with its reason,
so no replica learns a NaN or a string as a number."""

from __future__ import annotations

import math

import pytest

from streaming.errors import InvalidEvent
from streaming.scoring import PaceExample, RiskExample, SentimentExample, example_from_dict
from streaming.scoring.sentiment import TurnContext

RISK = RiskExample("c1", {"manager": 1.0}, True, 0.5, "outcome", 0.8, {"w#12": 0.7}, "c1/outcome/0").to_dict()
SENTIMENT = SentimentExample("c1", "still broken", -0.6, TurnContext("try again", "billing", 2, -0.1),
                             "c1/a7/sentiment").to_dict()  # fmt: skip
PACE = PaceExample("c1", "ag-7", 162.5, "c1/pace").to_dict()


def test_good_examples_round_trip():
    for good in (RISK, SENTIMENT, PACE):
        assert example_from_dict(good).to_dict() == good


def test_a_sentiment_example_from_an_older_replica_is_a_correction():
    older = {k: v for k, v in SENTIMENT.items() if k != "source"}
    assert example_from_dict(older).source == "correction"
    assert example_from_dict({**SENTIMENT, "source": "import"}).source == "import"


@pytest.mark.parametrize(("good", "change", "reason"), [
    (RISK, {"features": {"manager": math.nan}}, "features['manager'] must be a finite number"),
    (RISK, {"features": {"manager": "1"}}, "features['manager'] must be a number, got str"),
    (RISK, {"words": {"w#12": math.inf}}, "words['w#12'] must be a finite number"),
    (RISK, {"label": "false"}, "label must be true or false"),
    (RISK, {"weight": -1.0}, "weight must be a finite number in [0, inf]"),
    (RISK, {"predicted": 1.5}, "predicted must be a finite number in [0, 1]"),
    (RISK, {"features": [1.0]}, "features must be an object"),
    (SENTIMENT, {"sentiment": 2.0}, "sentiment must be a finite number in [-1, 1]"),
    (SENTIMENT, {"context": {"mood": "low"}}, "context mood must be a number"),
    (PACE, {"wpm": math.nan}, "wpm must be a finite number"),
    (PACE, {"agent_id": None, "wpm": None}, "wpm must be a number"),
    (RISK, {"kind": "weights"}, "unknown training example kind 'weights'"),
])  # fmt: skip
def test_malformed_examples_are_refused_with_their_reason(good, change, reason):
    with pytest.raises(InvalidEvent) as info:
        example_from_dict({**good, **change})
    assert reason in info.value.reason
