"""``callheat evaluate``: replay labelled dialogues through the scorer, in progressive-validation order.

Each dialogue becomes the events of one call (``call_started``, one ``utterance``
per turn, ``call_ended``) with times synthesised the same way for every system
compared, and goes through the same :class:`~streaming.scoring.Scorer` code the
live consumer runs. The scorer starts cold, as a fresh installation does, and
learns each label right after predicting it: a turn's sentiment label as a
supervisor's correction of that turn, the dialogue's outcome as ``call_ended``'s
disposition. ``--baseline lexicon`` runs :class:`~streaming.scoring.baseline.LexiconScorer`
on the same dialogues in the same run.

The input format is described in ``docs/labelled-calls.md`` (one dialogue per line), the
one of the public data sets in ``../shared/data``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from streaming import events as ev
from streaming import jsonl, quality
from streaming.errors import ConfigError, InvalidEvent
from streaming.scoring import Scorer
from streaming.scoring.baseline import LexiconScorer
from streaming.scoring.examples import TrainingExample
from streaming.scoring.sentiment import sentiment_class
from streaming.store import StoreBatch

CLASSES = ("negative", "neutral", "positive")
WORDS_PER_MINUTE = 150.0
GAP_MS = 600
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FIGURE_KEYS = (
    "escalation_auc", "escalation_ap", "early_warning_rate", "median_lead_turns",
    "false_alarms_per_100", "sentiment_macro_f1", "sentiment_spearman",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str
    text: str
    sentiment: float | None = None  # the label, where the data set has one
    rating: int | None = None  # 1-5 majority rating (USS)


@dataclass(frozen=True, slots=True)
class Dialogue:
    dialogue_id: str
    source: str
    escalated: bool
    first_dissatisfied_turn: int | None
    turns: tuple[Turn, ...]


@dataclass(slots=True)
class Trace:
    """What a scorer said during one dialogue: risk after each turn, sentiment of labelled turns."""

    risks: list[float] = field(default_factory=list)
    sentiments: list[tuple[float, Turn]] = field(default_factory=list)


class DialogueScorer(Protocol):
    name: str

    def run(self, dialogue: Dialogue, index: int) -> Trace: ...


# --- input ------------------------------------------------------------------------------


def iter_dialogues(path: Path) -> Iterator[Dialogue]:
    """A labelled JSONL file's dialogues, read one at a time; a bad line is a ConfigError
    naming the line, raised when the reading reaches it."""
    found = False
    for number, line in jsonl.lines(path):
        try:
            dialogue = _dialogue(jsonl.parse_object(line))
        except KeyError as exc:
            raise ConfigError(f"{path}:{number}: not a labelled dialogue (no field {exc})") from exc
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a labelled dialogue ({exc})") from exc
        found = True
        yield dialogue
    if not found:
        raise ConfigError(f"{path} holds no dialogues")


def load_dialogues(path: Path) -> list[Dialogue]:
    """Every dialogue of a labelled JSONL file; a bad line is a ConfigError naming the line."""
    return list(iter_dialogues(path))


def _dialogue(obj: dict[str, Any]) -> Dialogue:
    """One line's dialogue, or ValueError / KeyError naming the field that is wrong."""
    dialogue_id = obj["dialogue_id"]
    named = isinstance(dialogue_id, str | int) and not isinstance(dialogue_id, bool)
    if not named or not str(dialogue_id).strip():
        raise ValueError(f"dialogue_id must be a string or a whole number, got {_short(dialogue_id)}")
    raw_turns = obj["turns"]
    if not isinstance(raw_turns, list) or not raw_turns:
        raise ValueError(f"turns must be a list of one turn or more, got {_short(raw_turns)}")
    turns = [_turn(t, i) for i, t in enumerate(raw_turns)]
    if not isinstance(obj["escalated"], bool):
        raise ValueError(f"escalated must be true or false, got {obj['escalated']!r}")
    fdt = obj.get("first_dissatisfied_turn")
    if fdt is not None and (isinstance(fdt, bool) or not isinstance(fdt, int) or not 0 <= fdt < len(turns)):
        raise ValueError(f"first_dissatisfied_turn must be a turn index (0-{len(turns) - 1}) or null, "
                         f"got {fdt!r}")  # fmt: skip
    source = str(obj.get("source") or "")
    if source:  # the call's queue, in what train publishes: a one-line name, as an event's
        _checked(source, "source", ev.MAX_ID_LEN)
    return Dialogue(str(dialogue_id), source, obj["escalated"], fdt, tuple(turns))


