"""Training examples: what one replica learned from, published so every replica learns it.

The replica that owns a call turns its labels (the call's outcome, a supervisor's
hot / not-hot, a confirmed barge-in, a corrected turn sentiment) and, when it ends,
its agent's speaking pace into examples and publishes them to ``training-examples``;
every replica, the owner included, learns them from that topic in the same order, so
all replicas hold the same models and agent pace norms. Each
example has a key that a replayed batch reproduces, so an example published twice
(the scorer crashed after publishing, before the batch was written) is learned once.

>>> e = RiskExample("c1", {"manager": 1.0}, True, 0.5, "outcome", 0.8, {"w:refund": 1.0}, "c1/outcome/0")
>>> example_from_dict(e.to_dict()) == e
True
>>> context = TurnContext("try again", "billing", 2, -0.1)
>>> s = SentimentExample("c1", "still broken", -0.6, context, "c1/a7/sentiment")
>>> example_from_dict(s.to_dict()) == s
True
>>> example_from_dict(PaceExample("c1", "ag-7", 162.5, "c1/pace").to_dict())
PaceExample(call_id='c1', agent_id='ag-7', wpm=162.5, key='c1/pace')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from streaming.errors import InvalidEvent
from streaming.scoring.sentiment import TurnContext


@dataclass(frozen=True, slots=True)
class RiskExample:
    """Call-state features and the label for the risk model."""

    call_id: str
    features: dict[str, float]
    label: bool
    weight: float
    source: str  # outcome | feedback | barge_in
    predicted: float | None = None
    words: dict[str, float] | None = None  # the customer's words, for the risk model's text part
    key: str = ""  # the same for a replayed batch's copy: every replica learns one of them

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "risk", **asdict(self)}


@dataclass(frozen=True, slots=True)
class SentimentExample:
    """A turn's text in context and its corrected sentiment, for the sentiment model."""

    call_id: str
    text: str
    sentiment: float
    context: TurnContext
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "sentiment", "call_id": self.call_id, "text": self.text,
                "sentiment": self.sentiment, "context": asdict(self.context), "key": self.key}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PaceExample:
    """An agent's words per minute over one ended call, for that agent's pace norm."""

    call_id: str
    agent_id: str
    wpm: float
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "pace", **asdict(self)}


TrainingExample = RiskExample | SentimentExample | PaceExample


def example_from_dict(obj: dict[str, Any]) -> TrainingExample:
    """Parse a ``training-examples`` message; InvalidEvent with the reason if it is not one."""
    try:
        if obj["kind"] == "risk":
            return RiskExample(
                str(obj["call_id"]), {str(k): float(v) for k, v in obj["features"].items()},
                bool(obj["label"]), float(obj["weight"]), str(obj["source"]),
                None if obj.get("predicted") is None else float(obj["predicted"]),
                None if obj.get("words") is None else {str(k): float(v) for k, v in obj["words"].items()},
                str(obj.get("key", "")),
            )  # fmt: skip
        if obj["kind"] == "sentiment":
            return SentimentExample(str(obj["call_id"]), str(obj["text"]), float(obj["sentiment"]),
                                    TurnContext(**obj["context"]), str(obj.get("key", "")))  # fmt: skip
        if obj["kind"] == "pace":
            return PaceExample(str(obj["call_id"]), str(obj["agent_id"]), float(obj["wpm"]),
                               str(obj.get("key", "")))  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidEvent(f"not a training example: {exc}") from exc
    raise InvalidEvent(f"unknown training example kind {obj.get('kind')!r}")
