"""The schema of a bundled table: its columns (:class:`Column`), the table (:class:`DatasetSpec`),
the source catalogue's own spec, and the checked reading of a CSV against a spec (types, ranges,
patterns, keys: pandera and Frictionless Table Schema). Below both :mod:`curated` (the tables)
and :mod:`sources` (the catalogue), which import it; it imports neither."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pkoresearch import paths
from pkoresearch.errors import DataError, DataFileNotFound, Problem, SchemaMismatch

# What a source record is (sources.csv `type` and `via_type`). The first four are official
# publications (primary sources); the others are secondary.
SOURCE_TYPES = [
    "un_document",
    "un_data",
    "un_news",
    "government_report",
    "academic",
    "ngo_report",
    "press_agency",
    "newspaper",
    "web_mirror",
]


PRIMARY_TYPES = SOURCE_TYPES[:4]


DATE_PATTERN = r"\d{4}(-\d{2}(-\d{2})?)?"


URL_PATTERN = r"https?://\S+"


ODS_PREFIX = "https://docs.un.org/en/"  # UN Official Documents System; + symbol without spaces


@dataclass(frozen=True)
class Column:
    """One column of a curated table: its type and what values it accepts."""

    name: str
    kind: str  # "int", "float", "str", "category", "bool"
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] | None = None
    description: str = ""
    pattern: str | None = None  # a regular expression the whole value must match


@dataclass(frozen=True)
class DatasetSpec:
    """A curated table: file, columns, unique key, and how its revisions are ranked."""

    name: str
    file: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    year_column: str | None = "year"
    # Columns that identify one figure; rows sharing them but not the source are revisions.
    figure: tuple[str, ...] = ()
    # Source title patterns ranked first (most preferred first) when confidences tie.
    source_priority: tuple[str, ...] = ()
    checks: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


SOURCES_SPEC = DatasetSpec(
    "sources",
    "sources.csv",
    "The source catalogue: one record per cited document, primary document first, with the page "
    "the figure was read on",
    (
        Column(
            "source_id",
            "str",
            pattern=r"[a-z0-9][a-z0-9-]*",
            description="key used by the tables' source_id column",
        ),
        Column(
            "type",
            "category",
            categories=tuple(SOURCE_TYPES),
            description="what the cited document is; un_document, un_data, un_news and "
            "government_report are official (primary) publications",
        ),
        Column("title", "str", description="title; in [brackets] where supplied by us"),
        Column("author", "str", nullable=True, description="author or issuing body"),
        Column("publisher", "str", description="publisher of the cited document"),
        Column(
            "date",
            "str",
            nullable=True,
            pattern=DATE_PATTERN,
            description="date of the cited document (YYYY, YYYY-MM or YYYY-MM-DD)",
        ),
        Column(
            "document_symbol",
            "str",
            nullable=True,
            description="UN document symbol (e.g. A/73/744)",
        ),
        Column(
            "official_url",
            "str",
            nullable=True,
            pattern=re.escape(ODS_PREFIX) + r"\S+",
            description="address of the symbol in the UN Official Documents System",
        ),
        Column(
            "url",
            "str",
            nullable=True,
            pattern=URL_PATTERN,
            description="address of the cited document when it has no UN symbol",
        ),
        Column(
            "via_type",
            "category",
            nullable=True,
            categories=tuple(SOURCE_TYPES),
            description="what the page the figure was read on is",
        ),
        Column(
            "via_publisher",
            "str",
            nullable=True,
            description="publisher of the page the figure was read on",
        ),
        Column(
            "via_url",
            "str",
            nullable=True,
            pattern=URL_PATTERN,
            description="address of the page the figure was read on",
        ),
        Column(
            "via_date", "str", nullable=True, pattern=DATE_PATTERN, description="date of that page"
        ),
        Column(
            "accessed",
            "str",
            nullable=True,
            pattern=DATE_PATTERN,
            description="date the page was read; blank where not recorded",
        ),
        Column("licence", "str", description="terms of use of the cited document or data"),
        Column("note", "str", nullable=True, description="what else a reader must know"),
    ),
    key=("source_id",),
    year_column=None,
)


def _display(path: Path) -> str:
    root = paths.project_root()
    try:
        return str(path.relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


def _read_raw(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    from pkoresearch.data.readers._checks import check_file, check_text, scan_csv

    if not path.exists():
        raise DataFileNotFound(
            f"{path}: no such file; expected the {spec.name!r} table ({spec.file}) in {path.parent}"
        )
    # what the file is, before pandas opens it: no FIFO (it would hang), no workbook, image or
    # UTF-16 bytes, every record as wide as the header, no Latin-1 bytes (row and column named)
    expected = f"a header with columns {spec.column_names}"
    check_file(path, expected)
    check_text(path, expected)
    scan_csv(path, expected)
    try:
        raw = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise SchemaMismatch(
            Problem(
                _display(path),
                None,
                None,
                "an empty file",
                f"a header with columns {spec.column_names}",
            )
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            Problem(
                _display(path),
                None,
                None,
                f"unreadable CSV ({exc})",
                "a UTF-8 comma-separated file",
            )
        ) from None
    return raw


def _check_columns(raw: pd.DataFrame, spec: DatasetSpec, shown: str) -> None:
    problems = []
    cols = list(raw.columns)
    for c in spec.column_names:
        if c not in cols:
            problems.append(
                Problem(
                    shown, 1, c, "no such column in the header", f"the columns {spec.column_names}"
                )
            )
    for c in cols:
        if c not in spec.column_names:
            problems.append(
                Problem(shown, 1, c, "an extra column", f"only the columns {spec.column_names}")
            )
    if problems:
        raise SchemaMismatch(
            problems, f"the columns of {shown} do not match the {spec.name!r} schema"
        )


def _convert(raw: pd.DataFrame, spec: DatasetSpec, shown: str) -> pd.DataFrame:
    """Type every column, collecting a Problem for each cell that cannot be typed."""
    problems: list[Problem] = []
    out = {}
    line = raw.index.to_numpy() + 2  # header is line 1
    for col in spec.columns:
        s = raw[col.name].str.strip()
        empty = s.eq("")
        if not col.nullable:
            for i in s.index[empty]:
                problems.append(
                    Problem(
                        shown,
                        int(line[i]),
                        col.name,
                        "an empty cell",
                        "a value (this column may not be blank)",
                    )
                )
        if col.kind in ("int", "float"):
            num = pd.to_numeric(s.where(~empty), errors="coerce").astype("float64")
            # "inf", "nan", "1e400" parse as numbers pandas accepts; a count is finite, and a
            # whole number beyond 2**53 cannot be held exactly (it would wrap or round)
            text_nan = s.str.lower().str.strip("+-").isin(["nan", "inf", "infinity"])
            bad = ~empty & (num.isna() | ~np.isfinite(num.fillna(0)) | (num.abs() > 2**53))
            for i in s.index[bad]:
                problems.append(
                    Problem(
                        shown,
                        int(line[i]),
                        col.name,
                        f"{s[i]!r}",
                        "a finite number (not inf or nan)"
                        if text_nan[i] or (not pd.isna(num[i]) and not np.isfinite(num[i]))
                        else "a number below 2**53 (9,007,199,254,740,992)"
                        if not pd.isna(num[i])
                        else "a number",
                    )
                )
            num = num.where(~bad)
            if col.kind == "int":
                frac = num.notna() & (num % 1 != 0)
                for i in s.index[frac]:
                    problems.append(
                        Problem(shown, int(line[i]), col.name, f"{s[i]!r}", "a whole number")
                    )
                num = num.where(~frac)
                out[col.name] = num.round().astype("Int64")
            else:
                out[col.name] = num.astype("Float64")
        elif col.kind == "category":
            out[col.name] = s.where(~empty)
        else:
            out[col.name] = s.where(~empty).astype("string")
    if problems:
        raise DataError(
            problems,
            f"{len(problems)} cell(s) of {shown} cannot be read as the "
            f"{spec.name!r} schema expects",
        )
    return pd.DataFrame(out, index=raw.index)


def pandera_schema(spec: DatasetSpec):
    """The pandera schema of a dataset: types, ranges, allowed categories and the unique key."""
    import pandera.pandas as pa

    cols = {}
    for col in spec.columns:
        checks = []
        if col.min is not None:
            checks.append(pa.Check.ge(col.min))
        if col.max is not None:
            checks.append(pa.Check.le(col.max))
        if col.categories is not None:
            checks.append(pa.Check.isin(list(col.categories)))
        if col.pattern is not None:
            checks.append(pa.Check.str_matches(f"^(?:{col.pattern})$"))
        dtype = {"int": "Int64", "float": "Float64", "str": "string", "category": None}[col.kind]
        cols[col.name] = pa.Column(
            dtype, checks=checks, nullable=col.nullable, description=col.description or None
        )
    frame_checks = []
    if "women_le_total" in spec.checks:
        frame_checks.append(
            pa.Check(
                lambda d: d["women"] <= d["personnel_total"],
                name="women <= personnel_total",
                element_wise=False,
            )
        )
    if "share_le_100" in spec.checks:
        frame_checks.append(
            pa.Check(
                lambda d: ~((d["measure"] == "women_share_pct") & (d["value"] > 100)),
                name="women_share_pct <= 100",
            )
        )
    return pa.DataFrameSchema(
        cols,
        checks=frame_checks,
        unique=list(spec.key),
        report_duplicates="all",
        strict=True,
        ordered=False,
    )


def _expected_text(check: str, spec: DatasetSpec, column: str | None) -> str:
    col = next((c for c in spec.columns if c.name == column), None)
    if check.startswith("isin") and col is not None and col.categories:
        return f"one of {list(col.categories)}"
    m = re.match(r"greater_than_or_equal_to\((.*)\)", check)
    if m:
        return f"a value >= {m.group(1)}"
    m = re.match(r"less_than_or_equal_to\((.*)\)", check)
    if m:
        return f"a value <= {m.group(1)}"
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        return f"a unique combination of {list(spec.key)}"
    if check.startswith("str_matches") and col is not None and col.pattern:
        return f"a value matching {col.pattern!r}"
    return check


def _validate(df: pd.DataFrame, spec: DatasetSpec, shown: str) -> None:
    import pandera.errors as pe

    try:
        pandera_schema(spec).validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        fc = exc.failure_cases
        problems = []
        for _, r in fc.iterrows():
            idx = r.get("index")
            row = int(idx) + 2 if idx is not None and not pd.isna(idx) else None
            column = r.get("column")
            column = None if column is None or pd.isna(column) else str(column)
            check = str(r.get("check"))
            found = r.get("failure_case")
            if check in ("field_uniqueness", "multiple_fields_uniqueness") and row is not None:
                key = {k: df.loc[int(idx), k] for k in spec.key}
                found = f"a duplicate key {key}"
                column = ", ".join(spec.key)
            elif column is None and row is not None and spec.checks:
                found = f"a row failing {check}"
            else:
                found = repr(found)
            problems.append(Problem(shown, row, column, found, _expected_text(check, spec, column)))
        # pandera reports a duplicate key once per key column: one problem per row is enough
        problems = sorted(set(problems), key=lambda p: (p.row or 0, p.column or "", p.found))
        raise DataError(
            problems, f"{len(problems)} value(s) in {shown} break the {spec.name!r} schema"
        ) from None


def _digest(file: Path) -> str | None:
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError:  # no such file, a folder, a FIFO...: the full read below says what it is
        return None
