"""Both store engines, SQLite and a real PostgreSQL: idempotent writes, newer rows win,
interrupted calls, late-feedback states pruned by age, calls deleted past retention."""

import dataclasses
import sqlite3
import threading

import psycopg
import pytest

from streaming.broker import free_port
from streaming.errors import StoreError
from streaming.store import (
    ActionRow,
    AlertRow,
    CallRow,
    CommitmentRow,
    MarkerRow,
    PracticeRow,
    StoreBatch,
    TurnRow,
    open_store,
)


def call(seq: int, status: str = "live", risk: float = 0.1) -> CallRow:
    return CallRow("c1", status, "billing", "k1", updated_at=float(seq), last_seq=seq, risk=risk)


def test_writes_are_idempotent_and_an_older_row_never_wins(engine_store):
    turn = TurnRow("c1", 3, 3.0, "customer", "hello", 0, 900, 0.2, 0.1)
    batch = StoreBatch(calls={"c1": call(5, risk=0.8)}, turns=[turn], states={"c1": "{}"})
    engine_store.apply(batch)
    engine_store.apply(batch)  # a replay
    engine_store.apply(StoreBatch(calls={"c1": call(3, risk=0.2)}))  # an older version, late
    assert engine_store.counts()["turns"] == 1
    assert engine_store.get_call("c1").risk == 0.8 and engine_store.get_call("c1").last_seq == 5
    engine_store.record_action(ActionRow("a1", "c1", "barge_in", "s1", 4.0))
    engine_store.record_action(ActionRow("a1", "c1", "barge_in", "s1", 4.0))
    assert len(engine_store.actions("c1")) == 1


def test_a_callback_given_its_timeframe_later_replaces_its_row(engine_store):
    """"I'll call you back" then "by 3pm tomorrow": the scorer writes the promise's row again,
    now with its due time (turns.py), and a replay of either batch leaves one row."""
    first = CommitmentRow("c1", 2, 2.0, 2.0 + 86_400, "I'll call you back", "k1")
    said = CommitmentRow("c1", 2, 4.0, 4.0 + 3_600, "I'll call you back by 3pm", "k1")
    engine_store.apply(StoreBatch(calls={"c1": call(2)}, commitments=[first]))
    engine_store.apply(StoreBatch(calls={"c1": call(4)}, commitments=[said]))
    engine_store.apply(StoreBatch(calls={"c1": call(4)}, commitments=[said]))  # a replay
    assert engine_store.commitments("c1") == [said]
    # a replica whose write stalled while another scored on (a diff review): the first row late
    engine_store.apply(StoreBatch(commitments=[first]))
    assert engine_store.commitments("c1") == [said]


def test_a_state_older_than_the_stored_call_never_replaces_the_newer_one(engine_store):
    """Found by a replicas review: a replica whose batch write stalled past the poll interval
    wrote its call state (as of seq 4) over the one the replica that took the call over had
    stored (ended at seq 7); the next copy of the call's end was then scored from seq 4."""
    store = engine_store
    newer = StoreBatch(calls={"c1": call(7, status="ended")})
    newer.put_state("c1", '{"ended": "ended", "as_of": 7}', 7)
    newer.put_ended_state("c1", 7.0, '{"final": 7}', 7)
    store.apply(newer)
    stale = StoreBatch(calls={"c1": call(4)})  # the stalled replica's, landing late
    stale.put_state("c1", '{"live": 4}', 4)
    stale.put_ended_state("c1", 4.0, '{"final": 4}', 4)
    store.apply(stale)
    assert store.get_call("c1").last_seq == 7
    assert store.load_states(["c1"]) == {"c1": '{"ended": "ended", "as_of": 7}'}
    assert store.load_ended_states(["c1"]) == {"c1": '{"final": 7}'}
    later = StoreBatch()  # feedback after the end: the same seq, a new state, taken
    later.put_ended_state("c1", 7.0, '{"final": 7, "corrected": true}', 7)
    later.put_state("c1", '{"ended": "ended", "as_of": 7, "offsets": 1}', 7)
    store.apply(later)
    assert store.load_states(["c1"]) == {"c1": '{"ended": "ended", "as_of": 7, "offsets": 1}'}
    assert store.load_ended_states(["c1"]) == {"c1": '{"final": 7, "corrected": true}'}
    store.apply(StoreBatch(states={"c2": "{}"}))  # no seq given, no call row: written as before
    assert store.load_states(["c2"]) == {"c2": "{}"}


def test_calls_left_open_are_closed_as_interrupted(engine_store):
    engine_store.apply(StoreBatch(calls={"c1": call(2)}, states={"c1": "{}"}))
    assert engine_store.close_interrupted(99.0) == 1
    closed = engine_store.get_call("c1")
    assert closed.status == "interrupted" and closed.ended_at == 99.0
    assert engine_store.load_states(["c1"]) == {}
    assert engine_store.close_interrupted(100.0) == 0


