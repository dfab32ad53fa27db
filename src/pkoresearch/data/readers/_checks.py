"""Checks the readers share: what a file is before it is opened, how its text reads, repeated keys,
aggregate rows and spellings of one name (unified, and the warning that says so)."""

from __future__ import annotations

import csv
import os
import re
import stat
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pkoresearch.errors import (
    DataError,
    DataFileNotFound,
    NameVariantWarning,
    Problem,
    SchemaMismatch,
)

# the first bytes of files that are often saved or renamed as .csv by mistake
MAGIC = [
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one): save the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an Office compound file (an old .xls workbook)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"{\\rtf", "an RTF document"),
]
BOMS = [
    (b"\xff\xfe\x00\x00", "UTF-32 text (little-endian byte-order mark)"),
    (b"\x00\x00\xfe\xff", "UTF-32 text (big-endian byte-order mark)"),
    (b"\xff\xfe", "UTF-16 text (little-endian byte-order mark)"),
    (b"\xfe\xff", "UTF-16 text (big-endian byte-order mark)"),
]
UTF8 = "utf-8-sig"  # a UTF-8 byte-order mark (Excel's "CSV UTF-8") is read and dropped


def check_file(path: str | os.PathLike[str], expected: str) -> Path:
    """Refuse, before opening it, what is not a non-empty regular file: a missing path
    (:class:`DataFileNotFound`), a folder, a FIFO, a socket or a device (:class:`DataError`:
    reading a FIFO would wait for a writer forever) and an empty file (:class:`SchemaMismatch`).
    ``stat`` follows symbolic links, so a link to a regular file is accepted."""
    if "\x00" in os.fspath(path):  # os.stat would raise a bare ValueError
        raise DataError(
            Problem(
                ascii(os.fspath(path)),
                None,
                None,
                "a path holding a NUL byte (\\x00), which no file name can hold",
                expected,
            )
        )
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataFileNotFound(f"{path}: no such file; expected {expected}") from None
    except OSError as exc:
        raise DataError(
            Problem(
                str(path), None, None, f"a path that cannot be examined ({exc.strerror})", expected
            )
        ) from None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(st.st_mode)
            else "a FIFO (named pipe), which is not read: it could wait for a writer forever"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
        )
        raise DataError(Problem(str(path), None, None, kind, f"a regular file: {expected}"))
    if st.st_size == 0:
        raise SchemaMismatch(Problem(str(path), None, None, "an empty file", expected))
    return path


