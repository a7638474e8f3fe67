"""The wallboard's pure logic: queue figures, alert budget, claims, precision, URL prefs, reads.

Plain functions over rows (no browser, no Streamlit run); the reads run on a real SQLite store.
"""

from __future__ import annotations

import io
import wave
from dataclasses import replace

import pytest

from dashboard import actions, alerts, charts, prefs, queues, reads, safe, sound, views, widgets
from dashboard.queues import QueueCall
from streaming.events import action_to_dict, encode, parse_action
from streaming.scoring.playbook import DETECTORS, SITUATIONS, Playbook
from streaming.store import ActionRow, AlertRow, CallRow, CommitmentRow, PracticeRow, StoreBatch, TurnRow

NOW = 1_800_000_000.0
HOUR = 3600.0


def live(call_id: str, level: str = "calm", risk: float = 0.1, **kw) -> CallRow:
    base = CallRow(call_id=call_id, status="live", queue="billing", customer_id="c", updated_at=NOW,
                   agent_id=f"a-{call_id}", agent_name=f"Agent {call_id}", team="Team Blue",
                   started_at=NOW - 300, level=level, risk=risk)  # fmt: skip
    return replace(base, **kw)


# --- queue figures ---------------------------------------------------------------------------


def qc(call_id: str, status: str, queue: str = "billing", queued: float | None = None,
       started: float | None = None, wait: float | None = None,
       ended: float | None = None) -> QueueCall:  # fmt: skip
    return QueueCall(call_id, status, queue, queued, started, wait, ended)


def test_service_level_counts_answered_within_target_over_answered_and_abandoned():
    calls = [
        qc("fast", "ended", queued=NOW - 600, started=NOW - 590, wait=10, ended=NOW - 100),
        qc("edge", "live", queued=NOW - 320, started=NOW - 300, wait=20),  # exactly on target: in
        qc("slow", "live", queued=NOW - 400, started=NOW - 300, wait=100),
        qc("gone", "abandoned", queued=NOW - 200, ended=NOW - 150),
        qc("old", "ended", queued=NOW - 2 * HOUR, started=NOW - 2 * HOUR + 5, wait=5,
           ended=NOW - 100),  # answered before the window: not counted  # fmt: skip
        qc("old-gone", "abandoned", queued=NOW - 3 * HOUR, ended=NOW - 2 * HOUR),
        qc("wait-1", "queued", queued=NOW - 45),
        qc("wait-2", "queued", queued=NOW - 130),
        qc("t1", "live", "tech", queued=NOW - 100, started=NOW - 95, wait=5),
    ]
    rows = {r.queue: r for r in queues.queue_figures(calls, NOW, HOUR, 20)}
    billing = rows["billing"]
    assert (billing.waiting, billing.answered, billing.answered_in_target, billing.abandoned) == (
        2, 3, 2, 1)  # fmt: skip
    assert billing.longest_wait_s == pytest.approx(130)
    assert billing.service_level == pytest.approx(2 / 4)
    assert billing.abandon_rate == pytest.approx(1 / 4)
    assert rows["tech"].service_level == 1.0 and rows["tech"].waiting == 0
    assert rows["tech"].longest_wait_s is None
    assert [r.queue for r in queues.queue_figures(calls, NOW, HOUR, 20)] == ["billing", "tech"]


def test_wait_falls_back_to_answered_minus_queued_and_target_is_configurable():
    calls = [qc("a", "live", queued=NOW - 100, started=NOW - 70)]  # no wait_s: 30 s
    assert queues.queue_figures(calls, NOW, HOUR, 20)[0].service_level == 0.0
    assert queues.queue_figures(calls, NOW, HOUR, 30)[0].service_level == 1.0


