"""What the labelled data sets allow: the figures behind docs/quality.md's error analysis.

    .venv/bin/python scripts/quality_analysis.py [--scorers] ../shared/data/*.jsonl

For each data set: how long the warning window is for escalated and calm dialogues,
how many calm dialogues have a dissatisfied turn, and the escalation ROC AUC that
simple references reach under the same window rule as ``callheat evaluate``:
window length alone, the crowd's own turn labels before the window ends, the crowd's
rating of the customer's *next* turn known after every turn (oracles no scorer has:
the second is the best any predictor of the customer's reaction could do), and the
customer's word count. For the next-turn oracle it also prints the best early
warning it allows at no more than 10 false alarms per 100 calm dialogues.
``--scorers`` also replays CallHeat and the lexicon baseline (as ``callheat
evaluate`` does) and prints their escalation ROC AUC with and without the window,
and of their risk as the window ends, with where in the window their peak falls.
Prints figures only, no dialogue text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from statistics import median

from streaming.evaluate import (
    CallHeatDialogues,
    Dialogue,
    LexiconDialogues,
    load_dialogues,
    replay,
    warn_window,
)
from streaming.quality import roc_auc

MAX_FALSE_ALARMS = 10.0  # per 100 calm dialogues, as in the early-warning target


def next_turn_oracle(d: Dialogue) -> float:
    """The highest "risk" in the window when, after each turn, the crowd's mean rating of
    the customer's next rated turn is known (negated: the worse the reaction, the higher)."""
    values = []
    for i in range(warn_window(d)):
        later = (t.sentiment for t in d.turns[i + 1:] if t.speaker == "customer" and t.sentiment is not None)
        values.append(-next(later, 0.0))
    return max(values, default=-1.0)


def best_early_warning(scores: list[float], labels: list[bool]) -> tuple[float, float]:
    """(share of escalated flagged, false alarms per 100 calm) at the lowest threshold
    within MAX_FALSE_ALARMS, which flags the most."""
    n_esc, n_calm = sum(labels), len(labels) - sum(labels)
    for threshold in sorted(set(scores)):
        hits = [y for s, y in zip(scores, labels, strict=True) if s >= threshold]
        flagged, alarms = sum(hits), 100 * (len(hits) - sum(hits)) / n_calm
        if alarms <= MAX_FALSE_ALARMS:
            return flagged / n_esc, alarms
    return 0.0, 0.0


def scorer_figures(dialogues: list[Dialogue], labels: list[bool]) -> None:
    """Each scorer's escalation ROC AUC in the window and over the whole dialogue; then of
    its risk as the window ends (after the last turn before the first dissatisfied one),
    where in the window its peak falls, and its mean risk after the 1st and 8th turns."""
    for scorer in (CallHeatDialogues(), LexiconDialogues()):
        traces = replay(dialogues, scorer)
        windows = [t.risks[: warn_window(d)] for d, t in zip(dialogues, traces, strict=True)]
        windowed = [max(w, default=0.0) for w in windows]
        whole = [max(t.risks, default=0.0) for t in traces]
        print(f"  ROC AUC, {scorer.name}: {roc_auc(windowed, labels):.3f} in the window, "
              f"{roc_auc(whole, labels):.3f} over the whole dialogue")  # fmt: skip
        last = [w[-1] if w else 0.0 for w in windows]
        early_peak = [w.index(max(w)) < 2 for w in windows if len(w) > 2]
        after = {k: [w[k - 1] for w in windows if len(w) >= k] for k in (1, 8)}
        mean = {k: f"{sum(v) / len(v):.3f}" if v else "- (no window that long)" for k, v in after.items()}
        print(f"    its risk as the window ends: {roc_auc(last, labels):.3f}; windows of 3+ turns "
              f"whose peak is in their first 2 turns: {sum(early_peak) / len(early_peak):.0%}; mean risk "
              f"after turn 1: {mean[1]}, after turn 8: {mean[8]}")  # fmt: skip


def main(paths: list[str], scorers: bool = False) -> None:
    for path in paths:
        dialogues = load_dialogues(Path(path))
        labels = [d.escalated for d in dialogues]
        windows = [warn_window(d) for d in dialogues]
        esc = [w for w, y in zip(windows, labels, strict=True) if y]
        calm = [w for w, y in zip(windows, labels, strict=True) if not y]
        calm_dissatisfied = sum(
            1 for d in dialogues if not d.escalated and d.first_dissatisfied_turn is not None)
        print(f"{Path(path).name}: {len(dialogues)} dialogues, {sum(labels)} escalated")
        print(f"  warning window, median turns: escalated {median(esc):g}, calm {median(calm):g}")
        print(f"  calm dialogues with a dissatisfied turn: {calm_dissatisfied} "
              f"({calm_dissatisfied / max(1, len(calm)):.0%})")  # fmt: skip
        ref = {"shorter window (window length alone, negated)": [-float(w) for w in windows]}
        labelled = [[t.sentiment for t in d.turns[:w] if t.sentiment is not None]
                    for d, w in zip(dialogues, windows, strict=True)]  # fmt: skip
        if any(labelled):
            ref["oracle: mean crowd label before the window ends (negated)"] = [
                -sum(v) / len(v) if v else 0.0 for v in labelled]  # fmt: skip
            ref["oracle: lowest crowd label before the window ends (negated)"] = [
                -min(v) if v else 0.0 for v in labelled]  # fmt: skip
            ref["oracle: the crowd's rating of the next customer turn, after every turn"] = [
                next_turn_oracle(d) for d in dialogues]  # fmt: skip
        ref["customer words in the window"] = [
            float(sum(len(t.text.split()) for t in d.turns[:w] if t.speaker == "customer"))
            for d, w in zip(dialogues, windows, strict=True)]  # fmt: skip
        for name, scores in ref.items():
            auc = roc_auc(scores, labels)
            print(f"  ROC AUC, {name}: {'-' if auc is None else f'{auc:.3f}'}")
            if name.startswith("oracle: the crowd's rating of the next"):
                rate, alarms = best_early_warning(scores, labels)
                print(f"    its best early warning at <= {MAX_FALSE_ALARMS:g} false alarms per 100 calm: "
                      f"{rate:.0%} flagged at {alarms:.1f}")  # fmt: skip
        if scorers:
            scorer_figures(dialogues, labels)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--scorers"]
    main(args or ["../shared/data/uss-dev.jsonl", "../shared/data/stc3-dev.jsonl"], "--scorers" in sys.argv)
