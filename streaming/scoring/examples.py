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

import math
from dataclasses import asdict, dataclass
from typing import Any

from streaming.errors import InvalidEvent
from streaming.scoring.sentiment import TurnContext

# the source of an example learned from an imported labelled conversation (callheat train):
# every replica learns it, counts it apart, and leaves it out of progressive validation
IMPORTED = "import"


@dataclass(frozen=True, slots=True)
class RiskExample:
    """Call-state features and the label for the risk model."""

    call_id: str
    features: dict[str, float]
    label: bool
    weight: float
    source: str  # outcome | feedback | barge_in | import (callheat train)
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
    source: str = "correction"  # correction (a supervisor's) | import (callheat train)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "sentiment", "call_id": self.call_id, "text": self.text,
                "sentiment": self.sentiment, "context": asdict(self.context), "key": self.key,
                "source": self.source}  # fmt: skip


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


def _num(value: Any, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite number in [low, high]: one NaN learned would poison a model on every replica."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{what} must be a finite number in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def _nums(values: Any, what: str) -> dict[str, float]:
    if not isinstance(values, dict):
        raise ValueError(f"{what} must be an object, got {type(values).__name__}")
    return {str(k): _num(v, f"{what}[{k!r}]") for k, v in values.items()}


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, got {value!r}")
    return value


def _context(obj: Any) -> TurnContext:
    if not isinstance(obj, dict):
        raise ValueError(f"context must be an object, got {type(obj).__name__}")
    reply_to, mood, previous = obj.get("reply_to"), obj.get("mood"), obj.get("previous")
    return TurnContext(
        reply_to=None if reply_to is None else str(reply_to), queue=str(obj.get("queue", "")),
        position=int(_num(obj.get("position", 0), "context position", 0)),
        previous=None if previous is None else _num(previous, "context previous"),
        speaker=str(obj.get("speaker", "customer")),
        mood=None if mood is None else _num(mood, "context mood"),
    )  # fmt: skip


def example_from_dict(obj: dict[str, Any]) -> TrainingExample:
    """Parse a ``training-examples`` message; InvalidEvent with the reason if it is not one.

    Every number must be finite and in range, as the events' are:

    >>> example_from_dict({"kind": "pace", "call_id": "c1", "agent_id": "a", "wpm": float("nan")})
    Traceback (most recent call last):
    ...
    streaming.errors.InvalidEvent: not a training example: wpm must be a finite number in [0, inf], got nan
    """
    try:
        if obj["kind"] == "risk":
            return RiskExample(
                str(obj["call_id"]), _nums(obj["features"], "features"), _flag(obj["label"], "label"),
                _num(obj["weight"], "weight", 0), str(obj["source"]),
                None if obj.get("predicted") is None else _num(obj["predicted"], "predicted", 0, 1),
                None if obj.get("words") is None else _nums(obj["words"], "words"),
                str(obj.get("key", "")),
            )  # fmt: skip
        if obj["kind"] == "sentiment":
            return SentimentExample(
                str(obj["call_id"]), str(obj["text"]), _num(obj["sentiment"], "sentiment", -1, 1),
                _context(obj["context"]), str(obj.get("key", "")), str(obj.get("source", "correction")),
            )  # fmt: skip
        if obj["kind"] == "pace":
            return PaceExample(str(obj["call_id"]), str(obj["agent_id"]), _num(obj["wpm"], "wpm", 0),
                               str(obj.get("key", "")))  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise InvalidEvent(f"not a training example: {exc}") from exc
    raise InvalidEvent(f"unknown training example kind {obj.get('kind')!r}")
