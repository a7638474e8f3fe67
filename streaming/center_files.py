"""The center's phrase lists and playbook wording, from the files its settings name
(``CALLHEAT_PHRASES_FILE``, ``CALLHEAT_PLAYBOOK_FILE``; the packaged ones by default), for
every command that scores calls: the scorer, ``run``, ``train``, ``backtest``, ``evaluate``
and ``simulate --history-days``, and for the wallboard's playbook cues.

A file that is missing, unreadable or wrong is an :class:`~streaming.errors.InvalidDataFile`
(exit 2) in one line naming the setting, the file and the place in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from streaming.errors import InvalidDataFile
from streaming.scoring.phrases import PhraseBook
from streaming.scoring.playbook import Playbook
from streaming.settings import Settings

T = TypeVar("T", PhraseBook, Playbook)


@dataclass(frozen=True, slots=True)
class CenterFiles:
    """What a :class:`~streaming.scoring.Scorer` takes as ``phrases`` and ``playbook``."""

    phrases: PhraseBook
    playbook: Playbook


def _load(settings: Settings, field: str, kind: type[T]) -> T:
    path: Path = getattr(settings, field)
    try:
        return kind.from_file(path)
    except InvalidDataFile as exc:
        if field not in settings.model_fields_set:  # the packaged file: its path says it all
            raise
        raise InvalidDataFile(f"setting {field} (CALLHEAT_{field.upper()}): {exc}") from None


def load_phrases(settings: Settings) -> PhraseBook:
    return _load(settings, "phrases_file", PhraseBook)


def load_playbook(settings: Settings) -> Playbook:
    return _load(settings, "playbook_file", Playbook)


def load(settings: Settings) -> CenterFiles:
    """Both files, checked: what a command loads before it starts anything."""
    return CenterFiles(load_phrases(settings), load_playbook(settings))
