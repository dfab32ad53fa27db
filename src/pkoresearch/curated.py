"""Curated, sourced tables: their schemas, the loader, and the rule that picks one value among revisions.

>>> import pkoresearch as pko
>>> a = pko.load("allegations")
>>> int(a.query("year == 2010 and scope == 'peacekeeping' and measure == 'allegations_total'")["value"].iloc[0])
85
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataError, DataFileNotFound, Problem, SchemaMismatch, UnknownDataset

CONFIDENCE = ["high", "medium", "low"]
YEAR_MIN, YEAR_MAX = 1948, 2030  # first UN peacekeeping operation .. a little past the data

SCOPES = [
    "peacekeeping",
    "peacekeeping_and_spm",
    "special_political",
    "un_system_total",
    "un_system_non_peacekeeping",
    "un_system_non_peacekeeping_incl_ip",
    "implementing_partners",
    "non_un_forces",
    "all_reported_incl_ip",
    "all_reported_incl_non_un_forces",
]
PERSONNEL_CATEGORIES = [
    "all_uniformed",
    "military",
    "military_contingents",
    "staff_officers_experts",
    "police",
    "individual_police",
    "formed_police_units",
]
PROVENANCE = ["source_id", "locator", "confidence"]


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


def _year(name: str = "year", nullable: bool = False) -> Column:
    return Column(name, "int", nullable=nullable, min=YEAR_MIN, max=YEAR_MAX,
                  description="calendar year")


def _prov() -> tuple[Column, ...]:
    return (
        Column("source_id", "str", description="key into sources.csv"),
        Column("locator", "str", description="where in the source the figure stands"),
        Column("confidence", "category", categories=tuple(CONFIDENCE),
               description="high: publisher's own text or data; medium: secondary source quoting "
                           "the UN; low: weak or unconfirmed"),
    )


def _note() -> Column:
    return Column("note", "str", nullable=True, description="caveats, conflicts and revisions")


SPECS: dict[str, DatasetSpec] = {
    s.name: s
    for s in [
        DatasetSpec(
            "allegations",
            "allegations.csv",
            "SEA allegations and related figures by year and reporting scope (long format)",
            (
                _year(),
                Column("scope", "category", categories=tuple(SCOPES),
                       description="whose personnel the figure covers"),
                Column("measure", "str", description="what is counted; _pct percent, _approx "
                       "'about', _q1.._q4 quarterly, cum_* several years"),
                Column("value", "float", min=0, description="count (allegations, victims, "
                       "personnel) or percent, by measure"),
                *_prov(),
                _note(),
            ),
            key=("year", "scope", "measure", "source_id"),
            figure=("year", "scope", "measure"),
        ),
        DatasetSpec(
            "allegations_by_mission",
            "allegations_by_mission.csv",
            "SEA allegations by mission (2015 complete; other years partial)",
            (
                _year(),
                Column("mission", "str", description="mission acronym as in the source"),
                Column("scope", "category", categories=tuple(SCOPES)),
                Column("measure", "str"),
                Column("value", "float", min=0),
                *_prov(),
                _note(),
            ),
            key=("year", "mission", "measure", "source_id"),
            figure=("year", "mission", "measure"),
        ),
        DatasetSpec(
            "allegations_by_nationality",
            "allegations_by_nationality.csv",
            "Allegations by nationality of uniformed personnel (2015, from reports on A/70/729)",
            (
                Column("period", "str", description="year or period as stated by the source"),
                _year("year_start", nullable=True),
                _year("year_end", nullable=True),
                Column("country", "str"),
                Column("personnel_category", "str"),
                Column("count_type", "str", description="allegations, or what else is counted"),
                Column("value", "float", min=0),
                *_prov(),
                _note(),
            ),
            key=("period", "country", "count_type", "source_id"),
            year_column="year_start",
            figure=("period", "country", "count_type"),
        ),
        DatasetSpec(
            "followups",
            "followups.csv",
            "UN follow-ups to troop/police contributors, their responses, NIO appointment, "
            "repatriations",
            (
                Column("period", "str", description="year or period as stated by the source"),
                _year("year_start", nullable=True),
                _year("year_end", nullable=True),
                Column("measure", "str"),
                Column("value", "float", min=0),
                Column("denominator_note", "str", nullable=True,
                       description="what the figure counts, in the source's terms"),
                *_prov(),
                _note(),
            ),
            key=("period", "measure", "source_id"),
            year_column="year_start",
            figure=("period", "measure"),
        ),
        DatasetSpec(
            "organizations",
            "organizations.csv",
            "UN, NATO and OSCE personnel, missions and reported cases (State Department TIP "
            "reports 2009-2017)",
            (
                Column("organization", "category", categories=("UN", "NATO", "OSCE")),
                _year(nullable=True),
                Column("measure", "str"),
                Column("value", "float", min=0),
                *_prov(),
                _note(),
            ),
            key=("organization", "year", "measure", "source_id"),
            figure=("organization", "year", "measure"),
        ),
        DatasetSpec(
            "personnel",
            "personnel.csv",
            "Uniformed personnel and women by category, year-end or month given (1992-2025)",
            (
                _year(),
                Column("month", "int", nullable=True, min=1, max=12,
                       description="month of the figure; blank where the source gives none"),
                Column("category", "category", categories=tuple(PERSONNEL_CATEGORIES)),
                Column("measure", "category",
                       categories=("personnel_total", "women", "women_share_pct")),
                Column("value", "float", min=0, description="persons, or percent for "
                       "women_share_pct"),
                *_prov(),
                _note(),
            ),
            key=("year", "month", "category", "measure", "source_id"),
            figure=("year", "month", "category", "measure"),
            source_priority=("IPIDataLab/TCC-DataScraper", "owid/", "corinnee/"),
            checks=("share_le_100",),
        ),
        DatasetSpec(
            "personnel_by_country",
            "personnel_by_country.csv",
            "Uniformed personnel and women by contributing country and category "
            "(Dec 2009-Dec 2013, Jan 2021)",
            (
                _year(),
                Column("month", "int", min=1, max=12),
                Column("country", "str"),
                Column("iso3", "str"),
                Column("category", "category", categories=tuple(PERSONNEL_CATEGORIES)),
                Column("personnel_total", "int", min=0),
                Column("women", "int", min=0),
                *_prov(),
            ),
            key=("year", "month", "country", "category"),
            checks=("women_le_total",),
        ),
        DatasetSpec(
            "org_policies",
            "org_policies.csv",
            "What the UN, NATO and OSCE do against sexual exploitation and trafficking by their "
            "personnel, by topic (2011 State Department report, paraphrased)",
            (
                Column("organization", "category", categories=("UN", "NATO", "OSCE")),
                Column("topic", "category", categories=(
                    "personnel_and_missions", "code_of_conduct", "training", "victim_assistance",
                    "who_investigates", "reported_cases")),
                Column("summary", "str", description="the source's content in our own words"),
                *_prov(),
            ),
            key=("organization", "topic"),
            year_column=None,
        ),
        DatasetSpec(
            "parity_targets",
            "parity_targets.csv",
            "Targets for women's share of uniformed personnel (2009 Global Effort, resolution "
            "2242, Uniformed Gender Parity Strategy)",
            (
                _year(),
                Column("category", "category", categories=tuple(PERSONNEL_CATEGORIES)),
                Column("target_share_pct", "float", nullable=True, min=0, max=100,
                       description="percent; blank where the target is not a share"),
                *_prov(),
                _note(),
            ),
            key=("year", "category"),
        ),
    ]
}


# --------------------------------------------------------------------------------------------------
# reading and validating


def _display(path: Path) -> str:
    root = paths.project_root()
    try:
        return str(path.relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


def _read_raw(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileNotFound(
            f"{path}: no such file; expected the {spec.name!r} table ({spec.file}) "
            f"in {path.parent}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.EmptyDataError:
        raise SchemaMismatch(Problem(_display(path), None, None, "an empty file",
                                     f"a header with columns {spec.column_names}")) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(Problem(_display(path), None, None, f"unreadable CSV ({exc})",
                                "a UTF-8 comma-separated file")) from None
    return raw


def _check_columns(raw: pd.DataFrame, spec: DatasetSpec, shown: str) -> None:
    problems = []
    cols = list(raw.columns)
    for c in spec.column_names:
        if c not in cols:
            problems.append(Problem(shown, 1, c, "no such column in the header",
                                    f"the columns {spec.column_names}"))
    for c in cols:
        if c not in spec.column_names:
            problems.append(Problem(shown, 1, c, "an extra column",
                                    f"only the columns {spec.column_names}"))
    if problems:
        raise SchemaMismatch(problems, f"the columns of {shown} do not match the "
                                       f"{spec.name!r} schema")


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
                problems.append(Problem(shown, int(line[i]), col.name, "an empty cell",
                                        "a value (this column may not be blank)"))
        if col.kind in ("int", "float"):
            num = pd.to_numeric(s.where(~empty), errors="coerce")
            bad = ~empty & num.isna()
            for i in s.index[bad]:
                problems.append(Problem(shown, int(line[i]), col.name, f"{s[i]!r}",
                                        "a number"))
            if col.kind == "int":
                frac = num.notna() & (num % 1 != 0)
                for i in s.index[frac]:
                    problems.append(Problem(shown, int(line[i]), col.name, f"{s[i]!r}",
                                            "a whole number"))
                num = num.where(~frac)
                out[col.name] = num.round().astype("Int64")
            else:
                out[col.name] = num.astype("Float64")
        elif col.kind == "category":
            out[col.name] = s.where(~empty)
        else:
            out[col.name] = s.where(~empty).astype("string")
    if problems:
        raise DataError(problems, f"{len(problems)} cell(s) of {shown} cannot be read as the "
                                  f"{spec.name!r} schema expects")
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
        dtype = {"int": "Int64", "float": "Float64", "str": "string", "category": None}[col.kind]
        cols[col.name] = pa.Column(dtype, checks=checks, nullable=col.nullable,
                                   description=col.description or None)
    frame_checks = []
    if "women_le_total" in spec.checks:
        frame_checks.append(pa.Check(lambda d: d["women"] <= d["personnel_total"],
                                     name="women <= personnel_total", element_wise=False))
    if "share_le_100" in spec.checks:
        frame_checks.append(pa.Check(
            lambda d: ~((d["measure"] == "women_share_pct") & (d["value"] > 100)),
            name="women_share_pct <= 100"))
    return pa.DataFrameSchema(cols, checks=frame_checks, unique=list(spec.key),
                              report_duplicates="all", strict=True, ordered=False)


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
        raise DataError(problems, f"{len(problems)} value(s) in {shown} break the "
                                  f"{spec.name!r} schema") from None


def _finish_types(df: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    for col in spec.columns:
        if col.kind == "category":
            df[col.name] = pd.Categorical(df[col.name], categories=list(col.categories))
    return df


# --------------------------------------------------------------------------------------------------
# the preferred value among revisions

_UN_SESSION = re.compile(r"\bA/(\d{2})/")


def mark_preferred(df: pd.DataFrame, spec: DatasetSpec, titles: dict[str, str]) -> pd.Series:
    """Mark one row per figure as preferred when several sources give a value.

    Rule, applied in order until one row stands out:
    1. the higher confidence (high > medium > low);
    2. the source listed first in the dataset's ``source_priority`` (for personnel: the UN monthly
       gender statistics as scraped by IPI, then Our World in Data's year-end totals);
    3. the later UN Secretary-General report (higher General Assembly session in its symbol
       A/SS/NNN): each year's report revises the previous year's counts;
    4. the row that comes first in the file.
    Rows of a figure given by one source only are always preferred.
    """
    if not spec.figure:
        return pd.Series(True, index=df.index)
    conf_rank = df["confidence"].astype(str).map({c: i for i, c in enumerate(CONFIDENCE)})
    title = df["source_id"].astype(str).map(titles).fillna("")

    def priority(t: str) -> int:
        for i, pat in enumerate(spec.source_priority):
            if pat in t:
                return i
        return len(spec.source_priority)

    session = title.map(lambda t: -int(m.group(1)) if (m := _UN_SESSION.search(t)) else 0)
    order = pd.DataFrame({
        "conf": conf_rank,
        "prio": title.map(priority),
        "session": session,
        "pos": range(len(df)),
    }, index=df.index)
    keys = df[list(spec.figure)].astype("string").fillna("<NA>")
    ranked = pd.concat([keys, order], axis=1).sort_values(["conf", "prio", "session", "pos"])
    first = ~ranked.duplicated(list(spec.figure), keep="first")
    return first.reindex(df.index).astype(bool)


# --------------------------------------------------------------------------------------------------
# public API


def _spec(name: str) -> DatasetSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownDataset(
            f"no dataset named {name!r}; available: {sorted(SPECS)}") from None


def dataset_path(name: str) -> Path:
    """Path of a bundled dataset's CSV file."""
    return paths.data_dir() / _spec(name).file