def test_queue_totals_and_empty_figures_say_nothing_made_up():
    calls = [qc("a", "queued", queued=NOW - 10), qc("b", "queued", "tech", queued=NOW - 50),
             qc("c", "abandoned", "tech", queued=NOW - 90, ended=NOW - 60)]  # fmt: skip
    rows = queues.queue_figures(calls, NOW, HOUR, 20)
    all_queues = queues.total(rows)
    assert (all_queues.waiting, all_queues.abandoned, all_queues.longest_wait_s) == (2, 1, 50)
    assert all_queues.service_level == 0.0 and all_queues.abandon_rate == 1.0
    only_waiting = next(r for r in rows if r.queue == "billing")
    assert only_waiting.service_level is None and queues.fmt_share(None) == "—"
    html = widgets.queue_html(rows)
    assert "All queues" in html and "<td>tech</td>" in html and "100%" in html


# --- alert budget, new-hot, claims, precision ------------------------------------------------


def test_alert_budget_keeps_the_hottest_and_shows_the_rest_as_warming():
    calls = [live("h1", "hot", 0.75), live("h2", "hot", 0.95), live("h3", "hot", 0.85),
             live("w", "warming", 0.5)]  # fmt: skip
    shown, over = alerts.apply_budget(calls, 2)
    assert over == {"h1"}
    assert {c.call_id: c.level for c in shown} == {"h1": "warming", "h2": "hot", "h3": "hot",
                                                   "w": "warming"}  # fmt: skip
    assert alerts.apply_budget(calls, 0) == (calls, frozenset())  # 0 = no cap
    assert alerts.apply_budget(calls, 5)[1] == frozenset()
    tiles = views.tiles(shown, NOW, over_budget=over)
    assert [t.call_id for t in tiles] == ["h2", "h3", "h1", "w"]  # over budget leads the warming
    h1 = next(t for t in tiles if t.call_id == "h1")
    assert h1.over_budget and h1.level == "warming" and "over budget" in widgets.tile_html(h1)
    header = views.header_figures(shown, None, NOW, over_budget=len(over))
    assert (header.hot, header.over_budget) == (2, 1)


def test_tiles_keep_their_places_while_risks_move_within_a_level():
    calls = [live("h-new", "hot", 0.95, hot_since=NOW - 10), live("h-old", "hot", 0.72, hot_since=NOW - 90),
             live("w-late", "warming", 0.6, started_at=NOW - 60), live("w-early", "warming", 0.45),
             live("c1", "calm", 0.2)]  # fmt: skip
    order = [t.call_id for t in views.tiles(calls, NOW)]
    assert order == ["h-old", "h-new", "w-early", "w-late", "c1"]  # longest hot / running first
    moved = [replace(c, risk=1.0 - c.risk) if c.level != "calm" else c for c in calls]
    assert [t.call_id for t in views.tiles(moved, NOW)] == order  # new risks, same places
    cooled = [replace(c, level="warming", hot_since=None) if c.call_id == "h-old" else c for c in calls]
    assert [t.call_id for t in views.tiles(cooled, NOW)] == ["h-new", "h-old", "w-early", "w-late", "c1"]


def test_a_call_that_just_turned_hot_is_marked_new():
    fresh = live("f", "hot", 0.9, hot_since=NOW - 10)
    old = live("o", "hot", 0.9, hot_since=NOW - 120)
    assert views.tile(fresh, NOW).new_hot and not views.tile(old, NOW).new_hot
    assert not views.tile(live("w", "warming", 0.5, hot_since=NOW - 5), NOW).new_hot
    assert 'ch-new' in widgets.tile_html(views.tile(fresh, NOW))
    assert "ch-new" not in widgets.tile_html(views.tile(old, NOW))


def test_beep_only_when_the_hot_set_gains_a_call():
    assert alerts.new_hot(None, frozenset({"a"})) == frozenset()  # first refresh: nothing is new
    assert alerts.new_hot(frozenset({"a", "b"}), frozenset({"a"})) == frozenset()
    assert alerts.new_hot(frozenset({"a"}), frozenset({"b"})) == frozenset({"b"})