def test_a_fresh_run_brings_a_clock_left_ahead_back_to_its_start(engine_store):
    # an earlier run at --speed 10 left the data's "now" hours ahead of the wall clock: the
    # next run's calls, at the wall clock, were hours behind it and closed as idle at once
    engine_store.apply(StoreBatch(meta={"event_time": repr(5_000.0)}))
    engine_store.close_interrupted(1_000.0)
    assert engine_store.meta("event_time") == repr(1_000.0)
    engine_store.apply(StoreBatch(meta={"event_time": repr(900.0)}))  # behind: kept
    engine_store.close_interrupted(1_000.0)
    assert engine_store.meta("event_time") == repr(900.0)


def test_ended_states_are_kept_for_late_feedback_then_pruned_by_age(engine_store):
    engine_store.apply(StoreBatch(ended_states={"c1": (100.0, '{"a": 1}'), "c2": (200.0, '{"b": 2}')},
                           ended_states_before=50.0))  # fmt: skip
    assert engine_store.load_ended_states(["c1", "c2", "c3"]) == {"c1": '{"a": 1}', "c2": '{"b": 2}'}
    assert engine_store.close_interrupted(300.0) == 0 and len(engine_store.load_ended_states(["c1"])) == 1
    # a later batch moves the horizon past c1
    engine_store.apply(StoreBatch(ended_states={"c3": (400.0, "{}")}, ended_states_before=150.0))
    assert sorted(engine_store.load_ended_states(["c1", "c2", "c3"])) == ["c2", "c3"]
    assert engine_store.counts()["ended_states"] == 2


def test_whole_numbers_up_to_2_to_the_53_are_kept_exactly(engine_store):
    big = 2**53
    turn = TurnRow("c1", big, 3.0, "customer", "hello", big - 1, big, 0.2, 0.1)
    engine_store.apply(StoreBatch(calls={"c1": call(big)}, turns=[turn]))
    assert engine_store.get_call("c1").last_seq == big
    assert engine_store.turns("c1") == [turn]


def test_a_postgresql_store_that_cannot_be_reached_is_one_clear_error():
    url = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/postgres"  # nothing listens there
    with pytest.raises(StoreError) as exc:
        open_store(url)
    message = str(exc.value)
    assert message.startswith("cannot open PostgreSQL store at postgresql://postgres:***@127.0.0.1:")
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize("password", ["p", "o", "1"])
def test_a_short_password_is_masked_in_the_url_only(password):
    """Found by a CLI review: every "p" of the message was masked ("***ort 1 failed")."""
    port = free_port()
    with pytest.raises(StoreError) as exc:
        open_store(f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres")
    assert str(exc.value) == (
        f"cannot open PostgreSQL store at postgresql://postgres:***@127.0.0.1:{port}/postgres: "
        f'connection failed: connection to server at "127.0.0.1", port {port} failed: Connection refused')


def test_a_postgresql_store_opens_its_connection_again_after_losing_it(postgres):
    store = open_store(postgres.new_database())
    store.apply(StoreBatch(calls={"c1": call(1)}))
    with psycopg.connect(postgres.url(), autocommit=True) as admin:  # the server drops the scorer
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE pid <> pg_backend_pid() AND datname <> 'postgres'")  # fmt: skip
    with pytest.raises(StoreError, match="store write failed"):
        store.apply(StoreBatch(calls={"c1": call(2)}))  # the batch the scorer will retry
    store.apply(StoreBatch(calls={"c1": call(2)}))
    assert store.get_call("c1").last_seq == 2
    store.close()


def test_report_queries_cannot_write(engine_store):
    engine_store.apply(StoreBatch(calls={"c1": call(1)}))
    with pytest.raises(StoreError):
        engine_store.query("DELETE FROM calls")
    with pytest.raises(StoreError):  # PostgreSQL: a WITH holding a DELETE; SQLite: no such WITH
        engine_store.query("WITH gone AS (DELETE FROM calls RETURNING call_id) SELECT * FROM gone")
    assert engine_store.get_call("c1") is not None


def test_a_postgresql_write_waits_a_bounded_time_on_a_lock_held_elsewhere(postgres):
    url = postgres.new_database()
    store = open_store(url)
    assert store.query("SELECT current_setting('statement_timeout') AS t")[0]["t"] == "1min"  # default
    store.close()
    quick = open_store(url + "?options=-c%20statement_timeout%3D300")  # the URL's own setting wins
    with psycopg.connect(url) as other:  # another client holds the table in an open transaction
        other.execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreError, match="statement timeout"):
            quick.apply(StoreBatch(calls={"c1": call(1)}))
    quick.apply(StoreBatch(calls={"c1": call(1)}))  # the lock gone, the retried batch goes in
    assert quick.get_call("c1") is not None
    quick.close()


