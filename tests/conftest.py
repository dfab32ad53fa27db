"""Shared test set-up: the external-data location, the real-data cache the notebooks read, and
what nbval compares (stderr, HTML and widget outputs are skipped; text/plain and stdout are
compared exactly).

The committed notebooks' outputs come from the pinned real files. Every test process (each xdist
worker too) points ``PKORESEARCH_CACHE`` at a fresh temporary folder filled from
``../shared/external`` by the same code as ``pkoresearch data import`` (so kernels started by nbval
and papermill inherit it); ``tools/refresh_notebooks.py`` does the same. Where those files are
absent, nbval skips the notebooks whose data parameters default to ``"auto"``, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

import pytest

from pkoresearch import paths
from pkoresearch.data import registry

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = paths.external_dir()
REFERENCE = ROOT.parent / "shared" / "reference"
_CACHE: dict[str, object] = {}


def pytest_configure(config):
    folder, _ = registry.fill_temporary_cache(EXTERNAL)
    _CACHE.update(folder=folder, missing=registry.pinned_missing())
    # notebooks run by nbval or a kernel write their default reports/<notebook> here, not into
    # the checkout (kernels inherit the variable)
    _CACHE["reports"] = os.environ["PKORESEARCH_REPORTS"] = tempfile.mkdtemp(prefix="pko-reports-")
    # Hypothesis keeps its files (.hypothesis/) in a temporary folder too, not in the checkout
    try:
        from hypothesis import configuration
    except ImportError:  # hypothesis is in the test extra; without it its tests do not import
        return
    _CACHE["hypothesis"] = tempfile.mkdtemp(prefix="pko-hypothesis-")
    configuration.set_hypothesis_home_dir(_CACHE["hypothesis"])


def pytest_unconfigure(config):
    for key in ("folder", "reports", "hypothesis"):
        if _CACHE.get(key):
            shutil.rmtree(_CACHE[key], ignore_errors=True)


@cache
def uses_real_data(notebook: Path) -> bool:
    """True when a notebook has a data parameter defaulting to "auto" (its committed outputs
    then come from the real files)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    params = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    return params is not None and re.search(r'^\w+: str = "auto"', params.source, re.M) is not None


def pytest_collection_modifyitems(config, items):
    missing = _CACHE.get("missing")
    if not missing:
        return
    reason = (
        f"nbval: the committed outputs come from the pinned real files; {', '.join(missing)} "
        f"not found in {EXTERNAL} (import them with `pkoresearch data import DIR`; CI "
        "provides ../shared/external)"
    )
    for item in items:
        if type(item).__name__ == "IPyNbCell" and uses_real_data(Path(item.path)):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_collectstart(collector):
    # nbval's documented hook for outputs that must not be compared
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare += (
            "text/html",
            "application/javascript",
            "stderr",
            "application/vnd.jupyter.widget-view+json",
        )


def external_file(name: str) -> Path:
    """Path of a third-party file in ../shared/external, or skip saying why it is needed."""
    p = EXTERNAL / name
    if not p.is_file():
        pytest.skip(
            f"needs the third-party file {name} in {EXTERNAL} (not committed: it is "
            "published by others; CI provides ../shared/external)"
        )
    return p


def cached_real_file(name: str) -> Path:
    """The session cache's copy of registry dataset ``name``, or skip saying why it is needed."""
    p = registry.cached_path(name)
    if p is None:
        pytest.skip(
            f"needs {registry.get(name).filename} ({name}) in {EXTERNAL}, imported into "
            "the test cache (CI provides ../shared/external)"
        )
    return p


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"needs the sourced reference facts in {REFERENCE} (CI provides ../shared)")
    return REFERENCE


@pytest.fixture
def taken_port():
    """A local TCP port held (listening) by the test: a kernel told to bind it fails."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def tiny_notebook(
    folder: Path, name: str, parameters: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Write ``folder/<name>.ipynb``: a ``parameters`` cell (``parameters``, one annotated line
    with a comment per parameter) and one code cell (``code``), kernelspec ``python3``; make
    ``folder`` the notebooks folder (``PKORESEARCH_NOTEBOOKS``) and return it. The small
    notebooks the runner's tests execute instead of the real ones."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    folder.mkdir(exist_ok=True)
    nb = new_notebook(
        cells=[
            new_code_cell(parameters, metadata={"tags": ["parameters"]}),
            new_code_cell(code),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / f"{name}.ipynb")
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(folder))
    return folder
