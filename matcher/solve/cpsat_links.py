"""Tandems, circles and mentors kept apart, as constraints of a CP-SAT model.

:func:`add_links` is one rule family of :func:`~matcher.solve.cpsat_model.build_model`; each
constraint is guarded under its rule's name, so the diagnosis by assumptions can name it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matcher.solve.cpsat_model import CpModelParts

__all__ = ["add_links"]


def add_links(parts: CpModelParts) -> None:
    """Add the tandems, circles and mentors kept apart of ``parts.problem`` to its model."""
    # Tandems: a startup has both mentors or neither. Apart: never both. Circles: the startups
    # of a circle share at least one mentor.
    from ortools.sat.python import cp_model

    problem, model = parts.problem, parts.model
    links = problem.links
    if links is None:
        return
    index = np.full(problem.shape, -1, dtype=np.int64)
    index[parts.rows, parts.cols] = np.arange(len(parts.rows))
    xs = parts.x.to_numpy()
    for name, pairs in (("tandems", links.tandems), ("apart", links.apart)):
        for a, b in pairs.tolist():
            for i in np.nonzero((index[:, a] >= 0) | (index[:, b] >= 0))[0]:
                va, vb = (xs[index[i, m]] if index[i, m] >= 0 else 0 for m in (a, b))
                parts.guard(name, model.add(va == vb) if name == "tandems" else model.add(va + vb <= 1))
    for c, circle in enumerate(links.circles):
        shared = []
        for j in np.nonzero((index[circle] >= 0).all(axis=0))[0]:
            y = model.new_bool_var(f"circle_{c}_shares_{j}")
            for i in circle:
                model.add_implication(y, xs[index[i, j]])
            shared.append(y)
            parts.aux.append((y, lambda chosen, circle=circle, j=j: int(chosen[circle, j].all())))
        parts.guard("circles", model.add(cp_model.LinearExpr.sum(shared) >= 1))
