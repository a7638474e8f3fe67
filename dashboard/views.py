"""What the wallboard shows, computed from store rows: plain functions, no Streamlit.

Every function takes ``now`` (epoch seconds) so the figures can be checked without
a clock, and returns small frozen dataclasses or strings the pages lay out.

>>> fmt_duration(125.4)
'02:05'
>>> fmt_sentiment(-0.421), fmt_risk(0.874)
('−0.42', '87%')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from dashboard.alerts import NEW_HOT_S, is_new_hot
from dashboard.queues import QueueFigures
from streaming.scoring.scorer import KEEP_ENDED_STATE_S
from streaming.scoring.state import KEEP_TURNS
from streaming.store import ActionRow, CallRow, TurnRow

LEVELS = ("hot", "warming", "calm")
NO_CONSENT = "no recording consent"
FEEDBACK_WORDS = {"hot": "marked hot", "not_hot": "marked not hot"}
ACTION_LABELS = {
    "whisper": "Whisper",
    "barge_in": "Barge-in",
    "monitor": "Monitor",
    "acknowledge": "Acknowledged",
    "feedback": "Feedback",
}


@dataclass(frozen=True, slots=True)
class Header:
    """The figures across the top of the wallboard."""

    live: int
    hot: int
    warming: int
    waiting: int
    longest_wait_s: float | None
    avg_sentiment: float | None
    longest_hot_s: float | None
    intervened: int | None = None  # calls whispered to or barged in on in the last hour
    over_budget: int = 0  # hot calls shown as warming because of the alert budget


@dataclass(frozen=True, slots=True)
class Tile:
    """One live call as a wallboard tile."""

    call_id: str
    agent_name: str
    team: str
    queue: str
    duration: str
    sentiment: float | None
    trend: tuple[float, ...]
    risk: float
    level: str
    reasons: tuple[str, ...]
    whisper: str | None
    on_hold: bool
    consent: bool
    hot_for: str | None = None
    new_hot: bool = False  # turned hot moments ago
    over_budget: bool = False  # hot, shown as warming because of the alert budget
    on_it: tuple[str, ...] = ()  # supervisors who acknowledged, monitor or barged in


@dataclass(frozen=True, slots=True)
class Freshness:
    """Whether the store is being updated, said in one line."""

    stale: bool
    text: str


# --- formatting ----------------------------------------------------------------------------


def fmt_duration(seconds: float | None) -> str:
    """``mm:ss`` (minutes keep counting past 59); ``—`` when unknown.

    >>> fmt_duration(None), fmt_duration(-3), fmt_duration(3725)
    ('—', '00:00', '62:05')
    """
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    return f"{total // 60:02d}:{total % 60:02d}"


def fmt_sentiment(value: float | None) -> str:
    """Signed, two decimals, with a real minus sign; ``—`` when there is none."""
    if value is None:
        return "—"
    text = f"{value:+.2f}"
    if text in ("+0.00", "-0.00"):
        return "0.00"  # not "−0.00" for a value that rounds to nothing
    return text.replace("-", "−")


def fmt_risk(risk: float) -> str:
    return f"{risk:.0%}"


def fmt_clock(ts: float, tz: tzinfo | None = None) -> str:
    """``HH:MM:SS ZONE`` of an epoch time in ``tz`` (UTC if None), the zone named: a time on a
    live page read in another zone than the viewer thinks is an hour or more off unseen.

    >>> from zoneinfo import ZoneInfo
    >>> fmt_clock(1_800_000_000, ZoneInfo("America/Chicago")), fmt_clock(0)
    ('02:00:00 CST', '00:00:00 UTC')
    """
    return datetime.fromtimestamp(ts, tz or UTC).strftime("%H:%M:%S %Z")


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at a word, with an ellipsis.

    >>> shorten("Acknowledge the repeat call and own it.", 24)
    'Acknowledge the repeat…'
    >>> shorten("  Offer   the refund. ", 40), shorten("Unbreakablewordhere", 8)
    ('Offer the refund.', 'Unbreak…')
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut and flat[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def level_rank(level: str) -> int:
    """0 for hot, 1 for warming, 2 for calm (and anything unknown)."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS) - 1


