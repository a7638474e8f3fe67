"""``callheat backtest``: choose an alert threshold before going live, on a recorded stream.

A file written by ``callheat record`` is replayed through the same
:class:`~streaming.scoring.Scorer` the consumer runs (cold, learning each outcome
as the call ends, as a fresh installation would). For each threshold it reports
how many calls would have alerted and how many alerts they would have raised (a call
that cools below the threshold by HOT_HOLD_BELOW and heats again alerts again, as on
the wallboard; supervisors' marks in the file are not replayed per threshold), the
alert rate per hour per 100 calls live at once (alerts per 100 call-hours), and the
alert precision and recall, per call, against the calls' outcomes
(``call_ended.disposition == escalated``). Invalid lines are counted and skipped, as
the consumer would send them to the DLQ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming import events as ev
from streaming.errors import ConfigError, InvalidEvent
from streaming.recorder import read_lines
from streaming.scoring import Scorer
from streaming.scoring.rescoring import hot_by_risk
from streaming.store import StoreBatch

THRESHOLDS = (0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


@dataclass(slots=True)
class CallTrace:
    started: float | None = None
    ended: float | None = None
    risks: list[float] = field(default_factory=list)  # after each event while live
    escalated: bool | None = None  # None until the call ended with a disposition

    @property
    def peak(self) -> float:
        return max(self.risks, default=0.0)

    def alerts(self, threshold: float) -> int:
        """How many alerts the call raises at ``threshold``: each time it turns hot, staying
        hot until its risk falls ``HOT_HOLD_BELOW`` under the threshold (the scorer's rule,
        :func:`~streaming.scoring.rescoring.hot_by_risk`).

        >>> CallTrace(risks=[0.5, 0.72, 0.65, 0.75, 0.55, 0.71]).alerts(0.7)
        2
        """
        hot, n = False, 0
        for risk in self.risks:
            now_hot = hot_by_risk(risk, threshold, hot)
            n += now_hot and not hot
            hot = now_hot
        return n


@dataclass(slots=True)
class Replayed:
    calls: dict[str, CallTrace] = field(default_factory=dict)
    events: int = 0
    invalid: int = 0
    skipped: int = 0  # valid events the scorer skipped: repeated, out of order, after the end


def replay_file(path: Path, scorer: Scorer | None = None) -> Replayed:
    """Every event of ``path`` through the scorer; per call: live span, peak risk, outcome."""
    if not path.exists():
        raise ConfigError(f"no such file: {path}")
    scorer = scorer or Scorer()
    out = Replayed()
    for line in read_lines(path):
        try:
            event = ev.event_from_dict(line.obj)
        except InvalidEvent:
            out.invalid += 1
            continue
        out.events += 1
        applied = scorer.apply(event, StoreBatch())  # rows are not kept
        if applied.duplicate or applied.refused:  # a second call_ended must not change the outcome
            out.skipped += 1
            continue
        trace = out.calls.setdefault(event.call_id, CallTrace())
        ts = event.ts.timestamp()
        if isinstance(event, ev.CallStarted):
            trace.started = ts
        for update in applied.updates:
            if update.status == "live":
                trace.started = trace.started if trace.started is not None else ts
                trace.risks.append(update.risk)
        if isinstance(event, ev.CallEnded):
            trace.ended, trace.escalated = ts, event.disposition == "escalated"
        elif isinstance(event, ev.CallAbandoned):
            trace.ended = ts
    if not out.events:
        raise ConfigError(f"{path} holds no valid call event ({out.invalid} invalid)")
    return out


def table(replayed: Replayed, thresholds: Sequence[float] = THRESHOLDS) -> list[dict[str, Any]]:
    """One row per threshold, over the calls that were answered and ended with an outcome."""
    calls = [c for c in replayed.calls.values()
             if c.started is not None and c.ended is not None and c.escalated is not None]  # fmt: skip
    call_hours = sum(max(0.0, (c.ended or 0.0) - (c.started or 0.0)) for c in calls) / 3600
    escalated = sum(1 for c in calls if c.escalated)
    rows = []
    for t in thresholds:
        alerted = [c for c in calls if c.peak >= t]
        hits = sum(1 for c in alerted if c.escalated)
        alerts = sum(c.alerts(t) for c in alerted)
        rows.append({
            "threshold": t,
            "alerted_calls": len(alerted),
            "alerts": alerts,
            # per 100 calls live at once: alerts per 100 call-hours
            "alerts_per_hour_per_100_calls": round(100 * alerts / call_hours, 2) if call_hours else None,
            "precision": round(hits / len(alerted), 4) if alerted else None,
            "recall": round(hits / escalated, 4) if escalated else None,
        })  # fmt: skip
    return rows


def backtest(path: Path, thresholds: Iterable[float] = THRESHOLDS, *,
             scorer: Scorer | None = None) -> dict[str, Any]:  # fmt: skip
    replayed = replay_file(path, scorer)
    calls = [c for c in replayed.calls.values() if c.escalated is not None and c.started is not None]
    return {
        "file": path.name,
        "events": replayed.events,
        "invalid_lines": replayed.invalid,
        "skipped_events": replayed.skipped,
        "calls": len(calls),
        "escalated": sum(1 for c in calls if c.escalated),
        "thresholds": table(replayed, tuple(thresholds)),
    }


def format_backtest(report: dict[str, Any]) -> str:
    lines = [
        f"{report['file']}: {report['events']} events, {report['calls']} answered calls with an "
        f"outcome, {report['escalated']} escalated"
        + (f"; {report['invalid_lines']} invalid lines skipped" if report["invalid_lines"] else "")
        + (f"; {n} event{'s' * (n != 1)} skipped as repeated, out of order or after "
           f"{'its' if n == 1 else 'their'} call's end" if (n := report.get("skipped_events")) else ""),
        "",
        f"{'threshold':>9} {'alerted calls':>13} {'alerts':>7} {'alerts per h per 100 live calls':>31} "
        f"{'precision':>10} {'recall':>7}",
    ]
    for r in report["thresholds"]:
        rate = _num(r["alerts_per_hour_per_100_calls"])
        lines.append(f"{r['threshold']:>9.2f} {r['alerted_calls']:>13} {r['alerts']:>7} {rate:>31} "
                     f"{_num(r['precision']):>10} {_num(r['recall']):>7}")  # fmt: skip
    lines += ["", "alerts per h per 100 live calls: per 100 calls on the floor at once (100 call-hours)",
              "precision and recall count calls: an alerted call that escalated is a hit"]  # fmt: skip
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
