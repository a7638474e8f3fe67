"""The call page run headless with AppTest: playbook cues, summary, callbacks, every action.

The store is filled by the real scorer; practices, summaries and commitments are
added as the scorer stores them (rows in the real SQLite store).
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import nav, safe
from streaming.broker import create_callheat_topics
from streaming.events import parse_action
from streaming.scoring import Scorer
from streaming.scoring.playbook import Playbook
from streaming.scoring.practices import format_due
from streaming.scoring.state import KEEP_TURNS
from streaming.settings import Settings
from streaming.store import ActionRow, CallRow, CommitmentRow, PracticeRow, StoreBatch, open_store
from tests.dashboard.conftest import APP, clear_streamlit_caches, use_broker
from tests.dashboard.test_actions import read_all
from tests.factories import CallScript

TIMEOUT = 30
LAPSES = ("no_empathy", "interrupting")


@pytest.fixture
def store(app_env):
    s = open_store(app_env)
    yield s
    s.close()


def open_call(call_id: str, sup: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["call_id"] = call_id
    if sup:
        at.query_params["sup"] = sup
    at.switch_page(nav.CALL_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def hottest(store) -> CallRow:
    return max((c for c in store.live_calls() if c.consent), key=lambda c: c.risk)


def add_lapses(store, call: CallRow) -> None:
    store.apply(StoreBatch(practices=[
        PracticeRow(call.call_id, key, "lapse", i + 3, time.time()) for i, key in enumerate(LAPSES)
    ]))  # fmt: skip


def test_the_playbook_cues_show_with_their_whispers_and_fill_the_whisper_box(store):
    call = hottest(store)
    add_lapses(store, call)
    at = open_call(call.call_id)
    book = Playbook.default()
    shown = text_of(at)
    lapses = {p.practice for p in store.practices(call.call_id) if p.kind == "lapse"}
    assert "Playbook cues" in shown and set(LAPSES) <= lapses
    for key in lapses:
        cue = book.cue(key)
        assert safe.md(cue.reason) in shown and safe.md(cue.whisper or "") in shown
    use = [b for b in at.button if b.label.startswith("Use: ")]
    assert use[0].label == f"Use: {call.whisper}"  # the scorer's top suggestion first
    other = use[-1].label.removeprefix("Use: ")
    cued = {p.practice for p in store.practices(call.call_id) if p.kind in ("lapse", "situation")}
    assert other != call.whisper and other in {book.cue(k).whisper for k in cued}
    use[-1].click().run()
    assert at.text_area(key=f"whisper-{call.call_id}").value == other


def test_an_ended_call_shows_its_summary_and_the_callbacks_promised(store):
    ended = store.get_call("ended-gus")
    assert ended is not None and ended.status == "ended"
    store.apply(StoreBatch(
        calls={ended.call_id: replace(ended, summary="Address change; customer happy.")},
        commitments=[CommitmentRow(ended.call_id, 9, time.time(), time.time() + 86400,
                                   "I'll call you back tomorrow", ended.customer_id)],
    ))  # fmt: skip
    at = open_call(ended.call_id)
    shown = text_of(at)
    assert "Post-call summary" in shown and safe.md("Address change; customer happy.") in shown
    assert "Callbacks promised" in shown and safe.md("I'll call you back tomorrow") in shown
    assert at.button(key="send-whisper").disabled and at.button(key="acknowledge").disabled
    assert not at.button(key="mark-not-hot").disabled  # feedback is for any call


@pytest.fixture
def server_in_tokyo(monkeypatch):
    """The server's local zone, which a page must never show times in (the viewer's is theirs)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(params=["UTC", "America/New_York"])
def center_zone(request, monkeypatch, server_in_tokyo):
    """The center's zone (AppTest has no browser zone, so the page falls back to it), on a server
    in another zone: the page fell back to the server's zone until 2026-11-24."""
    monkeypatch.setenv("CALLHEAT_CENTER_TIMEZONE", request.param)
    clear_streamlit_caches()
    return ZoneInfo(request.param)


