"""Scoring: per-call state, river models, reasons and the playbook. No Kafka, no I/O.

The live scorer, ``callheat evaluate`` and the tests all run this same code.
"""

from streaming.scoring.phrases import PhraseBook
from streaming.scoring.risk import RiskModel
from streaming.scoring.scorer import Scorer, ScoreUpdate, TrainingExample
from streaming.scoring.sentiment import LexiconSentiment, SentimentModel

__all__ = [
    "LexiconSentiment",
    "PhraseBook",
    "RiskModel",
    "ScoreUpdate",
    "Scorer",
    "SentimentModel",
    "TrainingExample",
]
