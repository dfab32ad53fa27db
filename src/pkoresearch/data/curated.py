"""Curated, sourced tables: their schemas, the loader, and the rule that picks one value among revisions.

>>> import pkoresearch as pko
>>> a = pko.load("allegations")
>>> int(a.query("year == 2010 and scope == 'peacekeeping' and measure == 'allegations_total'")["value"].iloc[0])
85
"""

from __future__ import annotations

import os
import re
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from pkoresearch import paths
from pkoresearch.data.schema import (
    SOURCES_SPEC,
    Column,
    DatasetSpec,
    _check_columns,
    _convert,
    _digest,
    _display,
    _read_raw,
    _validate,
)
from pkoresearch.errors import DataError, Problem, UnknownDataset

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
# the preference among pages that give the same figure: UN publications, then wire services,
# then other pages, then copies (mirrors and spam copies)
VIA_RANK = {
    "un_document": 0,
    "un_data": 0,
    "un_news": 0,
    "press_agency": 1,
    "government_report": 2,
    "academic": 2,
    "ngo_report": 2,
    "newspaper": 2,
    "web_mirror": 3,
}


def _year(name: str = "year", nullable: bool = False) -> Column:
    return Column(
        name, "int", nullable=nullable, min=YEAR_MIN, max=YEAR_MAX, description="calendar year"
    )


def _prov() -> tuple[Column, ...]:
    return (
        Column("source_id", "str", description="key into sources.csv"),
        Column("locator", "str", description="where in the source the figure stands"),
        Column(
            "confidence",
            "category",
            categories=tuple(CONFIDENCE),
            description="high: publisher's own text or data; medium: secondary source quoting "
            "the UN; low: weak or unconfirmed",
        ),
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
                Column(
                    "scope",
                    "category",
                    categories=tuple(SCOPES),
                    description="whose personnel the figure covers",
                ),
                Column(
                    "measure",
                    "str",
                    description="what is counted; _pct percent, _approx "
                    "'about', _q1.._q4 quarterly, cum_* several years",
                ),
                Column(
                    "value",
                    "float",
                    min=0,
                    description="count (allegations, victims, personnel) or percent, by measure",
                ),
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
                Column(
                    "denominator_note",
                    "str",
                    nullable=True,
                    description="what the figure counts, in the source's terms",
                ),
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
                Column(
                    "month",
                    "int",
                    nullable=True,
                    min=1,
                    max=12,
                    description="month of the figure; blank where the source gives none",
                ),
                Column("category", "category", categories=tuple(PERSONNEL_CATEGORIES)),
                Column(
                    "measure",
                    "category",
                    categories=("personnel_total", "women", "women_share_pct"),
                ),
                Column(
                    "value", "float", min=0, description="persons, or percent for women_share_pct"
                ),
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
                Column(
                    "topic",
                    "category",
                    categories=(
                        "personnel_and_missions",
                        "code_of_conduct",
                        "training",
                        "victim_assistance",
                        "who_investigates",
                        "reported_cases",
                    ),
                ),
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
                Column(
                    "target_share_pct",
                    "float",
                    nullable=True,
                    min=0,
                    max=100,
                    description="percent; blank where the target is not a share",
                ),
                *_prov(),
                _note(),
            ),
            key=("year", "category"),
        ),
        DatasetSpec(
            "annual_reports",
            "annual_reports.csv",
            "The Secretary-General's annual reports on special measures: the year each one "
            "published allegation data for, and its issue date (what 'first published' compares)",
            (
                _year(),
                Column("document_symbol", "str", description="UN document symbol of the report"),
                Column(
                    "issue_date",
                    "str",
                    nullable=True,
                    description="YYYY, YYYY-MM or YYYY-MM-DD; blank where not known",
                ),
                *_prov(),
                _note(),
            ),
            key=("year", "document_symbol"),
        ),
    ]
}


# --------------------------------------------------------------------------------------------------
# reading and validating


FRICTIONLESS_TYPES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "category": "string",
    "bool": "boolean",
}


