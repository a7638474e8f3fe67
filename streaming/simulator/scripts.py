"""What is said in a call: the beats of the three arcs, drawn from ``phrases.json``.

- **calm**: greeting, the issue, checks, the agent fixes it, thanks.
- **de-escalated**: a frustrated customer vents; the agent lets them, shows empathy,
  reflects the issue back, takes ownership, offers options, gives a timeframe and
  recaps; the customer comes round.
- **escalating**: tension builds over several turns (a repeat contact, curt or jargon
  answers, long venting, the agent talking over the customer, holds) before the
  customer asks for a manager or threatens to cancel, sometimes with abuse or legal
  and social-media threats; a transfer, an escalation or a hang-up follows, or a
  good agent rescues the call late.

Each builder appends :class:`~streaming.simulator.timing.Turn` and ``Hold`` beats to
a :class:`Talk`; ``Talk.transfer`` marks where the call changes hands.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from streaming.simulator.phrasebook import Phrasebook, Slots, fill
from streaming.simulator.timing import Beat, Hold, Turn

FILLER_RATE = 0.12
NO_FILLER = ("Oh", "Okay", "Yes", "No", "Hi", "Hello", "Well", "So", "Fine", "Right", "Um", "Uh")


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a conversation depends on besides chance."""

    queue: str  # the queue the issue belongs to
    skill: float  # the first agent's de-escalation skill, 0..1
    repeat_count: int  # earlier calls about this issue during the run
    waited_s: float
    chat: bool
    transfer_queue: str | None  # where an escalating call may be transferred to


