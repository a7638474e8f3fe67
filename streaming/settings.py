"""Every setting CallHeat reads, in one frozen object.

Precedence: command-line argument, then environment variable (``CALLHEAT_*``),
then the default here. Nothing else in the code reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    model_config = SettingsConfigDict(env_prefix="CALLHEAT_", frozen=True, extra="ignore")

    # Kafka
    bootstrap_servers: str = "127.0.0.1:9092"
    broker_host: str = "127.0.0.1"
    broker_port: int = Field(default=9092, ge=1, le=65535)
    topic_prefix: str = ""
    partitions: int = Field(default=6, ge=1, le=1024)
    group_id: str = "callheat-scorer"
    # Tansu joins a group only after the rebalance timeout, which kafka-python takes
    # from max_poll_interval_ms; keep it small locally so the first message is quick.
    max_poll_interval_ms: int = Field(default=10_000, ge=1_000)
    session_timeout_ms: int = Field(default=10_000, ge=1_000)
    poll_timeout_ms: int = Field(default=200, ge=1)
    batch_max_records: int = Field(default=2_000, ge=1)
    # training examples learned per turn of the scorer's loop, at most: an import of
    # thousands (callheat train) is learned between batches of live events, not before them
    # (a sentiment example takes about 0.45 ms to learn: 500 hold a batch 0.2 s)
    learn_max_records: int = Field(default=500, ge=1)

    # Storage
    data_dir: Path = Path(".callheat")
    store_url: str = "sqlite:///.callheat/callheat.db"

    # Scoring
    hot_threshold: float = Field(default=0.7, gt=0.0, lt=1.0)
    warm_threshold: float = Field(default=0.4, gt=0.0, lt=1.0)
    checkpoint_every_s: float = Field(default=30.0, gt=0.0)
    # a call with no event for this long (in event time) is closed as interrupted
    idle_call_s: float = Field(default=7_200.0, gt=0.0)

    # Wallboard
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=8501, ge=1, le=65535)
    refresh_s: float = Field(default=1.0, gt=0.0)
    # the scorer writes at least every 10 s (a heartbeat when idle); older means it is down
    stale_after_s: float = Field(default=30.0, gt=0.0)
    # a queued call answered within this many seconds counts toward the service level
    service_level_s: float = Field(default=20.0, gt=0.0)
    # at most this many calls shown hot at once (the hottest win); 0 = no cap
    alert_budget: int = Field(default=0, ge=0)

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "models" / f"{self.group_id}.pkl"
