"""matcher: match startups to mentors for AI accelerator programmes.

Profiles become vectors, every startup–mentor pair gets an explained affinity score, and the
assignment is solved as a constrained optimisation with OR-Tools, with a proof of how good it is.

>>> import matcher
>>> cohort = matcher.load_cohort("data/spring-2026")          # doctest: +SKIP
>>> result = matcher.match_cohort(cohort)                       # doctest: +SKIP
"""

from matcher.api import match_cohort
from matcher.eligibility import EligibilityRules, Screening, screen
from matcher.errors import Diagnosis, InfeasibleError, InputError, MatcherError, SolverError
from matcher.features import ProfileVectorizer
from matcher.io import load_cohort
from matcher.models import Assignment, Cohort, MatchResult, Mentor, Rules, Startup
from matcher.scoring import AffinityModel, Scores, score_cohort
from matcher.solve import SOLVERS, Solver, VectorScores, assign, register_solver

__all__ = [
    "assign",
    "VectorScores",
    "match_cohort",
    "screen",
    "Screening",
    "EligibilityRules",
    "load_cohort",
    "score_cohort",
    "AffinityModel",
    "ProfileVectorizer",
    "Scores",
    "Solver",
    "SOLVERS",
    "register_solver",
    "Assignment",
    "Cohort",
    "MatchResult",
    "Mentor",
    "Rules",
    "Startup",
    "Diagnosis",
    "MatcherError",
    "InputError",
    "InfeasibleError",
    "SolverError",
]

__version__ = "0.1.0"

# Modules loaded on first use, so `import matcher` stays fast: matcher.explain, matcher.evaluate, ...
_LAZY_MODULES = ("audit", "embeddings", "evaluate", "explain", "preferences", "whatif")


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"matcher.{name}")
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")
