"""A call's end: its closing state, and what its outcome teaches the models.

:func:`close_ended` and :func:`close_abandoned` record a ``call_ended`` or
``call_abandoned`` in the call's state and the store batch; an ended call's outcome
becomes training examples (:func:`outcome_examples`, and the agent's pace). What the
scorer remembers of the ended call (its final state, its customer) stays the
:class:`~streaming.scoring.Scorer`'s.
"""

from __future__ import annotations

from streaming import events as ev
from streaming.scoring.examples import PaceExample, RiskExample, TrainingExample
from streaming.scoring.rows import practice_row
from streaming.scoring.state import CallState
from streaming.store.base import MarkerRow, StoreBatch

SNAPSHOT_POWER = 1.0  # how fast the weight of a call's earlier snapshots falls off


def close_ended(state: CallState, event: ev.CallEnded, seq: int, ts: float, batch: StoreBatch,
                words: dict[str, float] | None) -> list[TrainingExample]:  # fmt: skip
    """Record the call's end, and an agent's missing recap; the examples its outcome teaches.

    ``words``: the risk model's sparse inputs for the call (None if it has no snapshots).
    """
    state.ended_at = ts
    state.status, state.disposition, state.csat = "ended", event.disposition, event.csat
    batch.markers.append(MarkerRow(state.call_id, seq, ts, "ended", event.disposition))
    examples = outcome_examples(state, event.disposition == "escalated", words)
    wpm = state.agent_wpm
    if wpm and state.agent_id:  # the agent's pace norm, learned by every replica alike
        examples.append(PaceExample(state.call_id, state.agent_id, wpm, f"{state.call_id}/pace"))
    # playbook 12: the agent closed the call ("anything else?") with no recap; not a call the
    # customer left mid-row, where the agent had no close to recap in
    if (state.n_agent_turns >= 2 and state.phrase("agent", "closing") > 0
            and "recap_given" not in state.practices_seen):  # fmt: skip
        batch.practices.append(practice_row(state, "no_recap", "lapse", seq, ts))
    return examples


def close_abandoned(state: CallState, seq: int, ts: float, batch: StoreBatch) -> None:
    """Record that the customer hung up before the call ended (nothing to learn from)."""
    state.ended_at = ts
    state.status = "abandoned"
    batch.markers.append(MarkerRow(state.call_id, seq, ts, "abandoned"))


def outcome_examples(state: CallState, label: bool, words: dict[str, float] | None) -> list[TrainingExample]:
    """The call's snapshots, each a risk example of its outcome ``label`` (escalated); the
    last carries ``words``."""
    snaps = state.snapshots
    if not snaps:
        return []
    # later snapshots say more about how the call ended: the last weighs 1, the first little
    n = len(snaps)
    return [RiskExample(state.call_id, dict(s["x"]), label, ((i + 1) / n) ** SNAPSHOT_POWER, "outcome",
                        float(s["p"]), words if i == len(snaps) - 1 else None,
                        f"{state.call_id}/outcome/{i}")
            for i, s in enumerate(snaps)]  # fmt: skip

