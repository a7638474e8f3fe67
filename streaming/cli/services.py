"""The long-running commands: ``broker``, ``score``, ``dashboard`` and ``run``.

Each checks what it can before it starts (``preflight``), runs until SIGINT / SIGTERM /
SIGHUP, and stops cleanly.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess

from streaming.children import (
    dashboard_command,
    die_with_parent,
    settings_env,
    stop_children,
    stop_on_signals,
)
from streaming.cli.preflight import (
    check_data_files,
    check_playbook_file,
    check_store,
    make_data_dir,
    missing_sqlite_store,
    warn_of_the_old_default_group,
)
from streaming.errors import BrokerError, CallHeatError, UsageError
from streaming.settings import Settings

log = logging.getLogger("callheat")


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


def cmd_score(settings: Settings, args: argparse.Namespace) -> int:
    from streaming import center_files
    from streaming.consumer import ScorerService
    from streaming.store import open_store, redacted

    files = center_files.load(settings)  # the center's phrase lists and playbook, checked first
    make_data_dir(settings, "models")  # where the model checkpoint is saved
    warn_of_the_old_default_group(settings)
    stop = stop_on_signals()
    store = open_store(settings.store_url)
    try:
        service = ScorerService(settings, store, files=files)
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


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from streaming.broker import port_open

    # Streamlit would fail after the address below was printed, in its own words
    if port_open(settings.dashboard_host, settings.dashboard_port):
        raise BrokerError(f"port {settings.dashboard_port} is in use (is a wallboard already running?); "
                          "choose another with --port")  # fmt: skip
    # the wallboard would start, and show the error in its page: say it here instead
    check_playbook_file(settings)
    missing = missing_sqlite_store(settings)
    check_store(settings)
    if missing is not None:  # started before the scorer, or a mistyped path: say which
        log.warning("no store at %s yet: made an empty one; the wallboard shows an empty floor until "
                    "a scorer writes there (check --store-url or CALLHEAT_STORE_URL)", missing)
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
    check_data_files(settings)  # before the broker, the wallboard and the simulator start
    make_data_dir(settings)
    check_store(settings)
    return run_all(settings, seed=args.seed, calls=args.calls, concurrency=args.concurrency,
                   speed=args.speed)  # fmt: skip
