"""The scorer service: poll a batch, score it, publish, write it in one transaction, commit.

Order per batch, so a crash anywhere loses nothing and duplicates nothing in the store:

1. poll up to ``batch_max_records`` from ``call-events`` and ``supervisor-actions``;
2. parse each message once; invalid ones go to ``call-events-dlq`` with the reason;
3. load state for calls this replica has not seen (restart / rebalance) from the store;
4. score every event into one :class:`StoreBatch` (an event that comes after the call's
   later events or after its end is refused, and goes to the DLQ with the reason);
5. publish score updates to ``call-scores``, training examples to
   ``training-examples`` and DLQ records, flush, and check that the broker accepted
   every one of them (kafka-python's flush does not say);
6. write the batch in one transaction (idempotent: rows keyed by call and sequence,
   state carries the last offset);
7. commit the offsets.

A crash before 6 replays the batch, which publishes it again (at least once: score
readers dedupe by call and sequence, replicas learn each example key once); a crash
after 6 replays events the store already holds, which are skipped as duplicates, and
what they produced is already out.

A broker that refuses a send, or any failure before 6, does not end the scorer: it
forgets the calls the batch changed, polls the batch again after a pause (2 s, doubling
to 30 s while the failure lasts) and takes those calls over from the store as a
restarted scorer would; a producer whose send failed is replaced by a new one (a
kafka-python producer in a fatal state fails every later send). A store that fails at 6
gets the same batch written again after each pause, never scored or published again
(unless the group reassigns partitions meanwhile: then it is read again from the last
commit). Pauses poll the consumer with its partitions paused, so the group keeps this
replica however long the failure lasts. A failed commit (7) is logged and passed over,
and so is a heartbeat the store did not take.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from streaming import checkpoint
from streaming.errors import BrokerError, ConfigError, InvalidEvent, StoreError
from streaming.events import CallEvent, CallStarted, SupervisorAction, parse_action, parse_event
from streaming.jsonl import parse_object
from streaming.kafka_io import SendFailed, await_sends, close_quietly, make_consumer, make_producer, send_json
from streaming.retention import Retention
from streaming.scoring import Scorer, TrainingExample, example_from_dict
from streaming.settings import HEARTBEAT_S, Settings
from streaming.store import Store, StoreBatch

log = logging.getLogger(__name__)
# of a message sent to the DLQ, the bytes kept: its record (the text and base64) stays well
# under Kafka's 1 MB message limit, which a larger one would exceed and stall the scorer
DLQ_KEEP_BYTES = 64 * 1024
# what the run loop retries after a pause: a broker or store failing, or no broker for a new producer
FAILURES = (KafkaError, StoreError, BrokerError)


@dataclass(slots=True)
class Stats:
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


def dlq_record(reason: str, topic: str, partition: int, offset: int, key: bytes | None,
               value: bytes | None) -> dict[str, Any]:  # fmt: skip
    """What goes to the DLQ: the reason, where it came from, and the original bytes (the
    first ``DLQ_KEEP_BYTES`` of them, so that a record never outgrows a Kafka message:
    ``value_bytes`` says how long the original was)."""
    whole = value or b""
    raw = whole[:DLQ_KEEP_BYTES]
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # not UTF-8, or cut inside a character
        cut = len(raw) < len(whole) and exc.start >= len(raw) - 3
        text = raw[: exc.start].decode("utf-8") if cut else None
    return {
        "reason": reason,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "key": None if key is None else key[:DLQ_KEEP_BYTES].decode("utf-8", "replace"),
        "value": text,
        "value_b64": base64.b64encode(raw).decode("ascii"),
        "value_bytes": len(whole),
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def training_partitions(topic: str, partitions: int) -> str:
    """The one line for a ``training-examples`` topic of several partitions, or none (0)."""
    if not partitions:
        return (f"{topic} does not exist; it needs exactly 1 partition so every replica learns in "
                "the same order: create it with one partition (`callheat broker` and `callheat run` "
                "create the topics on the broker they start; on another broker, use its own tools, "
                "e.g. kafka-topics.sh --create --partitions 1)")  # fmt: skip
    return (f"{topic} has {partitions} partitions; it needs exactly 1 so every replica learns in "
            "the same order: recreate it with one partition")  # fmt: skip


def adopt_stored(scorer: Scorer, store: Store, items: list[CallEvent | SupervisorAction]) -> None:
    """Load from the store what ``items`` need and ``scorer`` does not hold.

    A call this replica has no state for (after a restart or a rebalance) is taken over
    from its persisted state, or known as ended. An action about a call that ended, which
    this replica does not remember, gets the call's final state from ``ended_states``, so
    feedback sent after the end is learned whichever replica receives it. A starting
    call's customer this replica has not seen is looked up in the calls that ended, so a
    repeat caller is one whichever replica their last call ended on.
    """
    missing = scorer.missing({item.call_id for item in items})
    if missing:
        for call_id, state in store.load_states(missing).items():
            scorer.adopt(call_id, state)
    unheld = scorer.unheld({item.call_id for item in items if isinstance(item, SupervisorAction)})
    if unheld:
        for call_id, state in store.load_ended_states(unheld).items():
            scorer.adopt_ended(call_id, state)
    starts = [item for item in items if isinstance(item, CallStarted)]
    customers = scorer.unknown_customers({s.customer_id for s in starts})
    if customers:
        before = max(s.ts.timestamp() for s in starts)
        for customer_id, ended_at in store.last_calls_ended(customers, before).items():
            scorer.remember_customer(customer_id, ended_at)


# an assignment still empty after this long is logged as a warning: the scorer is idle
EMPTY_ASSIGNMENT_WARN_S = 60.0


class _ForgetOnRevoke(ConsumerRebalanceListener):
    """When partitions move to another replica, drop in-memory call state (it is in the store)
    and count the rebalance, so that a batch held for the store is not written after its
    partitions may have moved (see :meth:`ScorerService._write_held`)."""

    def __init__(self, service: ScorerService, group_id: str = "") -> None:
        self.service = service
        self.group_id = group_id
        self._empty: threading.Timer | None = None  # warns unless partitions come first

    def on_partitions_revoked(self, revoked: Any) -> None:
        if revoked:
            self.service.rebalances += 1
            self.service.scorer.release_calls()

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("assigned partitions: %s", sorted((tp.topic, tp.partition) for tp in assigned))
        if self._empty is not None:
            self._empty.cancel()
            self._empty = None
        if not assigned:
            self._empty = threading.Timer(EMPTY_ASSIGNMENT_WARN_S, log.warning, args=(
                "no partitions assigned for %.0f s: the other members of consumer group %r hold "
                "them all (more scorers than partitions, or another install on this broker using "
                "the same group id); this scorer scores nothing", EMPTY_ASSIGNMENT_WARN_S,
                self.group_id))  # fmt: skip
            self._empty.daemon = True
            self._empty.start()


@dataclass(slots=True)
class _Held:
    """A batch published but not stored (the store failed): written again, never published again."""

    batch: StoreBatch
    stats: Stats
    records: dict[Any, list[Any]]  # what it was polled from, read again if it is given up
    rebalances: int  # the service's rebalance count when it was polled


class ScorerService:
    """Runs a :class:`Scorer` against Kafka and a store."""

    def __init__(self, settings: Settings, store: Store, scorer: Scorer | None = None,
                 consumer: KafkaConsumer | None = None, producer: KafkaProducer | None = None,
                 trainer: KafkaConsumer | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.topics = settings.topics
        self.store = store
        self.scorer = scorer or Scorer(
            hot_threshold=settings.hot_threshold, warm_threshold=settings.warm_threshold,
            timezone=settings.center_tz,
        )
        if scorer is None and checkpoint.restore(self.scorer, settings.checkpoint_path):
            log.info("restored model checkpoint %s", settings.checkpoint_path)
        self._resume_clock()
        self.stats = Stats()
        self.rebalances = 0  # partitions revoked so far (a batch held for the store checks it)
        self._held: _Held | None = None  # published, not yet stored
        self._figures_due = False  # examples learned whose figures the store does not hold yet
        self.report_every_s = HEARTBEAT_S  # the log line and the store heartbeat
        self.retention = Retention(store, settings.retention_days)
        self._last_checkpoint = time.monotonic()
        self.consumer = consumer or make_consumer(settings)
        self.consumer.subscribe(
            [self.topics.call_events, self.topics.supervisor_actions],
            listener=_ForgetOnRevoke(self, settings.group_id),
        )
        self.producer = producer or make_producer(settings)
        self._producer_failed = False  # a send failed: the next publish makes a new producer
        # Every replica learns from training-examples (one partition, one order), so
        # replicas agree; the owner of a call only publishes its examples.
        self.scorer.learn_inline = False
        try:
            self.trainer = trainer or self._make_trainer()
        except BaseException:
            self.consumer.close(autocommit=False)
            self.producer.close(timeout=10)
            raise

    def _make_trainer(self) -> KafkaConsumer:
        """A group-less reader of training-examples from where the model checkpoint left off.

        ConfigError if the topic has more than one partition: replicas must learn every
        example in one order to hold the same models, and Kafka orders a partition, not a
        topic (examples are keyed by call, so on several partitions this reader of
        partition 0 would silently miss most of them).
        """
        trainer = make_consumer(self.settings, group_id=None)
        topic = self.topics.training_examples
        partitions = len(trainer.partitions_for_topic(topic))  # from the broker's metadata
        if partitions != 1:
            # missing, it must not be left to the broker to create: Tansu creates a topic a
            # client asks about with 4 partitions (Kafka with num.partitions)
            trainer.close(autocommit=False)
            raise ConfigError(training_partitions(topic, partitions))
        tp = TopicPartition(topic, 0)
        trainer.assign([tp])
        if self.scorer.training_offset >= 0:
            trainer.seek(tp, self.scorer.training_offset + 1)
        else:
            trainer.seek_to_beginning(tp)
        return trainer

    def check_training_topic(self) -> None:
        """Log an error while ``training-examples`` has more than one partition.

        Checked at start (refused), and again with every checkpoint from the metadata the
        reader holds: a topic deleted and created again while the scorer runs (a restarted
        Tansu creates it with 4 partitions as soon as a client asks about it) would
        otherwise cost most of the learning without a word. Scoring goes on.
        """
        topic = self.topics.training_examples
        try:
            partitions = len(self.trainer.partitions_for_topic(topic))
        except KafkaError:  # no metadata now: checked again next time
            return
        if partitions > 1:
            log.error("%s; until then this replica learns partition 0 only",
                      training_partitions(topic, partitions))  # fmt: skip

    def _resume_clock(self) -> None:
        """Start the clock where the stored batches left it: an event moves it only so far
        past it (max_clock_jump_s), and a time-compressed run may be ahead of the wall clock."""
        try:
            stored = float(self.store.meta("event_time") or 0.0)
        except StoreError as exc:  # the first batch's write says so again, and waits for it
            log.warning("the store's event time is not readable yet: %s", exc)
            return
        except ValueError:
            return
        if math.isfinite(stored):
            self.scorer.clock = max(self.scorer.clock, stored)

    def learn_from_topic(self, timeout_ms: int = 0) -> int:
        """Learn the training examples published since the last call (by any replica)."""
        learned = 0
        records = self.trainer.poll(timeout_ms=timeout_ms, max_records=self.settings.learn_max_records)
        try:
            for tp, messages in records.items():
                for m in messages:
                    try:
                        example = example_from_dict(parse_object(m.value))
                    except (InvalidEvent, ValueError) as exc:
                        reason = exc.reason if isinstance(exc, InvalidEvent) else f"not JSON: {exc}"
                        record = dlq_record(reason, tp.topic, tp.partition, m.offset, m.key, m.value)
                        self._publish([(self.topics.dlq, record["key"] or "", record)])  # accepted, or raise
                        log.warning("DLQ %s@%s: %s", tp.topic, m.offset, reason)
                    else:
                        self.scorer.learn(example)
                        learned += 1
                    self.scorer.training_offset = m.offset
        except (KafkaError, BrokerError):  # the DLQ refused it: read on from the example it was for
            tp = TopicPartition(self.topics.training_examples, 0)
            self.trainer.seek(tp, self.scorer.training_offset + 1)
            raise
        finally:
            self.stats.learned += learned
            self._figures_due = self._figures_due or learned > 0
        return learned

    # --- one batch ------------------------------------------------------------------

    def _parse(self, records: dict[Any, list[Any]], stats: Stats, dlq: list[dict[str, Any]]
               ) -> list[tuple[Any, Any, Any]]:  # fmt: skip
        """(event or action, topic-partition, message) of each valid message."""
        parsed: list[tuple[CallEvent | SupervisorAction, Any, Any]] = []
        # the scorer's clock follows the events (replays and time-compressed runs run ahead
        # of the wall clock), but one event dated far ahead would age every live call past
        # idle_call_s at once: an event more than that ahead of both clocks is refused
        latest = max(self.scorer.clock, time.time()) + self.settings.idle_call_s
        for tp, messages in records.items():
            is_action = tp.topic == self.topics.supervisor_actions
            for m in messages:
                try:
                    item: CallEvent | SupervisorAction = (
                        parse_action(m.value) if is_action else parse_event(m.value)
                    )
                    key = None if m.key is None else m.key.decode("utf-8", "replace")
                    if key is not None and key != item.call_id:
                        raise InvalidEvent(f"message key {key!r} does not match call_id {item.call_id!r}")
                    if not is_action and item.ts.timestamp() > latest:
                        raise InvalidEvent(
                            f"ts {item.ts.isoformat()} is more than {self.settings.idle_call_s:g} s ahead "
                            "of both the wall clock and the latest event: a clock error")  # fmt: skip
                except InvalidEvent as exc:
                    dlq.append(dlq_record(exc.reason, tp.topic, tp.partition, m.offset, m.key, m.value))
                    stats.dlq += 1
                    continue
                parsed.append((item, tp, m))
        return parsed

    def process(self, records: dict[Any, list[Any]]) -> Stats:
        """Score one polled batch, publish what it produced, then write it; committing is the caller's.

        KafkaError (or BrokerError) if the publish failed: the batch is forgotten, to be
        polled again. StoreError if the write failed after the publish: the batch is held,
        and :meth:`run` writes it again without publishing it again.
        """
        rebalances = self.rebalances
        stats, dlq = Stats(batches=1), list[dict[str, Any]]()
        # Call events first, then supervisor actions: an action in the same batch is
        # about the call as the supervisor saw it, so it applies to the newest state.
        parsed = sorted(self._parse(records, stats, dlq),
                        key=lambda p: isinstance(p[0], SupervisorAction))  # fmt: skip
        adopt_stored(self.scorer, self.store, [item for item, _, _ in parsed])
        batch = StoreBatch()
        updates = []
        examples: list[TrainingExample] = []
        for item, tp, m in parsed:
            mark = batch.mark()
            try:
                if isinstance(item, SupervisorAction):
                    examples.extend(self.scorer.apply_action(item, batch).examples)
                    stats.actions += 1
                    continue
                # an event dated further ahead (up to idle_call_s, see _parse) is scored, but
                # leaves the clock where it is: one producer with a wrong clock must not age
                # every other live call past idle_call_s, nor set the wallboard's clocks ahead
                limit = max(self.scorer.clock, time.time()) + self.settings.max_clock_jump_s
                applied = self.scorer.apply(item, batch, tp.partition, m.offset, clock_limit=limit)
            except Exception as exc:
                # Scoring is pure computation, so this is a bug for one event's content. Raised,
                # it would stop the scorer at this event after every restart (its offset is never
                # committed) and the whole partition with it; in the DLQ, with the traceback in
                # the log, the event is kept and the other calls go on. The rows it had added are
                # dropped; the call's state keeps its seq (a replay of the event is a duplicate).
                batch.rollback(mark)
                log.exception("scoring failed on %s[%s]@%s", tp.topic, tp.partition, m.offset)
                reason = f"the scorer failed on this event ({type(exc).__name__}: {exc})"[:400]
                dlq.append(dlq_record(f"{reason}; a bug, please report it", tp.topic, tp.partition,
                                      m.offset, m.key, m.value))  # fmt: skip
                stats.dlq += 1
                continue
            if applied.duplicate:
                stats.duplicates += 1
                continue
            if applied.refused:
                dlq.append(dlq_record(applied.refused, tp.topic, tp.partition, m.offset, m.key, m.value))
                stats.dlq += 1
                continue
            stats.events += 1
            updates.extend(applied.updates)
            examples.extend(applied.examples)
        self.scorer.flush(batch)
        batch.meta["validation"] = self.scorer.validation_json()
        batch.meta["event_time"] = repr(self.scorer.clock)
        stats.examples, stats.updates = len(examples), len(updates)
        # Publish, then write. Once the store holds the batch, its events are duplicates
        # to a restarted scorer and what they produced would never be published again;
        # published first, a crash before the write replays the batch and publishes it
        # again instead (call-scores readers dedupe by (call_id, seq), replicas learn an
        # example's key once). A store that fails after the publish gets this batch again
        # (run() holds it), not a new scoring and publishing of its events.
        sends = [(self.topics.call_scores, u.call_id, u.to_dict()) for u in updates]
        sends += [(self.topics.training_examples, x.call_id, x.to_dict()) for x in examples]
        sends += [(self.topics.dlq, record["key"] or "", record) for record in dlq]
        try:
            self._publish(sends)
        except (KafkaError, BrokerError):
            self._forget(batch)
            raise
        for record in dlq:
            log.warning("DLQ %s[%s]@%s: %s", record["topic"], record["partition"], record["offset"],
                        record["reason"])  # fmt: skip
        self._held = _Held(batch, stats, records, rebalances)
        self._write(batch)  # StoreError: the batch stays held, for run() to write again
        self._held = None
        return stats

    def _publish(self, sends: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Send (topic, key, object) each, flush, and raise unless the broker accepted all.

        kafka-python's ``flush()`` does not raise for a record the broker refused, nor for
        one a producer in a fatal state aborted (after a broker restart, say: it then fails
        every send, logging each batch it aborts): only the futures say. A failed send
        leaves the producer marked, and the next publish makes a new one.
        """
        producer = self._producer_ready()
        futures = [send_json(producer, topic, key, obj) for topic, key, obj in sends]
        try:
            await_sends(producer, futures, timeout_s=30)
        except SendFailed:
            self._producer_failed = True
            raise

    def _producer_ready(self) -> KafkaProducer:
        """The producer, or a new one in place of one whose send failed (BrokerError if no
        broker answers the new one: the loop tries again after its pause)."""
        if self._producer_failed:
            close_quietly(self.producer)  # its futures are done: this does not wait
            self.producer = make_producer(self.settings)
            self._producer_failed = False
            log.warning("a new producer replaces the one whose sends failed")
        return self.producer

    def _forget(self, batch: StoreBatch) -> None:
        """After a batch that was not stored: the scorer forgets the calls it changed, so
        that its replay takes them over from the store as it was, not as the lost batch
        left them in memory (where its events would look like duplicates)."""
        self.scorer.forget_calls(batch.call_ids())

    def _rewind(self, records: dict[Any, list[Any]]) -> None:
        """Poll a batch that was not stored again, from its first offset per partition."""
        assigned = self.consumer.assignment()
        for tp, messages in records.items():
            if messages and tp in assigned:
                self.consumer.seek(tp, messages[0].offset)

    def _write(self, batch: StoreBatch, attempts: int = 2) -> None:
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

    def _write_held(self) -> Stats | None:
        """Write the batch held since its store write failed, not publishing it again;
        StoreError if it fails again. Its stats once written; None if it was given up.

        A batch is given up if partitions were revoked since it was polled: they may belong
        to another replica now, which reads them from the last commit, and a write of this
        batch could overwrite the newer state it stores. Its calls are forgotten and the
        partitions this replica kept are rewound to the batch's first offsets (kafka-python
        keeps a kept partition's position across a rebalance: without the rewind the batch
        would be skipped). Its output is published again when it is read again.
        """
        held = self._held
        assert held is not None
        if held.rebalances != self.rebalances:
            self._held = None
            self._forget(held.batch)
            self._rewind(held.records)
            log.warning("partitions were reassigned while a batch waited for the store: it is read "
                        "again (by the replica that owns each partition now), not written")  # fmt: skip
            return None
        self._write(held.batch)
        self._held = None
        return held.stats

    def _commit(self) -> None:
        """Commit the batch's offsets, which the store already holds.

        A failed commit is safe to go on from: a batch that outlasted the poll interval
        (a busy machine) puts this consumer out of its group, its partitions go to a
        replica (or back to this one when it rejoins at the next poll), and that owner
        replays from the last commit, where the stored events are duplicates.
        """
        try:
            self.consumer.commit()
        except KafkaError as exc:
            log.warning("offset commit failed, the batch is stored and its replay will be "
                        "skipped as duplicates: %s", exc)  # fmt: skip

    # --- the loop -------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, max_batches: int | None = None) -> Stats:
        """Consume until ``stop`` is set (or ``max_batches`` non-empty batches are done)."""
        stop = stop or threading.Event()
        last_log, window = time.monotonic(), Stats()
        failures = 0  # in a row: reset only by a batch (or the figures) written, not an empty poll
        behind = False  # more training examples wait than a turn learns: do not idle on events
        try:
            while not stop.is_set():
                unstored: dict[Any, list[Any]] = {}  # a polled batch until it is published
                try:
                    if self._held is not None:
                        # published, its store write failed: write it again, do not publish again
                        held = self._write_held()
                        if held is not None:
                            self._done(held, window)
                            failures = 0
                    else:
                        records = unstored = self.consumer.poll(
                            timeout_ms=0 if behind else self.settings.poll_timeout_ms,
                            max_records=self.settings.batch_max_records,
                        )
                        # Learn first: the figures count examples as they are learned, and
                        # the batch written next carries them. With no batch (a quiet floor,
                        # the feedback the last thing to happen) they are written on their
                        # own. Learned after a batch, they would wait for the next event.
                        learned = self.learn_from_topic()
                        window.learned += learned
                        behind = learned >= self.settings.learn_max_records
                        if records:
                            stats = self.process(records)  # published, then written
                            unstored = {}
                            self._done(stats, window)
                            failures = 0
                        elif self._figures_due:
                            self._write(StoreBatch(meta={"validation": self.scorer.validation_json()}))
                            self._figures_due = False
                            failures = 0
                    if max_batches is not None and self.stats.batches >= max_batches:
                        break
                    if time.monotonic() - self._last_checkpoint >= self.settings.checkpoint_every_s:
                        self.checkpoint()
                        self.check_training_topic()
                        self.close_idle_calls()
                        self.retention.tick()  # calls past the retention period: hourly
                except FAILURES as exc:
                    # the broker or the store is failing: keep the process; a batch not
                    # published is polled again, one published but not stored is held and
                    # written again (its calls start again from the store's state otherwise)
                    failures += 1
                    delay = min(30.0, 2.0**failures)
                    log.error("broker or store failing, retrying in %.0f s: %s", delay, exc)
                    if self._held is None:
                        self._rewind(unstored)
                    self._pause(delay, stop)
                    continue
                now = time.monotonic()
                if now - last_log >= self.report_every_s:
                    self.report(window, now - last_log)
                    last_log, window = now, Stats()
        finally:
            self.checkpoint()
        return self.stats

    def _done(self, stats: Stats, window: Stats) -> None:
        """A batch is stored: commit its offsets and count it."""
        self._figures_due = False  # the batch carried them
        self._commit()
        self.stats.add(stats)
        window.add(stats)

    def _pause(self, seconds: float, stop: threading.Event) -> None:
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
        slice_s = min(1.0, self.settings.max_poll_interval_ms / 4000)
        try:
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                self.consumer.pause(*self.consumer.assignment())
                records = self.consumer.poll(timeout_ms=max(1, int(min(left, slice_s) * 1000)), max_records=1)
                self._rewind(records)
        except KafkaError as exc:  # polling failed too: wait out the rest without it
            log.warning("polling while paused failed: %s", exc)
            stop.wait(max(0.0, deadline - time.monotonic()))
        finally:
            self.consumer.resume(*self.consumer.paused())

    def lag(self) -> int | None:
        """Events on assigned partitions not consumed yet (None if the broker won't say)."""
        assigned = list(self.consumer.assignment())
        if not assigned:
            return None
        try:
            ends = self.consumer.end_offsets(assigned)
        except KafkaError:
            return None
        return sum(max(0, ends[tp] - self.consumer.position(tp)) for tp in assigned if tp in ends)

    def report(self, window: Stats, seconds: float) -> None:
        """Log the last window's figures and leave a heartbeat in the store for operators.

        A heartbeat the store does not take (an outage) is logged and left to the next
        report: the figures are only a heartbeat, and the scorer goes on.
        """
        lag = self.lag()
        figures = {
            "at": time.time(), "events_per_s": round(window.events / seconds, 1),
            "events": window.events, "actions": window.actions, "dlq": window.dlq,
            "duplicates": window.duplicates, "learned": window.learned,
            "calls_in_memory": len(self.scorer.calls), "lag": lag, "group_id": self.settings.group_id,
        }  # fmt: skip
        log.info("scored %d events (%.0f/s), %d actions, %d to DLQ, %d duplicates, "
                 "learned %d examples, %d calls in memory, lag %s", window.events,
                 figures["events_per_s"], window.actions, window.dlq, window.duplicates,
                 window.learned, len(self.scorer.calls), "unknown" if lag is None else lag)  # fmt: skip
        try:
            self._write(StoreBatch(meta={"scorer": json.dumps(figures)}), attempts=1)
        except StoreError as exc:
            log.error("heartbeat not written, tried again in %.0f s: %s", self.report_every_s, exc)

    def close_idle_calls(self) -> int:
        batch = StoreBatch()
        closed = self.scorer.evict_idle(batch, self.scorer.clock - self.settings.idle_call_s)
        if closed:
            try:
                self._write(batch)
            except StoreError:
                self._forget(batch)
                raise
            log.warning("closed %d calls with no event for %.0f s as interrupted", closed,
                        self.settings.idle_call_s)  # fmt: skip
        return closed

    def checkpoint(self) -> None:
        self._last_checkpoint = time.monotonic()
        try:
            checkpoint.save(self.scorer, self.settings.checkpoint_path)
        except OSError as exc:  # a full disk: what was learned is still in memory
            log.error("model checkpoint not saved to %s: %s", self.settings.checkpoint_path, exc)

    def close(self) -> None:
        # kafka-python 3.0's IO thread can log a spurious "Error receiving network data"
        # traceback when a socket closes under it at shutdown; nothing is lost (offsets
        # were committed after the last batch), so keep the shutdown log clean.
        transport = logging.getLogger("kafka.net.transport")
        level = transport.level
        transport.setLevel(logging.CRITICAL)
        try:
            try:
                self.consumer.close(autocommit=False)
                self.trainer.close(autocommit=False)
            finally:
                self.producer.close(timeout=10)
        finally:
            transport.setLevel(level)