def test_claims_list_who_is_on_each_call_newest_first():
    rows = [
        ActionRow("1", "c1", "acknowledge", "sup-ana", NOW - 50),
        ActionRow("2", "c1", "whisper", "sup-bob", NOW - 40, text="x"),  # not a claim
        ActionRow("3", "c1", "barge_in", "sup-lee", NOW - 30),
        ActionRow("4", "c2", "monitor", "sup-ana", NOW - 20),
    ]
    assert alerts.claims(rows) == {"c1": ("sup-lee (barged in)", "sup-ana"),
                                   "c2": ("sup-ana (monitoring)",)}  # fmt: skip
    t = views.tile(live("c1", "hot", 0.9), NOW, on_it=("sup-lee (barged in)", "sup-ana"))
    assert "On it: " + safe.md("sup-lee (barged in), sup-ana") in widgets.tile_html(t)
    no_consent = views.tile(live("c3", consent=False), NOW, on_it=("sup-ana",))
    assert "On it: " + safe.md("sup-ana") in widgets.compact_tile_html(no_consent)
    assert "sentiment" not in widgets.compact_tile_html(no_consent)


@pytest.mark.parametrize(("hot", "not_hot", "text"), [
    (0, 0, "no feedback yet"), (3, 1, "75% (you marked hot 3 of the 4 alerts you gave feedback on)"),
    (0, 1, "0% (you marked hot 0 of the 1 alert you gave feedback on)"),
])  # fmt: skip
def test_precision_text(hot, not_hot, text):
    assert alerts.Precision(hot, not_hot).text() == text


# --- URL preferences -------------------------------------------------------------------------


def test_prefs_round_trip_through_the_url():
    p = prefs.BoardPrefs("sup-ana", ("Team Blue", "Team Green"), ("billing",), True, 0, True)
    params = prefs.to_params(p)
    assert params == {"sup": "sup-ana", "team": ["Team Blue", "Team Green"], "queue": ["billing"],
                      "tv": "1", "budget": "0", "sound": "1"}  # fmt: skip
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert prefs.from_params(as_lists) == p
    assert prefs.to_params(prefs.BoardPrefs()) == {}


def test_prefs_ignore_what_they_cannot_read():
    p = prefs.from_params({"budget": ["-1"], "tv": ["maybe"], "team": ["", "A", "A"],
                           "sup": ["x" * 500]})  # fmt: skip
    assert p.budget is None and not p.tv and p.teams == ("A",)
    assert len(p.supervisor) == prefs.MAX_SUPERVISOR_LEN


# --- reads on a real store -------------------------------------------------------------------