def _checked(value: str, what: str, limit: int) -> None:
    """ValueError unless ``value`` is text an event may carry (events.check_text's rules):
    what train publishes must be sendable, every example of the import."""
    try:
        ev.check_text(value, what, limit=limit)
    except InvalidEvent as exc:
        raise ValueError(exc.reason) from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _turn(t: Any, i: int) -> Turn:
    where = f"turns[{i}]"
    if not isinstance(t, dict):
        raise ValueError(f"{where} must be an object with speaker and text, got {_short(t)}")
    for name in ("speaker", "text"):
        if name not in t:
            raise ValueError(f"{where} has no field {name!r}")
    if t["speaker"] not in ev.SPEAKERS:
        raise ValueError(f"{where}.speaker {_short(t['speaker'])} is not customer or agent")
    if not isinstance(t["text"], str):
        raise ValueError(f"{where}.text must be a string, got {_short(t['text'])}")
    _checked(t["text"], f"{where}.text", ev.MAX_TEXT_LEN)  # an utterance's text
    sentiment, rating = t.get("sentiment"), t.get("sentiment_label")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)
                               or rating not in (1, 2, 3, 4, 5)):  # 2.0 too: a rating is a whole number
        raise ValueError(f"{where}.sentiment_label must be a rating 1-5, a whole number, "
                         f"got {_short(rating)}")  # fmt: skip
    if sentiment is None and rating is not None:  # a majority rating alone: 1 -> -1, 3 -> 0, 5 -> 1
        sentiment = (int(rating) - 3) / 2
    if sentiment is not None and (isinstance(sentiment, bool) or not isinstance(sentiment, int | float)
                                  or not -1.0 <= sentiment <= 1.0):  # NaN fails this too
        raise ValueError(f"{where}.sentiment must be a number in [-1, 1], got {_short(sentiment)}")
    return Turn(t["speaker"], t["text"], None if sentiment is None else float(sentiment),
                None if rating is None else int(rating))  # fmt: skip


# --- the dialogue as call events ---------------------------------------------------------


def call_events(dialogue: Dialogue, index: int, prefix: str = "eval") -> Iterator[tuple[int, ev.CallEvent]]:
    """The dialogue as one call, ``{prefix}-{index}``: (turn index or -1, event).
    Times: 150 wpm, 0.6 s between turns."""
    call_id = f"{prefix}-{index}"
    start = EPOCH + timedelta(minutes=30 * index)
    queue = dialogue.source or "evaluation"
    yield -1, ev.CallStarted(call_id, start, 0, queue=queue, agent_id="eval-agent",
                             agent_name="Evaluation", team="evaluation",
                             customer_id=f"{prefix}-customer-{index}", channel="chat",
                             language="en", wait_s=0.0)  # fmt: skip
    ms = 0
    for i, turn in enumerate(dialogue.turns):
        duration = max(1_000, int(len(turn.text.split()) * 60_000 / WORDS_PER_MINUTE))
        begin = ms + GAP_MS
        ms = begin + duration
        yield i, ev.Utterance(call_id, start + timedelta(milliseconds=ms), i + 1, speaker=turn.speaker,
                              text=turn.text, start_ms=begin, end_ms=ms)  # fmt: skip
    disposition = "escalated" if dialogue.escalated else "resolved"
    end = start + timedelta(milliseconds=ms + GAP_MS)
    yield -1, ev.CallEnded(call_id, end, len(dialogue.turns) + 1, disposition=disposition)


