"""``callheat bench --pages``: how long the wallboard and the trends page take to render.

Measured, never asserted in tests. Each page is the real script run headless by
Streamlit's ``AppTest`` (``dashboard/app.py`` with its navigation, the page's reads,
views, charts and widgets; no browser, so the figures leave out the network and
the browser's drawing):

- **wallboard** with 1,000 live calls in a fresh store, scored by the real scorer
  from the simulator; every run starts with empty data caches, as a refresh does
  once the half-second board cache expired;
- **trends** over 30 days of history, filled once with the history filler
  (``callheat simulate --history-days 30``) under ``<data_dir>/bench/`` and reused;
  runs with empty caches (a manager's first view or a new filter) and a warm rerun.

The data reads are timed alone as well, so a slow page says whether to look at
SQL or at rendering.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from streaming.history import HistoryConfig, fill_history
from streaming.scoring import Scorer
from streaming.settings import Settings
from streaming.simulator import SimConfig, generate
from streaming.store import Store, StoreBatch, open_store
from streaming.store import meta as meta_keys

LIVE_CALLS = 1_000
HISTORY = HistoryConfig(days=30, calls_per_day=1_000, seed=7)
TIMEOUT_S = 120


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def fill_live(store: Store, n: int = LIVE_CALLS, seed: int = 11) -> int:
    """About ``n`` live calls mid-conversation, scored by the real scorer; returns how many."""
    start = datetime.now(UTC) - timedelta(seconds=150)
    config = SimConfig(seed=seed, concurrency=int(n * 1.15), agents=n, start=start)
    scorer, batch = Scorer(), StoreBatch()
    for i, (ts, event) in enumerate(generate(config)):
        scorer.apply(event, batch)
        if i % 2000 == 1999:
            live = sum(s.status == "live" for s in scorer.calls.values())
            if live >= n and ts >= start + timedelta(seconds=60):
                break
    scorer.flush(batch)
    store.apply(batch)
    return len(store.live_calls())


def history_store(data_dir: Path, progress: Callable[[str], None]) -> str:
    """The 30-day history store under ``data_dir/bench``, filled on first use."""
    path = data_dir / "bench" / f"history-{HISTORY.days}d.db"
    url = f"sqlite:///{path}"
    store = open_store(url)
    try:
        meta = json.loads(store.meta(meta_keys.HISTORY) or "{}")
        wanted = {"days": HISTORY.days, "calls_per_day": HISTORY.calls_per_day, "seed": HISTORY.seed}
        if any(meta.get(k) != v for k, v in wanted.items()):
            if meta:
                raise RuntimeError(f"{path} holds other history; remove it to refill")
            progress(f"filling {path} with {HISTORY.days} days of history (once) ...")
            result = fill_history(store, HISTORY, progress=progress)
            progress(result.line())
        else:
            progress(f"reusing {path} ({meta['calls']:,} calls)")
    finally:
        store.close()
    return url


@contextmanager
def _app_env(store_url: str) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("CALLHEAT_")}
    for k in saved:
        del os.environ[k]
    os.environ["CALLHEAT_STORE_URL"] = store_url
    os.environ["CALLHEAT_BOOTSTRAP_SERVERS"] = "127.0.0.1:1"  # no broker needed to render
    try:
        yield
    finally:
        del os.environ["CALLHEAT_STORE_URL"], os.environ["CALLHEAT_BOOTSTRAP_SERVERS"]
        os.environ.update(saved)


def _clear_caches(resources: bool = False) -> None:
    import streamlit as st

    st.cache_data.clear()
    if resources:  # the store is a cached resource: another page's store must not be reused
        st.cache_resource.clear()


def _time_page(page: str | None, params: dict[str, str], runs: int, clear: bool) -> list[float]:
    """Seconds per run of the app script showing ``page`` (None = the default page)."""
    from streamlit.testing.v1 import AppTest

    import dashboard

    _clear_caches(resources=True)
    app = str(Path(dashboard.__file__).parent / "app.py")
    at = AppTest.from_file(app, default_timeout=TIMEOUT_S).run()  # imports, resources
    for key, value in params.items():
        at.query_params[key] = value
    if page is not None:
        at.switch_page(page).run()
    if at.exception:
        raise RuntimeError(f"the page failed: {[e.value for e in at.exception]}")
    times = []
    for _ in range(runs):
        if clear:
            _clear_caches()
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(f"the page failed: {[e.value for e in at.exception]}")
    return times


def _median_of(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_wallboard(workdir: Path, runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    url = f"sqlite:///{workdir / 'live.db'}"
    store = open_store(url)
    live = fill_live(store)
    read = _median_of(lambda: (store.live_calls(), store.queued_calls(), store.last_update()), runs)
    store.close()
    with _app_env(url):
        times = _time_page(None, {}, runs, clear=True)
    out = {"live_calls": live, "read_s": read, "page_s": statistics.median(times), "runs": runs}
    progress(f"  wallboard  {live:>6,} live calls: page {out['page_s'] * 1000:7.0f} ms "
             f"(median of {runs}), store read {read * 1000:5.0f} ms")  # fmt: skip
    return out


def bench_trends(url: str, runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from dashboard import nav, reports

    store = open_store(url)
    span = reports.data_range(store)
    if span is None:
        raise RuntimeError("the history store holds no calls")
    tz = reports.resolve_tz(None)
    last = datetime.fromtimestamp(span[1], tz).date()
    first = last - timedelta(days=HISTORY.days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=tz).timestamp()
    f = reports.Filters(start, datetime(last.year, last.month, last.day, tzinfo=tz).timestamp() + 86_400)
    hot = Settings.model_fields["hot_threshold"].default  # the page's: _app_env sets CALLHEAT_* aside
    loaders = (reports.load_calls, lambda s, f: reports.load_alert_reasons(s, f, hot),
               reports.load_interventions, reports.load_commitments, reports.load_practices,
               reports.load_actions_on)  # fmt: skip
    read = _median_of(lambda: [load(store, f) for load in loaders], runs)
    calls = len(reports.load_calls(store, f))
    store.close()
    params = {"from": first.isoformat(), "to": last.isoformat()}
    with _app_env(url):
        cold = _time_page(nav.TRENDS_PAGE, params, runs, clear=True)
        warm = _time_page(nav.TRENDS_PAGE, params, runs, clear=False)
    out = {"days": HISTORY.days, "calls": calls, "read_s": read, "page_s": statistics.median(cold),
           "warm_page_s": statistics.median(warm), "runs": runs}  # fmt: skip
    progress(f"  trends     {HISTORY.days} days, {calls:,} calls: page {out['page_s'] * 1000:7.0f} ms "
             f"(median of {runs}, empty caches; {out['warm_page_s'] * 1000:.0f} ms cached), "
             f"reads {read * 1000:5.0f} ms")  # fmt: skip
    return out


def run_page_bench(data_dir: Path, runs: int = 5,
                   progress: Callable[[str], None] = print) -> dict[str, Any]:  # fmt: skip
    """Both page benchmarks; the figures as a dict (also printed through ``progress``)."""
    progress(f"machine: {machine()}")
    url = history_store(data_dir, progress)
    with tempfile.TemporaryDirectory(prefix="callheat-bench-pages-") as tmp:
        progress(f"scoring {LIVE_CALLS:,} live calls into a fresh store ...")
        wallboard = bench_wallboard(Path(tmp), runs, progress)
    trends = bench_trends(url, runs, progress)
    return {"machine": machine(), "wallboard": wallboard, "trends": trends}
