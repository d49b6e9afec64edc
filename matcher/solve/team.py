"""The ``team`` objective: each startup's mentors as a team that covers its needs.

A team's value (:class:`~matcher.solve.problem.Team`) is its scores, plus each need covered once by
a mentor who offers it, plus a bonus per distinct mentor kind (or other label), so a second mentor
of the same kind adds only its score. The value is monotone and submodular in the team; two
backends maximise its sum over startups:

* ``team-greedy``, the fast path. (1) The **bound**: a team is worth at most the sum of its
  mentors' values alone, so the flow optimum under those pair values (``singleton_values``)
  bounds the objective, and its assignment keeps every rule. (2) **Greedy**: pairs in order of
  marginal gain (lazy evaluation), within k and capacities; for a monotone submodular value
  over the two partition matroids (k per startup, capacity per mentor) it reaches at least 1/3 of
  the optimum (Fisher, Nemhauser and Wolsey 1978) when no score is negative, there are no quotas
  or pins and no startup must take more mentors than greedy gave it. (3) **Local search** from the
  better of the two: one mentor of a startup replaced by one with a free place, while it gains.
  The result reports the bound, the gap to it and whether the 1/3 guarantee applies.
* ``team``, exact: CP-SAT with one boolean per (startup, need) and per (startup, label) on top of
  the model of ``matcher.solve.cpsat_model.build_model`` (so quotas, tandems, circles and
  mentors kept apart hold), hinted from the fast path, its bound the better of CP-SAT's and the
  flow bound.
"""

from __future__ import annotations

import dataclasses
import heapq
import time

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError
from matcher.solve.budget import Deadline
from matcher.solve.cpsat import settle
from matcher.solve.cpsat_model import build_model, run_cpsat, set_hint
from matcher.solve.feasible import satisfies
from matcher.solve.flow import solve_flow
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores
from matcher.solve.soft import soft_cost
from matcher.solve.team_value import singleton_values, team_value_of, team_values

__all__ = ["TeamSolver", "TeamGreedySolver", "greedy_teams", "improve_teams", "fast_teams",
           "EXACT_MAX_PAIRS"]

#: Above this many allowed pairs the exact model keeps each startup's best WIDTH mentors.
EXACT_MAX_PAIRS = 400_000
#: Mentors per startup the greedy and the local search consider (by value alone).
WIDTH = 40
#: Most seconds the fast path spends in local search (it stops sooner when no move gains).
SEARCH_SECONDS = 30.0
#: A team model costs about this many plain models' building time per pair.
BUILD_FACTOR = 6


def _candidates(problem: Problem, alone: np.ndarray, width: int) -> np.ndarray:
    """Bool mask: each startup's ``width`` best allowed mentors by value alone, and its pins."""
    allowed = problem.allowed
    n_m = problem.shape[1]
    if width >= n_m:
        return allowed | problem.pinned
    ranked = np.where(allowed, alone, -np.inf)
    top = np.argpartition(-ranked, width - 1, axis=1)[:, :width]
    mask = np.zeros(problem.shape, dtype=bool)
    np.put_along_axis(mask, top, True, axis=1)
    return (mask & allowed) | problem.pinned


def greedy_teams(problem: Problem, *, width: int = WIDTH) -> np.ndarray | None:
    """Pairs by marginal gain (lazy greedy) within k and capacities; None when it breaks a rule.

    Examples
    --------
    >>> import pandas as pd
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.5, 0.3, 0.1]]), k=2, capacity=1, objective="team",
    ...                  needs=pd.DataFrame({"tech": [0.5], "money": [0.5]}, index=[0]),
    ...                  offers=pd.DataFrame({"tech": [1, 1, 0], "money": [0, 0, 1]}, dtype=bool))
    >>> greedy_teams(p).astype(int).tolist()   # the third mentor covers money: 0.1 + 0.25 > 0.3
    [[1, 0, 1]]
    """
    alone = singleton_values(problem)
    cand = _candidates(problem, alone, width) & ~problem.pinned
    chosen = problem.pinned.copy()
    load, size = chosen.sum(axis=0), chosen.sum(axis=1)
    teams = [list(np.nonzero(row)[0]) for row in chosen]
    value = [team_value_of(problem, i, np.array(t, dtype=np.int64)) for i, t in enumerate(teams)]
    rows, cols = np.nonzero(cand)
    gains = np.array([team_value_of(problem, i, np.array(teams[i] + [j])) - value[i]
                      for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]) \
        if problem.pinned.any() else alone[rows, cols]
    heap = list(zip((-gains).tolist(), rows.tolist(), cols.tolist(), strict=True))
    heapq.heapify(heap)
    while heap:
        _, i, j = heapq.heappop(heap)
        if size[i] >= problem.k_max[i] or load[j] >= problem.capacity[j]:
            continue
        gain = team_value_of(problem, i, np.array(teams[i] + [j])) - value[i]
        if heap and gain < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-gain, i, j))  # stale: its gain fell below the next one's
            continue
        if gain <= 0 and size[i] >= problem.k_min[i]:
            continue
        chosen[i, j] = True
        teams[i].append(j)
        value[i] += gain
        load[j] += 1
        size[i] += 1
    chosen = _fill(problem, chosen)  # capacities may run out before every startup has k_min
    return chosen if chosen is not None and satisfies(problem, chosen) else None


