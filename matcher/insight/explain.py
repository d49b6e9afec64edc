"""Why each pair was made, and what the alternative was.

For each assigned pair, :func:`explain_pairs` gives the score split into its weighted components
(they add up to the score), the domains the two share, the words of the two texts that weigh most
in their text similarity, and the rules that shaped the pair. For each startup, :func:`runner_ups`
gives the best mentors it did not get and what the total would lose if one were swapped in: a real
re-solve with that pair pinned, not a guess. :func:`one_liners` puts it in a sentence for an e-mail.

It explains a :class:`~matcher.pipeline.MatchResult` and re-solves the result's own
:class:`~matcher.solve.problem.Problem`, so a runner-up's cost is computed under exactly the rules
of the match.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.taxonomy import DEFAULT_TAXONOMY
from matcher.errors import InfeasibleError
from matcher.insight.envy import needs_covered
from matcher.pipeline import MatchResult, solve_cohort
from matcher.scoring.features import fit_profile_model
from matcher.solve import SOLVERS

__all__ = ["explain", "Explanation", "explain_pairs", "runner_ups", "one_liners", "RULE_NOTES", "load_result",
           "load_filed_cohort",
           "shared_domains", "top_terms"]

#: Functions ``(result, row, col) -> list of str`` adding notes on the rules that shaped a pair.
#: Rules added later (quotas, history) register theirs here.
RULE_NOTES: list[Callable[[MatchResult, int, int], list[str]]] = []

REASON_WORDS = {"conflict": "conflict of interest", "language": "no common language",
                "bid": "mentor declined", "rules": "forbidden by the programme"}


def shared_domains(startup_domains, mentor_domains, taxonomy=DEFAULT_TAXONOMY) -> list[str]:
    """The startup's domains the mentor covers: the same node, or an ancestor of it.

    >>> shared_domains(("vision/medical-imaging", "medtech"), ("vision", "fintech"))
    ['vision/medical-imaging (via vision)']
    """
    out = []
    for node in startup_domains:
        covering = [d for d in mentor_domains if taxonomy.covers(d, node)]
        if node in covering:
            out.append(node)
        elif covering:
            out.append(f"{node} (via {covering[0]})")
    return out


def top_terms(result: MatchResult, rows: np.ndarray, cols: np.ndarray, n: int = 5) -> list[list[str]]:
    """For each pair, the ``n`` terms adding most to the TF-IDF similarity of the two texts.

    The vectoriser is fitted on the cohort exactly as :func:`matcher.score_cohort` fits it, so the
    terms are those behind the ``text`` component.
    """
    cohort = result.cohort
    vec = fit_profile_model(cohort)
    s_text = vec.transform(_in_order(cohort.startups, result.scores.startup_ids)).text
    m_text = vec.transform(_in_order(cohort.mentors, result.scores.mentor_ids)).text
    both = s_text[rows].multiply(m_text[cols]).tocsr()  # each term's share of the cosine
    names = vec.terms.feature_names()
    out = []
    for r in range(both.shape[0]):
        start, end = both.indptr[r], both.indptr[r + 1]
        weights, terms = both.data[start:end], both.indices[start:end]
        ranked = [str(names[t]) for t in terms[np.lexsort((terms, -weights))]]
        # a word that is part of a shared phrase adds nothing: "hong kong" says "kong"
        in_phrases = {word for term in ranked if " " in term for word in term.split()}
        out.append([t for t in ranked if " " in t or t not in in_phrases][:n])
    return out


def _in_order(profiles, ids) -> list:
    """The profiles in the order of the score matrix's ids."""
    by_id = {p.id: p for p in profiles}
    return [by_id[x] for x in ids]


def _rule_notes(result: MatchResult, i: int, j: int, forbidden: np.ndarray, load: np.ndarray,
                capacity: np.ndarray, rules: dict) -> list[str]:
    scores = result.scores
    notes = []
    if (scores.startup_ids[i], scores.mentor_ids[j]) in rules["pinned"]:
        notes.append("pinned by the programme")
    better = scores.values[i] > scores.values[i, j]
    ruled_out = np.nonzero(better & scores.forbidden[i])[0]
    if len(ruled_out):
        why = []
        for col in ruled_out[np.argsort(-scores.values[i, ruled_out], kind="stable")][:2]:
            reasons = [REASON_WORDS.get(name, name) for name, mask in scores.reasons.items() if mask[i, col]]
            if (scores.startup_ids[i], scores.mentor_ids[col]) in rules["forbidden"]:
                reasons.append(REASON_WORDS["rules"])
            name = rules["mentors"][col].name
            why.append(f"{name} ({', '.join(reasons) or 'forbidden'})")
        more = f" and {len(ruled_out) - 2} more" if len(ruled_out) > 2 else ""
        notes.append(f"{len(ruled_out)} higher-scoring mentor(s) ruled out: {', '.join(why)}{more}")
    full = np.nonzero(better & ~forbidden[i] & (load >= capacity))[0]
    if len(full):
        notes.append(f"{len(full)} higher-scoring mentor(s) were at capacity with other startups")
    past = rules["history"].get((scores.startup_ids[i], scores.mentor_ids[j]))
    if past:
        notes.append(f"paired before in {', '.join(past)}")
    for note in RULE_NOTES:
        notes.extend(note(result, i, j))
    return notes


