"""What the scorer service counts: per batch, per report window, and in total."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Stats:
    """Counts that add up: a batch's are added to the window's and to the service's.

    >>> total = Stats(events=3)
    >>> total.add(Stats(events=2, dlq=1))
    >>> total.events, total.dlq
    (5, 1)
    """

    events: int = 0
    actions: int = 0
    dlq: int = 0
    duplicates: int = 0
    batches: int = 0
    updates: int = 0
    examples: int = 0  # training examples published
    learned: int = 0  # training examples learned from the topic

    def add(self, other: Stats) -> None:
        for name in self.__slots__:  # type: ignore[attr-defined]
            setattr(self, name, getattr(self, name) + getattr(other, name))
