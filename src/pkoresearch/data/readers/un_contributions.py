"""Readers for the UN's open data "uniformed personnel contributions by gender" (UN Department of
Peace Operations, ``odp_contributionsbygender.csv``) and the public aggregates made from it.

Every reader returns a :class:`Contributions`: one tidy ``counts`` table

    mission, contributor, iso3, month, personnel_type, women, men, total, source_row

(``contributor``/``iso3``/``personnel_type`` are ``<NA>`` where the file has summed them away), the
``coverage`` of the file (months present, months absent inside the span), and the path.

- :func:`read_mission_month` reads the mission x month aggregate (Stata ``.dta``: ``mission,
  female_personnel, male_personnel, yearmo``).
- :func:`read_contributions_by_gender` reads the UN's own published layout,
  ``odp_contributionsbygender.csv`` (contributor x mission x personnel type x month; column names
  in upper or lower case).
- :func:`read_country_mission_year` reads the contributor x mission x year means made from the UN
  file, in which every value is the sum over the months present divided by 12: it flags the
  understated years, corrects a year only where the months present are known and the correction
  reproduces the mission x month file, and marks the other years unusable.
- :func:`read_monthly` reads either monthly file (the ``.dta`` or the UN layout), for notebook
  parameters that accept both.

Months absent from a file stay absent: nothing is interpolated. Contributors get ISO 3166 alpha-3
codes from :mod:`pkoresearch.data.countries`; names it cannot resolve are listed in ``unresolved``.

>>> c = read_mission_month("numperson.dta")                          # doctest: +SKIP
>>> c.totals(["month"]).set_index("month").loc["2010-12-01", ["women", "total"]].tolist()  # doctest: +SKIP
[3410, 98638]
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pkoresearch.data import countries
from pkoresearch.data.coverage import Coverage
from pkoresearch.data.readers._checks import (
    MAX_PERSONS,
    check_file,
    check_text,
    csv_header,
    is_aggregate,
    read_csv_text,
    refuse_repeated_keys,
    unify_spellings,
    warn_name_variants,
    whole_numbers,
)
from pkoresearch.errors import (
    AggregateRowsWarning,
    DataError,
    ParameterError,
    Problem,
    SchemaMismatch,
    UnrecognisedValuesWarning,
)

COUNTS_COLUMNS = [
    "mission",
    "contributor",
    "iso3",
    "month",
    "personnel_type",
    "women",
    "men",
    "total",
    "source_row",
]
DTA_COLUMNS = ["mission", "female_personnel", "male_personnel", "yearmo"]
# the UN's published layout (odp_contributionsbygender.csv); some releases use lower-case names
ODP_COLUMNS = [
    "Contributing_Country",
    "ISOCode3",
    "Mission_Acronym",
    "Personnel_Type",
    "Female_Personnel",
    "Male_Personnel",
    "Last_Reporting_Date",
]
PERSONNEL_TYPES = {
    "troops": "troops",
    "staff officer": "staff_officers",
    "staff officers": "staff_officers",
    "experts on mission": "experts_on_mission",
    "formed police units": "formed_police_units",
    "individual police": "individual_police",
}
# personnel types of the UN layout -> the groups researchers compare
PERSONNEL_GROUPS = {
    "all_uniformed": [
        "troops",
        "staff_officers",
        "experts_on_mission",
        "formed_police_units",
        "individual_police",
    ],
    "military": ["troops", "staff_officers", "experts_on_mission"],
    "military_contingents": ["troops"],
    "staff_officers_experts": ["staff_officers", "experts_on_mission"],
    "police": ["formed_police_units", "individual_police"],
    "formed_police_units": ["formed_police_units"],
    "individual_police": ["individual_police"],
}
YEAR_COLUMNS = ["Year", "Country", "Mission", "Female", "Male", "Total"]
YEAR_COUNTS_COLUMNS = [
    "mission",
    "contributor",
    "iso3",
    "year",
    "personnel_type",
    "women",
    "men",
    "total",
    "months_covered",
    "status",
    "women_in_file",
    "men_in_file",
    "total_in_file",
    "source_row",
]
# months each year of the contributor x mission x year file was made from, where documented by
# its provenance rather than by the mission x month file (../shared/external/README.md: "2021
# holds January only")
MONTHS_KNOWN = {2021: (1,)}


@dataclass
class Contributions:
    """Uniformed personnel by sex from one file: tidy ``counts``, the file's ``coverage``."""

    counts: pd.DataFrame
    coverage: Coverage
    path: Path
    report: dict[str, int] = field(default_factory=dict)
    period: str = "month"  # "month": one row per month; "year": yearly means (``year`` column)
    unresolved: list[str] = field(default_factory=list)  # contributor names without an ISO3 code
    years: pd.DataFrame | None = None  # for yearly means: each year's months, status and check

    @property
    def split_by_type(self) -> bool:
        """Whether the file gives personnel types (troops, police, ...) or only their sum."""
        return bool(self.counts["personnel_type"].notna().any())

    def totals(self, by: list[str] | tuple[str, ...] = ("month",)) -> pd.DataFrame:
        """Women, men and total summed by ``by``: ``*by, women, men, total``."""
        g = self.counts.groupby(list(by), observed=True, sort=True)[["women", "men", "total"]].sum()
        return g.reset_index()

    def mission_activity(self) -> pd.DataFrame:
        """``mission, year, months_with_personnel, months_in_source``: in how many of the months
        the file covers that year the mission had uniformed personnel (total > 0). A mission-year
        absent here had no personnel in any covered month; a year the file does not cover at all
        is unknown, not inactive."""
        if self.period != "month":
            raise ParameterError(
                f"mission_activity: {self.path.name} holds yearly means; expected a monthly file"
            )
        m = self.totals(["mission", "month"])
        m = m[m["total"] > 0]
        act = (
            m.assign(year=m["month"].dt.year)
            .groupby(["mission", "year"])
            .size()
            .rename("months_with_personnel")
            .reset_index()
        )
        cov = self.coverage.years()[["year", "months_covered"]].rename(
            columns={"months_covered": "months_in_source"}
        )
        out = act.merge(cov, on="year", how="left")
        return out.astype(
            {"year": int, "months_with_personnel": "Int64", "months_in_source": "Int64"}
        )


