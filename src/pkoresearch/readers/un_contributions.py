"""Readers for the UN's open data "uniformed personnel contributions by gender" (UN Department of
Peace Operations, ``odp_contributionsbygender.csv``) and the public aggregates made from it.

Every reader returns a :class:`Contributions`: one tidy ``counts`` table

    mission, contributor, iso3, month, personnel_type, women, men, total, source_row

(``contributor``/``iso3``/``personnel_type`` are ``<NA>`` where the file has summed them away), the
``coverage`` of the file (months present, months absent inside the span), and the path.

- :func:`read_mission_month` reads the mission x month aggregate (Stata ``.dta``: ``mission,
  female_personnel, male_personnel, yearmo``).

Months absent from a file stay absent: nothing is interpolated.

>>> c = read_mission_month("numperson.dta")                          # doctest: +SKIP
>>> c.totals(["month"]).set_index("month").loc["2010-12-01", ["women", "total"]].tolist()  # doctest: +SKIP
[3410, 98638]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..coverage import Coverage
from ..errors import DataError, DataFileNotFound, Problem, SchemaMismatch

COUNTS_COLUMNS = ["mission", "contributor", "iso3", "month", "personnel_type", "women", "men",
                  "total", "source_row"]
DTA_COLUMNS = ["mission", "female_personnel", "male_personnel", "yearmo"]


@dataclass
class Contributions:
    """Uniformed personnel by sex from one file: tidy ``counts``, the file's ``coverage``."""

    counts: pd.DataFrame
    coverage: Coverage
    path: Path
    report: dict[str, int] = field(default_factory=dict)

    def totals(self, by: list[str] | tuple[str, ...] = ("month",)) -> pd.DataFrame:
        """Women, men and total summed by ``by``: ``*by, women, men, total``."""
        g = self.counts.groupby(list(by), observed=True, sort=True)[["women", "men", "total"]].sum()
        return g.reset_index()

    def mission_activity(self) -> pd.DataFrame:
        """``mission, year, months_with_personnel, months_in_source``: in how many of the months
        the file covers that year the mission had uniformed personnel (total > 0). A mission-year
        absent here had no personnel in any covered month; a year the file does not cover at all
        is unknown, not inactive."""
        m = self.totals(["mission", "month"])
        m = m[m["total"] > 0]
        act = (m.assign(year=m["month"].dt.year).groupby(["mission", "year"]).size()
               .rename("months_with_personnel").reset_index())
        cov = self.coverage.years()[["year", "months_covered"]].rename(
            columns={"months_covered": "months_in_source"})
        out = act.merge(cov, on="year", how="left")
        return out.astype({"year": int, "months_with_personnel": "Int64",
                           "months_in_source": "Int64"})


def _check_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise DataFileNotFound(f"{path}: no such file; expected {what}")
    if path.stat().st_size == 0:
        raise SchemaMismatch(Problem(str(path), None, None, "an empty file", what))


def read_mission_month(path: str | os.PathLike[str]) -> Contributions:
    """Read the mission x month aggregate of the UN contributions by gender (Stata ``.dta`` with
    ``mission, female_personnel, male_personnel, yearmo``; all uniformed personnel types summed).

    ``women`` and ``men`` are whole persons; ``total`` is their sum; ``month`` is the first day of
    the reporting month. Rows are numbered from 1 in file order (``source_row``).
    Raises DataFileNotFound, SchemaMismatch (not a Stata file, a missing column) and DataError (a
    month that is not YYYYMM, a count that is not a whole number >= 0, a mission named twice for one
    month), each naming file, row and column.
    Example: ``read_mission_month("numperson.dta").totals(["month"])``
    """
    path = Path(path)
    what = "a Stata .dta file with the columns " + ", ".join(DTA_COLUMNS)
    _check_file(path, what)
    try:
        raw = pd.read_stata(path, convert_categoricals=False)
    except Exception as exc:  # pandas raises several types for a file that is not Stata
        raise SchemaMismatch(Problem(str(path), None, None,
                                     f"a file pandas cannot read as Stata ({exc})", what)) from None
    missing = [c for c in DTA_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaMismatch([Problem(str(path), None, c, "no such variable", what)
                              for c in missing])
    raw = raw[DTA_COLUMNS].copy()
    raw.index = pd.RangeIndex(1, len(raw) + 1, name="source_row")

    problems: list[Problem] = []
    ym = pd.to_numeric(raw["yearmo"], errors="coerce")
    year, month = ym // 100, ym % 100
    bad = ym.isna() | (ym % 1 != 0) | ~month.between(1, 12) | ~year.between(1948, 2100)
    problems += [Problem(str(path), int(r), "yearmo", str(raw.at[r, "yearmo"]),
                         "a month as YYYYMM, e.g. 201012") for r in raw.index[bad]]
    for c in ("female_personnel", "male_personnel"):
        v = pd.to_numeric(raw[c], errors="coerce")
        badv = v.isna() | (v < 0) | (v % 1 != 0)
        problems += [Problem(str(path), int(r), c, str(raw.at[r, c]),
                             "a whole number of persons >= 0") for r in raw.index[badv]]
    names = raw["mission"].astype("string").str.strip()
    problems += [Problem(str(path), int(r), "mission", "an empty cell", "a mission acronym")
                 for r in raw.index[names.isna() | (names == "")]]
    if problems:
        raise DataError(problems, f"{len(problems)} value(s) of {path} cannot be read")

    counts = pd.DataFrame({
        "mission": names,
        "contributor": pd.Series(pd.NA, index=raw.index, dtype="string"),
        "iso3": pd.Series(pd.NA, index=raw.index, dtype="string"),
        "month": pd.PeriodIndex.from_fields(year=year.astype(int), month=month.astype(int),
                                            freq="M").to_timestamp(),
        "personnel_type": pd.Series(pd.NA, index=raw.index, dtype="string"),
        "women": raw["female_personnel"].astype("int64").astype("Int64"),
        "men": raw["male_personnel"].astype("int64").astype("Int64"),
    })
    counts["total"] = counts["women"] + counts["men"]
    counts["source_row"] = raw.index.to_numpy()
    clash = counts.duplicated(["mission", "month"], keep=False)
    if clash.any():
        raise DataError([Problem(str(path), int(r), "mission, yearmo",
                                 f"a second row for {counts.at[r, 'mission']} "
                                 f"{counts.at[r, 'month']:%Y-%m}", "one row per mission and month")
                         for r in counts.index[clash]])
    counts = counts.sort_values(["month", "mission"]).reset_index(drop=True)
    coverage = Coverage.of_months(f"UN contributions by gender, mission x month ({path.name})",
                                  counts["month"])
    return Contributions(counts=counts[COUNTS_COLUMNS], coverage=coverage, path=path,
                         report={"rows_in_file": len(raw), "missions": int(names.nunique())})
