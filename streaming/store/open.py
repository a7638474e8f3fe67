"""Open a store by URL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

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


def passwords(url: str) -> list[str]:
    """The secrets in a store URL as written: its userinfo's password and any ``password=``
    parameter, each also percent-decoded. Parsed by hand, so a URL that is not well-formed
    (an unclosed ``[`` of an IPv6 address, a bad percent escape) still gives them.

    >>> passwords("postgresql://u:p%40ss@[::1/db?sslmode=require&password=two")
    ['p%40ss', 'p@ss', 'two']
    """
    found: list[str] = []
    sep, userinfo, at = _userinfo(url)
    if sep:
        if at and ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
    found += re.findall(r"(?i)(?:^|[?&;\s])password=([^&\s]*)", url)
    secrets = []
    for raw in found:
        for secret in (raw, unquote(raw)):
            if secret and secret not in secrets:
                secrets.append(secret)
    return secrets


def scrubbed(text: str, url: str) -> str:
    """``text`` (a driver's message, say) with ``url``'s passwords replaced by ``***``.

    >>> scrubbed('invalid percent-encoded token: "secret%zzpw"', "postgresql://u:secret%zzpw@h/db")
    'invalid percent-encoded token: "***"'
    """
    for secret in sorted(passwords(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


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
