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
import tempfile
import time
from pathlib import Path

from streaming.scoring import Scorer
from streaming.scoring.monitoring import RankAUC

log = logging.getLogger(__name__)

LEARNED = ("sentiment", "risk", "agent_wpm", "customers", "auc", "log_loss", "n_outcomes",
           "n_escalated", "n_feedback", "n_sentiment_corrections", "training_offset",
           "calibration", "drift", "learned_keys", "n_imported", "agent_directory",
           "training_key")  # fmt: skip
# added to LEARNED since FORMAT 6: a checkpoint without them keeps the scorer's starting value
# (agent_directory: the names and teams a transfer shows, seen in call_started events;
# training_key: the last example's key, to tell its topic from one made again)
ADDED = frozenset({"n_imported", "agent_directory", "training_key"})
FORMAT = 6


def save(scorer: Scorer, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name no other writer has: replicas in containers sharing the data volume are all
    # pid 1, so a pid-named file was one file that each replaced under the other
    fd, tmp_name = tempfile.mkstemp(prefix=f"{path.stem}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    payload = {"format": FORMAT, **{name: getattr(scorer, name) for name in LEARNED}}
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def restore(scorer: Scorer, path: Path) -> bool:
    """Load a checkpoint into ``scorer``; False (cold start) if there is none or it is unreadable.

    An unreadable one is renamed aside (``scorer.pkl.unreadable-<time>``), not left for the
    next save to overwrite: what it holds may be months of learning that a person can
    still recover (a newer version's format, say, after a downgrade).
    """
    if not path.exists():
        return False
    if not path.is_file():  # a directory, say: nothing learned to keep, and not ours to move
        log.warning("ignoring model checkpoint %s: not a file; starting cold", path)
        return False
    try:
        with open(path, "rb") as f:
            payload = pickle.load(f)  # noqa: S301 - our own file, written by save()
    # a damaged or foreign file can make unpickling raise almost anything (ValueError for
    # an unknown protocol, KeyError, IndexError, UnicodeDecodeError...): all are unreadable
    except Exception as exc:
        _set_aside(path, f"ignoring unreadable model checkpoint {path}: {exc}")
        return False
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        _set_aside(path, f"ignoring model checkpoint {path}: not a checkpoint (a pickled {kind})")
        return False
    if payload.get("format") != FORMAT:
        _set_aside(path, f"ignoring model checkpoint {path} of another format ({payload.get('format')!r}, "
                         f"this version reads {FORMAT})")  # fmt: skip
        return False
    missing = set(LEARNED) - payload.keys() - ADDED
    if missing:
        _set_aside(path, f"ignoring model checkpoint {path} without {', '.join(sorted(missing))}")
        return False
    if not isinstance(payload["auc"], RankAUC):  # river's ROCAUC, until 2026-11-25: its counts kept
        payload["auc"] = RankAUC.from_river(payload["auc"])
    for name in LEARNED:
        if name in payload:
            setattr(scorer, name, payload[name])
    return True


def _set_aside(path: Path, why: str) -> None:
    """Log ``why`` and rename ``path`` so that the next save does not overwrite it."""
    aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("%s; starting cold (could not set it aside: %s)", why, exc.strerror or exc)
    else:
        log.warning("%s; starting cold, the file is kept as %s", why, aside)