def test_a_select_only_role_can_open_a_postgresql_store_to_read_it(postgres):
    """The wallboard needs only to read: a store whose tables are all there runs no DDL on
    open, so it can connect as a role that may not create anything."""
    url = postgres.new_database()
    writer = open_store(url)
    writer.apply(StoreBatch(calls={"c1": call(1)}))
    writer.close()
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("CREATE ROLE viewer LOGIN")
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        admin.execute(f"GRANT CONNECT ON DATABASE {database} TO viewer")
        admin.execute("GRANT USAGE ON SCHEMA public TO viewer")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO viewer")
    viewer_url = url.replace("postgres@", "viewer@", 1)
    reader = open_store(viewer_url)
    assert reader.get_call("c1") is not None and reader.last_update() is not None
    with pytest.raises(StoreError):  # and it really cannot write
        reader.apply(StoreBatch(calls={"c2": call(1)}))
    reader.close()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("DROP OWNED BY viewer")
        admin.execute("DROP ROLE viewer")


def test_a_role_that_may_not_create_or_update_the_tables_is_told_which_and_what_to_do(postgres):
    """A PostgreSQL review: a least-privilege wallboard on a store an older CallHeat made, and
    a scorer's role with no CREATE on an empty database, both got "permission denied for
    schema public", so the operator checked grants that were right."""
    import uuid

    url = postgres.new_database()
    database, role = url.rsplit("/", 1)[1], f"viewer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        admin.execute(f"GRANT CONNECT ON DATABASE {database} TO {role}")
        admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    role_url = url.replace("postgres@", f"{role}@", 1)
    try:
        with pytest.raises(StoreError) as empty:
            open_store(role_url)
        assert str(empty.value).endswith(f"schema public holds no CallHeat tables, and role {role} may not "
                                         f"create them: GRANT CREATE ON SCHEMA public TO {role}, or start "
                                         "a scorer as a role that may")  # fmt: skip
        open_store(url).close()  # the owner makes the store, as an older CallHeat did: less a column
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("ALTER TABLE calls DROP COLUMN hot_queue")
            admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        with pytest.raises(StoreError) as older:
            open_store(role_url)
        assert "its tables are older than this CallHeat, and role" in str(older.value)
        assert str(older.value).endswith("start a scorer (callheat score) as the tables' owner first")
        open_store(url).close()  # the owner brings it up to date: the role reads it
        open_store(role_url).close()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def _rows_of(call_id: str, ended_at: float | None, ts: float) -> StoreBatch:
    """A call with one row in every table that holds a call's rows."""
    return StoreBatch(
        calls={call_id: CallRow(call_id, "live" if ended_at is None else "ended", "billing", "k1",
                                updated_at=ts, ended_at=ended_at, last_seq=2)},
        turns=[TurnRow(call_id, 1, ts, "customer", "my bill is wrong", 0, 900, -0.3, 0.2)],
        markers=[MarkerRow(call_id, 2, ts, "hold_started")],
        alerts=[AlertRow(call_id, 1, ts, 0.8, ("asked for a manager",))],
        practices=[PracticeRow(call_id, "empathy_shown", "good", 1, ts)],
        commitments=[CommitmentRow(call_id, 1, ts, ts + 60, "I'll call you back", "k1")],
        actions=[ActionRow(f"{call_id}-w", call_id, "whisper", "s1", ts, text="ask what they need")],
        ended_states={} if ended_at is None else {call_id: (ended_at, "{}")},
    )  # fmt: skip