def test_reads_bound_by_window_and_by_live_calls(engine_store):
    store = engine_store  # SQLite and PostgreSQL
    calls = {
        "l1": live("l1", "hot", 0.9, team="Team Blue", queued_at=NOW - 320, wait_s=20),
        "q1": CallRow("q1", "queued", "tech", "c", NOW, queued_at=NOW - 40),
        "e1": CallRow("e1", "ended", "billing", "c", NOW, team="Team Green", queued_at=NOW - 900,
                      started_at=NOW - 880, wait_s=20, ended_at=NOW - 60, disposition="resolved"),
        "e-old": CallRow("e-old", "ended", "billing", "c", NOW, queued_at=NOW - 9 * HOUR,
                         started_at=NOW - 9 * HOUR, ended_at=NOW - 8 * HOUR),
        "e2": CallRow("e2", "ended", "billing", "c", NOW, queued_at=NOW - 9 * HOUR,
                      started_at=NOW - 9 * HOUR, ended_at=NOW - 8 * HOUR, disposition="resolved"),
        "l2": live("l2", "hot", 0.8),
    }  # fmt: skip
    # the scorer's alerts, stamped with event time: l1 and e1 before their feedback; l2's after
    # it by the wall clock (a time-compressed run's events run ahead of it); e2 never
    hot = [AlertRow("l1", 3, NOW - 60, 0.9, ("r",)), AlertRow("e1", 4, NOW - 300, 0.8, ("r",)),
           AlertRow("l2", 5, NOW + 5_400, 0.8, ("r",))]  # fmt: skip
    acts = [
        ActionRow("a1", "l1", "acknowledge", "sup-ana", NOW - 30),
        ActionRow("a2", "e1", "barge_in", "sup-lee", NOW - 100),  # ended call: no claim
        ActionRow("a3", "e1", "whisper", "sup-lee", NOW - 200, text="hi"),
        ActionRow("a4", "l1", "whisper", "sup-ana", NOW - 2 * HOUR, text="old"),
        ActionRow("f1", "l1", "feedback", "sup-ana", NOW - 10, label="hot"),
        ActionRow("f2", "e1", "feedback", "sup-ana", NOW - 10, label="not_hot"),
        ActionRow("f3", "e1", "feedback", "sup-ana", NOW - 9, label="hot"),
        ActionRow("f4", "e1", "feedback", "sup-ana", NOW - 8, utterance_seq=3, sentiment=0.2),
        ActionRow("f5", "e1", "feedback", "sup-lee", NOW - 7, label="not_hot"),
        ActionRow("f6", "e2", "feedback", "sup-lee", NOW - 5, label="hot"),  # a call that never alerted
        ActionRow("f7", "l2", "feedback", "sup-ana", NOW - 4, label="not_hot"),
    ]
    store.apply(StoreBatch(calls=calls, actions=acts, alerts=hot))

    assert sorted(c.call_id for c in reads.queue_calls(store, NOW - HOUR)) == ["e1", "l1", "l2", "q1"]
    assert sorted(reads.intervened_calls(store, NOW - HOUR)) == [
        ("e1", "Team Green", "billing")]  # fmt: skip
    assert [a.action_id for a in reads.live_claims(store)] == ["a1"]
    # alerts judged: each supervisor's latest verdict on a call that alerted (found by a review:
    # every click counted, a second click on e1 and marks on calls no alert was about)
    assert reads.feedback_precision(store, "sup-ana") == alerts.Precision(2, 1)
    assert reads.feedback_precision(store, "sup-lee") == alerts.Precision(0, 1)
    assert reads.feedback_precision(store, "nobody").text() == "no feedback yet"
    # the model page's count: every supervisor, only since the period's start
    assert sorted(reads.feedback_counts(store, since=NOW - 9.5)) == [
        ("sup-ana", "hot", 1), ("sup-ana", "not_hot", 1), ("sup-lee", "not_hot", 1)]  # fmt: skip
    # agreement with how the call ended: only feedback on ended calls, hot only on escalated ones
    # calls alerted or not, each supervisor's latest verdict (sup-ana's on e1 is hot: it disagrees)
    assert sorted(reads.feedback_outcomes(store)) == [("sup-ana", 1, 0), ("sup-lee", 2, 1)]


def test_playbook_cues_come_from_lapses_and_situations_most_urgent_first_in_the_centers_wording(store):
    order = list(DETECTORS)
    situation = next(k for k in order if k in SITUATIONS)
    lapses = [k for k in order if k not in SITUATIONS]
    keys = [situation, lapses[0], lapses[1]]
    assert order.index(keys[0]) < order.index(keys[1])  # the more urgent one first
    store.apply(StoreBatch(practices=[
        PracticeRow("c1", keys[1], "lapse", 4, NOW),
        PracticeRow("c1", keys[0], "situation", 9, NOW),
        PracticeRow("c1", "empathy", "good", 5, NOW),  # a good practice is not a cue
        PracticeRow("c2", keys[2], "lapse", 2, NOW),
    ]))  # fmt: skip
    cues = reads.playbook_cues(store, "c1")
    book = Playbook.default()
    assert cues == [book.cue(keys[0]), book.cue(keys[1])]  # the detectors' priority, not seen order
    assert all(c.reason != c.key for c in cues)  # worded, not raw keys
    html = widgets.cue_html(cues[0])
    assert safe.md(cues[0].reason) in html and safe.md(cues[0].whisper or "") in html
    store.apply(StoreBatch(commitments=[CommitmentRow("c1", 7, NOW, NOW + HOUR, "call you back",
                                                      "k1")]))  # fmt: skip
    assert [c.text for c in store.commitments("c1")] == ["call you back"]


