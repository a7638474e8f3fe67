"""Reading one turn of a call: its sentiment, its phrases and what they change in the call.

:func:`read_turn` scores an utterance with the sentiment model, finds its phrases, and
keeps the call's bookkeeping of what is awaited (the issue acknowledged, a timeframe
given); an agent's turn adds the good practices it shows and a callback promise as a
commitment with its due time. :func:`turn_context` is what a turn replies to.
"""

from __future__ import annotations

from datetime import datetime

from streaming import events as ev
from streaming.center_clock import CenterClock
from streaming.scoring import practices
from streaming.scoring.monitoring import SentimentDrift
from streaming.scoring.phrases import PhraseBook
from streaming.scoring.risk import RULE_FLOORS
from streaming.scoring.rows import practice_row
from streaming.scoring.sentiment import SentimentModel, TurnContext
from streaming.scoring.state import NEGATIVE, CallState
from streaming.store.base import CommitmentRow, StoreBatch

# A customer turn with one of these phrases is scored at most NEGATIVE_PHRASE_CAP.
NEGATIVE_PHRASES = frozenset({"manager", "cancel", "complaint", "formal_complaint", "legal", "regulator",
                              "abuse"})
NEGATIVE_PHRASE_CAP = -0.4
# a customer turn with one of these (or very negative) needs the issue reflected back (playbook 4)
ACK_NEEDED = frozenset({"complaint", "formal_complaint", "repeat", "manager", "cancel"})


def turn_context(state: CallState, speaker: str, before: int | None = None) -> TurnContext:
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


def read_turn(state: CallState, event: ev.Utterance, seq: int, batch: StoreBatch, *,
              sentiment_model: SentimentModel, phrases: PhraseBook, drift: SentimentDrift,
              center: CenterClock) -> float | None:  # fmt: skip
    """Sentiment and bookkeeping of one turn; None when the call has no consent.

    ``drift`` follows the customers' sentiment per queue (a drift found goes into
    ``batch``); ``center`` is the center's clock, on which a promise's "by Friday" is read.
    """
    if not state.consent:
        return None
    if state.status == "queued":  # speech before call_started: treat the call as live
        state.status = "live"
        state.started_at = state.started_at or event.ts.timestamp()
    context = turn_context(state, event.speaker)
    sentiment = sentiment_model.predict_one(event.text, context)
    found = phrases.guards.void_in_call(event.speaker, phrases.find(event.speaker, event.text),
                                        lambda category: state.phrase("customer", category) > 0)
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
        state.expected_reaction = sentiment_model.expected_reaction(
            event.text, turn_context(state, "customer"))
    else:
        state.expected_reaction = None
    ts = event.ts.timestamp()
    if event.speaker == "agent":
        state.agent_last = sorted(found)  # what the agent is saying now (curt words, a close)
        _agent_practices(state, event.text, found, seq, ts, batch, center)
        # playbook 13: "Shall I call you back tomorrow?" is a promise once the customer says yes
        offered = ("callback" not in found and "?" in event.text and practices.offers(event.text)
                   and "callback" in phrases.find("agent", event.text.replace("?", ".")))  # fmt: skip
        state.callback_offer = [seq, ts, event.text] if offered else None
    elif state.first_issue is None:
        state.first_issue = event.text[:160]
    if event.speaker == "customer":
        if state.callback_offer is not None and practices.accepts(event.text):
            _, offered_ts, offer = state.callback_offer
            _callback(state, offer, seq, offered_ts, batch, center)
        state.callback_offer = None
        drifted = drift.update(state.queue or "unknown", ts, sentiment)
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


def _agent_practices(state: CallState, text: str, found: dict[str, str], seq: int, ts: float,
                     batch: StoreBatch, center: CenterClock) -> None:  # fmt: skip
    """Good practices the agent showed, and a callback promise as a commitment with a due time."""
    for practice in practices.new_practices(state, found):
        batch.practices.append(practice_row(state, practice, "good", seq, ts))
    if "callback" in found:
        _callback(state, text, seq, ts, batch, center)


def _callback(state: CallState, text: str, seq: int, ts: float, batch: StoreBatch,
              center: CenterClock) -> None:  # fmt: skip
    """A callback promised in ``text`` (said at ``ts``, agreed at ``seq``) as a commitment with
    its due time; the same callback said again (a recap) is not a second one, and one given
    its timeframe later ("I'll call you back" ... "by Friday at 3") is that one, now due then."""
    due, timeframe = practices.due_at(text, ts, center)
    clock = timeframe and practices.said_clock(text)
    promise = f"callback by {practices.format_due(due)}" + ("" if timeframe else " (no timeframe said)")
    day = datetime.fromtimestamp(due, center.tz).date()
    earlier = None  # the commitment this one makes more precise
    for i, prior in enumerate(state.callbacks):
        _, prior_due, prior_timeframe, prior_clock = prior
        same_day = datetime.fromtimestamp(prior_due, center.tz).date() == day
        if not timeframe or (prior_timeframe and abs(prior_due - due) < practices.SAME_CALLBACK_S):
            return  # said again, or with no "when" after one with a "when"
        if not prior_timeframe or (same_day and clock and not prior_clock):
            earlier = i  # "I'll call you back" ... "by Friday"; "on Friday" ... "Friday at 10am"
            break
        if same_day and not clock:
            return  # "tomorrow" again after "tomorrow at 10"
    if earlier is not None and state.callbacks[earlier][0] is None:
        earlier = None  # rebuilt from an older state: its row's seq is not known, a row of its own
    if earlier is None:
        state.callbacks.append([seq, due, timeframe, clock])
        state.promises.append(promise)
    else:  # the same row again (its seq), with the due time now said
        seq = state.callbacks[earlier][0]
        state.callbacks[earlier] = [seq, due, timeframe, clock]
        state.promises[earlier] = promise
    batch.commitments.append(CommitmentRow(
        state.call_id, seq, ts, due, text[:300] if state.consent else promise,
        state.customer_id, state.agent_id, state.team, state.queue))  # fmt: skip
    if "callback_promised" not in state.practices_seen:
        state.practices_seen.append("callback_promised")
        batch.practices.append(practice_row(state, "callback_promised", "good", seq, ts))
