"""The batch's ``index.html``."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from . import results


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
                    f"<td>{e(r['notebook'])}</td><td>{e(r['status'])}"
                    f"{e(' (retried: ' + r['retried'] + ')') if r.get('retried') else ''}</td>"
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
