"""Feature hashing: the learned models' words in a fixed number of buckets.

A scorer runs for months and learns from every call, so a vocabulary keyed by the
words themselves (every bigram and trigram any customer ever said) would grow without
bound, and with it the weights, the optimiser's state, the naive-Bayes counts and the
checkpoint. Hashing each n-gram into one of ``2**bits`` buckets bounds all of them;
the price is that rare n-grams sometimes share a weight. The hash is CRC-32, which is
stable across processes and Python versions (``hash()`` is salted per process), so
every replica and every restart puts a word in the same bucket.

>>> bucket("w:refund", 18) == bucket("w:refund", 18)
True
>>> 0 <= bucket("w:refund", 18) < 2**18
True
>>> hashed("w:", "refund", 18)[:2]
'w#'
"""

from __future__ import annotations

import zlib
from functools import lru_cache

RISK_WORD_BITS = 18  # the risk model's customer words: 262,144 buckets
SENTIMENT_BITS = 20  # the sentiment model's n-grams, per kind (turn, answered turn, ...): 1,048,576


def bucket(token: str, bits: int) -> int:
    """The token's bucket in ``[0, 2**bits)``."""
    return zlib.crc32(token.encode("utf-8")) & ((1 << bits) - 1)


@lru_cache(maxsize=1 << 16)  # words are Zipfian: the common ones are hashed once
def hashed(prefix: str, token: str, bits: int) -> str:
    """The feature name for ``token``: ``prefix`` with ``:`` turned to ``#``, then its bucket."""
    return f"{prefix[:-1]}#{bucket(prefix + token, bits)}"
