"""Arcs: the mix, how agents and callers tilt it, outcomes that follow, and what is said."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import replace
from statistics import mean

import pytest

from streaming.simulator import SimConfig
from streaming.simulator.arcs import ARCS, Caller, Plan, plan_call
from streaming.simulator.floor import Agent, build_floor
from streaming.simulator.phrasebook import issues
from streaming.simulator.timing import Hold, Turn

FLOOR = build_floor(25)
EMPATHY = re.compile(r"understand|sorry|frustrating|stressful", re.I)
REFLECT = re.compile(r"what you're saying|make sure I understand|make sure I've got it", re.I)
OPTIONS = re.compile(r"can either|two options|would you prefer", re.I)
BAD_DAY = re.compile(r"\bon (yesterday|this morning|last \w+|the weekend)\b")
HOT = re.compile(r"manager|supervisor|senior|in charge|cancel|close my account|elsewhere|leaving",
                 re.I)  # fmt: skip


def _plans(n: int, config: SimConfig | None = None, *, skill: float | None = None,
           repeat_count: int = 0, waited_s: float = 20.0, seed: int = 0) -> list[Plan]:  # fmt: skip
    config = config or SimConfig()
    out = []
    for i in range(n):
        rng = random.Random(seed * 100_000 + i)
        issue = rng.choice(issues())
        agent = FLOOR.agents[i % len(FLOOR.agents)]
        if skill is not None:
            agent = replace(agent, skill=skill)
        out.append(plan_call(rng, config, FLOOR, Caller(issue, issue.queue, repeat_count,
                                                        waited_s, i % 10 == 0), agent))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def plans() -> list[Plan]:
    return _plans(3000)


def test_default_mix_is_about_55_25_20(plans):
    share = Counter(p.arc for p in plans)
    assert share["calm"] / len(plans) == pytest.approx(0.55, abs=0.04)
    assert share["de_escalated"] / len(plans) == pytest.approx(0.25, abs=0.04)
    assert share["escalating"] / len(plans) == pytest.approx(0.20, abs=0.04)


@pytest.mark.parametrize("arc", ARCS)
def test_the_mix_is_tunable(arc):
    shares = {f"{a}_share": float(a == arc) for a in ARCS}
    assert {p.arc for p in _plans(200, SimConfig(**shares))} == {arc}


def test_skilled_agents_de_escalate_more_and_rescue_more():
    def rates(skill: float) -> tuple[float, float]:
        plans = _plans(2000, skill=skill)
        arcs = Counter(p.arc for p in plans)
        rescued = sum(p.outcome == "rescued" for p in plans) / arcs["escalating"]
        return arcs["de_escalated"] / (arcs["de_escalated"] + arcs["escalating"]), rescued

    (good_de, good_rescue), (poor_de, poor_rescue) = rates(0.9), rates(0.2)
    assert good_de > poor_de + 0.25
    assert good_rescue > poor_rescue + 0.1


def test_repeat_callers_and_long_waits_are_more_often_difficult():
    def calm_share(plans: list[Plan]) -> float:
        return sum(p.arc == "calm" for p in plans) / len(plans)

    first = calm_share(_plans(1500))
    assert calm_share(_plans(1500, repeat_count=2)) < first - 0.2
    assert calm_share(_plans(1500, waited_s=300)) < first - 0.05


def test_outcomes_follow_the_arc(plans):
    by_arc = {arc: [p for p in plans if p.arc == arc] for arc in ARCS}
    disp = {arc: Counter(p.disposition for p in ps) for arc, ps in by_arc.items()}
    n = {arc: len(ps) for arc, ps in by_arc.items()}
    assert 0.85 < disp["calm"]["resolved"] / n["calm"] < 0.98  # a few unresolved: noise
    assert 0.8 < disp["de_escalated"]["resolved"] / n["de_escalated"] < 0.97
    assert disp["calm"]["escalated"] == disp["de_escalated"]["escalated"] == 0
    assert 0.5 < disp["escalating"]["escalated"] / n["escalating"] < 0.8
    rescued = sum(p.outcome == "rescued" for p in by_arc["escalating"]) / n["escalating"]
    assert 0.05 < rescued < 0.3
    csat = {arc: mean(p.csat for p in ps if p.csat) for arc, ps in by_arc.items()}
    assert csat["calm"] > 4.2 and 3 < csat["de_escalated"] < 4.2 and csat["escalating"] < 2.2
    assert all(p.csat is None or 1 <= p.csat <= 5 for p in plans)
    assert 0.6 < sum(p.csat is not None for p in plans) / len(plans) < 0.8


def _turns(plan: Plan, speaker: str) -> list[str]:
    return [t.text for t in plan.turns if t.speaker == speaker]


def test_de_escalated_calls_use_the_playbook(plans):
    for plan in (p for p in plans if p.arc == "de_escalated"):
        agent = " ".join(_turns(plan, "agent"))
        assert EMPATHY.search(agent) and REFLECT.search(agent)
        if plan.disposition == "resolved":
            assert OPTIONS.search(agent) and re.search(r"recap|summarise|what happens next", agent)
            assert not any(HOT.search(t) for t in _turns(plan, "customer"))


def test_escalating_calls_build_up_before_the_manager_request_or_cancel_threat(plans):
    escalating = [p for p in plans if p.arc == "escalating"]
    firsts = []
    for plan in escalating:
        customer = _turns(plan, "customer")
        first = next(i for i, t in enumerate(customer) if HOT.search(t))
        assert first >= 3  # opening, account, a frustrated turn first
        firsts.append(first)
    assert mean(firsts) > 4
    talk_over = sum(any(t.overlap for t in p.turns) for p in escalating)
    assert talk_over > 0.4 * len(escalating)
    assert sum(any(isinstance(b, Hold) for b in p.before + p.after) for p in escalating) > 0.3 * \
        len(escalating)
    assert sum(p.transfer_to is not None for p in escalating) > 0.1 * len(escalating)


def test_calm_calls_stay_calm(plans):
    for plan in (p for p in plans if p.arc == "calm"):
        assert not any(HOT.search(t) for t in _turns(plan, "customer"))
        assert not any(t.overlap and t.speaker == "customer" for t in plan.turns)


def test_transfers_go_to_the_right_queue_and_the_call_continues():
    tech = next(i for i in issues() if i.queue == "tech_support")
    agent = FLOOR.agents[0]
    for i in range(200):
        misrouted = plan_call(random.Random(i), SimConfig(), FLOOR,
                              Caller(tech, "billing", 0, 10.0, False), agent)  # fmt: skip
        assert misrouted.transfer_to == "tech_support"
        assert isinstance(misrouted.after[0], Turn) and misrouted.after[0].speaker == "agent"
    for plan in _plans(600, SimConfig(calm_share=0, de_escalated_share=0)):
        assert plan.transfer_to in (None, "retention")
        assert bool(plan.after) == (plan.transfer_to is not None)


def test_every_template_fills_for_every_issue():
    for k, issue in enumerate(issues()):
        for i in range(60):
            rng = random.Random(k * 1000 + i)
            agent = Agent(0, "ag-1", "Test Agent", "Team", (issue.queue,), rng.random(), 150.0)
            plan = plan_call(rng, SimConfig(), FLOOR, Caller(issue, issue.queue, i % 3, 100.0,
                                                             i % 4 == 0), agent)  # fmt: skip
            for turn in plan.turns:
                assert turn.text.strip() and "{" not in turn.text and "}" not in turn.text
                assert not BAD_DAY.search(turn.text)
