"""TF-IDF of short texts without scikit-learn: the weights ``ProfileVectorizer`` has always used.

:func:`fit_term_weights` learns a vocabulary and its inverse document frequencies;
:meth:`TermWeights.transform` turns texts into L2-normalised rows. Both give exactly (bit for bit)
what scikit-learn's ``TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=float64)``
gives with the same ``ngram_range``, ``min_df`` and ``max_features``, which the tests check on
random texts; the command line's start-up does not pay for importing scikit-learn (most of a
second).

Examples
--------
>>> texts = ["chest x-ray triage", "x-ray reading", "freight routing"]
>>> weights = fit_term_weights(texts, ngram_range=(1, 2))
>>> weights.feature_names()[:4].tolist()
['chest', 'chest ray', 'freight', 'freight routing']
>>> weights.transform(["chest x-ray"]).toarray().round(2)[0, :2].tolist()
[0.62, 0.62]

Notes
-----
Tokens are runs of two or more word characters in the lower-cased text; English stop words are
dropped before n-grams are formed, so ``"the cat"`` has no bigram. The vocabulary is sorted
alphabetically. ``min_df`` keeps terms found in at least that many documents (an int) or that
share of them (a float); ``max_features`` then keeps the terms most often seen in the whole
corpus (ties broken as numpy's default ``argsort`` breaks them, as scikit-learn does). A term's
weight in a text is ``(1 + log(count)) * idf``, with ``idf = log((1 + n) / (1 + df)) + 1``; each
row is divided by its Euclidean norm, the squares summed in column order, so that the floats
match scikit-learn's to the last bit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

__all__ = ["ENGLISH_STOP_WORDS", "TermWeights", "fit_term_weights", "analyze", "document_frequency"]

# The English stop words of scikit-learn (BSD-3-Clause; from the Glasgow Information Retrieval Group).
_STOP_WORDS = """
a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway
anywhere are around as at back be became because become becomes becoming been before beforehand
behind being below beside besides between beyond bill both bottom but by call can cannot cant co
con could couldnt cry de describe detail do done down due during each eg eight either eleven
else elsewhere empty enough etc even ever every everyone everything everywhere except few
fifteen fifty fill find fire first five for former formerly forty found four from front full
further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers
herself him himself his how however hundred i ie if in inc indeed interest into is it its itself
keep last latter latterly least less ltd made many may me meanwhile might mill mine more
moreover most mostly move much must my myself name namely neither never nevertheless next nine
no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise our ours ourselves out over own part per perhaps please put rather re same see
seem seemed seeming seems serious several she should show side since sincere six sixty so some
somehow someone something sometime sometimes somewhere still such system take ten than that the
their them themselves then thence there thereafter thereby therefore therein thereupon these
they thick thin third this those though three through throughout thru thus to together too top
toward towards twelve twenty two un under until up upon us very via was we well were what
whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
whether which while whither who whoever whole whom whose why will with within without would yet
you your yours yourself yourselves
"""
ENGLISH_STOP_WORDS = frozenset(_STOP_WORDS.split())

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def analyze(document: str, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """The terms of a text: lower-cased tokens without stop words, then their n-grams.

    >>> analyze("The chest X-ray of a patient", (1, 2))
    ['chest', 'ray', 'patient', 'chest ray', 'ray patient']
    """
    tokens = [t for t in _TOKEN.findall(document.lower()) if t not in ENGLISH_STOP_WORDS]
    low, high = ngram_range
    if high == 1:
        return tokens
    terms = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        terms.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return terms


@dataclass(frozen=True, eq=False)
class TermWeights:
    """A fitted TF-IDF model: terms, their columns and their inverse document frequencies.

    Attributes
    ----------
    vocabulary : mapping of str to int
        Term → column, columns in alphabetical order of the terms.
    idf : array of shape (n_terms,)
    ngram_range : (int, int)
        The smallest and largest n-grams counted.
    """

    vocabulary: Mapping[str, int]
    idf: np.ndarray
    ngram_range: tuple[int, int] = (1, 1)

    def feature_names(self) -> np.ndarray:
        """The terms in column order, an object array."""
        return np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__), dtype=object)

    def counts(self, documents: Iterable[str]) -> sp.csr_matrix:
        """Each text's count of each term, float64, columns sorted within each row."""
        return _count(documents, self.vocabulary, self.ngram_range)

    def transform(self, documents: Iterable[str]) -> sp.csr_matrix:
        """TF-IDF rows of shape (n_documents, n_terms), each of norm 1 (or empty).

        >>> weights = fit_term_weights(["red apple", "green apple"])
        >>> weights.transform(["apple apple red", "pear"]).toarray().round(3).tolist()
        [[0.769, 0.0, 0.639], [0.0, 0.0, 0.0]]
        """
        matrix = self.counts(documents)
        data = matrix.data
        np.log(data, out=data)  # sublinear tf: 1 + log(count)
        data += 1.0
        data *= self.idf[matrix.indices]
        _normalise_rows(matrix)
        return matrix

    def with_idf_from(self, corpus: Sequence[str]) -> TermWeights:
        """The same terms weighted by their frequencies in a fixed corpus instead.

        A term the corpus lacks gets the largest weight (it counts as rare).

        >>> weights = fit_term_weights(["red apple", "green apple"]).with_idf_from(["apple pie"])
        >>> weights.idf.round(3).tolist()
        [1.0, 1.693, 1.693]
        """
        frequency = document_frequency(corpus, self.vocabulary, self.ngram_range)
        idf = np.log((1 + len(corpus)) / (1 + frequency)) + 1
        return TermWeights(self.vocabulary, idf, self.ngram_range)