def load(name: str, preferred: bool = True, path: str | os.PathLike[str] | None = None,
         ) -> pd.DataFrame:
    """Load a curated table, typed and validated against its schema.

    name: one of :func:`datasets` (``"allegations"``, ``"personnel"``, ``"followups"``, ...).
    preferred: keep only the preferred row of each figure where sources disagree (see
        :func:`mark_preferred`); ``False`` returns every revision with a ``preferred`` column.
    path: a researcher's own copy of the table (same columns) to validate and load instead.

    Every row carries ``source_id``, ``locator`` and ``confidence``; ``pko.sources.of(frame)``
    gives the catalogue entries of a frame's rows, and ``frame.attrs`` records the dataset and file.

    Example: ``pko.load("followups").query("measure == 'responses_received'")``
    """
    from . import sources

    spec = _spec(name)
    file = Path(path) if path is not None else dataset_path(name)
    shown = _display(file)
    raw = _read_raw(file, spec)
    _check_columns(raw, spec, shown)
    df = _convert(raw, spec, shown)
    _validate(df, spec, shown)
    df = _finish_types(df, spec)
    catalogue = sources.catalogue()
    unknown = sorted(set(df["source_id"].dropna()) - set(catalogue["source_id"]))
    if unknown:
        rows = df.index[df["source_id"].isin(unknown)]
        raise DataError([Problem(shown, int(i) + 2, "source_id", repr(df.at[i, "source_id"]),
                                 "a source_id listed in sources.csv") for i in rows])
    titles = dict(zip(catalogue["source_id"], catalogue["title"]))
    df["preferred"] = mark_preferred(df, spec, titles)
    if preferred:
        df = df[df["preferred"]].reset_index(drop=True)
    df.attrs.update({"dataset": name, "file": str(file), "preferred_only": preferred})
    return df


