"""Sphinx configuration of the pkoresearch documentation site (docs/).

Build (as .ci/run does; offline, warnings are errors)::

    .venv/bin/python -m sphinx -W --keep-going -n -b html docs docs/_build/html
    .venv/bin/python tools/check_links.py docs/_build/html

The pages are MyST markdown; the notebooks are the committed executed notebooks/*.ipynb, found
through the symlink docs/notebooks -> ../notebooks and rendered by myst-nb as they are (never
executed). The datasets table, the module list of the API reference and the command-line help are
written at build time by docs/_ext/pkodocs.py from data/datapackage.json, the registry, the package
and the command's own argparse parser.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import pkoresearch  # noqa: E402

project = "pkoresearch"
author = "pkoresearch contributors"
copyright = "the pkoresearch contributors; code MIT, curated tables CC-BY-4.0"
version = release = pkoresearch.__version__

extensions = [
    "myst_nb",  # markdown pages (myst-parser) and the executed notebooks
    "sphinx.ext.autodoc",
    "pkodocs",  # docs/_ext/pkodocs.py: generated tables (datasets, modules, command help)
]

exclude_patterns = ["_build", "notebooks/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]

# myst-nb: render the committed outputs, never execute; the notebooks' stderr is not shown
nb_execution_mode = "off"
nb_output_stderr = "remove"
myst_heading_anchors = 3  # links such as rules.md#coverage resolve to the heading's slug
myst_enable_extensions = ["colon_fence"]

# the API reference: members in source order, type hints in the signature
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "signature"

# nitpicky (-n): every cross-reference must resolve, except those into other libraries (no
# intersphinx: the build is offline) and the standard library's names
nitpick_ignore_regex = [
    (r"py:.*", r"(?!pkoresearch\b).*"),
    (r"py:.*", r"pkoresearch(\.\w+)*\._\w+"),  # private names (in signatures) are not documented
]

# quotes stay as written (titles and help texts are compared with their sources)
smartquotes = False

html_theme = "alabaster"
html_title = "pkoresearch"
html_theme_options = {
    "description": "Research on SEA by peacekeepers: data, statistics, notebooks",
    "page_width": "1240px",  # notebook outputs (tables, figures) need the room
}
html_show_sourcelink = False
html_copy_source = False
