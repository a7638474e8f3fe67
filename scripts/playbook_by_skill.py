"""Do the playbook figures per agent follow the simulated agents' skill? Prints, per practice
recorded in a store filled by ``callheat simulate --history-days N``: its rows, the mean
share of an agent's calls showing it, the rank correlation of that share with the
simulator's skill for the agent (a good practice should rise with skill, a lapse fall),
and for the cues an agent answers (no acknowledgement, no empathy, no timeframe) how many
were put right on the agent's very next turn::

    callheat simulate --history-days 5 --calls-per-day 3000 --store-url sqlite:///h5.db
    .venv/bin/python scripts/playbook_by_skill.py h5.db

Only for simulated history: real agents have no skill figure to compare with.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
from collections import Counter, defaultdict

from streaming.quality import spearman
from streaming.simulator.floor import build_floor

MIN_CALLS = 30  # agents with fewer ended calls are left out of the correlation
PUT_RIGHT_BY = {"no_ack": ("issue_reflected", "empathy_shown"), "no_empathy": ("empathy_shown",),
                "no_timeframe": ("timeframe_given",)}  # fmt: skip


def main(path: str) -> None:
    db = sqlite3.connect(path)
    skill = {a.agent_id: a.skill for a in build_floor(500).agents}  # the history's floor, seed 1
    calls = Counter(a for (a,) in db.execute("SELECT agent_id FROM calls WHERE status = 'ended'"))
    agents = [a for a, n in calls.items() if a in skill and n >= MIN_CALLS]
    per: dict[str, Counter[str]] = defaultdict(Counter)
    kinds: dict[str, str] = {}
    for agent, practice, kind in db.execute(
            "SELECT c.agent_id, p.practice, p.kind FROM practices p JOIN calls c USING (call_id) "
            "WHERE c.status = 'ended'"):  # fmt: skip
        per[practice][agent] += 1
        kinds[practice] = kind
    print(f"{len(agents)} agents with at least {MIN_CALLS} ended calls")
    speakers: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for call_id, seq, speaker in db.execute("SELECT call_id, seq, speaker FROM turns ORDER BY call_id, seq"):
        speakers[call_id].append((seq, speaker))
    good: dict[str, dict[str, int]] = defaultdict(dict)
    for call_id, practice, seq in db.execute(
            "SELECT call_id, practice, seq FROM practices WHERE kind = 'good'"):  # fmt: skip
        good[call_id][practice] = seq
    for practice in sorted(per, key=lambda p: (kinds[p], p)):
        shares = [per[practice][a] / calls[a] for a in agents]
        rho = spearman([skill[a] for a in agents], shares)
        line = (f"{kinds[practice]:9} {practice:18} rows {sum(per[practice].values()):6,}  "
                f"mean share {statistics.fmean(shares):.3f}  rank correlation with skill "
                + ("-" if rho is None else f"{rho:+.2f}"))
        if practice in PUT_RIGHT_BY:
            rows = db.execute("SELECT call_id, seq FROM practices WHERE practice = ?", (practice,)).fetchall()
            right = 0
            for call_id, seq in rows:
                after = [s for s, who in speakers[call_id] if s > seq and who == "agent"]
                done = {good[call_id].get(p) for p in PUT_RIGHT_BY[practice]}
                right += bool(after) and after[0] in done
            line += f"  put right on the next agent turn {right:,}"
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])
