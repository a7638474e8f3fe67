"""One call: header, reasons, playbook cues, timeline, transcript so far, and the actions.

Which call comes from ``?call_id=...`` (so a call can be linked), else from a
picker of the live calls; who is acting from ``?sup=...`` or the session. The
live parts refresh in fragments; the action panel sits outside them so typing a
whisper is never interrupted by a refresh. When what the panel can do changes (an
agent picks up a call that waited in a queue, the call ends), the refreshing banner
reruns the whole page, so the buttons follow the call as the banner does.
"""

from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from dashboard import actions, charts, data, formats, nav, prefs, safe, session, views, widgets
from streaming.scoring.playbook import Cue
from streaming.store import CallRow, CommitmentRow, TurnRow


def _choose_call() -> str | None:
    """The call id from the URL, else the last one opened, else the picker."""
    wanted = st.query_params.get("call_id") or st.session_state.get("call_id")
    live = data.live_calls()
    ids = [c.call_id for c in live]
    tz = data.browser_tz()
    labels = {c.call_id: views.call_choice_label(c, tz) for c in live}
    if wanted and wanted not in labels:
        ids.insert(0, wanted)
        labels[wanted] = f"{wanted} (not live)"
    if not ids:
        st.info("No live calls right now.")
        return None
    picked = st.selectbox(
        "Call", ids, index=ids.index(wanted) if wanted else None, format_func=labels.__getitem__,
        placeholder="Choose a live call", label_visibility="collapsed",
    )  # fmt: skip
    if picked is not None and picked != st.query_params.get("call_id"):
        st.query_params["call_id"] = picked
    if picked is not None:
        st.session_state["call_id"] = picked
    return picked


# --- button callbacks (they run before the page, so the result shows in the same run) -------


def _whisper(call_id: str, text_key: str) -> None:
    text = str(st.session_state.get(text_key, ""))
    session.send(call_id, lambda call, sup: actions.whisper(call, text, sup),
                 "Whisper sent to the agent.")  # fmt: skip


DONE = {
    "barge_in": "Barge-in sent: you join the call.",
    "monitor": "Monitoring: the board shows you are listening in.",
    "acknowledge": "Acknowledged: the board shows you are on it.",
    "hot": "Feedback sent: marked hot.",
    "not_hot": "Feedback sent: marked not hot.",
}

MAX_SUGGESTIONS = 4
PANEL_DRAWN = "call-actions-drawn"  # (call id, views.CallActions) the action panel was drawn for
BUTTON_KEYS = {"barge_in": "barge-in", "monitor": "monitor", "acknowledge": "acknowledge",
               "hot": "mark-hot", "not_hot": "mark-not-hot"}  # fmt: skip


def _one_click(call_id: str, kind: str) -> None:
    session.send(call_id, lambda call, sup: actions.build(kind, call, sup), DONE[kind])


def _correct(call_id: str) -> None:
    seq = st.session_state.get("fix-turn")
    if seq is None:
        st.session_state[session.FLASH] = ("error", "Not sent: choose the turn to correct.")
        return
    value = float(st.session_state.get(f"fix-value-{call_id}-{seq}", 0.0))
    detail = data.call_detail(call_id)
    idle = views.why_not_learned(detail.call, detail.turns, int(seq), time.time()) if detail.call else None
    done = f"Correction sent: turn {seq} is {views.fmt_sentiment(value)}."
    if idle:  # recorded for review; the model does not learn it (the scorer no longer has the turn)
        done += f" It is recorded, but the model learns nothing from it: {idle}."
    session.send(call_id, lambda call, sup: actions.correct_sentiment(call, sup, int(seq), value), done)


def _use(text_key: str, text: str) -> None:
    st.session_state[text_key] = text


# --- the panels --------------------------------------------------------------------------


def _supervisor_input() -> str:
    if "supervisor_id" not in st.session_state:
        st.session_state["supervisor_id"] = session.supervisor()
    value = st.text_input("Supervisor", key="supervisor_id", placeholder="your supervisor id")
    return session.remember_supervisor(value)


