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
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import html
import itertools
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from . import __version__, paths, results
from .errors import ParameterError, PkoError
from .lock import status as lock_status

KERNEL = "python3"
RESERVED = {"output_dir"}  # set by the runner for every run
KEY_PACKAGES = ["pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "pandera",
                "papermill", "nbclient", "nbconvert", "ipykernel", "openpyxl"]


class RunConfigError(PkoError, ValueError):
    """The run matrix or a run's parameters are wrong; nothing was executed."""


@dataclass(frozen=True)
class Run:
    """One notebook execution: a name, the notebook, and its parameters."""

    name: str
    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return safe_folder_name(self.name)


# --------------------------------------------------------------------------------------------------
# names and paths


def safe_folder_name(name: str) -> str:
    """A folder name derived from a run name that cannot leave the output folder: only letters,
    digits, dot, dash and underscore; no leading dots; a short hash keeps distinct names apart."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")[:80] or "run"
    if cleaned != name:
        cleaned += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return cleaned


def _inside(base: Path, target: Path) -> Path:
    base, target = base.resolve(), target.resolve()
    if not target.is_relative_to(base):
        raise RunConfigError(f"{target} is outside the output folder {base}")
    return target


# --------------------------------------------------------------------------------------------------
# the run matrix


def _format_name(template: str, params: dict[str, Any]) -> str:
    def value(m: re.Match) -> str:
        v = params.get(m.group(1), m.group(0))
        if isinstance(v, (list, tuple)):
            return "+".join(str(x) for x in v)
        return str(v)

    return re.sub(r"\{(\w+)\}", value, template)


def expand(entry: dict[str, Any], where: str) -> list[Run]:
    """Runs from one ``runs.yaml`` entry: its parameters, times every combination of its sweep."""
    if not isinstance(entry, dict):
        raise RunConfigError(f"{where}: found {entry!r}; expected a mapping with name and notebook")
    unknown = set(entry) - {"name", "notebook", "parameters", "sweep"}
    if unknown:
        raise RunConfigError(f"{where}: found key(s) {sorted(unknown)}; expected name, notebook, "
                             "parameters, sweep")
    for key in ("name", "notebook"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise RunConfigError(f"{where}: found {key}={entry.get(key)!r}; expected a string")
    base = entry.get("parameters") or {}
    sweep = entry.get("sweep") or {}
    if not isinstance(base, dict) or not isinstance(sweep, dict):
        raise RunConfigError(f"{where} ({entry['name']}): parameters and sweep must be mappings")
    for k, v in sweep.items():
        if not isinstance(v, list) or not v:
            raise RunConfigError(f"{where} ({entry['name']}): sweep {k!r}: found {v!r}; expected "
                                 "a non-empty list of values")
    keys = list(sweep)
    runs = []
    for combo in itertools.product(*(sweep[k] for k in keys)) if keys else [()]:
        params = {**base, **dict(zip(keys, combo))}
        name = _format_name(entry["name"], params)
        if keys and name == entry["name"]:
            name += "-" + "-".join(_format_name("{%s}" % k, params) for k in keys)
        runs.append(Run(name, entry["notebook"], params))
    return runs


def load_runs(path: str | os.PathLike[str]) -> list[Run]:
    """Read a run matrix with a safe YAML loader (values stay data: no tags, no code)."""
    p = Path(path)
    if not p.is_file():
        raise RunConfigError(f"{p}: no such run matrix")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RunConfigError(f"{p}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise RunConfigError(f"{p}: expected a mapping with a list under 'runs'")
    runs = [r for i, e in enumerate(doc["runs"], 1) for r in expand(e, f"{p.name} run {i}")]
    names = [r.name for r in runs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise RunConfigError(f"{p}: run name(s) {dup} used more than once; expected unique names")
    return runs


# --------------------------------------------------------------------------------------------------
# checking parameters against the notebook


_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "list": (list,),
          "dict": (dict,), "none": (type(None),), "tuple": (list,)}


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The notebook's parameters as papermill inspects them: name -> type, default, help.
    Inspected once per notebook file version (a batch asks for each run)."""
    p = Path(notebook).resolve()
    return _inspect(str(p), p.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _inspect(path: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    import papermill as pm

    return {name: {"type": p.get("inferred_type_name"), "default": p.get("default"),
                   "help": p.get("help", "")}
            for name, p in pm.inspect_notebook(path).items()}


def _type_ok(value: Any, type_name: str | None) -> bool:
    if not type_name or type_name == "None":
        return True
    allowed: tuple[type, ...] = ()
    name = type_name.lower().strip().strip("'\"")
    m = re.fullmatch(r"optional\[(.*)\]", name)
    if m:
        name = f"{m.group(1)} | none"
    for part in re.split(r"\s*\|\s*", name):
        part = re.sub(r"\[.*\]$", "", part).strip()
        if part in ("optional", "any"):
            return True
        if part not in _TYPES:
            return True  # a type we do not model: let the notebook's own check decide
        allowed += _TYPES[part]
    if isinstance(value, bool) and bool not in allowed:
        return False
    return isinstance(value, allowed)


def check_run(run: Run, notebooks: Path) -> list[str]:
    """Every problem with a run's notebook and parameters (empty when the run is fine)."""
    nb = notebooks / run.notebook
    if not nb.is_file():
        return [f"run {run.name!r}: notebook {run.notebook!r} not found in {notebooks}"]
    declared = declared_parameters(nb)
    problems = []
    for name, value in run.parameters.items():
        if name in RESERVED:
            problems.append(f"run {run.name!r}: parameter {name!r} is set by the runner")
        elif name not in declared:
            problems.append(f"run {run.name!r}: unknown parameter {name!r}; {run.notebook} "
                            f"declares {sorted(declared)}")
        elif not _type_ok(value, declared[name]["type"]):
            problems.append(f"run {run.name!r}: parameter {name!r} = {value!r} is a "
                            f"{type(value).__name__}; {run.notebook} declares "
                            f"{declared[name]['type']}")
        elif "path" in (declared[name]["help"] or "").lower() and isinstance(value, str):
            problem = _input_problem(value)
            if problem:
                problems.append(f"run {run.name!r}: parameter {name!r}: {problem}")
    try:
        json.dumps(run.parameters)
    except TypeError as exc:
        problems.append(f"run {run.name!r}: parameters are not JSON data ({exc})")
    return problems


def _input_problem(value: str) -> str | None:
    """What is wrong with a data parameter's value (a path, a registry name, "auto", "bundled"),
    or None. The notebook checks the rest (e.g. a registry name of another layout)."""
    from . import registry

    if value in ("", registry.AUTO, registry.BUNDLED):
        return None
    if value in registry.REGISTRY:
        if registry.cached(value) is None:
            return (f"registry dataset {value!r} is not in the cache; run `pkoresearch data fetch "
                    f"{value}` (or offline `pkoresearch data import DIR`)")
        return None
    if not paths.resolve_input(value).is_file():
        return f"input file {value!r} not found"
    return None


def check_runs(runs: Sequence[Run], notebooks: Path) -> None:
    """Raise RunConfigError listing every problem of every run, before anything executes."""
    problems = [p for r in runs for p in check_run(r, notebooks)]
    folders = [r.folder for r in runs]
    clash = sorted({f for f in folders if folders.count(f) > 1})
    if clash:
        problems.append(f"run names map to the same folder(s) {clash}; expected distinct names")
    if problems:
        raise RunConfigError(f"{len(problems)} problem(s) in the run matrix, nothing was run:\n  "
                             + "\n  ".join(problems))


# --------------------------------------------------------------------------------------------------
# executing one run (in a worker process)


def _error_summary(exc: BaseException) -> dict[str, Any]:
    out = {"type": type(exc).__name__, "message": str(exc).strip().splitlines()[-1][:500]
           if str(exc).strip() else type(exc).__name__}
    for attr in ("cell_index", "exec_count", "ename", "evalue"):
        if hasattr(exc, attr):
            out[attr] = getattr(exc, attr)
    if "ename" in out:
        out["message"] = f"{out['ename']}: {out['evalue']}"[:500]
    return out


class _KernelStderr:
    """Send file descriptor 2 to a file while a run executes, so that the kernel process (which
    inherits it) logs there instead of interleaving its warnings with the batch's progress."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        sys.stderr.flush()
        self.fh = open(self.path, "ab")
        self.saved = os.dup(2)
        os.dup2(self.fh.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.fh.close()
        return False


def _name_final_folder(executed: Path, tmp: Path, final: Path) -> None:
    """The run wrote into a temporary folder that becomes ``final``: the injected parameters of the
    executed notebook name ``final``, so a report does not point at a folder that is gone and two
    runs of the same batch give the same notebook."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(json.dumps(str(tmp)), json.dumps(str(final)))
    nbformat.write(nb, executed)


def execute_run(run: dict[str, Any], notebooks: str, output: str, html_report: bool,
                timeout: float | None, kernel: str = KERNEL) -> dict[str, Any]:
    """Execute one run; returns a summary dict. Module-level so that it pickles for any executor.

    The run writes into ``output/.tmp-*``; on success that folder replaces ``output/runs/<name>``,
    on failure the previous report stays and the executed notebook goes to ``output/failed/``.
    """
    import papermill as pm

    out_root = Path(output).resolve()
    folder = safe_folder_name(run["name"])
    final = _inside(out_root, out_root / "runs" / folder)
    tmp = _inside(out_root, out_root / f".tmp-{folder}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    summary: dict[str, Any] = {"name": run["name"], "folder": folder, "notebook": run["notebook"],
                               "parameters": run["parameters"],
                               "start": started.isoformat(timespec="seconds")}
    executed = tmp / "notebook.ipynb"
    try:
        with _KernelStderr(tmp / "kernel-stderr.log"):
            pm.execute_notebook(
                str(Path(notebooks) / run["notebook"]), str(executed),
                parameters={**run["parameters"], "output_dir": str(tmp)},
                kernel_name=kernel, cwd=notebooks, progress_bar=False, log_output=False,
                execution_timeout=timeout, request_save_on_cell_execute=False)
        _name_final_folder(executed, tmp, final)
        if html_report:
            from nbconvert import HTMLExporter

            body, _ = HTMLExporter().from_filename(str(executed))
            (tmp / "notebook.html").write_text(body, encoding="utf-8")
        summary["results"] = results.read(tmp) if (tmp / results.FILENAME).is_file() else {}
        summary["inputs"] = _read_inputs(tmp)
        old = out_root / f".old-{folder}-{uuid.uuid4().hex[:8]}"
        if final.exists():
            final.rename(old)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        summary["status"] = "ok"
        summary["files"] = sorted(str(p.relative_to(out_root)) for p in final.rglob("*")
                                  if p.is_file())
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, the batch goes on
        summary["status"] = "failed"
        summary["error"] = _error_summary(exc)
        summary["inputs"] = _read_inputs(tmp)
        failed = _inside(out_root, out_root / "failed" / folder)
        shutil.rmtree(failed, ignore_errors=True)
        failed.mkdir(parents=True)
        for name in ("notebook.ipynb", "kernel-stderr.log"):
            if (tmp / name).is_file():
                shutil.copy2(tmp / name, failed / name)
        shutil.rmtree(tmp, ignore_errors=True)
        summary["files"] = [str(p.relative_to(out_root)) for p in failed.rglob("*") if p.is_file()]
    summary["duration_s"] = round(time.perf_counter() - t0, 2)
    return summary


def _read_inputs(folder: Path) -> dict[str, Any]:
    """The data files a run's notebook resolved (``inputs.json``, written by
    ``pkoresearch.notebook.dataset_input``); empty when it wrote none."""
    from .notebook import INPUTS_FILENAME

    try:
        return json.loads((folder / INPUTS_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


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


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (before HTML-escaping, so that no
    entity is cut in half)."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def write_index(output: Path, manifest: dict[str, Any]) -> Path:
    """``index.html``: every run with status, duration, headline numbers and links; every value
    HTML-escaped."""
    e = html.escape
    rows = []
    for r in manifest["runs"]:
        base = f"runs/{r['folder']}" if r["status"] == "ok" else f"failed/{r['folder']}"
        links = []
        for label, fname in (("notebook", "notebook.ipynb"), ("html", "notebook.html"),
                             ("results", results.FILENAME)):
            if f"{base}/{fname}" in r.get("files", []):
                links.append(f'<a href="{e(base)}/{e(fname)}">{e(label)}</a>')
        params = "<br>".join(f"{e(str(k))} = {e(json.dumps(v))}" for k, v in
                             r["parameters"].items()) or "defaults"
        numbers = "<br>".join(f"{e(str(k))}: {e(_shorten(json.dumps(v), 200))}" for k, v in
                              (r.get("results") or {}).items())
        err = r.get("error", {})
        if err:
            cell = f"cell {err['exec_count']}: " if err.get("exec_count") else ""
            numbers = f'<span class="err">{e(cell + str(err.get("message", "")))}</span>'
        rows.append(f"<tr class=\"{e(r['status'])}\"><td>{e(r['name'])}</td>"
                    f"<td>{e(r['notebook'])}</td><td>{e(r['status'])}</td>"
                    f"<td>{r['duration_s']:.1f} s</td><td>{params}</td><td>{numbers}</td>"
                    f"<td>{' '.join(links)}</td></tr>")
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pkoresearch reports</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-size: 90%; }}
tr.failed {{ background: #fde8e8; }} .err {{ color: #a00; }}
</style></head><body>
<h1>pkoresearch reports</h1>
<p>{e(str(len(manifest['runs'])))} run(s), {e(str(manifest['failed']))} failed; pkoresearch
{e(manifest['pkoresearch_version'])}, commit {e(str(manifest['git_commit']))},
started {e(manifest['start'])}. See manifest.json for versions and data checksums.</p>
<table><tr><th>run</th><th>notebook</th><th>status</th><th>duration</th><th>parameters</th>
<th>headline numbers</th><th>files</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    path = output / "index.html"
    path.write_text(doc, encoding="utf-8")
    return path


def run_batch(runs: Sequence[Run], output: str | os.PathLike[str] = "reports",
              jobs: int = 1, html_report: bool = True, timeout: float | None = None,
              executor: cf.Executor | None = None, notebooks: str | os.PathLike[str] | None = None,
              progress: Progress | None = None, kernel: str = KERNEL) -> dict[str, Any]:
    """Check, then execute every run; write ``index.html`` and ``manifest.json``; return the
    manifest. ``executor``: any ``concurrent.futures``-style executor (its ``submit`` is used);
    by default a process pool of ``jobs`` workers. Failed runs are listed, the others complete.
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
    progress.start()
    own = executor is None
    if own:
        executor = cf.ProcessPoolExecutor(max_workers=jobs,
                                          mp_context=multiprocessing.get_context("spawn"))
    summaries: dict[str, dict[str, Any]] = {}
    try:
        futures = {executor.submit(execute_run, asdict(r), str(nb_dir), str(out), html_report,
                                   timeout, kernel): r for r in runs}
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
        "lock": lock_status().to_dict(),  # whether the installed packages are the locked set
        "kernel": kernel,
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


def runs_for(notebooks: Iterable[str], overrides: dict[str, Any] | None = None) -> list[Run]:
    """One run per notebook file name with its defaults plus ``overrides``."""
    return [Run(Path(nb).stem, Path(nb).name, dict(overrides or {})) for nb in notebooks]


def with_overrides(runs: Sequence[Run], overrides: dict[str, Any]) -> list[Run]:
    """The same runs with ``overrides`` applied to every one."""
    return [Run(r.name, r.notebook, {**r.parameters, **overrides}) for r in runs]


def dask_executor(scheduler: str) -> tuple[cf.Executor, Callable[[], None]]:
    """An executor that submits to a Dask distributed scheduler, and a function that closes it."""
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is an optional extra
        raise ParameterError("--executor dask needs dask.distributed: pip install "
                             "'pkoresearch[dask]'") from exc
    client = Client(scheduler)
    return client.get_executor(), client.close
