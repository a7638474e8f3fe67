"""``callheat train``: teach the live scorers from a center's own labelled conversations.

A center with reviewed calls (quality-assurance scores, complaint logs) need not start
cold. The dialogues, in the labelled format ``callheat evaluate`` reads, replay through
the same scorer code as ``evaluate``: each dialogue as one call, each labelled customer
turn as a supervisor's correction of that turn, the dialogue's outcome as the call's
disposition. The training examples that produces are published to
``training-examples``, where every scorer replica learns them, in the same order, as it
learns live corrections and outcomes: no restart, and the replicas still agree.

The examples go out marked ``import``: the replicas learn them, count them apart on the
model page, and leave them out of progressive validation (outcomes, ROC AUC, log loss,
calibration), which stays about the center's live calls.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from streaming import center_files, checkpoint
from streaming.errors import BrokerError
from streaming.evaluate import CallHeatDialogues, Dialogue, iter_dialogues
from streaming.kafka_io import Sends, close_quietly, make_producer, require_broker, send_json
from streaming.scoring import Scorer
from streaming.scoring.examples import IMPORTED, PaceExample, RiskExample, SentimentExample, TrainingExample
from streaming.settings import Settings

# how long the last examples may take to be acknowledged once all were sent
SEND_TIMEOUT_S = 60.0


def imported(example: RiskExample | SentimentExample) -> RiskExample | SentimentExample:
    """``example`` marked as an import."""
    return dataclasses.replace(example, source=IMPORTED)


def learn_dialogues(
    scorer: Scorer, dialogues: Iterable[Dialogue], run_id: str
) -> Iterator[list[TrainingExample]]:
    """Replay ``dialogues`` through ``scorer``, one at a time; yields each one's examples
    once ``scorer`` has learned them, as a replica learns them back from ``training-examples``.

    The calls are ``import-{run_id}-{index}``, so no example of one import passes for a
    replay of another's. The synthetic agent's speaking pace is not an example: its times
    are made up.
    """
    learn_inline, scorer.learn_inline = scorer.learn_inline, False
    replayer = CallHeatDialogues(scorer, prefix=f"import-{run_id}")
    try:
        for index, dialogue in enumerate(dialogues):
            replayer.run(dialogue, index)
            examples: list[TrainingExample] = [
                imported(e) for e in replayer.last_examples if not isinstance(e, PaceExample)]
            for example in examples:
                scorer.learn(example)
            yield examples
    finally:
        scorer.learn_inline = learn_inline


def require_training_topic(settings: Settings) -> None:
    """ConfigError in one line unless ``training-examples`` exists with exactly one partition,
    as the scorer checks at start, or BrokerError if no broker answers.

    Missing, it must not be left to the broker to create on the first send: Tansu creates
    it with 4 partitions (Kafka with num.partitions), and no scorer would start on it again.
    A group-less consumer reads the metadata of the topics that exist without creating any.
    """
    from streaming.errors import ConfigError
    from streaming.kafka_io import make_consumer
    from streaming.training_topic import training_partitions

    require_broker(settings)  # a broker that is down fails here, at once
    topic = settings.topics.training_examples
    try:
        reader = make_consumer(settings, group_id=None)
        try:
            partitions = len(reader.partitions_for_topic(topic))
        finally:
            reader.close(autocommit=False)
    except KafkaError as exc:
        raise BrokerError(f"cannot read the topics of {settings.bootstrap_servers}: {exc}") from exc
    if partitions != 1:
        raise ConfigError(training_partitions(topic, partitions))


def train(settings: Settings, paths: Sequence[Path], run_id: str | None = None) -> dict[str, Any]:
    """Learn the dialogues in ``paths``, publishing what was learned as it goes; a summary.

    Every file is read through before anything is sent: a bad line stops the import
    whole. The replay then reads the files again, one dialogue at a time, so an import
    of any size holds one dialogue in memory (the files must not change meanwhile). It
    starts from the scorers' model checkpoint where there is one, so the examples'
    features (the sentiment the calls are read with) are those of the live models. All
    examples are acknowledged by the broker on return, or BrokerError.
    """
    files = center_files.load(settings)  # the center's phrase lists, as its scorers read calls
    for path in paths:  # every line checked, nothing kept
        for _ in iter_dialogues(path):
            pass
    read: Counter[str] = Counter()

    def dialogues() -> Iterator[Dialogue]:
        for path in paths:
            for dialogue in iter_dialogues(path):
                read["dialogues"] += 1
                read["escalated"] += dialogue.escalated
                yield dialogue

    require_training_topic(settings)  # before anything is sent: see there
    scorer = Scorer(hot_threshold=settings.hot_threshold, warm_threshold=settings.warm_threshold,
                    phrases=files.phrases, playbook=files.playbook)  # fmt: skip
    warm = checkpoint.restore(scorer, settings.checkpoint_path)
    sent: Counter[str] = Counter()
    require_broker(settings)  # a broker that is down fails here, before the replay
    producer = make_producer(settings)
    sends = Sends(producer)
    try:
        for examples in learn_dialogues(scorer, dialogues(), run_id or uuid.uuid4().hex[:8]):
            for example in examples:
                sends.track(send_json(producer, settings.topics.training_examples, example.call_id,
                                      example.to_dict()))  # fmt: skip
                sent[type(example).__name__] += 1
        sends.wait(timeout_s=SEND_TIMEOUT_S)
    except KafkaError as exc:
        sends.settle()
        raise BrokerError(
            f"the broker did not accept every training example sent to "
            f"{settings.topics.training_examples} on {settings.bootstrap_servers} "
            f"({sends.refused or exc}); {sends.accepted} of the {sends.sent} sent were accepted "
            f"before the import stopped, at dialogue {read['dialogues']}"
            + (": the scorers learn those, so importing the same files again teaches them twice"
               if sends.accepted else "")
        ) from exc  # fmt: skip
    finally:
        close_quietly(producer, timeout_s=10)
    return {
        "dialogues": read["dialogues"],
        "escalated": read["escalated"],
        "sentiment_labels": sent[SentimentExample.__name__],
        "risk_examples": sent[RiskExample.__name__],
        "examples": sum(sent.values()),
        "topic": settings.topics.training_examples,
        "from_checkpoint": warm,
    }
