"""The production store: PostgreSQL, shared by scorer replicas on several machines.

The same tables and SQL as the SQLite engine (:mod:`streaming.store.sql`), through
psycopg 3. One connection per store object, guarded by a lock (a Streamlit cached
resource shares it across sessions); a connection the server or the network dropped
is opened again at the next read or write, so a scorer that retries a failed batch
goes on once PostgreSQL is back. A statement waits at most a minute and a silent
network is noticed within about a minute (:data:`CONNECTION_DEFAULTS`, which the
store URL's own parameters override). Each replica writes only the calls of its own
partitions, so replicas do not contend for rows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from streaming.errors import InvalidStoreURL, MissingStore, StoreError
from streaming.store import schema
from streaming.store.open import redacted, scrubbed
from streaming.store.sql import Row, SQLStore

# libpq settings a store URL does not give itself: no read or write waits for ever on a
# server that stopped answering (a lock held elsewhere, a network that dropped), so a
# scorer's batch fails, is retried after a pause, and the scorer goes on once it is back
CONNECTION_DEFAULTS = {
    "connect_timeout": "10",
    "keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10", "keepalives_count": "3",
    "tcp_user_timeout": "60000",  # ms
    "options": "-c statement_timeout=60000",  # ms
}  # fmt: skip
# schema changes by several replicas starting at once wait for each other
SCHEMA_LOCK = 0x43616C6C48656174  # "CallHeat"


@lru_cache(maxsize=256)
def to_pyformat(sql: str) -> str:
    """The shared SQL's ``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` as ``%%``),
    leaving quoted strings alone.

    >>> to_pyformat("SELECT * FROM t WHERE a = ? AND b LIKE 'x%?' AND c IN (?, ?)")
    "SELECT * FROM t WHERE a = %s AND b LIKE 'x%%?' AND c IN (%s, %s)"
    """
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(p.replace("%", "%%") if i % 2 else p.replace("%", "%%").replace("?", "%s")
                   for i, p in enumerate(parts))  # fmt: skip


class PostgresStore(SQLStore):
    """PostgreSQL engine of :class:`streaming.store.Store` (``postgresql://...`` URLs)."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """Connects and brings the schema up to date; ``create=False``: MissingStore, and no
        tables made, in a database that holds no CallHeat store."""
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        try:
            conninfo_to_dict(url)
        except psycopg.Error as exc:  # not a URL libpq can read: an invalid setting
            raise InvalidStoreURL(f"invalid PostgreSQL store URL {redacted(url)}: "
                                  f"{first_line(exc, url)}") from exc  # fmt: skip
        try:
            conn = self._connection()
            if not create and not self._holds_a_store(conn):
                self.close()
                raise MissingStore(f"no CallHeat store in the PostgreSQL database at {redacted(url)}: "
                                   "nothing wrote one (check --store-url or CALLHEAT_STORE_URL)")  # fmt: skip
            if not self._schema_current(conn):
                self._bring_up_to_date(conn)
        except StoreError:
            self.close()
            raise
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot open PostgreSQL store at {redacted(url)}: "
                             f"{first_line(exc, url)}") from exc  # fmt: skip

    def _bring_up_to_date(self, conn: psycopg.Connection[dict[str, Any]]) -> None:
        """Create the tables and indexes, and add the columns, that the store lacks; a role that
        may not says which, and what to do (the bare "permission denied for schema public" had
        an operator check grants that were right)."""
        holds = self._holds_a_store(conn)
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for stmt in schema.DDL:
                    conn.execute(stmt)
                for table, column, kind in schema.ADDED_COLUMNS:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
        except psycopg.errors.InsufficientPrivilege as exc:
            row = conn.execute("SELECT current_user AS role, current_schema() AS schema").fetchone() or {}
            role, where = row.get("role"), row.get("schema")
            said = f"cannot open PostgreSQL store at {redacted(self.url)}: {first_line(exc, self.url)}"
            if holds:
                raise StoreError(f"{said}: its tables are older than this CallHeat, and role {role} may "
                                 "not bring them up to date: start a scorer (callheat score) as the "
                                 "tables' owner first") from exc  # fmt: skip
            raise StoreError(f"{said}: schema {where} holds no CallHeat tables, and role {role} may not "
                             f"create them: GRANT CREATE ON SCHEMA {where} TO {role}, or start a scorer "
                             "as a role that may") from exc  # fmt: skip

    @staticmethod
    def _holds_a_store(conn: psycopg.Connection[dict[str, Any]]) -> bool:
        row = conn.execute("SELECT to_regclass('calls') IS NOT NULL AS here").fetchone()
        return bool(row and row["here"])

    @staticmethod
    def _schema_current(conn: psycopg.Connection[dict[str, Any]]) -> bool:
        columns = {(r["table_name"], r["column_name"]) for r in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()")}  # fmt: skip
        indexes = {r["indexname"] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}  # fmt: skip
        return schema.is_current({t for t, _ in columns}, indexes, columns)

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        """The open connection, or a new one where the last was closed or broken."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            given = conninfo_to_dict(self.url)
            defaults = {k: v for k, v in CONNECTION_DEFAULTS.items() if k not in given}
            self._conn = psycopg.connect(make_conninfo(self.url, **defaults), autocommit=True,
                                         row_factory=dict_row)  # fmt: skip
        return self._conn

    # --- writes --------------------------------------------------------------------

    def _write_each(self, statements: Iterable[tuple[str, Sequence[tuple[Any, ...]]]]) -> list[int]:
        """Run the statements in one transaction; returns the rows each changed."""
        changed: list[int] = []
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction(), conn.cursor() as cur:
                    for sql, rows in statements:
                        if rows:
                            cur.executemany(to_pyformat(sql), rows)
                        changed.append(max(0, cur.rowcount) if rows else 0)
            except psycopg.Error as exc:
                raise StoreError(f"store write failed: {first_line(exc, self.url)}") from exc
        return changed

    # --- reads ---------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = (), read_only: bool = False) -> list[Row]:
        with self._lock:
            try:
                conn = self._connection()
                if not read_only:
                    return list[Row](conn.execute(to_pyformat(sql), params).fetchall())
                with conn.transaction():
                    conn.execute("SET TRANSACTION READ ONLY")
                    return list[Row](conn.execute(to_pyformat(sql), params).fetchall())
            except psycopg.Error as exc:
                raise StoreError(f"store read failed: {first_line(exc, self.url)}") from exc

    def _report_rows(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        """In a READ ONLY transaction: PostgreSQL's ``WITH`` can hold an ``UPDATE``, which the
        check for SELECT / WITH alone would let through."""
        return self._rows(sql, params, read_only=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()


def first_line(exc: psycopg.Error, url: str = "") -> str:
    """The first line of a psycopg error (the rest repeats the statement), without the
    passwords of ``url``: libpq quotes the URL, or the part of it it could not parse."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return scrubbed(line, url) if url else line
