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

This module runs the parts, one job each: :mod:`streaming.intake`, :mod:`streaming.rebalance`,
:mod:`streaming.training_topic`, :mod:`streaming.publisher`, :mod:`streaming.batch_writer`,
:mod:`streaming.offsets` and :mod:`streaming.stats`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from streaming import center_files, checkpoint, offsets, status
from streaming.batch_writer import BatchWriter, Held
from streaming.center_files import CenterFiles
from streaming.errors import BrokerError, StoreError
from streaming.events import SupervisorAction
from streaming.intake import DLQ_KEEP_BYTES, dlq_record, parse_polled
from streaming.kafka_io import make_consumer, make_producer
from streaming.publisher import Publisher
from streaming.rebalance import ForgetOnRevoke, adopt_idle, adopt_stored
from streaming.retention import Retention
from streaming.scoring import Scorer, TrainingExample
from streaming.settings import HEARTBEAT_S, Settings
from streaming.stats import Stats
from streaming.store import Store, StoreBatch
from streaming.store import meta as meta_keys
from streaming.training_topic import TrainingReader, open_trainer, training_partitions

__all__ = ["DLQ_KEEP_BYTES", "FAILURES", "ScorerService", "Stats", "adopt_stored", "dlq_record",
           "training_partitions"]  # fmt: skip

log = logging.getLogger(__name__)
# what the run loop retries after a pause: a broker or store failing, or no broker for a new producer
FAILURES = (KafkaError, StoreError, BrokerError)


