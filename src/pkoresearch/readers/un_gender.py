"""Reader for the UN monthly gender statistics by contributing country and mission, in the layout
the International Peace Institute scraped from the UN tables (TCC-DataScraper ``Gender.Full.csv``):

    "", Date, Contributor, Contributor ISO-3, Mission,
    then Male / Female / Total for Individual Police, Formed Police Units, Experts on Mission,
    Troops, and Total.

``read_gender_statistics(path)`` returns a :class:`GenderStatistics` whose ``counts`` table is tidy:
``date, contributor, iso3, mission, category, sex, count`` with the four personnel categories and
the two sexes (totals are sums of these). The file's own totals are checked, not trusted:

- male + female must equal each category's total, and the categories must add up to the Total
  columns; rows that break either are listed in ``inconsistent`` and reported in one warning
  (their male and female counts are kept as given);
- a row repeated exactly is counted once (the copies are listed in ``duplicates``); two different
  rows for the same date, contributor and mission raise an error, since neither can be chosen;
- aggregate rows (a contributor or mission named "all" or "total") are set aside in ``aggregates``
  and never added to the country rows;
- the file's own ISO-3 column is checked against the project's crosswalk of country names
  (:mod:`pkoresearch.countries`): ``countries`` lists every contributor name with both codes, and
  names whose codes differ are reported in one warning. ``iso3`` in ``counts`` is the file's code,
  or the crosswalk's where the file has none, so contributors spelled differently across months
  or sources ("Tanzania", "Tanzania, United Republic of") are one code.

>>> g = read_gender_statistics("Gender.Full.csv")          # doctest: +SKIP
>>> g.totals(["date"]).set_index("date").loc["2010-08-31", "women"]   # doctest: +SKIP
3332
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import read_csv_text, refuse_repeated_keys
from ..errors import (DataError, DataFileNotFound, Problem, SchemaMismatch,
                      UnrecognisedValuesWarning)

CATEGORIES = {
    "Individual Police": "individual_police",
    "Formed Police Units": "formed_police_units",
    "Experts on Mission": "experts_on_mission",
    "Troops": "troops",
}
SEXES = {"Male": "male", "Female": "female"}
KEY_COLUMNS = ["Date", "Contributor", "Contributor ISO-3", "Mission"]
COUNT_COLUMNS = [f"{c} {s}" for c in [*CATEGORIES, "Total"] for s in ["Male", "Female", "Total"]]
COLUMNS = KEY_COLUMNS + COUNT_COLUMNS
AGGREGATE_NAMES = re.compile(r"^\s*(all|total|grand total|totals|all missions|all contributors)"
                             r"\s*$", re.IGNORECASE)


class InconsistentTotalsWarning(UnrecognisedValuesWarning):
    """Rows whose male + female counts differ from their totals (listed, kept as given)."""


class CountryCodeWarning(UnrecognisedValuesWarning):
    """Contributors whose ISO-3 code in the file differs from the crosswalk's, or whose name the
    crosswalk cannot resolve (listed in ``countries``; the file's code is kept)."""


@dataclass
class GenderStatistics:
    """The parsed file: tidy ``counts`` and what was set aside or found inconsistent."""

    counts: pd.DataFrame
    inconsistent: pd.DataFrame
    duplicates: pd.DataFrame
    aggregates: pd.DataFrame
    path: Path
    report: dict[str, int] = field(default_factory=dict)
    countries: pd.DataFrame = field(default_factory=pd.DataFrame)

    def totals(self, by: list[str] | tuple[str, ...] = ("date",), categories=None
               ) -> pd.DataFrame:
        """Women, men and personnel by ``by`` (any of date, contributor, iso3, mission,
        category): ``*by, women, men, personnel``."""
        c = self.counts
        if categories is not None:
            c = c[c["category"].isin(list(categories))]
        return sum_by_sex(c, by)


def sum_by_sex(counts: pd.DataFrame, by) -> pd.DataFrame:
    """Women, men and personnel summed over a tidy ``counts`` table by the columns ``by``:
    ``*by, women, men, personnel``."""
    w = counts.pivot_table(index=list(by), columns="sex", values="count", aggfunc="sum",
                           fill_value=0, observed=True)
    zero = pd.Series(0, index=w.index, dtype="Int64")  # a sex absent (or no rows at all)
    out = pd.DataFrame({"women": w.get("female", zero), "men": w.get("male", zero)})
    out["personnel"] = out["women"] + out["men"]
    return out.reset_index().astype({"women": "Int64", "men": "Int64", "personnel": "Int64"})


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileNotFound(f"{path}: no such file; expected UN gender statistics (CSV)")
    df = read_csv_text(path, f"a header with the columns {COLUMNS}")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise SchemaMismatch([Problem(str(path), 1, c, "no such column in the header",
                                      f"the columns {COLUMNS}") for c in missing],
                             f"{path} is missing {len(missing)} column(s) of the gender statistics")
    if df.empty:
        raise SchemaMismatch(Problem(str(path), None, None, "a header but no rows",
                                     "at least one row of counts"))
    return df


def read_gender_statistics(path: str | os.PathLike[str]) -> GenderStatistics:
    """Read the monthly gender statistics (IPI ``Gender.Full.csv`` layout) into tidy counts.

    Raises DataFileNotFound, SchemaMismatch (empty file, missing column) and DataError (a date that
    is not YYYY-MM-DD, a count that is not a whole number >= 0, two different rows for the same
    date, contributor and mission), each naming the file, row and column.
    Example: ``g = read_gender_statistics("Gender.Full.csv"); g.totals(["date"])``
    """
    path = Path(path)
    raw = _read(path)
    problems: list[Problem] = []

    dates = pd.to_datetime(raw["Date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    for row in raw.index[dates.isna()]:
        problems.append(Problem(str(path), int(row), "Date", repr(raw.at[row, "Date"]),
                                "a date as YYYY-MM-DD, e.g. 2010-08-31"))
    nums = {}
    for c in COUNT_COLUMNS:
        s = raw[c].str.strip()
        n = pd.to_numeric(s, errors="coerce")
        bad = n.isna() | (n < 0) | (n % 1 != 0)
        for row in raw.index[bad]:
            problems.append(Problem(str(path), int(row), c, repr(raw.at[row, c]),
                                    "a whole number of persons >= 0"))
        nums[c] = n
    for c in ("Contributor", "Mission"):
        for row in raw.index[raw[c].str.strip() == ""]:
            problems.append(Problem(str(path), int(row), c, "an empty cell", "a name"))
    if problems:
        raise DataError(problems, f"{len(problems)} cell(s) of {path} cannot be read")

    df = pd.DataFrame(nums, index=raw.index).astype("int64")
    df.insert(0, "date", dates)
    df.insert(1, "contributor", raw["Contributor"].str.strip())
    df.insert(2, "iso3", raw["Contributor ISO-3"].str.strip())
    df.insert(3, "mission", raw["Mission"].str.strip())
    report = {"rows_in_file": len(df)}

    # exact repeats: counted once
    dup = df.duplicated(keep="first")
    duplicates = df[dup].reset_index()
    df = df[~dup]
    report["duplicate_rows_removed"] = int(dup.sum())
    # same key, different numbers: cannot choose
    refuse_repeated_keys(df, ["date", "contributor", "mission"], path,
                         "Date, Contributor, Mission", "one row per date, contributor and mission",
                         found="a second, different row for", date_format="%Y-%m-%d")
    # aggregate rows: set aside
    agg = df["contributor"].str.match(AGGREGATE_NAMES) | df["mission"].str.match(AGGREGATE_NAMES)
    aggregates = df[agg].reset_index()
    df = df[~agg]
    report["aggregate_rows_removed"] = int(agg.sum())
    report["rows_used"] = len(df)

    # totals checked, not trusted
    issues = []
    for label in [*CATEGORIES, "Total"]:
        diff = df[f"{label} Male"] + df[f"{label} Female"] - df[f"{label} Total"]
        for row in df.index[diff != 0]:
            issues.append({"source_row": int(row), "column": f"{label} Total",
                           "found": int(df.at[row, f"{label} Total"]),
                           "expected": int(df.at[row, f"{label} Male"] +
                                           df.at[row, f"{label} Female"]),
                           "check": "male + female = total"})
    for sex in ("Male", "Female", "Total"):
        s = sum(df[f"{c} {sex}"] for c in CATEGORIES)
        for row in df.index[s != df[f"Total {sex}"]]:
            issues.append({"source_row": int(row), "column": f"Total {sex}",
                           "found": int(df.at[row, f"Total {sex}"]), "expected": int(s[row]),
                           "check": "categories add up to the Total columns"})
    inconsistent = pd.DataFrame(issues, columns=["source_row", "column", "found", "expected",
                                                 "check"]).sort_values(["source_row", "column"])
    if len(inconsistent):
        shown = "; ".join(f"row {r.source_row} {r.column!r}: {r.found} (expected {r.expected})"
                          for r in inconsistent.head(10).itertuples())
        warnings.warn(InconsistentTotalsWarning(
            f"{path}: {len(inconsistent)} total(s) disagree with their parts; the male and female "
            f"counts are used as given (see .inconsistent): {shown}"), stacklevel=2)

    df, codes = _check_codes(df, path)
    report["iso3_disagreements"] = int((codes["status"] == "differs").sum())
    report["iso3_filled_from_crosswalk"] = int((codes["status"] == "file code missing").sum())

    long = []
    for label, cat in CATEGORIES.items():
        for sex_label, sex in SEXES.items():
            part = df[["date", "contributor", "iso3", "mission"]].copy()
            part["category"] = cat
            part["sex"] = sex
            part["count"] = df[f"{label} {sex_label}"]
            part["source_row"] = df.index
            long.append(part)
    counts = pd.concat(long, ignore_index=True)
    counts = counts.astype({"contributor": "string", "iso3": "string", "mission": "string",
                            "count": "Int64"})
    counts["category"] = pd.Categorical(counts["category"], categories=list(CATEGORIES.values()))
    counts["sex"] = pd.Categorical(counts["sex"], categories=["female", "male"])
    counts = counts.sort_values(["date", "contributor", "mission", "category", "sex"],
                                ignore_index=True)
    return GenderStatistics(counts=counts, inconsistent=inconsistent.reset_index(drop=True),
                            duplicates=duplicates, aggregates=aggregates, path=path, report=report,
                            countries=codes)


ISO3 = re.compile(r"^[A-Z]{3}$")


def _check_codes(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare the file's ISO-3 column with the crosswalk of contributor names. Returns the rows
    with ``iso3`` filled from the crosswalk where the file has no valid code, and one row per
    contributor name and file code: ``contributor, iso3_file, iso3_crosswalk, status, rows,
    first_row`` (status: agrees, differs, file code missing, name unresolved)."""
    from .. import countries

    pairs = (df.reset_index().groupby(["contributor", "iso3"], sort=True)["source_row"]
             .agg(rows="size", first_row="min").reset_index())
    pairs = pairs.rename(columns={"iso3": "iso3_file"})
    pairs.insert(2, "iso3_crosswalk", countries.to_iso3(pairs["contributor"]).to_numpy())
    valid = pairs["iso3_file"].str.match(ISO3)
    known = pairs["iso3_crosswalk"].notna()
    pairs.insert(3, "status", np.select(
        [valid & known & (pairs["iso3_file"] == pairs["iso3_crosswalk"]), valid & known,
         ~valid & known], ["agrees", "differs", "file code missing"], "name unresolved"))
    pairs = pairs.astype({"contributor": "string", "iso3_file": "string",
                          "iso3_crosswalk": "string", "status": "string"})
    bad = pairs[pairs["status"].isin(["differs", "name unresolved"])]
    if len(bad):
        shown = "; ".join(f"row {r.first_row} {r.contributor!r}: file {r.iso3_file!r}, crosswalk "
                          f"{'none' if pd.isna(r.iso3_crosswalk) else repr(r.iso3_crosswalk)}"
                          for r in bad.head(10).itertuples())
        warnings.warn(CountryCodeWarning(
            f"{path}: {len(bad)} contributor name(s) whose ISO-3 code in the file is not the "
            f"crosswalk's; the file's code is kept (see .countries): {shown}"), stacklevel=3)
    crosswalk = dict(zip(pairs["contributor"], pairs["iso3_crosswalk"]))
    file_ok = df["iso3"].str.match(ISO3).fillna(False).astype(bool)
    df = df.assign(iso3=df["iso3"].where(file_ok, df["contributor"].map(crosswalk)))
    return df, pairs.reset_index(drop=True)