def fit_term_weights(documents: Iterable[str], *, ngram_range: tuple[int, int] = (1, 1),
                     min_df: int | float = 1, max_features: int | None = None) -> TermWeights:
    """Learn the vocabulary and inverse document frequencies of some texts.

    Parameters
    ----------
    documents : iterable of str
    ngram_range : (int, int), default (1, 1)
        The smallest and largest n-grams counted, ``1 <= low <= high``.
    min_df : int or float, default 1
        Keep terms found in at least this many texts (an int, 1 or more) or this share of them (a
        float in [0, 1]).
    max_features : int, optional
        Keep at most this many terms, those most often seen in all the texts together.

    Raises
    ------
    ValueError
        A parameter is out of range, or no term is left (every text is empty or stop words, or
        ``min_df`` is more than the number of texts).

    Examples
    --------
    >>> fit_term_weights(["red apple", "green apple", "apple"], min_df=2).feature_names().tolist()
    ['apple']
    """
    _check(ngram_range, min_df, max_features)
    documents = list(documents)
    rows = [Counter(analyze(doc, ngram_range)) for doc in documents]
    terms = sorted({term for row in rows for term in row})
    if not terms:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    column = {term: j for j, term in enumerate(terms)}
    counts = _matrix([{column[t]: c for t, c in row.items()} for row in rows], len(terms))
    df = np.bincount(counts.indices, minlength=len(terms))
    # max_df is 1.0 of the texts, as scikit-learn's default: it never prunes, but it refuses an
    # int min_df above the number of texts
    n_doc = len(documents)
    low = min_df if isinstance(min_df, Integral) else min_df * n_doc
    if 1.0 * n_doc < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    keep = (df <= 1.0 * n_doc) & (df >= low)
    if max_features is not None and keep.sum() > max_features:
        # scikit-learn's exact rule (including its argsort's order among equal counts)
        total = np.asarray(counts.sum(axis=0)).ravel()
        chosen = (-total[keep]).argsort()[:max_features]
        limited = np.zeros(len(terms), dtype=bool)
        limited[np.flatnonzero(keep)[chosen]] = True
        keep = limited
    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    # smoothed idf: as if one more text held every term once
    smoothed_df = df[kept].astype(np.float64) + 1.0
    idf = np.full_like(smoothed_df, fill_value=n_doc + 1, dtype=np.float64)
    idf /= smoothed_df
    np.log(idf, out=idf)
    idf += 1.0
    return TermWeights({terms[j]: i for i, j in enumerate(kept)}, idf, tuple(ngram_range))


