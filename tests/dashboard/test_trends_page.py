"""The Trends page run headless with AppTest over a store filled by the history filler.

Expected figures are read back from the store with plain SQL, never from the page's code.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import nav, safe
from streaming.history import HistoryConfig, fill_history
from streaming.store import CommitmentRow, PracticeRow, StoreBatch, open_store
from tests.dashboard.conftest import APP, clear_streamlit_caches, table_text

END = datetime(2026, 3, 4, tzinfo=UTC)
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture(scope="module")
def history_url(tmp_path_factory) -> str:
    """Two days of past calls scored by the real scorer, plus a few callbacks and practices."""
    url = f"sqlite:///{tmp_path_factory.mktemp('trends') / 'history.db'}"
    store = open_store(url)
    try:
        fill_history(store, HistoryConfig(days=2, calls_per_day=220, seed=5, end=END, tz=UTC))
        calls = store.query("SELECT call_id, started_at, customer_id, agent_id, team, queue FROM calls "
                            "WHERE status = 'ended' ORDER BY started_at LIMIT 6")  # fmt: skip
        b = StoreBatch()
        for i, c in enumerate(calls):
            ts = c["started_at"] + 60
            b.commitments.append(
                CommitmentRow(
                    c["call_id"],
                    900,
                    ts,
                    ts + 86_400,
                    "I'll call you back",
                    c["customer_id"],
                    c["agent_id"],
                    c["team"],
                    c["queue"],
                )
            )
            b.practices.append(PracticeRow(c["call_id"], "empathy_shown" if i % 2 else "interrupting",
                                           "good" if i % 2 else "lapse", 3, ts, c["agent_id"], c["team"],
                                           c["queue"]))  # fmt: skip
        store.apply(b)
    finally:
        store.close()
    return url


@pytest.fixture
def env(history_url, monkeypatch):
    for name in list(os.environ):
        if name.startswith("CALLHEAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CALLHEAT_STORE_URL", history_url)
    clear_streamlit_caches()
    yield history_url
    clear_streamlit_caches()


def trends(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(nav.TRENDS_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def local_range(first: date, last: date) -> tuple[float, float]:
    """The page's period in the center's zone (AppTest has no browser time zone, and the
    tests leave CALLHEAT_CENTER_TIMEZONE unset: UTC)."""
    zone = UTC
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    return start.timestamp(), end.timestamp()


def store_value(url: str, sql: str, params: tuple) -> Any:
    store = open_store(url)
    try:
        return store.query(sql, params)[0]["n"]
    finally:
        store.close()


def count(url: str, sql: str, params: tuple) -> int:
    return int(store_value(url, sql, params))


def newest_hot_ended(url: str, columns: str) -> list[dict[str, Any]]:
    """The 15 hot calls of FIRST..LAST that ended last, newest first: the review list's links."""
    start, end = local_range(FIRST, LAST)
    store = open_store(url)
    try:
        return store.query(f"SELECT {columns} FROM calls WHERE started_at >= ? AND started_at < ? "
                           "AND peak_risk >= 0.7 AND status = 'ended' ORDER BY ended_at DESC LIMIT 15",
                           (start, end))  # fmt: skip
    finally:
        store.close()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_figures_match_the_store(env):
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    start, end = local_range(FIRST, LAST)
    answered = count(env, "SELECT COUNT(*) AS n FROM calls WHERE started_at >= ? AND started_at < ?",
                     (start, end))  # fmt: skip
    hot = count(env, "SELECT COUNT(*) AS n FROM calls WHERE started_at >= ? AND started_at < ? "
                "AND peak_risk >= 0.7", (start, end))  # fmt: skip
    figures = metrics(at)
    assert answered > 100
    assert figures["Calls answered"] == f"{answered:,}"
    assert figures["Hot-call rate"] == f"{hot / answered:.0%}"  # whole percents, as everywhere
    assert figures["Callbacks kept on time"].endswith("%")
    csat = store_value(env, "SELECT AVG(csat) AS n FROM calls WHERE started_at >= ? AND started_at < ? "
                       "AND status = 'ended'", (start, end))  # fmt: skip
    assert figures["Avg CSAT"] == f"{csat:.1f} / 5"


