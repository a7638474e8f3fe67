"""The ``training-examples`` topic as every scorer replica reads it: one partition, so one
order, learned from where the model checkpoint left off (replicas that learn the same
examples in the same order hold the same models)."""

from __future__ import annotations

import logging
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streaming.errors import BrokerError, ConfigError, InvalidEvent
from streaming.intake import dlq_record
from streaming.jsonl import parse_object
from streaming.kafka_io import make_consumer
from streaming.offsets import END_OFFSETS_TIMEOUT_MS
from streaming.publisher import Publisher
from streaming.scoring import Scorer, example_from_dict
from streaming.settings import Settings, Topics

# the scorer service's lines, under its one logger name, wherever they are written from
log = logging.getLogger("streaming.consumer")


def training_partitions(topic: str, partitions: int) -> str:
    """The one line for a ``training-examples`` topic of several partitions, or none (0)."""
    if not partitions:
        return (f"{topic} does not exist; it needs exactly 1 partition so every replica learns in "
                "the same order: create it with one partition (`callheat broker` and `callheat run` "
                "create the topics on the broker they start; on another broker, use its own tools, "
                "e.g. kafka-topics.sh --create --partitions 1)")  # fmt: skip
    return (f"{topic} has {partitions} partitions; it needs exactly 1 so every replica learns in "
            "the same order: recreate it with one partition")  # fmt: skip


def open_trainer(settings: Settings, training_offset: int) -> KafkaConsumer:
    """A group-less reader of training-examples from after ``training_offset`` (the model
    checkpoint's; from the beginning if it is negative).

    ConfigError if the topic has more than one partition: replicas must learn every
    example in one order to hold the same models, and Kafka orders a partition, not a
    topic (examples are keyed by call, so on several partitions this reader of
    partition 0 would silently miss most of them).
    """
    trainer = make_consumer(settings, group_id=None)
    topic = settings.topics.training_examples
    partitions = len(trainer.partitions_for_topic(topic))  # from the broker's metadata
    if partitions != 1:
        # missing, it must not be left to the broker to create: Tansu creates a topic a
        # client asks about with 4 partitions (Kafka with num.partitions)
        trainer.close(autocommit=False)
        raise ConfigError(training_partitions(topic, partitions))
    tp = TopicPartition(topic, 0)
    trainer.assign([tp])
    if training_offset >= 0:
        trainer.seek(tp, training_offset + 1)  # TrainingReader checks the topic reaches it
    else:
        trainer.seek_to_beginning(tp)
    return trainer


def _reset(trainer: KafkaConsumer, tp: TopicPartition, training_offset: int,
           training_key: str | None) -> bool:  # fmt: skip
    """Whether ``tp`` is not the topic the model learned up to ``training_offset`` from: it was
    made again, or its broker lost its log (the embedded broker keeps topics in memory, so a
    second ``callheat run`` finds it empty). Read on from the old offset, the new examples
    below it would be skipped without a word. Said in one line; the reader then reads the
    topic from its beginning. Leaves ``trainer`` at the example after ``training_offset``.

    Told by the example at ``training_offset``: another key than the one learned there
    (``training_key``), or none there while the topic ends at or before it. (Tansu's end
    offset can lag behind a batch of several examples, so the end alone would mistake a
    topic being written for one made again.)
    """
    try:
        end = trainer.end_offsets([tp], timeout_ms=END_OFFSETS_TIMEOUT_MS).get(tp)
        there = _key_at(trainer, tp, training_offset)
    except KafkaError:  # no answer now: read on from where we are
        trainer.seek(tp, training_offset + 1)
        return False
    trainer.seek(tp, training_offset + 1)
    if there is None:  # nothing at that offset
        made_again = end is not None and end <= training_offset
    else:
        made_again = training_key is not None and there != training_key
    if made_again:
        log.warning("%s holds other examples than the model learned up to offset %d (it ends at %s): "
                    "the topic was created again or its broker lost its log; learning it from its "
                    "beginning", tp.topic, training_offset, end)  # fmt: skip
    return made_again


