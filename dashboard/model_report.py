"""Model-page figures: plain functions over the scorer's validation points, drifts and feedback.

The scorer writes its progressive-validation figures as JSON (``store.model_history()``
and the ``validation`` meta key); keys may be missing in older points or before
the first outcomes, and every function here tolerates that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

import pandas as pd

from dashboard import formats, reads
from streaming.store import DriftRow, Store

SERIES = ("roc_auc", "log_loss", "outcomes", "escalated", "risk_labels", "sentiment_labels",
          "feedback_labels", "imported_labels")  # fmt: skip
LABELS = {  # figure key -> what the label count means
    "outcomes": "call outcomes learned",
    "escalated": "of which escalated",
    "risk_labels": "risk model labels (outcome snapshots, feedback, imports)",
    "feedback_labels": "supervisor hot / not-hot feedback",
    "sentiment_labels": "sentiment labels (corrections, imports)",
    "imported_labels": "of these labels, imported from labelled calls (callheat train)",
}


def parse_figures(text: str | None) -> dict[str, Any]:
    """One JSON point as a dict ({} when absent or unreadable).

    >>> parse_figures('{"roc_auc": 0.8}'), parse_figures("not json"), parse_figures(None)
    ({'roc_auc': 0.8}, {}, {})
    """
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def history_frame(points: Iterable[tuple[float, str]]) -> pd.DataFrame:
    """One row per validation point: ``ts``, every known series (NaN where missing), and
    ``run``: which run of the model wrote it, counted from 0. A point that counts fewer than
    half the outcomes its run has reached starts a new run (a scorer that started afresh
    after a history fill, say): each run's figures are over what that model had learned,
    so the chart does not join them. (Replicas' points, a few outcomes apart as each learns
    at its own pace, stay one run.)

    >>> points = [(1.0, '{"outcomes": 3000}'), (2.0, '{"outcomes": 3100}'), (2.5, '{"outcomes": 3098}'),
    ...           (3.0, '{"outcomes": 50, "roc_auc": 0.73}')]
    >>> history_frame(points)["run"].tolist()
    [0, 0, 0, 1]
    """
    rows = []
    for ts, text in points:
        figures = parse_figures(text)
        rows.append({"ts": float(ts), **{k: figures.get(k) for k in SERIES}})
    frame = pd.DataFrame(rows, columns=["ts", *SERIES])
    for k in SERIES:
        frame[k] = pd.to_numeric(frame[k], errors="coerce")
    runs, run, most = [], 0, 0.0
    for n in frame["outcomes"]:
        if pd.notna(n):
            if n < most / 2:
                run, most = run + 1, 0.0
            most = max(most, float(n))
        runs.append(run)
    frame["run"] = runs
    return frame


def latest_figures(points: list[tuple[float, str]], meta_validation: str | None) -> dict[str, Any]:
    """The newest figures: the ``validation`` meta key if present (the live scorer's), else
    the last history point."""
    live = parse_figures(meta_validation)
    if live:
        return live
    return parse_figures(points[-1][1]) if points else {}


def _outcomes(figures: dict[str, Any]) -> int | None:
    n = figures.get("outcomes")
    return int(n) if isinstance(n, int | float) and not isinstance(n, bool) else None


def headline_note(points: list[tuple[float, str]], meta_validation: str | None, tz: tzinfo) -> str:
    """What the headline figures (:func:`latest_figures`) cover, said so they cannot be read as
    the chosen period's: each point, and the live figures, count everything its model had
    learned by then, and the live scorer's may have started after the chart's points (a
    ``callheat simulate --history-days`` fill, then ``callheat run``).

    >>> from datetime import timezone
    >>> headline_note([(0.0, '{"outcomes": 2400}')], '{"outcomes": 10}', timezone.utc)[:78]
    'Headline figures: the live scorer, over all it has learned (10 call outcomes),'
    >>> headline_note([(0.0, '{"outcomes": 2400}')], None, timezone.utc)
    'Headline figures: the latest point of the period (1970-01-01 00:00 UTC), over all its model had \
learned by then (2,400 call outcomes).'
    >>> headline_note([], None, timezone.utc)
    'No validation figures in this period.'
    """
    live = parse_figures(meta_validation)
    last = parse_figures(points[-1][1]) if points else {}
    if not live and not last:
        return "No validation figures in this period."
    counted = _outcomes(live or last)
    learned = "" if counted is None else f" ({counted:,} call outcomes)"
    if not live:
        return (f"Headline figures: the latest point of the period ({formats.stamp(points[-1][0], tz)}), "
                f"over all its model had learned by then{learned}.")
    note = (f"Headline figures: the live scorer, over all it has learned{learned}, whatever the period; "
            "the chart below has the period's points.")
    charted = _outcomes(last)
    if counted is not None and charted is not None and charted > counted:
        note += (f" The chart's latest point counts more ({charted:,}): another run of the model wrote it "
                 "(a history fill, say) before this scorer started.")
    return note


def calibration_frame(figures: dict[str, Any]) -> pd.DataFrame:
    """``calibration`` bins as rows of mean_predicted, observed_rate, n (bad bins skipped).

    >>> calibration_frame({"calibration": [[0.1, 0.05, 40], [0.9, 0.8, 10], ["x"]]})
       mean_predicted  observed_rate   n
    0             0.1           0.05  40
    1             0.9           0.80  10
    """
    rows = []
    for item in figures.get("calibration") or []:
        try:
            predicted, observed, n = item
            rows.append({"mean_predicted": float(predicted), "observed_rate": float(observed),
                         "n": int(n)})  # fmt: skip
        except (TypeError, ValueError):
            continue
    return pd.DataFrame(rows, columns=["mean_predicted", "observed_rate", "n"])


def validated_snapshots(figures: dict[str, Any]) -> int | None:
    """How many risk snapshots the validation figures count (the calibration bins' total).

    The scorer scores each call's risk snapshots (one after each customer turn, up to 16
    a call) against its outcome: ROC AUC, log loss and calibration all count snapshots,
    not calls. None when there are no calibration bins.

    >>> validated_snapshots({"calibration": [[0.1, 0.05, 40], [0.9, 0.8, 10]]}), validated_snapshots({})
    (50, None)
    """
    cal = calibration_frame(figures)
    return int(cal["n"].sum()) if len(cal) else None


def label_counts(figures: dict[str, Any]) -> pd.DataFrame:
    """The label counts the models have learned from, in a fixed order."""
    rows = [{"label": text, "key": key, "count": int(figures[key])} for key, text in LABELS.items()
            if isinstance(figures.get(key), int | float)]  # fmt: skip
    return pd.DataFrame(rows, columns=["label", "key", "count"])


def drift_frame(drifts: Iterable[DriftRow]) -> pd.DataFrame:
    rows = [{"queue": d.queue, "ts": d.ts, "mean_before": d.mean_before, "mean_after": d.mean_after,
             "change": d.mean_after - d.mean_before} for d in drifts]  # fmt: skip
    return pd.DataFrame(rows, columns=["queue", "ts", "mean_before", "mean_after", "change"])


def load_feedback(store: Store, since: float | None = None) -> pd.DataFrame:
    """Hot / not-hot feedback per supervisor: counts of each label."""
    return pd.DataFrame(reads.feedback_counts(store, since=since), columns=["supervisor_id", "label", "n"])


def load_feedback_outcomes(store: Store, since: float | None = None) -> pd.DataFrame:
    """Per supervisor: feedback on calls that have ended, and how much agreed with how they ended."""
    rows = reads.feedback_outcomes(store, since=since)
    return pd.DataFrame(rows, columns=["supervisor_id", "judged", "agreed"])


def alert_precision(feedback: pd.DataFrame, outcomes: pd.DataFrame | None = None,
                    ) -> tuple[dict[str, float | int | None], pd.DataFrame]:  # fmt: skip
    """Share of feedback on alerts that said "hot", overall and per supervisor; with
    ``outcomes`` (:func:`load_feedback_outcomes`), also the share of feedback on ended calls
    that agreed with how the call ended, which feedback that rubber-stamps alerts fails.

    >>> fb = pd.DataFrame({"supervisor_id": ["s1", "s1", "s2"], "label": ["hot", "not_hot", "hot"],
    ...                    "n": [3, 1, 2]})
    >>> overall, per = alert_precision(fb)
    >>> overall
    {'feedback': 6, 'hot': 5, 'precision': 0.8333333333333334}
    >>> per[["supervisor_id", "feedback", "precision"]].values.tolist()
    [['s1', 4, 0.75], ['s2', 2, 1.0]]
    >>> ended = pd.DataFrame({"supervisor_id": ["s1"], "judged": [4], "agreed": [1]})
    >>> overall, per = alert_precision(fb, ended)
    >>> overall["agreement"], per["agrees_with_outcome"].tolist()
    (0.25, [0.25, nan])
    """
    columns = ["supervisor_id", "feedback", "hot", "not_hot", "precision"]
    if outcomes is not None:
        columns += ["ended", "agrees_with_outcome"]
    if feedback.empty:
        empty: dict[str, float | int | None] = {"feedback": 0, "hot": 0, "precision": None}
        if outcomes is not None:
            empty |= {"ended": 0, "agreement": None}
        return empty, pd.DataFrame(columns=columns)
    t = feedback.pivot_table(index="supervisor_id", columns="label", values="n", aggfunc="sum",
                             fill_value=0).reindex(columns=["hot", "not_hot"], fill_value=0)  # fmt: skip
    t["feedback"] = t["hot"] + t["not_hot"]
    t["precision"] = t["hot"] / t["feedback"]
    overall: dict[str, float | int | None] = {}
    if outcomes is not None:
        judged = outcomes.set_index("supervisor_id").reindex(t.index)
        t["ended"] = judged["judged"].fillna(0).astype(int)
        t["agrees_with_outcome"] = judged["agreed"] / judged["judged"]
        n_ended, n_agreed = int(outcomes["judged"].sum()), int(outcomes["agreed"].sum())
        overall = {"ended": n_ended, "agreement": n_agreed / n_ended if n_ended else None}
    per = t.reset_index()[columns].sort_values("supervisor_id").reset_index(drop=True)
    per.columns.name = None
    total, hot = int(t["feedback"].sum()), int(t["hot"].sum())
    return {"feedback": total, "hot": hot, "precision": hot / total if total else None} | overall, per
