"""Trends for ops managers: hot calls, sentiment, escalations, interventions, callbacks,
playbook figures per agent and the review list, over a date range and filters.

The range and filters live in the URL (``/trends?from=2026-03-02&to=2026-03-08&team=...``),
so a manager can bookmark their view. Every table has a CSV download.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from dashboard import data, formats, nav, prefs, reports, safe, session, tables, trend_charts
from dashboard.reports import Filters

TTL_S = 60.0  # history changes slowly; a manager's filter changes re-query at once
REVIEW_LINKS = 15
REVIEW_ROWS = 500  # shown; the CSV has them all
MARKS = {"good": "✓", "lapse": "✗", "situation": "·"}  # playbook columns: practice kind -> mark


# --- cached reads (keyed by plain values) ---------------------------------------------------


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=16)
def _range() -> tuple[float, float] | None:
    return reports.data_range(data.get_store())


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=16)
def _options(start: float, end: float) -> dict[str, list[Any]]:
    return reports.filter_options(data.get_store(), start, end)


@st.cache_data(ttl=TTL_S, show_spinner="Reading the period ...", max_entries=16)
def _figures(f: Filters, freq: str, tz_name: str | None, hot: float, minute: int) -> dict[str, Any]:
    """Every figure of the page for one view, read and computed once per minute at most
    (``minute`` decides which callbacks are still pending)."""
    store, tz, now = data.get_store(), _zone(tz_name), minute * 60.0
    calls = reports.load_calls(store, f)
    alerts = reports.load_alert_reasons(store, f, hot)
    commitments = reports.load_commitments(store, f)
    practices = reports.load_practices(store, f)
    names = dict(zip(calls["agent_id"], calls["agent_name"], strict=True))
    by_agent = reports.callbacks_by(commitments, now, "agent_id", names)
    review = reports.review_list(calls, alerts, reports.load_actions_on(store, f), hot,
                                 reports.load_routes(store, f, hot))
    headline = reports.headline(calls, hot)
    return {
        "n_calls": len(calls),
        "headline": headline,
        "rates": reports.rates(calls, hot, freq, tz),
        "reasons": reports.top_reasons(alerts, hot_calls=int(headline["hot_calls"] or 0)),
        "interventions": reports.intervention_summary(reports.load_interventions(store, f), calls, hot),
        "callbacks_by_agent": by_agent,
        "callbacks_by_team": reports.callbacks_by(commitments, now, "team", {}),
        "callbacks_per_day": reports.callbacks_per_day(commitments, now, tz),
        "playbook": reports.playbook_by_agent(calls, practices),
        "kinds": reports.practice_kinds(practices),
        "review": reports.review_table(review, tz),
    }


def _zone(name: str | None) -> Any:
    try:
        return reports.resolve_tz(ZoneInfo(name) if name else None)
    except (ZoneInfoNotFoundError, ValueError):
        return reports.resolve_tz(None)


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
        last_day = _day(qp.get("to")) or last
        first_day = _day(qp.get("from")) or max(first, last_day - timedelta(days=6))
        st.session_state["tr-range"] = (min(first_day, last_day), max(first_day, last_day))
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
    # a choice with no call in this period (a bookmark, a narrower range) stays chosen, and the
    # page says there is nothing for it: dropped, it left the whole floor's figures in its place
    choices = {key: values + [v for v in st.session_state[f"tr-{key}"] if v not in values]
               for key, values in (("queue", options["queues"]), ("team", options["teams"]),
                                   ("agent", list(names)))}  # fmt: skip
    queues = top[2].multiselect("Queues", choices["queue"], key="tr-queue", placeholder="All queues")
    teams = top[3].multiselect("Teams", choices["team"], key="tr-team", placeholder="All teams")
    agents = top[4].multiselect("Agents", choices["agent"], key="tr-agent", placeholder="All agents",
                                format_func=lambda a: names.get(a, a))  # fmt: skip
    qp.from_dict({"from": start_day.isoformat(), "to": end_day.isoformat(), "by": by,
                  "queue": queues, "team": teams, "agent": agents})  # fmt: skip
    f = Filters(start, end, tuple(queues), tuple(teams), tuple(agents))
    return f, ("h" if by == "hour" else "D"), (start_day, end_day)


# --- pieces ------------------------------------------------------------------------------------


def _table(frame: pd.DataFrame, name: str, period: tuple[date, date], kinds: dict[str, str] | None = None,
           /, *, max_rows: int | None = None, headers: dict[str, str] | None = None,
           config: dict[str, Any] | None = None,
           csv_columns: dict[str, str] | None = None) -> None:  # fmt: skip
    """A table (its first ``max_rows`` if given) with a CSV download of all of it; ``kinds``
    says how columns read (``pct``, ``sentiment``, ``csat``, ...: :mod:`dashboard.formats`),
    ``headers`` and ``config`` go to :func:`tables.show`; ``csv_columns`` renames columns in
    the CSV only.

    The CSV is written when the button is clicked, not on every run of the page.
    """
    tables.show(frame, kinds, headers=headers, config=config, max_rows=max_rows)
    st.download_button(f"Download {name.replace('-', ' ')} (CSV)",
                       lambda: frame.rename(columns=csv_columns or {}).to_csv(index=False),
                       file_name=f"callheat-{name}-{period[0]}-{period[1]}.csv", mime="text/csv",
                       key=f"csv-{name}", icon=":material/download:", on_click="ignore")  # fmt: skip


def _headline(h: dict[str, Any], kept_rate: float | None) -> None:
    csat = h["avg_csat"]
    figures = [
        ("Calls answered", formats.count(h["calls"])),
        ("Hot-call rate", formats.pct(h["hot_rate"])),
        ("Escalation rate", formats.pct(h["escalation_rate"])),
        ("Avg customer sentiment", formats.sentiment(h["avg_sentiment"])),
        ("Avg CSAT", formats.MISSING if csat is None else f"{formats.csat(csat)} / 5"),
        ("Callbacks kept on time", formats.pct(kept_rate)),
    ]
    for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        with col, st.container(border=True):
            st.metric(label, value)


def _review(review: pd.DataFrame, period: tuple[date, date]) -> None:
    st.caption("Hot calls that ended, newest first: open one to go through its timeline with the agent. "
               "A transferred call is listed under the agent and queue it had when it turned hot.")
    if review.empty:
        st.info("No hot call ended in this period.")
        return
    back = prefs.back_to_trends(session.url_params())  # the call page's Back link returns here
    for row in review.head(REVIEW_LINKS).itertuples():
        ended = row.ended_at.strftime("%a %d %b %H:%M")
        label = (f"{ended} · {safe.md(formats.text(row.agent_name))} · {safe.md(row.queue)} · "
                 f"peak {formats.pct(row.peak_risk)} · {safe.md(formats.text(row.disposition))}"
                 + (f" · transferred: {safe.md(row.transferred)}" if row.transferred else ""))  # fmt: skip
        st.page_link(nav.CALL_PAGE, label=label, query_params={"call_id": row.call_id, **back},
                     icon=":material/play_circle:")  # fmt: skip
    if len(review) > REVIEW_ROWS:
        st.caption(f"The newest {REVIEW_ROWS:,} of {len(review):,} are shown; the CSV has them all.")
    _table(review, "review-list", period, {"peak_risk": "pct", "csat": "count", "duration_min": "minutes"},
           max_rows=REVIEW_ROWS, headers={"agent_name": "agent when hot", "queue": "queue when hot",
                                          "team": "team when hot", "ended_at": "ended"},
           config={"ended_at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})  # fmt: skip


def main() -> None:
    settings = data.get_settings()
    tz = data.browser_tz()  # the viewer's zone, else the center's: never the server's
    tz_name, hot = str(tz), settings.hot_threshold
    st.markdown("### Trends")
    controls = _controls(tz)
    if controls is None:
        st.info("No calls in the store yet. For a demo, fill it with past calls: "
                "`callheat simulate --history-days 30`.")  # fmt: skip
        return
    f, freq, period = controls
    d = _figures(f, freq, tz_name, hot, int(time.time() // 60))
    if not d["n_calls"]:
        st.info("No answered calls in this period with these filters.")
        return
    by_agent = d["callbacks_by_agent"]
    due = by_agent["promised"].sum() - by_agent["pending"].sum() if len(by_agent) else 0
    _headline(d["headline"], by_agent["kept"].sum() / due if due else None)
    st.caption(f"Times in {datetime.now(tz).tzname()}. Calls count in the {'hour' if freq == 'h' else 'day'} "
               f"they started; a call is hot when its risk reached {hot:.0%}.")  # fmt: skip

    over, interventions, callbacks, playbook, review = st.tabs(
        ["Overview", "Interventions", "Callbacks", "Playbook by agent", "Review list"])
    with over:
        rates = d["rates"]
        st.markdown("##### Hot calls and escalations")
        st.plotly_chart(trend_charts.rates_chart(rates, freq), key="chart-rates")
        st.markdown("##### Customer sentiment")
        st.plotly_chart(trend_charts.sentiment_chart(rates, freq), key="chart-sentiment")
        reasons = d["reasons"]
        st.markdown("##### Why calls turned hot")
        if reasons.empty:
            st.caption("No call turned hot in this period.")
        else:
            st.caption("Counted by kind: \"repeat contact\" whatever the customer said, "
                       "\"transfers\" whether 2nd or 5th. The call pages give each in full.")
            st.plotly_chart(trend_charts.reasons_chart(reasons), key="chart-reasons")
            _table(reasons, "top-reasons", period, {"share_of_hot_calls": "pct"})
        stamp = "YYYY-MM-DD HH:mm" if freq == "h" else "YYYY-MM-DD"
        _table(rates, "rates", period, {"hot_rate": "pct", "escalation_rate": "pct",
                                        "avg_sentiment": "sentiment", "avg_csat": "csat"},
               headers={"period": "hour" if freq == "h" else "day",
                        "avg_sentiment": "avg customer sentiment"},
               config={"period": st.column_config.DatetimeColumn(format=stamp)})  # fmt: skip
    with interventions:
        window = reports.WINDOW_S / 60
        st.caption(f"Customer sentiment in the {window:g} minutes before vs after each whisper or "
                   "barge-in, and how those calls ended, next to the hot calls nobody stepped into. "
                   "The sentiments are measured on the whispers and barge-ins with the customer "
                   "speaking both before and after (\"sentiment measured on\").")
        summary = d["interventions"]
        if summary.empty:
            st.info("No whisper or barge-in in this period.")
        else:
            st.plotly_chart(trend_charts.intervention_chart(summary, window), key="chart-interventions")
            _table(summary, "interventions", period,
                   {"sentiment_before": "sentiment", "sentiment_after": "sentiment",
                    "sentiment_change": "sentiment", "escalated": "pct", "resolved": "pct",
                    "avg_csat": "csat", "measured_on": "count"},
                   headers={"escalated": "share escalated", "resolved": "share resolved",
                            "measured_on": "sentiment measured on"})  # fmt: skip
    with callbacks:
        st.caption("Kept: the customer's next call started between the promise and its due time.")
        if by_agent.empty:
            st.info("No callback promised in this period.")
        else:
            st.plotly_chart(trend_charts.callbacks_chart(d["callbacks_per_day"]), key="chart-callbacks")
            _table(by_agent, "callbacks-by-agent", period, {"kept_rate": "pct"})
            _table(d["callbacks_by_team"], "callbacks-by-team", period, {"kept_rate": "pct"})
    with playbook:
        st.caption("Share of each agent's calls in which a practice was seen: good practices (✓), "
                   "then lapses (✗: a complaint not reflected back, no empathy or no timeframe "
                   "count once the agent has answered without it), then what the customer "
                   "brought (·: repeat caller, venting, abuse), which is not the agent's lapse.")
        kinds = d["kinds"]
        if not kinds:
            st.info("No playbook practice recorded in this period.")
        headers = {k: f"{MARKS.get(v, '✗')} {formats.label(k)}" for k, v in kinds.items()}
        _table(d["playbook"], "playbook-by-agent", period, dict.fromkeys(kinds, "pct"), headers=headers,
               csv_columns={k: f"{v}:{k}" for k, v in kinds.items()})  # "lapse:no_empathy", say
    with review:
        _review(d["review"], period)


main()
