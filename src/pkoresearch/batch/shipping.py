"""Carrying a run to a worker that shares no filesystem with the client, and its outputs back.

Every run of a batch, on a local process pool or on a Dask cluster, goes the same way:

1. On the client, :meth:`Shipper.job` describes the run by content: the notebook, its parameters,
   and the files its data parameters name, each by sha256. Registry names and ``"auto"`` are
   resolved against the *client's* cache (the worker has none): the registry files the notebook
   names in its code, or its parameters name, travel with their cache records; a path travels as
   the file it names.
2. The files go with the task: on Dask as bytes among the task's arguments (read once per batch
   on the client), so that the scheduler, which keeps a task's arguments until it ends, can run
   it again on another worker when its worker dies (data scattered into the cluster dies with the
   workers holding it, and a run depending on it would end with ``CancelledError``); on a local
   executor as a reference to the client's file, which the worker reads itself. The worker checks
   the sha256 of what it received either way.
3. :func:`run_job` executes on the worker in a private temporary folder: the notebook, a private
   registry cache holding the shipped files with the client's records (so ``"auto"`` and registry
   names resolve exactly as on the client), the path inputs, and the output folder. The executed
   notebook and ``inputs.json`` name the client's final folder and the inputs the user named, never
   the worker's copies. The outputs come back as bytes and the private folder is removed.
4. :meth:`Shipper.receive` writes them into ``output/.tmp-*`` and installs them as a local run does
   (:func:`pkoresearch.batch.execute.install`: atomic replace on success, ``failed/`` otherwise).

A worker refuses a run when its pkoresearch or its bundled data differ from the client's, so a
report never mixes the client's parameters with other code or other curated figures. A worker
process runs one notebook at a time (papermill changes the working folder and file descriptor 2
process-wide): give Dask workers ``--nthreads 1``.

On Dask a run whose worker dies is run again by the scheduler on another worker (up to its
``distributed.scheduler.allowed-failures``); the run's summary then says so (``retried``,
``attempts``). Past that limit the run fails with ``KilledWorker``.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkoresearch import __version__, paths
from pkoresearch.batch import atomic
from pkoresearch.batch.execute import KERNEL, execute_into, install
from pkoresearch.batch.runconfig import Run, _inside, declared_parameters
from pkoresearch.errors import PkoError

EVENTS = "pkoresearch-run-start"  # Dask event topic: one message each time a run starts on a worker
_ONE_AT_A_TIME = threading.Lock()


class ShippingError(PkoError):
    """A run could not be carried to its worker or back (a file changed while the batch ran, a
    worker whose pkoresearch differs from the client's)."""


@dataclass(frozen=True)
class LocalFile:
    """A file on the client's disk, for executors on the same machine: the worker reads it there
    and checks its sha256 instead of receiving the bytes."""

    path: str
    sha256: str


# --------------------------------------------------------------------------------------------------
# content hashes


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    from pkoresearch.data.registry import sha256_of

    return sha256_of(path)


def file_sha256(path: Path) -> str:
    """sha256 of a file, computed once per file version in this process."""
    st = path.stat()
    return _file_sha256(str(path), st.st_mtime_ns, st.st_size)


def bundled_data_digest() -> str:
    """One sha256 over the bundled curated tables (``data/*.csv``, names and contents): the client
    and every worker must agree on it."""
    h = hashlib.sha256()
    for f in sorted(paths.data_dir().glob("*.csv")):
        h.update(f"{f.name}\0{file_sha256(f)}\n".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# the client side


def _dask_client(executor: Any) -> Any | None:
    """The Dask client behind ``client.get_executor()``, else None (any other executor)."""
    if "distributed" not in sys.modules:
        return None
    from distributed.cfexecutor import ClientExecutor

    return executor._client if isinstance(executor, ClientExecutor) else None


def _literal(source: Any) -> Any:
    """A default as papermill's inspection gives it (source text), as a value; None if it is not a
    plain literal."""
    if not isinstance(source, str):
        return source
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return None


def datasets_named(notebook: dict[str, Any]) -> list[str]:
    """Registry datasets a notebook names in its code as string literals (the third argument of
    ``dataset_input``, a ``cached_path`` call): ``"auto"`` in that notebook can resolve to them."""
    from pkoresearch.data import registry

    code = "\n".join(
        "".join(c.get("source", ""))
        for c in notebook.get("cells", [])
        if c.get("cell_type") == "code"
    )
    return [n for n in registry.REGISTRY if re.search(rf"""["']{re.escape(n)}["']""", code)]


class Shipper:
    """Submits runs to ``executor`` carrying what they need, and installs what comes back.

    ``executor``: a ``concurrent.futures`` executor (a process pool) or a Dask client's
    ``get_executor()``; the files go as bytes with each task on the latter, by reference on the
    former.
    """

    def __init__(
        self,
        executor: cf.Executor,
        notebooks: Path,
        output: Path,
        html_report: bool,
        timeout: float | None,
        kernel: str = KERNEL,
        batch: str | None = None,
        start: str = "cold",
    ):
        self.executor = executor
        self.start = start  # "warm" or "cold" kernels on the worker (pkoresearch.batch.warm)
        self.batch = batch  # the batch holding the output folder's lock (see execute.install)
        self.client = _dask_client(executor)
        self.notebooks = Path(notebooks)
        self.output = Path(output)
        self.html_report, self.timeout, self.kernel = html_report, timeout, kernel
        self.token = uuid.uuid4().hex  # tells this batch's start events from earlier batches'
        self.expect = {"pkoresearch": __version__, "bundled_data": bundled_data_digest()}
        self._handles: dict[str, Any] = {}  # sha256 -> bytes (Dask) or LocalFile
        self._named: dict[str, list[str]] = {}  # notebook sha256 -> registry datasets it names

    # files ----------------------------------------------------------------------------------

    def _handle(self, path: Path, sha: str) -> Any:
        if sha not in self._handles:
            if self.client is None:
                self._handles[sha] = LocalFile(str(path), sha)
            else:
                data = path.read_bytes()
                if _sha256_bytes(data) != sha:
                    raise ShippingError(
                        f"{path} changed while the batch was starting (sha256 "
                        f"{_sha256_bytes(data)}; expected {sha})"
                    )
                self._handles[sha] = data  # with every task that needs it: never lost
        return self._handles[sha]

    def _file(self, path: Path) -> tuple[str, Any]:
        sha = file_sha256(path)
        return sha, self._handle(path, sha)

    # the job --------------------------------------------------------------------------------

    def job(self, run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
        """What a worker needs for ``run``: the job (plain data) and the file handles by sha256."""
        from pkoresearch.data import registry

        nb_path = (self.notebooks / run.notebook).resolve()
        nb_sha, nb_handle = self._file(nb_path)
        handles = {nb_sha: nb_handle}
        declared = declared_parameters(nb_path)
        values = {k: _literal(d.get("default")) for k, d in declared.items()}
        values.update(run.parameters)
        data_params = [
            k
            for k, d in declared.items()
            if "path" in (d.get("help") or "").lower() and isinstance(values.get(k), str)
        ]
        if nb_sha not in self._named:
            self._named[nb_sha] = datasets_named(json.loads(nb_path.read_bytes()))
        wanted = set(self._named[nb_sha])
        path_inputs: dict[str, dict[str, Any]] = {}
        for name in data_params:
            value = values[name]
            if value in ("", registry.AUTO, registry.BUNDLED):
                continue
            if value in registry.REGISTRY:
                wanted.add(value)
                continue
            p = paths.resolve_input(value)
            if not p.is_file():
                continue  # the notebook says what is wrong, as in a local run
            in_cache = registry.find_cached(p)
            if in_cache is not None:
                wanted.add(in_cache.name)
            sha, handle = self._file(p)
            handles[sha] = handle
            path_inputs[name] = {
                "value": value,
                "client_path": str(p),
                "sha256": sha,
                "filename": p.name,
                "dataset": in_cache.name if in_cache is not None else None,
            }
        cache = []
        for name in sorted(wanted):
            c = registry.cached(name)
            if c is None:
                continue  # "auto" then means the bundled data there too
            sha, handle = self._file(c.path)
            handles[sha] = handle
            cache.append(
                {
                    "dataset": name,
                    "filename": c.path.name,
                    "sha256": sha,
                    "record": c.record,
                    "client_path": str(c.path),
                }
            )
        job = {
            "token": self.token,
            "run": {"name": run.name, "notebook": run.notebook, "parameters": run.parameters},
            "notebook": {"sha256": nb_sha, "source": str(nb_path)},
            "final": str(self.output / "runs" / run.folder),
            "paths": path_inputs,
            "cache": cache,
            "html_report": self.html_report,
            "timeout": self.timeout,
            "kernel": self.kernel,
            "start": self.start,
            # what plots.save writes (the batch's --figure-formats, set in the runner's
            # environment): a Dask worker's kernels write the same files as a local worker's
            "figure_formats": os.environ.get("PKORESEARCH_FIGURE_FORMATS", ""),
            "expect": self.expect,
            # a worker on this machine (not Dask) works inside the output folder and hands its
            # outputs back by reference: the same file system as the report (a full disk fails
            # the run there), no copy of the outputs through memory
            "local_output": str(self.output) if self.client is None else None,
        }
        return job, handles

    def submit(self, run: Run) -> cf.Future:
        """Submit ``run`` to the executor; the future's result goes to :meth:`receive`."""
        job, handles = self.job(run)
        with warnings.catch_warnings():
            # the inputs travel inside the task on purpose (see the module's docstring)
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            return self.executor.submit(run_job, job, handles)

    # coming back ----------------------------------------------------------------------------

    def receive(self, run: Run, returned: dict[str, Any]) -> dict[str, Any]:
        """Write a run's returned outputs into the output folder (through ``.tmp-*``, then the
        same install as a local run); returns the run's summary, with ``retried`` and
        ``attempts`` when Dask ran it more than once."""
        summary = returned["summary"]
        tmp = _inside(self.output, self.output / atomic.own_name(atomic.TMP_PREFIX, run.folder))
        if "folder" in returned:  # a worker on this machine: its output folder, by reference
            work = _inside(self.output, Path(returned["work"]))
            try:
                _inside(work, Path(returned["folder"])).rename(tmp)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            return self._installed(run, tmp, summary)
        tmp.mkdir(parents=True)
        try:
            for rel, data in returned["files"].items():
                dest = _inside(tmp, tmp / rel)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # a failed run; the last good report stays
            raise
        return self._installed(run, tmp, summary)

    def _installed(self, run: Run, tmp: Path, summary: dict[str, Any]) -> dict[str, Any]:
        summary = install(self.output, tmp, summary, self.batch)
        attempts = self.attempts(run.name)
        if len(attempts) > 1:
            summary["attempts"] = attempts
            summary["retried"] = (
                f"ran {len(attempts)} times: the worker(s) "
                f"{', '.join(attempts[:-1])} stopped during the run (died or "
                f"left the cluster); Dask ran it again on {attempts[-1]}"
            )
        return summary

    def attempts(self, run_name: str) -> list[str]:
        """The Dask workers on which this batch started ``run_name``, in order (empty for other
        executors). The scheduler keeps the last ``distributed.admin.low-level-log-length`` (1000)
        events of a topic: in a longer batch an early attempt can be missing."""
        if self.client is None:
            return []
        return [
            msg["worker"]
            for _, msg in sorted(self.client.get_events(EVENTS), key=lambda e: e[0])
            if msg.get("token") == self.token and msg.get("run") == run_name
        ]

    def close(self) -> None:
        """Forget this batch's files (the bytes kept for Dask tasks)."""
        self._handles.clear()


# --------------------------------------------------------------------------------------------------
# the worker side


def _where() -> dict[str, Any]:
    out = {
        "host": socket.gethostname(),
        "python": sys.version.split()[0],
        "pkoresearch": __version__,
    }
    try:
        from distributed import get_worker

        out["worker"] = get_worker().address
    except (ImportError, ValueError):
        pass
    return out


def _announce(job: dict[str, Any]) -> None:
    """On a Dask worker, log that the run starts here (the client counts attempts)."""
    if "distributed" not in sys.modules:
        return
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return
    worker.log_event(
        EVENTS, {"token": job["token"], "run": job["run"]["name"], "worker": worker.address}
    )


def _check_environment(expect: dict[str, str]) -> None:
    here = {"pkoresearch": __version__, "bundled_data": bundled_data_digest()}
    if here != expect:
        where = _where()
        raise ShippingError(
            f"worker {where.get('worker', where['host'])} has pkoresearch {here['pkoresearch']} "
            f"with bundled data {here['bundled_data'][:12]}; expected the client's pkoresearch "
            f"{expect['pkoresearch']} with bundled data {expect['bundled_data'][:12]}. Install "
            "the same pkoresearch on the workers (and set PKORESEARCH_DATA on neither or both)"
        )


def _place(handle: Any, sha: str, dest: Path) -> None:
    """Write a shipped file to ``dest`` and check its sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(handle, LocalFile):
        shutil.copyfile(handle.path, dest)
        found = file_sha256(dest)
        where = handle.path
    else:
        found = _sha256_bytes(handle)
        dest.write_bytes(handle)
        where = "the bytes received"
    if found != sha:
        raise ShippingError(
            f"{dest.name}: {where} has sha256 {found}; expected {sha} (the file "
            "changed after the batch started)"
        )


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _restore_inputs(
    out: Path, summary: dict[str, Any], named: dict[str, str], client_paths: dict[str, str]
) -> None:
    """``inputs.json`` and the summary name the client's files, not the worker's copies: a
    ``value`` becomes what the user named, a ``path`` or ``source`` the client's file."""
    from pkoresearch.paths import INPUTS_FILENAME

    inputs = summary.get("inputs") or {}
    for entry in inputs.values():
        for key, value in list(entry.items()):
            if isinstance(value, str):
                entry[key] = (named if key == "value" else client_paths).get(value, value)
    if (out / INPUTS_FILENAME).is_file():
        (out / INPUTS_FILENAME).write_text(
            json.dumps(inputs, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )


def run_job(job: dict[str, Any], handles: dict[str, Any]) -> dict[str, Any]:
    """Execute a shipped run on this worker in a private temporary folder; returns
    ``{"summary": ..., "files": {relative path: bytes}}``. Module-level so that it pickles."""
    with _ONE_AT_A_TIME:
        _announce(job)
        _check_environment(job["expect"])
        base = job.get("local_output")
        # inside the output folder a work folder is a ``.tmp-*`` one: a runner that dies leaves
        # it to the next batch's clean-up (pkoresearch.batch.outdir.clean_stale)
        if base:
            work = Path(base) / atomic.own_name(atomic.TMP_PREFIX, "work")
            work.mkdir(mode=0o700)
        else:
            work = Path(tempfile.mkdtemp(prefix="pkoresearch-run-"))
        handed_over = False
        try:
            result = _run_in(work, job, handles)
            handed_over = "folder" in result
            return result
        finally:
            if not handed_over:
                shutil.rmtree(work, ignore_errors=True)


def _run_in(work: Path, job: dict[str, Any], handles: dict[str, Any]) -> dict[str, Any]:
    run = job["run"]
    nb_dir = work / "notebooks"
    _place(
        handles[job["notebook"]["sha256"]],
        job["notebook"]["sha256"],
        _inside(work, nb_dir / run["notebook"]),
    )
    cache = work / "cache"
    cache.mkdir()
    client_paths: dict[str, str] = {}
    for c in job["cache"]:
        target = cache / c["dataset"] / c["filename"]
        _place(handles[c["sha256"]], c["sha256"], target)
        (target.parent / "record.json").write_text(
            json.dumps(c["record"], indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        client_paths[str(target)] = c["client_path"]
    parameters = dict(run["parameters"])
    named: dict[str, str] = {}
    for name, spec in job["paths"].items():
        if spec["dataset"]:  # a path into the client's cache: the same file in the private cache
            target = cache / spec["dataset"] / spec["filename"]
        else:
            target = work / "inputs" / spec["sha256"][:16] / spec["filename"]
            _place(handles[spec["sha256"]], spec["sha256"], target)
        parameters[name] = str(target)
        named[str(target)] = spec["value"]
        client_paths[str(target)] = spec["client_path"]
    out = work / "out"
    out.mkdir()
    formats = (
        {"PKORESEARCH_FIGURE_FORMATS": job["figure_formats"]} if job.get("figure_formats") else {}
    )
    with _environ(PKORESEARCH_CACHE=str(cache), **formats):
        summary = execute_into(
            {**run, "parameters": parameters},
            str(nb_dir),
            out,
            Path(job["final"]),
            job["html_report"],
            job["timeout"],
            job["kernel"],
            names=named,
            source=job["notebook"]["source"],
            start=job.get("start", "cold"),
        )
    summary["parameters"] = run["parameters"]
    _restore_inputs(out, summary, named, client_paths)
    summary["worker"] = _where()
    if job.get("local_output"):  # the client takes the folder over (Shipper.receive)
        return {"summary": summary, "folder": str(out), "work": str(work)}
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return {"summary": summary, "files": files}
