"""Phrase lists from a data file, compiled into one matcher per category.

The lists live in ``data/phrases.json`` (or a file named by the caller) so a
contact center can tune them without touching code.

>>> m = PhraseBook.default()
>>> sorted(m.match("customer", "I want to speak to your manager, this is the third time"))
['manager', 'repeat']
>>> m.match("agent", "I understand how frustrating that is")
{'empathy'}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        # '*' ending a word: any word ending; inside a word: one letter or a masking '*'
        escaped = re.sub(r"\\\*(?=\\ |$)", r"\\w*", re.escape(phrase.lower().strip()))
        escaped = escaped.replace(r"\*", r"[\w*]")
        escaped = escaped.replace(r"\ ", r"\s+").replace("'", "['\u2019]")
        parts.append(escaped)
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PhraseBook:
    """Compiled phrase categories per speaker (``customer`` / ``agent``)."""

    patterns: dict[str, dict[str, re.Pattern[str]]]

    @classmethod
    def from_json(cls, text: str) -> PhraseBook:
        raw = json.loads(text)
        return cls({
            speaker: {cat: _pattern(items) for cat, items in cats.items() if items}
            for speaker, cats in raw.items()
            if not speaker.startswith("_")
        })  # fmt: skip

    @classmethod
    def default(cls) -> PhraseBook:
        text = resources.files("streaming.scoring").joinpath("data/phrases.json").read_text("utf-8")
        return cls.from_json(text)

    def match(self, speaker: str, text: str) -> set[str]:
        """The categories of ``speaker``'s list that occur in ``text``."""
        return set(self.find(speaker, text))

    def find(self, speaker: str, text: str) -> dict[str, str]:
        """Category -> the first phrase of it found in ``text`` (as written there)."""
        out = {}
        for cat, pat in self.patterns.get(speaker, {}).items():
            m = pat.search(text)
            if m:
                out[cat] = m.group(0)
        return out

    def count(self, speaker: str, category: str, text: str) -> int:
        pat = self.patterns.get(speaker, {}).get(category)
        return len(pat.findall(text)) if pat else 0
