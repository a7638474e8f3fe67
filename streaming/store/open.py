"""Open a store by URL."""

from __future__ import annotations

from streaming.errors import ConfigError
from streaming.store.base import Store


def open_store(url: str) -> Store:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        from streaming.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("the PostgreSQL engine is not built yet; use a sqlite:/// store URL")
    raise ConfigError(f"unsupported store URL {url!r}: use sqlite:///PATH or postgresql://...")
