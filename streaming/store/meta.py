"""The keys of the store's ``meta`` table, each written by one part and read by others
(and one key per scorer replica, :func:`replica_key`).

>>> sorted(KEYS)
['event_time', 'history', 'last_update', 'scorer', 'validation']
"""

from __future__ import annotations

LAST_UPDATE = "last_update"  # epoch s of the last write (every batch and heartbeat): staleness
EVENT_TIME = "event_time"  # the scorer's clock, the data's "now" (wallboard clocks, restarts)
VALIDATION = "validation"  # the risk model's progressive-validation figures (JSON): the model page
# each scorer replica's heartbeat, under REPLICA_PREFIX + its name: its last 10 s of figures, or
# that it stopped cleanly (JSON): ``callheat status``
REPLICA_PREFIX = "scorer/"
HEARTBEAT = "scorer"  # the one heartbeat all replicas shared before 2026-11-25 (read, not written)
HISTORY = "history"  # what ``callheat simulate --history-days`` filled (JSON): bench --pages

KEYS = frozenset({LAST_UPDATE, EVENT_TIME, VALIDATION, HEARTBEAT, HISTORY})


def replica_key(replica: str) -> str:
    """The key of a scorer replica's heartbeat.

    >>> replica_key("host-a/4242")
    'scorer/host-a/4242'
    """
    return REPLICA_PREFIX + replica
