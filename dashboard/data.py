"""The wallboard's resources and reads: one settings object, one store, one producer.

The settings, the store and the producer are ``st.cache_resource`` objects shared by
every session (the SQLite store guards its connection with a lock; a KafkaProducer
is thread-safe). The dashboard never consumes Kafka: the scorer does, and the
dashboard reads the store. The producer is created the first time a supervisor
sends an action, so a wallboard without a broker still shows the calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from kafka import KafkaProducer

from streaming.kafka_io import make_producer
from streaming.settings import Settings
from streaming.store import ActionRow, CallRow, MarkerRow, Store, TurnRow, open_store

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
    """Created on first use; raises BrokerError (and caches nothing) if the broker is down."""
    return make_producer(get_settings(), **PRODUCER_OVERRIDES)


@dataclass(frozen=True, slots=True)
class Board:
    """One consistent read of what the wallboard shows."""

    live: list[CallRow]
    queued: list[CallRow]
    last_update: float | None
    read_at: float


def now() -> float:
    """The wallboard's clock: wall time, or the latest event time if the data runs ahead.

    Event times run ahead of the wall clock when a simulation or replay is time
    compressed (``--speed`` above 1); durations are then measured in data time.
    """
    event_time = get_store().meta("event_time")
    return max(time.time(), float(event_time) if event_time else 0.0)


@st.cache_data(ttl=0.5, show_spinner=False, max_entries=4)
def board() -> Board:
    """Live and queued calls; shared by all sessions for up to half a second."""
    store = get_store()
    return Board(store.live_calls(), store.queued_calls(), store.last_update(), now())


def live_calls() -> list[CallRow]:
    return get_store().live_calls()


def get_call(call_id: str) -> CallRow | None:
    return get_store().get_call(call_id)


def turns(call_id: str) -> list[TurnRow]:
    return get_store().turns(call_id)


def markers(call_id: str) -> list[MarkerRow]:
    return get_store().markers(call_id)


def actions(call_id: str) -> list[ActionRow]:
    return get_store().actions(call_id)


def browser_tz() -> tzinfo | None:
    """The viewer's timezone (from the browser), else None for the server's local time."""
    name = st.context.timezone
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
