"""The semantic text component: per-item embeddings from a model shipped in a wheel, cached on disk."""

from __future__ import annotations

import dataclasses
import sqlite3
import sys

import numpy as np
import pytest

import matcher
from matcher.data.io.cache import EmbeddingCache
from matcher.scoring.affinity import COMPONENTS
from tests.test_items import RELEVANT, UNRELATED, cohort_of

pytest.importorskip("wordllama", reason="the 'embeddings' extra is not installed "
                    "(pip install -e '.[embeddings]')")


@pytest.fixture(scope="module")
def encoder():
    from matcher.scoring.embeddings import load_encoder

    return load_encoder("wordllama")


@dataclasses.dataclass
class Counting:
    """The real encoder, with a count of the texts it was asked to embed."""

    inner: object
    texts: int = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, texts):
        self.texts += len(texts)
        return self.inner.encode(texts)


def counting(encoder):
    from matcher.scoring.embeddings import Encoder

    counter = Counting(encoder)
    # an Encoder whose model embeds through the counter
    wrapped = Encoder(encoder.name, encoder.model, encoder.absolute_scale, encoder.batch_size)
    object.__setattr__(wrapped, "encode", counter.encode)
    return wrapped, counter


def test_the_cache_is_hit_on_a_re_run(encoder, tmp_path):
    from matcher.scoring.embeddings import embedding_text

    cohort = matcher.load_cohort("data/spring-2026")
    wrapped, counter = counting(encoder)
    first = embedding_text(cohort, model=wrapped, cache=tmp_path / "cache")
    n_texts = len({s.description for s in cohort.startups} | {m.expertise for m in cohort.mentors})
    assert counter.texts == n_texts
    again = embedding_text(cohort, model=wrapped, cache=tmp_path / "cache")
    assert counter.texts == n_texts  # nothing embedded the second time
    assert np.array_equal(first, again)
    with sqlite3.connect(tmp_path / "cache" / "embeddings.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == n_texts
    # without a cache every run embeds again, and gets the same numbers
    assert np.allclose(embedding_text(cohort, model=wrapped, cache=False), first, atol=1e-6)
    assert counter.texts == 2 * n_texts


def test_per_item_embeddings_see_the_last_item_of_a_long_list(encoder, tmp_path):
    from matcher.scoring.embeddings import embedding_similarity

    cohort = cohort_of({"m-long": "\n".join(UNRELATED * 4 + [RELEVANT]), "m-alone": RELEVANT,
                        "m-unrelated": "\n".join(UNRELATED)})
    raw = embedding_similarity(cohort, encoder=encoder, aggregation="max", cache=tmp_path)
    assert raw[0, 0] == pytest.approx(raw[0, 1], abs=1e-6)
    assert raw[0, 0] > raw[0, 2] + 0.1
    top = embedding_similarity(cohort, encoder=encoder, aggregation="top-k", cache=tmp_path)
    assert top[0, 0] > top[0, 2]


def test_embedding_scores_add_up_and_match(encoder, tmp_path):
    from matcher.scoring.embeddings import with_embedding_text

    cohort = matcher.load_cohort("data/spring-2026")
    scores = with_embedding_text(matcher.score_cohort(cohort), cohort, model=encoder, cache=tmp_path)
    text = scores.components["text"]
    assert text.shape == (11, 36) and text.max() == 1.0 and text.min() >= 0.0
    assert np.array_equal(sum(scores.weighted(c) for c in COMPONENTS), scores.values)
    # the medical-imaging startup's nearest mentor texts are the radiologists and clinicians
    i = list(scores.startup_ids).index("s-radiantscan")
    top = set(scores.mentor_ids[np.argsort(-text[i])[:3]])
    assert top & {"m-ho-ka-yan", "m-rachel-tsang", "m-cheng-mei-ling", "m-amanda-cheung"}
    result = matcher.match_cohort(cohort, scores=scores)
    assert result.assignment.status == "optimal" and len(result.assignments) == 27  # 9 eligible × 3


def test_a_missing_extra_is_one_line_saying_how_to_install_it(monkeypatch):
    from matcher.scoring.embeddings import MissingExtraError, load_encoder

    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if the package were not installed
    with pytest.raises(MissingExtraError) as err:
        load_encoder("wordllama")
    message = str(err.value)
    assert "\n" not in message and "pip install 'matcher[embeddings]'" in message
    with pytest.raises(ValueError, match="unknown embedding model 'bert'"):
        load_encoder("bert")


def test_an_unusable_cache_is_set_aside_not_fatal(encoder, tmp_path):
    from matcher.scoring.embeddings import embed_texts

    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "embeddings.sqlite3").write_text("not a database")
    with pytest.warns(RuntimeWarning, match="cannot be used"):
        vectors = embed_texts(["radiology AI", "freight routing"], encoder, cache=EmbeddingCache(folder))
    assert vectors.shape == (2, 256) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path / "mine"))
    assert EmbeddingCache().folder == tmp_path / "mine" / "embeddings"
    monkeypatch.delenv("MATCHER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert EmbeddingCache().folder == tmp_path / "xdg" / "matcher" / "embeddings"
