"""Women's participation in peacekeeping: shares with intervals, growth, gaps to the parity targets,
projected year of reaching them, contributor rankings and concentration, and the mission-year
association with allegations (in the spirit of Karim & Beardsley 2016). Pure functions.

Inputs are either the UN monthly gender statistics read by
:func:`pkoresearch.readers.un_gender.read_gender_statistics` or the bundled curated tables.

>>> from pkoresearch import participation
>>> g = participation.growth(1016, 3332, 2005, 2010)
>>> round(g.estimate, 2)
3.28
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import curated, stats
from .errors import ParameterError

CURATED_CATEGORIES = ["all_uniformed", "military", "military_contingents",
                      "staff_officers_experts", "police", "individual_police",
                      "formed_police_units"]
DEFAULT_CATEGORIES = ["all_uniformed", "military_contingents", "staff_officers_experts",
                      "individual_police", "formed_police_units"]
# curated categories -> the gender-statistics categories they sum
GROUPS = {
    "all_uniformed": ["individual_police", "formed_police_units", "experts_on_mission", "troops"],
    "military": ["experts_on_mission", "troops"],
    "military_contingents": ["troops"],
    "staff_officers_experts": ["experts_on_mission"],
    "police": ["individual_police", "formed_police_units"],
    "individual_police": ["individual_police"],
    "formed_police_units": ["formed_police_units"],
}


def add_share(df: pd.DataFrame, women: str = "women", personnel: str = "personnel",
              method: str = "wilson", alpha: float = 0.05) -> pd.DataFrame:
    """Add ``share_pct, ci_low, ci_high`` (percent) to a table with women and personnel counts.

    The interval is a binomial (Wilson by default) interval: the figures are a census, so it says
    how precisely a share is pinned down by the number deployed, useful for comparing small
    contributors or missions, not a sampling error."""
    return stats.proportion_table(df, women, personnel, method, alpha, scale=100,
                                  prefix="share_pct")


# --------------------------------------------------------------------------------------------------
# from the monthly gender statistics


def shares_by(counts: pd.DataFrame, by: Sequence[str] = ("date", "group"),
              groups: Sequence[str] = ("all_uniformed",), method: str = "wilson") -> pd.DataFrame:
    """Women, personnel and women's share by ``by`` for each curated ``group`` of categories
    (all_uniformed, military, military_contingents, staff_officers_experts, police,
    individual_police, formed_police_units): ``*by, women, personnel, share_pct, ci_low, ci_high``.

    ``counts`` is the tidy table of :class:`~pkoresearch.readers.un_gender.GenderStatistics`.
    Example: ``shares_by(g.counts, ["date", "group"], ["military_contingents", "police"])``
    """
    frames = []
    for group in groups:
        if group not in GROUPS:
            raise ParameterError(f"groups: found {group!r}; expected one of {list(GROUPS)}")
        part = counts[counts["category"].isin(GROUPS[group])].assign(group=group)
        frames.append(part)
    from .readers.un_gender import sum_by_sex

    out = sum_by_sex(pd.concat(frames, ignore_index=True), by).drop(columns="men")
    out = out.astype({"women": int, "personnel": int})
    return add_share(out, method=method)


def year_end(frame: pd.DataFrame, date: str = "date") -> pd.DataFrame:
    """Keep each year's last month (December where the data have it) and add ``year``."""
    d = frame.copy()
    d["year"] = d[date].dt.year
    last = d.groupby("year")[date].transform("max")
    return d[d[date] == last].reset_index(drop=True)


def contributor_ranking(counts: pd.DataFrame, date, top_n: int = 10,
                        method: str = "wilson") -> pd.DataFrame:
    """Contributors on one date ranked by women deployed: ``rank, contributor, women, personnel,
    share_pct, ci_low, ci_high, share_of_all_women_pct, cumulative_pct``."""
    day = counts[counts["date"] == pd.Timestamp(date)]
    if day.empty:
        raise ParameterError(f"date: found {date!r}; expected a date in the data")
    t = shares_by(day, ["contributor"], ["all_uniformed"], method)
    t = t.sort_values(["women", "personnel", "contributor"], ascending=[False, False, True])
    t["share_of_all_women_pct"] = 100 * t["women"] / t["women"].sum()
    t["cumulative_pct"] = t["share_of_all_women_pct"].cumsum()
    t.insert(0, "rank", range(1, len(t) + 1))
    return t.head(top_n).reset_index(drop=True)


