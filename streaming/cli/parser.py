"""The ``callheat`` argument parser: one subcommand per part of the system, each bound to
its ``cmd_*`` function (``services`` for the long-running ones, ``tools`` for the rest)."""

from __future__ import annotations

import argparse

from streaming.cli.argtypes import (
    DEFAULT_BENCH_RUNS,
    MAX_BENCH_EVENTS,
    MAX_BENCH_RUNS,
    MAX_CALLS_PER_DAY,
    MAX_CONCURRENCY,
    MAX_HISTORY_DAYS,
    MAX_SPEED,
    MIN_SPEED,
    Given,
    Once,
    Parser,
    at_least_one,
    bounded,
    port_number,
    positive_float,
    positive_int,
    sim_speed,
)
from streaming.cli.services import cmd_broker, cmd_dashboard, cmd_run, cmd_score
from streaming.cli.tools import (
    cmd_backtest,
    cmd_bench,
    cmd_evaluate,
    cmd_prune,
    cmd_record,
    cmd_replay,
    cmd_simulate,
    cmd_status,
    cmd_train,
)
from streaming.settings import MAX_PARTITIONS, MAX_RECORDS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS

STORE_URL_HELP = ("store URL: sqlite:///PATH (default: callheat.db in the data directory, "
                  "CALLHEAT_DATA_DIR, itself .callheat by default: sqlite:///.callheat/callheat.db) or "
                  "postgresql://USER:PASSWORD@HOST:PORT/DATABASE")


def _kafka_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap-servers", action=Given,
                   help="Kafka bootstrap servers (default 127.0.0.1:9092)")
    p.add_argument("--topic-prefix", action=Given, help="prefix for every topic name (default none)")


