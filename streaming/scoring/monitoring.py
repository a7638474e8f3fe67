"""What the model page shows about the models: calibration and drift in customer sentiment.

>>> c = Calibration(bins=2)
>>> for p, y in [(0.1, False), (0.2, False), (0.8, True), (0.9, False)]:
...     c.update(p, y)
>>> c.table()
[[0.15, 0.0, 2], [0.85, 0.5, 2]]
"""

from __future__ import annotations

from river import drift

from streaming.store.base import DriftRow


class Calibration:
    """Predicted risk against the observed escalation rate, in equal-width bins."""

    def __init__(self, bins: int = 10) -> None:
        self.bins = bins
        self.n = [0] * bins
        self.predicted = [0.0] * bins
        self.positive = [0] * bins

    def update(self, p: float, label: bool) -> None:
        i = min(self.bins - 1, max(0, int(p * self.bins)))
        self.n[i] += 1
        self.predicted[i] += p
        self.positive[i] += int(label)

    def table(self) -> list[list[float]]:
        """``[mean predicted, observed rate, calls]`` per non-empty bin."""
        return [[round(self.predicted[i] / n, 4), round(self.positive[i] / n, 4), n]
                for i, n in enumerate(self.n) if n]  # fmt: skip


class SentimentDrift:
    """One river ADWIN detector per queue over customer turn sentiment."""

    def __init__(self, delta: float = 0.002) -> None:
        self.delta = delta
        self.detectors: dict[str, drift.ADWIN] = {}

    def update(self, queue: str, ts: float, sentiment: float) -> DriftRow | None:
        detector = self.detectors.get(queue)
        if detector is None:
            detector = self.detectors[queue] = drift.ADWIN(delta=self.delta)
        before = float(detector.estimation) if detector.width else sentiment
        detector.update(sentiment)
        if detector.drift_detected:
            return DriftRow(queue, ts, round(before, 4), round(float(detector.estimation), 4))
        return None
