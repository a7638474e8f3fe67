"""Phrase lists from a data file, compiled into one matcher per category.

The lists live in ``data/phrases.json`` (or a center's own copy, ``CALLHEAT_PHRASES_FILE``)
so a contact center can tune them without touching code; they are checked when loaded
(``phrase_check``). The same file says when a
phrase found is not meant (``guards``): a hard-rule phrase the customer negates
or reports ("I don't want to cancel my account", "I was told to cancel it"), a
curt phrase the agent asks as a question ("Are you sure I can't help you find one?"), and
a customer's "still not working" asked about now ("Is it still not working?"), not said
of an earlier contact.

>>> m = PhraseBook.default()
>>> sorted(m.match("customer", "I want to speak to your manager, this is the third time"))
['manager', 'repeat']
>>> m.match("agent", "I understand how frustrating that is")
{'empathy'}
>>> m.match("customer", "No, I don't want to cancel my account.")
set()
>>> m.match("customer", "Is it still not working on your end?")
set()
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from streaming.scoring.data_check import parse_json, read_text

log = logging.getLogger(__name__)
PACKAGED_FILE = Path(__file__).parent / "data" / "phrases.json"  # CALLHEAT_PHRASES_FILE's default
MASK = r"[*#@$%!]"  # what a written swear word is masked with: 'f*ck', 'sh#t'
MASK_RUN = MASK + "{1,4}"  # transcripts mask with a run: 'f***', 'sh**'
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
    escaped = re.escape(phrase.lower().strip())
    # two or more '*' ending a word: a run of masking characters, then any ending
    # ('f**' matches 'f***', 'f**k', 'f***ing')
    escaped = re.sub(r"(?<=\w)(?:\\\*){2,}(?=\\ |$)", lambda _: MASK_RUN + r"\w*", escaped)
    # one '*' ending a word: any word ending; alone: any one word
    escaped = re.sub(r"\\\*(?=\\ |$)", r"\\w*", escaped)
    # '*' inside a word: a run of one to four masking characters ('f*ck' matches 'f***k')
    escaped = re.sub(r"(?:\\\*)+", lambda _: MASK_RUN, escaped)
    return escaped.replace(r"\ ", r"\s+").replace("'", "['\u2019]")


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    parts = [_part(p) for p in sorted(phrases, key=len, reverse=True)]
    return re.compile(r"(?<![\w'])" + _first_chars(phrases) + "(?:" + "|".join(parts) + r")(?![\w'])",
                      re.IGNORECASE)  # fmt: skip


def _first_chars(phrases: list[str]) -> str:
    """A lookahead for the characters the phrases can start with, or "" where one can start
    with anything (a regular expression, a wildcard). Python's ``re`` tries every
    alternative at every word start; the lookahead skips the starts none can match (a
    turn's search of both speakers' lists took 161 µs before it and 132 µs with it, over
    5,659 simulated turns; the matches were the same on 50,066 turns).

    >>> _first_chars(["speak to a manager", "supervisor", "I'll sue"])
    '(?=[is])'
    >>> _first_chars(["manager", "re:[0-9]+pm"])
    ''
    """
    firsts = set()
    for phrase in phrases:
        first = phrase.lower().strip()[:1]
        if phrase.startswith("re:") or not (first.isalnum() or first == "'"):
            return ""
        firsts.add(first)
    chars = "".join(sorted(firsts)).replace("'", "'\u2019")
    return f"(?=[{chars}])"


def _next_word(text: str) -> str | None:
    """The first word of ``text`` past spaces and a comma: ", but" -> "but"."""
    m = re.match(r"[\s,\u2014-]*([\w']+)", text.replace("\u2019", "'"))
    return m.group(1).lower() if m else None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True, slots=True)
class Guards:
    """When a phrase found is not meant.

    A ``negatable`` category's phrase is void when, in its clause, a negation comes
    before it with only ``bridges`` between ("I do not want to speak to a manager";
    but "if I don't get a refund I will cancel" is a threat: "get" is no bridge).
    A ``not_in_questions`` category's phrase is void in a sentence that ends with "?".
    A ``reported`` category's phrase is void when a reporting verb follows it, with only
    ``fillers`` between: a mention, not a request ("Your manager already called me",
    "my son is a lawyer and he said..." is a mention by its wording, see the lists).
    A ``void_before`` category's phrase is void when one of its words comes right after it
    (past a comma): "I'm sorry, but...", "I'm sorry, can you repeat that?".
    A ``status_questions`` category's phrase holding one of its words is void in a sentence
    that ends with "?": "Is it still not working?" asks how things are now; it does not say
    the customer called before about it, as "it's still not working" does.
    ``void_in_call_after`` is the one guard that reads the call, not the turn
    (:meth:`void_in_call`): a category's phrase is void once the customer has said a
    phrase of one of the listed categories, that turn included. After "my husband passed
    away", "I need to close our account" is a request, not a threat to leave.
    """

    negations: tuple[tuple[str, ...], ...] = ()
    bridges: frozenset[str] = frozenset()
    negatable: frozenset[tuple[str, str]] = frozenset()  # (speaker, category)
    not_in_questions: frozenset[tuple[str, str]] = frozenset()
    reporting: frozenset[str] = frozenset()  # "said", "told", "called"...
    fillers: frozenset[str] = frozenset()  # "already", "just"...
    reported: frozenset[tuple[str, str]] = frozenset()
    void_before: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    status_questions: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    void_in_call_after: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Guards:
        def pairs(key: str) -> frozenset[tuple[str, str]]:
            value = raw.get(key, {})
            if not isinstance(value, dict):
                raise ValueError(f"guards.{key} must map a speaker to categories")
            return frozenset((speaker, c) for speaker, cats in value.items() for c in cats)

        def words(key: str) -> frozenset[str]:
            value = raw.get(key, [])
            if not isinstance(value, list):
                raise ValueError(f"guards.{key} must be a list of words")
            return frozenset(w for b in value for w in _words(str(b)))

        def category_words(key: str) -> dict[tuple[str, str], frozenset[str]]:
            value = raw.get(key, {})
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ValueError(f"guards.{key} must map a speaker to categories and their words")
            return {(speaker, c): frozenset(w for x in ws for w in _words(x))
                    for speaker, cats in value.items() for c, ws in cats.items()}  # fmt: skip

        def categories(key: str) -> dict[tuple[str, str], frozenset[str]]:
            value = raw.get(key, {})
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ValueError(f"guards.{key} must map a speaker to categories and the customer's "
                                 "categories that void them")  # fmt: skip
            return {(speaker, c): frozenset(map(str, after))
                    for speaker, cats in value.items() for c, after in cats.items()}  # fmt: skip

        negations = raw.get("negations", [])
        if not isinstance(negations, list):
            raise ValueError("guards.negations must be a list of words")
        return cls(tuple(tuple(_words(n)) for n in negations if _words(n)),
                   words("bridges"), pairs("negatable"), pairs("not_in_questions"),
                   words("reporting"), words("fillers"), pairs("reported"),
                   category_words("void_before"), category_words("status_questions"),
                   categories("void_in_call_after"))  # fmt: skip

    def void(self, speaker: str, category: str, text: str, m: re.Match[str]) -> bool:
        if (speaker, category) in self.negatable and self._negated(text[: m.start()]):
            return True
        if (speaker, category) in self.reported and self._reported(text[m.end():]):
            return True
        after = self.void_before.get((speaker, category))
        if after and _next_word(text[m.end():]) in after:
            return True
        status = self.status_questions.get((speaker, category))
        if (speaker, category) in self.not_in_questions or (status and status & set(_words(m.group(0)))):
            end = _SENTENCE_END.search(text, m.end())
            return end is not None and end.group(0) == "?"
        return False

    def void_in_call(self, speaker: str, found: dict[str, str],
                     said: Callable[[str], bool]) -> dict[str, str]:  # fmt: skip
        """``found`` (one turn's categories) less those the call has voided: ``said(category)``
        tells whether the customer said a phrase of that category earlier in the call.

        >>> g = Guards(void_in_call_after={("customer", "cancel"): frozenset({"bereavement"})})
        >>> g.void_in_call("customer", {"cancel": "close our account", "bereavement": "passed away"},
        ...                lambda category: False)
        {'bereavement': 'passed away'}
        >>> g.void_in_call("customer", {"cancel": "cancel my contract"}, lambda category: False)
        {'cancel': 'cancel my contract'}
        """
        def void(category: str) -> bool:
            after = self.void_in_call_after.get((speaker, category), frozenset())
            return any(c in found or said(c) for c in after)

        return {c: words for c, words in found.items() if not void(c)}

    def _reported(self, after: str) -> bool:
        clause = _CLAUSE_END.split(after)[0]
        for word in _words(clause):
            if word in self.reporting:
                return True
            if word not in self.fillers:
                return False
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
    def from_json(cls, text: str, name: str = "phrases.json") -> PhraseBook:
        """The phrase book in ``text`` (the file ``name``), checked first: a problem is an
        InvalidDataFile in one line naming the file and the place (``phrase_check``)."""
        from streaming.scoring.phrase_check import check_phrases  # it reads this module's helpers

        raw = parse_json(text, name)
        for warning in check_phrases(raw, name):
            log.warning("%s", warning)
        guards = raw.pop("guards", {})
        return cls({
            # a category given [] has no pattern: switched off, on purpose
            speaker: {cat: _pattern(items) for cat, items in cats.items()
                      if items and not cat.startswith("_")}
            for speaker, cats in raw.items()
            if not speaker.startswith("_")
        }, Guards.from_dict({k: v for k, v in guards.items() if not k.startswith("_")}))  # fmt: skip

    @classmethod
    def from_file(cls, path: Path) -> PhraseBook:
        """The phrase book in the file ``path`` (a center's own, ``CALLHEAT_PHRASES_FILE``)."""
        return cls.from_json(read_text(path), str(path))

    @classmethod
    def default(cls) -> PhraseBook:
        """The phrase lists shipped with CallHeat (``data/phrases.json``)."""
        return cls.from_file(PACKAGED_FILE)

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