def improve_teams(problem: Problem, chosen: np.ndarray, *, seconds: float = 5.0,
                  width: int = WIDTH) -> np.ndarray:
    """Local search: replace one mentor of a startup by one with a free place, or exchange one
    mentor between two startups, while the team objective gains.

    Every move keeps k, capacities, forbidden and pinned pairs and quotas (it is checked), so the
    result keeps every rule ``chosen`` kept.
    """
    deadline = time.perf_counter() + seconds
    alone = singleton_values(problem)
    cand = _candidates(problem, alone, width)
    chosen = chosen.copy()
    load = chosen.sum(axis=0)
    n_s = problem.shape[0]
    masks = [q.mask(n_s) for q in problem.quotas]
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for i in range(n_s):
            team = np.nonzero(chosen[i])[0]
            base = team_value_of(problem, i, team)
            free = np.nonzero(cand[i] & ~chosen[i] & (load < problem.capacity))[0]
            best = (1e-9 * max(1.0, abs(base)), None, None)
            for out in team[~problem.pinned[i, team]]:
                rest = team[team != out]
                for new in free:
                    gain = team_value_of(problem, i, np.append(rest, new)) - base
                    if gain > best[0] and _quotas_hold(problem, masks, i, out, new, team):
                        best = (gain, out, new)
            if best[1] is not None:
                _, out, new = best
                chosen[i, out], chosen[i, new] = False, True
                load[out] -= 1
                load[new] += 1
                improved = True
            elif _exchange(problem, chosen, cand, masks, i):
                improved = True
            if time.perf_counter() > deadline:
                break
    return chosen


def _exchange(problem: Problem, chosen: np.ndarray, cand: np.ndarray, masks: list, i: int) -> bool:
    """The best exchange of a mentor of ``i`` for one of another startup's, made if it gains."""
    team = np.nonzero(chosen[i])[0]
    base = team_value_of(problem, i, team)
    best, move = 1e-9 * max(1.0, abs(base)), None
    allowed = problem.allowed
    for new in np.nonzero(cand[i] & ~chosen[i])[0]:
        for other in np.nonzero(chosen[:, new] & ~problem.pinned[:, new])[0]:
            theirs = np.nonzero(chosen[other])[0]
            their_base = team_value_of(problem, other, theirs)
            for out in team[~problem.pinned[i, team]]:
                if chosen[other, out] or not allowed[other, out]:
                    continue
                gain = (team_value_of(problem, i, np.append(team[team != out], new)) - base
                        + team_value_of(problem, other, np.append(theirs[theirs != new], out))
                        - their_base)
                if gain > best and _quotas_hold(problem, masks, i, out, new, team) \
                        and _quotas_hold(problem, masks, other, new, out, theirs):
                    best, move = gain, (other, out, new)
    if move is None:
        return False
    other, out, new = move
    chosen[i, out], chosen[i, new] = False, True
    chosen[other, new], chosen[other, out] = False, True
    return True


def _quotas_hold(problem: Problem, masks: list, i: int, out: int, new: int, team: np.ndarray) -> bool:
    for quota, mask in zip(problem.quotas, masks, strict=True):
        inside = int(mask[i, team].sum()) - int(mask[i, out]) + int(mask[i, new])
        if not quota.min[i] <= inside <= quota.max[i]:
            return False
    return True


def fast_teams(problem: Problem, *, seconds: float = 5.0) -> tuple[np.ndarray, dict]:
    """The fast path: (bool mask, info with the bound, the start values and the guarantee)."""
    start = time.perf_counter()
    alone = singleton_values(problem)
    rows, cols = solve_flow(problem, weights=alone)  # raises InfeasibleError when nothing fits
    bound = min(float(alone[rows, cols].sum()), _split_bound(problem))
    flow_start = np.zeros(problem.shape, dtype=bool)
    flow_start[rows, cols] = True
    greedy = greedy_teams(problem)
    values = {"flow": float(team_values(problem, flow_start).sum()),
              "greedy": float(team_values(problem, greedy).sum()) if greedy is not None else None}
    better = greedy if greedy is not None and values["greedy"] >= values["flow"] else flow_start
    left = seconds - (time.perf_counter() - start)
    chosen = improve_teams(problem, better, seconds=max(left, 0.1))
    guarantee = (greedy is not None and not problem.quotas and not problem.pinned.any()
                 and bool((problem.scores[problem.allowed] >= 0).all()))
    info = {"upper_bound": bound,
            "bound_source": "the lesser of: the flow on each mentor's value alone; the best total "
                            "score plus every startup's coverable needs and labels",
            "flow_start_value": values["flow"], "greedy_value": values["greedy"],
            "greedy_guarantee": "at least 1/3 of the optimum" if guarantee else None,
            "start": "greedy" if better is greedy else "flow"}
    return chosen, info


