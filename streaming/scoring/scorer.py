"""The scorer: applies call events to per-call state, scores them, fills a store batch.

No Kafka and no I/O here: the consumer hands in parsed events (with their Kafka
partition and offset) and a :class:`~streaming.store.StoreBatch`; the scorer
updates its state, writes rows into the batch and returns what to publish.
Progressive validation: every risk is predicted before the call's label is
learned.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, TypeVar

from river import metrics

from streaming import events as ev
from streaming.scoring import practices
from streaming.scoring.delivery import (
    Ended,
    digest,
    ended_from_json,
    ended_to_json,
    is_replay,
    keep_digest,
    note_offset,
    record,
    same_event,
    verdict,
)
from streaming.scoring.examples import IMPORTED, PaceExample, RiskExample, SentimentExample, TrainingExample
from streaming.scoring.features import call_features
from streaming.scoring.monitoring import Calibration, SentimentDrift
from streaming.scoring.phrases import PhraseBook
from streaming.scoring.playbook import SAME_AS_FEATURE, Playbook, to_record
from streaming.scoring.reasons import BASE_RATE_REASON, top_reasons
from streaming.scoring.risk import RULE_FLOORS, RiskModel
from streaming.scoring.sentiment import SentimentModel, TurnContext
from streaming.scoring.state import NEGATIVE, CallState
from streaming.store.base import (
    ActionRow,
    AlertRow,
    CallRow,
    CommitmentRow,
    MarkerRow,
    PracticeRow,
    StoreBatch,
    TurnRow,
)

REPEAT_WINDOW_S = 7 * 86_400  # a customer calling again within this is a repeat caller
MAX_CUSTOMERS = 200_000  # customers remembered for repeat detection
TOMBSTONE = "ended"  # an ended call's stored state before its delivery was kept with it
# A customer turn with one of these phrases is scored at most NEGATIVE_PHRASE_CAP.
NEGATIVE_PHRASES = frozenset({"manager", "cancel", "complaint", "formal_complaint", "legal", "regulator",
                              "abuse"})
NEGATIVE_PHRASE_CAP = -0.4
# a customer turn with one of these (or very negative) needs the issue reflected back (playbook 4)
ACK_NEEDED = frozenset({"complaint", "formal_complaint", "repeat", "manager", "cancel"})
SNAPSHOT_POWER = 1.0  # how fast the weight of a call's earlier snapshots falls off
# a call a supervisor marked not hot is not shown hot again until its risk rises this much
# above where it was then, or a hard rule fires that had not: "not hot" is not a snooze
# of the whole call, but one alert less to dismiss twice
RISE_AFTER_NOT_HOT = 0.1
NOT_HOT_REASON = "marked not hot by a supervisor"
MARKED_HOT_REASON = "marked hot by a supervisor"
MODEL_POINT_EVERY_S = 300.0  # event time between two points of the model-metrics history
# ended calls whose final state is kept in memory so that a supervisor's feedback or turn
# correction sent after the call ended is still learned; the store keeps it (ended_states)
# for KEEP_ENDED_STATE_S, for the replica that gets the feedback after a restart or a
# rebalance (about 5 KB a call with customer turns)
KEEP_ENDED_CALLS = 1_000
KEEP_ENDED_STATE_S = 7 * 86_400
KEEP_LEARNED_KEYS = 50_000  # keys of the examples learned last: a replay's copies come soon after
KEEP_ENDED_IDS = 100_000  # ids of the calls that ended last, so their replayed events are dropped

K = TypeVar("K")
V = TypeVar("V")


def _remember(recent: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    """Put ``key`` last in ``recent``, forgetting the oldest entries beyond ``limit``."""
    recent[key] = value
    recent.move_to_end(key)
    while len(recent) > limit:
        recent.popitem(last=False)


@dataclass(frozen=True, slots=True)
class ScoreUpdate:
    """One call's score after an event; published to ``call-scores``."""

    call_id: str
    seq: int
    ts: float
    status: str
    risk: float
    level: str
    sentiment: float | None
    reasons: tuple[str, ...]
    whisper: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id, "seq": self.seq, "ts": self.ts, "status": self.status,
            "risk": round(self.risk, 4), "level": self.level,
            "sentiment": None if self.sentiment is None else round(self.sentiment, 4),
            "reasons": list(self.reasons), "whisper": self.whisper,
        }  # fmt: skip


@dataclass(slots=True)
class Applied:
    """What applying one event or action produced besides the store rows."""

    updates: list[ScoreUpdate] = field(default_factory=list)
    examples: list[TrainingExample] = field(default_factory=list)
    duplicate: bool = False
    # why the event was refused: it came after the call's later events or after its end
    # (see streaming.scoring.delivery); the consumer sends it to the DLQ with this reason
    refused: str | None = None


