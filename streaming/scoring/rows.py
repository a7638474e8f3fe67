"""What the scorer hands out for a call: its store rows and its score updates.

A call's state becomes a :class:`~streaming.store.CallRow` (the wallboard's tile), a
practice or a supervisor action becomes a row of its own, and each scored event a
:class:`ScoreUpdate` for ``call-scores``; :class:`Applied` gathers what applying one
event or action returns besides the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streaming import events as ev
from streaming.scoring import practices
from streaming.scoring.examples import TrainingExample
from streaming.scoring.state import CallState
from streaming.store.base import ActionRow, CallRow, PracticeRow


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
    # a duplicate by its Kafka offset alone (no seq to tell it by, and the offset is older
    # than the call's latest kept): after a partition reset it would have been a new event
    offset_only: bool = False
    # why the event was refused: it came after the call's later events or after its end
    # (see streaming.scoring.delivery); the consumer sends it to the DLQ with this reason
    refused: str | None = None


def score_update(s: CallState, seq: int, ts: float, sentiment: float | None) -> ScoreUpdate:
    """The call's score as it stands after event ``seq`` (``sentiment``: that turn's)."""
    return ScoreUpdate(s.call_id, seq, ts, s.status, s.risk, s.level, sentiment,
                       tuple(s.reasons), s.whisper)  # fmt: skip


def call_row(s: CallState) -> CallRow:
    """The call's row in the store, with its summary once it ended."""
    hot = s.hot_holder or [None, None, None, None]
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
        first_queue=s.first_queue, hot_agent_id=hot[0], hot_agent_name=hot[1], hot_team=hot[2],
        hot_queue=hot[3],
    )  # fmt: skip


def practice_row(state: CallState, practice: str, kind: str, seq: int, ts: float,
                 agent_id: str | None = None) -> PracticeRow:  # fmt: skip
    """A practice (``kind`` good, lapse...) seen at ``seq``, against ``agent_id`` or the call's agent."""
    return PracticeRow(state.call_id, practice, kind, seq, ts, agent_id or state.agent_id,
                       state.team, state.queue)  # fmt: skip


def action_row(action: ev.SupervisorAction, ts: float | None = None) -> ActionRow:
    """A supervisor action as stored, whatever it is about; ``ts``: its time as taken, if
    not its own (one dated too far ahead, see :meth:`~streaming.scoring.Scorer.apply_action`)."""
    return ActionRow(
        action.action_id, action.call_id, action.action, action.supervisor_id,
        action.ts.timestamp() if ts is None else ts, action.agent_id, action.text, action.label,
        action.utterance_seq, action.sentiment)  # fmt: skip
