"""The wallboard: live calls by risk, header figures and calls waiting, refreshed in place."""

from __future__ import annotations

import time

import streamlit as st

from dashboard import data, nav, views, widgets


def _controls() -> tuple[bool, int, list[str]]:
    """Sidebar settings: live refresh on/off, tiles per row, which teams to show."""
    if "wb-teams" not in st.session_state:  # ?team=Team+Blue&team=... pins a TV to teams
        st.session_state["wb-teams"] = st.query_params.get_all("team")
    known = {c.team for c in data.board().live if c.team}
    options = sorted(known | set(st.session_state["wb-teams"]))
    with st.sidebar:
        st.header("Wallboard")
        live = st.toggle("Live refresh", value=True, key="wb-live")
        per_row = st.slider("Tiles per row", 2, 6, 4, key="wb-per-row")
        teams = st.multiselect("Teams", options, key="wb-teams", placeholder="All teams")
    return live, per_row, teams


def main() -> None:
    settings = data.get_settings()
    widgets.inject_css()
    live, per_row, teams = _controls()

    @st.fragment(run_every=settings.refresh_s if live else None)
    def board() -> None:
        snapshot = data.board()
        now = snapshot.read_at
        calls = views.filter_teams(snapshot.live, teams)
        title, fresh = st.columns([3, 2], vertical_alignment="bottom")
        scope = ", ".join(teams) if teams else "all teams"
        title.markdown(f"### CallHeat wallboard · {scope}")
        with fresh:
            widgets.show_freshness(views.freshness(
                snapshot.last_update, time.time(), settings.stale_after_s,  # wall time: writes
                data.browser_tz()))  # fmt: skip
        widgets.show_header(views.header_figures(calls, snapshot.queued, now))

        grid, side = st.columns([5, 1], gap="medium")
        with grid:
            tiles = views.tiles(calls, now)
            if tiles:
                widgets.show_grid(tiles, per_row, nav.CALL_PAGE)
            else:
                st.info("No live calls right now.")
        with side:
            widgets.show_queue_table(views.queue_waits(snapshot.queued, now))

    board()


main()
