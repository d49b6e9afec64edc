"""A timetable under availability windows and room limits, as a CP-SAT model.

When mentors can come only at some times, König's theorem no longer promises ``Δ`` rounds, and the
meetings are placed by a model: one boolean per meeting and slot the mentor can attend.
:func:`greedy_timetable` (earliest free slot, busiest people first) gives the search a complete
start, and is the answer when the time limit passes before CP-SAT finds a better one.

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
from matcher.solve.timetable import Timetable, max_meetings_per_day

__all__ = ["timetable_cpsat", "greedy_timetable"]


def greedy_timetable(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], slot_day: np.ndarray,
                     available: np.ndarray, rooms: int | None) -> np.ndarray | None:
    """Each meeting in the earliest slot where both sides are free and the mentor available,
    meetings of the busiest mentors first; None when some meeting finds no slot.

    Examples
    --------
    >>> greedy_timetable(np.array([0, 0]), np.array([0, 1]), (1, 2), np.array([0, 0]),
    ...                  np.ones((2, 2), bool), None).tolist()
    [0, 1]
    """
    n_slots = len(slot_day)
    busy_s = np.zeros((shape[0], n_slots), bool)
    busy_m = ~np.asarray(available, bool).copy()
    held = np.zeros(n_slots, dtype=np.int64)
    room = rooms if rooms is not None else len(rows) + 1
    # mentors with the fewest free slots per meeting go first: they have the least choice
    need = np.bincount(cols, minlength=shape[1])
    slack = (~busy_m).sum(axis=1) - need
    order = np.lexsort((np.arange(len(rows)), slack[cols]))
    slot = np.full(len(rows), -1, dtype=np.int64)
    for e in order:
        free = ~busy_s[rows[e]] & ~busy_m[cols[e]] & (held < room)
        if not free.any():
            return None
        t = int(np.argmax(free))
        slot[e] = t
        busy_s[rows[e], t] = busy_m[cols[e], t] = True
        held[t] += 1
    return slot


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
        The time limit passed with no timetable found, and the greedy start found none either.
    """
    from ortools.sat.python import cp_model

    start = time.perf_counter()
    n_s, n_m = shape
    n_slots = len(slot_day)
    can = np.ones((n_m, n_slots), bool) if available is None else np.asarray(available, bool)
    days, day_of = np.unique(slot_day, return_inverse=True)
    model = cp_model.CpModel()
    # data: a variable for each meeting and each slot its mentor can attend
    e_idx, t_idx = np.nonzero(can[cols])
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
    greedy = greedy_timetable(rows, cols, shape, slot_day, can, rooms)
    if greedy is not None:
        chosen = set(zip(range(len(rows)), greedy.tolist()))
        for var, e, t in zip(x, e_idx.tolist(), t_idx.tolist()):
            model.add_hint(var, (e, t) in chosen)
        used_greedy = np.zeros(n_slots, bool)
        used_greedy[greedy] = True
        for t in range(n_slots):
            model.add_hint(used[t], bool(used_greedy[t]))
    parts = CpModelParts(model=model, x=None, rows=rows, cols=cols, weights=None,
                         hint_feasible=greedy is not None)
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
    elif greedy is not None:
        slot, info["fallback"] = greedy, "time limit: the greedy timetable"
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
