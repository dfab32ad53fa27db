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

from .errors import ParameterError

FILENAME = "results.json"
_state: dict[str, Any] = {"path": None, "notebook": None, "values": {}}


def start(output_dir: str | os.PathLike[str], notebook: str | None = None) -> Path:
    """Begin a fresh results file in ``output_dir`` (created if needed); returns its path."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    _state.update(path=out / FILENAME, notebook=notebook, values={})
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


def record(name: str, value: Any, unit: str | None = None) -> None:
    """Record one headline number (or list/dict of numbers) under ``name``. Returns nothing, so
    that a notebook cell ending with a record shows no output.

    Example: ``pko.results.record("rate_ratio_2010_vs_2009", 0.76, unit="ratio")``
    """
    if not name or not isinstance(name, str):
        raise ParameterError(f"results.record: name must be a non-empty string, got {name!r}")
    entry: dict[str, Any] = {"value": _plain(value)}
    if unit:
        entry["unit"] = unit
    _state["values"][name] = entry
    _write()


def recorded() -> dict[str, Any]:
    """The values recorded so far in this kernel: ``{name: value}``."""
    return {k: v["value"] for k, v in _state["values"].items()}


def _write() -> None:
    path = _state["path"]
    if path is None:
        return
    doc = {"notebook": _state["notebook"], "results": _state["values"]}
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