class ScorerService:
    """Runs a :class:`Scorer` against Kafka and a store."""

    def __init__(self, settings: Settings, store: Store, scorer: Scorer | None = None,
                 consumer: KafkaConsumer | None = None, producer: KafkaProducer | None = None,
                 trainer: KafkaConsumer | None = None, files: CenterFiles | None = None) -> None:  # fmt: skip
        """``files``: the center's phrase lists and playbook wording (else loaded from the
        files ``settings`` name), for the scorer made here when ``scorer`` is None."""
        self.settings = settings
        self.topics = settings.topics
        self.store = store
        if scorer is None:
            files = files or center_files.load(settings)
            self.scorer = Scorer(
                hot_threshold=settings.hot_threshold, warm_threshold=settings.warm_threshold,
                center=settings.center_clock, phrases=files.phrases, playbook=files.playbook,
            )
        else:
            self.scorer = scorer
        if scorer is None and checkpoint.restore(self.scorer, settings.checkpoint_path):
            log.info("restored model checkpoint %s", settings.checkpoint_path)
        self._resume_clock()
        self.stats = Stats()
        self._figures_due = False  # examples learned whose figures the store does not hold yet
        self.report_every_s = HEARTBEAT_S  # the log line and the store heartbeat
        self.replica = status.replica_name()  # its heartbeat's name (callheat status)
        self._forgot_gone = False  # the heartbeats of replicas long gone: deleted once
        self.retention = Retention(store, settings.retention_days)
        self._last_checkpoint = time.monotonic()
        self._failing_since = 0.0  # monotonic time the current failure in a row began
        self.partition_times: dict[tuple[str, int], float] = {}  # the latest event time taken per partition
        # when the event that set the scorer's clock was sent (its Kafka timestamp): near the
        # clock live, however quiet the floor since; hours away in a replay that keeps its
        # recording's times, or a --speed run
        self.clock_sent_at: float | None = None
        self.consumer = consumer or make_consumer(settings)
        self.rebalance = ForgetOnRevoke(self.scorer, settings.group_id)
        self.consumer.subscribe(
            [self.topics.call_events, self.topics.supervisor_actions], listener=self.rebalance
        )
        self.writer = BatchWriter(store, self.scorer, self.consumer)
        self.publisher = Publisher(settings, producer or make_producer(settings))
        # Every replica learns from training-examples (one partition, one order), so
        # replicas agree; the owner of a call only publishes its examples.
        self.scorer.learn_inline = False
        try:
            self.trainer = trainer or open_trainer(settings, self.scorer.training_offset)
        except BaseException:
            self.consumer.close(autocommit=False)
            self.producer.close(timeout=10)
            raise
        self.training = TrainingReader(self.trainer, self.scorer, self.topics, settings.learn_max_records,
                                       self.publisher)  # fmt: skip

    @property
    def producer(self) -> KafkaProducer:
        """The producer in use (a new one replaces one whose send failed)."""
        return self.publisher.producer

    def _resume_clock(self) -> None:
        """Start the clock where the stored batches left it: an event moves it only so far
        past it (max_clock_jump_s), and a time-compressed run may be ahead of the wall clock."""
        try:
            stored = float(self.store.meta(meta_keys.EVENT_TIME) or 0.0)
        except StoreError as exc:  # the first batch's write says so again, and waits for it
            log.warning("the store's event time is not readable yet: %s", exc)
            return
        except ValueError:
            return
        if math.isfinite(stored):
            self.scorer.clock = max(self.scorer.clock, stored)

    def check_training_topic(self) -> None:
        """Log an error while ``training-examples`` has more than one partition (see
        :meth:`~streaming.training_topic.TrainingReader.check_partitions`)."""
        self.training.check_partitions()

    def learn_from_topic(self, timeout_ms: int = 0) -> int:
        """Learn the training examples published since the last call (by any replica)."""
        before = self.training.learned
        try:
            return self.training.learn(timeout_ms)
        finally:  # counted also when a DLQ send failed after some were learned
            learned = self.training.learned - before
            self.stats.learned += learned
            self._figures_due = self._figures_due or learned > 0

    # --- one batch ------------------------------------------------------------------

    def process(self, records: dict[Any, list[Any]]) -> Stats:
        """Score one polled batch, publish what it produced, then write it; committing is the caller's.

        KafkaError (or BrokerError) if the publish failed: the batch is forgotten, to be
        polled again. StoreError if the write failed after the publish: the batch is held,
        and :meth:`run` writes it again without publishing it again.
        """
        revocations = self.rebalance.revocations
        stats, dlq = Stats(batches=1), list[dict[str, Any]]()
        # Call events first, then supervisor actions: an action in the same batch is
        # about the call as the supervisor saw it, so it applies to the newest state.
        parsed = sorted(parse_polled(records, self.topics.supervisor_actions, self.scorer.clock,
                                     self.settings.idle_call_s, dlq, self.partition_times),
                        key=lambda p: isinstance(p[0], SupervisorAction))  # fmt: skip
        stats.dlq = len(dlq)
        adopt_stored(self.scorer, self.store, [item for item, _, _ in parsed])
        batch = StoreBatch()
        updates = []
        examples: list[TrainingExample] = []
        unsure: dict[Any, list[int]] = {}  # topic-partition -> offsets of duplicates by offset alone
        for item, tp, m in parsed:
            mark = batch.mark()
            # an item dated further ahead (up to idle_call_s, see parse_polled) is taken, but
            # leaves the clock where it is: one producer with a wrong clock must not age every
            # other live call past idle_call_s, nor set the wallboard's clocks ahead; an action
            # is taken as dated no later than this (its call's clock, the row's time)
            wall = time.time()
            limit = max(self.scorer.clock, wall) + self.settings.max_clock_jump_s
            try:
                if isinstance(item, SupervisorAction):
                    # (a replay that keeps its recording's times, or a --speed run, sets event
                    # time hours away from the wallboard's clock: no click can be set against
                    # a call's end then; told by the events' own send times, as the scorer's
                    # clock stands still on a quiet floor)
                    agree = (self.clock_sent_at is None or
                             abs(self.scorer.clock - self.clock_sent_at) <= self.settings.max_clock_jump_s)
                    applied = self.scorer.apply_action(item, batch, clock_limit=limit, clocks_agree=agree)
                    if applied.refused:
                        dlq.append(dlq_record(applied.refused, tp.topic, tp.partition, m.offset, m.key,
                                              m.value))  # fmt: skip
                        stats.dlq += 1
                        continue
                    examples.extend(applied.examples)
                    stats.actions += 1
                    continue
                clock = self.scorer.clock
                applied = self.scorer.apply(item, batch, tp.partition, m.offset, clock_limit=limit)
                if self.scorer.clock != clock and getattr(m, "timestamp", None):
                    self.clock_sent_at = m.timestamp / 1000
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
                if applied.offset_only:
                    unsure.setdefault(tp, []).append(m.offset)
                continue
            if applied.refused:
                dlq.append(dlq_record(applied.refused, tp.topic, tp.partition, m.offset, m.key, m.value))
                stats.dlq += 1
                continue
            stats.events += 1
            updates.extend(applied.updates)
            examples.extend(applied.examples)
        self.scorer.flush(batch)
        batch.meta[meta_keys.VALIDATION] = self.scorer.validation_json()
        batch.meta[meta_keys.EVENT_TIME] = repr(self.scorer.clock)
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
        resets, self.scorer.partition_resets = self.scorer.partition_resets, {}
        try:
            self.publisher.publish(sends)
        except (KafkaError, BrokerError):
            self.writer.forget(batch)
            raise
        for record in dlq:
            log.warning("DLQ %s[%s]@%s: %s", record["topic"], record["partition"], record["offset"],
                        record["reason"])  # fmt: skip
        self._log_delivery(resets, unsure)
        # StoreError: the batch stays held, for run() to write again
        self.writer.store_published(Held(batch, stats, records, revocations))
        return stats

    def _log_delivery(self, resets: dict[int, int], unsure: dict[Any, list[int]]) -> None:
        """Say what a batch found of partition resets (see :mod:`streaming.scoring.delivery`):
        one line per partition whose offsets started again, and one per partition where events
        without seq were skipped as replays by their offset alone."""
        for partition, n in sorted(resets.items()):
            log.warning("%s[%s]: offsets started again below those already applied (a recreated topic, "
                        "or a broker that restarted empty): %d calls forgot the offsets they had noted "
                        "on it, and take its events as new", self.topics.call_events, partition,
                        n)  # fmt: skip
        for tp, at in sorted(unsure.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            log.warning("%s[%s]: %d events (offsets %d-%d) skipped as replays by their offset alone (without "
                        "seq, or with one their call never applied, at offsets it had noted); had this "
                        "partition been reset (a recreated topic, a broker that restarted empty), they "
                        "were new and were not scored",
                        tp.topic, tp.partition, len(at), min(at), max(at))  # fmt: skip

    # --- the loop -------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, max_batches: int | None = None) -> Stats:
        """Consume until ``stop`` is set (or ``max_batches`` non-empty batches are done)."""
        stop = stop or threading.Event()
        last_log, window = time.monotonic(), Stats()
        stopped = False  # cleanly, not by an exception
        broker_failing = False  # the last failure was the broker's, not the store's
        failures = 0  # in a row: reset only by a batch (or the figures) written, not an empty poll
        behind = False  # more training examples wait than a turn learns: do not idle on events
        self.rebalance.start()
        try:
            while not stop.is_set():
                unstored: dict[Any, list[Any]] = {}  # a polled batch until it is published
                try:
                    if self.writer.held is not None:
                        # published, its store write failed: write it again, do not publish again
                        held = self.writer.retry_held(self.rebalance.revocations)
                        if held is not None:
                            self._done(held, window)
                            failures = self._recovered(failures)
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
                            failures = self._recovered(failures)
                        elif self._figures_due and not (failures and broker_failing):
                            # (while the broker fails, they wait for the batch that ends the
                            # failure: a store that takes them says nothing of a broker that is
                            # down, and the write would make the wallboard look fresh; after a
                            # store failure, their write is what says the store is back)
                            figures = {meta_keys.VALIDATION: self.scorer.validation_json()}
                            self.writer.write(StoreBatch(meta=figures))
                            self._figures_due = False
                            failures = self._recovered(failures)
                    if max_batches is not None and self.stats.batches >= max_batches:
                        break
                    self.retention.tick()  # calls past the retention period: hourly (a no-op between)
                    if time.monotonic() - self._last_checkpoint >= self.settings.checkpoint_every_s:
                        self.checkpoint()
                        self.check_training_topic()
                        self.close_idle_calls()
                except FAILURES as exc:
                    # the broker or the store is failing: keep the process; a batch not
                    # published is polled again, one published but not stored is held and
                    # written again (its calls start again from the store's state otherwise)
                    failures += 1
                    if failures == 1:
                        self._failing_since = time.monotonic()
                    broker_failing = not isinstance(exc, StoreError)
                    delay = min(30.0, 2.0**failures)
                    log.error("broker or store failing, retrying in %.0f s: %s", delay, exc)
                    if self.writer.held is None:
                        offsets.rewind(self.consumer, unstored)
                    offsets.pause(self.consumer, delay, stop, self.settings.max_poll_interval_ms)
                    continue
                now = time.monotonic()
                if now - last_log >= self.report_every_s:
                    failing = now - self._failing_since if failures and broker_failing else None
                    if self.report(window, now - last_log, failing) and failures and not broker_failing:
                        # the store takes writes again: on a quiet floor no batch would say so
                        failures = self._recovered(failures)
                    last_log, window = now, Stats()
            stopped = True
        finally:
            self.rebalance.close()
            self.checkpoint()
            if stopped:  # so callheat status says so at once, not once the heartbeat is stale
                self._heartbeat({"stopped": True})
        return self.stats

    def _recovered(self, failures: int) -> int:
        """After a write that worked: say once how long the failure in a row lasted; 0."""
        if failures:
            log.warning("broker and store answering again after %.0f s (%d failed tries)",
                        time.monotonic() - self._failing_since, failures)  # fmt: skip
        return 0

    def _done(self, stats: Stats, window: Stats) -> None:
        """A batch is stored: commit its offsets and count it."""
        self._figures_due = False  # the batch carried them
        offsets.commit(self.consumer)
        self.stats.add(stats)
        window.add(stats)

    def partitions(self) -> set[int]:
        """The partitions of ``call-events`` assigned to this replica."""
        return {tp.partition for tp in self.consumer.assignment() if tp.topic == self.topics.call_events}

    def lag(self) -> int | None:
        """Events on assigned partitions not consumed yet (None if the broker won't say)."""
        return offsets.lag(self.consumer)

    def report(self, window: Stats, seconds: float, failing_s: float | None = None) -> bool:
        """Log the last window's figures and leave a heartbeat in the store for operators;
        ``failing_s``: how long the broker has been failing, if it is (the heartbeat says so,
        and does not keep the wallboard fresh). Whether the store took the heartbeat.

        A heartbeat the store does not take (an outage) is logged and left to the next
        report: the figures are only a heartbeat, and the scorer goes on.
        """
        lag = self.lag()
        figures = {
            "events_per_s": round(window.events / seconds, 1),
            "events": window.events, "actions": window.actions, "dlq": window.dlq,
            "duplicates": window.duplicates, "learned": window.learned,
            "calls_in_memory": len(self.scorer.calls), "lag": lag,
            "partitions": len(self.partitions()),
        }  # fmt: skip
        if failing_s is not None:
            figures["failing_s"] = round(failing_s, 1)
        log.info("scored %d events (%.0f/s), %d actions, %d to DLQ, %d duplicates, "
                 "learned %d examples, %d calls in memory, lag %s", window.events,
                 figures["events_per_s"], window.actions, window.dlq, window.duplicates,
                 window.learned, len(self.scorer.calls), "unknown" if lag is None else lag)  # fmt: skip
        return self._heartbeat(figures)

    def _heartbeat(self, figures: dict[str, Any]) -> bool:
        """Leave this replica's heartbeat in the store (and, once, forget replicas long gone);
        whether the store took it."""
        figures = {"at": time.time(), **figures, "replica": self.replica, "group_id": self.settings.group_id}
        try:
            forget = [] if self._forgot_gone else status.long_gone(self.store, figures["at"])
            self.writer.write(status.heartbeat_batch(self.replica, figures, forget), attempts=1)
            self._forgot_gone = True
            return True
        except StoreError as exc:
            log.error("heartbeat not written, tried again in %.0f s: %s", self.report_every_s, exc)
            return False

    def close_idle_calls(self) -> int:
        """Close the calls with no event for ``idle_call_s`` (a lost ``call_ended``), the idle
        ones of this replica's partitions that it does not hold (since a rebalance or a
        restart) among them."""
        batch = StoreBatch()
        older_than = self.scorer.clock - self.settings.idle_call_s
        mine = self.partitions()
        times = {p: t for (topic, p), t in self.partition_times.items()
                 if topic == self.topics.call_events and p in mine}  # fmt: skip
        adopt_idle(self.scorer, self.store, times, self.settings.idle_call_s)
        closed = self.scorer.evict_idle(batch, older_than)
        if closed:
            try:
                self.writer.write(batch)
            except StoreError:
                self.writer.forget(batch)
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
        self.rebalance.close()
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
