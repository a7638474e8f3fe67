"""The wallboard's resources and reads: one settings object, one store, one producer.

The settings, the store and the producer are ``st.cache_resource`` objects shared by
every session (the SQLite store guards its connection with a lock; a KafkaProducer
is thread-safe). The dashboard never consumes Kafka: the scorer does, and the
dashboard reads the store. The producer is created the first time a supervisor
sends an action, so a wallboard without a broker still shows the calls, and made
anew after a send of it failed (a restarted broker can leave it failing every send).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from kafka import KafkaProducer

from dashboard import alerts, reads
from dashboard.queues import QueueCall
from streaming.kafka_io import close_quietly, make_producer
from streaming.scoring.playbook import Cue
from streaming.settings import Settings
from streaming.store import ActionRow, CallRow, CommitmentRow, MarkerRow, Store, TurnRow, open_store
from streaming.store import meta as meta_keys

# A producer call must never hang a page: give up on metadata and sends quickly.
PRODUCER_OVERRIDES = {"bootstrap_timeout_ms": 5_000, "max_block_ms": 5_000,
                      "request_timeout_ms": 5_000, "delivery_timeout_ms": 10_000}  # fmt: skip


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    """Settings from the ``CALLHEAT_*`` environment (the CLI hands its config that way)."""
    return Settings()


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    return open_store(get_settings().store_url)


@st.cache_resource(show_spinner=False)
def get_producer() -> KafkaProducer:
    """Created on first use; raises BrokerError (and caches nothing) if the broker is down.
    Replaced (:func:`drop_producer`) after a send of it failed."""
    return make_producer(get_settings(), **PRODUCER_OVERRIDES)


def drop_producer(producer: KafkaProducer) -> None:
    """Close ``producer``, whose send failed, and forget it: the next action makes a new one.

    A producer may not recover from a failed send (kafka-python's idempotent producer goes
    into a fatal state when a restarted broker refuses its producer id, and fails every
    later send), and the cached one is every session's.
    """
    get_producer.clear()
    close_quietly(producer)  # its sends are done or expire within the close's 5 s


# Queue figures and "whispered or barged in" cover the last hour.
WINDOW_S = 3600.0


@dataclass(frozen=True, slots=True)
class Board:
    """One consistent read of what the wallboard shows."""

    live: list[CallRow]
    last_update: float | None
    read_at: float
    # the board time of the last write: the wall clock then, or the event time if the
    # data runs ahead of it (what the board's clock stops at when the data goes stale)
    data_time: float | None
    queue_calls: list[QueueCall] = field(default_factory=list)
    intervened: list[tuple[str, str | None, str]] = field(default_factory=list)
    claims: dict[str, tuple[str, ...]] = field(default_factory=dict)


def now() -> float:
    """The wallboard's clock: wall time, or the latest event time if the data runs ahead.

    Event times run ahead of the wall clock when a simulation or replay is time
    compressed (``--speed`` above 1); durations are then measured in data time.
    """
    return _clock(get_store().meta(meta_keys.EVENT_TIME))


def _clock(event_time: str | None) -> float:
    return max(time.time(), float(event_time) if event_time else 0.0)


def _data_time(last_update: float | None, event_time: str | None) -> float | None:
    """The board time of the last write: its wall time, or the event time if that runs ahead."""
    return None if last_update is None else max(last_update, float(event_time or 0.0))


@st.cache_data(ttl=0.5, show_spinner=False, max_entries=4)
def board() -> Board:
    """Live and queued calls, queue figures, interventions and claims; shared for half a second.

    Actions are stamped with the wall clock by whoever sends them, so "the last hour"
    of interventions is wall time; the queue window is board time, like the calls.
    """
    store = get_store()
    last_update, event_time = store.last_update(), store.meta(meta_keys.EVENT_TIME)
    read_at = _clock(event_time)  # now(), without reading event_time a second time
    return Board(
        live=store.live_calls(),
        last_update=last_update,
        read_at=read_at,
        data_time=_data_time(last_update, event_time),
        queue_calls=reads.queue_calls(store, read_at - WINDOW_S),
        intervened=reads.intervened_calls(store, time.time() - WINDOW_S),
        claims=alerts.claims(reads.live_claims(store)),
    )


@st.cache_data(ttl=2.0, show_spinner=False, max_entries=64)
def precision(supervisor_id: str) -> alerts.Precision:
    """The supervisor's own hot / not-hot feedback counts."""
    return reads.feedback_precision(get_store(), supervisor_id)


@dataclass(frozen=True, slots=True)
class CallDetail:
    """One consistent read of what the call page shows of one call."""

    call: CallRow | None  # None: no such call in the store
    turns: list[TurnRow]
    markers: list[MarkerRow]
    actions: list[ActionRow]
    cues: list[Cue]
    commitments: list[CommitmentRow]
    read_at: float  # the wallboard's clock at the read (see now())
    last_update: float | None = None  # the scorer's last write (wall time), as Board has it
    data_time: float | None = None  # the board time of that write, as Board has it


@st.cache_data(ttl=0.5, show_spinner=False, max_entries=64)
def call_detail(call_id: str) -> CallDetail:
    """Everything the call page shows of ``call_id``, read once and shared for half a second
    by its fragments and by everyone watching the same call (each refresh read the store
    about nine times a viewer otherwise)."""
    store = get_store()
    last_update, event_time = store.last_update(), store.meta(meta_keys.EVENT_TIME)
    times = (_clock(event_time), last_update, _data_time(last_update, event_time))
    call = store.get_call(call_id)
    if call is None:
        return CallDetail(None, [], [], [], [], [], *times)
    return CallDetail(call, store.turns(call_id), store.markers(call_id), store.actions(call_id),
                      reads.playbook_cues(store, call_id, get_settings().playbook_file),
                      store.commitments(call_id), *times)  # fmt: skip


def refresh() -> None:
    """Forget the cached reads (after this session changed the store)."""
    board.clear()
    precision.clear()
    call_detail.clear()


def live_calls() -> list[CallRow]:
    return get_store().live_calls()


def browser_tz() -> tzinfo:
    """The viewer's time zone (from the browser), else the center's (``CALLHEAT_CENTER_TIMEZONE``):
    never the server's, which may be anywhere (a cloud host's UTC, say)."""
    name = st.context.timezone
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America", a directory
            pass
    return get_settings().center_tz
