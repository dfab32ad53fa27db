"""Helpers that check a notebook's parameters and prepare its output folder.

Notebooks call these right after their ``parameters`` cell so that a wrong value fails early with
a message naming the parameter. Values arrive as JSON types (papermill), so paths are strings and
years are ints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pkoresearch import paths, results
from pkoresearch.errors import ParameterError
from pkoresearch.paths import INPUTS_FILENAME


def year_range(start_year: Any, end_year: Any, lo: int = 1948, hi: int = 2030) -> tuple[int, int]:
    """Check ``start_year <= end_year`` within ``[lo, hi]``; returns them as ints."""
    for name, v in (("start_year", start_year), ("end_year", end_year)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ParameterError(
                f"parameter {name}: found {v!r}; expected a whole year such as 2010"
            )
        if not lo <= v <= hi:
            raise ParameterError(f"parameter {name}: found {v}; expected a year in {lo}-{hi}")
    if start_year > end_year:
        raise ParameterError(
            f"parameters start_year/end_year: found {start_year} > {end_year}; "
            "expected start_year <= end_year"
        )
    return int(start_year), int(end_year)


def subset(name: str, values: Any, allowed: Iterable[str]) -> list[str]:
    """Check that ``values`` is ``None`` (meaning all) or a list drawn from ``allowed``.

    Returns the list of chosen values in the order of ``allowed``.
    """
    allowed = list(allowed)
    if values is None:
        return allowed
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ParameterError(
            f"parameter {name}: found {values!r}; expected a list such as "
            f"{allowed[:2]!r}, or None for all"
        )
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ParameterError(
            f"parameter {name}: found {unknown!r}; expected values among {allowed!r}"
        )
    if not values:
        raise ParameterError(f"parameter {name}: found an empty list; expected at least one value")
    return [a for a in allowed if a in set(values)]


def choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ParameterError(f"parameter {name}: found {value!r}; expected one of {allowed!r}")
    return value


_inputs: dict[str, dict[str, Any]] = {}  # data parameters resolved in this kernel, for the runner
_out: dict[str, Path | None] = {"dir": None}


def dataset_input(name: str, value: Any, registry_name: str) -> Path | None:
    """Resolve a data parameter; returns the file to read, or ``None`` for the bundled curated data.

    ``value`` is a path, a registry name of the same layout as ``registry_name`` (see
    ``pkoresearch data status``), ``"auto"`` (the cached ``registry_name`` when it has been fetched
    or imported, else the bundled data), or ``"bundled"`` (also ``""``: the bundled curated data).
    The file used (dataset, sha256, when it was retrieved) is written to ``inputs.json`` in the
    output folder, which the batch runner copies into its manifest.

    Example: ``table_path = nb.dataset_input("allegations_table", "auto", "un_allegations")``
    """
    from pkoresearch.data import registry

    r = registry.resolve(value, registry_name, parameter=name)
    entry: dict[str, Any] = {
        "value": value,
        "how": r.how,
        "dataset": r.dataset,
        "default_dataset": registry_name,
    }
    if r.path is not None:
        c = registry.cached(r.dataset) if r.dataset else None
        sha = registry.sha256_of(r.path)
        if c is not None and r.how in ("auto", "registry"):
            expected = registry.get(r.dataset).sha256 or c.sha256
            if sha != expected:
                raise ParameterError(
                    f"parameter {name}: the cached {r.dataset} ({c.path}) has "
                    f"sha256 {sha}; expected {expected}. Fetch it again: "
                    f"`pkoresearch data fetch --force {r.dataset}`"
                )
            entry.update(c.manifest())
        else:
            entry.update(file=r.path.name, sha256=sha, source=str(r.path), method="path")
        entry["path"] = str(r.path)
    _inputs[name] = entry
    _write_inputs()
    return r.path


def data_used(name: str, uses: str, otherwise: str) -> str:
    """One sentence saying what a data parameter resolved to and which sections use it (or what
    the notebook does without it); call after :func:`dataset_input`. Shows no path and no date,
    so the text is the same on every machine with the same files.

    Example: ``print(nb.data_used("allegations_table", "counts by category", "curated series"))``
    """
    from pkoresearch.data import registry

    entry = _inputs.get(name)
    if entry is None:
        raise ParameterError(f"data_used: parameter {name} was not resolved with dataset_input")
    how, dataset = entry["how"], entry["dataset"]
    if how in ("auto", "registry"):
        what = f"{registry.get(dataset).title} [{dataset}]"
    elif how == "path":
        what = f"the file {entry['file']}" + (f" [{dataset}]" if dataset else "")
    elif how == "auto-missing":
        what = (
            f'no file ("auto": {dataset} is not fetched; `pkoresearch data fetch {dataset}` '
            "or `pkoresearch data import DIR`)"
        )
    else:
        what = 'no file ("bundled")'
    text = f"{name}: {what}; " + (uses if entry.get("path") else otherwise)
    return wrap(text, indent="    ")


def source_of(name: str) -> str:
    """The dataset a data parameter resolved to, for :func:`pkoresearch.results.record`'s
    ``dataset``: its registry name (``"un_allegations"``), the file name for a path of the
    researcher's own, or ``"bundled"`` (the curated tables). Call after :func:`dataset_input`.

    Example: ``pko.results.record("allegations_total", 753, dataset=nb.source_of("allegations_table"))``
    """
    entry = _inputs.get(name)
    if entry is None:
        raise ParameterError(f"source_of: parameter {name} was not resolved with dataset_input")
    if not entry.get("path"):
        return "bundled"
    return str(entry.get("dataset") or entry.get("file"))


def inputs() -> dict[str, dict[str, Any]]:
    """The data parameters resolved so far in this kernel: name -> how, dataset, file, sha256."""
    return {k: dict(v) for k, v in _inputs.items()}


def _write_inputs() -> None:
    import json

    out = _out["dir"]
    if out is None:
        return
    tmp = out / (INPUTS_FILENAME + ".tmp")
    tmp.write_text(json.dumps(_inputs, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out / INPUTS_FILENAME)


def output_dir(value: Any, notebook: str) -> Path:
    """Create the output folder, start its results file, and set the plot theme.

    ``value`` None or "" puts output under ``reports/<notebook>`` in the project
    (:func:`pkoresearch.paths.reports_dir`).
    """
    if value in (None, ""):
        out = paths.reports_dir() / notebook
    elif isinstance(value, (str, os.PathLike)):
        out = paths.resolve_input(value)
    else:
        raise ParameterError(f"parameter output_dir: found {value!r}; expected a folder path")
    results.start(out, notebook=notebook)
    _out["dir"] = out
    _write_inputs()
    return out


def display_options() -> None:
    """Fix pandas display settings so that tables render the same text in every kernel."""
    import pandas as pd

    pd.set_option("display.width", 120)
    pd.set_option("display.max_columns", 12)
    pd.set_option("display.max_colwidth", 60)
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.precision", 3)


def wrap(text: str, width: int = 100, indent: str = "") -> str:
    """Wrap a long line of narrative for printing, continuation lines indented."""
    import textwrap

    return textwrap.fill(text, width=width, subsequent_indent=indent)


def positive_number(name: str, value: Any) -> float:
    """Check a positive number (int or float); returns it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ParameterError(f"parameter {name}: found {value!r}; expected a positive number")
    return value


