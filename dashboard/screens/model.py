"""The models, measured: progressive-validation ROC AUC and log loss over time, calibration,
the labels learned from, sentiment drift per queue, and alert precision from supervisors'
own feedback.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, formats, model_report, reports, tables, trend_charts
from streaming.store import meta as meta_keys

TTL_S = 30.0
PERIODS = {"7 days": 7, "30 days": 30, "90 days": 90, "all": None}
CSV_TIME = "%Y-%m-%d %H:%M:%S%z"  # with its UTC offset: the hour clocks go back is there twice


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=8)
def _load(since: float | None) -> dict[str, Any]:
    store = data.get_store()
    points = store.model_history(since)
    return {
        "points": points,
        "validation": store.meta(meta_keys.VALIDATION),
        "drifts": model_report.drift_frame(store.drifts(since)),
        "feedback": model_report.load_feedback(store, since),
        "outcomes": model_report.load_feedback_outcomes(store, since),
    }


def _csv(frame: pd.DataFrame, name: str) -> None:
    st.download_button(f"Download {name.replace('-', ' ')} (CSV)", frame.to_csv(index=False),
                       file_name=f"callheat-{name}.csv", mime="text/csv", key=f"csv-{name}",
                       icon=":material/download:")  # fmt: skip


def _validation_caption(latest: dict[str, Any]) -> str:
    """What the validation figures count: risk snapshots, several per call."""
    snapshots, outcomes = model_report.validated_snapshots(latest), latest.get("outcomes")
    counted = (f" ({formats.count(snapshots)} snapshots from {formats.count(outcomes)} calls here)"
               if snapshots and isinstance(outcomes, int | float) else "")  # fmt: skip
    return ("Progressive validation: after each customer turn the model gives the call a risk (a "
            "snapshot; up to 16 a call, thinned evenly on long calls), and when the call ends each "
            "snapshot is scored against how it ended before the model learns from it. ROC AUC, log "
            f"loss and calibration count every snapshot{counted}, so a call counts once per "
            "snapshot and long calls weigh more; they are what the model said about calls it had "
            "not yet learned. The snapshot is the model's own risk, before hard rules (a legal "
            "threat, say) raise a tile's. Learned share: how much of each risk comes from the model "
            "trained on this center's outcomes and feedback rather than the built-in prior; it grows "
            "only as far as that model predicts better.")


def main() -> None:
    tz = reports.resolve_tz(data.browser_tz())
    head, choice = st.columns([4, 1], vertical_alignment="bottom")
    head.markdown("### Model")
    period = choice.selectbox("Period", list(PERIODS), index=1, key="model-period")
    days = PERIODS[period]
    # the start of the period to the minute: a cache key that changes every run never hits
    d = _load(None if days is None else float(int(time.time() - days * 86_400) // 60 * 60))
    latest = model_report.latest_figures(d["points"], d["validation"])
    precision, per_supervisor = model_report.alert_precision(d["feedback"], d["outcomes"])

    figures = [
        ("ROC AUC", formats.decimal(latest.get("roc_auc")), "Counts every risk snapshot (see below)"),
        ("Log loss", formats.decimal(latest.get("log_loss")), "Counts every risk snapshot (see below)"),
        ("Outcomes learned", formats.count(latest.get("outcomes")), "Calls that ended and were learned"),
        ("Escalated", formats.count(latest.get("escalated")), "Of those calls, escalated"),
        ("Alert precision", formats.pct(precision["precision"]),
         "Of the alerts supervisors judged hot or not hot in the period chosen (unlike the figures "
         "beside it), the share they marked hot: each supervisor's latest mark on each call the "
         "scorer alerted on"),
        ("Learned share", formats.pct(latest.get("learned_share")), None),
    ]
    st.markdown(model_report.headline_note(d["points"], d["validation"], tz))  # not the period's figures
    for col, (label, value, explained) in zip(st.columns(len(figures)), figures, strict=True):
        with col, st.container(border=True):
            st.metric(label, value, help=explained)
    st.caption(_validation_caption(latest))

    st.markdown("##### Risk model over time")
    history = model_report.history_frame(d["points"])
    if history.empty:
        st.info("No validation points in this period yet: they are written as call outcomes arrive.")
    elif history[["roc_auc", "log_loss"]].isna().all(axis=None):
        st.info("No ROC AUC or log loss in this period yet: the points so far came before any call "
                "outcome (ROC AUC also needs escalated and other calls).")  # fmt: skip
    else:
        history["time"] = reports.local_times(history["ts"], tz)
        st.plotly_chart(trend_charts.validation_chart(history), key="chart-validation")
        if history["run"].iloc[-1] > 0:
            st.caption(f"{history['run'].iloc[-1] + 1} runs of the model in this period, each line "
                       "its own: the count of outcomes learned went back down (a scorer that started "
                       "without the checkpoint of the one before, or after a history fill), so the "
                       "later figures are over what that model had learned, not a drop in quality.")
        _csv(history.assign(time=history["time"].dt.strftime(CSV_TIME)).drop(columns="ts"), "model-history")

    cal_col, labels_col = st.columns([3, 2], gap="large")
    with cal_col:
        st.markdown("##### Calibration")
        cal = model_report.calibration_frame(latest)
        if cal.empty:
            st.caption("No calibration bins yet.")
        else:
            st.plotly_chart(trend_charts.calibration_chart(cal), key="chart-calibration")
            _csv(cal, "calibration")
    with labels_col:
        st.markdown("##### Labels learned from")
        labels = model_report.label_counts(latest)
        if labels.empty:
            st.caption("No labels yet.")
        else:
            tables.show(labels.drop(columns="key"), {"count": "count"})
            _csv(labels, "label-counts")

    st.markdown("##### Customer sentiment drift per queue")
    drifts = d["drifts"]
    if drifts.empty:
        st.caption("No change in any queue's customer sentiment detected in this period.")
    else:
        drifts["time"] = reports.local_times(drifts["ts"], tz)
        st.plotly_chart(trend_charts.drift_chart(drifts), key="chart-drift")
        shown = drifts.assign(time=drifts["time"].dt.strftime("%Y-%m-%d %H:%M")).drop(columns="ts")
        tables.show(shown.iloc[::-1], {"mean_before": "sentiment", "mean_after": "sentiment",
                                       "change": "sentiment"})  # fmt: skip
        _csv(drifts.assign(time=drifts["time"].dt.strftime(CSV_TIME)).drop(columns="ts"), "sentiment-drifts")

    st.markdown("##### Alert precision from supervisor feedback")
    if per_supervisor.empty:
        st.caption("No hot / not-hot feedback in this period.")
    else:
        st.caption(f"Supervisors marked hot {precision['hot']:,} of the {precision['feedback']:,} alerts "
                   f"they gave hot / not-hot feedback on ({formats.pct(precision['precision'])}): the "
                   "alerts as they judged them, not a grade of the supervisors.")  # fmt: skip
        if precision["agreement"] is not None:
            st.caption(f"Of the feedback on calls that have ended ({precision['ended']:,}), "
                       f"{formats.pct(precision['agreement'])} agrees with how the call ended (hot: "
                       "escalated; not hot: any other outcome). The model learns from this feedback: a "
                       "supervisor who confirms alerts whatever becomes of the call (low agreement) teaches "
                       "it to flag more calls. A barge-in that saves a call also counts as disagreeing, "
                       "so expect well under 100%.")  # fmt: skip
        tables.show(per_supervisor, {"precision": "pct", "agrees_with_outcome": "pct"},
                    headers={"supervisor_id": "supervisor", "feedback": "alerts given feedback",
                             "hot": "marked hot", "not_hot": "marked not hot",
                             "precision": "share marked hot", "ended": "on calls that ended"})  # fmt: skip
        _csv(per_supervisor, "alert-precision")
    st.caption(f"Read at {datetime.now(tz):%H:%M:%S %Z}.")


main()
