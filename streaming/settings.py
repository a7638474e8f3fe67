"""Every setting CallHeat reads, in one frozen object.

Precedence: command-line argument, then environment variable (``CALLHEAT_*``),
then the default here. Nothing else in the code reads the environment.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streaming.center_clock import CenterClock, parse_weekend

# Kafka's rule for a topic name: these characters, at most 249 of them
TOPIC_CHARS = re.compile(r"[a-zA-Z0-9._-]*")
MAX_TOPIC_LEN = 249
BOOTSTRAP_SYNTAX = "expected host:port[,host:port...]"
# the scorers' consumer group when none is given: a topic prefix is put before it, so
# tenants sharing a broker (each with its own prefix) do not share a group
DEFAULT_GROUP_ID = "callheat-scorer"
# Kafka's protocol sends the group timeouts (JoinGroup's session and rebalance timeouts) as
# int32: kafka-python cannot send a larger one, and the scorer would never join its group
INT32_MAX = 2**31 - 1
# a file name is at most 255 bytes on the usual file systems; the group id names one (+ ".pkl")
MAX_GROUP_ID_BYTES = 255 - len(".pkl")
# a batch (one store transaction) or a turn's training examples (about 0.45 ms each to learn)
MAX_RECORDS = 100_000
# partitions per topic (callheat broker --partitions, or CALLHEAT_PARTITIONS for broker and run)
MAX_PARTITIONS = 1_024
# a week, in seconds: the upper bound of the durations below (an idle call, a stale scorer)
WEEK_S = 7 * 24 * 3600.0
MAX_RETENTION_DAYS = 36_500  # a hundred years: "keep everything" is 0
# a shorter retention would delete what the scorer still reads: the last week's calls of a
# customer (repeat callers) and ended calls' states (supervisors' late feedback)
MIN_RETENTION_DAYS = 7
HEARTBEAT_S = 10.0  # the scorer's store heartbeat and log line, every this many seconds
# the phrase lists and the playbook's wording shipped in the package (a center may name its own)
PACKAGED_DATA = Path(__file__).parent / "scoring" / "data"


def check_bootstrap_servers(value: str) -> str:
    """``host:port[,host:port...]`` with ports 1-65535, or ValueError naming the bad part.

    >>> check_bootstrap_servers("kafka-1:9092, [::1]:9093")
    'kafka-1:9092, [::1]:9093'
    >>> check_bootstrap_servers("127.0.0.1:99999")
    Traceback (most recent call last):
    ...
    ValueError: expected host:port[,host:port...], got '127.0.0.1:99999' (a port is 1-65535)
    """
    for server in value.split(","):
        host, colon, port = server.strip().rpartition(":")
        problem = None
        if not colon:
            problem = "no :port"
        elif not host or any(c.isspace() for c in host):
            problem = "no host"
        elif not (port.isascii() and port.isdigit()):
            problem = f"port {port!r} is not a number" if port else "no port"
        elif not 1 <= int(port) <= 65535:
            problem = "a port is 1-65535"
        if problem:
            where = "" if server.strip() == value.strip() else f"{server.strip()!r}: "
            raise ValueError(f"{BOOTSTRAP_SYNTAX}, got {value!r} ({where}{problem})")
    return value


def check_group_id(value: str) -> str:
    """A consumer group id that can also name the group's model checkpoint file, or ValueError.

    >>> check_group_id("tenant-1.callheat-scorer")
    'tenant-1.callheat-scorer'
    >>> check_group_id(" ")
    Traceback (most recent call last):
    ...
    ValueError: expected a consumer group id, got ' ' (empty)
    """
    if not value.strip():
        raise ValueError(f"expected a consumer group id, got {value!r} (empty)")
    if "/" in value or "\0" in value:
        raise ValueError(f"'/' cannot be in a group id (it names the model checkpoint file "
                         f"<group_id>.pkl), got {value!r}")  # fmt: skip
    if len(value.encode("utf-8")) > MAX_GROUP_ID_BYTES:
        raise ValueError(f"at most {MAX_GROUP_ID_BYTES} bytes (it names the model checkpoint file "
                         f"<group_id>.pkl), got {len(value.encode('utf-8'))}")  # fmt: skip
    return value


def default_store_path(data_dir: Path | None) -> Path:
    """Where the store is when no store URL is given: ``callheat.db`` in the data directory."""
    return (data_dir if data_dir is not None else Path(".callheat")) / "callheat.db"


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Each ``CALLHEAT_*`` name in ``environ`` that is no setting (a misspelling is otherwise
    ignored in silence), with the setting's variable it most likely meant, if any.

    >>> unknown_variables({"CALLHEAT_BOOTSTRAP_SERVER": "kafka:9092", "CALLHEAT_DATA_DIR": "/d"})
    [('CALLHEAT_BOOTSTRAP_SERVER', 'CALLHEAT_BOOTSTRAP_SERVERS')]
    """
    known = {f"CALLHEAT_{name.upper()}" for name in Settings.model_fields}
    unknown = []
    for name in sorted(environ):
        upper = name.upper()
        if upper.startswith("CALLHEAT_") and upper not in known:
            close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
            unknown.append((name, close[0] if close else None))
    return unknown


