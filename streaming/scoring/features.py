"""Call-state features for the escalation-risk model: one flat dict of floats.

Every feature is 0 when nothing is wrong, so a linear model's contribution
``weight * value`` reads directly as "how much this pushed risk up".
"""

from __future__ import annotations

import math

from streaming.scoring.state import CallState

DEFAULT_AGENT_WPM = 150.0
ESCALATION_PHRASES = ("manager", "cancel", "complaint", "formal_complaint", "legal", "regulator", "abuse")


def call_features(state: CallState, *, now: float, agent_norm_wpm: float | None) -> dict[str, float]:
    """Features of ``state`` at time ``now`` (epoch seconds)."""
    speech_ms = state.customer_ms + state.agent_ms
    talk_share = state.customer_ms / speech_ms if speech_ms else 0.5
    wpm = state.agent_wpm
    norm = agent_norm_wpm or DEFAULT_AGENT_WPM
    duration_min = (now - state.started_at) / 60 if state.started_at else 0.0
    hold_s = state.hold_s + (now - state.on_hold_since if state.on_hold_since else 0.0)
    negative = (state.sentiment_ewm or 0.0) < -0.25
    mean_sentiment = state.sentiment_sum / state.n_customer_turns if state.n_customer_turns else 0.0
    x: dict[str, float] = {
        "negative_sentiment": max(0.0, -(state.sentiment_ewm or 0.0)),
        "falling_sentiment": max(0.0, -state.sentiment_slope),
        "worst_turn": max(0.0, -state.worst_sentiment),
        "negative_streak": float(min(state.negative_streak, 6)),
        "repeat_contact": float(min(state.phrase("customer", "repeat"), 2) + state.repeat_caller),
        "talk_over": float(min(state.talk_over, 5)),
        "dead_air": float(min(state.dead_air, 5)),
        "agent_pace": max(0.0, (wpm / norm) - 1.0) if wpm else 0.0,
        "customer_talk_share": max(0.0, talk_share - 0.6),
        "customer_speech": min(state.customer_ms / 60_000, 5.0),
        "customer_words": math.log1p(state.customer_ms / 10_000),
        "agent_words": math.log1p(state.agent_ms / 10_000),
        "customer_turns": float(min(state.n_customer_turns, 20)),
        "mean_negative": max(0.0, -mean_sentiment),
        # signed, for the learned model: a call with no satisfied turn is not a calm call
        "satisfaction_gap": 0.5 - mean_sentiment if state.n_customer_turns else 0.0,
        "customer_questions": float(min(state.customer_questions, 6)),
        "customer_exclaims": float(min(state.customer_exclaims, 6)),
        "answer_disappoints": max(0.0, -(state.expected_reaction or 0.0)),
        "holds": float(min(state.holds, 4)),
        "hold_minutes": min(hold_s / 60, 10.0),
        "transfers": float(min(state.transfers, 4)),
        "queue_wait": min((state.wait_s or 0.0) / 60, 10.0),
        "duration": min(duration_min / 10, 3.0),
        "venting": float(min(state.venting_turns, 4)) if state.venting_now else 0.0,
        "agent_curt": float(min(state.phrase("agent", "curt"), 3)),
        "agent_jargon": float(min(state.phrase("agent", "jargon") + state.long_agent_turns, 3)),
        "no_empathy": float(negative and state.phrase("agent", "empathy") == 0),
        "no_acknowledgement": float(state.ack_missed),
        "no_timeframe": float(state.awaiting_timeframe),
        "empathy_shown": float(min(state.phrase("agent", "empathy"), 2)),
        "options_offered": float(min(state.phrase("agent", "options"), 2)),
        "ownership": float(min(state.phrase("agent", "ownership"), 2)),
    }
    for cat in ESCALATION_PHRASES:
        x[cat] = float(min(state.phrase("customer", cat), 3))
    x["profanity"] = float(min(state.phrase("customer", "profanity"), 3))
    return x
