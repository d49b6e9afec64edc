"""Why a pair was made, in words a founder or a mentor understands.

:func:`pair_sentences` says, for each assigned pair, what the mentor works on that the startup is
in, which of the startup's needs the mentor offers help with, the words their two profiles share,
and where the mentor stood among those the startup could have had. The numbers behind each
sentence (the score and its components, the rank) stay in the table of
:func:`matcher.insight.explain.explain_pairs`: a sentence never shows a score.

The vocabulary of the data (``vision/medical-imaging``, ``go-to-market``) is put in words once,
here (:func:`domain_words`, :func:`need_words`), for every document that shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from matcher.data.taxonomy import DEFAULT_TAXONOMY

__all__ = ["change_heading", "objectives_compared", "domain_words", "need_words", "listing",
           "needs_covered", "fit_words", "pair_sentences", "NEED_WORDS"]

#: The programme's support areas, as a sentence says them.
NEED_WORDS = {"technology": "technology", "domain": "domain expertise", "go-to-market": "going to market",
              "fundraising": "fundraising", "cloud-compute": "cloud and compute"}

_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def change_heading(objective_name: str) -> str:
    """What a change in an assignment's objective is, in words, for a column heading.

    >>> change_heading("total"), change_heading("worst startup total")
    ('change in total score', "change in the worst-served startup's total score")
    """
    if objective_name == "total":
        return "change in total score"
    if objective_name == "worst startup total":
        return "change in the worst-served startup's total score"
    return f"change in the objective ({objective_name})"


def domain_words(node: str) -> str:
    """A taxonomy node in words: its most specific part, hyphens as spaces.

    >>> domain_words("vision/medical-imaging"), domain_words("medtech")
    ('medical imaging', 'medtech')
    """
    return node.rsplit("/", 1)[-1].replace("-", " ")


def need_words(need: str) -> str:
    """A support area in words.

    >>> need_words("go-to-market")
    'going to market'
    """
    return NEED_WORDS.get(need, need.replace("-", " "))


def listing(items: Iterable[str]) -> str:
    """Items joined as a sentence lists them, each once.

    >>> listing(["a"]), listing(["a", "b"]), listing(["a", "b", "c", "b"])
    ('a', 'a and b', 'a, b and c')
    """
    unique = list(dict.fromkeys(items))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def needs_covered(startup: Any, mentor: Any) -> tuple[str, ...]:
    """The startup's needs the mentor offers help with, in the startup's order.

    >>> from types import SimpleNamespace as P
    >>> needs_covered(P(needs=("fundraising", "domain")), P(offers=("domain", "technology")))
    ('domain',)
    """
    offers = set(mentor.offers)
    return tuple(n for n in startup.needs if n in offers)


def fit_words(rank: int) -> str:
    """A startup's rank of a mentor (1 = the best the rules allow) in words.

    >>> fit_words(1), fit_words(2), fit_words(7)
    ('best fit', 'second-best fit', '7th-best fit')
    """
    if rank <= 1:
        return "best fit"
    return f"{_ORDINALS.get(rank, f'{rank}th')}-best fit"


def _shared_fields(startup: Any, mentor: Any) -> list[str]:
    """The startup's domains the mentor covers, each said once in words."""
    return [domain_words(node) for node in startup.domains
            if any(DEFAULT_TAXONOMY.covers(d, node) for d in mentor.domains)]


def _standing(result: Any, i: int, j: int, load: np.ndarray) -> str:
    """Where the mentors who fit the startup better than ``j`` went, as a clause (empty at rank 1)."""
    scores, problem, chosen = result.scores, result.problem, result.assignment.matrix
    better = (scores.values[i] > scores.values[i, j]) & problem.allowed[i]
    own = int((better & chosen[i]).sum())
    full = int((better & ~chosen[i] & (load >= problem.capacity)).sum())
    rest = int(better.sum()) - own - full
    pieces = []
    if own:
        pieces.append(f"{own} {'is' if own == 1 else 'are'} its mentor{'' if own == 1 else 's'} too")
    if full:
        pieces.append(f"{full} {'was' if full == 1 else 'were'} fully booked by other startups")
    if rest:
        why = ("to keep the programme's mix of mentor kinds" if result.rules.quotas
               else "so that every startup has good mentors")
        pieces.append(f"{rest} went to other startups {why}")
    return f"; of the mentors who fit it better, {listing(pieces)}" if pieces else ""


