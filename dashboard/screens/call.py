"""One call: header, reasons, timeline, transcript so far, and the whisper / barge-in actions.

Which call comes from ``?call_id=...`` (so a call can be linked), else from a
picker of the live calls. The live parts refresh in fragments; the action panel
sits outside them so typing a whisper is never interrupted by a refresh.
"""

from __future__ import annotations

import streamlit as st

from dashboard import actions, charts, data, nav, views, widgets
from streaming.errors import BrokerError, StoreError


def _choose_call() -> str | None:
    """The call id from the URL, else the last one opened, else the picker."""
    wanted = st.query_params.get("call_id") or st.session_state.get("call_id")
    live = data.live_calls()
    ids = [c.call_id for c in live]
    labels = {c.call_id: views.call_choice_label(c) for c in live}
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


def _send(kind: str, call_id: str, text_key: str | None) -> None:
    """Button callback: runs before the page, so the new action shows in this very run."""
    supervisor = st.session_state.get("supervisor_id") or "supervisor"
    st.session_state["supervisor"] = supervisor
    store, settings = data.get_store(), data.get_settings()
    call = store.get_call(call_id)
    if call is None:
        st.session_state["flash"] = ("error", f"Call {call_id} is no longer in the store.")
        return
    who = call.agent_name or call.agent_id or "the agent"
    try:
        if kind == "whisper":
            action = actions.whisper(call, st.session_state.get(text_key or "", ""), supervisor)
            message = f"Whisper sent to {who}."
        else:
            action = actions.barge_in(call, supervisor)
            message = f"Barge-in sent: {supervisor} joins {who}'s call."
        actions.publish(store, data.get_producer(), settings, action)
    except actions.ActionError as exc:
        st.session_state["flash"] = ("error", f"Not sent: {exc}.")
    except (BrokerError, StoreError) as exc:
        st.session_state["flash"] = ("error", f"Not sent: {exc}")
    else:
        st.session_state["flash"] = ("success", message)


def _use_suggestion(call_id: str, text_key: str) -> None:
    call = data.get_call(call_id)
    if call is not None and call.whisper:
        st.session_state[text_key] = call.whisper


def _action_panel(call_id: str) -> None:
    call = data.get_call(call_id)
    if call is None:
        return
    st.subheader("Act on this call")
    if "supervisor_id" not in st.session_state:
        st.session_state["supervisor_id"] = st.session_state.get("supervisor", "supervisor")
    st.text_input("Supervisor", key="supervisor_id")
    text_key = f"whisper-{call_id}"
    if text_key not in st.session_state:
        st.session_state[text_key] = call.whisper or ""
    live = call.status == "live" and bool(call.agent_id)
    st.text_area("Whisper to the agent", key=text_key, height=90, max_chars=1000,
                 placeholder="What should the agent do now?")  # fmt: skip
    if call.whisper:
        st.button("Use the suggested whisper", key="use-suggestion", on_click=_use_suggestion,
                  args=(call_id, text_key))  # fmt: skip
    left, right = st.columns(2)
    left.button("Send whisper", key="send-whisper", type="primary", width="stretch",
                disabled=not live, on_click=_send, args=("whisper", call_id, text_key))  # fmt: skip
    right.button("Barge in", key="barge-in", width="stretch", disabled=not live,
                 on_click=_send, args=("barge_in", call_id, None))  # fmt: skip
    if not live:
        st.caption(f"The call is {call.status}: whisper and barge-in are for live calls.")
    flash = st.session_state.pop("flash", None)
    if flash is not None:
        kind, message = flash
        (st.success if kind == "success" else st.error)(message)


def main() -> None:
    settings = data.get_settings()
    widgets.inject_css()
    top, picker = st.columns([1, 3], vertical_alignment="center")
    top.page_link(nav.WALLBOARD_PAGE, label="Back to the wallboard", icon=":material/arrow_back:")
    with picker:
        call_id = _choose_call()
    if call_id is None:
        return
    if data.get_call(call_id) is None:
        st.error(f"No call {call_id!r} in the store.")
        return

    @st.fragment(run_every=settings.refresh_s)
    def live_detail() -> None:
        now = data.now()
        call = data.get_call(call_id)
        if call is None:
            return
        with st.container(border=True, key=f"banner-{call.level}"):
            st.markdown(widgets.banner_html(call, now), unsafe_allow_html=True)
        if not call.consent:
            st.info(f"{views.NO_CONSENT.capitalize()}: only the call's metadata is shown; "
                    "its words are neither scored nor stored.")  # fmt: skip
            return
        start = views.call_start(call)
        why, suggestion = st.columns(2)
        with why:
            st.markdown("**Why**")
            st.markdown("\n".join(f"- {r}" for r in call.reasons) or "_nothing stands out_")
        with suggestion:
            st.markdown("**Suggested whisper**")
            st.markdown(call.whisper or "_none right now_")
        turns = data.turns(call_id)
        if turns:
            fig = charts.call_timeline(
                turns,
                data.markers(call_id),
                data.actions(call_id),
                start=start,
                now=now,
                hot_threshold=settings.hot_threshold,
            )
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
        call = data.get_call(call_id)
        start = views.call_start(call) if call is not None else None
        rows = views.action_rows(data.actions(call_id), start, data.browser_tz())
        st.markdown("**Actions on this call**")
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        else:
            st.caption("No actions yet.")

    detail, side = st.columns([3, 2], gap="large")
    with detail:
        live_detail()
    with side:
        _action_panel(call_id)
        action_list()


main()
