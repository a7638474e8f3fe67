"""Scoring: per-call state, river models, reasons and the playbook. No Kafka, no I/O.

The live scorer, ``callheat evaluate`` and the tests all run this same code.
"""

from streaming.scoring.examples import (
    PaceExample,
    RiskExample,
    SentimentExample,
    TrainingExample,
    example_from_dict,
)
from streaming.scoring.phrases import PhraseBook
from streaming.scoring.risk import RiskModel
from streaming.scoring.scorer import Scorer, ScoreUpdate
from streaming.scoring.sentiment import LexiconSentiment, SentimentModel

__all__ = [
    "LexiconSentiment",
    "PhraseBook",
    "PaceExample",
    "RiskExample",
    "RiskModel",
    "ScoreUpdate",
    "Scorer",
    "SentimentExample",
    "SentimentModel",
    "TrainingExample",
    "example_from_dict",
]
