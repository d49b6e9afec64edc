"""A timetable under availability windows and room limits, as a CP-SAT model.

When mentors can come only at some times, König's theorem no longer promises ``Δ`` rounds, and the
meetings are placed by a model: one boolean per meeting and slot the mentor can attend.
:func:`matching_timetable` (a maximum-weight matching per slot, busiest people first) gives the
search a complete start, and is the answer when the model would be too large to build in time or
the time limit passes before CP-SAT finds a better one.

>>> import numpy as np
>>> available = np.array([[True, False, True], [True, True, True]])
>>> t = timetable_cpsat(np.array([0, 1]), np.array([0, 0]), (2, 2), np.array([0, 0, 1]),
...                     available=available, lower_bound=2, time_limit=5)
>>> t.rounds, sorted(t.slot.tolist()), t.status
(2, [0, 2], 'optimal')
"""

from __future__ import annotations

import time

import numpy as np

from matcher.errors import Diagnosis, InfeasibleError, SolverError
from matcher.solve.cpsat_model import CpModelParts, run_cpsat
from matcher.solve.timetable import Timetable, max_meetings_per_day, max_weight_matching

__all__ = ["timetable_cpsat", "matching_timetable", "MAX_MODEL_VARIABLES"]

#: Above this many (meeting, slot) variables the model is not built: building and loading it would
#: take much of the time limit (a CP-SAT limit does not cover them), so the matching timetable is
#: the answer, with the lower bound beside it.
MAX_MODEL_VARIABLES = 20_000


def matching_timetable(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], slot_day: np.ndarray,
                       available: np.ndarray, rooms: int | None) -> np.ndarray | None:
    """Slot by slot, a maximum-weight matching of the meetings left whose mentor is available;
    None when some meeting finds no slot.

    Slots are taken one per day in turn (the first slot of every day, then the second, ...) so
    the rounds spread over the days. A meeting is worth more the busier its two sides still are
    (as in König's construction), and most when its mentor has no more free slots left than
    meetings: it must take place now.

    Examples
    --------
    >>> matching_timetable(np.array([0, 0]), np.array([0, 1]), (1, 2), np.array([0, 0]),
    ...                    np.ones((2, 2), bool), None).tolist()
    [1, 0]
    """
    n_s, n_m = shape
    can = np.asarray(available, bool)
    days = np.unique(slot_day)
    position = np.concatenate([np.arange((slot_day == d).sum()) for d in days])
    order = np.lexsort((slot_day, position))  # first slots of every day, then second slots, ...
    slot = np.full(len(rows), -1, dtype=np.int64)
    left = np.ones(len(rows), dtype=bool)
    scale = len(rows) + 1
    for k, t in enumerate(order):
        if not left.any():
            break
        deg_s = np.bincount(rows[left], minlength=n_s)
        deg_m = np.bincount(cols[left], minlength=n_m)
        free_later = can[:, order[k + 1:]].sum(axis=1)
        urgent = deg_m > free_later  # these mentors' meetings cannot all wait
        edges = np.nonzero(left & can[cols, t])[0]
        if not len(edges):
            continue
        r, c = rows[edges], cols[edges]
        worth = scale * (1 + urgent[c] * 4 * scale) + deg_s[r] + deg_m[c]
        chosen = edges[max_weight_matching(r, c, n_s, n_m, worth, most=rooms)]
        slot[chosen] = t
        left[chosen] = False
    return None if left.any() else slot


