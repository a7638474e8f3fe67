"""The Trends and Model charts' axes: one period or one point must read as a day, an hour or a
moment (a fresh install has only today's calls and one validation point)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from dashboard import model_report, reports, trend_charts

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()  # 10:00 in Paris
DAY_MS, HOUR_MS = 86_400_000, 3_600_000


def calls(*starts: float) -> pd.DataFrame:
    rows = [{"call_id": f"c{i}", "started_at": s, "ended_at": s + 300, "status": "ended", "queue": "billing",
             "team": "Blue", "agent_id": "a1", "agent_name": "Ana", "peak_risk": 0.8 if i % 2 else 0.2,
             "disposition": "resolved", "csat": 4, "customer_sentiment": -0.1}
            for i, s in enumerate(starts)]  # fmt: skip
    return pd.DataFrame(rows, columns=reports.CALL_COLUMNS)


def span(axis) -> pd.Timedelta:
    return pd.Timestamp(axis.range[1]) - pd.Timestamp(axis.range[0])


@pytest.mark.parametrize("chart", [trend_charts.rates_chart, trend_charts.sentiment_chart])
def test_one_day_by_day_is_one_day_wide_with_a_day_tick(chart):
    rates = reports.rates(calls(T0, T0 + 600, T0 + 7200), 0.7, "D", PARIS)
    assert len(rates) == 1
    fig = chart(rates, "D")
    x = fig.layout.xaxis
    # the day, in the viewer's wall clock, from noon the day before to noon the day after
    assert x.range == ("2026-03-01T12:00:00", "2026-03-02T12:00:00")
    assert x.dtick == DAY_MS and x.tickformat == "%a %d %b" and x.tick0 == "2026-03-02T00:00:00"
    bars = [t for t in fig.data if t.type == "bar"]  # a column in its day, not a wall
    assert all(b.width == pytest.approx(trend_charts.BAR_SHARE * DAY_MS / trend_charts.FEW_PERIODS)
               for b in bars)  # fmt: skip
    assert all(t.marker.size == 9 for t in fig.data if t.type == "scatter")


def test_one_hour_by_hour_reads_as_that_hour_of_that_day():
    rates = reports.rates(calls(T0, T0 + 600), 0.7, "h", PARIS)
    fig = trend_charts.rates_chart(rates, "h")
    x = fig.layout.xaxis
    assert x.range == ("2026-03-02T09:30:00", "2026-03-02T10:30:00")
    assert x.dtick == HOUR_MS and x.tickformat == "%H:%M" and x.title.text == "Mon 02 Mar 2026"
    assert fig.data[0].width == pytest.approx(trend_charts.BAR_SHARE * HOUR_MS / trend_charts.FEW_PERIODS)


@pytest.mark.parametrize(("days", "freq", "step_ms", "tickformat"), [
    (30, "D", 7 * DAY_MS, "%d %b"), (7, "D", DAY_MS, "%a %d %b"),
    (7, "h", DAY_MS, "%a %d %b"), (2, "h", 6 * HOUR_MS, "%H:%M<br>%a %d %b"),
])  # fmt: skip
def test_longer_periods_tick_in_whole_periods_at_most_about_a_dozen_times(days, freq, step_ms, tickformat):
    starts = [T0 + h * 3600 for h in range(24 * days)]
    rates = reports.rates(calls(*starts), 0.7, freq, PARIS)
    fig = trend_charts.rates_chart(rates, freq)
    x = fig.layout.xaxis
    assert x.dtick == step_ms and x.tickformat == tickformat
    assert fig.data[0].width == pytest.approx(trend_charts.BAR_SHARE * trend_charts.PERIOD_MS[freq])
    assert span(x) / pd.Timedelta(milliseconds=step_ms) <= trend_charts.MAX_TICKS + 1


def test_one_day_of_callbacks_is_one_day_wide():
    per_day = pd.DataFrame({"day": pd.to_datetime([T0], unit="s", utc=True).tz_convert(PARIS).floor("D"),
                            "kept": [2], "late": [0], "missed": [1], "pending": [0]})  # fmt: skip
    fig = trend_charts.callbacks_chart(per_day)
    assert span(fig.layout.xaxis) == pd.Timedelta(days=1) and fig.layout.xaxis.dtick == DAY_MS
    assert {t.width for t in fig.data} == {trend_charts.BAR_SHARE * DAY_MS / trend_charts.FEW_PERIODS}


def test_one_validation_point_shows_as_a_marked_moment_in_a_readable_range():
    history = model_report.history_frame([(T0, '{"roc_auc": 0.8, "log_loss": 0.4}')])
    history["time"] = reports.local_times(history["ts"], PARIS)
    fig = trend_charts.validation_chart(history)
    assert all("markers" in t.mode for t in fig.data)  # a line through one point draws nothing
    x = fig.layout.xaxis
    assert span(x) == trend_charts.MIN_SPAN
    assert x.range[0] < "2026-03-02T10:00:00" < x.range[1]
    # ticks never finer than a second, each with its date
    assert [s.value for s in x.tickformatstops][0] == "%H:%M:%S<br>%a %d %b"


def test_many_validation_points_keep_their_own_range():
    points = [(T0 + i * 300, '{"roc_auc": 0.8}') for i in range(200)]
    history = model_report.history_frame(points)
    history["time"] = reports.local_times(history["ts"], PARIS)
    fig = trend_charts.validation_chart(history)
    assert fig.layout.xaxis.range is None and fig.data[0].mode == "lines"


def test_one_drift_shows_in_a_readable_range():
    drifts = pd.DataFrame({"queue": ["billing"], "ts": [T0], "mean_before": [0.3], "mean_after": [-0.1],
                           "change": [-0.4]})  # fmt: skip
    drifts["time"] = reports.local_times(drifts["ts"], PARIS)
    assert span(trend_charts.drift_chart(drifts).layout.xaxis) == trend_charts.MIN_SPAN


def test_calibration_counts_risk_snapshots_not_calls():
    cal = model_report.calibration_frame({"calibration": [[0.1, 0.05, 400], [0.9, 0.8, 100]]})
    fig = trend_charts.calibration_chart(cal)
    template = fig.data[1].hovertemplate
    assert "risk snapshots" in template and "calls)" not in template
    assert model_report.validated_snapshots({"calibration": [[0.1, 0.05, 400], [0.9, 0.8, 100]]}) == 500


def test_intervention_bars_say_how_many_actions_they_are_measured_on():
    summary = pd.DataFrame({"intervention": ["whisper", "barge-in"], "actions": [160, 4], "calls": [150, 4],
                            "measured_on": [17, 0], "sentiment_before": [-0.12, None],
                            "sentiment_after": [-0.1, None]})  # fmt: skip
    fig = trend_charts.intervention_chart(summary, 5)
    assert list(fig.data[0].x) == ["whisper<br>measured on 17 of 160"]  # barge-in: nothing to show
    assert "measured on %{customdata[0]:,} of %{customdata[1]:,}" in fig.data[0].hovertemplate