def _split_bound(problem: Problem) -> float:
    """The best total score, plus what each startup could gain at most from coverage and labels:
    every need some allowed mentor offers, and up to ``k_max`` distinct labels per family."""
    rows, cols = solve_flow(problem)
    team, allowed = problem.team, problem.allowed | problem.pinned
    coverable = (allowed.astype(np.int64) @ team.offers.astype(np.int64)) > 0
    most = team.coverage * (team.needs * coverable).sum(axis=1)
    for row in team.labels:
        has = row >= 0
        codes = np.zeros((len(row), int(row.max(initial=-1)) + 1), dtype=np.int64)
        codes[np.nonzero(has)[0], row[has]] = 1
        distinct = ((allowed.astype(np.int64) @ codes) > 0).sum(axis=1)
        most += team.diversity * np.minimum(distinct, problem.k_max)
    return float(problem.scores[rows, cols].sum() + most.sum())


def _fill(problem: Problem, chosen: np.ndarray) -> np.ndarray | None:
    """``chosen`` with each startup short of ``k_min`` filled by a flow on the places left."""
    short = np.maximum(problem.k_min - chosen.sum(axis=1), 0)
    if not short.any():
        return chosen
    left = dataclasses.replace(problem, k_min=short, k_max=short,
                               capacity=problem.capacity - chosen.sum(axis=0),
                               forbidden=problem.forbidden | chosen, pinned=np.zeros_like(chosen),
                               quotas=())
    try:
        rows, cols = solve_flow(left, weights=singleton_values(problem))
    except InfeasibleError:
        return None
    filled = chosen.copy()
    filled[rows, cols] = True
    return filled


def _unsupported(problem: Problem, name: str) -> str | None:
    if problem.objective != "team" or problem.team is None:
        return f"it maximises the team objective, not {problem.objective!r}"
    extra = [n for n in ("min_load", "balance") if n in problem.side_rules()]
    if extra:
        return f"the team objective has no {extra[0]} term"
    return None


class TeamGreedySolver:
    """The fast path for large programmes: greedy and local search, with a bound."""

    name = "team-greedy"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        if problem.flow_groups is None:
            return "its bound is a flow: quotas must be disjoint mentor groups (use solver 'team')"
        if problem.links is not None:
            return "tandems, circles and mentors kept apart need the exact model (solver 'team')"
        return _unsupported(problem, self.name)

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        """The greedy teams improved by local search, with the bound the greedy proves."""
        start = time.perf_counter()
        chosen, info = fast_teams(problem, seconds=min(0.8 * time_limit, SEARCH_SECONDS))
        rows, cols = np.nonzero(chosen)
        value = float(team_values(problem, chosen).sum())
        bound = max(info["upper_bound"], value)
        proven = bound - value <= 1e-9 * max(1.0, abs(value))
        return make_assignment(problem, rows, cols, solver=self.name,
                               status="optimal" if proven else "feasible", bound=bound,
                               objective=value, info=info,
                               timings={"solve": time.perf_counter() - start})