def sentiment_word(value: float | None) -> str:
    """``positive`` / ``neutral`` / ``negative`` for a sentiment in [-1, 1].

    >>> sentiment_word(0.4), sentiment_word(-0.05), sentiment_word(-0.6), sentiment_word(None)
    ('positive', 'neutral', 'negative', '')
    """
    if value is None:
        return ""
    if value >= 0.15:
        return "positive"
    if value <= -0.15:
        return "negative"
    return "neutral"


# --- wallboard -----------------------------------------------------------------------------


def sort_calls(calls: Iterable[CallRow]) -> list[CallRow]:
    """Hot first, then warming, then calm; within a level in a steady order.

    Hot calls longest hot first (the ones waiting longest for someone to step in), then
    the others longest running first; among the warming, hot calls over the alert budget
    lead. Not by risk: risks move every turn, and a board that reorders itself at every
    refresh moves a tile from under the supervisor's pointer. A tile moves only when its
    call changes level or a call ahead of it leaves.
    """

    def since(c: CallRow) -> float:
        started = c.started_at if c.started_at is not None else c.queued_at
        return (c.hot_since if c.hot_since is not None else started) or 0.0

    return sorted(calls, key=lambda c: (level_rank(c.level), c.hot_since is None, since(c), c.call_id))


def filter_teams(calls: Iterable[CallRow], teams: Sequence[str]) -> list[CallRow]:
    """Only the calls of ``teams`` (all calls if none is chosen)."""
    wanted = set(teams)
    return [c for c in calls if not wanted or c.team in wanted]


def filter_queues(calls: Iterable[CallRow], queues: Sequence[str]) -> list[CallRow]:
    """Only the calls of ``queues`` (all calls if none is chosen)."""
    wanted = set(queues)
    return [c for c in calls if not wanted or c.queue in wanted]


def header_figures(
    live: Sequence[CallRow],
    waiting: QueueFigures | None,
    now: float,
    intervened: int | None = None,
    over_budget: int = 0,
) -> Header:
    """Live and hot counts, queue figures, average sentiment and the longest hot call.

    ``live`` is as shown (after the alert budget): a call over budget is not counted hot.
    ``waiting``: the queue table's figures of the queues in view together
    (:func:`dashboard.queues.total`), so the header and the table count the same calls
    waiting, a call a transfer left waiting for an agent among them.
    """
    hot = [c for c in live if c.level == "hot"]
    sentiments = [c.sentiment for c in live if c.consent and c.sentiment is not None]
    hot_for = [now - c.hot_since for c in hot if c.hot_since is not None]
    return Header(
        live=len(live),
        hot=len(hot),
        warming=sum(1 for c in live if c.level == "warming"),
        waiting=waiting.waiting if waiting else 0,
        longest_wait_s=waiting.longest_wait_s if waiting else None,
        avg_sentiment=sum(sentiments) / len(sentiments) if sentiments else None,
        longest_hot_s=max(0.0, max(hot_for)) if hot_for else None,
        intervened=intervened,
        over_budget=over_budget,
    )


def tile(
    call: CallRow,
    now: float,
    max_reasons: int = 3,
    *,
    over_budget: bool = False,
    on_it: tuple[str, ...] = (),
    new_within_s: float = NEW_HOT_S,
) -> Tile:
    """The tile model of one live call; calls without consent carry metadata only."""
    started = call.started_at if call.started_at is not None else call.queued_at
    consent = call.consent
    hot_for = None
    if call.level == "hot" and call.hot_since is not None:
        hot_for = fmt_duration(now - call.hot_since)
    return Tile(
        call_id=call.call_id,
        agent_name=call.agent_name or call.agent_id or "(no agent yet)",
        team=call.team or "—",
        queue=call.queue,
        duration=fmt_duration(None if started is None else now - started),
        sentiment=call.sentiment if consent else None,
        trend=call.sentiment_trend if consent else (),
        risk=call.risk,
        level=call.level if call.level in LEVELS else "calm",
        reasons=call.reasons[:max_reasons] if consent else (),
        whisper=call.whisper if consent else None,
        on_hold=call.on_hold,
        consent=consent,
        hot_for=hot_for,
        new_hot=is_new_hot(call, now, new_within_s),
        over_budget=over_budget,
        on_it=on_it,
    )