def _ruled_out(result: Any, i: int, j: int, past: dict) -> str:
    """Up to two mentors who would have fit the startup better but could not be paired with it."""
    scores, problem = result.scores, result.problem
    sid = scores.startup_ids[i]
    mentors = {m.id: m for m in result.cohort.mentors}
    startup = next(s.name for s in result.cohort.startups if s.id == sid)
    forbidden = set(map(tuple, result.rules.forbidden))
    better = np.nonzero((scores.values[i] > scores.values[i, j]) & ~problem.allowed[i])[0]
    said = []
    for col in better[np.argsort(-scores.values[i, better], kind="stable")][:2]:
        mid = scores.mentor_ids[col]
        masks = [name for name, mask in scores.reasons.items() if mask[i, col]]
        if masks:
            why = listing(_REASONS.get(name, f"is excluded ({name})") for name in masks)
        elif (sid, mid) in forbidden:
            why = "is excluded by the programme"
        elif (sid, mid) in past:
            why = "mentored it before, and the programme does not repeat pairs"
        else:
            why = "is excluded by a programme rule"
        said.append(f"{mentors[mid].name} {why}")
    if not said:
        return ""
    who = "they were" if len(said) > 1 else "that mentor was"
    return f" {listing(said)}, so {who} not open to {startup}."


def _stated(preferences: Any) -> dict[tuple[str, str], tuple[int | None, str]]:
    """Each pair's stated rank (by the startup) and bid (by the mentor)."""
    if preferences is None:
        return {}
    return {(s, m): (r, b) for s, m, r, b in zip(preferences.startup_ids, preferences.mentor_ids,
                                                 preferences.ranks, preferences.bids)}


def _choice(rank: int) -> str:
    return "first" if rank == 1 else f"{_ORDINALS.get(rank, f'{rank}th')}"


_REASONS = {"conflict": "has a conflict of interest", "language": "shares no language with it",
            "bid": "declined to mentor it"}