def document_frequency(corpus: Iterable[str], vocabulary: Mapping[str, int],
                       ngram_range: tuple[int, int] = (1, 1)) -> np.ndarray:
    """How many texts of ``corpus`` hold each term of ``vocabulary``, an int array by column.

    >>> document_frequency(["red apple", "apple apple"], {"apple": 0, "red": 1}).tolist()
    [2, 1]
    """
    found = [vocabulary[t] for doc in corpus for t in set(analyze(doc, ngram_range)) if t in vocabulary]
    return np.bincount(np.asarray(found, dtype=np.int64), minlength=len(vocabulary))


def _check(ngram_range: tuple[int, int], min_df: int | float, max_features: int | None) -> None:
    low_high = tuple(ngram_range)
    whole = len(low_high) == 2 and all(isinstance(n, Integral) and not isinstance(n, bool) for n in low_high)
    if not whole or not 1 <= low_high[0] <= low_high[1]:
        raise ValueError(f"ngram_range must be two whole numbers 1 <= low <= high; got {ngram_range!r}")
    if isinstance(min_df, bool) or not (
            (isinstance(min_df, Integral) and min_df >= 1)
            or (isinstance(min_df, Real) and not isinstance(min_df, Integral) and 0.0 <= min_df <= 1.0)):
        raise ValueError(f"min_df must be a whole number of 1 or more, or a share in [0, 1]; got {min_df!r}")
    if max_features is not None and (isinstance(max_features, bool) or not isinstance(max_features, Integral)
                                     or max_features < 1):
        raise ValueError(f"max_features must be a whole number of 1 or more, or None; got {max_features!r}")


def _count(documents: Iterable[str], vocabulary: Mapping[str, int],
           ngram_range: tuple[int, int]) -> sp.csr_matrix:
    rows = []
    for doc in documents:
        counted = Counter(analyze(doc, ngram_range))
        rows.append({vocabulary[t]: c for t, c in counted.items() if t in vocabulary})
    return _matrix(rows, len(vocabulary))


def _matrix(rows: Sequence[Mapping[int, int]], n_columns: int) -> sp.csr_matrix:
    """A float64 CSR matrix of per-row {column: count}, columns sorted within rows."""
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    # 32-bit indices as scikit-learn's, unless the entries outgrow them
    index = np.int32 if lengths.sum() <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(len(rows) + 1, dtype=index)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.fromiter((j for row in rows for j in row), dtype=index, count=int(indptr[-1]))
    data = np.fromiter((c for row in rows for c in row.values()), dtype=np.float64, count=int(indptr[-1]))
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(rows), n_columns))
    matrix.sort_indices()
    return matrix


def _normalise_rows(matrix: sp.csr_matrix) -> None:
    """Divide each non-empty row by its Euclidean norm, in place.

    The squares are added one column after the other within each row (rows side by side), as
    scikit-learn does, rather than by numpy's pairwise sum, whose last bits differ.
    """
    data, starts = matrix.data, matrix.indptr[:-1]
    lengths = np.diff(matrix.indptr)
    squares = data * data
    total = np.zeros(len(lengths))
    by_length = np.argsort(-lengths, kind="stable")
    still = np.cumsum(np.bincount(lengths, minlength=1)[::-1])[::-1]  # rows with length >= k
    for k in range(int(lengths.max(initial=0))):
        rows = by_length[:still[k + 1]]
        total[rows] += squares[starts[rows] + k]
    norm = np.sqrt(total)
    norm[total == 0.0] = 1.0
    data /= np.repeat(norm, lengths)
