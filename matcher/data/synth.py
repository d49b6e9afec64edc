"""Synthetic programmes of any size, for benchmarks and tests.

Three distributions of what startups want:

``uniform``
    every pair's score independent of the others: no structure;
``correlated``
    mentor popularity: a few star mentors are wanted by almost every startup, so their
    capacity is the bottleneck and each startup's top mentors are the same few;
``clustered``
    domains: startups and mentors belong to domains of unequal sizes, pairs within a domain score
    high, and some domains have more demand than mentor places.

Everything is deterministic for a given seed. :func:`synthetic_scores` and
:func:`synthetic_vectors` are fast array generators for benchmarks;
:func:`synthetic_programme` makes startup and mentor tables with the columns of the sample data,
for the loaders and the whole pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.data.models import MENTOR_KINDS
from matcher.data.taxonomy import DEFAULT_TAXONOMY, LANGUAGES, SUPPORT_AREAS
from matcher.data.vocabulary import MENTOR_DOMAINS

__all__ = [
    "DISTRIBUTIONS",
    "synthetic_scores",
    "synthetic_vectors",
    "synthetic_capacities",
    "synthetic_programme",
]

#: The score distributions every generator accepts.
DISTRIBUTIONS = ("uniform", "correlated", "clustered")

_N_CLUSTERS = 12


def _check(distribution: str) -> None:
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")


def _popularity(rng: np.random.Generator, n_mentors: int) -> np.ndarray:
    """Mentor popularity in [0, 1): heavy-tailed, so a few mentors are stars."""
    return rng.random(n_mentors) ** 8


def _clusters(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights)


def synthetic_scores(n_startups: int, n_mentors: int, distribution: str = "uniform", *,
                     seed: int = 0) -> np.ndarray:
    """A dense score matrix with values in [0, 1].

    Parameters
    ----------
    n_startups, n_mentors : int
    distribution : {"uniform", "correlated", "clustered"}
    seed : int

    Returns
    -------
    float64 array of shape (n_startups, n_mentors)

    Examples
    --------
    >>> s = synthetic_scores(3, 4, "correlated", seed=1)
    >>> s.shape, bool((s >= 0).all() and (s <= 1).all())
    ((3, 4), True)
    >>> bool((synthetic_scores(3, 4, seed=2) == synthetic_scores(3, 4, seed=2)).all())
    True
    """
    _check(distribution)
    rng = np.random.default_rng(seed)
    noise = rng.random((n_startups, n_mentors))
    if distribution == "uniform":
        return noise
    if distribution == "correlated":
        # half of every score is the mentor's popularity, shared by all startups
        return 0.5 * _popularity(rng, n_mentors)[None, :] + 0.5 * noise
    s_weights = rng.dirichlet(np.ones(_N_CLUSTERS))
    m_weights = rng.dirichlet(np.ones(_N_CLUSTERS))  # mentor supply does not follow demand
    s_cluster = _clusters(rng, n_startups, s_weights)
    m_cluster = _clusters(rng, n_mentors, m_weights)
    same = s_cluster[:, None] == m_cluster[None, :]
    return 0.6 * same + 0.4 * noise


def synthetic_vectors(n_startups: int, n_mentors: int, distribution: str = "uniform", *,
                      dim: int = 256, seed: int = 0,
                      dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Startup and mentor profile vectors whose dot products are the scores.

    Parameters
    ----------
    n_startups, n_mentors : int
    distribution : {"uniform", "correlated", "clustered"}
    dim : int
        Features per vector (at least 2).
    seed : int
    dtype : numpy dtype
        ``float32`` halves the memory of 10⁵ vectors.

    Returns
    -------
    startup_vectors : array of shape (n_startups, dim)
    mentor_vectors : array of shape (n_mentors, dim)
        Rows of unit length or less; ``startup_vectors @ mentor_vectors.T`` lies in [-1, 1].

    Examples
    --------
    >>> s, m = synthetic_vectors(5, 3, "clustered", dim=8, seed=0)
    >>> s.shape, m.shape, s.dtype.name
    ((5, 8), (3, 8), 'float32')
    """
    _check(distribution)
    if dim < 2:
        raise ValueError(f"dim must be at least 2, got {dim}")
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n_startups, dim))
    m = rng.standard_normal((n_mentors, dim))
    if distribution == "clustered":
        centres = rng.standard_normal((_N_CLUSTERS, dim))
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        s_cluster = _clusters(rng, n_startups, rng.dirichlet(np.ones(_N_CLUSTERS)))
        m_cluster = _clusters(rng, n_mentors, rng.dirichlet(np.ones(_N_CLUSTERS)))
        s = _unit(s) * 0.6 + centres[s_cluster] * 0.8
        m = _unit(m) * 0.6 + centres[m_cluster] * 0.8
    s, m = _unit(s), _unit(m)
    if distribution == "correlated":
        # feature 0 is "quality": every startup values it, a few star mentors have much of it
        pop = _popularity(rng, n_mentors)
        s[:, 0] = 0.7
        s[:, 1:] *= np.sqrt(1 - 0.7**2) / np.maximum(np.linalg.norm(s[:, 1:], axis=1,
                                                                      keepdims=True), 1e-12)
        m[:, 0] = pop
        m[:, 1:] *= (np.sqrt(1 - pop**2)[:, None]
                     / np.maximum(np.linalg.norm(m[:, 1:], axis=1, keepdims=True), 1e-12))
    return s.astype(dtype), m.astype(dtype)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def synthetic_capacities(n_startups: int, n_mentors: int, k: int = 3, *, slack: float = 1.25,
                         seed: int = 0) -> np.ndarray:
    """Mentor capacities offering about ``slack`` times the ``k * n_startups`` places needed.

    Small programmes get capacities of 1–4, as in the sample data; large ones scale up.

    Examples
    --------
    >>> cap = synthetic_capacities(1000, 500, k=3, seed=0)
    >>> bool(cap.sum() >= 1.25 * 3 * 1000), int(cap.min()) >= 1
    (True, True)
    """
    rng = np.random.default_rng(seed)
    mean = slack * k * n_startups / max(n_mentors, 1)
    if mean <= 2.5:
        cap = rng.integers(1, 5, n_mentors)
    else:
        cap = np.maximum(1, np.rint(mean * rng.uniform(0.5, 1.5, n_mentors))).astype(np.int64)
    short = int(np.ceil(slack * k * n_startups)) - int(cap.sum())
    if short > 0:
        # spread the missing places over all mentors, the first ones taking the remainder
        cap = cap + short // n_mentors + (np.arange(n_mentors) < short % n_mentors)
    return cap.astype(np.int64)


