"""Persistence behind one interface, the engine chosen by URL.

``sqlite:///path/to.db``: the embedded default, one SQLite file (WAL), for one machine.
``postgresql://user:password@host:port/database``: PostgreSQL, for scorer replicas on
several machines. Both run the same SQL (:mod:`streaming.store.sql`).
"""

from streaming.store.base import (
    ActionRow,
    AlertRow,
    CallRow,
    CommitmentRow,
    DriftRow,
    MarkerRow,
    PracticeRow,
    Store,
    StoreBatch,
    TurnRow,
)
from streaming.store.open import open_store, redacted

__all__ = [
    "ActionRow",
    "AlertRow",
    "CallRow",
    "CommitmentRow",
    "DriftRow",
    "MarkerRow",
    "PracticeRow",
    "Store",
    "StoreBatch",
    "TurnRow",
    "open_store",
    "redacted",
]