def test_tables_read_as_the_headline_does(env):
    """Readable headers, whole percents, signed sentiments, CSAT to one decimal and "—" for a
    figure that does not exist, in every table of the page (their numbers stay numbers)."""
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    shown = {tuple(t.columns): t for t in map(table_text, at.dataframe)}
    assert all(t.attrs["placeholder"] == "—" for t in shown.values())
    assert not [c for cols in shown for c in cols if "_" in str(c)]  # no raw column keys
    rates = next(t for cols, t in shown.items() if "hot rate" in cols)
    assert rates["hot rate"].str.fullmatch(r"\d+%").all()
    assert rates["avg customer sentiment"].str.fullmatch(r"[+−]\d\.\d\d").all()
    assert rates["avg CSAT"].str.fullmatch(r"\d\.\d|—").all()
    iv = next(t for cols, t in shown.items() if "sentiment measured on" in cols)
    left_alone = iv.set_index("intervention").loc["none (hot calls left alone)"]
    assert left_alone["sentiment before"] == "—" and left_alone["sentiment measured on"] == "—"
    assert iv["share escalated"].str.fullmatch(r"\d+%|—").all()
    review = next(t for cols, t in shown.items() if "peak risk" in cols)
    link = at.get("page_link")[0].proto.label
    assert f"peak {review['peak risk'][0]} ·" in link  # the link and its row agree
    assert review["minutes"].str.fullmatch(r"\d+\.\d").all()  # "2.5", not "2.500"


def test_interventions_say_how_many_actions_their_sentiments_rest_on(env):
    start, end = local_range(FIRST, LAST)
    store = open_store(env)
    try:
        rows = store.query(
            "SELECT a.action, a.action_id, "
            "SUM(CASE WHEN t.ts < a.ts THEN 1 ELSE 0 END) AS nb, "
            "SUM(CASE WHEN t.ts >= a.ts THEN 1 ELSE 0 END) AS na FROM actions a "
            "JOIN calls c ON c.call_id = a.call_id "
            "LEFT JOIN turns t ON t.call_id = a.call_id AND t.speaker = 'customer' "
            "AND t.ts >= a.ts - 300 AND t.ts < a.ts + 300 "
            "WHERE a.action IN ('whisper', 'barge_in') AND c.started_at >= ? AND c.started_at < ? "
            "GROUP BY a.action, a.action_id", (start, end))  # fmt: skip
    finally:
        store.close()
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    iv = next(t.value for t in at.dataframe if "measured_on" in t.value.columns).set_index("intervention")
    for action, kind in (("whisper", "whisper"), ("barge_in", "barge-in")):
        mine = [r for r in rows if r["action"] == action]
        measured = sum(1 for r in mine if (r["nb"] or 0) > 0 and (r["na"] or 0) > 0)
        assert mine and iv.loc[kind, "actions"] == len(mine)
        assert iv.loc[kind, "measured_on"] == measured


def test_every_table_can_be_downloaded_as_csv(env):
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    labels = {b.label for b in at.get("download_button")}
    for name in ("rates", "top reasons", "interventions", "callbacks by agent", "callbacks by team",
                 "playbook by agent", "review list"):  # fmt: skip
        assert f"Download {name} (CSV)" in labels
    # the CSV is written when a button is clicked (deferred), so every button has a file behind it
    assert all(b.proto.deferred_file_id or b.proto.url for b in at.get("download_button"))
    assert len(at.get("plotly_chart")) >= 5


def test_review_list_links_the_hot_calls_that_ended_to_their_call_page(env):
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    newest = newest_hot_ended(env, "call_id")
    links = [p.proto for p in at.get("page_link")]
    assert newest and len(links) == len(newest)
    assert all(p.page == "call" for p in links)
    assert [parse_qs(p.query_string)["call_id"][0] for p in links] == [r["call_id"] for r in newest]