@dataclass(frozen=True, slots=True)
class Topics:
    """Kafka topic names; a prefix lets tests and tenants share one broker."""

    call_events: str
    call_scores: str
    supervisor_actions: str
    agent_coaching: str
    training_examples: str
    dlq: str

    @classmethod
    def with_prefix(cls, prefix: str = "") -> Topics:
        return cls(
            call_events=f"{prefix}call-events",
            call_scores=f"{prefix}call-scores",
            supervisor_actions=f"{prefix}supervisor-actions",
            agent_coaching=f"{prefix}agent-coaching",
            training_examples=f"{prefix}training-examples",
            dlq=f"{prefix}call-events-dlq",
        )

    @staticmethod
    def check_prefix(prefix: str) -> str:
        """``prefix`` if every topic named with it is a legal Kafka topic name, else ValueError.

        >>> Topics.check_prefix("tenant-1.")
        'tenant-1.'
        >>> Topics.check_prefix("bad prefix/")
        Traceback (most recent call last):
        ...
        ValueError: only letters, digits, '.', '_' and '-' can be in a Kafka topic name, got 'bad prefix/'
        """
        if not TOPIC_CHARS.fullmatch(prefix):
            raise ValueError(f"only letters, digits, '.', '_' and '-' can be in a Kafka topic name, "
                             f"got {prefix!r}")  # fmt: skip
        longest = max(len(t) for t in Topics.with_prefix("").all())
        if len(prefix) + longest > MAX_TOPIC_LEN:
            raise ValueError(f"at most {MAX_TOPIC_LEN - longest} characters (a Kafka topic name is at "
                             f"most {MAX_TOPIC_LEN}), got {len(prefix)}")  # fmt: skip
        return prefix

    def all(self) -> tuple[str, ...]:
        return (
            self.call_events,
            self.call_scores,
            self.supervisor_actions,
            self.agent_coaching,
            self.training_examples,
            self.dlq,
        )