def check_text(path: Path, expected: str) -> None:
    """Refuse a file whose first bytes show it is not UTF-8 text: a workbook, an image, a PDF,
    an archive, UTF-16/UTF-32 text, or NUL bytes (binary data or UTF-16 without a mark)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for magic, kind in MAGIC:
        if head.startswith(magic):
            raise DataError(Problem(str(path), None, None, kind, f"CSV text: {expected}"))
    for bom, kind in BOMS:
        if head.startswith(bom):
            raise DataError(
                Problem(
                    str(path),
                    None,
                    None,
                    kind,
                    f"UTF-8 text (save the file as CSV UTF-8): {expected}",
                )
            )
    if b"\x00" in head:
        where = head.index(b"\x00")
        raise DataError(
            Problem(
                str(path),
                head[:where].count(b"\n") + 1,
                None,
                f"a NUL byte at byte {where} (binary data, or UTF-16 text "
                "without a byte-order mark)",
                f"UTF-8 CSV text: {expected}",
            )
        )


class _BadBytes(Exception):
    def __init__(self, line: int, raw: bytes, exc: UnicodeDecodeError):
        self.line, self.raw, self.exc = line, raw, exc


def _decoded_lines(fh) -> Iterator[str]:
    """The file's lines decoded as UTF-8, raising :class:`_BadBytes` with the physical line."""
    for n, raw in enumerate(fh, start=1):
        try:
            yield raw.decode(UTF8 if n == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _BadBytes(n, raw, exc) from None


def _guess(raw: bytes, start: int) -> str:
    """What non-UTF-8 bytes probably are: the text around them read as Windows-1252 (Latin-1)."""
    around = raw[max(0, start - 15) : start + 15]
    text = around.decode("cp1252", "replace").strip()
    return f" (read as Windows-1252/Latin-1: ...{text}...)"


def scan_csv(path: Path, expected: str) -> tuple[list[str], int]:
    """Read the file once as CSV text, record by record, without keeping it: return the header's
    fields and the number of data records. Raises :class:`DataError` naming the row (record number,
    header = 1) and, where it can, the column of: bytes that are not UTF-8 (Latin-1, ...), a record
    the csv module cannot split, a header split by semicolons or tabs, rows with more or fewer
    fields than the header (blank lines included), and the header repeated inside the file (two exports
    pasted together)."""
    where = str(path)
    problems: list[Problem] = []
    header: list[str] = []
    records = 0
    with open(path, "rb") as fh:
        reader = csv.reader(_decoded_lines(fh))
        try:
            for fields in reader:
                records += 1
                if records == 1:
                    header = [f.strip() for f in fields]
                    if not any(header):
                        raise SchemaMismatch(
                            Problem(where, 1, None, "an empty first line", f"a header: {expected}")
                        )
                    if len(header) == 1:
                        for sep, name in ((";", "semicolons"), ("\t", "tabs")):
                            if sep in header[0]:
                                raise DataError(
                                    Problem(
                                        where,
                                        1,
                                        None,
                                        f"a header whose fields are separated by "
                                        f"{name} ({header[0][:80]!r})",
                                        f"a comma-separated file: {expected}",
                                    )
                                )
                    continue
                if len(fields) != len(header):
                    problems.append(
                        Problem(
                            where,
                            records,
                            None,
                            "an empty line"
                            if not fields
                            else f"a row with {len(fields)} of {len(header)} fields",
                            "a value (possibly empty) for every column of the header",
                        )
                    )
                elif len(header) > 1 and [f.strip() for f in fields] == header:
                    problems.append(
                        Problem(
                            where,
                            records,
                            None,
                            "the header again",
                            "one header, on row 1 (two files pasted together?)",
                        )
                    )
                if len(problems) > 1000:
                    break
        except _BadBytes as bad:
            start = bad.exc.start
            prefix = bad.raw[:start].decode("utf-8", "replace")
            column = None
            if reader.line_num == bad.line - 1 and header:  # the record starts on this line
                n = len(next(csv.reader([prefix]), [""]))
                column = header[n - 1] if 0 < n <= len(header) else None
            problems.append(
                Problem(
                    where,
                    records + 1,
                    column,
                    f"bytes that are not UTF-8 text: {bad.raw[start : start + 4]!r} at byte {start} of "
                    f"line {bad.line}{_guess(bad.raw, start)}",
                    f"a UTF-8 CSV file (save it as CSV UTF-8): {expected}",
                )
            )
        except csv.Error as exc:
            problems.append(
                Problem(
                    where,
                    records + 1,
                    None,
                    f"a record the CSV parser cannot split ({exc})",
                    f"a comma-separated file: {expected}",
                )
            )
    if problems:
        raise DataError(
            problems, f"{len(problems)} row(s) of {where} cannot be read as the expected CSV table"
        )
    if not header:
        raise SchemaMismatch(Problem(where, None, None, "no header", expected))
    return header, records - 1


def iter_csv_text(
    path: str | os.PathLike[str],
    expected: str,
    usecols: Sequence[str] | None = None,
    required: Sequence[str] | None = None,
    chunksize: int | None = None,
    what: str = "the expected table",
):
    """Yield a CSV file's rows as text cells, in chunks of ``chunksize`` rows (all at once when
    None): every cell a string ("" for an empty cell), indexed by the row number counting the
    header as row 1 (the file's line number where no cell spans lines; blank lines count).

    The path is examined before it is opened (:func:`check_file`: no FIFO, folder or empty file),
    then its first bytes (:func:`check_text`: no workbook, image or UTF-16), then every record
    (:func:`scan_csv`), before pandas reads it. ``required`` columns must be in the header
    (:class:`SchemaMismatch` naming each one missing); ``usecols`` (names as in the header, spaces
    stripped) reads only those columns. Raises :class:`SchemaMismatch` or :class:`DataError` naming
    the file and row.
    """
    path = check_file(path, expected)
    check_text(path, expected)
    header, n = scan_csv(path, expected)
    where = str(path)
    missing = [c for c in (required or []) if c not in header]
    if missing:
        raise SchemaMismatch(
            [
                Problem(
                    where, 1, c, "no such column in the header", f"the columns {list(required)}"
                )
                for c in missing
            ],
            f"{path} is missing {len(missing)} column(s) of {what}",
        )
    cols = None
    if usecols is not None:
        wanted = set(usecols)
        cols = [i for i, h in enumerate(header) if h in wanted]
    try:
        reader = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            skip_blank_lines=False,
            encoding=UTF8,
            usecols=cols,
            chunksize=chunksize or max(n, 1),
        )
        first, seen = 2, 0
        with reader:
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                chunk.index = pd.RangeIndex(first, first + len(chunk), name="source_row")
                first += len(chunk)
                seen += len(chunk)
                yield chunk
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(
            Problem(
                where,
                None,
                None,
                f"a file the CSV parser cannot split ({exc})",
                f"a comma-separated file with as many fields per row as its header: {expected}",
            )
        ) from None
    if seen != n:
        raise DataError(
            Problem(
                where,
                None,
                None,
                f"{seen} rows read by pandas but {n} "
                "records read by the csv module (quoting they read differently)",
                f"a plain comma-separated file: {expected}",
            )
        )


