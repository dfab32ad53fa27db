"""Checks the readers share."""

from __future__ import annotations

import csv
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


def read_csv_text(path: str | os.PathLike[str], expected: str) -> pd.DataFrame:
    """Read a CSV file as text cells, refusing what cannot be read as a table and listing rows
    that lack fields: every cell is a string ("" for an empty cell), and the index is the row
    number counting the header as row 1 (the file's line number where no cell spans lines; blank
    lines count and are reported as rows without fields).

    Raises :class:`SchemaMismatch` for an empty file, :class:`DataError` for a file that is not
    UTF-8 text, has rows with more fields than the header, or rows with fewer.
    """
    from ..errors import SchemaMismatch

    where = str(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[],
                         skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise SchemaMismatch(Problem(where, None, None, "an empty file", expected)) from None
    except UnicodeDecodeError as exc:
        raise DataError(Problem(where, None, None, f"bytes that are not UTF-8 text ({exc.reason} "
                                f"at byte {exc.start})", f"a UTF-8 CSV file: {expected}")) from None
    except pd.errors.ParserError as exc:
        raise DataError(Problem(where, None, None, f"a line the CSV parser cannot split ({exc})",
                                f"a comma-separated file with as many fields per row as its "
                                f"header: {expected}")) from None
    df.columns = [str(c).strip() for c in df.columns]
    df.index = pd.RangeIndex(2, 2 + len(df), name="source_row")
    # pandas fills the missing fields of a short row with empty strings: count fields per record
    with open(path, newline="", encoding="utf-8") as fh:
        fields = [len(record) for record in csv.reader(fh)]
    width = fields[0] if fields else 0
    short = [(row, n) for row, n in enumerate(fields[1:], start=2) if n != width]
    if short and len(fields) - 1 == len(df):
        raise DataError([Problem(where, row, None, "an empty line" if n == 0 else
                                 f"a row with {n} of {width} fields",
                                 "a value (possibly empty) for every column of the header")
                         for row, n in short],
                        f"{len(short)} row(s) of {where} lack fields")
    return df.fillna("")
