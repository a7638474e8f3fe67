"""Rows and the store interface shared by every engine.

Times are UTC epoch seconds (float) in rows and in the database, so both engines
sort and aggregate them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Protocol


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call as the wallboard shows it (live, queued or ended)."""

    call_id: str
    status: str  # queued | live | ended | abandoned | interrupted
    queue: str
    customer_id: str
    updated_at: float
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    channel: str | None = None
    language: str | None = None
    consent: bool = True
    queued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    wait_s: float | None = None
    disposition: str | None = None
    csat: int | None = None
    sentiment: float | None = None
    sentiment_trend: tuple[float, ...] = ()
    risk: float = 0.0
    peak_risk: float = 0.0
    level: str = "calm"  # calm | warming | hot
    reasons: tuple[str, ...] = ()
    whisper: str | None = None
    hot_since: float | None = None
    n_turns: int = 0
    holds: int = 0
    transfers: int = 0
    on_hold: bool = False
    last_seq: int = 0
    summary: str | None = None  # post-call notes (playbook practice 14), set when the call ends
    # the queue the call waited in and was answered from (``queue`` is where it is now: a
    # transfer moves it), and who had it when it first turned hot (None until then)
    first_queue: str | None = None
    hot_agent_id: str | None = None
    hot_agent_name: str | None = None
    hot_team: str | None = None
    hot_queue: str | None = None


@dataclass(frozen=True, slots=True)
class TurnRow:
    """One scored utterance. Calls without consent have none."""

    call_id: str
    seq: int
    ts: float
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    sentiment: float
    risk: float


@dataclass(frozen=True, slots=True)
class MarkerRow:
    """A non-speech event on a call's timeline: queued, started, hold, transfer, ended."""

    call_id: str
    seq: int
    ts: float
    kind: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AlertRow:
    """A call turning hot, with the reasons at that moment."""

    call_id: str
    seq: int
    ts: float
    risk: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionRow:
    """A supervisor action (whisper, barge_in, monitor, acknowledge, feedback)."""

    action_id: str
    call_id: str
    action: str
    supervisor_id: str
    ts: float
    agent_id: str | None = None
    text: str | None = None
    label: str | None = None
    utterance_seq: int | None = None
    sentiment: float | None = None


@dataclass(frozen=True, slots=True)
class PracticeRow:
    """A playbook practice seen on a call, first time only: a good practice, a lapse, or a
    situation the agent met.

    ``kind`` is ``good`` (empathy shown, options offered, recap given, callback with a
    timeframe, ...), ``lapse`` (the wallboard cue keys of ``streaming.scoring.playbook``
    the agent missed) or ``situation`` (the cues on what the customer brought: repeat
    caller, venting, abuse).
    """

    call_id: str
    practice: str
    kind: str
    seq: int
    ts: float
    agent_id: str | None = None
    team: str | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    """A callback the agent promised, due by ``due_at``.

    Kept means the same customer had another call that started between ``ts`` and
    ``due_at`` (worked out when reading, so a callback from any replica counts).
    """

    call_id: str
    seq: int
    ts: float
    due_at: float
    text: str
    customer_id: str
    agent_id: str | None = None
    team: str | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class DriftRow:
    """A change detected in a queue's customer sentiment (river ADWIN)."""

    queue: str
    ts: float
    mean_before: float
    mean_after: float