def _suggestions(call: CallRow, cues: list[Cue]) -> list[str]:
    """The current top suggestion, then each playbook cue's whisper, without repeats."""
    texts = [call.whisper] + [c.whisper for c in cues]
    return list(dict.fromkeys(t for t in texts if t))


def _whisper_box(call: CallRow, cues: list[Cue], live: bool) -> None:
    text_key = f"whisper-{call.call_id}"
    if text_key not in st.session_state:
        st.session_state[text_key] = (call.whisper or "") if call.consent else ""
    st.text_area("Whisper to the agent", key=text_key, height=90, max_chars=1000,
                 placeholder="What should the agent do now?")  # fmt: skip
    suggestions = _suggestions(call, cues)[:MAX_SUGGESTIONS] if call.consent else []
    if suggestions:
        with st.container(key="suggestions"):
            for i, text in enumerate(suggestions):
                st.button(f"Use: {text}", key=f"use-suggestion-{i}", on_click=_use,
                          args=(text_key, text), type="tertiary")  # fmt: skip
    st.button("Send whisper", key="send-whisper", type="primary", width="stretch",
              disabled=not live, on_click=_whisper, args=(call.call_id, text_key))  # fmt: skip


def _correction_box(call: CallRow, turns: list[TurnRow]) -> None:
    if not call.consent or not turns:
        return
    start = views.call_start(call)
    lines = {ln.seq: ln for ln in views.transcript(turns, start)}
    with st.expander("Correct one turn's sentiment"):
        seq = st.selectbox(
            "Turn", list(reversed(lines)), key="fix-turn",
            format_func=lambda s: f"{lines[s].at} {lines[s].speaker}: {lines[s].text[:60]} "
                                  f"({views.fmt_sentiment(lines[s].sentiment)})",
        )  # fmt: skip
        if seq is not None:
            st.slider("Should be", -1.0, 1.0, float(round(lines[seq].sentiment, 2)), 0.05,
                      key=f"fix-value-{call.call_id}-{seq}",
                      help="-1 very negative, 0 neutral, +1 very positive")  # fmt: skip
            idle = views.why_not_learned(call, turns, seq, time.time())
            if idle:
                st.caption(f"The model will not learn from this one ({idle}); it is recorded.")  # our words
        st.button("Send correction", key="correct-sentiment", width="stretch",
                  on_click=_correct, args=(call.call_id,))  # fmt: skip


def _action_panel(call_id: str) -> None:
    detail = data.call_detail(call_id)
    call = detail.call
    if call is None:
        return
    st.subheader("Act on this call")
    _supervisor_input()
    can = views.call_actions(call)
    st.session_state[PANEL_DRAWN] = (call_id, can)
    live = can.live
    _whisper_box(call, detail.cues, live)
    rows = [[("acknowledge", "Acknowledge"), ("monitor", "Monitor"), ("barge_in", "Barge in")],
            [("hot", "Mark hot"), ("not_hot", "Mark not hot")]]  # fmt: skip
    for row in rows:
        for col, (kind, label) in zip(st.columns(len(row)), row, strict=True):
            col.button(label, key=BUTTON_KEYS[kind], width="stretch",
                       disabled=not live and kind not in actions.FEEDBACK_LABELS,
                       on_click=_one_click, args=(call_id, kind))  # fmt: skip
    marked = views.hot_marks(detail.actions, data.browser_tz())
    if marked:
        st.caption(safe.md(marked))  # supervisor ids are anyone's text
    if can.note:
        st.caption(safe.md(can.note))
    _correction_box(call, detail.turns)
    session.show_flash()


def _reasons_and_cues(call: CallRow, cues: list[Cue]) -> None:
    why, cues_col = st.columns(2)
    with why:
        st.markdown("**Why**")
        st.markdown("\n".join(f"- {safe.md(r)}" for r in call.reasons) or "_nothing stands out_")
    with cues_col:
        st.markdown("**Playbook cues**" if cues else "**Suggested whisper**")
        if cues:
            st.markdown("".join(widgets.cue_html(c) for c in cues), unsafe_allow_html=True)
        else:
            st.markdown(safe.md(call.whisper) if call.whisper else "_none right now_")


