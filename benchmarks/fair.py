"""Benchmark of the fair (max-min) objective against plain CP-SAT on the same instances.

Run from the repository root (takes about 10 minutes; not part of the tests)::

    python benchmarks/fair.py            # all cases: prints the Markdown table of FAIR.md
    python benchmarks/fair.py --quick    # 1,000 x 300 only, 10 s

Instances: k = 3, mentors of five kinds with capacities 3 to 6 (about 1.3 places per place
needed), quotas "at least 1 of professor/scientist", "at least 1 of engineer/entrepreneur",
"at most 1 investor". Scores are uniform in [0, 1], or correlated: a few popular mentors that
every startup wants (a mentor quality term shared by all rows plus a small per-pair term).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

KINDS = np.array(["professor", "scientist", "engineer", "entrepreneur", "investor"])


def instance(n_s: int, n_m: int, kind: str, seed: int = 0) -> dict:
    """Scores, capacities and quotas of one synthetic programme."""
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        scores = rng.random((n_s, n_m))
    else:
        popularity = rng.pareto(2.0, n_m)
        popularity = popularity / popularity.max()
        scores = 0.7 * popularity[None, :] + 0.3 * rng.random((n_s, n_m))
    kinds = KINDS[rng.integers(0, len(KINDS), n_m)]
    capacity = rng.integers(3, 7, n_m)
    capacity = np.maximum(1, np.rint(capacity * (1.3 * 3 * n_s) / capacity.sum())).astype(int)
    academic = np.isin(kinds, ["professor", "scientist"])
    industry = np.isin(kinds, ["engineer", "entrepreneur"])
    investor = kinds == "investor"
    quotas = [
        {"name": "academic", "mentors": academic, "min": 1},
        {"name": "industry", "mentors": industry, "min": 1},
        {"name": "investor", "mentors": investor, "max": 1},
    ]
    return {"scores": scores, "k": 3, "capacity": capacity, "quotas": quotas}


def run(case: dict, objective: str, solver: str, seconds: float | None) -> dict:
    import matcher

    start = time.perf_counter()
    try:
        a = matcher.assign(**case, objective=objective, solver=solver, time_limit=seconds)
    except Exception as exc:  # report, do not stop the benchmark
        return {
            "error": f"{type(exc).__name__}: {str(exc)[:80]}",
            "seconds": time.perf_counter() - start,
        }
    totals = a.startup_totals().to_numpy()
    if objective == "total":  # the bound is on the total: report the worst startup beside it
        return {
            "worst": float(totals.min()),
            "total": float(a.scores.sum()),
            "bound": float("nan"),
            "gap": float("nan"),
            "status": a.status,
            "seconds": time.perf_counter() - start,
        }
    return {
        "worst": float(totals.min()),
        "total": float(a.scores.sum()),
        "bound": a.bound,
        "gap": a.gap,
        "status": a.status,
        "seconds": time.perf_counter() - start,
    }


def plain_cpsat(case: dict, seconds: float, seed: int = 0) -> dict:
    """Cold CP-SAT on max-min over all pairs, no hint, no external bound: the baseline."""
    from ortools.sat.python import cp_model

    from matcher.solve.arguments import make_problem
    from matcher.solve.cpsat_model import build_model, run_cpsat

    start = time.perf_counter()
    n_pairs = case["scores"].size
    if n_pairs > 2_000_000:
        # one boolean per pair: the model alone takes minutes and many GB to build at this size
        return {
            "error": f"not run: {n_pairs / 1e6:.1f} M booleans do not build in the limit",
            "seconds": 0.0,
        }
    problem = make_problem(
        case["scores"],
        k=case["k"],
        capacity=case["capacity"],
        quotas=case["quotas"],
        objective="fair",
    )
    parts = build_model(problem, problem.allowed, objective="worst")
    solver, status = run_cpsat(
        parts, time_limit=seconds - (time.perf_counter() - start), seed=seed, num_workers=2
    )
    out = {"seconds": time.perf_counter() - start, "status": solver.status_name(status).lower()}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = solver.boolean_values(parts.x).to_numpy(dtype=bool)
        rows, cols = parts.rows[chosen], parts.cols[chosen]
        totals = np.bincount(rows, weights=problem.scores[rows, cols], minlength=problem.shape[0])
        bound = solver.best_objective_bound / parts.weights.scale
        out.update(
            worst=float(totals.min()),
            total=float(totals.sum()),
            bound=bound,
            gap=(bound - totals.min()) / max(totals.min(), 1e-9),
        )
    return out


def fmt(row: dict) -> str:
    if "error" in row:
        return f"| {row['error']} | | | | {row['seconds']:.1f} |"
    if "worst" not in row:
        return f"| no solution ({row['status']}) | | | | {row['seconds']:.1f} |"
    return (
        f"| {row['worst']:.4f} | {row['total']:.1f} | {row['bound']:.4f} | {row['gap']:.2%} "
        f"| {row['seconds']:.1f} ({row['status']}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [(1000, 300)] if args.quick else [(1000, 300), (5000, 1500)]
    limits = [10.0] if args.quick else [10.0, 60.0]
    print(
        "| size | scores | method | limit (s) | worst startup total | total | bound on worst | gap "
        "| wall s (status) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n_s, n_m in sizes:
        for kind in ("uniform", "correlated"):
            case = instance(n_s, n_m, kind)
            row = run(case, "total", "auto", None)
            print(f"| {n_s}x{n_m} | {kind} | total (flow) | - " + fmt(row), flush=True)
            for limit in limits:
                row = run(case, "fair", "auto", limit)
                print(f"| {n_s}x{n_m} | {kind} | fair | {limit:g} " + fmt(row), flush=True)
                row = plain_cpsat(case, limit)
                print(
                    f"| {n_s}x{n_m} | {kind} | plain CP-SAT max-min | {limit:g} " + fmt(row),
                    flush=True,
                )


if __name__ == "__main__":
    main()
