"""Two runs side by side: their headline numbers with the differences, and the parameters and data
checksums that differ (``pkoresearch compare A B``, as text or HTML).

A run is a report folder of the batch runner (``reports/runs/<run>``): its ``results.json``, its
``inputs.json`` (the data files read, with sha256) and its executed notebook (the parameters
papermill injected).

Example::

    from pkoresearch.batch import compare
    c = compare.compare("reports/runs/a", "reports/runs/b")
    print(compare.as_text(c))
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkoresearch import results
from pkoresearch.errors import ParameterError
from pkoresearch.figures import formatting


@dataclass(frozen=True)
class RunRecord:
    """What a report folder says about its run."""

    name: str
    folder: Path
    values: dict[str, Any]  # headline numbers, nested values flattened to "name: key"
    parameters: dict[str, Any]
    data: dict[str, str]  # data parameter -> "dataset sha256" (or "bundled")


@dataclass(frozen=True)
class Comparison:
    a: RunRecord
    b: RunRecord
    numbers: list[tuple[str, Any, Any, float | None]]  # name, a, b, b - a (numbers only)
    parameters: list[tuple[str, Any, Any]]  # the parameters that differ
    data: list[tuple[str, str, str]]  # the data that differ


def _flatten(name: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{name}: {k}", v, out)
    else:
        out[name] = value


def _parameters(folder: Path) -> dict[str, Any]:
    nb = folder / "notebook.ipynb"
    try:
        doc = json.loads(nb.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    params = dict((doc.get("metadata", {}).get("papermill") or {}).get("parameters") or {})
    params.pop("output_dir", None)  # each run's own folder
    return params


def load_run(path: str | os.PathLike[str]) -> RunRecord:
    """Read a report folder; raises ParameterError naming what is missing."""
    folder = Path(path)
    if not (folder / results.FILENAME).is_file():
        raise ParameterError(
            f"compare: {folder}: found no {results.FILENAME}; expected a run's report folder "
            "(reports/runs/<run>) or a run name in the output folder"
        )
    values: dict[str, Any] = {}
    for k, v in results.read(folder).items():
        _flatten(k, v, values)
    try:
        inputs = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        inputs = {}
    data = {
        param: (f"{used.get('dataset') or used.get('file')} {used['sha256']}")
        if used.get("sha256")
        else "bundled"
        for param, used in sorted(inputs.items())
        if isinstance(used, dict)
    }
    return RunRecord(folder.name, folder, values, _parameters(folder), data)


def resolve(name: str, output: str | os.PathLike[str] = "reports") -> Path:
    """A run given as a folder path, or as a run (folder) name in ``output/runs``."""
    p = Path(name)
    if p.is_dir():
        return p
    candidate = Path(output) / "runs" / name
    if candidate.is_dir():
        return candidate
    runs = sorted(d.name for d in (Path(output) / "runs").glob("*") if d.is_dir())
    raise ParameterError(
        f"compare: found {name!r}, neither a folder nor a run in {Path(output) / 'runs'}; "
        f"expected one of {runs[:20]}" + (" ..." if len(runs) > 20 else "")
    )


class _Default:
    """A parameter a run did not set: the notebook's default."""

    def __repr__(self) -> str:
        return "(notebook default)"


DEFAULT = _Default()


def _param(x: Any) -> str:
    return repr(x) if x is DEFAULT else json.dumps(x, ensure_ascii=False)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def compare(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> Comparison:
    """Compare two report folders: every headline number of either (``None`` where a run has
    none), b - a where both are numbers; the parameters and the data that differ."""
    ra, rb = load_run(a), load_run(b)
    names = list(dict.fromkeys([*ra.values, *rb.values]))
    numbers = []
    for n in names:
        x, y = ra.values.get(n), rb.values.get(n)
        diff = y - x if _is_number(x) and _is_number(y) else None
        numbers.append((n, x, y, diff))
    params = [
        (k, ra.parameters.get(k, DEFAULT), rb.parameters.get(k, DEFAULT))
        for k in sorted(set(ra.parameters) | set(rb.parameters))
        if ra.parameters.get(k, DEFAULT) != rb.parameters.get(k, DEFAULT)
    ]
    data = [
        (k, ra.data.get(k, "-"), rb.data.get(k, "-"))
        for k in sorted(set(ra.data) | set(rb.data))
        if ra.data.get(k) != rb.data.get(k)
    ]
    return Comparison(ra, rb, numbers, params, data)


def _show(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in x) + "]"
    if _is_number(x):
        return formatting.number(x)
    return str(x)


def _diff(d: float | None, x: Any, y: Any) -> str:
    if d is not None:
        return "0" if d == 0 else ("+" if d > 0 else "") + formatting.number(d)
    return "" if x == y else "differs"


def as_text(c: Comparison, width: int = 100) -> str:
    """The comparison as plain text: parameters and data that differ, then every number."""
    from pkoresearch.figures.formatting import text_table

    lines = [f"A: {c.a.folder}", f"B: {c.b.folder}", ""]
    if c.parameters:
        lines.append("Parameters that differ:")
        lines.append(
            text_table(
                [(k, _param(x), _param(y)) for k, x, y in c.parameters],
                ["parameter", "A", "B"],
                width=width,
                wrap=2,
                indent=2,
            )
        )
    else:
        lines.append("Parameters: the same")
    if c.data:
        lines.append("Data that differ (dataset and sha256):")
        lines.append(
            text_table(list(c.data), ["data parameter", "A", "B"], width=width, wrap=2, indent=2)
        )
    else:
        lines.append("Data: the same files")
    lines.append("")
    lines.append("Headline numbers (B - A where both are numbers):")
    lines.append(
        text_table(
            [(n, _show(x), _show(y), _diff(d, x, y)) for n, x, y, d in c.numbers],
            ["result", "A", "B", "B - A"],
            width=width,
            wrap=0,
            right=[1, 2, 3],
            indent=2,
        )
    )
    return "\n".join(lines) + "\n"


def as_html(c: Comparison) -> str:
    """The comparison as a standalone HTML page (every value escaped)."""
    e = html.escape

    def table(head: list[str], rows: list[tuple]) -> str:
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(c.a.name)} vs {e(c.b.name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:auto;padding:1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:2px 8px;"
        "text-align:left}td{overflow-wrap:anywhere}</style></head><body>",
        f"<h1>{e(c.a.name)} vs {e(c.b.name)}</h1>",
        f"<p>A: <code>{e(str(c.a.folder))}</code><br>B: <code>{e(str(c.b.folder))}</code></p>",
        "<h2>Parameters that differ</h2>",
        table(["parameter", "A", "B"], [(k, _param(x), _param(y)) for k, x, y in c.parameters])
        if c.parameters
        else "<p>The same.</p>",
        "<h2>Data that differ</h2>",
        table(["data parameter", "A", "B"], c.data) if c.data else "<p>The same files.</p>",
        "<h2>Headline numbers</h2>",
        table(
            ["result", "A", "B", "B - A"],
            [(n, _show(x), _show(y), _diff(d, x, y)) for n, x, y, d in c.numbers],
        ),
        "</body></html>\n",
    ]
    return "\n".join(parts)