class Scorer:
    """Per-call state plus the models. One instance per scorer process."""

    def __init__(
        self,
        *,
        hot_threshold: float = 0.7,
        warm_threshold: float = 0.4,
        sentiment: SentimentModel | None = None,
        risk: RiskModel | None = None,
        phrases: PhraseBook | None = None,
        playbook: Playbook | None = None,
        timezone: tzinfo = UTC,
    ) -> None:
        self.hot_threshold = hot_threshold
        self.warm_threshold = warm_threshold
        self.sentiment = sentiment or SentimentModel()
        self.risk = risk or RiskModel()
        self.phrases = phrases or PhraseBook.default()
        self.playbook = playbook or Playbook.default()
        self.timezone = timezone  # the center's: "by Friday" in a promise is the center's Friday
        self.calls: dict[str, CallState] = {}
        # recently ended calls, to tell their replayed events from late ones (None: not known)
        self.ended: OrderedDict[str, Ended | None] = OrderedDict()
        self.ended_states: OrderedDict[str, CallState] = OrderedDict()  # for late feedback
        self.learned_keys: OrderedDict[str, None] = OrderedDict()  # recent examples' keys
        self.customers: OrderedDict[str, float] = OrderedDict()  # customer -> last call ts
        self.agent_wpm: dict[str, float] = {}
        self.agent_directory: dict[str, tuple[str | None, str | None]] = {}  # id -> (name, team)
        self.auc = metrics.ROCAUC(n_thresholds=50)
        self.log_loss = metrics.LogLoss()
        self.n_outcomes = 0
        self.n_escalated = 0
        self.n_sentiment_corrections = 0
        self.n_imported = 0  # labels imported from labelled conversations (callheat train)
        self.n_feedback = 0
        # False when the consumer publishes examples and every replica learns them from
        # the training-examples topic; True (evaluate, backtest, history) learns at once.
        self.learn_inline = True
        self.training_offset = -1  # the last training-examples offset learned (consumer's)
        self.calibration = Calibration()
        self.drift = SentimentDrift()
        self._last_point = (-1, 0.0)  # (outcomes, event time) of the last model-metrics point
        self._dirty: set[str] = set()  # calls changed since the last flush()
        self._word_cache: dict[str, tuple[tuple[int, str, str | None], dict[str, float]]] = {}
        self.clock = 0.0  # the latest event time seen (epoch s): the data's "now"

    # --- state management ----------------------------------------------------------

    def missing(self, call_ids: set[str]) -> list[str]:
        """Call ids this scorer holds no state for (the consumer loads them from the store)."""
        return [c for c in call_ids if c not in self.calls and c not in self.ended]

    def adopt(self, call_id: str, state_json: str) -> None:
        """Take over a call's persisted state (after a restart or a rebalance)."""
        if state_json == TOMBSTONE:
            self._forget(call_id, None)
        elif state_json.startswith('{"ended"'):
            self._forget(call_id, ended_from_json(state_json))
        else:
            self.calls[call_id] = CallState.from_json(state_json)

    def unheld(self, call_ids: set[str]) -> list[str]:
        """Of the calls actions are about, those this scorer holds neither live nor ended."""
        return [c for c in call_ids if c not in self.calls and c not in self.ended_states]

    def adopt_ended(self, call_id: str, state_json: str) -> None:
        """Take an ended call's final state from the store, for feedback sent after it ended."""
        _remember(self.ended_states, call_id, CallState.from_json(state_json), KEEP_ENDED_CALLS)

    def unknown_customers(self, customer_ids: set[str]) -> list[str]:
        """Of these customers, those with no call this scorer has seen end."""
        return [c for c in customer_ids if c and c not in self.customers]

    def remember_customer(self, customer_id: str, ended_at: float) -> None:
        """A customer's last call ended at ``ended_at`` (from the store: it may have ended on
        another replica), for repeat-caller detection."""
        if ended_at > self.customers.get(customer_id, float("-inf")):
            _remember(self.customers, customer_id, ended_at, MAX_CUSTOMERS)

    def release_calls(self) -> None:
        """Drop every call from memory (its partitions moved; the state is in the store)."""
        self.calls.clear()
        self._word_cache.clear()
        self._dirty.clear()

    def forget_calls(self, call_ids: set[str]) -> None:
        """Drop these calls entirely, live or ended, as a restarted scorer would not know
        them: a batch that changed them was not stored, and its replay must start from
        the store's state, not from what the lost batch left in memory."""
        for call_id in call_ids:
            self._forget(call_id, None)
            self.ended.pop(call_id, None)
            self.ended_states.pop(call_id, None)

    def _words(self, state: CallState) -> dict[str, float]:
        """The risk model's sparse inputs from ``state.word_features()``, rebuilt only when the
        customer spoke or the call moved (live calls; an ended call's are not cached)."""
        if state.call_id not in self.calls:
            return self.risk.sparse_inputs(state.word_features())
        key = (state.n_customer_turns, state.queue, state.agent_id)
        cached = self._word_cache.get(state.call_id)
        if cached is None or cached[0] != key:
            cached = self._word_cache[state.call_id] = (key, self.risk.sparse_inputs(state.word_features()))
        return cached[1]

    def _forget(self, call_id: str, ended: Ended | None) -> None:
        self._word_cache.pop(call_id, None)
        self.calls.pop(call_id, None)
        self._dirty.discard(call_id)
        _remember(self.ended, call_id, ended, KEEP_ENDED_IDS)

    # --- events --------------------------------------------------------------------

    def apply(
        self, event: ev.CallEvent, batch: StoreBatch, partition: int | None = None,
        offset: int | None = None, clock_limit: float | None = None,
    ) -> Applied:  # fmt: skip
        """Apply one call event; rows go into ``batch``.

        Replays are detected and skipped (``duplicate``); an event that comes after the
        call's later events or after its end is refused (``refused``, with the reason).
        The event moves :attr:`clock` to its time, unless it is dated past ``clock_limit``
        (the live scorer's guard against an event dated far ahead: it is scored, at its
        own time, but the data's "now" stays where the other events put it).
        """
        if event.call_id in self.ended:
            return self._after_end(event, batch, partition, offset)
        state = self.calls.get(event.call_id)
        if state is None:
            state = self.calls[event.call_id] = CallState(event.call_id)
        fingerprint = digest(event)
        match verdict(state, event.seq, partition, offset):
            case "duplicate" if (is_replay(state, partition, offset)
                                 or same_event(state.seq_digests, event.seq, fingerprint)):
                return Applied(duplicate=True)
            case "duplicate":
                note_offset(state, partition, offset)  # its replay is refused again, not applied
                self._dirty.add(state.call_id)
                return Applied(refused=f"seq {event.seq} was already applied to a different event of "
                                       "this call (a producer that reuses a seq, or numbers some events "
                                       "and not others): not scored")  # fmt: skip
            case "late":
                note_offset(state, partition, offset)  # its replay is a duplicate
                self._dirty.add(state.call_id)
                return Applied(refused=f"seq {event.seq} came after seq {state.last_seq} of the same "
                                       "call: an event out of order is not scored")  # fmt: skip
        seq = record(state, event.seq, partition, offset)
        keep_digest(state.seq_digests, seq, fingerprint)
        ts = event.ts.timestamp()
        state.updated_at = ts
        if clock_limit is None or ts <= clock_limit:
            self.clock = max(self.clock, ts)
        out = Applied()
        sentiment: float | None = None
        handed_off_by: str | None = None

        if isinstance(event, ev.Utterance):
            sentiment = self._utterance(state, event, seq, batch)
            if sentiment is None:  # no consent: nothing scored or stored
                self._dirty.add(state.call_id)
                return out
        elif isinstance(event, ev.CallQueued):
            state.queue, state.customer_id, state.status = event.queue, event.customer_id, "queued"
            state.queued_at = ts
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "queued", event.queue))
        elif isinstance(event, ev.CallStarted):
            self._started(state, event, ts)
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "started", event.agent_name))
        elif isinstance(event, ev.HoldStarted):
            state.holds += 1
            state.on_hold_since = ts
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "hold_started"))
        elif isinstance(event, ev.HoldEnded):
            if state.on_hold_since is not None:
                state.hold_s += max(0.0, ts - state.on_hold_since)
            state.on_hold_since = None
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "hold_ended"))
        elif isinstance(event, ev.Transfer):
            handed_off_by = state.agent_id  # a lapse this transfer brings is theirs, not the next agent's
            if not (state.agent_id is None and event.to_queue == state.queue and event.to_agent_id):
                state.transfers += 1  # else: the agent who took a transfer that waited in the queue
            state.queue = event.to_queue
            # no agent named: the call waits in the new queue and its last agent is free again
            state.agent_id = event.to_agent_id
            state.agent_name, state.team = self.agent_directory.get(
                event.to_agent_id or "", (event.to_agent_id, state.team))
            detail = event.to_queue + (f" / {event.to_agent_id}" if event.to_agent_id else "")
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "transfer", detail))
        elif isinstance(event, ev.CallEnded | ev.CallAbandoned):
            return self._finished(state, event, seq, ts, batch)

        if state.status == "live":
            self._rescore(state, seq, ts, batch,
                          speaker=event.speaker if isinstance(event, ev.Utterance) else None,
                          lapse_agent=handed_off_by if isinstance(event, ev.Transfer) else None)
        if isinstance(event, ev.Utterance) and sentiment is not None:
            batch.turns.append(TurnRow(state.call_id, seq, ts, event.speaker, event.text,
                                       event.start_ms, event.end_ms, sentiment, state.risk))
        self._dirty.add(state.call_id)
        out.updates.append(self._update(state, seq, ts, sentiment))
        return out

    def flush(self, batch: StoreBatch) -> None:
        """Write the rows and persisted state of every call changed since the last flush.

        Done once per batch rather than per event: serialising state is the
        costliest step, and only a call's last version in a batch matters.
        """
        for call_id in self._dirty:
            state = self.calls.get(call_id)
            if state is not None:
                batch.calls[call_id] = self._row(state)
                batch.states[call_id] = state.to_json()
        self._dirty.clear()
        outcomes, at = self._last_point
        if self.n_outcomes != outcomes and self.clock - at >= MODEL_POINT_EVERY_S:
            batch.model_points[self.clock] = self.validation_json()
            self._last_point = (self.n_outcomes, self.clock)

    def _started(self, state: CallState, event: ev.CallStarted, ts: float) -> None:
        state.status = "live"
        state.queue, state.customer_id = event.queue, event.customer_id
        state.agent_id, state.agent_name, state.team = event.agent_id, event.agent_name, event.team
        self.agent_directory[event.agent_id] = (event.agent_name, event.team)
        state.channel, state.language, state.consent = event.channel, event.language, event.consent
        state.started_at, state.wait_s = ts, event.wait_s
        if state.queued_at is None:
            state.queued_at = ts - event.wait_s
        last = self.customers.get(event.customer_id)
        state.repeat_caller = last is not None and 0.0 <= ts - last < REPEAT_WINDOW_S

    def _utterance(self, state: CallState, event: ev.Utterance, seq: int,
                   batch: StoreBatch) -> float | None:  # fmt: skip
        """Sentiment and bookkeeping of one turn; None when the call has no consent."""
        if not state.consent:
            return None
        if state.status == "queued":  # speech before call_started: treat the call as live
            state.status = "live"
            state.started_at = state.started_at or event.ts.timestamp()
        context = self.context(state, event.speaker)
        sentiment = self.sentiment.predict_one(event.text, context)
        found = self.phrases.find(event.speaker, event.text)
        if event.speaker == "agent" and "vague" in found:
            # "maybe next week, maybe next month", "I don't know how many working days": no timeframe
            found.pop("timeframe", None)
            found.pop("time", None)
        if event.speaker == "customer" and found.keys() & NEGATIVE_PHRASES:
            # "Could I speak to a manager, please?" reads polite to a lexicon; it is not.
            sentiment = min(sentiment, NEGATIVE_PHRASE_CAP)
        state.add_phrases(event.speaker, found)
        state.add_turn(seq, event.speaker, event.text, event.start_ms, event.end_ms)
        state.set_turn_sentiment(seq, sentiment)
        if event.speaker == "agent":
            state.expected_reaction = self.sentiment.expected_reaction(
                event.text, self.context(state, "customer"))
        else:
            state.expected_reaction = None
        ts = event.ts.timestamp()
        if event.speaker == "agent":
            self._agent_practices(state, event.text, found, seq, ts, batch)
        elif state.first_issue is None:
            state.first_issue = event.text[:160]
        if event.speaker == "customer":
            drifted = self.drift.update(state.queue or "unknown", ts, sentiment)
            if drifted is not None:
                batch.drifts.append(drifted)
            state.add_customer_sentiment(sentiment, event.duration_ms)
            if found.keys() & ACK_NEEDED or sentiment < -0.5:
                state.awaiting_ack = True
            if "when" in found:
                state.awaiting_timeframe = True
            if found.keys() & RULE_FLOORS.keys():
                state.calm_turns_since_rule = 0
            elif sentiment >= NEGATIVE and not found.keys() & NEGATIVE_PHRASES:
                state.calm_turns_since_rule += 1
            else:
                state.calm_turns_since_rule = 0  # calm in a row, or it does not count
        else:
            # playbook 4: the issue restated or checked acknowledges it ("I'm sorry about that"
            # is empathy, practice 5, and does not); after abuse, practice 8's line does
            if "reflect" in found or ("boundary" in found and state.phrase("customer", "abuse")):
                state.awaiting_ack = False
            state.ack_missed = state.awaiting_ack
            if found.keys() & {"timeframe", "time"}:  # a clock time or date answers "when" too
                state.awaiting_timeframe = False
                state.commit_no_timeframe = False
            elif found.keys() & {"commitment", "callback"}:  # playbook 10: a promise with no when
                state.commit_no_timeframe = True
        return sentiment

    def _practice(self, state: CallState, practice: str, kind: str, seq: int, ts: float,
                  batch: StoreBatch, agent_id: str | None = None) -> None:  # fmt: skip
        batch.practices.append(PracticeRow(state.call_id, practice, kind, seq, ts, agent_id or state.agent_id,
                                           state.team, state.queue))  # fmt: skip

    def _agent_practices(self, state: CallState, text: str, found: dict[str, str], seq: int, ts: float,
                         batch: StoreBatch) -> None:  # fmt: skip
        """Good practices the agent showed, and a callback promise as a commitment with a due time."""
        for practice in practices.new_practices(state, found):
            self._practice(state, practice, "good", seq, ts, batch)
        if "callback" in found:
            due, timeframe = practices.due_at(text, ts, self.timezone)
            promise = f"callback by {practices.format_due(due)}"
            promise += "" if timeframe else " (no timeframe said)"
            state.promises.append(promise)
            batch.commitments.append(CommitmentRow(
                state.call_id, seq, ts, due, text[:300] if state.consent else promise,
                state.customer_id, state.agent_id, state.team, state.queue))  # fmt: skip
            if "callback_promised" not in state.practices_seen:
                state.practices_seen.append("callback_promised")
                self._practice(state, "callback_promised", "good", seq, ts, batch)

    @staticmethod
    def context(state: CallState, speaker: str, before: int | None = None) -> TurnContext:
        """What a ``speaker`` turn (at ``before``, else now) replies to, for the sentiment model."""
        other = "agent" if speaker == "customer" else "customer"
        position = state.n_customer_turns if speaker == "customer" else state.n_agent_turns
        if before is not None:  # a past turn: its speaker's turns before it
            position -= sum(1 for t in state.recent_turns if t[1] == speaker and t[0] >= before)
        return TurnContext(
            reply_to=state.last_words(other, before), queue=state.queue,
            position=position, previous=state.last_sentiment(speaker, before), speaker=speaker,
            mood=state.mood(speaker, before),
        )  # fmt: skip

    def _rescore(self, state: CallState, seq: int, ts: float, batch: StoreBatch,
                 speaker: str | None = None, corrected: bool = False,
                 lapse_agent: str | None = None) -> None:  # fmt: skip
        """Score the call now. ``lapse_agent``: the agent a lapse found now is recorded against
        when not the call's agent (a transfer's: the agent who handed the call off)."""
        x = self.features(state, ts)
        # the learned model is trained on calls the customer has spoken in; before that
        # (ringing, the greeting) it would extrapolate, so the prior alone speaks
        # it learns from the call as it stood after each customer turn (the snapshots), and
        # reads it the same way: between two customer turns its part of the risk stands
        # while the prior follows the agent's turns at once (a correction rereads the call)
        stands = not (speaker == "customer" or corrected) and state.snapshots
        learned_x = state.snapshots[-1]["x"] if stands else None
        words = self._words(state) if state.n_customer_turns else None
        learned = (self.risk.predict_proba_one(x, words, learned_x) if words is not None
                   else self.risk.prior_proba(x))  # fmt: skip
        floor, rule_reasons = self.risk.rule_floor(x, state.calm_turns_since_rule)
        fired = {f for f, (_, r) in RULE_FLOORS.items() if r in rule_reasons}
        risk = max(learned, floor)
        lapses = self.playbook.lapses(state, x)
        recorded = to_record([c.key for c in lapses], agent_spoke=speaker == "agent")
        for key, kind in practices.new_lapses(state, recorded):
            self._practice(state, key, kind, seq, ts, batch, agent_id=lapse_agent)
        reasons = list(rule_reasons)
        said = set()
        contributions = self.risk.contributions(x)
        if words is not None:
            contributions.update(self.risk.sparse_contributions(words))
        quote_words = lambda: self.risk.top_words(state.word_features())  # noqa: E731
        for feature, text in top_reasons(contributions, x, state, limit=4, quote_words=quote_words):
            if feature == "profanity" and "abuse" in fired:
                continue  # "abusive language" says it already
            said.add(feature)
            if text not in reasons:
                reasons.append(text)
        for cue in lapses:
            if len(reasons) >= 5:
                break
            reason = cue.reason[:1].lower() + cue.reason[1:]  # reasons read as one list
            if SAME_AS_FEATURE.get(cue.key) not in said and reason not in reasons:
                reasons.append(reason)
        if not reasons and risk >= self.warm_threshold and self.risk.base_contribution() > 0.05:
            reasons.append(BASE_RATE_REASON)  # nothing about the call: the center's own rate
        whispers = [c.whisper for c in lapses if c.whisper]
        muted = (state.not_hot_at is not None and risk < state.not_hot_at + RISE_AFTER_NOT_HOT
                 and set(rule_reasons) <= set(state.not_hot_rules))  # fmt: skip
        if muted and risk >= self.hot_threshold:
            reasons.insert(0, NOT_HOT_REASON)  # why a risk this high is not shown hot
        elif state.marked_hot and risk < self.hot_threshold:
            reasons.insert(0, MARKED_HOT_REASON)  # why a risk this low is shown hot
        elif not muted and state.not_hot_at is not None:
            state.not_hot_at, state.not_hot_rules = None, []  # worse since: the call speaks again
        state.reasons = reasons[:5] if risk >= self.warm_threshold or rule_reasons else reasons[:2]
        state.whisper = whispers[0] if whispers else None
        state.risk = risk
        state.peak_risk = max(state.peak_risk, risk)
        was_hot = state.level == "hot"
        if muted:
            state.level = "warming" if risk >= self.warm_threshold else "calm"
        elif risk >= self.hot_threshold or (was_hot and risk >= self.hot_threshold - 0.1):
            state.level = "hot"
        elif state.marked_hot:
            state.level = "hot"
        elif risk >= self.warm_threshold:
            state.level = "warming"
        else:
            state.level = "calm"
        if state.level == "hot" and not was_hot:
            state.hot_since = ts
            if risk >= self.hot_threshold:  # an alert is the scorer's; a supervisor's mark is not
                batch.alerts.append(AlertRow(state.call_id, seq, ts, risk, tuple(state.reasons)))
        elif state.level != "hot":
            state.hot_since = None
        if speaker == "customer":
            state.add_snapshot(x, learned)

    def features(self, state: CallState, now: float) -> dict[str, float]:
        norm = self.agent_wpm.get(state.agent_id or "")
        return call_features(state, now=now, agent_norm_wpm=norm)

    def _finished(self, state: CallState, event: ev.CallEvent, seq: int, ts: float,
                  batch: StoreBatch) -> Applied:  # fmt: skip
        out = Applied()
        state.ended_at = ts
        kept = False
        if isinstance(event, ev.CallEnded):
            state.status, state.disposition, state.csat = "ended", event.disposition, event.csat
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "ended", event.disposition))
            out.examples = self._outcome_examples(state, event.disposition == "escalated")
            wpm = state.agent_wpm
            if wpm and state.agent_id:  # the agent's pace norm, learned by every replica alike
                out.examples.append(PaceExample(state.call_id, state.agent_id, wpm, f"{state.call_id}/pace"))
            self._learn_inline(out.examples)
            if state.n_agent_turns >= 2 and "recap_given" not in state.practices_seen:
                self._practice(state, "no_recap", "lapse", seq, ts, batch)
            kept = self._keep_ended(state)
        else:
            state.status = "abandoned"
            batch.markers.append(MarkerRow(state.call_id, seq, ts, "abandoned"))
        if state.customer_id:
            _remember(self.customers, state.customer_id, ts, MAX_CUSTOMERS)
        state.updated_at = ts
        batch.calls[state.call_id] = self._row(state)
        if kept:
            batch.ended_states[state.call_id] = (ts, state.to_json())
            batch.ended_states_before = ts - KEEP_ENDED_STATE_S
        out.updates.append(self._update(state, seq, ts, None))
        self._end(state, batch)
        return out

    def _end(self, state: CallState, batch: StoreBatch) -> None:
        """The call leaves memory; its delivery is kept (and stored) to judge later events."""
        ended = Ended.of(state.status, state)
        batch.states[state.call_id] = ended_to_json(ended)
        self._forget(state.call_id, ended)

    def _after_end(self, event: ev.CallEvent, batch: StoreBatch, partition: int | None,
                   offset: int | None) -> Applied:  # fmt: skip
        ended = self.ended[event.call_id]
        if ended is None or verdict(ended, event.seq, partition, offset, ended=True) == "duplicate":
            return Applied(duplicate=True)
        note_offset(ended, partition, offset)
        batch.states[event.call_id] = ended_to_json(ended)  # its replay is a duplicate
        how = ("closed as interrupted (no event for too long)" if ended.status == "interrupted"
               else ended.status)  # fmt: skip
        return Applied(refused=f"the call was {how} at seq {ended.last_seq}: an event after "
                               "a call's end is not scored")  # fmt: skip

    def _keep_ended(self, state: CallState) -> bool:
        """Keep an ended call's final state, without its snapshots (already learned from);
        False for a call the customer never spoke in (there is nothing to learn from)."""
        if not state.n_customer_turns:
            return False
        state.snapshots = []
        _remember(self.ended_states, state.call_id, state, KEEP_ENDED_CALLS)
        return True

    def evict_idle(self, batch: StoreBatch, older_than: float) -> int:
        """Close calls with no event since ``older_than`` (a lost ``call_ended``).

        Their rows become ``interrupted`` and their state leaves memory, so a call
        platform that drops an end event cannot leave a call "live" forever.
        """
        idle = [s for s in self.calls.values() if s.updated_at < older_than]
        for state in idle:
            state.status = "interrupted"
            state.ended_at = state.updated_at
            batch.calls[state.call_id] = self._row(state)
            self._end(state, batch)
        return len(idle)

    def _outcome_examples(self, state: CallState, label: bool) -> list[TrainingExample]:
        snaps = state.snapshots
        if not snaps:
            return []
        # later snapshots say more about how the call ended: the last weighs 1, the first little
        n = len(snaps)
        words = self._words(state)
        return [RiskExample(state.call_id, dict(s["x"]), label, ((i + 1) / n) ** SNAPSHOT_POWER, "outcome",
                            float(s["p"]), words if i == len(snaps) - 1 else None,
                            f"{state.call_id}/outcome/{i}")
                for i, s in enumerate(snaps)]  # fmt: skip

    # --- supervisor actions -----------------------------------------------------------

    def apply_action(self, action: ev.SupervisorAction, batch: StoreBatch) -> Applied:
        """Store a supervisor action; feedback becomes a training example."""
        batch.actions.append(ActionRow(
            action.action_id, action.call_id, action.action, action.supervisor_id,
            action.ts.timestamp(), action.agent_id, action.text, action.label,
            action.utterance_seq, action.sentiment))  # fmt: skip
        out = Applied()
        state = self.calls.get(action.call_id) or self.ended_states.get(action.call_id)
        if state is None:
            return out
        # actions carry the wallboard's wall clock; a replayed or time-compressed call's
        # own clock may run ahead of it, and durations must not go negative. Feedback
        # after the call ended is about the call as it ended.
        ts = state.ended_at or max(action.ts.timestamp(), state.updated_at)
        confirmed_barge_in = action.action == "barge_in" and action.label == "hot"
        if (action.action == "feedback" and action.label is not None) or confirmed_barge_in:
            x = self.features(state, ts)
            words = self._words(state)
            source = "barge_in" if confirmed_barge_in else "feedback"
            out.examples.append(RiskExample(state.call_id, x, action.label == "hot", 1.0, source,
                                            self.risk.predict_proba_one(x, words), words,
                                            f"{state.call_id}/{action.action_id}/risk"))  # fmt: skip
        verdict = (action.action == "feedback" and action.label is not None) or confirmed_barge_in
        if verdict and state.status == "live":
            # "not hot" quiets this call's tile until it gets worse; "hot" (or a barge-in
            # confirmed hot) shows it hot whatever the risk; each undoes the other
            if action.label == "not_hot":
                fired = self.risk.rule_floor(self.features(state, ts), state.calm_turns_since_rule)[1]
                state.not_hot_at, state.not_hot_rules = state.risk, fired
                state.marked_hot = False
            else:
                state.not_hot_at, state.not_hot_rules = None, []
                state.marked_hot = True
            self._rescore(state, state.last_seq, ts, batch)
            self._dirty.add(state.call_id)
        if action.action == "feedback" and action.utterance_seq is not None and action.sentiment is not None:
            seq = action.utterance_seq
            turn = next((t for t in state.recent_turns if t[0] == seq), None)
            if turn is not None:
                context = self.context(state, str(turn[1]), before=seq)
                out.examples.append(SentimentExample(state.call_id, str(turn[2]), action.sentiment, context,
                                                     f"{state.call_id}/{action.action_id}/sentiment"))
                state.correct(seq, action.sentiment)
                if state.status == "live":
                    self._rescore(state, state.last_seq, ts, batch, corrected=True)
                    self._dirty.add(state.call_id)
                elif state.call_id in self.ended_states and state.ended_at is not None:
                    # the stored final state too, so a replica that adopts it sees the correction
                    batch.ended_states[state.call_id] = (state.ended_at, state.to_json())
        self._learn_inline(out.examples)
        return out

    def _learn_inline(self, examples: list[TrainingExample]) -> None:
        if self.learn_inline:
            for example in examples:
                self.learn(example)

    def learn(self, example: TrainingExample) -> None:
        """Learn one example (at once, or as it comes back from ``training-examples``).

        An example whose key was learned already (a replayed batch published it again)
        is skipped.
        """
        if example.key:
            if example.key in self.learned_keys:
                return
            _remember(self.learned_keys, example.key, None, KEEP_LEARNED_KEYS)
        if isinstance(example, RiskExample):
            self._validate(example)
            self.risk.learn_one(example.features, example.label, w=example.weight, words=example.words)
        elif isinstance(example, SentimentExample):
            if example.source == IMPORTED:
                self.n_imported += 1
            else:
                self.n_sentiment_corrections += 1
            self.sentiment.learn_one(example.text, example.sentiment, example.context)
        else:
            prev = self.agent_wpm.get(example.agent_id)
            self.agent_wpm[example.agent_id] = example.wpm if prev is None else 0.8 * prev + 0.2 * example.wpm

    def _validate(self, example: RiskExample) -> None:
        """Progressive validation, as examples are learned (so every replica counts every call):
        each risk predicted during a call against its outcome, before the outcome is learned."""
        if example.source == IMPORTED:  # a labelled conversation imported (callheat train)
            self.n_imported += 1
            return
        if example.source != "outcome":
            self.n_feedback += 1  # a supervisor's hot / not hot, or a confirmed barge-in
            return
        if example.predicted is not None:
            self.auc.update(example.label, example.predicted)
            self.log_loss.update(example.label, example.predicted)
            self.calibration.update(example.predicted, example.label)
        if example.key.endswith("/outcome/0"):  # the call's first snapshot: one outcome
            self.n_outcomes += 1
            self.n_escalated += int(example.label)

    # --- rows and updates --------------------------------------------------------------

    def _row(self, s: CallState) -> CallRow:
        return CallRow(
            call_id=s.call_id, status=s.status, queue=s.queue, customer_id=s.customer_id,
            updated_at=s.updated_at, agent_id=s.agent_id, agent_name=s.agent_name, team=s.team,
            channel=s.channel, language=s.language, consent=s.consent, queued_at=s.queued_at,
            started_at=s.started_at, ended_at=s.ended_at, wait_s=s.wait_s,
            disposition=s.disposition, csat=s.csat,
            sentiment=None if s.sentiment_ewm is None else round(s.sentiment_ewm, 4),
            sentiment_trend=tuple(s.trend), risk=round(s.risk, 4),
            peak_risk=round(s.peak_risk, 4), level=s.level, reasons=tuple(s.reasons),
            whisper=s.whisper, hot_since=s.hot_since, n_turns=s.n_customer_turns + s.n_agent_turns,
            holds=s.holds, transfers=s.transfers, on_hold=s.on_hold_since is not None,
            last_seq=s.last_seq, summary=practices.summary(s) if s.status == "ended" else None,
        )  # fmt: skip

    @staticmethod
    def _update(s: CallState, seq: int, ts: float, sentiment: float | None) -> ScoreUpdate:
        return ScoreUpdate(s.call_id, seq, ts, s.status, s.risk, s.level, sentiment,
                           tuple(s.reasons), s.whisper)  # fmt: skip

    def validation(self) -> dict[str, Any]:
        """Progressive-validation figures of the risk model so far."""
        return {
            "outcomes": self.n_outcomes,
            # AUC is defined once both escalated and other calls have been seen
            "roc_auc": round(float(self.auc.get()), 4)
            if 0 < self.n_escalated < self.n_outcomes else None,
            "escalated": self.n_escalated,
            "log_loss": round(float(self.log_loss.get()), 4) if self.n_outcomes else None,
            "risk_labels": self.risk.n_labels,
            # how much of the risk the center's own learned model carries, against the prior
            "learned_share": round(self.risk.weight, 3),
            "sentiment_labels": self.sentiment.n_labels,
            "feedback_labels": self.n_feedback,
            "calibration": self.calibration.table(),
            "sentiment_corrections": self.n_sentiment_corrections,
            "imported_labels": self.n_imported,
        }

    def validation_json(self) -> str:
        return json.dumps(self.validation())