def _sim_args(p: argparse.ArgumentParser, speed: float, concurrency: int) -> None:
    """The simulator's arguments, checked here: ``run`` passes them on to ``simulate``."""
    p.add_argument("--seed", type=positive_int, default=7, help="random seed (default 7)")
    p.add_argument("--calls", type=positive_int, default=0, action=Given,
                   help="calls to simulate; 0 = endless")
    p.add_argument("--concurrency", type=bounded(1, MAX_CONCURRENCY), default=concurrency, action=Given,
                   help=f"calls in the system at once, 1-{MAX_CONCURRENCY:,} (default {concurrency})")
    p.add_argument("--speed", type=sim_speed, default=speed, action=Given,
                   help=f"time compression, 2 = twice real time; {MIN_SPEED:g}-{MAX_SPEED:,.0f} "
                   f"(default {speed:g})")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="callheat", description="CallHeat: a real-time hot-call wallboard for contact-center "
        "supervisors.", epilog="Settings come from arguments, then CALLHEAT_* environment "
        "variables, then defaults. 'callheat COMMAND --help' for each command.")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("run", help="everything on one machine: broker, simulator, scorer, wallboard")
    _sim_args(p, speed=1.0, concurrency=30)
    p.add_argument("--port", type=port_number, dest="dashboard_port", metavar="PORT",
                   help="wallboard port (default 8501)")
    p.add_argument("--broker-port", type=port_number, metavar="PORT",
                   help="embedded broker port (default 9092)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("broker", help="start the embedded Kafka-compatible broker and create topics")
    p.add_argument("--port", type=port_number, dest="broker_port", metavar="PORT",
                   help="port (default 9092)")
    p.add_argument("--partitions", type=bounded(1, MAX_PARTITIONS),
                   help=f"partitions per topic, 1-{MAX_PARTITIONS:,} (default 6; training-examples "
                   "always has 1)")  # fmt: skip
    p.add_argument("--topic-prefix", help="prefix for every topic name (default none)")
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("simulate", help="publish a simulated contact-center floor to call-events, or "
                       "fill the store with past calls (--history-days)")
    _kafka_args(p)
    _sim_args(p, speed=1.0, concurrency=30)
    p.add_argument("--max-events", type=at_least_one, action=Given,
                   help="stop after this many events (1 or more)")
    history = p.add_argument_group(
        "history", "--history-days N writes N days of past calls (ending before today) straight into "
        "the store, scored by the scorer's code, without Kafka: a weekly and daily pattern, "
        "supervisors' whispers, barge-ins and feedback on hot calls, callbacks kept or not. "
        "30 days at the default volume take about 4 minutes on 2 cores. Uses --seed; the other options "
        "above are for live simulation and refused with it, as these are without it.")
    history.add_argument("--history-days", type=bounded(1, MAX_HISTORY_DAYS), metavar="N",
                         help=f"days of history to fill (1-{MAX_HISTORY_DAYS})")
    history.add_argument("--calls-per-day", type=bounded(1, MAX_CALLS_PER_DAY), default=1_000,
                         metavar="N", action=Given,
                         help="average calls a day over the week, abandoned included, "
                         f"1-{MAX_CALLS_PER_DAY:,} (default 1000: a mid-size floor of about 13 agents "
                         "on two shifts)")  # fmt: skip
    history.add_argument("--store-url", action=Given, help=STORE_URL_HELP)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("score", help="consume call-events, score, store and publish call-scores")
    _kafka_args(p)
    p.add_argument("--group-id", help="consumer group (default callheat-scorer, after the topic "
                   "prefix if there is one: PREFIXcallheat-scorer)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("dashboard", help="serve the Streamlit wallboard")
    _kafka_args(p)
    p.add_argument("--port", type=port_number, dest="dashboard_port", metavar="PORT",
                   help="port (default 8501)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("record", help="write what arrives on call-events to a JSON-lines file")
    _kafka_args(p)
    p.add_argument("--out", required=True, help="file to append to")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    p.add_argument("--max-events", type=at_least_one, help="stop after this many events (1 or more)")
    p.add_argument("--idle-timeout", type=positive_float, help="stop after this many idle seconds")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "replay", help="publish a recorded file back with its original timing",
        description="Publishes a file written by 'callheat record' to call-events, line by line, "
        "with the gaps between the lines' times divided by --speed. A gap that would be a wait of "
        "more than a day (a recording over a weekend at --speed 1, an event dated 1970 or 9999) is "
        "not waited for: that line is sent right after the one before, with a warning naming it, "
        "and the lines after it are timed from it. The whole file is checked before anything is "
        "sent.",
    )  # fmt: skip
    _kafka_args(p)
    p.add_argument("file", help="a file written by 'callheat record'")
    p.add_argument("--speed", type=positive_float, default=1.0,
                   help="time compression, 2 = twice real time (default 1)")
    p.add_argument("--keep-ts", action="store_true",
                   help="keep the recorded timestamps (default: shift them to now, each line's time "
                   "when it is sent)")  # fmt: skip
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser(
        "evaluate", help="replay labelled dialogues through the scorer and report its quality",
        description="Replays a labelled JSONL data set (format: docs/labelled-calls.md) through the "
        "scorer, cold (unless --train), in progressive-validation order (each label learned right "
        "after it was predicted), and reports escalation ROC AUC and average precision, early warning, false "
        "alarms, and turn-sentiment macro-F1 and Spearman. It measures the product as this center "
        "runs it: the scorer reads the center's phrase lists and playbook (CALLHEAT_PHRASES_FILE, "
        "CALLHEAT_PLAYBOOK_FILE; the packaged ones by default), as the live scorer does.",
    )  # fmt: skip
    p.add_argument("--data", required=True, metavar="FILE.jsonl", action=Once,
                   help="labelled dialogues, one per line")
    p.add_argument("--baseline", choices=["lexicon"], help="also run the lexicon-only scorer, side by side")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--shuffle", type=positive_int, metavar="SEED",
                   help="replay the dialogues in a random order drawn from SEED instead of the file's "
                   "(the figures are progressive, so they depend on the order labels arrive in)")  # fmt: skip
    p.add_argument("--limit", type=at_least_one, metavar="N",
                   help="replay only the first N dialogues (after --shuffle): how the scorer does "
                   "with fewer labels to learn from, as in a smaller center's first weeks")  # fmt: skip
    p.add_argument("--train", metavar="FILE.jsonl", action=Once,
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
        "(docs/quality.md). Each run teaches again: importing a file twice learns it twice. The "
        "calls are read with the center's phrase lists (CALLHEAT_PHRASES_FILE, as the scorers).",
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
        "for a range of thresholds, the calls that would have alerted, the alerts they would have "
        "raised (a call that cools and heats again alerts again), alerts per hour per 100 calls live "
        "at once (per 100 call-hours), and alert precision and recall, per call, against the calls' "
        "outcomes. The scorer reads the center's phrase lists and playbook (CALLHEAT_PHRASES_FILE, "
        "CALLHEAT_PLAYBOOK_FILE), as the live scorer does.",
    )  # fmt: skip
    p.add_argument("--events", required=True, metavar="FILE", action=Once,
                   help="a file written by 'callheat record'")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser(
        "prune", help="delete calls that ended more than N days ago from the store",
        description="Deletes from the store every call that ended more than N days ago, with its "
        "turns, markers, alerts, practices, callbacks, supervisors' actions and final state: what "
        "the scorer does every hour when CALLHEAT_RETENTION_DAYS is set, done now. Live calls are "
        "never touched, nor a call whose callback is due less than N days ago, and what the models "
        "learned from the calls stays.",
    )  # fmt: skip
    p.add_argument("--older-than-days", type=bounded(MIN_RETENTION_DAYS, MAX_RETENTION_DAYS), required=True,
                   metavar="N", action=Once,
                   help=f"delete calls that ended more than N days ago, "
                   f"{MIN_RETENTION_DAYS}-{MAX_RETENTION_DAYS:,} (the scorer reads the last week's calls)")
    p.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser(
        "status", help="is a scorer running? exit 0 if so, 1 if not (for monitoring)",
        description="Reads the store: the live and queued calls, and the heartbeat each scorer replica "
        "leaves there every 10 s (and when it stops cleanly): one line per replica heard from in the "
        "last day, with its heartbeat's age, events/s, consumer lag, partitions held and calls in "
        "memory, or that it stopped. Exits 0 while some replica's heartbeat is within "
        "CALLHEAT_STALE_AFTER_S (30 s), it has not stopped, it holds partitions to score and its broker "
        "answers, and 1 otherwise.",
    )  # fmt: skip
    p.add_argument("--json", action="store_true",
                   help='print the figures as JSON ({"fresh": false, "error": ...} when there is no '
                   "store or it does not answer)")
    p.add_argument("--store-url", help=STORE_URL_HELP)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("bench", help="measure scorer throughput on simulated events, or the wallboard's "
                       "page times (--pages)")
    p.add_argument("--events", type=bounded(1, MAX_BENCH_EVENTS), default=50_000,
                   help=f"events, 1-{MAX_BENCH_EVENTS:,} (default 50000)")
    p.add_argument("--batch-size", type=bounded(1, MAX_RECORDS), default=2_000,
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
    p.add_argument("--runs", type=bounded(1, MAX_BENCH_RUNS),
                   help=f"page runs to take the median of, 1-{MAX_BENCH_RUNS:,} (with --pages only; "
                   f"default {DEFAULT_BENCH_RUNS})")  # fmt: skip
    p.set_defaults(func=cmd_bench)
    return parser
