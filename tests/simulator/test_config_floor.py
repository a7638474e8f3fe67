"""SimConfig validation, the floor, the data files and the modules' examples."""

from __future__ import annotations

import doctest
import importlib
from datetime import datetime

import pytest

from streaming.errors import ConfigError
from streaming.simulator import SimConfig
from streaming.simulator.floor import build_floor
from streaming.simulator.phrasebook import floor_data, issues, phrasebook


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"calls": -1}, "calls must be 0"),
    ({"concurrency": 0}, "concurrency must be 1"),
    ({"speed": 0}, "speed must be greater than 0"),
    ({"speed": float("inf")}, "speed must be greater than 0"),
    ({"agents": 0}, "agents must be 1"),
    ({"chat_share": 1.5}, "chat_share must be between 0 and 1"),
    ({"calm_share": 0, "de_escalated_share": 0, "escalating_share": 0}, "at least one"),
    ({"start": datetime(2026, 1, 1)}, "timezone-aware"),
    ({"patience_s": 0}, "patience_s"),
])  # fmt: skip
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        SimConfig(**kwargs)


def test_defaults_put_fewer_agents_than_calls_on_the_floor():
    config = SimConfig()
    assert (config.seed, config.calls, config.concurrency, config.speed) == (7, 0, 30, 1.0)
    assert 20 <= config.n_agents < config.concurrency
    assert SimConfig(agents=40).n_agents == 40
    assert sum(config.arc_mix.values()) == pytest.approx(1.0)


def test_the_floor_has_named_agents_in_teams_covering_every_queue():
    floor = build_floor(25)
    names = [a.name for a in floor.agents]
    assert len(set(names)) == 25 and all(" " in n for n in names)
    assert len({a.agent_id for a in floor.agents}) == 25
    teams = {a.team for a in floor.agents}
    assert len(teams) == 3
    assert all(sum(a.team == t for a in floor.agents) in (8, 9) for t in teams)
    assert {q for a in floor.agents for q in a.queues} == set(floor.queues)
    skills = [a.skill for a in floor.agents]
    assert min(skills) < 0.4 and max(skills) > 0.7


@pytest.mark.parametrize("n", [1, 2, 200])
def test_any_floor_size_answers_every_queue(n):
    floor = build_floor(n)
    assert len({a.name for a in floor.agents}) == n
    assert {q for a in floor.agents for q in a.queues} == set(floor.queues)


def test_the_floor_is_the_same_whatever_the_seed():
    assert build_floor(25, seed=1) == build_floor(25, seed=1)
    assert build_floor(25, seed=1) != build_floor(25, seed=2)


def test_data_files_load_as_package_resources():
    book, data = phrasebook(), floor_data()
    assert len(issues()) >= 10 and {i.queue for i in issues()} == set(data.queue_shares)
    assert all(len(i.options) >= 2 and i.text["detail"] for i in issues())
    assert all(len(v) >= 2 for k, v in book.agent.items() if k != "retention_save")
    assert all(len(v) >= 3 for v in book.customer.values())
    assert len(data.first_names) >= 50 and len(data.last_names) >= 50


@pytest.mark.parametrize("name", ["phrasebook", "config", "floor", "timing", "arcs", "acd"])
def test_module_examples_run(name):
    module = importlib.import_module(f"streaming.simulator.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
