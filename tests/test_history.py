"""``callheat simulate --history-days``: past calls scored into the store, without Kafka."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from streaming import cli
from streaming.errors import ConfigError
from streaming.events import CallQueued, CallStarted
from streaming.history import KEEP, HistoryConfig, _Floor, fill_history, plan
from streaming.scoring import Scorer
from streaming.store import CallRow, StoreBatch, open_store

END = datetime(2026, 3, 4, tzinfo=UTC)  # history of Tuesday 3 March 2026 (one day)
SMALL = HistoryConfig(days=1, calls_per_day=160, seed=3, end=END, tz=UTC)


def fill(tmp_path, cfg: HistoryConfig = SMALL, name: str = "h.db"):
    store = open_store(f"sqlite:///{tmp_path / name}")
    result = fill_history(store, cfg)
    return store, result


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    live = CallRow(call_id="live-now", status="live", queue="billing", customer_id="k1",
                   updated_at=time.time(), started_at=time.time() - 60, risk=0.8, level="hot",
                   last_seq=5)  # fmt: skip
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('history') / 'h.db'}")
    store.apply(StoreBatch(calls={live.call_id: live}))
    result = fill_history(store, SMALL)
    yield store, result, live
    store.close()


def test_history_writes_scored_calls_in_the_past(filled):
    store, result, _ = filled
    calls = store.query("SELECT * FROM calls WHERE call_id != 'live-now'")
    assert len(calls) == result.calls > 100
    assert {c["status"] for c in calls} <= {"ended", "abandoned"}  # every history call is over
    day_start, day_end = END.timestamp() - 86_400, END.timestamp()
    starts = [c["queued_at"] for c in calls]
    assert day_start <= min(starts) and max(c["updated_at"] for c in calls) < day_end
    assert store.query("SELECT COUNT(*) AS n FROM turns")[0]["n"] > 10 * len(calls) / 2
    assert result.alerts == store.query("SELECT COUNT(*) AS n FROM alerts")[0]["n"] > 0
    assert store.query("SELECT COUNT(*) AS n FROM model_metrics")[0]["n"] > 0
    assert store.query("SELECT COUNT(*) AS n FROM scorer_state")[0]["n"] == 0  # nothing to continue


def test_history_has_a_daily_pattern_and_shifts(filled):
    store, _, _ = filled
    hours = store.query("SELECT CAST(started_at / 3600 AS INTEGER) % 24 AS h, COUNT(*) AS n FROM calls "
                        "WHERE started_at IS NOT NULL AND call_id != 'live-now' GROUP BY h")  # fmt: skip
    per_hour = {r["h"]: r["n"] for r in hours}
    assert min(per_hour) >= 7 and max(per_hour) <= 21  # open 07:00-21:00 (UTC here)
    assert per_hour[10] > 2 * per_hour.get(7, 0)  # the morning peak
    agents = store.query("SELECT DISTINCT agent_id FROM calls WHERE agent_id IS NOT NULL")
    assert len(agents) >= 3


def test_supervisors_act_on_hot_calls(filled):
    store, result, _ = filled
    actions = store.query("SELECT a.action, a.label, a.ts, (SELECT MIN(al.ts) FROM alerts al "
                          "WHERE al.call_id = a.call_id) AS alert_ts FROM actions a")  # fmt: skip
    kinds = {a["action"] for a in actions}
    assert {"whisper", "feedback"} <= kinds and result.actions > 0
    assert all(a["alert_ts"] is not None and a["ts"] > a["alert_ts"] for a in actions)  # once hot
    assert {a["label"] for a in actions if a["action"] == "feedback"} <= {"hot", "not_hot"}


def test_live_actions_come_while_the_call_is_live(filled):
    """A whisper or barge-in is for a live call (the dashboard refuses it on an ended one):
    one due after its call ended is not taken. They were stamped up to minutes after the
    end (half the whispers, nine barge-ins in ten over a week), with no turns left to
    compare before and after them."""
    store, result, _ = filled
    rows = store.query("SELECT a.action, a.ts, c.started_at, c.ended_at FROM actions a "
                       "JOIN calls c ON c.call_id = a.call_id "
                       "WHERE a.action IN ('whisper', 'barge_in', 'monitor', 'acknowledge')")  # fmt: skip
    assert sum(r["action"] == "whisper" for r in rows) >= 5
    late = [r for r in rows if r["ended_at"] is None or not r["started_at"] < r["ts"] <= r["ended_at"]]
    assert late == []
    assert result.too_late > 0  # some alerts come too close to the end for a live action
    assert f"and {result.too_late:,} too late" in result.line()


def test_feedback_follows_how_the_call_ended_not_the_alert(filled):
    """Feedback that agreed with the alert whatever happened taught the model that all it
    flags is hot: over 30 simulated days, 95% of calls ended up hot."""
    store, _, _ = filled
    rows = store.query("SELECT a.label, a.ts, c.disposition, c.ended_at FROM actions a "
                       "JOIN calls c ON c.call_id = a.call_id WHERE a.action = 'feedback'")  # fmt: skip
    assert len(rows) >= 10 and all(r["ts"] > r["ended_at"] for r in rows)  # given once it ended
    right = sum((r["label"] == "hot") == (r["disposition"] == "escalated") for r in rows)
    assert right / len(rows) >= 0.7
    assert {r["label"] for r in rows} == {"hot", "not_hot"}  # supervisors say both


def test_live_calls_are_left_alone(filled):
    store, _, live = filled
    assert store.get_call("live-now") == live
    assert len(store.live_calls()) == 1


def test_same_seed_same_history_other_seed_other_history(tmp_path, filled):
    store, result, _ = filled
    again, result2 = fill(tmp_path)
    other, _ = fill(tmp_path, HistoryConfig(days=1, calls_per_day=160, seed=4, end=END, tz=UTC), "o.db")
    sql = ("SELECT call_id, agent_id, peak_risk, disposition FROM calls WHERE call_id != 'live-now' "
           "ORDER BY call_id")
    assert store.query(sql) == again.query(sql) and result2.events == result.events
    actions = "SELECT action_id, ts, label FROM actions ORDER BY action_id"
    assert store.query(actions) == again.query(actions) and result2.too_late == result.too_late
    assert store.query(sql) != other.query(sql)
    for s in (again, other):
        s.close()


def test_plan_follows_the_week_and_ends_before_the_end():
    week = plan(HistoryConfig(days=7, calls_per_day=1000, end=datetime(2026, 3, 9, tzinfo=UTC), tz=UTC))
    per_day: dict[int, int] = {}
    for seg in week:
        per_day[seg.start.weekday()] = per_day.get(seg.start.weekday(), 0) + seg.calls
    assert per_day[0] > per_day[5] > per_day[6]  # Monday busiest, Sunday quietest
    assert 6_000 < sum(per_day.values()) < 8_000
    assert max(s.start for s in week) < datetime(2026, 3, 9, tzinfo=UTC)
    assert all(len(s.roster) >= 1 for s in week)


def test_kept_callbacks_bring_the_customer_back_before_the_due_time():
    floor = _Floor(SMALL, Scorer())
    t = END.timestamp() - 80_000
    # find promises the seed keeps on time (most of them: KEEP)
    kept = 0
    for i in range(20):
        floor.on_commitment(f"c{i}", t, t + 7200, f"k{i}")
    kept = len(floor.callbacks)
    assert 10 <= kept <= 20 and KEEP > 0.5
    first_due, customer = floor.callbacks[0]
    ts = datetime.fromtimestamp(first_due + 1, UTC)
    queued = floor.rewrite(CallQueued(call_id="n1", ts=ts, seq=1, queue="billing", customer_id="new"))
    started = floor.rewrite(CallStarted(call_id="n1", ts=ts, seq=2, queue="billing", agent_id="a",
                                        agent_name="A", team="T", customer_id="new", channel="voice",
                                        language="en", wait_s=1.0))  # fmt: skip
    assert queued.customer_id == started.customer_id == customer
    assert len(floor.callbacks) == kept - 1


def test_bad_history_days_are_refused_in_one_line(capsys):
    for bad, expected in (("0", "must be 1-366, got 0"), ("x", "expected a whole number"),
                          ("-2", "must be 1-366, got -2"), ("400", "must be 1-366, got 400")):  # fmt: skip
        with pytest.raises(SystemExit) as exc:
            cli.main(["simulate", "--history-days", bad])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--history-days" in err and expected in err
    with pytest.raises(ConfigError):
        HistoryConfig(days=1, end=datetime(2026, 3, 4))  # naive


@pytest.mark.parametrize("argv, words", [
    (["--calls", "5"], "simulate --history-days writes past calls straight into the store, without Kafka: "
     "it takes no --calls (--calls-per-day sets how many)"),
    (["--speed", "2", "--concurrency", "5", "--max-events", "9", "--bootstrap-servers", "h:1"],
     "it takes no --speed, --concurrency, --max-events or --bootstrap-servers"),
    (["--topic-prefix", "x-"], "it takes no --topic-prefix"),
])  # fmt: skip
def test_history_refuses_the_live_simulations_options_in_one_line(argv, words, tmp_path, capsys):
    """Found by a docs review: they were ignored in silence, the store filled all the same."""
    path = tmp_path / "h.db"
    assert cli.main(["simulate", "--history-days", "1", *argv, "--store-url", f"sqlite:///{path}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("callheat: error: ") and words in err
    assert not path.exists()  # nothing written


@pytest.mark.parametrize("argv", [["--calls-per-day", "50"], ["--store-url", "sqlite:///h.db"]])
def test_live_simulation_refuses_the_historys_options_in_one_line(argv, capsys):
    # refused before any broker is asked: none listens on port 9
    assert cli.main(["simulate", *argv, "--bootstrap-servers", "127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err == (f"callheat: error: simulate {argv[0]} is for --history-days (past calls written into "
                   "the store)\n")


def test_the_command_fills_the_store_and_prints_a_summary(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli.main(["simulate", "--history-days", "1", "--calls-per-day", "60", "--seed", "2",
                     "--store-url", url]) == 0  # fmt: skip
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith(f"filling {url} with 1 day of past calls")  # it said "1 days"
    assert out[-1].startswith("history: ") and " calls, " in out[-1]
    store = open_store(url)
    try:
        n = store.query("SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM calls")[0]
        assert n["n"] > 0 and n["last"] < time.time()
        assert store.meta("history") is not None
    finally:
        store.close()


def test_the_centers_clock_sets_opening_hours_and_callback_times(tmp_path, capsys, monkeypatch):
    from zoneinfo import ZoneInfo

    from streaming.center_clock import CenterClock
    from streaming.scoring.practices import due_at

    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9 all year: 07:00-21:00 there is 22:00-12:00 UTC
    monkeypatch.setenv("CALLHEAT_CENTER_TIMEZONE", "Asia/Tokyo")
    url = f"sqlite:///{tmp_path / 'tokyo.db'}"
    assert cli.main(["simulate", "--history-days", "2", "--calls-per-day", "400", "--seed", "4",
                     "--store-url", url]) == 0  # fmt: skip
    capsys.readouterr()
    store = open_store(url)
    try:
        rows = store.query("SELECT started_at FROM calls WHERE started_at IS NOT NULL")
        starts = [r["started_at"] for r in rows]
        hours = {datetime.fromtimestamp(t, tokyo).hour for t in starts}
        assert hours and min(hours) >= 7 and max(hours) <= 21, hours
        assert {datetime.fromtimestamp(t, UTC).hour for t in starts} & {0, 1, 2}  # not UTC's 07-21
        promised = store.query("SELECT ts, due_at, text FROM commitments")
        by_clock = [r for r in promised
                    if due_at(r["text"], r["ts"], CenterClock(tokyo)) != due_at(r["text"], r["ts"])]
        assert by_clock, "no promise whose due time depends on the clock: the test would prove nothing"
        assert all(r["due_at"] == due_at(r["text"], r["ts"], CenterClock(tokyo))[0] for r in promised)
    finally:
        store.close()