class CallHeatDialogues:
    """The product's scorer, cold, learning every label right after predicting it.

    ``last_examples`` holds the training examples the last dialogue produced (learned
    at once unless the scorer's ``learn_inline`` is off: ``streaming.train`` publishes them).
    """

    name = "callheat"

    def __init__(self, scorer: Scorer | None = None, prefix: str = "eval") -> None:
        self.scorer = scorer or Scorer()
        self.prefix = prefix
        self.last_examples: list[TrainingExample] = []

    def run(self, dialogue: Dialogue, index: int) -> Trace:
        trace = Trace()
        self.last_examples = []
        for turn_index, event in call_events(dialogue, index, self.prefix):
            batch = StoreBatch()  # rows are not kept: the figures come from the scorer's answers
            applied = self.scorer.apply(event, batch)
            self.last_examples += applied.examples
            if turn_index < 0:
                continue
            state = self.scorer.calls[event.call_id]
            trace.risks.append(state.risk)
            turn = dialogue.turns[turn_index]
            if turn.sentiment is not None and isinstance(event, ev.Utterance):
                predicted = applied.updates[0].sentiment if applied.updates else None
                if predicted is not None:
                    trace.sentiments.append((predicted, turn))
                # the label, learned right after the prediction, as a supervisor's correction
                self.last_examples += self.scorer.apply_action(ev.SupervisorAction(
                    action="feedback", action_id=f"{event.call_id}-s{event.seq}",
                    call_id=event.call_id, supervisor_id="evaluate", ts=event.ts,
                    utterance_seq=event.seq, sentiment=turn.sentiment,
                ), batch).examples  # fmt: skip
        return trace


class LexiconDialogues:
    """The ``--baseline lexicon`` scorer on the same synthesised calls."""

    name = "lexicon"

    def __init__(self) -> None:
        self.scorer = LexiconScorer()

    def run(self, dialogue: Dialogue, index: int) -> Trace:
        trace = Trace()
        self.scorer.reset()
        for turn in dialogue.turns:
            sentiment = self.scorer.turn(turn.speaker, turn.text)
            trace.risks.append(self.scorer.risk)
            if turn.sentiment is not None and sentiment is not None:
                trace.sentiments.append((sentiment, turn))
        return trace


# --- figures ---------------------------------------------------------------------------


def rating_class(turn: Turn) -> str:
    if turn.rating is not None:
        return "negative" if turn.rating <= 2 else "positive" if turn.rating >= 4 else "neutral"
    return sentiment_class(turn.sentiment or 0.0)


def warn_window(dialogue: Dialogue) -> int:
    """Turns a warning counts in: those before the first dissatisfied turn where the data set
    marks one (escalated or not: a calm dialogue can have a dissatisfied turn), else all."""
    fdt = dialogue.first_dissatisfied_turn
    return len(dialogue.turns) if fdt is None else min(fdt, len(dialogue.turns))


def figures(dialogues: Sequence[Dialogue], traces: Sequence[Trace], threshold: float) -> dict[str, Any]:
    peaks, labels, leads = [], [], []
    flagged = false_alarms = calm = 0
    for d, t in zip(dialogues, traces, strict=True):
        window = warn_window(d)
        early = t.risks[:window]
        peaks.append(max(early, default=0.0))
        labels.append(d.escalated)
        if d.escalated:
            first = next((i for i, r in enumerate(early) if r >= threshold), None)
            if first is not None:
                flagged += 1
                leads.append(float(window - first))
        else:
            calm += 1
            false_alarms += int(max(early, default=0.0) >= threshold)
    escalated = sum(labels)
    pairs = [(p, turn) for t in traces for p, turn in t.sentiments if turn.speaker == "customer"]
    has_sentiment = bool(pairs)
    return {
        "escalation_auc": _round(quality.roc_auc(peaks, labels)),
        "escalation_ap": _round(quality.average_precision(peaks, labels)),
        "early_warning_rate": _round(flagged / escalated) if escalated else None,
        "median_lead_turns": _round(quality.median(leads)),
        "false_alarms_per_100": _round(100 * false_alarms / calm) if calm else None,
        "sentiment_macro_f1": _round(quality.macro_f1(
            [rating_class(turn) for _, turn in pairs],
            [sentiment_class(p) for p, _ in pairs], CLASSES)) if has_sentiment else None,
        "sentiment_spearman": _round(quality.spearman(
            [p for p, _ in pairs], [turn.sentiment or 0.0 for _, turn in pairs]))
        if has_sentiment else None,
    }  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def replay(dialogues: Iterable[Dialogue], scorer: DialogueScorer) -> list[Trace]:
    return [scorer.run(d, i) for i, d in enumerate(dialogues)]


