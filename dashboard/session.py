"""What a supervisor's browser session remembers, and sending an action from a button.

The supervisor id lives in the URL (``?sup=...``) and in ``st.session_state``
under ``supervisor`` (not a widget key, so it survives moving between pages);
each page's text input starts from it. The wallboard's filters are kept in the
session too (``board-prefs``) so the call page's "Back" link returns to them.
An action's outcome is left in ``st.session_state["flash"]`` for the page to show:
an error when nobody got it (try again), a warning when it reached some but not all
of where it goes (do not send it again) or when the broker did not answer (it may still
arrive: find out before sending it again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import streamlit as st

from dashboard import actions, data, prefs
from streaming.errors import BrokerError, StoreError
from streaming.events import SupervisorAction
from streaming.store import CallRow

log = logging.getLogger(__name__)

SUPERVISOR = "supervisor"
BOARD_PREFS = "board-prefs"
FLASH = "flash"
LAST_SENT = "last-sent"  # (what the last action sent said, when), to send a double click once
DOUBLE_CLICK_S = 3.0
SUPERVISOR_INPUTS = ("supervisor_id", "wb-sup")  # the call page's and the wallboard's inputs


def url_params() -> dict[str, list[str]]:
    """The page's query parameters, every value as a list."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def supervisor() -> str:
    """Who is looking: as typed on this page, else the session's id, else the URL's ``sup``.

    The inputs come first: a button callback runs before the page, so the session's
    copy may not have the id typed just before the click yet.
    """
    for key in SUPERVISOR_INPUTS:
        typed = prefs.clean_supervisor(str(st.session_state.get(key) or ""))
        if typed:
            return typed
    known = st.session_state.get(SUPERVISOR)
    if known:
        return str(known)
    return prefs.from_params(url_params()).supervisor


def remember_supervisor(value: str) -> str:
    """Keep the id in the session and the URL; returns it cleaned."""
    cleaned = prefs.clean_supervisor(value)
    st.session_state[SUPERVISOR] = cleaned
    if cleaned and st.query_params.get("sup") != cleaned:
        st.query_params["sup"] = cleaned
    elif not cleaned and "sup" in st.query_params:
        del st.query_params["sup"]
    return cleaned


def board_prefs() -> prefs.BoardPrefs:
    """The wallboard view this session last had (for links back to it)."""
    kept = st.session_state.get(BOARD_PREFS)
    if isinstance(kept, prefs.BoardPrefs):
        return kept
    return prefs.BoardPrefs(supervisor=supervisor())


Builder = Callable[[CallRow, str], SupervisorAction]


def send(call_id: str, build: Builder, done: str) -> None:
    """Build, publish and record an action on ``call_id``; leave the outcome to show.

    Meant as a button callback: it runs before the page, so the new action shows
    in this very run. ``done`` is the success message.
    """
    who = supervisor()
    if not who:
        st.session_state[FLASH] = ("error", "Not sent: type your supervisor id first.")
        return
    store, settings = data.get_store(), data.get_settings()
    call = store.get_call(call_id)
    if call is None:
        st.session_state[FLASH] = ("error", f"Call {call_id} is no longer in the store.")
        return
    try:
        action = build(call, who)
        producer = data.get_producer()
    except actions.ActionError as exc:
        st.session_state[FLASH] = ("error", f"Not sent: {exc}.")
        return
    except BrokerError as exc:
        st.session_state[FLASH] = ("error", f"Not sent: {exc}. Try again once the broker is back.")
        return
    said = _what_it_says(action)
    last = st.session_state.get(LAST_SENT)
    if last is not None and last[0] == said and time.monotonic() - last[1] < DOUBLE_CLICK_S:
        # a double click, or a click the page took twice while it was busy: one judgement,
        # learned once (two "not hot" examples would weigh one supervisor's view twice)
        st.session_state[FLASH] = ("warning", "Already sent a moment ago: not sent again.")
        log.info("%s clicked %s on call %s again within %.0f s: not sent again", who, action.action,
                 call_id, DOUBLE_CLICK_S)  # fmt: skip
        return
    try:
        actions.publish(store, producer, settings, action)
    except actions.PartlySent as exc:
        st.session_state[LAST_SENT] = (said, time.monotonic())
        data.drop_producer(producer)
        data.refresh()
        st.session_state[FLASH] = ("warning", f"{done} But {exc}. Do not send it again.")
        log.warning("%s sent %s %s on call %s, but %s", who, action.action, action.action_id, call_id, exc)
    except actions.Unanswered as exc:
        data.drop_producer(producer)  # its close gives the send in flight 5 s more to land
        where = ("the agent may still get it" if action.action == "whisper" else
                 "it may still arrive, and then shows under this call's actions")  # fmt: skip
        st.session_state[FLASH] = ("warning", f"Not confirmed: {exc}; {where}. Find out before "
                                              "sending it again.")  # fmt: skip
        log.warning("%s's %s %s on call %s not confirmed: %s", who, action.action, action.action_id,
                    call_id, exc)  # fmt: skip
    except BrokerError as exc:
        data.drop_producer(producer)  # it may fail every send from now on: the next try makes a new one
        st.session_state[FLASH] = ("error", f"Not sent, nobody got it: {exc}. Try again.")
        log.warning("%s's %s on call %s not sent: %s", who, action.action, call_id, exc)
    except StoreError as exc:  # the broker took it: the scorer stores it from there
        st.session_state[LAST_SENT] = (said, time.monotonic())
        st.session_state[FLASH] = ("warning", f"{done} But the wallboard's store did not take it ({exc}): it "
                                              f"shows once the scorer has stored it. Do not send it again.")
        log.warning("%s sent %s %s on call %s; the store did not take it: %s", who, action.action,
                    action.action_id, call_id, exc)  # fmt: skip
    else:
        st.session_state[LAST_SENT] = (said, time.monotonic())
        data.refresh()
        st.session_state[FLASH] = ("success", done)
        log.info("%s sent %s %s on call %s", who, action.action, action.action_id, call_id)


def _what_it_says(action: SupervisorAction) -> tuple[object, ...]:
    """An action less its id and time: the same twice is the same click twice."""
    return (action.call_id, action.action, action.label, action.text, action.utterance_seq,
            action.sentiment, action.supervisor_id)  # fmt: skip


def show_flash() -> None:
    """Show (once) what the last action did."""
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, message = flash
        {"success": st.success, "warning": st.warning}.get(kind, st.error)(message)
