"""Plotly figures for the Trends and Model pages: frames in, figures out (hover and zoom).

Times arrive already in the viewer's time zone (``reports.local_times``); plotly draws
them as wall-clock times. Each time axis has its range, tick spacing and tick format
set here, so one period (a fresh install's only day) or one point reads as a day or a
moment rather than as plotly's guess around a single instant.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import safe

HOT, ESCALATED, CALLS, GOOD, BAD = "#dc2626", "#7c3aed", "#cbd5e1", "#15803d", "#b91c1c"
STATUS_COLORS = {"kept": "#15803d", "late": "#f59e0b", "missed": "#dc2626", "pending": "#94a3b8"}
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
PERIOD_MS = {"h": HOUR_MS, "D": DAY_MS}
TICK_STEPS = {"h": (1, 2, 3, 6, 12, 24, 48, 168), "D": (1, 2, 7, 14, 28)}  # in periods
MAX_TICKS = 12
BAR_SHARE = 0.8  # a bar is this share of its period wide ...
FEW_PERIODS = 6  # ... narrower when fewer periods are shown, so one day is not one wall of colour
FEW_POINTS = 30  # a validation chart with at most this many points marks each
MIN_SPAN = pd.Timedelta(hours=2)  # the narrowest x range of a chart of moments
MOMENT_TICKS = [  # tick format by the spacing plotly picks, as one zooms
    {"dtickrange": [None, 59_999], "value": "%H:%M:%S<br>%a %d %b"},
    {"dtickrange": [60_000, DAY_MS - 1], "value": "%H:%M<br>%a %d %b"},
    {"dtickrange": [DAY_MS, None], "value": "%a %d %b"},  # a tick a day or wider: the day
]


def _layout(fig: go.Figure, height: int = 340) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      hovermode="x unified", legend={"orientation": "h", "y": 1.12, "x": 0},
                      plot_bgcolor="white")  # fmt: skip
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eef2f7")
    return fig


def _wall(t: pd.Timestamp) -> pd.Timestamp:
    """A time as plotly draws it: the wall-clock time, without its zone."""
    t = pd.Timestamp(t)
    return t.tz_localize(None) if t.tzinfo is not None else t


def period_axis(fig: go.Figure, periods: pd.Series, freq: str) -> go.Figure:
    """An x axis of whole hours (``freq="h"``) or days (``"D"``): half a period of room on
    either side of the first and last, a tick every whole number of periods (at most about
    ``MAX_TICKS``) from midnight, written as an hour or a day; bars ``BAR_SHARE`` of a
    period wide (less below ``FEW_PERIODS``), markers larger for a lone period. One day
    reads as one day, not as an instant with ticks in milliseconds.
    """
    if periods.empty:
        return fig
    unit = PERIOD_MS[freq]
    first, last = _wall(periods.min()), _wall(periods.max())
    n = (last - first) / pd.Timedelta(milliseconds=unit) + 1
    step = next((k for k in TICK_STEPS[freq] if n / k <= MAX_TICKS), TICK_STEPS[freq][-1])
    half = pd.Timedelta(milliseconds=unit / 2)
    if freq == "D":
        tickformat = "%a %d %b" if step < 7 else "%d %b"
    elif step * unit >= DAY_MS:
        tickformat = "%a %d %b"
    elif first.normalize() == last.normalize():
        tickformat = "%H:%M"
        fig.update_xaxes(title_text=first.strftime("%a %d %b %Y"))
    else:
        tickformat = "%H:%M<br>%a %d %b"
    fig.update_xaxes(type="date", range=[(first - half).isoformat(), (last + half).isoformat()],
                     tick0=first.normalize().isoformat(), dtick=step * unit, tickformat=tickformat)
    fig.update_traces(width=BAR_SHARE * unit * min(1.0, n / FEW_PERIODS), selector={"type": "bar"})
    if n == 1:
        fig.update_traces(marker_size=9, selector={"type": "scatter"})
    return fig


def moment_axis(fig: go.Figure, times: pd.Series) -> go.Figure:
    """An x axis of moments (validation points, drifts): at least ``MIN_SPAN`` wide around
    them, so one point shows as a moment in an hour, and ticks at most to the second."""
    fig.update_xaxes(type="date", tickformatstops=MOMENT_TICKS)
    if times.empty:
        return fig
    first, last = _wall(times.min()), _wall(times.max())
    if last - first < MIN_SPAN:
        middle = first + (last - first) / 2
        fig.update_xaxes(range=[(middle - MIN_SPAN / 2).isoformat(), (middle + MIN_SPAN / 2).isoformat()])
    return fig


def rates_chart(rates: pd.DataFrame, freq: str) -> go.Figure:
    """Calls per period (bars, right axis) with hot-call and escalation rates (lines, %)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    when = "%a %d %b %H:00" if freq == "h" else "%a %d %b"
    x = rates["period"]
    fig.add_trace(go.Bar(x=x, y=rates["calls"], name="calls", marker_color=CALLS, opacity=0.6,
                         hovertemplate="%{y:,} calls"), secondary_y=True)  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=rates["hot_rate"], name="hot-call rate", mode="lines+markers",
                             line={"color": HOT, "width": 2}, marker={"size": 4},
                             hovertemplate="hot %{y:.0%}"), secondary_y=False)  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=rates["escalation_rate"], name="escalation rate",
                             mode="lines+markers", line={"color": ESCALATED, "width": 2, "dash": "dot"},
                             marker={"size": 4}, hovertemplate="escalated %{y:.0%}"),
                  secondary_y=False)  # fmt: skip
    fig.update_yaxes(title_text="share of calls", tickformat=".0%", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="calls", showgrid=False, rangemode="tozero", secondary_y=True)
    fig.update_xaxes(hoverformat=when)
    return period_axis(_layout(fig), x, freq)


