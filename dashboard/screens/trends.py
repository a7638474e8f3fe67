"""Trends for ops managers: hot calls, sentiment, escalations, interventions, callbacks,
playbook figures per agent and the review list, over a date range and filters.

The range and filters live in the URL (``/trends?from=2026-03-02&to=2026-03-08&team=...``),
so a manager can bookmark their view. Every table has a CSV download.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, nav, reports, trend_charts
from dashboard.reports import Filters

TTL_S = 60.0  # history changes slowly; a manager's filter changes re-query at once
REVIEW_LINKS = 15
PCT = st.column_config.NumberColumn(format="percent")
SENT = st.column_config.NumberColumn(format="%+.2f")


# --- cached reads (keyed by plain values) ---------------------------------------------------


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=16)
def _range() -> tuple[float, float] | None:
    return reports.data_range(data.get_store())


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=16)
def _options(start: float, end: float) -> dict[str, list[Any]]:
    return reports.filter_options(data.get_store(), start, end)


@st.cache_data(ttl=TTL_S, show_spinner="Reading the period ...", max_entries=16)
def _load(start: float, end: float, queues: tuple[str, ...], teams: tuple[str, ...],
          agents: tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    store, f = data.get_store(), Filters(start, end, queues, teams, agents)
    return {
        "calls": reports.load_calls(store, f),
        "alerts": reports.load_alert_reasons(store, f),
        "interventions": reports.load_interventions(store, f),
        "commitments": reports.load_commitments(store, f),
        "practices": reports.load_practices(store, f),
        "actions": reports.load_actions_on(store, f),
    }


# --- controls --------------------------------------------------------------------------------


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _epoch(day: date, tz: Any) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def _controls(tz: Any) -> tuple[Filters, str, tuple[date, date]] | None:
    """Date range, granularity and queue / team / agent filters, kept in the URL."""
    span = _range()
    if span is None:
        return None
    last = datetime.fromtimestamp(span[1], tz).date()
    first = datetime.fromtimestamp(span[0], tz).date()
    qp = st.query_params
    if "tr-range" not in st.session_state:
        end = _day(qp.get("to")) or last
        start = _day(qp.get("from")) or max(first, end - timedelta(days=6))
        st.session_state["tr-range"] = (min(start, end), max(start, end))
        st.session_state["tr-by"] = "hour" if qp.get("by") == "hour" else "day"
        for key in ("queue", "team", "agent"):
            st.session_state[f"tr-{key}"] = qp.get_all(key)
    top = st.columns([2, 1, 2, 2, 2], vertical_alignment="bottom")
    picked = top[0].date_input("Period", key="tr-range", format="YYYY-MM-DD")
    by = top[1].segmented_control("Per", ["hour", "day"], key="tr-by") or "day"
    days = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
    start_day, end_day = days[0], days[-1]
    start, end = _epoch(start_day, tz), _epoch(end_day + timedelta(days=1), tz)
    options = _options(start, end)
    names = dict(options["agents"])
    for key, values in (("queue", options["queues"]), ("team", options["teams"]),
                        ("agent", list(names))):  # fmt: skip
        kept = [v for v in st.session_state[f"tr-{key}"] if v in values]  # a value may not exist
        st.session_state[f"tr-{key}"] = kept
    queues = top[2].multiselect("Queues", options["queues"], key="tr-queue", placeholder="All queues")
    teams = top[3].multiselect("Teams", options["teams"], key="tr-team", placeholder="All teams")
    agents = top[4].multiselect("Agents", list(names), key="tr-agent", placeholder="All agents",
                                format_func=lambda a: names.get(a, a))  # fmt: skip
    qp.from_dict({"from": start_day.isoformat(), "to": end_day.isoformat(), "by": by,
                  "queue": queues, "team": teams, "agent": agents})  # fmt: skip
    f = Filters(start, end, tuple(queues), tuple(teams), tuple(agents))
    return f, ("h" if by == "hour" else "D"), (start_day, end_day)


# --- pieces ------------------------------------------------------------------------------------


def _table(frame: pd.DataFrame, name: str, period: tuple[date, date], **config: Any) -> None:
    """A table with its CSV download (the whole table, as shown)."""
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
    st.download_button(f"Download {name.replace('-', ' ')} (CSV)", frame.to_csv(index=False),
                       file_name=f"callheat-{name}-{period[0]}-{period[1]}.csv", mime="text/csv",
                       key=f"csv-{name}", icon=":material/download:")  # fmt: skip


def _clock(frame: pd.DataFrame, column: str, tz: Any) -> pd.Series:
    return reports.local_times(frame[column].astype(float), tz).dt.strftime("%Y-%m-%d %H:%M")


def _pct(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1%}"


def _headline(h: dict[str, Any], kept_rate: float | None) -> None:
    sentiment, csat = h["avg_sentiment"], h["avg_csat"]
    figures = [
        ("Calls answered", f"{h['calls']:,}"),
        ("Hot-call rate", _pct(h["hot_rate"])),
        ("Escalation rate", _pct(h["escalation_rate"])),
        ("Avg customer sentiment", "—" if sentiment is None else f"{sentiment:+.2f}"),
        ("Avg CSAT", "—" if csat is None else f"{csat:.2f} / 5"),
        ("Callbacks kept on time", _pct(kept_rate)),
    ]
    for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        with col, st.container(border=True):
            st.metric(label, value)


def _review(review: pd.DataFrame, tz: Any, period: tuple[date, date]) -> None:
    st.caption("Hot calls that ended, newest first: open one to go through its timeline with the agent.")
    if review.empty:
        st.info("No hot call ended in this period.")
        return
    for row in review.head(REVIEW_LINKS).itertuples():
        ended = datetime.fromtimestamp(float(row.ended_at), tz).strftime("%a %d %b %H:%M")
        label = (f"{ended} · {row.agent_name or '—'} · {row.queue} · peak {row.peak_risk:.0%} · "
                 f"{row.disposition or '—'}")  # fmt: skip
        st.page_link(nav.CALL_PAGE, label=label, query_params={"call_id": row.call_id},
                     icon=":material/play_circle:")  # fmt: skip
    shown = review.assign(ended_at=_clock(review, "ended_at", tz),
                          duration_min=(review["duration_s"] / 60).round(1)).drop(columns="duration_s")
    _table(shown, "review-list", period, peak_risk=PCT)


def main() -> None:
    settings, tz = data.get_settings(), reports.resolve_tz(data.browser_tz())
    hot = settings.hot_threshold
    st.markdown("### Trends")
    controls = _controls(tz)
    if controls is None:
        st.info("No calls in the store yet. For a demo, fill it with past calls: "
                "`callheat simulate --history-days 30`.")  # fmt: skip
        return
    f, freq, period = controls
    d = _load(f.start, f.end, f.queues, f.teams, f.agents)
    calls, now = d["calls"], time.time()
    if calls.empty:
        st.info("No answered calls in this period with these filters.")
        return
    agent_names = dict(zip(calls["agent_id"], calls["agent_name"], strict=True))
    by_agent = reports.callbacks_by(d["commitments"], now, "agent_id", agent_names)
    due = by_agent["promised"].sum() - by_agent["pending"].sum() if len(by_agent) else 0
    _headline(reports.headline(calls, hot), by_agent["kept"].sum() / due if due else None)
    st.caption(f"Times in {datetime.now(tz).tzname()}. Calls count in the {'hour' if freq == 'h' else 'day'} "
               f"they started; a call is hot when its risk reached {hot:.0%}.")  # fmt: skip

    over, interventions, callbacks, playbook, review = st.tabs(
        ["Overview", "Interventions", "Callbacks", "Playbook by agent", "Review list"])
    with over:
        rates = reports.rates(calls, hot, freq, tz)
        st.markdown("##### Hot calls and escalations")
        st.plotly_chart(trend_charts.rates_chart(rates, freq), key="chart-rates")
        st.markdown("##### Customer sentiment")
        st.plotly_chart(trend_charts.sentiment_chart(rates, freq), key="chart-sentiment")
        reasons = reports.top_reasons(d["alerts"])
        st.markdown("##### Why calls turned hot")
        if reasons.empty:
            st.caption("No call turned hot in this period.")
        else:
            st.plotly_chart(trend_charts.reasons_chart(reasons), key="chart-reasons")
            _table(reasons, "top-reasons", period, share_of_hot_calls=PCT)
        stamp = "%Y-%m-%d %H:%M" if freq == "h" else "%Y-%m-%d"
        shown = rates.assign(period=rates["period"].dt.strftime(stamp))
        _table(shown, "rates", period, hot_rate=PCT, escalation_rate=PCT, avg_sentiment=SENT)
    with interventions:
        window = reports.WINDOW_S / 60
        st.caption(f"Customer sentiment in the {window:g} minutes before vs after each whisper or "
                   "barge-in, and how those calls ended, next to the hot calls nobody stepped into.")
        summary = reports.intervention_summary(d["interventions"], calls, hot)
        if summary.empty:
            st.info("No whisper or barge-in in this period.")
        else:
            st.plotly_chart(trend_charts.intervention_chart(summary, window), key="chart-interventions")
            _table(summary, "interventions", period, sentiment_before=SENT, sentiment_after=SENT,
                   sentiment_change=SENT, escalated=PCT, resolved=PCT)  # fmt: skip
    with callbacks:
        st.caption("Kept: the customer's next call started between the promise and its due time.")
        if d["commitments"].empty:
            st.info("No callback promised in this period.")
        else:
            per_day = reports.callbacks_per_day(d["commitments"], now, tz)
            st.plotly_chart(trend_charts.callbacks_chart(per_day), key="chart-callbacks")
            _table(by_agent, "callbacks-by-agent", period, kept_rate=PCT)
            _table(reports.callbacks_by(d["commitments"], now, "team", {}), "callbacks-by-team", period,
                   kept_rate=PCT)  # fmt: skip
    with playbook:
        st.caption("Share of each agent's calls in which a practice was seen: good practices first, "
                   "then lapses.")
        table = reports.playbook_by_agent(calls, d["practices"])
        kinds = reports.practice_kinds(d["practices"])
        if not kinds:
            st.info("No playbook practice recorded in this period.")
        config = {k: st.column_config.NumberColumn(f"{'✓' if v == 'good' else '✗'} {k.replace('_', ' ')}",
                                                   format="percent") for k, v in kinds.items()}
        _table(table, "playbook-by-agent", period, **config)
    with review:
        _review(reports.review_list(calls, d["alerts"], d["actions"], hot), tz, period)


main()