# --- actions: every one passes the scorer's parser -------------------------------------------


@pytest.mark.parametrize("build", [
    lambda c: actions.whisper(c, "Slow down", "sup-ana"),
    lambda c: actions.barge_in(c, "sup-ana"),
    lambda c: actions.monitor(c, "sup-ana"),
    lambda c: actions.acknowledge(c, "sup-ana"),
    lambda c: actions.feedback(c, "sup-ana", "hot"),
    lambda c: actions.feedback(c, "sup-ana", "not_hot"),
    lambda c: actions.correct_sentiment(c, "sup-ana", 4, -0.35),
])  # fmt: skip
def test_every_action_passes_the_contract(build):
    call = live("c9", "hot", 0.9)
    action = build(call)
    parsed = parse_action(encode(action_to_dict(action)))
    assert parsed == action and parsed.supervisor_id == "sup-ana" and parsed.call_id == "c9"


def test_feedback_on_an_ended_call_is_allowed_but_not_acknowledge():
    ended = live("c9", status="ended")
    assert actions.feedback(ended, "sup", "not_hot").label == "not_hot"
    with pytest.raises(actions.ActionError, match="not live"):
        actions.acknowledge(ended, "sup")
    with pytest.raises(actions.ActionError, match="sentiment"):
        actions.correct_sentiment(live("c9"), "sup", 4, 1.5)  # outside [-1, 1]
    with pytest.raises(actions.ActionError, match="consent"):
        actions.correct_sentiment(live("c9", consent=False), "sup", 4, 0.5)
    with pytest.raises(actions.ActionError, match="hot or not_hot"):
        actions.feedback(live("c9"), "sup", "lukewarm")
    with pytest.raises(actions.ActionError, match="supervisor_id"):
        actions.build("monitor", live("c9"), "  ")


def test_the_timeline_marks_every_kind_of_action():
    start = NOW - 300
    turns = [TurnRow("x", 3, start + 40, "customer", "this is bad", 0, 1, -0.6, 0.5)]
    acts = [
        ActionRow("1", "x", "acknowledge", "sup-ana", start + 50),
        ActionRow("2", "x", "monitor", "sup-ana", start + 60),
        ActionRow("3", "x", "feedback", "sup-ana", start + 70, label="not_hot"),
        ActionRow("4", "x", "feedback", "sup-ana", start + 80, utterance_seq=3, sentiment=-0.9),
        ActionRow("5", "x", "whisper", "sup-ana", start + 90, text="Slow down"),
    ]
    fig = charts.call_timeline(turns, [], acts, start=start, now=NOW)
    traces = {t.name: t for t in fig.data}
    assert len(traces["acknowledged"].x) == 1 and len(traces["monitor"].x) == 1
    assert list(traces["feedback"].hovertext) == ["sup-ana: marked not hot",
                                                  "sup-ana: turn 3: sentiment −0.90"]  # fmt: skip
    assert "Slow down" in traces["whisper"].hovertext[0]
    rows = views.action_rows(acts, start)
    assert [r["detail"] for r in rows][2:4] == ["marked not hot", "turn 3: sentiment −0.90"]


def test_beep_is_a_short_playable_wav():
    with wave.open(io.BytesIO(sound.beep_wav())) as w:
        seconds = w.getnframes() / w.getframerate()
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
    assert 0.1 < seconds < 1.0


def test_an_ended_calls_banner_stops_its_clocks_at_the_end():
    ended = live("e", "hot", 0.8, status="ended", started_at=NOW - 600, hot_since=NOW - 400,
                 ended_at=NOW - 300)  # fmt: skip
    html_now, html_later = widgets.banner_html(ended, NOW), widgets.banner_html(ended, NOW + 3600)
    assert html_now == html_later  # nothing counts on after the end
    assert "was hot 01:40" in html_now and "05:00" in html_now and "ch-pill-hot" not in html_now
    live_hot = live("h", "hot", 0.8, hot_since=NOW - 100)
    banner = widgets.banner_html(live_hot, NOW)
    assert "hot 01:40" in banner and "was hot" not in banner


