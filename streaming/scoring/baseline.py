"""The lexicon-only scorer: what ``--baseline lexicon`` compares CallHeat against.

Sentiment is VADER's compound score and nothing else; risk is CallHeat's own prior
(:data:`~streaming.scoring.risk.PRIOR_WEIGHTS`) restricted to the sentiment
features (smoothed customer sentiment, its fall, the worst turn, the negative
streak), so both scorers read risk on the same scale and alert at the same
threshold. It learns nothing and knows no phrases, timing or call events.

>>> b = LexiconScorer()
>>> b.turn("customer", "This is wonderful, thanks") > 0
True
>>> calm = b.risk
>>> b.turn("customer", "This is the worst, most useless service ever, I hate it") < 0
True
>>> b.risk > calm
True
"""

from __future__ import annotations

import math

from streaming.scoring.features import call_features
from streaming.scoring.risk import INTERCEPT, PRIOR_WEIGHTS
from streaming.scoring.sentiment import LexiconSentiment
from streaming.scoring.state import CallState

SENTIMENT_FEATURES = ("negative_sentiment", "falling_sentiment", "worst_turn", "negative_streak")


class LexiconScorer:
    def __init__(self) -> None:
        self.lexicon = LexiconSentiment()
        self.state = CallState("baseline")
        self.risk = self._risk()

    def reset(self) -> None:
        self.state = CallState("baseline")
        self.risk = self._risk()

    def _risk(self) -> float:
        x = call_features(self.state, now=0.0, agent_norm_wpm=None)
        z = INTERCEPT + sum(PRIOR_WEIGHTS[k] * x[k] for k in SENTIMENT_FEATURES)
        return 1.0 / (1.0 + math.exp(-z))

    def turn(self, speaker: str, text: str) -> float:
        """Score one turn; customer turns move the risk."""
        sentiment = self.lexicon.predict_one(text)
        if speaker == "customer":
            self.state.add_customer_sentiment(sentiment, 0)
            self.risk = self._risk()
        return sentiment
