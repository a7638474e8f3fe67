"""The wallboard: live calls by risk, header figures and queue figures, refreshed in place.

Who is looking, the teams and queues, TV mode, the alert budget and the sound are
kept in the URL (``?sup=sup-ana&team=Team+Blue&tv=1&budget=3``), so a screen opens
on its own view.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import actions, alerts, data, nav, prefs, queues, safe, session, sound, views, widgets
from streaming.errors import StoreError
from streaming.settings import Settings

TV_PER_ROW, TV_COMPACT_PER_ROW = 3, 4
MAX_BUDGET = 100
SOUND_HELP = ("Beeps when a call turns hot since the last refresh. Browsers may block sound "
              "until you have clicked somewhere on this page; click once after opening it.")  # fmt: skip


def _init(key: str, value: object) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _controls(settings: Settings) -> tuple[prefs.BoardPrefs, int, bool]:
    """Sidebar settings, started from the URL (or this session's last view), written back to it."""
    params = session.url_params()
    start = prefs.from_params(params)
    if not any(key in params for key in prefs.BOARD_KEYS):
        start = session.board_prefs()  # back from a call page: the view this session had
    _init("wb-sup", start.supervisor or session.supervisor())
    _init("wb-teams", list(start.teams))
    _init("wb-queues", list(start.queues))
    _init("wb-tv", start.tv)
    _init("wb-budget", min(MAX_BUDGET, settings.alert_budget if start.budget is None else start.budget))
    _init("wb-sound", start.sound)
    snapshot = data.board()
    teams = sorted({c.team for c in snapshot.live if c.team} | set(st.session_state["wb-teams"]))
    queue_names = {c.queue for c in snapshot.live} | {c.queue for c in snapshot.queue_calls}
    queue_options = sorted(queue_names | set(st.session_state["wb-queues"]))
    with st.sidebar:
        st.header("Wallboard")
        sup = st.text_input("Your supervisor id", key="wb-sup", placeholder="e.g. sup-ana",
                            help="Who is looking: used for your alert precision and your actions")
        chosen_teams = st.multiselect("Teams", teams, key="wb-teams", placeholder="All teams")
        chosen_queues = st.multiselect("Queues", queue_options, key="wb-queues",
                                       placeholder="All queues")
        tv = st.toggle("TV mode", key="wb-tv", help="Large tiles for hot and warming calls, "
                       "calm calls compact: for a screen on the wall")
        budget = st.number_input("Alert budget (0 = no cap)", min_value=0, max_value=MAX_BUDGET, step=1,
                                 key="wb-budget", help="At most this many calls shown hot at once; "
                                 "the hottest win, the others show as warming, over budget")
        beep = st.toggle("Sound on a new hot call", key="wb-sound", help=SOUND_HELP)
        live = st.toggle("Live refresh", value=True, key="wb-live")
        per_row = st.slider("Tiles per row", 2, 6, 4, key="wb-per-row")
    chosen = prefs.BoardPrefs(
        supervisor=session.remember_supervisor(sup),
        teams=tuple(chosen_teams),
        queues=tuple(chosen_queues),
        tv=tv,
        budget=None if int(budget) == settings.alert_budget else int(budget),
        sound=beep,
    )
    wanted = prefs.to_params(chosen)
    if prefs.from_params(session.url_params()) != chosen:
        st.query_params.from_dict(wanted)
    st.session_state[session.BOARD_PREFS] = chosen
    return chosen, per_row, live


def _acknowledge(call_id: str) -> None:
    session.send(call_id, actions.acknowledge, "Acknowledged: the board shows you are on it.")


def _beep_if_new(shown: frozenset[str], hot: frozenset[str], view: prefs.BoardPrefs) -> None:
    """Play the beep when a hot call ``shown`` was not among the ``hot`` calls in this view
    (over the alert budget too) at the last refresh."""
    scope = (view.teams, view.queues, view.budget)
    previous = st.session_state.get("wb-hot")
    st.session_state["wb-hot"] = (scope, hot)
    seen = previous[1] if previous is not None and previous[0] == scope else None
    if view.sound and alerts.new_hot(seen, shown):
        with st.container(key=f"beep-{len(shown)}-{int(time.time())}"):
            st.audio(sound.beep_wav(), format="audio/wav", autoplay=True)


def main() -> None:
    settings = data.get_settings()
    view, per_row, live = _controls(settings)
    widgets.inject_css(tv=view.tv)
    budget = settings.alert_budget if view.budget is None else view.budget
    link_params = {"sup": view.supervisor} if view.supervisor else {}

    @st.fragment(run_every=settings.refresh_s if live else None)
    def board() -> None:
        try:
            snapshot = data.board()
        except StoreError as exc:  # this fragment runs again by itself: the board comes back
            st.error(f"The store cannot be read ({safe.md(exc)}); trying again.", icon=":material/cloud_off:")
            return
        # stale by wall time: the scorer's writes are stamped with it
        fresh_now = views.freshness(snapshot.last_update, time.time(), settings.stale_after_s,
                                    data.browser_tz())  # fmt: skip
        now = views.board_clock(snapshot.read_at, snapshot.data_time, fresh_now.stale)
        in_view = views.filter_queues(views.filter_teams(snapshot.live, view.teams), view.queues)
        shown, over = alerts.apply_budget(in_view, budget)
        intervened = sum(1 for _, team, queue in snapshot.intervened
                         if (not view.teams or team in view.teams)
                         and (not view.queues or queue in view.queues))  # fmt: skip
        # per queue: a call's wait counts in its first queue, and a call a transfer left waiting
        # waits in the one it is in now, so the rows are made of every call, then filtered
        queue_rows = [r for r in queues.queue_figures(snapshot.queue_calls, now, data.WINDOW_S,
                                                      settings.service_level_s)
                      if not view.queues or r.queue in view.queues]  # fmt: skip

        title, fresh = st.columns([3, 2], vertical_alignment="bottom")
        scope = ", ".join(safe.md(v) for v in [*view.teams, *view.queues]) or "all teams"
        with title, st.container(key="ch-title"):
            st.markdown(f"### CallHeat wallboard · {scope}")
            who = (safe.md(view.supervisor) if view.supervisor  # from the URL: any text
                   else "no supervisor id: enter yours in the sidebar to use \"I'm on it\"")
            precision = data.precision(view.supervisor).text() if view.supervisor else "—"
            cap = f"alert budget {budget}" if budget else "no alert budget"
            st.caption(f"{who} · your alert precision: {precision} · {cap}")
        with fresh:
            widgets.show_freshness(fresh_now)
            if not live:
                st.caption("Live refresh is off: the board as of "
                           f"{safe.md(views.fmt_clock(snapshot.read_at, data.browser_tz()))}")  # fmt: skip
        widgets.show_header(views.header_figures(shown, queues.total(queue_rows), now, intervened,
                                                 len(over)))  # fmt: skip
        _beep_if_new(frozenset(c.call_id for c in shown if c.level == "hot"),
                     frozenset(c.call_id for c in in_view if c.level == "hot"), view)  # fmt: skip
        session.show_flash()
        if fresh_now.stale and snapshot.last_update is not None:
            widgets.show_stale_board(fresh_now)

        tiles = views.tiles(shown, now, over_budget=over, on_it=snapshot.claims)
        grid, side = st.columns([3, 1], gap="medium")
        with grid:
            if not tiles:
                st.info("No live calls right now.")
            elif view.tv:
                urgent = [t for t in tiles if t.level != "calm"]
                calm = [t for t in tiles if t.level == "calm"]
                widgets.show_grid(urgent, TV_PER_ROW, nav.CALL_PAGE, link_params, name="urgent")
                widgets.show_grid(calm, TV_COMPACT_PER_ROW, nav.CALL_PAGE, link_params,
                                  compact=True, name="calm")  # fmt: skip
            else:
                widgets.show_grid(tiles, per_row, nav.CALL_PAGE, link_params, _acknowledge,
                                  view.supervisor)  # fmt: skip
        with side:
            widgets.show_queue_table(queue_rows, queues.window_label(data.WINDOW_S,
                                                                     settings.service_level_s))

    board()


main()
