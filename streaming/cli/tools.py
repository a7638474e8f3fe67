"""The commands that run once and end: ``simulate``, ``record``, ``replay`` (events to and
from Kafka), ``evaluate``, ``train``, ``backtest`` (labelled and recorded data through the
scorer), ``prune`` (the store's retention), ``status`` (is the scorer writing?) and
``bench``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from streaming.children import stop_on_signals
from streaming.cli.argtypes import DEFAULT_BENCH_RUNS, either, given
from streaming.cli.preflight import open_existing_store, warn_of_the_old_default_group
from streaming.errors import CallHeatError, ConfigError, StoreError, UsageError
from streaming.settings import Settings

log = logging.getLogger("callheat")

HISTORY_OPTIONS = ("--calls-per-day", "--store-url")  # simulate's options for --history-days alone


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.simulator import SimConfig, publish

    # an option the mode at hand does not read is refused, not ignored (bench --runs likewise)
    live = [o for o in given(args) if o not in HISTORY_OPTIONS]
    if args.history_days is not None and live:
        raise UsageError(f"simulate --history-days writes past calls straight into the store, without "
                         f"Kafka: it takes no {either(live)}"
                         + (" (--calls-per-day sets how many)" if "--calls" in live else ""))  # fmt: skip
    history = [o for o in given(args) if o in HISTORY_OPTIONS]
    if args.history_days is None and history:
        raise UsageError(f"simulate {either(history, 'and')} {'is' if len(history) == 1 else 'are'} for "
                         "--history-days (past calls written into the store)")  # fmt: skip
    if args.history_days is not None:
        from streaming import center_files
        from streaming.history import HistoryConfig, run_history

        # the floor's opening hours on the center's clock once one is set, else on this server's
        tz = settings.center_tz if "center_timezone" in settings.model_fields_set else None
        files = center_files.load(settings)  # before the store is opened
        cfg = HistoryConfig(days=args.history_days, calls_per_day=args.calls_per_day, seed=args.seed,
                            tz=tz)  # fmt: skip
        result = run_history(settings.store_url, cfg, hot_threshold=settings.hot_threshold,
                             warm_threshold=settings.warm_threshold, center=settings.center_clock,
                             phrases=files.phrases, playbook=files.playbook)  # fmt: skip
        print(result.line(), flush=True)
        return 0
    stop = stop_on_signals()
    config = SimConfig(seed=args.seed, calls=args.calls, concurrency=args.concurrency,
                       speed=args.speed)  # fmt: skip
    log.info("simulating %s calls (concurrency %d, speed x%g, seed %d) to %s",
             args.calls or "endless", args.concurrency, args.speed, args.seed,
             settings.topics.call_events)  # fmt: skip
    sent = publish(settings, config, stop=stop, max_events=args.max_events)
    print(f"sent {sent} events to {settings.topics.call_events}", flush=True)
    return 0


def cmd_record(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.recorder import record

    # opened before the broker is asked anything, so a file that cannot be written fails at
    # once; made here, it goes again if the recording fails before writing a line
    new = not os.path.lexists(args.out)
    try:
        out = open(args.out, "a", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ConfigError(f"--out {args.out!r}: cannot write to it: {exc.strerror or exc}") from None
    stop = stop_on_signals()
    try:
        with out:
            n = record(settings, out, from_beginning=args.from_beginning, stop=stop,
                       max_events=args.max_events, idle_timeout_s=args.idle_timeout)  # fmt: skip
    except OSError as exc:  # a full disk, say: kafka-python's own errors are KafkaErrors
        raise CallHeatError(f"--out {args.out!r}: cannot write to it: {exc.strerror or exc}") from None
    except BaseException:
        if new and os.path.isfile(args.out) and os.path.getsize(args.out) == 0:
            os.unlink(args.out)  # no topic, no broker: no empty file left behind
        raise
    print(f"recorded {n} events to {args.out}", flush=True)
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.recorder import replay

    stop = stop_on_signals()
    n = replay(settings, Path(args.file), speed=args.speed, keep_ts=args.keep_ts, stop=stop)
    print(f"replayed {n} events to {settings.topics.call_events}", flush=True)
    return 0


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.bench import run_bench

    if args.pages and (args.broker or args.bench_database is not None):
        raise UsageError("bench --pages times the wallboard pages on SQLite: it takes no "
                         f"{'--broker' if args.broker else '--store-url'}")  # fmt: skip
    if not args.pages and args.runs is not None:
        raise UsageError("bench --runs is for --pages (the median of that many page runs)")
    if args.pages:
        from streaming.bench_pages import run_page_bench

        pages = run_page_bench(settings.data_dir, runs=args.runs or DEFAULT_BENCH_RUNS,
                               progress=(lambda _: None) if args.json else print)  # fmt: skip
        if args.json:
            print(json.dumps(pages, indent=2))
        return 0
    report = run_bench(args.events, args.batch_size, args.broker, database=args.bench_database,
                       progress=(lambda _: None) if args.json else print)  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"peak memory (RSS): {report['peak_rss_mb']:.0f} MB")
    return 0


def cmd_evaluate(settings: Settings, args: argparse.Namespace) -> int:
    from streaming import center_files
    from streaming.evaluate import evaluate, format_report
    from streaming.scoring.scorer import Scorer

    # the product as this center runs it: its own phrase lists and playbook, if it has them
    files = center_files.load(settings)
    report = evaluate(Path(args.data), baseline=args.baseline, threshold=settings.hot_threshold,
                      scorer=Scorer(phrases=files.phrases, playbook=files.playbook),
                      shuffle=args.shuffle, limit=args.limit,
                      train=None if args.train is None else Path(args.train))  # fmt: skip
    print(json.dumps(report, indent=2) if args.json else format_report(report), flush=True)
    return 0


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.train import train

    warn_of_the_old_default_group(settings)
    done = train(settings, [Path(p) for p in args.data])
    print(f"learned {done['dialogues']} dialogues ({done['escalated']} escalated) "
          f"{'on top of the model checkpoint' if done['from_checkpoint'] else 'from a cold start'}; "
          f"published {done['examples']} training examples ({done['sentiment_labels']} turn sentiment "
          f"labels, {done['risk_examples']} risk examples) to {done['topic']}: every scorer replica "
          f"learns them from there", flush=True)  # fmt: skip
    return 0


def cmd_backtest(settings: Settings, args: argparse.Namespace) -> int:
    from streaming import center_files
    from streaming.backtest import backtest, format_backtest
    from streaming.scoring.scorer import Scorer

    files = center_files.load(settings)
    report = backtest(Path(args.events), scorer=Scorer(center=settings.center_clock, phrases=files.phrases,
                                                       playbook=files.playbook))  # fmt: skip
    print(json.dumps(report, indent=2) if args.json else format_backtest(report), flush=True)
    return 0


def cmd_prune(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.retention import cutoff, described, stamp
    from streaming.store import redacted

    before = cutoff(time.time(), args.older_than_days)
    store = open_existing_store(settings)
    try:
        counts = store.prune(before, dry_run=args.dry_run).counts
    finally:
        store.close()
    store_name, rows = redacted(settings.store_url), {k: n for k, n in counts.items() if k != "calls"}
    if not any(counts.values()):
        print(f"nothing to delete: no call in {store_name} ended before {stamp(before)}", flush=True)
    else:
        print(f"{'would delete' if args.dry_run else 'deleted'} {counts['calls']:,} calls that ended "
              f"before {stamp(before)}, with {described(rows)}, from {store_name}", flush=True)  # fmt: skip
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.status import read_status

    try:
        store = open_existing_store(settings)
        try:
            status = read_status(store, time.time(), settings.stale_after_s)
        finally:
            store.close()
    except UsageError as exc:  # no store, so no scorer writing to it: 'not scoring', exit 1
        print(json.dumps({"fresh": False, "error": f"not scoring: {exc}"}) if args.json
              else f"not scoring: {exc}", flush=True)  # fmt: skip
        return 1
    except StoreError as exc:  # a store that does not answer: a monitor reading JSON still gets it
        if not args.json:
            raise
        print(json.dumps({"fresh": False, "error": str(exc)}), flush=True)
        return 1
    print(json.dumps(status.to_dict()) if args.json else status.line(), flush=True)
    return 0 if status.fresh else 1