def test_callback_due_times_show_date_time_and_zone_as_the_summary_does(store, center_zone):
    """The scorer writes a summary's times in UTC; the page shows them, and the callbacks' due
    times, in one zone (the viewer's; the center's in AppTest), with the date and the zone."""
    ended = store.get_call("ended-gus")
    assert ended is not None
    promised, due = time.time(), time.time() + 48 * 3600
    summary = f"Issue: my bill. Promised: callback by {format_due(due)}. Outcome: resolved."
    store.apply(StoreBatch(
        calls={ended.call_id: replace(ended, summary=summary)},
        commitments=[CommitmentRow(ended.call_id, 9, promised, due, "I'll call you back within 48 hours",
                                   ended.customer_id)],
    ))  # fmt: skip
    shown = text_of(open_call(ended.call_id))
    local = datetime.fromtimestamp(due, center_zone).strftime("%Y-%m-%d %H:%M %Z")
    assert safe.md(f"callback by {local}.") in shown  # the summary's UTC time, in the page's zone
    assert f"due by {local}" in shown
    assert local.endswith(" UTC" if str(center_zone) == "UTC" else (" EST", " EDT"))
    if str(center_zone) != "UTC":
        assert safe.md(format_due(due)) not in shown


def test_live_clock_times_are_in_the_centers_zone_and_name_it(store, center_zone):
    """Without a browser zone the call page's clock times (the picker's "since", the last update,
    the actions' times) are the center's, labelled with its zone; they were the server's, unlabelled."""
    call = hottest(store)
    store.apply(StoreBatch(actions=[ActionRow("act-1", call.call_id, "monitor", "sup-ana", time.time())]))
    at = open_call(call.call_id)
    start = call.started_at
    assert start is not None
    since = datetime.fromtimestamp(start, center_zone).strftime("since %H:%M:%S %Z")
    picker = next(s for s in at.selectbox if s.label == "Call")
    assert picker.options[[c.call_id for c in store.live_calls()].index(call.call_id)].endswith(since)
    zone = datetime.fromtimestamp(start, center_zone).strftime("%Z")
    assert re.search(rf"last update \d\d&#58;\d\d&#58;\d\d {zone}<", text_of(at))
    [acted] = at.dataframe[0].value["time"]
    assert re.fullmatch(rf"\d\d:\d\d:\d\d {zone}", acted)


def test_a_call_without_consent_shows_no_words_cues_or_suggestions(store):
    call = next(c for c in store.live_calls() if not c.consent)
    add_lapses(store, call)
    store.apply(StoreBatch(calls={call.call_id: replace(
        call, summary="secret summary", whisper="secret whisper", last_seq=call.last_seq + 1)}))  # fmt: skip
    at = open_call(call.call_id)
    shown = text_of(at)
    assert "Playbook cues" not in shown and "secret" not in shown
    assert Playbook.default().cue(LAPSES[0]).reason not in shown
    assert not [b for b in at.button if b.label.startswith("Use: ")]
    assert at.text_area(key=f"whisper-{call.call_id}").value == ""
    assert not at.get("plotly_chart") and not at.get("expander")  # no sentiment to correct
    assert any("No recording consent" in i.value for i in at.info)


def test_an_action_without_a_supervisor_id_is_refused(store):
    call = hottest(store)
    at = open_call(call.call_id)
    assert at.text_input(key="supervisor_id").value == ""
    at.button(key="mark-not-hot").click().run()
    assert any("supervisor id" in e.value for e in at.error)
    assert store.actions(call.call_id) == []


def test_feedback_with_the_broker_down_shows_an_error_and_stores_nothing(store):
    call = hottest(store)
    at = open_call(call.call_id, sup="sup-ana")
    assert at.text_input(key="supervisor_id").value == "sup-ana"  # from the link
    at.button(key="mark-not-hot").click().run()
    assert any("Not sent" in e.value for e in at.error)
    assert store.actions(call.call_id) == []


def test_each_supervisors_last_hot_mark_on_the_call_shows_under_the_buttons(store):
    """Found by a floor review: sup-ana marked a call not hot while sup-ben marked it hot,
    both were told "sent", and neither learned of the other's mark."""
    call = hottest(store)
    now = time.time()
    store.apply(StoreBatch(actions=[
        ActionRow("m1", call.call_id, "feedback", "sup-ben", now - 30, label="not_hot"),
        ActionRow("m2", call.call_id, "feedback", "sup-ben", now - 20, label="hot"),  # thought again
        ActionRow("m3", call.call_id, "feedback", "sup-<b>ana</b>", now - 10, label="not_hot"),
    ]))  # fmt: skip
    at = open_call(call.call_id, sup="sup-ben")
    shown = [html.unescape(c.value) for c in at.caption]  # as the browser shows the escaped text
    marked = next(c for c in shown if c.startswith("Marked: "))
    expected = r"Marked: not hot by sup-<b>ana</b> at \S+ \S+; hot by sup-ben at \S+ \S+"
    assert re.fullmatch(expected, marked), marked


