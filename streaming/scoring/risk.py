"""Escalation risk in [0, 1]: an expert prior blended with an online river classifier.

Cold start: a hand-set logistic prior over the call-state features (weights in
:data:`PRIOR_WEIGHTS`) gives sensible risks before anything has been learned. Each
labelled example (a call outcome, a supervisor's hot / not-hot) trains a river
``LogisticRegression`` on standardised features; the two are blended in
probability, ``(1 - w) * prior + w * learned`` with ``w = n / (n + warmup)``
capped at ``max_weight``. Hard rules (:data:`RULE_FLOORS`) then set a floor for the
phrases that must raise risk at once, whatever has been learned.

>>> m = RiskModel()
>>> calm = {k: 0.0 for k in PRIOR_WEIGHTS}
>>> angry = dict(calm, manager=1.0, negative_sentiment=0.6, negative_streak=3.0)
>>> m.predict_proba_one(calm) < 0.2 < 0.7 < m.predict_proba_one(angry)
True
"""

from __future__ import annotations

import math

from river import linear_model, optim, preprocessing

INTERCEPT = -2.6
PRIOR_WEIGHTS: dict[str, float] = {
    "negative_sentiment": 2.2,
    "falling_sentiment": 1.2,
    "worst_turn": 0.6,
    "negative_streak": 0.3,
    "repeat_contact": 0.7,
    "talk_over": 0.35,
    "dead_air": 0.15,
    "agent_pace": 1.5,
    "customer_talk_share": 1.0,
    "customer_speech": 0.15,
    "customer_questions": 0.1,
    "answer_disappoints": 1.0,
    "holds": 0.25,
    "hold_minutes": 0.15,
    "transfers": 0.6,
    "queue_wait": 0.15,
    "duration": 0.3,
    "venting": 0.4,
    "agent_curt": 0.6,
    "agent_jargon": 0.3,
    "no_empathy": 0.5,
    "no_acknowledgement": 0.3,
    "no_timeframe": 0.3,
    "empathy_shown": -0.4,
    "options_offered": -0.4,
    "ownership": -0.3,
    "manager": 2.0,
    "cancel": 1.6,
    "complaint": 0.9,
    "legal": 2.5,
    "regulator": 1.6,
    "abuse": 1.8,
}

# feature -> (minimum risk while present, reason). From playbook.md: these raise
# risk at once, whatever the model has learned.
RULE_FLOORS: dict[str, tuple[float, str]] = {
    "legal": (0.85, "legal threat"),
    "manager": (0.75, "asked for a manager"),
    "abuse": (0.75, "abusive language"),
    "regulator": (0.72, "threatened regulator or social media"),
    "cancel": (0.7, "threatened to cancel"),
}


POSITIVE_WEIGHT_CAP = 4.0


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class RiskModel:
    """Prior + online logistic regression; ``predict_proba_one`` never learns."""

    def __init__(self, warmup: int = 100, max_weight: float = 0.95, learning_rate: float = 0.15) -> None:
        self.warmup = warmup
        self.max_weight = max_weight
        self.learning_rate = learning_rate
        self.scaler = preprocessing.StandardScaler()
        self.classifier = linear_model.LogisticRegression(optimizer=optim.AdaGrad(learning_rate), l2=0.0)
        self.n_labels = 0
        self.n_positive = 0

    @property
    def weight(self) -> float:
        return min(self.max_weight, self.n_labels / (self.n_labels + self.warmup))

    def prior_proba(self, x: dict[str, float]) -> float:
        return _sigmoid(INTERCEPT + sum(w * x.get(k, 0.0) for k, w in PRIOR_WEIGHTS.items()))

    def _inputs(self, x: dict[str, float], words: dict[str, float] | None) -> dict[str, float]:
        z = self.scaler.transform_one(x)
        if words:
            z.update(words)
        return z

    def learned_proba(self, x: dict[str, float], words: dict[str, float] | None = None) -> float:
        return float(self.classifier.predict_proba_one(self._inputs(x, words)).get(True, 0.0))

    def predict_proba_one(self, x: dict[str, float], words: dict[str, float] | None = None) -> float:
        w = self.weight
        p = self.prior_proba(x)
        return p if w == 0.0 else (1.0 - w) * p + w * self.learned_proba(x, words)

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        """How much each call-state feature pushed the risk up (+) or down (-), in logit units."""
        w = self.weight
        out = {k: (1.0 - w) * PRIOR_WEIGHTS.get(k, 0.0) * v for k, v in x.items()}
        if w > 0.0:
            weights = self.classifier.weights
            for k, z in self.scaler.transform_one(x).items():
                out[k] = out.get(k, 0.0) + w * weights.get(k, 0.0) * z
        return out

    def learn_one(self, x: dict[str, float], y: bool, w: float = 1.0,
                  words: dict[str, float] | None = None) -> None:  # fmt: skip
        """Learn one labelled example; escalations, being rare, weigh more (square-root balance)."""
        self.scaler.learn_one(x)
        self.n_labels += 1
        self.n_positive += int(y)
        if y:
            w *= min(POSITIVE_WEIGHT_CAP, ((self.n_labels + 1) / (2 * self.n_positive)) ** 0.5)
        self.classifier.learn_one(self._inputs(x, words), bool(y), w=w)

    @staticmethod
    def rule_floor(x: dict[str, float]) -> tuple[float, list[str]]:
        """The highest floor among the hard rules that fire, and their reasons."""
        floor, reasons = 0.0, []
        for feature, (minimum, reason) in RULE_FLOORS.items():
            if x.get(feature, 0.0) > 0:
                floor = max(floor, minimum)
                reasons.append(reason)
        return floor, reasons
