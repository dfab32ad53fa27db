"""pkoresearch: sourced data, readers, statistics and reproducible notebooks on sexual exploitation
and abuse by international peacekeepers and on how organizations and contributors respond.

    import pkoresearch as pko
    pko.load("allegations")          # curated, sourced, validated
    pko.datasets()                   # what is bundled, with coverage
    pko.sources.cite("tip2011-seed")

Importing the package is light: plotting and modelling modules (seaborn, statsmodels, matplotlib)
load the first time one of ``pko.plots``, ``pko.stats``, ... is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = {
    "contingents": "analysis.contingents",
    "curated": "data.curated",
    "errors": "errors",
    "missions": "data.missions",
    "notebook": "notebook",
    "overview": "analysis.overview",
    "panel": "analysis.panel",
    "participation": "analysis.participation",
    "paths": "paths",
    "plausibility": "analysis.plausibility",
    "plots": "figures.plots",
    "readers": "data.readers",
    "response": "analysis.response",
    "results": "results",
    "runner": "batch.runner",
    "sources": "data.sources",
    "stats": "analysis.stats",
    "tables": "figures.tables",
    "trends": "analysis.trends",
}

__all__ = ["__version__", "load", "datasets", *_SUBMODULES]

if TYPE_CHECKING:  # pragma: no cover
    from pkoresearch import errors, notebook, paths, results  # noqa: F401
    from pkoresearch.analysis import (  # noqa: F401
        contingents,
        overview,
        panel,
        participation,
        response,
        stats,
        trends,
    )
    from pkoresearch.batch import runner  # noqa: F401
    from pkoresearch.data import curated, missions, readers, sources  # noqa: F401
    from pkoresearch.figures import plots  # noqa: F401


def load(name, preferred=True, path=None):
    """Load a curated dataset; see :func:`pkoresearch.data.curated.load`."""
    from pkoresearch.data.curated import load as _load

    return _load(name, preferred=preferred, path=path)


def datasets():
    """List the bundled datasets; see :func:`pkoresearch.data.curated.datasets`."""
    from pkoresearch.data.curated import datasets as _datasets

    return _datasets()


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{_SUBMODULES[name]}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'pkoresearch' has no attribute {name!r}")