def pair_sentences(result: Any, rows: Sequence[int] | None = None, cols: Sequence[int] | None = None,
                   terms: Sequence[Sequence[str]] | None = None) -> list[str]:
    """One plain sentence per assigned pair (or per ``rows``/``cols`` pair) saying why it was made.

    Parameters
    ----------
    result : MatchResult
    rows, cols : sequences of int, optional
        Positions of the pairs in the score matrix; the assignment's pairs by default.
    terms : sequence of sequences of str, optional
        Per pair, the words the two profiles share most (from
        :func:`matcher.insight.explain.top_terms`); left out when not given.

    Examples
    --------
    >>> import matcher
    >>> result = matcher.match_cohort("data/spring-2026")
    >>> print(pair_sentences(result)[3])  # doctest: +NORMALIZE_WHITESPACE
    Rachel Tsang (scientist, Greater Bay Centre for Medical AI) works on medical imaging and
    diagnostics, which is what RadiantScan Medical does, and can help with domain expertise and
    technology, which RadiantScan Medical asked for. Of all the mentors RadiantScan Medical could
    have, Rachel Tsang was its best fit. Ho Ka-yan has a conflict of interest, so that mentor was
    not open to RadiantScan Medical.
    """
    a = result.assignment
    rows = a.rows if rows is None else np.asarray(rows)
    cols = a.cols if cols is None else np.asarray(cols)
    startups = {s.id: s for s in result.cohort.startups}
    mentors = {m.id: m for m in result.cohort.mentors}
    scores, problem = result.scores, result.problem
    load = np.bincount(a.cols, minlength=len(scores.mentor_ids))
    a_matrix = a.matrix
    pinned = set(map(tuple, result.rules.pinned))
    past: dict[tuple[str, str], list[str]] = {}
    for cohort_name, sid, mid in result.cohort.history:
        past.setdefault((sid, mid), []).append(cohort_name)
    stated = _stated(result.cohort.preferences)
    out = []
    for n, (i, j) in enumerate(zip(rows, cols)):
        s, m = startups[scores.startup_ids[i]], mentors[scores.mentor_ids[j]]
        who = ", ".join(x for x in (m.kind, m.organisation) if x)
        parts = []
        fields = _shared_fields(s, m)
        if fields:
            parts.append(f"works on {listing(fields)}, which is what {s.name} does")
        needs = needs_covered(s, m)
        if needs:
            parts.append(f"can help with {listing(need_words(x) for x in needs)}, which {s.name} asked for")
        if not parts:
            parts.append(f"brings a view from outside {s.name}'s field")
        text = f"{m.name} ({who}) " + ", and ".join(parts) + "."
        shared = [t for t in (terms[n] if terms is not None else ()) if t][:3]
        if shared:
            text += f" Both profiles talk about {listing(shared)}."
        masked = np.where(problem.allowed[i], scores.values[i], -np.inf)
        rank = int((masked > scores.values[i, j]).sum()) + 1
        text += f" Of all the mentors {s.name} could have, {m.name} was its {fit_words(rank)}"
        text += (_standing(result, i, j, load) if rank > 1 else "") + "."
        if not (a_matrix[i] & (scores.values[i] > scores.values[i, j])).any():
            text += _ruled_out(result, i, j, past)  # said once, on the startup's strongest pair
        rank_given, bid = stated.get((s.id, m.id), (None, ""))
        if rank_given is not None:
            text += f" {s.name} put {m.name} {_choice(rank_given)} among the mentors it asked for."
        if bid:
            text += f" {m.name} answered '{bid}' to mentoring {s.name}."
        if (s.id, m.id) in pinned:
            text += " The programme asked for this pairing."
        if (s.id, m.id) in past:
            text += f" They worked together before, in {listing(past[(s.id, m.id)])}."
        out.append(text)
    return out


def objectives_compared(result: Any, other: Any) -> str:
    """Say whether two objectives gave the same matching of a cohort, and why (or what changed).

    Parameters
    ----------
    result, other : MatchResult
        The same cohort and scores solved under two objectives (e.g. ``total`` and ``fair``).

    Examples
    --------
    >>> import matcher
    >>> total = matcher.match_cohort("data/spring-2026")
    >>> fair = matcher.match_cohort(total.cohort, scores=total.scores, objective="fair")
    >>> print(objectives_compared(fair, total))  # doctest: +ELLIPSIS
    The fair and total objectives give the same matching. ...
    """
    names = (result.rules.objective, other.rules.objective)
    pairs = [set(zip(r.assignments["startup_id"], r.assignments["mentor_id"])) for r in (result, other)]
    totals = [r.startups["total"] for r in (result, other)]
    by_id = {s.id: s.name for s in result.cohort.startups}
    if pairs[0] == pairs[1]:
        table = result.assignments
        top = table.groupby("startup_id")["rank"].max() == table.groupby("startup_id").size()
        if bool(top.all()):
            why = ("Every startup got the mentors that fit it best among those it could have, so no "
                   "mentor is contested: no objective can do better for any startup.")
        else:
            worst = totals[0].idxmin()
            why = (f"The matching with the best total score already gives the worst-served startup "
                   f"({by_id.get(worst, worst)}, total fit score {totals[0].min():.3f}) as much as any "
                   "matching can, so putting the worst-served startup first changes nothing.")
        return f"The {names[0]} and {names[1]} objectives give the same matching. {why}"
    moved = len(pairs[0] - pairs[1])
    return (f"The {names[0]} and {names[1]} objectives give different matchings ({moved} pairs differ). "
            f"The worst-served startup's total fit score is {totals[0].min():.3f} under {names[0]} and "
            f"{totals[1].min():.3f} under {names[1]}; the total is {totals[0].sum():.3f} and "
            f"{totals[1].sum():.3f}.")
