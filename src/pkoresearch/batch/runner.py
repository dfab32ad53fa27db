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
worker), ``shipping`` (a run carries its notebook and input files to the worker, which returns its
outputs: workers need no filesystem in common with the client), ``report`` (index.html); this
module runs the batch and writes the manifest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pkoresearch import __version__, paths
from pkoresearch.batch import manifest as manifest_mod
from pkoresearch.batch import outdir, procs, warm
from pkoresearch.batch.execute import KERNEL, _error_summary, execute_run  # noqa: F401 - re-exported
from pkoresearch.batch.lock import status as lock_status
from pkoresearch.batch.report import write_index  # noqa: F401 - re-exported
from pkoresearch.batch.runconfig import (  # noqa: F401 - re-exported: runner is the public entry point
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
from pkoresearch.batch.shipping import Shipper
from pkoresearch.errors import ParameterError, PkoError

KEY_PACKAGES = [
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "seaborn",
    "matplotlib",
    "pandera",
    "papermill",
    "nbclient",
    "nbconvert",
    "ipykernel",
    "openpyxl",
]

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
            item = merged.setdefault(
                key,
                {
                    k: used.get(k)
                    for k in (
                        "dataset",
                        "file",
                        "sha256",
                        "pinned",
                        "source",
                        "method",
                        "retrieved",
                    )
                }
                | {"runs": [], "parameters": []},
            )
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
    from pkoresearch.data import registry

    for r in runs:
        declared = declared_parameters(notebooks / r.notebook)
        for k, v in r.parameters.items():
            if (
                isinstance(v, str)
                and v
                and "path" in (declared.get(k, {}).get("help") or "").lower()
            ):
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
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
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
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
            )
            self.stream.flush()

    def start(self) -> None:
        if not self.tty:
            self.stream.write(f"running {self.total} notebook run(s)\n")
        self._bar()

    def finished(self, summary: dict[str, Any]) -> None:
        self.done += 1
        line = f"{summary['status']:>6}  {summary['name']}  ({summary['duration_s']:.1f} s)"
        if summary["status"] == "incomplete":
            line += f" - {summary.get('needs', '')}"
        elif summary["status"] != "ok":
            err = summary.get("error", {})
            cell = f" cell {err['exec_count']}" if err.get("exec_count") else ""
            line += f" -{cell}: {err.get('message', '')}"
        elif summary.get("retried"):
            line += f" - retried: {summary['retried']}"
        if self.tty:
            self.stream.write("\r" + " " * 60 + "\r")
        self.stream.write(line + "\n")
        self._bar()
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


class BatchStopped(PkoError):
    """The batch was stopped by SIGTERM or Ctrl-C; the manifest lists the runs that finished."""

    exit_code = 128 + 15


def check_timeout(timeout: float | None) -> float | None:
    """``timeout`` in seconds per cell, or None for no limit; 0, negative values and NaN are
    refused (papermill would read them as "no limit")."""
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise RunConfigError(
            f"--timeout: found {timeout!r}; expected seconds per cell, a number greater than 0"
        ) from None
    if not value > 0:  # also NaN
        raise RunConfigError(
            f"--timeout: found {timeout!r}; expected seconds per cell, a "
            "number greater than 0 (leave it out for no limit)"
        )
    return None if value == float("inf") else value