def sentiment_chart(rates: pd.DataFrame, freq: str) -> go.Figure:
    """Mean customer sentiment per period, in [-1, 1], with the neutral line."""
    fig = go.Figure(go.Scatter(x=rates["period"], y=rates["avg_sentiment"], mode="lines+markers",
                               name="customer sentiment", line={"color": "#2563eb", "width": 2},
                               marker={"size": 4}, hovertemplate="%{y:+.2f}"))  # fmt: skip
    fig.add_hline(y=0, line={"color": "#94a3b8", "width": 1})
    fig.update_yaxes(title_text="mean customer sentiment", range=[-1, 1])
    fig.update_xaxes(hoverformat="%a %d %b %H:00" if freq == "h" else "%a %d %b")
    return period_axis(_layout(fig, 280), rates["period"], freq)


def reasons_chart(reasons: pd.DataFrame) -> go.Figure:
    """Top reasons as horizontal bars: share of hot calls giving each."""
    r = reasons.iloc[::-1]
    fig = go.Figure(go.Bar(x=r["share_of_hot_calls"], y=r["reason"].map(safe.plot), orientation="h",
                           marker_color=HOT,
                           customdata=r["hot_calls"],
                           hovertemplate="%{y}: %{x:.0%} of hot calls (%{customdata:,})<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", title_text="share of hot calls")
    fig.update_layout(hovermode="closest")
    return _layout(fig, max(240, 34 * len(r) + 60))


def intervention_chart(summary: pd.DataFrame, window_min: float) -> go.Figure:
    """Customer sentiment before vs after each kind of intervention, each bar naming how many
    of the interventions it is measured on (those with the customer speaking on both sides)."""
    s = summary.dropna(subset=["sentiment_before", "sentiment_after"])
    x = [f"{kind}<br>measured on {int(m):,} of {int(n):,}"
         for kind, m, n in zip(s["intervention"], s["measured_on"], s["actions"], strict=True)]  # fmt: skip
    fig = go.Figure()
    for column, when, color in (("sentiment_before", "before", "#94a3b8"),
                                ("sentiment_after", "after", "#2563eb")):  # fmt: skip
        fig.add_trace(go.Bar(x=x, y=s[column], name=f"{window_min:g} min {when}", marker_color=color,
                             customdata=s[["measured_on", "actions"]],
                             hovertemplate=f"{when} %{{y:+.2f}} (measured on %{{customdata[0]:,}} of "
                                           "%{customdata[1]:,})<extra></extra>"))  # fmt: skip
    fig.add_hline(y=0, line={"color": "#64748b", "width": 1})
    fig.update_yaxes(title_text="mean customer sentiment", range=[-1, 1])
    fig.update_layout(barmode="group")
    return _layout(fig, 300)


def callbacks_chart(per_day: pd.DataFrame) -> go.Figure:
    """Callbacks promised per day, stacked by what became of them."""
    fig = go.Figure()
    for status, color in STATUS_COLORS.items():
        if status in per_day:
            fig.add_trace(go.Bar(x=per_day["day"], y=per_day[status], name=status, marker_color=color,
                                 hovertemplate=f"{status} %{{y}}"))  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="callbacks promised")
    fig.update_xaxes(hoverformat="%a %d %b")
    return period_axis(_layout(fig, 280), per_day["day"], "D")


