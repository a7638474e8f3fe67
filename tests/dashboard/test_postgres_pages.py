"""Every page of the app over a real PostgreSQL store (the production engine), filled by the
real scorer: a day of history and a live floor. The pages' figures are read back from the
store with plain SQL. The other page tests run on SQLite; both engines share the SQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import nav
from streaming.history import HistoryConfig, fill_history
from streaming.store import open_store
from tests.dashboard.conftest import APP, clear_streamlit_caches, fill_store, point_app_at
from tests.dashboard.test_trends_page import local_range


@pytest.fixture
def pg_env(postgres, monkeypatch):
    url = postgres.new_database()
    store = open_store(url)
    try:
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        fill_history(store, HistoryConfig(days=1, calls_per_day=150, seed=3, end=end, tz=UTC))
    finally:
        store.close()
    fill_store(url, time.time())
    point_app_at(url, monkeypatch)
    yield url, end
    clear_streamlit_caches()


def page(path: str | None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    if path is not None:
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(path).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_page_renders_from_a_postgresql_store(pg_env):
    url, end = pg_env
    store = open_store(url)
    try:
        live = store.live_calls()
        hot = [c for c in live if c.level == "hot"]
        figures = {m.label: m.value for m in page(None).metric}
        assert figures["Live calls"] == str(len(live)) and figures["Hot now"] == str(len(hot)) != "0"

        call = page(nav.CALL_PAGE, call_id=hot[0].call_id)
        assert any(r in m.value for m in call.markdown for r in hot[0].reasons)

        day = (end - timedelta(days=1)).date()
        trends = page(nav.TRENDS_PAGE, **{"from": day.isoformat(), "to": day.isoformat()})
        answered = store.query("SELECT COUNT(*) AS n FROM calls WHERE started_at >= ? AND started_at < ?",
                               local_range(day, day))[0]["n"]  # fmt: skip
        assert answered > 100
        assert {m.label: m.value for m in trends.metric}["Calls answered"] == f"{answered:,}"

        model = page(nav.MODEL_PAGE)
        assert model.metric  # the scorer's figures, read back from the store
    finally:
        store.close()
