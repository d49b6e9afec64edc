"""Hypothesis strategies and independent checks shared by the tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp


@st.composite
def assignment_instances(draw, max_startups: int = 7, max_mentors: int = 6, feasible_only: bool = False):
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
    return {"scores": scores, "k": k, "capacity": capacity, "forbidden": forbidden, "pinned": pinned}


def milp_optimum(scores, k, capacity, forbidden, pinned) -> float | None:
    """The optimal total by scipy's MILP (HiGHS), independent of OR-Tools; None if infeasible."""
    n_s, n_m = scores.shape
    k_lo, k_hi = (k, k) if not isinstance(k, tuple) else k
    n = n_s * n_m
    rows = sp.kron(sp.eye(n_s), np.ones((1, n_m)))
    cols = sp.kron(np.ones((1, n_s)), sp.eye(n_m))
    lower = pinned.ravel().astype(float)
    upper = (~forbidden).ravel().astype(float)
    if (lower > upper).any():
        return None
    res = milp(
        c=-scores.ravel(),
        integrality=np.ones(n),
        bounds=Bounds(lower, upper),
        constraints=[
            LinearConstraint(rows, np.full(n_s, k_lo), np.full(n_s, k_hi)),
            LinearConstraint(cols, np.zeros(n_m), np.asarray(capacity, dtype=float)),
        ],
    )
    return -res.fun if res.status == 0 else None


def check_rules(result, k, capacity, forbidden, pinned) -> None:
    """Assert that every rule holds in an Assignment."""
    n_s, n_m = forbidden.shape
    k_lo, k_hi = (k, k) if not isinstance(k, tuple) else k
    chosen = result.matrix
    pairs = list(zip(result.rows.tolist(), result.cols.tolist()))
    assert len(pairs) == len(set(pairs)), "a mentor was given twice to the same startup"
    per_startup = chosen.sum(axis=1)
    assert (per_startup >= k_lo).all() and (per_startup <= k_hi).all(), per_startup
    assert (chosen.sum(axis=0) <= np.asarray(capacity)).all()
    assert not (chosen & forbidden).any(), "a forbidden pair was used"
    assert (chosen[pinned]).all(), "a pinned pair was not used"
