"""Open a store by URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from streaming.errors import ConfigError
from streaming.store.base import Store


def open_store(url: str) -> Store:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        from streaming.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        from streaming.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(f"unsupported store URL {redacted(url)!r}: use sqlite:///PATH or postgresql://...")


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs.

    >>> redacted("postgresql://callheat:secret@db:5432/callheat")
    'postgresql://callheat:***@db:5432/callheat'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