def evaluate(path: Path, *, baseline: str | None = None, threshold: float = 0.7,
             scorer: Scorer | None = None, shuffle: int | None = None,
             limit: int | None = None, train: Path | None = None) -> dict[str, Any]:  # fmt: skip
    """The report for one data set: ``{"dataset", "dialogues", "callheat", "baseline", "threshold",
    "order", "escalated", "validation"}`` and ``"trained_on"`` with ``train`` (docs/quality.md).

    The figures are progressive, so they depend on the order labels arrive in:
    ``shuffle`` replays the dialogues in a random order drawn from that seed
    instead of the file's. ``limit`` replays only the first ``limit`` dialogues (of
    that order): a smaller center's first weeks, with fewer labels to learn from.
    ``train``: the scorer first learns that file's dialogues, as ``callheat train``
    teaches the live scorers, and is measured warm (the baseline, which does not learn,
    is not).
    """
    dialogues = load_dialogues(path)
    warm_up = load_dialogues(train) if train is not None else []
    if shuffle is not None:
        random.Random(shuffle).shuffle(dialogues)
    if limit is not None:
        dialogues = dialogues[:limit]
    ours = CallHeatDialogues(scorer)
    if warm_up:
        from streaming.train import learn_dialogues  # train builds on this module

        for _learned in learn_dialogues(ours.scorer, warm_up, "evaluate"):
            pass
    report: dict[str, Any] = {
        "dataset": path.name,
        "dialogues": len(dialogues),
        "callheat": figures(dialogues, replay(dialogues, ours), threshold),
        "baseline": None,
    }
    if baseline == "lexicon":
        report["baseline"] = figures(dialogues, replay(dialogues, LexiconDialogues()), threshold)
    report["threshold"] = threshold
    report["order"] = "file" if shuffle is None else f"shuffled, seed {shuffle}"
    if limit is not None:
        report["order"] += f", first {len(dialogues)}"
    if train is not None:
        report["trained_on"] = {"dataset": train.name, "dialogues": len(warm_up)}
    report["escalated"] = sum(d.escalated for d in dialogues)
    report["validation"] = ours.scorer.validation()
    return report


LABELS = {
    "escalation_auc": "escalation ROC AUC (peak risk before first dissatisfied turn)",
    "escalation_ap": "escalation average precision",
    "early_warning_rate": "early warning: escalated flagged in time",
    "median_lead_turns": "early warning: median lead (turns)",
    "false_alarms_per_100": "false alarms per 100 calm dialogues",
    "sentiment_macro_f1": "turn sentiment macro-F1 (neg/neu/pos)",
    "sentiment_spearman": "turn sentiment Spearman",
}


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: one row per figure, CallHeat beside the baseline."""
    base = report.get("baseline")
    lines = [
        f"{report['dataset']}: {report['dialogues']} dialogues, {report['escalated']} escalated; "
        f"alert threshold {report['threshold']:g}"
        + ("" if report.get("order", "file") == "file" else f"; order {report['order']}")
        + (f"; CallHeat trained first on {t['dataset']} ({t['dialogues']} dialogues)"
           if (t := report.get("trained_on")) else ""),
        "",
        f"{'figure':<62} {'callheat':>9}" + (f" {'lexicon':>9}" if base else ""),
    ]
    for key in FIGURE_KEYS:
        row = f"{LABELS[key]:<62} {_cell(report['callheat'][key]):>9}"
        if base:
            row += f" {_cell(base[key]):>9}"
        lines.append(row)
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