def test_im_on_it_says_why_it_cannot_be_pressed():
    assert "supervisor id" in widgets.ack_help("", mine=False)
    assert widgets.ack_help("sup-ana", mine=True).startswith("You are on this call")
    assert widgets.ack_help("sup-ana", mine=False).startswith("Acknowledge")


def test_a_transferred_call_counts_for_the_queue_it_waited_in_and_was_answered_from(engine_store):
    """Answered in tech within 5 s, then passed to retention: tech's service level has it,
    retention's does not (its wait was never measured there)."""
    store = engine_store  # SQLite and PostgreSQL
    store.apply(StoreBatch(calls={
        "x1": CallRow("x1", "ended", "retention", "c", NOW, queued_at=NOW - 905, started_at=NOW - 900,
                      wait_s=5, ended_at=NOW - 60, disposition="escalated", transfers=1,
                      first_queue="tech"),
        "x2": CallRow("x2", "live", "retention", "c", NOW, queued_at=NOW - 400, started_at=NOW - 300,
                      wait_s=100, first_queue="retention"),
        # stored before first_queue was kept: read by its queue
        "old": CallRow("old", "ended", "billing", "c", NOW, queued_at=NOW - 500, started_at=NOW - 490,
                       wait_s=10, ended_at=NOW - 100),
    }))  # fmt: skip
    by_id = {c.call_id: c.queue for c in reads.queue_calls(store, NOW - HOUR)}
    assert by_id == {"x1": "tech", "x2": "retention", "old": "billing"}
    rows = {r.queue: r for r in queues.queue_figures(reads.queue_calls(store, NOW - HOUR), NOW, HOUR, 20)}
    assert (rows["tech"].answered, rows["tech"].service_level) == (1, 1.0)
    assert (rows["retention"].answered, rows["retention"].service_level) == (1, 0.0)


def test_a_call_a_transfer_left_without_an_agent_waits_in_its_new_queue_on_the_board(engine_store):
    """Found by a first-run review: a hot tile read "(no agent yet) ... retention" while the queue
    table had retention waiting 0 and the header did not count it waiting (status 'live')."""
    from streaming.scoring import Scorer
    from tests.factories import CallScript

    store = engine_store  # SQLite and PostgreSQL: the read has a correlated subquery

    script = CallScript("moved-1", queue="billing").say("customer", "I want to cancel this now.")
    script.add("transfer", dt=5.0, to_queue="retention")
    scorer, batch = Scorer(), StoreBatch()
    for e in script.events:
        scorer.apply(e, batch)
    scorer.flush(batch)
    store.apply(batch)
    moved = script.events[-1].ts.timestamp()
    now = moved + 40
    rows = {r.queue: r for r in queues.queue_figures(reads.queue_calls(store, now - HOUR), now, HOUR, 20)}
    assert (rows["retention"].waiting, rows["retention"].longest_wait_s) == (1, pytest.approx(40))
    assert (rows["billing"].waiting, rows["billing"].answered) == (0, 1)  # answered from billing
    header = views.header_figures(store.live_calls(), queues.total(list(rows.values())), now)
    assert (header.live, header.waiting, header.longest_wait_s) == (1, 1, pytest.approx(40))

    # an agent in retention takes it: nobody waits any more
    taken = StoreBatch()
    script.add("transfer", dt=10.0, to_queue="retention", to_agent_id="a9")
    scorer.apply(script.events[-1], taken)
    scorer.flush(taken)
    store.apply(taken)
    rows = {r.queue: r for r in queues.queue_figures(reads.queue_calls(store, now - HOUR), now, HOUR, 20)}
    assert sum(r.waiting for r in rows.values()) == 0
