"""The wallboard page run headless with AppTest over a store filled by the real scorer.

TV mode, queue figures, the alert budget and precision, filters and the supervisor
in the URL, the new-hot cue and beep, and who is on a call. Expectations are read
back from the store; no broker is reachable (except in the test marked ``broker``).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import safe
from streaming.events import parse_action
from streaming.store import ActionRow, AlertRow, CallRow, StoreBatch, open_store
from tests.dashboard.conftest import APP, clear_streamlit_caches, use_broker
from tests.dashboard.test_actions import read_all

TIMEOUT = 30


@pytest.fixture
def store(app_env):
    s = open_store(app_env)
    yield s
    s.close()


def board(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    """What the next refresh shows after the store changed (the board's cache is 0.5 s)."""
    clear_streamlit_caches()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if 'class="ch-tile ' in m.value]


def tile_of(at: AppTest, call: CallRow) -> str:
    name = safe.md(call.agent_name or "")
    return next(t for t in tiles(at) if f">{name}<" in t)


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def hot(store) -> list[CallRow]:
    return sorted((c for c in store.live_calls() if c.level == "hot"), key=lambda c: -c.risk)


def test_tv_mode_shows_hot_and_warming_large_and_calm_calls_compact(store):
    at = board(tv="1")
    compact = [t for t in tiles(at) if "ch-compact" in t]
    calm = [c for c in store.live_calls() if c.level == "calm"]
    assert calm and len(compact) == len(calm)
    for call in hot(store):
        tile = tile_of(at, call)
        assert "ch-compact" not in tile and "ch-reasons" in tile
    assert not [b for b in at.button if b.label == "I'm on it"]  # a TV is not clicked
    assert any(".ch-risk { font-size: 3.0rem; }" in h.proto.body for h in at.get("html"))
    normal = board()
    assert not [t for t in tiles(normal) if "ch-compact" in t]


def test_the_alert_budget_caps_hot_tiles_and_is_kept_in_the_url(store):
    hottest = hot(store)
    assert len(hottest) >= 2, "the fixture has two hot calls"
    at = board(budget="1")
    assert metrics(at)["Hot now"] == "1"
    assert f"+{len(hottest) - 1} over budget" in captions(at)
    assert "ch-hot" in tile_of(at, hottest[0])
    for call in hottest[1:]:
        tile = tile_of(at, call)
        assert "ch-warming" in tile and "over budget" in tile
    at.number_input(key="wb-budget").set_value(0).run()  # the default: no cap
    assert "budget" not in at.query_params
    assert metrics(at)["Hot now"] == str(len(hottest))
    at.number_input(key="wb-budget").set_value(5).run()
    assert at.query_params["budget"] == "5"


def test_the_alert_budget_setting_is_the_default(app_env, store, monkeypatch):
    monkeypatch.setenv("CALLHEAT_ALERT_BUDGET", "1")
    clear_streamlit_caches()
    at = board()
    assert metrics(at)["Hot now"] == "1" and "alert budget 1" in captions(at)
    assert "budget" not in at.query_params


def test_filters_by_queue_and_team_are_remembered_in_the_url(store):
    at = board()
    at.multiselect(key="wb-queues").set_value(["billing"]).run()
    assert as_list(at.query_params["queue"]) == ["billing"]
    billing = [c for c in store.live_calls() if c.queue == "billing"]
    assert len(tiles(at)) == len(billing) < len(store.live_calls())
    table = next(m.value for m in at.markdown if "ch-queues" in m.value)
    assert "<td>billing</td>" in table and "<td>tech-support</td>" not in table
    team = billing[0].team
    at.multiselect(key="wb-teams").set_value([team]).run()
    assert as_list(at.query_params["team"]) == [team]
    assert len(tiles(at)) == sum(1 for c in billing if c.team == team)
    # a screen opened on that link shows the same view
    again = board(queue="billing", team=team)
    assert len(tiles(again)) == len(tiles(at))
    assert metrics(again)["Live calls"] == str(len(tiles(at)))


