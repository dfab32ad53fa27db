"""Where pkoresearch finds its data, notebooks and cache. The only module that decides paths.

``PKORESEARCH_DATA``, ``PKORESEARCH_NOTEBOOKS``, ``PKORESEARCH_CACHE`` and ``PKORESEARCH_REPORTS``
override the defaults.
Without them, a source checkout uses ``data/`` and ``notebooks/`` at the project root; an installed
copy uses the curated tables and the notebooks shipped inside the package (or ``./notebooks`` when
it holds a ``runs.yaml``, e.g. after ``pkoresearch notebooks``). Real data files fetched from their
publishers go to the user's cache folder (platformdirs).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# the file in a run's output folder naming the data files a notebook read (notebook.record_inputs
# writes it; the batch runner reads it for the report and ships it back from Dask workers)
INPUTS_FILENAME = "inputs.json"
_CHECKOUT_ROOT = PACKAGE_DIR.parents[1]  # src/pkoresearch -> project root


def project_root() -> Path | None:
    """The project checkout this package was imported from, or ``None`` for an installed copy."""
    if (_CHECKOUT_ROOT / "pyproject.toml").is_file() and (_CHECKOUT_ROOT / "data").is_dir():
        return _CHECKOUT_ROOT
    return None


def data_dir() -> Path:
    """Folder holding the curated CSV tables and ``sources.csv``."""
    env = os.environ.get("PKORESEARCH_DATA")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root()
    if root is not None:
        return root / "data"
    return PACKAGE_DIR / "data" / "bundled"


def notebooks_dir() -> Path:
    """Folder holding the parameterized notebooks and ``runs.yaml``: ``PKORESEARCH_NOTEBOOKS``, the
    checkout's ``notebooks/``, ``./notebooks`` when it holds a ``runs.yaml``, else the copies
    shipped inside the package."""
    env = os.environ.get("PKORESEARCH_NOTEBOOKS")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root()
    if root is not None:
        return root / "notebooks"
    here = Path.cwd() / "notebooks"
    if (here / "runs.yaml").is_file():
        return here.resolve()
    return packaged_notebooks_dir()


def packaged_notebooks_dir() -> Path:
    """The notebooks and ``runs.yaml`` shipped inside the package (``pkoresearch notebooks DIR``
    copies them out)."""
    return PACKAGE_DIR / "notebooks"


def cache_dir() -> Path:
    """Folder of the real data files fetched or imported (``pkoresearch data fetch/import``):
    ``PKORESEARCH_CACHE``, else the user's cache folder (``~/.cache/pkoresearch`` on Linux)."""
    env = os.environ.get("PKORESEARCH_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_cache_dir("pkoresearch", appauthor=False))


def external_dir() -> Path:
    """Folder of third-party files used by tests (``../shared/external`` beside the checkout)."""
    env = os.environ.get("PKORESEARCH_EXTERNAL")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root() or Path.cwd()
    return (root.parent / "shared" / "external").resolve()


def lock_file() -> Path | None:
    """The checkout's lock file (``requirements/lock.txt``, made by ``tools/lock.sh``), or ``None``
    for an installed copy."""
    root = project_root()
    return root / "requirements" / "lock.txt" if root is not None else None


def reports_dir() -> Path:
    """Default folder of a notebook's figures and results (``reports/<notebook>``):
    ``PKORESEARCH_REPORTS``, else ``reports/`` in the checkout, else in the working folder. The
    test suite points it at a temporary folder, so it never writes into the checkout."""
    env = os.environ.get("PKORESEARCH_REPORTS")
    if env:
        return Path(env).expanduser().resolve()
    return (project_root() or Path.cwd()) / "reports"


def resolve_input(path: str | os.PathLike[str]) -> Path:
    """Resolve a user-supplied input path: absolute, or relative to the working folder, then to the
    project root (so a notebook parameter works from papermill's and nbval's working folders alike)."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    root = project_root()
    if root is not None and (root / p).exists():
        return (root / p).resolve()
    return p.resolve()
