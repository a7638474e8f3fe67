"""Which arc a call follows, how it ends, and its plan (beats, transfer, disposition, csat).

The arc is drawn from the configured mix, tilted by the caller (repeat callers and
long waits are more often difficult) and by the agent (a skilled agent turns more
difficult calls into de-escalations). The outcome follows from the arc, with some
noise so it is learnable but not trivial:

- calm: resolved (8% unresolved, with a promised callback); csat 4-5 (about 3 if unresolved).
- de_escalated: resolved (8-16% unresolved, fewer with skilled agents); csat 3-4
  (2-3 if unresolved).
- escalating: escalated or unresolved (hang-up) 3:1, csat 1-2; 4-26% are rescued late
  by the agent (more often by skilled agents): resolved, csat 2-3.

>>> import random
>>> from streaming.simulator.config import SimConfig
>>> from streaming.simulator.floor import build_floor
>>> from streaming.simulator.phrasebook import issues
>>> floor = build_floor(25)
>>> plan = plan_call(random.Random(3), SimConfig(), floor,
...                  Caller(issues()[0], issues()[0].queue, 0, 5.0, False), floor.agents[0])
>>> plan.arc in ARCS and plan.disposition in ("resolved", "unresolved", "escalated")
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from streaming.simulator.config import ARCS, SimConfig
from streaming.simulator.floor import Agent, Floor
from streaming.simulator.phrasebook import Issue, Slots, phrasebook
from streaming.simulator.scripts import BUILDERS, CallContext, Talk
from streaming.simulator.timing import Beat, Turn

ORDINALS = ("second", "third", "fourth", "fifth", "sixth")
RETENTION = "retention"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, about what, where the call landed and how long they waited."""

    issue: Issue
    queue: str
    repeat_count: int
    waited_s: float
    chat: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """A call's script: beats before and after an optional transfer, and how it ends.

    ``outcome`` is ``resolved``, ``unresolved``, ``escalated`` or ``rescued`` (an
    escalating call the agent turned round: its disposition is ``resolved``).
    """

    arc: str
    outcome: str
    before: tuple[Beat, ...]
    transfer_to: str | None
    after: tuple[Beat, ...]
    disposition: str
    csat: int | None

    @property
    def turns(self) -> list[Turn]:
        return [b for b in self.before + self.after if isinstance(b, Turn)]


def choose_arc(rng: random.Random, mix: dict[str, float], *, skill: float, repeat_count: int,
               waited_s: float) -> str:  # fmt: skip
    """Draw an arc from ``mix``, tilted by the caller and the agent's skill."""
    difficult = mix["de_escalated"] + mix["escalating"]
    if difficult <= 0:
        return "calm"
    if repeat_count:
        difficult = min(0.9, difficult + 0.25 + 0.1 * (repeat_count - 1))
    if waited_s > 120:
        difficult = min(0.9, difficult + 0.1)
    if mix["calm"] > 0 and rng.random() >= difficult:
        return "calm"
    de_share = mix["de_escalated"] / (mix["de_escalated"] + mix["escalating"])
    if 0 < de_share < 1:
        de_share = min(0.95, max(0.05, de_share + 0.6 * (skill - 0.55)))
    return "de_escalated" if rng.random() < de_share else "escalating"


def choose_outcome(rng: random.Random, arc: str, skill: float) -> str:
    """How the call ends, given its arc (see the module's table)."""
    if arc == "calm":
        return "unresolved" if rng.random() < 0.08 else "resolved"
    if arc == "de_escalated":
        return "unresolved" if rng.random() < 0.16 - 0.08 * skill else "resolved"
    if rng.random() < 0.04 + 0.22 * skill:
        return "rescued"
    return "escalated" if rng.random() < 0.75 else "unresolved"