def read_csv_text(
    path: str | os.PathLike[str], expected: str, usecols: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read a whole CSV file as text cells (see :func:`iter_csv_text`, which this reads in one
    piece): every cell a string, the index the row number counting the header as row 1."""
    parts = list(iter_csv_text(path, expected, usecols=usecols))
    if not parts:
        raise SchemaMismatch(Problem(str(path), None, None, "no header", expected))
    return parts[0] if len(parts) == 1 else pd.concat(parts)


def csv_header(path: Path, expected: str) -> set[str]:
    """The column names of a CSV file, stripped and in lower case, to tell its layout; a file
    that cannot be read as CSV is a :class:`SchemaMismatch` naming ``expected``."""
    try:
        return {
            str(c).strip().lower() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        }
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        raise SchemaMismatch(
            Problem(str(path), None, None, "a file that is not a readable CSV", expected)
        ) from None


def release_free_memory() -> None:
    """Hand memory freed by the C allocator back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). A reader that builds its tables from many chunks frees the chunks' arrays in the
    middle of the heap, where glibc keeps them as the process's memory until trimmed; Dask's
    workers do the same for the same reason."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes
            import ctypes.util

            _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def _shown(value: object, date_format: str) -> str:
    return value.strftime(date_format) if isinstance(value, pd.Timestamp) else str(value)


def refuse_repeated_keys(
    frame: pd.DataFrame,
    key: Sequence[str],
    path: str | os.PathLike[str],
    columns: str,
    expected: str,
    found: str = "a second row for",
    date_format: str = "%Y-%m",
) -> None:
    """Raise :class:`DataError` naming every row whose ``key`` another row repeats (rows are
    numbered by ``frame``'s index, the file's own row numbers): two rows for one key cannot both
    be counted, and neither can be chosen."""
    clash = frame.duplicated(list(key), keep=False)
    if clash.any():
        raise DataError(
            [
                Problem(
                    str(path),
                    int(r),
                    columns,
                    f"{found} " + ", ".join(_shown(frame.at[r, k], date_format) for k in key),
                    expected,
                )
                for r in frame.index[clash]
            ]
        )


