"""The fair backend's search for good starts: candidate pairs, Lagrangian flows, local search.

Each function here is a heuristic that keeps every hard rule it is given, fast enough to run many
times within the fair backend's time limit (:mod:`matcher.solve.fair`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from matcher.solve.cpsat_model import build_model, chosen_pairs, flow_hint, run_cpsat
from matcher.solve.feasible import satisfies
from matcher.solve.problem import Problem

__all__ = ["worst_total", "mentor_tops", "fair_candidates", "lagrangian_flows", "raise_worst",
           "round_configuration"]


def worst_total(problem: Problem, chosen: np.ndarray) -> float:
    """The smallest startup total of the bool mask ``chosen`` of shape (n_startups, n_mentors)."""
    totals = np.where(chosen, problem.scores, 0.0).sum(axis=1)
    return float(totals.min()) if len(totals) else 0.0


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
    n_s = problem.shape[0]
    allowed = problem.allowed
    keep = problem.pinned.copy()
    keep |= _row_tops(problem, allowed, per_startup)
    for quota in problem.quotas:
        member = allowed & quota.mask(n_s)
        keep |= _row_tops(problem, member, 2 * np.maximum(quota.min, 1) + 2)
    return keep


def _row_tops(problem: Problem, mask: np.ndarray, count: np.ndarray | int) -> np.ndarray:
    """Bool array: the ``count[i]`` best pairs of ``mask`` in each row ``i``."""
    n_s, n_m = problem.shape
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


def lagrangian_flows(
    problem: Problem, candidates: np.ndarray, lam: np.ndarray, *, until: float, rounds: int = 3
) -> Iterator[np.ndarray]:
    """Fair assignments that keep every rule: flows with scores weighted by startup.

    Starts from the LP's fairness multipliers ``lam`` (what each startup's total is worth) and,
    after each flow, raises the weight of the startups left behind (multiplicative weights). Stops
    after ``rounds``, at ``time.perf_counter() > until``, or at a flow that drops a rule it cannot
    express (CP-SAT repairs those later).
    """
    n_s = problem.shape[0]
    lam = np.maximum(lam, 0) + 1e-3 / n_s
    restricted = replace(problem, forbidden=problem.forbidden | ~candidates)
    for _ in range(rounds):
        if time.perf_counter() > until:
            return
        lam = lam / lam.sum()
        weights = (lam + 1e-4 / n_s)[:, None] * problem.scores
        chosen = flow_hint(restricted, weights=weights)
        if chosen is None or not satisfies(problem, chosen):
            return
        yield chosen
        totals = np.where(chosen, problem.scores, 0.0).sum(axis=1)
        spread = max(float(np.ptp(totals)), 1e-9)
        lam = lam * np.exp(-2.0 * (totals - totals.min()) / spread)


class _Local:
    """The state of :func:`raise_worst`: the assignment, startup totals and mentor loads."""

    def __init__(self, problem: Problem, chosen: np.ndarray):
        self.problem = problem
        self.chosen = chosen
        self.totals = np.where(chosen, problem.scores, 0.0).sum(axis=1)
        self.loads = chosen.sum(axis=0)
        hard = problem.min_load is not None and problem.min_load_penalty is None
        self.hard_min = problem.min_load if hard else np.zeros(problem.shape[1], dtype=np.int64)
        self.masks = [q.mask(problem.shape[0]) for q in problem.quotas]

    def rows_ok(self, rows: tuple[int, ...]) -> bool:
        """Every quota holds on the rows ``rows``."""
        for r in rows:
            for quota, mask in zip(self.problem.quotas, self.masks, strict=True):
                inside = int((self.chosen[r] & mask[r]).sum())
                if not quota.min[r] <= inside <= quota.max[r]:
                    return False
        return True


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
    state = _Local(problem, chosen.copy())
    totals = state.totals
    stuck: set[int] = set()
    while time.perf_counter() - start < seconds:
        order = np.argsort(totals, kind="stable")
        i = next((int(r) for r in order if int(r) not in stuck), None)
        if i is None or totals[i] > totals[order[0]] + 1e-12 and order[0] in stuck:
            break
        low = totals[i]
        options = _steps(state, i, until=start + seconds, tries=tries)
        options.sort(key=lambda o: -o[0])
        if not _take_first(state, i, options[:tries]):
            stuck.add(i)
        elif totals[i] > low:
            stuck.discard(i)
    return state.chosen


def _steps(state: _Local, i: int, *, until: float, tries: int) -> list:
    """Moves and swaps that raise startup ``i``: (gain, kind, a, b, h), unsorted."""
    problem, chosen, totals, loads = state.problem, state.chosen, state.totals, state.loads
    scores, allowed = problem.scores, problem.allowed
    low = totals[i]
    own = np.nonzero(chosen[i] & ~problem.pinned[i])[0]
    gain_to = np.where(allowed[i] & ~chosen[i], scores[i], -np.inf)  # mentors i could take
    options = []
    for a in own:
        if time.perf_counter() > until:
            break
        # move: take b with a free place instead of a
        free = (loads < problem.capacity) & np.isfinite(gain_to)
        if loads[a] - 1 >= state.hard_min[a]:
            value = np.where(free, gain_to - scores[i, a], -np.inf)
            b = int(np.argmax(value))
            if value[b] > 1e-12:
                options.append((value[b], "move", a, b, -1))
        # swap: i takes b from h, h takes a from i; both end above low
        holders = chosen & ~problem.pinned & ~chosen[:, [a]] & allowed[:, [a]]
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
    return options


def _take_first(state: _Local, i: int, options: list) -> bool:
    """Apply the first step of ``options`` that keeps every quota; False when none does."""
    chosen, scores = state.chosen, state.problem.scores
    for _, kind, a, b, h in options:
        chosen[i, a], chosen[i, b] = False, True
        if kind == "swap":
            chosen[h, b], chosen[h, a] = False, True
        if state.rows_ok((i,) if kind == "move" else (i, h)):
            state.totals[i] += scores[i, b] - scores[i, a]
            if kind == "swap":
                state.totals[h] += scores[h, a] - scores[h, b]
            else:
                state.loads[a] -= 1
                state.loads[b] += 1
            return True
        chosen[i, a], chosen[i, b] = True, False  # undo
        if kind == "swap":
            chosen[h, b], chosen[h, a] = True, False
    return False


def round_configuration(
    problem: Problem, owner: np.ndarray, members: np.ndarray, weight: np.ndarray, *,
    extra: np.ndarray | None, t_max: float, seconds: float, seed: int, workers: int
) -> np.ndarray | None:
    """An assignment from a fractional solution of the configuration LP, or None.

    The LP gives startup ``owner[c]`` the set ``members[c]`` (-1 pads) with weight ``weight[c]``;
    most startups get one set whole. Those keep it (when it keeps their own rules: quotas, pins,
    ``k_min``), and CP-SAT maximises the worst total of the others over the mentors of their sets
    and the pairs of ``extra`` (a bool mask, for instance the best assignment known), within what
    is left of each mentor. The few fractional startups make a small model that CP-SAT solves in
    a second or so, where the model over every startup's candidates stalls.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.8, 0.1], [0.9, 0.1, 0.7]]), k=1, capacity=1,
    ...                  objective="fair")
    >>> owner, weight = np.array([0, 0, 1]), np.array([0.5, 0.5, 1.0])
    >>> members = np.array([[0], [1], [0]])   # startup 1 takes mentor 0 whole: 0 takes 1
    >>> round_configuration(p, owner, members, weight, extra=None, t_max=0.9, seconds=5,
    ...                     seed=0, workers=1).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0]]
    """
    from ortools.sat.python import cp_model

    n_s = problem.shape[0]
    allowed = problem.allowed | problem.pinned
    heaviest = np.full(n_s, -1)
    top = np.full(n_s, -np.inf)
    for c in np.argsort(-weight, kind="stable"):  # the heaviest set of each startup
        if weight[c] > top[owner[c]]:
            top[owner[c]], heaviest[owner[c]] = weight[c], c
    whole = np.zeros(problem.shape, dtype=bool)
    slot = members >= 0
    rows = np.broadcast_to(owner[:, None], members.shape)
    whole_set = (top > 1 - 1e-6) & (heaviest >= 0)
    keep = whole_set[owner] & (np.arange(len(owner)) == heaviest[owner])
    whole[rows[keep[:, None] & slot], members[keep[:, None] & slot]] = True
    whole &= allowed
    fixed = whole_set & _rows_keep_rules(problem, whole | problem.pinned)
    free = ~fixed
    pairs = np.zeros(problem.shape, dtype=bool)
    pairs[rows[slot], members[slot]] = True
    mask = np.where(fixed[:, None], whole, (pairs | (extra if extra is not None else False)))
    mask = (mask | problem.pinned) & allowed
    if not free.any():
        return mask if satisfies(problem, mask) else None
    parts = build_model(problem, mask, objective="worst", t_max=t_max)
    solver, status = run_cpsat(parts, time_limit=seconds, seed=seed, num_workers=workers)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = chosen_pairs(parts, solver)
    return chosen if satisfies(problem, chosen) else None


def _rows_keep_rules(problem: Problem, chosen: np.ndarray) -> np.ndarray:
    """Per startup, whether its row of ``chosen`` keeps its own rules (k, pins, quotas)."""
    count = chosen.sum(axis=1)
    ok = (count >= problem.k_min) & (count <= problem.k_max)
    ok &= ~(problem.pinned & ~chosen).any(axis=1)
    for quota in problem.quotas:
        inside = (chosen & quota.mask(problem.shape[0])).sum(axis=1)
        ok &= (inside >= quota.min) & (inside <= quota.max)
    return ok
