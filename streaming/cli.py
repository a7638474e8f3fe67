"""callheat: the real-time hot-call wallboard for contact-center supervisors.

One console script, one subcommand per part of the system.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from streaming.children import die_with_parent
from streaming.errors import CallHeatError, ConfigError, UsageError
from streaming.logs import throttle_chatty_loggers
from streaming.settings import DEFAULT_GROUP_ID, MAX_PARTITIONS, MAX_RECORDS, Settings, unknown_variables

log = logging.getLogger("callheat")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _at_least_one(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``: absurd sizes fail at once instead of hanging."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:  # one message for either side ("-2": not "0 or more")
            raise argparse.ArgumentTypeError(f"must be {low:,}-{high:,}, got {value:,}")
        return value

    return parse


# the bounds of the sizes the commands take (said in --help)
MAX_CONCURRENCY = 10_000
MAX_CALLS_PER_DAY = 1_000_000
MAX_BENCH_EVENTS = 10_000_000
MAX_BENCH_RUNS = 1_000
DEFAULT_BENCH_RUNS = 5
MAX_HISTORY_DAYS = 366
MIN_SPEED, MAX_SPEED = 0.001, 1_000_000.0


def _speed(text: str) -> float:
    value = _positive_float(text)
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"must be {MIN_SPEED:g}-{MAX_SPEED:,.0f}, got {text}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


class _Once(argparse.Action):
    """An option that takes one value: given twice, it is refused (the last one used to win)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:  # fmt: skip
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"argument {option_string}: given twice; it takes one file")
        setattr(namespace, self.dest, values)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT / SIGTERM / SIGHUP (the terminal closed), so loops stop
    cleanly and commit, and ``callheat run`` stops what it started."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)
    return stop


