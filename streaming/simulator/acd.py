"""The call flow: arrivals, queues, agents answering, transfers, endings, in time order.

A discrete-event simulation in whole milliseconds. Calls arrive (a burst at the
start, then one whenever a call leaves, so ``concurrency`` calls are in the system),
wait in their queue until an agent who answers that queue is free (the one idle
longest takes it), or hang up when their patience runs out. The first answer fixes
the call's plan (:func:`~streaming.simulator.arcs.plan_call`); its utterances, holds
and ending are scheduled from the plan's timing. A transfer releases the first
agent, holds the customer and queues the call (ahead of new calls) for an agent of
the target queue, who carries on the same call. Agents take a short wrap-up after
each call.

Every call gets its own random stream drawn from the seed, so the run is
deterministic for a seed, a config and a start time.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from streaming.events import (
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallQueued,
    CallStarted,
    HoldEnded,
    HoldStarted,
    Transfer,
    Utterance,
)
from streaming.simulator.arcs import Caller, Plan, plan_call
from streaming.simulator.config import SimConfig
from streaming.simulator.floor import Agent, Floor, build_floor
from streaming.simulator.phrasebook import Issue, issues
from streaming.simulator.timing import Timed, Voices, lay_out

KEEP_CUSTOMERS = 5_000  # customers remembered for repeat calls
UNHAPPY = ("unresolved", "escalated", "abandoned")
EMIT, ARRIVE, ANSWER, ABANDON, TRANSFER, END, FREE = range(7)


@dataclass(slots=True)
class _Customer:
    issue: Issue
    calls: int
    last_outcome: str


@dataclass(slots=True)
class _Call:
    call_id: str
    customer_id: str
    queue: str
    caller: Caller
    rng: random.Random
    consent: bool
    queued_ms: int
    state: str = "queued"  # queued | ringing | live | transferring | done
    seq: int = 0
    answered_ms: int = 0
    agent: Agent | None = None
    plan: Plan | None = None
    voices: Voices | None = None


class Simulation:
    """One run of the floor; iterate :meth:`events` for the event stream."""

    def __init__(self, config: SimConfig, floor: Floor | None = None) -> None:
        """``floor`` replaces the one built from the config (e.g. the agents on one shift)."""
        self.config = config
        self.start = config.start_utc()
        self.rng = random.Random(config.seed)
        self.floor = floor or build_floor(config.n_agents, config.floor_seed)
        self.issues = issues()
        tag = f"{self.start.isoformat()}|{config.seed}".encode()
        self.run_tag = hashlib.blake2s(tag, digest_size=3).hexdigest()
        self._heap: list[tuple[int, int, int, Any]] = []
        self._counter = 0
        self._free = [True] * len(self.floor.agents)
        self._free_since = [0] * len(self.floor.agents)
        self._waiting: dict[str, deque[_Call]] = {q: deque() for q in self.floor.queues}
        self._transfers: dict[str, deque[_Call]] = {q: deque() for q in self.floor.queues}
        self._customers: OrderedDict[str, _Customer] = OrderedDict()
        self._unhappy: deque[str] = deque(maxlen=200)
        self._busy_customers: set[str] = set()
        self.arrivals = 0  # arrivals scheduled so far
        self.arrived = 0  # arrivals that happened (numbers the call ids)

    # --- scheduling ---------------------------------------------------------------------

    def _push(self, at_ms: int, action: int, payload: Any) -> None:
        self._counter += 1
        heapq.heappush(self._heap, (at_ms, self._counter, action, payload))

    def _emit(self, at_ms: int, call: _Call, cls: type[CallEvent], **fields: Any) -> None:
        self._push(at_ms, EMIT, (call, cls, fields))

    def _schedule_arrival(self, at_ms: int) -> None:
        if self.config.calls and self.arrivals >= self.config.calls:
            return
        self.arrivals += 1
        self._push(at_ms, ARRIVE, None)

    def events(self) -> Iterator[tuple[datetime, CallEvent]]:
        """Every event of the run, in simulated-time order."""
        burst = min(self.config.concurrency, self.config.calls or self.config.concurrency)
        spread_ms = int(self.config.burst_s * 1000)
        for at in sorted(self.rng.randint(0, spread_ms) for _ in range(burst)):
            self._schedule_arrival(at)
        handlers: dict[int, Callable[[int, Any], None]] = {
            ARRIVE: self._arrive, ANSWER: self._answer, ABANDON: self._abandon,
            TRANSFER: self._transfer, END: self._end, FREE: self._agent_free}  # fmt: skip
        while self._heap:
            now, _, action, payload = heapq.heappop(self._heap)
            if action != EMIT:
                handlers[action](now, payload)
                continue
            call, cls, fields = payload
            call.seq += 1
            ts = self.start + timedelta(milliseconds=now)
            yield ts, cls(call_id=call.call_id, ts=ts, seq=call.seq, **fields)

    # --- arrivals and the queue -----------------------------------------------------------

    def _pick_customer(self, rng: random.Random) -> tuple[str, Issue, int]:
        """A returning customer (often one left unhappy) or a new one, and their issue."""
        if self._customers and rng.random() < self.config.repeat_share:
            recent = list(islice(reversed(self._customers), 200))
            for _ in range(5):
                if self._unhappy and rng.random() < 0.75:
                    cid = self._unhappy[rng.randrange(len(self._unhappy))]
                else:
                    cid = rng.choice(recent)
                known = self._customers.get(cid)
                if known is None or cid in self._busy_customers:
                    continue
                if known.last_outcome in UNHAPPY:
                    return cid, known.issue, known.calls
                return cid, self._pick_issue(rng), 0
        while True:
            cid = f"cust-{rng.randrange(1_000_000, 10_000_000)}"
            if cid not in self._customers and cid not in self._busy_customers:
                return cid, self._pick_issue(rng), 0

    def _pick_issue(self, rng: random.Random) -> Issue:
        shares = self.floor.queue_shares
        weights = [shares.get(i.queue, 0.0) * i.weight for i in self.issues]
        return rng.choices(self.issues, weights)[0]

    def _arrive(self, now: int, _: Any) -> None:
        self.arrived += 1
        n = self.arrived
        rng = random.Random(self.rng.getrandbits(64))
        customer_id, issue, repeat_count = self._pick_customer(rng)
        queue = issue.queue
        if rng.random() < self.config.misroute_share:
            queue = rng.choice([q for q in self.floor.queues if q != issue.queue] or [queue])
        chat = rng.random() < self.config.chat_share
        patience_ms = int(rng.lognormvariate(0, 0.6) * self.config.patience_s * 1000)
        call = _Call(call_id=f"call-{self.run_tag}-{n:05d}", customer_id=customer_id, queue=queue,
                     caller=Caller(issue, queue, repeat_count, 0.0, chat), rng=rng,
                     consent=rng.random() < self.config.consent_share, queued_ms=now)  # fmt: skip
        self._busy_customers.add(customer_id)
        self._emit(now, call, CallQueued, queue=queue, customer_id=customer_id)
        agent = self._free_agent(queue)
        if agent is not None:
            self._assign(agent, call, now)
        else:
            self._waiting[queue].append(call)
            self._push(now + patience_ms, ABANDON, call)

    def _free_agent(self, queue: str) -> Agent | None:
        best: Agent | None = None
        for agent in self.floor.agents:
            if self._free[agent.index] and queue in agent.queues and (
                    best is None or self._free_since[agent.index] < self._free_since[best.index]):
                best = agent
        return best

    def _assign(self, agent: Agent, call: _Call, now: int) -> None:
        self._free[agent.index] = False
        call.state, call.agent = "ringing", agent
        self._push(now + call.rng.randint(1500, 4500), ANSWER, call)

    def _abandon(self, now: int, call: _Call) -> None:
        if call.state != "queued":
            return
        call.state = "done"
        self._emit(now, call, CallAbandoned)
        self._leave(now, call, "abandoned")

    # --- answering, transfers, endings -------------------------------------------------

    def _answer(self, now: int, call: _Call) -> None:
        agent = call.agent
        assert agent is not None
        if call.plan is not None:  # picked up after a transfer
            call.state = "live"
            self._emit(now, call, HoldEnded)
            assert call.voices is not None
            items, end_ms = lay_out(call.plan.after, call.rng, call.voices,
                                    start_ms=now - call.answered_ms)  # fmt: skip
            self._schedule(call, items)
            self._finish(call, call.answered_ms + end_ms)
            return
        call.state, call.answered_ms = "live", now
        wait_s = round((now - call.queued_ms) / 1000, 1)
        call.caller = Caller(call.caller.issue, call.queue, call.caller.repeat_count, wait_s,
                             call.caller.chat)  # fmt: skip
        self._emit(now, call, CallStarted, queue=call.queue, agent_id=agent.agent_id,
                   agent_name=agent.name, team=agent.team, customer_id=call.customer_id,
                   channel="chat" if call.caller.chat else "voice", language="en",
                   wait_s=wait_s, consent=call.consent)  # fmt: skip
        call.plan = plan_call(call.rng, self.config, self.floor, call.caller, agent)
        typing = 0.45 if call.caller.chat else 1.0
        call.voices = Voices(agent_wpm=agent.wpm * typing,
                             customer_wpm=call.rng.uniform(138, 172) * typing * 0.85
                             if call.caller.chat else call.rng.uniform(138, 172),
                             chat=call.caller.chat)  # fmt: skip
        items, end_ms = lay_out(call.plan.before, call.rng, call.voices)
        self._schedule(call, items)
        if call.plan.transfer_to is None:
            self._finish(call, now + end_ms)
        else:
            self._push(now + end_ms + call.rng.randint(500, 2000), TRANSFER, call)

    def _schedule(self, call: _Call, items: list[Timed]) -> None:
        for item in items:
            at = call.answered_ms + item.at_ms
            if item.kind == "utterance":
                self._emit(at, call, Utterance, speaker=item.speaker, text=item.text,
                           start_ms=item.start_ms, end_ms=item.end_ms,
                           confidence=item.confidence)  # fmt: skip
            else:
                self._emit(at, call, HoldStarted if item.kind == "hold_started" else HoldEnded)

    def _finish(self, call: _Call, last_ms: int) -> None:
        at = last_ms + call.rng.randint(600, 2500)
        plan = call.plan
        assert plan is not None
        self._emit(at, call, CallEnded, disposition=plan.disposition, csat=plan.csat)
        self._push(at, END, call)

    def _transfer(self, now: int, call: _Call) -> None:
        assert call.plan is not None and call.plan.transfer_to is not None and call.agent
        self._release(call.agent, now, call.rng)
        to_queue = call.plan.transfer_to
        call.state = "transferring"
        self._emit(now, call, HoldStarted)
        agent = self._free_agent(to_queue)
        self._emit(now + 300, call, Transfer, to_queue=to_queue,
                   to_agent_id=agent.agent_id if agent else None)  # fmt: skip
        if agent is not None:
            self._free[agent.index] = False
            call.agent = agent
            self._push(now + call.rng.randint(2000, 5000), ANSWER, call)
        else:
            self._transfers[to_queue].append(call)

    def _end(self, now: int, call: _Call) -> None:
        call.state = "done"
        assert call.agent is not None and call.plan is not None
        self._release(call.agent, now, call.rng)
        self._leave(now, call, call.plan.disposition)

    def _release(self, agent: Agent, now: int, rng: random.Random) -> None:
        self._push(now + rng.randint(4000, 15000), FREE, agent)

    def _leave(self, now: int, call: _Call, outcome: str) -> None:
        """The call is over: remember the customer and let a new call in."""
        self._busy_customers.discard(call.customer_id)
        known = self._customers.pop(call.customer_id, None)
        same = known is not None and known.issue is call.caller.issue
        self._customers[call.customer_id] = _Customer(
            call.caller.issue, (known.calls if same and known else 0) + 1, outcome)
        if len(self._customers) > KEEP_CUSTOMERS:
            self._customers.popitem(last=False)
        if outcome in UNHAPPY:
            self._unhappy.append(call.customer_id)
        self._schedule_arrival(now + min(10_000, int(self.rng.expovariate(1 / 2000))))

    def _agent_free(self, now: int, agent: Agent) -> None:
        """A free agent takes the oldest transferred call, else the oldest queued call."""
        self._free[agent.index], self._free_since[agent.index] = True, now
        for pools, wanted in ((self._transfers, "transferring"), (self._waiting, "queued")):
            best: deque[_Call] | None = None
            for q in agent.queues:
                pool = pools[q]
                while pool and pool[0].state != wanted:
                    pool.popleft()
                if pool and (best is None or pool[0].queued_ms < best[0].queued_ms):
                    best = pool
            if best is None:
                continue
            call = best.popleft()
            if wanted == "queued":
                self._assign(agent, call, now)
            else:
                self._free[agent.index] = False
                call.agent = agent
                # the transfer waited in the queue: say which agent took it
                self._emit(now, call, Transfer, to_queue=call.plan.transfer_to if call.plan
                           and call.plan.transfer_to else call.queue, to_agent_id=agent.agent_id)  # fmt: skip
                self._push(now + call.rng.randint(2000, 5000), ANSWER, call)
            return


def generate(config: SimConfig) -> Iterator[tuple[datetime, CallEvent]]:
    """All events of the simulation in simulated-time order, deterministic for a seed.

    Endless when ``config.calls == 0``. Each call's events carry ``seq`` 1, 2, 3...
    and ``ts`` is the simulated time (``config.start``, or now, plus elapsed time).

    >>> from datetime import UTC, datetime
    >>> cfg = SimConfig(seed=1, calls=3, start=datetime(2026, 1, 5, 9, tzinfo=UTC))
    >>> events = [e for _, e in generate(cfg)]
    >>> events[0].type, sum(e.type == "call_ended" or e.type == "call_abandoned" for e in events)
    ('call_queued', 3)
    """
    return Simulation(config).events()
