"""What both store engines share: the SQL (``?`` placeholders, portable between SQLite and
PostgreSQL) and the mapping between rows and tables. An engine supplies the connection:
:meth:`SQLStore._write_each` (statements in one transaction) and :meth:`SQLStore._rows`.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from streaming.errors import StoreError
from streaming.store import meta as meta_keys
from streaming.store import schema
from streaming.store.base import (
    ActionRow,
    AlertRow,
    CallRow,
    CommitmentRow,
    DriftRow,
    MarkerRow,
    PracticeRow,
    Pruned,
    StoreBatch,
    TurnRow,
)

R = TypeVar("R")

# a call's rows in other tables, deleted with it by SQLStore.prune
PRUNED_WITH_CALL = ("turns", "markers", "alerts", "practices", "commitments", "actions")
# the calls SQLStore.prune deletes: ended before the cutoff, no callback due after it
_PRUNABLE = ("SELECT {columns} FROM calls WHERE ended_at < ? AND NOT EXISTS (SELECT 1 FROM commitments cm "
             "WHERE cm.call_id = calls.call_id AND cm.due_at >= ?)")
# supervisor actions on calls the store no longer holds (their call pruned before them);
# NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN over a large calls table row by row
_ORPHAN_ACTIONS = ("FROM actions WHERE ts < ? AND NOT EXISTS "
                   "(SELECT 1 FROM calls c WHERE c.call_id = actions.call_id)")


Row = Mapping[str, Any]


def _call_params(row: CallRow) -> tuple[Any, ...]:
    values = []
    for name in schema.CALL_COLUMNS:
        value = getattr(row, name)
        if name in ("sentiment_trend", "reasons"):
            value = json.dumps(list(value))
        elif isinstance(value, bool):
            value = int(value)
        values.append(value)
    return tuple(values)


def _call_row(r: Row) -> CallRow:
    d = dict(r)
    d["sentiment_trend"] = tuple(json.loads(d["sentiment_trend"]))
    d["reasons"] = tuple(json.loads(d["reasons"]))
    d["consent"] = bool(d["consent"])
    d["on_hold"] = bool(d["on_hold"])
    return CallRow(**d)


def _action_params(a: ActionRow) -> tuple[Any, ...]:
    return (a.action_id, a.call_id, a.action, a.supervisor_id, a.ts, a.agent_id, a.text,
            a.label, a.utterance_seq, a.sentiment)  # fmt: skip


class SQLStore(ABC):
    """The store's reads and writes over an engine's :meth:`_write_each` and :meth:`_rows`."""

    @abstractmethod
    def _write_each(self, statements: Iterable[tuple[str, Sequence[tuple[Any, ...]]]]) -> list[int]:
        """Run the statements in one transaction; returns the rows each changed."""

    def _write(self, statements: Iterable[tuple[str, Sequence[tuple[Any, ...]]]]) -> int:
        """Run the statements in one transaction; returns the rows they changed."""
        return sum(self._write_each(statements))

    @abstractmethod
    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        """The rows of one read, as mappings by column name."""

    @abstractmethod
    def close(self) -> None: ...

    # --- writes --------------------------------------------------------------------

    def apply(self, batch: StoreBatch) -> None:
        """Write one scorer batch atomically; replays of the same batch change nothing."""
        seqs, no_guard = batch.state_seqs, schema.NO_SEQ_GUARD
        stamp = [(meta_keys.LAST_UPDATE, repr(time.time()))] if batch.stamp else []
        self._write(
            [
                (schema.UPSERT_CALL, [_call_params(c) for c in batch.calls.values()]),
                (schema.INSERT_TURN, [
                    (t.call_id, t.seq, t.ts, t.speaker, t.text, t.start_ms, t.end_ms,
                     t.sentiment, t.risk) for t in batch.turns]),
                (schema.INSERT_MARKER, [
                    (m.call_id, m.seq, m.ts, m.kind, m.detail) for m in batch.markers]),
                (schema.INSERT_ALERT, [
                    (a.call_id, a.seq, a.ts, a.risk, json.dumps(list(a.reasons)))
                    for a in batch.alerts]),
                (schema.INSERT_ACTION, [_action_params(a) for a in batch.actions]),
                (schema.INSERT_PRACTICE, [
                    (p.call_id, p.practice, p.kind, p.seq, p.ts, p.agent_id, p.team, p.queue)
                    for p in batch.practices]),
                (schema.INSERT_COMMITMENT, [
                    (c.call_id, c.seq, c.ts, c.due_at, c.text, c.customer_id, c.agent_id, c.team,
                     c.queue) for c in batch.commitments]),
                (schema.INSERT_DRIFT, [
                    (d.queue, d.ts, d.mean_before, d.mean_after) for d in batch.drifts]),
                (schema.UPSERT_MODEL_POINT, list(batch.model_points.items())),
                (schema.UPSERT_STATE, [(c, s, seqs.get(c, no_guard)) for c, s in batch.states.items()]),
                (schema.UPSERT_ENDED_STATE, [(c, t, s, seqs.get(c, no_guard))
                                             for c, (t, s) in batch.ended_states.items()]),
                ("DELETE FROM ended_states WHERE ended_at < ?",
                 [] if batch.ended_states_before is None else [(batch.ended_states_before,)]),
                (schema.UPSERT_META, [*batch.meta.items(), *stamp]),
                ("DELETE FROM meta WHERE key = ?", [(k,) for k in batch.meta_dropped]),
            ]
        )  # fmt: skip

    def close_interrupted(self, ts: float) -> int:
        """Mark calls still queued or live as interrupted (their events can no longer come), for
        a run that starts afresh at ``ts``: the scorer's clock (the stored event time) goes back
        to ``ts`` if an earlier time-compressed run left it ahead, or this run's calls, at the
        wall clock, would be hours behind it and closed as idle at once."""
        closed = self._write([(
            "UPDATE calls SET status = 'interrupted', ended_at = ?, updated_at = ? "
            "WHERE status IN ('live', 'queued')", [(ts, ts)])])  # fmt: skip
        self._write([("DELETE FROM scorer_state", [()])])
        try:
            ahead = float(self.meta(meta_keys.EVENT_TIME) or "-inf") > ts
        except ValueError:  # not a number: nothing to resume from either
            ahead = True
        if ahead:
            self._write([(schema.UPSERT_META, [(meta_keys.EVENT_TIME, repr(ts))])])
        return closed

    def prune(self, before: float, *, dry_run: bool = False, chunk: int = 500,
              until: float | None = None) -> Pruned:  # fmt: skip
        """Delete every call that ended before ``before`` (epoch s) with all its rows: its
        turns, markers, alerts, practices, commitments, supervisor actions and final state
        (and actions older than ``before`` on calls the store no longer holds). Live and
        queued calls are never touched, nor a call with a callback due at ``before`` or
        later: it stays until its promise is as old as the rest, so that whether it was kept
        can still be told. The rows deleted per table; ``dry_run`` counts them instead.

        Calls go ``chunk`` at a time, each chunk in one transaction, so a large prune never
        holds the store's write lock for long; with ``until`` (a ``time.monotonic()``
        deadline) it stops after the chunk that passes it (``finished`` False), and the next
        prune goes on. The counts are the rows this prune deleted: where several replicas
        prune at once, each counts only its own.
        """
        old = _PRUNABLE.format(columns="call_id")
        if dry_run:
            calls = self._rows(_PRUNABLE.format(columns="COUNT(*) AS n"), (before, before))
            out = {"calls": int(calls[0]["n"])}
            for table in PRUNED_WITH_CALL:
                out[table] = int(self._rows(f"SELECT COUNT(*) AS n FROM {table} WHERE call_id IN ({old})",
                                            (before, before))[0]["n"])  # fmt: skip
            out["actions"] += int(self._rows(f"SELECT COUNT(*) AS n {_ORPHAN_ACTIONS}",
                                             (before,))[0]["n"])  # fmt: skip
            return Pruned(out, True)
        out = dict.fromkeys(("calls", *PRUNED_WITH_CALL), 0)
        while True:
            ids = [r["call_id"] for r in self._rows(f"{old} LIMIT ?", (before, before, chunk))]
            if not ids:
                break
            marks = ", ".join("?" * len(ids))
            tables = (*PRUNED_WITH_CALL, "ended_states", "calls")
            counts = self._write_each([(f"DELETE FROM {t} WHERE call_id IN ({marks})", [tuple(ids)])
                                       for t in tables])  # fmt: skip
            for table, n in zip(tables, counts, strict=True):
                if table in out:
                    out[table] += n
            if until is not None and time.monotonic() > until:
                return Pruned(out, False)
        out["actions"] += self._write([(f"DELETE {_ORPHAN_ACTIONS}", [(before,)])])
        return Pruned(out, True)

    def record_action(self, action: ActionRow) -> None:
        self._write([(schema.INSERT_ACTION, [_action_params(action)])])

    # --- reads ---------------------------------------------------------------------

    def load_states(self, call_ids: list[str]) -> dict[str, str]:
        return self._states("scorer_state", call_ids)

    def load_ended_states(self, call_ids: list[str]) -> dict[str, str]:
        return self._states("ended_states", call_ids)

    def actions_by_id(self, action_ids: list[str]) -> dict[str, ActionRow]:
        """The stored actions with these ids (the scorer refuses an id used again for another action)."""
        out: dict[str, ActionRow] = {}
        for chunk, marks in _chunks(action_ids):
            rows = self._rows(f"SELECT * FROM actions WHERE action_id IN ({marks})", tuple(chunk))
            out.update({r["action_id"]: ActionRow(**dict(r)) for r in rows})
        return out

    def last_calls_ended(self, customer_ids: list[str], before: float) -> dict[str, float]:
        """When each customer's last call ended, of the calls that ended before ``before``."""
        out: dict[str, float] = {}
        for chunk, marks in _chunks(customer_ids):
            rows = self._rows(
                f"SELECT customer_id, MAX(ended_at) AS t FROM calls WHERE customer_id IN ({marks}) "
                "AND ended_at < ? GROUP BY customer_id", (*chunk, before))  # fmt: skip
            out.update({r["customer_id"]: float(r["t"]) for r in rows})
        return out

    def _states(self, table: str, call_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk, marks in _chunks(call_ids):
            rows = self._rows(f"SELECT call_id, state FROM {table} WHERE call_id IN ({marks})", tuple(chunk))
            out.update({r["call_id"]: r["state"] for r in rows})
        return out

    def live_calls(self) -> list[CallRow]:
        return [_call_row(r) for r in self._rows(
            "SELECT * FROM calls WHERE status = 'live' ORDER BY risk DESC, started_at")]

    def queued_calls(self) -> list[CallRow]:
        return [_call_row(r) for r in self._rows(
            "SELECT * FROM calls WHERE status = 'queued' ORDER BY queued_at")]

    def get_call(self, call_id: str) -> CallRow | None:
        rows = self._rows("SELECT * FROM calls WHERE call_id = ?", (call_id,))
        return _call_row(rows[0]) if rows else None

    def _of_call(self, table: str, row: Callable[..., R], call_id: str) -> list[R]:
        """A call's rows of ``table`` in seq order, as ``row`` objects."""
        return [row(**dict(r)) for r in self._rows(
            f"SELECT * FROM {table} WHERE call_id = ? ORDER BY seq", (call_id,))]  # fmt: skip

    def turns(self, call_id: str) -> list[TurnRow]:
        return self._of_call("turns", TurnRow, call_id)

    def markers(self, call_id: str) -> list[MarkerRow]:
        return self._of_call("markers", MarkerRow, call_id)

    def actions(self, call_id: str | None = None, since: float | None = None) -> list[ActionRow]:
        sql, params = "SELECT * FROM actions WHERE 1 = 1", list[Any]()
        if call_id is not None:
            sql, params = sql + " AND call_id = ?", [*params, call_id]
        if since is not None:
            sql, params = sql + " AND ts >= ?", [*params, since]
        return [ActionRow(**dict(r)) for r in self._rows(sql + " ORDER BY ts", tuple(params))]

    def alerts(self, since: float) -> list[AlertRow]:
        rows = self._rows("SELECT * FROM alerts WHERE ts >= ? ORDER BY ts", (since,))
        return [AlertRow(call_id=r["call_id"], seq=r["seq"], ts=r["ts"], risk=r["risk"],
                         reasons=tuple(json.loads(r["reasons"]))) for r in rows]

    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def practices(self, call_id: str) -> list[PracticeRow]:
        return self._of_call("practices", PracticeRow, call_id)

    def commitments(self, call_id: str) -> list[CommitmentRow]:
        return self._of_call("commitments", CommitmentRow, call_id)

    def model_history(self, since: float | None = None) -> list[tuple[float, str]]:
        rows = self._rows("SELECT ts, figures FROM model_metrics WHERE ts >= ? ORDER BY ts",
                          (since if since is not None else float("-inf"),))  # fmt: skip
        return [(float(r["ts"]), str(r["figures"])) for r in rows]

    def drifts(self, since: float | None = None) -> list[DriftRow]:
        rows = self._rows("SELECT * FROM drifts WHERE ts >= ? ORDER BY ts",
                          (since if since is not None else float("-inf"),))  # fmt: skip
        return [DriftRow(**dict(r)) for r in rows]

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Read-only SQL for reports; anything but a SELECT / WITH is refused."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise StoreError("store.query runs read-only SELECT statements only")
        return [dict(r) for r in self._report_rows(sql, params)]

    def _report_rows(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        """A report query's rows; an engine whose ``WITH`` can hold a write runs it read-only."""
        return self._rows(sql, params)

    def last_update(self) -> float | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (meta_keys.LAST_UPDATE,))
        return float(rows[0]["value"]) if rows else None

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("calls", "turns", "markers", "alerts", "actions", "practices", "commitments",
                      "drifts", "model_metrics", "scorer_state", "ended_states"):
            out[table] = self._rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
        return out


def _chunks(ids: list[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """``ids`` in chunks of at most ``size``, each with its ``?, ?, ...`` placeholders
    (SQLite caps the parameters of one statement)."""
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield chunk, ", ".join("?" * len(chunk))