def explain_pairs(result: MatchResult, *, n_terms: int = 5) -> pd.DataFrame:
    """One row per assigned pair: score, weighted components, shared domains, top terms, rules.

    Returns
    -------
    DataFrame
        Columns ``startup_id``, ``mentor_id``, ``score``, one column per component (weighted:
        they add up to ``score``), ``rank`` (1 = the startup's best-scoring allowed mentor),
        ``shared_domains``, ``top_terms``, ``needs_covered`` (the startup's needs the mentor
        offers, most important first) and ``rules`` (the last four joined with ``"; "``); with
        stated preferences also ``startup_rank`` and ``mentor_bid``.

    Examples
    --------
    >>> import matcher
    >>> result = matcher.match_cohort("data/spring-2026")
    >>> table = explain_pairs(result)
    >>> row = table.iloc[0]
    >>> row["startup_id"], row["mentor_id"], row["shared_domains"]
    ('s-facetrust', 'm-kwok-hoi-lam', 'vision/facial-recognition; fintech/fraud')
    >>> bool(abs(row[list(result.scores.components)].sum() - row["score"]) < 1e-12)
    True
    """
    a, scores, cohort = result.assignment, result.scores, result.cohort
    rows, cols = a.rows, a.cols
    table = scores.pair_table(rows, cols)
    table["rank"] = result.assignments["rank"].to_numpy()
    startups = _in_order(cohort.startups, scores.startup_ids)
    mentors = _in_order(cohort.mentors, scores.mentor_ids)
    table["shared_domains"] = ["; ".join(shared_domains(startups[i].domains, mentors[j].domains))
                               for i, j in zip(rows, cols)]
    table["top_terms"] = ["; ".join(t) for t in top_terms(result, rows, cols, n_terms)]
    covered = needs_covered(cohort, table[["startup_id", "mentor_id"]])
    by_pair = covered.groupby(["startup_id", "mentor_id"], sort=False)["need"].agg("; ".join)
    table["needs_covered"] = by_pair.reindex(
        pd.MultiIndex.from_arrays([table["startup_id"], table["mentor_id"]])).fillna("").to_numpy()
    if cohort.preferences is not None:
        stated = cohort.preferences.to_frame().set_index(["startup_id", "mentor_id"])
        keys = pd.MultiIndex.from_arrays([table["startup_id"], table["mentor_id"]])
        table["startup_rank"] = stated["startup_rank"].reindex(keys).to_numpy()
        table["mentor_bid"] = stated["mentor_bid"].reindex(keys).fillna("").to_numpy()
    load = np.bincount(cols, minlength=len(mentors))
    capacity = result.problem.capacity
    history: dict[tuple[str, str], list[str]] = {}
    for past_cohort, sid, mid in cohort.history:
        history.setdefault((sid, mid), []).append(past_cohort)
    rules = {"pinned": set(result.rules.pinned), "forbidden": set(result.rules.forbidden),
             "mentors": mentors, "history": history}
    table["rules"] = ["; ".join(_rule_notes(result, i, j, scores.forbidden, load, capacity, rules))
                      for i, j in zip(rows, cols)]
    return table


def _backend(result: MatchResult) -> str:
    """The backend that made the match, to re-solve with it (the rules' when it is not named)."""
    name = result.assignment.solver
    return name if name in SOLVERS else result.rules.solver