def tiles(
    live: Iterable[CallRow],
    now: float,
    max_reasons: int = 3,
    *,
    over_budget: frozenset[str] = frozenset(),
    on_it: dict[str, tuple[str, ...]] | None = None,
) -> list[Tile]:
    """Tiles for the live calls in wallboard order, with budget notes and who is on each."""
    claims = on_it or {}
    return [
        tile(c, now, max_reasons, over_budget=c.call_id in over_budget,
             on_it=claims.get(c.call_id, ()))
        for c in sort_calls(live)
    ]  # fmt: skip


def board_clock(read_at: float, data_time: float | None, stale: bool) -> float:
    """The time the board counts durations to: now, or the last write's time once the data
    is stale, so a board whose scorer stopped does not look live with clocks running."""
    return min(read_at, data_time) if stale and data_time is not None else read_at


def freshness(
    last_update: float | None, now: float, stale_after_s: float, tz: tzinfo | None = None
) -> Freshness:
    """``last update HH:MM:SS``, or a stale warning when the scorer stopped writing."""
    if last_update is None:
        return Freshness(True, "no data yet: is the scorer running?")
    clock = fmt_clock(last_update, tz)
    if now - last_update > stale_after_s:
        return Freshness(True, f"data is stale since {clock}")
    return Freshness(False, f"last update {clock}")


# --- one call ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallActions:
    """Whether whisper, barge-in, monitor and acknowledge can be sent on a call, and if not why
    (feedback can be sent on any call)."""

    live: bool
    note: str | None = None


def call_actions(call: CallRow) -> CallActions:
    """What the call page's action buttons can do for ``call`` as it is now.

    >>> call = CallRow(call_id="c1", status="live", queue="billing", customer_id="k1", updated_at=0.0)
    >>> call_actions(call).note.split(":")[0]
    'The call is live, waiting in billing for an agent (transferred, say)'
    >>> from dataclasses import replace
    >>> call_actions(replace(call, agent_id="a1"))
    CallActions(live=True, note=None)
    """
    if call.status == "live" and call.agent_id:
        return CallActions(True)
    if call.status == "live":
        why = f"The call is live, waiting in {call.queue} for an agent (transferred, say)"
        need = "need an agent on the call"
    else:
        why, need = f"The call is {call.status}", "are for live calls"
    return CallActions(False, f"{why}: whisper, barge-in, monitor and acknowledge {need}; "
                              "feedback is recorded for any call.")


def call_start(call: CallRow) -> float | None:
    """The time the call's clock starts from: answered, else queued."""
    return call.started_at if call.started_at is not None else call.queued_at


def call_duration_s(call: CallRow, now: float) -> float | None:
    """Talk time so far (or in total for an ended call)."""
    start = call_start(call)
    if start is None:
        return None
    end = call.ended_at if call.ended_at is not None else now
    return max(0.0, end - start)


def offset(ts: float, start: float | None) -> str:
    """``mm:ss`` into the call (``—`` if the start is unknown)."""
    return fmt_duration(None if start is None else ts - start)


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    seq: int
    at: str
    speaker: str
    text: str
    sentiment: float


def hot_marks(actions: Iterable[ActionRow], tz: tzinfo | None = None) -> str | None:
    """Each supervisor's last "hot" / "not hot" mark on the call, newest first, for the call
    page: two supervisors marking one call differently were each told only of their own.

    >>> rows = [ActionRow("1", "c", "feedback", "sup-ana", 60.0, label="not_hot"),
    ...         ActionRow("2", "c", "feedback", "sup-ben", 90.0, label="hot"),
    ...         ActionRow("3", "c", "feedback", "sup-ana", 120.0, label="hot"),
    ...         ActionRow("4", "c", "feedback", "sup-ben", 130.0, utterance_seq=3, sentiment=0.2)]
    >>> hot_marks(rows)
    'Marked: hot by sup-ana at 00:02:00 UTC; hot by sup-ben at 00:01:30 UTC'
    >>> hot_marks(rows[3:]) is None
    True
    """
    last: dict[str, ActionRow] = {}
    for a in sorted(actions, key=lambda a: (a.ts, a.action_id)):
        if a.action == "feedback" and a.label in ("hot", "not_hot"):
            last[a.supervisor_id] = a
    if not last:
        return None
    marks = sorted(last.values(), key=lambda a: -a.ts)
    return "Marked: " + "; ".join(f"{'hot' if a.label == 'hot' else 'not hot'} by {a.supervisor_id} at "
                                  f"{fmt_clock(a.ts, tz)}" for a in marks)  # fmt: skip