def _summary_and_commitments(call: CallRow, promised: list[CommitmentRow]) -> None:
    """The post-call summary and the callbacks promised, their times in the viewer's zone, named
    (the scorer writes a summary's times in UTC)."""
    tz = data.browser_tz()
    if call.summary:
        st.markdown("**Post-call summary**")
        summary = formats.local_stamps(call.summary, tz)
        st.markdown(f'<div class="ch-summary">{safe.md(summary)}</div>', unsafe_allow_html=True)
    if promised:
        st.markdown("**Callbacks promised**")
        st.markdown("\n".join(
            f"- “{safe.md(c.text)}”, due by {formats.stamp(c.due_at, tz)}" for c in promised))  # fmt: skip


def main() -> None:
    settings = data.get_settings()
    widgets.inject_css()
    top, picker = st.columns([1, 3], vertical_alignment="center")
    trends_view = prefs.trends_view(session.url_params())  # opened from the Trends page's review list
    if trends_view is not None:
        top.page_link(nav.TRENDS_PAGE, label="Back to Trends", icon=":material/arrow_back:",
                      query_params=trends_view)  # fmt: skip
    else:
        board_view = replace(session.board_prefs(), supervisor=session.supervisor())
        top.page_link(nav.WALLBOARD_PAGE, label="Back to the wallboard", icon=":material/arrow_back:",
                      query_params=prefs.to_params(board_view))  # fmt: skip
    with picker:
        call_id = _choose_call()
    if call_id is None:
        return
    if data.call_detail(call_id).call is None:
        st.error(f"No call {safe.md(repr(call_id))} in the store.")
        return

    @st.fragment(run_every=settings.refresh_s)
    def live_detail() -> None:
        detail = data.call_detail(call_id)
        call = detail.call
        if call is None:
            return
        if st.session_state.get(PANEL_DRAWN) != (call_id, views.call_actions(call)):
            st.rerun(scope="app")  # the action panel, outside this fragment, was drawn for another state
        # stale by wall time, as on the wallboard: the scorer's writes are stamped with it
        fresh = views.freshness(detail.last_update, time.time(), settings.stale_after_s, data.browser_tz())
        now = views.board_clock(detail.read_at, detail.data_time, fresh.stale)
        if fresh.stale and detail.last_update is not None:
            widgets.show_stale_call(fresh)
        else:
            widgets.show_freshness(fresh)
        # an ended call's banner is not red or amber: nothing is going on any more
        banner_key = "banner-ended" if call.ended_at is not None else f"banner-{call.level}"
        with st.container(border=True, key=banner_key):
            st.markdown(widgets.banner_html(call, now), unsafe_allow_html=True)
        if not call.consent:
            st.info(f"{views.NO_CONSENT.capitalize()}: only the call's metadata is shown; "
                    "its words are neither scored nor stored.")  # fmt: skip
            return
        _reasons_and_cues(call, detail.cues)
        _summary_and_commitments(call, detail.commitments)
        start = views.call_start(call)
        turns, acted = detail.turns, detail.actions
        if turns or acted:
            fig = charts.call_timeline(turns, detail.markers, acted, start=start, now=now,
                                       hot_threshold=settings.hot_threshold)  # fmt: skip
            st.plotly_chart(fig, key=f"timeline-{call_id}", config={"displayModeBar": False})
        st.markdown("**Transcript so far**")
        lines = views.transcript(turns, start)
        with st.container(height=420, autoscroll=True, border=True):
            if not lines:
                st.caption("No words yet.")
            for line in lines:
                st.markdown(widgets.turn_html(line), unsafe_allow_html=True)

    @st.fragment(run_every=settings.refresh_s)
    def action_list() -> None:
        detail = data.call_detail(call_id)
        start = views.call_start(detail.call) if detail.call is not None else None
        rows = views.action_rows(detail.actions, start, data.browser_tz())
        st.markdown("**Actions on this call**")
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        else:
            st.caption("No actions yet.")

    detail, side = st.columns([3, 2], gap="large")
    with side:  # drawn first: live_detail compares the call with what the panel was drawn for
        _action_panel(call_id)
        action_list()
    with detail:
        live_detail()


main()
