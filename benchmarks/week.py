"""The matching week at programme scale: 100 startups x 300 mentors, 20 meetings per startup
over 5 days (9:00-17:00, 20-minute slots, 5-minute gaps, lunch 12:30-13:30: 16 slots a day).

Three cases, each timed in this process with the load average beside it (a shared 2-core box):

* ``konig``: no availability limits: the meeting lists, then the timetable by edge colouring;
* ``windows``: every mentor available on 3 of the 5 days (random), CP-SAT under a time limit;
* ``final``: simulated choices, the final match (total and stable).

    python benchmarks/week.py            # prints a table; results in benchmarks/week.json
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from matcher.data.io import load_cohort  # noqa: E402
from matcher.data.synth import synthetic_programme  # noqa: E402
from matcher.week import final_match, plan_meetings, simulate_choices  # noqa: E402

N_STARTUPS, N_MENTORS, PER_STARTUP, DAYS = 100, 300, 20, 5
START = dt.date(2026, 3, 2)
TIME_LIMIT = 120.0


def load() -> str:
    return "{:.2f}/{:.2f}".format(*os.getloadavg()[:2])


def timed(name: str, call):
    before = load()
    start = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - start
    return value, {"case": name, "seconds": round(seconds, 2), "load_before": before, "load_after": load()}


def windows(cohort, seed: int = 0) -> pd.DataFrame:
    """Each mentor free on 3 random days of the 5, all day."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in cohort.mentors:
        for d in sorted(rng.choice(DAYS, size=3, replace=False)):
            rows.append((m.id, START + dt.timedelta(days=int(d)), dt.time(9, 0), dt.time(17, 0)))
    return pd.DataFrame(rows, columns=["mentor_id", "date", "from", "to"])


def main() -> None:
    startups, mentors = synthetic_programme(N_STARTUPS, N_MENTORS, "clustered", seed=0)
    cohort = load_cohort(startups=startups, mentors=mentors, require_common_language=False,
                         time_limit=TIME_LIMIT)
    cohort = cohort.__class__(**{**cohort.__dict__, "meta": {**cohort.meta, "start_date": START}})
    results = []
    plan, row = timed("konig", lambda: plan_meetings(cohort, per_startup=PER_STARTUP, days=DAYS,
                                                     availability=False))
    results.append({**row, **facts(plan)})
    limited, row = timed("windows", lambda: plan_meetings(cohort, per_startup=PER_STARTUP, days=DAYS,
                                                          availability=windows(cohort)))
    results.append({**row, **facts(limited)})
    choices = simulate_choices(plan, seed=0)
    for solver in (None, "stable"):
        final, row = timed(f"final-{solver or 'total'}",
                           lambda s=solver: final_match(cohort, choices, meetings=plan, solver=s,
                                                        scores=plan.scores))
        results.append({**row, "pairs": len(final.pairs), "status": final.assignment.status,
                        "gap": round(final.assignment.gap, 4), "blocking_pairs": len(final.blocking_pairs)})
    for r in results:
        print(json.dumps(r))
    (HERE / "week.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def facts(plan) -> dict:
    t = plan.timetable
    return {"meetings": len(plan.meetings), "rounds": t.rounds, "lower_bound": t.lower_bound,
            "proven_rounds_bound": t.info.get("rounds_bound"), "method": t.method, "status": t.status,
            "list_seconds": round(plan.assignment.timings.get("solve", float("nan")), 2),
            "list_solver": plan.assignment.solver, "list_status": plan.assignment.status,
            "timetable_seconds": round(sum(t.timings.values()), 2),
            "most_a_startup_meets_in_a_day": int(t.max_per_day.max())}


if __name__ == "__main__":
    main()
