"""Escalation risk in [0, 1]: an expert prior blended with an online river classifier.

Cold start: a hand-set logistic prior over the call-state features (weights in
:data:`PRIOR_WEIGHTS`) gives sensible risks before anything has been learned. Each
labelled example (a call outcome, a supervisor's hot / not-hot, a confirmed
barge-in) trains a river ``LogisticRegression`` on the standardised features plus
the customer's words. The two are combined by :class:`Blend`, a three-parameter
logistic stack learned online, so the learned model takes over only as far as it
predicts this center's outcomes better than the prior. Hard rules
(:data:`RULE_FLOORS`) then set a floor for the phrases that must raise risk at
once, whatever has been learned.

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
    "profanity": 0.6,
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


def _logit(p: float) -> float:
    p = min(1 - 1e-6, max(1e-6, p))
    return math.log(p / (1 - p))


class Blend:
    """How much to trust the prior and the learned model, itself learned online.

    ``P = sigmoid(a + b * logit(prior) + c * logit(learned))``, starting at ``a = 0,
    b = 1, c = 0`` (the prior alone) and fitted by SGD on each labelled example,
    predicted before it is learned. The learned model gains weight only as it proves
    better than the prior on this center's own outcomes; both weights stay >= 0.
    """

    def __init__(self, learning_rate: float = 0.02) -> None:
        self.learning_rate = learning_rate
        self.a, self.b, self.c = 0.0, 1.0, 0.0

    def predict(self, prior: float, learned: float) -> float:
        return _sigmoid(self.a + self.b * _logit(prior) + self.c * _logit(learned))

    def learn(self, prior: float, learned: float, y: bool, w: float = 1.0) -> None:
        lp, ll = _logit(prior), _logit(learned)
        g = (self.predict(prior, learned) - float(y)) * w * self.learning_rate
        self.a -= g
        self.b = max(0.0, self.b - g * lp)
        self.c = max(0.0, self.c - g * ll)

    @property
    def learned_share(self) -> float:
        """The learned model's share of the two weights, in [0, 1] (0 = prior alone)."""
        return self.c / (self.b + self.c) if self.b + self.c > 0 else 0.0


class RiskModel:
    """Prior + online logistic regression, blended by :class:`Blend`; predicting never learns."""

    def __init__(self, learning_rate: float = 0.15, blend_rate: float = 0.02) -> None:
        self.learning_rate = learning_rate
        self.scaler = preprocessing.StandardScaler()
        self.classifier = linear_model.LogisticRegression(optimizer=optim.AdaGrad(learning_rate), l2=0.0)
        self.blend = Blend(blend_rate)
        self.n_labels = 0
        self.n_positive = 0

    @property
    def weight(self) -> float:
        """The learned model's share in the blend (0 = the prior alone)."""
        return self.blend.learned_share

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
        p = self.prior_proba(x)
        if self.n_labels == 0:
            return p
        return self.blend.predict(p, self.learned_proba(x, words))

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        """How much each call-state feature pushed the risk up (+) or down (-), in logit units."""
        b, c = self.blend.b, self.blend.c
        out = {k: b * PRIOR_WEIGHTS.get(k, 0.0) * v for k, v in x.items()}
        if c > 0.0 and self.n_labels:
            # measured from "nothing wrong" (every feature 0), not from the average call
            # the model's own weight store: .weights would copy every word's weight each time
            weights, variances = self.classifier._weights, self.scaler.vars
            for k, v in x.items():
                sd = variances.get(k, 0.0) ** 0.5
                if sd > 0:
                    out[k] = out.get(k, 0.0) + c * weights.get(k, 0.0) * v / sd
        return out

    def learn_one(self, x: dict[str, float], y: bool, w: float = 1.0,
                  words: dict[str, float] | None = None) -> None:  # fmt: skip
        """Learn one labelled example; escalations, being rare, weigh more (square-root balance).

        The blend learns first, from what both parts predicted before this example.
        """
        if self.n_labels:
            self.blend.learn(self.prior_proba(x), self.learned_proba(x, words), y, w)
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