def test_supervisor_sees_their_own_alert_precision(store):
    at = board(sup="sup-ana")
    assert f"{safe.md('sup-ana')} · your alert precision: no feedback yet" in captions(at)
    one, two, three = sorted(c.call_id for c in store.live_calls())[:3]
    now = time.time()
    store.apply(StoreBatch(
        alerts=[AlertRow(c, 1, now - 60, 0.9, ("r",)) for c in (one, two, three)],
        actions=[
            ActionRow("f1", one, "feedback", "sup-ana", now, label="hot"),
            ActionRow("f2", two, "feedback", "sup-ana", now, label="not_hot"),
            ActionRow("f3", two, "feedback", "sup-ana", now + 1, label="hot"),  # she thinks again
            ActionRow("f4", three, "feedback", "sup-ana", now, label="not_hot"),
            ActionRow("f5", one, "feedback", "sup-lee", now, label="not_hot"),  # not hers
            ActionRow("f6", one, "feedback", "sup-ana", now, utterance_seq=3, sentiment=0.1),
        ]))  # fmt: skip
    rerun(at)
    assert "your alert precision: 67% (you marked hot 2 of the 3 alerts you gave feedback on)" in captions(at)
    at.text_input(key="wb-sup").set_value("sup-lee").run()
    assert at.query_params["sup"] == "sup-lee"
    assert "your alert precision: 0% (you marked hot 0 of the 1 alert you gave feedback on)" in captions(at)


def test_header_counts_calls_whispered_or_barged_in_within_the_hour(store):
    assert metrics(board())["Whisper/barge 1 h"] == "0"
    live = store.live_calls()
    now = time.time()
    store.apply(StoreBatch(actions=[
        ActionRow("w1", live[0].call_id, "whisper", "sup", now - 60, text="a"),
        ActionRow("w2", live[0].call_id, "whisper", "sup", now - 30, text="b"),  # same call
        ActionRow("b1", live[1].call_id, "barge_in", "sup", now - 600),
        ActionRow("m1", live[2].call_id, "monitor", "sup", now - 60),  # not an intervention
        ActionRow("old", live[3].call_id, "whisper", "sup", now - 2 * 3600, text="c"),
    ]))  # fmt: skip
    clear_streamlit_caches()
    assert metrics(board())["Whisper/barge 1 h"] == "2"


def test_queue_figures_from_the_calls(store):
    now = time.time()
    store.apply(StoreBatch(calls={
        "ab-1": CallRow("ab-1", "abandoned", "billing", "k-ab", now, queued_at=now - 300,
                        ended_at=now - 200),
        "slow-1": CallRow("slow-1", "ended", "billing", "k-slow", now, queued_at=now - 400,
                          started_at=now - 355, wait_s=45.0, ended_at=now - 100),
    }))  # fmt: skip
    rows = store.query("SELECT wait_s FROM calls WHERE queue = 'billing' AND started_at IS NOT NULL")
    answered = len(rows)
    in_target = sum(1 for r in rows if r["wait_s"] <= 20)
    waiting = len([c for c in store.queued_calls() if c.queue == "billing"])
    table = next(m.value for m in board().markdown if "ch-queues" in m.value)
    row = table.split("<td>billing</td>")[1].split("</tr>")[0]
    cells = [c.split(">")[1] for c in row.split("</td>")[:4]]
    assert cells[0] == str(waiting)
    assert cells[2] == f"{in_target / (answered + 1):.0%}" and in_target < answered
    assert cells[3] == f"{1 / (answered + 1):.0%}"


def test_who_is_on_a_hot_call_shows_on_its_tile(store):
    call = hot(store)[0]
    store.apply(StoreBatch(actions=[
        ActionRow("a1", call.call_id, "acknowledge", "sup-lee", time.time() - 20)]))  # fmt: skip
    at = board(sup="sup-ana")
    assert "On it: " + safe.md("sup-lee") in tile_of(at, call)
    others = [t for t in tiles(at) if "On it" in t]
    assert len(others) == 1


def test_im_on_it_with_the_broker_down_says_so_and_stores_nothing(store):
    call = hot(store)[0]
    at = board(sup="sup-ana")
    at.button(key=f"ack-{call.call_id}").click().run()
    assert any("Not sent" in e.value for e in at.error)
    assert store.actions(call.call_id) == []


def test_a_call_newly_hot_is_marked_and_beeps_once_when_the_sound_is_on(store):
    at = board(sound="1")
    assert not at.get("audio")  # the first refresh knows no earlier hot set
    calm = next(c for c in store.live_calls() if c.level == "calm" and c.consent)
    turned = replace(calm, level="hot", risk=0.93, hot_since=time.time() - 3, last_seq=calm.last_seq + 1)
    store.apply(StoreBatch(calls={calm.call_id: turned}))
    rerun(at)
    assert len(at.get("audio")) == 1 and at.get("audio")[0].proto.autoplay
    assert "ch-new" in tile_of(at, calm)
    assert not [t for t in tiles(at) if "ch-new" in t and t != tile_of(at, calm)]
    rerun(at)
    assert not at.get("audio")  # nothing new since the last refresh
    assert "ch-new" in tile_of(at, calm)  # the visual cue lasts ~30 s