def runner_ups(result: MatchResult, *, n: int = 3, startups=None) -> pd.DataFrame:
    """For each startup, the ``n`` best-scoring mentors it did not get, and the cost of each.

    The cost is found by solving the cohort again with the runner-up pinned to the startup (same
    rules, same backend): ``objective_change`` is the new objective minus the current one (at most
    0 when the match is optimal), ``replaces`` the mentors the startup loses, ``pairs_changed`` how
    many pairs of the whole cohort change. A runner-up that no assignment can include gets NaN and
    the reason.

    Parameters
    ----------
    result : MatchResult
    n : int
        Runner-ups per startup.
    startups : iterable of str, optional
        Only these startups (each runner-up costs one re-solve).

    Examples
    --------
    >>> import matcher
    >>> result = matcher.match_cohort("data/spring-2026")
    >>> table = runner_ups(result, n=1, startups=["s-kindbot"])
    >>> table[["startup_id", "mentor_id", "replaces"]].values.tolist()
    [['s-kindbot', 'm-li-jing', 'm-zhang-wei']]
    >>> bool(table["objective_change"].iloc[0] <= 0)
    True
    """
    a, scores = result.assignment, result.scores
    problem = result.problem
    backend = _backend(result)
    chosen = a.matrix
    wanted = set(startups) if startups is not None else None
    records = []
    for i, sid in enumerate(scores.startup_ids):
        if wanted is not None and sid not in wanted:
            continue
        candidates = np.nonzero(problem.allowed[i] & ~chosen[i])[0]
        order = candidates[np.lexsort((candidates, -scores.values[i, candidates]))][:n]
        for j in order:
            pins = problem.pinned.copy()
            pins[i, j] = True
            record = {"startup_id": sid, "mentor_id": scores.mentor_ids[j], "score": scores.values[i, j]}
            try:
                alt = solve_cohort(result.cohort, dataclasses.replace(problem, pinned=pins),
                                   solver=backend)
            except InfeasibleError as exc:
                record.update(objective_change=np.nan, replaces="", pairs_changed=np.nan,
                              note=str(exc.diagnoses[0]) if exc.diagnoses else str(exc))
            else:
                now = alt.matrix
                lost = np.nonzero(chosen[i] & ~now[i])[0]
                record.update(objective_change=alt.objective - a.objective,
                              replaces="; ".join(str(scores.mentor_ids[c]) for c in lost),
                              pairs_changed=int((chosen & ~now).sum()), note="")
            records.append(record)
    columns = ["startup_id", "mentor_id", "score", "objective_change", "replaces", "pairs_changed", "note"]
    return pd.DataFrame.from_records(records, columns=columns)


def one_liners(result: MatchResult, pairs: pd.DataFrame | None = None,
               runners: pd.DataFrame | None = None) -> pd.Series:
    """A plain sentence per assigned pair, for a letter to the founders and the mentor.

    The sentence says what the mentor works on that the startup does, the needs the mentor can
    help with, the words the two profiles share and where the mentor stood among those the startup
    could have had (see :func:`matcher.insight.plain.pair_sentences`); the numbers behind it stay
    in the table of :func:`explain_pairs`. Returns a Series indexed by (startup_id, mentor_id).
    ``pairs`` is the table of :func:`explain_pairs` when already computed (its ``top_terms`` are
    reused); ``runners`` is accepted for compatibility and not shown in the sentence.

    Examples
    --------
    >>> import matcher
    >>> result = matcher.match_cohort("data/spring-2026")
    >>> print(one_liners(result).iloc[0])  # doctest: +ELLIPSIS
    Kwok Hoi-lam (scientist, ...) works on facial recognition and fraud, which is what FaceTrust ...
    """
    from matcher.insight.plain import pair_sentences

    pairs = explain_pairs(result) if pairs is None else pairs
    row_of = {s: i for i, s in enumerate(result.scores.startup_ids)}
    col_of = {m: j for j, m in enumerate(result.scores.mentor_ids)}
    rows = [row_of[s] for s in pairs["startup_id"]]
    cols = [col_of[m] for m in pairs["mentor_id"]]
    terms = [t.split("; ") if t else [] for t in pairs["top_terms"]]
    index = pd.MultiIndex.from_frame(pairs[["startup_id", "mentor_id"]])
    return pd.Series(pair_sentences(result, rows, cols, terms), index=index, name="explanation")


@dataclass(frozen=True, eq=False)
class Explanation:
    """Everything :func:`explain` found: per-pair table, runner-ups and one-liners."""

    pairs: pd.DataFrame
    runner_ups: pd.DataFrame
    one_liners: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """The per-pair table with the one-liner as a last column."""
        return self.pairs.assign(explanation=self.one_liners.to_numpy())


