"""The keys of the store's ``meta`` table, each written by one part and read by others.

>>> sorted(KEYS)
['event_time', 'history', 'last_update', 'scorer', 'validation']
"""

from __future__ import annotations

LAST_UPDATE = "last_update"  # epoch s of the last write (every batch and heartbeat): staleness
EVENT_TIME = "event_time"  # the scorer's clock, the data's "now" (wallboard clocks, restarts)
VALIDATION = "validation"  # the risk model's progressive-validation figures (JSON): the model page
HEARTBEAT = "scorer"  # the scorer's last 10 s of figures (JSON): logs, ``callheat status``
HISTORY = "history"  # what ``callheat simulate --history-days`` filled (JSON): bench --pages

KEYS = frozenset({LAST_UPDATE, EVENT_TIME, VALIDATION, HEARTBEAT, HISTORY})
