"""Model checkpoints: what the scorer has learned survives a restart.

The learned parts of a :class:`~streaming.scoring.Scorer` (river models, agent
pace norms, customers seen, validation metrics) are pickled to one file, written
atomically (temp file + rename) so a crash mid-write leaves the previous one.
Calls' state is not here: a live call's is persisted with every store write, and an
ended call's final state goes to the store's ``ended_states`` (for feedback a
supervisor sends after the call ended), so any replica can take either over.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

from streaming.scoring import Scorer

log = logging.getLogger(__name__)

LEARNED = ("sentiment", "risk", "agent_wpm", "customers", "auc", "log_loss", "n_outcomes",
           "n_escalated", "n_feedback", "n_sentiment_corrections", "training_offset",
           "calibration", "drift", "learned_keys", "n_imported")  # fmt: skip
# added to LEARNED since FORMAT 6: a checkpoint without them keeps the scorer's starting value
ADDED = frozenset({"n_imported"})
FORMAT = 6


def save(scorer: Scorer, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    payload = {"format": FORMAT, **{name: getattr(scorer, name) for name in LEARNED}}
    with open(tmp, "wb") as f:
        pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def restore(scorer: Scorer, path: Path) -> bool:
    """Load a checkpoint into ``scorer``; False (cold start) if there is none or it is unreadable."""
    if not path.exists():
        return False
    try:
        with open(path, "rb") as f:
            payload = pickle.load(f)  # noqa: S301 - our own file, written by save()
    # a damaged or foreign file can make unpickling raise almost anything (ValueError for
    # an unknown protocol, KeyError, IndexError, UnicodeDecodeError...): all are unreadable
    except Exception as exc:
        log.warning("ignoring unreadable model checkpoint %s: %s", path, exc)
        return False
    if not isinstance(payload, dict):
        log.warning("ignoring model checkpoint %s: not a checkpoint (a pickled %s)", path,
                    type(payload).__name__)  # fmt: skip
        return False
    if payload.get("format") != FORMAT:
        log.warning("ignoring model checkpoint %s of another format", path)
        return False
    missing = set(LEARNED) - payload.keys() - ADDED
    if missing:
        log.warning("ignoring model checkpoint %s without %s", path, ", ".join(sorted(missing)))
        return False
    for name in LEARNED:
        if name in payload:
            setattr(scorer, name, payload[name])
    return True