def test_a_transferred_call_in_the_review_list_is_under_who_had_it_when_it_turned_hot(env):
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    newest = newest_hot_ended(env, "call_id, transfers, first_queue, hot_agent_name, hot_queue")
    labels = {parse_qs(p.proto.query_string)["call_id"][0]: p.proto.label for p in at.get("page_link")}
    moved = [r for r in newest if r["transfers"]]
    assert moved and len(moved) < len(newest)
    for r in newest:
        label = labels[r["call_id"]]
        assert f" · {safe.md(r['hot_agent_name'])} · {safe.md(r['hot_queue'])} · peak " in label
        assert (f" · transferred: {safe.md(r['first_queue'] + ' (')}" in label) == bool(r["transfers"])


def test_a_call_opened_from_the_review_list_goes_back_to_the_same_trends_view(env):
    view = {"from": FIRST.isoformat(), "to": LAST.isoformat(), "by": "hour"}
    at = trends(**view)
    link = at.get("page_link")[0].proto
    params = parse_qs(link.query_string)
    assert params["back"] == ["trends"]
    call = AppTest.from_file(str(APP), default_timeout=60)
    for key, values in params.items():
        call.query_params[key] = values[0]
    call.switch_page(nav.CALL_PAGE).run()
    assert not call.exception, [e.value for e in call.exception]
    back = next(p.proto for p in call.get("page_link") if p.proto.label == "Back to Trends")
    assert back.page == "trends"
    assert {k: v[0] for k, v in parse_qs(back.query_string).items()} == view
    # followed, it opens the Trends page on that view
    for key, value in view.items():
        call.query_params[key] = value
    call.switch_page(nav.TRENDS_PAGE).run()
    assert call.date_input(key="tr-range").value == (FIRST, LAST)
    assert call.query_params["by"] == "hour"


def test_filters_come_from_the_url_and_stay_in_it(env):
    start, end = local_range(FIRST, FIRST)
    store = open_store(env)
    try:
        # a call counts for the team of the agent who had it when it turned hot, if it did
        team = store.query("SELECT CASE WHEN hot_agent_id IS NULL THEN team ELSE hot_team END AS team, "
                           "COUNT(*) AS n FROM calls WHERE started_at >= ? AND started_at < ? "
                           "AND team IS NOT NULL GROUP BY 1 ORDER BY n DESC", (start, end))[0]  # fmt: skip
    finally:
        store.close()
    day = FIRST.isoformat()
    at = trends(**{"from": day, "to": day, "team": [team["team"]], "by": "hour"})
    assert metrics(at)["Calls answered"] == f"{team['n']:,}"
    assert at.query_params["team"] == team["team"] and at.query_params["by"] == "hour"
    assert at.multiselect(key="tr-team").value == [team["team"]]


def test_with_no_browser_zone_the_page_is_on_the_centers_clock(env, monkeypatch):
    # it fell back to the server's zone, which may be anywhere (a cloud host's UTC, say)
    monkeypatch.setenv("CALLHEAT_CENTER_TIMEZONE", "Asia/Tokyo")
    clear_streamlit_caches()
    at = trends(**{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    assert any(c.value.startswith("Times in JST.") for c in at.caption), [c.value for c in at.caption]


def test_an_empty_store_says_how_to_fill_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLHEAT_STORE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    clear_streamlit_caches()
    at = trends()
    assert any("--history-days" in i.value for i in at.info)
    clear_streamlit_caches()


def test_a_filter_with_no_call_in_the_period_stays_and_shows_nothing_not_the_whole_floor(env):
    """Found by a review: an agent (from a bookmark, or chosen before the range was narrowed) who
    took no call in the period was dropped from the filter without a word, and the page showed
    the whole floor's figures in its place."""
    day = FIRST.isoformat()
    at = trends(**{"from": day, "to": day, "agent": ["ag-nobody"], "queue": ["no_such_queue"]})
    assert any("No answered calls in this period with these filters" in i.value for i in at.info)
    assert "Calls answered" not in metrics(at)
    assert at.query_params["agent"] == "ag-nobody" and at.query_params["queue"] == "no_such_queue"
    assert at.multiselect(key="tr-agent").value == ["ag-nobody"]