def table_schema(spec: DatasetSpec) -> dict:
    """The Frictionless Table Schema of a dataset, from the same specification as
    :func:`pandera_schema` (types, required, minimum/maximum, enum, pattern, primary key, and the
    foreign key of ``source_id`` into the ``sources`` resource).

    Example: ``table_schema(SPECS["allegations"])["primaryKey"]``
    """
    fields = []
    for col in spec.columns:
        f: dict = {"name": col.name, "type": FRICTIONLESS_TYPES[col.kind]}
        if col.description:
            f["description"] = col.description
        constraints: dict = {}
        if not col.nullable:
            constraints["required"] = True
        if col.min is not None:
            constraints["minimum"] = int(col.min) if float(col.min).is_integer() else col.min
        if col.max is not None:
            constraints["maximum"] = int(col.max) if float(col.max).is_integer() else col.max
        if col.categories is not None:
            constraints["enum"] = list(col.categories)
        if col.pattern is not None:
            constraints["pattern"] = col.pattern
        if constraints:
            f["constraints"] = constraints
        fields.append(f)
    schema: dict = {"fields": fields, "missingValues": [""], "primaryKey": list(spec.key)}
    if spec is not SOURCES_SPEC and "source_id" in spec.column_names:
        schema["foreignKeys"] = [
            {"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["source_id"]}}
        ]
    return schema


def _finish_types(df: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    for col in spec.columns:
        if col.kind == "category":
            df[col.name] = pd.Categorical(df[col.name], categories=list(col.categories))
    return df


# --------------------------------------------------------------------------------------------------
# the preferred value among revisions


def date_key(date: str | None) -> int:
    """A sortable number for a date given as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a missing
    month or day sorts after every known one of the same year (the date is not known to be earlier).
    Blank dates give 99999999."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", (date or "").strip())
    if not m:
        return 99999999
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else 13
    day = int(m.group(3)) if m.group(3) else 32
    return year * 10000 + month * 100 + day


def rests_on(catalogue: pd.DataFrame) -> pd.Series:
    """The type of what each source's figures were read in: the ``via`` page where there is one,
    otherwise the cited document itself."""
    via = catalogue["via_type"].astype("string").fillna("")
    return via.where(via != "", catalogue["type"].astype("string")).astype(str)


def mark_preferred(df: pd.DataFrame, spec: DatasetSpec, catalogue: pd.DataFrame) -> pd.Series:
    """Mark one row per figure as preferred when several sources give a value.

    ``catalogue`` is the source catalogue (:func:`pkoresearch.data.sources.catalogue`). Rule, applied
    in order until one row stands out:

    1. never a row read only on a copy page (``web_mirror``) when another source gives the figure;
    2. the higher confidence (high > medium > low);
    3. the source listed first in the dataset's ``source_priority`` (for personnel: the UN monthly
       gender statistics as scraped by IPI, then Our World in Data's year-end totals);
    4. a UN report before other sources, the later report first (each year's report revises the
       previous year's counts);
    5. the page it was read on: a UN publication, then a wire service, then other pages;
    6. the row that comes first in the file.

    Rows of a figure given by one source only are always preferred.
    """
    if not spec.figure:
        return pd.Series(True, index=df.index)
    cat = catalogue.set_index("source_id")
    sid = df["source_id"].astype(str)
    on = rests_on(catalogue.reset_index(drop=True)).set_axis(catalogue["source_id"].to_numpy())
    kind = sid.map(on).fillna("")
    text = sid.map(
        (
            cat["title"].astype(str)
            + " "
            + cat["publisher"].astype(str)
            + " "
            + cat["url"].astype(str)
            + " "
            + cat["via_url"].astype(str)
            + " "
            + cat["via_publisher"].astype(str)
        ).to_dict()
    ).fillna("")

    def priority(t: str) -> int:
        for i, pat in enumerate(spec.source_priority):
            if pat in t:
                return i
        return len(spec.source_priority)

    doc_type = sid.map(cat["type"].astype(str).to_dict()).fillna("")
    doc_date = sid.map(cat["date"].astype(str).to_dict()).fillna("")
    report = [(-date_key(d) if t == "un_document" and d else 1) for t, d in zip(doc_type, doc_date)]
    order = pd.DataFrame(
        {
            "mirror": (kind == "web_mirror").astype(int),
            "conf": df["confidence"].astype(str).map({c: i for i, c in enumerate(CONFIDENCE)}),
            "prio": text.map(priority),
            "report": report,
            "via": kind.map(VIA_RANK).fillna(len(VIA_RANK)),
            "pos": range(len(df)),
        },
        index=df.index,
    )
    keys = df[list(spec.figure)].astype("string").fillna("<NA>")
    ranked = pd.concat([keys, order], axis=1).sort_values(
        ["mirror", "conf", "prio", "report", "via", "pos"]
    )
    first = ~ranked.duplicated(list(spec.figure), keep="first")
    return first.reindex(df.index).astype(bool)


# --------------------------------------------------------------------------------------------------
# public API


def _spec(name: str) -> DatasetSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownDataset(f"no dataset named {name!r}; available: {sorted(SPECS)}") from None


def dataset_path(name: str) -> Path:
    """Path of a bundled dataset's CSV file."""
    return paths.data_dir() / _spec(name).file


def load(
    name: str,
    preferred: bool = True,
    path: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Load a curated table, typed and validated against its schema.

    - name: one of :func:`datasets` (``"allegations"``, ``"personnel"``, ``"followups"``, ...).
    - preferred: keep only the preferred row of each figure where sources disagree (see
      :func:`mark_preferred`); ``False`` returns every revision with a ``preferred`` column.
    - path: a researcher's own copy of the table (same columns) to validate and load instead.

    Every row carries ``source_id``, ``locator`` and ``confidence``; ``pko.sources.of(frame)``
    gives the catalogue entries of a frame's rows, and ``frame.attrs`` records the dataset and file.

    Example: ``pko.load("followups").query("measure == 'responses_received'")``
    """
    spec = _spec(name)
    file = Path(path) if path is not None else dataset_path(name)
    every = _load_checked(name, spec, file)
    df = every[every["preferred"]].reset_index(drop=True) if preferred else every.copy()
    df.attrs.update({"dataset": name, "file": str(file), "preferred_only": preferred})
    return df


# Validated tables by file content: a notebook (or a batch of them) loads the same few files many
# times, and a kernel forked from a warm server starts with the bundled ones already read. A key is
# the file's bytes (and the catalogue's), so an edited file is read again; callers get copies.
_LOADED: dict[tuple, tuple[pd.DataFrame, list]] = {}
_LOADED_MAX = 64
_loaded_lock = threading.Lock()


def _load_checked(name: str, spec: DatasetSpec, file: Path) -> pd.DataFrame:
    """Every revision of a table (with its ``preferred`` column), read and validated once per
    content of the file and of the catalogue. What the read warned about is said on every load
    (and before an error, when the read fails)."""
    key = None
    if file.is_file() and not file.is_fifo():
        digest = _digest(file)
        catalogue_digest = _digest(paths.data_dir() / "sources.csv")
        if digest is not None and catalogue_digest is not None:
            key = (name, str(file.resolve()), digest, catalogue_digest)
    with _loaded_lock:
        hit = _LOADED.get(key) if key is not None else None
    if hit is not None:
        _warn_again(hit[1])
        return hit[0].copy()
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = _read_checked(spec, file)
    finally:
        _warn_again(caught)
    # kept only if neither file changed while it was read (else the content read is not the
    # content hashed)
    if key is not None and key[2:] == (
        _digest(file),
        _digest(paths.data_dir() / "sources.csv"),
    ):
        with _loaded_lock:
            if len(_LOADED) >= _LOADED_MAX:
                _LOADED.pop(next(iter(_LOADED)))
            _LOADED[key] = (df.copy(), list(caught))
    return df


def _warn_again(caught: list) -> None:
    """Say recorded warnings again, as their code said them (filters by module still apply)."""
    if not caught:
        return
    modules = {getattr(m, "__file__", None): n for n, m in list(sys.modules.items())}
    for w in caught:
        warnings.warn_explicit(
            w.message, w.category, w.filename, w.lineno, module=modules.get(w.filename)
        )


def _read_checked(spec: DatasetSpec, file: Path) -> pd.DataFrame:
    from pkoresearch.data import sources

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
        raise DataError(
            [
                Problem(
                    shown,
                    int(i) + 2,
                    "source_id",
                    repr(df.at[i, "source_id"]),
                    "a source_id listed in sources.csv",
                )
                for i in rows
            ]
        )
    df["preferred"] = mark_preferred(df, spec, catalogue)
    return df


def warm() -> list[str]:
    """Read every bundled table into the loader's cache (a warm kernel server does this once, so
    the kernels it forks start with them read). Returns what could not be read, one line each;
    those tables are read (and fail) again where a notebook loads them."""
    failed = []
    for spec in SPECS.values():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # said again where a notebook loads the table
                _load_checked(spec.name, spec, dataset_path(spec.name))
        except Exception as exc:  # noqa: BLE001 - any failure is reported where the table is used
            failed.append(f"{spec.name}: {type(exc).__name__}: {exc}"[:300])
    return failed


def datasets() -> pd.DataFrame:
    """The bundled datasets with their rows, years covered, sources and description."""
    rows = []
    for spec in SPECS.values():
        df = load(spec.name, preferred=False)
        years = df[spec.year_column].dropna() if spec.year_column else pd.Series(dtype=int)
        rows.append(
            {
                "dataset": spec.name,
                "rows": len(df),
                "preferred_rows": int(df["preferred"].sum()),
                "first_year": int(years.min()) if len(years) else pd.NA,
                "last_year": int(years.max()) if len(years) else pd.NA,
                "sources": df["source_id"].nunique(),
                "file": spec.file,
                "description": spec.description,
            }
        )
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
    out = (
        df.dropna(subset=[spec.year_column])
        .groupby([spec.year_column, "confidence"], observed=True)
        .size()
        .rename("rows")
        .reset_index()
        .rename(columns={spec.year_column: "year"})
    )
    out["dataset"] = name
    return out[["dataset", "year", "confidence", "rows"]]


# --------------------------------------------------------------------------------------------------
# revisions of the headline yearly count

HEADLINE_MEASURE = "allegations_total"
# The UN's headline count: peacekeeping operations up to the 2016 data, peacekeeping and special
# political missions together from the 2017 data (the scope revisions() prefers each year; the
# yearly series takes the wider scope from its first figure, 2016: trends.combined_scope_from).
HEADLINE_SCOPES = ("peacekeeping", "peacekeeping_and_spm")
COMBINED_SCOPE_FROM = 2017


def _published(catalogue: pd.DataFrame) -> pd.Series:
    """When each source made its figures public: the cited document's date, or else the date of
    the page they were read on."""
    date = (
        catalogue["date"]
        .astype(str)
        .where(catalogue["date"].astype(str) != "", catalogue["via_date"].astype(str))
    )
    return pd.Series(date.to_numpy(), index=catalogue["source_id"].to_numpy())


def annual_reports() -> pd.DataFrame:
    """The Secretary-General's annual reports on special measures with the year whose allegation
    data each published: ``year, document_symbol, issue_date, key, source_id, ...`` (``key`` a
    sortable issue date, :func:`date_key`). From ``annual_reports.csv``; a data year marked
    "expected" in its note is the previous calendar year of a report whose text was not read."""
    df = load("annual_reports", preferred=False).copy()
    df["issue_date"] = df["issue_date"].astype("string").fillna("").astype(str)
    df["key"] = df["issue_date"].map(date_key)
    return df


def revisions(
    start_year: int | None = None,
    end_year: int | None = None,
    table: pd.DataFrame | None = None,
    last_complete: int | None = None,
) -> pd.DataFrame:
    """The yearly headline count of allegations as first published, as last revised, and as the
    curated series uses it: one row per year with a sourced total.

    Rows of ``allegations`` with measure ``allegations_total`` and scope ``peacekeeping`` or
    ``peacekeeping_and_spm`` are the candidates for a year (the two scope labels are the same UN
    series where sources disagree on the label, e.g. 2018: 54 in A/73/744, 56 in A/74/705).
    The document of a value is its UN symbol, or else the publisher of the cited document.
    *First published* is the earliest dated publication of the year's data: the value with the
    earliest publication date (the cited document's date, or the date of the page it was read on;
    a date known only to the year counts as the end of that year), unless an annual report of the
    Secretary-General covering the year (:func:`annual_reports`) is dated earlier and gives no
    value in hand: then ``first_document`` and ``first_date`` are that report's and
    ``first_value`` is missing (2016: A/71/818, February 2017, before the fact sheet's 103 of
    April 2017; 2022: A/77/748, 2023, before A/78/774's 79). ``first_known_*`` give the earliest
    value in hand either way; *latest* the value with the latest date; *preferred* the value the curated series uses
    (the preferred row of ``peacekeeping`` up to 2016, ``peacekeeping_and_spm`` from 2017).

    Columns: ``year, first_value, first_document, first_date, first_source_id, latest_value,
    latest_document, latest_date, latest_source_id, preferred_value, preferred_scope,
    preferred_source_id, revised`` (first and latest differ), ``values`` (every value in order of
    publication, e.g. ``"62 -> 63"``). With ``table`` (``year, allegations``, e.g. counts from the
    UN table of allegations): also ``table, table_minus_first, table_minus_latest`` and, with
    ``last_complete`` or a ``complete`` column in ``table`` (as :func:`pkoresearch.analysis.trends.yearly`
    gives), ``table_complete`` (False for years the table covers in part or not at all).

    Example: ``revisions(2015, 2023).set_index("year").loc[2018, ["first_value", "latest_value"]]``
    """
    from pkoresearch.data import sources

    df = load("allegations", preferred=False)
    df = df[(df["measure"] == HEADLINE_MEASURE) & df["scope"].isin(HEADLINE_SCOPES)].copy()
    if start_year is not None:
        df = df[df["year"] >= start_year]
    if end_year is not None:
        df = df[df["year"] <= end_year]
    cat = sources.catalogue()
    published = _published(cat)
    label = {}
    for r in cat.itertuples():
        if r.document_symbol:
            label[r.source_id] = r.document_symbol
        elif r.type == "un_document" and r.title.startswith("Special measures"):
            label[r.source_id] = f"SG report of {r.date[:4]} (symbol not known)"
        else:
            label[r.source_id] = r.publisher
    df["pos"] = range(len(df))
    df["published"] = df["source_id"].astype(str).map(published).fillna("")
    df["key"] = df["published"].map(date_key)
    df["document"] = df["source_id"].astype(str).map(label)
    reports = annual_reports()
    rows = []
    for year, g in df.groupby("year", sort=True):
        dated = g[g["key"] < 99999999] if (g["key"] < 99999999).any() else g
        ordered = dated.sort_values(["key", "pos"])
        first, latest = (
            ordered.iloc[0],
            ordered.sort_values(["key", "pos"], ascending=[False, True]).iloc[0],
        )
        known = first
        # an annual report that published the year's data before any figure in hand: it is the
        # first publication, and its figure is missing (never the later one put in its place)
        rep = reports[reports["year"] == year]
        rep = rep[rep["key"] < first["key"]]
        if len(rep) and not (dated["document"] == rep.iloc[0]["document_symbol"]).any():
            r0 = rep.sort_values("key").iloc[0]
            first = pd.Series(
                {
                    "value": np.nan,
                    "document": r0["document_symbol"],
                    "published": r0["issue_date"],
                    "source_id": r0["source_id"],
                }
            )
        scope = HEADLINE_SCOPES[1] if year >= COMBINED_SCOPE_FROM else HEADLINE_SCOPES[0]
        pref = g[g["preferred"] & (g["scope"] == scope)]
        if pref.empty:
            pref = g[g["preferred"]]
        pref = pref.iloc[0]
        values = []
        for v in ordered["value"]:
            if not values or values[-1] != v:
                values.append(v)
        rows.append(
            {
                "year": int(year),
                "first_value": first["value"],
                "first_document": first["document"],
                "first_date": first["published"],
                "first_source_id": first["source_id"],
                "latest_value": latest["value"],
                "latest_document": latest["document"],
                "latest_date": latest["published"],
                "latest_source_id": latest["source_id"],
                "preferred_value": pref["value"],
                "preferred_scope": str(pref["scope"]),
                "preferred_source_id": pref["source_id"],
                "first_known_value": known["value"],
                "first_known_document": known["document"],
                "first_known_date": known["published"],
                "revised": bool(known["value"] != latest["value"]),
                "values": " -> ".join(f"{v:g}" for v in values),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "year",
            "first_value",
            "first_document",
            "first_date",
            "first_source_id",
            "latest_value",
            "latest_document",
            "latest_date",
            "latest_source_id",
            "preferred_value",
            "preferred_scope",
            "preferred_source_id",
            "first_known_value",
            "first_known_document",
            "first_known_date",
            "revised",
            "values",
        ],
    )
    for c in ("first_value", "latest_value", "preferred_value", "first_known_value"):
        out[c] = pd.to_numeric(out[c]).round().astype("Int64")
    for c in (
        "first_document",
        "first_date",
        "first_source_id",
        "latest_document",
        "latest_date",
        "latest_source_id",
        "preferred_scope",
        "preferred_source_id",
        "first_known_document",
        "first_known_date",
        "values",
    ):
        out[c] = out[c].astype(str)
    out["year"] = out["year"].astype(int)
    if table is not None:
        t = table[["year", "allegations"]].rename(columns={"allegations": "table"})
        out = out.merge(t.astype({"year": int}), on="year", how="left")
        out["table"] = out["table"].astype("Int64")
        out["table_minus_first"] = (out["table"] - out["first_value"]).astype("Int64")
        out["table_minus_latest"] = (out["table"] - out["latest_value"]).astype("Int64")
        done = out["table"].notna()
        if last_complete is not None:
            done &= out["year"] <= last_complete
        if "complete" in table.columns:  # a table from trends.yearly flags its partial years
            flags = table.set_index("year")["complete"].astype("boolean").fillna(False)
            done &= out["year"].map(flags).fillna(False).astype(bool)
        if last_complete is not None or "complete" in table.columns:
            out["table_complete"] = done
    # in words: a notebook prints it (HEADLINE_MEASURE, HEADLINE_SCOPES are the codes)
    out.attrs["definition"] = (
        f"The headline count of allegations: UN peacekeeping up to {COMBINED_SCOPE_FROM - 1}, "
        f"peacekeeping and special political missions from {COMBINED_SCOPE_FROM}"
    )
    return out
