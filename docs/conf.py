"""Sphinx configuration of matcher's documentation site (``make docs``).

The pages are Markdown (MyST), the tutorials are the notebooks of ``notebooks/`` (linked into
``tutorials/``), and the API reference is generated from the numpydoc docstrings. The tests build
the site with warnings as errors (``tests/test_docs.py``), so a broken reference or a public name
without a docstring fails them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document this checkout's matcher, installed or not

import matcher  # noqa: E402

project = "matcher"
author = "the matcher authors"
copyright = "the matcher authors, Apache-2.0"  # noqa: A001 - Sphinx's name
version = release = matcher.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "sphinx_design",
]

# Markdown pages and notebooks; the notebooks are stored without outputs and are executed by the
# tests (tests/test_notebooks.py), not by the site build, which stays fast and needs no kernel.
# MATCHER_DOCS_EXECUTE=auto runs them while building, to publish them with their outputs.
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
nb_execution_mode = os.environ.get("MATCHER_DOCS_EXECUTE", "off")
nb_execution_timeout = 180
nb_execution_raise_on_error = True
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"

# The API reference: numpydoc renders the docstrings' sections; every documented object must
# have a docstring (GL08), and references to Python objects must resolve (nitpicky).
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters section says the types, in words
autodoc_inherit_docstrings = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = {"GL08"}
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

intersphinx_mapping: dict = {}  # the site builds offline: no inventories are fetched

html_theme = "pydata_sphinx_theme"
html_title = f"matcher {release}"
html_theme_options = {
    "navigation_depth": 3,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_show_sourcelink = False

# Names of other libraries: their sites are not fetched (offline build), so references to them
# stay plain text rather than links.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|pandas|pd|scipy|sklearn|matplotlib|networkx|sqlalchemy|dask|ortools|yaml)(\..*)?"),
]


def _skip_member(app, what, name, obj, skip, options):
    """Leave out what scikit-learn adds to every estimator (``set_fit_request`` and the like)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
