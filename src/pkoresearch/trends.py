"""Allegation trends: counts, rates with exact intervals, rate ratios, trend and segmented models,
children's share, outcomes and reporting lags. Pure functions on tidy tables.

Two inputs are supported: the bundled curated yearly series (:func:`curated_series`, 2004-2024) and
an allegation-level UN export read by
:func:`pkoresearch.readers.un_conduct.read_table_of_allegations` (2015 on).

>>> import pkoresearch as pko
>>> s = pko.trends.curated_series(2009, 2010)
>>> s["allegations"].tolist()
[112, 85]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import curated, stats
from .errors import MeasurementBreakWarning, ParameterError
from .readers.un_conduct import AllegationTable

POLICY_DATES = {
    2003: "zero-tolerance bulletin ST/SGB/2003/13",
    2008: "UN misconduct tracking system (a measurement break)",
    2015: "Central African Republic allegations; first nationality data",
    2016: "Security Council resolution 2272; national investigation officers required",
    2017: "Secretary-General's strategy on sexual exploitation and abuse",
}
COUNTING_CHANGES = {
    2008: "the UN misconduct tracking system starts: counts before it were compiled differently",
    2015: "nationality of uniformed personnel published and the allegation-level table starts",
    2017: "the UN reports peacekeeping and special political missions together from the 2017 data",
}
# which curated scope makes the headline series in each year
SCOPE_UNTIL_2016, SCOPE_FROM_2017 = "peacekeeping", "peacekeeping_and_spm"
GROUPINGS = ("mission", "personnel_category", "personnel_subtype", "allegation_kind",
             "nationality", "nio_appointed", "result")


# --------------------------------------------------------------------------------------------------
# series


def curated_series(start_year: int = 2004, end_year: int = 2024) -> pd.DataFrame:
    """Yearly SEA allegations from the curated data: ``year, allegations, scope, source_id,
    confidence``. Peacekeeping operations up to 2016; peacekeeping plus special political missions
    from 2017 (the UN's own change of reporting). Years without a sourced total are absent."""
    a = curated.load("allegations")
    a = a[a["measure"] == "allegations_total"]
    keep = ((a["scope"] == SCOPE_UNTIL_2016) & (a["year"] <= 2016)) | (
        (a["scope"] == SCOPE_FROM_2017) & (a["year"] >= 2017))
    s = a[keep & a["year"].between(start_year, end_year)]
    out = pd.DataFrame({
        "year": s["year"].astype(int).to_numpy(),
        "allegations": s["value"].astype("Int64").to_numpy(),
        "scope": s["scope"].astype(str).to_numpy(),
        "source_id": s["source_id"].astype(str).to_numpy(),
        "confidence": s["confidence"].astype(str).to_numpy(),
    })
    return out.sort_values("year").reset_index(drop=True)


def curated_mission_series(missions: Sequence[str] | None = None, start_year: int = 2004,
                           end_year: int = 2024) -> pd.DataFrame:
    """Yearly allegations by mission from the curated, partial per-mission figures:
    ``year, mission, allegations, source_id, confidence`` (only rows counting all allegations)."""
    m = curated.load("allegations_by_mission")
    m = m[(m["measure"] == "allegations_total") & m["year"].between(start_year, end_year)]
    if missions is not None:
        m = m[m["mission"].isin(list(missions))]
    out = m[["year", "mission", "value", "source_id", "confidence"]].rename(
        columns={"value": "allegations"})
    out["allegations"] = out["allegations"].astype("Int64")
    out["year"] = out["year"].astype(int)
    for c in ("mission", "source_id", "confidence"):
        out[c] = out[c].astype(str)
    return out.sort_values(["year", "mission"]).reset_index(drop=True)


def personnel_by_year(category: str = "all_uniformed") -> pd.DataFrame:
    """Uniformed personnel at the end of each year (December, or the latest month given):
    ``year, personnel, month, source_id``; from the curated ``personnel`` table."""
    p = curated.load("personnel")
    p = p[(p["category"] == category) & (p["measure"] == "personnel_total") & p["month"].notna()]
    p = p.sort_values(["year", "month"]).groupby("year", as_index=False).tail(1)
    return pd.DataFrame({
        "year": p["year"].astype(int).to_numpy(),
        "personnel": p["value"].astype(float).to_numpy(),
        "month": p["month"].astype(int).to_numpy(),
        "source_id": p["source_id"].astype(str).to_numpy(),
    }).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# the allegation-level table


def select(table: AllegationTable, start_year: int | None = None, end_year: int | None = None,
           missions: Sequence[str] | None = None,
           personnel_categories: Sequence[str] | None = None) -> AllegationTable:
    """Keep the allegations reported in ``start_year..end_year``, in ``missions`` and involving
    ``personnel_categories`` (any of its personnel lines). Child tables follow. The row counts
    before and after each filter are in ``.counts``."""
    a = table.allegations
    counts = {"rows_in_file": table.counts.get("rows_in_file", len(a)), "start": len(a)}
    keep = pd.Series(True, index=a.index)
    if start_year is not None:
        keep &= a["report_year"] >= start_year
    if end_year is not None:
        keep &= a["report_year"] <= end_year
    counts["after_years"] = int(keep.sum())
    if missions is not None:
        keep &= a["mission"].isin(list(missions))
        counts["after_missions"] = int(keep.sum())
    if personnel_categories is not None:
        ids = table.personnel.loc[table.personnel["category"].isin(list(personnel_categories)),
                                  "allegation_id"]
        keep &= a["allegation_id"].isin(ids)
        counts["after_personnel_categories"] = int(keep.sum())
    ids = set(a.loc[keep, "allegation_id"])

    def sub(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["allegation_id"].isin(ids)].reset_index(drop=True)

    return AllegationTable(
        allegations=sub(a), personnel=sub(table.personnel), victims=sub(table.victims),
        allegation_types=sub(table.allegation_types), investigations=sub(table.investigations),
        results=sub(table.results), actions=sub(table.actions), unrecognised=table.unrecognised,
        path=table.path, counts={**counts, "selected": len(ids)})


def count_by(table: AllegationTable, by: str | None = None) -> pd.DataFrame:
    """Allegations by reporting year and, optionally, one grouping: ``year, [by], allegations``.

    ``by`` is one of mission, personnel_category, personnel_subtype, allegation_kind, nationality,
    nio_appointed, result. For personnel, allegation kind and nationality an allegation that names
    several is counted once in each (the UN's own convention), so groups can sum to more than the
    yearly total.
    Example: ``count_by(table, "personnel_category")``
    """
    a = table.allegations[["allegation_id", "report_year"]].rename(columns={"report_year": "year"})
    if by is None:
        out = a.groupby("year").size().rename("allegations").reset_index()
        return out.astype({"year": int, "allegations": "Int64"})
    if by not in GROUPINGS:
        raise ParameterError(f"count_by: found by={by!r}; expected one of {list(GROUPINGS)}")
    if by in ("personnel_category", "personnel_subtype"):
        col = by.removeprefix("personnel_")
        g = table.personnel[["allegation_id", col]].rename(columns={col: by})
    elif by == "allegation_kind":
        g = table.allegation_types[["allegation_id", "kind"]].rename(columns={"kind": by})
    elif by == "nationality":
        nat = table.allegations[["allegation_id", "nationality"]].copy()
        nat["nationality"] = nat["nationality"].fillna("not published").str.split("; ")
        g = nat.explode("nationality")
    else:
        g = table.allegations[["allegation_id", by]]
    g = g.astype({by: "string"}).fillna({by: "missing"}).drop_duplicates()
    out = a.merge(g, on="allegation_id").groupby(["year", by]).size().rename("allegations")
    return out.reset_index().astype({"year": int, "allegations": "Int64"})


def counts(allegations: pd.DataFrame, by: Sequence[str] = ("mission", "personnel_category")
           ) -> pd.DataFrame:
    """Allegations by reporting year and several columns of the allegations table at once:
    ``year, *by, allegations`` (empty combinations left out). Uses the one-row-per-allegation
    columns, so an allegation naming several personnel categories counts under ``multiple``;
    :func:`count_by` counts it once in each category instead.
    Example: ``counts(table.allegations, ["mission", "personnel_category"])``
    """
    missing = [c for c in ("report_year", *by) if c not in allegations.columns]
    if missing:
        raise ParameterError(f"counts: found no column(s) {missing}; expected columns of the "
                             "allegations table")
    out = allegations.groupby(["report_year", *by], observed=True, sort=True).size()
    out = out.rename("allegations").reset_index().rename(columns={"report_year": "year"})
    return out.astype({"year": int, "allegations": "Int64"})


def complete_years(counts: pd.DataFrame, start_year: int, end_year: int,
                   value: str = "allegations") -> pd.DataFrame:
    """Add the years in ``start_year..end_year`` that have no allegation, with a count of 0."""
    years = pd.DataFrame({"year": range(start_year, end_year + 1)})
    out = years.merge(counts, on="year", how="left")
    out[value] = out[value].fillna(0).astype("Int64")
    return out


def last_complete_year(table: AllegationTable) -> int:
    """The last reporting year the table covers in full (its last month is December)."""
    as_of = table.as_of
    return as_of.year if as_of.month == 12 else as_of.year - 1


def revisions(table_counts: pd.DataFrame, curated_counts: pd.DataFrame,
              last_complete: int | None = None) -> pd.DataFrame:
    """Years in both series: ``year, curated, table, difference`` (table minus curated), and
    ``table_complete`` (False for years after ``last_complete``, which the table covers in part).

    The allegation-level table is the UN's current state of each allegation; the curated figure is
    what a report published at the time said. Differences are revisions (or scope differences)."""
    m = curated_counts[["year", "allegations", "scope", "source_id"]].rename(
        columns={"allegations": "curated"}).merge(
        table_counts[["year", "allegations"]].rename(columns={"allegations": "table"}), on="year")
    m["difference"] = (m["table"] - m["curated"]).astype("Int64")
    m["table_complete"] = True if last_complete is None else m["year"] <= last_complete
    return m[["year", "curated", "table", "difference", "table_complete", "scope", "source_id"]]


def yearly(start_year: int, end_year: int, missions: Sequence[str] | None = None,
           table: AllegationTable | None = None) -> pd.DataFrame:
    """The yearly allegation counts a trends analysis starts from:
    ``year, allegations, source, source_id`` (curated ids joined by "; "; missing for a table).

    With an allegation-level ``table`` (already selected), every year in the range is present (0 where
    nothing was reported). Without one, the curated series: the all-mission headline series, or the
    partial per-mission figures summed over ``missions`` where missions are given (years with no
    sourced figure are absent, not zero).
    """
    if table is not None:
        c = complete_years(count_by(table), start_year, end_year)
        c["source"] = f"UN table of allegations ({table.path.name})"
        c["source_id"] = pd.NA
        return c
    if missions is None:
        c = curated_series(start_year, end_year)
        c["source"] = "curated: " + c["scope"]
        return c[["year", "allegations", "source", "source_id"]]
    m = curated_mission_series(missions, start_year, end_year)
    c = m.groupby("year", as_index=False).agg(
        allegations=("allegations", "sum"),
        source_id=("source_id", lambda s: "; ".join(sorted(set(s)))))
    c["source"] = "curated per-mission figures (partial)"
    return c[["year", "allegations", "source", "source_id"]]


def exposure_for(personnel_categories: Sequence[str] | None,
                 missions: Sequence[str] | None) -> tuple[pd.DataFrame | None, str]:
    """The personnel series that rates can be computed on, and a sentence saying which (or why
    none): all uniformed personnel for all categories, military or police personnel for those
    categories alone; none for civilians or a mission subset (no such denominator is bundled)."""
    if missions is not None:
        return None, ("no rate: personnel by mission is not in the bundled data, so counts are "
                      "shown without a denominator")
    cats = set(personnel_categories or ["military", "police", "civilian"])
    if cats == {"military", "police", "civilian"}:
        return personnel_by_year("all_uniformed"), (
            "rates use all uniformed personnel (troops, observers, staff officers, police) at year "
            "end; civilian staff are in the counts but not in the denominator")
    if cats in ({"military"}, {"police"}):
        (cat,) = cats
        return personnel_by_year(cat), f"rates use {cat} personnel at year end"
    if cats == {"military", "police"}:
        return personnel_by_year("all_uniformed"), "rates use all uniformed personnel at year end"
    return None, "no rate: there is no bundled denominator for civilian personnel"


# --------------------------------------------------------------------------------------------------
# rates and changes


def rates(counts: pd.DataFrame, personnel: pd.DataFrame, per: float = 1000,
          alpha: float = 0.05) -> pd.DataFrame:
    """Allegations per ``per`` uniformed personnel with exact Poisson intervals, the count beside
    the rate: ``year, allegations, personnel, rate, ci_low, ci_high``. Years without a personnel
    figure keep their count and get a missing rate."""
    m = counts[["year", "allegations"]].merge(personnel[["year", "personnel"]], on="year",
                                              how="left")
    rows = []
    for r in m.itertuples(index=False):
        if pd.isna(r.personnel) or pd.isna(r.allegations):
            rows.append((np.nan, np.nan, np.nan))
        else:
            e = stats.poisson_rate(int(r.allegations), float(r.personnel), per, alpha)
            rows.append((e.estimate, e.ci_low, e.ci_high))
    m[["rate", "ci_low", "ci_high"]] = pd.DataFrame(rows, index=m.index)
    m["per"] = per
    return m


def _period_total(df: pd.DataFrame, period: int | Sequence[int], column: str) -> tuple[float, str]:
    if isinstance(period, (int, np.integer)):
        first = last = int(period)
    else:
        first, last = int(period[0]), int(period[-1])
    sel = df[df["year"].between(first, last)]
    want = set(range(first, last + 1))
    have = set(sel.dropna(subset=[column])["year"])
    if want - have:
        raise ParameterError(f"period {first}-{last}: no {column} for {sorted(want - have)}; "
                             "expected every year of the period in the data")
    return float(sel[column].sum()), (f"{first}" if first == last else f"{first}-{last}")


def change(counts_with_personnel: pd.DataFrame, period1: int | Sequence[int],
           period0: int | Sequence[int], alpha: float = 0.05) -> stats.Estimate:
    """Rate ratio of ``period1`` over ``period0`` (a year or (first, last)), exact conditional test.

    Input: ``year, allegations, personnel`` (e.g. the output of :func:`rates`).
    Example: ``change(rates_df, 2010, 2009)``
    """
    c1, l1 = _period_total(counts_with_personnel, period1, "allegations")
    c0, l0 = _period_total(counts_with_personnel, period0, "allegations")
    e1, _ = _period_total(counts_with_personnel, period1, "personnel")
    e0, _ = _period_total(counts_with_personnel, period0, "personnel")
    est = stats.rate_ratio(int(c1), e1, int(c0), e0, alpha)
    return stats.Estimate(est.estimate, est.ci_low, est.ci_high, est.method, est.p_value, alpha,
                          {**est.detail, "period1": l1, "period0": l0})


def trend(counts_with_personnel: pd.DataFrame, family: str = "auto",
          alpha: float = 0.05) -> stats.CountModel:
    """Log-linear trend: allegations ~ year with offset log(personnel). The ``year_c`` IRR is the
    yearly multiplicative change in the rate; the model (Poisson or negative binomial) is chosen by
    the overdispersion test unless ``family`` says otherwise."""
    d = counts_with_personnel.dropna(subset=["allegations", "personnel"]).copy()
    d["year_c"] = d["year"] - d["year"].min()
    d["allegations"] = d["allegations"].astype(float)
    return stats.count_model(d, "allegations", "personnel", ["year_c"], family=family,
                             alpha=alpha, keep=["year"])


def usable_breakpoints(counts_with_personnel: pd.DataFrame, breakpoints: Sequence[int]
                       ) -> tuple[list[int], list[int]]:
    """Split ``breakpoints`` into those inside the years with counts and personnel (at least two
    years before and one from the breakpoint on) and those outside."""
    d = counts_with_personnel.dropna(subset=["allegations", "personnel"])
    if d.empty:
        return [], sorted(breakpoints)
    lo, hi = int(d["year"].min()), int(d["year"].max())
    kept = sorted(b for b in breakpoints if lo + 2 <= b <= hi)
    return kept, sorted(b for b in breakpoints if b not in kept)


def segmented(counts_with_personnel: pd.DataFrame, breakpoints: Sequence[int] | None = None,
              family: str = "auto", alpha: float = 0.05) -> stats.CountModel:
    """Segmented (interrupted time series) regression with a level and a slope change at each
    breakpoint, offset log(personnel). ``breakpoints`` default to the policy dates in
    :data:`POLICY_DATES` that fall inside the data with at least two years on each side.

    A :class:`~pkoresearch.errors.MeasurementBreakWarning` is issued for each breakpoint that
    coincides with a change in how allegations were counted (:data:`COUNTING_CHANGES`): a level
    change there may be an artefact of counting.
    """
    d = counts_with_personnel.dropna(subset=["allegations", "personnel"]).copy()
    years = sorted(d["year"].astype(int))
    if breakpoints is None:
        breakpoints = [b for b in POLICY_DATES if years[0] + 2 <= b <= years[-1] - 1]
    breakpoints = sorted(int(b) for b in breakpoints)
    for b in breakpoints:
        if not years[0] < b <= years[-1]:
            raise ParameterError(f"breakpoints: found {b}; expected years after {years[0]} and up "
                                 f"to {years[-1]} (the years with both counts and personnel)")
    n_params = 2 + 2 * len(breakpoints)
    if len(d) <= n_params:
        raise ParameterError(f"breakpoints: {len(breakpoints)} breakpoint(s) need more than "
                             f"{n_params} years with counts and personnel; found {len(d)}")
    for b in breakpoints:
        if b in COUNTING_CHANGES:
            warnings.warn(MeasurementBreakWarning(
                f"breakpoint {b} coincides with a change in counting: {COUNTING_CHANGES[b]}"),
                stacklevel=2)
    X = stats.segmented_design(d["year"], breakpoints)
    d = pd.concat([d, X], axis=1)
    d["allegations"] = d["allegations"].astype(float)
    return stats.count_model(d, "allegations", "personnel", list(X.columns), family=family,
                             alpha=alpha, keep=["year"])


# --------------------------------------------------------------------------------------------------
# allegation-level measures


def child_share(table: AllegationTable, method: str = "wilson", alpha: float = 0.05
                ) -> pd.DataFrame:
    """Share of allegations with at least one child victim, by reporting year, with intervals:
    ``year, with_child, allegations, share, ci_low, ci_high``."""
    a = table.allegations
    g = a.groupby("report_year").agg(with_child=("involves_child", "sum"),
                                     allegations=("allegation_id", "size")).reset_index()
    g = stats.proportion_table(g, "with_child", "allegations", method, alpha, prefix="share")
    return g.rename(columns={"report_year": "year"}).astype({"year": int})


def outcomes_by_year(table: AllegationTable) -> pd.DataFrame:
    """Allegations by reporting year and overall investigation result (wide, one column per
    result, zeros kept), as of the table's date: recent years hold more pending cases."""
    a = table.allegations
    out = pd.crosstab(a["report_year"], a["result"], dropna=False)
    out.index = out.index.astype(int)
    out.index.name = "year"
    out.columns = [str(c) for c in out.columns]
    return out


def report_lag(table: AllegationTable) -> pd.DataFrame:
    """Years from the (latest known) incident year to the reporting year, per allegation:
    ``allegation_id, year, incident_year, lag_years``; allegations with no incident year are kept
    with a missing lag."""
    a = table.allegations
    incident = a["incident_end_year"].fillna(a["incident_start_year"])
    out = pd.DataFrame({"allegation_id": a["allegation_id"], "year": a["report_year"].astype(int),
                        "incident_year": incident.astype("Int64")})
    out["lag_years"] = (out["year"] - out["incident_year"]).astype("Int64")
    return out


def lag_summary(lags: pd.DataFrame) -> pd.DataFrame:
    """Per reporting year: allegations, how many have an incident year, the median lag and the
    share reported more than a year after the incident."""
    g = lags.groupby("year")
    out = pd.DataFrame({
        "allegations": g.size(),
        "with_incident_year": g["lag_years"].count(),
        "median_lag_years": g["lag_years"].median(),
        "share_lag_over_1_year": g["lag_years"].apply(
            lambda s: float((s.dropna() > 1).mean()) if s.notna().any() else np.nan),
    })
    return out.reset_index()
