"""Queue figures for the wallboard: waiting now, longest wait, service level, abandon rate.

Plain functions over the calls' queue times (no Streamlit, no store). A call counts
in the window when it was answered (``started_at``) or abandoned (``ended_at``)
within the last ``window_s`` of board time. The service level is the share of those
calls answered within the target, out of all answered or abandoned ones (the common
contact-center definition: an abandoned call counts against it).

A call transferred to a queue with no agent named waits again, in that queue, from the
transfer on; it was answered from its first queue, where its first wait counts.

>>> calls = [QueueCall("a", "ended", "billing", 0.0, 10.0, 10.0),
...          QueueCall("b", "live", "billing", 50.0, 95.0, 45.0),
...          QueueCall("c", "abandoned", "billing", 60.0, None, None, ended_at=90.0),
...          QueueCall("d", "queued", "billing", 100.0, None, None),
...          QueueCall("e", "live", "billing", 0.0, 5.0, 5.0, now_queue="retention", transferred_at=120.0)]
>>> billing, retention = queue_figures(calls, now=130.0, window_s=3600, target_s=20)
>>> (billing.waiting, billing.longest_wait_s, billing.answered, billing.abandoned)
(1, 30.0, 3, 1)
>>> fmt_share(billing.service_level), fmt_share(billing.abandon_rate)
('50%', '25%')
>>> (retention.queue, retention.waiting, retention.longest_wait_s, retention.answered)
('retention', 1, 10.0, 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ALL_QUEUES = "All queues"


@dataclass(frozen=True, slots=True)
class QueueCall:
    """A call's queue times (epoch seconds), as read from the ``calls`` table."""

    call_id: str
    status: str  # queued | live | ended | abandoned | interrupted
    queue: str  # the queue it waited in first and was answered from
    queued_at: float | None
    started_at: float | None
    wait_s: float | None
    ended_at: float | None = None
    now_queue: str | None = None  # the queue it is in now, where a transfer moved it
    transferred_at: float | None = None  # a live call with no agent: when it was passed on to wait

    @property
    def waiting(self) -> tuple[str, float | None] | None:
        """(the queue, since when) of a call waiting for an agent now, else None."""
        if self.status == "queued":
            return self.queue, self.queued_at
        if self.status == "live" and self.transferred_at is not None:
            return self.now_queue or self.queue, self.transferred_at
        return None


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """One queue's figures: waiting now, and over the window answered / abandoned."""

    queue: str
    waiting: int
    longest_wait_s: float | None
    answered: int
    answered_in_target: int
    abandoned: int

    @property
    def offered(self) -> int:
        """Calls that left the queue in the window: answered or abandoned."""
        return self.answered + self.abandoned

    @property
    def service_level(self) -> float | None:
        """Share answered within the target, of the calls answered or abandoned (None if none)."""
        return self.answered_in_target / self.offered if self.offered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None


def fmt_share(value: float | None) -> str:
    """``87%``, or ``—`` when there is nothing to measure.

    >>> fmt_share(0.874), fmt_share(None)
    ('87%', '—')
    """
    return "—" if value is None else f"{value:.0%}"


def waited(call: QueueCall) -> float | None:
    """Time in queue of an answered call: ``wait_s`` as sent, else answered minus queued."""
    if call.wait_s is not None:
        return call.wait_s
    if call.started_at is not None and call.queued_at is not None:
        return max(0.0, call.started_at - call.queued_at)
    return None


def queue_figures(
    calls: Iterable[QueueCall], now: float, window_s: float, target_s: float
) -> list[QueueFigures]:
    """Figures per queue, the queue with the most calls waiting (then the longest wait) first."""
    since = now - window_s
    acc: dict[str, dict[str, float]] = {}

    def slot(queue: str) -> dict[str, float]:
        return acc.setdefault(queue, {"waiting": 0, "longest": -1.0, "answered": 0, "in_target": 0,
                                      "abandoned": 0})  # fmt: skip

    for c in calls:
        if (waiting := c.waiting) is not None:
            s = slot(waiting[0])
            s["waiting"] += 1
            if waiting[1] is not None:
                s["longest"] = max(s["longest"], max(0.0, now - waiting[1]))
        if c.status == "queued":
            continue
        if c.status == "abandoned":
            left = c.ended_at if c.ended_at is not None else c.queued_at
            if left is not None and since <= left <= now:
                slot(c.queue)["abandoned"] += 1
        elif c.started_at is not None and since <= c.started_at <= now:
            s = slot(c.queue)
            s["answered"] += 1
            wait = waited(c)
            if wait is not None and wait <= target_s:
                s["in_target"] += 1
    rows = [
        QueueFigures(q, int(s["waiting"]), s["longest"] if s["longest"] >= 0 else None,
                     int(s["answered"]), int(s["in_target"]), int(s["abandoned"]))
        for q, s in acc.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-r.waiting, -(r.longest_wait_s or 0.0), r.queue))


def total(rows: Sequence[QueueFigures]) -> QueueFigures:
    """The figures of every queue together (``All queues``)."""
    waits = [r.longest_wait_s for r in rows if r.longest_wait_s is not None]
    return QueueFigures(
        ALL_QUEUES,
        sum(r.waiting for r in rows),
        max(waits) if waits else None,
        sum(r.answered for r in rows),
        sum(r.answered_in_target for r in rows),
        sum(r.abandoned for r in rows),
    )


def window_label(window_s: float, target_s: float) -> str:
    """What the figures cover, said under the table.

    >>> window_label(3600, 20).split(";")[0]
    'SL: answered within 20 s, of the calls answered or abandoned in the last 60 min'
    """
    return (f"SL: answered within {target_s:g} s, of the calls answered or abandoned in the last "
            f"{window_s / 60:g} min; aband.: the share abandoned.")  # fmt: skip
