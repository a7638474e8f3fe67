"""Checks of a parsed ``phrases.json``: its speakers, categories, phrases and guards.

A problem is an :class:`~streaming.errors.InvalidDataFile` in one line naming the file and the
place (``customer.manager[3]``, counted from 0); the scorer never runs with a list that would
match every turn, or with a rule or guard silently gone. A category the code reads that the
file leaves out is a warning (nothing matches it); ``[]`` switches one off without it.

A category must be one the code reads (:mod:`streaming.scoring.known`): nothing else reads a
category by itself, so one the code does not know would match and do nothing. The one
exception is generic: a customer category named in ``guards.void_in_call_after`` (such as
``bereavement``) is read by that guard, whatever its name.

>>> from streaming.errors import InvalidDataFile
>>> for lists in ({"manager": ["your manager", ""]}, {"manger": ["your manager"]}):
...     try:
...         check_phrases({"customer": lists}, "phrases.json")
...     except InvalidDataFile as exc:
...         print(exc)
phrases.json: customer.manager[1] is empty
phrases.json: customer.manger is not a category the scorer knows (did you mean manager?)
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

from streaming.scoring.data_check import comment, fail, key, kind, meant
from streaming.scoring.phrases import _part, _pattern, _words

# the guards (fields of phrases.Guards) by the shape of their value
GUARD_WORDS = ("negations", "bridges", "reporting", "fillers")  # a list of words
GUARD_CATEGORIES = ("negatable", "not_in_questions", "reported")  # speaker -> categories
GUARD_CATEGORY_WORDS = ("void_before", "status_questions")  # speaker -> category -> words
GUARD_CATEGORY_AFTER = ("void_in_call_after",)  # speaker -> category -> customer categories
GUARDS = GUARD_WORDS + GUARD_CATEGORIES + GUARD_CATEGORY_WORDS + GUARD_CATEGORY_AFTER


def matches_empty(pattern: str) -> bool:
    """Whether ``pattern`` can match the empty string (anywhere: a lookahead, ``\\b``, ``x*``).

    >>> [matches_empty(p) for p in ("abc", r"\\w*", r"(?=x)", "a|", r"\\d{1,2}")]
    [False, True, True, True, False]
    """
    try:  # the parser's least width of a match: Python's own, not a public module
        parser: Any = importlib.import_module("re._parser")
        return bool(parser.parse(pattern).getwidth()[0] == 0)
    except Exception:  # noqa: BLE001 (another Python: the plain test)
        return re.fullmatch(pattern, "") is not None


def check_entry(entry: object, where: str) -> None:
    """One phrase of a list: a non-empty string, a regular expression that compiles, and
    nothing that matches the empty string (it would match every turn)."""
    if not isinstance(entry, str):
        fail(f"{where} must be a string, got {kind(entry)}")
    if not entry.strip():
        fail(f"{where} is empty")
    quoted = json.dumps(entry)
    if entry.startswith("re:"):
        try:
            re.compile(entry[3:])
        except re.error as exc:
            fail(f"{where} {quoted} is not a valid regular expression: {exc}")
    part = _part(entry)  # a plain phrase's is escaped: it compiles
    if entry.startswith("re:"):
        try:
            re.compile(part)
        except re.error as exc:  # "(?i)" inside: flags must start the whole list's expression
            fail(f"{where} {quoted} cannot be used in a list: {exc}")
    # a plain phrase's characters each match one at least, and its spaces one or more: only a
    # wildcard ("*" alone: any word, "\w*") can make it match nothing
    if (entry.startswith("re:") or "*" in entry) and matches_empty(part):
        fail(f"{where} {quoted} matches the empty string, so it would match every turn")


def _voiding(guards: dict[str, Any]) -> frozenset[str]:
    """The customer categories ``void_in_call_after`` names (its shape is checked later)."""
    after = guards.get("void_in_call_after")
    if not isinstance(after, dict):
        return frozenset()
    return frozenset(c for cats in after.values() if isinstance(cats, dict)
                     for names in cats.values() if isinstance(names, list)
                     for c in names if isinstance(c, str))  # fmt: skip


def check_phrases(raw: dict[str, Any], name: str) -> list[str]:
    """Problems in a parsed ``phrases.json`` (the file ``name``) as InvalidDataFile; returns
    the warnings (categories the code reads that the file leaves out, guards it leaves out)."""
    from streaming.scoring.known import PHRASE_CATEGORIES as KNOWN  # it imports turns, which imports us

    for top in raw:
        if not (comment(top) or top == "guards" or top in KNOWN):
            hint = meant(top, [*KNOWN, "guards"]) or " (its sections: customer, agent, guards)"
            fail(f"{name}: {key(top)} is not a section the scorer reads{hint}")
    guards = raw.get("guards", {})
    if not isinstance(guards, dict):
        fail(f"{name}: guards must be an object, got {kind(guards)}")
    sections = {}
    for speaker in KNOWN:
        cats = raw.get(speaker, {})
        if not isinstance(cats, dict):
            fail(f"{name}: {speaker} must map categories to lists of phrases, got {kind(cats)}")
        sections[speaker] = {c: items for c, items in cats.items() if not comment(c)}
    # the guards first: a category misspelt in void_in_call_after is named there
    _check_guards(guards, name, {s: KNOWN[s] | frozenset(sections[s]) for s in KNOWN})
    voiding = _voiding(guards)
    warnings = []
    for speaker, cats in sections.items():
        allowed = KNOWN[speaker] | (voiding if speaker == "customer" else frozenset())
        for cat, items in cats.items():
            _check_category(items, speaker, cat, allowed, name)
        missing = sorted(KNOWN[speaker] - cats.keys())
        if missing:
            warnings.append(f"{name}: no {speaker} {', '.join(missing)}: nothing matches "
                            f"{'them' if len(missing) > 1 else 'it'}, so what reads "
                            f"{'them' if len(missing) > 1 else 'it'} is off (a list [] says so on "
                            "purpose; a copy made before this release lacks its new categories: "
                            "take them from the packaged file)")
    left_out = [g for g in GUARDS if g not in guards]
    if left_out:
        warnings.append(f"{name}: no guards.{', guards.'.join(left_out)}: those guards are off")
    return warnings


def _check_category(items: object, speaker: str, cat: str, allowed: frozenset[str], name: str) -> None:
    where = f"{name}: {speaker}.{key(cat)}"
    if cat not in allowed:
        fail(f"{where} is not a category the scorer knows{meant(cat, allowed)}")
    if items is None:
        fail(f"{where} is null: give a list of phrases (an empty list [] switches the category off)")
    if not isinstance(items, list):
        fail(f"{where} must be a list of phrases, got {kind(items)}")
    for i, entry in enumerate(items):
        check_entry(entry, f"{where}[{i}]")
    if items:  # [] stays allowed: no pattern, so the category never matches (switched off)
        try:
            _pattern(items)
        except re.error as exc:  # each compiled alone: a group number used across entries, say
            fail(f"{where}: its phrases do not compile together: {exc}")


def _check_guards(guards: dict[str, Any], name: str, real: dict[str, frozenset[str]]) -> None:
    for guard, value in guards.items():
        where = f"{name}: guards.{key(guard)}"
        if comment(guard):
            continue
        if guard not in GUARDS:
            fail(f"{where} is not a guard the scorer knows{meant(guard, GUARDS)}")
        if guard in GUARD_WORDS:
            _word_list(value, where)
            continue
        if not isinstance(value, dict):
            fail(f"{where} must map a speaker (customer, agent) to categories, got {kind(value)}")
        for speaker, cats in value.items():
            at = f"{where}.{key(speaker)}"
            if comment(speaker):
                continue
            if speaker not in real:
                fail(f"{at}: {key(speaker)} is not a speaker (customer, agent){meant(speaker, real)}")
            if guard in GUARD_CATEGORIES:
                _category_list(cats, at, real[speaker], speaker)
                continue
            if not isinstance(cats, dict):
                fail(f"{at} must map categories to lists, got {kind(cats)}")
            for cat, listed in cats.items():
                if comment(cat):
                    continue
                if cat not in real[speaker]:
                    fail(f"{at}.{key(cat)} is not a {speaker} category{meant(cat, real[speaker])}")
                if guard in GUARD_CATEGORY_WORDS:
                    _word_list(listed, f"{at}.{key(cat)}")
                else:  # void_in_call_after: the customer's categories that void it
                    _category_list(listed, f"{at}.{key(cat)}", real["customer"], "customer")


def _word_list(value: object, where: str) -> None:
    if not isinstance(value, list):
        fail(f"{where} must be a list of words, got {kind(value)}")
    for i, word in enumerate(value):
        if not isinstance(word, str):
            fail(f"{where}[{i}] must be a string, got {kind(word)}")
        if not word.strip():
            fail(f"{where}[{i}] is empty")
        if not _words(word):
            fail(f"{where}[{i}] {json.dumps(word)} has no word in it")


def _category_list(value: object, where: str, real: frozenset[str], speaker: str) -> None:
    if not isinstance(value, list):
        fail(f"{where} must be a list of categories, got {kind(value)}")
    for i, cat in enumerate(value):
        if not isinstance(cat, str):
            fail(f"{where}[{i}] must be a string, got {kind(cat)}")
        if cat not in real:
            fail(f"{where}[{i}] {key(cat)} is not a {speaker} category{meant(cat, real)}")
