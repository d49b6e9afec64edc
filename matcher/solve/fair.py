"""Max-min fairness that scales: LP duals, Lagrangian flows and CP-SAT on a candidate set.

The ``fair`` objective is lexicographic: first maximise the worst-served startup's total, then the
total given that. Cold CP-SAT on the whole problem stalls at 1,000 x 300 (it neither finds a good
worst total nor proves one), so :func:`solve_fair` works in four steps, each under the time limit:

1. **Candidates.** Each startup keeps its best ``L`` mentors (and enough of each quota group), plus
   every pinned pair and the pairs of the max-total flow optimum.
2. **Bound.** The LP relaxation on the candidates (HiGHS) gives multipliers; priced against *every*
   pair they give a Lagrangian bound on the worst total that is valid for the full problem
   (:func:`matcher.solve.bound.lagrangian_bound`).
   When a few mentors are wanted by everyone the LP is weak (it hands out fractions of them), and
   a counting argument over whole mentors (:func:`price_bound`) is much tighter.
3. **Start.** The LP's fairness multipliers ``lam_i`` say how much each startup's total is worth;
   the flow optimum with scores ``lam_i * s_ij`` is a fair assignment that obeys every flow rule.
   A few multiplicative-weight rounds (raise the weight of startups left behind) improve it, and
   a local search (:func:`raise_worst`) raises the worst startup by moves and swaps.
4. **CP-SAT**, hinted with the best start, maximises the worst total with the bound as the upper
   end of its domain (so it can stop when it meets it): first on the LP's support (small, often
   solved outright), then on all candidates; then, with every startup held at that worst total,
   it maximises the total.

``Assignment.objective`` is the worst startup's total, ``bound`` bounds it and ``gap`` is measured
on it; ``info["total"]`` holds the total.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.bound import lagrangian_bound, lp_relaxation
from matcher.solve.feasible import satisfies
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem

__all__ = [
    "FairSolver",
    "solve_fair",
    "fair_candidates",
    "worst_total",
    "satisfies",
    "price_bound",
    "solo_bound",
    "raise_worst",
]

#: Problems with at most this many allowed pairs are solved on all of them.
SMALL = 20_000

#: Seconds to build a CP-SAT model, per candidate pair (measured, with margin).
BUILD_SECONDS = 4e-5

#: Beyond this many allowed pairs, the first flow runs on candidate pairs only.
LARGE = 1_000_000


def mentor_tops(problem: Problem, count: np.ndarray) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): each mentor's ``count[j]`` best startups."""
    n_s = problem.shape[0]
    values = np.where(problem.allowed, problem.scores, -np.inf)
    width = int(min(n_s, count.max(initial=0)))
    out = np.zeros(problem.shape, dtype=bool)
    if width == 0:
        return out
    idx = np.argpartition(-values, width - 1, axis=0)[:width]
    ranks = np.argsort(np.argsort(-np.take_along_axis(values, idx, axis=0), axis=0), axis=0)
    keep = ranks < np.minimum(count, n_s)[None, :]
    cols = np.broadcast_to(np.arange(problem.shape[1]), idx.shape)
    out[idx[keep], cols[keep]] = True
    return out & problem.allowed


def worst_total(problem: Problem, chosen: np.ndarray) -> float:
    """The smallest startup total of the bool mask ``chosen`` of shape (n_startups, n_mentors)."""
    totals = np.where(chosen, problem.scores, 0.0).sum(axis=1)
    return float(totals.min()) if len(totals) else 0.0


def solo_bound(problem: Problem) -> float:
    """The smallest total any startup could reach alone: its best ``k_max`` allowed mentors
    (positive scores only beyond ``k_min``; quotas and capacities relaxed), pins included.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> round(solo_bound(make_problem(np.array([[0.9, 0.5], [0.3, 0.2]]), k=2, capacity=2)), 6)
    0.5
    """
    n_s = problem.shape[0]
    pins = problem.pinned
    free = np.where(problem.allowed & ~pins, problem.scores, -np.inf)
    n_pins = pins.sum(axis=1)
    must = np.maximum(problem.k_min - n_pins, 0)
    may = np.maximum(problem.k_max - n_pins, 0)
    width = int(min(problem.shape[1], may.max(initial=0)))
    totals = np.where(pins, problem.scores, 0.0).sum(axis=1)
    if width:
        top = -np.sort(np.partition(-free, width - 1, axis=1)[:, :width], axis=1)
        place = np.arange(width)[None, :]
        take = np.where(
            place < must[:, None], top, np.where(place < may[:, None], np.maximum(top, 0), 0)
        )
        totals = totals + take.sum(axis=1)
    worst = float(totals.min()) if n_s else 0.0
    return worst + 1e-9 * max(1.0, abs(worst))


