"""Per-call state: what the scorer remembers about one call between events.

Plain data, serialisable to JSON (the scorer persists it with each store write so a
restarted or rebalanced scorer picks a call up where it was). The accounting of
turns, holds and transfers lives here; models and reasons live elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

NEGATIVE = -0.25  # a customer turn below this counts as negative
LONG_TURN_MS = 15_000  # a turn longer than this is "long" (venting / lecturing)
DEAD_AIR_MS = 8_000  # silence longer than this between turns is dead air
EWM_ALPHA = 0.4  # weight of the newest customer turn in the smoothed sentiment
KEEP_TURNS = 20  # recent turns kept for corrections and slope
KEEP_SNAPSHOTS = 16  # feature snapshots kept for learning from the outcome


@dataclass(slots=True)
class CallState:
    call_id: str
    queue: str = ""
    customer_id: str = ""
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    channel: str | None = None
    language: str | None = None
    consent: bool = True
    status: str = "queued"
    queued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    wait_s: float | None = None
    disposition: str | None = None
    csat: int | None = None
    repeat_caller: bool = False
    updated_at: float = 0.0
    # delivery bookkeeping: the last event applied, by sequence and by Kafka offset
    last_seq: int = -1  # seq may start at 0
    offsets: dict[str, int] = field(default_factory=dict)
    # speech
    n_customer_turns: int = 0
    n_agent_turns: int = 0
    customer_ms: int = 0
    agent_ms: int = 0
    agent_words: int = 0
    last_end_ms: int = 0
    last_speaker: str | None = None
    talk_over: int = 0
    dead_air: int = 0
    venting_turns: int = 0
    long_agent_turns: int = 0
    sentiment_ewm: float | None = None
    worst_sentiment: float = 0.0
    negative_streak: int = 0
    customer_sentiments: list[float] = field(default_factory=list)
    trend: list[float] = field(default_factory=list)
    phrases: dict[str, int] = field(default_factory=dict)  # "customer.manager" -> count
    quotes: dict[str, str] = field(default_factory=dict)  # "customer.manager" -> words last said
    awaiting_ack: bool = False  # a complaint not yet reflected back by the agent
    awaiting_timeframe: bool = False  # the customer asked "when" and got no timeframe
    # holds and transfers
    holds: int = 0
    hold_s: float = 0.0
    on_hold_since: float | None = None
    transfers: int = 0
    # scores
    risk: float = 0.0
    peak_risk: float = 0.0
    level: str = "calm"
    hot_since: float | None = None
    reasons: list[str] = field(default_factory=list)
    whisper: str | None = None
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    recent_turns: list[list[Any]] = field(default_factory=list)  # [seq, speaker, text]

    # --- persistence ------------------------------------------------------------------

    def to_json(self) -> str:
        # shallow: every field is already a JSON value (asdict's deep copy was the
        # scorer's hottest spot when profiled)
        return json.dumps({name: getattr(self, name) for name in _FIELDS}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CallState:
        return cls(**json.loads(text))

    # --- accounting -------------------------------------------------------------------

    def phrase(self, speaker: str, category: str) -> int:
        return self.phrases.get(f"{speaker}.{category}", 0)

    def add_phrases(self, speaker: str, found: dict[str, str]) -> None:
        for cat, words in found.items():
            key = f"{speaker}.{cat}"
            self.phrases[key] = self.phrases.get(key, 0) + 1
            self.quotes[key] = words.lower()

    def quote(self, speaker: str, category: str) -> str:
        return self.quotes.get(f"{speaker}.{category}", "")

    def add_turn(self, seq: int, speaker: str, text: str, start_ms: int, end_ms: int) -> None:
        """Timing bookkeeping for one utterance (sentiment is added separately)."""
        duration = max(0, end_ms - start_ms)
        if self.last_speaker is not None:
            gap = start_ms - self.last_end_ms
            if speaker == "agent" and self.last_speaker == "customer" and gap < 0:
                self.talk_over += 1
            elif gap > DEAD_AIR_MS and self.on_hold_since is None:
                self.dead_air += 1
        if speaker == "customer":
            self.n_customer_turns += 1
            self.customer_ms += duration
        else:
            self.n_agent_turns += 1
            self.agent_ms += duration
            self.agent_words += len(text.split())
            if duration > LONG_TURN_MS:
                self.long_agent_turns += 1
        self.last_end_ms = max(self.last_end_ms, end_ms)
        self.last_speaker = speaker
        self.recent_turns.append([seq, speaker, text])
        del self.recent_turns[:-KEEP_TURNS]

    def add_customer_sentiment(self, sentiment: float, duration_ms: int) -> None:
        self.customer_sentiments.append(sentiment)
        del self.customer_sentiments[:-KEEP_TURNS]
        prev = self.sentiment_ewm
        self.sentiment_ewm = sentiment if prev is None else EWM_ALPHA * sentiment + (1 - EWM_ALPHA) * prev
        self.trend.append(round(self.sentiment_ewm, 3))
        del self.trend[:-KEEP_TURNS]
        self.worst_sentiment = min(self.worst_sentiment, sentiment)
        if sentiment < NEGATIVE:
            self.negative_streak += 1
            if duration_ms > LONG_TURN_MS:
                self.venting_turns += 1
        else:
            self.negative_streak = 0

    def add_snapshot(self, features: dict[str, float], predicted: float) -> None:
        """Keep features seen during the call, thinned evenly, to learn from the outcome."""
        self.snapshots.append({"x": features, "p": predicted})
        if len(self.snapshots) > KEEP_SNAPSHOTS:
            self.snapshots = self.snapshots[:-1:2] + [self.snapshots[-1]]

    def text_of(self, seq: int) -> str | None:
        for s, _speaker, text in self.recent_turns:
            if s == seq:
                return str(text)
        return None

    @property
    def sentiment_slope(self) -> float:
        """Least-squares slope of the last five customer sentiments, per turn."""
        ys = self.customer_sentiments[-5:]
        n = len(ys)
        if n < 2:
            return 0.0
        mean_x, mean_y = (n - 1) / 2, sum(ys) / n
        num = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(ys))
        den = sum((i - mean_x) ** 2 for i in range(n))
        return num / den

    @property
    def agent_wpm(self) -> float | None:
        if self.agent_ms < 5_000 or self.agent_words < 10:
            return None
        return self.agent_words / (self.agent_ms / 60_000)


_FIELDS = tuple(f.name for f in fields(CallState))
