"""The scorer: applies call events to per-call state, scores them, fills a store batch.

No Kafka and no I/O here: the consumer hands in parsed events (with their Kafka
partition and offset) and a :class:`~streaming.store.StoreBatch`; the scorer
updates its state, writes rows into the batch and returns what to publish.
Progressive validation: every risk is predicted before the call's label is
learned.

:class:`Scorer` is the one entry point and holds what the scorer remembers (live
calls, recently ended ones, customers, the models and their validation figures); each
step is a module of its own: judging delivery (:mod:`~streaming.scoring.admission`),
lifecycle events (:mod:`~streaming.scoring.lifecycle`), reading a turn
(:mod:`~streaming.scoring.turns`), rescoring a live call
(:mod:`~streaming.scoring.rescoring`), a call's end (:mod:`~streaming.scoring.ending`),
a supervisor's action (:mod:`~streaming.scoring.feedback`), and the rows and updates
handed out (:mod:`~streaming.scoring.rows`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, TypeVar

from river import metrics

from streaming import events as ev
from streaming.center_clock import DEFAULT_CENTER, CenterClock
from streaming.scoring import ending, feedback
from streaming.scoring.admission import judge_ended, judge_live
from streaming.scoring.delivery import Ended, digest, ended_from_json, ended_to_json, keep_digest, record
from streaming.scoring.examples import IMPORTED, RiskExample, SentimentExample, TrainingExample
from streaming.scoring.features import call_features
from streaming.scoring.lifecycle import apply_lifecycle, contradiction
from streaming.scoring.monitoring import Calibration, RankAUC, SentimentDrift
from streaming.scoring.phrases import PhraseBook
from streaming.scoring.playbook import Playbook
from streaming.scoring.rescoring import rescore
from streaming.scoring.risk import RiskModel
from streaming.scoring.rows import Applied, ScoreUpdate, action_row, call_row, score_update
from streaming.scoring.sentiment import SentimentModel, TurnContext
from streaming.scoring.state import CallState
from streaming.scoring.turns import read_turn, turn_context
from streaming.store.base import ActionRow, StoreBatch, TurnRow

__all__ = ["Applied", "ScoreUpdate", "Scorer"]

MAX_CUSTOMERS = 200_000  # customers remembered for repeat detection
TOMBSTONE = "ended"  # an ended call's stored state before its delivery was kept with it
MODEL_POINT_EVERY_S = 300.0  # event time between two points of the model-metrics history
# ended calls whose final state is kept in memory so that a supervisor's feedback or turn
# correction sent after the call ended is still learned; the store keeps it (ended_states)
# for KEEP_ENDED_STATE_S, for the replica that gets the feedback after a restart or a
# rebalance (about 5 KB a call with customer turns)
KEEP_ENDED_CALLS = 1_000
KEEP_ENDED_STATE_S = 7 * 86_400
KEEP_LEARNED_KEYS = 50_000  # keys of the examples learned last: a replay's copies come soon after
KEEP_ENDED_IDS = 100_000  # ids of the calls that ended last, so their replayed events are dropped
KEEP_ACTION_IDS = 50_000  # supervisor actions seen last, to refuse an action_id used again for another

K = TypeVar("K")
V = TypeVar("V")


def _remember(recent: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    """Put ``key`` last in ``recent``, forgetting the oldest entries beyond ``limit``."""
    recent[key] = value
    recent.move_to_end(key)
    while len(recent) > limit:
        recent.popitem(last=False)


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
        center: CenterClock = DEFAULT_CENTER,
    ) -> None:
        self.hot_threshold = hot_threshold
        self.warm_threshold = warm_threshold
        self.sentiment = sentiment or SentimentModel()
        self.risk = risk or RiskModel()
        self.phrases = phrases or PhraseBook.default()
        self.playbook = playbook or Playbook.default()
        self.center = center  # the center's clock: "by Friday" in a promise is the center's Friday
        self.calls: dict[str, CallState] = {}
        # recently ended calls, to tell their replayed events from late ones (None: not known)
        self.ended: OrderedDict[str, Ended | None] = OrderedDict()
        self.ended_states: OrderedDict[str, CallState] = OrderedDict()  # for late feedback
        self.learned_keys: OrderedDict[str, None] = OrderedDict()  # recent examples' keys
        self.actions_seen: OrderedDict[str, int] = OrderedDict()  # action_id -> action_digest
        # known from the store's calls only -> when the call ended (None: not known)
        self.stored_calls: OrderedDict[str, float | None] = OrderedDict()
        self.customers: OrderedDict[str, float] = OrderedDict()  # customer -> last call ts
        self.agent_wpm: dict[str, float] = {}
        self.agent_directory: dict[str, tuple[str | None, str | None]] = {}  # id -> (name, team)
        self.auc = RankAUC()
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
        self.training_key: str | None = None  # that example's key: None if not known
        self.calibration = Calibration()
        self.drift = SentimentDrift()
        self._last_point = (-1, 0.0)  # (outcomes, event time) of the last model-metrics point
        self._dirty: set[str] = set()  # calls changed since the last flush()
        # partition -> events that showed its offsets started again (a recreated topic, a
        # broker that restarted empty), since the consumer last took them (to log)
        self.partition_resets: dict[int, int] = {}
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

    def unknown_calls(self, call_ids: set[str]) -> list[str]:
        """Of the calls actions are about, those this scorer knows nothing of, or knows ended
        by a record kept before its end time was (the consumer looks them up in the store's
        calls, which say when they ended)."""
        return [c for c in call_ids if not self._knows(c) or self._end_time_unknown(c)]

    def _end_time_unknown(self, call_id: str) -> bool:
        if call_id in self.calls or call_id in self.ended_states or call_id in self.stored_calls:
            return False
        if call_id not in self.ended:
            return False
        ended = self.ended[call_id]
        return ended is None or ended.ended_at is None

    def remember_stored_call(self, call_id: str, ended_at: float | None = None) -> None:
        """A call the store holds, with no state to learn from (a history fill's, a call
        closed as interrupted, one ended long ago), and when it ended (None: not ended, or not
        known): an action about it is stored (but a whisper or the like after its end)."""
        _remember(self.stored_calls, call_id, ended_at, KEEP_ENDED_CALLS)

    def _knows(self, call_id: str) -> bool:
        return (call_id in self.calls or call_id in self.ended or call_id in self.ended_states
                or call_id in self.stored_calls)  # fmt: skip

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
        call's later events or after its end, or contradicts the call's state (see
        :func:`~streaming.scoring.lifecycle.contradiction`), is refused (``refused``, with the
        reason).
        The event moves :attr:`clock` to its time, unless it is dated past ``clock_limit``
        (the live scorer's guard against an event dated far ahead: it is scored, at its
        own time, but the data's "now" stays where the other events put it).
        """
        if event.call_id in self.ended:
            out, reset = judge_ended(self.ended[event.call_id], event, batch, partition, offset)
            self._count_reset(reset, partition)
            return out
        state = self.calls.get(event.call_id)
        if state is None:
            state = self.calls[event.call_id] = CallState(event.call_id)
        fingerprint = digest(event)
        judged, reset = judge_live(state, event, fingerprint, partition, offset)
        self._count_reset(reset, partition)
        if judged is not None:
            if judged.refused:
                self._dirty.add(state.call_id)  # its offset is noted in the call's state
            return judged
        seq = record(state, event.seq, partition, offset, fingerprint)
        keep_digest(state.seq_digests, seq, fingerprint)
        contradicts = contradiction(state, event)
        if contradicts is not None:  # delivered, and refused: its seq is taken, its replay a duplicate
            self._dirty.add(state.call_id)
            return Applied(refused=contradicts)
        ts = event.ts.timestamp()
        state.updated_at = max(state.updated_at, ts)  # one event dated back makes no call idle
        if clock_limit is None or ts <= clock_limit:
            self.clock = max(self.clock, ts)
        sentiment: float | None = None
        handed_off_by: str | None = None
        if isinstance(event, ev.Utterance):
            sentiment = read_turn(state, event, seq, batch, sentiment_model=self.sentiment,
                                  phrases=self.phrases, drift=self.drift, center=self.center)
            if sentiment is None:  # no consent: nothing scored or stored
                self._dirty.add(state.call_id)
                return Applied()
        elif isinstance(event, ev.CallEnded | ev.CallAbandoned):
            return self._finished(state, event, seq, ts, batch)
        else:
            handed_off_by = apply_lifecycle(state, event, seq, ts, batch,
                                            agent_directory=self.agent_directory, customers=self.customers)

        if state.status == "live":
            self._rescore(state, seq, ts, batch,
                          speaker=event.speaker if isinstance(event, ev.Utterance) else None,
                          lapse_agent=handed_off_by)
        if isinstance(event, ev.Utterance) and sentiment is not None:
            batch.turns.append(TurnRow(state.call_id, seq, ts, event.speaker, event.text,
                                       event.start_ms, event.end_ms, sentiment, state.risk))
        self._dirty.add(state.call_id)
        return Applied(updates=[score_update(state, seq, ts, sentiment)])

    def _count_reset(self, reset: bool, partition: int | None) -> None:
        if reset and partition is not None:
            self.partition_resets[partition] = self.partition_resets.get(partition, 0) + 1

    def flush(self, batch: StoreBatch) -> None:
        """Write the rows and persisted state of every call changed since the last flush.

        Done once per batch rather than per event: serialising state is the
        costliest step, and only a call's last version in a batch matters.
        """
        for call_id in self._dirty:
            state = self.calls.get(call_id)
            if state is not None:
                batch.calls[call_id] = call_row(state)
                batch.put_state(call_id, state.to_json(), state.last_seq)
        self._dirty.clear()
        outcomes, at = self._last_point
        if self.n_outcomes != outcomes and self.clock - at >= MODEL_POINT_EVERY_S:
            batch.model_points[self.clock] = self.validation_json()
            self._last_point = (self.n_outcomes, self.clock)

    @staticmethod
    def context(state: CallState, speaker: str, before: int | None = None) -> TurnContext:
        """What a ``speaker`` turn (at ``before``, else now) replies to, for the sentiment model."""
        return turn_context(state, speaker, before)

    def _rescore(self, state: CallState, seq: int, ts: float, batch: StoreBatch,
                 speaker: str | None = None, corrected: bool = False,
                 lapse_agent: str | None = None) -> None:  # fmt: skip
        """Score the call now (see :func:`~streaming.scoring.rescoring.rescore`)."""
        x = self.features(state, ts)
        words = self._words(state) if state.n_customer_turns else None
        rescore(state, x, words, seq, ts, batch, risk_model=self.risk, playbook=self.playbook,
                hot_threshold=self.hot_threshold, warm_threshold=self.warm_threshold,
                speaker=speaker, corrected=corrected, lapse_agent=lapse_agent)  # fmt: skip

    def features(self, state: CallState, now: float) -> dict[str, float]:
        norm = self.agent_wpm.get(state.agent_id or "")
        return call_features(state, now=now, agent_norm_wpm=norm)

    # --- a call's end --------------------------------------------------------------

    def _finished(self, state: CallState, event: ev.CallEvent, seq: int, ts: float,
                  batch: StoreBatch) -> Applied:  # fmt: skip
        out = Applied()
        kept = False
        if isinstance(event, ev.CallEnded):
            words = self._words(state) if state.snapshots else None
            out.examples = ending.close_ended(state, event, seq, ts, batch, words)
            self._learn_inline(out.examples)
            kept = self._keep_ended(state)
        else:
            ending.close_abandoned(state, seq, ts, batch)
        if state.customer_id:
            _remember(self.customers, state.customer_id, ts, MAX_CUSTOMERS)
        state.updated_at = ts
        batch.calls[state.call_id] = call_row(state)
        if kept:
            batch.put_ended_state(state.call_id, ts, state.to_json(), state.last_seq)
            batch.ended_states_before = ts - KEEP_ENDED_STATE_S
        out.updates.append(score_update(state, seq, ts, None))
        self._end(state, batch)
        return out

    def _end(self, state: CallState, batch: StoreBatch) -> None:
        """The call leaves memory; its delivery is kept (and stored) to judge later events."""
        ended = Ended.of(state.status, state, state.ended_at)
        batch.put_state(state.call_id, ended_to_json(ended), ended.last_seq)
        self._forget(state.call_id, ended)

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
            batch.calls[state.call_id] = call_row(state)
            self._end(state, batch)
        return len(idle)

    # --- supervisor actions -----------------------------------------------------------

    def unknown_actions(self, action_ids: set[str]) -> list[str]:
        """Of these action ids, those this scorer has not seen (the consumer looks them up in the store)."""
        return [a for a in action_ids if a not in self.actions_seen]

    def remember_action(self, action: ev.SupervisorAction | ActionRow) -> None:
        """An action applied, or stored (by this scorer, another replica or the wallboard)."""
        _remember(self.actions_seen, action.action_id, feedback.action_digest(action), KEEP_ACTION_IDS)

    def action_refusal(self, action: ev.SupervisorAction, at: float | None = None, *,
                       clocks_agree: bool = True) -> str | None:  # fmt: skip
        """Why the action cannot mean anything (it goes to the DLQ with this reason), or None.
        ``at``: the action's time as taken (see :meth:`apply_action`), else its ``ts``;
        ``clocks_agree``: whether it can be set against the call's end (see :meth:`apply_action`)."""
        seen = self.actions_seen.get(action.action_id)
        if seen is not None and seen != feedback.action_digest(action):
            return (f"action_id reused with different content: {action.action_id!r} was already "
                    "taken for another action (the first one stands): not stored")  # fmt: skip
        call_id = action.call_id
        if not self._knows(call_id):
            return (f"no such call: neither the scorer nor the store knows call {call_id!r} (a "
                    "mistyped call_id, or a call none of whose events came): not stored")  # fmt: skip
        ended_at = self._ended_at(call_id)
        at = action.ts.timestamp() if at is None else at
        if (action.action in feedback.LIVE_ONLY and ended_at is not None and clocks_agree
                and at - ended_at > feedback.AFTER_END_SLACK_S):  # fmt: skip
            return (f"{action.action} on an ended call: its ts is {at - ended_at:.0f} s after the "
                    f"call's end (more than {feedback.AFTER_END_SLACK_S:g} s); only feedback is "
                    "taken once a call has ended: not stored")  # fmt: skip
        state = self.calls.get(call_id) or self.ended_states.get(call_id)
        return None if state is None else feedback.missing_turn(state, action)

    def _ended_at(self, call_id: str) -> float | None:
        """When the call ended, as far as this scorer knows (None: live, or not known)."""
        state = self.calls.get(call_id) or self.ended_states.get(call_id)
        if state is not None:
            return state.ended_at
        ended = self.ended.get(call_id)
        if ended is not None and ended.ended_at is not None:
            return ended.ended_at
        return self.stored_calls.get(call_id)  # (an end record kept before ended_at was: the calls row's)

    def apply_action(self, action: ev.SupervisorAction, batch: StoreBatch,
                     clock_limit: float | None = None, *, clocks_agree: bool = True) -> Applied:  # fmt: skip
        """Store a supervisor action; feedback becomes a training example. An action about
        a call or a turn nobody knows, under an ``action_id`` already taken for another
        action, or one that needs a live call (a whisper, say) dated after its call ended,
        is refused (``refused``, with the reason; see :meth:`action_refusal`).

        An action dated past ``clock_limit`` (the live scorer's: as far as an event may
        move the scorer's clock) is taken as dated at it, for its call and its stored row:
        a producer whose clock runs ahead must not set a call's duration, its hot mark or
        the action's place among the last hour's ahead of what the events say.

        ``clocks_agree``: whether the action's time (a wallboard's wall clock) can be set
        against its call's end (event time) at all; in a replay that keeps a recording's
        times, or a time-compressed run, the two clocks are hours apart, and a whisper on a
        call live on the wallboard would read as long after its end (a diff review).
        """
        at = action.ts.timestamp()
        if clock_limit is not None and at > clock_limit:
            at = clock_limit
        refused = self.action_refusal(action, at, clocks_agree=clocks_agree)
        if refused is not None:
            return Applied(refused=refused)
        self.remember_action(action)
        batch.actions.append(action_row(action, at))
        out = Applied()
        state = self.calls.get(action.call_id) or self.ended_states.get(action.call_id)
        if state is not None and state.ended_at is not None and (
                at - state.ended_at > KEEP_ENDED_STATE_S):
            state = None  # kept no longer than the store keeps it, however few calls ended since
        if state is None:  # an ended call whose final state is not kept: stored, nothing learned
            return out
        # actions carry the wallboard's wall clock; a replayed or time-compressed call's
        # own clock may run ahead of it, and durations must not go negative. Feedback
        # after the call ended is about the call as it ended.
        ts = state.ended_at or max(at, state.updated_at)
        if feedback.is_verdict(action):
            x = self.features(state, ts)
            words = self._words(state)
            out.examples.append(feedback.risk_example(state, action, x, words,
                                                      self.risk.predict_proba_one(x, words)))
            if state.status == "live":
                not_hot = action.label == "not_hot"
                fired = self.risk.rule_floor(x, state.calm_turns_since_rule)[1] if not_hot else []
                feedback.mark(state, action, fired)
                self._rescore(state, state.last_seq, ts, batch)
                self._dirty.add(state.call_id)
        correction = feedback.sentiment_correction(state, action)
        if correction is not None:
            out.examples.append(correction)
            if state.status == "live":
                self._rescore(state, state.last_seq, ts, batch, corrected=True)
                self._dirty.add(state.call_id)
            elif state.call_id in self.ended_states and state.ended_at is not None:
                # the stored final state too, so a replica that adopts it sees the correction
                batch.put_ended_state(state.call_id, state.ended_at, state.to_json(), state.last_seq)
        self._learn_inline(out.examples)
        return out

    # --- learning ----------------------------------------------------------------------

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
