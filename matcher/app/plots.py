"""Plots of a matching, drawn with matplotlib's Agg backend (no display, safe in worker threads).

Each function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (so no global
state is touched); :func:`png_base64` turns one into text for an ``<img>`` tag. matplotlib is
imported only when a plot is drawn, so ``import matcher`` stays fast.

Examples
--------
>>> import matcher
>>> from matcher.app import plots
>>> result = matcher.match_cohort("data/spring-2026")
>>> fig = plots.mentor_load(result)
>>> plots.png_base64(fig)[:8]
'iVBORw0K'
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["score_heatmap", "mentor_load", "total_distribution", "match_graph", "png_base64",
           "scorer_comparison"]

#: Above this many rows or columns, tick labels are left out (they would overlap).
MAX_LABELS = 60
#: Resolution of the PNGs.
DPI = 80


def _figure(width: float, height: float, *, left: float = 0.8, bottom: float = 0.5, right: float = 0.3,
            top: float = 0.4) -> Any:
    """A figure with fixed margins in inches (a layout engine would cost more than the drawing)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height)
    return fig


def png_base64(fig: Any) -> str:
    """The figure as a base64-encoded PNG (for ``<img src="data:image/png;base64,...">``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def score_heatmap(result: Any) -> Any:
    """Scores of every pair (forbidden pairs blank), with the assigned pairs circled.

    Parameters
    ----------
    result : MatchResult
    """
    scores, a, cohort = result.scores, result.assignment, result.cohort
    n_s, n_m = scores.shape
    fig = _figure(min(5 + 0.22 * n_m, 18), min(3 + 0.3 * n_s, 14), left=1.8, bottom=1.7, right=0.9)
    ax = fig.add_subplot()
    values = np.ma.masked_array(scores.values, mask=scores.forbidden)
    image = ax.imshow(values, aspect="auto", cmap="viridis", interpolation="nearest")
    ax.scatter(a.cols, a.rows, s=36, facecolors="none", edgecolors="white", linewidths=1.4,
               label="assigned")
    fig.colorbar(image, ax=ax, label="score", fraction=0.04, pad=0.01)
    if n_s <= MAX_LABELS:
        ax.set_yticks(range(n_s), [_short(s.name) for s in cohort.startups], fontsize=8)
    if n_m <= MAX_LABELS:
        ax.set_xticks(range(n_m), [_short(m.name) for m in cohort.mentors], fontsize=7, rotation=90)
    ax.set_title("Score of every pair (blank: forbidden; circles: assigned)")
    return fig


def mentor_load(result: Any) -> Any:
    """Each mentor's load against capacity, busiest first."""
    table = result.mentors.sort_values(["load", "capacity"], ascending=False, kind="stable")
    n = len(table)
    fig = _figure(8, min(1.5 + 0.22 * n, 16), left=2.0)
    ax = fig.add_subplot()
    y = np.arange(n)
    ax.barh(y, table["capacity"], color="#d9d9d9", label="capacity")
    ax.barh(y, table["load"], color="#3b6ea5", label="assigned startups")
    if n <= MAX_LABELS:
        ax.set_yticks(y, [_short(str(v), 26) for v in table["name"]], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("startups")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right")
    ax.set_title("Mentor load vs capacity")
    return fig


def total_distribution(totals: Mapping[str, Any]) -> Any:
    """Distribution of per-startup totals, one box per scenario (e.g. ``total`` vs ``fair``).

    Parameters
    ----------
    totals : mapping of label to array of shape (n_startups,)
        Each scenario's per-startup total score.
    """
    labels = list(totals)
    data = [np.asarray(totals[label], dtype=float) for label in labels]
    fig = _figure(max(4.5, 1.6 * len(labels) + 2), 4.5, bottom=1.0 if len(labels) > 3 else 0.5)
    ax = fig.add_subplot()
    ax.boxplot(data, showmeans=True)
    # scenario names differ at their end (spring[k=2], spring[k=3]): keep the end
    ax.set_xticks(range(1, len(labels) + 1),
                  [label if len(label) <= 28 else "…" + label[-27:] for label in labels],
                  rotation=20 if len(labels) > 3 else 0, fontsize=8)
    rng = np.random.default_rng(0)  # fixed jitter: same input, same picture
    for i, values in enumerate(data, start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=14, alpha=0.7, color="#3b6ea5")
    ax.set_ylabel("total score of a startup's mentors")
    ax.set_title("Per-startup totals")
    return fig


def match_graph(result: Any) -> Any:
    """The matching as a bipartite graph (networkx): startups left, their mentors right."""
    import networkx as nx

    pairs = result.assignments
    cohort = result.cohort
    graph = nx.Graph()
    startups = [s.id for s in cohort.startups]
    mentors = list(dict.fromkeys(pairs["mentor_id"]))
    graph.add_nodes_from(startups, side=0)
    graph.add_nodes_from(mentors, side=1)
    graph.add_weighted_edges_from(zip(pairs["startup_id"], pairs["mentor_id"], pairs["score"]))
    # keep mentors beside the startups they serve: order them by their first startup
    order = {s: i for i, s in enumerate(startups)}
    first = pairs.groupby("mentor_id", sort=False)["startup_id"].first().map(order)
    mentors.sort(key=lambda m: (first[m], m))
    pos = {s: (0.0, -i / max(len(startups) - 1, 1)) for i, s in enumerate(startups)}
    pos.update({m: (1.0, -j / max(len(mentors) - 1, 1)) for j, m in enumerate(mentors)})
    height = min(2 + 0.28 * max(len(startups), len(mentors)), 30)
    fig = _figure(9, height, left=0.1, right=0.1, bottom=0.1)
    ax = fig.add_subplot()
    weights = np.array([graph.edges[e]["weight"] for e in graph.edges])
    width = 0.5 + 3 * (weights - weights.min()) / max(np.ptp(weights), 1e-9) if len(weights) else 1
    nx.draw_networkx_edges(graph, pos, ax=ax, width=width, edge_color="#7f9fbf", alpha=0.8)
    nx.draw_networkx_nodes(graph, pos, nodelist=startups, node_color="#e07b39", node_size=60, ax=ax)
    nx.draw_networkx_nodes(graph, pos, nodelist=mentors, node_color="#3b6ea5", node_size=60, ax=ax)
    names = {s.id: s.name for s in cohort.startups} | {m.id: m.name for m in cohort.mentors}
    if max(len(startups), len(mentors)) <= MAX_LABELS:
        for node, (x, y) in pos.items():
            ax.text(x - 0.03 if x == 0 else x + 0.03, y, _short(names.get(node, node), 26), fontsize=8,
                    ha="right" if x == 0 else "left", va="center")
    ax.set_xlim(-0.6, 1.6)
    ax.set_axis_off()
    ax.set_title("Match graph: startups (left) and their mentors (right); thicker = higher score")
    return fig


def scorer_comparison(table: Any, level: float = 0.95) -> Any:
    """Each scorer configuration's ranking loss with its bootstrap interval (lower is better).

    ``table`` is the ``table`` of a :class:`matcher.insight.compare.Comparison`.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"config": ["default", "items: max"], "loss": [0.2, 0.15],
    ...                       "ci_low": [0.15, 0.1], "ci_high": [0.25, 0.2]})
    >>> scorer_comparison(table).axes[0].get_xlabel()
    'pairwise ranking loss (lower is better; 0.5 = constant scorer)'
    """
    n = len(table)
    fig = _figure(7.5, 0.9 + 0.38 * max(n, 1), left=2.9)
    ax = fig.add_subplot(1, 1, 1)
    rows = np.arange(n)[::-1]
    loss = table["loss"].to_numpy(dtype=float)
    errors = np.vstack([loss - table["ci_low"].to_numpy(dtype=float),
                        table["ci_high"].to_numpy(dtype=float) - loss])
    ax.barh(rows, loss, xerr=errors, color="#4c72b0", ecolor="#333333", capsize=3, height=0.6)
    ax.axvline(0.5, color="#c44e52", linestyle="--", linewidth=1)
    ax.set_yticks(rows, [_short(str(name), 34) for name in table["config"]])
    ax.set_xlim(0, max(0.55, float(np.nanmax(table["ci_high"], initial=0.0)) + 0.05))
    ax.set_xlabel("pairwise ranking loss (lower is better; 0.5 = constant scorer)")
    ax.set_title(f"Scorers on the labelled pairs, {level:.0%} bootstrap intervals over raters", fontsize=9)
    return fig


def meetings_per_day(plan: Any) -> Any:
    """How many meetings each startup has on each day of a matching week, as a heat map.

    Parameters
    ----------
    plan : MeetingPlan
        As :func:`matcher.plan_meetings` returns it.

    Examples
    --------
    >>> import matcher
    >>> plan = matcher.plan_meetings("data/spring-2026", per_startup=4, days=2, availability=False)
    >>> meetings_per_day(plan).axes[0].get_title()
    'Meetings per startup and day'
    """
    per_day = plan.meetings.groupby(["startup_name", "day"]).size().unstack(fill_value=0)
    fig = _figure(max(4.5, 0.9 * per_day.shape[1] + 3), max(2.5, 0.3 * per_day.shape[0] + 1), left=1.8)
    ax = fig.add_subplot()
    image = ax.imshow(per_day.to_numpy(), cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(per_day.shape[1]), [f"day {d}" for d in per_day.columns])
    ax.set_yticks(range(per_day.shape[0]), [_short(name) for name in per_day.index], fontsize=8)
    for (row, col), count in np.ndenumerate(per_day.to_numpy()):
        ax.text(col, row, str(count), ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="meetings")
    ax.set_title("Meetings per startup and day")
    return fig
