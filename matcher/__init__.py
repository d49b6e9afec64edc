"""matcher: match startups to mentors for AI accelerator programmes.

Profiles become vectors, every startup–mentor pair gets an explained affinity score, and the
assignment is solved as a constrained optimisation with OR-Tools, with a proof of how good it is.

The package is layered (see ``docs/architecture.md``); each floor imports only the floors below:

- :mod:`matcher.data` — models, rules, taxonomy, reading and writing files, eligibility;
- :mod:`matcher.scoring` — profile vectors and affinity scores;
- :mod:`matcher.solve` — the one translation of rules into a :class:`~matcher.solve.problem.Problem`
  and the interchangeable backends;
- :mod:`matcher.pipeline` — screen, score, solve: the one corridor for a cohort;
- :mod:`matcher.insight` — explain, what-if, audit, evaluate;
- :mod:`matcher.week` — the matching week: speed meetings, choices, the final match;
- :mod:`matcher.app` — the command line, batch jobs, the history store, reports.

Public names are loaded on first use, so ``import matcher`` is fast.

>>> import matcher
>>> cohort = matcher.load_cohort("data/spring-2026")          # doctest: +SKIP
>>> result = matcher.match_cohort(cohort)                       # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_PUBLIC = {
    "assign": "matcher.solve",
    "VectorScores": "matcher.solve",
    "Solver": "matcher.solve",
    "SOLVERS": "matcher.solve",
    "register_solver": "matcher.solve",
    "match_cohort": "matcher.pipeline",
    "screen": "matcher.data.screening",
    "Screening": "matcher.data.screening",
    "EligibilityRules": "matcher.data.eligibility",
    "load_cohort": "matcher.data.io",
    "score_cohort": "matcher.scoring.affinity",
    "AffinityModel": "matcher.scoring.affinity",
    "ProfileVectorizer": "matcher.scoring.vectorizer",
    "Scores": "matcher.scoring.affinity",
    "Assignment": "matcher.data.models",
    "Cohort": "matcher.data.models",
    "MatchResult": "matcher.pipeline",
    "plan_meetings": "matcher.week",
    "MeetingPlan": "matcher.week",
    "final_match": "matcher.week",
    "FinalMatch": "matcher.week",
    "Mentor": "matcher.data.models",
    "Rules": "matcher.data.rules",
    "Startup": "matcher.data.models",
    "Diagnosis": "matcher.errors",
    "MatcherError": "matcher.errors",
    "InputError": "matcher.errors",
    "InfeasibleError": "matcher.errors",
    "SolverError": "matcher.errors",
}

__all__ = list(_PUBLIC)

#: Modules that lived at the top of the package before it was layered: ``matcher.explain``,
#: ``from matcher.store import Store`` and the like keep working.
_MOVED = {
    "api": "matcher.pipeline",
    "models": "matcher.data.models",
    "rules": "matcher.data.rules",
    "taxonomy": "matcher.data.taxonomy",
    "io": "matcher.data.io",
    "eligibility": "matcher.data.eligibility",
    "preferences": "matcher.data.preferences",
    "synth": "matcher.data.synth",
    "features": "matcher.scoring.features",
    "blockwise": "matcher.scoring.blockwise",
    "embeddings": "matcher.scoring.embeddings",
    "explain": "matcher.insight.explain",
    "whatif": "matcher.insight.whatif",
    "audit": "matcher.insight.audit",
    "evaluate": "matcher.insight.evaluate",
    "cli": "matcher.app.cli",
    "batch": "matcher.app.batch",
    "store": "matcher.app.store",
    "report": "matcher.app.report",
    "plots": "matcher.app.plots",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``matcher.<old name>`` as the module at its new place (the same module object)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        prefix, _, name = fullname.partition(".")
        if prefix == "matcher" and name in _MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(_MOVED[spec.name.partition(".")[2]])

    def exec_module(self, module) -> None:
        pass  # already executed under its own name


sys.meta_path.append(_MovedModules())


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if name in _MOVED:
        return importlib.import_module(f"matcher.{name}")
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC, *_MOVED])


if TYPE_CHECKING:  # what type checkers and IDEs see; nothing is imported at run time
    from matcher.data.eligibility import EligibilityRules  # noqa: F401
    from matcher.data.io import load_cohort  # noqa: F401
    from matcher.data.models import Assignment, Cohort, Mentor, Startup  # noqa: F401
    from matcher.data.rules import Rules  # noqa: F401
    from matcher.data.screening import Screening, screen  # noqa: F401
    from matcher.errors import Diagnosis, InfeasibleError, InputError, MatcherError, SolverError  # noqa: F401
    from matcher.pipeline import MatchResult, match_cohort  # noqa: F401
    from matcher.scoring.affinity import AffinityModel, Scores, score_cohort  # noqa: F401
    from matcher.scoring.vectorizer import ProfileVectorizer  # noqa: F401
    from matcher.solve import SOLVERS, Solver, VectorScores, assign, register_solver  # noqa: F401
    from matcher.week import FinalMatch, MeetingPlan, final_match, plan_meetings  # noqa: F401
