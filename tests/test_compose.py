"""docker-compose.yml, as far as it runs without a Docker engine (there is none here):
its settings are CallHeat's, its commands parse, and its topic set-up works on a broker.

The compose file is read as text (its ``command:`` lists are JSON arrays, its settings
``CALLHEAT_NAME: value`` lines), so no YAML library is needed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from kafka import KafkaAdminClient

from streaming.cli import build_parser
from streaming.settings import Settings, unknown_variables

COMPOSE = (Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text()


def _environment() -> dict[str, str]:
    lines = re.finditer(r"^\s+(CALLHEAT_\w+):\s*(.+?)\s*$", COMPOSE, re.M)
    return {m[1]: m[2].strip('"') for m in lines}


def _commands() -> dict[str, list[str]]:
    """Each service's command, by service name."""
    out, service = {}, None
    for line in COMPOSE.splitlines():
        if m := re.match(r"^  (\w[\w-]*):\s*$", line):
            service = m[1]
        elif (m := re.match(r"^\s+command:\s*(\[.*\])\s*$", line)) and service:
            out[service] = json.loads(m[1])
        elif (m := re.match(r"^\s+test:\s*\[\"CMD\",\s*(.*\])\s*$", line)) and service:
            out[f"{service} healthcheck"] = json.loads("[" + m[1])
    return out


def test_its_settings_are_callheats_and_valid():
    env = _environment()
    assert {"CALLHEAT_BOOTSTRAP_SERVERS", "CALLHEAT_STORE_URL", "CALLHEAT_DASHBOARD_HOST"} <= set(env)
    assert unknown_variables(env) == []
    settings = Settings(**{k.removeprefix("CALLHEAT_").lower(): v for k, v in env.items()})
    assert settings.store_url.get_secret_value().startswith("postgresql://")
    assert settings.dashboard_host == "0.0.0.0"


def test_its_callheat_commands_parse():
    commands = _commands()
    assert {"scorer", "wallboard", "simulator", "topics", "scorer healthcheck"} <= set(commands)
    for service, command in commands.items():
        if command[0] == "callheat":
            args = build_parser().parse_args(command[1:])  # a bad flag exits 2 here
            assert args.command == command[1], service
    assert commands["scorer healthcheck"] == ["callheat", "status"]  # exit 0 while the scorer writes


def test_the_brokers_log_is_on_its_volume():
    # the apache/kafka image writes to /tmp/kraft-combined-logs unless KAFKA_LOG_DIRS says
    # otherwise: a volume elsewhere stays empty and a recreated broker loses every event
    log_dirs = re.search(r"^\s+KAFKA_LOG_DIRS:\s*(\S+)\s*$", COMPOSE, re.M)
    volume = re.search(r"^\s+- kafka-data:(\S+)\s*$", COMPOSE, re.M)
    assert log_dirs and volume and log_dirs[1] == volume[1]


def test_its_topic_set_up_creates_callheats_topics(broker):
    command = _commands()["topics"]
    assert command[:2] == ["python", "-c"]
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    env = {**os.environ, "CALLHEAT_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "CALLHEAT_TOPIC_PREFIX": prefix}  # fmt: skip
    done = subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    topics = Settings(topic_prefix=prefix).topics
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        assert set(topics.all()) <= set(admin.list_topics())
        [training] = admin.describe_topics([topics.training_examples])
        [events] = admin.describe_topics([topics.call_events])
    finally:
        admin.close()
    assert len(training["partitions"]) == 1  # one order for every replica to learn in
    assert len(events["partitions"]) == Settings().partitions