def _key_at(trainer: KafkaConsumer, tp: TopicPartition, offset: int, wait_s: float = 2.0) -> str | None:
    """The key of the example at ``offset`` ("" if it has none), or None if there is none
    there (within ``wait_s``; a broker that lost its log returns nothing for it)."""
    trainer.seek(tp, offset)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for m in trainer.poll(timeout_ms=200, max_records=1).get(tp, []):
            if m.offset != offset:  # gone (a retention limit): no example to compare with
                return None
            try:
                value = parse_object(m.value)
            except ValueError:
                return ""
            key = value.get("key")
            return key if isinstance(key, str) else ""
    return None


class TrainingReader:
    """Learns into ``scorer`` what ``trainer`` (:func:`open_trainer`) reads; a malformed
    example goes to the DLQ through ``publisher``."""

    def __init__(self, trainer: KafkaConsumer, scorer: Scorer, topics: Topics, max_records: int,
                 publisher: Publisher) -> None:  # fmt: skip
        self.trainer = trainer
        self.scorer = scorer
        self.topics = topics
        self.max_records = max_records
        self.publisher = publisher
        self.learned = 0  # examples learned so far
        self.check_reset()

    def learn(self, timeout_ms: int = 0) -> int:
        """Learn the training examples published since the last call (by any replica);
        how many. The scorer's ``training_offset`` follows, for the checkpoint.

        KafkaError (or BrokerError) if a malformed example's DLQ send failed: the reader
        is put back to it, to be read again. ``learned`` counts what was learned before.
        """
        learned = 0
        records = self.trainer.poll(timeout_ms=timeout_ms, max_records=self.max_records)
        try:
            for tp, messages in records.items():
                for m in messages:
                    example = None
                    try:
                        example = example_from_dict(parse_object(m.value))
                    except (InvalidEvent, ValueError) as exc:
                        reason = exc.reason if isinstance(exc, InvalidEvent) else f"not JSON: {exc}"
                        record = dlq_record(reason, tp.topic, tp.partition, m.offset, m.key, m.value)
                        self.publisher.publish([(self.topics.dlq, record["key"] or "", record)])  # or raise
                        log.warning("DLQ %s@%s: %s", tp.topic, m.offset, reason)
                    else:
                        self.scorer.learn(example)
                        learned += 1
                    self.scorer.training_offset = m.offset
                    self.scorer.training_key = example.key if example is not None else None
        except (KafkaError, BrokerError):  # the DLQ refused it: read on from the example it was for
            tp = TopicPartition(self.topics.training_examples, 0)
            self.trainer.seek(tp, self.scorer.training_offset + 1)
            raise
        finally:
            self.learned += learned
        return learned

    def check_reset(self) -> None:
        """Read ``training-examples`` from its beginning once it holds other examples than the
        model learned (:func:`_reset`): at start, and with every checkpoint."""
        scorer = self.scorer
        tp = TopicPartition(self.topics.training_examples, 0)
        if scorer.training_offset >= 0 and _reset(self.trainer, tp, scorer.training_offset,
                                                  scorer.training_key):  # fmt: skip
            self.trainer.seek_to_beginning(tp)
            scorer.training_offset, scorer.training_key = -1, None  # the checkpoint's position too

    def check_partitions(self) -> None:
        """Log an error while ``training-examples`` has more than one partition, and read it
        from its beginning again once it holds other examples than the model learned
        (:meth:`check_reset`).

        Checked at start (refused, by :func:`open_trainer`), and again with every checkpoint
        from the metadata the reader holds: a topic deleted and created again while the
        scorer runs (a restarted Tansu creates it with 4 partitions as soon as a client asks
        about it) would otherwise cost most of the learning without a word. Scoring goes on.
        """
        self.check_reset()
        topic = self.topics.training_examples
        try:
            partitions = len(self.trainer.partitions_for_topic(topic))
        except KafkaError:  # no metadata now: checked again next time
            return
        if partitions > 1:
            log.error("%s; until then this replica learns partition 0 only",
                      training_partitions(topic, partitions))  # fmt: skip
