"""Imports for the runner's own processes (the batch's main process and its workers, not the
kernels).

``nbformat``, which papermill and nbconvert read notebooks with, imports ``jsonschema``; where
``rfc3987-syntax`` is installed (JupyterLab's ``jupyter-events`` asks for jsonschema's
``format-nongpl`` extra), jsonschema imports it on the way and it builds its IRI grammars, over a
second in every process that reads a notebook. The runner never checks the IRI format (nbformat
validates without a format checker), so :func:`notebook_readers` imports jsonschema with that
optional module hidden: jsonschema then has no ``iri`` format check in this process, and nothing
else changes (a later ``import rfc3987_syntax`` works).
"""

from __future__ import annotations

import sys

OPTIONAL = "rfc3987_syntax"


def notebook_readers() -> None:
    """Import jsonschema (for nbformat and papermill) without its optional IRI syntax checker;
    nothing when jsonschema is already imported."""
    if "jsonschema" in sys.modules:
        return
    hide = OPTIONAL not in sys.modules
    if hide:
        sys.modules[OPTIONAL] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jsonschema  # noqa: F401
    finally:
        if hide and sys.modules.get(OPTIONAL, 0) is None:
            del sys.modules[OPTIONAL]