def stop_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM every child still running (last started first); kill one that ignores it for 15 s."""
    for name, proc in reversed(children.items()):
        if proc.poll() is None:
            log.info("stopping %s", name)
            proc.send_signal(signal.SIGTERM)
    for name, proc in reversed(children.items()):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in 15 s; killing it", name)
            proc.kill()
            proc.wait()


# --- subcommands ------------------------------------------------------------------------


def _make_dir(path: Path, name: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{name} is a file") from None
    except OSError as exc:
        raise ConfigError(f"{name} cannot be created: {exc.strerror or exc}") from None


def make_data_dir(settings: Settings, sub: str = "") -> Path:
    """``settings.data_dir`` (or its subdirectory ``sub``), created if need be and checked
    writable; a ConfigError naming it if it is not, before anything starts (a scorer would
    run on, logging every 30 s that its model checkpoint was not saved)."""
    path = settings.data_dir
    name = f"data directory {path} (CALLHEAT_DATA_DIR)"
    _make_dir(path, name)
    if sub:
        path, name = path / sub, f"{path / sub} in the {name}"
        _make_dir(path, name)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".callheat-write-test-") as probe:
            probe.write(b"x")
            probe.flush()
    except OSError as exc:
        raise ConfigError(f"{name} cannot be written to: {exc.strerror or exc}") from None
    return path


def warn_of_the_old_default_group(settings: Settings) -> None:
    """The default group id used to be ``callheat-scorer`` whatever the topic prefix (tenants
    sharing a broker shared it): a prefixed install upgraded without a group id now starts
    another group, without its model checkpoint. Say so, and how to keep the old group."""
    if not settings.topic_prefix or settings.group_id != f"{settings.topic_prefix}{DEFAULT_GROUP_ID}":
        return
    old = settings.checkpoint_path.with_name(f"{DEFAULT_GROUP_ID}.pkl")
    if old.exists() and not settings.checkpoint_path.exists():
        log.warning("with topic prefix %r the default consumer group is now %r, not %r: its model "
                    "checkpoint %s is not there yet, so the models start cold and the group reads "
                    "the topics from the start (events already stored are skipped). To go on "
                    "with the old group and its checkpoint %s, set CALLHEAT_GROUP_ID=%s",
                    settings.topic_prefix, settings.group_id, DEFAULT_GROUP_ID,
                    settings.checkpoint_path, old, DEFAULT_GROUP_ID)  # fmt: skip


def check_store(settings: Settings) -> None:
    """A StoreError or ConfigError now if the store URL does not open, before starting anything."""
    from streaming.store import open_store

    open_store(settings.store_url).close()


def cmd_broker(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.broker import EmbeddedBroker, create_callheat_topics

    log_path = make_data_dir(settings) / "broker.log"
    stop = stop_on_signals()
    with EmbeddedBroker(settings.broker_host, settings.broker_port, log_path=log_path) as broker:
        created = create_callheat_topics(broker.bootstrap_servers, settings.topics, settings.partitions)
        print(f"broker listening on {broker.bootstrap_servers}; topics created: "
              f"{', '.join(created) or 'none (all existed)'}; Ctrl-C to stop", flush=True)  # fmt: skip
        while not stop.wait(1.0):
            if broker.process is not None and broker.process.poll() is not None:
                raise CallHeatError(f"broker exited with code {broker.process.returncode}")
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.simulator import SimConfig, publish

    if args.history_days is not None:
        from streaming.history import HistoryConfig, run_history

        cfg = HistoryConfig(days=args.history_days, calls_per_day=args.calls_per_day, seed=args.seed)
        result = run_history(settings.store_url, cfg, hot_threshold=settings.hot_threshold,
                             warm_threshold=settings.warm_threshold)  # fmt: skip
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


def cmd_score(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.consumer import ScorerService
    from streaming.store import open_store, redacted

    make_data_dir(settings, "models")  # where the model checkpoint is saved
    warn_of_the_old_default_group(settings)
    stop = stop_on_signals()
    store = open_store(settings.store_url)
    try:
        service = ScorerService(settings, store)
    except BaseException:  # e.g. a training-examples topic of several partitions (one line)
        store.close()
        raise
    log.info("scoring %s (group %s) into %s", settings.topics.call_events, settings.group_id,
             redacted(settings.store_url))  # fmt: skip
    try:
        stats = service.run(stop)
    finally:
        service.close()
        store.close()
    print(f"scored {stats.events} events, {stats.actions} actions, {stats.dlq} to DLQ, "
          f"{stats.duplicates} duplicates skipped", flush=True)  # fmt: skip
    return 0


def dashboard_command(settings: Settings) -> list[str]:
    import dashboard

    app = Path(dashboard.__file__).parent / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.address", settings.dashboard_host,
            "--server.port", str(settings.dashboard_port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer"]  # fmt: skip


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that hands ``settings`` to a child process (without the ``CALLHEAT_*``
    names that are no setting: this process warned of them already)."""
    unknown = {name for name, _ in unknown_variables(os.environ)}
    env = {name: value for name, value in os.environ.items() if name not in unknown}
    for name, value in settings.model_dump().items():
        env[f"CALLHEAT_{name.upper()}"] = str(value)
    return env


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.broker import port_open
    from streaming.errors import BrokerError

    # Streamlit would fail after the address below was printed, in its own words
    if port_open(settings.dashboard_host, settings.dashboard_port):
        raise BrokerError(f"port {settings.dashboard_port} is in use (is a wallboard already running?); "
                          "choose another with --port")  # fmt: skip
    # the wallboard would start, and show the error in its page: say it here instead
    check_store(settings)
    cmd = dashboard_command(settings)
    print(f"wallboard: http://{settings.dashboard_host}:{settings.dashboard_port}", flush=True)
    stop = stop_on_signals()
    child = subprocess.Popen(cmd, env=settings_env(settings), preexec_fn=die_with_parent())
    try:
        # a SIGTERM to this process must not leave Streamlit running on its own
        while child.poll() is None and not stop.wait(0.5):
            pass
    finally:
        stop_children({"wallboard": child})
    return child.wait()


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
    import json

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
    import json

    from streaming.evaluate import evaluate, format_report

    report = evaluate(Path(args.data), baseline=args.baseline, threshold=settings.hot_threshold,
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
    import json

    from streaming.backtest import backtest, format_backtest

    report = backtest(Path(args.events))
    print(json.dumps(report, indent=2) if args.json else format_backtest(report), flush=True)
    return 0


def _named(setting: str, flag: str, args: argparse.Namespace) -> str:
    """How a setting was given: its argument, its environment variable, or its default."""
    env = f"CALLHEAT_{setting.upper()}"
    if getattr(args, setting, None) is not None:
        return flag
    return env if env in os.environ else f"{setting} (default)"


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.run import run_all

    if settings.dashboard_port == settings.broker_port:
        raise UsageError(f"the wallboard and the broker cannot share port {settings.broker_port} "
                         f"({_named('dashboard_port', '--port', args)}, "
                         f"{_named('broker_port', '--broker-port', args)}): choose two ports")  # fmt: skip
    make_data_dir(settings)
    check_store(settings)
    return run_all(settings, seed=args.seed, calls=args.calls, concurrency=args.concurrency,
                   speed=args.speed)  # fmt: skip


# --- parser -----------------------------------------------------------------------------


def _kafka_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (default 127.0.0.1:9092)")
    p.add_argument("--topic-prefix", help="prefix for every topic name (default none)")


def _sim_args(p: argparse.ArgumentParser, speed: float, concurrency: int) -> None:
    """The simulator's arguments, checked here: ``run`` passes them on to ``simulate``."""
    p.add_argument("--seed", type=_positive_int, default=7, help="random seed (default 7)")
    p.add_argument("--calls", type=_positive_int, default=0, help="calls to simulate; 0 = endless")
    p.add_argument("--concurrency", type=_bounded(1, MAX_CONCURRENCY), default=concurrency,
                   help=f"calls in the system at once, 1-{MAX_CONCURRENCY:,} (default {concurrency})")
    p.add_argument("--speed", type=_speed, default=speed,
                   help=f"time compression, 2 = twice real time; {MIN_SPEED:g}-{MAX_SPEED:,.0f} "
                   f"(default {speed:g})")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callheat", description="CallHeat: a real-time hot-call wallboard for contact-center "
        "supervisors.", epilog="Settings come from arguments, then CALLHEAT_* environment "
        "variables, then defaults. 'callheat COMMAND --help' for each command.")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="everything on one machine: broker, simulator, scorer, wallboard")
    _sim_args(p, speed=1.0, concurrency=30)
    p.add_argument("--port", type=_port, dest="dashboard_port", metavar="PORT",
                   help="wallboard port (default 8501)")
    p.add_argument("--broker-port", type=_port, metavar="PORT",
                   help="embedded broker port (default 9092)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("broker", help="start the embedded Kafka-compatible broker and create topics")
    p.add_argument("--port", type=_port, dest="broker_port", metavar="PORT",
                   help="port (default 9092)")
    p.add_argument("--partitions", type=_bounded(1, MAX_PARTITIONS),
                   help=f"partitions per topic, 1-{MAX_PARTITIONS:,} (default 6; training-examples "
                   "always has 1)")  # fmt: skip
    p.add_argument("--topic-prefix", help="prefix for every topic name (default none)")
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("simulate", help="publish a simulated contact-center floor to call-events")
    _kafka_args(p)
    _sim_args(p, speed=1.0, concurrency=30)
    p.add_argument("--max-events", type=_at_least_one, help="stop after this many events (1 or more)")
    history = p.add_argument_group(
        "history", "--history-days N writes N days of past calls (ending before today) straight into "
        "the store, scored by the scorer's code, without Kafka: a weekly and daily pattern, "
        "supervisors' whispers, barge-ins and feedback on hot calls, callbacks kept or not. "
        "30 days at the default volume take about 4 minutes on 2 cores. Uses --seed; the other options "
        "above are for live simulation.")
    history.add_argument("--history-days", type=_bounded(1, MAX_HISTORY_DAYS), metavar="N",
                         help=f"days of history to fill (1-{MAX_HISTORY_DAYS})")
    history.add_argument("--calls-per-day", type=_bounded(1, MAX_CALLS_PER_DAY), default=1_000,
                         metavar="N", help="average calls a day over the week, abandoned included, "
                         f"1-{MAX_CALLS_PER_DAY:,} (default 1000: a mid-size floor of about 13 agents "
                         "on two shifts)")  # fmt: skip
    history.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("score", help="consume call-events, score, store and publish call-scores")
    _kafka_args(p)
    p.add_argument("--group-id", help="consumer group (default callheat-scorer, after the topic "
                   "prefix if there is one: PREFIXcallheat-scorer)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("dashboard", help="serve the Streamlit wallboard")
    _kafka_args(p)
    p.add_argument("--port", type=_port, dest="dashboard_port", metavar="PORT",
                   help="port (default 8501)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("record", help="write what arrives on call-events to a JSON-lines file")
    _kafka_args(p)
    p.add_argument("--out", required=True, help="file to append to")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    p.add_argument("--max-events", type=_at_least_one, help="stop after this many events (1 or more)")
    p.add_argument("--idle-timeout", type=_positive_float, help="stop after this many idle seconds")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("replay", help="publish a recorded file back with its original timing")
    _kafka_args(p)
    p.add_argument("file", help="a file written by 'callheat record'")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="time compression (default 1)")
    p.add_argument("--keep-ts", action="store_true",
                   help="keep the recorded timestamps (default: shift them to now)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser(
        "evaluate", help="replay labelled dialogues through the scorer and report its quality",
        description="Replays a labelled JSONL data set (format: docs/labelled-calls.md) through the "
        "scorer, cold (unless --train), in progressive-validation order (each label learned right "
        "after it was predicted), and reports escalation ROC AUC and average precision, early warning, false "
        "alarms, and turn-sentiment macro-F1 and Spearman.",
    )  # fmt: skip
    p.add_argument("--data", required=True, metavar="FILE.jsonl", action=_Once,
                   help="labelled dialogues, one per line")
    p.add_argument("--baseline", choices=["lexicon"], help="also run the lexicon-only scorer, side by side")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--shuffle", type=_positive_int, metavar="SEED",
                   help="replay the dialogues in a random order drawn from SEED instead of the file's "
                   "(the figures are progressive, so they depend on the order labels arrive in)")  # fmt: skip
    p.add_argument("--limit", type=_at_least_one, metavar="N",
                   help="replay only the first N dialogues (after --shuffle): how the scorer does "
                   "with fewer labels to learn from, as in a smaller center's first weeks")  # fmt: skip
    p.add_argument("--train", metavar="FILE.jsonl", action=_Once,
                   help="first learn this file's dialogues, as 'callheat train' teaches the live "
                   "scorers, then measure: how a center starts with its own labelled calls "
                   "imported (the lexicon baseline stays as it is)")  # fmt: skip
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "train", help="teach the running scorers from labelled conversations",
        description="Replays labelled dialogues (format: docs/labelled-calls.md) through the "
        "scorer, starting from its model checkpoint where there is one, and publishes what that "
        "taught it (turn sentiment labels as supervisor corrections, outcomes as call outcomes) to "
        "training-examples, where every scorer replica learns it while it goes on scoring. Import "
        "your own center's reviewed calls: another center's conversations can make the risk worse "
        "(docs/quality.md). Each run teaches again: importing a file twice learns it twice.",
    )  # fmt: skip
    _kafka_args(p)
    p.add_argument("--group-id", help="the scorers' consumer group, whose model checkpoint the "
                   "replay starts from (default callheat-scorer, after the topic prefix if there "
                   "is one)")  # fmt: skip
    p.add_argument("--data", required=True, action="append", metavar="FILE.jsonl",
                   help="labelled dialogues, one per line (repeat for more files)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "backtest", help="alert rate and precision per threshold on a recorded event stream",
        description="Replays a file written by 'callheat record' through the scorer and reports, "
        "for a range of thresholds, alerts per hour per 100 calls and alert precision and recall "
        "against the calls' outcomes.",
    )  # fmt: skip
    p.add_argument("--events", required=True, metavar="FILE", action=_Once,
                   help="a file written by 'callheat record'")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("bench", help="measure scorer throughput on simulated events")
    p.add_argument("--events", type=_bounded(1, MAX_BENCH_EVENTS), default=50_000,
                   help=f"events, 1-{MAX_BENCH_EVENTS:,} (default 50000)")
    p.add_argument("--batch-size", type=_bounded(1, MAX_RECORDS), default=2_000,
                   help=f"events per batch, 1-{MAX_RECORDS:,} (default 2000)")
    p.add_argument("--broker", action="store_true",
                   help="also measure end to end through a fresh embedded broker (not with --pages)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--store-url", dest="bench_database", metavar="POSTGRESQL_URL",
                   help="time the stores on this PostgreSQL database instead of new SQLite files: each "
                   "stage writes a new schema of its own, dropped afterwards (needs CREATE on the database; "
                   "not with --pages)")
    p.add_argument("--pages", action="store_true",
                   help="instead, time the wallboard with 1,000 live calls and the trends page over "
                   "30 days of history (filled once under DATA_DIR/bench/, about 4 minutes the first time)")
    p.add_argument("--runs", type=_bounded(1, MAX_BENCH_RUNS),
                   help=f"page runs to take the median of, 1-{MAX_BENCH_RUNS:,} (with --pages only; "
                   f"default {DEFAULT_BENCH_RUNS})")  # fmt: skip
    p.set_defaults(func=cmd_bench)
    return parser


