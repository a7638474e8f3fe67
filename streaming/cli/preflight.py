"""What a command checks before it starts anything: a ConfigError or a StoreError in one
line now, instead of a service that runs on and fails later (or logs it every 30 s)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from streaming.errors import ConfigError
from streaming.settings import DEFAULT_GROUP_ID, Settings

if TYPE_CHECKING:
    from streaming.store import Store

log = logging.getLogger("callheat")


def _make_dir(path: Path, name: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{name} is a file") from None
    except OSError as exc:
        raise ConfigError(f"{name} cannot be created: {exc.strerror or exc}") from None


def make_data_dir(settings: Settings, sub: str = "") -> Path:
    """``settings.data_dir`` (or its subdirectory ``sub``), created if need be and checked
    writable; a ConfigError naming it if it is not, before anything starts (a scorer would
    run on, logging every 30 s that its model checkpoint was not saved)."""
    path = settings.data_dir
    name = f"data directory {path} (CALLHEAT_DATA_DIR)"
    _make_dir(path, name)
    if sub:
        path, name = path / sub, f"{path / sub} in the {name}"
        _make_dir(path, name)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".callheat-write-test-") as probe:
            probe.write(b"x")
            probe.flush()
    except OSError as exc:
        raise ConfigError(f"{name} cannot be written to: {exc.strerror or exc}") from None
    return path


def warn_of_the_old_default_group(settings: Settings) -> None:
    """The default group id used to be ``callheat-scorer`` whatever the topic prefix (tenants
    sharing a broker shared it): a prefixed install upgraded without a group id now starts
    another group, without its model checkpoint. Say so, and how to keep the old group."""
    if not settings.topic_prefix or settings.group_id != f"{settings.topic_prefix}{DEFAULT_GROUP_ID}":
        return
    old = settings.checkpoint_path.with_name(f"{DEFAULT_GROUP_ID}.pkl")
    if old.exists() and not settings.checkpoint_path.exists():
        log.warning("with topic prefix %r the default consumer group is now %r, not %r: its model "
                    "checkpoint %s is not there yet, so the models start cold and the group reads "
                    "the topics from the start (events already stored are skipped). To go on "
                    "with the old group and its checkpoint %s, set CALLHEAT_GROUP_ID=%s",
                    settings.topic_prefix, settings.group_id, DEFAULT_GROUP_ID,
                    settings.checkpoint_path, old, DEFAULT_GROUP_ID)  # fmt: skip


def check_data_files(settings: Settings) -> None:
    """An InvalidDataFile (exit 2) now if the center's phrase lists or playbook wording
    (``CALLHEAT_PHRASES_FILE``, ``CALLHEAT_PLAYBOOK_FILE``) are missing or wrong: ``callheat run``
    would start the broker, the wallboard and the simulator, and its scorer would die."""
    from streaming import center_files

    center_files.load(settings)


def check_playbook_file(settings: Settings) -> None:
    """The wallboard's check: it shows the playbook's wording (``CALLHEAT_PLAYBOOK_FILE``)."""
    from streaming import center_files

    center_files.load_playbook(settings)


def check_store(settings: Settings) -> None:
    """A StoreError or ConfigError now if the store URL does not open, before starting anything."""
    from streaming.store import open_store

    open_store(settings.store_url).close()


def missing_sqlite_store(settings: Settings) -> Path | None:
    """The SQLite file the store URL names when it is not there yet; None otherwise."""
    url = settings.store_url.get_secret_value()
    path = Path(url.removeprefix("sqlite:///"))
    return path if url.startswith("sqlite:///") and not path.is_file() else None


def open_existing_store(settings: Settings) -> Store:
    """The store, for a command that reads or changes what is there (``prune``, ``status``): a
    SQLite file that is not there, or a PostgreSQL database with no CallHeat tables, is a
    MissingStore (a UsageError), not a new empty store made in its place."""
    from streaming.store import open_store

    return open_store(settings.store_url, create=False)
