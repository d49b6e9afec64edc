"""matcher: match startups to mentors for AI accelerator programmes.

Profiles become vectors, every startup–mentor pair gets an explained affinity score, and the
assignment is solved as a constrained optimisation with OR-Tools, with a proof of how good it is.

>>> import matcher
>>> cohort = matcher.load_cohort("data/spring-2026")          # doctest: +SKIP
>>> result = matcher.match_cohort(cohort)                       # doctest: +SKIP
"""

from matcher.errors import Diagnosis, InfeasibleError, InputError, MatcherError, SolverError
from matcher.models import Assignment, Cohort, MatchResult, Mentor, Rules, Startup
from matcher.solve import SOLVERS, Solver, VectorScores, assign, register_solver

__all__ = [
    "assign",
    "VectorScores",
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