STORE_URL_HELP = ("store URL: sqlite:///PATH (default: callheat.db in the data directory, "
                  "CALLHEAT_DATA_DIR, itself .callheat by default: sqlite:///.callheat/callheat.db) or "
                  "postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
SETTING_ARGS = ("bootstrap_servers", "topic_prefix", "store_url", "group_id", "dashboard_port",
                "broker_port", "partitions")  # fmt: skip


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Argument, then environment, then default."""
    overrides = {k: getattr(args, k) for k in SETTING_ARGS if getattr(args, k, None) is not None}
    # `callheat run` connects its children to the broker it starts (run.py), whatever
    # --bootstrap-servers or CALLHEAT_BOOTSTRAP_SERVERS say
    return Settings(**overrides)


def _setting_error(exc: ValidationError, args: argparse.Namespace) -> str:
    """The first invalid setting in one line, named as it was given: argument or environment."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
    if not where:  # a rule between settings (warm below hot): its message names them
        return f"settings: {msg}"
    if where in SETTING_ARGS and getattr(args, where, None) is not None:
        return f"--{where.replace('_', '-')}: {msg}"
    env = f"CALLHEAT_{where.upper()}"
    if any(name.upper() == env for name in os.environ):
        return f"setting {where} ({env}): {msg}"
    return f"setting {where}: {msg}"


def _stdout_closed() -> int:
    """What a closed stdout (``callheat backtest | head``) ends with: quietly, no traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind sys.stdout: nothing to flush at exit
        pass
    return 128 + signal.SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    throttle_chatty_loggers()  # a broker outage: one line of each kind per 30 s, not dozens a second
    # kafka-python narrates every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLevelName(args.log_level)))
    # its IO thread warns whenever a scoring batch holds the GIL for >0.1 s: noise, not a fault
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    for name, meant in unknown_variables(os.environ):
        log.warning("%s is not a CallHeat setting: it is ignored%s", name,
                    f" (did you mean {meant}?)" if meant else "")  # fmt: skip
    func: Callable[[Settings, argparse.Namespace], int] = args.func
    try:
        settings = settings_from_args(args)
        code = func(settings, args)
        sys.stdout.flush()  # here, where a closed stdout is caught, not at exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except ValidationError as exc:
        print(f"callheat: error: {_setting_error(exc, args)}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"callheat: error: {exc}", file=sys.stderr)
        return 2
    except CallHeatError as exc:
        print(f"callheat: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