class Settings(BaseSettings):
    """CallHeat configuration. Environment variables are ``CALLHEAT_<FIELD>``."""

    # a ValidationError's text shows no input (a rule between settings carries them all, the
    # store URL's password too): each message says what was wrong with the value given
    model_config = SettingsConfigDict(env_prefix="CALLHEAT_", frozen=True, extra="ignore",
                                      hide_input_in_errors=True)  # fmt: skip

    # Kafka
    bootstrap_servers: str = "127.0.0.1:9092"
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=9092, ge=1, le=65535)
    topic_prefix: str = ""
    partitions: int = Field(default=6, ge=1, le=MAX_PARTITIONS)
    # default: DEFAULT_GROUP_ID after the topic prefix (only "callheat-scorer" without one)
    group_id: str = Field(default_factory=lambda data: f"{data.get('topic_prefix', '')}{DEFAULT_GROUP_ID}")
    # Tansu joins a group only after the rebalance timeout, which kafka-python takes
    # from max_poll_interval_ms; keep it small locally so the first message is quick.
    # Both are sent to the broker as int32 (JoinGroup).
    max_poll_interval_ms: int = Field(default=10_000, ge=1_000, le=INT32_MAX)
    session_timeout_ms: int = Field(default=10_000, ge=1_000, le=INT32_MAX)
    # the loop stops, reports (every 10 s) and checkpoints between polls, and `callheat run`
    # kills a scorer that has not stopped 15 s after being asked: a poll waits 10 s at most
    poll_timeout_ms: int = Field(default=200, ge=1, le=10_000)
    batch_max_records: int = Field(default=2_000, ge=1, le=MAX_RECORDS)
    # training examples learned per turn of the scorer's loop, at most: an import of
    # thousands (callheat train) is learned between batches of live events, not before them
    # (a sentiment example takes about 0.45 ms to learn: 500 hold a batch 0.2 s)
    learn_max_records: int = Field(default=500, ge=1, le=MAX_RECORDS)

    # Storage
    data_dir: Path = Path(".callheat")
    # default: the SQLite file callheat.db in data_dir (sqlite:///.callheat/callheat.db). A
    # secret: a PostgreSQL URL can carry a password, so repr, str and dumps show **********;
    # only open_store, settings_env (a child's environment) and redacted (a log line) unwrap it
    store_url: SecretStr = Field(
        default_factory=lambda data: SecretStr(f"sqlite:///{default_store_path(data.get('data_dir'))}"))

    # Scoring (warm_threshold must be below hot_threshold)
    hot_threshold: float = Field(default=0.7, gt=0.0, lt=1.0, allow_inf_nan=False)
    warm_threshold: float = Field(default=0.4, gt=0.0, lt=1.0, allow_inf_nan=False)
    # idle calls are closed with the checkpoint too: at most an hour apart
    checkpoint_every_s: float = Field(default=30.0, gt=0.0, le=3_600.0, allow_inf_nan=False)
    # a call with no event for this long (in event time) is closed as interrupted
    idle_call_s: float = Field(default=7_200.0, gt=0.0, le=WEEK_S, allow_inf_nan=False)
    # an event dated further than this past both the wall clock and the latest event does
    # not move the scorer's clock (the data's "now": idle calls, the wallboard's clocks)
    max_clock_jump_s: float = Field(default=300.0, gt=0.0, le=WEEK_S, allow_inf_nan=False)
    # the center's time zone (IANA name): "by Friday", "tomorrow morning" or "at 3pm" in an
    # agent's callback promise are that day and hour on the center's clock
    center_timezone: str = "UTC"
    # the center's weekend (weekday names or their first three letters, comma-separated; ""
    # for none): "in 3 working days" and "by the end of the week" skip or stop before it
    center_weekend: str = "sat,sun"

    # the center's phrase lists and playbook wording: the packaged files unless the center names
    # its own (kept out of the package, so an upgrade keeps them). Checked when loaded
    # (streaming.center_files); `callheat run` and `score` load both before starting, `dashboard`
    # the playbook file
    phrases_file: Path = PACKAGED_DATA / "phrases.json"
    playbook_file: Path = PACKAGED_DATA / "playbook.json"

    # Wallboard
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=8501, ge=1, le=65535)
    refresh_s: float = Field(default=1.0, gt=0.0, le=3_600.0, allow_inf_nan=False)
    # the scorer writes at least every HEARTBEAT_S (a heartbeat when idle); older means it is
    # down. Two heartbeats at least: less would call a quiet floor's scorer down between them
    stale_after_s: float = Field(default=30.0, ge=2 * HEARTBEAT_S, le=WEEK_S, allow_inf_nan=False)
    # a queued call answered within this many seconds counts toward the service level
    service_level_s: float = Field(default=20.0, gt=0.0, le=3_600.0, allow_inf_nan=False)
    # at most this many calls shown hot at once (the hottest win); 0 = no cap
    alert_budget: int = Field(default=0, ge=0)

    # Retention: calls that ended more than this many days ago are deleted with their words,
    # scores and actions (streaming/retention.py); 0 keeps everything
    retention_days: int = Field(default=0, ge=0, le=MAX_RETENTION_DAYS)

    @field_validator("bootstrap_servers")
    @classmethod
    def _bootstrap_servers(cls, value: str) -> str:
        return check_bootstrap_servers(value)

    @field_validator("topic_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        return Topics.check_prefix(value)

    @field_validator("broker_host", "dashboard_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"expected a host name or address, got {value!r}")
        return value

    @field_validator("group_id")
    @classmethod
    def _group_id(cls, value: str) -> str:
        return check_group_id(value)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError(f"expected a directory, got {value!r}")
        return value

    @field_validator("phrases_file", "playbook_file", mode="before")
    @classmethod
    def _data_file(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():  # Path("") is the current directory
            raise ValueError(f"expected a file, got {value!r}")
        return value

    @field_validator("center_timezone")
    @classmethod
    def _center_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America", a directory
            raise ValueError(f"expected a time zone name such as Europe/Paris or America/New_York, "
                             f"got {value!r}") from None
        return value

    @field_validator("center_weekend")
    @classmethod
    def _center_weekend(cls, value: str) -> str:
        parse_weekend(value)
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention_days(cls, value: int) -> int:
        if 0 < value < MIN_RETENTION_DAYS:
            raise ValueError(f"expected 0 (keep everything) or at least {MIN_RETENTION_DAYS} days, got "
                             f"{value}: the scorer reads the last week's calls (repeat callers, feedback)")
        return value

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        # SQLite opens a private temporary database for an empty path: each process its own
        # (a sqlite URL holds no password: it can be shown)
        if url.startswith("sqlite:///") and not url.removeprefix("sqlite:///").strip():
            raise ValueError(f"expected sqlite:///PATH, got {url!r} (no path)")
        return value

    @model_validator(mode="after")
    def _thresholds(self) -> Settings:
        if not self.warm_threshold < self.hot_threshold:
            raise ValueError(f"warm_threshold ({self.warm_threshold:g}, CALLHEAT_WARM_THRESHOLD) must be "
                             f"below hot_threshold ({self.hot_threshold:g}, CALLHEAT_HOT_THRESHOLD)")
        return self

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)

    @property
    def center_tz(self) -> ZoneInfo:
        return ZoneInfo(self.center_timezone)

    @property
    def center_clock(self) -> CenterClock:
        """The center's time zone and weekend, on which promised callbacks fall due."""
        return CenterClock(self.center_tz, parse_weekend(self.center_weekend))

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "models" / f"{self.group_id}.pkl"
