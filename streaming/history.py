"""``callheat simulate --history-days N``: N days of past calls, scored into the store.

The trends and model pages need weeks of calls to show anything true on a fresh
install, and the page benchmarks need 30 days to chew on. This fills the store
time-compressed, without Kafka, through the same code the live scorer runs: the
simulator's generator (:class:`~streaming.simulator.acd.Simulation`) produces the
events with past timestamps, a :class:`~streaming.scoring.Scorer` applies them into
:class:`~streaming.store.StoreBatch` es, and ``store.apply`` writes each batch.

A day has the shape of a contact center's: open 07:00-21:00 in the center's time
zone, a morning peak and a smaller afternoon one, Mondays busiest, weekends quiet.
Each opening hour is one simulation of the floor (the agents on shift: fewer in
quiet hours), and the hours are merged into one stream in time order.
Supervisors act on hot calls as they would on the floor: whispers and some
barge-ins while the call is live, and for some alerts hot / not-hot feedback once
they have seen how the call ended (mostly right, sometimes not), applied with
``scorer.apply_action`` at their time, so the model learns from them and the
intervention figures have something to show. A whisper or barge-in comes a
while after the alert (the supervisor notices the tile, a barge-in listens in
first); if the call has ended by then it is not taken, as the dashboard allows
only feedback on an ended call, so none is stamped after its call's end.
Feedback that followed the alert instead of the call's course would teach the
model that whatever it flags is hot, and over weeks it flagged nearly every call.
Callbacks the agents promise are kept (the customer's next call comes before the
due time) for most promises, late for some, never for the rest.

History ends before today (the center's midnight), so live calls are never
touched; history calls have ids of their own and leave no per-call scorer state.
The learned models are not saved: the live checkpoint learns from real calls only.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from pydantic import SecretStr

from streaming.center_clock import DEFAULT_CENTER, CenterClock
from streaming.errors import ConfigError
from streaming.events import CallEnded, CallEvent, CallQueued, CallStarted, SupervisorAction
from streaming.scoring import PhraseBook, Scorer
from streaming.scoring.feedback import LIVE_ONLY  # actions for a live call only; feedback on any
from streaming.scoring.playbook import Playbook
from streaming.simulator.acd import Simulation
from streaming.simulator.config import SimConfig
from streaming.simulator.floor import Floor, build_floor
from streaming.store import AlertRow, Store, StoreBatch
from streaming.store import meta as meta_keys

OPEN_HOURS = {  # local hour -> share of the day's calls (sums to 1)
    7: 0.03, 8: 0.07, 9: 0.10, 10: 0.11, 11: 0.10, 12: 0.08, 13: 0.08,
    14: 0.09, 15: 0.09, 16: 0.08, 17: 0.07, 18: 0.05, 19: 0.03, 20: 0.02,
}  # fmt: skip
WEEKDAY = (1.2, 1.1, 1.05, 1.05, 1.0, 0.4, 0.2)  # Monday..Sunday, mean 0.857 (normalised below)
SECONDS_PER_CALL = 216.0  # time a call spends in the simulated system (queue + talk + next arrival)
MAX_DAYS = 366
KEEP, LATE = 0.72, 0.13  # callbacks kept on time, kept late; the rest never happen
# a supervisor's hot / not-hot feedback, given after the call ended, agrees with its outcome
# this often (escalated: hot; otherwise: not hot)
FEEDBACK_RIGHT = 0.85

@dataclass(frozen=True, slots=True)
class HistoryConfig:
    """What history to write.

    ``calls_per_day`` is the average over a week (weekdays get more, weekends
    fewer). ``end`` (exclusive) defaults to the start of today in ``tz``; ``tz``, the
    clock of the opening hours, defaults to the server's local time zone
    (``callheat simulate`` passes ``CALLHEAT_CENTER_TIMEZONE`` when it is set).
    """

    days: int
    calls_per_day: int = 1_000
    seed: int = 7
    end: datetime | None = None
    tz: tzinfo | None = None
    batch_events: int = 5_000
    whisper_share: float = 0.55
    barge_in_share: float = 0.12
    feedback_share: float = 0.30

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise ConfigError(f"history days must be 1-{MAX_DAYS}, got {self.days}")
        if self.calls_per_day < 1:
            raise ConfigError(f"calls per day must be 1 or more, got {self.calls_per_day}")
        if self.end is not None and self.end.tzinfo is None:
            raise ConfigError("history end must be timezone-aware")

    def local_tz(self) -> tzinfo:
        return self.tz or datetime.now().astimezone().tzinfo or UTC

    def end_utc(self) -> datetime:
        if self.end is not None:
            return self.end.astimezone(UTC)
        today = datetime.now(self.local_tz()).date()
        return datetime(today.year, today.month, today.day, tzinfo=self.local_tz()).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Segment:
    """One opening hour of one day: a simulation of the floor on shift."""

    start: datetime  # UTC
    calls: int
    concurrency: int
    seed: int
    roster: tuple[int, ...]  # indices into the whole floor of the agents on shift


@dataclass(slots=True)
class HistoryResult:
    calls: int = 0
    events: int = 0
    alerts: int = 0
    actions: int = 0
    too_late: int = 0  # whispers and barge-ins not taken: the call had ended by their time
    commitments: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    seconds: float = 0.0

    def line(self) -> str:
        span = ""
        if self.first_ts is not None and self.last_ts is not None:
            a, b = (datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M") for t in
                    (self.first_ts, self.last_ts))  # fmt: skip
            span = f" from {a} to {b} UTC"
        return (f"history: {self.calls:,} calls, {self.events:,} events, {self.alerts:,} hot-call "
                f"alerts, {self.actions:,} supervisor actions (and {self.too_late:,} too late for a "
                f"call that had ended, not taken), {self.commitments:,} callbacks "
                f"promised{span} in {self.seconds:.0f} s")  # fmt: skip


def _days(cfg: HistoryConfig) -> list[date]:
    last = cfg.end_utc().astimezone(cfg.local_tz()).date()
    return [last - timedelta(days=d) for d in range(cfg.days, 0, -1)]


def floor_size(cfg: HistoryConfig) -> int:
    """Agents on the payroll: enough for the busiest hour with shifts and days off.

    >>> floor_size(HistoryConfig(days=1, calls_per_day=1000))
    13
    """
    peak = cfg.calls_per_day * max(WEEKDAY) / (sum(WEEKDAY) / 7) * max(OPEN_HOURS.values()) * 1.1
    return max(6, math.ceil(peak * SECONDS_PER_CALL / 3600 * 5 / 6 * 1.5))


def _roster(day: date, hour: int, n: int, size: int, rng: random.Random) -> tuple[int, ...]:
    """``n`` agents on shift: early (07-15) or late (13-21) by agent, two days off a week."""
    def on(i: int) -> bool:
        off = {(i + k) % 7 for k in (0, 1)}
        early = i % 2 == 0
        return day.weekday() not in off and (hour < 15 if early else hour >= 13)

    shift = [i for i in range(size) if on(i)]
    rest = [i for i in range(size) if not on(i)]
    rng.shuffle(shift)
    rng.shuffle(rest)
    return tuple(sorted((shift + rest)[:n]))


def plan(cfg: HistoryConfig) -> list[Segment]:
    """The opening hours to simulate, oldest first, with their volume and staffing.

    >>> cfg = HistoryConfig(days=7, calls_per_day=1000, end=datetime(2026, 3, 9, tzinfo=UTC), tz=UTC)
    >>> segs = plan(cfg)
    >>> len(segs), 6500 < sum(s.calls for s in segs) < 7500
    (98, True)
    >>> segs[0].start.isoformat(), segs[0].calls < segs[3].calls
    ('2026-03-02T07:00:00+00:00', True)
    """
    tz, end, size = cfg.local_tz(), cfg.end_utc(), floor_size(cfg)
    mean_weekday = sum(WEEKDAY) / len(WEEKDAY)
    out: list[Segment] = []
    for day in _days(cfg):
        rng = random.Random(f"callheat-history-{cfg.seed}-{day.isoformat()}")
        volume = cfg.calls_per_day * WEEKDAY[day.weekday()] / mean_weekday * rng.uniform(0.92, 1.08)
        for hour, share in OPEN_HOURS.items():
            start = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)
            calls = round(volume * share * rng.uniform(0.9, 1.1))
            if calls < 1 or start + timedelta(hours=2) > end:
                continue
            concurrency = max(1, round(calls * SECONDS_PER_CALL / 3600))
            roster = _roster(day, hour, min(size, max(1, round(concurrency * 5 / 6))), size, rng)
            out.append(Segment(start, calls, concurrency, rng.getrandbits(31), roster))
    return out


def _shift_floor(whole: Floor, roster: tuple[int, ...]) -> Floor:
    """The agents on shift, re-indexed; queues nobody on shift answers go to all of them."""
    on = [whole.agents[i] for i in roster]
    uncovered = tuple(q for q in whole.queues if not any(q in a.queues for a in on))
    agents = tuple(dataclasses.replace(a, index=k, queues=a.queues + uncovered)
                   for k, a in enumerate(on))  # fmt: skip
    return dataclasses.replace(whole, agents=agents)


def _simulations(cfg: HistoryConfig, segments: list[Segment]) -> list[Simulation]:
    """One simulation per segment; a seed is bumped if its call ids would collide."""
    sims, tags = [], set()
    whole = build_floor(floor_size(cfg))
    for seg in segments:
        seed = seg.seed
        while True:
            config = SimConfig(seed=seed, calls=seg.calls, concurrency=seg.concurrency,
                               start=seg.start, burst_s=SECONDS_PER_CALL)  # fmt: skip
            sim = Simulation(config, _shift_floor(whole, seg.roster))
            if sim.run_tag not in tags:
                break
            seed += 1
        tags.add(sim.run_tag)
        sims.append(sim)
    return sims


def history_events(cfg: HistoryConfig) -> Iterator[CallEvent]:
    """Every event of the history in time order (the hours overlap a little; merged)."""
    streams = [sim.events() for sim in _simulations(cfg, plan(cfg))]
    for _, event in heapq.merge(*streams, key=lambda pair: pair[0]):
        yield event


class _Floor:
    """What supervisors and callbacks do around the scored events (deterministic per seed)."""

    def __init__(self, cfg: HistoryConfig, scorer: Scorer) -> None:
        self.cfg, self.scorer = cfg, scorer
        self.actions: list[tuple[float, str, SupervisorAction]] = []  # heap by ts
        self.callbacks: list[tuple[float, str]] = []  # heap: (from ts, customer_id)
        self.customer_of: dict[str, str] = {}  # call id -> the callback customer it now carries
        self.to_review: dict[str, tuple[str, int]] = {}  # call id -> (supervisor, alert seq)
        self.too_late = 0  # live-only actions due after their call ended (not taken)

    def _rng(self, key: str) -> random.Random:
        return random.Random(f"callheat-history-{self.cfg.seed}-{key}")

    def on_alert(self, alert: AlertRow) -> None:
        """Schedule the supervisor's reaction to a call turning hot."""
        state = self.scorer.calls.get(alert.call_id)
        if state is None:
            return
        rng, cfg = self._rng(alert.call_id), self.cfg
        team = state.team or "floor"
        supervisor = f"sup-{team.split()[-1].lower()}" if rng.random() < 0.85 else "sup-duty"
        at = alert.ts + rng.uniform(15, 60)  # the supervisor notices the tile

        def add(kind: str, after: float, **fields: object) -> None:
            self._add(kind, alert.call_id, alert.seq, supervisor, at + after, **fields)

        if rng.random() < cfg.feedback_share:
            self.to_review[alert.call_id] = (supervisor, alert.seq)  # labelled once it ended
        if rng.random() < cfg.whisper_share:
            text = state.whisper or "Acknowledge how they feel before solving."
            add("whisper", rng.uniform(0, 45), text=text, agent_id=state.agent_id)
        if rng.random() < cfg.barge_in_share:
            add("barge_in", rng.uniform(15, 90))  # after listening in for a while

    def on_ended(self, event: CallEnded) -> None:
        """A supervisor who saw the call turn hot says whether it was, once it ended."""
        review = self.to_review.pop(event.call_id, None)
        if review is None:
            return
        supervisor, seq = review
        rng = self._rng(f"review-{event.call_id}")
        escalated = event.disposition == "escalated"
        hot = escalated if rng.random() < FEEDBACK_RIGHT else not escalated
        self._add("feedback", event.call_id, seq, supervisor, event.ts.timestamp() + rng.uniform(30, 600),
                  label="hot" if hot else "not_hot")  # fmt: skip

    def _add(self, kind: str, call_id: str, seq: int, supervisor: str, at: float, **fields: object) -> None:
        ts = datetime.fromtimestamp(at, UTC)
        action = SupervisorAction(action=kind, action_id=f"h-{call_id}-{seq}-{kind}", call_id=call_id,
                                  supervisor_id=supervisor, ts=ts, **fields)  # type: ignore[arg-type]
        heapq.heappush(self.actions, (ts.timestamp(), action.action_id, action))

    def on_commitment(self, call_id: str, ts: float, due_at: float, customer_id: str) -> None:
        """Decide whether this promised callback happens: on time, late or never."""
        draw = self._rng(f"cb-{call_id}-{ts}").random()
        if draw < KEEP:
            when = ts + (due_at - ts) * (0.1 + 0.8 * draw / KEEP)
        elif draw < KEEP + LATE:
            when = due_at + 3600 * (1 + 20 * (draw - KEEP) / LATE)
        else:
            return
        heapq.heappush(self.callbacks, (when, customer_id))

    def due_actions(self, until: float) -> Iterator[SupervisorAction]:
        """The actions due by ``until``, in time order, to apply before the event at ``until``.

        A whisper or barge-in whose call is no longer live (it ended before the action's
        time) is dropped, as the dashboard refuses it: the supervisor was too late.
        """
        while self.actions and self.actions[0][0] <= until:
            action = heapq.heappop(self.actions)[2]
            state = self.scorer.calls.get(action.call_id)
            if action.action in LIVE_ONLY and (state is None or state.status != "live"):
                self.too_late += 1
                continue
            yield action

    def rewrite(self, event: CallEvent) -> CallEvent:
        """A new call after a callback's time becomes that callback (same customer)."""
        if isinstance(event, CallQueued) and self.callbacks:
            if self.callbacks[0][0] <= event.ts.timestamp():
                self.customer_of[event.call_id] = heapq.heappop(self.callbacks)[1]
        customer = self.customer_of.get(event.call_id)
        if customer is None or not isinstance(event, CallQueued | CallStarted):
            return event
        if isinstance(event, CallStarted):
            del self.customer_of[event.call_id]
        return dataclasses.replace(event, customer_id=customer)