def test_the_back_link_returns_to_the_supervisors_board(store):
    at = open_call(hottest(store).call_id, sup="sup-ana")
    back = next(p.proto for p in at.get("page_link") if p.proto.label == "Back to the wallboard")
    assert back.query_string == "sup=sup-ana"


@pytest.mark.broker
def test_a_double_click_sends_an_action_once(kafka_settings, filled_store_url, monkeypatch):
    """Seen in a browser test under load: one "Mark not hot" became two feedback actions, and
    the scorer learned one supervisor's judgement twice."""
    use_broker(kafka_settings, filled_store_url, monkeypatch)
    store = open_store(filled_store_url)
    try:
        call = hottest(store)
        at = open_call(call.call_id, sup="sup-maria")
        at.button(key="mark-not-hot").click().run()
        assert any("marked not hot" in s.value for s in at.success)
        at.button(key="mark-not-hot").click().run()
        assert any("Already sent a moment ago" in w.value for w in at.warning)
        at.button(key="mark-hot").click().run()  # another judgement is sent
        assert any("marked hot" in s.value for s in at.success)
        assert [(a.action, a.label) for a in store.actions(call.call_id)] == [
            ("feedback", "not_hot"), ("feedback", "hot")]
    finally:
        store.close()


@pytest.mark.broker
def test_a_correction_the_model_will_not_learn_says_so_before_and_after_it_is_sent(
    kafka_settings, filled_store_url, monkeypatch
):
    """Left open by earlier sessions: correcting a turn older than the last 20, which the scorer
    no longer keeps, said "Correction sent" and taught the model nothing, silently."""
    use_broker(kafka_settings, filled_store_url, monkeypatch)
    store = open_store(filled_store_url)
    try:
        call = hottest(store)
        last = store.turns(call.call_id)[-1]
        # the call goes on for as many turns again as the scorer keeps: its first ones leave it
        store.apply(StoreBatch(turns=[replace(last, seq=last.seq + i, ts=last.ts + i)
                                      for i in range(1, KEEP_TURNS + 1)]))  # fmt: skip
        old, new = store.turns(call.call_id)[0], store.turns(call.call_id)[-1]
        at = open_call(call.call_id, sup="sup-maria")
        idle = f"older than the last {KEEP_TURNS} turns, which the scorer keeps"
        for turn, teaches in ((new, True), (old, False)):
            at.selectbox(key="fix-turn").set_value(turn.seq).run()
            said = [c.value for c in at.caption if "will not learn" in c.value]
            assert said == ([] if teaches else [f"The model will not learn from this one ({idle}); it is "
                                                "recorded."]), said  # fmt: skip
            at.slider(key=f"fix-value-{call.call_id}-{turn.seq}").set_value(-0.5).run()
            at.button(key="correct-sentiment").click().run()
            [done] = [s.value for s in at.success if "Correction sent" in s.value]
            assert (f"the model learns nothing from it: {idle}" in done) is not teaches, done
        assert [a.utterance_seq for a in store.actions(call.call_id)] == [new.seq, old.seq]  # both recorded
    finally:
        store.close()
        clear_streamlit_caches()


def test_every_action_from_the_call_page_reaches_the_scorer_topic_the_store_and_the_timeline(
    kafka_settings, filled_store_url, monkeypatch
):
    use_broker(kafka_settings, filled_store_url, monkeypatch)
    store = open_store(filled_store_url)
    try:
        call = hottest(store)
        at = open_call(call.call_id, sup="sup-maria")
        for key, said in [("acknowledge", "Acknowledged"), ("monitor", "Monitoring"),
                          ("mark-not-hot", "marked not hot")]:  # fmt: skip
            at.button(key=key).click().run()
            assert not at.error and any(said in s.value for s in at.success), key

        turn = store.turns(call.call_id)[-1]
        at.selectbox(key="fix-turn").set_value(turn.seq).run()
        at.slider(key=f"fix-value-{call.call_id}-{turn.seq}").set_value(0.5).run()
        at.button(key="correct-sentiment").click().run()
        assert not at.error and any("Correction sent" in s.value for s in at.success)

        stored = store.actions(call.call_id)
        assert [(a.action, a.label) for a in stored] == [
            ("acknowledge", None), ("monitor", None), ("feedback", "not_hot"), ("feedback", None)]
        assert {a.supervisor_id for a in stored} == {"sup-maria"}
        assert (stored[-1].utterance_seq, stored[-1].sentiment) == (turn.seq, 0.5)

        sent = read_all(kafka_settings, kafka_settings.topics.supervisor_actions, want=4)
        assert {m.key.decode() for m in sent} == {call.call_id}
        parsed = sorted((parse_action(m.value) for m in sent), key=lambda a: a.ts)
        assert [a.action_id for a in parsed] == [a.action_id for a in stored]
        assert read_all(kafka_settings, kafka_settings.topics.agent_coaching, want=1,
                        timeout_s=3) == []  # only whispers go to the agent  # fmt: skip

        shown = at.dataframe[0].value
        assert list(shown["detail"])[2:] == ["marked not hot", f"turn {turn.seq}: sentiment +0.50"]
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        names = {t.get("name") for t in spec["data"]}
        assert {"acknowledged", "monitor", "feedback"} <= names
    finally:
        store.close()
        clear_streamlit_caches()