def concentration(women: pd.Series, top_n: int = 5) -> float:
    """Percent of all deployed women who come from the ``top_n`` contributors."""
    w = pd.Series(women, dtype=float).sort_values(ascending=False)
    if w.sum() <= 0:
        raise ParameterError("concentration: no women in the data; expected a positive total")
    return float(100 * w.head(top_n).sum() / w.sum())


# --------------------------------------------------------------------------------------------------
# from the curated tables


def curated_shares(categories: Sequence[str] | None = None, start_year: int = 1992,
                   end_year: int = 2030, year_end_only: bool = True) -> pd.DataFrame:
    """Women's share by year and category from the curated ``personnel`` table:
    ``year, month, category, share_pct, women, personnel, source_id, confidence``; women and
    personnel where the source gives them (then with a Wilson interval)."""
    p = curated.load("personnel")
    cats = list(categories or CURATED_CATEGORIES)
    p = p[p["category"].isin(cats) & p["year"].between(start_year, end_year)]
    key = ["year", "month", "category"]
    k = p.assign(month=p["month"].fillna(0))
    wide = k.pivot_table(index=key, columns="measure", values="value", aggfunc="first",
                         observed=True)
    src = k[k["measure"] == "women_share_pct"].set_index(key)[["source_id", "confidence"]]
    wide = wide.join(src, how="left").reset_index()
    if "women" not in wide:
        wide["women"] = np.nan
    if "personnel_total" not in wide:
        wide["personnel_total"] = np.nan
    wide = wide.rename(columns={"women_share_pct": "share_pct", "personnel_total": "personnel"})
    wide = wide.dropna(subset=["share_pct"])
    if year_end_only:
        # one figure per year and category: the latest month given (a year-only figure counts as
        # month 0, so a dated month wins)
        wide = wide.sort_values(key).groupby(["year", "category"], observed=True).tail(1)
    wide["month"] = wide["month"].astype(int).replace(0, pd.NA).astype("Int64")
    wide["category"] = wide["category"].astype(str)
    cols = ["year", "month", "category", "share_pct", "women", "personnel", "source_id",
            "confidence"]
    return wide[cols].sort_values(["category", "year"]).reset_index(drop=True)


def curated_contributors(year: int, month: int, category: str = "all_uniformed",
                         contributors: Sequence[str] | None = None) -> pd.DataFrame:
    """Women and personnel by contributing country from the curated ``personnel_by_country``:
    ``country, iso3, women, personnel, share_pct, ci_low, ci_high, source_id``."""
    c = curated.load("personnel_by_country")
    c = c[(c["year"] == year) & (c["month"] == month) & (c["category"] == category)]
    if contributors is not None:
        c = c[c["country"].isin(list(contributors))]
    out = pd.DataFrame({"country": c["country"].astype(str), "iso3": c["iso3"].astype(str),
                        "women": c["women"].astype(int), "personnel": c["personnel_total"].astype(int),
                        "source_id": c["source_id"].astype(str)})
    return add_share(out).sort_values(["women", "country"], ascending=[False, True]
                                      ).reset_index(drop=True)