def price_bound(
    problem: Problem, lp_prices: np.ndarray, high: float, *, budget: float = 1.0
) -> float:
    """The best :func:`~matcher.solve.bound.threshold_bound` over a few price vectors.

    Tries the LP's capacity multipliers and indicators of the ``P`` most wanted mentors (by mean
    score) for ``P`` on a geometric grid; stops when ``budget`` seconds are spent.
    """
    from matcher.solve.bound import threshold_bound

    start = time.perf_counter()
    n_m = problem.shape[1]
    low = float(np.where(problem.allowed, problem.scores, np.inf).min(initial=0.0))
    low = min(low * float(problem.k_max.min(initial=0)), high) if np.isfinite(low) else high
    wanted = np.argsort(-problem.scores.mean(axis=0), kind="stable")
    best = high
    # the most useful sizes first (about an eighth of the mentors on the instances we measured)
    sizes = sorted(
        {max(1, int(v)) for v in np.geomspace(1, n_m, num=14)},
        key=lambda v: abs(np.log(8 * v / n_m)),
    )
    vectors = []
    for size in sizes:
        prices = np.zeros(n_m)
        prices[wanted[:size]] = 1.0
        vectors.append(prices)
    vectors.append(lp_prices)
    for prices in vectors:
        if time.perf_counter() - start > budget:
            break
        best = min(best, threshold_bound(problem, prices, low, best, steps=40))
    return best