def test_the_call_picker_names_each_live_call_without_figures_that_go_stale(store):
    """The picker is drawn once per page; the banner under it refreshes. A risk in the
    picker ("hot 87%") soon contradicted the banner ("warming 64%")."""
    call = hottest(store)
    at = open_call(call.call_id)
    picker = next(s for s in at.selectbox if s.label == "Call")
    live = store.live_calls()
    assert len(picker.options) == len(live)
    label = picker.options[[c.call_id for c in live].index(call.call_id)]
    assert label.startswith(f"{call.agent_name or call.agent_id} · {call.queue} · since ")
    assert "%" not in "".join(picker.options)
    assert picker.value == call.call_id


INJECTED = "Ana\n\n[Supervisor login expired - sign in](https://evil.example/sso)\n\n# Refund now"


def markdown_of(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]


def assert_no_markdown_from_calls(at: AppTest) -> None:
    """No link, image or heading, and no HTML block ended early, in what the page wrote."""
    for text in markdown_of(at):
        assert "](" not in text and "https://evil" not in text and "![" not in text, text
        assert not re.search(r"(?i)https?://|www\.", html.unescape(text)), text  # no bare link
        assert not any(line.lstrip().startswith("#") for line in text.splitlines()), text
        if text.startswith("<div"):
            assert "\n\n" not in text, text


def test_words_and_names_from_a_call_show_as_text_and_a_date_the_customer_said_does_not_crash(
        app_env, store):  # fmt: skip
    """The real scorer stores a call whose customer quotes an impossible time and writes markdown;
    the page shows the words as they were said, and the scorer's own promised time in its zone."""
    script = (CallScript("inject-1", agent_id="a-inj", agent_name="Ivo Petrov", customer_id="k-inj")
              .say("customer", "I was charged at 2026-13-01 99:99 UTC and again on 2026-02-30 10:00 UTC."
                   "\n\n[Supervisor login expired - sign in](https://evil.example/sso)\n\n# Refund now"
                   "\n\n![](https://evil.example/pixel)")
              .say("agent", "I'm sorry about that, I'll call you back within 24 hours.")
              .say("customer", "Fine.\n\n[click](https://evil.example/2)")
              .end("resolved", 3))  # fmt: skip
    scorer, batch = Scorer(), StoreBatch()
    for event in script.events:
        scorer.apply(event, batch)
    scorer.flush(batch)
    store.apply(batch)
    call = store.get_call("inject-1")
    assert call is not None and call.summary and "2026-13-01 99:99 UTC" in call.summary
    # the store row as a scorer would write it for an agent name with a line break in it
    store.apply(StoreBatch(calls={call.call_id: replace(call, agent_name=INJECTED, team=INJECTED,
                                                        last_seq=call.last_seq + 1)}))  # fmt: skip
    at = open_call(call.call_id)
    assert_no_markdown_from_calls(at)
    shown = html.unescape(text_of(at)).replace("\u2060", "")  # less the joiners keeping URLs unlinked
    assert "I was charged at 2026-13-01 99:99 UTC and again on 2026-02-30 10:00 UTC." in shown
    assert "Ana  [Supervisor login expired - sign in](https://evil.example/sso)  # Refund now" in shown
    local = datetime.fromtimestamp(store.commitments(call.call_id)[0].due_at, UTC)  # the center's
    assert f"Promised: callback by {local.strftime('%Y-%m-%d %H:%M %Z')}" in shown


def test_a_call_id_from_the_url_is_shown_as_text(app_env):
    at = open_call("x\n\n[Supervisor login expired](https://evil.example/sso)")
    assert at.error and "No call" in at.error[0].value
    assert_no_markdown_from_calls(at)


