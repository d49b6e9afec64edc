"""Scores of a large cohort computed in blocks of startups, as Dask arrays.

When a cohort's score matrix is too big to build in one piece on one worker, :func:`score_blockwise`
fits the profile vectoriser once, then computes the component matrices for blocks of
``block_rows`` startups at a time (each block against every mentor) as the chunks of Dask arrays,
and combines them exactly as :func:`matcher.scoring.affinity.score_cohort` does: the same model of
the programme's rules (:func:`~matcher.scoring.affinity.rules_model`: its ``scoring`` aggregation,
item weights and scale), the text similarity divided by its largest value (or by the fixed
constant under ``scale: absolute``), the weighted components summed in the same order, and the
same pairs forbidden. A semantic text component (``scoring.embeddings``) is computed in one piece
after the blocks, as ``score_cohort`` computes it.

The blocks run on a Dask cluster when there is one (a ``distributed.Client``, or the cluster of
the worker calling this), and in local threads otherwise. Each entry of the result is computed
by the same operations on the same numbers whichever way it runs, so for a given ``block_rows``
the scores are equal bit for bit; a batch job with ``block_rows`` gives the same matching on Dask
as locally.

Notes
-----
Against :func:`~matcher.scoring.affinity.score_cohort` (one piece) the scores agree to rounding, and
usually exactly; a block of a single startup takes a different BLAS path for its matrix
products and can differ in the last bit.

Examples
--------
>>> import numpy as np
>>> import matcher
>>> from matcher.scoring.blockwise import score_blockwise
>>> cohort = matcher.load_cohort("data/spring-2026")
>>> scores = score_blockwise(cohort, block_rows=4)           # 3 blocks of startups
>>> scores.shape, bool(np.allclose(scores.values, matcher.score_cohort(cohort).values))
((11, 36), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.data.models import Cohort
from matcher.scoring.affinity import (
    ABSOLUTE_TEXT_SCALE,
    Scores,
    assemble_scores,
    rules_model,
    text_similarity,
    with_rules_embeddings,
)
from matcher.scoring.features import ProfileVectors

__all__ = ["score_blockwise"]

#: The components computed from the profile vectors, block by block.
BASE = ("text", "domain", "needs", "language")


def _rows(vectors: ProfileVectors, start: int, stop: int) -> ProfileVectors:
    return ProfileVectors(ids=vectors.ids[start:stop], text=vectors.text[start:stop],
                          domain=vectors.domain[start:stop], support=vectors.support[start:stop],
                          languages=vectors.languages[start:stop])


def _raw_block(s: ProfileVectors, m: ProfileVectors, aggregation: str, top_k: int) -> dict[str, np.ndarray]:
    """Unnormalised components of one block of startups against every mentor."""
    spoken = s.languages.sum(axis=1, keepdims=True)
    return {
        "text": text_similarity(s, m, aggregation=aggregation, top_k=top_k),
        "domain": s.domain @ m.domain.T,
        "needs": s.support @ m.support.T,
        "language": np.divide(s.languages @ m.languages.T, spoken, out=np.zeros((len(s), len(m))),
                              where=spoken > 0),
    }


def _component(blocks: dict, name: str) -> np.ndarray:
    return blocks[name]


def _scheduler(client: Any) -> Any:
    """A context giving the client to run on, or None for local threads."""
    import contextlib

    if client is not None:
        return contextlib.nullcontext(client)
    try:
        from distributed import get_worker, worker_client

        get_worker()
    except (ImportError, ValueError):
        return contextlib.nullcontext(None)
    return worker_client()  # this worker's cluster; the worker steps aside while the blocks run


def score_blockwise(cohort: Cohort, *, block_rows: int = 2048, client: Any = None) -> Scores:
    """Scores of every pair of a cohort, computed in blocks of ``block_rows`` startups.

    Parameters
    ----------
    cohort : Cohort
    block_rows : int
        Startups per block: each block's matrices have ``block_rows × n_mentors`` entries.
    client : distributed.Client, optional
        Where to run the blocks; default: the calling worker's cluster, or local threads.

    Returns
    -------
    Scores
        As :func:`matcher.scoring.affinity.score_cohort` returns, under the cohort's weights,
        language rule and ``scoring``.
    """
    import dask
    import dask.array as da

    if not isinstance(block_rows, int) or isinstance(block_rows, bool) or block_rows < 1:
        raise ValueError(f"block_rows must be a whole number of startups, 1 or more; got {block_rows!r}")
    rules = cohort.rules
    model = rules_model(rules).fit(cohort)
    s = model.vectorizer_.transform(cohort.startups)
    m = model.vectorizer_.transform(cohort.mentors)
    n_s, n_m = len(s), len(m)
    mentors = dask.delayed(m, pure=True)
    parts: dict[str, list] = {name: [] for name in BASE}
    for start in range(0, n_s, block_rows):
        stop = min(start + block_rows, n_s)
        block = dask.delayed(_raw_block, pure=True)(_rows(s, start, stop), mentors, model.aggregation,
                                                     model.top_k)
        for name in BASE:
            item = dask.delayed(_component, pure=True)(block, name)
            parts[name].append(da.from_delayed(item, shape=(stop - start, n_m), dtype=float))
    raw = {name: da.concatenate(blocks, axis=0) for name, blocks in parts.items()}
    # the same arithmetic as matcher.scoring.affinity.component_matrices, entry by entry
    if model.scale == "absolute":
        peak = ABSOLUTE_TEXT_SCALE
    else:
        peak = da.maximum(raw["text"].max(), 0.0) if n_s and n_m else 0.0
    text = da.where(peak > 0, raw["text"] / da.where(peak > 0, peak, 1.0), raw["text"])
    components = {"text": da.clip(text, 0.0, 1.0), "domain": da.clip(raw["domain"], 0.0, 1.0),
                  "needs": da.clip(raw["needs"], 0.0, 1.0), "language": raw["language"]}
    with _scheduler(client) as runner:
        if runner is None:
            computed = dask.compute(components, scheduler="threads")[0]
        else:
            computed = runner.compute(components, sync=True)
    # from here on as AffinityModel.score: stated preferences, weighted sum, forbidden pairs
    scores = assemble_scores(cohort, s.ids, m.ids, computed, model.weights_, given_weights=rules.weights,
                             require_common_language=model.require_common_language)
    return with_rules_embeddings(scores, cohort)
