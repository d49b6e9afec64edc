"""Benchmarks of the richer matching models: randomised assignment and team coverage.

Run from the repository root (not part of the tests)::

    python benchmarks/models.py randomised          # 10,000 x 3,000 at q = 0.5 and 0.9
    python benchmarks/models.py coverage            # 1,000 x 300, exact CP-SAT and fast path
    python benchmarks/models.py randomised --size 1000x300   # a smaller programme

Instances are ``matcher.data.synth``'s "correlated" scores (half a heavy-tailed mentor popularity,
half noise: a few star mentors everyone wants) with ``synthetic_capacities``, k = 3. Every figure
is printed with the 1-minute load average beside it (the machine is shared), and the rows are
added to ``benchmarks/models.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

K = 3


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def stars(n_s: int, n_m: int, seed: int = 0) -> dict:
    """Scores and capacities of one synthetic programme with star mentors."""
    from matcher.data.synth import synthetic_capacities, synthetic_scores

    return {"scores": synthetic_scores(n_s, n_m, "correlated", seed=seed),
            "capacity": synthetic_capacities(n_s, n_m, K, seed=seed)}


def randomised(n_s: int, n_m: int, caps: tuple[float, ...] = (0.5, 0.9), seed: int = 0) -> list[dict]:
    """LP time, sample time and expected-score ratio to the deterministic optimum, per cap."""
    from matcher.solve.arguments import make_problem
    from matcher.solve.flow import solve_flow
    from matcher.solve.randomised import fractional_assignment

    inst = stars(n_s, n_m, seed)
    start = time.perf_counter()
    base = make_problem(inst["scores"], k=K, capacity=inst["capacity"])
    rows, cols = solve_flow(base)
    optimum = float(base.scores[rows, cols].sum())
    flow_seconds = time.perf_counter() - start
    out = []
    for q in caps:
        problem = make_problem(inst["scores"], k=K, capacity=inst["capacity"], objective="randomised",
                               max_probability=q)
        t0 = time.perf_counter()
        x = fractional_assignment(problem)
        lp = time.perf_counter() - t0
        lp_load = _load()
        t0 = time.perf_counter()
        samples = 3
        for s in range(samples):
            x.sample(seed + s)
        sample = (time.perf_counter() - t0) / samples
        fractional = int(((x.units > 0) & (x.units < x.whole)).sum())
        out.append({"case": "randomised", "size": f"{n_s}x{n_m}", "q": q, "lp_seconds": round(lp, 2),
                    "lp_load": lp_load, "sample_seconds": round(sample, 2), "sample_load": _load(),
                    "fractional_pairs": fractional, "expected_score": round(x.expected_score, 3),
                    "deterministic_optimum": round(optimum, 3),
                    "ratio": round(x.expected_score / optimum, 4),
                    "deterministic_flow_seconds": round(flow_seconds, 2)})
        print(out[-1], flush=True)
    return out


def team_instance(n_s: int, n_m: int, seed: int = 0) -> dict:
    """``assign`` keywords of the team objective: star scores, the synthetic programme's needs
    (weighted most important first) and offers, mentor kinds and top-level domains."""
    import pandas as pd

    from matcher.data.synth import synthetic_programme
    from matcher.data.taxonomy import SUPPORT_AREAS
    from matcher.scoring.features import need_weights

    startups, mentors = synthetic_programme(n_s, n_m, "correlated", seed=seed)
    needs = pd.DataFrame(0.0, index=range(n_s), columns=list(SUPPORT_AREAS))
    for i, text in enumerate(startups["needs"]):
        listed = [a for a in str(text).split(";") if a]
        needs.loc[i, listed] = need_weights(len(listed))
    offers = pd.DataFrame([[a in str(text).split(";") for a in SUPPORT_AREAS] for text in mentors["offers"]],
                          columns=list(SUPPORT_AREAS))
    domains = [str(d).split(";")[0].split("/")[0] for d in mentors["domains"]]
    return {**stars(n_s, n_m, seed), "k": K, "needs": needs, "offers": offers,
            "mentor_groups": {"kind": list(mentors["kind"]), "domain": domains}}


def coverage(n_s: int, n_m: int, *, seconds: float = 60.0, seed: int = 0) -> list[dict]:
    """The team objective: the exact CP-SAT model (hinted by the fast path) and the fast path."""
    import matcher

    inst = team_instance(n_s, n_m, seed)
    out = []
    for solver in ("team-greedy", "team"):
        t0 = time.perf_counter()
        result = matcher.assign(**inst, objective="team", solver=solver, time_limit=seconds, seed=seed)
        out.append({"case": "coverage", "size": f"{n_s}x{n_m}", "method": solver,
                    "seconds": round(time.perf_counter() - t0, 2), "load": _load(),
                    "status": result.status, "value": round(result.objective, 3),
                    "bound": round(result.bound, 3), "gap_to_own_bound": round(result.gap, 4),
                    "greedy_value": result.info.get("greedy_value"),
                    "greedy_guarantee": result.info.get("greedy_guarantee"),
                    "exact_model": result.info.get("exact_model")})
        print(out[-1], flush=True)
    fast, exact = out
    best_bound = min(fast["bound"], exact["bound"])
    fast["gap_to_best_bound"] = round((best_bound - fast["value"]) / fast["value"], 4)
    fast["below_exact"] = round((exact["value"] - fast["value"]) / exact["value"], 4)
    exact["gap_to_best_bound"] = round((best_bound - exact["value"]) / exact["value"], 4)
    print({"fast_below_exact": fast["below_exact"], "fast_gap": fast["gap_to_best_bound"],
           "exact_gap": exact["gap_to_best_bound"]}, flush=True)
    return out


def _save(rows: list[dict]) -> None:
    path = HERE / "models.json"
    old = json.loads(path.read_text()) if path.exists() else []
    keys = {(r["case"], r["size"], r.get("q"), r.get("method")) for r in rows}
    kept = [r for r in old if (r["case"], r["size"], r.get("q"), r.get("method")) not in keys]
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(kept + rows, indent=1) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["randomised", "coverage"])
    parser.add_argument("--size", default=None, help="startups x mentors, e.g. 1000x300")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit of the exact model")
    args = parser.parse_args(argv)
    if args.case == "randomised":
        n_s, n_m = map(int, (args.size or "10000x3000").split("x"))
        rows = randomised(n_s, n_m)
    else:
        n_s, n_m = map(int, (args.size or "1000x300").split("x"))
        rows = coverage(n_s, n_m, seconds=args.seconds)
    _save(rows)


if __name__ == "__main__":
    main()