def test_under_an_alert_budget_hot_calls_swapping_places_do_not_beep(store):
    """Found by a floor review: with a budget, two hot calls trading places as their risks
    moved beeped as if a new call had turned hot (7 of 13 beeps in 4 minutes)."""
    first, second = hot(store)[:2]
    store.apply(StoreBatch(calls={first.call_id: replace(first, risk=0.90, last_seq=first.last_seq + 1),
                                  second.call_id: replace(second, risk=0.85, last_seq=second.last_seq + 1)}))
    at = board(sound="1", budget="1")
    assert not at.get("audio")
    # the call over budget (shown warming) climbs past the one shown hot: swapped, nothing new
    store.apply(StoreBatch(calls={second.call_id: replace(second, risk=0.92, last_seq=second.last_seq + 2)}))
    rerun(at)
    assert not at.get("audio")
    # a call that was not hot at all turns hot and climbs above both: that is new
    calm = next(c for c in store.live_calls() if c.level == "calm" and c.consent)
    store.apply(StoreBatch(calls={calm.call_id: replace(calm, level="hot", risk=0.95, hot_since=time.time(),
                                                        last_seq=calm.last_seq + 1)}))  # fmt: skip
    rerun(at)
    assert len(at.get("audio")) == 1


def test_no_beep_when_the_sound_is_off(store):
    at = board()
    assert at.toggle(key="wb-sound").value is False
    calm = next(c for c in store.live_calls() if c.level == "calm" and c.consent)
    store.apply(StoreBatch(calls={calm.call_id: replace(
        calm, level="hot", risk=0.93, hot_since=time.time(), last_seq=calm.last_seq + 1)}))  # fmt: skip
    rerun(at)
    assert not at.get("audio") and "ch-new" in tile_of(at, calm)
    at.toggle(key="wb-sound").set_value(True).run()
    assert at.query_params["sound"] == "1"


@pytest.mark.broker
def test_im_on_it_reaches_the_scorer_topic_and_shows_on_the_tile(
    kafka_settings, filled_store_url, monkeypatch
):
    use_broker(kafka_settings, filled_store_url, monkeypatch)
    store = open_store(filled_store_url)
    try:
        call = hot(store)[0]
        at = board(sup="sup-ana")
        at.button(key=f"ack-{call.call_id}").click().run()
        assert not at.error and any("Acknowledged" in s.value for s in at.success)
        assert "On it: " + safe.md("sup-ana") in tile_of(at, call)
        assert at.button(key=f"ack-{call.call_id}").disabled  # already hers
        [stored] = store.actions(call.call_id)
        assert (stored.action, stored.supervisor_id) == ("acknowledge", "sup-ana")
        [msg] = read_all(kafka_settings, kafka_settings.topics.supervisor_actions, want=1)
        assert msg.key.decode() == call.call_id
        assert parse_action(msg.value).action_id == stored.action_id
        assert json.loads(msg.value)["action"] == "acknowledge"
    finally:
        store.close()
        clear_streamlit_caches()


def test_names_from_calls_and_the_url_show_as_text_on_the_board(store):
    """An agent name, team or queue (from events) or a team or supervisor id (from the URL) holding
    markdown stays the text it is: no link or heading, and each tile one HTML block."""
    evil = "\n\n[Supervisor login expired - sign in](https://evil.example/sso)\n\n# Fired"
    call = max(store.live_calls(), key=lambda c: c.risk)
    store.apply(StoreBatch(calls={call.call_id: replace(
        call, agent_name="Ana" + evil, team=f"{call.team}{evil}", queue=f"{call.queue}{evil}",
        last_seq=call.last_seq + 1)}))  # fmt: skip
    at = board(sup="sup-ana" + evil, team=[f"{call.team}{evil}"], tv="1")
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for text in shown:
        assert "](" not in text and "https://evil" not in text, text
        assert all(line.startswith(("### CallHeat wallboard", "#### Queues")) for line in text.splitlines()
                   if line.lstrip().startswith("#")), text  # the board's own headings only
    title = next(t for t in shown if t.startswith("### CallHeat wallboard"))
    assert "\n" not in title and safe.md(f"{call.team}{evil}") in title
    tile = next(t for t in tiles(at) if safe.md("Ana" + evil) in t)
    assert "\n" not in tile and safe.md(f"{call.queue}{evil}") in tile
