"""``callheat status``: whether a scorer is writing to the store, for monitoring."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time

from streaming.cli import main
from streaming.consumer import ScorerService
from streaming.store import open_store


def test_status_is_0_while_the_scorer_writes_and_1_once_it_stopped(kafka_settings, capsys):
    url = kafka_settings.store_url.get_secret_value()
    service = ScorerService(kafka_settings, open_store(url))
    service.report_every_s = 0.2  # its heartbeat, every 10 s in production
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while service.store.meta("scorer") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert main(["status", "--store-url", url]) == 0
        out = capsys.readouterr().out
        assert out.startswith("scoring: last scorer heartbeat ") and "(stale after 30 s)" in out
        assert f"(group {kafka_settings.group_id}); 0 live calls, 0 queued" in out
        assert main(["status", "--store-url", url, "--json"]) == 0
        figures = json.loads(capsys.readouterr().out)
        assert figures["fresh"] is True and figures["scorer"]["group_id"] == kafka_settings.group_id
    finally:
        stop.set()
        thread.join(30)
        service.close()
        service.store.close()
    db = sqlite3.connect(url.removeprefix("sqlite:///"))  # its last heartbeat, a minute ago
    (raw,) = db.execute("SELECT value FROM meta WHERE key = 'scorer'").fetchone()
    db.execute("UPDATE meta SET value = ? WHERE key = 'scorer'", (json.dumps({**json.loads(raw),
                                                                               "at": time.time() - 60}),))
    db.commit()
    db.close()
    assert main(["status", "--store-url", url]) == 1
    stale = capsys.readouterr().out
    assert re.match(r"not scoring: last scorer heartbeat 6\d s ago \(stale after 30 s\)", stale)


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