def fair_candidates(problem: Problem, per_startup: int) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): each startup's best mentors and quota members.

    Keeps the ``per_startup`` best allowed mentors of each startup, and for each quota its
    ``2 * max(min, 1) + 2`` best members, so that the quotas stay satisfiable; pins are kept.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.5, 0.1]]), k=1, capacity=1)
    >>> fair_candidates(p, 2).astype(int).tolist()
    [[1, 1, 0]]
    """
    n_s, n_m = problem.shape
    allowed = problem.allowed
    keep = problem.pinned.copy()

    def top(mask: np.ndarray, count: np.ndarray | int) -> np.ndarray:
        values = np.where(mask, problem.scores, -np.inf)
        count = np.minimum(np.broadcast_to(count, (n_s,)), n_m)
        width = int(count.max(initial=0))
        if width == 0:
            return np.zeros_like(mask)
        idx = np.argpartition(-values, width - 1, axis=1)[:, :width]
        order = np.argsort(-np.take_along_axis(values, idx, axis=1), axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
        pick = np.zeros_like(mask)
        rank_ok = np.arange(width)[None, :] < count[:, None]
        r = np.repeat(np.arange(n_s), width).reshape(n_s, width)
        pick[r[rank_ok], idx[rank_ok]] = True
        return pick & mask

    keep |= top(allowed, per_startup)
    for quota in problem.quotas:
        member = allowed & quota.mask(n_s)
        keep |= top(member, 2 * np.maximum(quota.min, 1) + 2)
    return keep


def solve_fair(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    num_workers: int = 2,
    hint: bool = True,
    per_startup: int | None = None,
) -> Assignment:
    """Maximise the worst-served startup's total, then the total; see the module docstring.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.array([[0.9, 0.8], [0.7, 0.1]])
    >>> p = make_problem(scores, k=1, capacity=1, objective="fair")
    >>> a = solve_fair(p, time_limit=5)
    >>> a.pairs[["startup_id", "mentor_id"]].values.tolist(), a.status, round(a.objective, 2)
    ([[0, 1], [1, 0]], 'optimal', 0.7)
    """
    from ortools.sat.python import cp_model

    from matcher.solve.cpsat_model import build_model, flow_hint, run_cpsat, set_hint

    start = time.perf_counter()
    deadline = start + time_limit
    timings: dict[str, float] = {}
    info: dict[str, object] = {}
    n_s, n_m = problem.shape
    allowed = problem.allowed | problem.pinned

    # 1. Candidates: everything when small; else each startup's best mentors and the flow optimum.
    if allowed.sum() <= SMALL:
        candidates = allowed.copy()
    else:
        width = per_startup or max(8 * int(problem.k_max.max(initial=1)), 24)
        candidates = fair_candidates(problem, width)
    relaxed = None
    if hint and allowed.sum() > LARGE:
        # the max-total flow on every pair takes longer than the whole budget at this size: route
        # it over the candidates and, so that every mentor's places stay reachable, each mentor's
        # best startups (twice its capacity)
        wide = candidates | mentor_tops(problem, 2 * problem.capacity)
        relaxed = flow_hint(replace(problem, forbidden=problem.forbidden | ~wide))
    if hint and relaxed is None:
        relaxed = flow_hint(problem)
    best = relaxed if relaxed is not None and satisfies(problem, relaxed) else None
    starts = {"max total": best} if best is not None else {}
    if relaxed is not None:
        candidates |= relaxed
    timings["start"] = time.perf_counter() - start

    # 2. Bound: the LP on the candidates, its multipliers priced on every pair (valid for all
    # pairs whatever the candidates); its support is where the search below starts.
    bound, duals, support = math.inf, None, None
    left = deadline - time.perf_counter()
    lp = lp_relaxation(problem, *np.nonzero(candidates), time_limit=0.5 * left)
    if lp is not None:
        value, duals, x = lp
        bound = lagrangian_bound(problem, duals)
        support = np.zeros(problem.shape, dtype=bool)
        c_rows, c_cols = np.nonzero(candidates)
        # a vertex (after crossover): its support is small and holds the fractional choices
        support[c_rows, c_cols] = x > 1e-6
        info["lp_value"] = value
    info["lagrangian_bound"] = bound
    if problem.objective == "fair":
        # No startup does better than on its own: its best k_max allowed mentors (quotas relaxed).
        bound = min(bound, solo_bound(problem))
        # Whole mentors, not fractions: price the popular mentors' places (see threshold_bound).
        prices = duals.mu if duals is not None else np.zeros(n_m)
        here = price_bound(problem, prices, bound, budget=0.1 * time_limit)
        info["price_bound"] = here
        bound = min(bound, here)
    timings["bound"] = time.perf_counter() - start - sum(timings.values())

    # 3. Start: flows with startup weights from the LP, then multiplicative-weight rounds.
    if hint and duals is not None:
        lam = np.maximum(duals.lam, 0) + 1e-3 / n_s
        restricted = replace(problem, forbidden=problem.forbidden | ~candidates)
        for rounds in range(3):
            if time.perf_counter() > start + 0.45 * time_limit:
                break
            lam = lam / lam.sum()
            weights = (lam + 1e-4 / n_s)[:, None] * problem.scores
            chosen = flow_hint(restricted, weights=weights)
            if chosen is None:
                break
            if not satisfies(problem, chosen):
                break  # the flow drops rules it cannot express: leave the repair to CP-SAT
            if best is None or worst_total(problem, chosen) > worst_total(problem, best):
                best, starts["lagrangian flow"] = chosen, chosen
            totals = np.where(chosen, problem.scores, 0.0).sum(axis=1)
            spread = max(float(np.ptp(totals)), 1e-9)
            lam = lam * np.exp(-2.0 * (totals - totals.min()) / spread)
            info["flow_rounds"] = rounds + 1
    if best is not None:
        # swaps that raise the worst startup one at a time: cheap, and strong where a few
        # mentors are wanted by everyone
        improved = raise_worst(problem, best, seconds=0.2 * time_limit)
        if worst_total(problem, improved) > worst_total(problem, best):
            best = starts["local search"] = improved
        candidates |= best
    timings["heuristic"] = time.perf_counter() - start - sum(timings.values())
    info["start_worst"] = {name: worst_total(problem, c) for name, c in starts.items()}

    met = best is not None and worst_total(problem, best) >= bound - 1e-7 * max(1.0, abs(bound))
    # 4. CP-SAT: maximise the worst total up to the bound, from the best start; first on the
    # LP's support (small, often solved to optimality in seconds), then on all candidates.
    start_mask = best if best is not None else relaxed
    if (
        not met
        and support is not None
        and candidates.sum() < allowed.sum()
        and start_mask is not None
    ):
        small = support | start_mask
        parts = build_model(problem, small, objective="worst", t_max=bound)
        set_hint(parts, start_mask)
        solver, status = run_cpsat(
            parts,
            time_limit=0.6 * (deadline - time.perf_counter()),
            seed=seed,
            num_workers=num_workers,
        )
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = np.zeros(problem.shape, dtype=bool)
            found[parts.rows, parts.cols] = solver.boolean_values(parts.x).to_numpy(dtype=bool)
            if worst_total(problem, found) >= worst_total(problem, start_mask):
                best = start_mask = found
                starts["LP support"] = found
        timings["support"] = time.perf_counter() - start - sum(timings.values())
    from matcher.solve.scaling import integer_scores

    scale = integer_scores(problem.scores[candidates]).scale
    slack = 0.5 * float(problem.k_max.max(initial=0)) / scale
    parts = None
    # building costs up to 40 microseconds a pair: skip it when it would run past the limit
    if deadline - time.perf_counter() >= 0.5 + BUILD_SECONDS * candidates.sum() or best is None:
        parts = build_model(problem, candidates, objective="worst", t_max=bound)
        if start_mask is not None:
            set_hint(parts, start_mask)
    left = deadline - time.perf_counter()
    if parts is None or (left < 0.5 and best is not None):
        solver, status = None, cp_model.UNKNOWN  # no time left: report the best start
    elif met or (
        best is not None and worst_total(problem, best) >= bound - 1e-7 * max(1.0, abs(bound))
    ):
        # the start already meets the bound: its worst total is optimal; go on to the total
        solver, status = None, cp_model.OPTIMAL
    else:
        solver, status = run_cpsat(parts, time_limit=0.7 * left, seed=seed, num_workers=num_workers)
    timings["worst"] = time.perf_counter() - start - sum(timings.values())
    if status == cp_model.INFEASIBLE and candidates.sum() < allowed.sum():
        # the candidates may miss every feasible assignment: retry on all pairs
        candidates = allowed
        parts = build_model(problem, candidates, objective="worst", t_max=bound)
        solver, status = run_cpsat(
            parts,
            time_limit=0.75 * (deadline - time.perf_counter()),
            seed=seed,
            num_workers=num_workers,
        )
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError([])
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if best is None:
            raise SolverError(f"no assignment found within {time_limit:g} s; raise time_limit")
        chosen, proven = best, False
    elif solver is None:
        chosen, proven = best, status == cp_model.OPTIMAL
    else:
        chosen = np.zeros(problem.shape, dtype=bool)
        chosen[parts.rows, parts.cols] = solver.boolean_values(parts.x).to_numpy(dtype=bool)
        if best is not None and worst_total(problem, best) > worst_total(problem, chosen):
            chosen = best
        proven = status == cp_model.OPTIMAL
        if proven and candidates.sum() == allowed.sum():
            bound = min(bound, worst_total(problem, chosen) + 2 * slack)
        elif math.isfinite(solver.best_objective_bound) and candidates.sum() == allowed.sum():
            bound = min(bound, solver.best_objective_bound / scale + slack)

    # 5. Then the total, with every startup held at the worst total found.
    second = "skipped"
    left = deadline - time.perf_counter()
    if left > 0.5 + 2 * BUILD_SECONDS * (candidates | chosen).sum():
        # the same integer scores build_model will use (the scale depends only on the peak)
        pool = candidates | chosen
        ints = np.rint(problem.scores * integer_scores(problem.scores[pool]).scale).astype(np.int64)
        held = int(np.where(chosen, ints, 0).sum(axis=1).min())
        total_parts = build_model(problem, candidates | chosen, objective="total", min_totals=held)
        set_hint(total_parts, chosen)
        solver2, status2 = run_cpsat(
            total_parts,
            time_limit=deadline - time.perf_counter(),
            seed=seed,
            num_workers=num_workers,
        )
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            again = np.zeros(problem.shape, dtype=bool)
            again[total_parts.rows, total_parts.cols] = solver2.boolean_values(
                total_parts.x
            ).to_numpy(dtype=bool)
            if worst_total(problem, again) >= worst_total(problem, chosen) - 2 * slack:
                chosen = again
            second = solver2.status_name(status2).lower()
    timings["total"] = time.perf_counter() - start - sum(timings.values())

    rows, cols = np.nonzero(chosen)
    scores = problem.scores[rows, cols]
    objective = worst_total(problem, chosen)
    bound = max(bound, objective)
    # bisection and integer scaling leave the bound a hair above: certify to 1e-7 relative
    optimal = bound - objective <= 4 * slack + 1e-7 * max(1.0, abs(objective))
    status = (
        "optimal" if optimal and second == "optimal" else ("feasible" if optimal else "time_limit")
    )
    if optimal:
        bound = objective
    info.update(
        total=float(scores.sum()),
        total_status=second,
        candidates=int(candidates.sum()),
        worst_proven=proven,
    )
    return make_assignment(problem, rows, cols, solver="fair", status=status, bound=bound,
                           objective=objective, scores=scores, timings=timings, info=info)


def raise_worst(
    problem: Problem, chosen: np.ndarray, *, seconds: float, tries: int = 8
) -> np.ndarray:
    """Local search: raise the worst-served startup by one move or swap at a time.

    A *move* gives the worst startup ``i`` a mentor with a free place instead of one of its own; a
    *swap* trades one of ``i``'s mentors for one of another startup ``h``'s, when both end above
    ``i``'s old total. Each step keeps every hard rule (checked on the two changed rows and
    loads); it stops when no step helps or ``seconds`` are spent. Scanning all mentors and holders
    of the worst startup is a few array operations, so thousands of steps fit in a second or two.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.8], [0.85, 0.1]]), k=1, capacity=1)
    >>> raise_worst(p, np.eye(2, dtype=bool), seconds=1.0).astype(int).tolist()
    [[0, 1], [1, 0]]
    """
    start = time.perf_counter()
    chosen = chosen.copy()
    scores = problem.scores
    allowed = problem.allowed
    pins = problem.pinned
    n_s = problem.shape[0]
    totals = np.where(chosen, scores, 0.0).sum(axis=1)
    loads = chosen.sum(axis=0)
    hard_min = (
        problem.min_load
        if (problem.min_load is not None and problem.min_load_penalty is None)
        else np.zeros(problem.shape[1], dtype=np.int64)
    )
    masks = [q.mask(n_s) for q in problem.quotas]

    def rows_ok(rows: tuple[int, ...]) -> bool:
        for r in rows:
            for quota, mask in zip(problem.quotas, masks, strict=True):
                inside = int((chosen[r] & mask[r]).sum())
                if not quota.min[r] <= inside <= quota.max[r]:
                    return False
        return True

    stuck: set[int] = set()
    while time.perf_counter() - start < seconds:
        order = np.argsort(totals, kind="stable")
        i = next((int(r) for r in order if int(r) not in stuck), None)
        if i is None or totals[i] > totals[order[0]] + 1e-12 and order[0] in stuck:
            break
        low = totals[i]
        own = np.nonzero(chosen[i] & ~pins[i])[0]
        gain_to = np.where(allowed[i] & ~chosen[i], scores[i], -np.inf)  # mentors i could take
        options = []
        for a in own:
            if time.perf_counter() - start > seconds:
                break
            # move: take b with a free place instead of a
            free = (loads < problem.capacity) & np.isfinite(gain_to)
            if loads[a] - 1 >= hard_min[a]:
                value = np.where(free, gain_to - scores[i, a], -np.inf)
                b = int(np.argmax(value))
                if value[b] > 1e-12:
                    options.append((value[b], "move", a, b, -1))
            # swap: i takes b from h, h takes a from i; both end above low
            holders = chosen & ~pins & ~chosen[:, [a]] & allowed[:, [a]]
            holders[i] = False
            new_i = low - scores[i, a] + gain_to[None, :]
            new_h = totals[:, None] - scores + scores[:, [a]]
            value = np.where(
                holders & np.isfinite(gain_to)[None, :], np.minimum(new_i, new_h) - low, -np.inf
            )
            flat_values = value.ravel()
            top = np.argpartition(-flat_values, min(tries, flat_values.size - 1))[:tries]
            # the best few swaps, best first (a partition, not a sort: the matrix is S x M)
            for flat in top[np.argsort(-flat_values[top])]:
                h, b = divmod(int(flat), problem.shape[1])
                if value[h, b] <= 1e-12:
                    break
                options.append((value[h, b], "swap", a, b, h))
        options.sort(key=lambda o: -o[0])
        done = False
        for _, kind, a, b, h in options[:tries]:
            chosen[i, a], chosen[i, b] = False, True
            if kind == "swap":
                chosen[h, b], chosen[h, a] = False, True
            if rows_ok((i,) if kind == "move" else (i, h)):
                totals[i] += scores[i, b] - scores[i, a]
                if kind == "swap":
                    totals[h] += scores[h, a] - scores[h, b]
                else:
                    loads[a] -= 1
                    loads[b] += 1
                done = True
                break
            chosen[i, a], chosen[i, b] = True, False  # undo
            if kind == "swap":
                chosen[h, b], chosen[h, a] = True, False
        if not done:
            stuck.add(i)
        elif totals[i] > low:
            stuck.discard(i)
    return chosen


class FairSolver:
    """The ``fair`` backend: the worst-served startup's total first, then the total.

    A search built on CP-SAT (see the module docstring); chosen by ``solver="auto"`` for
    ``objective="fair"``, and by ``solver="cpsat"`` too.
    """

    name = "fair"

    def __init__(self, *, hint: bool = True):
        self.hint = hint

    def unsupported(self, problem: Problem) -> str | None:
        if problem.objective != "fair":
            return f"it maximises the worst startup's total, not the {problem.objective!r} objective"
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        return solve_fair(problem, time_limit=time_limit, seed=seed, num_workers=workers,
                          hint=self.hint)
