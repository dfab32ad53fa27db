"""Which months a source covers, and the rule that follows from it: a count exists only inside its
source's coverage. Outside it the count is missing (``<NA>``), never 0; inside it, a period with
nothing reported is 0. A year covered for fewer than 12 months is flagged ``complete = False`` and
must not be summed with, or modelled as, complete years without saying so.

>>> import pandas as pd
>>> from pkoresearch.data.coverage import Coverage, counts_in_coverage
>>> cov = Coverage.between("UN table of allegations", "2015-01", "2024-07")
>>> counts = pd.DataFrame({"year": [2015, 2024], "allegations": [69, 30]})
>>> out = counts_in_coverage(counts, cov, 2013, 2024)
>>> out["allegations"].tolist()[:4], out["complete"].tolist()[-1]
([<NA>, <NA>, 69, 0], False)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pkoresearch.errors import ParameterError


def _month(value: object) -> pd.Period:
    try:
        return pd.Period(value, freq="M")
    except (ValueError, TypeError):
        raise ParameterError(
            f"coverage: found the month {value!r}; expected a month such as '2015-01' or a date"
        ) from None


@dataclass(frozen=True)
class Coverage:
    """The months a source covers: ``first`` to ``last`` (monthly periods, inclusive) less any
    ``gaps`` (months inside the span the source does not have).

    Example: ``Coverage.between("UN table of allegations", "2015-01", "2024-07")``
    """

    source: str
    first: pd.Period
    last: pd.Period
    gaps: frozenset = field(default_factory=frozenset)

    @classmethod
    def between(
        cls, source: str, first: object, last: object, gaps: Iterable[object] = ()
    ) -> Coverage:
        """Coverage from ``first`` to ``last`` (anything ``pandas.Period(..., "M")`` reads)."""
        f, la = _month(first), _month(last)
        if f > la:
            raise ParameterError(
                f"coverage of {source}: found first month {f} after last {la}; "
                "expected first <= last"
            )
        return cls(source, f, la, frozenset(_month(g) for g in gaps))

    @classmethod
    def of_months(cls, source: str, months: Iterable[object]) -> Coverage:
        """Coverage of exactly the months given (the months between them that are absent become
        ``gaps``)."""
        ms = sorted({_month(m) for m in months})
        if not ms:
            raise ParameterError(f"coverage of {source}: found no month; expected at least one")
        span = pd.period_range(ms[0], ms[-1], freq="M")
        return cls(source, ms[0], ms[-1], frozenset(set(span) - set(ms)))

    @classmethod
    def of_years(cls, source: str, years: Iterable[int]) -> Coverage:
        """Coverage of whole years (a curated yearly series: the years with a sourced figure)."""
        ys = sorted({int(y) for y in years})
        if not ys:
            raise ParameterError(f"coverage of {source}: found no year; expected at least one")
        months = [pd.Period(year=y, month=m, freq="M") for y in ys for m in range(1, 13)]
        return cls.of_months(source, months)

    def months(self) -> pd.PeriodIndex:
        """Every covered month."""
        span = pd.period_range(self.first, self.last, freq="M")
        return span[~span.isin(list(self.gaps))]

    def years(self) -> pd.DataFrame:
        """``year, months_covered, complete`` for each year with at least one covered month."""
        m = self.months()
        out = pd.Series(m.year).value_counts().sort_index()
        df = pd.DataFrame({"year": out.index.astype(int), "months_covered": out.to_numpy()})
        df["complete"] = df["months_covered"] == 12
        return df.reset_index(drop=True)

    def covers(self, year: int, month: int | None = None) -> bool:
        """Whether the source covers that month (or any month of that year)."""
        if month is not None:
            p = pd.Period(year=year, month=month, freq="M")
            return self.first <= p <= self.last and p not in self.gaps
        return int(year) in set(self.years()["year"])

    def label(self) -> str:
        """``"January 2015 - July 2024"`` (with the number of months missing inside, if any)."""
        text = f"{self.first.strftime('%B %Y')} - {self.last.strftime('%B %Y')}"
        return text + (f" ({len(self.gaps)} months missing inside)" if self.gaps else "")

    def describe(self, start_year: int, end_year: int) -> str:
        """One sentence on what a requested year range gets from this source."""
        y = self.years()
        inside = y[y["year"].between(start_year, end_year)]
        if inside.empty:
            return (
                f"{self.source} covers {self.label()}: nothing of {start_year}-{end_year}, "
                "so every count there is missing"
            )
        parts = [f"{self.source} covers {self.label()}"]
        lo, hi = int(inside["year"].min()), int(inside["year"].max())
        if lo > start_year or hi < end_year:
            parts.append(
                f"of the requested {start_year}-{end_year} it has {lo}-{hi}; years "
                "outside are missing, not 0"
            )
        partial = inside.loc[~inside["complete"], ["year", "months_covered"]]
        if len(partial):
            parts.append(
                "partial: "
                + ", ".join(f"{r.year} ({r.months_covered} months)" for r in partial.itertuples())
            )
        return "; ".join(parts)


def counts_in_coverage(
    counts: pd.DataFrame,
    coverage: Coverage,
    start_year: int,
    end_year: int,
    value: str = "allegations",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Every year of ``start_year..end_year`` (for every combination of ``by`` present in
    ``counts``): the count where the source covers the year (0 where covered and nothing was
    reported), ``<NA>`` where it does not; with ``months_covered`` and ``complete`` (``<NA>``
    outside coverage, False for a partly covered year).

    Example: ``counts_in_coverage(count_by(table), table.coverage, 2007, 2024)``
    """
    by = list(by)
    years = pd.DataFrame({"year": range(int(start_year), int(end_year) + 1)})
    if by:
        keys = counts[by].drop_duplicates()
        grid = keys.merge(years, how="cross")[[*by, "year"]]
    else:
        grid = years
    out = grid.merge(counts[[*by, "year", value]], on=[*by, "year"], how="left")
    cov = coverage.years()
    out = out.merge(cov, on="year", how="left")
    covered = out["months_covered"].notna()
    outside = ~covered & out[value].notna()
    if outside.any():
        bad = sorted(set(out.loc[outside, "year"]))
        raise ParameterError(
            f"counts_in_coverage: found counts for {bad}, outside the coverage of "
            f"{coverage.source} ({coverage.label()}); expected counts only inside"
        )
    out[value] = out[value].astype("Int64")
    out.loc[covered & out[value].isna(), value] = 0
    out["months_covered"] = out["months_covered"].astype("Int64")
    out["complete"] = out["complete"].astype("boolean")
    return out.sort_values([*by, "year"]).reset_index(drop=True)
