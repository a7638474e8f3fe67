"""Retention: calls past the retention period leave the store, by the scorer as it runs."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from streaming.consumer import ScorerService
from streaming.retention import DAY_S, Retention
from streaming.store import CallRow, StoreBatch, TurnRow, open_store


def _ended(store, call_id: str, days_ago: float) -> None:
    ended_at = time.time() - days_ago * DAY_S
    store.apply(StoreBatch(
        calls={call_id: CallRow(call_id, "ended", "billing", "k1", updated_at=ended_at,
                                ended_at=ended_at, last_seq=1)},
        turns=[TurnRow(call_id, 1, ended_at - 60, "customer", "my bill is wrong", 0, 900, -0.3, 0.2)],
    ))  # fmt: skip


def test_retention_deletes_calls_past_its_days_once_an_hour_and_zero_keeps_all(store):
    _ended(store, "old", days_ago=31)
    _ended(store, "recent", days_ago=29)
    assert Retention(store, days=0).tick() is None and store.counts()["calls"] == 2

    retention = Retention(store, days=30)
    assert retention.tick() == {"calls": 1, "turns": 1, "markers": 0, "alerts": 0, "practices": 0,
                                "commitments": 0, "actions": 0}  # fmt: skip
    assert store.get_call("old") is None and store.turns("old") == []
    assert store.get_call("recent") is not None and len(store.turns("recent")) == 1
    _ended(store, "old-again", days_ago=40)  # arrives after the prune: waits for the next one
    assert retention.tick() is None and store.get_call("old-again") is not None
    assert Retention(store, days=30, every_s=0).tick()["calls"] == 1


def test_a_store_that_refuses_the_prune_is_logged_and_tried_again_later(store, settings, caplog):
    _ended(store, "old", days_ago=31)
    # the real database refuses: a trigger stands for a role without DELETE rights
    db = sqlite3.connect(settings.store_url.get_secret_value().removeprefix("sqlite:///"))
    db.execute("CREATE TRIGGER keep BEFORE DELETE ON calls BEGIN SELECT RAISE(ABORT, 'no deletes'); END")
    db.commit()
    retention = Retention(store, days=30)
    with caplog.at_level(logging.WARNING, logger="streaming.retention"):
        assert retention.tick() is None
    assert "could not prune calls ended before" in caplog.text and "no deletes" in caplog.text
    assert store.get_call("old") is not None and len(store.turns("old")) == 1  # nothing half-deleted
    assert retention.tick() is None  # not again at once: in an hour
    db.execute("DROP TRIGGER keep")
    db.commit()
    db.close()
    assert Retention(store, days=30).tick()["calls"] == 1


def test_the_scorer_prunes_as_it_runs(kafka_settings):
    settings = kafka_settings.model_copy(update={"retention_days": 30, "checkpoint_every_s": 0.2})
    store = open_store(settings.store_url)
    _ended(store, "old", days_ago=31)
    _ended(store, "recent", days_ago=1)
    service = ScorerService(settings, store)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while store.get_call("old") is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.get_call("old") is None and store.get_call("recent") is not None
    finally:
        stop.set()
        thread.join(30)
        service.close()
        store.close()
