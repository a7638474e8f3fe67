"""Per-call state: what the scorer remembers about one call between events.

Plain data, serialisable to JSON (the scorer persists it with each store write so a
restarted or rebalanced scorer picks a call up where it was). The accounting of
turns, holds and transfers lives here; models and reasons live elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from streaming.scoring.sentiment import tokens

NEGATIVE = -0.25  # a customer turn below this counts as negative
LONG_TURN_MS = 15_000  # a customer turn longer than this is "long" (venting)
# an agent turn longer than this is a long explanation (playbook 6): some 75 words at a
# speaking pace; a plain answer with a step or two often takes 15-25 s, and counting it
# put "long explanations" on a third of calm written exchanges
LONG_AGENT_TURN_MS = 30_000
DEAD_AIR_MS = 8_000  # silence longer than this between turns is dead air
# Faster than anyone speaks: a turn's words over its times say the times are wrong (an input
# review sent 10,000 characters in 5 s, a pace 24 times the norm that would have moved the
# agent's norm and the model's scaling of pace for every call after it)
MAX_WPM = 400.0
EWM_ALPHA = 0.4  # weight of the newest customer turn in the smoothed sentiment
KEEP_TURNS = 20  # recent turns kept for corrections and slope
KEEP_SNAPSHOTS = 16  # feature snapshots kept for learning from the outcome
KEEP_WORDS = 300  # distinct customer words and bigrams kept per call for the risk model


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
    # delivery bookkeeping: the events applied, by sequence and by Kafka offset
    # (see streaming.scoring.delivery: a replayed event from a late one)
    first_seq: int = -1  # -1: none yet, or a state stored before it was kept
    last_seq: int = -1  # seq may start at 0
    seq_gaps: list[list[int]] = field(default_factory=list)  # seqs below last_seq never seen
    offsets: dict[str, int] = field(default_factory=dict)  # partition -> the last offset noted
    first_offsets: dict[str, int] = field(default_factory=dict)  # partition -> the first noted
    # "partition:offset" -> digest of the message there, for the latest offsets noted
    offset_digests: dict[str, int] = field(default_factory=dict)
    seq_digests: dict[str, int] = field(default_factory=dict)  # seq -> digest of the event applied
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
    last_venting_turn: int = 0  # the customer turn number of the latest venting turn
    long_agent_turns: int = 0
    words: dict[str, int] = field(default_factory=dict)  # the customer's words and bigrams so far
    customer_questions: int = 0  # customer turns asking something ("?")
    customer_exclaims: int = 0  # customer turns with "!"
    sentiment_sum: float = 0.0  # all customer turn sentiments, summed (mean = sum / turns)
    expected_reaction: float | None = None  # how the learned model expects the customer to take
    # the agent's last answer (see SentimentModel.expected_reaction)
    sentiment_ewm: float | None = None
    worst_sentiment: float = 0.0
    negative_streak: int = 0
    customer_sentiments: list[float] = field(default_factory=list)
    trend: list[float] = field(default_factory=list)
    phrases: dict[str, int] = field(default_factory=dict)  # "customer.manager" -> count
    quotes: dict[str, str] = field(default_factory=dict)  # "customer.manager" -> words last said
    awaiting_ack: bool = False  # a complaint not yet reflected back by the agent
    ack_missed: bool = False  # ... and the agent has answered since without reflecting it
    awaiting_timeframe: bool = False  # the customer asked "when" and got no timeframe
    commit_no_timeframe: bool = False  # the agent promised something and said no "when" yet
    # holds and transfers
    holds: int = 0
    hold_s: float = 0.0
    on_hold_since: float | None = None
    transfers: int = 0
    first_queue: str | None = None  # the queue the call waited in and was answered from
    # who had the call before its latest transfer: [agent_id, agent_name, team, queue]
    handed_off_from: list[str | None] | None = None
    # scores
    risk: float = 0.0
    peak_risk: float = 0.0
    level: str = "calm"
    hot_since: float | None = None
    # who had the call when its risk first reached the hot threshold: [agent_id, agent_name,
    # team, queue] (the trends credit a hot call to them, not to whoever had it last)
    hot_holder: list[str | None] | None = None
    # a supervisor marked the live call not hot: at this risk, with these hard rules fired
    not_hot_at: float | None = None
    not_hot_rules: list[str] = field(default_factory=list)
    # a supervisor marked the live call hot (or barged in and confirmed it): shown hot
    # whatever the risk, until marked not hot or it ends
    marked_hot: bool = False
    # customer turns in a row, since the last hard-rule phrase, that were calm (the rule's
    # floor lifts after RULE_HOLD_CALM_TURNS of them)
    calm_turns_since_rule: int = 0
    reasons: list[str] = field(default_factory=list)
    whisper: str | None = None
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    # the playbook on this call: practices and lapses already recorded, promises made
    practices_seen: list[str] = field(default_factory=list)
    promises: list[str] = field(default_factory=list)
    # the call's callback commitments, [seq, due_at, timeframe said, time of day said], and a
    # callback the agent offered as a question, [seq, ts, text], until the customer's reply
    # takes it up or not
    callbacks: list[list[Any]] = field(default_factory=list)
    callback_offer: list[Any] | None = None
    agent_last: list[str] = field(default_factory=list)  # phrase categories of the agent's last turn
    first_issue: str | None = None  # the customer's first words (for the post-call summary)
    recent_turns: list[list[Any]] = field(default_factory=list)  # [seq, speaker, text, sentiment]

    # --- persistence ------------------------------------------------------------------

    def to_json(self) -> str:
        # shallow: every field is already a JSON value (asdict's deep copy was the
        # scorer's hottest spot when profiled)
        return json.dumps({name: getattr(self, name) for name in _FIELDS}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CallState:
        data = json.loads(text)
        # turns persisted before sentiment was kept with them
        data["recent_turns"] = [(t + [None])[:4] for t in data.get("recent_turns", [])]
        if "callbacks" not in data:  # a state kept before callbacks were: from its promises
            data["callbacks"] = _callbacks_from(data.get("promises", []))
        return cls(**{k: v for k, v in data.items() if k in _FIELD_SET})

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
            self.customer_questions += int("?" in text)
            self.customer_exclaims += int("!" in text)
            for token in tokens(text):
                if token in self.words or len(self.words) < KEEP_WORDS:
                    self.words[token] = self.words.get(token, 0) + 1
        else:
            self.n_agent_turns += 1
            self.agent_ms += duration
            self.agent_words += len(text.split())
            if duration > LONG_AGENT_TURN_MS:
                self.long_agent_turns += 1
        self.last_end_ms = max(self.last_end_ms, end_ms)
        self.last_speaker = speaker
        self.recent_turns.append([seq, speaker, text, None])
        del self.recent_turns[:-KEEP_TURNS]

    def set_turn_sentiment(self, seq: int, sentiment: float) -> None:
        for turn in reversed(self.recent_turns):
            if turn[0] == seq:
                turn[3] = sentiment
                return

    def last_words(self, speaker: str, before: int | None = None) -> str | None:
        """The last thing ``speaker`` said (before turn ``before``), from the recent turns."""
        for turn in reversed(self.recent_turns):
            if turn[1] == speaker and (before is None or turn[0] < before):
                return str(turn[2])
        return None

    def last_sentiment(self, speaker: str, before: int | None = None) -> float | None:
        for turn in reversed(self.recent_turns):
            if turn[1] == speaker and (before is None or turn[0] < before) and turn[3] is not None:
                return float(turn[3])
        return None

    def mood(self, speaker: str, before: int | None = None, turns: int = 5) -> float | None:
        """Mean sentiment of ``speaker``'s last ``turns`` scored turns (before ``before``)."""
        values = [float(t[3]) for t in self.recent_turns
                  if t[1] == speaker and (before is None or t[0] < before) and t[3] is not None]  # fmt: skip
        recent = values[-turns:]
        return sum(recent) / len(recent) if recent else None

    def correct(self, seq: int, sentiment: float) -> bool:
        """A supervisor's correction of one recent turn; the customer's figures follow it."""
        turn = next((t for t in self.recent_turns if t[0] == seq), None)
        if turn is None:
            return False
        old, turn[3] = turn[3], sentiment
        if turn[1] == "customer":
            self.sentiment_sum += sentiment - (old or 0.0)
            values = [float(t[3]) for t in self.recent_turns if t[1] == "customer" and t[3] is not None]
            self.customer_sentiments, self.trend = [], []
            self.sentiment_ewm, self.worst_sentiment, self.negative_streak = None, 0.0, 0
            total = self.sentiment_sum
            for value in values:
                self.add_customer_sentiment(value, 0)
            self.sentiment_sum = total
        return True

    def add_customer_sentiment(self, sentiment: float, duration_ms: int) -> None:
        self.sentiment_sum += sentiment
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
                self.last_venting_turn = self.n_customer_turns
        else:
            self.negative_streak = 0

    def add_snapshot(self, features: dict[str, float], predicted: float,
                     learned: float | None = None) -> None:  # fmt: skip
        """Keep features seen during the call, thinned evenly, to learn from the outcome, with
        the risk ``predicted`` and the learned model's own part of it (None: not trained yet)."""
        snapshot: dict[str, Any] = {"x": features, "p": predicted}
        if learned is not None:
            snapshot["pl"] = learned
        self.snapshots.append(snapshot)
        if len(self.snapshots) > KEEP_SNAPSHOTS:
            self.snapshots = self.snapshots[:-1:2] + [self.snapshots[-1]]

    def text_of(self, seq: int) -> str | None:
        for turn in self.recent_turns:
            if turn[0] == seq:
                return str(turn[2])
        return None

    def word_features(self) -> dict[str, float]:
        """The risk model's sparse features: the customer's words (counts, L2-normalised), and
        the queue and agent, whose own escalation rates the learned model can pick up (these
        two last: ``RiskModel.sparse_contributions`` finds them there)."""
        norm = sum(v * v for v in self.words.values()) ** 0.5
        out = {f"w:{k}": v / norm for k, v in self.words.items()} if norm else {}
        out[f"queue={self.queue}"] = 1.0
        if self.agent_id:
            out[f"agent={self.agent_id}"] = 1.0
        return out

    @property
    def venting_now(self) -> bool:
        """The customer vented in one of their last three turns (not just once, long ago)."""
        return self.venting_turns > 0 and self.n_customer_turns - self.last_venting_turn < 3

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
        return min(self.agent_words / (self.agent_ms / 60_000), MAX_WPM)


_PROMISE = re.compile(r"callback by (\d{4}-\d\d-\d\d \d\d:\d\d) UTC( \(no timeframe said\))?")


def _callbacks_from(promises: list[str]) -> list[list[Any]]:
    """A call's callbacks as kept (``[seq, due_at, timeframe said, time of day said]``), from
    the promises (``turns._callback``'s words) of a state kept before they were; their seqs
    are not known.

    >>> _callbacks_from(["callback by 2026-11-26 04:26 UTC",
    ...                  "callback by 2026-11-27 17:00 UTC (no timeframe said)"])
    [[None, 1795667160.0, True, True], [None, 1795798800.0, False, True]]
    """
    out: list[list[Any]] = []
    for promise in promises:
        m = _PROMISE.fullmatch(promise)
        if m:
            due = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp()
            out.append([None, due, m.group(2) is None, True])
    return out


_FIELDS = tuple(f.name for f in fields(CallState))
_FIELD_SET = frozenset(_FIELDS)