def parity_gap(shares: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each numeric parity target against the observed share of its category:
    ``category, target_year, target_pct, observed_year, observed_pct, gap_pp, status``.

    For a target year already covered by the data the observation is the last one up to the
    target year (status "met" or "not met"); for a later target it is the latest observation
    (status "open"). ``gap_pp`` is target minus observed, in percentage points."""
    t = curated.load("parity_targets") if targets is None else targets
    t = t.dropna(subset=["target_share_pct"])
    rows = []
    for r in t.itertuples():
        s = shares[shares["category"] == str(r.category)].dropna(subset=["share_pct"])
        s = s.sort_values("year")
        if s.empty:
            continue
        target_year, target = int(r.year), float(r.target_share_pct)
        upto = s[s["year"] <= target_year]
        if target_year <= s["year"].max() and not upto.empty:
            obs = upto.iloc[-1]
            status = "met" if obs["share_pct"] >= target else "not met"
        else:
            obs, status = s.iloc[-1], "open"
        rows.append({"category": str(r.category), "target_year": target_year, "target_pct": target,
                     "observed_year": int(obs["year"]), "observed_pct": float(obs["share_pct"]),
                     "gap_pp": target - float(obs["share_pct"]), "status": status})
    return pd.DataFrame(rows, columns=["category", "target_year", "target_pct", "observed_year",
                                       "observed_pct", "gap_pp", "status"])


def women_count(year: int, month: int | None = None, category: str = "all_uniformed") -> int:
    """Women deployed as the curated ``personnel`` table gives them (preferred value) for a year
    (and month, when given; otherwise the year-only or latest figure)."""
    p = curated.load("personnel")
    p = p[(p["category"] == category) & (p["measure"] == "women") & (p["year"] == year)]
    if month is not None:
        p = p[p["month"] == month]
    if p.empty:
        raise ParameterError(f"women_count: no curated count of women for {category} in "
                             f"{year}{'' if month is None else f'-{month:02d}'}")
    return int(p.sort_values("month", na_position="first")["value"].iloc[-1])


def curated_contributor_dates(start_year: int = 1948, end_year: int = 2030) -> list[tuple[int, int]]:
    """(year, month) pairs for which the curated ``personnel_by_country`` has figures."""
    c = curated.load("personnel_by_country")
    c = c[c["year"].between(start_year, end_year)]
    return sorted({(int(y), int(m)) for y, m in zip(c["year"], c["month"])})


def projections(yearly: pd.DataFrame, targets: pd.DataFrame | None = None,
                horizon: int = 2060) -> pd.DataFrame:
    """For each numeric target later than the data, the projected year of reaching it from the
    category's linear trend: ``category, target_year, target_pct, projected, year, ci_low, ci_high,
    slope_pp_per_year, n``. Categories with fewer than 3 yearly observations are left out."""
    t = curated.load("parity_targets") if targets is None else targets
    t = t.dropna(subset=["target_share_pct"])
    rows = []
    for r in t.itertuples():
        s = yearly[yearly["category"] == str(r.category)].dropna(subset=["share_pct"])
        if len(s) < 3 or int(r.year) <= s["year"].max():
            continue
        pr = project_year(s["year"], s["share_pct"], float(r.target_share_pct), horizon)
        last = s.sort_values("year").iloc[-1]
        text = (f"already reached ({last['share_pct']:.1f}% in {int(last['year'])})"
                if last["share_pct"] >= float(r.target_share_pct) else pr.text)
        rows.append({"category": str(r.category), "target_year": int(r.year),
                     "target_pct": float(r.target_share_pct), "projected": text,
                     "year": pr.year, "ci_low": pr.ci_low, "ci_high": pr.ci_high,
                     "slope_pp_per_year": pr.slope_pp_per_year, "n": pr.n})
    return pd.DataFrame(rows, columns=["category", "target_year", "target_pct", "projected", "year",
                                       "ci_low", "ci_high", "slope_pp_per_year", "n"])


@dataclass(frozen=True)
class Projection:
    """When a linear trend in the share reaches a target, with an interval."""

    target_pct: float
    year: float | None  # fitted crossing year; None when the trend never gets there
    ci_low: float | None
    ci_high: float | None  # None: the upper bound is past the horizon
    slope_pp_per_year: float
    slope_ci: tuple[float, float]
    horizon: int
    n: int
    method: str = ("OLS of share on year; crossing year from the fitted line, interval = years "
                   "where the target lies inside the 95% confidence band of the line")

    @property
    def text(self) -> str:
        if self.year is None or self.year > self.horizon:
            return f"not reached by {self.horizon}"
        hi = "later" if self.ci_high is None else f"{self.ci_high:.0f}"
        lo = "already" if self.ci_low is None else f"{self.ci_low:.0f}"
        return f"{self.year:.0f} (95% interval {lo}-{hi})"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"target_pct": self.target_pct, "year": self.year,
                              "ci_low": self.ci_low, "ci_high": self.ci_high,
                              "slope_pp_per_year": self.slope_pp_per_year, "text": self.text}])


def project_year(years: Sequence[float], shares_pct: Sequence[float], target_pct: float,
                 horizon: int = 2100, alpha: float = 0.05) -> Projection:
    """Projected year in which a linear trend in women's share (percent) reaches ``target_pct``.

    Fits share = a + b * year by least squares. The crossing year is (target - a) / b; its interval
    is the set of years, up to ``horizon``, whose 95% confidence band for the mean share contains
    the target (inverse regression). Where the slope is not positive or the crossing lies past the
    horizon the result says "not reached by <horizon>".
    Example: ``project_year([2015, 2016, 2017], [3.0, 3.5, 4.0], 5.0).text`` -> "2019 (...)"
    """
    x = np.asarray(years, dtype=float)
    y = np.asarray(shares_pct, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 3:
        raise ParameterError(f"project_year: found {n} observations; expected at least 3")
    xm = x.mean()
    sxx = ((x - xm) ** 2).sum()
    if sxx == 0:
        raise ParameterError("project_year: all observations are in one year; expected several")
    b = ((x - xm) * (y - y.mean())).sum() / sxx
    a = y.mean() - b * xm
    resid = y - (a + b * x)
    s = math.sqrt((resid ** 2).sum() / (n - 2)) if n > 2 else 0.0
    tq = sps.t.ppf(1 - alpha / 2, n - 2)
    se_b = s / math.sqrt(sxx)
    grid = np.arange(math.floor(x.min()), horizon + 1, 0.01)
    fit = a + b * grid
    half = tq * s * np.sqrt(1 / n + (grid - xm) ** 2 / sxx)
    inside = (fit - half <= target_pct) & (target_pct <= fit + half)
    crossing = (target_pct - a) / b if b > 0 else None
    if crossing is None or crossing > horizon:
        low = float(grid[inside][0]) if inside.any() else None
        return Projection(target_pct, None, low, None, float(b), (b - tq * se_b, b + tq * se_b),
                          horizon, n)
    if s == 0:  # the points lie on a line: no uncertainty about the crossing
        return Projection(target_pct, float(crossing), float(crossing), float(crossing), float(b),
                          (float(b), float(b)), horizon, n)
    lo = float(grid[inside][0]) if inside.any() else None
    hi = float(grid[inside][-1]) if inside.any() else None
    if lo is not None and lo <= grid[0]:
        lo = None  # the band already contains the target at the first year observed
    if hi is not None and hi >= horizon:
        hi = None
    return Projection(target_pct, float(crossing), lo, hi, float(b),
                      (b - tq * se_b, b + tq * se_b), horizon, n)


def growth(start_value: float, end_value: float, start_year: int, end_year: int
           ) -> stats.Estimate:
    """Growth between two counts: ratio (estimate), with the absolute change and the compound
    yearly growth in ``detail``. No interval: both are counts of everyone deployed.
    Example: ``growth(1016, 3332, 2005, 2010)`` (the 2011 TIP report's figures)."""
    if start_value <= 0 or end_value < 0 or end_year <= start_year:
        raise ParameterError("growth: expected a positive start value and end_year > start_year")
    ratio = end_value / start_value
    cagr = ratio ** (1 / (end_year - start_year)) - 1
    return stats.Estimate(ratio, ratio, ratio, "ratio of counts (census, no sampling interval)",
                          detail={"change": end_value - start_value,
                                  "yearly_growth_pct": 100 * cagr,
                                  "start": start_value, "end": end_value,
                                  "start_year": start_year, "end_year": end_year})


# --------------------------------------------------------------------------------------------------
# association with allegations


def mission_year_panel(shares: pd.DataFrame, allegations: pd.DataFrame) -> pd.DataFrame:
    """Join mission-year women's share (``year, mission, women, personnel, share_pct``) to
    mission-year allegation counts (``year, mission, allegations``); only mission-years present in
    both are kept, and the number of each is in ``panel.attrs``."""
    s = shares[["year", "mission", "women", "personnel", "share_pct"]]
    a = allegations[["year", "mission", "allegations"]]
    panel = s.merge(a, on=["year", "mission"], how="inner")
    panel.attrs.update({"mission_years_with_shares": len(s),
                        "mission_years_with_allegations": len(a), "joined": len(panel)})
    return panel.reset_index(drop=True)


def association_model(panel: pd.DataFrame, covariates: Sequence[str] = (), family: str = "negbin",
                      alpha: float = 0.05) -> stats.CountModel:
    """Association (not a causal effect) between women's share and allegations across
    mission-years: a negative binomial GLM of ``allegations`` on ``share_pct`` (per percentage
    point) and ``covariates``, with offset log(personnel). The ``share_pct`` IRR is the
    multiplicative difference in the allegation rate per extra percentage point of women.
    Example: ``association_model(panel, ["year_c"])``
    """
    d = panel.copy()
    return stats.count_model(d, "allegations", "personnel", ["share_pct", *covariates],
                             family=family, alpha=alpha, keep=[c for c in ("year", "mission")
                                                               if c in d])
