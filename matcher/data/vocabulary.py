"""The names matcher's rules are written in, and their defaults, each defined here and nowhere else.

Files, flags, keywords, validation messages, solvers and reports all read these, so a name added or
a default changed here holds everywhere at once: ``assign``, ``match_cohort``, the CLI and job files.
"""

from __future__ import annotations

__all__ = ["EVIDENCE_KINDS",
           "OBJECTIVES", "HISTORY_MODES", "SOLVER_NAMES", "COMPONENTS", "STATUSES", "MENTOR_KINDS",
           "MISSING_SCORES", "LANGUAGES", "STAGES", "STARTUP_DOMAINS", "MENTOR_DOMAINS", "STARTUP_NEEDS",
           "DEFAULT_TIME_LIMIT", "DEFAULT_WORKERS", "DEFAULT_HISTORY", "DEFAULT_MAX_PROBABILITY",
           "DEFAULT_TEAM_WEIGHTS", "AGGREGATIONS", "SCALES", "EMBEDDING_MODELS", "DEFAULT_SCORING"]

#: What the solver maximises: the total score; the worst-served startup's total, then the total;
#: a blend of the mean and the worst startup's total; or the expected total of a lottery over
#: assignments in which no pair is more likely than ``max_probability`` (randomised); or the
#: total among assignments in which no startup envies another's team beyond its best mentor.
#: ``team`` maximises the scores plus each startup's needs covered and kinds not repeated.
OBJECTIVES = ("total", "fair", "blend", "randomised", "envy-free", "team")

#: What to do with pairs made in earlier cohorts.
HISTORY_MODES = ("forbid", "prefer", "ignore")

#: Backends by name; ``auto`` picks among them. :func:`matcher.solve.register_solver` adds more.
SOLVER_NAMES: list[str] = ["auto", "flow", "cpsat", "fair", "pruned", "stable", "stable-mentors",
                           "randomised", "envy-free", "team", "team-greedy"]

#: The named components of an affinity score, in the order they are summed.
COMPONENTS = ("text", "domain", "needs", "language", "preference")

#: Kinds of evidence item (the ``kind`` column of evidence.csv); an empty kind is ``other``.
EVIDENCE_KINDS = ("paper", "company", "project", "investment", "talk", "patent", "product", "pilot",
                  "other")

#: The statuses an assignment can carry.
STATUSES = ("optimal", "feasible", "infeasible", "time_limit")

#: Mentor kinds the sample programme uses; other kinds are accepted as given.
MENTOR_KINDS = ("professor", "scientist", "engineer", "entrepreneur", "investor")

#: Mentoring languages the programme works in; ``languages`` in programme.yaml adds more.
LANGUAGES = ("English", "Cantonese", "Mandarin")

#: A startup's stage (the ``stage`` column of startups.csv).
STAGES = ("idea", "pre-seed", "seed", "series-a")

#: How many domains a startup and a mentor may list (the first of a startup's is its primary),
#: and how many needs a startup may list: (fewest, most).
STARTUP_DOMAINS = (1, 3)
MENTOR_DOMAINS = (1, 4)
STARTUP_NEEDS = (0, 3)

#: What a missing score (NaN, a blank cell) means: an error, or a forbidden pair.
MISSING_SCORES = ("error", "forbid")

#: Seconds a backend may take when no time limit is given (min-cost flow needs far less).
DEFAULT_TIME_LIMIT = 60.0

#: Search workers of the CP-SAT-based backends when not given.
DEFAULT_WORKERS = 2

#: What pairs of earlier cohorts mean when no history mode is given, in Rules and assign alike.
DEFAULT_HISTORY = "forbid"

#: The cap on each pair's probability under the randomised objective when none is given.
DEFAULT_MAX_PROBABILITY = 0.5

#: Weights of the team objective when none are given: all of a startup's needs covered is worth
#: ``coverage``, each distinct mentor kind (or other label) on its team ``diversity``.
DEFAULT_TEAM_WEIGHTS = {"coverage": 0.5, "diversity": 0.1}

#: How a mentor's item similarities become a pair's text similarity (``scoring.aggregation``):
#: the mean of the ``top_k`` most similar items, the most similar, the weighted mean of all, or
#: every item as one document (see :mod:`matcher.scoring.items`).
AGGREGATIONS = ("top-k", "max", "mean", "document")

#: How text similarities are scaled to [0, 1] (``scoring.scale``): by the cohort's largest, or by
#: a fixed constant, so that a pair's score does not move when others join the cohort.
SCALES = ("cohort", "absolute")

#: The embedding models shipped in pip packages (``scoring.embeddings``; ``true`` is the first).
EMBEDDING_MODELS = ("wordllama", "minilm")

#: The scorer when a programme's ``scoring`` leaves a key out: TF-IDF items, top-3 mean, scaled
#: by the cohort, no recency or kind weights, no embeddings.
DEFAULT_SCORING = {"aggregation": "top-k", "top_k": 3, "scale": "cohort", "half_life": None,
                   "kind_weights": {}, "embeddings": None}
