"""The ``training-examples`` topic as every scorer replica reads it: one partition, so one
order, learned from where the model checkpoint left off (replicas that learn the same
examples in the same order hold the same models)."""

from __future__ import annotations

import logging

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streaming.errors import BrokerError, ConfigError, InvalidEvent
from streaming.intake import dlq_record
from streaming.jsonl import parse_object
from streaming.kafka_io import make_consumer
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
        trainer.seek(tp, training_offset + 1)
    else:
        trainer.seek_to_beginning(tp)
    return trainer


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
        except (KafkaError, BrokerError):  # the DLQ refused it: read on from the example it was for
            tp = TopicPartition(self.topics.training_examples, 0)
            self.trainer.seek(tp, self.scorer.training_offset + 1)
            raise
        finally:
            self.learned += learned
        return learned

    def check_partitions(self) -> None:
        """Log an error while ``training-examples`` has more than one partition.

        Checked at start (refused, by :func:`open_trainer`), and again with every checkpoint
        from the metadata the reader holds: a topic deleted and created again while the
        scorer runs (a restarted Tansu creates it with 4 partitions as soon as a client asks
        about it) would otherwise cost most of the learning without a word. Scoring goes on.
        """
        topic = self.topics.training_examples
        try:
            partitions = len(self.trainer.partitions_for_topic(topic))
        except KafkaError:  # no metadata now: checked again next time
            return
        if partitions > 1:
            log.error("%s; until then this replica learns partition 0 only",
                      training_partitions(topic, partitions))  # fmt: skip
