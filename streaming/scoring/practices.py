"""Good practices, lapses, callback commitments and the post-call summary (playbook 12-14).

The agent's words are matched against the phrase lists in ``data/phrases.json``; a
good practice seen for the first time on a call becomes a row for the agent's
trends, and a callback promise becomes a commitment with a due time worked out from
the timeframe the agent gave ("within 24 hours", "by tomorrow", "3 business days").

>>> due_in_s("I'll call you back within 48 hours")
172800.0
>>> due_in_s("we'll call you in 3 working days")
259200.0
>>> due_in_s("I will call you back") is None
True
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from streaming.center_clock import DEFAULT_CENTER, CenterClock
from streaming.scoring.state import CallState

# agent phrase category -> good practice recorded for the agent's trends
GOOD_PRACTICES = {
    "empathy": "empathy_shown",
    "options": "options_offered",
    "recap": "recap_given",
    "reflect": "issue_reflected",
    "ownership": "ownership_taken",
    "timeframe": "timeframe_given",
}
DEFAULT_CALLBACK_S = 86_400.0  # a callback promised with no timeframe is due within a day
LONGEST_CALLBACK_S = 90 * 86_400.0  # "within 3000000 days" is due in 90 (and not past year 9999)
# "by end of day", "by Friday": the end of that business day; "tomorrow morning": noon;
# "this evening": 21:00; each on the center's clock (Settings.center_clock: its time zone and weekend)
END_OF_DAY_H, MORNING_H, EVENING_H, FIRST_THING_H = 17, 12, 21, 10
_UNIT_S = {"min": 60, "minute": 60, "hr": 3600, "hour": 3600, "day": 86_400, "week": 7 * 86_400,
           "month": 30 * 86_400}  # fmt: skip
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
            "thirty": 30, "forty": 40, "forty-five": 45, "a": 1, "an": 1, "the": 1,
            "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 3}  # fmt: skip
_DURATION = re.compile(
    r"\b(?:within|in|inside|under|up\s+to)\s+(?:the\s+next\s+|the\s+coming\s+|about\s+|around\s+|roughly\s+"
    r"|less\s+than\s+|a\s+max(?:imum)?\s+of\s+)?(\d{1,6}|a\s+couple\s+of|couple\s+of|a\s+few|forty-five|"
    + "|".join(sorted((k for k in _NUMBERS if " " not in k and k != "forty-five"), key=len, reverse=True))
    + r")\s+(?:more\s+)?(?:(business|working)\s+)?(min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|months?)\b"
)
_HALF_HOUR = re.compile(r"\b(?:within|in|inside|under)\s+(?:the\s+next\s+)?half\s+(?:an\s+)?hour\b")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b")
_CLOCK = re.compile(r"\b(?:at\s+|by\s+|around\s+|before\s+)?(\d{1,2})(?:[:.](\d\d))?\s*(am|pm|a\.m\.|p\.m\.)"
                    r"|\b(?:at|by|around|before)\s+(\d{1,2}):(\d\d)\b|\b(noon|midday)\b")  # fmt: skip
# "Friday at 3", "at 4 o'clock", "by 4 o'clock": an hour with no am/pm, read only where no clock
# time above is said, and only as a time: "at 3" then the end of the clause or a word of when,
# not "at 3 missed payments" or "went up by 12"
_BARE_HOUR = re.compile(r"\bat\s+(\d{1,2})(?:\s*o'?clock)?(?=\s*(?:o'?clock|[.,;!?]|$)|\s+(?:tomorrow|today|"
                        r"tonight|this|on|in|then|and|or|if|when|so|for|with|as|please|latest)\b)"
                        r"|\b(?:by|around|before)\s+(\d{1,2})\s*o'?clock\b")  # fmt: skip
# an hour with no am/pm from 1 to 7 is in the afternoon ("at 3" is 15:00, "at 3:30" 15:30), from
# 8 to 11 in the morning unless the evening or afternoon is said, or it is already past on the day said
AFTERNOON_UP_TO_H = 7
_LATER_IN_THE_DAY = re.compile(r"\b(?:tonight|evening|afternoon)\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")  # fmt: skip
_MONTH = r"(" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
# "on December 9th", "March 9th", "the 9th of December", "on the 15th" (this month's, or next
# month's if past); not a date mentioned ("your bill from March 3rd", "the statement of the
# 2nd of May", "for the 3rd time"): a month named, unless "from", "since", "of" or "dated"
# comes before it, or "the Nth" after "on", "by", "before", "for" or "until"
_NOT_WHEN = r"(?<!from )(?<!since )(?<!of )(?<!dated )(?<!from the )(?<!since the )(?<!of the )"
_DATE = re.compile(r"\b" + _NOT_WHEN + r"(?:" + _MONTH + r"\s+(?:the\s+)?" + _ORDINAL + r"\b"
                   r"|(?:the\s+)?" + _ORDINAL + r"\s+(?:of\s+)?" + _MONTH + r"(?!\w))"
                   r"|\b(?:on|by|before|for|until|till)\s+the\s+(\d{1,2})(?:st|nd|rd|th)\b"
                   r"(?!\s+(?:(?:of\s+)?" + _MONTH + r"|time))")  # fmt: skip
# a callback offered as a question ("Shall I call you back tomorrow?", "Would you like me to
# ring you?", "I can call you back tomorrow if you like?"), which the customer may take up; not
# a question about one ("Did we call you back?")
_OFFER = re.compile(r"\b(?:shall|should|can|could|may)\s+(?:i|we)\b"
                    r"|\b(?:would|do)\s+you\s+(?:like|want|prefer)\b|\bwant\s+me\s+to\b|\bhow\s+about\b"
                    r"|\bis\s+it\s+ok(?:ay)?\s+if\s+(?:i|we)\b|\bif\s+you\s+(?:like|want|prefer)\b"
                    r"|\b(?:is|would)\s+(?:that|it)\s+(?:be\s+)?(?:ok(?:ay)?|alright|all\s+right|fine)\b"
                    r"|\bwhat\s+if\s+(?:i|we)\b|\bwhy\s+don'?t\s+(?:i|we)\b")  # fmt: skip
# the customer taking it up: the reply's first words, with no "no" right after the first, no
# choice of the other way ("Okay, I'll hold", "I'd rather wait") and not a question ("Yes? Sorry?")
_ACCEPTS = re.compile(r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|please|that would|that'd|that works|"
                      r"sounds good|perfect|great|fine|absolutely|lovely|definitely|go on|alright|"
                      r"all right)\b")  # fmt: skip
_DECLINES = re.compile(r"^\W*\w+\W+(?:no\b(?!\s+(?:rush|problem|worries|bother))|not\s+(?:now|really|today)\b"
                       r"|don'?t\b)|\bi'?d\s+rather\b|\binstead\b"
                       r"|\b(?:i'll|i\s+will)\s+(?:just\s+)?(?:hold|wait)\W*$|^\W*\w+\W*\?")  # fmt: skip
SAME_CALLBACK_S = 3600.0  # a promise due within an hour of an earlier one on the call is that one again


def offers(text: str) -> bool:
    """Whether an agent's question offers something the customer can take up.

    >>> [offers(t) for t in ("Shall I call you back tomorrow?", "Would you like me to ring you later?",
    ...                      "Did someone promise to call you back last week?")]
    [True, True, False]
    """
    return _OFFER.search(text.lower().replace("\u2019", "'")) is not None


def accepts(text: str) -> bool:
    """Whether a customer's reply takes up what the agent offered.

    >>> [accepts(t) for t in ("Yes please, that would be great.", "Okay.", "No, I'll wait.", "Yes? Sorry?",
    ...                       "Okay no, just sort it out now.", "Yes, no problem.", "Okay, I'll hold.",
    ...                       "Please don't, I'll ring you instead.")]
    [True, True, False, False, False, True, False, False]
    """
    lower = text.lower().replace("\u2019", "'")
    return _ACCEPTS.search(lower) is not None and _DECLINES.search(lower) is None


def _bare_hour(m: re.Match[str]) -> int:
    return int(m.group(1) or m.group(2))


def said_clock(text: str) -> bool:
    """Whether ``text`` names a time of day ("at 3pm", "at 10:30", "Friday at 3").

    >>> said_clock("I'll call you back by 3pm"), said_clock("I'll call you back on Friday")
    (True, False)
    """
    lower = text.lower()
    bare = _BARE_HOUR.search(lower)
    return _CLOCK.search(lower) is not None or (bare is not None and _bare_hour(bare) <= 23)


def due_in_s(text: str, ts: float | None = None, center: CenterClock = DEFAULT_CENTER) -> float | None:
    """Seconds until a promise in ``text``, said at ``ts``, is due; None if no timeframe was said.

    A span ("within 2 hours", "in 3 working days") needs no ``ts``; a day or a time ("by
    Friday", "tomorrow morning", "at 3pm", "later today") is worked out from ``ts`` (epoch s)
    and is None without it. Days, clock times and working days are the center's (``center``:
    its time zone, and its weekend, Saturday and Sunday unless set).

    >>> monday_9am = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()
    >>> [due_in_s(t, monday_9am) / 3600 for t in ("by Friday", "tomorrow morning", "at 3pm", "next week")]
    [104.0, 27.0, 6.0, 272.0]

    The same words said at 9:00 in New York (14:00 UTC) name New York's times:

    >>> from zoneinfo import ZoneInfo
    >>> ny_9am = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()
    >>> new_york = CenterClock(ZoneInfo("America/New_York"))
    >>> [due_in_s(t, ny_9am, new_york) / 3600 for t in ("by Friday", "at 3pm")]
    [104.0, 6.0]

    Where the weekend is Friday and Saturday, the week ends on Thursday and a Thursday's
    "2 working days" is Monday:

    >>> from streaming.center_clock import parse_weekend
    >>> fri_sat = CenterClock(weekend=parse_weekend("fri,sat"))
    >>> thursday_9am = datetime(2026, 3, 5, 9, 0, tzinfo=UTC).timestamp()
    >>> [due_in_s(t, thursday_9am, fri_sat) / 3600 for t in ("by the end of the week", "in 2 working days")]
    [8.0, 96.0]
    """
    lower = text.lower().replace("\u2019", "'")
    span = _span_s(lower, ts, center)
    if span is not None:
        return min(span, LONGEST_CALLBACK_S)
    if ts is None:
        return None
    when = _calendar(lower, datetime.fromtimestamp(ts, center.tz), center)
    return None if when is None else min(max(when.timestamp() - ts, 0.0), LONGEST_CALLBACK_S)


def _span_s(lower: str, ts: float | None, center: CenterClock) -> float | None:
    if _HALF_HOUR.search(lower):
        return 1800.0
    m = _DURATION.search(lower)
    if m is None:
        return None
    count = m.group(1)
    n = min(int(count), 100_000) if count.isdigit() else _NUMBERS.get(re.sub(r"\s+", " ", count), 1)
    said = m.group(3)
    unit = ("month" if said.startswith("mo") else "min" if said.startswith("mi")
            else {"h": "hour", "d": "day", "w": "week"}[said[0]])  # fmt: skip
    if m.group(2) and unit == "day":  # working days: weekends skipped (from the day it was said)
        if ts is None:  # not knowing the day: n days
            return n * 86_400.0
        start = datetime.fromtimestamp(ts, center.tz)
        day, left = start, min(n, 1000)
        while left:
            day += timedelta(days=1)
            left -= center.working(day.weekday())
        return day.timestamp() - ts  # the same time of day (a zone's clock change in between counts)
    if ts is not None and unit in ("day", "week", "month"):  # calendar days: the same time of day
        days = min(n * _UNIT_S[unit] // 86_400, 1000)  # (a clock change in between counts too)
        start = datetime.fromtimestamp(ts, center.tz)
        return (start + timedelta(days=days)).timestamp() - ts
    return float(n * _UNIT_S[unit])


def _calendar(lower: str, now: datetime, center: CenterClock) -> datetime | None:
    """The time a day or clock time in ``lower`` names, from ``now``; None if none is named."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day: datetime | None = None
    hour = END_OF_DAY_H
    weekday = _WEEKDAY.search(lower)
    last = center.position(center.last_working_day)  # the week's end, in days from its start
    dated = _DATE.search(lower)
    if "day after tomorrow" in lower:
        day = today + timedelta(days=2)
    elif "tomorrow" in lower:  # before "today": "it won't be today, probably tomorrow"
        day = today + timedelta(days=1)
    elif dated:  # a date said names the day, whatever weekday comes with it
        day = _dated_day(dated, today)
        if day is None:  # "the 31st of June": no such day
            return None
    elif weekday:  # the coming one; said on a Monday, "Monday" is next Monday
        ahead = (_WEEKDAYS.index(weekday.group(1)) - now.weekday()) % 7 or 7
        day = today + timedelta(days=ahead)
    elif "next week" in lower:  # by the end of next week's working days
        day = today + timedelta(days=7 - center.position(now.weekday()) + last)
    elif re.search(r"\b(?:end\s+of\s+(?:the\s+|this\s+)?week|this\s+week)\b", lower):
        ahead = last - center.position(now.weekday())
        this_week = ahead > 0 or (ahead == 0 and now.hour < END_OF_DAY_H)
        day = today + timedelta(days=ahead if this_week else ahead + 7)
    elif re.search(r"\bend\s+of\s+(?:the\s+|this\s+)?month\b", lower):
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        day = first_next - timedelta(days=1)
    elif "next month" in lower:
        day = today + timedelta(days=30)
    elif re.search(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening)"
                   r"|end\s+of\s+(?:the\s+)?(?:business\s+)?day|close\s+of\s+business|end\s+of\s+business)\b",
                   lower):  # fmt: skip
        day = today
    clock = _CLOCK.search(lower)
    bare = None if clock else _BARE_HOUR.search(lower)
    if bare and _bare_hour(bare) > 23:  # "at 95": no hour; the day said still counts
        bare = None
    if clock or bare:
        no_am_pm = True  # "at 3", "at 3:30"
        if bare is not None:
            h, minute = _bare_hour(bare), 0
        elif clock is not None and clock.group(6):
            h, minute, no_am_pm = 12, 0, False
        elif clock is not None and clock.group(1):
            h, minute, no_am_pm = int(clock.group(1)) % 12, int(clock.group(2) or 0), False
            h += 12 if clock.group(3).startswith("p") else 0
        elif clock is not None:
            h, minute = int(clock.group(4)), int(clock.group(5))
        if no_am_pm and h < 12 and minute < 60 and "morning" not in lower and (
                1 <= h <= AFTERNOON_UP_TO_H or _LATER_IN_THE_DAY.search(lower)
                or (day == today and today.replace(hour=h, minute=minute) <= now)):  # fmt: skip
            h += 12  # "tonight at 8", "today at 8" said at 14:00: 20:00
        if h > 23 or minute > 59:
            return None
        at = (day or today).replace(hour=h, minute=minute)
        return at if at > now or day is not None else at + timedelta(days=1)
    if day is None:
        return None
    if "first thing" in lower:
        hour = FIRST_THING_H
    elif "morning" in lower:
        hour = MORNING_H
    elif "evening" in lower or "tonight" in lower:
        hour = EVENING_H
    at = day.replace(hour=hour)
    if at <= now:  # "later today" said after the business day: by the end of today
        at = max(today.replace(hour=23, minute=59), now + timedelta(hours=1))
    return at


