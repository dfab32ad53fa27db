"""Record a notebook's headline numbers to a JSON file beside its output.

A notebook calls ``pko.results.start(output_dir, notebook="01_allegation_trends")`` once (the
parameter-checking helper does it), then ``pko.results.record("allegations_2010", 85)`` for each
headline number. The file ``<output_dir>/results.json`` is rewritten after every record, keys
sorted, so that the same run gives the same bytes. Tests and the batch runner read it back with
:func:`read`.
"""

from __future__ import annotations

import json
import math
import os
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from pkoresearch.errors import ParameterError

FILENAME = "results.json"
# the statuses of a run that ran to its end: "incomplete" when the notebook said (with
# :func:`incomplete`) that it lacked the data for its main question
COMPLETED = ("ok", "incomplete")
UNITS = {
    "count": "a number of things: whole, thousands separated",
    "share": "a fraction 0-1, shown in per cent (0.392 -> 39.2%)",
    "pct": "already a percentage (7.03 -> 7.03%)",
    "year": "calendar years, never thousands separated (also inside lists and dictionaries)",
    "ratio": "a ratio: rate ratio, incidence rate ratio, odds ratio",
    "rate": "events per a stated exposure (e.g. per 1,000 personnel)",
    "p_value": "a p-value",
    "number": "any other number",
    "interval": "a pair [low, high]",
    "text": "words, labels, dates or yes/no: shown as recorded",
}
"""The units a headline number can be recorded with (:func:`record`'s ``unit``): the batch
report formats a value by its recorded unit (:mod:`pkoresearch.figures.formatting`)."""
UNIT_ALIASES = {"percent": "pct", "%": "pct", "fraction": "share", "proportion": "share"}


def unit_name(unit: str | None, name: str = "") -> str | None:
    """The canonical name of ``unit`` (one of :data:`UNITS`, or an alias such as ``"percent"``),
    None for no unit; any other text raises ParameterError naming the result."""
    if unit is None or unit == "":
        return None
    u = UNIT_ALIASES.get(str(unit).lower(), str(unit).lower())
    if u not in UNITS:
        raise ParameterError(
            f"results.record: unit of {name or 'a result'}: found {unit!r}; expected one of "
            f"{sorted(UNITS)} (or {sorted(UNIT_ALIASES)})"
        )
    return u


_state: dict[str, Any] = {
    "path": None,
    "notebook": None,
    "values": {},
    "status": None,
    "dataset": None,
}


def start(output_dir: str | os.PathLike[str], notebook: str | None = None) -> Path:
    """Begin a fresh results file in ``output_dir`` (created if needed); returns its path."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    _state.update(path=out / FILENAME, notebook=notebook, values={}, status=None, dataset=None)
    _write()
    return out / FILENAME


def _plain(value: Any) -> Any:
    """Turn numpy/pandas scalars and containers into JSON values; NaN becomes null."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return _plain(value.item())
    raise ParameterError(
        f"results.record: {value!r} of type {type(value).__name__} is not a "
        "number, string, list or dict"
    )


def record(name: str, value: Any, unit: str | None = None, dataset: str | None = None) -> None:
    """Record one headline number (or list/dict of numbers) under ``name``. Returns nothing, so
    that a notebook cell ending with a record shows no output. ``unit``: what the number is (one
    of :data:`UNITS`: ``"count"``, ``"share"``, ``"pct"``, ``"year"``, ``"ratio"``, ...), stored
    beside the value so that the report formats it without reading the name. ``dataset``: the data the number
    was computed from (a registry name such as ``"un_allegations"``, a file name, or
    ``"bundled"`` for the curated tables; :func:`pkoresearch.notebook.source_of` gives it for a
    data parameter); the batch report shows it where a run mixes sources.

    Example: ``pko.results.record("rate_ratio_2010_vs_2009", 0.76, unit="ratio")``
    """
    if not name or not isinstance(name, str):
        raise ParameterError(f"results.record: name must be a non-empty string, got {name!r}")
    unit = unit_name(unit, name)
    entry: dict[str, Any] = {"value": _plain(value)}
    if unit:
        entry["unit"] = unit
    dataset = dataset or _state["dataset"]
    if dataset:
        entry["dataset"] = str(dataset)
    _state["values"][name] = entry
    _write()


