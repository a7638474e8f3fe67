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
"""

from __future__ import annotations

from streaming import events as ev
from streaming.scoring.examples import RiskExample, SentimentExample
from streaming.scoring.state import CallState
from streaming.scoring.turns import turn_context


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
