"""Tables shared by the engines (portable SQL: SQLite 3.24+ and PostgreSQL 12+).

Sequence numbers and times in ms are BIGINT: whole numbers up to 2^53 are valid in
events, and PostgreSQL's INTEGER holds 32 bits (SQLite stores either as its 64-bit
INTEGER, so files made before are read the same).
"""

from __future__ import annotations

import re

DDL = (
    """CREATE TABLE IF NOT EXISTS calls (
        call_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        queue TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        agent_id TEXT, agent_name TEXT, team TEXT, channel TEXT, language TEXT,
        consent INTEGER NOT NULL DEFAULT 1,
        queued_at DOUBLE PRECISION, started_at DOUBLE PRECISION, ended_at DOUBLE PRECISION,
        wait_s DOUBLE PRECISION, disposition TEXT, csat INTEGER,
        sentiment DOUBLE PRECISION, sentiment_trend TEXT NOT NULL DEFAULT '[]',
        risk DOUBLE PRECISION NOT NULL DEFAULT 0, peak_risk DOUBLE PRECISION NOT NULL DEFAULT 0,
        level TEXT NOT NULL DEFAULT 'calm', reasons TEXT NOT NULL DEFAULT '[]', whisper TEXT,
        hot_since DOUBLE PRECISION,
        n_turns INTEGER NOT NULL DEFAULT 0, holds INTEGER NOT NULL DEFAULT 0,
        transfers INTEGER NOT NULL DEFAULT 0, on_hold INTEGER NOT NULL DEFAULT 0,
        last_seq BIGINT NOT NULL DEFAULT 0,
        updated_at DOUBLE PRECISION NOT NULL,
        summary TEXT, first_queue TEXT,
        hot_agent_id TEXT, hot_agent_name TEXT, hot_team TEXT, hot_queue TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS calls_ended ON calls (ended_at)",
    "CREATE INDEX IF NOT EXISTS calls_customer ON calls (customer_id, started_at)",
    "CREATE INDEX IF NOT EXISTS calls_status ON calls (status, risk)",
    "CREATE INDEX IF NOT EXISTS calls_updated ON calls (updated_at)",
    """CREATE TABLE IF NOT EXISTS turns (
        call_id TEXT NOT NULL, seq BIGINT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        speaker TEXT NOT NULL, text TEXT NOT NULL, start_ms BIGINT NOT NULL,
        end_ms BIGINT NOT NULL, sentiment DOUBLE PRECISION NOT NULL,
        risk DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (call_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS markers (
        call_id TEXT NOT NULL, seq BIGINT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (call_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS alerts (
        call_id TEXT NOT NULL, seq BIGINT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        risk DOUBLE PRECISION NOT NULL, reasons TEXT NOT NULL,
        PRIMARY KEY (call_id, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS alerts_ts ON alerts (ts)",
    """CREATE TABLE IF NOT EXISTS actions (
        action_id TEXT PRIMARY KEY, call_id TEXT NOT NULL, action TEXT NOT NULL,
        supervisor_id TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, agent_id TEXT, text TEXT,
        label TEXT, utterance_seq BIGINT, sentiment DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS actions_call ON actions (call_id, ts)",
    "CREATE INDEX IF NOT EXISTS actions_ts ON actions (ts)",
    """CREATE TABLE IF NOT EXISTS practices (
        call_id TEXT NOT NULL, practice TEXT NOT NULL, kind TEXT NOT NULL, seq BIGINT NOT NULL,
        ts DOUBLE PRECISION NOT NULL, agent_id TEXT, team TEXT, queue TEXT,
        PRIMARY KEY (call_id, practice)
    )""",
    "CREATE INDEX IF NOT EXISTS practices_ts ON practices (ts)",
    """CREATE TABLE IF NOT EXISTS commitments (
        call_id TEXT NOT NULL, seq BIGINT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        due_at DOUBLE PRECISION NOT NULL, text TEXT NOT NULL, customer_id TEXT NOT NULL,
        agent_id TEXT, team TEXT, queue TEXT,
        PRIMARY KEY (call_id, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS commitments_ts ON commitments (ts)",
    """CREATE TABLE IF NOT EXISTS drifts (
        queue TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
        mean_before DOUBLE PRECISION NOT NULL, mean_after DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (queue, ts)
    )""",
    """CREATE TABLE IF NOT EXISTS model_metrics (
        ts DOUBLE PRECISION PRIMARY KEY, figures TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS scorer_state (
        call_id TEXT PRIMARY KEY, state TEXT NOT NULL
    )""",
    # the final state of calls that ended, for feedback sent after the end (pruned by age)
    """CREATE TABLE IF NOT EXISTS ended_states (
        call_id TEXT PRIMARY KEY, ended_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ended_states_ended ON ended_states (ended_at)",
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY, value TEXT NOT NULL
    )""",
)

CALL_COLUMNS = (
    "call_id", "status", "queue", "customer_id", "agent_id", "agent_name", "team", "channel",
    "language", "consent", "queued_at", "started_at", "ended_at", "wait_s", "disposition",
    "csat", "sentiment", "sentiment_trend", "risk", "peak_risk", "level", "reasons", "whisper",
    "hot_since", "n_turns", "holds", "transfers", "on_hold", "last_seq", "updated_at", "summary",
    "first_queue", "hot_agent_id", "hot_agent_name", "hot_team", "hot_queue",
)  # fmt: skip

UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))}) "
    f"ON CONFLICT (call_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CALL_COLUMNS[1:])
    # a replayed, older version of the row never overwrites a newer one
    + " WHERE excluded.last_seq >= calls.last_seq"
)
INSERT_TURN = (
    "INSERT INTO turns (call_id, seq, ts, speaker, text, start_ms, end_ms, sentiment, risk) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, seq) DO NOTHING"
)
INSERT_MARKER = (
    "INSERT INTO markers (call_id, seq, ts, kind, detail) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (call_id, seq) DO NOTHING"
)
INSERT_ALERT = (
    "INSERT INTO alerts (call_id, seq, ts, risk, reasons) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (call_id, seq) DO NOTHING"
)
INSERT_ACTION = (
    "INSERT INTO actions (action_id, call_id, action, supervisor_id, ts, agent_id, text, label, "
    "utterance_seq, sentiment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (action_id) DO NOTHING"
)
INSERT_PRACTICE = (
    "INSERT INTO practices (call_id, practice, kind, seq, ts, agent_id, team, queue) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, practice) DO NOTHING"
)
INSERT_COMMITMENT = (
    "INSERT INTO commitments (call_id, seq, ts, due_at, text, customer_id, agent_id, team, queue) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, seq) DO UPDATE SET ts = excluded.ts, "
    "due_at = excluded.due_at, text = excluded.text "  # a callback given its timeframe later,
    "WHERE excluded.ts >= commitments.ts"  # never set back by a stalled replica's older row
)
INSERT_DRIFT = (
    "INSERT INTO drifts (queue, ts, mean_before, mean_after) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (queue, ts) DO NOTHING"
)
UPSERT_MODEL_POINT = (
    "INSERT INTO model_metrics (ts, figures) VALUES (?, ?) "
    "ON CONFLICT (ts) DO UPDATE SET figures = excluded.figures"
)
# Columns added after the first release: (table, column, type), added to older files on open.
# first_queue and hot_*: a transferred call's queue figures and trends (rows written before
# have them NULL and are read by the call's queue and agent, as they were)
ADDED_COLUMNS = (("calls", "summary", "TEXT"), ("calls", "first_queue", "TEXT"),
                 ("calls", "hot_agent_id", "TEXT"), ("calls", "hot_agent_name", "TEXT"),
                 ("calls", "hot_team", "TEXT"), ("calls", "hot_queue", "TEXT"))  # fmt: skip
TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(DDL)))
INDEXES = frozenset(re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)", " ".join(DDL)))


def is_current(tables: set[str], indexes: set[str], columns: set[tuple[str, str]]) -> bool:
    """Whether a store with these tables, indexes and (table, column) pairs needs no DDL:
    then it is not run, so a reader with no right to create (a SELECT-only role, the
    wallboard's least privilege) can open the store."""
    return (TABLES <= tables and INDEXES <= indexes
            and all((t, c) in columns for t, c, _ in ADDED_COLUMNS))  # fmt: skip
# A state as of an older seq than the stored call's row (written first, in the same
# transaction, and itself never set back) is a stale write, a replica's whose batch stalled
# while another replica took the call over and scored it on: it does not replace the newer
# state. The last parameter: the state's seq (NO_SEQ_GUARD where not known).
_NOT_OLDER = "WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.call_id = excluded.call_id AND c.last_seq > ?)"
NO_SEQ_GUARD = 2**62
UPSERT_STATE = (
    "INSERT INTO scorer_state (call_id, state) VALUES (?, ?) "
    "ON CONFLICT (call_id) DO UPDATE SET state = excluded.state " + _NOT_OLDER
)
UPSERT_ENDED_STATE = (
    "INSERT INTO ended_states (call_id, ended_at, state) VALUES (?, ?, ?) "
    "ON CONFLICT (call_id) DO UPDATE SET ended_at = excluded.ended_at, state = excluded.state " + _NOT_OLDER
)
UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
