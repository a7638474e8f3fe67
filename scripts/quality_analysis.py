"""What the labelled data sets allow: the figures behind docs/quality.md's error analysis.

    .venv/bin/python scripts/quality_analysis.py ../shared/data/uss-dev.jsonl ../shared/data/stc3-dev.jsonl

For each data set: how long the warning window is for escalated and calm dialogues,
how many calm dialogues have a dissatisfied turn, and the escalation ROC AUC that
simple references reach under the same window rule as ``callheat evaluate``:
window length alone, the crowd's own turn labels before the window ends (an oracle
no scorer has), and the customer's word count. Prints figures only, no dialogue text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from statistics import median

from streaming.evaluate import load_dialogues, warn_window
from streaming.quality import roc_auc


def main(paths: list[str]) -> None:
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
        ref["customer words in the window"] = [
            float(sum(len(t.text.split()) for t in d.turns[:w] if t.speaker == "customer"))
            for d, w in zip(dialogues, windows, strict=True)]  # fmt: skip
        for name, scores in ref.items():
            auc = roc_auc(scores, labels)
            print(f"  ROC AUC, {name}: {'-' if auc is None else f'{auc:.3f}'}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["../shared/data/uss-dev.jsonl", "../shared/data/stc3-dev.jsonl"])
