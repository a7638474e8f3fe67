"""Figures of scoring quality: ROC AUC, average precision, Spearman, macro-F1.

Exact, dependency-free versions (ties handled by average ranks), so
``callheat evaluate`` and ``callheat backtest`` report the same numbers anywhere.

>>> roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True])
0.75
>>> round(average_precision([0.1, 0.4, 0.35, 0.8], [False, False, True, True]), 4)
0.8333
>>> spearman([1, 2, 3, 4], [10, 20, 30, 40])
1.0
>>> macro_f1(["neg", "neu", "pos", "neu"], ["neg", "neu", "neu", "neu"], ("neg", "neu", "pos"))
0.6
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Probability a positive outranks a negative (Mann-Whitney); None without both classes."""
    n_pos = sum(1 for y in labels if y)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _ranks(scores)
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def average_precision(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Mean precision at each positive, ranking by score (ties ranked pessimistically)."""
    n_pos = sum(1 for y in labels if y)
    if n_pos == 0:
        return None
    # within a tie, negatives first: a tie never flatters the scorer
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], labels[i]))
    hits, total = 0, 0.0
    for k, i in enumerate(order, start=1):
        if labels[i]:
            hits += 1
            total += hits / k
    return total / n_pos


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Rank correlation; None for fewer than 3 pairs or a constant side."""
    if len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def macro_f1(true: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> float | None:
    """Unweighted mean of per-class F1 over ``classes`` (a class never seen nor predicted scores 0)."""
    if not true:
        return None
    scores = []
    for c in classes:
        tp = sum(1 for t, p in zip(true, predicted, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(true, predicted, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(true, predicted, strict=True) if t == c and p != c)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
