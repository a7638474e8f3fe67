"""Trend figures for ops managers: plain functions over ``store.query`` results.

Every loader takes a :class:`Filters` (a UTC date range plus queue / team / agent
choices) and aggregates in SQL where the rows would be many (turns); the frames it
returns are small enough for pandas. Calls count in the period they *started* in
(answered calls only: abandoned calls never reached an agent). A call is hot when
its peak risk reached the page's hot threshold; the scorer wrote an alert, with its
reasons, when the risk crossed the threshold the scorer ran with. Where the two differ
(``CALLHEAT_HOT_THRESHOLD`` changed since), the reasons are those of the calls hot by the
page's threshold, and a call hot only by it has none. Times stay UTC epoch seconds until
:func:`local_times` turns them into the viewer's time zone.

A transferred call counts once, for one agent, team and queue: those it had when its
risk first reached the hot threshold (the agent the alert was about, whom the
supervisor whispered to), and for a call that never turned hot those it ended with.
So the agent and team filters and every per-agent figure split the calls between
agents, and a call that turned hot in tech support before it was passed to retention
is tech support's hot call, not retention's. Calls stored before the store kept who
had a call when it turned hot (``calls.hot_agent_id``) count for their last agent.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd
from dateutil import tz as dateutil_tz

from streaming.scoring.reasons import reason_kind
from streaming.store import Store

INTERVENTIONS = ("whisper", "barge_in")
KIND_ORDER = {"good": 0, "lapse": 1, "situation": 2}  # playbook columns per agent, in this order
WINDOW_S = 300.0  # customer sentiment this long before vs after an intervention


# the agent, team and queue a call counts for (see the module's docstring), as SQL on the
# calls table's alias {a}: who had it when it turned hot, else its last agent and queue
CREDITED = {
    "agent_id": "COALESCE({a}.hot_agent_id, {a}.agent_id)",
    "agent_name": "CASE WHEN {a}.hot_agent_id IS NULL THEN {a}.agent_name ELSE {a}.hot_agent_name END",
    "team": "CASE WHEN {a}.hot_agent_id IS NULL THEN {a}.team ELSE {a}.hot_team END",
    "queue": "COALESCE({a}.hot_queue, {a}.queue)",
}


def credited(column: str, alias: str = "c") -> str:
    """The SQL of the ``agent_id``, ``agent_name``, ``team`` or ``queue`` a call counts for.

    >>> credited("queue")
    'COALESCE(c.hot_queue, c.queue)'
    """
    return CREDITED[column].format(a=alias)


@dataclass(frozen=True, slots=True)
class Filters:
    """``start <= started_at < end`` (UTC epoch seconds); empty tuples mean "all"."""

    start: float
    end: float
    queues: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()  # agent ids

    def where(self, alias: str = "c", ts: str = "started_at", *,
              own: bool = False) -> tuple[str, tuple[Any, ...]]:  # fmt: skip
        """A SQL condition on the calls table: on the agent, team and queue each call counts
        for (:func:`credited`); ``own``: on a table's own ``queue``, ``team`` and ``agent_id``
        columns instead (a commitment's: who made the promise).

        >>> Filters(0, 10, teams=("Blue",)).where("cm", ts="ts", own=True)
        ('cm.ts >= ? AND cm.ts < ? AND cm.team IN (?)', (0, 10, 'Blue'))
        >>> Filters(0, 10, queues=("billing",)).where()[0]
        'c.started_at >= ? AND c.started_at < ? AND COALESCE(c.hot_queue, c.queue) IN (?)'
        """
        parts, params = [f"{alias}.{ts} >= ?", f"{alias}.{ts} < ?"], list[Any]([self.start, self.end])
        for column, values in (("queue", self.queues), ("team", self.teams), ("agent_id", self.agents)):
            if values:
                sql = f"{alias}.{column}" if own else credited(column, alias)
                parts.append(f"{sql} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        return " AND ".join(parts), tuple(params)


def resolve_tz(tz: tzinfo | None) -> tzinfo:
    """The viewer's zone, else the server's local zone (with its daylight-saving rules)."""
    return tz if tz is not None else dateutil_tz.tzlocal()


def local_times(epoch: pd.Series, tz: tzinfo | None) -> pd.Series:
    """UTC epoch seconds -> timezone-aware local datetimes."""
    return pd.to_datetime(epoch, unit="s", utc=True).dt.tz_convert(resolve_tz(tz))


def local_periods(epoch: pd.Series, tz: tzinfo | None, freq: str) -> pd.Series:
    """The local hour (``freq="h"``) or day (``"D"``) each UTC epoch time falls in, labelled by
    its local start, with no time lost to a clock change: the hour repeated when clocks go back
    is one period (both its passes), and a day whose midnight is skipped starts at its first
    local time. (pandas' own ``floor`` of local times cannot tell the two passes apart.)

    >>> from zoneinfo import ZoneInfo
    >>> la = ZoneInfo("America/Los_Angeles")  # clocks went back at 02:00 on 1 Nov 2026
    >>> twice = pd.Series([1793520000.0, 1793523600.0])  # 01:00 PDT, then 01:00 PST
    >>> [str(p) for p in local_periods(twice, la, "h")]
    ['2026-11-01 01:00:00-07:00', '2026-11-01 01:00:00-07:00']
    >>> havana = ZoneInfo("America/Havana")  # 8 Mar 2026: 00:00 became 01:00
    >>> str(local_periods(pd.Series([1772947800.0]), havana, "D")[0])  # 01:30 that day
    '2026-03-08 01:00:00-04:00'
    """
    wall = local_times(epoch, tz).dt.tz_localize(None).dt.floor(freq)
    first_pass = np.ones(len(wall), dtype=bool)  # an hour that comes twice: labelled by its first
    return wall.dt.tz_localize(resolve_tz(tz), ambiguous=first_pass, nonexistent="shift_forward")


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


# --- loaders (SQL) ------------------------------------------------------------------------

CALL_COLUMNS = ["call_id", "started_at", "ended_at", "status", "queue", "team", "agent_id",
                "agent_name", "peak_risk", "disposition", "csat", "customer_sentiment"]  # fmt: skip


def load_calls(store: Store, f: Filters) -> pd.DataFrame:
    """Answered calls started in the range, with their mean customer-turn sentiment; the
    queue, team and agent are those each call counts for (:func:`credited`)."""
    cond, params = f.where()
    rows = store.query(
        f"SELECT c.call_id, c.started_at, c.ended_at, c.status, {credited('queue')} AS queue, "
        f"{credited('team')} AS team, {credited('agent_id')} AS agent_id, "
        f"{credited('agent_name')} AS agent_name, c.peak_risk, c.disposition, c.csat, "
        "(SELECT AVG(t.sentiment) FROM turns t WHERE t.call_id = c.call_id "
        " AND t.speaker = 'customer') AS customer_sentiment "
        f"FROM calls c WHERE {cond} ORDER BY c.started_at", params)  # fmt: skip
    return _frame(rows, CALL_COLUMNS)


def filter_options(store: Store, start: float, end: float) -> dict[str, list[Any]]:
    """Queues, teams and agents (id, name) with calls in the range, for the filter widgets."""
    rows = store.query(
        f"SELECT DISTINCT {credited('queue')} AS queue, {credited('team')} AS team, "
        f"{credited('agent_id')} AS agent_id, {credited('agent_name')} AS agent_name FROM calls c "
        "WHERE c.started_at >= ? AND c.started_at < ?", (start, end))  # fmt: skip
    agents = {r["agent_id"]: r["agent_name"] or r["agent_id"] for r in rows if r["agent_id"]}
    return {
        "queues": sorted({r["queue"] for r in rows if r["queue"]}),
        "teams": sorted({r["team"] for r in rows if r["team"]}),
        "agents": sorted(agents.items(), key=lambda kv: kv[1]),
    }


def data_range(store: Store) -> tuple[float, float] | None:
    """First and last call start in the store (None when it holds no answered call)."""
    row = store.query("SELECT MIN(started_at) AS a, MAX(started_at) AS b FROM calls")[0]
    return None if row["a"] is None else (float(row["a"]), float(row["b"]))


def load_alert_reasons(store: Store, f: Filters, hot_threshold: float) -> list[tuple[str, list[str]]]:
    """(call_id, reasons) of the alerts of calls in the range that are hot (peak risk at
    least ``hot_threshold``)."""
    cond, params = f.where()
    rows = store.query(
        f"SELECT a.call_id, a.reasons FROM alerts a JOIN calls c ON c.call_id = a.call_id "
        f"WHERE {cond} AND c.peak_risk >= ? ORDER BY a.ts", (*params, hot_threshold))  # fmt: skip
    return [(r["call_id"], list(json.loads(r["reasons"]))) for r in rows]


INTERVENTION_COLUMNS = ["action_id", "action", "call_id", "ts", "supervisor_id", "before",
                        "n_before", "after", "n_after", "disposition", "csat", "peak_risk"]  # fmt: skip


def load_interventions(store: Store, f: Filters, window_s: float = WINDOW_S) -> pd.DataFrame:
    """Whispers and barge-ins on calls in the range, with the customer's mean sentiment
    ``window_s`` before and after each, and the call's outcome."""
    cond, params = f.where()
    # one pass over each call's customer turns around the action (not one subquery per figure)
    rows = store.query(
        "SELECT a.action_id, a.action, a.call_id, a.ts, a.supervisor_id, "
        "AVG(CASE WHEN t.ts < a.ts THEN t.sentiment END) AS before, "
        "COUNT(CASE WHEN t.ts < a.ts THEN 1 END) AS n_before, "
        "AVG(CASE WHEN t.ts >= a.ts THEN t.sentiment END) AS after, "
        "COUNT(CASE WHEN t.ts >= a.ts THEN 1 END) AS n_after, "
        "c.disposition, c.csat, c.peak_risk "
        "FROM actions a JOIN calls c ON c.call_id = a.call_id "
        "LEFT JOIN turns t ON t.call_id = a.call_id AND t.speaker = 'customer' "
        "AND t.ts >= a.ts - ? AND t.ts < a.ts + ? "
        f"WHERE a.action IN ('whisper', 'barge_in') AND {cond} "
        # both keys: PostgreSQL takes the call's columns only when grouped by the call's key
        "GROUP BY a.action_id, c.call_id ORDER BY a.ts", (window_s, window_s, *params))  # fmt: skip
    return _frame(rows, INTERVENTION_COLUMNS)


COMMITMENT_COLUMNS = ["call_id", "ts", "due_at", "customer_id", "agent_id", "team", "queue", "text",
                      "next_call"]  # fmt: skip


def load_commitments(store: Store, f: Filters) -> pd.DataFrame:
    """Callbacks promised in the range, with the customer's next call start after the promise."""
    cond, params = f.where("cm", ts="ts", own=True)
    rows = store.query(
        "SELECT cm.call_id, cm.ts, cm.due_at, cm.customer_id, cm.agent_id, cm.team, cm.queue, "
        "cm.text, (SELECT MIN(c2.started_at) FROM calls c2 WHERE c2.customer_id = cm.customer_id "
        "AND c2.started_at > cm.ts) AS next_call "
        f"FROM commitments cm WHERE {cond} ORDER BY cm.ts", params)  # fmt: skip
    return _frame(rows, COMMITMENT_COLUMNS)


def load_practices(store: Store, f: Filters) -> pd.DataFrame:
    """Per agent and playbook practice (good ones and lapses): calls in the range showing it,
    per agent the calls count for (:func:`credited`, as :func:`load_calls`)."""
    cond, params = f.where()
    agent = credited("agent_id")
    rows = store.query(
        f"SELECT {agent} AS agent_id, p.practice, p.kind, COUNT(DISTINCT p.call_id) AS calls "
        f"FROM practices p JOIN calls c ON c.call_id = p.call_id WHERE {cond} "
        f"GROUP BY {agent}, p.practice, p.kind", params)  # fmt: skip
    return _frame(rows, ["agent_id", "practice", "kind", "calls"])


def load_actions_on(store: Store, f: Filters) -> pd.DataFrame:
    """Which supervisor actions each call in the range had (for the review list)."""
    cond, params = f.where()
    rows = store.query(
        "SELECT a.call_id, a.action, COUNT(*) AS n FROM actions a JOIN calls c ON c.call_id = a.call_id "
        f"WHERE {cond} GROUP BY a.call_id, a.action", params)  # fmt: skip
    return _frame(rows, ["call_id", "action", "n"])


def load_routes(store: Store, f: Filters, hot_threshold: float) -> dict[str, str]:
    """The way each transferred hot call in the range went, from its markers: the queues
    and, in brackets, the agents who had it, in order (for the review list).

    A transfer naming no agent left the call waiting in the new queue; the ``transfer``
    to the same queue naming an agent that follows says who took it (one leg, not two).
    """
    cond, params = f.where()
    rows = store.query(
        "SELECT m.call_id, m.kind, m.detail, c.first_queue, c.agent_id, c.agent_name, c.hot_agent_id, "
        "c.hot_agent_name FROM markers m JOIN calls c ON c.call_id = m.call_id "
        f"WHERE {cond} AND c.transfers > 0 AND c.peak_risk >= ? "
        "AND m.kind IN ('queued', 'started', 'transfer') ORDER BY m.call_id, m.seq",
        (*params, hot_threshold))  # fmt: skip
    names: dict[str, str] = {}
    for r in rows:
        for id_key, name_key in (("agent_id", "agent_name"), ("hot_agent_id", "hot_agent_name")):
            # a name that is only the id (a transfer to an agent no call_started had named)
            # never replaces a real one, whichever row comes last
            if r[id_key] and r[name_key] and r[name_key] != r[id_key]:
                names[r[id_key]] = r[name_key]
    legs: dict[str, list[list[str | None]]] = {}
    for r in rows:
        route = legs.setdefault(r["call_id"], [])
        detail = str(r["detail"])
        if r["kind"] == "queued":
            if not route:
                route.append([detail, None])
        elif r["kind"] == "started":
            route[:] = [[r["first_queue"] or (route[0][0] if route else "?"), detail]]
        else:
            queue, _, agent = detail.partition(" / ")
            name = names.get(agent, agent) if agent else None
            if agent and route and route[-1][0] == queue and route[-1][1] is None:
                route[-1][1] = name  # who took the transfer that waited
            else:
                route.append([queue, name])
    return {call_id: route_text(route) for call_id, route in legs.items() if len(route) > 1}


def route_text(legs: list[list[str | None]]) -> str:
    """A call's legs (``[queue, agent name or None]``, in order) as the review list writes them.

    >>> route_text([["tech_support", "Emeka Castillo"], ["retention", "Luca Haddou"], ["billing", None]])
    'tech_support (Emeka Castillo) → retention (Luca Haddou) → billing'
    """
    return " → ".join(f"{q} ({a})" if a else str(q) for q, a in legs)


# --- figures (pandas) -----------------------------------------------------------------------


def add_flags(calls: pd.DataFrame, hot_threshold: float) -> pd.DataFrame:
    out = calls.copy()
    out["hot"] = out["peak_risk"].astype(float) >= hot_threshold
    out["escalated"] = out["disposition"] == "escalated"
    out["ended"] = out["status"] == "ended"
    return out


def headline(calls: pd.DataFrame, hot_threshold: float) -> dict[str, float | int | None]:
    """Totals for the period: calls, hot calls and rate, escalation rate, sentiment, CSAT."""
    c = add_flags(calls, hot_threshold)
    ended = c[c["ended"]]
    sentiment = pd.to_numeric(c["customer_sentiment"], errors="coerce").dropna()
    csat = pd.to_numeric(ended["csat"], errors="coerce").dropna()
    return {
        "calls": len(c),
        "hot_calls": int(c["hot"].sum()),
        "hot_rate": float(c["hot"].mean()) if len(c) else None,
        "escalation_rate": float(ended["escalated"].mean()) if len(ended) else None,
        "avg_sentiment": float(sentiment.mean()) if len(sentiment) else None,
        "avg_csat": float(csat.mean()) if len(csat) else None,
    }


def rates(calls: pd.DataFrame, hot_threshold: float, freq: str, tz: tzinfo | None) -> pd.DataFrame:
    """Per local hour (``freq="h"``) or day (``"D"``): calls, hot rate, escalation rate,
    mean customer sentiment and CSAT. Periods without calls are left out."""
    columns = ["period", "calls", "hot_calls", "hot_rate", "ended", "escalated", "escalation_rate",
               "avg_sentiment", "avg_csat"]  # fmt: skip
    if calls.empty:
        return pd.DataFrame(columns=columns)
    c = add_flags(calls, hot_threshold)
    c["period"] = local_periods(c["started_at"], tz, freq)
    c["sent"] = pd.to_numeric(c["customer_sentiment"], errors="coerce")
    c["csat_n"] = pd.to_numeric(c["csat"], errors="coerce")
    c["esc"] = c["escalated"] & c["ended"]
    g = c.groupby("period").agg(calls=("call_id", "size"), hot_calls=("hot", "sum"),
                                ended=("ended", "sum"), escalated=("esc", "sum"),
                                avg_sentiment=("sent", "mean"), avg_csat=("csat_n", "mean"))  # fmt: skip
    g["hot_rate"] = g["hot_calls"] / g["calls"]
    g["escalation_rate"] = (g["escalated"] / g["ended"]).where(g["ended"] > 0)
    return g.reset_index()[columns]


def top_reasons(alerts: list[tuple[str, list[str]]], limit: int = 10,
                hot_calls: int | None = None) -> pd.DataFrame:  # fmt: skip
    """Reasons given when calls turned hot: alerts naming each, and the share of hot calls
    (of ``hot_calls``, the period's, else of the calls the alerts are about). Reasons count
    by kind, without their figures and quotes (``reason_kind``).

    >>> top_reasons([("a", ["asked for a manager", 'agent curt ("as i said")']),
    ...              ("b", ['agent curt ("you need to listen")', "agent pace / tone"])])
                    reason  alerts  hot_calls  share_of_hot_calls
    0    agent pace / tone       2          2                 1.0
    1  asked for a manager       1          1                 0.5
    """
    counts: Counter[str] = Counter()
    calls: dict[str, set[str]] = {}
    for call_id, reasons in alerts:
        for reason in dict.fromkeys(reason_kind(r) for r in reasons):
            counts[reason] += 1
            calls.setdefault(reason, set()).add(call_id)
    n_calls = max(hot_calls or 0, len({call_id for call_id, _ in alerts}))
    rows = [{"reason": r, "alerts": n, "hot_calls": len(calls[r]),
             "share_of_hot_calls": len(calls[r]) / n_calls}
            for r, n in counts.most_common(limit)]  # fmt: skip
    return _frame(rows, ["reason", "alerts", "hot_calls", "share_of_hot_calls"])


def intervention_summary(interventions: pd.DataFrame, calls: pd.DataFrame,
                         hot_threshold: float) -> pd.DataFrame:  # fmt: skip
    """What whispers and barge-ins achieved, next to hot calls nobody intervened on.

    The sentiments are measured on the interventions with customer turns on both sides
    (``measured_on`` of the ``actions``): before, after, and the mean of (after - before);
    outcomes are per call (a call whispered twice counts once).
    """
    columns = ["intervention", "actions", "calls", "measured_on", "sentiment_before", "sentiment_after",
               "sentiment_change", "escalated", "resolved", "avg_csat"]  # fmt: skip
    rows = []
    c = add_flags(calls, hot_threshold)
    ended = c[c["ended"]].set_index("call_id")

    def outcomes(call_ids: set[str]) -> dict[str, float | None]:
        done = ended.loc[ended.index.intersection(list(call_ids))]
        csat = pd.to_numeric(done["csat"], errors="coerce").dropna()
        return {"escalated": float((done["disposition"] == "escalated").mean()) if len(done) else None,
                "resolved": float((done["disposition"] == "resolved").mean()) if len(done) else None,
                "avg_csat": float(csat.mean()) if len(csat) else None}  # fmt: skip

    for kind in INTERVENTIONS:
        d = interventions[interventions["action"] == kind]
        if d.empty:
            continue
        both = d.dropna(subset=["before", "after"])
        both = both[(both["n_before"] > 0) & (both["n_after"] > 0)]
        rows.append({"intervention": kind.replace("_", "-"), "actions": len(d),
                     "calls": d["call_id"].nunique(), "measured_on": len(both),
                     "sentiment_before": float(both["before"].mean()) if len(both) else None,
                     "sentiment_after": float(both["after"].mean()) if len(both) else None,
                     "sentiment_change": float((both["after"] - both["before"]).mean())
                     if len(both) else None, **outcomes(set(d["call_id"]))})  # fmt: skip
    untouched = set(c.loc[c["hot"], "call_id"]) - set(interventions["call_id"])
    if untouched:
        rows.append({"intervention": "none (hot calls left alone)", "actions": 0,
                     "calls": len(untouched), "measured_on": None, "sentiment_before": None,
                     "sentiment_after": None, "sentiment_change": None, **outcomes(untouched)})  # fmt: skip
    out = _frame(rows, columns)
    out["measured_on"] = out["measured_on"].astype("Int64")  # a count, "126" in the CSV, not "126.0"
    return out


def callback_status(commitments: pd.DataFrame, now: float) -> pd.DataFrame:
    """Each promise as kept (the customer's next call started by the due time), late,
    missed (due time passed, no call) or pending (not due yet)."""
    out = commitments.copy()
    nxt = pd.to_numeric(out["next_call"], errors="coerce")
    due = out["due_at"].astype(float)
    out["status"] = "missed"
    out.loc[nxt.isna() & (due > now), "status"] = "pending"
    out.loc[nxt.notna() & (nxt > due), "status"] = "late"
    out.loc[nxt.notna() & (nxt <= due), "status"] = "kept"
    return out


def callbacks_by(commitments: pd.DataFrame, now: float, by: str, names: dict[str, str]) -> pd.DataFrame:
    """Callbacks promised, kept on time, late, missed and pending per ``by`` (``agent_id``,
    ``team`` or ``queue``); ``kept_rate`` is kept / (promises already due)."""
    columns = [by, "promised", "kept", "late", "missed", "pending", "kept_rate"]
    if commitments.empty:
        return pd.DataFrame(columns=columns)
    s = callback_status(commitments, now)
    s[by] = s[by].fillna("—")
    t = pd.crosstab(s[by], s["status"]).reindex(columns=["kept", "late", "missed", "pending"],
                                                   fill_value=0)  # fmt: skip
    t["promised"] = t.sum(axis=1)
    due = t["promised"] - t["pending"]
    t["kept_rate"] = (t["kept"] / due).where(due > 0)
    t = t.reset_index()[columns].sort_values("promised", ascending=False)
    if by == "agent_id":
        t.insert(0, "agent", t["agent_id"].map(lambda a: names.get(a, a)))
    return t.reset_index(drop=True)


def playbook_by_agent(calls: pd.DataFrame, practices: pd.DataFrame) -> pd.DataFrame:
    """Per agent: calls handled, then for each practice the share of their calls showing it.

    ``practices`` is :func:`load_practices`' per-agent counts. Good practices
    (``kind == "good"``) come first, then lapses, then situations the agent met, each
    column named by the practice key; rates are per call (a practice counts once per call).
    """
    if calls.empty:
        return pd.DataFrame(columns=["agent", "agent_id", "team", "calls"])
    handled = calls.groupby("agent_id").agg(agent=("agent_name", "first"), team=("team", "first"),
                                            calls=("call_id", "nunique"))  # fmt: skip
    if practices.empty:
        return handled.reset_index()[["agent", "agent_id", "team", "calls"]]
    seen = practices.pivot_table(index="agent_id", columns="practice", values="calls", aggfunc="sum",
                                 fill_value=0)  # fmt: skip
    kinds = practice_kinds(practices)
    order = sorted(seen.columns, key=lambda k: (KIND_ORDER.get(str(kinds.get(k)), len(KIND_ORDER)), k))
    # an agent with none of these practices recorded showed each on 0% of their calls
    share = seen[order].div(handled["calls"], axis=0).reindex(handled.index).fillna(0.0)
    out = handled.join(share).reset_index()
    return out[["agent", "agent_id", "team", "calls", *order]].sort_values("agent").reset_index(drop=True)


def practice_kinds(practices: pd.DataFrame) -> dict[str, str]:
    """Each practice's kind. A store written before repeat callers, venting and abuse were
    recorded as situations has them as lapses too: the later kind wins.

    >>> practice_kinds(pd.DataFrame({"practice": ["venting", "venting", "recap_given"],
    ...                              "kind": ["situation", "lapse", "good"]}))
    {'venting': 'situation', 'recap_given': 'good'}
    """
    out: dict[str, str] = {}
    for practice, kind in zip(practices["practice"], practices["kind"], strict=True):
        if KIND_ORDER.get(kind, -1) > KIND_ORDER.get(out.get(practice, ""), -1):
            out[practice] = kind
    return out


def review_table(review: pd.DataFrame, tz: tzinfo | None) -> pd.DataFrame:
    """The review list as shown and exported: local end time, duration in minutes (one
    decimal: the page writes it with the ``minutes`` format of :mod:`dashboard.formats`)."""
    # to the second before going local: floored local times fail in the hour clocks go back over
    out = review.assign(ended_at=local_times(np.floor(review["ended_at"].astype(float)), tz),
                        duration_min=(review["duration_s"].astype(float) / 60).round(1))  # fmt: skip
    return out.drop(columns="duration_s")


def review_list(calls: pd.DataFrame, alerts: list[tuple[str, list[str]]], actions: pd.DataFrame,
                hot_threshold: float, routes: dict[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Hot calls that ended, newest first, with why they turned hot and what was done. The
    agent, team and queue are those the call had when it turned hot (:func:`load_calls`);
    ``transferred`` is the way a transferred call went (:func:`load_routes`), else empty."""
    columns = ["call_id", "ended_at", "agent_name", "team", "queue", "transferred", "duration_s",
               "peak_risk", "disposition", "csat", "reasons", "supervisor_actions"]  # fmt: skip
    c = add_flags(calls, hot_threshold)
    c = c[c["hot"] & c["ended"]].copy()
    if c.empty:
        return pd.DataFrame(columns=columns)
    first: dict[str, list[str]] = {}
    for call_id, reasons in alerts:
        first.setdefault(call_id, reasons)
    c["reasons"] = c["call_id"].map(lambda cid: "; ".join(first.get(cid, [])))
    done = (actions.assign(what=actions["action"].str.replace("_", "-") + actions["n"].map(
        lambda n: f" ×{n}" if n > 1 else "")).groupby("call_id")["what"].agg(", ".join)
        if len(actions) else pd.Series(dtype=str))  # fmt: skip
    # every action, feedback too: "interventions" elsewhere on the page are whispers and barge-ins
    c["supervisor_actions"] = c["call_id"].map(lambda cid: done.get(cid, ""))
    c["transferred"] = c["call_id"].map(lambda cid: (routes or {}).get(cid, ""))
    c["duration_s"] = c["ended_at"].astype(float) - c["started_at"].astype(float)
    return c.sort_values("ended_at", ascending=False)[columns].reset_index(drop=True)


def callbacks_per_day(commitments: pd.DataFrame, now: float, tz: tzinfo | None) -> pd.DataFrame:
    """Callbacks promised per local day, by what became of them (kept, late, missed, pending)."""
    columns = ["day", "kept", "late", "missed", "pending"]
    if commitments.empty:
        return pd.DataFrame(columns=columns)
    s = callback_status(commitments, now)
    s["day"] = local_periods(s["ts"], tz, "D")
    t = pd.crosstab(s["day"], s["status"]).reindex(columns=columns[1:], fill_value=0)
    t.columns.name = None
    return t.reset_index()
