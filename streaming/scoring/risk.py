"""Escalation risk in [0, 1]: an expert prior blended with an online river classifier.

Cold start: a hand-set logistic prior over the call-state features (weights in
:data:`PRIOR_WEIGHTS`) gives sensible risks before anything has been learned. Each
labelled example (a call outcome, a supervisor's hot / not-hot, a confirmed
barge-in) trains a river ``LogisticRegression`` on the standardised features plus
the customer's words. The two are combined by :class:`Blend`, which weighs each by
how well it has predicted this center's recent outcomes, so the learned model takes
over only as far as it predicts them better than the prior. Hard rules
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

from river import linear_model, optim, preprocessing, utils

from streaming.scoring.hashing import RISK_WORD_BITS, hashed

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
    "formal_complaint": 1.6,
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
    "formal_complaint": (0.7, "wants to make a formal complaint"),
}
# the floors hold until the customer has been calm for this many turns in a row since
# the last such phrase (not negative, no escalation phrase): a customer who asked for a
# manager and then says "Right, thank you, that works" no longer needs a red tile; the
# phrase still counts in the learned risk, and says so in the reasons if it raises it
RULE_HOLD_CALM_TURNS = 2


# escalations, being rare, weigh more in learning (square-root balance), but at most this
# much: fully balanced, the learned model overstates risk where escalations are rare, and
# the blend, judged on log loss, then rightly trusts it less
POSITIVE_WEIGHT_CAP = 1.5
# AdaGrad's steps do not depend on an input's scale, so the scale sets how fast an input
# moves the risk: the dense call-state features (dozens, most of them weak on any one
# center's calls) learn at LEARNING_RATE, the sparse words, queue and agent WORD_SCALE
# times faster. One rate for both let the weak dense features drown the words.
LEARNING_RATE = 0.03
WORD_SCALE = 5.0
CLIP_SD = 3.0  # standardised features are clipped to +-3 sd: a rare phrase must not swing the risk
# the blend: how fast the record of each part's log loss forgets, and the learned
# model's share before either part has a record
BLEND_MEMORY = 0.995
LEARNED_START_SHARE = 0.1


# words a reason never quotes on their own (a pair with another word is quoted): they carry
# weight in the learned model, but "customer's words ("that's", "a")" tells a supervisor nothing
UNQUOTED = frozenset(
    "? ! a an the i i'm i've me my we you you're your it it's its this that that's these those "
    "is are was were be been am do does did have has had will would can could to of in on at for "
    "from with about as by and or but so if then just what which who how when there here k ok "
    "okay oh yes yeah no hi hello please thanks thank".split()
)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _log_loss(p: float, y: bool) -> float:
    p = min(1 - 1e-4, max(1e-4, p))
    return -math.log(p if y else 1 - p)


class Blend:
    """How much to trust the prior and the learned model, from how well each has predicted.

    The two are experts in a mixture, ``P = s_prior * prior + s_learned * learned``;
    each share is proportional to ``start_share * exp(-L)``, where ``L`` is the
    expert's log loss on the labelled examples so far (each predicted before it was
    learned), discounted by ``memory`` per example so that a model that has got
    better is not held to its first mistakes. It starts nearly as the prior alone
    (the learned model's share is :data:`LEARNED_START_SHARE`) and hands over as
    fast as the learned model proves better on this center's own outcomes.

    >>> b = Blend()
    >>> for _ in range(50):
    ...     b.learn(0.5, 0.9, True)
    >>> b.learned_share > 0.99
    True
    """

    def __init__(self, memory: float = BLEND_MEMORY) -> None:
        self.memory = memory
        self.losses = [0.0, 0.0]  # discounted log loss: prior, learned

    def shares(self) -> tuple[float, float]:
        """(prior, learned) shares, summing to 1."""
        lp, ll = self.losses
        low = min(lp, ll)
        p = (1 - LEARNED_START_SHARE) * math.exp(low - lp)
        q = LEARNED_START_SHARE * math.exp(low - ll)
        return p / (p + q), q / (p + q)

    def predict(self, prior: float, learned: float) -> float:
        sp, sl = self.shares()
        return sp * prior + sl * learned

    def learn(self, prior: float, learned: float, y: bool, w: float = 1.0) -> None:
        self.losses = [self.memory * loss + w * _log_loss(p, y)
                       for loss, p in zip(self.losses, (prior, learned), strict=True)]  # fmt: skip

    @property
    def learned_share(self) -> float:
        """The learned model's share, in [0, 1] (0 = prior alone)."""
        return self.shares()[1]


class RiskModel:
    """Prior + online logistic regression, blended by :class:`Blend`; predicting never learns."""

    def __init__(self, learning_rate: float = LEARNING_RATE, blend_memory: float = BLEND_MEMORY) -> None:
        self.learning_rate = learning_rate  # kept, as river keeps an estimator's arguments:
        self.blend_memory = blend_memory  # a checkpoint says what it was trained with
        self.scaler = preprocessing.StandardScaler()
        self.classifier = linear_model.LogisticRegression(optimizer=optim.AdaGrad(learning_rate), l2=0.0)
        self.blend = Blend(blend_memory)
        self.n_labels = 0
        self.n_positive = 0

    @property
    def weight(self) -> float:
        """The learned model's share in the blend once it has labels (0 = the prior alone)."""
        return self.shares()[1]

    def prior_proba(self, x: dict[str, float]) -> float:
        return _sigmoid(INTERCEPT + sum(w * x.get(k, 0.0) for k, w in PRIOR_WEIGHTS.items()))

    @staticmethod
    def sparse_inputs(words: dict[str, float]) -> dict[str, float]:
        """The customer's words, queue and agent as the learned model reads them (scaled up).

        The words go into :data:`~streaming.scoring.hashing.RISK_WORD_BITS` hashed buckets,
        so the model stays bounded however many calls it learns from. Callers pass the
        result as ``words``; the scorer computes it once per customer turn.
        """
        out: dict[str, float] = {}
        for k, v in words.items():
            if k.startswith("w:"):
                k = hashed("w:", k[2:], RISK_WORD_BITS)
            out[k] = out.get(k, 0.0) + WORD_SCALE * v
        return out

    def _inputs(self, x: dict[str, float], words: dict[str, float] | None) -> dict[str, float]:
        """Standardised dense features, clipped at CLIP_SD, plus the sparse inputs."""
        means, variances, c = self.scaler.means, self.scaler.vars, CLIP_SD
        z = {}
        for k, v in x.items():
            var = variances.get(k, 0.0)
            if var:
                s = (v - means.get(k, 0.0)) / var**0.5
                z[k] = c if s > c else -c if s < -c else s
            else:
                z[k] = 0.0
        if words:
            z.update(words)
        return z

    def learned_proba(self, x: dict[str, float], words: dict[str, float] | None = None) -> float:
        return float(self.classifier.predict_proba_one(self._inputs(x, words)).get(True, 0.0))

    def predict_proba_one(self, x: dict[str, float], words: dict[str, float] | None = None,
                          learned_x: dict[str, float] | None = None,
                          learned_p: float | None = None) -> float:  # fmt: skip
        """The blended risk; the learned part reads ``learned_x`` where given, else ``x``, or is
        ``learned_p`` where given (the learned model's own probability, as it stood)."""
        p = self.prior_proba(x)
        if self.n_labels == 0:
            return p
        if learned_p is None:
            learned_p = self.learned_proba(x if learned_x is None else learned_x, words)
        return self.blend.predict(p, learned_p)

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        """How much each call-state feature pushed the risk up (+) or down (-), in logit units.

        Each part's own contributions, weighted by its share in the blend.
        """
        share_prior, share_learned = self.shares()
        out = {k: share_prior * PRIOR_WEIGHTS.get(k, 0.0) * v for k, v in x.items()}
        if share_learned > 0.0:
            # measured from "nothing wrong" (every feature 0), not from the average call
            # the model's own weight store: .weights would copy every word's weight each time
            weights, variances = self.classifier._weights, self.scaler.vars
            for k, v in x.items():
                sd = variances.get(k, 0.0) ** 0.5
                if sd > 0:
                    z = min(CLIP_SD, v / sd)
                    out[k] = out.get(k, 0.0) + share_learned * weights.get(k, 0.0) * z
        return out

    def sparse_contributions(self, words: dict[str, float]) -> dict[str, float]:
        """How much the learned model's sparse inputs (``words`` as from :meth:`sparse_inputs`)
        pushed the risk, in logit units, weighted by its share: ``wording`` (the customer's
        words together), ``queue`` and ``agent`` (the calls of this queue or agent escalating
        more or less often than the rest). With :meth:`contributions`, every part of the
        learned risk but its intercept can be a reason.
        """
        share = self.shares()[1]
        if share <= 0.0:
            return {}
        weights = self.classifier._weights
        out = {"wording": weights @ utils.VectorDict(words)}  # all of them at once, then the two
        for k in reversed(words):  # the queue and agent come last (CallState.word_features)
            if k.startswith("w#"):
                break
            part = weights.get(k, 0.0) * words[k]
            out["wording"] -= part
            out["queue" if k.startswith("queue=") else "agent"] = part
        return {k: share * v for k, v in out.items()}

    def top_words(self, features: dict[str, float], n: int = 2) -> list[str]:
        """The customer's words (``w:`` keys of ``CallState.word_features()``) that raised the
        learned risk most, as the customer said them; words that lowered it are never given,
        nor a word already quoted within a pair ("last" after "last person"), nor words that
        say nothing on their own (:data:`UNQUOTED`: "the", "that's", "?"; digits, and one or
        two letters: an account number read out)."""
        weights = self.classifier._weights
        raised = sorted(((weights.get(hashed("w:", k[2:], RISK_WORD_BITS), 0.0) * v, k[2:])
                         for k, v in features.items() if k.startswith("w:")), reverse=True)  # fmt: skip
        out: list[str] = []
        said: set[str] = set()
        for c, token in raised:
            if c <= 0 or len(out) >= n:
                break
            words = set(token.split("_"))
            if words & said or words <= UNQUOTED or all(w.isdigit() or len(w) <= 2 for w in words):
                continue  # ... nor digits and letters read out ("K H 2 0 6", an account number)
            said |= words
            out.append(token.replace("_", " "))
        return out

    def base_contribution(self) -> float:
        """How far the learned model, weighted by its share, puts a call with nothing wrong
        (every feature 0, no words) above the prior's, in logit units: the center's own rate
        of escalation, where it is higher than the prior assumes."""
        share = self.shares()[1]
        if share <= 0.0:
            return 0.0
        weights = self.classifier._weights
        nothing = self._inputs(dict.fromkeys(self.scaler.means, 0.0), None)
        logit = self.classifier.intercept + sum(weights.get(k, 0.0) * v for k, v in nothing.items())
        return share * (logit - INTERCEPT)

    def shares(self) -> tuple[float, float]:
        """(prior, learned) shares of the risk: the prior alone until a label is learned."""
        return self.blend.shares() if self.n_labels else (1.0, 0.0)

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
    def rule_floor(x: dict[str, float], calm_turns_since: int = 0) -> tuple[float, list[str]]:
        """The highest floor among the hard rules that fire, and their reasons; none once the
        customer has had ``RULE_HOLD_CALM_TURNS`` calm turns in a row since the phrase."""
        floor, reasons = 0.0, list[str]()
        if calm_turns_since >= RULE_HOLD_CALM_TURNS:
            return floor, reasons
        for feature, (minimum, reason) in RULE_FLOORS.items():
            if x.get(feature, 0.0) > 0:
                floor = max(floor, minimum)
                reasons.append(reason)
        return floor, reasons
