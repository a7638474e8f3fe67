"""Scoring a live call as it stands: its risk, reasons, whisper and level.

:func:`rescore` runs after each event of a live call (and after a supervisor's mark or
correction): the risk model's probability, raised to a hard rule's floor; the
playbook's lapses, recorded as practices; the reasons and whisper the tile shows; the
level (calm, warming, hot) with a supervisor's "hot" / "not hot" taken into account,
and an alert when the scorer finds the call hot.
"""

from __future__ import annotations

from streaming.scoring import practices
from streaming.scoring.playbook import SAME_AS_FEATURE, Playbook, to_record
from streaming.scoring.reasons import BASE_RATE_REASON, top_reasons
from streaming.scoring.risk import RULE_FLOORS, RiskModel
from streaming.scoring.rows import practice_row
from streaming.scoring.state import CallState
from streaming.store.base import AlertRow, StoreBatch

# a call a supervisor marked not hot is not shown hot again until its risk rises this much
# above where it was then, or a hard rule fires that had not: "not hot" is not a snooze
# of the whole call, but one alert less to dismiss twice
RISE_AFTER_NOT_HOT = 0.1
# a hot call stays hot until its risk falls this far below the hot threshold (so a risk
# hovering at the threshold is one alert, not one a turn)
HOT_HOLD_BELOW = 0.1


def hot_by_risk(risk: float, hot_threshold: float, was_hot: bool) -> bool:
    """Whether a call's risk makes it hot: at the threshold, or still within HOT_HOLD_BELOW
    under it for a call that was hot (the one rule for the wallboard and ``callheat backtest``).

    >>> hot_by_risk(0.65, 0.7, was_hot=True), hot_by_risk(0.65, 0.7, was_hot=False)
    (True, False)
    """
    return risk >= hot_threshold or (was_hot and risk >= hot_threshold - HOT_HOLD_BELOW)
NOT_HOT_REASON = "marked not hot by a supervisor"
MARKED_HOT_REASON = "marked hot by a supervisor"


def rescore(state: CallState, x: dict[str, float], words: dict[str, float] | None, seq: int, ts: float,
            batch: StoreBatch, *, risk_model: RiskModel, playbook: Playbook, hot_threshold: float,
            warm_threshold: float, speaker: str | None = None, corrected: bool = False,
            lapse_agent: str | None = None) -> None:  # fmt: skip
    """Score the call now, from its features ``x`` and (once the customer spoke) its
    ``words``, the risk model's sparse inputs. ``speaker``: the event's, if a turn;
    ``corrected``: after a turn's sentiment was corrected. ``lapse_agent``: the agent a
    lapse found now is recorded against when not the call's agent (a transfer's: the
    agent who handed the call off)."""
    # the learned model is trained on calls the customer has spoken in; before that
    # (ringing, the greeting) it would extrapolate, so the prior alone speaks
    # it learns from the call as it stood after each customer turn (the snapshots), and
    # reads it the same way: between two customer turns its part of the risk stands, as
    # it was said then (not re-read with what other calls taught it since, which made
    # tiles flap on an agent's turn), while the prior follows the agent's turns at once
    # (a correction rereads the call)
    last = state.snapshots[-1] if not (speaker == "customer" or corrected) and state.snapshots else None
    own = None  # the learned model's own probability
    if words is not None and risk_model.n_labels:
        own = last.get("pl") if last is not None else None
        if own is None:  # a customer turn, or a snapshot kept before "pl" was
            own = risk_model.learned_proba(x if last is None else last["x"], words)
    learned = (risk_model.predict_proba_one(x, words, learned_p=own) if words is not None
               else risk_model.prior_proba(x))  # fmt: skip
    floor, rule_reasons = risk_model.rule_floor(x, state.calm_turns_since_rule)
    fired = {f for f, (_, r) in RULE_FLOORS.items() if r in rule_reasons}
    risk = max(learned, floor)
    lapses = playbook.lapses(state, x)
    recorded = to_record([c.key for c in lapses], agent_spoke=speaker == "agent",
                         customer_turns=state.n_customer_turns)
    for key, kind in practices.new_lapses(state, recorded):
        batch.practices.append(practice_row(state, key, kind, seq, ts, agent_id=lapse_agent))
    reasons = list(rule_reasons)
    said = set()
    contributions = risk_model.contributions(x)
    if words is not None:
        contributions.update(risk_model.sparse_contributions(words))
    quote_words = lambda: risk_model.top_words(state.word_features())  # noqa: E731
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
    if not reasons and risk >= warm_threshold and risk_model.base_contribution() > 0.05:
        reasons.append(BASE_RATE_REASON)  # nothing about the call: the center's own rate
    whispers = [c.whisper for c in lapses if c.whisper]
    # a rule marked not hot that has stopped holding (the customer calmed) is forgotten:
    # fired again later ("I'm taking you to court" after a reported "call a lawyer"), it is new
    state.not_hot_rules = [r for r in state.not_hot_rules if r in rule_reasons]
    muted = (state.not_hot_at is not None and risk < state.not_hot_at + RISE_AFTER_NOT_HOT
             and set(rule_reasons) <= set(state.not_hot_rules))  # fmt: skip
    if muted and risk >= hot_threshold:
        reasons.insert(0, NOT_HOT_REASON)  # why a risk this high is not shown hot
    elif state.marked_hot and risk < hot_threshold:
        reasons.insert(0, MARKED_HOT_REASON)  # why a risk this low is shown hot
    elif not muted and state.not_hot_at is not None:
        state.not_hot_at, state.not_hot_rules = None, []  # worse since: the call speaks again
    state.reasons = reasons[:5] if risk >= warm_threshold or rule_reasons else reasons[:2]
    state.whisper = whispers[0] if whispers else None
    state.risk = risk
    if state.peak_risk < hot_threshold <= risk:  # hot for the first time: whose call it is
        # a transfer that tips the call hot is the doing of the agent who handed it off
        handed = lapse_agent is not None and state.handed_off_from is not None
        state.hot_holder = (list(state.handed_off_from) if handed and state.handed_off_from
                            else [state.agent_id, state.agent_name, state.team, state.queue])  # fmt: skip
    state.peak_risk = max(state.peak_risk, risk)
    was_hot = state.level == "hot"
    if muted:
        state.level = "warming" if risk >= warm_threshold else "calm"
    elif hot_by_risk(risk, hot_threshold, was_hot):
        state.level = "hot"
    elif state.marked_hot:
        state.level = "hot"
    elif risk >= warm_threshold:
        state.level = "warming"
    else:
        state.level = "calm"
    if state.level == "hot" and not was_hot:
        state.hot_since = ts
        if risk >= hot_threshold:  # an alert is the scorer's; a supervisor's mark is not
            batch.alerts.append(AlertRow(state.call_id, seq, ts, risk, tuple(state.reasons)))
    elif state.level != "hot":
        state.hot_since = None
    if speaker == "customer":
        state.add_snapshot(x, learned, own)
