"""Issue 13's aims that are not about scale: the fair objective and the command line's start-up.

``run.py`` lists these cases beside its own (``fair-*``, ``startup-*``), runs each in its own
process like the rest, and adds :func:`target_rows` to its targets table, where *met* is
computed from the figures in ``results.json``.

* ``fair-<family>-<size>``: ``matcher.assign(..., objective="fair", time_limit=...)`` on
  ``fair.py``'s programmes (the issue's aim is on ``stars``; ``correlated`` and ``uniform``
  carry quotas), at the limits and gaps of ``fair.AIMS``.
* ``startup-*``: the wall time of a fresh process, started from the venv's interpreter or the
  ``matcher`` script beside it: the median of 5 runs after one warm-up run.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from fair import AIMS, aim_met, instance, run

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ("stars", "correlated", "uniform")
SAMPLE = ROOT / "data" / "spring-2026"
STARTUP_RUNS = 5
#: case name -> (what is timed, as the targets table says it, limit in seconds)
STARTUP = {
    "startup-help": ("`matcher --help`", 0.3),
    "startup-import": ('`python -c "import matcher"`', 0.4),
    "startup-match-spring-2026": ("`matcher match data/spring-2026 --out <tmp dir>`, end to end",
                                  1.0),
}


def cases() -> list[dict]:
    """The fields of every case of this module, for ``run.Case``."""
    out = []
    for (n_s, n_m), (limit, aim) in AIMS.items():
        for family in FAMILIES:
            out.append({"name": f"fair-{family}-{n_s}x{n_m}", "method": "fair", "n_startups": n_s,
                        "n_mentors": n_m, "distribution": family,
                        "note": f"assign(objective='fair', time_limit={limit:g}): gap aim {aim:.0%}"})
    for name, (what, _) in STARTUP.items():
        sample = name.endswith("spring-2026")
        out.append({"name": name, "method": "startup", "n_startups": 11 if sample else 0,
                    "n_mentors": 36 if sample else 0,
                    "distribution": "sample" if sample else "–",
                    "note": f"{what}: median of {STARTUP_RUNS} fresh processes"})
    return out


def run_fair(n_s: int, n_m: int, family: str) -> dict:
    """One fair solve at its aim's time limit; the load average is read before and after."""
    # loaded before the clock starts, as in run.py: the limit is the solver's, not the imports'
    import ortools.sat.python.cp_model  # noqa: F401

    import matcher.solve.fair  # noqa: F401

    limit, _ = AIMS[(n_s, n_m)]
    problem = instance(n_s, n_m, family)
    before = os.getloadavg()[0]
    row = run(problem, "fair", "auto", limit)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if "error" in row:
        return {"status": "failed: " + row["error"], "wall_s": row["seconds"],
                "loads": [round(before, 2)], "peak_rss_mib": rss}
    bounds = row["bounds"]
    smallest = min(bounds.values(), default=float("nan"))
    # equal bounds from several sources are all named: a tie says the cheaper one sufficed
    source = " = ".join(k for k, v in bounds.items() if v <= smallest * (1 + 1e-9))
    return {"wall_s": row["seconds"], "objective": row["worst"], "bound": row["bound"],
            "gap": row["gap"], "status": row["status"], "solver": "fair", "total": row["total"],
            "limit_s": limit, "bounds": bounds, "bound_source": source or "–",
            "loads": [round(before, 2), round(row["load"], 2)], "peak_rss_mib": rss}


def _command(name: str, out: str) -> list[str]:
    script = Path(sys.executable).parent / "matcher"
    if not script.exists():
        raise SystemExit(f"no `matcher` script beside {sys.executable}: install the package first")
    return {"startup-help": [str(script), "--help"],
            "startup-import": [sys.executable, "-c", "import matcher"],
            "startup-match-spring-2026": [str(script), "match", str(SAMPLE), "--out", out]}[name]


def run_startup(name: str) -> dict:
    """One command in fresh processes: a warm-up run (disk cache, .pyc), then the median of 5."""
    # as installed users run it: bytecode cached after the warm-up, whatever this shell says
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs = []
    for i in range(STARTUP_RUNS + 1):
        with tempfile.TemporaryDirectory() as out:  # a fresh --out each time: no run reuses one
            cmd = _command(name, out)
            load = os.getloadavg()[0]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                                  timeout=120)
            wall = time.perf_counter() - start
        if proc.returncode != 0:
            return {"status": f"failed: exit {proc.returncode}: {proc.stderr.strip()[-200:]}",
                    "wall_s": wall}
        if i > 0:
            runs.append({"wall_s": wall, "load": load})
    return {"wall_s": float(np.median([r["wall_s"] for r in runs])), "runs": runs,
            "loads": [round(r["load"], 2) for r in runs], "status": "ok", "solver": "subprocess",
            # no peak RSS: a child's ru_maxrss counts the pages it shared with this process at fork
            "limit_s": STARTUP[name][1]}


def target_rows(results: dict) -> list[str]:
    """One targets-table row per fair family and size and per start-up command."""
    rows = []
    for (n_s, n_m), (limit, aim) in AIMS.items():
        for family in FAMILIES:
            r = results.get(f"fair-{family}-{n_s}x{n_m}", {})
            gap, wall = r.get("gap"), r.get("wall_s")
            ok = gap is not None and wall is not None and aim_met(gap, wall, limit, aim)
            shown = (f"gap {gap:.2%}, {wall:.1f} s ({r['status']}), worst {r['objective']:.4f}, "
                     f"bound {r['bound']:.4f} from {r['bound_source']}, {load_range(r)}"
                     if gap is not None else r.get("status") or "–")
            rows.append(f"| fair objective, {n_s:,}×{n_m:,}, k=3: worst total within {aim:.0%} of "
                        f"the proven bound in {limit:g} s | {family} | {shown} | {met_text(ok)} |")
    for name, (what, limit) in STARTUP.items():
        r = results.get(name, {})
        wall = r.get("wall_s") if r.get("status") == "ok" else None
        shown = (f"{wall:.2f} s (runs {min(x['wall_s'] for x in r['runs']):.2f}–"
                 f"{max(x['wall_s'] for x in r['runs']):.2f} s), {load_range(r)}"
                 if wall is not None else r.get("status") or "–")
        rows.append(f"| {what}: < {limit:g} s (fresh process, median of {STARTUP_RUNS} after a "
                    f"warm-up) | {'sample data' if name.endswith('spring-2026') else '–'} | {shown} | "
                    f"{met_text(wall is not None and wall < limit)} |")
    return rows


def met_text(ok: bool) -> str:
    return "yes" if ok else "no"


def load_range(r: dict) -> str:
    """The load averages read before (and for a fair run, after) each timed run."""
    loads = r.get("loads")
    return f"load {min(loads):.1f}–{max(loads):.1f}" if loads else "load –"
