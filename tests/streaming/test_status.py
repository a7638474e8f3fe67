"""``callheat status``: whether a scorer is writing to the store, for monitoring."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time

from streaming.cli import main
from streaming.consumer import ScorerService
from streaming.store import StoreBatch, open_store
from streaming.store.meta import replica_key


def test_status_is_0_while_the_scorer_writes_and_1_once_it_stopped(kafka_settings, capsys):
    url = kafka_settings.store_url.get_secret_value()
    service = ScorerService(kafka_settings, open_store(url))
    service.report_every_s = 0.2  # its heartbeat, every 10 s in production
    key = replica_key(service.replica)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30  # a heartbeat from after the group assigned it partitions
        while (not json.loads(service.store.meta(key) or "{}").get("partitions")
               and time.monotonic() < deadline):  # fmt: skip
            time.sleep(0.1)
        assert main(["status", "--store-url", url]) == 0
        head, replica = capsys.readouterr().out.splitlines()
        assert re.fullmatch(r"scoring: 1 replica running, last heartbeat \d s ago \(stale after 30 s\); "
                            r"0 live calls, 0 queued", head), head  # fmt: skip
        assert replica.startswith(f"  {service.replica}: scoring, heartbeat ")
        assert replica.endswith(f" calls in memory (group {kafka_settings.group_id})")
        assert main(["status", "--store-url", url, "--json"]) == 0
        figures = json.loads(capsys.readouterr().out)
        assert figures["fresh"] is True and figures["scorer"]["group_id"] == kafka_settings.group_id
        assert [(r["replica"], r["scoring"]) for r in figures["replicas"]] == [(service.replica, True)]
    finally:
        stop.set()
        thread.join(30)
        service.close()
        service.store.close()
    # stopped cleanly: it says so at once, not once its heartbeat has gone stale
    assert main(["status", "--store-url", url]) == 1
    out = capsys.readouterr().out
    assert re.match(r"not scoring: the last replica stopped cleanly \d s ago; 0 live calls", out), out
    assert f"  {service.replica}: stopped cleanly " in out
    db = sqlite3.connect(url.removeprefix("sqlite:///"))  # killed instead: its last heartbeat, a minute ago
    (raw,) = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    crashed = {k: v for k, v in json.loads(raw).items() if k != "stopped"}
    crashed["at"] = time.time() - 60
    db.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(crashed), key))
    db.commit()
    db.close()
    assert main(["status", "--store-url", url]) == 1
    stale = capsys.readouterr().out
    assert re.match(r"not scoring: last scorer heartbeat 6\d s ago \(stale after 30 s\)", stale), stale
    assert f"  {service.replica}: no heartbeat since (stale), heartbeat 6" in stale


def test_status_lists_each_replica_and_a_replica_gone_a_week_is_forgotten(kafka_settings, capsys):
    """Before, every replica wrote one shared heartbeat: status showed whichever wrote last,
    and said "scoring" for 30 s after the last one stopped."""
    url = kafka_settings.store_url.get_secret_value()
    now = time.time()
    gone = {"at": now - 8 * 86_400, "replica": "old-host/12"}  # restarted a week ago under a new pid
    stopped = {"at": now - 300, "stopped": True, "group_id": "g"}
    older = {"at": now - 5, "events_per_s": 2.0, "lag": 0, "calls_in_memory": 1}  # a scorer before this
    store = open_store(url)
    store.apply(StoreBatch(meta={replica_key("old-host/12"): json.dumps(gone),
                                 replica_key("host-b/7"): json.dumps(stopped),
                                 "scorer": json.dumps(older)}))  # fmt: skip
    store.close()
    assert main(["status", "--store-url", url]) == 0
    lines = re.sub(r"heartbeat [56] s ago", "heartbeat 5 s ago", capsys.readouterr().out).splitlines()
    assert lines == [
        "scoring: 1 replica running, last heartbeat 5 s ago (stale after 30 s); 0 live calls, 0 queued",
        "  older scorer: scoring, heartbeat 5 s ago; last 10 s: 2 events/s, lag 0, 1 calls in memory",
        "  host-b/7: stopped cleanly 5 min ago (group g)",
    ]  # the replica gone for 8 days is not listed
    service = ScorerService(kafka_settings, open_store(url))
    try:
        service.report(service.stats, 1.0)  # its first heartbeat
        assert service.store.meta(replica_key("old-host/12")) is None  # forgotten
        assert service.store.meta(replica_key("host-b/7")) is not None
        assert main(["status", "--store-url", url, "--json"]) == 0
        replicas = json.loads(capsys.readouterr().out)["replicas"]
        # not subscribed to a broker that assigns it anything: running, no partition
        assert [(r["replica"], r["scoring"]) for r in replicas] == [
            (service.replica, False), ("older scorer", True), ("host-b/7", False)]
    finally:
        service.close()
        service.store.close()


def test_replicas_running_with_no_partition_assigned_are_not_scoring(tmp_path, capsys):
    """Found by a replicas review: after every replica stopped at once, the embedded broker's
    group coordinator assigned the restarted one nothing; it scored nothing for good while
    status said "scoring" (exit 0), so a frozen wallboard looked healthy to monitoring."""
    url = f"sqlite:///{tmp_path / 'wedged.db'}"
    now = time.time()
    idle = {"at": now - 2, "partitions": 0, "lag": None, "events_per_s": 0.0, "calls_in_memory": 0}
    store = open_store(url)
    store.apply(StoreBatch(meta={replica_key("host-a/1"): json.dumps(idle),
                                 replica_key("host-b/2"): json.dumps({**idle, "at": now - 3})}))  # fmt: skip
    store.close()
    assert main(["status", "--store-url", url]) == 1
    head, *lines = capsys.readouterr().out.splitlines()
    assert head.startswith("not scoring: 2 replicas running, none assigned a partition of call-events")
    assert all(": running, no partition assigned, heartbeat " in line for line in lines) and len(lines) == 2
    # one replica with partitions is scoring; more replicas than partitions leave others idle
    store = open_store(url)
    store.apply(StoreBatch(meta={replica_key("host-b/2"): json.dumps({**idle, "partitions": 3})}))
    store.close()
    assert main(["status", "--store-url", url]) == 0
    assert capsys.readouterr().out.startswith("scoring: 2 replicas running")


def test_status_of_a_store_no_scorer_runs_on_is_1_even_just_written_to(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    # a history fill writes the store (its last write is now) with no scorer running
    assert main(["simulate", "--history-days", "1", "--calls-per-day", "20", "--store-url", url]) == 0
    capsys.readouterr()
    assert main(["status", "--store-url", url]) == 1
    out = capsys.readouterr().out
    assert out == "not scoring: no scorer heartbeat in this store; 0 live calls, 0 queued\n"
    # no store at all: no scorer writes there either (exit 1; a health check's 2 is reserved)
    assert main(["status", "--store-url", f"sqlite:///{tmp_path / 'typo.db'}"]) == 1
    assert capsys.readouterr().out.startswith(f"not scoring: no store at {tmp_path / 'typo.db'} ")
    assert not (tmp_path / "typo.db").exists()


def test_status_json_says_not_fresh_when_there_is_no_store_or_it_does_not_answer(tmp_path, capsys):
    """A PostgreSQL review: with ``--json`` a monitor got plain text (no store) or nothing on
    stdout (a server that is down), in exactly the cases it is there for."""
    from streaming.broker import free_port

    assert main(["status", "--json", "--store-url", f"sqlite:///{tmp_path / 'typo.db'}"]) == 1
    said = json.loads(capsys.readouterr().out)
    assert said["fresh"] is False and said["error"].startswith("not scoring: no store at ")
    down = f"postgresql://callheat:secret@127.0.0.1:{free_port()}/callheat"  # nothing listens there
    assert main(["status", "--json", "--store-url", down]) == 1
    out = capsys.readouterr().out
    said = json.loads(out)
    assert said["fresh"] is False and "cannot open PostgreSQL store" in said["error"], said
    assert "secret" not in out


def test_status_and_prune_on_a_postgresql_database_nothing_wrote_make_no_tables(postgres, capsys):
    """Found in an earlier session's review: ``status`` (a health check, read only) created
    CallHeat's tables in the database it was pointed at, a typo'd or new one alike."""
    import psycopg

    url = postgres.new_database()
    assert main(["status", "--store-url", url]) == 1
    out = capsys.readouterr().out
    assert out.startswith("not scoring: no CallHeat store in the PostgreSQL database at postgresql://"), out
    assert main(["prune", "--older-than-days", "30", "--store-url", url]) == 2  # a usage error, as for SQLite
    assert "no CallHeat store in the PostgreSQL database" in capsys.readouterr().err
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = current_schema()").fetchone() == (0,)  # fmt: skip
    # once a scorer (or a fill) has written the store, status reads it
    open_store(url).close()
    assert main(["status", "--store-url", url]) == 1
    assert capsys.readouterr().out.startswith("not scoring: no scorer heartbeat in this store")
