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
from datetime import UTC, datetime

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
_HOURS = {"hour": 1, "hours": 1, "day": 24, "days": 24}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a": 1, "an": 1, "the": 1,
            "24": 24, "48": 48, "72": 72}  # fmt: skip
_WITHIN = re.compile(
    r"\b(?:within|in)\s+(?:the\s+next\s+)?(\d{1,6}|one|two|three|four|five|a|an|the)\s+"
    r"(?:(business|working)\s+)?(hours?|days?)\b"
)


def due_in_s(text: str) -> float | None:
    """Seconds until a promise in ``text`` is due, from the timeframe said; None if none was."""
    lower = text.lower()
    m = _WITHIN.search(lower)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS.get(m.group(1), 1)
        return min(float(n * _HOURS[m.group(3)] * 3600), LONGEST_CALLBACK_S)
    if "end of day" in lower or "today" in lower:
        return 8 * 3600.0
    if "tomorrow" in lower:
        return 86_400.0
    if "end of the week" in lower or "by friday" in lower or "by monday" in lower:
        return 5 * 86_400.0
    return None


def due_at(text: str, ts: float) -> tuple[float, bool]:
    """When a callback said at ``ts`` is due, and whether the agent gave a timeframe."""
    seconds = due_in_s(text)
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