def _check_file(path: Path, what: str) -> None:
    check_file(path, what)  # no FIFO (it would hang), folder or empty file


FIRST_MONTH = pd.Timestamp("2000-01-01")  # earlier months are taken for mistyped years


def _month_ok(month: pd.Series) -> pd.Series:
    """True for a reporting month from January 2000 up to the current month (a mistyped year
    would stretch the coverage and invent months)."""
    now = pd.Timestamp.now().to_period("M").to_timestamp()
    return month.notna() & (month >= FIRST_MONTH) & (month <= now)


MONTH_RANGE = "from 2000-01 (a guard against mistyped years) up to the current month"


def _names(df: pd.DataFrame, columns: dict[str, str], path: Path, counts_key: dict) -> pd.DataFrame:
    """Set aside rows labelled as totals, then unify spellings of names (``columns``: frame
    column -> file column); warn about both. Returns the rows kept."""
    agg = np.zeros(len(df), dtype=bool)
    for c in columns:
        agg |= is_aggregate(df[c].fillna("")).to_numpy()
    counts_key["aggregate_rows_removed"] = int(agg.sum())
    if agg.any():
        rows = df.loc[agg, "source_row"].head(10).tolist()
        warnings.warn(
            AggregateRowsWarning(
                f"{path}: {int(agg.sum())} row(s) labelled as totals ('Total', 'Sum', 'All', ...) set "
                f"aside, never counted as contributors or missions: rows {rows}"
            ),
            stacklevel=3,
        )
        df = df[~agg]
    variants = []
    for c, label in columns.items():
        unified, changed = unify_spellings(df[c], path, label)
        df[c] = unified.astype("string")
        if len(changed):
            variants.append(changed)
    _, unified = warn_name_variants(variants, path, stacklevel=3)
    if unified:
        counts_key["names_unified"] = unified
    return df


