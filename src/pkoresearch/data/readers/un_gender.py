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
- a row repeated exactly is counted once and said (the copies are listed in ``duplicates``; the
  whole file pasted twice gives a warning with the count); two different
  rows for the same date, contributor and mission raise an error, since neither can be chosen;
- aggregate rows (a contributor or mission labelled "All", "Total", "Total:", "Sum", "Grand
  total", ... whatever the case and punctuation) are set aside in ``aggregates`` and never added
  to the country rows;
- spellings of one name differing only in case, accents or punctuation ("BANGLADESH",
  "Bangladesh'") are counted under one (``name_variants``), and a row dated another day of a month
  the file already dates is counted under that month's date (``dates_normalised``); both warn;
- the file's own ISO-3 column is checked against the project's crosswalk of country names
  (:mod:`pkoresearch.data.countries`): ``countries`` lists every contributor name with both codes, and
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
from pandas.api.types import union_categoricals

from pkoresearch.data.readers._checks import (
    is_aggregate,
    iter_csv_text,
    refuse_repeated_keys,
    unify_spellings,
    warn_name_variants,
    whole_numbers,
)
from pkoresearch.errors import (
    AggregateRowsWarning,
    DataError,
    DateNormalisedWarning,
    DuplicateRowsWarning,
    Problem,
    SchemaMismatch,
    UnrecognisedValuesWarning,
)

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
KEPT_COLUMNS = [f"{c} {s}" for c in CATEGORIES for s in ["Male", "Female"]]
NAME_COLUMNS = ["contributor", "iso3", "mission"]
FIRST_MONTH = pd.Timestamp("2000-01-01")  # earlier dates are taken for mistyped years


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
    # spellings of one contributor or mission counted under one name: column, found, used, rows,
    # first_row; and rows moved to the date the file gives their month: found, used, rows,
    # first_row
    name_variants: pd.DataFrame = field(default_factory=pd.DataFrame)
    dates_normalised: pd.DataFrame = field(default_factory=pd.DataFrame)

    def totals(self, by: list[str] | tuple[str, ...] = ("date",), categories=None) -> pd.DataFrame:
        """Women, men and personnel by ``by`` (any of date, contributor, iso3, mission,
        category): ``*by, women, men, personnel``."""
        c = self.counts
        if categories is not None:
            c = c[c["category"].isin(list(categories))]
        return sum_by_sex(c, by)


# rows summed at a time by sum_by_sex: the partial sums of slices are summed again, so a table of
# tens of millions of rows is aggregated without a grouping array per row for all of it at once
SUM_CHUNK_ROWS = 1 << 21


def sum_by_sex(counts: pd.DataFrame, by) -> pd.DataFrame:
    """Women, men and personnel summed over a tidy ``counts`` table by the columns ``by``:
    ``*by, women, men, personnel`` (sorted by ``by``; a sex absent from a group counts 0).

    Summed in slices of :data:`SUM_CHUNK_ROWS` rows whose group sums are then summed (exact:
    integer sums), so the memory it needs beyond the table is that of one slice's grouping, not
    of the whole table's (the 14 million rows of a 202 MB file: ``totals(["date"])`` peaked at
    1,033 MB, 5.11 times the file; now at the read's own peak, 714 MB, 3.53 times;
    ``benchmarks/bench_memory.py``)."""
    by = list(by)
    keys = [*by, "sex"]
    parts = [
        counts.iloc[i : i + SUM_CHUNK_ROWS].groupby(keys, observed=True, sort=False)["count"].sum()
        for i in range(0, len(counts), SUM_CHUNK_ROWS)
    ]
    if not parts:
        summed = counts.groupby(keys, observed=True)["count"].sum()
    else:
        summed = pd.concat(parts) if len(parts) > 1 else parts[0]
        parts.clear()
        summed = summed.groupby(level=list(range(len(keys))), sort=True).sum()
    w = summed.unstack("sex", fill_value=0)
    zero = pd.Series(0, index=w.index, dtype="Int64")  # a sex absent (or no rows at all)
    out = pd.DataFrame({"women": w.get("female", zero), "men": w.get("male", zero)})
    out["personnel"] = out["women"] + out["men"]
    return out.reset_index().astype({"women": "Int64", "men": "Int64", "personnel": "Int64"})


def _chunks(path: Path, chunksize: int):
    return iter_csv_text(
        path,
        f"a header with the columns {COLUMNS}",
        usecols=COLUMNS,
        required=COLUMNS,
        chunksize=chunksize,
        what="the gender statistics",
    )


def _parse_chunk(
    raw: pd.DataFrame,
    path: Path,
    problems: list[Problem],
    issues: list[dict],
    dates_seen: dict[str, pd.Timestamp | None],
) -> pd.DataFrame:
    """One chunk of text rows -> compact typed rows (names categorical, counts int32, only the
    male and female counts kept); the totals of each row are checked here and broken ones listed
    in ``issues``."""
    where = str(path)
    text = raw["Date"].str.strip()
    for value in pd.unique(text):
        if value not in dates_seen:
            dates_seen[value] = _date(value)
    dates = text.map(dates_seen)
    for row in raw.index[dates.isna()]:
        v = raw.at[row, "Date"]
        d = pd.to_datetime(v.strip(), format="%Y-%m-%d", errors="coerce")
        problems.append(
            Problem(
                where,
                int(row),
                "Date",
                repr(v),
                (
                    f"a month from {FIRST_MONTH:%Y-%m} (a guard against mistyped years) up to the current "
                    "month"
                    if not pd.isna(d)
                    else "a date as YYYY-MM-DD, e.g. 2010-08-31"
                ),
            )
        )
    nums = {c: whole_numbers(raw[c], where, c, problems).astype("int32") for c in COUNT_COLUMNS}
    for c in ("Contributor", "Mission"):
        for row in raw.index[raw[c].str.strip() == ""]:
            problems.append(Problem(where, int(row), c, "an empty cell", "a name"))
    if problems:
        return pd.DataFrame()
    for label in [*CATEGORIES, "Total"]:
        m, f, t = (nums[f"{label} {x}"] for x in ("Male", "Female", "Total"))
        for row in raw.index[(m + f) != t]:
            issues.append(
                {
                    "source_row": int(row),
                    "column": f"{label} Total",
                    "found": int(t[row]),
                    "expected": int(m[row] + f[row]),
                    "check": "male + female = total",
                }
            )
    for sex in ("Male", "Female", "Total"):
        s = sum(nums[f"{c} {sex}"].astype("int64") for c in CATEGORIES)
        for row in raw.index[s != nums[f"Total {sex}"]]:
            issues.append(
                {
                    "source_row": int(row),
                    "column": f"Total {sex}",
                    "found": int(nums[f"Total {sex}"][row]),
                    "expected": int(s[row]),
                    "check": "categories add up to the Total columns",
                }
            )
    out = pd.DataFrame(
        {
            "date": dates.astype("datetime64[us]"),
            "contributor": raw["Contributor"].str.strip().astype("category"),
            "iso3": raw["Contributor ISO-3"].str.strip().astype("category"),
            "mission": raw["Mission"].str.strip().astype("category"),
            **{c: nums[c] for c in KEPT_COLUMNS},
        },
        index=raw.index,
    )
    return out


def _date(value: str) -> pd.Timestamp | None:
    d = pd.to_datetime(value, format="%Y-%m-%d", errors="coerce")
    now = pd.Timestamp.now()
    if pd.isna(d) or d < FIRST_MONTH or (d.year, d.month) > (now.year, now.month):
        return None
    return d


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Join compact chunks, merging their categories (sorted, so codes sort as the names do)."""
    if len(parts) == 1:
        df = parts[0]
        for c in NAME_COLUMNS:
            df[c] = df[c].cat.reorder_categories(sorted(df[c].cat.categories))
        return df
    names = {
        c: union_categoricals([p[c] for p in parts], sort_categories=True) for c in NAME_COLUMNS
    }
    rest = pd.concat([p.drop(columns=NAME_COLUMNS) for p in parts])
    parts.clear()
    for i, c in enumerate(NAME_COLUMNS, start=1):
        rest.insert(i, c, pd.Categorical(names[c]))
    return rest


def _one_date_per_month(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give every row the date the file gives its month (the date most of that month's rows
    carry; on a tie the later): a row dated 2010-08-30 in a file that dates August 2010-08-31
    would otherwise make a month of its own. Returns the rows and a table of the changes."""
    month = df["date"].dt.to_period("M")
    per = df.groupby([month.rename("month"), df["date"]], observed=True).size().rename("rows")
    per = per.reset_index().sort_values(["month", "rows", "date"])
    used = per.groupby("month")["date"].last()
    target = month.map(used)
    moved = df["date"] != target
    changes = pd.DataFrame(columns=["found", "used", "rows", "first_row"])
    if moved.any():
        m = pd.DataFrame(
            {"found": df.loc[moved, "date"], "used": target[moved], "row": df.index[moved]}
        )
        changes = (
            m.groupby(["found", "used"])["row"].agg(rows="size", first_row="min").reset_index()
        )
        shown = "; ".join(
            f"{r.rows} row(s) dated {r.found:%Y-%m-%d} (first row {r.first_row}) "
            f"-> {r.used:%Y-%m-%d}"
            for r in changes.head(10).itertuples()
        )
        warnings.warn(
            DateNormalisedWarning(
                f"{path}: {int(moved.sum())} row(s) carry a date other than the one the file gives "
                f"their month; they are counted in that month, under its date (see "
                f".dates_normalised): {shown}"
            ),
            stacklevel=3,
        )
        df = df.assign(date=target.astype(df["date"].dtype))
    return df, changes


def read_gender_statistics(
    path: str | os.PathLike[str], chunksize: int = 100_000
) -> GenderStatistics:
    """Read the monthly gender statistics (IPI ``Gender.Full.csv`` layout) into tidy counts.

    The file is read in chunks of ``chunksize`` rows, each reduced to compact columns (names as
    categories, counts as 32-bit integers), so a large file needs a few times its size in memory.
    Raises DataFileNotFound, SchemaMismatch (empty file, missing column) and DataError (not a
    UTF-8 CSV file, a FIFO, a date that is not YYYY-MM-DD or lies before 2000 or in the future, a
    count that is not a whole number from 0 to 1,000,000, two different rows for the same date,
    contributor and mission), each naming the file, row and column. Warns (and reports) exact
    repeats of a row (counted once), aggregate rows (set aside), spellings of one name unified,
    and dates moved to the date of their month.
    Example: ``g = read_gender_statistics("Gender.Full.csv"); g.totals(["date"])``
    """
    path = Path(path)
    problems: list[Problem] = []
    issues: list[dict] = []
    dates_seen: dict[str, pd.Timestamp | None] = {}
    parts = []
    for raw in _chunks(path, chunksize):
        part = _parse_chunk(raw, path, problems, issues, dates_seen)
        del raw
        if len(problems) > 1000:
            break
        if not problems and len(part):
            parts.append(part)
    if problems:
        raise DataError(problems, f"{len(problems)} cell(s) of {path} cannot be read")
    if not parts:
        raise SchemaMismatch(
            Problem(str(path), None, None, "a header but no rows", "at least one row of counts")
        )
    df = _concat(parts)
    report = {"rows_in_file": len(df)}

    # aggregate rows: set aside, whatever their case and punctuation
    agg = is_aggregate(df["contributor"]) | is_aggregate(df["mission"])
    aggregates = df[agg].reset_index()
    if agg.any():
        warnings.warn(
            AggregateRowsWarning(
                f"{path}: {int(agg.sum())} aggregate row(s) (a contributor or mission named like "
                f"'Total', 'All', 'Sum') set aside, never counted as contributors (see .aggregates): "
                f"rows {', '.join(str(r) for r in df.index[agg][:10])}"
            ),
            stacklevel=2,
        )
        df = df[~agg]
    report["aggregate_rows_removed"] = int(agg.sum())

    variants = []
    for c in ("contributor", "mission"):
        df[c], changed = unify_spellings(df[c], path, c.capitalize())
        variants.append(changed)
    variants, report["names_unified"] = warn_name_variants(variants, path, see=".name_variants")
    df, dates_normalised = _one_date_per_month(df, path)
    report["dates_normalised"] = int(dates_normalised["rows"].sum()) if len(dates_normalised) else 0

    # exact repeats: counted once, and said so
    dup = df.duplicated(keep="first")
    duplicates = df[dup].reset_index()
    if dup.any():
        first = df[df.duplicated(keep=False) & ~dup]
        warnings.warn(
            DuplicateRowsWarning(
                f"{path}: {int(dup.sum())} row(s) repeat an earlier row exactly (the same date, "
                f"contributor, mission and counts; {len(first)} row(s) repeated), each counted once "
                f"(see .duplicates); first repeats: rows "
                f"{', '.join(str(r) for r in df.index[dup][:10])}"
                + (" - the whole file appears twice" if 2 * int(dup.sum()) == len(df) else "")
            ),
            stacklevel=2,
        )
        df = df[~dup]
    report["duplicate_rows_removed"] = int(dup.sum())
    # same key, different numbers: cannot choose
    refuse_repeated_keys(
        df,
        ["date", "contributor", "mission"],
        path,
        "Date, Contributor, Mission",
        "one row per date, contributor and mission",
        found="a second, different row for",
        date_format="%Y-%m-%d",
    )
    report["rows_used"] = len(df)
    for c in NAME_COLUMNS:
        df[c] = df[c].cat.remove_unused_categories()

    kept = df.index
    inconsistent = pd.DataFrame(
        issues, columns=["source_row", "column", "found", "expected", "check"]
    )
    inconsistent = inconsistent[inconsistent["source_row"].isin(kept)].sort_values(
        ["source_row", "column"]
    )
    if len(inconsistent):
        shown = "; ".join(
            f"row {r.source_row} {r.column!r}: {r.found} (expected {r.expected})"
            for r in inconsistent.head(10).itertuples()
        )
        warnings.warn(
            InconsistentTotalsWarning(
                f"{path}: {len(inconsistent)} total(s) disagree with their parts; the male and female "
                f"counts are used as given (see .inconsistent): {shown}"
            ),
            stacklevel=2,
        )

    df, codes = _check_codes(df, path)
    report["iso3_disagreements"] = int((codes["status"] == "differs").sum())
    report["iso3_filled_from_crosswalk"] = int((codes["status"] == "file code missing").sum())

    counts = _long(df)
    del df
    return GenderStatistics(
        counts=counts,
        inconsistent=inconsistent.reset_index(drop=True),
        duplicates=duplicates,
        aggregates=aggregates,
        path=path,
        report=report,
        countries=codes,
        name_variants=variants,
        dates_normalised=dates_normalised,
    )


def _long(df: pd.DataFrame) -> pd.DataFrame:
    """The tidy table, built in its final order (date, contributor, mission, category, sex)
    without sorting the long rows: the wide rows are sorted, then each gives its 8 rows."""
    df = df.sort_values(["date", "contributor", "mission"])
    n, k = len(df), len(CATEGORIES) * len(SEXES)
    # columns in category x sex order, female before male (the order of the sex categories)
    cols = [f"{label} {sex}" for label in CATEGORIES for sex in ("Female", "Male")]
    values = np.empty((n, k), dtype="int64")
    for j, c in enumerate(cols):
        values[:, j] = df[c].to_numpy()
    count = pd.arrays.IntegerArray(values.reshape(-1), np.zeros(n * k, dtype=bool))
    del values

    def rep(s: pd.Series):
        if isinstance(s.dtype, pd.CategoricalDtype):
            return pd.Categorical.from_codes(np.repeat(s.cat.codes.to_numpy(), k), dtype=s.dtype)
        return np.repeat(s.to_numpy(), k)

    category = pd.Categorical.from_codes(
        np.tile(np.repeat(np.arange(len(CATEGORIES), dtype="int8"), 2), n),
        categories=list(CATEGORIES.values()),
    )
    sex = pd.Categorical.from_codes(
        np.tile(np.array([0, 1], dtype="int8"), n * len(CATEGORIES)), categories=["female", "male"]
    )
    out = pd.DataFrame(
        {
            "date": rep(df["date"]),
            "contributor": rep(df["contributor"]),
            "iso3": rep(df["iso3"]),
            "mission": rep(df["mission"]),
            "category": category,
            "sex": sex,
            "count": count,
            "source_row": np.repeat(df.index.to_numpy().astype("int32"), k),
        },
        copy=False,
    )
    return out


ISO3 = re.compile(r"^[A-Z]{3}$")


def _check_codes(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare the file's ISO-3 column with the crosswalk of contributor names. Returns the rows
    with ``iso3`` filled from the crosswalk where the file has no valid code, and one row per
    contributor name and file code: ``contributor, iso3_file, iso3_crosswalk, status, rows,
    first_row`` (status: agrees, differs, file code missing, name unresolved)."""
    from pkoresearch.data import countries

    rows = pd.Series(df.index.to_numpy(), index=df.index, name="source_row")
    pairs = (
        rows.groupby([df["contributor"], df["iso3"]], sort=True, observed=True)
        .agg(rows="size", first_row="min")
        .reset_index()
    )
    pairs = pairs.astype({"contributor": str, "iso3": str})
    pairs = pairs.rename(columns={"iso3": "iso3_file"})
    pairs.insert(2, "iso3_crosswalk", countries.to_iso3(pairs["contributor"]).to_numpy())
    valid = pairs["iso3_file"].str.match(ISO3)
    known = pairs["iso3_crosswalk"].notna()
    pairs.insert(
        3,
        "status",
        np.select(
            [
                valid & known & (pairs["iso3_file"] == pairs["iso3_crosswalk"]),
                valid & known,
                ~valid & known,
            ],
            ["agrees", "differs", "file code missing"],
            "name unresolved",
        ),
    )
    pairs = pairs.astype(
        {
            "contributor": "string",
            "iso3_file": "string",
            "iso3_crosswalk": "string",
            "status": "string",
        }
    )
    bad = pairs[pairs["status"].isin(["differs", "name unresolved"])]
    if len(bad):
        shown = "; ".join(
            f"row {r.first_row} {r.contributor!r}: file {r.iso3_file!r}, crosswalk "
            f"{'none' if pd.isna(r.iso3_crosswalk) else repr(r.iso3_crosswalk)}"
            for r in bad.head(10).itertuples()
        )
        warnings.warn(
            CountryCodeWarning(
                f"{path}: {len(bad)} contributor name(s) whose ISO-3 code in the file is not the "
                f"crosswalk's; the file's code is kept (see .countries): {shown}"
            ),
            stacklevel=3,
        )
    crosswalk = dict(zip(pairs["contributor"], pairs["iso3_crosswalk"]))
    iso3 = df["iso3"].astype(object)
    file_ok = iso3.astype(str).str.match(ISO3).fillna(False).astype(bool)
    filled = iso3.where(file_ok, df["contributor"].astype(object).map(crosswalk))
    df = df.assign(iso3=filled.astype("category"))
    return df, pairs.reset_index(drop=True)
