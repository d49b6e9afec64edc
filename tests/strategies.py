"""Hypothesis strategies and independent checks shared by the tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp


@st.composite
def assignment_instances(
    draw, max_startups: int = 7, max_mentors: int = 6, feasible_only: bool = False
):
    """Random small instances: scores, k (int or range), capacities, forbidden and pinned masks."""
    n_s = draw(st.integers(1, max_startups))
    n_m = draw(st.integers(1, max_mentors))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["uniform", "integers", "negative", "ties"]))
    if kind == "uniform":
        scores = rng.random((n_s, n_m))
    elif kind == "integers":
        scores = rng.integers(0, 100, (n_s, n_m)).astype(float)
    elif kind == "negative":
        scores = rng.normal(size=(n_s, n_m))
    else:
        scores = rng.integers(0, 3, (n_s, n_m)) / 2.0
    k_lo = draw(st.integers(0, min(3, n_m)))
    k_hi = draw(st.integers(k_lo, min(3, n_m)))
    k = k_lo if k_lo == k_hi and draw(st.booleans()) else (k_lo, k_hi)
    capacity = rng.integers(0, 4, n_m)
    forbidden = rng.random((n_s, n_m)) < draw(st.sampled_from([0.0, 0.1, 0.3]))
    pinned = (rng.random((n_s, n_m)) < draw(st.sampled_from([0.0, 0.0, 0.1]))) & ~forbidden
    if feasible_only:
        # Make the pins and k compatible so most instances are feasible.
        pinned &= np.cumsum(pinned, axis=1) <= (k_hi if isinstance(k, tuple) else k)
        capacity = np.maximum(capacity, pinned.sum(axis=0))
    return {
        "scores": scores,
        "k": k,
        "capacity": capacity,
        "forbidden": forbidden,
        "pinned": pinned,
    }


# ---- rules beyond k, capacity, conflicts and pins ----------------------------------------------


@st.composite
def rule_instances(draw, max_startups: int = 6, max_mentors: int = 6, flow_only: bool = False):
    """Small instances with every rule type: quotas (disjoint or overlapping), coverage, minimum
    load (hard or soft), balance and history. ``flow_only`` keeps to what the flow can express.

    The dict holds ``assign`` keywords; ``hard`` lists the rules a milp can check.
    """
    inst = draw(assignment_instances(max_startups, max_mentors, feasible_only=True))
    n_s, n_m = inst["scores"].shape
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inst["capacity"] = np.maximum(inst["capacity"], 1)
    k_hi = inst["k"][1] if isinstance(inst["k"], tuple) else inst["k"]
    labels = rng.integers(-1, 2, n_m)
    quotas = []
    if draw(st.booleans()):
        quotas.append({"name": "academic", "mentors": labels == 0, "min": draw(st.integers(0, 1))})
    if draw(st.booleans()):
        quotas.append(
            {"name": "investor", "mentors": labels == 1, "max": draw(st.integers(0, max(k_hi, 0)))}
        )
    if not flow_only and draw(st.booleans()):
        quotas.append({"name": "industry", "mentors": labels != 0, "min": draw(st.integers(0, 1))})
    if quotas:
        inst["quotas"] = quotas
    if not flow_only and draw(st.booleans()):
        inst["covers"] = rng.random((n_s, n_m)) < 0.5
    if draw(st.booleans()):
        inst["min_load"] = int(draw(st.integers(0, 2)))
        inst["min_load_soft"] = draw(st.booleans())
    if not flow_only and draw(st.booleans()):
        inst["balance"] = draw(st.sampled_from([0.0, 0.05, 0.5]))
    if draw(st.booleans()):
        inst["past"] = (rng.random((n_s, n_m)) < 0.2) & ~inst["pinned"]
        inst["history"] = draw(st.sampled_from(["forbid", "prefer", "ignore"]))
    return inst


def _quota_rows(quotas, covers, n_s, n_m, k_hi):
    """(mask (n_s, n_m), min (n_s,), max (n_s,)) for every quota and coverage."""
    out = []
    for q in quotas or ():
        mask = np.broadcast_to(np.asarray(q["mentors"], dtype=bool), (n_s, n_m))
        lo = np.broadcast_to(q.get("min", 0), (n_s,))
        hi = np.minimum(np.broadcast_to(q.get("max", k_hi), (n_s,)), k_hi)
        out.append((mask, lo, hi))
    if covers is not None:
        out.append((np.asarray(covers, dtype=bool), np.full(n_s, min(1, k_hi)), np.full(n_s, k_hi)))
    return out


def effective(instance):
    """The scores and forbidden mask after the history rule, as the library applies it."""
    scores, forbidden = instance["scores"], instance["forbidden"]
    past = instance.get("past")
    mode = instance.get("history", "ignore")
    if past is not None and mode == "forbid":
        forbidden = forbidden | past
    if past is not None and mode == "prefer":
        scores = scores + instance.get("continuity_bonus", 0.1) * past
    return scores, forbidden


def milp_optimum(
    scores,
    k,
    capacity,
    forbidden,
    pinned,
    *,
    quotas=None,
    covers=None,
    min_load=None,
    objective="total",
    fix_worst=None,
    fairness=0.5,
) -> float | None:
    """The optimum by scipy's MILP (HiGHS), independent of OR-Tools; None if infeasible.

    ``objective="fair"`` gives the best worst-startup total; with ``fix_worst`` it gives the best
    total with every startup at ``fix_worst`` or more. ``min_load`` is hard here.
    """
    n_s, n_m = scores.shape
    k_lo, k_hi = (k, k) if not isinstance(k, tuple) else k
    n = n_s * n_m
    rows = sp.kron(sp.eye(n_s), np.ones((1, n_m)))
    cols = sp.kron(np.ones((1, n_s)), sp.eye(n_m))
    lower = pinned.ravel().astype(float)
    upper = (~forbidden).ravel().astype(float)
    if (lower > upper).any():
        return None
    cap = np.asarray(capacity, dtype=float) * np.ones(n_m)
    constraints = [
        LinearConstraint(rows, np.full(n_s, k_lo), np.full(n_s, k_hi)),
        LinearConstraint(
            cols, np.zeros(n_m) if min_load is None else np.minimum(min_load, cap), cap
        ),
    ]
    for mask, lo, hi in _quota_rows(quotas, covers, n_s, n_m, k_hi):
        per = sp.csr_matrix(rows.multiply(mask.ravel()[None, :]))
        constraints.append(LinearConstraint(per, lo.astype(float), hi.astype(float)))
    weighted = sp.csr_matrix(rows.multiply(scores.ravel()[None, :]))
    fair = objective in ("fair", "blend") and fix_worst is None
    if fair:
        # variables: x (n) then t; t <= total_i
        pad = lambda m: sp.hstack([m, sp.csr_matrix((m.shape[0], 1))])  # noqa: E731
        constraints = [LinearConstraint(pad(c.A), c.lb, c.ub) for c in constraints]
        constraints.append(LinearConstraint(sp.hstack([-weighted, np.ones((n_s, 1))]), -np.inf, 0))
        c_tot = 0.0 if objective == "fair" else (1 - fairness) / n_s
        alpha = 1.0 if objective == "fair" else fairness
        c = np.concatenate([-c_tot * scores.ravel(), [-alpha]])
        bounds = Bounds(np.concatenate([lower, [-1e9]]), np.concatenate([upper, [1e9]]))
        integrality = np.concatenate([np.ones(n), [0]])
    else:
        if fix_worst is not None:
            constraints.append(LinearConstraint(weighted, fix_worst, np.inf))
        c, bounds, integrality = -scores.ravel(), Bounds(lower, upper), np.ones(n)
    res = milp(c=c, integrality=integrality, bounds=bounds, constraints=constraints)
    return -res.fun if res.status == 0 else None


def check_rules(
    result, k, capacity, forbidden, pinned, *, quotas=None, covers=None, min_load=None, **_ignored
) -> None:
    """Assert that every rule holds in an Assignment (``min_load`` is checked as hard)."""
    n_s, n_m = forbidden.shape
    k_lo, k_hi = (k, k) if not isinstance(k, tuple) else k
    chosen = result.matrix
    pairs = list(zip(result.rows.tolist(), result.cols.tolist(), strict=False))
    assert len(pairs) == len(set(pairs)), "a mentor was given twice to the same startup"
    per_startup = chosen.sum(axis=1)
    assert (per_startup >= k_lo).all() and (per_startup <= k_hi).all(), per_startup
    assert (chosen.sum(axis=0) <= np.asarray(capacity)).all()
    assert not (chosen & forbidden).any(), "a forbidden pair was used"
    assert (chosen[pinned]).all(), "a pinned pair was not used"
    for mask, lo, hi in _quota_rows(quotas, covers, n_s, n_m, k_hi):
        inside = (chosen & mask).sum(axis=1)
        assert (inside >= lo).all() and (inside <= hi).all(), "a quota or coverage rule was broken"
    if min_load is not None:
        assert (chosen.sum(axis=0) >= np.minimum(min_load, capacity)).all(), (
            "a minimum load was broken"
        )


# ---- whole solve requests, for the tests that solve in a child process -------------------------


from matcher.data.vocabulary import OBJECTIVES  # noqa: E402, F401 - every objective, as users name them

#: Every registered backend by name, and "auto".
BACKENDS = ("flow", "cpsat", "fair", "pruned", "stable", "stable-mentors", "randomised", "envy-free",
            "team", "team-greedy", "auto")


def team_keywords(instance: dict) -> dict:
    """``needs``, ``offers`` and ``mentor_groups`` for the team objective on ``instance``'s shape."""
    import pandas as pd

    n_s, n_m = np.shape(instance["scores"])
    rng = np.random.default_rng(n_s * 31 + n_m)
    areas = ["technology", "go-to-market", "fundraising"]
    needs = rng.random((n_s, 3)) * (rng.random((n_s, 3)) < 0.7)
    return {"needs": pd.DataFrame(needs, columns=areas),
            "offers": pd.DataFrame(rng.random((n_m, 3)) < 0.4, columns=areas),
            "mentor_groups": {"kind": list(rng.choice(["professor", "investor"], n_m))}}