def read_mission_month(path: str | os.PathLike[str]) -> Contributions:
    """Read the mission x month aggregate of the UN contributions by gender (Stata ``.dta`` with
    ``mission, female_personnel, male_personnel, yearmo``; all uniformed personnel types summed).

    ``women`` and ``men`` are whole persons; ``total`` is their sum; ``month`` is the first day of
    the reporting month. Rows are numbered from 1 in file order (``source_row``).
    A mission stored as numbers (Stata ``encode``) is read through its value labels. Spellings
    of one mission ("minusca", "MINUSCA") are counted under one (``NameVariantWarning``); rows
    labelled as totals ("Total", "All missions") are set aside (``AggregateRowsWarning`` giving
    each month's corrected numbers).
    Raises DataFileNotFound, SchemaMismatch (not a Stata file, a missing column, missions stored
    as numbers without value labels) and DataError (a month that is not YYYYMM, a count that is
    not a whole number >= 0, a mission code without a value label, a mission named twice for one
    month), each naming file, row and column.
    Example: ``read_mission_month("numperson.dta").totals(["month"])``
    """
    path = Path(path)
    what = "a Stata .dta file with the columns " + ", ".join(DTA_COLUMNS)
    _check_file(path, what)
    try:
        raw = pd.read_stata(path, convert_categoricals=False)
    except Exception as exc:  # pandas raises several types for a file that is not Stata
        raise SchemaMismatch(
            Problem(str(path), None, None, f"a file pandas cannot read as Stata ({exc})", what)
        ) from None
    missing = [c for c in DTA_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaMismatch(
            [Problem(str(path), None, c, "no such variable", what) for c in missing]
        )
    raw = raw[DTA_COLUMNS].copy()
    raw.index = pd.RangeIndex(1, len(raw) + 1, name="source_row")

    problems: list[Problem] = []
    ym = pd.to_numeric(raw["yearmo"], errors="coerce")
    year, month = ym // 100, ym % 100
    bad = ym.isna() | (ym % 1 != 0) | ~month.between(1, 12) | ~year.between(1, 9999)
    problems += [
        Problem(
            str(path), int(r), "yearmo", str(raw.at[r, "yearmo"]), "a month as YYYYMM, e.g. 201012"
        )
        for r in raw.index[bad]
    ]
    when = pd.to_datetime(
        pd.DataFrame({"year": year.where(~bad, 2000), "month": month.where(~bad, 1), "day": 1}),
        errors="coerce",
    )
    out = ~bad & ~_month_ok(when)
    problems += [
        Problem(str(path), int(r), "yearmo", str(raw.at[r, "yearmo"]), f"a month {MONTH_RANGE}")
        for r in raw.index[out]
    ]
    for c in ("female_personnel", "male_personnel"):
        v = pd.to_numeric(raw[c], errors="coerce")
        badv = v.isna() | (v < 0) | (v % 1 != 0) | (v > MAX_PERSONS)
        problems += [
            Problem(
                str(path),
                int(r),
                c,
                str(raw.at[r, c]),
                f"a whole number of persons from 0 to {MAX_PERSONS:,}",
            )
            for r in raw.index[badv]
        ]
    unlabelled = len(problems)
    names, from_labels = _dta_missions(path, raw["mission"], problems)
    unlabelled = {p.row for p in problems[unlabelled:]}
    problems += [
        Problem(str(path), int(r), "mission", "an empty cell", "a mission acronym")
        for r in raw.index[names.isna() | (names == "")]
        if int(r) not in unlabelled
    ]
    if problems:
        raise DataError(problems, f"{len(problems)} value(s) of {path} cannot be read")

    counts = pd.DataFrame(
        {
            "mission": names,
            "contributor": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "iso3": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "month": pd.PeriodIndex.from_fields(
                year=year.astype(int), month=month.astype(int), freq="M"
            ).to_timestamp(),
            "personnel_type": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "women": raw["female_personnel"].astype("int64").astype("Int64"),
            "men": raw["male_personnel"].astype("int64").astype("Int64"),
        }
    )
    counts["total"] = counts["women"] + counts["men"]
    counts["source_row"] = raw.index.to_numpy()
    report: dict[str, int] = {"rows_in_file": len(raw)}
    counts, set_aside = _dta_set_aside_totals(counts, path)
    counts = _names(counts, {"mission": "mission"}, path, report)
    report.pop("aggregate_rows_removed")  # _names found none: they were set aside above
    if set_aside:
        report["aggregate_rows_removed"] = set_aside
    if from_labels:
        report["missions_from_value_labels"] = 1
    refuse_repeated_keys(
        counts, ["mission", "month"], path, "mission, yearmo", "one row per mission and month"
    )
    counts = counts.sort_values(["month", "mission"]).reset_index(drop=True)
    coverage = Coverage.of_months(
        f"UN contributions by gender, mission x month ({path.name})", counts["month"]
    )
    report["missions"] = int(counts["mission"].nunique())
    return Contributions(counts=counts[COUNTS_COLUMNS], coverage=coverage, path=path, report=report)


def _dta_missions(
    path: Path, mission: pd.Series, problems: list[Problem]
) -> tuple[pd.Series, bool]:
    """The ``mission`` variable as text. Stored as numbers (Stata ``encode``), it is read through
    its value labels; numbers without value labels, or a code without a label, are refused (a
    mission named ``12`` would be counted as a mission of its own). Returns the names and whether
    value labels were used; problems go to ``problems``."""
    if not pd.api.types.is_numeric_dtype(mission.dtype):
        return mission.astype("string").str.strip(), False
    expected = "mission acronyms as text, or numbers with Stata value labels naming the missions"
    try:
        labelled = pd.read_stata(path, columns=["mission"], convert_categoricals=True)["mission"]
    except Exception as exc:  # e.g. two codes with one label
        raise SchemaMismatch(
            Problem(
                str(path),
                None,
                "mission",
                f"numbers whose value labels cannot be used ({exc})",
                expected,
            )
        ) from None
    if not isinstance(labelled.dtype, pd.CategoricalDtype):
        first = mission.dropna()
        example = f" (row {int(first.index[0])}: {first.iloc[0]:g})" if len(first) else ""
        raise SchemaMismatch(
            Problem(str(path), None, "mission", f"numbers without value labels{example}", expected)
        )
    labelled.index = mission.index
    values = labelled.astype(object)
    unlabelled = values.map(lambda v: v is not None and not isinstance(v, str) and not pd.isna(v))
    problems += [
        Problem(
            str(path),
            int(r),
            "mission",
            f"the code {mission.at[r]:g} without a value label",
            expected,
        )
        for r in mission.index[unlabelled.to_numpy(dtype=bool)]
    ]
    return values.where(~unlabelled).astype("string").str.strip(), True


def _dta_set_aside_totals(counts: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, int]:
    """Set aside rows whose mission is a total label ("Total", "All missions", ...): counted, they
    would double their month. Warns with each month's numbers with and without them."""
    agg = is_aggregate(counts["mission"].fillna("")).to_numpy()
    if not agg.any():
        return counts, 0
    kept = counts[~agg]
    months = sorted(set(counts.loc[agg, "month"]))
    with_ = counts[counts["month"].isin(months)].groupby("month")[["women", "total"]].sum()
    without = kept[kept["month"].isin(months)].groupby("month")[["women", "total"]].sum()
    without = without.reindex(with_.index, fill_value=0)
    shown = "; ".join(
        f"{m:%Y-%m}: {int(without.at[m, 'women']):,} women of {int(without.at[m, 'total']):,} "
        f"(with the total row(s) {int(with_.at[m, 'women']):,} of {int(with_.at[m, 'total']):,})"
        for m in months[:10]
    )
    rows = counts.loc[agg, "source_row"].head(10).tolist()
    warnings.warn(
        AggregateRowsWarning(
            f"{path}, column 'mission': {int(agg.sum())} row(s) labelled as totals ('Total', "
            f"'All', ...) set aside, never counted as missions: rows {rows}; corrected month(s) "
            f"{shown}"
        ),
        stacklevel=3,
    )
    return kept, int(agg.sum())


# --------------------------------------------------------------------------------------------------
# the UN's published layout: odp_contributionsbygender.csv


def _read_text_table(path: Path, what: str) -> pd.DataFrame:
    """Every cell as text, empty cells as "", rows numbered as lines of the file (header = 1)."""
    _check_file(path, what)
    return read_csv_text(path, what)


def _rename_columns(
    df: pd.DataFrame, path: Path, expected: Sequence[str], what: str
) -> pd.DataFrame:
    """Match the expected columns whatever their case; raise naming every one missing."""
    by_lower = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in expected if c.lower() not in by_lower]
    if missing:
        raise SchemaMismatch(
            [Problem(str(path), 1, c, "no such column in the header", what) for c in missing],
            f"{path} is missing {len(missing)} column(s): {missing}",
        )
    return df[[by_lower[c.lower()] for c in expected]].set_axis(list(expected), axis=1)


