"""The Streamlit app run headless with AppTest against a filled store."""

from __future__ import annotations

import json
import sqlite3
import time

import kafka
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import nav, safe, views
from streaming.store import CallRow, open_store
from tests.dashboard.conftest import APP, clear_streamlit_caches, point_app_at, use_broker
from tests.dashboard.test_actions import read_all

TIMEOUT = 30


@pytest.fixture
def store(app_env):
    s = open_store(app_env)
    yield s
    s.close()


def run_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_call(call_id: str) -> AppTest:
    """The call page reached through its link: ``/call?call_id=...``."""
    at = run_app()
    at.query_params["call_id"] = call_id
    at.switch_page(nav.CALL_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tile_htmls(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if 'class="ch-tile ' in m.value]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def by_level(store, level: str) -> list[CallRow]:
    return [c for c in store.live_calls() if c.level == level]


def test_header_figures_match_the_store(store):
    live, queued = store.live_calls(), store.queued_calls()
    figures = metrics(run_app())
    assert figures["Live calls"] == str(len(live))
    assert figures["Hot now"] == str(len(by_level(store, "hot")))
    assert figures["Calls waiting"] == str(len(queued))
    assert (
        len(live) > 0 and len(queued) > 0 and by_level(store, "hot")
    )  # the fixture is a busy floor


def test_every_live_call_has_a_tile_and_hot_ones_come_before_calm_ones(store):
    tiles = tile_htmls(run_app())
    assert len(tiles) == len(store.live_calls())

    def position(call: CallRow) -> int:
        name = safe.md(call.agent_name or "")
        return next(i for i, t in enumerate(tiles) if f">{name}<" in t)

    hot, warming, calm = (by_level(store, lvl) for lvl in ("hot", "warming", "calm"))
    assert hot and calm
    assert max(map(position, hot)) < min(map(position, warming + calm))
    if warming:
        assert max(map(position, warming)) < min(map(position, calm))
    for tile, call in zip(tiles, sorted(hot, key=lambda c: c.hot_since or 0.0), strict=False):
        assert safe.md(call.agent_name or "") in tile  # longest hot first


def test_hot_tiles_show_their_top_reasons(store):
    tiles = tile_htmls(run_app())
    for call in by_level(store, "hot"):
        tile = next(t for t in tiles if safe.md(call.agent_name or "") in t)
        assert call.reasons
        for reason in call.reasons[:3]:
            assert f"<li>{safe.md(reason)}</li>" in tile
        for reason in call.reasons[3:]:
            assert safe.md(reason) not in tile


def test_a_call_without_consent_shows_metadata_only(store):
    no_consent = [c for c in store.live_calls() if not c.consent]
    assert no_consent, "the fixture needs a call without recording consent"
    call = no_consent[0]
    tile = next(t for t in tile_htmls(run_app()) if safe.md(call.agent_name or "") in t)
    assert "no recording consent" in tile and safe.md(call.queue) in tile
    assert "sentiment" not in tile and "<li>" not in tile

    at = open_call(call.call_id)
    assert any("did not consent" in i.value or "No recording consent" in i.value for i in at.info)
    assert not [m for m in at.markdown if "ch-turn" in m.value]


def test_the_wallboard_queue_table_lists_waiting_queues(store):
    table = next(m.value for m in run_app().markdown if "ch-queues" in m.value)
    for queue in {c.queue for c in store.queued_calls()}:
        assert f"<td>{safe.md(queue)}</td>" in table


def test_open_on_a_tile_links_to_that_call(store):
    """Each tile's Open is a link to the call page for that call (followed in the browser test)."""
    at = run_app()
    links = [link.proto for link in at.get("page_link") if link.proto.label == "Open"]
    assert sorted(link.query_string for link in links) == sorted(
        f"call_id={c.call_id}" for c in store.live_calls())
    assert {link.page for link in links} == {"call"}
    hottest = max(store.live_calls(), key=lambda c: c.risk)
    at = open_call(hottest.call_id)  # what following the link runs
    banner = next(m.value for m in at.markdown if "ch-banner" in m.value)
    assert safe.md(hottest.agent_name or "") in banner


def test_call_page_from_its_link_shows_transcript_and_reasons(store):
    call = next(c for c in store.live_calls() if store.turns(c.call_id) and c.reasons)
    at = open_call(call.call_id)
    turns = [m.value for m in at.markdown if "ch-turn" in m.value]
    expected = store.turns(call.call_id)
    assert len(turns) == len(expected)
    for shown, turn in zip(turns, expected, strict=True):  # oldest first, newest at the bottom
        assert safe.md(turn.text) in shown
    text = "\n".join(m.value for m in at.markdown)
    for reason in call.reasons:
        assert f"- {safe.md(reason)}" in text
    assert len(at.get("plotly_chart")) == 1
    assert at.text_area[0].value == (call.whisper or "")  # prefilled with the suggestion


def test_a_deep_link_opens_the_call_inside_the_app(store):
    call = by_level(store, "hot")[0]
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["call_id"] = call.call_id
    at.switch_page(nav.CALL_PAGE).run()
    assert not at.exception
    assert any(safe.md(call.agent_name or "") in m.value for m in at.markdown)
    assert at.query_params.get("call_id") == call.call_id


def test_a_wallboard_link_can_pin_teams(store):
    team = by_level(store, "hot")[0].team
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["team"] = team
    at.run()
    shown = tile_htmls(at)
    expected = [c for c in store.live_calls() if c.team == team]
    assert len(shown) == len(expected) < len(store.live_calls())
    assert metrics(at)["Live calls"] == str(len(expected))


def test_call_page_without_a_call_offers_the_live_calls(store):
    at = run_app()
    at.switch_page(nav.CALL_PAGE).run()
    picker = at.selectbox[0]
    # who, where and since when: nothing the refreshing banner could contradict
    assert sorted(o.rsplit(" · since ", 1)[0] for o in picker.options) == sorted(
        f"{c.agent_name} · {c.queue}" for c in store.live_calls())  # fmt: skip
    calm = by_level(store, "calm")[0]
    picker.set_value(calm.call_id).run()
    assert at.query_params.get("call_id") == calm.call_id
    assert not at.exception


def stop_the_scorer(store_url: str, ago_s: float = 60.0) -> float:
    """The scorer's last write ``ago_s`` ago: past the default 30 s (three heartbeats missed)."""
    stopped = time.time() - ago_s
    db = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    db.execute("UPDATE meta SET value = ? WHERE key = 'last_update'", (repr(stopped),))
    db.commit()
    db.close()
    return stopped


def test_stale_data_is_called_out(app_env):
    stop_the_scorer(app_env)
    at = run_app()
    assert any("data is stale since" in w.value for w in at.warning)
    # across the board too, with the tiles greyed and their clocks stopped
    assert any("their clocks stopped" in e.value for e in at.error)
    [css] = [m.value for m in at.markdown if "grayscale" in m.value]
    # the header's figures (the red "Hot now" and "Longest hot" too) and the queue table with them:
    # only the tiles were greyed
    assert metrics(at)["Hot now"] != "0"
    for greyed in ('div[class*="st-key-tile-"]', 'div[class*="st-key-metric-"]', "table.ch-queues"):
        assert greyed in css
    assert any('<table class="ch-queues">' in m.value for m in at.markdown)


def test_the_call_page_says_when_its_data_is_stale_and_stops_its_clocks(app_env, store):
    """The call page read as live, its clocks running, after the scorer had stopped."""
    stopped = stop_the_scorer(app_env, ago_s=600)
    call = by_level(store, "hot")[0]
    at = open_call(call.call_id)
    assert any("data is stale since" in e.value and "its clocks stopped" in e.value for e in at.error)
    assert not any("last update" in m.value for m in at.markdown)
    banner = next(m.value for m in at.markdown if "ch-banner" in m.value)
    assert f'<span class="ch-dur">{views.fmt_duration(views.call_duration_s(call, stopped))}</span>' in banner


def test_fresh_data_shows_the_last_update(app_env):
    at = run_app()
    assert not at.warning
    assert any("last update" in m.value for m in at.markdown)


def test_pages_never_create_kafka_clients(app_env, store, monkeypatch):
    made: list[str] = []

    def spy(name):
        def init(self, *args, **kwargs):
            made.append(name)
            raise AssertionError(f"a {name} was created while rendering")

        return init

    monkeypatch.setattr(kafka.KafkaConsumer, "__init__", spy("KafkaConsumer"))
    monkeypatch.setattr(kafka.KafkaProducer, "__init__", spy("KafkaProducer"))
    at = run_app()
    at.run()  # a rerun, as the refresh does
    hot = by_level(store, "hot")[0]
    open_call(hot.call_id).run()
    assert made == []


def test_whisper_with_the_broker_down_shows_an_error_and_stores_nothing(store):
    call = by_level(store, "hot")[0]
    at = open_call(call.call_id)
    at.button(key="send-whisper").click().run()
    assert not at.exception
    assert any("Not sent" in e.value for e in at.error)
    assert store.actions(call.call_id) == []


@pytest.mark.broker
def test_whisper_from_the_call_page_reaches_the_agent_and_shows_on_the_call(
    kafka_settings, filled_store_url, monkeypatch
):
    use_broker(kafka_settings, filled_store_url, monkeypatch)
    try:
        store = open_store(filled_store_url)
        call = next(c for c in store.live_calls() if c.level == "hot" and c.agent_id)
        at = open_call(call.call_id)
        at.text_input(key="supervisor_id").set_value("sup-maria")
        at.text_area[0].set_value("Offer the refund now.")
        at.button(key="send-whisper").click().run()
        assert not at.exception and not at.error
        assert any("Whisper sent" in s.value for s in at.success)
        shown = at.dataframe[0].value
        assert list(shown["detail"]) == ["Offer the refund now."]
        assert list(shown["by"]) == ["sup-maria"]

        got = read_all(kafka_settings, kafka_settings.topics.agent_coaching, want=1)
        assert [(m.key.decode(), json.loads(m.value)["text"]) for m in got] == [
            (call.agent_id, "Offer the refund now.")
        ]
        [stored] = store.actions(call.call_id)
        assert (stored.action, stored.supervisor_id) == ("whisper", "sup-maria")

        at.button(key="barge-in").click().run()
        assert any("Barge-in sent" in s.value for s in at.success)
        assert [a.action for a in store.actions(call.call_id)] == ["whisper", "barge_in"]
        store.close()
    finally:
        clear_streamlit_caches()


def test_a_store_that_cannot_be_read_says_so_and_the_page_comes_back_when_it_can(tmp_path, monkeypatch):
    """No traceback left on a wall screen: the page says the store cannot be read and,
    once it can, shows the board again (here a real SQLite store whose folder is blocked
    by a file, then freed)."""
    blocker = tmp_path / "store"
    blocker.write_text("not a folder")
    point_app_at(f"sqlite:///{blocker / 'callheat.db'}", monkeypatch)
    at = run_app()
    assert not at.exception
    assert any("The store cannot be read" in e.value and "tries again" in e.value for e in at.error)
    blocker.unlink()
    at.run()
    assert not at.exception and not at.error
    assert any("CallHeat wallboard" in m.value for m in at.markdown)
