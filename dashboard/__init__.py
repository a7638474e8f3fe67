"""The Streamlit wallboard: thin pages over plain modules.

``app.py`` is the entry script (``streamlit run dashboard/app.py`` or
``callheat dashboard``); ``screens/`` lay things out; ``data`` holds the cached
settings, store and producer and the board's shared read; ``reads`` the read-only
SQL; ``views``, ``queues``, ``alerts``, ``prefs`` and ``charts`` are plain functions
that turn store rows into figures, tiles, queue figures, the alert budget, the URL's
view and plotly charts; ``actions`` builds, publishes and records a supervisor's
actions; ``session`` is what a browser session remembers.
"""
