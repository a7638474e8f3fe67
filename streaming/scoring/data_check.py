"""Checks of a center's data files: their JSON, and ``playbook.json``'s keys and wording
(``phrases.json``'s lists are :mod:`streaming.scoring.phrase_check`'s).

Each problem is an :class:`~streaming.errors.InvalidDataFile` in one line naming the file and
the place in it; what the scorer can run with but the center may not mean (a practice with no
wording) is returned as warnings, for the loader to log.

>>> parse_json('{"a": [1,]}', "phrases.json")
Traceback (most recent call last):
...
streaming.errors.InvalidDataFile: phrases.json line 1: Expecting value (column 10; a comma too many?)
>>> try:
...     check_playbook({"jargon ": {"reason": "Jargon"}}, "playbook.json")
... except InvalidDataFile as exc:
...     print(exc)
playbook.json: "jargon " is not a practice the scorer knows (did you mean jargon?)
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from streaming.errors import InvalidDataFile

# an entry's fields the code reads (Playbook.cue); "practice" numbers it in the playbook
PLAYBOOK_FIELDS = ("practice", "reason", "whisper")
_PLAIN = re.compile(r"[A-Za-z0-9_]+")


def fail(message: str) -> NoReturn:
    raise InvalidDataFile(message)


def key(name: str) -> str:
    """A key as a message shows it: bare when plain, else quoted (a stray space shows)."""
    return name if _PLAIN.fullmatch(name) else json.dumps(name)


def kind(value: object) -> str:
    """What a JSON value is, in a message: "a string", "null", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {str: "a string", int: "a number", float: "a number", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)  # fmt: skip


def meant(name: str, known: Iterable[str]) -> str:
    """" (did you mean X?)" for the known name closest to ``name``, or ""."""
    close = difflib.get_close_matches(name.strip().lower(), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def comment(name: str) -> bool:
    """Keys starting with "_" are comments ("_about")."""
    return name.startswith("_")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:  # json keeps the last in silence: the first list would be lost
            raise ValueError(f"{key(k)} is given twice in one object (the first would be ignored)")
        seen[k] = v
    return seen


def parse_json(text: str, name: str) -> dict[str, Any]:
    """The JSON object in ``text`` (the file ``name``), or InvalidDataFile naming the line."""
    try:
        raw = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        before = text[: exc.pos].rstrip()
        hint = "; a comma too many?" if before.endswith(",") and text[exc.pos:exc.pos + 1] in ",]}" else ""
        fail(f"{name} line {exc.lineno}: {exc.msg} (column {exc.colno}{hint})")
    except ValueError as exc:  # _unique_keys
        fail(f"{name}: {exc}")
    if not isinstance(raw, dict):
        fail(f"{name}: expected a JSON object ({{...}}), got {kind(raw)}")
    return raw


def read_text(path: Path) -> str:
    """The file's text, or InvalidDataFile saying in one line why it cannot be read."""
    try:
        return path.read_text("utf-8-sig")  # an editor's byte-order mark is no JSON error
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a directory, not a file")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        fail(f"{path}: cannot be read: {exc.strerror or exc}")


def check_playbook(raw: dict[str, Any], name: str) -> list[str]:
    """Problems in a parsed ``playbook.json`` as InvalidDataFile; returns the warnings."""
    from streaming.scoring.known import CUE_KEYS, PRACTICE_KEYS  # it imports the detectors' module

    for practice, entry in raw.items():
        if comment(practice):
            continue
        if practice not in PRACTICE_KEYS:
            hint = meant(practice, PRACTICE_KEYS)
            fail(f"{name}: {key(practice)} is not a practice the scorer knows{hint}")
        if not isinstance(entry, dict):
            fail(f'{name}: {key(practice)} must be an object with "reason" and "whisper", got {kind(entry)}')
        for field, value in entry.items():
            where = f"{name}: {practice}.{key(field)}"
            if comment(field):
                continue
            if field not in PLAYBOOK_FIELDS:
                fail(f"{where} is not a field the scorer reads{meant(field, PLAYBOOK_FIELDS)}")
            if field == "practice" and (isinstance(value, bool) or not isinstance(value, int | None)):
                fail(f"{where} must be a number or null, got {kind(value)}")
            if field == "reason" and not isinstance(value, str):
                fail(f"{where} must be a string, got {kind(value)}")
            if field == "whisper" and not isinstance(value, str | None):
                fail(f"{where} must be a string (or null for no whisper), got {kind(value)}")
            if field in ("reason", "whisper") and isinstance(value, str) and not value.strip():
                fail(f"{where} is empty{' (null for no whisper)' if field == 'whisper' else ''}")
    warnings = []
    missing = sorted(k for k in CUE_KEYS if k not in raw)
    if missing:
        warnings.append(f"{name}: no wording for {', '.join(missing)}: the wallboard shows the key "
                        "itself, with no whisper")  # fmt: skip
    no_reason = sorted(k for k in CUE_KEYS if k in raw and "reason" not in raw[k])
    if no_reason:
        warnings.append(f"{name}: no reason for {', '.join(no_reason)}: the wallboard shows the key itself")
    return warnings
