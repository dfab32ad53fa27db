"""Batch execution of parameterized notebooks with papermill.

The runner knows nothing about peacekeeping: it reads a run matrix (``runs.yaml``), checks every
run's parameters against the parameters the notebook declares, executes each run in its own
process (a local process pool, or any ``concurrent.futures``-style executor such as a Dask
cluster's), and writes, per run, the executed notebook, its HTML, its figures and its results JSON,
then ``index.html`` and ``manifest.json`` for the batch.

A run writes into a temporary folder and replaces its previous output only when it succeeds; a
failed run leaves the last good report in place and its executed notebook under ``failed/``.

``runs.yaml``::

    runs:
      - name: overview
        notebook: 00_overview.ipynb
      - name: trends-{missions}
        notebook: 01_allegation_trends.ipynb
        parameters: {start_year: 2015}
        sweep:                      # one run per value (several keys: every combination)
          missions: [[MINUSCA], [MONUSCO], [UNMISS]]

The code is split: ``runconfig`` (the run matrix and parameter checks), ``execute`` (one run, in a
worker), ``report`` (index.html); this module runs the batch and writes the manifest.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__, paths, warm
from .errors import ParameterError
from .execute import KERNEL, _error_summary, execute_run  # noqa: F401 - re-exported
from .report import write_index
from .runconfig import (  # noqa: F401 - re-exported: runner is the public entry point
    RESERVED,
    Run,
    RunConfigError,
    check_run,
    check_runs,
    declared_parameters,
    expand,
    load_runs,
    runs_for,
    safe_folder_name,
    with_overrides,
)

KEY_PACKAGES = ["pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "pandera",
                "papermill", "nbclient", "nbconvert", "ipykernel", "openpyxl"]

# --------------------------------------------------------------------------------------------------
# the batch


def real_data_files(summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every real data file the runs read, once per file and sha256: registry dataset, file,
    sha256, pinned or not, where it came from and when it was downloaded or imported, and which
    runs and parameters used it."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for s in summaries:
        for param, used in sorted((s.get("inputs") or {}).items()):
            if not used.get("sha256"):
                continue
            key = (used.get("dataset") or used.get("file") or "", used["sha256"])
            item = merged.setdefault(key, {
                k: used.get(k) for k in ("dataset", "file", "sha256", "pinned", "source",
                                         "method", "retrieved")} | {"runs": [], "parameters": []})
            if s["name"] not in item["runs"]:
                item["runs"].append(s["name"])
            if param not in item["parameters"]:
                item["parameters"].append(param)
    return [merged[k] for k in sorted(merged)]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_checksums(runs: Sequence[Run], notebooks: Path) -> dict[str, str]:
    """sha256 of the bundled data files and of every input file a run names (path parameters,
    or registry names: keyed ``<dataset>/<file>``). Files that notebooks resolved themselves
    (``"auto"``) are in the manifest's ``real_data``."""
    out = {}
    data = paths.data_dir()
    for f in sorted(data.glob("*.csv")):
        out[f"data/{f.name}"] = _sha256(f)
    from . import registry

    for r in runs:
        declared = declared_parameters(notebooks / r.notebook)
        for k, v in r.parameters.items():
            if isinstance(v, str) and v and "path" in (declared.get(k, {}).get("help") or "").lower():
                if registry.is_data_keyword(v):
                    c = registry.cached(v) if v in registry.REGISTRY else None
                    if c is not None:
                        out[f"{v}/{c.path.name}"] = _sha256(c.path)
                    continue
                p = paths.resolve_input(v)
                if p.is_file():
                    out[str(p)] = _sha256(p)
    return out


def _git_commit() -> str | None:
    root = paths.project_root()
    if root is None:
        return None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


