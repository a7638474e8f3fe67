"""Reading JSON-lines files given on the command line (recorded events, labelled dialogues).

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

from collections.abc import Iterator
from pathlib import Path

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