def run_batch(
    runs: Sequence[Run],
    output: str | os.PathLike[str] = "reports",
    jobs: int = 1,
    html_report: bool = True,
    timeout: float | None = None,
    executor: cf.Executor | None = None,
    notebooks: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    kernel: str = KERNEL,
    wait: float = 0.0,
    warm_start: bool | None = None,
    figure_formats: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Check, then execute every run; write ``index.html`` and ``manifest.json``; return the
    manifest. ``executor``: any ``concurrent.futures``-style executor (its ``submit`` is used);
    by default a process pool of ``jobs`` workers. Failed runs are listed, the others complete.

    The batch holds the output folder's lock (``wait``: seconds to wait for another runner) and
    removes temporary entries that dead runners left; the manifest carries earlier reports
    forward (:mod:`pkoresearch.batch.manifest`) and is replaced atomically after each run. SIGTERM
    stops the workers and raises :class:`BatchStopped` once the manifest is written.
    ``warm_start``: kernels forked from a preloaded server in each worker (:mod:`.warm`; the
    default where fork is available, else cold, said on the progress stream), or ``False`` for a
    new interpreter per kernel. ``figure_formats``: what ``plots.save`` writes in the batch's
    kernels when a notebook names nothing (``PKORESEARCH_FIGURE_FORMATS``, given to the local
    workers; remote Dask workers keep their own); None: all three.
    """
    if not runs:
        raise RunConfigError("no runs to execute")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise RunConfigError(f"--jobs: found {jobs!r}; expected a whole number, 1 or more")
    if not isinstance(wait, int | float) or not 0 <= wait < float("inf"):  # NaN fails too
        raise RunConfigError(f"--wait: found {wait!r}; expected a number of seconds, 0 or more")
    start, start_note = warm.resolve_start(warm_start, kernel)
    saved_formats = os.environ.get(FIGURE_FORMATS_ENV)
    if figure_formats is not None:
        os.environ[FIGURE_FORMATS_ENV] = check_figure_formats(figure_formats)
    # the workers start (and start their fork servers) while the batch is checked; a batch that
    # may wait for another one's output folder starts them once it holds the folder
    pool = None
    if executor is None and wait <= 0:
        pool = _start_pool(jobs, len(runs), kernel, start)
    try:
        return _run_batch(
            runs,
            output,
            jobs,
            html_report,
            timeout,
            executor or pool,
            executor is None,
            notebooks,
            progress,
            kernel,
            wait,
            warm_start,
            (start, start_note),
        )
    finally:
        if pool is not None:  # a batch stopped by its checks: the idle workers go at once
            procs.kill_pool(pool)
            pool.shutdown(wait=True, cancel_futures=True)
        if figure_formats is not None:
            if saved_formats is None:
                os.environ.pop(FIGURE_FORMATS_ENV, None)
            else:
                os.environ[FIGURE_FORMATS_ENV] = saved_formats


FIGURE_FORMATS_ENV = (
    "PKORESEARCH_FIGURE_FORMATS"  # read by pkoresearch.figures.plots.figure_formats
)


def check_figure_formats(formats: Sequence[str]) -> str:
    """``formats`` (names among png, svg, pdf; one comma-separated string or several) as the
    value of ``PKORESEARCH_FIGURE_FORMATS``; anything else is a RunConfigError."""
    names = [f.strip().lower() for item in formats for f in str(item).split(",") if f.strip()]
    bad = [f for f in names if f not in ("png", "svg", "pdf")]
    if bad or not names:
        raise RunConfigError(
            f"--figure-formats: found {','.join(map(str, formats))!r}; expected formats among "
            "png, svg, pdf separated by commas (e.g. png,svg,pdf)"
        )
    return ",".join(dict.fromkeys(names))


def _start_pool(jobs: int, n_runs: int, kernel: str, start: str) -> cf.ProcessPoolExecutor:
    """The batch's process pool, its workers started now (each starts its fork server when the
    kernels start warm)."""
    pool = cf.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=procs.worker_init,
        initargs=(os.getpid(), kernel if start == warm.WARM else None),
    )
    for _ in range(min(jobs, n_runs)):
        pool.submit(procs.started)
    return pool


def _run_batch(
    runs: Sequence[Run],
    output: str | os.PathLike[str],
    jobs: int,
    html_report: bool,
    timeout: float | None,
    executor: cf.Executor | None,
    own: bool,
    notebooks: str | os.PathLike[str] | None,
    progress: Progress | None,
    kernel: str,
    wait: float,
    warm_start: bool | None,
    resolved: tuple[str, str],
) -> dict[str, Any]:
    nb_dir = Path(notebooks) if notebooks is not None else paths.notebooks_dir()
    nb_dir = nb_dir.resolve()
    timeout = check_timeout(timeout)
    check_runs(runs, nb_dir)
    out = Path(output).resolve()
    start, start_note = resolved
    with outdir.OutputLock(out, wait) as lock:
        outdir.clean_stale(out)
        previous = manifest_mod.read_previous(out)
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        header = {
            "pkoresearch_version": __version__,
            "git_commit": _git_commit(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "packages": _versions(),
            "lock": lock_status().to_dict(),  # whether the installed packages are the locked set
            "kernel": kernel,
            "kernel_start": start_note,
            "data_checksums": data_checksums(runs, nb_dir),
            "start": started.isoformat(timespec="seconds"),
        }
        summaries: dict[str, dict[str, Any]] = {}

        def publish(state: str) -> dict[str, Any]:
            ordered = [summaries[r.name] for r in runs if r.name in summaries]
            m = manifest_mod.assemble(
                out,
                {
                    **header,
                    **_kernel_starts(start_note, ordered),
                    "real_data": real_data_files(ordered),
                    "duration_s": round(time.perf_counter() - t0, 2),
                },
                ordered,
                previous,
                state,
            )
            try:
                manifest_mod.publish(out, m)
            except OSError as exc:
                raise outdir.OutputFolderError(
                    f"{out}: could not write manifest.json or index.html ({exc.strerror or exc});"
                    " the previous ones are kept unchanged, and runs/ may already hold the "
                    "reports of the runs that finished"
                ) from None
            return m

        progress = progress or Progress(len(runs))
        if warm_start is not False and start == warm.COLD:
            progress.stream.write(f"pkoresearch run: {start_note}\n")
        state, stop_reason = "running", ""
        futures: dict[Any, Run] = {}
        shipper = None
        with procs.stop_on_sigterm():
            try:
                if executor is None:
                    executor = _start_pool(jobs, len(runs), kernel, start)
                progress.start()
                # every run carries its notebook and input files and returns its outputs, which
                # are installed here (pkoresearch.batch.shipping): one path for every executor
                shipper = Shipper(
                    executor,
                    nb_dir,
                    out,
                    html_report,
                    timeout,
                    kernel,
                    batch=lock.batch,
                    start=start if start == warm.WARM else start_note,  # cold: with why
                )
                futures = {shipper.submit(r): r for r in runs}
                for fut in cf.as_completed(futures):
                    r = futures[fut]
                    try:
                        s = shipper.receive(r, fut.result())
                    except BaseException as exc:  # noqa: BLE001 - a dead worker: a failed run
                        # a run's own end (an error, a worker's SystemExit, a cancelled Dask
                        # future) fails that run; SIGTERM, Ctrl-C or a test's time limit, raised
                        # here in the runner, stop the batch
                        if not isinstance(exc, Exception | SystemExit | asyncio.CancelledError):
                            raise
                        s = {
                            "name": r.name,
                            "folder": r.folder,
                            "notebook": r.notebook,
                            "parameters": r.parameters,
                            "status": "failed",
                            "duration_s": 0.0,
                            "error": _error_summary(exc),
                            "files": [],
                        }
                    summaries[r.name] = s
                    progress.finished(s)
                    publish("running")
                state = "finished"
            except (procs.Stopped, KeyboardInterrupt) as exc:
                state = "interrupted"
                stop_reason = str(exc) or "interrupted (Ctrl-C)"
            except BaseException:
                state = "aborted"  # an error of the runner itself: raised after the clean-up
                raise
            finally:
                if state != "finished":
                    if own and executor is not None:
                        procs.kill_pool(executor)
                    for f in futures:
                        f.cancel()
                if shipper is not None:
                    shipper.close()
                if own and executor is not None:
                    executor.shutdown(wait=True, cancel_futures=True)
                outdir.clean_stale(out)
                if state == "aborted":  # the manifest ends in a final state whatever stopped it
                    try:
                        publish("aborted")
                    except Exception:  # noqa: BLE001 - the error that stopped the batch is raised
                        pass
        manifest = publish(state)
    if state == "interrupted":
        done = len(summaries)
        raise BatchStopped(
            f"{stop_reason}: {done} of {len(runs)} run(s) finished and are in "
            f"{out / 'manifest.json'}; the others were abandoned and their "
            "earlier reports kept"
        )
    return manifest


def _kernel_starts(note: str, ordered: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's ``kernel_start`` (the batch's, from what its runs' kernels did) and
    ``kernel_starts`` (runs by start: ``{"warm": n, "cold": m}``)."""
    text, counts = warm.batch_summary(note, list(ordered))
    return {"kernel_start": text, "kernel_starts": counts}


def dask_executor(
    scheduler: str, connect_timeout: float = 10.0
) -> tuple[cf.Executor, Callable[[], None]]:
    """An executor that submits to a Dask distributed scheduler, and a function that closes it.
    A scheduler that does not answer within ``connect_timeout`` seconds is a RunConfigError.
    The workers need pkoresearch and its dependencies installed, nothing else: each run brings its
    notebook and input files and returns its outputs (``pkoresearch.batch.shipping``)."""
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is an optional extra
        raise ParameterError(
            "--executor dask needs dask.distributed: pip install 'pkoresearch[dask]'"
        ) from exc
    try:
        client = Client(scheduler, timeout=connect_timeout)
    except Exception as exc:  # noqa: BLE001 - every way of failing to connect says the same
        detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise RunConfigError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {connect_timeout:g} s "
            f"({detail}); expected the address of a running scheduler, e.g. "
            "tcp://HOST:8786"
        ) from None
    return client.get_executor(), client.close
