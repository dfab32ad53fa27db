"""The batch's ``index.html``, rendered from Jinja2 templates (``templates/*.html.j2``, autoescaping
on): every run with its status, parameters, duration, headline numbers formatted
(:mod:`pkoresearch.figures.formatting`), partial-period flags, figure thumbnails, links to the executed
notebook, its HTML and its results-only HTML; for a failed run the failing cell, the error and the
last good report; runs kept from earlier batches in their own section.

Manifest fields read beyond the runner's own (each optional): a failed run's
``last_good: {"folder": "runs/<folder>", "finished": "<iso time>"}``, and
``manifest["earlier_runs"]`` (entries shaped like ``runs``). Without ``last_good``, a
``runs/<folder>`` left on disk is linked all the same.
"""

from __future__ import annotations

import functools
import json
import os
import re
import struct
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pkoresearch import results
from pkoresearch.batch import atomic
from pkoresearch.figures import formatting

TEMPLATE = "index.html.j2"
FIGURE_EXTENSIONS = (".svg", ".pdf")
# the files of a run linked by name, in this order, when present
RUN_FILES = (
    ("report", "notebook.html", "the executed notebook as HTML, code and outputs"),
    ("results only", "results.html", "outputs and narrative, code hidden"),
    ("notebook", "notebook.ipynb", "the executed notebook (open in JupyterLab)"),
    ("results.json", results.FILENAME, "the headline numbers as recorded"),
    ("data used", "inputs.json", "the data files the notebook read, with sha256"),
    ("kernel log", "kernel-stderr.log", "what the kernel wrote to stderr"),
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of the report templates (autoescaping on for every template); one
    per process, so that a batch, which rewrites index.html after every run, compiles each
    template once."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pkoresearch.batch", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = href
    return env


def href(path: str) -> str:
    """A relative path as a URL (each segment percent-encoded, ``/`` kept)."""
    return urllib.parse.quote(str(path).replace(os.sep, "/"), safe="/")


@dataclass
class Figure:
    title: str
    png: str
    width: int | None = None
    height: int | None = None
    others: list[tuple[str, str]] = field(default_factory=list)  # (format, path)


@dataclass
class RunView:
    """What the template shows of one run."""

    name: str
    anchor: str
    notebook: str
    status: str
    duration: str
    start: str
    folder: str  # relative to the report: runs/<folder> or failed/<folder>
    on_disk: bool
    parameters: list[tuple[str, str]]
    headlines: list[formatting.Headline]
    partial: list[str]
    figures: list[Figure]
    links: list[tuple[str, str, str]]  # (label, href, description)
    error: dict[str, Any] | None = None
    last_good: dict[str, Any] | None = None
    retried: str | None = None  # the worker that died before the run succeeded (Dask)
    needs: str | None = None  # an incomplete run: what it lacked
    duration_s: float | None = None
    data: list[DataBadge] = field(default_factory=list)  # the data the run read
    datasets: dict[str, str] = field(default_factory=dict)  # headline label -> its dataset, mixed
    tables: list[Table] = field(
        default_factory=list
    )  # publication tables (pkoresearch.figures.tables)
    kernel_start: str = ""  # how the run's kernel started: "warm: ..." or "cold: why"


@dataclass
class DataBadge:
    """One data source of a run, as its card shows it: ``bundled`` (the curated tables) or a
    registry dataset (or a file) with the first 8 hex digits of its sha256."""

    text: str
    title: str
    kind: str  # "bundled" or "real"


@dataclass
class Table:
    """A publication table of a run: its title and its files by format."""

    title: str
    files: list[tuple[str, str]]  # (format, path)


def data_badges(inputs: dict[str, Any] | None) -> list[DataBadge]:
    """The data badges of a run from its ``inputs`` (``inputs.json``): each real file once
    (dataset or file name and short sha256), and ``bundled`` when a data parameter resolved to
    no file or the notebook has no data parameter (it reads only the bundled tables)."""
    real: dict[tuple[str, str], list[str]] = {}
    bundled: list[str] = []
    for param, used in sorted((inputs or {}).items()):
        if not isinstance(used, dict):
            continue
        if used.get("sha256"):
            key = (str(used.get("dataset") or used.get("file") or param), str(used["sha256"]))
            real.setdefault(key, []).append(param)
        else:
            bundled.append(param)
    out = [
        DataBadge(
            f"{name} {sha[:8]}",
            f"{', '.join(params)}: {name}, sha256 {sha}",
            "real",
        )
        for (name, sha), params in sorted(real.items())
    ]
    if bundled or not out:
        title = (
            f"{', '.join(bundled)}: no real file, the curated tables bundled with pkoresearch"
            if bundled
            else "the curated tables bundled with pkoresearch"
        )
        out.insert(0, DataBadge("bundled", title, "bundled"))
    return out


def _png_size(path: Path) -> tuple[int | None, int | None]:
    """Width and height from a PNG header (None when the file is not a PNG)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
    except OSError:
        return None, None
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None, None
    w, h = struct.unpack(">II", head[16:24])
    return w, h


def png_text(path: Path) -> dict[str, str]:
    """The text chunks (``tEXt``, ``iTXt``) of a PNG, e.g. the ``Title`` that
    :func:`pkoresearch.figures.plots.save` writes; {} for a file that is not a PNG."""
    import zlib

    out: dict[str, str] = {}
    try:
        with open(path, "rb") as fh:
            if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                return {}
            while True:
                head = fh.read(8)
                if len(head) < 8:
                    break
                length, kind = struct.unpack(">I4s", head)
                if kind == b"IDAT" or kind == b"IEND":
                    break
                data = fh.read(length)
                fh.read(4)  # CRC
                if kind == b"tEXt" and b"\0" in data:
                    key, value = data.split(b"\0", 1)
                    out[key.decode("latin-1")] = value.decode("latin-1")
                elif kind == b"iTXt" and b"\0" in data:
                    key, rest = data.split(b"\0", 1)
                    compressed = rest[0] == 1
                    _lang, _tkey, text = rest[2:].split(b"\0", 2)
                    out[key.decode("latin-1")] = (
                        zlib.decompress(text) if compressed else text
                    ).decode("utf-8")
    except (OSError, ValueError, struct.error, zlib.error):
        return out
    return out


def _inside(output: Path, rel: str) -> Path | None:
    """``output/rel`` when it stays inside ``output``, else None."""
    target = (output / rel).resolve()
    return target if target.is_relative_to(output.resolve()) else None


def _figures(output: Path, folder: str) -> list[Figure]:
    base = _inside(output, folder)
    if base is None or not base.is_dir():
        return []
    out = []
    for png in sorted(base.rglob("*.png")):
        rel = png.relative_to(output).as_posix()
        w, h = _png_size(png)
        others = [
            (ext[1:].upper(), png.with_suffix(ext).relative_to(output).as_posix())
            for ext in FIGURE_EXTENSIONS
            if png.with_suffix(ext).is_file()
        ]
        title = png_text(png).get("Title") or formatting.humanize(png.stem)
        out.append(Figure(title, rel, w, h, others))
    return out


def _links(output: Path, folder: str) -> list[tuple[str, str, str]]:
    base = _inside(output, folder)
    if base is None:
        return []
    return [
        (label, f"{folder}/{name}", desc)
        for label, name, desc in RUN_FILES
        if (base / name).is_file()
    ]


def _units(output: Path, folder: str) -> dict[str, str]:
    """The units the notebook recorded (``results.json`` on disk; none when it is absent)."""
    base = _inside(output, folder)
    try:
        doc = json.loads((base / results.FILENAME).read_text(encoding="utf-8")) if base else {}
    except (OSError, ValueError):
        return {}
    return {
        k: v["unit"]
        for k, v in (doc.get("results") or {}).items()
        if isinstance(v, dict) and v.get("unit")
    }


def _parameter_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _error_view(output: Path, folder: str, error: dict[str, Any]) -> dict[str, Any]:
    """The error of a failed run, with the source of the failing cell and the end of its
    traceback when the executed notebook was kept."""
    view = {
        "message": str(error.get("message") or error.get("type") or "unknown error"),
        "exec_count": error.get("exec_count"),
        "cell_index": error.get("cell_index"),
        "source": None,
        "traceback": None,
    }
    base = _inside(output, folder)
    nb_path = base / "notebook.ipynb" if base else None
    if nb_path is None or not nb_path.is_file():
        return view
    try:
        import nbformat

        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable notebook leaves the message alone
        return view
    for i, cell in enumerate(nb.cells):
        errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.cell_type == "code" and errs:
            view["source"] = cell.source
            view["cell_index"] = i
            view["exec_count"] = cell.get("execution_count") or view["exec_count"]
            lines = [_ANSI.sub("", t) for t in errs[0].get("traceback", [])]
            view["traceback"] = "\n".join(lines[-3:]) if lines else None
            break
    return view


def _mtime_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def _best_link(output: Path, folder: str) -> str:
    """The page that best shows a report folder: its HTML, else its notebook, else the folder."""
    base = _inside(output, folder)
    for name in ("notebook.html", "results.html", "notebook.ipynb", results.FILENAME):
        if base is not None and (base / name).is_file():
            return f"{folder}/{name}"
    return f"{folder}/"


def _last_good(output: Path, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The last good report of a failed run: the manifest's ``last_good``, else
    ``runs/<folder>`` when it is on disk; None when there is none."""
    given = entry.get("last_good") or {}
    folder = given.get("folder") if isinstance(given, dict) else None
    candidates = [folder, f"runs/{folder}"] if folder else []  # "runs/<folder>", or "<folder>"
    candidates.append(f"runs/{entry['folder']}")
    for rel in candidates:
        rel = str(rel).strip("/")
        base = _inside(output, rel)
        if base is not None and base.is_dir():
            finished = given.get("finished") if folder and rel.endswith(folder.strip("/")) else None
            return {
                "folder": rel,
                "href": _best_link(output, rel),
                "finished": finished,
                "files_dated": None if finished else _mtime_iso(base),
                "links": _links(output, rel),
            }
    return None


def _headline_datasets(
    output: Path, folder: str, heads: list[formatting.Headline], entry: dict[str, Any]
) -> dict[str, str]:
    """Headline label -> the dataset it was computed from, when the run's headlines name more
    than one (a run that mixes sources); {} otherwise."""
    base = _inside(output, folder)
    recorded = entry.get("results_datasets") or (results.datasets_of(base) if base else {})
    if len(set(recorded.values())) < 2:
        return {}
    out = {}
    for h in heads:
        names = {recorded[n] for n in h.names if n in recorded}
        if names:
            out[h.label] = ", ".join(sorted(names))
    return out


def _tables(output: Path, folder: str) -> list[Table]:
    """The publication tables a run saved (``tables/<name>.csv|.tex|.html``)."""
    base = _inside(output, folder)
    if base is None or not (base / "tables").is_dir():
        return []
    out = []
    for html in sorted((base / "tables").glob("*.html")):
        files = [
            (ext[1:].upper(), html.with_suffix(ext).relative_to(output).as_posix())
            for ext in (".html", ".csv", ".tex")
            if html.with_suffix(ext).is_file()
        ]
        out.append(Table(formatting.humanize(html.stem), files))
    return out


def run_view(output: Path, entry: dict[str, Any], section: str = "run") -> RunView:
    """The view of one manifest entry (a run of this batch or of an earlier one)."""
    ok = entry.get("status") in results.COMPLETED
    folder = f"{'runs' if ok else 'failed'}/{entry['folder']}"
    base = _inside(output, folder)
    values = entry.get("results") or {}
    if not values and ok and base is not None and (base / results.FILENAME).is_file():
        try:
            values = results.read(base)
        except (OSError, ValueError, KeyError):
            values = {}
    heads = formatting.headlines(values, _units(output, folder)) if ok else []
    params = [(str(k), _parameter_text(v)) for k, v in (entry.get("parameters") or {}).items()]
    return RunView(
        name=str(entry["name"]),
        anchor=f"{section}-{entry['folder']}",
        notebook=str(entry.get("notebook", "")),
        status=str(entry.get("status", "unknown")),
        duration=formatting.duration(entry.get("duration_s")),
        start=str(entry.get("start", "")),
        folder=folder,
        on_disk=bool(base and base.is_dir()),
        parameters=params,
        headlines=heads,
        partial=[h.label for h in heads if h.partial and not h.empty],
        figures=_figures(output, folder) if ok else [],
        links=_links(output, folder),
        error=None if ok else _error_view(output, folder, entry.get("error") or {}),
        last_good=None if ok else _last_good(output, entry),
        retried=str(entry["retried"]) if entry.get("retried") else None,
        needs=str(entry.get("needs") or "") or None,
        duration_s=entry.get("duration_s"),
        data=data_badges(entry.get("inputs")),
        datasets=_headline_datasets(output, folder, heads, entry) if ok else {},
        tables=_tables(output, folder) if ok else [],
        kernel_start=str(entry.get("kernel_start") or ""),
    )


def _kernel_start_text(manifest: dict[str, Any]) -> str:
    """How the batch's kernels started: the manifest's ``kernel_start`` and its count of runs
    by start (``kernel_starts``), e.g. "warm (7 warm, 1 cold)"."""
    note = str(manifest.get("kernel_start") or "")
    counts = manifest.get("kernel_starts")
    if not note or not isinstance(counts, dict):
        return note.split(":")[0]
    parts = [f"{n} {k}" for k, n in counts.items() if isinstance(n, int) and n]
    return note.split(":")[0] + (f" ({', '.join(parts)})" if parts else "")


def context(output: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows."""
    runs = [run_view(output, r) for r in manifest.get("runs", [])]
    earlier = [run_view(output, r, "earlier") for r in manifest.get("earlier_runs") or []]
    real = [
        {**d, "sha256_short": (d.get("sha256") or "")[:12]} for d in manifest.get("real_data") or []
    ]
    batch = {
        "start": manifest.get("start") or "(not recorded)",
        "version": manifest.get("pkoresearch_version") or "(not recorded)",
        "commit": manifest.get("git_commit") or "unknown",
        "kernel": manifest.get("kernel") or "python3",
        "kernel_start": _kernel_start_text(manifest),
        "bundled_files": len(manifest.get("data_checksums") or {}),
    }
    return {
        "batch": batch,
        "runs": runs,
        "earlier": earlier,
        "real_data": real,
        "failed": sum(r.status not in results.COMPLETED for r in runs),
        "incomplete": sum(r.status == "incomplete" for r in runs),
        "duration": formatting.duration(manifest.get("duration_s")),
        "has_manifest": (output / "manifest.json").is_file(),
    }


def render_index(output: Path, manifest: dict[str, Any]) -> str:
    """The text of ``index.html``."""
    return environment().get_template(TEMPLATE).render(**context(Path(output), manifest))


def write_index(output: Path, manifest: dict[str, Any]) -> Path:
    """Write ``index.html`` into ``output``, replaced atomically (a reader never sees half a page;
    a symbolic link at index.html is replaced, not followed); returns its path."""
    output = Path(output)
    page = render_index(output, manifest)
    path = output / "index.html"
    atomic.write_text(path, page)
    return path
