"""The scorer's store writes: each batch in one transaction, tried again at once, and a
batch already published but refused by the store held to be written again (never scored
or published again), or given up if its partitions may have moved meanwhile."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer

from streaming import offsets
from streaming.errors import StoreError
from streaming.scoring import Scorer
from streaming.stats import Stats
from streaming.store import Store, StoreBatch

# the scorer service's lines, under its one logger name, wherever they are written from
log = logging.getLogger("streaming.consumer")


@dataclass(slots=True)
class Held:
    """A batch published but not stored (the store failed): written again, never published again."""

    batch: StoreBatch
    stats: Stats
    records: dict[Any, list[Any]]  # what it was polled from, read again if it is given up
    revocations: int  # partitions revoked before it was polled (ForgetOnRevoke's count)


class BatchWriter:
    """Writes ``scorer``'s batches to ``store``; ``consumer`` is rewound to a batch given up."""

    def __init__(self, store: Store, scorer: Scorer, consumer: KafkaConsumer) -> None:
        self.store = store
        self.scorer = scorer
        self.consumer = consumer
        self.held: Held | None = None  # published, not yet stored

    def write(self, batch: StoreBatch, attempts: int = 2) -> None:
        """Write ``batch``; a second attempt at once opens a connection the server dropped
        again. A longer failure is the loop's, which pauses while polling (sleeping here
        would outlast ``max_poll_interval_ms`` and cost this replica its partitions)."""
        for attempt in range(1, attempts + 1):
            try:
                self.store.apply(batch)
                return
            except StoreError as exc:
                if attempt == attempts:
                    raise
                log.warning("store write failed (attempt %d/%d): %s", attempt, attempts, exc)
                time.sleep(0.2)

    def store_published(self, held: Held) -> None:
        """Write a batch that is published; StoreError leaves it held, for :meth:`retry_held`."""
        self.held = held
        self.write(held.batch)
        self.held = None

    def retry_held(self, revocations: int) -> Stats | None:
        """Write the batch held since its store write failed, not publishing it again;
        StoreError if it fails again. Its stats once written; None if it was given up.

        A batch is given up if partitions were revoked since it was polled (``revocations``
        is the count now): they may belong to another replica now, which reads them from the
        last commit, and a write of this batch could overwrite the newer state it stores. Its
        calls are forgotten and the partitions this replica kept are rewound to the batch's
        first offsets (kafka-python keeps a kept partition's position across a rebalance:
        without the rewind the batch would be skipped). Its output is published again when
        it is read again.
        """
        held = self.held
        assert held is not None
        if held.revocations != revocations:
            self.held = None
            self.forget(held.batch)
            offsets.rewind(self.consumer, held.records)
            log.warning("partitions were reassigned while a batch waited for the store: it is read "
                        "again (by the replica that owns each partition now), not written")  # fmt: skip
            return None
        self.write(held.batch)
        self.held = None
        return held.stats

    def forget(self, batch: StoreBatch) -> None:
        """After a batch that was not stored: the scorer forgets the calls it changed, so
        that its replay takes them over from the store as it was, not as the lost batch
        left them in memory (where its events would look like duplicates)."""
        self.scorer.forget_calls(batch.call_ids())