def datasets() -> pd.DataFrame:
    """The bundled datasets with their rows, years covered, sources and description."""
    rows = []
    for spec in SPECS.values():
        df = load(spec.name, preferred=False)
        years = df[spec.year_column].dropna() if spec.year_column else pd.Series(dtype=int)
        rows.append({
            "dataset": spec.name,
            "rows": len(df),
            "preferred_rows": int(df["preferred"].sum()),
            "first_year": int(years.min()) if len(years) else pd.NA,
            "last_year": int(years.max()) if len(years) else pd.NA,
            "sources": df["source_id"].nunique(),
            "file": spec.file,
            "description": spec.description,
        })
    out = pd.DataFrame(rows)
    out["first_year"] = out["first_year"].astype("Int64")
    out["last_year"] = out["last_year"].astype("Int64")
    return out


def coverage(name: str, preferred: bool = True) -> pd.DataFrame:
    """Number of rows per year of a dataset, split by confidence (for coverage plots)."""
    spec = _spec(name)
    df = load(name, preferred=preferred)
    if not spec.year_column:
        raise UnknownDataset(f"dataset {name!r} has no year column")
    out = (df.dropna(subset=[spec.year_column])
             .groupby([spec.year_column, "confidence"], observed=True).size()
             .rename("rows").reset_index().rename(columns={spec.year_column: "year"}))
    out["dataset"] = name
    return out[["dataset", "year", "confidence", "rows"]]
