"""A cache of text embeddings on disk, keyed by a hash of the model's name and the text.

Embedding a cohort's texts is the slow part of the semantic text component; a re-run of the same
cohort (or a new cohort sharing most mentors) should cost nothing. :class:`EmbeddingCache` keeps
one vector per (model, text) in a SQLite file: every write is a transaction, so a run killed
mid-write leaves the cache as it was before the write, and processes sharing the cache take turns.
A cache that cannot be opened or read is set aside with a warning, never the caller's failure:
the vectors are computed again.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingCache", "default_cache_dir", "content_key"]

#: Keys looked up per SQL statement (SQLite limits the parameters of one statement).
_CHUNK = 500


def default_cache_dir() -> Path:
    """Where caches live unless told: ``$MATCHER_CACHE_DIR``, else ``matcher`` in the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``).

    >>> os.environ.get("MATCHER_CACHE_DIR") is not None or default_cache_dir().name == "matcher"
    True
    """
    given = os.environ.get("MATCHER_CACHE_DIR", "").strip()
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base).expanduser() / "matcher"


def content_key(model: str, text: str) -> str:
    """The cache key of ``text`` embedded by ``model``: a SHA-256 of both.

    >>> len(content_key("wordllama", "chest X-ray triage"))
    64
    """
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """Vectors of texts on disk, one SQLite file in ``folder`` (``embeddings.sqlite3``).

    Parameters
    ----------
    folder : path, optional
        Default: ``default_cache_dir() / "embeddings"``.

    Examples
    --------
    >>> import tempfile
    >>> cache = EmbeddingCache(tempfile.mkdtemp())
    >>> cache.put("m", ["a"], np.array([[0.6, 0.8]], dtype=np.float32))
    >>> cache.get("m", ["a", "b"])[0].tolist(), cache.get("m", ["a", "b"])[1]
    ([0.6000000238418579, 0.800000011920929], None)
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir() / "embeddings"
        self.path = self.folder / "embeddings.sqlite3"
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60)
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, data BLOB)")
            return db
        except (OSError, sqlite3.Error) as exc:
            self._set_aside(exc)
            return None

    def _set_aside(self, exc: Exception) -> None:
        self._broken = True
        warnings.warn(f"embedding cache {self.path} cannot be used ({exc}); computing without it",
                      RuntimeWarning, stacklevel=3)

    def get(self, model: str, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The cached vector of each text (``None`` where there is none)."""
        keys = [content_key(model, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        db = self._connect()
        if db is None:
            return [None] * len(keys)
        try:
            with db:
                for start in range(0, len(keys), _CHUNK):
                    chunk = keys[start:start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    for key, dim, data in db.execute(
                            f"SELECT key, dim, data FROM vectors WHERE key IN ({marks})", chunk):
                        vector = np.frombuffer(data, dtype=np.float32)
                        if len(vector) == dim:  # a row of another shape is not trusted
                            found[key] = vector
        except sqlite3.Error as exc:
            self._set_aside(exc)
        finally:
            db.close()
        return [found.get(k) for k in keys]

    def put(self, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store the vector of each text (one transaction: all of them or none)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        rows = [(content_key(model, t), int(v.shape[0]), v.tobytes()) for t, v in zip(texts, vectors)]
        db = self._connect()
        if db is None:
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._set_aside(exc)
        finally:
            db.close()