class Progress:
    """A bar on a terminal, plain lines otherwise; one line per finished run either way."""

    def __init__(self, total: int, stream=None):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def _bar(self) -> None:
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total}")
            self.stream.flush()

    def start(self) -> None:
        if not self.tty:
            self.stream.write(f"running {self.total} notebook run(s)\n")
        self._bar()

    def finished(self, summary: dict[str, Any]) -> None:
        self.done += 1
        line = f"{summary['status']:>6}  {summary['name']}  ({summary['duration_s']:.1f} s)"
        if summary["status"] != "ok":
            err = summary.get("error", {})
            cell = f" cell {err['exec_count']}" if err.get("exec_count") else ""
            line += f" -{cell}: {err.get('message', '')}"
        if self.tty:
            self.stream.write("\r" + " " * 60 + "\r")
        self.stream.write(line + "\n")
        self._bar()
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def run_batch(runs: Sequence[Run], output: str | os.PathLike[str] = "reports",
              jobs: int = 1, html_report: bool = True, timeout: float | None = None,
              executor: cf.Executor | None = None, notebooks: str | os.PathLike[str] | None = None,
              progress: Progress | None = None, kernel: str = KERNEL,
              warm_start: bool | None = None) -> dict[str, Any]:
    """Check, then execute every run; write ``index.html`` and ``manifest.json``; return the
    manifest. ``executor``: any ``concurrent.futures``-style executor (its ``submit`` is used);
    by default a process pool of ``jobs`` workers. Failed runs are listed, the others complete.
    ``warm_start``: kernels forked from a preloaded server in each worker (:mod:`.warm`; the
    default where fork is available, else cold, said on the progress stream), or ``False`` for a
    new interpreter per kernel.
    """
    nb_dir = Path(notebooks) if notebooks is not None else paths.notebooks_dir()
    nb_dir = nb_dir.resolve()
    if not runs:
        raise RunConfigError("no runs to execute")
    if jobs < 1:
        raise RunConfigError(f"--jobs: found {jobs}; expected 1 or more")
    check_runs(runs, nb_dir)
    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    progress = progress or Progress(len(runs))
    start, start_note = warm.resolve_start(warm_start)
    if warm_start is not False and start == warm.COLD:
        progress.stream.write(f"pkoresearch run: {start_note}\n")
    progress.start()
    own = executor is None
    if own:
        executor = cf.ProcessPoolExecutor(max_workers=jobs,
                                          mp_context=multiprocessing.get_context("spawn"))
    summaries: dict[str, dict[str, Any]] = {}
    try:
        futures = {executor.submit(execute_run, asdict(r), str(nb_dir), str(out), html_report,
                                   timeout, kernel, start): r for r in runs}
        for fut in cf.as_completed(futures):
            r = futures[fut]
            try:
                s = fut.result()
            except BaseException as exc:  # noqa: BLE001 - a worker that died is a failed run
                s = {"name": r.name, "folder": r.folder, "notebook": r.notebook,
                     "parameters": r.parameters, "status": "failed", "duration_s": 0.0,
                     "error": _error_summary(exc), "files": []}
            summaries[r.name] = s
            progress.finished(s)
    finally:
        if own:
            executor.shutdown()
    ordered = [summaries[r.name] for r in runs]
    manifest = {
        "pkoresearch_version": __version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": _versions(),
        "kernel": kernel,
        "kernel_start": start_note,
        "data_checksums": data_checksums(runs, nb_dir),
        "real_data": real_data_files(ordered),
        "start": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - t0, 2),
        "failed": sum(s["status"] != "ok" for s in ordered),
        "runs": ordered,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
    write_index(out, manifest)
    return manifest


def dask_executor(scheduler: str) -> tuple[cf.Executor, Callable[[], None]]:
    """An executor that submits to a Dask distributed scheduler, and a function that closes it."""
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is an optional extra
        raise ParameterError("--executor dask needs dask.distributed: pip install "
                             "'pkoresearch[dask]'") from exc
    client = Client(scheduler)
    return client.get_executor(), client.close
