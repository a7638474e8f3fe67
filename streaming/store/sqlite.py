"""The embedded store: one SQLite file in WAL mode.

One connection per store object, guarded by a lock, so a Streamlit cached resource
can share it across sessions. WAL lets the wallboard read while the scorer writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from streaming.errors import StoreError
from streaming.store import schema
from streaming.store.sql import Row, SQLStore


class SQLiteStore(SQLStore):
    """SQLite engine of :class:`streaming.store.Store`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                                       isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            for stmt in schema.DDL:
                self._db.execute(stmt)
            for table, column, kind in schema.ADDED_COLUMNS:
                have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open SQLite store at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    # --- writes --------------------------------------------------------------------

    def _write_each(self, statements: Iterable[tuple[str, Sequence[tuple[Any, ...]]]]) -> list[int]:
        """Run the statements in one transaction; returns the rows each changed."""
        changed: list[int] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for sql, rows in statements:
                    changed.append(max(0, self._db.executemany(sql, rows).rowcount) if rows else 0)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:  # BEGIN itself may have failed (locked)
                    self._db.execute("ROLLBACK")
                raise StoreError(f"store write failed: {exc}") from exc
            except BaseException:  # a value sqlite3 cannot bind: no half-written batch left open
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return changed

    # --- reads ---------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store read failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()