# --------------------------------------------------------------------------------------------------
# checks on whole numbers

MAX_PERSONS = 1_000_000  # more uniformed personnel than UN peacekeeping has ever had at once
_WHOLE = re.compile(r"\s*\+?\d+(?:\.0*)?\s*")


def whole_numbers(
    raw: pd.Series,
    path: str | os.PathLike[str],
    column: str,
    problems: list[Problem],
    maximum: int = MAX_PERSONS,
    unit: str = "persons",
    quote: bool = True,
) -> pd.Series:
    """Parse text cells as whole numbers from 0 to ``maximum`` (int64, 0 where refused). Each
    refused cell (empty, not a number, negative, a fraction, ``inf``/``nan``, or a number too large
    to be a count, which would otherwise overflow to a negative) adds a :class:`Problem`."""
    text = raw.astype(str)
    ok = text.str.fullmatch(_WHOLE.pattern)
    num = pd.to_numeric(text.where(ok, "0"), errors="coerce").fillna(0)
    bad = ~ok | (num > maximum)
    for r in raw.index[bad]:
        v = raw.at[r]
        shown = repr(v) if quote or v.strip() == "" else v.strip()
        problems.append(
            Problem(
                str(path),
                int(r),
                column,
                shown if not ok[r] else f"{v.strip()} (more than {maximum:,})",
                f"a whole number of {unit} from 0 to {maximum:,}",
            )
        )
    return num.where(~bad, 0).astype("int64")


# --------------------------------------------------------------------------------------------------
# aggregate rows and spellings of one name

# labels of rows that sum others: matched after the name is normalised (case, accents,
# punctuation and spaces ignored), so "Total:", "TOTAL", "Grand total", "Sum", "Sub-total" match
AGGREGATE_LABELS = {
    "all",
    "total",
    "totals",
    "grandtotal",
    "subtotal",
    "sum",
    "overall",
    "allmissions",
    "allcontributors",
    "allcountries",
    "totalall",
    "alltotal",
    "totaluniformed",
    "totalpersonnel",
}


STRAY = re.compile(r"^[\s'\"`\u2018\u2019\u201c\u201d*:;,]+|[\s'\"`\u2018\u2019\u201c\u201d*:;,]+$")