def choose_csat(rng: random.Random, arc: str, outcome: str, skill: float) -> int:
    """A satisfaction score that follows from the arc and the outcome."""
    if outcome == "rescued":
        return rng.choices((2, 3, 4), (0.3, 0.5, 0.2))[0]
    if arc == "escalating":
        return rng.choices((1, 2), (0.7, 0.3))[0]
    if outcome == "unresolved":
        return rng.choices((2, 3, 4), (0.4, 0.5, 0.1) if arc != "calm" else (0.2, 0.6, 0.2))[0]
    if arc == "de_escalated":
        weights = (0.45 - 0.2 * skill, 0.45 + 0.1 * skill, 0.1 + 0.1 * skill)
        return rng.choices((3, 4, 5), weights)[0]
    return rng.choices((3, 4, 5), (0.05, 0.35, 0.6))[0]


def on_day(day: str) -> str:
    """``day`` as it reads after a verb: "on Monday", "at the weekend", "yesterday"."""
    if day == "the weekend":
        return "at the weekend"
    return f"on {day}" if day[:1].isupper() else day


def call_slots(rng: random.Random, floor: Floor, caller: Caller, agent: Agent,
               to_team: str) -> Slots:  # fmt: skip
    """This call's words: shared and issue vars, and one variant of each issue text."""
    book, issue = phrasebook(), caller.issue
    slots = Slots({k: rng.choice(v) for k, v in book.vars.items()})
    slots.update({k: rng.choice(v) for k, v in issue.vars.items()})
    slots.update({k: rng.choice(v) for k, v in issue.text.items() if k != "detail"})
    slots["on_day"] = on_day(slots.get("day", "recently"))
    a, b = rng.sample(issue.options, 2)
    slots.update(offer_a=a.offer, offer_b=b.offer, done_a=a.done, done_b=b.done,
                 timeframe_a=a.timeframe, timeframe_b=b.timeframe, done=a.done,
                 choice_timeframe=a.timeframe)  # fmt: skip
    count = caller.repeat_count + 1 if caller.repeat_count else rng.choice((2, 2, 3, 4))
    slots.update(company=floor.company, agent=agent.first_name, specialists=issue.specialists,
                 count=ORDINALS[min(count, len(ORDINALS)) - 1],
                 escalation_team=rng.choice(floor.escalation_teams), to_team=to_team)
    return slots


def plan_call(rng: random.Random, config: SimConfig, floor: Floor, caller: Caller,
              agent: Agent) -> Plan:  # fmt: skip
    """The whole conversation of one call, decided when the first agent answers."""
    arc = choose_arc(rng, config.arc_mix, skill=agent.skill, repeat_count=caller.repeat_count,
                     waited_s=caller.waited_s)  # fmt: skip
    outcome = choose_outcome(rng, arc, agent.skill)
    misrouted = caller.queue != caller.issue.queue
    escalate_to = (RETENTION if caller.issue.queue != RETENTION and RETENTION in floor.queues
                   and not misrouted else None)  # fmt: skip
    to_queue = caller.issue.queue if misrouted else (escalate_to or caller.queue)
    slots = call_slots(rng, floor, caller, agent, floor.team_labels.get(to_queue, "a colleague"))
    talk = Talk(rng, phrasebook(), slots, chat=caller.chat,
                details=caller.issue.text.get("detail", ()), steps=caller.issue.steps)
    if misrouted:
        talk.greet()
        talk.customer("opening_calm")
        talk.agent("misroute")
        talk.transfer(caller.issue.queue)
    context = CallContext(queue=caller.issue.queue, skill=agent.skill,
                          repeat_count=caller.repeat_count, waited_s=caller.waited_s,
                          chat=caller.chat, transfer_queue=escalate_to)  # fmt: skip
    BUILDERS[arc](talk, context, outcome)
    split = len(talk.beats) if talk.split is None else talk.split
    csat = choose_csat(rng, arc, outcome, agent.skill) if rng.random() < config.csat_share else None
    return Plan(arc=arc, outcome=outcome, before=tuple(talk.beats[:split]),
                transfer_to=talk.to_queue, after=tuple(talk.beats[split:]),
                disposition="resolved" if outcome == "rescued" else outcome, csat=csat)


__all__ = ["ARCS", "Caller", "Plan", "choose_arc", "choose_outcome", "choose_csat", "plan_call"]
