"""``callheat bench``: how fast the scorer is, measured, never asserted in tests.

Stages, each on the same simulated events (so runs are comparable):

- ``score``: the :class:`~streaming.scoring.Scorer` alone (models, state, reasons);
- ``score+store``: plus one store transaction per batch, as the live loop does;
- ``end-to-end`` (``--broker``): publish to a fresh embedded broker, then the real
  :class:`~streaming.consumer.ScorerService` consumes, scores, writes, publishes
  ``call-scores`` and commits, until every event is done;
- ``latency@300/s`` (``--broker``): 3,000 events sent at a live rate while the
  service consumes; per event, the time from its send to the store commit.

Each stage that writes a store gets a new one: a SQLite file in a temporary folder, or,
with ``--store-url postgresql://...``, a schema of its own in that database, dropped
afterwards (nothing of the database's own is read or written).
"""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import SecretStr

from streaming.errors import ConfigError, UsageError
from streaming.events import CallEvent, encode, event_to_dict
from streaming.scoring import Scorer
from streaming.settings import Settings
from streaming.simulator import SimConfig, generate
from streaming.store import StoreBatch, open_store, redacted
from streaming.store.open import scrubbed


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: str
    events: int
    seconds: float
    events_per_s: float
    batch_p50_ms: float | None = None
    batch_p99_ms: float | None = None


def simulated_events(n: int, seed: int = 7, concurrency: int = 200) -> list[CallEvent]:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    out = []
    for _, event in generate(SimConfig(seed=seed, concurrency=concurrency, start=start)):
        out.append(event)
        if len(out) >= n:
            break
    return out


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def bench_score(events: list[CallEvent]) -> StageResult:
    scorer = Scorer()
    t0 = time.perf_counter()
    batch = StoreBatch()
    for i, e in enumerate(events):
        scorer.apply(e, batch)
        if i % 2000 == 1999:
            scorer.flush(batch)
            batch = StoreBatch()
    dt = time.perf_counter() - t0
    return StageResult("score", len(events), dt, len(events) / dt)


@contextmanager
def _stage_store(workdir: Path, name: str, database: str | None) -> Iterator[str]:
    """A new, empty store's URL for one stage: a SQLite file in ``workdir``, or a new schema in
    the PostgreSQL ``database`` (``database`` URL + ``search_path``), dropped afterwards."""
    if database is None:
        yield f"sqlite:///{workdir / f'{name}.db'}"
        return
    import psycopg

    from streaming.store.postgres import first_line

    schema = f"callheat_bench_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(database)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} -c search_path={schema}".strip()
    url = urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
    try:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as exc:
        raise ConfigError(f"cannot make a schema for the benchmark in {redacted(database)}: "
                          f"{first_line(exc, database)}") from exc  # fmt: skip
    try:
        yield url
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def bench_score_store(events: list[CallEvent], batch_size: int, store_url: str) -> StageResult:
    scorer = Scorer()
    store = open_store(store_url)
    latencies = []
    t0 = time.perf_counter()
    for start in range(0, len(events), batch_size):
        b0 = time.perf_counter()
        batch = StoreBatch()
        for e in events[start : start + batch_size]:
            scorer.apply(e, batch)
        scorer.flush(batch)
        store.apply(batch)
        latencies.append((time.perf_counter() - b0) * 1000)
    dt = time.perf_counter() - t0
    store.close()
    return StageResult("score+store", len(events), dt, len(events) / dt,
                       _percentile(latencies, 50), _percentile(latencies, 99))  # fmt: skip


@contextmanager
def _fresh_broker(workdir: Path, name: str, database: str | None, **overrides: Any) -> Iterator[Settings]:
    """Settings on a new embedded broker with its topics, a store and a group of their own."""
    from streaming.broker import EmbeddedBroker, create_callheat_topics, free_port

    with (EmbeddedBroker(port=free_port(), log_path=workdir / f"broker-{name}.log") as broker,
          _stage_store(workdir, name, database) as store_url):  # fmt: skip
        prefix = f"{name}{uuid.uuid4().hex[:6]}-"
        settings = Settings(bootstrap_servers=broker.bootstrap_servers, topic_prefix=prefix,
                            group_id=f"{prefix}scorer", data_dir=workdir,
                            store_url=SecretStr(store_url),
                            max_poll_interval_ms=3000, **overrides)  # fmt: skip
        create_callheat_topics(settings.bootstrap_servers, settings.topics, settings.partitions)
        yield settings


def bench_end_to_end(events: list[CallEvent], workdir: Path, batch_size: int,
                     database: str | None = None) -> StageResult:  # fmt: skip
    from streaming.consumer import ScorerService
    from streaming.kafka_io import make_producer

    with _fresh_broker(workdir, "e2e", database, batch_max_records=batch_size) as settings:
        producer = make_producer(settings, linger_ms=20, batch_size=256 * 1024)
        for e in events:
            producer.send(settings.topics.call_events, key=e.call_id.encode(),
                          value=encode(event_to_dict(e)))  # fmt: skip
        producer.flush()
        producer.close()
        store = open_store(settings.store_url)
        service = ScorerService(settings, store)
        t0: float | None = None
        done = 0
        try:
            while done < len(events):
                records = service.consumer.poll(timeout_ms=200, max_records=batch_size)
                if not records:
                    continue
                t0 = t0 or time.perf_counter()
                stats = service.process(records)
                service.producer.flush()
                service.consumer.commit()
                done += stats.events + stats.duplicates + stats.dlq
        finally:
            service.close()
            store.close()
        dt = time.perf_counter() - (t0 or time.perf_counter())
    return StageResult("end-to-end", done, dt, done / dt if dt else 0.0)