def name_key(name: str) -> str:
    """The key two spellings of one name share: accents removed, case folded, everything that is
    not a letter or digit dropped ("BANGLADESH", "Bangladesh'" -> "bangladesh"; "Côte d'Ivoire"
    -> "cotedivoire")."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _categorical(names: pd.Series) -> pd.Series:
    return names if isinstance(names.dtype, pd.CategoricalDtype) else names.astype("category")


def is_aggregate(names: pd.Series) -> pd.Series:
    """True where a name labels a row summing others ("Total", "Total:", "GRAND TOTAL", "Sum",
    "All missions", ...), whatever its case, spacing and punctuation."""
    cat = _categorical(names)
    flags = np.array([name_key(v) in AGGREGATE_LABELS for v in cat.cat.categories] + [False])
    return pd.Series(flags[cat.cat.codes.to_numpy()], index=names.index)


def unify_spellings(
    names: pd.Series, path: str | os.PathLike[str], column: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Give every spelling of one name (same :func:`name_key`) the file's most frequent spelling
    (ties: a mixed-case one, then the first in sorted order), and strip stray quotes and
    punctuation around a name
    ("Bangladesh'" -> "Bangladesh"). Returns the unified names (a categorical if given one) and a
    table of what changed: ``column, found, used, rows, first_row`` (empty when nothing did)."""
    empty = pd.DataFrame(columns=["column", "found", "used", "rows", "first_row"])
    cat = _categorical(names)
    cats = list(cat.cat.categories)
    codes = cat.cat.codes.to_numpy()
    freq = np.bincount(codes[codes >= 0], minlength=len(cats))
    by_key: dict[str, list[tuple[str, int]]] = {}
    for spelling, n in zip(cats, freq):
        if n:
            by_key.setdefault(name_key(spelling), []).append((str(spelling), int(n)))
    mapping: dict[str, str] = {}
    for key, spellings in by_key.items():
        if not key:
            continue
        # the most frequent; on a tie a mixed-case spelling, then the first in sorted order
        best = sorted(spellings, key=lambda s: (-s[1], s[0].isupper() or s[0].islower(), s[0]))[0][
            0
        ]
        clean = STRAY.sub("", best)
        if clean and name_key(clean) == key:
            best = clean
        for spelling, _ in spellings:
            if spelling != best:
                mapping[spelling] = best
    if not mapping:
        return names, empty
    new_cats = sorted({mapping.get(c, c) for c in cats})
    pos = {c: i for i, c in enumerate(new_cats)}
    lookup = np.array([pos[mapping.get(c, c)] for c in cats] + [-1])
    unified = pd.Categorical.from_codes(lookup[codes], categories=new_cats)
    changed_codes = [i for i, c in enumerate(cats) if c in mapping]
    changed = np.isin(codes, changed_codes)
    found = pd.Series(np.asarray(cats, dtype=object)[codes[changed]], dtype=object)
    rows = (
        pd.DataFrame({"found": found, "row": names.index[changed]})
        .groupby("found", sort=True)["row"]
        .agg(rows="size", first_row="min")
        .reset_index()
    )
    rows.insert(0, "column", column)
    rows.insert(2, "used", rows["found"].map(mapping))
    out = pd.Series(unified, index=names.index, name=names.name)
    if not isinstance(names.dtype, pd.CategoricalDtype):
        out = out.astype(names.dtype)
    return out, rows


def warn_name_variants(
    changes: Sequence[pd.DataFrame],
    path: str | os.PathLike[str],
    per: str = "row",
    see: str = "",
    stacklevel: int = 2,
) -> tuple[pd.DataFrame, int]:
    """Join the tables of what :func:`unify_spellings` changed in each column and, when anything
    did, warn with :class:`~pkoresearch.errors.NameVariantWarning` naming the file, each column,
    the spelling found and the one used, up to ten of them (with ``per="row"`` how many rows and
    the first row; with ``per="name"``, for names that are not one a row, how many times).
    ``see`` names where the caller keeps the whole table (e.g. ``".name_variants"``);
    ``stacklevel`` is the caller's, as for :func:`warnings.warn`. Returns the joined table
    (``column, found, used, rows, first_row``; empty when nothing changed) and the number of
    rows (or names) counted under another spelling."""
    if per not in ("row", "name"):
        raise ValueError(f"per: found {per!r}; expected 'row' or 'name'")
    found = [c for c in changes if len(c)]
    if not found:
        return pd.DataFrame(columns=["column", "found", "used", "rows", "first_row"]), 0
    variants = pd.concat(found, ignore_index=True)
    n = int(variants["rows"].sum())
    shown = "; ".join(
        f"{r.column} {r.found!r} -> {r.used!r} "
        + (f"({r.rows} row(s), first row {r.first_row})" if per == "row" else f"({r.rows} time(s))")
        for r in variants.head(10).itertuples()
    )
    head = (
        f"{n} row(s) spell a name another way"
        if per == "row"
        else f"{n} name(s) spelled another way"
    )
    where = f" (see {see})" if see else ""
    warnings.warn(
        NameVariantWarning(
            f"{path}: {head} (case, accents, punctuation or spaces); counted under one "
            f"spelling{where}: {shown}"
        ),
        stacklevel=stacklevel + 1,
    )
    return variants, n
