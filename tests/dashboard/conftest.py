"""Fixtures for the wallboard: a store filled by the real scorer, a clean app env.

The tests read their expectations back from the store, never from this file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit import dataframe_util

from streaming.broker import free_port
from streaming.scoring import Scorer
from streaming.settings import Settings
from streaming.store import StoreBatch, open_store
from tests.factories import CallScript, angry_call, calm_call, uneasy_call

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def floor_scripts(now: float) -> list[CallScript]:
    """A floor mid-shift: hot, warming and calm calls, a queue, a call without recording
    consent and an ended call, all started in the ten minutes before ``now``."""
    t0 = datetime.fromtimestamp(now - 600, UTC)
    scripts = [
        angry_call("hot-ana", ended=False, start=t0, agent_id="a-ana", agent_name="Ana Silva",
                   team="Team Blue", customer_id="k-ana"),
        angry_call("hot-ben", ended=False, start=t0 + timedelta(seconds=40), agent_id="a-ben",
                   agent_name="Ben Okafor", team="Team Green", queue="tech-support",
                   customer_id="k-ben").add("hold_started", dt=3),
        uneasy_call("warm-chloe", start=t0 + timedelta(seconds=90), agent_id="a-chloe",
                    agent_name="Chloé Martin", team="Team Blue", queue="sales",
                    customer_id="k-chloe"),
        calm_call("calm-dev", ended=False, start=t0 + timedelta(seconds=120), agent_id="a-dev",
                  agent_name="Dev Patel", team="Team Green", customer_id="k-dev"),
        calm_call("calm-eva", ended=False, start=t0 + timedelta(seconds=200), agent_id="a-eva",
                  agent_name="Eva Novak", team="Team Blue", queue="retention",
                  customer_id="k-eva"),
        angry_call("noconsent-farid", ended=False, start=t0 + timedelta(seconds=260),
                   agent_id="a-farid", agent_name="Farid Haddad", team="Team Green",
                   consent=False, customer_id="k-farid"),
        CallScript("queued-1", start=t0 + timedelta(seconds=500), answered=False,
                   customer_id="k-q1"),
        CallScript("queued-2", start=t0 + timedelta(seconds=560), answered=False,
                   customer_id="k-q2"),
        CallScript("queued-3", start=t0 + timedelta(seconds=400), answered=False,
                   queue="tech-support", customer_id="k-q3"),
        calm_call("ended-gus", start=t0, agent_id="a-gus", agent_name="Gus Lindqvist",
                  team="Team Blue", queue="sales", customer_id="k-gus"),
    ]
    return scripts


def fill_store(url: str, now: float) -> None:
    """The floor of :func:`floor_scripts`, scored by the real scorer into the store at ``url``."""
    scripts = floor_scripts(now)
    scorer, batch = Scorer(), StoreBatch()
    for script in scripts:
        for event in script.events:
            scorer.apply(event, batch)
    scorer.flush(batch)
    store = open_store(url)
    try:
        store.apply(batch)
    finally:
        store.close()


@pytest.fixture
def filled_store_url(tmp_path: Path) -> str:
    """A sqlite URL of a store holding live, queued, hot, calm and no-consent calls."""
    url = f"sqlite:///{tmp_path / 'wallboard.db'}"
    fill_store(url, time.time())
    return url


def clear_streamlit_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


def point_app_at(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's environment: only this store, no reachable broker, fresh caches."""
    for name in list(os.environ):
        if name.startswith("CALLHEAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CALLHEAT_STORE_URL", store_url)
    monkeypatch.setenv("CALLHEAT_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    clear_streamlit_caches()


@pytest.fixture
def app_env(filled_store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's environment: the filled store, no reachable broker, fresh caches."""
    point_app_at(filled_store_url, monkeypatch)
    yield filled_store_url
    clear_streamlit_caches()


def use_broker(settings: Settings, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the app at ``store_url`` and the real broker of ``settings``, with fresh caches."""
    for name, value in {
        "CALLHEAT_STORE_URL": store_url,
        "CALLHEAT_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "CALLHEAT_TOPIC_PREFIX": settings.topic_prefix,
    }.items():
        monkeypatch.setenv(name, value)
    clear_streamlit_caches()


def table_text(element: Any) -> pd.DataFrame:
    """What an ``st.dataframe`` of an AppTest shows: each cell's text (from its Styler, else
    its value) under the column's header, and its placeholder for missing figures as
    ``attrs["placeholder"]``."""
    proto = element.proto
    shown = (dataframe_util.convert_arrow_bytes_to_pandas_df(proto.arrow_data.styler.display_values)
             if proto.arrow_data.HasField("styler") else element.value.astype(str))  # fmt: skip
    config = json.loads(proto.columns) if proto.columns else {}
    shown = shown.rename(columns={c: (config.get(str(c)) or {}).get("label") or c for c in shown.columns})
    shown.attrs["placeholder"] = proto.placeholder
    return shown