_WORDS = {
    "vision": "image camera detection segmentation video pixels",
    "nlp": "language text transformer chatbot speech documents",
    "fintech": "payments fraud credit risk trading compliance",
    "medtech": "clinical patients diagnosis hospital imaging drugs",
    "logistics": "routing fleet warehouse delivery supply inventory",
    "smart-city": "traffic energy sensors buildings urban mobility",
    "robotics": "robots manipulation drones service automation hardware",
    "autonomous-driving": "lidar perception planning vehicles safety mapping",
    "generative-ai": "llm diffusion media generation prompts agents",
    "ml-infrastructure": "mlops gpu cloud deployment edge serving",
    "edtech": "learning students tutoring courses assessment schools",
    "retail": "recommendation shoppers pricing ecommerce stores demand",
}
_ORGS = ("HKU", "HKUST", "CUHK", "PolyU", "Tencent", "Alibaba", "SenseTime", "HSBC", "Sequoia",
         "Horizons", "Cyberport", "Independent")


def synthetic_programme(n_startups: int, n_mentors: int, distribution: str = "clustered", *,
                        seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Startup and mentor tables with the columns of the sample data.

    Parameters
    ----------
    n_startups, n_mentors : int
    distribution : {"uniform", "correlated", "clustered"}
        ``uniform``: domains drawn evenly; ``correlated``: a few star mentors cover many domains;
        ``clustered``: startups and mentors crowd into a few domains, unevenly.
    seed : int

    Returns
    -------
    startups : DataFrame
        Columns ``id, name, domains, description, needs, languages`` (lists joined with ``;``).
    mentors : DataFrame
        Columns ``id, name, kind, organisation, domains, expertise, offers, capacity, languages,
        conflicts``.

    Examples
    --------
    >>> startups, mentors = synthetic_programme(10, 40, "uniform", seed=0)
    >>> list(startups.columns)
    ['id', 'name', 'domains', 'description', 'needs', 'languages']
    >>> len(mentors), bool(mentors.capacity.between(1, 4).all())
    (40, True)
    """
    _check(distribution)
    rng = np.random.default_rng(seed)
    leaves = np.array([n for n in DEFAULT_TAXONOMY.nodes if "/" in n or n in ("edtech",)])
    roots = np.array([n.split("/")[0] for n in leaves])
    if distribution == "clustered":
        s_p = _leaf_weights(rng, roots, concentration=0.3)
        m_p = _leaf_weights(rng, roots, concentration=0.3)
    else:
        s_p = m_p = np.full(len(leaves), 1 / len(leaves))
    s_dom = [_pick_domains(rng, leaves, s_p, 1 + int(rng.integers(0, 2))) for _ in range(n_startups)]
    stars = (rng.random(n_mentors) < 0.05) if distribution == "correlated" else np.zeros(n_mentors, bool)
    # a star covers as many domains as a mentor may list
    m_dom = [_pick_domains(rng, leaves, m_p, MENTOR_DOMAINS[1] if star else 1 + int(rng.integers(0, 3)))
             for star in stars]
    s_ids = [f"s-{i:06d}" for i in range(n_startups)]  # ids are slugs
    startups = pd.DataFrame({
        "id": s_ids,
        "name": [f"Startup {i}" for i in range(n_startups)],
        "domains": [";".join(d) for d in s_dom],
        "description": [_text(rng, d, 14) for d in s_dom],
        "needs": [";".join(_sample(rng, SUPPORT_AREAS, 1 + int(rng.integers(0, 3))))
                  for _ in range(n_startups)],
        "languages": [";".join(_languages(rng)) for _ in range(n_startups)],
    })
    kinds = rng.choice(MENTOR_KINDS, size=n_mentors)
    conflicts = [";".join(rng.choice(s_ids, size=2, replace=False)) if kind == "investor"
                 and n_startups >= 2 and rng.random() < 0.3 else "" for kind in kinds]
    mentors = pd.DataFrame({
        "id": [f"m-{j:05d}" for j in range(n_mentors)],
        "name": [f"Mentor {j}" for j in range(n_mentors)],
        "kind": kinds,
        "organisation": rng.choice(_ORGS, size=n_mentors),
        "domains": [";".join(d) for d in m_dom],
        "expertise": [_text(rng, d, 20) + (" widely known keynote speaker" if star else "")
                      for d, star in zip(m_dom, stars)],
        "offers": [";".join(_sample(rng, SUPPORT_AREAS, 1 + int(rng.integers(0, 3))))
                   for _ in range(n_mentors)],
        "capacity": synthetic_capacities(n_startups, n_mentors, 3, seed=seed + 1),
        "languages": [";".join(_languages(rng)) for _ in range(n_mentors)],
        "conflicts": conflicts,
    })
    return startups, mentors


def _leaf_weights(rng: np.random.Generator, roots: np.ndarray, concentration: float) -> np.ndarray:
    names = np.unique(roots)
    per_root = rng.dirichlet(np.full(len(names), concentration))
    w = per_root[np.searchsorted(names, roots)]
    w = w / np.bincount(np.searchsorted(names, roots))[np.searchsorted(names, roots)]
    return w / w.sum()


def _pick_domains(rng, leaves, p, n) -> list[str]:
    return list(rng.choice(leaves, size=min(n, len(leaves)), replace=False, p=p))


def _sample(rng, items, n) -> list[str]:
    return list(rng.choice(np.array(items), size=min(n, len(items)), replace=False))


def _languages(rng) -> list[str]:
    first = LANGUAGES[0] if rng.random() < 0.8 else LANGUAGES[int(rng.integers(1, len(LANGUAGES)))]
    extra = [lang for lang in LANGUAGES if lang != first and rng.random() < 0.35]
    return [first, *extra]


def _text(rng, domains: list[str], n_words: int) -> str:
    bag = " ".join(_WORDS[d.split("/")[0]] + " " + d.split("/")[-1].replace("-", " ") for d in domains)
    words = np.array(bag.split())
    return " ".join(rng.choice(words, size=n_words))
