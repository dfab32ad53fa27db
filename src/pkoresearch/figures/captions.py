"""Source captions for figures, built from the provenance of the data plotted.

A figure's source can be given as the curated rows it draws (their ``source_id`` column), source
ids from ``data/sources.csv``, the result of a UN reader (it knows its file: ``.path``), a file path,
or a sentence. :func:`source_text` turns any mix of these into one caption line, primary sources
first: UN documents by symbol, then other official publications and UN data files, then secondary
sources (news stories, research pages) after "Secondary:". Full citations stay in the notebook's
source list (:func:`pkoresearch.notebook.print_sources`).

>>> from pkoresearch.figures import captions
>>> captions.source_text(["tip2011-seed"])
'Source: US Department of State (2011).'

This module does not import matplotlib.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

# labels for reader results whose file is not a registry entry (a newer export, a copy)
_READER_LABELS = {
    "AllegationTable": "UN table of allegations (Conduct in UN Field Missions)",
    "GenderStatistics": "UN monthly gender statistics",
    "Contributions": "UN uniformed personnel contributions by gender",
}


def _frame_ids(frame: pd.DataFrame) -> list[str]:
    if "source_id" not in frame.columns:
        return []
    s = frame["source_id"].dropna().astype(str).str.split("; ").explode()
    return [i for i in dict.fromkeys(s.str.strip()) if i]


def file_label(path: str | os.PathLike[str], kind: str | None = None) -> str:
    """How a caption names a data file: the registry's title of that file (matched by file name)
    with the file name, else what the reader reads (``kind``, a reader class name) and the name.

    Example: ``file_label("UN_conduct_table_of_allegations_2024-07.xlsx")``
    """
    from pkoresearch.data import registry

    name = Path(path).name
    for entry in registry.ENTRIES:
        if name in entry.names():
            return f"{entry.title} ({name})"
    label = _READER_LABELS.get(kind or "")
    return f"{label} ({name})" if label else name


def _file_is_primary(path: str | os.PathLike[str]) -> bool:
    from pkoresearch.data import registry

    name = Path(path).name
    for entry in registry.ENTRIES:
        if name in entry.names():
            return entry.publisher.startswith(("United Nations", "UN "))
    return True  # a file the researcher supplied: named as given, among the primary sources


def _items(source: Any) -> list[tuple[str, Any]]:
    """Flatten ``source`` to ("id", source_id), ("file", (path, kind)) and ("text", str)."""
    from pkoresearch.data import sources

    if source is None:
        return []
    if isinstance(source, pd.DataFrame):
        return [("id", i) for i in _frame_ids(source)]
    if isinstance(source, os.PathLike):
        return [("file", (source, None))]
    if isinstance(source, str):
        text = source.strip()
        if not text:
            return []
        if (sources.catalogue()["source_id"] == text).any():
            return [("id", text)]
        return [("text", text)]
    if hasattr(source, "path") and not isinstance(source, (list, tuple)):
        return [("file", (source.path, type(source).__name__))]
    if isinstance(source, Iterable):
        return [item for s in source for item in _items(s)]
    raise TypeError(
        f"source: found {type(source).__name__}; expected source ids, a frame with a "
        "source_id column, a reader's result, a file path or a sentence"
    )


def _short(records: pd.DataFrame) -> list[str]:
    """One short label per publisher (its years), in the order given."""
    out: dict[str, list[str]] = {}
    for r in records.itertuples():
        who = (r.author or r.publisher).strip()
        years = out.setdefault(who, [])
        year = str(r.date)[:4]
        if year and year not in years:
            years.append(year)
    return [f"{who} ({', '.join(sorted(years))})" if years else who for who, years in out.items()]


def source_text(source: Any) -> str:
    """The caption line naming ``source`` ("" when it names nothing).

    ``source``: a frame (its ``source_id`` column; ids joined by "; " are split), a source id, a
    reader's result (``.path``), a file path, a sentence, or a list of these (``None`` entries are
    skipped). Order: UN documents by symbol ("UN documents A/70/729, A/72/751"), then other
    primary sources (UN data files and pages, government reports, sentences) in the order given,
    then secondary sources after "Secondary:". ``KeyError`` for an id not in ``sources.csv``.

    Example: ``source_text(pko.load("allegations"))``
    """
    from pkoresearch.data import sources

    items = _items(source)
    ids = list(dict.fromkeys(v for k, v in items if k == "id"))
    bib = (
        sources.bibliography(ids)
        if ids
        else pd.DataFrame(columns=["source_id", "primary", "document_symbol"])
    )
    cat = sources.catalogue().set_index("source_id")
    symbols = list(dict.fromkeys(s for s in bib["document_symbol"] if s))
    primary, secondary = [], []
    if symbols:
        primary.append(
            ("UN document " if len(symbols) == 1 else "UN documents ") + ", ".join(symbols)
        )
    for kind, value in items:
        if kind == "text":
            primary.append(value.rstrip("."))
        elif kind == "file":
            label = file_label(*value)
            (primary if _file_is_primary(value[0]) else secondary).append(label)
    rest = bib[bib["document_symbol"] == ""]
    for is_primary, target in ((True, primary), (False, secondary)):
        chosen = rest[rest["primary"] == is_primary]["source_id"]
        target.extend(_short(cat.loc[list(chosen)].reset_index()))
    primary = list(dict.fromkeys(primary))
    secondary = list(dict.fromkeys(secondary))
    parts = []
    if primary:
        parts.append(("Source: " if len(primary) == 1 else "Sources: ") + "; ".join(primary) + ".")
    if secondary:
        head = "Secondary: " if primary else "Source (secondary): "
        parts.append(head + "; ".join(secondary) + ".")
    return " ".join(parts)


def _list_text(values: Any, all_text: str, capital: bool = False) -> str | None:
    if values is None:
        return all_text
    if isinstance(values, str):
        values = [values]
    values = [str(v).replace("_", " ") for v in values]
    if not values:
        return None
    return ", ".join(values[:-1]) + (" and " if len(values) > 1 else "") + values[-1]


def selection(
    missions: Any = None,
    categories: Any = None,
    contributors: Any = None,
    years: tuple[int, int] | None = None,
    all_missions: str | None = "all missions",
    all_categories: str | None = None,
    all_contributors: str | None = None,
) -> str:
    """The selection a figure or table shows, in words, for its title: missions, personnel
    categories, contributors, years; a part left at None says "all missions" (or the ``all_*``
    text; None leaves it out). Figures of a sweep then differ in their titles.

    >>> selection(["MINUSCA"], ["military", "police"], years=(2015, 2021))
    'MINUSCA; military and police personnel; 2015-2021'
    >>> selection(years=(2010, 2010))
    'all missions; 2010'
    """
    parts = [
        _list_text(missions, all_missions) if missions is not None or all_missions else None,
        (
            (_list_text(categories, all_categories) or "") + " personnel"
            if categories is not None
            else all_categories
        ),
        _list_text(contributors, all_contributors)
        if contributors is not None or all_contributors
        else None,
    ]
    if years is not None:
        first, last = int(years[0]), int(years[1])
        parts.append(str(first) if first == last else f"{first}-{last}")
    return "; ".join(p for p in parts if p)
