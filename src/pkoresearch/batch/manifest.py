"""The batch's ``manifest.json``: what this batch ran, and what earlier batches left in ``runs/``.

A report stays in ``runs/<folder>`` until a later run of the same name succeeds, so the manifest
carries earlier results forward instead of forgetting them:

- a failed run whose earlier report is still in ``runs/`` holds
  ``"last_good": {"folder": "runs/<folder>", "finished": "<iso time>", "run": {...}}`` (``run``:
  that report's own manifest entry, when an earlier manifest had it);
- ``"earlier_runs"`` lists the successful runs of earlier manifests that are not in this batch
  and whose reports are still in ``runs/``, in the same shape as ``"runs"``; their ``files`` and
  ``results`` are read again from disk, so the manifest never contradicts the folder.

The manifest and ``index.html`` are replaced atomically (:mod:`pkoresearch.batch.atomic`) after each
finished run and at the end, with ``"state"``: ``"running"``, ``"finished"`` or
``"interrupted"``; a runner killed mid-batch leaves a manifest that lists every run it
published.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pkoresearch import results
from pkoresearch.batch import atomic

FILENAME = "manifest.json"


def read_previous(out: Path) -> dict[str, Any]:
    """The manifest an earlier batch left in ``out`` ({} when there is none or it is not
    readable JSON, e.g. one truncated by an older version)."""
    try:
        doc = json.loads((out / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def finished_at(entry: dict[str, Any]) -> str | None:
    """An entry's finish time: its ``finished``, else ``start`` plus ``duration_s``."""
    if entry.get("finished"):
        return entry["finished"]
    try:
        start = datetime.fromisoformat(entry["start"])
        return (start + timedelta(seconds=round(float(entry.get("duration_s") or 0)))).isoformat(
            timespec="seconds"
        )
    except (KeyError, TypeError, ValueError):
        return None


def _good_entries(previous: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """folder -> the latest successful manifest entry an earlier manifest knew for it."""
    good: dict[str, dict[str, Any]] = {}
    for e in previous.get("earlier_runs") or []:
        if isinstance(e, dict) and e.get("folder"):
            good[e["folder"]] = e
    for e in previous.get("runs") or []:
        if not isinstance(e, dict) or not e.get("folder"):
            continue
        if e.get("status") in results.COMPLETED:
            good[e["folder"]] = e
        elif isinstance(e.get("last_good"), dict) and isinstance(e["last_good"].get("run"), dict):
            good[e["folder"]] = e["last_good"]["run"]
    return good


def _on_disk(out: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with ``files`` and ``results`` as they are now in ``runs/<folder>``."""
    folder = out / "runs" / entry["folder"]
    entry = dict(entry)
    entry["files"] = sorted(str(p.relative_to(out)) for p in folder.rglob("*") if p.is_file())
    if (folder / results.FILENAME).is_file():
        try:
            entry["results"] = results.read(folder)
        except (OSError, ValueError):
            entry.pop("results", None)
    entry.pop("last_good", None)
    return entry


def _last_good(out: Path, folder: str, good: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    path = out / "runs" / folder
    if not path.is_dir():
        return None
    entry = good.get(folder)
    finished = finished_at(entry) if entry else None
    if finished is None:
        finished = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    last = {"folder": f"runs/{folder}", "finished": finished}
    if entry:
        last["run"] = _on_disk(out, entry)
    return last


def assemble(
    out: Path,
    header: dict[str, Any],
    ordered: Sequence[dict[str, Any]],
    previous: dict[str, Any],
    state: str,
) -> dict[str, Any]:
    """The manifest: ``header`` (versions, checksums, start ...), this batch's finished runs in
    ``ordered``, the earlier runs still on disk, ``state``."""
    good = _good_entries(previous)
    runs = []
    for s in ordered:
        s = dict(s)
        s.setdefault("finished", finished_at(s))
        s.pop("last_good", None)
        if s.get("status") not in results.COMPLETED:
            last = _last_good(out, s["folder"], good)
            if last:
                s["last_good"] = last
        runs.append(s)
    here = {s["folder"] for s in runs}
    earlier = [
        _on_disk(out, e)
        for folder, e in sorted(good.items())
        if folder not in here and (out / "runs" / folder).is_dir()
    ]
    return {
        **header,
        "state": state,
        "failed": sum(s.get("status") not in results.COMPLETED for s in runs),
        "incomplete": sum(s.get("status") == "incomplete" for s in runs),
        "runs": runs,
        "earlier_runs": earlier,
    }


def publish(out: Path, manifest: dict[str, Any]) -> None:
    """Replace ``manifest.json``, then ``index.html``, each atomically."""
    from pkoresearch.batch.report import write_index

    atomic.write_text(out / FILENAME, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    write_index(out, manifest)
