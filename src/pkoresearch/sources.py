"""The source catalogue (data/sources.csv) and citations.

>>> import pkoresearch as pko
>>> pko.sources.cite("tip2011-seed")[:31]
'US Department of State (2011). '
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from . import paths
from .errors import DataError, DataFileNotFound, Problem

COLUMNS = ["source_id", "title", "publisher", "date", "document_symbol", "url"]


@lru_cache(maxsize=4)
def _read(path: str) -> pd.DataFrame:
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise DataFileNotFound(f"{p}: no such file; expected the source catalogue sources.csv")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError([Problem(str(p), 1, c, "no such column", f"the columns {COLUMNS}")
                         for c in missing])
    dup = df.index[df["source_id"].duplicated(keep=False)]
    if len(dup):
        raise DataError([Problem(str(p), int(i) + 2, "source_id", repr(df.at[i, "source_id"]),
                                 "a source_id used once") for i in dup])
    return df[COLUMNS]


def catalogue() -> pd.DataFrame:
    """Every source: ``source_id, title, publisher, date, document_symbol, url``."""
    return _read(str(paths.data_dir() / "sources.csv")).copy()


def get(source_id: str) -> dict[str, str]:
    """One catalogue entry as a dict; ``KeyError`` naming the id if it is not in the catalogue."""
    cat = catalogue()
    hit = cat[cat["source_id"] == source_id]
    if hit.empty:
        raise KeyError(f"source_id {source_id!r} is not in sources.csv")
    return hit.iloc[0].to_dict()


def cite(source_id: str) -> str:
    """A one-line citation: ``Publisher (date). Title. Symbol. URL``.

    Example: ``pko.sources.cite("tip2011-seed")``
    """
    s = get(source_id)
    parts = [f"{s['publisher']} ({s['date'] or 'n.d.'})."]
    parts.append(s["title"].rstrip(".") + ".")
    if s["document_symbol"] and s["document_symbol"] not in s["title"]:
        parts.append(f"UN document {s['document_symbol']}.")
    if s["url"] and s["url"] not in s["title"]:
        parts.append(s["url"])
    return " ".join(parts)


def of(frame: pd.DataFrame) -> pd.DataFrame:
    """The catalogue entries of the sources a frame's rows cite, with the number of rows each.

    Example: ``pko.sources.of(pko.load("followups"))``
    """
    if "source_id" not in frame.columns:
        raise DataError(Problem(str(frame.attrs.get("file", "<frame>")), None, "source_id",
                                "no source_id column", "a frame loaded by pkoresearch.load"))
    counts = frame["source_id"].astype(str).value_counts().rename("rows")
    out = catalogue().merge(counts, left_on="source_id", right_index=True, how="inner")
    out["citation"] = out["source_id"].map(cite)
    return out.sort_values(["rows", "source_id"], ascending=[False, True]).reset_index(drop=True)
