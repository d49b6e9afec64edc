"""The AI-domain taxonomy: a tree of domains such as ``vision/medical-imaging``.

A node's name is its path from the root, parts joined by ``/``. A mentor in ``vision`` partly matches
a startup in ``vision/medical-imaging`` because every node also carries weight on its ancestors
(see :meth:`Taxonomy.embed`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = ["Taxonomy", "DEFAULT_TAXONOMY", "SUPPORT_AREAS", "LANGUAGES"]

#: The support areas a startup can ask help with and a mentor can offer.
SUPPORT_AREAS: tuple[str, ...] = (
    "technology",
    "domain",
    "go-to-market",
    "fundraising",
    "cloud-compute",
)

#: Mentoring languages the sample programme uses; any other name is accepted as given.
LANGUAGES: tuple[str, ...] = ("English", "Cantonese", "Mandarin")

_DEFAULT_NODES = """
vision: facial-recognition medical-imaging video-analytics ar inspection
nlp: chatbots document-ai speech translation
fintech: fraud credit trading insurtech regtech
medtech: diagnostics drug-discovery digital-health
logistics: routing warehousing supply-chain
smart-city: traffic energy buildings
robotics: customer-service industrial drones
autonomous-driving: perception planning
generative-ai: llm media
ml-infrastructure: mlops cloud-compute edge-ai
edtech:
retail: recommendation
"""


@dataclass(frozen=True)
class Taxonomy:
    """A tree of domain names; every ancestor of a node is a node too.

    Parameters
    ----------
    nodes : iterable of str
        Node paths such as ``"vision/medical-imaging"``. Missing ancestors are added.
    ancestor_weight : float, default 0.5
        Weight a node puts on its parent, relative to itself; the grandparent gets its square, etc.

    Examples
    --------
    >>> tax = Taxonomy(["vision/medical-imaging", "fintech/fraud"])
    >>> tax.ancestors("vision/medical-imaging")
    ('vision',)
    >>> round(float(tax.similarity("vision", "vision/medical-imaging")), 3)
    0.447
    >>> tax.suggest("vison/medical")
    'vision/medical-imaging'
    """

    nodes: tuple[str, ...]
    ancestor_weight: float = 0.5
    _index: dict = field(init=False, repr=False, compare=False)

    def __init__(self, nodes: Iterable[str], ancestor_weight: float = 0.5):
        full: set[str] = set()
        for node in nodes:
            parts = node.strip().strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                full.add("/".join(parts[:depth]))
        object.__setattr__(self, "nodes", tuple(sorted(full)))
        object.__setattr__(self, "ancestor_weight", float(ancestor_weight))
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(self.nodes)})

    def __contains__(self, node: object) -> bool:
        return node in self._index

    def __len__(self) -> int:
        return len(self.nodes)

    def index(self, node: str) -> int:
        """Position of ``node`` in ``nodes``."""
        return self._index[node]

    @staticmethod
    def ancestors(node: str) -> tuple[str, ...]:
        """The proper ancestors of ``node``, nearest first."""
        parts = node.split("/")
        return tuple("/".join(parts[:d]) for d in range(len(parts) - 1, 0, -1))

    @cached_property
    def roots(self) -> tuple[str, ...]:
        """Top-level domains."""
        return tuple(n for n in self.nodes if "/" not in n)

    def suggest(self, name: str) -> str | None:
        """The node closest in spelling to ``name``, or None when nothing is close."""
        close = difflib.get_close_matches(name.strip().lower(), self.nodes, n=1, cutoff=0.5)
        if close:
            return close[0]
        leaf = name.strip().lower().split("/")[-1]
        leaves = {n.split("/")[-1]: n for n in self.nodes}
        close = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.6)
        return leaves[close[0]] if close else None

    def embed(self, node_lists: Iterable[Iterable[str]], primary_weight: float = 1.0) -> np.ndarray:
        """Vectors of shape (n_items, n_nodes): each item's nodes and, decayed, their ancestors.

        A node contributes 1 to itself and ``ancestor_weight ** d`` to its ancestor ``d`` levels up;
        an item's vector is the element-wise maximum over its nodes, so listing ``vision`` and
        ``vision/ar`` does not count ``vision`` twice. Rows are L2-normalised, so the dot product of
        two rows is their cosine similarity. ``primary_weight`` scales the first node of each list
        (a startup's primary domain).
        """
        lists = [list(items) for items in node_lists]
        out = np.zeros((len(lists), len(self.nodes)))
        for row, items in enumerate(lists):
            for pos, node in enumerate(items):
                weight = primary_weight if pos == 0 else 1.0
                chain = (node, *self.ancestors(node))
                for depth, name in enumerate(chain):
                    col = self._index[name]
                    out[row, col] = max(out[row, col], weight * self.ancestor_weight**depth)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two single nodes in this taxonomy."""
        va, vb = self.embed([[a], [b]])
        return float(va @ vb)

    def covers(self, mentor_node: str, startup_node: str) -> bool:
        """True when ``mentor_node`` is ``startup_node`` or one of its ancestors."""
        return mentor_node == startup_node or mentor_node in self.ancestors(startup_node)


DEFAULT_TAXONOMY = Taxonomy(
    f"{root}/{leaf}" if leaf else root
    for line in _DEFAULT_NODES.strip().splitlines()
    for root, leaves in [line.split(":")]
    for leaf in (leaves.split() or [""])
)
