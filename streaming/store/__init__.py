"""Persistence behind one interface, the engine chosen by URL.

``sqlite:///path/to.db`` (the embedded default, WAL) is the one engine built; a
``postgresql://...`` URL is refused with a clear error until a PostgreSQL engine
implements :class:`~streaming.store.base.Store` (see ``docs/architecture.md``).
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
from streaming.store.open import open_store

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
]
