"""Executing one run of the batch: papermill into a temporary folder (:func:`execute_into`, on the
worker), which replaces the run's previous report only when the run succeeds (:func:`install`, on
the client). ``pkoresearch.batch.shipping`` carries a run to a worker and its outputs back."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pkoresearch import results
from pkoresearch.batch import atomic, warm
from pkoresearch.batch.runconfig import _inside, safe_folder_name

KERNEL = "python3"
# A kernel that ended, or never answered, before replying to kernel_info ran no cell: most often
# another process took one of its ports between jupyter_client choosing them and the kernel
# binding them (the kernel's stderr says "Address already in use"). The run starts a new kernel,
# which gets new ports, up to this many kernels in all.
KERNEL_START_ATTEMPTS = 3
# how jupyter_client's (and pkoresearch.batch.warm's) readiness check says so
_NOT_STARTED = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")


def _kernel_never_started(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and str(exc).startswith(_NOT_STARTED)


# --------------------------------------------------------------------------------------------------
# executing one run (in a worker process)


def _error_summary(
    exc: BaseException,
    executed: Path | None = None,
    timeout: float | None = None,
    source: Path | None = None,
) -> dict[str, Any]:
    out = {
        "type": type(exc).__name__,
        "message": str(exc).strip().splitlines()[-1][:500]
        if str(exc).strip()
        else type(exc).__name__,
    }
    for attr in ("cell_index", "exec_count", "ename", "evalue"):
        if hasattr(exc, attr):
            out[attr] = getattr(exc, attr)
    if "ename" in out:
        out["message"] = f"{out['ename']}: {out['evalue']}"[:500]
    if isinstance(exc, TimeoutError) and "timed out" in str(exc):
        out.update(_timed_out_cell(exc, executed, timeout, source))
    return out


def _timed_out_cell(
    exc: BaseException, executed: Path | None, timeout: float | None, source: Path | None
) -> dict[str, Any]:
    """Which cell a per-cell timeout stopped, and a message naming the limit and the cell.
    nbclient names the cell only by a preview of its source between two lines of dashes (the
    first and last five lines as lists when it is long), and papermill writes no executed
    notebook after a timeout: the cell is found in the source notebook, and its execution
    count is that of a run in order (papermill's injected parameters cell counted)."""
    import ast

    import nbformat

    parts = str(exc).split("-------------------")
    preview = parts[1].strip() if len(parts) >= 3 else ""
    first = preview.splitlines()[0].strip() if preview else ""
    if first.startswith("["):
        try:
            first = str(ast.literal_eval(first)[0]).strip()
        except (ValueError, SyntaxError, IndexError):
            pass
    out: dict[str, Any] = {"timeout_s": timeout}
    for path, injected in ((executed, 0), (source, 1)):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - absent or incomplete: try the next
            continue
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        for n, cell in enumerate(code, 1):
            if first and cell.source.strip().startswith(first):
                out["cell_index"] = nb.cells.index(cell) + injected
                out["exec_count"] = cell.get("execution_count") or n + injected
                break
        break
    limit = f"{timeout:g} s" if timeout else "the limit"
    out["message"] = (
        f"timed out after {limit} (--timeout, per cell) in the cell starting {first[:200]!r}"
    )
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

    def note(self, text: str) -> None:
        """Add a line of the runner's own to the file (after what the kernel wrote)."""
        self.fh.write(f"pkoresearch: {text}\n".encode())
        self.fh.flush()

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.fh.close()
        return False


def _name_final_folder(
    executed: Path,
    tmp: Path,
    final: Path,
    names: dict[str, str] | None = None,
    source: str | None = None,
) -> None:
    """The run wrote into a temporary folder that becomes ``final``: the injected parameters of the
    executed notebook name ``final``, so a report does not point at a folder that is gone and two
    runs of the same batch give the same notebook. ``names`` maps other injected values (a
    worker's copies of shipped input files) back to what the user named; ``source`` is the
    notebook the run was made from (papermill's ``input_path``). The ``output_dir`` line is
    rewritten whatever temporary folder it names."""
    import nbformat
    from papermill.translators import PythonTranslator

    swaps = {str(tmp): str(final), **(names or {})}
    line = f"output_dir = {PythonTranslator.translate(str(final))}"
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            for old, new in swaps.items():
                for quoted in {json.dumps(old), PythonTranslator.translate_escaped_str(old)}:
                    cell.source = cell.source.replace(quoted, json.dumps(new))
            # the output_dir line whatever temporary folder it names (papermill's own quoting
            # differs from JSON's for non-ASCII paths)
            cell.source = re.sub(r"(?m)^output_dir = .*$", lambda _: line, cell.source)
    meta = nb.metadata.get("papermill")
    if meta is not None:
        params = meta.get("parameters") or {}
        for key, value in params.items():
            if isinstance(value, str) and value in swaps:
                params[key] = swaps[value]
        if source is not None:
            meta["input_path"] = source
        meta["output_path"] = str(final / executed.name)
    nbformat.write(nb, executed)


def _write_html(executed: Path, folder: Path) -> None:
    """``notebook.html`` (code and outputs) and ``results.html`` (narrative and outputs, code and
    prompts hidden) from the executed notebook."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(executed))
    (folder / "notebook.html").write_text(body, encoding="utf-8")
    body, _ = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    ).from_filename(str(executed))
    (folder / "results.html").write_text(body, encoding="utf-8")


class Orphaned(RuntimeError):
    """The batch that started this run no longer holds the output folder: publish nothing."""


def execute_run(
    run: dict[str, Any],
    notebooks: str,
    output: str,
    html_report: bool,
    timeout: float | None,
    kernel: str = KERNEL,
    batch: str | None = None,
    start: str = warm.COLD,
) -> dict[str, Any]:
    """Execute one run here and install its outputs; returns a summary dict. The batch runner
    goes through ``pkoresearch.batch.shipping`` (the same two steps with a private folder on the worker
    in between); this is the direct form, for a caller on the machine that holds the output.
    ``start``: ``"warm"`` forks the kernel from this worker's fork server (:mod:`.warm`),
    ``"cold"`` (or ``"cold: why"``) starts a new interpreter; the summary's ``kernel_start`` says
    how the run's kernel did start (``"warm: ..."`` only for a kernel that was forked).

    The run writes into ``output/.tmp-*``; on success that folder replaces ``output/runs/<name>``,
    on failure the previous report stays and the executed notebook goes to ``output/failed/``.
    ``batch``: the id of the batch holding the output folder's lock; a run whose batch no longer
    holds it (its runner died) publishes nothing (see :mod:`pkoresearch.batch.procs`).
    """
    out_root = Path(output).resolve()
    folder = safe_folder_name(run["name"])
    final = _inside(out_root, out_root / "runs" / folder)
    tmp = _inside(out_root, out_root / atomic.own_name(atomic.TMP_PREFIX, folder))
    tmp.mkdir(parents=True)
    return install(
        out_root,
        tmp,
        execute_into(run, notebooks, tmp, final, html_report, timeout, kernel, start=start),
        batch,
    )


def execute_into(
    run: dict[str, Any],
    notebooks: str,
    tmp: Path,
    final: Path,
    html_report: bool,
    timeout: float | None,
    kernel: str = KERNEL,
    names: dict[str, str] | None = None,
    source: str | None = None,
    start: str = warm.COLD,
) -> dict[str, Any]:
    """Execute one run with papermill into the folder ``tmp`` (executed notebook, HTML, figures,
    ``results.json``, ``inputs.json``, ``kernel-stderr.log``); returns its summary, ``status`` ok or
    failed. Writes nothing outside ``tmp``. The executed notebook names ``final`` (where the client
    will put the report) instead of ``tmp``; ``names`` and ``source``: see
    :func:`_name_final_folder`."""
    from pkoresearch.batch._imports import notebook_readers

    notebook_readers()
    import papermill as pm

    from pkoresearch.batch.procs import DyingKernelManager

    folder = safe_folder_name(run["name"])
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    summary: dict[str, Any] = {
        "name": run["name"],
        "folder": folder,
        "notebook": run["notebook"],
        "parameters": run["parameters"],
        "start": started.isoformat(timespec="seconds"),
    }
    executed = tmp / "notebook.ipynb"
    started_kernels: list[dict[str, Any]] = []
    try:
        with (
            _KernelStderr(tmp / "kernel-stderr.log") as kernel_stderr,
            warm.launches() as started_kernels,
        ):
            for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
                try:
                    pm.execute_notebook(
                        str(Path(notebooks) / run["notebook"]),
                        str(executed),
                        parameters={**run["parameters"], "output_dir": str(tmp)},
                        kernel_name=kernel,
                        cwd=notebooks,
                        progress_bar=False,
                        log_output=False,
                        execution_timeout=timeout,
                        request_save_on_cell_execute=False,
                        **(
                            warm.papermill_options(start)  # "warm", or "cold[: why]"
                            or {"kernel_manager_class": DyingKernelManager}
                        ),
                    )
                    break
                except RuntimeError as exc:
                    if attempt == KERNEL_START_ATTEMPTS or not _kernel_never_started(exc):
                        raise
                    kernel_stderr.note(
                        f"the kernel ended before it started ({exc}); starting a new kernel "
                        f"({attempt + 1} of {KERNEL_START_ATTEMPTS})"
                    )
        _name_final_folder(executed, tmp, final, names, source)
        if html_report:
            _write_html(executed, tmp)
        summary["results"] = results.read(tmp) if (tmp / results.FILENAME).is_file() else {}
        summary["inputs"] = _read_inputs(tmp)
        summary["status"] = "ok"
        lacking = results.status_of(tmp)
        if lacking:  # the notebook ran to its end but lacked the data for its main question
            summary["status"] = "incomplete"
            summary["needs"] = lacking.get("needs", "")
        datasets = results.datasets_of(tmp)
        if datasets:
            summary["results_datasets"] = datasets
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, the batch goes on
        summary["status"] = "failed"
        summary["error"] = _error_summary(exc, executed, timeout, Path(notebooks) / run["notebook"])
        summary["inputs"] = _read_inputs(tmp)
        if executed.is_file():
            try:
                _name_final_folder(executed, tmp, final, names, source)
            except Exception:  # noqa: BLE001 - a notebook papermill could not finish writing
                pass
    # how the kernel that ran the cells started (a warm batch's kernel may have started cold)
    summary["kernel_start"], summary["kernel_parent_pid"] = warm.describe(start, started_kernels)
    summary["duration_s"] = round(time.perf_counter() - t0, 2)
    return summary


def _keep_failed(tmp: Path, failed: Path, summary: dict[str, Any]) -> None:
    """Make the failed run's temporary folder its ``failed/<run>`` folder, holding only the
    executed notebook and the kernel's stderr. Renames only, so that a full disk cannot leave a
    truncated copy; a notebook that was not written completely (e.g. 0 bytes on a full disk) is
    not kept, and the error says so."""
    nb = tmp / "notebook.ipynb"
    try:
        if nb.is_file():
            json.loads(nb.read_bytes())
    except (OSError, ValueError):
        size = nb.stat().st_size if nb.exists() else 0
        summary["error"]["notebook"] = (
            f"the executed notebook was not written completely ({size} bytes); not kept"
        )
        nb.unlink(missing_ok=True)
    try:
        for p in list(tmp.iterdir()):
            if p.name not in ("notebook.ipynb", "kernel-stderr.log"):
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        shutil.rmtree(failed, ignore_errors=True)
        failed.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(failed)
    except OSError as exc:
        summary["error"].setdefault("notebook", f"not kept: {exc.strerror or exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def install(
    out_root: Path, tmp: Path, summary: dict[str, Any], batch: str | None = None
) -> dict[str, Any]:
    """Put a run's outputs (the folder ``tmp`` inside ``out_root``) in place: on success ``tmp``
    replaces ``runs/<folder>`` (renames within the output folder, so a report is whole or absent);
    on failure the previous report stays, and ``tmp`` becomes ``failed/<folder>`` holding the
    executed notebook and the kernel's stderr (see :func:`_keep_failed`). ``batch``: when given,
    a run whose batch no longer holds the output folder's lock publishes nothing (``Orphaned``).
    Returns the summary with ``files``."""
    from pkoresearch.batch.outdir import batch_is_current

    folder = safe_folder_name(summary["name"])
    final = _inside(out_root, out_root / "runs" / folder)
    if batch is not None and not batch_is_current(out_root, batch):
        shutil.rmtree(tmp, ignore_errors=True)
        summary["status"] = "failed"
        summary["error"] = _error_summary(
            Orphaned(
                f"run {summary['name']!r}: its batch no longer holds {out_root}; nothing published"
            )
        )
        summary["files"] = []
        return summary
    if summary.get("status") in results.COMPLETED:
        old = out_root / atomic.own_name(atomic.OLD_PREFIX, folder)
        try:
            if final.exists():
                final.rename(old)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
            summary["files"] = sorted(
                str(p.relative_to(out_root)) for p in final.rglob("*") if p.is_file()
            )
            return summary
        except BaseException as exc:  # noqa: BLE001 - e.g. a full disk: a failed run, as before
            if old.exists() and not final.exists():
                old.rename(final)  # the last good report stays
            summary["status"] = "failed"
            summary["error"] = _error_summary(exc)
    failed = _inside(out_root, out_root / "failed" / folder)
    _keep_failed(tmp, failed, summary)
    summary["files"] = (
        sorted(str(p.relative_to(out_root)) for p in failed.rglob("*") if p.is_file())
        if failed.is_dir()
        else []
    )
    return summary


def _read_inputs(folder: Path) -> dict[str, Any]:
    """The data files a run's notebook resolved (``inputs.json``, written by
    ``pkoresearch.notebook.dataset_input``); empty when it wrote none."""
    from pkoresearch.paths import INPUTS_FILENAME

    try:
        return json.loads((folder / INPUTS_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
