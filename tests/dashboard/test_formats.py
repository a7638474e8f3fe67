"""One format per kind of figure on the Trends, Model and Call pages (dashboard/formats.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from dashboard import formats
from streaming.scoring.practices import format_due


@pytest.mark.parametrize(("value", "text"), [
    (0.1, "10%"), (0.363, "36%"), (0.7016, "70%"), (0.8435, "84%"), (1.0, "100%"), (0.0, "0%"),
    (None, "—"), (float("nan"), "—"), (pd.NA, "—"), (np.float64(0.5325), "53%"),
])  # fmt: skip
def test_percentages_are_whole(value, text):
    assert formats.pct(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (0.2618, "+0.26"), (-0.0084, "−0.01"), (-0.004, "+0.00"), (-0.0, "+0.00"), (0.0, "+0.00"),
    (-1.0, "−1.00"), (None, "—"),
])  # fmt: skip
def test_sentiments_are_signed_with_two_decimals_and_never_minus_zero(value, text):
    assert formats.sentiment(value) == text


def test_csat_one_decimal_counts_with_separators():
    assert (formats.csat(3.5293), formats.csat(3.6), formats.csat(5), formats.csat(None)) == (
        "3.5", "3.6", "5.0", "—")  # fmt: skip
    counts = formats.count(49510), formats.count(5940.0), formats.count(float("nan"))
    assert counts == ("49,510", "5,940", "—")


def test_a_table_shows_its_kinds_and_keeps_its_numbers():
    frame = pd.DataFrame({
        "intervention": ["whisper", "none (hot calls left alone)"], "actions": [160, 0],
        "measured_on": [17.0, np.nan], "sentiment_change": [-0.001, None], "escalated": [0.6142, 0.6292],
        "avg_csat": [1.5223, None], "disposition": ["resolved", None],
    })  # fmt: skip
    kinds = {"sentiment_change": "sentiment", "escalated": "pct", "avg_csat": "csat"}
    shown = formats.shown(frame, kinds)
    assert shown.to_dict("records") == [
        {"intervention": "whisper", "actions": "160", "measured_on": "17", "sentiment_change": "+0.00",
         "escalated": "61%", "avg_csat": "1.5", "disposition": "resolved"},
        {"intervention": "none (hot calls left alone)", "actions": "0", "measured_on": "—",
         "sentiment_change": "—", "escalated": "63%", "avg_csat": "—", "disposition": "—"},
    ]  # fmt: skip
    styler = formats.styled(frame, kinds)
    assert styler.data is frame  # the table sorts and exports the numbers
    assert "61%" in styler.to_html() and "0.6142" not in styler.to_html()
    assert formats.labels(frame.columns, escalated="share escalated") == {
        "intervention": "intervention", "actions": "actions", "measured_on": "measured on",
        "sentiment_change": "sentiment change", "escalated": "share escalated", "avg_csat": "avg CSAT",
        "disposition": "disposition"}  # fmt: skip


def test_a_time_names_its_date_and_zone_and_a_summary_follows_it():
    paris = ZoneInfo("Europe/Paris")
    ts = pd.Timestamp("2026-11-25 20:32", tz="UTC").timestamp()
    assert formats.stamp(ts, paris) == "2026-11-25 21:32 CET"
    summary = ("Promised: callback by 2026-11-25 20:32 UTC; callback by 2026-07-01 08:00 UTC "
               "(no timeframe said).")
    assert formats.local_stamps(summary, paris) == (
        "Promised: callback by 2026-11-25 21:32 CET; callback by 2026-07-01 10:00 CEST (no timeframe said).")
    assert formats.local_stamps("nothing to change at 20:32", paris) == "nothing to change at 20:32"


PARIS, TOKYO = ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("said", ["2026-13-01 99:99 UTC", "2026-02-30 10:00 UTC", "9999-12-31 23:59 UTC",
                                  "0001-01-01 00:00 UTC"])  # fmt: skip
def test_a_time_in_the_customers_words_is_left_as_they_said_it(said):
    summary = f"Issue: I was charged at {said}. Outcome: resolved."
    for tz in (PARIS, TOKYO, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")):
        assert formats.local_stamps(summary, tz) == summary


def test_only_the_scorers_promised_times_are_written_in_the_viewers_zone():
    due = 1_795_000_000.0
    summary = (f"Issue: charged twice at 2026-11-01 10:00 UTC. Promised: callback by {format_due(due)}; "
               f"callback by {format_due(due + 3600)} (no timeframe said). Customer sentiment -0.40 at "
               "the start, worst turn -0.80, +0.10 at the end. Outcome: resolved.")  # fmt: skip
    out = formats.local_stamps(summary, TOKYO)
    assert out == summary.replace(format_due(due), formats.stamp(due, TOKYO)).replace(
        format_due(due + 3600), formats.stamp(due + 3600, TOKYO))
    assert "charged twice at 2026-11-01 10:00 UTC." in out  # the customer's words


def test_a_promise_the_customer_quotes_is_not_the_scorers():
    due = 1_795_000_000.0
    quoted = "Promised: callback by 2026-11-01 10:00 UTC."
    summary = f"Issue: you wrote {quoted} Promised: callback by {format_due(due)}. Outcome: resolved."
    out = formats.local_stamps(summary, PARIS)
    assert quoted in out and formats.stamp(due, PARIS) in out


def test_a_scorers_time_out_of_range_in_the_viewers_zone_is_left_in_utc():
    summary = "Promised: callback by 9999-12-31 23:59 UTC. Outcome: resolved."
    assert formats.local_stamps(summary, TOKYO) == summary
