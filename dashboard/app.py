"""CallHeat wallboard entry script: ``streamlit run dashboard/app.py`` (or ``callheat dashboard``).

Configuration comes from ``CALLHEAT_*`` environment variables (see
``streaming.settings.Settings``); the pages live in ``screens/``.
"""

import streamlit as st

from dashboard import data, nav, widgets
from streaming import logs
from streaming.errors import StoreError

logs.configure()  # to the server's stderr: each action a supervisor sends, and what became of it

st.set_page_config(
    page_title="CallHeat",
    # an emoji is drawn in the page (a data: URL); a :material/...: favicon is fetched from
    # fonts.gstatic.com, which an offline, self-hosted floor cannot reach
    page_icon="🔥",
    layout="wide",
    initial_sidebar_state="collapsed",
)

WALLBOARD = st.Page(
    nav.WALLBOARD_PAGE, title="Wallboard", icon=":material/view_module:", default=True
)
CALL = st.Page(nav.CALL_PAGE, title="Call", icon=":material/headset_mic:", url_path="call")

TRENDS = st.Page(nav.TRENDS_PAGE, title="Trends", icon=":material/trending_up:", url_path="trends")
MODEL = st.Page(nav.MODEL_PAGE, title="Model", icon=":material/model_training:", url_path="model")

# a store that is down (or a network in between) is a page that says so and tries again,
# not a traceback that stays on a wall screen until someone reloads it
STORE_RETRY_S = 5.0
try:
    st.navigation([WALLBOARD, CALL, TRENDS, MODEL], position="top").run()
except StoreError as exc:
    widgets.show_store_down(exc, max(STORE_RETRY_S, data.get_settings().refresh_s))