def explain(result: MatchResult, *, n_runner_ups: int = 3, n_terms: int = 5) -> Explanation:
    """Explain a match: every pair, each startup's runner-ups (by re-solving) and one-liners.

    Examples
    --------
    >>> import matcher
    >>> found = explain(matcher.match_cohort("data/spring-2026"), n_runner_ups=1)
    >>> len(found.pairs), len(found.runner_ups), len(found.one_liners)
    (27, 9, 27)
    """
    pairs = explain_pairs(result, n_terms=n_terms)
    runners = runner_ups(result, n=n_runner_ups)
    return Explanation(pairs, runners, one_liners(result, pairs, runners))


def load_filed_cohort(directory, document) -> Any:
    """The cohort of a result folder as it was filed (before screening), under the recorded rules.

    ``document`` is the folder's ``result.json`` (see :func:`matcher.data.io.read_result`).

    Examples
    --------
    >>> import tempfile, matcher
    >>> from matcher.data.io import read_result
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = matcher.match_cohort("data/spring-2026").to_json(f"{folder}/result.json")
    ...     _ = matcher.match_cohort("data/spring-2026").to_csv(folder)
    ...     len(load_filed_cohort(folder, read_result(folder)[0]).startups)
    11
    """
    from matcher.data.io import cohort_copy, load_cohort
    from matcher.data.models import Rules, tuples_from_json

    source = document["source"]
    known = {f.name for f in dataclasses.fields(Rules)}
    rules = {k: tuples_from_json(v) for k, v in (source.get("rules") or {}).items() if k in known}
    if rules.get("solver") not in (*SOLVERS, "auto"):
        rules["solver"] = "auto"  # a backend object given in code cannot be named in a file
    copy = cohort_copy(directory, source)
    path, preferences = copy if copy is not None else (source["cohort_path"], source.get("preferences_path"))
    return load_cohort(path, preferences=preferences, **rules)


def load_result(directory) -> MatchResult:
    """Reload a result folder written by ``matcher match PATH --out DIR``.

    Returns a :class:`~matcher.pipeline.MatchResult`.

    The cohort is loaded again from the folder's own copy of it (``cohort/``, checked against its
    content hash; folders written before copies were kept use the path recorded in
    ``result.json``) under the recorded rules and scored again; the pairs are those of
    ``assignments.csv``. Raises :class:`~matcher.errors.InputError` when the cohort no longer
    gives the recorded scores.
    """
    from matcher.data.io import read_result
    from matcher.data.models import Assignment
    from matcher.errors import InputError, InputProblem
    from matcher.pipeline import screened_and_scored

    document, frame = read_result(directory)
    source = document["source"]
    filed = load_filed_cohort(directory, document)
    cohort, screening, scores = screened_and_scored(filed, screen=bool(source.get("screen", False)),
                                                    override=source.get("override_eligibility", ()))
    row_of = {s: i for i, s in enumerate(scores.startup_ids)}
    col_of = {m: j for j, m in enumerate(scores.mentor_ids)}
    problems, rows, cols = [], [], []
    for n, record in enumerate(frame.to_dict(orient="records"), start=2):
        i, j = row_of.get(record["startup_id"]), col_of.get(record["mentor_id"])
        if i is None or j is None:
            field = "startup_id" if i is None else "mentor_id"
            problems.append(InputProblem("assignments.csv", n, field,
                                         f"'{record[field]}' is not in the cohort",
                                         "the cohort files changed since the match: match it again"))
            continue
        if abs(float(record["score"]) - scores.values[i, j]) > 1e-6:
            problems.append(InputProblem("assignments.csv", n, "score",
                                         f"is {record['score']}, the cohort now gives "
                                         f"{scores.values[i, j]:.6f}",
                                         "the cohort files changed since the match: match it again"))
        rows.append(i)
        cols.append(j)
    if problems:
        raise InputError(problems)
    rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    order = np.lexsort((cols_a, rows_a))
    rows_a, cols_a = rows_a[order], cols_a[order]
    values = scores.values[rows_a, cols_a]
    # the recorded objective (under "fair" it is the worst startup's total, not the sum)
    assignment = Assignment(rows_a, cols_a, scores.startup_ids, scores.mentor_ids, values,
                            float(document.get("objective", values.sum())),
                            float(document.get("bound", np.inf)),
                            str(document.get("status", "feasible")), str(document.get("solver", "")),
                            objective_name=str(document.get("objective_name", "total")))
    from matcher.pipeline import make_result
    from matcher.solve.translate import cohort_problem

    return make_result(cohort, scores, assignment, cohort_problem(cohort, scores), screening=screening)