@pytest.mark.broker
def test_after_a_broker_restart_a_failed_whisper_says_not_sent_and_the_next_one_gets_through(
    own_broker, filled_store_url, monkeypatch, tmp_path
):
    """Found by a code review: the wallboard's cached producer was kept after a failed send.
    A broker restart leaves kafka-python's producer in a fatal state, so every whisper, barge-in
    and feedback failed until Streamlit restarted. The test's own broker is restarted for real."""
    own = Settings(bootstrap_servers=own_broker.bootstrap_servers, partitions=1, data_dir=tmp_path / "own")
    create_callheat_topics(own.bootstrap_servers, own.topics, own.partitions)
    use_broker(own, filled_store_url, monkeypatch)
    store = open_store(filled_store_url)
    try:
        call = next(c for c in store.live_calls() if c.level == "hot" and c.agent_id)
        at = open_call(call.call_id, sup="sup-maria")
        box = f"whisper-{call.call_id}"
        at.text_area(key=box).set_value("Offer the refund now.")
        at.button(key="send-whisper").click().run()
        assert not at.error and any("Whisper sent" in s.value for s in at.success)

        own_broker.stop()
        own_broker.start()  # in memory: it starts empty, and refuses the old producer's id
        create_callheat_topics(own.bootstrap_servers, own.topics, own.partitions)
        at.text_area(key=box).set_value("Let them finish.")
        at.button(key="send-whisper").click().run()
        [error] = at.error
        assert error.value.startswith("Not sent"), error.value
        at.button(key="send-whisper").click().run()  # the supervisor tries again, as told
        assert not at.error, [e.value for e in at.error]
        assert any("Whisper sent" in s.value for s in at.success)
        assert "nobody got it" in error.value and error.value.endswith("Try again."), error.value
        at.button(key="barge-in").click().run()
        assert not at.error and any("Barge-in sent" in s.value for s in at.success)

        # the agent got the second whisper once: the failed try reached nobody
        got = read_all(own, own.topics.agent_coaching, want=2, timeout_s=5)
        assert [json.loads(m.value)["text"] for m in got] == ["Let them finish."]
        assert [(a.action, a.text) for a in store.actions(call.call_id)] == [
            ("whisper", "Offer the refund now."), ("whisper", "Let them finish."), ("barge_in", None)]
    finally:
        store.close()
        clear_streamlit_caches()


@pytest.mark.broker
def test_a_whisper_the_broker_did_not_answer_says_not_confirmed_not_try_again(
    own_broker, filled_store_url, monkeypatch, tmp_path
):
    """A broker that stalls past the send's 10 s (a real Tansu, stopped with SIGSTOP, then
    continued) writes the whisper once it goes on: the page said "Not sent, nobody got it. Try
    again", and trying again whispered twice."""
    own = Settings(bootstrap_servers=own_broker.bootstrap_servers, partitions=1, data_dir=tmp_path / "own")
    create_callheat_topics(own.bootstrap_servers, own.topics, own.partitions)
    use_broker(own, filled_store_url, monkeypatch)
    store = open_store(filled_store_url)
    assert own_broker.process is not None
    try:
        call = next(c for c in store.live_calls() if c.level == "hot" and c.agent_id)
        at = open_call(call.call_id, sup="sup-maria")
        box = f"whisper-{call.call_id}"
        at.text_area(key=box).set_value("Offer the refund now.")
        at.button(key="send-whisper").click().run()  # a producer connected, the topics known
        assert not at.error and any("Whisper sent" in s.value for s in at.success)

        os.kill(own_broker.process.pid, signal.SIGSTOP)
        try:
            at.text_area(key=box).set_value("Let them finish.")
            at.button(key="send-whisper").click().run(timeout=60)
        finally:
            os.kill(own_broker.process.pid, signal.SIGCONT)
        assert not at.error, [e.value for e in at.error]
        [warning] = at.warning
        assert warning.value.startswith("Not confirmed: no answer from the broker within 10 s"), warning.value
        assert "the agent may still get it" in warning.value and "Try again" not in warning.value

        got = read_all(own, own.topics.agent_coaching, want=2, timeout_s=30)  # and it does
        assert [json.loads(m.value)["text"] for m in got] == ["Offer the refund now.", "Let them finish."]
        assert [a.text for a in store.actions(call.call_id)] == ["Offer the refund now."]  # not confirmed
    finally:
        store.close()
        clear_streamlit_caches()
