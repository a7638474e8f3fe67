"""The Streamlit wallboard: thin pages over plain modules.

``app.py`` is the entry script (``streamlit run dashboard/app.py`` or
``callheat dashboard``); ``screens/`` lay things out; ``data`` holds the cached
settings, store and producer; ``views`` and ``charts`` are plain functions that
turn store rows into figures, tiles and plotly charts; ``actions`` publishes a
supervisor's whisper or barge-in and records it.
"""
