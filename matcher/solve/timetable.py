"""Timetables of speed meetings: which round each startup–mentor meeting takes place in.

A meeting list is a bipartite graph (startups on one side, mentors on the other, one edge per
meeting). A round is a set of meetings in which nobody appears twice: a matching. A timetable is
therefore an edge colouring, and the fewest rounds any timetable can use is at least the largest
number of meetings anyone has, ``Δ``. König's edge-colouring theorem says a bipartite graph can
always be coloured with exactly ``Δ`` colours, so without availability limits ``Δ`` is both the
lower bound and the answer. :func:`edge_colouring` finds such a colouring by repeated matchings:
each round is a matching that meets every person who still has ``Δ`` meetings left, so ``Δ``
falls by one with every round.

Mentors' availability windows (and a limit on rooms) break the theorem: then
``matcher.solve.timetable_cpsat.timetable_cpsat`` places the meetings with CP-SAT, and the
lower bound stays ``Δ`` (and the rounds a mentor can attend) beside the rounds used.

>>> rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
>>> konig_bound(rows, cols), sorted(edge_colouring(rows, cols, 2, 2).tolist())
(2, [0, 0, 1, 1])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.errors import Diagnosis, InfeasibleError, InputError, InputProblem, SolverError

__all__ = ["Timetable", "konig_bound", "edge_colouring", "rounds_on_days", "schedule_meetings",
           "max_weight_matching"]


@dataclass(frozen=True, eq=False)
class Timetable:
    """Where each meeting goes, and how good that is.

    Attributes
    ----------
    slot : int array of shape (n_meetings,)
        The slot (position in the calendar's slots) of each meeting.
    rounds : int
        Slots holding at least one meeting.
    lower_bound : int
        No timetable uses fewer rounds (König: the most meetings anyone has; with rooms, also the
        meetings divided by the rooms).
    status : {"optimal", "feasible"}
        ``optimal`` when ``rounds`` equals a proven bound.
    method : {"edge-colouring", "cpsat", "matching"}
    max_per_day : int array of shape (n_startups,)
        Most meetings a startup has on one day; the ideal is its meetings divided by the days.
    timings : dict
    info : dict
        What the method reports (CP-SAT's bound on rounds, the spread penalty, ...).

    Examples
    --------
    >>> t = schedule_meetings([0, 1], [0, 0], (2, 1), [0, 0, 0])
    >>> t.rounds, t.lower_bound, t.status
    (2, 2, 'optimal')
    """

    slot: np.ndarray
    rounds: int
    lower_bound: int
    status: str
    method: str
    max_per_day: np.ndarray
    timings: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def konig_bound(rows: np.ndarray, cols: np.ndarray) -> int:
    """The most meetings any startup or mentor has: no timetable has fewer rounds.

    Examples
    --------
    >>> konig_bound(np.array([0, 0, 0, 1]), np.array([0, 1, 2, 0]))
    3
    """
    if len(rows) == 0:
        return 0
    return int(max(np.bincount(rows).max(), np.bincount(cols).max()))


def _matching_meeting_busiest(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int,
                              busiest_row: np.ndarray, busiest_col: np.ndarray) -> np.ndarray:
    """Positions of a matching among the edges that covers every busiest row and column.

    A maximum-weight matching where an edge is worth one per busiest end: a matching covering all
    of them exists (the busiest vertices of a bipartite graph can always be matched at once), so
    any maximum-weight matching covers them all.
    """
    worth = busiest_row[rows].astype(np.int64) + busiest_col[cols].astype(np.int64)
    return max_weight_matching(rows, cols, n_rows, n_cols, worth)


def max_weight_matching(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, worth: np.ndarray,
                        most: int | None = None) -> np.ndarray:
    """Positions of a maximum-weight matching among the edges (at most ``most`` of them), by
    min-cost flow with arcs added in whole arrays.

    Examples
    --------
    >>> max_weight_matching(np.array([0, 0, 1]), np.array([0, 1, 0]), 2, 2, np.array([3, 1, 1])).tolist()
    [0]
    """
    from ortools.graph.python import min_cost_flow

    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink, hub = n_rows + n_cols, n_rows + n_cols + 1, n_rows + n_cols + 2
    n_edges = len(rows)
    row_nodes, col_nodes = np.arange(n_rows), n_rows + np.arange(n_cols)
    # source -> hub: at most `most` meetings in the round; hub -> each startup, one meeting each
    tails = [[source], np.full(n_rows, hub), rows, col_nodes, [source]]
    heads = [[hub], row_nodes, n_rows + cols, np.full(n_cols, sink), [sink]]
    # startup -> mentor, one arc per meeting, at minus its worth
    costs = [[0], np.zeros(n_rows, np.int64), -np.asarray(worth, np.int64), np.zeros(n_cols, np.int64), [0]]
    # each mentor -> sink, one meeting per round; source -> sink carries what is not matched
    caps = [[n_rows if most is None else min(most, n_rows)], np.ones(n_rows, np.int64),
            np.ones(n_edges, np.int64), np.ones(n_cols, np.int64), [n_rows]]
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32), np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64), np.concatenate(costs).astype(np.int64))
    flow.set_nodes_supplies(np.array([source, sink], np.int32), np.array([n_rows, -n_rows], np.int64))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"the matching of a timetable round ended with status {status}")
    used = flow.flows(np.arange(n_rows + 1, n_rows + 1 + n_edges, dtype=np.int32))
    return np.nonzero(used > 0)[0]


def edge_colouring(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """A colour per edge, adjacent edges apart, with exactly :func:`konig_bound` colours.

    Parameters
    ----------
    rows, cols : int arrays of shape (n_edges,)
        The ends of each edge (startup position, mentor position); no edge twice.
    n_rows, n_cols : int
        Number of startups and mentors.

    Returns
    -------
    int array of shape (n_edges,)
        Colours ``0 .. Δ - 1``.

    Notes
    -----
    Colour ``c`` is a matching covering every vertex that still has the most uncoloured edges,
    so that maximum drops by one per colour (the constructive proof of König's theorem).

    Examples
    --------
    >>> rows, cols = np.array([0, 0, 0, 1, 2]), np.array([0, 1, 2, 0, 0])
    >>> colour = edge_colouring(rows, cols, 3, 3)
    >>> int(colour.max()) + 1, len(set(zip(rows.tolist(), colour.tolist())))
    (3, 5)
    """
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    colour = np.full(len(rows), -1, dtype=np.int64)
    left = np.arange(len(rows))
    c = 0
    while len(left):
        r, k = rows[left], cols[left]
        deg_r = np.bincount(r, minlength=n_rows)
        deg_c = np.bincount(k, minlength=n_cols)
        top = max(deg_r.max(), deg_c.max())
        chosen = _matching_meeting_busiest(r, k, n_rows, n_cols, deg_r == top, deg_c == top)
        after_r = deg_r - np.bincount(r[chosen], minlength=n_rows)
        after_c = deg_c - np.bincount(k[chosen], minlength=n_cols)
        if max(after_r.max(), after_c.max()) != top - 1:
            raise SolverError("a timetable round missed someone with the most meetings left")
        colour[left[chosen]] = c
        left = np.delete(left, chosen)
        c += 1
    return colour


def rounds_on_days(n_rounds: int, slot_day: np.ndarray) -> np.ndarray:
    """Which slots to use for ``n_rounds`` rounds: as even a number per day as the days hold,
    the earliest slots of each day first.

    Examples
    --------
    >>> rounds_on_days(5, np.array([0, 0, 0, 1, 1, 1])).tolist()
    [0, 1, 2, 3, 4]
    >>> rounds_on_days(4, np.array([0, 0, 0, 1, 1, 1])).tolist()
    [0, 1, 3, 4]
    """
    days = np.unique(slot_day)
    room = np.array([(slot_day == d).sum() for d in days])
    per_day = np.zeros(len(days), dtype=np.int64)
    for _ in range(n_rounds):  # one round at a time to the day with the fewest that has room
        open_days = np.nonzero(per_day < room)[0]
        per_day[open_days[np.argmin(per_day[open_days])]] += 1
    return np.concatenate([np.nonzero(slot_day == d)[0][:q] for d, q in zip(days, per_day)]).astype(np.int64)


def _spread_colours(colour: np.ndarray, rows: np.ndarray, n_rows: int, slots: np.ndarray,
                    slot_day: np.ndarray) -> np.ndarray:
    """Give each colour one of ``slots`` so that startups' meetings spread over the days.

    Greedy, largest colour first: a colour goes to the day (with a free slot left) where the
    startups it holds have the fewest meetings so far.
    """
    n_colours = int(colour.max()) + 1 if len(colour) else 0
    days = np.unique(slot_day[slots])
    day_index = {d: i for i, d in enumerate(days)}
    free = {i: [int(s) for s in slots if slot_day[s] == d] for d, i in day_index.items()}
    load = np.zeros((n_rows, len(days)), dtype=np.int64)
    members = [rows[colour == c] for c in range(n_colours)]
    slot_of = np.empty(n_colours, dtype=np.int64)
    for c in sorted(range(n_colours), key=lambda c: (-len(members[c]), c)):
        open_days = [i for i in range(len(days)) if free[i]]
        cost = [int(load[members[c], i].sum()) * len(days) + i for i in open_days]
        day = open_days[int(np.argmin(cost))]
        slot_of[c] = free[day].pop(0)
        load[members[c], day] += 1
    return slot_of[colour] if n_colours else colour


def max_meetings_per_day(rows: np.ndarray, slot: np.ndarray, slot_day: np.ndarray, n_rows: int) -> np.ndarray:
    """Most meetings each startup has on one day.

    >>> max_meetings_per_day(np.array([0, 0, 1]), np.array([0, 1, 2]), np.array([0, 0, 1]), 2).tolist()
    [2, 1]
    """
    if len(rows) == 0:
        return np.zeros(n_rows, dtype=np.int64)
    days = np.unique(slot_day, return_inverse=True)[1]
    counts = np.zeros((n_rows, days.max() + 1), dtype=np.int64)
    np.add.at(counts, (rows, days[slot]), 1)
    return counts.max(axis=1)


def schedule_meetings(rows: Any, cols: Any, shape: tuple[int, int], slot_day: Any, *,
                      available: Any = None, rooms: int | None = None, time_limit: float = 60.0,
                      seed: int = 0, workers: int = 1) -> Timetable:
    """Put each meeting into a slot: nobody twice in a slot, mentors only when available.

    Parameters
    ----------
    rows, cols : int arrays of shape (n_meetings,)
        Startup and mentor position of each meeting; no pair twice.
    shape : (int, int)
        Number of startups and mentors.
    slot_day : int array of shape (n_slots,)
        The day of each slot, slots in time order.
    available : bool array of shape (n_mentors, n_slots), optional
        Slots each mentor can attend; every slot when not given.
    rooms : int, optional
        Most meetings a slot can hold (rooms or video links); unlimited when not given.
    time_limit : float
        Seconds CP-SAT may take when it is needed.
    seed, workers : int
        For CP-SAT.

    Returns
    -------
    Timetable
        Without availability or room limits, exactly :func:`konig_bound` rounds by
        :func:`edge_colouring`; otherwise CP-SAT's timetable with the fewest rounds it found.

    Raises
    ------
    InfeasibleError
        The slots cannot hold the meetings: too few slots for the busiest person, or a mentor
        available for fewer slots than its meetings.

    Examples
    --------
    >>> t = schedule_meetings([0, 0, 1], [0, 1, 0], (2, 2), [0, 0, 1, 1])
    >>> t.rounds, t.lower_bound, t.method, t.slot.tolist()
    (2, 2, 'edge-colouring', [2, 0, 0])
    """
    start = time.perf_counter()
    rows, cols = np.asarray(rows, np.int64).ravel(), np.asarray(cols, np.int64).ravel()
    slot_day = np.asarray(slot_day).ravel()
    n_rows, n_cols = shape
    _check(rows, cols, shape, slot_day, available, rooms)
    bound = konig_bound(rows, cols)
    if rooms is not None and rooms > 0:
        bound = max(bound, -(-len(rows) // rooms))
    _counting(rows, cols, shape, slot_day, available, bound)
    limited = available is not None and not np.asarray(available, bool).all()
    if not limited and (rooms is None or bound == konig_bound(rows, cols)):
        colour = edge_colouring(rows, cols, n_rows, n_cols)
        coloured = time.perf_counter()
        if rooms is not None and np.bincount(colour).max(initial=0) > rooms:
            limited = True  # a round holds more meetings than there are rooms: balance by CP-SAT
        else:
            slot = _spread_colours(colour, rows, n_rows, rounds_on_days(bound, slot_day), slot_day)
            return Timetable(slot, int(len(np.unique(slot))), bound, "optimal", "edge-colouring",
                             max_meetings_per_day(rows, slot, slot_day, n_rows),
                             timings={"colouring": coloured - start,
                                      "spread": time.perf_counter() - coloured})
    from matcher.solve.timetable_cpsat import timetable_cpsat

    left = max(time_limit - (time.perf_counter() - start), 0.5)
    return timetable_cpsat(rows, cols, shape, slot_day, available=available, rooms=rooms,
                           lower_bound=bound, time_limit=left, seed=seed, workers=workers)


def _check(rows, cols, shape, slot_day, available, rooms) -> None:
    problems = []
    if len(rows) != len(cols):
        problems.append(InputProblem("argument 'cols'", None, None, "differs in length from rows"))
    elif len(rows) and (rows.min() < 0 or rows.max() >= shape[0] or cols.min() < 0 or cols.max() >= shape[1]):
        problems.append(InputProblem("argument 'rows'", None, None, f"holds positions outside {shape}"))
    elif len(set(zip(rows.tolist(), cols.tolist()))) != len(rows):
        problems.append(InputProblem("argument 'rows'", None, None, "lists a meeting twice",
                                     "give each startup–mentor pair one meeting"))
    if available is not None and np.shape(available) != (shape[1], len(slot_day)):
        problems.append(InputProblem("argument 'available'", None, None,
                                     f"has shape {np.shape(available)}, not (n_mentors, n_slots) = "
                                     f"{(shape[1], len(slot_day))}"))
    if rooms is not None and rooms < 1:
        problems.append(InputProblem("argument 'rooms'", None, None, f"is {rooms}", "give 1 room or more"))
    if problems:
        raise InputError(problems)


def _counting(rows, cols, shape, slot_day, available, bound) -> None:
    """Refuse, in words, a calendar that cannot hold the meetings, before any search."""
    found = []
    if bound > len(slot_day):
        found.append(Diagnosis("rounds", f"The busiest person needs {bound} rounds; the days hold "
                               f"{len(slot_day)} slots: {bound - len(slot_day)} short.",
                               shortfall=float(bound - len(slot_day)),
                               suggestions=("add days", "lengthen the days or shorten the slots",
                                            "plan fewer meetings per startup")))
    if available is not None:
        need = np.bincount(cols, minlength=shape[1])
        have = np.asarray(available, bool).sum(axis=1)
        short = np.nonzero(need > have)[0]
        if len(short):
            found.append(Diagnosis("availability", f"{len(short)} mentor(s) have more meetings than "
                                   "rounds they are available for (mentor positions "
                                   f"{short[:6].tolist()}).", shortfall=float((need - have)[short].sum()),
                                   suggestions=("widen their availability windows",
                                                "lower the mentors' meeting capacity"),
                                   mentors=tuple(short.tolist())))
    if found:
        raise InfeasibleError(found)