def using(dataset: str | None) -> None:
    """The dataset the numbers recorded from here on come from, unless a :func:`record` names
    another (None: no default).

    Example: ``pko.results.using(nb.source_of("allegations_table"))``
    """
    _state["dataset"] = dataset


def incomplete(needs: str) -> None:
    """Say that this run lacked the data for its main question: the batch runner then reports
    the run as ``incomplete`` (not ``ok``) in the terminal, ``manifest.json`` and ``index.html``,
    with ``needs`` (one sentence: what it needs and how to get it).

    Example: ``pko.results.incomplete("needs allegations_table: pkoresearch data fetch un_allegations")``
    """
    if not needs or not isinstance(needs, str):
        raise ParameterError(
            f"results.incomplete: expected a sentence saying what is needed, got {needs!r}"
        )
    _state["status"] = {"state": "incomplete", "needs": needs}
    _write()


def recorded() -> dict[str, Any]:
    """The values recorded so far in this kernel: ``{name: value}``."""
    return {k: v["value"] for k, v in _state["values"].items()}


def _write() -> None:
    path = _state["path"]
    if path is None:
        return
    doc = {"notebook": _state["notebook"], "results": _state["values"]}
    if _state["status"]:
        doc["status"] = _state["status"]
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n")
    tmp.replace(path)


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a results file (or the results.json inside a folder): ``{name: value}``."""
    p = Path(path)
    if p.is_dir():
        p = p / FILENAME
    doc = json.loads(p.read_text())
    return {k: v["value"] for k, v in doc["results"].items()}


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The whole results file (or the one inside a folder): ``notebook``, ``results`` (each
    ``{"value", "unit"?, "dataset"?}``) and, for an incomplete run, ``status``."""
    p = Path(path)
    if p.is_dir():
        p = p / FILENAME
    return json.loads(p.read_text())


def status_of(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """``{"state": "incomplete", "needs": ...}`` when the run's notebook called
    :func:`incomplete`, else None (also when there is no readable results file)."""
    try:
        doc = read_document(path)
    except (OSError, ValueError):
        return None
    st = doc.get("status") if isinstance(doc, dict) else None
    return st if isinstance(st, dict) and st.get("state") == "incomplete" else None


def datasets_of(path: str | os.PathLike[str]) -> dict[str, str]:
    """``{name: dataset}`` for the headline numbers recorded with a ``dataset``."""
    try:
        doc = read_document(path)
    except (OSError, ValueError):
        return {}
    return {
        k: v["dataset"]
        for k, v in (doc.get("results") or {}).items()
        if isinstance(v, dict) and v.get("dataset")
    }


_TERMS = {"year_c": "yearly change (trend)", "const": "rate in the first year"}
_TERM_PATTERNS = {
    "level": "level change from {}",
    "slope": "change in yearly trend after {}",
    "counting": "counting change from {}",
}


def term_label(term: str) -> str:
    """A model term of the segmented and trend models in words, for tables, figures and the
    report's keys: ``year_c`` "yearly change (trend)", ``level_2016`` "level change from 2016",
    ``slope_2016`` "change in yearly trend after 2016", ``counting_2016`` "counting change from
    2016", ``const`` "rate in the first year"; any other name as it is, underscores as spaces.
    (Here, below both the analysis and the report, so that the notebooks' tables and the batch
    report use the same words.)

    >>> term_label("slope_2016")
    'change in yearly trend after 2016'
    """
    import re

    text = str(term)
    if text in _TERMS:
        return _TERMS[text]
    m = re.fullmatch(r"(level|slope|counting)_(\d{4})", text)
    if m:
        return _TERM_PATTERNS[m[1]].format(m[2])
    return re.sub(r"_+", " ", text).strip()
