"""Where the pages are, for st.navigation, st.switch_page and st.page_link.

The folder is ``screens/`` rather than ``pages/`` on purpose: a ``pages/`` folder
next to the entry script turns on Streamlit's older multipage mode, in which a
first deep link such as ``/call?call_id=...`` runs the page alone, outside
``app.py``'s st.navigation (no wide layout, the folder's file list as navigation).
"""

WALLBOARD_PAGE = "screens/wallboard.py"
CALL_PAGE = "screens/call.py"
TRENDS_PAGE = "screens/trends.py"
MODEL_PAGE = "screens/model.py"
