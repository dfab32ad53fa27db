"""Executing one run of the batch (in a worker process): papermill into a temporary folder, which
replaces the run's previous report only when the run succeeds."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import results, warm
from .runconfig import _inside, safe_folder_name

KERNEL = "python3"

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
                timeout: float | None, kernel: str = KERNEL,
                start: str = warm.COLD) -> dict[str, Any]:
    """Execute one run; returns a summary dict. Module-level so that it pickles for any executor.
    ``start``: ``"warm"`` forks the kernel from this worker's fork server (:mod:`.warm`),
    ``"cold"`` starts a new interpreter.

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
                execution_timeout=timeout, request_save_on_cell_execute=False,
                **warm.papermill_options(start))
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