def timetable_cpsat(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], slot_day: np.ndarray, *,
                    available: np.ndarray | None, rooms: int | None = None, lower_bound: int = 0,
                    time_limit: float = 60.0, seed: int = 0, workers: int = 1) -> Timetable:
    """The fewest rounds CP-SAT finds in ``time_limit``, then meetings spread over the days.

    The objective puts rounds first (each weighs more than all spreading together), then the
    meetings a startup has on one day above its even share (its meetings divided by the days,
    rounded up). Arguments as for :func:`matcher.solve.timetable.schedule_meetings`.

    Raises
    ------
    InfeasibleError
        CP-SAT proved that no timetable fits the windows.
    SolverError
        The time limit passed with no timetable found, and the matching start found none either.
    """
    from ortools.sat.python import cp_model

    start = time.perf_counter()
    n_s, n_m = shape
    n_slots = len(slot_day)
    can = np.ones((n_m, n_slots), bool) if available is None else np.asarray(available, bool)
    days, day_of = np.unique(slot_day, return_inverse=True)
    start_slots = matching_timetable(rows, cols, shape, slot_day, can, rooms)
    # data: a variable for each meeting and each slot its mentor can attend
    e_idx, t_idx = np.nonzero(can[cols])
    if len(e_idx) > MAX_MODEL_VARIABLES and start_slots is not None:
        rounds = int(len(np.unique(start_slots)))
        status = "optimal" if rounds <= lower_bound else "feasible"
        return Timetable(start_slots, rounds, int(lower_bound), status, "matching",
                         max_meetings_per_day(rows, start_slots, slot_day, n_s),
                         timings={"matching": time.perf_counter() - start},
                         info={"model_variables": int(len(e_idx)), "too_large_for_cpsat": True})
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{e}_{t}") for e, t in zip(e_idx.tolist(), t_idx.tolist())]
    used = [model.new_bool_var(f"used{t}") for t in range(n_slots)]
    by_meeting: list[list] = [[] for _ in range(len(rows))]
    by_startup: dict[tuple[int, int], list] = {}
    by_mentor: dict[tuple[int, int], list] = {}
    by_slot: list[list] = [[] for _ in range(n_slots)]
    by_day: dict[tuple[int, int], list] = {}
    for var, e, t in zip(x, e_idx.tolist(), t_idx.tolist()):
        by_meeting[e].append(var)
        by_startup.setdefault((int(rows[e]), t), []).append(var)
        by_mentor.setdefault((int(cols[e]), t), []).append(var)
        by_slot[t].append(var)
        by_day.setdefault((int(rows[e]), int(day_of[t])), []).append(var)
    # every meeting takes place exactly once
    for e, options in enumerate(by_meeting):
        if not options:
            raise InfeasibleError([Diagnosis(
                "availability", f"Meeting {e} has no slot its mentor can attend.",
                suggestions=("widen the mentor's availability",))])
        model.add_exactly_one(options)
    # nobody is in two places at once
    for group in (*by_startup.values(), *by_mentor.values()):
        if len(group) > 1:
            model.add_at_most_one(group)
    # a slot is a round when it holds a meeting, and holds no more meetings than rooms
    cap = min(n_s, n_m) if rooms is None else min(rooms, n_s, n_m)
    for t, held in enumerate(by_slot):
        model.add(sum(held) <= cap * used[t])
    model.add(sum(used) >= lower_bound)
    # a startup's meetings on one day above its even share cost one each
    degree = np.bincount(rows, minlength=n_s)
    share = -(-degree // len(days))
    over = []
    for (s, d), group in by_day.items():
        if len(group) > share[s]:
            extra = model.new_int_var(0, len(group), f"over{s}_{d}")
            model.add(sum(group) <= int(share[s]) + extra)
            over.append(extra)
    # rounds first: one round weighs more than every meeting out of its share together
    weight = len(rows) + 1
    model.minimize(weight * sum(used) + sum(over))
    if start_slots is not None:
        chosen = set(zip(range(len(rows)), start_slots.tolist()))
        for var, e, t in zip(x, e_idx.tolist(), t_idx.tolist()):
            model.add_hint(var, (e, t) in chosen)
        used_start = np.zeros(n_slots, bool)
        used_start[start_slots] = True
        for t in range(n_slots):
            model.add_hint(used[t], bool(used_start[t]))
    parts = CpModelParts(model=model, x=None, rows=rows, cols=cols, weights=None,
                         hint_feasible=start_slots is not None)
    built = time.perf_counter()
    left = max(time_limit - (built - start), 0.1)
    solver, status = run_cpsat(parts, time_limit=left, seed=seed, num_workers=workers)
    info = {"cpsat_status": solver.status_name(status)}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        slot = np.empty(len(rows), dtype=np.int64)
        slot[e_idx[values]] = t_idx[values]
        info["rounds_bound"] = int(np.ceil(solver.best_objective_bound / weight - 1e-9))
    elif status == cp_model.INFEASIBLE:
        raise InfeasibleError([Diagnosis(
            "availability", "No timetable fits the mentors' availability windows: the meetings of "
            "some mentors and startups cannot all find common free slots.",
            suggestions=("widen availability windows", "add days or slots", "plan fewer meetings"))])
    elif start_slots is not None:
        slot, info["fallback"] = start_slots, "time limit: the matching timetable"
    else:
        raise SolverError(f"no timetable found within {time_limit:g} s; give it more time")
    rounds = int(len(np.unique(slot)))
    proven = max(lower_bound, info.get("rounds_bound", 0))
    status_name = "optimal" if rounds <= proven or status == cp_model.OPTIMAL else "feasible"
    return Timetable(slot, rounds, int(lower_bound), status_name, "cpsat",
                     max_meetings_per_day(rows, slot, slot_day, n_s),
                     timings={"build": built - start, "solve": time.perf_counter() - built},
                     info={**info, "spread_over": int(sum(solver.value(v) for v in over))
                           if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None})