class TeamSolver:
    """The exact model in CP-SAT, hinted from the fast path."""

    name = "team"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        return _unsupported(problem, self.name)

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        """The exact team model in CP-SAT within ``time_limit``, started from the fast path."""
        from ortools.sat.python import cp_model

        start = time.perf_counter()
        clock = Deadline(time_limit)
        hint, info = None, {}
        if problem.flow_groups is not None:
            try:
                hint, info = fast_teams(problem, seconds=min(5.0, 0.2 * time_limit))
            except InfeasibleError:
                if problem.links is None:
                    raise
            if hint is not None and not satisfies(problem, hint):
                hint = None  # it breaks a tandem, circle or apart rule
        # the model holds every allowed pair when it builds in half the time left (a pair also
        # sits in the coverage and label constraints of its startup: about BUILD_FACTOR times a
        # plain model's cost, measured at 1,000 x 300); else each startup's best mentors and
        # the hint
        n_allowed = int((problem.allowed | problem.pinned).sum())
        complete = n_allowed <= EXACT_MAX_PAIRS and clock.builds(BUILD_FACTOR * n_allowed, share=0.5)
        candidates = problem.allowed | problem.pinned
        if not complete:
            candidates = _candidates(problem, singleton_values(problem), WIDTH) | (
                hint if hint is not None else False)
            if hint is not None and not clock.builds(BUILD_FACTOR * int(candidates.sum()), share=0.8):
                rows, cols = np.nonzero(hint)
                return make_assignment(problem, rows, cols, solver=self.name, status="time_limit",
                                       bound=max(info["upper_bound"], _worth(problem, hint)),
                                       objective=_worth(problem, hint),
                                       info={**info, "exact_model": "none: no time to build it"},
                                       timings={"solve": time.perf_counter() - start})
        parts, extra = build_team_model(problem, candidates)
        if hint is not None:
            set_hint(parts, hint)
            for var, value in extra(hint):
                parts.model.add_hint(var, value)
        built = time.perf_counter()
        # One worker unhinted: an unhinted model searched by interleaved workers aborted the
        # process (OR-Tools issue #5025) when it was found infeasible while loading.
        solver, status = run_cpsat(parts, time_limit=max(clock.for_search(len(parts.rows)), 0.1),
                                   seed=seed, num_workers=workers if hint is not None else 1)
        found, chosen = settle(parts, solver, status, hint, complete=complete,
                               value=lambda c: _worth(problem, c), time_limit=time_limit,
                               what="team assignment")
        value = _worth(problem, chosen)
        bound = info.get("upper_bound", np.inf)
        if found and complete:
            slack = (int(problem.k_max.sum()) * (1 + len(problem.quotas)) + parts.n_extra) \
                / parts.objective_scale
            bound = min(bound, solver.best_objective_bound / parts.objective_scale + slack)
        proven = (status == cp_model.OPTIMAL and complete) or bound - value <= 1e-9 * max(1.0, abs(value))
        rows, cols = np.nonzero(chosen)
        return make_assignment(problem, rows, cols, solver=self.name,
                               status="optimal" if proven else "time_limit",
                               bound=value if proven else max(bound, value), objective=value,
                               info={**info, "exact_model": "every allowed pair" if complete
                                     else f"each startup's best {WIDTH} mentors"},
                               timings={"build": built - start, "solve": time.perf_counter() - built})


def _worth(problem: Problem, chosen: np.ndarray) -> float:
    """The team objective of ``chosen``: team values less the prices of soft rules broken."""
    return float(team_values(problem, chosen).sum()) - soft_cost(problem, chosen)


def build_team_model(problem: Problem, candidates: np.ndarray):
    """The CP-SAT model of the team objective over ``candidates``: (parts, hint of the extras)."""
    from ortools.sat.python import cp_model

    team = problem.team
    parts = build_model(problem, candidates, objective=None)
    model, rows, cols = parts.model, parts.rows, parts.cols
    xs = parts.x.to_numpy()
    n_s = problem.shape[0]
    cover_terms, label_terms = [], []  # (i, boolean, weight, mentors that light it)
    for i, (lo, hi) in enumerate(zip(np.r_[0, parts.cuts], np.r_[parts.cuts, len(rows)], strict=True)):
        mine, ms = xs[lo:hi], cols[lo:hi]
        for a in np.nonzero(team.needs[i] > 0)[0]:
            by = team.offers[ms, a]
            if by.any():
                c = model.new_bool_var(f"covers_{i}_{a}")
                # a need counts as covered only if a mentor of the team offers it
                model.add(c <= cp_model.LinearExpr.sum(list(mine[by])))
                cover_terms.append((i, c, team.coverage * team.needs[i, a], ms[by]))
        for row in team.labels:
            for label in np.unique(row[ms][row[ms] >= 0]):
                by = row[ms] == label
                d = model.new_bool_var(f"label_{i}_{label}")
                # a label earns its bonus once, if a mentor of the team has it
                model.add(d <= cp_model.LinearExpr.sum(list(mine[by])))
                label_terms.append((i, d, team.diversity, ms[by]))
    extras = cover_terms + label_terms
    soft = parts.soft_terms  # (mentors short of a soft quota, price)
    weights = integer_scores(np.concatenate([problem.scores[rows, cols],
                                             [w for _, _, w, _ in extras],
                                             [-p for _, p in soft]]),
                             n_terms=int(problem.k_max.sum()) * (1 + len(soft)) + len(extras) + 1)
    ints = weights.ints
    # Maximise the scores, the needs covered and the distinct labels, less the soft rules' prices,
    # integer-scaled.
    model.maximize(cp_model.LinearExpr.weighted_sum(
        list(xs) + [v for _, v, _, _ in extras] + [v for v, _ in soft], ints.tolist()))
    parts.objective_scale = weights.scale
    parts.n_extra = len(extras)

    def extra_hint(chosen: np.ndarray):
        return [(var, int(chosen[i, lit].any())) for i, var, _, lit in extras]

    del n_s
    return parts, extra_hint
