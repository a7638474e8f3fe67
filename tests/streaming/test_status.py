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
        assert out.startswith("scoring: last store write ") and "(stale after 30 s)" in out
        assert f"(group {kafka_settings.group_id}); 0 live calls, 0 queued" in out
        assert main(["status", "--store-url", url, "--json"]) == 0
        figures = json.loads(capsys.readouterr().out)
        assert figures["fresh"] is True and figures["scorer"]["group_id"] == kafka_settings.group_id
    finally:
        stop.set()
        thread.join(30)
        service.close()
        service.store.close()
    db = sqlite3.connect(url.removeprefix("sqlite:///"))  # its last write, a minute ago
    db.execute("UPDATE meta SET value = ? WHERE key = 'last_update'", (repr(time.time() - 60),))
    db.commit()
    db.close()
    assert main(["status", "--store-url", url]) == 1
    assert re.match(r"not scoring: last store write 6\d s ago \(stale after 30 s\)", capsys.readouterr().out)


def test_status_of_a_store_no_scorer_wrote_to_is_1(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(url).close()
    assert main(["status", "--store-url", url]) == 1
    assert capsys.readouterr().out == "not scoring: no scorer has written to this store\n"
    assert main(["status", "--store-url", f"sqlite:///{tmp_path / 'typo.db'}"]) == 2
    assert "callheat: error: no store at " in capsys.readouterr().err
