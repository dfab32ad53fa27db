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
    "contingents": "contingents",
    "curated": "curated",
    "errors": "errors",
    "missions": "missions",
    "notebook": "notebook",
    "overview": "overview",
    "panel": "panel",
    "participation": "participation",
    "paths": "paths",
    "plots": "plots",
    "readers": "readers",
    "response": "response",
    "results": "results",
    "runner": "runner",
    "sources": "sources",
    "stats": "stats",
    "trends": "trends",
}

__all__ = ["__version__", "load", "datasets", *_SUBMODULES]

if TYPE_CHECKING:  # pragma: no cover
    from . import (  # noqa: F401
        contingents,
        curated,
        errors,
        missions,
        notebook,
        overview,
        panel,
        participation,
        paths,
        plots,
        readers,
        response,
        results,
        runner,
        sources,
        stats,
        trends,
    )


def load(name, preferred=True, path=None):
    """Load a curated dataset; see :func:`pkoresearch.curated.load`."""
    from .curated import load as _load

    return _load(name, preferred=preferred, path=path)


def datasets():
    """List the bundled datasets; see :func:`pkoresearch.curated.datasets`."""
    from .curated import datasets as _datasets

    return _datasets()


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{_SUBMODULES[name]}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'pkoresearch' has no attribute {name!r}")
