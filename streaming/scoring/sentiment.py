"""Turn sentiment in [-1, 1]: a lexicon prior blended with an online river text model.

The learned model reads a customer turn in context: its words (unigrams and
bigrams), the words of the agent turn it answers (a customer's mood is often a
verdict on the last answer), the queue, where in the call it is, the customer's
previous sentiment, their mood so far (mean of their last five turns) and the
lexicon's score. The turn's own words also come
with negation marking ("no, ..." marks what follows), trigrams and their first and
last words, and two naive-Bayes features (the n-grams' smoothed log-odds of a
negative, a positive turn, from label counts) that carry the first labels. Two
river logistic regressions (negative vs not, positive vs not), trained with class
weights that make up for how rare negative and positive turns are (positive turns
less so), give ``P(positive) - P(negative)``.

The negative model learns a soft target: a label's share of the way from neutral
(0, a mean rating of 3) to dissatisfied (-0.5, a rating of 2), so a mean rating of
2.5 (-0.25, raters split between 2 and 3) counts as half a negative turn rather than
none. The positive model keeps the hard cut: soft positive targets make it overcall
the many mildly positive "thanks" turns that raters call neutral.

The blend: ``(1 - w) * lexicon + w * learned`` with ``w = n / (n + warmup)``, where
``n`` counts labelled turns learned so far (supervisor corrections, labelled data
sets), capped at ``max_weight``. With no labels the lexicon (VADER's compound
score) carries it alone; after ``warmup`` labels the two count equally.

>>> m = SentimentModel(warmup=2)
>>> m.predict_one("This is great, thank you so much") > 0.3
True
>>> m.predict_one("This is useless and I am furious") < -0.3
True
>>> for _ in range(30):
...     m.learn_one("my parcel never arrived", -0.8)
...     m.learn_one("that works for me", 0.0)
>>> m.predict_one("my parcel never arrived") < -0.5
True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from river import linear_model, optim, utils
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from streaming.scoring.hashing import SENTIMENT_BITS, hashed

NEGATIVE_CUT = -0.25  # a label below this is a negative turn (same cut as the call state's)
POSITIVE_CUT = 0.25
MAX_CLASS_WEIGHT = 8.0
CLASS_WEIGHT_POWER = 0.5  # 1 = fully balanced classes, 0 = as they come
# positive turns get a milder boost: with the full one the model overcalls "thanks" turns positive
POSITIVE_WEIGHT_POWER = 0.35
NB_ALPHA = 1.0  # add-alpha smoothing of the word counts behind the naive-Bayes features
NB_SCALE = 0.3  # the naive-Bayes log-odds as features, scaled to the size of the other features
# the negative model's target rises from 0 at a neutral label to 1 at one rating step below (-0.5)
NEGATIVE_RAMP = 0.5
LEARNING_RATE = 0.3  # AdaGrad's rate for both regressions
# AdaGrad's starting sum of squared gradients. With none, a feature's first step is the
# full rate whatever its gradient (g / sqrt(g**2) = ±1), so a word seen once in a turn the
# model nearly got right moves as far as one in a turn it got badly wrong. Starting the
# sum here makes the first steps of a new word follow its error (about an SGD step at
# rate 0.3 / sqrt(0.2) = 0.67) and lets the rate be higher: new words learn from their
# first labels in proportion to how wrong the model was, without the sign-step noise.
ADAGRAD_START = 0.2
_TOKENS = re.compile(r"[a-z0-9']+|[?!]")
# a negation marks the words after it (until ? or !) as negated: "no, I need it in the south"
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nor", "cannot"})


class SoftLog(optim.losses.Log):
    """Log loss with a target in [0, 1] (river's ``Log`` takes a class only): ``p - target``."""

    def gradient(self, y_true: float, y_pred: float) -> float:  # type: ignore[override]
        return float(utils.math.sigmoid(y_pred)) - float(y_true)


def negative_target(y: float) -> float:
    """How negative a label is, in [0, 1]: 0 at neutral (0) and above, 1 at -0.5 and below.

    >>> negative_target(-0.25), negative_target(0.1), negative_target(-0.75)
    (0.5, 0.0, 1.0)
    """
    return max(0.0, min(1.0, -y / NEGATIVE_RAMP))


class LexiconSentiment:
    """VADER's compound score: the prior, and the ``--baseline lexicon`` scorer."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def predict_one(self, text: str) -> float:
        return float(self._vader.polarity_scores(text)["compound"])

    def __getstate__(self) -> dict[str, object]:
        return {}  # the lexicon is rebuilt from the package, not pickled

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What a turn is said in reply to; the defaults describe a turn with no context."""

    reply_to: str | None = None  # the other speaker's last words before this turn
    queue: str = ""
    position: int = 0  # this speaker's turns before this one
    previous: float | None = None  # this speaker's previous turn sentiment
    speaker: str = "customer"
    mood: float | None = None  # this speaker's mean sentiment over their last five turns


def sentiment_class(y: float) -> str:
    """negative / neutral / positive, with the cuts the product uses everywhere (±0.25)."""
    return "negative" if y < NEGATIVE_CUT else "positive" if y > POSITIVE_CUT else "neutral"


def tokens(text: str) -> list[str]:
    """Lowercase words and bigrams (with ``?`` and ``!``): the text model's vocabulary."""
    words = _TOKENS.findall(text.lower())
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def _negated(words: list[str]) -> list[str]:
    """Words after a negation (up to ``?`` or ``!``) as ``NOT_word``; the negation itself kept.

    >>> _negated(["no", "i", "need", "it", "?", "ok"])
    ['no', 'NOT_i', 'NOT_need', 'NOT_it', '?', 'ok']
    """
    out, negated = [], False
    for w in words:
        if w in _NEGATIONS or w.endswith("n't"):
            negated = True
            out.append(w)
        else:
            if w in ("?", "!"):
                negated = False
            out.append("NOT_" + w if negated else w)
    return out


def _bag(prefix: str, text: str, into: dict[str, float], rich: bool = False) -> list[str]:
    """Add the text's n-grams (L2-normalised, hashed) to ``into``; the words, lowercased.

    ``rich`` (the turn's own words): negation marking, word trigrams, and the first
    word, first two words and last word as features of their own.
    """
    words = _TOKENS.findall(text.lower())
    if rich:
        toks = _negated(words) + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
        toks += [f"{a}_{b}_{c}" for a, b, c in zip(words, words[1:], words[2:], strict=False)]
    else:
        toks = tokens(text)
    if toks:
        norm = 1.0 / math.sqrt(len(toks))
        for t in toks:
            key = hashed(prefix, t, SENTIMENT_BITS)
            into[key] = into.get(key, 0.0) + norm
    if rich and words:
        into[hashed("f:", words[0], SENTIMENT_BITS)] = 1.0
        if len(words) > 1:
            into[hashed("f2:", f"{words[0]}_{words[1]}", SENTIMENT_BITS)] = 1.0
        into[hashed("l:", words[-1], SENTIMENT_BITS)] = 0.5
    return words


def _regression(learning_rate: float, adagrad_start: float) -> linear_model.LogisticRegression:
    """One of the two class models: soft-target log loss, AdaGrad started at ``adagrad_start``.

    River's AdaGrad adds its ``eps`` to each feature's sum of squared gradients before the
    square root, so ``eps`` is that starting sum (see ``ADAGRAD_START`` for why it is not ~0).
    """
    return linear_model.LogisticRegression(optimizer=optim.AdaGrad(learning_rate, eps=adagrad_start),
                                           l2=0.0, loss=SoftLog())  # fmt: skip


class SentimentModel:
    """Lexicon prior + online text classifiers, blended by label count."""

    def __init__(self, warmup: int = 30, max_weight: float = 0.95, learning_rate: float = LEARNING_RATE,
                 adagrad_start: float = ADAGRAD_START) -> None:  # fmt: skip
        self.warmup = warmup
        self.max_weight = max_weight
        self.learning_rate = learning_rate  # kept, as river keeps an estimator's arguments:
        self.adagrad_start = adagrad_start  # a checkpoint says what it was trained with
        self.lexicon = LexiconSentiment()
        self.negative = _regression(learning_rate, adagrad_start)
        self.positive = _regression(learning_rate, adagrad_start)
        # labelled turns per class; a soft negative target counts as that share of a negative turn
        self.class_counts = {"negative": 1.0, "neutral": 1.0, "positive": 1.0}
        self.n_labels = 0
        self._init_counts()

    def _init_counts(self) -> None:
        # naive-Bayes word counts: n-gram -> [turns, negative turns, positive turns]
        self.word_counts: dict[str, list[int]] = {}
        self.turn_counts = [0, 0, 0]  # negative, positive, all labelled turns

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        if "word_counts" not in state:  # a checkpoint from before the word counts
            self._init_counts()

    @property
    def weight(self) -> float:
        """How much the learned model counts in the blend, in [0, max_weight]."""
        return min(self.max_weight, self.n_labels / (self.n_labels + self.warmup))

    def features(self, text: str, context: TurnContext, prior: float) -> dict[str, float]:
        x: dict[str, float] = {"lexicon": prior, f"queue={context.queue}": 1.0,
                               f"position={min(context.position, 10)}": 1.0}  # fmt: skip
        if context.speaker != "customer":
            x[f"speaker={context.speaker}"] = 1.0
        if context.previous is not None:
            x["previous"] = context.previous
            x[f"previous={sentiment_class(context.previous)}"] = 1.0
        if context.mood is not None:  # how the call has gone for them, not just the last turn
            x["mood"] = context.mood
            x[f"mood={sentiment_class(context.mood)}"] = 1.0
        _bag("w:", text, x, rich=True)
        if context.reply_to:
            _bag("r:", context.reply_to, x)
        self._naive_bayes(x)
        return x

    def _naive_bayes(self, x: dict[str, float]) -> None:
        """Two features: the n-grams' smoothed log-odds of negative (positive) vs the rest.

        Counts learn from a handful of examples where the regressions' weights are still
        small, so these carry the early labels; the regressions learn how much to trust them.
        """
        n_neg, n_pos, n_all = self.turn_counts
        if not n_all:
            return
        a = NB_ALPHA
        base_neg = math.log((n_neg + a) / (n_all - n_neg + a))
        base_pos = math.log((n_pos + a) / (n_all - n_pos + a))
        s_neg = s_pos = 0.0
        for key, value in x.items():
            counts = self.word_counts.get(key)
            if counts is None:
                continue
            total, neg, pos = counts
            s_neg += value * (math.log((neg + a) / (total - neg + a)) - base_neg)
            s_pos += value * (math.log((pos + a) / (total - pos + a)) - base_pos)
        x["nb:negative"] = NB_SCALE * s_neg
        x["nb:positive"] = NB_SCALE * s_pos

    def _count(self, x: dict[str, float], label: str) -> None:
        self.turn_counts[2] += 1
        self.turn_counts[0] += label == "negative"
        self.turn_counts[1] += label == "positive"
        for key in x:
            if key[:2] in ("w#", "r#"):  # the turn's and the answered turn's n-grams
                counts = self.word_counts.setdefault(key, [0, 0, 0])
                counts[0] += 1
                counts[1] += label == "negative"
                counts[2] += label == "positive"

    def learned(self, x: dict[str, float]) -> float:
        p_neg = self.negative.predict_proba_one(x).get(True, 0.0)
        p_pos = self.positive.predict_proba_one(x).get(True, 0.0)
        return float(p_pos - p_neg)

    def predict_one(self, text: str, context: TurnContext | None = None) -> float:
        prior = self.lexicon.predict_one(text)
        w = self.weight
        if w == 0.0:
            return prior
        learned = self.learned(self.features(text, context or TurnContext(), prior))
        return max(-1.0, min(1.0, (1.0 - w) * prior + w * learned))

    def expected_reaction(self, reply_to: str, context: TurnContext) -> float | None:
        """The sentiment the learned model expects of a reply to ``reply_to``, before it is said.

        None until the model has learned from labels. An agent answer that past
        customers took badly ("there is nothing available") reads negative here.
        """
        if self.n_labels < self.warmup:
            return None
        ctx = TurnContext(reply_to, context.queue, context.position, context.previous, "customer",
                          context.mood)  # fmt: skip
        return self.learned(self.features("", ctx, 0.0))

    def learn_one(self, text: str, y: float, context: TurnContext | None = None) -> None:
        y = max(-1.0, min(1.0, y))
        x = self.features(text, context or TurnContext(), self.lexicon.predict_one(text))
        label = sentiment_class(y)
        negative = negative_target(y)
        positive = float(label == "positive")
        counts = self.class_counts
        counts["negative"] += negative
        counts["positive"] += positive
        counts["neutral"] += 1.0 - negative - positive
        total = sum(counts.values())
        w_neg = min(MAX_CLASS_WEIGHT, (total / (3 * counts["negative"])) ** CLASS_WEIGHT_POWER)
        w_pos = min(MAX_CLASS_WEIGHT, (total / (3 * counts["positive"])) ** POSITIVE_WEIGHT_POWER)
        # a soft target weighs as that share of a (class-weighted) negative turn and the rest of one
        self.negative.learn_one(x, negative, w=negative * w_neg + (1.0 - negative))
        self.positive.learn_one(x, positive, w=w_pos if positive else 1.0)
        self.n_labels += 1
        self._count(x, label)
