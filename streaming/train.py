"""``callheat train``: teach the live scorers from a center's own labelled conversations.

A center with reviewed calls (quality-assurance scores, complaint logs) need not start
cold. The dialogues, in the labelled format ``callheat evaluate`` reads, replay through
the same scorer code as ``evaluate``: each dialogue as one call, each labelled customer
turn as a supervisor's correction of that turn, the dialogue's outcome as the call's
disposition. The training examples that produces are published to
``training-examples``, where every scorer replica learns them, in the same order, as it
learns live corrections and outcomes: no restart, and the replicas still agree.

Outcome examples go out marked ``import``: the replicas learn them, but the model page's
progressive validation (outcomes, ROC AUC, log loss, calibration) stays about the
center's live calls.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from streaming import checkpoint
from streaming.errors import BrokerError
from streaming.evaluate import CallHeatDialogues, Dialogue, load_dialogues
from streaming.kafka_io import make_producer, send_json
from streaming.scoring import Scorer
from streaming.scoring.examples import PaceExample, RiskExample, SentimentExample, TrainingExample
from streaming.settings import Settings

IMPORT_SOURCE = "import"


def imported(example: TrainingExample) -> TrainingExample:
    """``example`` as an import: an outcome is marked so, the rest go as they are."""
    if isinstance(example, RiskExample) and example.source == "outcome":
        return dataclasses.replace(example, source=IMPORT_SOURCE)
    return example


def learn_dialogues(scorer: Scorer, dialogues: Sequence[Dialogue], run_id: str) -> list[TrainingExample]:
    """Replay ``dialogues`` through ``scorer``, learning each one's examples as it ends, as a
    replica learns them back from ``training-examples``; returns them, in that order.

    The calls are ``import-{run_id}-{index}``, so no example of one import passes for a
    replay of another's. The synthetic agent's speaking pace is not an example: its times
    are made up.
    """
    learn_inline, scorer.learn_inline = scorer.learn_inline, False
    replayer = CallHeatDialogues(scorer, prefix=f"import-{run_id}")
    out: list[TrainingExample] = []
    try:
        for index, dialogue in enumerate(dialogues):
            replayer.run(dialogue, index)
            examples = [imported(e) for e in replayer.last_examples if not isinstance(e, PaceExample)]
            for example in examples:
                scorer.learn(example)
            out += examples
    finally:
        scorer.learn_inline = learn_inline
    return out


def publish(settings: Settings, examples: Sequence[TrainingExample]) -> None:
    """Send ``examples`` to ``training-examples``, all of them acknowledged, or BrokerError."""
    producer = make_producer(settings)
    try:
        for example in examples:
            send_json(producer, settings.topics.training_examples, example.call_id, example.to_dict())
        producer.flush()
    except KafkaError as exc:
        raise BrokerError(f"training examples not all published to {settings.bootstrap_servers}: "
                          f"{exc}") from exc  # fmt: skip
    finally:
        producer.close()


def train(settings: Settings, paths: Sequence[Path], run_id: str | None = None) -> dict[str, Any]:
    """Learn the dialogues in ``paths`` and publish what was learned; a summary of it.

    Every file is read before anything is sent: a bad line stops the import whole. The
    replay starts from the scorers' model checkpoint where there is one, so the examples'
    features (the sentiment the calls are read with) are those of the live models.
    """
    dialogues = [d for path in paths for d in load_dialogues(path)]
    scorer = Scorer(hot_threshold=settings.hot_threshold, warm_threshold=settings.warm_threshold)
    warm = checkpoint.restore(scorer, settings.checkpoint_path)
    examples = learn_dialogues(scorer, dialogues, run_id or uuid.uuid4().hex[:8])
    publish(settings, examples)
    risk = [e for e in examples if isinstance(e, RiskExample)]
    return {
        "dialogues": len(dialogues),
        "escalated": sum(d.escalated for d in dialogues),
        "sentiment_labels": sum(isinstance(e, SentimentExample) for e in examples),
        "risk_examples": len(risk),
        "examples": len(examples),
        "topic": settings.topics.training_examples,
        "from_checkpoint": warm,
    }