def bench_latency(events: list[CallEvent], workdir: Path, rate: float,
                  database: str | None = None) -> StageResult:  # fmt: skip
    """Event-to-store latency at a live rate: sent at ``rate``/s, timed until written.

    Consumption runs alongside the paced producer, as in production; each event's
    latency is from its send to the commit of the store transaction holding it.
    """
    from streaming.consumer import ScorerService
    from streaming.kafka_io import make_producer

    with _fresh_broker(workdir, "latency", database, poll_timeout_ms=50) as settings:
        store = open_store(settings.store_url)
        service = ScorerService(settings, store)
        while not service.consumer.assignment():  # join the group before the clock starts
            service.consumer.poll(timeout_ms=100)
        sent_at: dict[tuple[str, int | None], float] = {}
        latencies: list[float] = []

        def produce() -> None:
            producer = make_producer(settings, linger_ms=0)
            t0 = time.perf_counter()
            for i, e in enumerate(events):
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent_at[(e.call_id, e.seq)] = time.perf_counter()
                producer.send(settings.topics.call_events, key=e.call_id.encode(),
                              value=encode(event_to_dict(e)))  # fmt: skip
            producer.flush()
            producer.close()

        sender = threading.Thread(target=produce, daemon=True)
        t0 = time.perf_counter()
        sender.start()
        deadline = time.monotonic() + len(events) / rate + 60
        try:
            while len(latencies) < len(events) and time.monotonic() < deadline:
                records = service.consumer.poll(timeout_ms=50)
                if not records:
                    continue
                service.process(records)
                written = time.perf_counter()
                for messages in records.values():
                    for m in messages:
                        obj = json.loads(m.value)
                        latencies.append(written - sent_at[(obj["call_id"], obj.get("seq"))])
                service.producer.flush()
                service.consumer.commit()
        finally:
            sender.join()
            service.close()
            store.close()
        dt = time.perf_counter() - t0
    latencies_ms = [x * 1000 for x in latencies]
    return StageResult(f"latency@{rate:g}/s", len(latencies), dt, len(latencies) / dt,
                       _percentile(latencies_ms, 50), _percentile(latencies_ms, 99))  # fmt: skip


def _check_url(database: str) -> None:
    """UsageError in one line, without the password, unless ``database`` parses as a URL (as
    :func:`_stage_store` splits it) and as libpq's conninfo."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    from streaming.store.postgres import first_line

    try:
        urlsplit(database)
        conninfo_to_dict(database)
    except ValueError as exc:
        problem = scrubbed(str(exc), database)
    except psycopg.Error as exc:
        problem = first_line(exc, database)
    else:
        return
    raise UsageError(f"bench --store-url {redacted(database)!r} is not a valid URL: {problem}")


def run_bench(n_events: int, batch_size: int, broker: bool, database: str | None = None,
              progress: Callable[[str], None] = print) -> dict[str, Any]:  # fmt: skip
    """The stages' figures; the stores are new SQLite files, or new schemas in the PostgreSQL
    ``database`` (a ``postgresql://`` URL)."""
    if database is not None and not database.startswith(("postgresql://", "postgres://")):
        raise UsageError("bench --store-url takes a postgresql:// URL (SQLite stages use new files)")
    if database is not None:
        _check_url(database)
    progress(f"generating {n_events} simulated events ...")
    events = simulated_events(n_events)
    results = []
    with tempfile.TemporaryDirectory(prefix="callheat-bench-") as tmp:
        workdir = Path(tmp)
        results.append(bench_score(events))
        progress(_line(results[-1]))
        with _stage_store(workdir, "store", database) as url:
            results.append(bench_score_store(events, batch_size, url))
        progress(_line(results[-1]))
        if broker:
            results.append(bench_end_to_end(events, workdir, batch_size, database))
            progress(_line(results[-1]))
            live = events[: min(len(events), 3_000)]
            results.append(bench_latency(live, workdir, rate=300.0, database=database))
            progress(_line(results[-1]))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"events": len(events), "batch_size": batch_size, "peak_rss_mb": round(peak_mb, 1),
            "store": "postgresql" if database else "sqlite",  # the stages' store engine
            "stages": [asdict(r) for r in results]}  # fmt: skip


def _line(r: StageResult) -> str:
    extra = ""
    if r.batch_p50_ms is not None:
        what = "event to store" if r.stage.startswith("latency") else "batch"
        extra = f"  {what} p50 {r.batch_p50_ms:.1f} ms, p99 {r.batch_p99_ms:.1f} ms"
    return f"  {r.stage:<12} {r.events:>8} events in {r.seconds:6.2f} s = {r.events_per_s:>8,.0f}/s{extra}"
