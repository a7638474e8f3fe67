"""Persistence behind one interface, two engines chosen by URL.

``sqlite:///path/to.db`` (embedded default, WAL) or ``postgresql://...`` (production).
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
