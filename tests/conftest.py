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
    folder: Path,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    parameters: str = "",
    imports: str = "",
    before: str = "",
    after: str = "",
) -> Path:
    """Write ``folder/<name>.ipynb``, the small parameterized notebook the runner's tests execute
    instead of the real ones, make ``folder`` the notebooks folder (``PKORESEARCH_NOTEBOOKS``)
    and return it. Its ``parameters`` cell has ``label`` (str), ``value`` (int), ``fail`` (bool),
    then the lines ``parameters`` adds, then ``output_dir``; its code cell records ``label`` and
    ``double`` (2 x value) and prints the label, raising first when ``fail``; ``imports`` are its
    first lines, ``before`` runs after the output folder is made, ``after`` after the records.
    Kernelspec ``python3``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    params = (
        'label: str = "x"  # a label\nvalue: int = 1  # a number\n'
        "fail: bool = False  # make the run fail\n"
        + parameters
        + 'output_dir: str = ""  # output folder'
    )
    code = (
        imports + "import pkoresearch as pko\nfrom pkoresearch import notebook as nb\n"
        f'out = nb.output_dir(output_dir, "{name}")\n'
        + before
        + 'if fail:\n    raise RuntimeError("made to fail")\n'
        'pko.results.record("label", label)\npko.results.record("double", 2 * value)\n'
        + after
        + "print(label)"
    )
    folder.mkdir(exist_ok=True)
    nb = new_notebook(
        cells=[
            new_code_cell(params, metadata={"tags": ["parameters"]}),
            new_code_cell(code),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / f"{name}.ipynb")
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(folder))
    return folder
