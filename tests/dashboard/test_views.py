"""The wallboard's figures, tiles and charts, from rows alone (no browser, no Streamlit run)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from dashboard import charts, queues, views, widgets
from streaming.store import ActionRow, CallRow, MarkerRow, TurnRow

NOW = 1_800_000_000.0


def live(call_id: str, level: str = "calm", risk: float = 0.1, **kw) -> CallRow:
    base = CallRow(
        call_id=call_id,
        status="live",
        queue="billing",
        customer_id="c",
        updated_at=NOW,
        agent_id=f"a-{call_id}",
        agent_name=f"Agent {call_id}",
        team="Team Blue",
        started_at=NOW - 300,
        level=level,
        risk=risk,
    )
    return replace(base, **kw)


def queued(call_id: str, waited: float, queue: str = "billing") -> queues.QueueCall:
    return queues.QueueCall(call_id, "queued", queue, NOW - waited, None, None)


def test_header_figures_count_and_measure_the_floor():
    calls = [
        live("h1", "hot", 0.9, hot_since=NOW - 200, sentiment=-0.6),
        live("h2", "hot", 0.8, hot_since=NOW - 50, sentiment=-0.4),
        live("w1", "warming", 0.5, sentiment=0.0),
        live("c1", "calm", 0.1, sentiment=0.5),
        live("nc", "calm", 0.0, consent=False),  # no sentiment: left out of the average
    ]
    waiting = queues.total(queues.queue_figures([queued("q1", 30), queued("q2", 95, "tech")], NOW, 3600, 20))
    h = views.header_figures(calls, waiting, NOW)
    assert (h.live, h.hot, h.warming, h.waiting) == (5, 2, 1, 2)
    assert h.longest_wait_s == pytest.approx(95)
    assert h.avg_sentiment == pytest.approx((-0.6 - 0.4 + 0.0 + 0.5) / 4)
    assert h.longest_hot_s == pytest.approx(200)


def test_header_figures_of_an_empty_floor_have_no_made_up_values():
    h = views.header_figures([], queues.total([]), NOW)
    assert (h.live, h.hot, h.waiting) == (0, 0, 0)
    assert h.longest_wait_s is None and h.avg_sentiment is None and h.longest_hot_s is None


def test_tiles_are_hot_then_warming_then_calm_each_by_risk():
    calls = [
        live("c-low", "calm", 0.05),
        live("w", "warming", 0.45),
        live("h-low", "hot", 0.72),
        live("c-high", "calm", 0.3),
        live("h-high", "hot", 0.95),
    ]
    assert [t.call_id for t in views.tiles(calls, NOW)] == [
        "h-high",
        "h-low",
        "w",
        "c-high",
        "c-low",
    ]


def test_tile_carries_what_a_supervisor_reads():
    call = live(
        "x",
        "hot",
        0.87,
        hot_since=NOW - 75,
        sentiment=-0.5,
        sentiment_trend=(0.1, -0.5),
        reasons=("asked for a manager", "legal threat", "repeat caller", "on hold twice"),
        whisper="Slow down.",
        on_hold=True,
        started_at=NOW - 185,
    )
    t = views.tile(call, NOW)
    assert (t.agent_name, t.team, t.queue, t.duration) == (
        "Agent x",
        "Team Blue",
        "billing",
        "03:05",
    )
    assert t.reasons == ("asked for a manager", "legal threat", "repeat caller")  # top 3
    assert (t.level, t.risk, t.hot_for, t.on_hold, t.whisper) == (
        "hot",
        0.87,
        "01:15",
        True,
        "Slow down.",
    )


def test_tile_of_a_call_without_consent_shows_metadata_only():
    call = live("nc", consent=False, sentiment=-0.3, reasons=("x",), whisper="w")
    t = views.tile(call, NOW)
    assert t.sentiment is None and t.trend == () and t.reasons == () and t.whisper is None
    html = widgets.tile_html(t)
    assert views.NO_CONSENT in html and "sentiment" not in html and "Agent nc" in html


def test_tile_html_escapes_what_comes_from_calls():
    t = views.tile(
        live("x", agent_name="<script>alert(1)</script>", reasons=("a <b>bold</b> move",)), NOW
    )
    html = widgets.tile_html(t)
    assert "<script>" not in html and "&#60;script&#62;" in html and "a &#60;b&#62;bold" in html


def test_freshness_says_when_the_data_stopped():
    assert views.freshness(NOW - 2, NOW, 10, UTC) == views.Freshness(False, "last update 07:59:58 UTC")
    stale = views.freshness(NOW - 60, NOW, 10, ZoneInfo("America/Chicago"))
    assert stale.stale and stale.text == "data is stale since 01:59:00 CST"  # the zone named
    assert views.freshness(None, NOW, 10).stale


def test_a_hot_or_warming_tile_shows_the_suggested_whisper_short_and_escaped():
    long = ("Acknowledge the <b>repeat</b> call, own it, and offer the callback slot the customer asked "
            "for before they hang up again")
    hot = widgets.tile_html(views.tile(live("h", "hot", 0.9, hot_since=NOW - 20, whisper=long), NOW))
    [line] = re.findall(r'<div class="ch-whisper">(.*?)</div>', hot)
    shown = html.unescape(line)
    assert shown.startswith("Whisper: “Acknowledge the <b>repeat</b> call") and shown.endswith("…”")
    assert "<b>" not in line  # escaped
    assert len(shown) <= len("Whisper: “”") + widgets.TILE_WHISPER_CHARS
    warm = widgets.tile_html(views.tile(live("w", "warming", 0.5, whisper="Slow down."), NOW))
    assert '<div class="ch-whisper">Whisper: “Slow down&#46;”</div>' in warm
    calm = widgets.tile_html(views.tile(live("c", "calm", 0.1, whisper="Slow down."), NOW))
    assert "ch-whisper" not in calm  # a calm call needs no whisper on the board
    silent = widgets.tile_html(views.tile(live("n", "hot", 0.9, consent=False, whisper="w"), NOW))
    assert "ch-whisper" not in silent


def test_the_call_pages_actions_follow_the_agent():
    """A live call waiting for an agent (transferred to a queue) has none to whisper to; once an
    agent picks it up the actions are back. The page said "The call is live: ... are for live
    calls" while its buttons stayed disabled."""
    waiting = live("t", agent_id=None, agent_name=None, queue="retention")
    can = views.call_actions(waiting)
    assert not can.live and can.note is not None
    assert can.note.startswith("The call is live, waiting in retention for an agent")
    assert "are for live calls" not in can.note
    assert views.call_actions(replace(waiting, agent_id="a-zoe")) == views.CallActions(True, None)
    ended = views.call_actions(replace(waiting, agent_id="a-zoe", status="ended"))
    assert not ended.live and ended.note is not None and ended.note.startswith("The call is ended:")