def why_not_learned(call: CallRow, turns: Iterable[TurnRow], seq: int, now: float) -> str | None:
    """Why a correction of turn ``seq`` teaches the sentiment model nothing (it is recorded
    all the same), or None when it teaches: the scorer keeps a call's last
    :data:`KEEP_TURNS` turns, and an ended call's state for :data:`KEEP_ENDED_STATE_S`.

    >>> turns = [TurnRow("c1", s, float(s), "customer", "hi", 0, 0, 0.0, 0.0) for s in range(1, 31)]
    >>> call = CallRow(call_id="c1", status="live", queue="q", customer_id="k", updated_at=30.0)
    >>> why_not_learned(call, turns, 30, 31.0) is None, why_not_learned(call, turns, 3, 31.0)
    (True, 'older than the last 20 turns, which the scorer keeps')
    """
    kept = sorted(t.seq for t in turns)[-KEEP_TURNS:]
    if seq not in kept:
        return f"older than the last {KEEP_TURNS} turns, which the scorer keeps"
    if call.ended_at is not None and now - call.ended_at > KEEP_ENDED_STATE_S:
        return f"the call ended more than {KEEP_ENDED_STATE_S // 86_400:.0f} days ago"
    return None


def transcript(turns: Iterable[TurnRow], start: float | None) -> list[TranscriptLine]:
    """The turns in order (newest last), each with its time into the call."""
    return [
        TranscriptLine(t.seq, offset(t.ts, start), t.speaker, t.text, t.sentiment)
        for t in sorted(turns, key=lambda t: t.seq)
    ]


def action_detail(a: ActionRow) -> str:
    """What an action said: the whisper's text, the feedback label, a sentiment correction.

    >>> action_detail(ActionRow("1", "c", "feedback", "sup", 0.0, label="not_hot"))
    'marked not hot'
    >>> action_detail(ActionRow("2", "c", "feedback", "sup", 0.0, utterance_seq=7, sentiment=-0.5))
    'turn 7: sentiment −0.50'
    """
    if a.utterance_seq is not None and a.sentiment is not None:
        return f"turn {a.utterance_seq}: sentiment {fmt_sentiment(a.sentiment)}"
    if a.label is not None:
        return FEEDBACK_WORDS.get(a.label, a.label)
    return a.text or ""


def action_rows(
    actions: Iterable[ActionRow], start: float | None, tz: tzinfo | None = None
) -> list[dict[str, str]]:
    """The supervisor actions on a call as table rows, oldest first."""
    rows = []
    for a in sorted(actions, key=lambda a: a.ts):
        detail = action_detail(a)
        rows.append({
            "time": fmt_clock(a.ts, tz),
            "into call": offset(a.ts, start),
            "action": ACTION_LABELS.get(a.action, a.action),
            "by": a.supervisor_id,
            "detail": detail,
        })  # fmt: skip
    return rows


def call_choice_label(call: CallRow, tz: tzinfo | None = None) -> str:
    """How a live call reads in the call picker: who, which queue, since when.

    No figure that changes at every turn: the picker is drawn once per page (again only
    when the call's :func:`call_actions` change: an agent picks it up, say), and the banner
    below it refreshes; a risk in the picker would soon contradict it.

    >>> from datetime import timezone
    >>> call = CallRow(call_id="c1", status="live", queue="billing", customer_id="k1",
    ...                updated_at=90.0, agent_name="Dana Ruiz", started_at=60.0)
    >>> call_choice_label(call, timezone.utc)
    'Dana Ruiz · billing · since 00:01:00 UTC'
    """
    who = call.agent_name or call.agent_id or "no agent"
    start = call_start(call)
    since = f" · since {fmt_clock(start, tz)}" if start is not None else ""
    return f"{who} · {call.queue}{since}"
