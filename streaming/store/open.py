"""Open a store by URL."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from streaming.errors import MissingStore, UsageError
from streaming.store.base import Store


def open_store(url: str | SecretStr, *, create: bool = True) -> Store:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``postgresql://...``; as a
    ``SecretStr`` too (``Settings.store_url``), unwrapped only here, to open the store.

    ``create=False`` (to read or change what is there): MissingStore where there is no store
    yet, no SQLite file or no CallHeat tables in the PostgreSQL database, instead of making one.
    """
    if isinstance(url, SecretStr):
        url = url.get_secret_value()
    if url.startswith("sqlite:///"):
        from streaming.store.sqlite import SQLiteStore

        path = url.removeprefix("sqlite:///")
        if not create and not Path(path).is_file():
            raise MissingStore(f"no store at {path} (check --store-url or CALLHEAT_STORE_URL)")
        return SQLiteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        from streaming.store.postgres import PostgresStore

        return PostgresStore(url, create=create)
    raise UsageError(f"unsupported store URL {redacted(url)!r}: use sqlite:///PATH or postgresql://...")


def _userinfo(url: str) -> tuple[str, str, str]:
    """(``"://"`` or ``""``, the userinfo, ``"@"`` or ``""``): the userinfo ends at the last
    ``@`` before the query (a password may hold an unescaped ``@``, a query too)."""
    _, sep, rest = url.partition("://")
    head = rest.split("?", 1)[0]
    userinfo, at, _ = (head if "@" in head else rest).rpartition("@")
    return sep, userinfo, at


def scrubbed(text: str, url: str) -> str:
    """``text`` (a driver's message, say) with ``url``'s passwords replaced by ``***`` where
    ``url`` appears in it: whole, or a part of it quoted (libpq quotes the part it could not
    parse). The same letters elsewhere stay: a password ``p`` leaves "port 1" as it is.

    >>> scrubbed('invalid percent-encoded token: "secret%zzpw"', "postgresql://u:secret%zzpw@h/db")
    'invalid percent-encoded token: "***"'
    >>> scrubbed('connection to server at "127.0.0.1", port 1 failed', "postgresql://u:p@127.0.0.1:1/db")
    'connection to server at "127.0.0.1", port 1 failed'
    >>> scrubbed('no "]" in URI: "postgresql://u:p@[bad/x"', "postgresql://u:p@[bad/x")
    'no "]" in URI: "postgresql://u:***@[bad/x"'
    """
    spans = _password_spans(url)
    if not spans:
        return text
    text = text.replace(url, redacted(url))
    return re.sub(r'"([^"]*)"|\'([^\']*)\'', lambda m: _masked_quote(m.group(0), url, spans), text)


def _password_spans(url: str) -> list[tuple[int, int]]:
    """Where ``url``'s passwords are in it: (start, end) of the userinfo's and of each
    ``password=`` parameter's value."""
    spans = []
    sep, userinfo, at = _userinfo(url)
    if sep and at and ":" in userinfo:
        start = url.index("://") + 3 + userinfo.index(":") + 1
        spans.append((start, start + len(userinfo) - userinfo.index(":") - 1))
    spans += [m.span(1) for m in re.finditer(r"(?i)(?:^|[?&;\s])password=([^&\s]*)", url)]
    return [(start, end) for start, end in spans if end > start]


def _masked_quote(quoted: str, url: str, spans: list[tuple[int, int]]) -> str:
    """A quoted part of a message, its quotes included, with the passwords masked if it is a
    part of ``url`` that holds some of one."""
    inner = quoted[1:-1]
    at = url.find(inner) if inner else -1
    while at >= 0:
        hits = [(max(s, at), min(e, at + len(inner))) for s, e in spans if s < at + len(inner) and e > at]
        if hits:
            for start, end in sorted(hits, reverse=True):
                inner = f"{inner[:start - at]}***{inner[end - at:]}"
            return f"{quoted[0]}{inner}{quoted[-1]}"
        at = url.find(inner, at + 1)
    return quoted


def redacted(url: str | SecretStr) -> str:
    """``url`` without its password, for messages and logs; never raises, whatever ``url`` is.

    >>> redacted("postgresql://callheat:secret@db:5432/callheat")
    'postgresql://callheat:***@db:5432/callheat'
    >>> redacted("postgresql://u:secretpw@[::1/db")
    'postgresql://u:***@[::1/db'
    >>> redacted(SecretStr("postgresql://u:pw@db/callheat?sslmode=require"))
    'postgresql://u:***@db/callheat?sslmode=require'
    """
    if isinstance(url, SecretStr):
        url = url.get_secret_value()
    sep, userinfo, at = _userinfo(url)
    if sep and at and ":" in userinfo:
        start = url.index("://") + 3 + userinfo.index(":") + 1
        url = f"{url[:start]}***{url[start + len(userinfo) - userinfo.index(':') - 1:]}"
    return re.sub(r"(?i)((?:^|[?&;\s])password=)[^&\s]*", r"\1***", url)
