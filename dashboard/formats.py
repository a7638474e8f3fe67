"""Figures as the Trends, Model and Call pages write them: one format for each kind of figure.

Percentages are whole ("84%", read from across a room, as the wallboard's risks are),
sentiments signed with two decimals and a real minus sign, CSAT with one decimal,
counts with thousands separators, and a figure that does not exist as "—". Tables keep
their numbers (they sort as numbers and download as they are): :func:`styled` gives the
text they show, :func:`labels` their column headers.

>>> pct(0.8435), pct(0.0004), pct(None), pct(float("nan"))
('84%', '0%', '—', '—')
>>> sentiment(0.254), sentiment(-0.0049), sentiment(-0.3), sentiment(None)
('+0.25', '+0.00', '−0.30', '—')
>>> csat(3.5293), csat(4), count(49510), count(None)
('3.5', '4.0', '49,510', '—')
>>> minutes(2.5), minutes(12), minutes(None)
('2.5', '12.0', '—')
>>> label("share_of_hot_calls"), label("avg_csat")
('share of hot calls', 'avg CSAT')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

MISSING = "—"
MINUS = "\u2212"  # a real minus sign, as the wallboard's tiles write it
STAMP = "%Y-%m-%d %H:%M %Z"  # a moment on a page: date, time and the zone it is in
# column key -> header, where replacing "_" by " " does not read well
LABELS = {
    "avg_csat": "avg CSAT",
    "csat": "CSAT",
    "agent_id": "agent id",
    "supervisor_id": "supervisor",
    "call_id": "call id",
    "duration_min": "minutes",
    "peak_risk": "peak risk",
    "kept_rate": "share kept on time",
    "mean_before": "sentiment before",
    "mean_after": "sentiment after",
}


def missing(value: Any) -> bool:
    """None, NaN or pandas' NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def pct(value: Any) -> str:
    """A share in [0, 1] as a whole percent."""
    return MISSING if missing(value) else f"{float(value):.0%}"


def sentiment(value: Any) -> str:
    """A sentiment in [-1, 1]: signed, two decimals; one that rounds to zero is ``+0.00``."""
    if missing(value):
        return MISSING
    rounded = round(float(value), 2) + 0.0  # + 0.0: no "−0.00"
    return f"{rounded:+.2f}".replace("-", MINUS)


def csat(value: Any) -> str:
    """A CSAT score or mean (1-5), one decimal."""
    return MISSING if missing(value) else f"{float(value):.1f}"


def minutes(value: Any) -> str:
    """A duration in minutes, one decimal (a call's length in the review list)."""
    return decimal(value, 1)


def count(value: Any) -> str:
    return MISSING if missing(value) else f"{int(value):,}"


def decimal(value: Any, digits: int = 3) -> str:
    """A model score (ROC AUC, log loss) with ``digits`` decimals."""
    return MISSING if missing(value) else f"{float(value):.{digits}f}"


def text(value: Any) -> str:
    return MISSING if missing(value) else str(value)


KINDS: dict[str, Callable[[Any], str]] = {"pct": pct, "sentiment": sentiment, "csat": csat,
                                          "count": count, "decimal": decimal, "text": text,
                                          "minutes": minutes}  # fmt: skip


def label(column: str) -> str:
    """A readable header for a frame's column key."""
    return LABELS.get(column, column.replace("_", " "))


def labels(columns: Any, **overrides: str) -> dict[str, str]:
    """Headers for ``columns`` (``overrides`` by column key win)."""
    return {str(c): overrides.get(str(c), label(str(c))) for c in columns}


def _default_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_integer_dtype(series):
        return "count"
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        return "count" if len(whole) and bool((whole == whole.round()).all()) else "decimal"
    return "text"


def formatters(frame: pd.DataFrame, kinds: Mapping[str, str]) -> dict[str, Callable[[Any], str]]:
    """A text formatter for every column but dates: ``kinds`` names some (``pct``,
    ``sentiment``, ``csat``, ``count``, ``decimal``, ``minutes``, ``text``); whole numbers are counts,
    other numbers three decimals, the rest text.

    Dates are left to the table's own date format.
    """
    out = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[column] = KINDS[kinds.get(column) or _default_kind(series)]
    return out


def styled(frame: pd.DataFrame, kinds: Mapping[str, str]) -> Styler:
    """``frame`` with each cell's text by :func:`formatters` (its numbers unchanged)."""
    return frame.style.format(formatters(frame, kinds), na_rep=MISSING)  # type: ignore[arg-type]


def shown(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """The text each cell of ``frame`` shows (what :func:`styled` gives the table).

    >>> shown(pd.DataFrame({"rate": [0.7016, None], "n": [3, 4]}), {"rate": "pct"})
      rate  n
    0  70%  3
    1    —  4
    """
    out = frame.copy()
    for column, fmt in formatters(frame, kinds).items():
        out[column] = frame[column].map(fmt).astype(object)
    return out


def stamp(ts: float, tz: tzinfo) -> str:
    """A moment with its date, time and zone: ``2026-11-25 21:32 CET``."""
    return datetime.fromtimestamp(ts, tz).strftime(STAMP)


_UTC_STAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC\b")
# the sentence the scorer writes its callbacks' due times in (streaming.scoring.practices.summary):
# "Promised: callback by <UTC time>[ (no timeframe said)]; callback by ...", then the summary's
# next part (the customer's sentiment or the outcome) or its end
_PROMISE = r"callback by \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC(?: \(no timeframe said\))?"
_PROMISED = re.compile(rf"(?:^|(?<= ))Promised: {_PROMISE}(?:; {_PROMISE})*\."
                       r"(?= Customer sentiment | Outcome: |$)")


def local_stamps(text_: str, tz: tzinfo) -> str:
    """``text_`` (a post-call summary) with the due times the scorer wrote into its "Promised:"
    sentence (``YYYY-MM-DD HH:MM UTC``) written in ``tz`` instead, as :func:`stamp` writes them.

    Only that sentence: a time the customer said ("Issue: charged at 2026-02-01 10:00 UTC")
    is their words, left as they are. Of two such sentences the last is the scorer's (the
    customer's words come first). A time that is no real moment is left as it is.

    >>> from zoneinfo import ZoneInfo
    >>> local_stamps("Promised: callback by 2026-11-25 20:32 UTC.", ZoneInfo("Europe/Paris"))
    'Promised: callback by 2026-11-25 21:32 CET.'
    >>> local_stamps("Issue: charged at 2026-13-01 99:99 UTC. Outcome: resolved.", ZoneInfo("Asia/Tokyo"))
    'Issue: charged at 2026-13-01 99:99 UTC. Outcome: resolved.'
    """

    def local(m: re.Match[str]) -> str:
        try:
            utc = datetime.strptime(m.group(1) + " +0000", "%Y-%m-%d %H:%M %z")
            return stamp(utc.timestamp(), tz)
        except (ValueError, OverflowError, OSError):  # no such day or time, or out of range
            return m.group(0)

    promised = list(_PROMISED.finditer(text_))
    if not promised:
        return text_
    start, end = promised[-1].span()
    return text_[:start] + _UTC_STAMP.sub(local, text_[start:end]) + text_[end:]