@st.composite
def solve_requests(draw, max_startups: int = 6, max_mentors: int = 6):
    """``assign`` keywords for a small problem with any rules, without objective or solver.

    On top of :func:`rule_instances`: a quota that differs by startup, sometimes a hard minimum
    load, and sometimes capacities squeezed so that the rules barely hold or cannot hold, since
    proving infeasibility is where CP-SAT has aborted (see tests/test_never_abort.py).
    """
    inst = draw(rule_instances(max_startups, max_mentors))
    n_s, n_m = inst["scores"].shape
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        quotas = list(inst.get("quotas", []))
        quotas.append({"name": "per startup", "mentors": rng.random((n_s, n_m)) < 0.5,
                       "min": draw(st.integers(0, 1))})
        inst["quotas"] = quotas
    if draw(st.booleans()):
        squeeze = draw(st.integers(1, 2))
        inst["capacity"] = np.maximum(inst["capacity"] - squeeze, inst["pinned"].sum(axis=0))
    if "min_load" in inst and draw(st.booleans()):
        inst["min_load_soft"] = False
    return inst


@st.composite
def item_similarities(draw, max_rows: int = 4, max_owners: int = 5, max_items: int = 6):
    """(similarity, owner, weight, n_owners): item similarities of a few rows to the items of a few
    owners (some with no item), owners in non-decreasing order, weights in [0, 1]."""
    n_owners = draw(st.integers(1, max_owners))
    counts = draw(st.lists(st.integers(0, max_items), min_size=n_owners, max_size=n_owners))
    owner = np.repeat(np.arange(n_owners), counts)
    n_rows = draw(st.integers(1, max_rows))
    values = st.floats(0, 1, allow_nan=False, width=32)
    similarity = np.array(draw(st.lists(values, min_size=n_rows * len(owner), max_size=n_rows * len(owner))),
                          dtype=float).reshape(n_rows, len(owner))
    weight = np.array(draw(st.lists(values, min_size=len(owner), max_size=len(owner))), dtype=float)
    return similarity, owner, weight, n_owners


