"""What a supervisor's action teaches the models and changes in the call it is about.

A verdict (feedback "hot" / "not hot", or a barge-in confirmed hot) is a risk example
and, on a live call, a mark that :func:`~streaming.scoring.rescoring.rescore` honours;
feedback on one turn's sentiment is a sentiment example and corrects that turn. The
:class:`~streaming.scoring.Scorer` finds the call, rescores it and learns the examples.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
>>> is_verdict(ev.SupervisorAction("barge_in", "b1", "c1", "sup-1", at, label="hot"))
True
>>> is_verdict(ev.SupervisorAction("barge_in", "b2", "c1", "sup-1", at))
False
>>> fix = ev.SupervisorAction("feedback", "f1", "c1", "sup-1", at, utterance_seq=7, sentiment=-0.5)
>>> missing_turn(CallState("c1", last_seq=4), fix)
'no such turn: utterance_seq 7 is not a turn of call c1 (its last event is seq 4): not stored'
"""

from __future__ import annotations

import zlib
from typing import Any

from streaming import events as ev
from streaming.scoring.examples import RiskExample, SentimentExample
from streaming.scoring.state import KEEP_TURNS, CallState
from streaming.scoring.turns import turn_context

# the actions that need a live call, as the wallboard sends them (feedback and sentiment
# corrections are taken on an ended call too: that is how late labels arrive)
LIVE_ONLY = frozenset({"whisper", "barge_in", "monitor", "acknowledge"})
# how long after its call's end such an action is still taken: the wallboard reads the call
# from the store at the click and stamps the action then, so a click on a call still shown
# live is dated at most the scorer's delay in writing the end (a poll and a batch, a
# second or two) plus the clocks' skew after it; 30 s covers a busy batch with room to
# spare, and keeps a whisper sent minutes after the end out of what interventions achieved
AFTER_END_SLACK_S = 30.0


def is_verdict(action: ev.SupervisorAction) -> bool:
    """The action says whether the call is hot: feedback with a label, or a barge-in
    the supervisor confirmed hot."""
    confirmed_barge_in = action.action == "barge_in" and action.label == "hot"
    return (action.action == "feedback" and action.label is not None) or confirmed_barge_in


def risk_example(state: CallState, action: ev.SupervisorAction, x: dict[str, float],
                 words: dict[str, float], predicted: float) -> RiskExample:  # fmt: skip
    """A verdict as a risk example: the call's features ``x`` and ``words`` now, labelled
    hot or not; ``predicted``, the risk the model gave them."""
    source = "barge_in" if action.action == "barge_in" else "feedback"
    return RiskExample(state.call_id, x, action.label == "hot", 1.0, source, predicted, words,
                       f"{state.call_id}/{action.action_id}/risk")  # fmt: skip


def mark(state: CallState, action: ev.SupervisorAction, fired: list[str]) -> None:
    """A verdict on a live call: "not hot" quiets its tile until it gets worse (``fired``:
    the hard rules' reasons that fire now); "hot" (or a barge-in confirmed hot) shows it
    hot whatever the risk; each undoes the other."""
    if action.label == "not_hot":
        state.not_hot_at, state.not_hot_rules = state.risk, fired
        state.marked_hot = False
    else:
        state.not_hot_at, state.not_hot_rules = None, []
        state.marked_hot = True


def sentiment_correction(state: CallState, action: ev.SupervisorAction) -> SentimentExample | None:
    """Feedback on one turn's sentiment: the turn corrected, and the example it teaches;
    None when the action is not one, or the turn is no longer kept."""
    if action.action != "feedback" or action.utterance_seq is None or action.sentiment is None:
        return None
    seq = action.utterance_seq
    turn = next((t for t in state.recent_turns if t[0] == seq), None)
    if turn is None:
        return None
    context = turn_context(state, str(turn[1]), before=seq)
    example = SentimentExample(state.call_id, str(turn[2]), action.sentiment, context,
                               f"{state.call_id}/{action.action_id}/sentiment")  # fmt: skip
    state.correct(seq, action.sentiment)
    return example


def missing_turn(state: CallState, action: ev.SupervisorAction) -> str | None:
    """Why a turn correction is about a turn the call does not have (the reason it is
    refused), or None: not a correction, a turn the call has, or one older than the
    :data:`~streaming.scoring.state.KEEP_TURNS` turns it keeps (which may have been one)."""
    seq = action.utterance_seq
    if action.action != "feedback" or seq is None or action.sentiment is None:
        return None
    turns = state.recent_turns
    if any(t[0] == seq for t in turns):
        return None
    if seq > state.last_seq:
        why = f"its last event is seq {state.last_seq}"
    elif len(turns) < KEEP_TURNS or seq > turns[0][0]:
        why = f"seq {seq} was not a turn the scorer scored"
    else:
        return None  # older than the turns kept: it may have been one
    return f"no such turn: utterance_seq {seq} is not a turn of call {state.call_id} ({why}): not stored"


def action_digest(action: ev.SupervisorAction | Any) -> int:
    """A fingerprint of an action (or its stored row) but its time: the same ``action_id``
    sent again with it is the same action; with another, a different one."""
    content = (action.action, action.call_id, action.supervisor_id, action.agent_id, action.text,
               action.label, action.utterance_seq, action.sentiment)  # fmt: skip
    return zlib.crc32(repr(content).encode("utf-8", "surrogatepass"))
