"""Turn sentiment in [-1, 1]: a lexicon prior blended with an online river text model.

The blend: ``(1 - w) * lexicon + w * model`` with ``w = n / (n + warmup)``, where
``n`` is the number of labelled turns learned so far (supervisor corrections,
labelled data sets). With no labels the lexicon (VADER's compound score) carries
it; after ``warmup`` labels the two count equally, and the model takes over as it
learns more (``w`` never exceeds ``max_weight``).

>>> m = SentimentModel(warmup=2)
>>> m.predict_one("This is great, thank you so much") > 0.3
True
>>> m.predict_one("This is useless and I am furious") < -0.3
True
>>> for _ in range(20):
...     m.learn_one("my parcel never arrived", -0.8)
>>> m.predict_one("my parcel never arrived") < -0.5
True
"""

from __future__ import annotations

from river import feature_extraction, linear_model, optim
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


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


class SentimentModel:
    """Lexicon prior + online hashed-n-gram linear regression, blended by label count."""

    def __init__(self, warmup: int = 100, max_weight: float = 0.8, learning_rate: float = 0.05) -> None:
        self.warmup = warmup
        self.max_weight = max_weight
        self.learning_rate = learning_rate
        self.lexicon = LexiconSentiment()
        self.vectorizer = feature_extraction.BagOfWords(lowercase=True, ngram_range=(1, 2))
        self.regressor = linear_model.LinearRegression(
            optimizer=optim.SGD(learning_rate), intercept_lr=0.01, l2=1e-5
        )
        self.n_labels = 0

    @property
    def weight(self) -> float:
        """How much the learned model counts in the blend, in [0, max_weight]."""
        return min(self.max_weight, self.n_labels / (self.n_labels + self.warmup))

    def _features(self, text: str, prior: float) -> dict[str, float]:
        x: dict[str, float] = dict(self.vectorizer.transform_one(text))
        x["__lexicon__"] = prior
        return x

    def predict_one(self, text: str) -> float:
        prior = self.lexicon.predict_one(text)
        w = self.weight
        if w == 0.0:
            return prior
        learned = self.regressor.predict_one(self._features(text, prior))
        return max(-1.0, min(1.0, (1.0 - w) * prior + w * learned))

    def learn_one(self, text: str, y: float) -> None:
        prior = self.lexicon.predict_one(text)
        self.regressor.learn_one(self._features(text, prior), max(-1.0, min(1.0, y)))
        self.n_labels += 1
