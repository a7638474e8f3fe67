"""When things are said: turn a call's beats into utterance times, gaps, talk-over and holds.

Times are milliseconds from the call's start (the first answer). A turn lasts
``words / speaking rate``; the gap before it depends on what is happening (a quick
reply, an agent looking something up, dead air); a turn marked ``overlap`` starts
before the previous speaker has finished (talk-over). Every item's ``at_ms`` (the
time its event is sent: the end of an utterance) is at or after the one before.

>>> import random
>>> items, end = lay_out([Turn("agent", "Hello, how can I help you today?"),
...                       Turn("customer", "Hi, my internet is down.")],
...                      random.Random(1), Voices(agent_wpm=150, customer_wpm=150))
>>> [i.speaker for i in items], items[0].start_ms < items[0].end_ms <= items[1].start_ms
(['agent', 'customer'], True)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

GAPS_MS = {  # (low, high) silence before a turn
    "quick": (100, 500),
    "normal": (300, 1400),
    "lookup": (3000, 7500),
    "dead_air": (9000, 16000),
}
CHAT_GAPS_MS = {"quick": (500, 1500), "normal": (1500, 4000), "lookup": (4000, 7500),
                "dead_air": (9000, 16000)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Turn:
    """One thing said.

    ``gap`` names the silence before it (quick, normal, lookup, dead_air);
    ``overlap`` starts it before the previous turn ended; ``pace`` multiplies the
    speaker's rate (a venting customer or a stressed agent talks faster).
    """

    speaker: str
    text: str
    gap: str = "normal"
    overlap: bool = False
    pace: float = 1.0


@dataclass(frozen=True, slots=True)
class Hold:
    """The agent puts the customer on hold for ``seconds``."""

    seconds: float


Beat = Turn | Hold


@dataclass(frozen=True, slots=True)
class Voices:
    """Speaking (or, on chat, typing) rates in words per minute."""

    agent_wpm: float
    customer_wpm: float
    chat: bool = False


@dataclass(frozen=True, slots=True)
class Timed:
    """A timed item of a call: an utterance or a hold boundary, at ``at_ms`` from call start."""

    at_ms: int
    kind: str  # "utterance" | "hold_started" | "hold_ended"
    speaker: str = ""
    text: str = ""
    start_ms: int = 0
    end_ms: int = 0
    confidence: float | None = None


def _duration_ms(rng: random.Random, text: str, wpm: float) -> int:
    words = max(1, len(text.split()))
    return int(words / wpm * 60_000 * rng.uniform(0.92, 1.08)) + rng.randint(150, 350)


def _confidence(rng: random.Random, turn: Turn) -> float:
    value = rng.uniform(0.86, 0.97)
    if turn.pace > 1.1 or turn.overlap:
        value -= rng.uniform(0.04, 0.12)
    return round(min(0.99, max(0.5, value)), 3)


def lay_out(beats: Iterable[Beat], rng: random.Random, voices: Voices,
            start_ms: int = 0) -> tuple[list[Timed], int]:  # fmt: skip
    """Timed items for ``beats`` starting at ``start_ms``, and when the last one ends."""
    gaps = CHAT_GAPS_MS if voices.chat else GAPS_MS
    items: list[Timed] = []
    cursor = start_ms  # end of the latest speech or hold
    prev_start: int | None = None
    after_hold = False
    for beat in beats:
        if isinstance(beat, Hold):
            begin = cursor + rng.randint(400, 1500)
            end = begin + int(beat.seconds * 1000)
            items.append(Timed(begin, "hold_started"))
            items.append(Timed(end, "hold_ended"))
            cursor, prev_start, after_hold = end, None, True
            continue
        wpm = voices.agent_wpm if beat.speaker == "agent" else voices.customer_wpm
        duration = _duration_ms(rng, beat.text, wpm * beat.pace)
        if beat.overlap and prev_start is not None and not voices.chat:
            start = max(prev_start + 300, cursor - rng.randint(400, 2200))
            end = max(start + duration, cursor + rng.randint(200, 700))
        else:
            low, high = gaps["quick" if after_hold else beat.gap]
            start = cursor + rng.randint(low, high)
            end = start + duration
        items.append(Timed(end, "utterance", beat.speaker, beat.text, start, end,
                           None if voices.chat else _confidence(rng, beat)))  # fmt: skip
        cursor, prev_start, after_hold = end, start, False
    return items, cursor