def test_a_sentiment_that_rounds_to_nothing_has_no_sign():
    assert [views.fmt_sentiment(v) for v in (-0.004, 0.0, 0.004, -0.3, 0.3)] == [
        "0.00", "0.00", "0.00", "\u22120.30", "+0.30"]


def test_the_board_clock_stops_at_the_last_write_once_the_data_is_stale():
    assert views.board_clock(NOW, NOW - 60, stale=False) == NOW
    assert views.board_clock(NOW, NOW - 60, stale=True) == NOW - 60
    assert views.board_clock(NOW, None, stale=True) == NOW  # nothing written yet: nothing to stop at
    tile = views.tile(live("x", started_at=NOW - 300), views.board_clock(NOW + 600, NOW, stale=True))
    assert tile == views.tile(live("x", started_at=NOW - 300), NOW)  # no minute counted after it stopped


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3725, "62:05")],
)
def test_fmt_duration(seconds, text):
    assert views.fmt_duration(seconds) == text


def test_filter_teams_keeps_all_when_none_chosen():
    calls = [live("a", team="Team Blue"), live("b", team="Team Green")]
    assert [c.call_id for c in views.filter_teams(calls, [])] == ["a", "b"]
    assert [c.call_id for c in views.filter_teams(calls, ["Team Green"])] == ["b"]


def test_transcript_is_in_order_with_time_into_the_call():
    turns = [
        TurnRow("x", 5, NOW - 240, "customer", "second", 0, 1, -0.5, 0.4),
        TurnRow("x", 3, NOW - 290, "agent", "first", 0, 1, 0.2, 0.1),
    ]
    lines = views.transcript(turns, NOW - 300)
    assert [(ln.text, ln.at) for ln in lines] == [("first", "00:10"), ("second", "01:00")]


def test_action_rows_label_and_describe_actions():
    actions = [
        ActionRow("2", "x", "barge_in", "sup-2", NOW - 10),
        ActionRow("1", "x", "whisper", "sup-1", NOW - 100, agent_id="a", text="Slow down"),
    ]
    rows = views.action_rows(actions, NOW - 300, UTC)
    assert [(r["action"], r["by"], r["detail"], r["into call"]) for r in rows] == [
        ("Whisper", "sup-1", "Slow down", "03:20"),
        ("Barge-in", "sup-2", "", "04:50"),
    ]


def test_sparkline_is_a_small_svg_line_within_its_box():
    svg = charts.sparkline([-1.0, 0.0, 2.0], width=100, height=20)  # 2.0 is clipped to 1
    points = svg.split('points="')[1].split('"')[0].split()
    ys = [float(p.split(",")[1]) for p in points]
    assert len(points) == 3 and min(ys) >= 0 and max(ys) <= 20
    assert ys[0] > ys[1] > ys[2]  # higher sentiment draws higher up
    assert charts.sparkline([]) == ""


def test_call_timeline_has_sentiment_risk_and_interventions():
    start = NOW - 300
    turns = [
        TurnRow("x", 3, start + 10, "agent", "hello", 0, 1, 0.2, 0.1),
        TurnRow("x", 4, start + 40, "customer", "this is bad", 0, 1, -0.6, 0.5),
        TurnRow("x", 6, start + 100, "customer", "manager now", 0, 1, -0.8, 0.8),
    ]
    markers = [
        MarkerRow("x", 5, start + 60, "hold_started"),
        MarkerRow("x", 7, start + 90, "hold_ended"),
        MarkerRow("x", 8, start + 120, "transfer", "tier2"),
    ]
    actions = [
        ActionRow("a1", "x", "whisper", "sup", start + 130, text="Slow down"),
        ActionRow("a2", "x", "barge_in", "sup", start + 150),
    ]
    fig = charts.call_timeline(turns, markers, actions, start=start, now=NOW)
    traces = {t.name: t for t in fig.data}
    assert list(traces["customer sentiment"].y) == [-0.6, -0.8]
    assert list(traces["customer sentiment"].x) == [
        pytest.approx(40 / 60, abs=1e-3),
        pytest.approx(100 / 60, abs=1e-3),
    ]
    assert list(traces["risk"].y) == [0.1, 0.5, 0.8]
    assert list(traces["whisper"].x) == [pytest.approx(130 / 60, abs=1e-3)]
    assert "Slow down" in traces["whisper"].hovertext[0]
    assert len(traces["barge-in"].x) == 1 and len(traces["transfer"].x) == 1
    holds = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(round(s.x0, 2), round(s.x1, 2)) for s in holds] == [(1.0, 1.5)]