def fill_history(store: Store, cfg: HistoryConfig, *, scorer: Scorer | None = None,
                 progress: Callable[[str], None] | None = None) -> HistoryResult:  # fmt: skip
    """Score ``cfg.days`` of simulated past calls into ``store``; returns what was written."""
    scorer = scorer or Scorer()
    floor, result, t0 = _Floor(cfg, scorer), HistoryResult(), time.perf_counter()
    batch, next_report = StoreBatch(), 0.0
    total_days = cfg.days
    promised: set[tuple[str, int]] = set()  # (call_id, seq) of the callbacks counted

    def write(final: bool = False) -> None:
        nonlocal batch
        scorer.flush(batch)
        batch.states.clear()  # history calls are never continued by a live scorer,
        batch.ended_states.clear()  # nor learned from: the live model learns from real calls only
        batch.ended_states_before = None
        if final:
            batch.meta[meta_keys.HISTORY] = json.dumps({
                "days": cfg.days, "calls_per_day": cfg.calls_per_day, "seed": cfg.seed,
                "first_ts": result.first_ts, "last_ts": result.last_ts, "calls": result.calls,
                "written_at": time.time()})  # fmt: skip
        store.apply(batch)
        batch = StoreBatch()

    for raw in history_events(cfg):
        event = floor.rewrite(raw)
        ts = event.ts.timestamp()
        for action in floor.due_actions(ts):
            scorer.apply_action(action, batch)
            result.actions += 1
        n_alerts, n_commitments = len(batch.alerts), len(batch.commitments)
        scorer.apply(event, batch)
        result.events += 1
        result.calls += isinstance(event, CallQueued)
        result.first_ts = result.first_ts if result.first_ts is not None else ts
        result.last_ts = ts
        for alert in batch.alerts[n_alerts:]:
            floor.on_alert(alert)
            result.alerts += 1
        if isinstance(event, CallEnded):
            floor.on_ended(event)
        for c in batch.commitments[n_commitments:]:
            if (c.call_id, c.seq) in promised:
                continue  # a promise given its timeframe later: the same callback, its row again
            promised.add((c.call_id, c.seq))
            floor.on_commitment(c.call_id, c.ts, c.due_at, c.customer_id)
            result.commitments += 1
        if len(batch) >= cfg.batch_events:
            write()
        if progress is not None and ts >= next_report:
            if next_report:
                day = int((ts - (result.first_ts or ts)) // 86_400) + 1
                progress(f"  day {min(day, total_days)}/{total_days} "
                         f"({datetime.fromtimestamp(ts, UTC):%Y-%m-%d}): {result.calls:,} calls so far, "
                         f"{result.events:,} events, {time.perf_counter() - t0:.0f} s")  # fmt: skip
            next_report = ts + 86_400
    for action in floor.due_actions(float("inf")):
        scorer.apply_action(action, batch)
        result.actions += 1
    result.too_late = floor.too_late
    if result.last_ts is not None:  # the scorer writes points as it goes; this one closes the series
        batch.model_points.setdefault(result.last_ts, scorer.validation_json())
    result.seconds = time.perf_counter() - t0
    write(final=True)
    return result


def run_history(store_url: str | SecretStr, cfg: HistoryConfig, *, hot_threshold: float = 0.7,
                warm_threshold: float = 0.4, center: CenterClock = DEFAULT_CENTER,
                phrases: PhraseBook | None = None, playbook: Playbook | None = None,
                progress: Callable[[str], None] = print) -> HistoryResult:  # fmt: skip
    """What ``callheat simulate --history-days N`` runs: open the store, fill it, close it.

    ``center`` is the center's clock, on which the scorer reads promised callback times;
    ``phrases`` and ``playbook`` the center's lists and wording (the packaged ones if None).
    """
    from streaming.store import open_store, redacted

    store = open_store(store_url)
    try:
        first = plan(cfg)
        span = f"{first[0].start:%Y-%m-%d}" if first else "nothing"
        days = f"{cfg.days} day{'' if cfg.days == 1 else 's'}"
        progress(f"filling {redacted(store_url)} with {days} of past calls from {span} "
                 f"(about {cfg.calls_per_day:,} a day, seed {cfg.seed}) ...")  # fmt: skip
        scorer = Scorer(hot_threshold=hot_threshold, warm_threshold=warm_threshold, center=center,
                        phrases=phrases, playbook=playbook)  # fmt: skip
        return fill_history(store, cfg, scorer=scorer, progress=progress)
    finally:
        store.close()