def years_list(name: str, value: Any, lo: int = 1948, hi: int = 2030) -> list[int]:
    """Check a list of years (possibly empty); returns them sorted."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ParameterError(f"parameter {name}: found {value!r}; expected a list of years")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ParameterError(f"parameter {name}: found {v!r}; expected years in {lo}-{hi}")
    return sorted(value)


def periods(name: str, value: Any, count: int = 2) -> list[int | list[int]]:
    """Check a list of ``count`` periods, each a year or a [first, last] pair of years."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != count:
        raise ParameterError(
            f"parameter {name}: found {value!r}; expected {count} periods, each a "
            "year or [first, last], e.g. [2010, 2009]"
        )
    out: list[int | list[int]] = []
    for v in value:
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(v)
        elif (
            isinstance(v, Sequence)
            and not isinstance(v, str)
            and len(v) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            and v[0] <= v[1]
        ):
            out.append([int(v[0]), int(v[1])])
        else:
            raise ParameterError(
                f"parameter {name}: found period {v!r}; expected a year or "
                "[first, last] with first <= last"
            )
    return out


def has_years(frame, periods_: Sequence[int | Sequence[int]], column: str = "year") -> bool:
    """True when every year of every period is in ``frame[column]``."""
    have = {int(y) for y in frame[column]}
    for p in periods_:
        first, last = (p, p) if isinstance(p, int) else (p[0], p[-1])
        if not set(range(first, last + 1)) <= have:
            return False
    return True


def month(name: str, value: Any, end: bool = False):
    """Parse a month given as "YYYY-MM" (or a full date); returns a pandas Timestamp at the first
    day of that month, or its last day when ``end``."""
    import pandas as pd

    if not isinstance(value, str):
        raise ParameterError(f"parameter {name}: found {value!r}; expected a month as 'YYYY-MM'")
    try:
        ts = pd.Timestamp(value)
    except ValueError:
        raise ParameterError(
            f"parameter {name}: found {value!r}; expected a month as 'YYYY-MM'"
        ) from None
    first = ts.to_period("M").to_timestamp()
    return first + pd.offsets.MonthEnd(0) if end else first


def probability(name: str, value: Any) -> float:
    """Check a number strictly between 0 and 1 (e.g. alpha)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ParameterError(
            f"parameter {name}: found {value!r}; expected a number between 0 and 1"
        )
    return float(value)


def print_sources(frames, extra: Sequence[str] = ()) -> None:
    """Print the sources cited by the rows of ``frames`` (each with a ``source_id`` column),
    primary documents first: official publications (UN documents by symbol, UN data and pages,
    government reports) with any ``extra`` lines (e.g. a UN export the researcher supplied), then
    secondary sources; one citation a line with the number of rows citing it."""
    import textwrap

    from pkoresearch.analysis.overview import sources_table

    def show(text: str) -> None:  # addresses are never split across lines
        print(
            textwrap.fill(
                text,
                width=100,
                subsequent_indent="    ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )

    table = sources_table(list(frames))
    for primary, heading in (
        (True, "Primary sources (UN documents, UN data and pages, government reports)"),
        (False, "Secondary sources"),
    ):
        group = table[table["primary"] == primary]
        lines = list(extra) if primary else []
        if group.empty and not lines:
            continue
        print(heading)
        for line in lines:
            show(f"- {line}")
        for s in group.itertuples():
            rows = f"{s.rows} row" + ("s" if s.rows != 1 else "")
            show(f"- [{s.source_id}] ({rows}) {s.citation}")