class Talk:
    """Builds a call's beats from phrase steps, with this call's slots."""

    def __init__(self, rng: random.Random, book: Phrasebook, slots: Slots, *, chat: bool,
                 details: tuple[str, ...] = (),
                 steps: tuple[tuple[str, str], ...] = ()) -> None:  # fmt: skip
        self.rng, self.book, self.slots, self.chat = rng, book, slots, chat
        self.details, self.steps = details, steps
        self.used: set[str] = set()
        self.beats: list[Beat] = []
        self.split: int | None = None
        self.to_queue: str | None = None

    def text(self, speaker: str, *steps: str) -> str:
        """One variant of each step (not yet used in this call if possible), filled and joined."""
        return " ".join(fill(self.pick(speaker, s), self.slots) for s in steps)

    def pick(self, speaker: str, step: str) -> str:
        template = self.book.pick(self.rng, speaker, step)
        if template in self.used:
            table = self.book.agent if speaker == "agent" else self.book.customer
            fresh = [v for v in table[step] if v not in self.used]
            template = self.rng.choice(fresh) if fresh else template
        self.used.add(template)
        return template

    def raw(self, key: str) -> str:
        return fill(self.slots[key], self.slots)

    def say(self, speaker: str, text: str, *, gap: str = "normal", overlap: bool = False,
            pace: float = 1.0) -> None:
        if (speaker == "customer" and not self.chat and self.rng.random() < FILLER_RATE
                and not text.startswith(NO_FILLER)):
            lead = self.rng.choice(self.book.fillers)
            keep = text.startswith(("I ", "I'")) or text[:1].isdigit() or text[:2].isupper()
            text = lead + (text if keep else text[:1].lower() + text[1:])
        self.beats.append(Turn(speaker, text, gap=gap, overlap=overlap, pace=pace))

    def agent(self, *steps: str, gap: str = "normal", overlap: bool = False,
              pace: float = 1.0) -> None:
        self.say("agent", self.text("agent", *steps), gap=gap, overlap=overlap, pace=pace)

    def customer(self, *steps: str, gap: str = "normal", overlap: bool = False,
                 pace: float = 1.0) -> None:
        self.say("customer", self.text("customer", *steps), gap=gap, overlap=overlap, pace=pace)

    def hold(self, low_s: float, high_s: float) -> None:
        self.beats.append(Hold(round(self.rng.uniform(low_s, high_s), 1)))

    def transfer(self, to_queue: str) -> None:
        """The call changes hands here (at most once)."""
        if self.split is None:
            self.split, self.to_queue = len(self.beats), to_queue

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def greet(self) -> None:
        if self.split is not None:
            self.agent("after_transfer", gap="quick")
        else:
            self.agent("greeting_chat" if self.chat else "greeting", gap="quick")

    def vent(self, sentences: int, pace: float = 1.12) -> None:
        """A long, negative customer turn: the issue's details and general venting."""
        details = [d for d in self.details if d not in self.used] or list(self.details)
        picked = self.rng.sample(details, min(len(details), max(1, sentences // 2)))
        vents = [v for v in self.book.customer["vent"] if v not in self.used]
        general = self.rng.sample(vents, min(len(vents), sentences - len(picked)))
        self.used.update(picked + general)
        parts = [fill(p, self.slots) for p in picked + general]
        self.rng.shuffle(parts)
        self.say("customer", " ".join(parts), pace=pace, gap="quick")


def calm(t: Talk, c: CallContext, outcome: str) -> None:
    """Greeting, issue, checks, fix (or a promised callback), thanks."""
    t.greet()
    t.customer("opening_calm")
    t.agent("acknowledge", "verify_ask")
    t.customer("verify_give")
    if t.chance(0.6):
        t.agent("verify_more")
        t.customer("verify_more_give")
    t.agent("verify_thanks", "plan")
    if not c.chat and t.chance(0.3):
        t.agent("small_talk", gap="lookup")
        t.customer("small_talk_reply")
    t.say("agent", t.raw("found"), gap="lookup")
    for agent_line, customer_line in t.rng.sample(t.steps, min(len(t.steps), t.rng.randint(1, 2))):
        t.say("agent", fill(agent_line, t.slots))
        t.say("customer", fill(customer_line, t.slots), gap="lookup")
    if t.chance(0.35):
        t.agent("hold_ask")
        t.hold(25, 75)
        t.agent("hold_back")
    if outcome == "unresolved":
        t.agent("cant_fix", "callback", gap="lookup")
        t.customer("unresolved_ok")
        t.agent("account_note")
        t.agent("close", gap="quick")
        return
    t.agent("fix_lead", gap="lookup")
    if t.chance(0.5):
        t.customer("when")
        t.say("agent", t.raw("timeframe"))
    else:
        t.say("agent", t.raw("timeframe"), gap="quick")
    t.customer("ok_thanks")
    if t.chance(0.6):
        t.agent("account_note")
    if t.chance(0.4):
        t.agent("confirm_contact")
        t.customer("confirm_contact_yes")
    t.agent("anything_else", overlap=t.chance(0.08))
    t.customer("nothing_else")
    t.agent(*(("survey", "close") if t.chance(0.4) else ("close",)), gap="quick")


def de_escalated(t: Talk, c: CallContext, outcome: str) -> None:
    """A frustrated customer; empathy, reflection, ownership, options, timeframe, recap."""
    t.greet()
    if c.waited_s > 90 and t.chance(0.7):
        t.customer("long_wait", "opening_frustrated")
    else:
        t.customer("opening_frustrated")
    if c.repeat_count and t.chance(0.6):
        t.customer("repeat", gap="quick")
    t.vent(t.rng.randint(2, 4))
    if t.chance(0.5):
        t.agent("empathy")
        t.customer("soften")
        t.agent("reflect")
    else:
        t.agent("empathy", "reflect")
    t.customer("confirm")
    t.agent("verify_ask")
    t.customer("verify_give")
    t.agent("verify_thanks", "ownership")
    if t.steps and t.chance(0.6):
        agent_line, customer_line = t.rng.choice(t.steps)
        t.say("agent", fill(agent_line, t.slots), gap="lookup")
        t.say("customer", fill(customer_line, t.slots), gap="lookup")
    if t.chance(0.35):
        t.agent("hold_ask")
        t.hold(20, 75)
        t.agent("hold_back")
    t.say("agent", t.raw("found"), gap="lookup")
    if outcome == "unresolved":
        t.agent("cant_fix", "callback")
        t.customer("unhappy_wait")
        t.agent("unresolved_close", "close")
        return
    retention = "retention_save" if c.queue == "retention" else None
    t.agent(*(s for s in (retention, "options") if s))
    first = t.chance(0.5)
    t.customer("choose_a" if first else "choose_b")
    t.slots["done"] = t.slots["done_a" if first else "done_b"]
    t.slots["choice_timeframe"] = t.slots["timeframe_a" if first else "timeframe_b"]
    if t.chance(0.4):
        t.agent("setting_up", gap="lookup")
        t.customer("when")
        t.agent("choice_confirm")
    else:
        t.agent("choice_confirm", gap="lookup")
    if t.chance(0.3):
        t.agent("callback", gap="quick")
    t.customer("accept")
    t.agent("recap")
    t.customer("thanks_warm")
    if t.chance(0.4):
        t.agent("confirm_contact")
        t.customer("confirm_contact_yes")
    t.agent("anything_else")
    t.customer("nothing_else")
    t.agent("close", gap="quick")


def _heat(t: Talk, c: CallContext, curt: bool, stress: float) -> None:
    """Several turns of building tension before the first escalation phrase."""
    if c.waited_s > 90 and t.chance(0.6):
        t.customer("long_wait", "opening_tense")
    else:
        t.customer("opening_tense")
    t.agent("verify_ask_curt" if curt else "verify_ask")
    t.customer("verify_give_irritated")
    repeat = c.repeat_count > 0 or t.chance(0.55)
    jargon = t.chance(0.85 - 0.6 * c.skill)
    t.say("agent", t.raw("jargon" if jargon else "found"), gap="lookup")
    t.customer(*(("confused" if jargon else "frustrated"),) + (("repeat",) if repeat else ()))
    if t.steps and t.chance(0.5):
        t.say("agent", fill(t.rng.choice(t.steps)[0], t.slots), pace=stress)
        t.customer("already_tried", gap="quick", pace=1.1)
    held = False
    for i in range(t.rng.choice((0, 1, 1, 1, 2, 2, 3))):
        t.agent("curt" if curt else "scripted", pace=stress)
        t.vent(t.rng.randint(3, 5) if i == 0 else t.rng.randint(2, 3))
        if t.chance(0.85 - 0.5 * c.skill):
            t.agent("interrupt", overlap=True, pace=stress)
            t.customer("frustrated", gap="quick", pace=1.1)
        if not held and t.chance(0.4):
            held = True
            t.agent("hold_ask_curt" if curt else "hold_ask", pace=stress)
            t.hold(20, 90)
            t.agent("hold_back_curt" if curt else "hold_back", "scripted")
            t.customer("frustrated")
        elif t.chance(0.35 * (1 - c.skill)):
            t.agent("scripted", gap="dead_air")
            t.customer("frustrated")


def _rescue(t: Talk) -> None:
    t.agent("rescue")
    t.customer("grudging_accept")
    t.agent("reflect")
    t.customer("confirm")
    t.agent("options")
    first = t.chance(0.5)
    t.customer("choose_a" if first else "choose_b")
    t.slots["done"] = t.slots["done_a" if first else "done_b"]
    t.slots["choice_timeframe"] = t.slots["timeframe_a" if first else "timeframe_b"]
    t.agent("choice_confirm", gap="lookup")
    t.agent("recap", gap="quick")
    t.customer("grudging_thanks")
    t.agent("close", gap="quick")


def escalating(t: Talk, c: CallContext, outcome: str) -> None:
    """Tension builds, then manager requests / cancel threats; escalated, hang-up or rescue."""
    curt = t.chance(1.0 - c.skill)
    stress = 1.0 + 0.35 * (1.0 - c.skill)
    t.greet()
    _heat(t, c, curt, stress)
    threats = ["manager", "cancel"] if t.chance(0.7) else ["cancel", "manager"]
    if t.chance(0.15):
        threats = threats[:1]
    t.customer(threats[0], pace=1.1)
    if outcome == "rescued":
        _rescue(t)
        return
    if threats[0] == "manager" and t.chance(0.3):
        t.agent("manager_check", pace=stress)
        t.hold(30, 90)
    if c.transfer_queue and threats[0] == "manager" and t.chance(0.5):
        t.agent("transfer_line", pace=stress)
        t.transfer(c.transfer_queue)
        t.greet()
        t.customer("already_explained")
    elif threats[0] == "manager":
        t.agent("manager_deflect", pace=stress)
    else:
        t.agent("curt" if curt else "scripted", pace=stress)
    for threat in threats[1:]:
        t.customer(threat, pace=1.1)
    if t.chance(0.35):
        t.customer("abuse", gap="quick", pace=1.15)
        t.agent("boundary")
    if t.chance(0.3):
        t.customer("legal", pace=1.1)
    if outcome == "unresolved":
        t.customer("hang_up", gap="quick")
        return
    t.agent("escalate_out")
    t.customer("doubt")
    t.agent("close_tense", gap="quick")


BUILDERS = {"calm": calm, "de_escalated": de_escalated, "escalating": escalating}
