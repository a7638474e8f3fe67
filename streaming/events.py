"""The event contract (see docs/architecture.md), parsed once at the Kafka boundary.

Raw JSON never travels past the consumer: :func:`parse_event` turns bytes into one
of the frozen dataclasses below or raises :class:`~streaming.errors.InvalidEvent`
with a one-line reason, and :func:`event_to_dict` turns an event back into the
JSON object of the contract.

>>> e = parse_event(b'{"type": "utterance", "call_id": "c1", "ts": "2026-01-05T09:00:00Z",'
...                 b' "speaker": "customer", "text": "hi", "start_ms": 0, "end_ms": 900}')
>>> e.speaker, e.duration_ms
('customer', 900)
>>> parse_event(b'{"type": "utterance", "call_id": "c1"}')
Traceback (most recent call last):
...
streaming.errors.InvalidEvent: missing field 'ts'
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, ClassVar

from streaming.errors import InvalidEvent
from streaming.jsonl import NotAnObject, parse_object

SPEAKERS = ("customer", "agent")
DISPOSITIONS = ("resolved", "unresolved", "escalated")
ACTIONS = ("whisper", "barge_in", "monitor", "acknowledge", "feedback")
FEEDBACK_LABELS = ("hot", "not_hot")
MAX_ID_LEN = 128
MAX_TEXT_LEN = 10_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: part of some scripts' spelling
MAX_INT = 2**53  # whole-number fields (seq, times in ms): exact in any JSON reader, fits SQLite
MAX_WAIT_S = 7 * 86_400.0  # a queue wait longer than a week is a broken clock, not a wait


@dataclass(frozen=True, slots=True)
class CallEvent:
    """Fields every call event carries."""

    type: ClassVar[str] = ""
    call_id: str
    ts: datetime
    seq: int | None


@dataclass(frozen=True, slots=True)
class CallQueued(CallEvent):
    type: ClassVar[str] = "call_queued"
    queue: str
    customer_id: str


@dataclass(frozen=True, slots=True)
class CallStarted(CallEvent):
    type: ClassVar[str] = "call_started"
    queue: str
    agent_id: str
    agent_name: str
    team: str
    customer_id: str
    channel: str
    language: str
    wait_s: float
    consent: bool = True


@dataclass(frozen=True, slots=True)
class Utterance(CallEvent):
    type: ClassVar[str] = "utterance"
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    confidence: float | None = None

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class HoldStarted(CallEvent):
    type: ClassVar[str] = "hold_started"


@dataclass(frozen=True, slots=True)
class HoldEnded(CallEvent):
    type: ClassVar[str] = "hold_ended"


@dataclass(frozen=True, slots=True)
class Transfer(CallEvent):
    type: ClassVar[str] = "transfer"
    to_queue: str
    to_agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallEnded(CallEvent):
    type: ClassVar[str] = "call_ended"
    disposition: str
    csat: int | None = None


@dataclass(frozen=True, slots=True)
class CallAbandoned(CallEvent):
    type: ClassVar[str] = "call_abandoned"


@dataclass(frozen=True, slots=True)
class SupervisorAction:
    """An action on ``supervisor-actions``: whisper, barge-in, monitor, acknowledge, feedback.

    ``label`` is ``hot``/``not_hot`` for call feedback; ``utterance_seq`` with
    ``sentiment`` is a correction of one turn's sentiment.
    """

    action: str
    action_id: str
    call_id: str
    supervisor_id: str
    ts: datetime
    agent_id: str | None = None
    text: str | None = None
    label: str | None = None
    utterance_seq: int | None = None
    sentiment: float | None = None


EVENT_TYPES: dict[str, type[CallEvent]] = {
    cls.type: cls
    for cls in (
        CallQueued,
        CallStarted,
        Utterance,
        HoldStarted,
        HoldEnded,
        Transfer,
        CallEnded,
        CallAbandoned,
    )
}


# --- field readers: each returns the typed value or raises InvalidEvent -----------------


def _require(obj: dict[str, Any], name: str) -> Any:
    if name not in obj or obj[name] is None:
        raise InvalidEvent(f"missing field {name!r}")
    return obj[name]


def _text(obj: dict[str, Any], name: str, *, optional: bool = False, limit: int = MAX_ID_LEN) -> Any:
    if optional and obj.get(name) is None:
        return None
    value = _require(obj, name)
    if not isinstance(value, str):
        raise InvalidEvent(f"field {name!r} must be a string, got {type(value).__name__}")
    return check_text(value, f"field {name!r}", limit=limit)


def check_text(value: str, what: str, *, limit: int = MAX_ID_LEN) -> str:
    """``value`` if an event may carry it, else InvalidEvent saying why, starting with ``what``.

    Every string is UTF-8-encodable, holds no NUL and is at most ``limit`` characters long;
    with the default limit it is an id or a one-line name, shown as it is on the wallboard:
    not blank, and no control character nor invisible format character (a zero-width space,
    a right-to-left override) in it. ``callheat train`` and ``evaluate`` check the turns of
    labelled dialogues by the same rules as utterance text (``limit=MAX_TEXT_LEN``).

    >>> for value in ("Ana\\u202eqlb", "Ana\\u200b"):
    ...     try:
    ...         check_text(value, "field 'agent_name'")
    ...     except InvalidEvent as exc:
    ...         print(exc)
    field 'agent_name' holds the invisible format character U+202E (RIGHT-TO-LEFT OVERRIDE)
    field 'agent_name' holds the invisible format character U+200B (ZERO WIDTH SPACE)
    >>> check_text("a\\x00b", "turns[0].text", limit=MAX_TEXT_LEN)
    Traceback (most recent call last):
    ...
    streaming.errors.InvalidEvent: turns[0].text holds a NUL character
    """
    one_line = limit == MAX_ID_LEN
    if one_line and not value.strip():
        raise InvalidEvent(f"{what} must not be empty")
    if one_line and _CONTROL.search(value):  # ids and names are one line, shown as they are
        raise InvalidEvent(f"{what} holds a control character (a line break, tab or the like)")
    if len(value) > limit:
        raise InvalidEvent(f"{what} is longer than {limit} characters")
    if "\x00" in value:  # PostgreSQL's text refuses it: the store write would fail at every retry
        raise InvalidEvent(f"{what} holds a NUL character")
    if not value.isascii():
        try:  # JSON can carry a lone surrogate ("\ud800") that no UTF-8 store or topic takes
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidEvent(f"{what} is not valid Unicode ({exc.reason})") from exc
        if one_line and (hidden := _format_character(value)):
            raise InvalidEvent(f"{what} holds the invisible format character {hidden}")
    return value


def _format_character(value: str) -> str | None:
    """The first format character (Unicode category Cf) in ``value`` but the zero-width
    joiners, named (``U+200B (ZERO WIDTH SPACE)``), or None.

    An id or name with one looks like another that has none, or shows reversed (U+202E);
    the joiners U+200C and U+200D are kept, as names in some scripts (Persian, Malayalam)
    and emoji need them.
    """
    for char in value:
        if char not in _JOINERS and unicodedata.category(char) == "Cf":
            return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"
    return None


def _number(obj: dict[str, Any], name: str, *, optional: bool = False, integer: bool = False,
            low: float | None = None, high: float | None = None) -> Any:
    if optional and obj.get(name) is None:
        return None
    value = _require(obj, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent(f"field {name!r} must be a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidEvent(f"field {name!r} must be finite")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise InvalidEvent(f"field {name!r} must be a whole number")
        value = int(value)
        if abs(value) > MAX_INT:  # beyond what the store's integer columns and JSON readers hold
            raise InvalidEvent(f"field {name!r} must be at most {MAX_INT}, got {_shown(value)}")
    elif isinstance(value, int) and abs(value) > MAX_INT:  # no float holds some; none is a real figure
        raise InvalidEvent(f"field {name!r} is out of range, got {_shown(value)}")
    if low is not None and value < low:
        raise InvalidEvent(f"field {name!r} must be >= {low:g}, got {_shown(value)}")
    if high is not None and value > high:
        raise InvalidEvent(f"field {name!r} must be <= {high:g}, got {_shown(value)}")
    return value


def _shown(value: float) -> str:
    """A number as a one-line reason can show it: a 300-digit one by its size."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"a number of {len(str(abs(value)))} digits"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _choice(obj: dict[str, Any], name: str, allowed: tuple[str, ...], *, optional: bool = False) -> Any:
    value = _text(obj, name, optional=optional)
    if value is not None and value not in allowed:
        raise InvalidEvent(f"field {name!r} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _timestamp(obj: dict[str, Any], name: str = "ts") -> datetime:
    raw = _text(obj, name)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidEvent(f"field {name!r} is not an ISO-8601 time: {raw!r}") from exc
    if value.tzinfo is None:
        raise InvalidEvent(f"field {name!r} has no timezone; send UTC like 2026-01-05T09:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidEvent(f"field {name!r} is out of range: {raw!r}") from exc


def _flag(obj: dict[str, Any], name: str, default: bool) -> bool:
    value = obj.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidEvent(f"field {name!r} must be true or false")
    return value


def _decode(raw: bytes | str | None) -> dict[str, Any]:
    try:
        return parse_object(raw)
    except NotAnObject as exc:
        raise InvalidEvent(f"event must be a JSON object, got {exc.kind}") from exc
    except ValueError as exc:  # bad bytes or syntax, a 4,300-digit number, deep nesting, no value
        raise InvalidEvent(f"not valid JSON: {exc}") from exc


# --- parsers -------------------------------------------------------------------------------


def parse_event(raw: bytes | str | None) -> CallEvent:
    """Parse and validate one ``call-events`` message (JSON bytes) into a typed event."""
    return event_from_dict(_decode(raw))


def event_from_dict(obj: dict[str, Any]) -> CallEvent:
    """Validate an already-decoded JSON object as a call event."""
    kind = _text(obj, "type")
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        raise InvalidEvent(f"unknown event type {kind!r}; expected one of {', '.join(EVENT_TYPES)}")
    base: dict[str, Any] = {
        "call_id": _text(obj, "call_id"),
        "ts": _timestamp(obj),
        "seq": _number(obj, "seq", optional=True, integer=True, low=0),
    }
    if cls is CallQueued:
        return CallQueued(**base, queue=_text(obj, "queue"), customer_id=_text(obj, "customer_id"))
    if cls is CallStarted:
        return CallStarted(
            **base,
            queue=_text(obj, "queue"),
            agent_id=_text(obj, "agent_id"),
            agent_name=_text(obj, "agent_name"),
            team=_text(obj, "team"),
            customer_id=_text(obj, "customer_id"),
            channel=_text(obj, "channel"),
            language=_text(obj, "language"),
            wait_s=float(_number(obj, "wait_s", low=0, high=MAX_WAIT_S)),
            consent=_flag(obj, "consent", True),
        )
    if cls is Utterance:
        start = _number(obj, "start_ms", integer=True, low=0)
        end = _number(obj, "end_ms", integer=True, low=0)
        if end < start:
            raise InvalidEvent(f"end_ms ({end}) is before start_ms ({start})")
        confidence = _number(obj, "confidence", optional=True, low=0, high=1)
        return Utterance(
            **base,
            speaker=_choice(obj, "speaker", SPEAKERS),
            text=_text(obj, "text", limit=MAX_TEXT_LEN),
            start_ms=start,
            end_ms=end,
            confidence=None if confidence is None else float(confidence),
        )
    if cls is Transfer:
        return Transfer(
            **base,
            to_queue=_text(obj, "to_queue"),
            to_agent_id=_text(obj, "to_agent_id", optional=True),
        )
    if cls is CallEnded:
        return CallEnded(
            **base,
            disposition=_choice(obj, "disposition", DISPOSITIONS),
            csat=_number(obj, "csat", optional=True, integer=True, low=1, high=5),
        )
    return cls(**base)


def parse_action(raw: bytes | str | None) -> SupervisorAction:
    """Parse and validate one ``supervisor-actions`` message."""
    obj = _decode(raw)
    action = _choice(obj, "action", ACTIONS)
    label = _choice(obj, "label", FEEDBACK_LABELS, optional=True)
    utterance_seq = _number(obj, "utterance_seq", optional=True, integer=True, low=0)
    sentiment = _number(obj, "sentiment", optional=True, low=-1, high=1)
    if action == "feedback" and label is None and (utterance_seq is None or sentiment is None):
        raise InvalidEvent("feedback needs 'label' (hot/not_hot) or 'utterance_seq' with 'sentiment'")
    text = _text(obj, "text", optional=True, limit=MAX_TEXT_LEN)
    if action == "whisper" and not (text or "").strip():
        raise InvalidEvent("a whisper needs a non-empty 'text'")
    return SupervisorAction(
        action=action,
        action_id=_text(obj, "action_id"),
        call_id=_text(obj, "call_id"),
        supervisor_id=_text(obj, "supervisor_id"),
        ts=_timestamp(obj),
        agent_id=_text(obj, "agent_id", optional=True),
        text=text,
        label=label,
        utterance_seq=utterance_seq,
        sentiment=None if sentiment is None else float(sentiment),
    )


# --- encoders ------------------------------------------------------------------------------


def format_ts(ts: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` and millisecond precision."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None:
            continue
        out[f.name] = format_ts(value) if isinstance(value, datetime) else value
    return out


def event_to_dict(event: CallEvent) -> dict[str, Any]:
    """The contract's JSON object for ``event`` (None fields left out)."""
    return {"type": event.type, **_to_dict(event)}


def action_to_dict(action: SupervisorAction) -> dict[str, Any]:
    return _to_dict(action)


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
