"""What to simulate: load, mix of conversation arcs, and the floor's habits."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from streaming.errors import ConfigError

ARCS = ("calm", "de_escalated", "escalating")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Settings of one simulation run.

    Parameters
    ----------
    seed
        Random seed; the same seed, config and ``start`` give the same events.
    calls
        Calls to simulate in total (abandoned ones included); 0 runs forever.
    concurrency
        Calls in the system at once (queued + live). The floor has fewer agents
        than this, so some calls queue.
    speed
        Time compression used by :func:`~streaming.simulator.publish`: 2.0 runs
        twice as fast as real time.
    start
        Simulated start time (UTC); None means now.
    agents
        Agents on the floor; None means about five for every six concurrent calls.
    calm_share, de_escalated_share, escalating_share
        The mix of conversation arcs (normalised; repeat callers and long waits
        tilt a call towards the difficult arcs, good agents towards de-escalation).
    repeat_share
        Share of calls from a customer who already called during the run.
    misroute_share
        Share of calls that land in the wrong queue and are transferred.
    patience_s
        Median time a caller waits in the queue before hanging up.
    burst_s
        The opening calls arrive spread over this many simulated seconds.
    chat_share, consent_share, csat_share
        Share of chats (the rest are voice), of calls with recording consent, and
        of ended calls with a satisfaction score.
    floor_seed
        Seed of the floor itself (agent names, teams, skills), kept apart from
        ``seed`` so an agent id means the same person in every run.

    >>> SimConfig(seed=3, calls=10).calls
    10
    >>> SimConfig(speed=0)
    Traceback (most recent call last):
    ...
    streaming.errors.ConfigError: speed must be greater than 0, got 0
    """

    seed: int = 7
    calls: int = 0
    concurrency: int = 30
    speed: float = 1.0
    start: datetime | None = None
    agents: int | None = None
    calm_share: float = 0.55
    de_escalated_share: float = 0.25
    escalating_share: float = 0.20
    repeat_share: float = 0.12
    misroute_share: float = 0.04
    patience_s: float = 150.0
    burst_s: float = 8.0
    chat_share: float = 0.10
    consent_share: float = 0.95
    csat_share: float = 0.70
    floor_seed: int = 1

    def __post_init__(self) -> None:
        if self.calls < 0:
            raise ConfigError(f"calls must be 0 (endless) or more, got {self.calls}")
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be 1 or more, got {self.concurrency}")
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise ConfigError(f"speed must be greater than 0, got {self.speed:g}")
        if self.agents is not None and self.agents < 1:
            raise ConfigError(f"agents must be 1 or more, got {self.agents}")
        if self.start is not None and self.start.tzinfo is None:
            raise ConfigError("start must be timezone-aware (UTC)")
        for f in fields(self):
            if f.name.endswith("_share"):
                value = getattr(self, f.name)
                if not 0.0 <= value <= 1.0:
                    raise ConfigError(f"{f.name} must be between 0 and 1, got {value}")
        if self.calm_share + self.de_escalated_share + self.escalating_share <= 0:
            raise ConfigError("at least one of calm/de_escalated/escalating share must be > 0")
        if self.patience_s <= 0 or self.burst_s < 0:
            raise ConfigError("patience_s must be > 0 and burst_s >= 0")

    @property
    def n_agents(self) -> int:
        """Agents on the floor: ``agents``, or about 5/6 of ``concurrency``."""
        if self.agents is not None:
            return self.agents
        return max(1, round(self.concurrency * 5 / 6))

    @property
    def arc_mix(self) -> dict[str, float]:
        """The arc shares, normalised to sum to 1."""
        raw = (self.calm_share, self.de_escalated_share, self.escalating_share)
        total = sum(raw)
        return {arc: share / total for arc, share in zip(ARCS, raw, strict=True)}

    def start_utc(self) -> datetime:
        """``start`` in UTC, or now, in whole milliseconds (as events carry it on the wire)."""
        start = (self.start or datetime.now(UTC)).astimezone(UTC)
        return start.replace(microsecond=start.microsecond // 1000 * 1000)
