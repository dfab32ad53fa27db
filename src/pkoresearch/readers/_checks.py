"""Checks the readers share."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from ..errors import DataError, Problem


def _shown(value: object, date_format: str) -> str:
    return value.strftime(date_format) if isinstance(value, pd.Timestamp) else str(value)


def refuse_repeated_keys(frame: pd.DataFrame, key: Sequence[str], path: str | os.PathLike[str],
                         columns: str, expected: str, found: str = "a second row for",
                         date_format: str = "%Y-%m") -> None:
    """Raise :class:`DataError` naming every row whose ``key`` another row repeats (rows are
    numbered by ``frame``'s index, the file's own row numbers): two rows for one key cannot both
    be counted, and neither can be chosen."""
    clash = frame.duplicated(list(key), keep=False)
    if clash.any():
        raise DataError([Problem(str(path), int(r), columns,
                                 f"{found} " + ", ".join(_shown(frame.at[r, k], date_format)
                                                         for k in key), expected)
                         for r in frame.index[clash]])
