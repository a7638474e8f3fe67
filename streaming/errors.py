"""CallHeat's own exception tree.

Library errors (kafka-python, sqlite3, psycopg) are re-raised as these types with
``from exc`` so callers handle one family of errors.
"""

from __future__ import annotations


class CallHeatError(Exception):
    """Base class for every error CallHeat raises on purpose."""


class ConfigError(CallHeatError):
    """A setting or command-line argument is invalid."""


class UsageError(ConfigError):
    """An argument or setting that is invalid in itself or with another: exit 2, as argparse's."""


class InvalidDataFile(UsageError):
    """A center's data file (the phrase lists, the playbook's wording) that is missing, cannot
    be read or says something the scorer cannot use: one line naming the file and the place in
    it (``phrases.json: customer.manager[3] is empty``); exit 2, as a bad setting."""


class InvalidEvent(CallHeatError):
    """An event failed validation; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BrokerError(CallHeatError):
    """The Kafka broker could not be started, reached or used."""


class InUse(CallHeatError):
    """The data directory is held by a ``callheat run`` still running (``streaming.run``)."""


class StoreError(CallHeatError):
    """The store could not be opened, migrated or written."""


class InvalidStoreURL(StoreError, UsageError):
    """A store URL that does not parse: a StoreError to whoever opens stores, exit 2 to the CLI."""


class MissingStore(StoreError, UsageError):
    """A store URL that names no CallHeat store yet, opened to read or change what is there
    (``status``, ``prune``), which must not make an empty store in its place."""
