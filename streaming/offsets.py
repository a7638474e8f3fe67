"""Where the scorer's consumer reads: committing, rewinding to a batch not stored, the lag,
and a wait that keeps this replica in its consumer group."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kafka import KafkaConsumer
from kafka.errors import KafkaError

# the scorer service's lines, under its one logger name, wherever they are written from
log = logging.getLogger("streaming.consumer")


def commit(consumer: KafkaConsumer) -> None:
    """Commit the batch's offsets, which the store already holds.

    A failed commit is safe to go on from: a batch that outlasted the poll interval
    (a busy machine) puts this consumer out of its group, its partitions go to a
    replica (or back to this one when it rejoins at the next poll), and that owner
    replays from the last commit, where the stored events are duplicates.
    """
    try:
        consumer.commit()
    except KafkaError as exc:
        log.warning("offset commit failed, the batch is stored and its replay will be "
                    "skipped as duplicates: %s", exc)  # fmt: skip


def rewind(consumer: KafkaConsumer, records: dict[Any, list[Any]]) -> None:
    """Poll a batch that was not stored again, from its first offset per partition (of the
    partitions still assigned)."""
    assigned = consumer.assignment()
    for tp, messages in records.items():
        if messages and tp in assigned:
            consumer.seek(tp, messages[0].offset)


def pause(consumer: KafkaConsumer, seconds: float, stop: threading.Event, max_poll_interval_ms: int) -> None:
    """Wait ``seconds`` (or until ``stop``) without leaving the consumer group.

    A consumer that does not poll for ``max_poll_interval_ms`` is put out of its group,
    and its partitions are read again from the last commit, by another replica or by
    this one once it has joined again (on the embedded broker a join takes that long
    again). So the wait polls, in slices well within the interval, with every assigned
    partition paused: nothing is fetched, the group keeps this replica. Records a
    rebalance let through (partitions assigned during the wait come unpaused) are
    rewound, to be read after the wait.
    """
    deadline = time.monotonic() + seconds
    slice_s = min(1.0, max_poll_interval_ms / 4000)
    try:
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            consumer.pause(*consumer.assignment())
            records = consumer.poll(timeout_ms=max(1, int(min(left, slice_s) * 1000)), max_records=1)
            rewind(consumer, records)
    except KafkaError as exc:  # polling failed too: wait out the rest without it
        log.warning("polling while paused failed: %s", exc)
        stop.wait(max(0.0, deadline - time.monotonic()))
    finally:
        consumer.resume(*consumer.paused())


# how long to wait for a broker's end offsets (kafka-python's default, its 30 s request
# timeout, held the scorer's loop and its 10 s heartbeat up through a broker outage)
END_OFFSETS_TIMEOUT_MS = 2_000


def lag(consumer: KafkaConsumer) -> int | None:
    """Events on assigned partitions not consumed yet (None if the broker won't say soon)."""
    assigned = list(consumer.assignment())
    if not assigned:
        return None
    try:
        ends = consumer.end_offsets(assigned, timeout_ms=END_OFFSETS_TIMEOUT_MS)
    except KafkaError:
        return None
    return sum(max(0, ends[tp] - consumer.position(tp)) for tp in assigned if tp in ends)
