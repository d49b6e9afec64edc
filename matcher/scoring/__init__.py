"""Profiles and scores: profile vectors (:mod:`~matcher.scoring.features`), affinity scores with
named components (:mod:`~matcher.scoring.affinity`), score sources for large programmes
(:mod:`~matcher.scoring.sources`), blockwise and embedding scorers."""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {"Scores": "affinity", "AffinityModel": "affinity", "score_cohort": "affinity",
           "ProfileVectorizer": "vectorizer", "ProfileModel": "features", "fit_profile_model": "features"}
__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"matcher.scoring.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'matcher.scoring' has no attribute {name!r}")
