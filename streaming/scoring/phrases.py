"""Phrase lists from a data file, compiled into one matcher per category.

The lists live in ``data/phrases.json`` (or a file named by the caller) so a
contact center can tune them without touching code. The same file says when a
phrase found is not meant (``guards``): a hard-rule phrase the customer negates
or reports ("I don't want to cancel my account", "I was told to cancel it"), and a
curt phrase the agent asks as a question ("Are you sure I can't help you find one?").

>>> m = PhraseBook.default()
>>> sorted(m.match("customer", "I want to speak to your manager, this is the third time"))
['manager', 'repeat']
>>> m.match("agent", "I understand how frustrating that is")
{'empathy'}
>>> m.match("customer", "No, I don't want to cancel my account.")
set()
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

MASK = r"[*#@$%!]"  # what a written swear word is masked with: 'f*ck', 'sh#t'
_CLAUSE_END = re.compile(r"[.!?;:,\n]")
_SENTENCE_END = re.compile(r"[.!?\n]")
_WORD = re.compile(r"[\w']+")


def _part(phrase: str) -> str:
    if phrase.startswith("re:"):  # a regular expression, for what a list cannot spell: "3pm", "7:15"
        try:
            re.compile(phrase[3:])
        except re.error as exc:
            raise ValueError(f"phrase {phrase!r} is not a regular expression: {exc}") from None
        return f"(?:{phrase[3:]})"
    # '*' ending a word: any word ending; inside a word: one masking character
    escaped = re.sub(r"\\\*(?=\\ |$)", r"\\w*", re.escape(phrase.lower().strip()))
    escaped = escaped.replace(r"\*", MASK)
    return escaped.replace(r"\ ", r"\s+").replace("'", "['\u2019]")


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    parts = [_part(p) for p in sorted(phrases, key=len, reverse=True)]
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True, slots=True)
class Guards:
    """When a phrase found is not meant.

    A ``negatable`` category's phrase is void when, in its clause, a negation comes
    before it with only ``bridges`` between ("I do not want to speak to a manager";
    but "if I don't get a refund I will cancel" is a threat: "get" is no bridge).
    A ``not_in_questions`` category's phrase is void in a sentence that ends with "?".
    """

    negations: tuple[tuple[str, ...], ...] = ()
    bridges: frozenset[str] = frozenset()
    negatable: frozenset[tuple[str, str]] = frozenset()  # (speaker, category)
    not_in_questions: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Guards:
        def pairs(key: str) -> frozenset[tuple[str, str]]:
            value = raw.get(key, {})
            if not isinstance(value, dict):
                raise ValueError(f"guards.{key} must map a speaker to categories")
            return frozenset((speaker, c) for speaker, cats in value.items() for c in cats)

        negations = raw.get("negations", [])
        bridges = raw.get("bridges", [])
        if not isinstance(negations, list) or not isinstance(bridges, list):
            raise ValueError("guards.negations and guards.bridges must be lists of words")
        return cls(tuple(tuple(_words(n)) for n in negations if _words(n)),
                   frozenset(w for b in bridges for w in _words(b)),
                   pairs("negatable"), pairs("not_in_questions"))  # fmt: skip

    def void(self, speaker: str, category: str, text: str, m: re.Match[str]) -> bool:
        if (speaker, category) in self.negatable and self._negated(text[: m.start()]):
            return True
        if (speaker, category) in self.not_in_questions:
            end = _SENTENCE_END.search(text, m.end())
            return end is not None and end.group(0) == "?"
        return False

    def _negated(self, before: str) -> bool:
        clause = _CLAUSE_END.split(before)[-1]
        words = _words(clause)
        i = len(words)
        while True:
            if any(i >= len(n) and tuple(words[i - len(n):i]) == n for n in self.negations):
                return True
            if i == 0 or words[i - 1] not in self.bridges:
                return False
            i -= 1


@dataclass(frozen=True, slots=True)
class PhraseBook:
    """Compiled phrase categories per speaker (``customer`` / ``agent``)."""

    patterns: dict[str, dict[str, re.Pattern[str]]]
    guards: Guards = Guards()

    @classmethod
    def from_json(cls, text: str) -> PhraseBook:
        raw = json.loads(text)
        guards = raw.pop("guards", {})
        return cls({
            speaker: {cat: _pattern(items) for cat, items in cats.items() if items}
            for speaker, cats in raw.items()
            if not speaker.startswith("_")
        }, Guards.from_dict({k: v for k, v in guards.items() if not k.startswith("_")}))  # fmt: skip

    @classmethod
    def default(cls) -> PhraseBook:
        text = resources.files("streaming.scoring").joinpath("data/phrases.json").read_text("utf-8")
        return cls.from_json(text)

    def match(self, speaker: str, text: str) -> set[str]:
        """The categories of ``speaker``'s list that occur in ``text``."""
        return set(self.find(speaker, text))

    def find(self, speaker: str, text: str) -> dict[str, str]:
        """Category -> the first phrase of it found in ``text`` (as written there) and meant."""
        out = {}
        for cat, pat in self.patterns.get(speaker, {}).items():
            for m in pat.finditer(text):
                if not self.guards.void(speaker, cat, text, m):
                    out[cat] = m.group(0)
                    break
        return out