# ---- the matching week -------------------------------------------------------------------------


@st.composite
def meeting_instances(draw, max_startups: int = 7, max_mentors: int = 7, windows: bool = False):
    """Random meeting lists (each pair at most once) and a calendar of days and slots.

    With ``windows``, mentors' availability is random but keeps a planted timetable feasible:
    every meeting has a slot where it fits, so the instance is feasible by construction.
    """
    n_s = draw(st.integers(1, max_startups))
    n_m = draw(st.integers(1, max_mentors))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    met = rng.random((n_s, n_m)) < draw(st.sampled_from([0.3, 0.6, 1.0]))
    rows, cols = np.nonzero(met)
    degree = max(np.bincount(rows, minlength=1).max(initial=0), np.bincount(cols, minlength=1).max(initial=0))
    n_days = draw(st.integers(1, 3))
    per_day = max(1, -(-int(degree) // n_days)) + draw(st.integers(0, 2))
    slot_day = np.repeat(np.arange(n_days), per_day)
    available = None
    if windows and len(rows):
        # plant a timetable: meetings in random order, each in a random slot free for both sides
        extra = len(rows)  # room enough for any random order to find a free slot
        slot_day = np.repeat(np.arange(n_days), per_day + -(-extra // n_days))
        busy_s = np.zeros((n_s, len(slot_day)), bool)
        busy_m = np.zeros((n_m, len(slot_day)), bool)
        for e in rng.permutation(len(rows)):
            free = np.nonzero(~busy_s[rows[e]] & ~busy_m[cols[e]])[0]
            t = int(rng.choice(free))
            busy_s[rows[e], t] = busy_m[cols[e], t] = True
        available = busy_m | (rng.random(busy_m.shape) < draw(st.sampled_from([0.0, 0.2, 0.5])))
    return {"rows": rows, "cols": cols, "shape": (n_s, n_m), "slot_day": slot_day, "available": available}


def min_rounds_milp(rows, cols, shape, available) -> int | None:
    """The fewest rounds of any timetable, by scipy's MILP (HiGHS), independent of OR-Tools.

    Variables: ``x[e, t]`` (meeting ``e`` in slot ``t``, only where the mentor is available) and
    ``y[t]`` (slot ``t`` is used); minimise the used slots. None when no timetable exists.
    """
    n_e, n_t = len(rows), available.shape[1]
    pairs = [(e, t) for e in range(n_e) for t in range(n_t) if available[cols[e], t]]
    n_x = len(pairs)
    a_rows, lo, hi = [], [], []

    def row(entries, low, high):
        vec = np.zeros(n_x + n_t)
        for i, v in entries:
            vec[i] = v
        a_rows.append(vec)
        lo.append(low)
        hi.append(high)

    for e in range(n_e):
        row([(i, 1) for i, (f, _) in enumerate(pairs) if f == e], 1, 1)
    for side, people in ((rows, shape[0]), (cols, shape[1])):
        for p in range(people):
            for t in range(n_t):
                members = [(i, 1) for i, (f, s) in enumerate(pairs) if s == t and side[f] == p]
                if len(members) > 1:
                    row(members, 0, 1)
    for i, (_, t) in enumerate(pairs):
        row([(i, 1), (n_x + t, -1)], -np.inf, 0)
    c = np.concatenate([np.zeros(n_x), np.ones(n_t)])
    res = milp(c=c, integrality=np.ones(n_x + n_t), bounds=Bounds(0, 1),
               constraints=[LinearConstraint(np.array(a_rows), lo, hi)])
    return int(round(res.fun)) if res.status == 0 else None