def _dated_day(m: re.Match[str], today: datetime) -> datetime | None:
    """The day a :data:`_DATE` match names, the next one from ``today`` on; None if no such day.

    >>> now = datetime(2026, 11, 20, tzinfo=UTC)
    >>> [_dated_day(_DATE.search(t), now).date().isoformat() for t in
    ...  ("on december 9th", "by the 3rd of jan", "on the 15th", "on the 25th", "on november 20")]
    ['2026-12-09', '2027-01-03', '2026-12-15', '2026-11-25', '2026-11-20']
    """
    month_name, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    if m.group(5):  # "the 15th": this month's, else next month's
        candidates = [(today.year, today.month), (today.year + today.month // 12, today.month % 12 + 1)]
    else:
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(month_name.rstrip(".")[:3]))
        candidates = [(today.year, month), (today.year + 1, month)]
    n = int(m.group(5) or number)
    for year, month in candidates:
        try:
            day = today.replace(year=year, month=month, day=n)
        except ValueError:
            continue  # the 31st of a 30-day month: the next candidate's, if it has one
        if day >= today:
            return day
    return None


def due_at(text: str, ts: float, center: CenterClock = DEFAULT_CENTER) -> tuple[float, bool]:
    """When a callback said at ``ts`` is due (days and times on the ``center``'s clock),
    and whether the agent gave a timeframe."""
    seconds = due_in_s(text, ts, center)
    return ts + (DEFAULT_CALLBACK_S if seconds is None else seconds), seconds is not None


def new_practices(state: CallState, found: dict[str, str]) -> list[str]:
    """Good practices in an agent turn not yet recorded for this call (marked as recorded)."""
    out = []
    for category in found:
        practice = GOOD_PRACTICES.get(category)
        if practice and practice not in state.practices_seen:
            state.practices_seen.append(practice)
            out.append(practice)
    return out


def new_lapses(state: CallState, cues: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``(key, kind)`` cues not yet recorded for this call (marked as recorded)."""
    out = [(k, kind) for k, kind in cues if k not in state.practices_seen]
    state.practices_seen.extend(k for k, _ in out)
    return out


def summary(state: CallState) -> str:
    """Post-call notes so the next person knows: the issue, what was promised, the arc, the outcome."""
    parts = []
    if state.consent and state.first_issue:
        parts.append(f"Issue: {state.first_issue}")
    if state.promises:
        parts.append("Promised: " + "; ".join(state.promises))
    if state.consent and state.customer_sentiments:
        first = state.trend[0] if state.trend else state.customer_sentiments[0]
        last = state.sentiment_ewm if state.sentiment_ewm is not None else first
        parts.append(f"Customer sentiment {first:+.2f} at the start, worst turn "
                     f"{state.worst_sentiment:+.2f}, {last:+.2f} at the end")  # fmt: skip
    handling = []
    if state.holds:
        handling.append(f"{state.holds} hold{'s' * (state.holds > 1)}")
    if state.transfers:
        handling.append(f"{state.transfers} transfer{'s' * (state.transfers > 1)}")
    outcome = f"Outcome: {state.disposition or state.status}"
    if handling:
        outcome += " after " + " and ".join(handling)
    if state.peak_risk >= 0.7:
        outcome += f"; peak risk {state.peak_risk:.0%}"
    parts.append(outcome)
    return " ".join(_sentence(p) for p in parts)


def _sentence(part: str) -> str:
    """``part`` ended as a sentence: a full stop added unless it ends one already (the
    customer's own words often do), so the summary never reads "about it.. Customer".

    >>> _sentence("Issue: it broke again."), _sentence("Issue: why?"), _sentence('Issue: "no!"')
    ('Issue: it broke again.', 'Issue: why?', 'Issue: "no!"')
    >>> _sentence("Outcome: resolved ")
    'Outcome: resolved.'
    """
    part = part.rstrip()
    return part if part.rstrip("\"'”’)").endswith((".", "!", "?", "…")) else part + "."


def format_due(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


