"""The lexicon-only scorer: what ``--baseline lexicon`` compares CallHeat against.

Sentiment is VADER's compound score and nothing else; risk is how negative the
customer's worst turn so far was, ``(1 - worst) / 2``, so a neutral call sits at
0.5 and a turn at -0.4 reaches the default hot threshold of 0.7. It learns nothing,
knows no phrases and no call events.

>>> b = LexiconScorer()
>>> b.turn("customer", "This is wonderful, thanks") > 0
True
>>> b.turn("customer", "This is the worst, most useless service ever") < 0
True
>>> b.risk > 0.7
True
"""

from __future__ import annotations

from streaming.scoring.sentiment import LexiconSentiment


class LexiconScorer:
    def __init__(self) -> None:
        self.lexicon = LexiconSentiment()
        self.worst = 0.0
        self.risk = 0.5

    def reset(self) -> None:
        self.worst, self.risk = 0.0, 0.5

    def turn(self, speaker: str, text: str) -> float:
        """Score one turn; customer turns move the risk."""
        sentiment = self.lexicon.predict_one(text)
        if speaker == "customer":
            self.worst = min(self.worst, sentiment)
            self.risk = (1.0 - self.worst) / 2
        return sentiment