def _whole_numbers(raw: pd.Series, path: Path, column: str, problems: list[Problem]) -> pd.Series:
    """Whole numbers of persons from 0 to MAX_PERSONS (a larger one would overflow)."""
    return whole_numbers(raw, path, column, problems, quote=False)


DATE_FORMATS = ("%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


def _reporting_months(
    raw: pd.Series, path: Path, column: str, problems: list[Problem]
) -> pd.Series:
    """First day of the reporting month of each date (``30-Nov-20``, ``2020-11-30``, ...)."""
    parsed: dict[str, pd.Timestamp | None] = {}
    for value in raw.unique():
        parsed[value] = None
        for fmt in DATE_FORMATS:
            try:
                day = pd.to_datetime(value.strip(), format=fmt)
            except (ValueError, TypeError):
                continue
            if not pd.isna(day):  # an empty cell parses to NaT: not a date
                parsed[value] = day.to_period("M").to_timestamp()
                break
    out = raw.map(parsed)
    problems += [
        Problem(
            str(path), int(r), column, repr(raw.at[r]), "a date such as 30-Nov-20 or 2020-11-30"
        )
        for r in raw.index[out.isna()]
    ]
    late = out.notna() & ~_month_ok(out)
    problems += [
        Problem(str(path), int(r), column, repr(raw.at[r]), f"a date {MONTH_RANGE}")
        for r in raw.index[late]
    ]
    return out


def _iso3(names: pd.Series, file_codes: pd.Series | None = None) -> tuple[pd.Series, list[str]]:
    """ISO3 from the country crosswalk; where it fails, a well-formed code given by the file."""
    codes = countries.to_iso3(names)
    if file_codes is not None:
        given = file_codes.str.strip().str.upper()
        given = given.where(given.str.fullmatch(r"[A-Z]{3}"), pd.NA)
        codes = codes.fillna(given.astype("string"))
    unresolved = sorted(set(names[codes.isna()].dropna().astype(str)))
    return codes.astype("string"), unresolved


def read_contributions_by_gender(path: str | os.PathLike[str]) -> Contributions:
    """Read the UN's published ``odp_contributionsbygender.csv`` (one row per contributing
    country x mission x personnel type x month) into the tidy :class:`Contributions` ``counts``.

    Columns (upper- or lower-case names; others are ignored): Contributing_Country, ISOCode3,
    Mission_Acronym, Personnel_Type (Troops, Staff Officer, Experts on Mission, Formed Police Units,
    Individual Police), Female_Personnel, Male_Personnel, Last_Reporting_Date (``30-Nov-20``).
    ``personnel_type`` becomes snake_case (``staff_officers``, ...); a type not in
    :data:`PERSONNEL_TYPES` is kept as written, listed in ``report`` and warned about.
    ``iso3`` comes from :mod:`pkoresearch.data.countries` (the file's own code where a name does not
    resolve); names resolving neither way are in ``unresolved``.
    Raises DataFileNotFound, SchemaMismatch (missing column) and DataError (a count that is not a
    whole number >= 0, a date that cannot be read, an empty name, the same contributor, mission,
    type and month twice), naming file, line and column.
    Example: ``read_contributions_by_gender("odp_contributionsbygender.csv").totals(["month"])``
    """
    path = Path(path)
    what = "the UN layout of odp_contributionsbygender.csv with the columns " + ", ".join(
        ODP_COLUMNS
    )
    raw = _rename_columns(_read_text_table(path, what), path, ODP_COLUMNS, what)
    problems: list[Problem] = []
    for col in ("Contributing_Country", "Mission_Acronym", "Personnel_Type"):
        empty = raw[col].str.strip() == ""
        problems += [
            Problem(str(path), int(r), col, "an empty cell", "a value") for r in raw.index[empty]
        ]
    women = _whole_numbers(raw["Female_Personnel"], path, "Female_Personnel", problems)
    men = _whole_numbers(raw["Male_Personnel"], path, "Male_Personnel", problems)
    month = _reporting_months(raw["Last_Reporting_Date"], path, "Last_Reporting_Date", problems)
    if problems:
        raise DataError(problems, f"{len(problems)} value(s) of {path} cannot be read")

    types_raw = raw["Personnel_Type"].str.strip()
    types = types_raw.str.lower().map(PERSONNEL_TYPES)
    unknown = sorted(set(types_raw[types.isna()]))
    if unknown:
        warnings.warn(
            UnrecognisedValuesWarning(
                f"{path}: personnel type(s) {unknown} not recognised, kept as written; expected "
                f"{sorted(set(PERSONNEL_TYPES.values()))}"
            ),
            stacklevel=2,
        )
        types = types.fillna(types_raw)
    contributor = raw["Contributing_Country"].str.strip().astype("string")
    iso3, unresolved = _iso3(contributor, raw["ISOCode3"])
    counts = pd.DataFrame(
        {
            "mission": raw["Mission_Acronym"].str.strip().astype("string"),
            "contributor": contributor,
            "iso3": iso3,
            "month": month.astype("datetime64[us]"),
            "personnel_type": types.astype("string"),
            "women": women.astype("int64").astype("Int64"),
            "men": men.astype("int64").astype("Int64"),
        }
    )
    counts["total"] = counts["women"] + counts["men"]
    counts["source_row"] = raw.index.to_numpy()
    report_extra: dict[str, int] = {}
    counts = _names(
        counts,
        {"contributor": "Contributing_Country", "mission": "Mission_Acronym"},
        path,
        report_extra,
    )
    counts.index = pd.Index(counts["source_row"].to_numpy(), name="source_row")
    counts["iso3"], unresolved = _iso3(counts["contributor"], raw["ISOCode3"].loc[counts.index])
    refuse_repeated_keys(
        counts,
        ["contributor", "mission", "personnel_type", "month"],
        path,
        "Contributing_Country, Mission_Acronym, Personnel_Type, Last_Reporting_Date",
        "one row per contributor, mission, type and month",
    )
    counts = counts.sort_values(["month", "mission", "contributor", "personnel_type"]).reset_index(
        drop=True
    )
    coverage = Coverage.of_months(f"UN contributions by gender ({path.name})", counts["month"])
    report = {
        "rows_in_file": len(raw),
        "missions": int(counts["mission"].nunique()),
        "contributors": int(counts["contributor"].nunique()),
        "unrecognised_personnel_types": len(unknown),
        **report_extra,
    }
    return Contributions(
        counts=counts[COUNTS_COLUMNS],
        coverage=coverage,
        path=path,
        report=report,
        unresolved=unresolved,
    )


def read_monthly(path: str | os.PathLike[str]) -> Contributions:
    """Read a monthly file of the UN contributions by gender: the mission x month ``.dta``
    aggregate or the UN's own ``odp_contributionsbygender.csv``, told apart by suffix and header.
    The contributor x mission x year means are refused with a message pointing to
    :func:`read_country_mission_year` (they are not monthly)."""
    path = Path(path)
    if path.suffix.lower() == ".dta":
        return read_mission_month(path)
    what = (
        "the mission x month .dta file or the UN's odp_contributionsbygender.csv "
        "(columns " + ", ".join(ODP_COLUMNS) + ")"
    )
    _check_file(path, what)
    check_text(path, what)
    header = csv_header(path, what)
    if "mission_acronym" in header:
        return read_contributions_by_gender(path)
    if {"year", "country", "mission"} <= header:
        raise SchemaMismatch(
            Problem(
                str(path),
                1,
                None,
                "yearly means per contributor and "
                "mission (read them with read_country_mission_year)",
                what,
            )
        )
    raise SchemaMismatch(Problem(str(path), 1, None, f"the columns {sorted(header)}", what))


# --------------------------------------------------------------------------------------------------
# contributor x mission x year means


def read_country_mission_year(
    path: str | os.PathLike[str],
    mission_month: Contributions | None = None,
    months_known: Mapping[int, Sequence[int]] | None = None,
    max_total_diff_pct: float = 1.0,
    max_share_diff_pp: float = 0.1,
) -> Contributions:
    """Read the contributor x mission x year means of the UN contributions by gender (columns
    ``Year, Country, Mission, Female, Male, Total``; a leading unnamed row id is ignored).

    Each value in that file is the sum over the months present in the UN file divided by 12 and
    rounded, so a year with months missing is understated. Which months a year was made from is
    taken from ``months_known`` (default :data:`MONTHS_KNOWN`: 2021 holds January only), otherwise
    from the coverage of ``mission_month`` (the mission x month file read by
    :func:`read_mission_month`). A year is then checked against ``mission_month``: the file's
    yearly sum x 12 must reproduce the personnel of those months within ``max_total_diff_pct``
    percent and their women's share within ``max_share_diff_pp`` points. Each year gets a
    ``status``:

    - ``complete``: 12 months, check passed; values are annual means;
    - ``corrected``: fewer months, check passed; values are multiplied by 12 / months (the mean over
      the months present; the rounding error grows by the same factor);
    - ``unusable``: the check failed (the understatement is not explained by the months known, or
      rounding each value to whole persons lost too much): corrected values are ``<NA>``;
    - ``unverified``: no ``mission_month`` given, so no year can be checked: values are ``<NA>``.

    ``counts`` has ``year`` (not ``month``), the corrected ``women, men, total`` (Float64), the
    file's values (``*_in_file``), ``months_covered`` and ``status``; ``years`` has the check for
    each year. Nothing is interpolated.
    Example: ``read_country_mission_year("CountryByYear.csv", read_mission_month("numperson.dta"))``
    """
    path = Path(path)
    what = "contributor x mission x year means with the columns " + ", ".join(YEAR_COLUMNS)
    raw = _rename_columns(_read_text_table(path, what), path, YEAR_COLUMNS, what)
    problems: list[Problem] = []
    year = pd.to_numeric(raw["Year"].str.strip(), errors="coerce")
    this_year = pd.Timestamp.now().year
    bad_year = year.isna() | (year % 1 != 0) | ~year.between(FIRST_MONTH.year, this_year)
    problems += [
        Problem(
            str(path),
            int(r),
            "Year",
            repr(raw.at[r, "Year"]),
            f"a year such as 2018, from {FIRST_MONTH.year} (a guard against mistyped "
            f"years) up to {this_year}",
        )
        for r in raw.index[bad_year]
    ]
    for col in ("Country", "Mission"):
        problems += [
            Problem(str(path), int(r), col, "an empty cell", "a value")
            for r in raw.index[raw[col].str.strip() == ""]
        ]
    values = {c: _whole_numbers(raw[c], path, c, problems) for c in ("Female", "Male", "Total")}
    # each mean is rounded on its own, so Female + Male may miss Total by 1, never by more
    off = (values["Female"] + values["Male"] - values["Total"]).abs() > 1
    problems += [
        Problem(
            str(path),
            int(r),
            "Total",
            str(raw.at[r, "Total"]),
            f"Female + Male ({int(values['Female'][r] + values['Male'][r])}) within 1 "
            "(each mean is rounded on its own)",
        )
        for r in raw.index[off.fillna(False)]
    ]
    if problems:
        raise DataError(problems, f"{len(problems)} value(s) of {path} cannot be read")
    contributor = raw["Country"].str.strip().astype("string")
    iso3, unresolved = _iso3(contributor)
    counts = pd.DataFrame(
        {
            "mission": raw["Mission"].str.strip().astype("string"),
            "contributor": contributor,
            "iso3": iso3,
            "year": year.astype(int),
            "personnel_type": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "women_in_file": values["Female"].astype("int64").astype("Int64"),
            "men_in_file": values["Male"].astype("int64").astype("Int64"),
            "total_in_file": values["Total"].astype("int64").astype("Int64"),
            "source_row": raw.index.to_numpy(),
        }
    )
    report_extra: dict[str, int] = {}
    counts = _names(counts, {"contributor": "Country", "mission": "Mission"}, path, report_extra)
    counts["iso3"], unresolved = _iso3(counts["contributor"])
    refuse_repeated_keys(
        counts,
        ["contributor", "mission", "year"],
        path,
        "Year, Country, Mission",
        "one row per year, country and mission",
    )

    years = _check_years(
        counts,
        mission_month,
        MONTHS_KNOWN if months_known is None else months_known,
        max_total_diff_pct,
        max_share_diff_pp,
    )
    y = years.set_index("year")
    counts["months_covered"] = counts["year"].map(y["months_covered"]).astype("Int64")
    counts["status"] = counts["year"].map(y["status"]).astype("string")
    usable = counts["status"].isin(["complete", "corrected"])
    factor = 12 / counts["months_covered"].astype("Float64")
    for c in ("women", "men", "total"):
        counts[c] = (counts[f"{c}_in_file"].astype("Float64") * factor).where(usable, pd.NA)
    counts = counts.sort_values(["year", "mission", "contributor"]).reset_index(drop=True)
    used = [
        pd.Period(year=int(r.year), month=int(m), freq="M")
        for r in years[years["status"].isin(["complete", "corrected"])].itertuples()
        for m in r.months
    ]
    source = f"UN contributions by gender, contributor x mission x year means ({path.name})"
    coverage = (
        Coverage.of_months(source, used) if used else Coverage.of_years(source, years["year"])
    )
    report = {
        "rows_in_file": len(raw),
        "missions": int(counts["mission"].nunique()),
        "contributors": int(counts["contributor"].nunique()),
        "years_usable": int(years["status"].isin(["complete", "corrected"]).sum()),
        "years_unusable": int((~years["status"].isin(["complete", "corrected"])).sum()),
        **report_extra,
    }
    return Contributions(
        counts=counts[YEAR_COUNTS_COLUMNS],
        coverage=coverage,
        path=path,
        report=report,
        period="year",
        unresolved=unresolved,
        years=years,
    )


def _month_list(months: Sequence[int]) -> str:
    return ", ".join(pd.Timestamp(2000, m, 1).strftime("%b") for m in months)


def _check_years(
    counts: pd.DataFrame,
    mission_month: Contributions | None,
    months_known: Mapping[int, Sequence[int]],
    max_total_diff_pct: float,
    max_share_diff_pp: float,
) -> pd.DataFrame:
    """One row per year: which months it was made from, and whether it reproduces the monthly
    file (see :func:`read_country_mission_year`)."""
    if mission_month is not None and mission_month.period != "month":
        raise ParameterError("mission_month: expected the monthly file read by read_mission_month")
    sums = counts.groupby("year")[["women_in_file", "total_in_file"]].sum()
    monthly = None
    if mission_month is not None:
        monthly = mission_month.totals(["month"]).set_index("month")
        present = mission_month.coverage.months()
    rows = []
    for yr, s in sums.iterrows():
        row: dict = {
            "year": int(yr),
            "women_in_file": int(s["women_in_file"]),
            "total_in_file": int(s["total_in_file"]),
        }
        if yr in months_known:
            months = sorted(int(m) for m in months_known[yr])
            basis = "documented by the file's provenance"
        elif monthly is not None:
            months = sorted(int(p.month) for p in present if p.year == yr)
            basis = "months present in the mission x month file"
        else:
            months, basis = [], ""
        row["months"] = tuple(months)
        row["months_covered"] = len(months) if months else pd.NA
        if monthly is None or not months:
            row.update(
                reference_total=pd.NA,
                reference_women=pd.NA,
                total_diff_pct=pd.NA,
                share_diff_pp=pd.NA,
                status="unverified",
                reason="no mission x month file to check the months against"
                if monthly is None
                else "the mission x month file does not cover the year",
            )
            rows.append(row)
            continue
        stamps = [pd.Timestamp(int(yr), m, 1) for m in months]
        ref = monthly.reindex(stamps)
        if ref["total"].isna().any():
            row.update(
                reference_total=pd.NA,
                reference_women=pd.NA,
                total_diff_pct=pd.NA,
                share_diff_pp=pd.NA,
                status="unusable",
                reason="the months named are not all in the mission x month file",
            )
            rows.append(row)
            continue
        ref_total, ref_women = int(ref["total"].sum()), int(ref["women"].sum())
        diff = 100 * (12 * s["total_in_file"] / ref_total - 1)
        share_diff = (
            (100 * s["women_in_file"] / s["total_in_file"] - 100 * ref_women / ref_total)
            if s["total_in_file"]
            else float("nan")
        )
        ok = abs(diff) <= max_total_diff_pct and abs(share_diff) <= max_share_diff_pp
        if ok:
            status = "complete" if len(months) == 12 else "corrected"
            reason = (
                f"12 months ({basis}); reproduces the monthly file"
                if len(months) == 12
                else f"{len(months)} months ({_month_list(months)}; {basis}); x 12/{len(months)}"
                " reproduces the monthly file"
            )
        else:
            status = "unusable"
            reason = (
                f"with {len(months)} months ({basis}) the yearly sum x 12 differs from the "
                f"monthly file by {diff:+.1f}% in personnel and {share_diff:+.2f} points in "
                "women's share: the understatement is not explained by the months known "
                "(or rounding to whole persons lost too much)"
            )
        row.update(
            reference_total=ref_total,
            reference_women=ref_women,
            total_diff_pct=round(float(diff), 3),
            share_diff_pp=round(float(share_diff), 3),
            status=status,
            reason=reason,
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["months_covered"] = out["months_covered"].astype("Int64")
    for c in ("reference_total", "reference_women"):
        out[c] = out[c].astype("Int64")
    for c in ("total_diff_pct", "share_diff_pp"):
        out[c] = out[c].astype("Float64")
    return out[
        [
            "year",
            "months",
            "months_covered",
            "women_in_file",
            "total_in_file",
            "reference_women",
            "reference_total",
            "total_diff_pct",
            "share_diff_pp",
            "status",
            "reason",
        ]
    ]
