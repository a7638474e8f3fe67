"""Helpers for the simulator tests: group events by call, spot escalation phrases."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime

from streaming.events import CallEvent, Utterance

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# customer turns that ask for a manager, threaten to cancel, or are abusive
HOT = re.compile(r"\b(manager|supervisor|someone more senior|someone in charge|cancel\w*|"
                 r"close my account|switch provider|take my business|useless|stupid|pathetic|"
                 r"crap)\b", re.IGNORECASE)  # fmt: skip


def by_call(events: list[CallEvent]) -> dict[str, list[CallEvent]]:
    out: dict[str, list[CallEvent]] = defaultdict(list)
    for e in events:
        out[e.call_id].append(e)
    return dict(out)


def customer_turns(call: list[CallEvent]) -> list[Utterance]:
    return [e for e in call if isinstance(e, Utterance) and e.speaker == "customer"]


def first_hot_turn(call: list[CallEvent]) -> int | None:
    """Index (0-based) of the first customer turn with an escalation phrase, or None."""
    for i, turn in enumerate(customer_turns(call)):
        if HOT.search(turn.text):
            return i
    return None