# --- model page -------------------------------------------------------------------------------


def validation_chart(history: pd.DataFrame) -> go.Figure:
    """ROC AUC (left axis) and log loss (right axis) of the risk model over time (with markers
    while there are few points: a line through one point draws nothing); each run of the
    model (``history["run"]``) a line of its own, not joined to the one before."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    mode = "lines+markers" if len(history) <= FEW_POINTS else "lines"
    for i, (_, run) in enumerate(history.groupby("run", sort=True)):
        fig.add_trace(go.Scatter(x=run["time"], y=run["roc_auc"], name="ROC AUC", mode=mode,
                                 line={"color": GOOD, "width": 2}, hovertemplate="AUC %{y:.3f}",
                                 connectgaps=True, legendgroup="auc", showlegend=i == 0),
                      secondary_y=False)  # fmt: skip
        fig.add_trace(go.Scatter(x=run["time"], y=run["log_loss"], name="log loss", mode=mode,
                                 line={"color": BAD, "width": 2, "dash": "dot"},
                                 hovertemplate="log loss %{y:.3f}", connectgaps=True,
                                 legendgroup="loss", showlegend=i == 0), secondary_y=True)  # fmt: skip
    fig.update_yaxes(title_text="ROC AUC", range=[0.4, 1.0], secondary_y=False)
    fig.update_yaxes(title_text="log loss", rangemode="tozero", showgrid=False, secondary_y=True)
    fig.update_xaxes(hoverformat="%a %d %b %H:%M")
    return moment_axis(_layout(fig), history["time"])


def calibration_chart(cal: pd.DataFrame) -> go.Figure:
    """Observed escalation rate against mean predicted risk per bin of risk snapshots (a call
    counts once per snapshot, ``n``); the diagonal is perfect."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line={"color": "#94a3b8", "dash": "dash"}, hoverinfo="skip"))  # fmt: skip
    size = 8 + 22 * (cal["n"] / cal["n"].max()) ** 0.5 if len(cal) else 8
    fig.add_trace(go.Scatter(x=cal["mean_predicted"], y=cal["observed_rate"], mode="lines+markers",
                             name="risk model", line={"color": "#2563eb"}, marker={"size": size},
                             customdata=cal["n"],
                             hovertemplate="predicted %{x:.0%} → %{y:.0%} escalated "
                             "(%{customdata:,} risk snapshots)<extra></extra>"))  # fmt: skip
    fig.update_xaxes(title_text="mean predicted risk", range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title_text="share whose call escalated", range=[0, 1], tickformat=".0%")
    fig.update_layout(hovermode="closest")
    return _layout(fig, 360)


def drift_chart(drifts: pd.DataFrame) -> go.Figure:
    """Each detected change: the queue's mean customer sentiment before → after."""
    fig = go.Figure()
    for queue, d in drifts.groupby("queue"):
        name = safe.plot(queue)  # a queue's name is data: never part of the hovertemplate itself
        fig.add_trace(go.Scatter(
            x=d["time"], y=d["mean_after"], mode="markers", name=name,
            marker={"size": 11, "symbol": ["triangle-up" if c > 0 else "triangle-down"
                                           for c in d["change"]]},
            customdata=d[["mean_before", "change"]].assign(queue=name),
            hovertemplate="%{customdata[2]}: %{customdata[0]:+.2f} → %{y:+.2f} "
                          "(%{customdata[1]:+.2f})<extra></extra>"))  # fmt: skip
    fig.add_hline(y=0, line={"color": "#94a3b8", "width": 1})
    fig.update_yaxes(title_text="customer sentiment after the change", range=[-1, 1])
    fig.update_layout(hovermode="closest")
    return moment_axis(_layout(fig, 300), drifts["time"])
