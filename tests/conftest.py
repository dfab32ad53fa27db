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

import fcntl
import os
import re
import shutil
import tempfile
import traceback
from collections.abc import Callable
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
    slow_modules_first(items)
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


def slow_modules_first(items) -> None:
    """Put the test modules that hold ``slow`` tests first, the most slow tests first, keeping
    the order within each module and among the rest. pytest-xdist's ``--dist loadscope`` hands
    out whole modules in this order (``--no-loadscope-reorder`` in pyproject.toml; by default
    it orders them by their number of tests, which started the longest modules last and left one
    worker running alone at the end)."""
    slow: dict[Path, int] = {}
    for item in items:
        slow.setdefault(item.path, 0)
        if item.get_closest_marker("slow"):
            slow[item.path] += 1
    rank = {path: i for i, path in enumerate(slow)}  # first appearance: the collection order
    items.sort(key=lambda item: (-slow[item.path], rank[item.path]))


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


# --------------------------------------------------------------------------------------------------
# Expensive outputs shared by several test modules (issue 28 item 6: CI time). Each is made once per
# test session, also across pytest-xdist workers (the first process to ask makes it under a file
# lock, the others wait for it), and is read-only for the tests: one that writes copies it first.


def shared_folder(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """Folder ``name``, filled by ``make(folder)`` once for the whole test session. Under xdist the
    workers' temporary folders share a parent, which holds it; a ``make`` that raised is not run
    again: every later user fails with its traceback."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's popen-gwN
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done, failed = folder / ".made", folder / ".failed"
        if not done.is_file() and not failed.is_file():
            folder.mkdir()
            try:
                make(folder)
            except BaseException:
                failed.write_text(traceback.format_exc(), encoding="utf-8")
                raise
            done.write_text("", encoding="utf-8")
    if failed.is_file():
        pytest.fail(f"the shared {name} could not be made:\n{failed.read_text()}", pytrace=False)
    return folder


class _Quiet:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@pytest.fixture(scope="session")
def default_batch(tmp_path_factory) -> dict:
    """The committed ``notebooks/runs.yaml`` with the real files, as ``pkoresearch run --jobs 2``
    runs it through the API (warm kernels, HTML reports, every figure format), once per session.
    Returns ``reports`` (the output folder: read-only), ``manifest``, ``runs`` and ``cache`` (the
    real-data cache the batch read, for a test that reruns part of it and compares bytes:
    ``inputs.json`` names the cache's paths). Used by test_warm, test_index_browser,
    test_report_browser and test_notebooks; skips where the real files are absent."""
    import json

    from pkoresearch.batch import runner

    for name in ("un_allegations", "un_gender_ipi", "un_contributions_mission_month"):
        cached_real_file(name)
    runs = runner.load_runs(ROOT / "notebooks" / "runs.yaml")

    def make(folder: Path) -> None:
        saved = os.environ["PKORESEARCH_CACHE"]
        os.environ["PKORESEARCH_CACHE"] = str(folder / "cache")  # this batch's own real-data cache
        try:
            registry.import_dir(EXTERNAL)
            runner.run_batch(
                runs,
                output=folder / "reports",
                jobs=2,
                notebooks=ROOT / "notebooks",
                warm_start=True,
                progress=runner.Progress(len(runs), stream=_Quiet()),
            )
        finally:
            os.environ["PKORESEARCH_CACHE"] = saved

    folder = shared_folder(tmp_path_factory, "default-batch", make)
    manifest = json.loads((folder / "reports" / "manifest.json").read_text(encoding="utf-8"))
    return {
        "reports": folder / "reports",
        "manifest": manifest,
        "runs": runs,
        "cache": folder / "cache",
    }