def test_prune_deletes_calls_ended_before_the_cutoff_with_all_their_rows(engine_store):
    for i in range(3):  # three old calls, pruned one per chunk below
        engine_store.apply(_rows_of(f"old-{i}", ended_at=100.0 + i, ts=90.0))
    engine_store.apply(_rows_of("recent", ended_at=1_000.0, ts=990.0))
    engine_store.apply(_rows_of("live", ended_at=None, ts=95.0))  # started long ago, still live
    engine_store.record_action(ActionRow("gone-call", "pruned-before", "barge_in", "s1", 50.0))
    engine_store.record_action(ActionRow("new-orphan", "not-stored-yet", "barge_in", "s1", 2_000.0))
    before = engine_store.counts()
    expected = {"calls": 3, "turns": 3, "markers": 3, "alerts": 3, "practices": 3, "commitments": 3,
                "actions": 4}  # fmt: skip
    assert engine_store.prune(500.0, dry_run=True) == (expected, True)
    assert engine_store.counts() == before  # a dry run deletes nothing

    # a deadline already passed: one chunk (one call) and it stops; the next prune goes on
    first, finished = engine_store.prune(500.0, chunk=1, until=0.0)
    assert not finished
    assert first["calls"] == 1 and first["turns"] == 1 and first["actions"] == 1
    rest, finished = engine_store.prune(500.0, chunk=1)
    assert finished
    assert {t: first[t] + rest[t] for t in expected} == expected
    assert engine_store.prune(500.0) == (dict.fromkeys(expected, 0), True)

    after = engine_store.counts()
    assert after["calls"] == 2 and after["ended_states"] == 1  # the old calls' states went too
    assert {t: before[t] - after[t] for t in expected} == expected
    for call_id in ("old-0", "old-1", "old-2"):
        assert engine_store.get_call(call_id) is None and engine_store.turns(call_id) == []
        assert engine_store.actions(call_id) == [] and engine_store.commitments(call_id) == []
    for call_id in ("recent", "live"):
        assert engine_store.get_call(call_id) is not None
        assert len(engine_store.turns(call_id)) == len(engine_store.markers(call_id)) == 1
        assert len(engine_store.practices(call_id)) == len(engine_store.actions(call_id)) == 1
    assert [a.action_id for a in engine_store.actions("not-stored-yet")] == ["new-orphan"]


def test_prune_keeps_a_call_whose_callback_is_not_yet_as_old_as_the_cutoff(engine_store):
    promised = _rows_of("promised", ended_at=100.0, ts=90.0)
    promised.commitments[0] = dataclasses.replace(promised.commitments[0], due_at=3_600.0)
    engine_store.apply(promised)
    assert engine_store.prune(1_000.0).counts["calls"] == 0  # due after the cutoff: kept
    assert len(engine_store.commitments("promised")) == 1
    assert engine_store.prune(5_000.0).counts == {"calls": 1, "turns": 1, "markers": 1, "alerts": 1,
                                                  "practices": 1, "commitments": 1, "actions": 1}  # fmt: skip


def test_replicas_pruning_at_once_each_count_only_what_they_deleted(engine_store):
    """Several scorer replicas prune the same store: together they delete each row once, and
    their counts add up to that (they each counted every call before)."""
    url = getattr(engine_store, "url", None) or f"sqlite:///{engine_store.path}"
    for i in range(60):
        engine_store.apply(_rows_of(f"old-{i}", ended_at=100.0, ts=90.0))
    stores = [open_store(url) for _ in range(3)]
    results: list[dict[str, int]] = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.prune(500.0, chunk=7).counts))
               for s in stores]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert len(results) == 3
    assert sum(r["calls"] for r in results) == 60 and sum(r["turns"] for r in results) == 60
    assert engine_store.counts()["calls"] == 0 and engine_store.counts()["turns"] == 0


NEW_CALL_COLUMNS = ("first_queue", "hot_agent_id", "hot_agent_name", "hot_team", "hot_queue")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_store_made_before_transfers_were_credited_gains_the_columns_and_keeps_its_calls(
        engine, request, tmp_path):  # fmt: skip
    """An existing store without ``first_queue`` and ``hot_*`` (dropped here, as an older
    version made it) gets them on open; its calls read back with them empty."""
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        open_store(url).close()
        with sqlite3.connect(tmp_path / "old.db") as db:
            for column in NEW_CALL_COLUMNS:
                db.execute(f"ALTER TABLE calls DROP COLUMN {column}")
            db.execute("INSERT INTO calls (call_id, status, queue, customer_id, updated_at) "
                       "VALUES ('old', 'ended', 'billing', 'k1', 1.0)")
    else:
        url = request.getfixturevalue("postgres").new_database()
        open_store(url).close()
        with psycopg.connect(url, autocommit=True) as db:
            for column in NEW_CALL_COLUMNS:
                db.execute(f"ALTER TABLE calls DROP COLUMN {column}")
            db.execute("INSERT INTO calls (call_id, status, queue, customer_id, updated_at) "
                       "VALUES ('old', 'ended', 'billing', 'k1', 1.0)")
    store = open_store(url)
    try:
        old = store.get_call("old")
        assert old is not None and old.queue == "billing"
        assert all(getattr(old, c) is None for c in NEW_CALL_COLUMNS)
        new = dataclasses.replace(call(1), call_id="new", first_queue="tech", hot_agent_id="a1",
                                  hot_agent_name="Ana", hot_team="Blue", hot_queue="tech")  # fmt: skip
        store.apply(StoreBatch(calls={"new": new}))
        assert store.get_call("new") == new
    finally:
        store.close()
