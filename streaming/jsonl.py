"""Reading JSON-lines files given on the command line (recorded events, labelled dialogues),
and the JSON objects in them and in messages.

A file that cannot be read, or a line that is not UTF-8 text, is a :class:`ConfigError`
naming it, so the command says so in one line instead of a traceback.

>>> import tempfile
>>> with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as f:
...     _ = f.write(b'{"a": 1}\\n\\n{"b": "caf\\xe9"}\\n')
>>> read = lines(Path(f.name))
>>> next(read)
(1, '{"a": 1}\\n')
>>> try:
...     next(read)
... except ConfigError as exc:
...     print(str(exc).replace(f.name, "FILE"))
FILE:3: not UTF-8 text (invalid continuation byte at byte 10)
>>> Path(f.name).unlink()
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streaming.errors import ConfigError


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """The non-blank lines of ``path`` with their numbers (from 1), read one at a time."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; open errors are reported first)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with f:
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{path}:{number}: not UTF-8 text ({exc.reason} at byte "
                                  f"{exc.start})") from exc  # fmt: skip
            if text.strip():
                yield number, text


def parse_object(text: str | bytes | None) -> dict[str, Any]:
    """The JSON object in ``text``, or ValueError saying in a few words why there is none.

    Besides malformed JSON, that is JSON nested too deeply for the parser, a number too long
    to convert and JSON that is not an object: what a recorded line must never be.

    >>> parse_object('{"a": 1}')
    {'a': 1}
    >>> for text in ('{"a": ', "[" * 100_000 + "]" * 100_000, "9" * 5_000, "[1, 2]", '{"a": 1, "a": 2}'):
    ...     try:
    ...         parse_object(text)
    ...     except ValueError as exc:
    ...         print(exc)
    Expecting value
    nested too deeply
    a number of more than 4300 digits
    a JSON array, not an object
    field 'a' appears twice
    """
    if text is None:
        raise ValueError("no value")
    if not isinstance(text, str | bytes | bytearray):
        raise ValueError(f"{type(text).__name__}, not text")
    try:
        # UTF-8 only: json.loads would also take UTF-16 and UTF-32 bytes, which no other
        # reader of a topic or a file expects
        obj = json.loads(text if isinstance(text, str) else text.decode("utf-8"),
                         object_pairs_hook=_fields_once)  # fmt: skip
    except json.JSONDecodeError as exc:
        raise ValueError(exc.msg) from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    except _FieldTwice as exc:
        raise ValueError(str(exc)) from None
    except ValueError as exc:  # an integer longer than int() converts
        raise ValueError(f"a number of more than {sys.get_int_max_str_digits()} digits") from exc
    if not isinstance(obj, dict):
        kinds = {list: "a JSON array", str: "a JSON string", bool: "true or false", type(None): "null"}
        raise NotAnObject(kinds.get(type(obj), "a number"))
    return obj


class NotAnObject(ValueError):
    """Valid JSON, but not an object; ``kind`` says what it is ("a JSON array")."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind}, not an object")
        self.kind = kind


class _FieldTwice(Exception):  # not a ValueError: json.loads must not take it for its own
    pass


def _fields_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose fields each appear once: json.loads keeps the last of two, silently
    (of two "type" fields, which did the producer mean?)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _FieldTwice(f"field {key!r} appears twice")
        seen.add(key)
    return dict(pairs)