@dataclass(slots=True)
class StoreBatch:
    """Everything one scorer batch writes, applied in a single transaction."""

    calls: dict[str, CallRow] = field(default_factory=dict)
    turns: list[TurnRow] = field(default_factory=list)
    markers: list[MarkerRow] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    practices: list[PracticeRow] = field(default_factory=list)
    commitments: list[CommitmentRow] = field(default_factory=list)
    drifts: list[DriftRow] = field(default_factory=list)
    model_points: dict[float, str] = field(default_factory=dict)  # ts -> validation figures (JSON)
    states: dict[str, str] = field(default_factory=dict)  # call_id -> scorer state (JSON)
    # call_id -> (ended_at, final state as JSON) of calls that ended, for late feedback;
    # kept until ``ended_states_before`` (epoch s) passes them
    ended_states: dict[str, tuple[float, str]] = field(default_factory=dict)
    # call_id -> the last seq the state above (and the ended state) is as of: a state older
    # than the stored call (a replica's write that stalled while another took the call over)
    # is not written over the newer one (:meth:`put_state`)
    state_seqs: dict[str, int] = field(default_factory=dict)
    ended_states_before: float | None = None
    meta: dict[str, str] = field(default_factory=dict)  # scorer figures, heartbeat
    meta_dropped: list[str] = field(default_factory=list)  # meta keys to delete (replicas long gone)
    # whether the write stamps ``last_update`` (the wallboard's freshness): not a heartbeat of
    # a scorer whose broker is failing, which scores nothing however well the store answers
    stamp: bool = True

    def put_state(self, call_id: str, state: str, last_seq: int) -> None:
        """A call's scorer state as of its event ``last_seq``."""
        self.states[call_id] = state
        self.state_seqs[call_id] = last_seq

    def put_ended_state(self, call_id: str, ended_at: float, state: str, last_seq: int) -> None:
        """An ended call's final state (for feedback after the end), as of ``last_seq``."""
        self.ended_states[call_id] = (ended_at, state)
        self.state_seqs[call_id] = last_seq

    def __len__(self) -> int:
        return len(self.calls) + len(self.turns) + len(self.markers) + len(self.actions)

    def call_ids(self) -> set[str]:
        """Every call whose state this batch changes."""
        return set(self.calls) | set(self.states) | set(self.ended_states)

    _ROWS: ClassVar[tuple[str, ...]] = ("turns", "markers", "alerts", "actions", "practices",
                                         "commitments", "drifts")  # fmt: skip

    def mark(self) -> tuple[int, ...]:
        """Where the row lists end now, for :meth:`rollback`."""
        return tuple(len(getattr(self, name)) for name in self._ROWS)

    def rollback(self, mark: tuple[int, ...]) -> None:
        """Drop the rows added since ``mark`` (those of an event whose scoring failed).

        >>> batch = StoreBatch(drifts=["kept"])
        >>> at = batch.mark()
        >>> batch.drifts.append("dropped")
        >>> batch.rollback(at)
        >>> batch.drifts
        ['kept']
        """
        for name, length in zip(self._ROWS, mark, strict=True):
            del getattr(self, name)[length:]


class Pruned(NamedTuple):
    """What :meth:`Store.prune` deleted (or would): rows per table, and whether it got
    through everything that had aged out (False: stopped at its deadline, more to go)."""

    counts: dict[str, int]
    finished: bool


class Store(Protocol):
    """What the scorer writes and the wallboard reads. Every write is idempotent."""

    def apply(self, batch: StoreBatch) -> None: ...

    def record_action(self, action: ActionRow) -> None: ...

    def close_interrupted(self, ts: float) -> int: ...

    def prune(self, before: float, *, dry_run: bool = False, chunk: int = 500,
              until: float | None = None) -> Pruned: ...

    def load_states(self, call_ids: list[str]) -> dict[str, str]: ...

    def load_ended_states(self, call_ids: list[str]) -> dict[str, str]: ...

    def actions_by_id(self, action_ids: list[str]) -> dict[str, ActionRow]: ...

    def last_calls_ended(self, customer_ids: list[str], before: float) -> dict[str, float]: ...

    def live_calls(self) -> list[CallRow]: ...

    def queued_calls(self) -> list[CallRow]: ...

    def get_call(self, call_id: str) -> CallRow | None: ...

    def turns(self, call_id: str) -> list[TurnRow]: ...

    def markers(self, call_id: str) -> list[MarkerRow]: ...

    def actions(self, call_id: str | None = None, since: float | None = None) -> list[ActionRow]: ...

    def alerts(self, since: float) -> list[AlertRow]: ...

    def meta(self, key: str) -> str | None: ...

    def practices(self, call_id: str) -> list[PracticeRow]: ...

    def commitments(self, call_id: str) -> list[CommitmentRow]: ...

    def model_history(self, since: float | None = None) -> list[tuple[float, str]]: ...

    def drifts(self, since: float | None = None) -> list[DriftRow]: ...

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Read-only SQL over the tables in ``streaming.store.schema`` (for reports)."""
        ...

    def last_update(self) -> float | None: ...

    def counts(self) -> dict[str, int]: ...

    def close(self) -> None: ...
