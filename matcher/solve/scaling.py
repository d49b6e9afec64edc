"""The one place where scores become integers.

OR-Tools' vectorised min-cost-flow call silently truncates float arrays (2.7 becomes 2, 0.999 becomes
0) and CP-SAT refuses float coefficients, so every backend turns scores into int64 here, once.
"""

from __future__ import annotations

import math

import numpy as np

from matcher.errors import InputError, InputProblem, SolverError

__all__ = ["IntegerScores", "integer_scores", "keep_bonus", "RESOLUTION_BITS"]

#: The largest absolute score maps to about ``2**RESOLUTION_BITS``: scores keep 9 significant digits.
RESOLUTION_BITS = 30

# Min-cost flow multiplies costs by the node count internally; stay well clear of int64.
_COST_LIMIT = 2**62


class IntegerScores:
    """Scores as int64 and the scale that produced them: ``ints = rint(values * scale)``."""

    __slots__ = ("ints", "scale")

    def __init__(self, ints: np.ndarray, scale: float):
        self.ints = ints
        self.scale = scale


def integer_scores(values: np.ndarray, *, n_nodes: int = 0, n_terms: int = 0) -> IntegerScores:
    """Scale ``values`` to int64 with a power-of-two scale, checking for overflow.

    Parameters
    ----------
    values : float array
        Finite scores (any shape).
    n_nodes : int
        Nodes of the flow network the costs go into (OR-Tools multiplies costs by it).
    n_terms : int
        Most scores that can be summed in one objective.

    Returns
    -------
    IntegerScores
        ``ints`` with the shape of ``values`` and the ``scale`` used.

    Notes
    -----
    The scale is the power of two that maps the largest ``|value|`` to at most ``2**30``, so every
    score keeps a resolution of about ``1e-9`` of the largest one. "Optimal" for the integer problem
    means optimal for the scores rounded to that resolution: the float objective of the answer is
    within ``n_pairs / scale`` of the true optimum.

    Examples
    --------
    >>> s = integer_scores(np.array([0.999, 2.7, 0.0]))
    >>> s.ints.tolist(), s.scale
    ([268167021, 724775731, 0], 268435456.0)
    """
    values = np.asarray(values, dtype=np.float64)
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if not math.isfinite(peak):
        raise SolverError("scores must be finite before they are scaled to integers")
    scale = 1.0 if peak == 0.0 else 2.0 ** math.floor(math.log2(2**RESOLUTION_BITS / peak))
    largest = peak * scale
    if largest * max(n_nodes + 1, n_terms, 1) >= _COST_LIMIT:
        raise SolverError(
            f"scores up to {peak:g} over {max(n_nodes, n_terms)} nodes/terms overflow int64 costs; "
            "rescale the scores to a smaller range"
        )
    return IntegerScores(np.rint(values * scale).astype(np.int64), scale)


def keep_bonus(n_pairs: int) -> tuple[int, int]:
    """The score resolution ``b`` (bits) and the kept-pair bonus ``B`` for at most ``n_pairs`` pairs.

    >>> keep_bonus(33)
    (23, 553648129)
    >>> b, bonus = keep_bonus(33); bonus + 2**b <= 2**30
    True
    """
    spread = 2 * max(n_pairs, 1) + 1
    b = int(math.floor(math.log2((2**RESOLUTION_BITS - 1) / spread)))
    if b < 8:
        raise InputError([InputProblem("rematch", None, None,
                                       f"{n_pairs} pairs are too many for an exact fewest-changes-first "
                                       "re-solve", "pass keep_weight to trade changes against score")])
    return b, 2 * max(n_pairs, 1) * 2**b + 1
