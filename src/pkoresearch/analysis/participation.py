"""Women's participation in peacekeeping: shares with intervals, growth, gaps to the parity targets,
projected year of reaching them, contributor rankings and concentration, and the mission-year
association with allegations (in the spirit of Karim & Beardsley 2016). Pure functions.

Inputs are either the UN monthly gender statistics read by
:func:`pkoresearch.data.readers.un_gender.read_gender_statistics` or the bundled curated tables.

Three rules run through the module:

- **One definition per series.** Every share carries the definition it was counted under
  (:data:`DEFINITIONS`, :func:`definition_of`). Until 2016 the UN counted staff officers inside
  "Troops": ``staff_officers_experts`` is military experts on mission only up to 2016 and staff
  officers plus military experts from 2017, and ``military_contingents`` includes the staff
  officers up to 2016. Targets are checked, and trends fitted, within one definition only
  (:func:`project_year` refuses a series that mixes definitions).
- **Year-end or not.** A yearly figure is ``complete`` when it is the year's December figure;
  another month's figure is flagged (February 2014, the last month of the IPI scrape, is not the
  2014 year-end), and a figure whose source states no month has ``complete`` <NA>.
- **Rounded secondary figures are named** wherever a met / not met status rests on one.

>>> from pkoresearch.analysis import participation
>>> g = participation.growth(1016, 3332, 2005, 2010)
>>> round(g.estimate, 2)
3.28
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from pkoresearch.analysis import stats
from pkoresearch.data import curated
from pkoresearch.data.coverage import Coverage
from pkoresearch.errors import ParameterError

CURATED_CATEGORIES = list(curated.PERSONNEL_CATEGORIES)  # the categories of the curated shares
DEFAULT_CATEGORIES = [
    "all_uniformed",
    "military_contingents",
    "staff_officers_experts",
    "individual_police",
    "formed_police_units",
]
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

# The first year in which the UN counts staff officers apart from troops: Our World in Data's
# "military observers and staff officers" column jumps from 2,153 (2016) to 3,464 (2017), its
# 2009-2013 values equal the IPI "Experts on Mission" sums, and the IPI rows say staff officers are
# not separate in their period (data/personnel.csv notes; shared/reference/women_by_year.csv).
STAFF_OFFICERS_SEPARATE_FROM = 2017

DEFINITIONS = {
    "all_uniformed": "all uniformed personnel: troops (with staff officers), military experts on "
    "mission, individual police and formed police units",
    "uniformed_with_justice_corrections": "uniformed personnel plus government-provided justice "
    "and corrections personnel",
    "military": "all military personnel: troops, staff officers and military experts on mission",
    "military_peace_operations": "military personnel of UN peace operations including special "
    "political missions (SIPRI basis)",
    "troops_with_staff_officers": "UN category Troops, staff officers counted inside it (to 2016)",
    "contingent_troops": "military contingents without staff officers, who are counted apart from "
    "2017",
    "experts_on_mission": "military experts on mission (observers) only; staff officers counted "
    "inside Troops (to 2016)",
    "staff_officers_and_experts": "staff officers and military experts on mission (individual "
    "military personnel, from 2017)",
    "police": "all UN police: individual police officers and formed police units",
    "individual_police": "individual police officers",
    "formed_police_units": "formed police units",
}
# The gender statistics layout (IPI Gender.Full.csv) has four personnel types and no staff officer
# column: staff officers are inside Troops.
GENDER_STATISTICS_DEFINITIONS = {
    "all_uniformed": "all_uniformed",
    "military": "military",
    "military_contingents": "troops_with_staff_officers",
    "staff_officers_experts": "experts_on_mission",
    "police": "police",
    "individual_police": "individual_police",
    "formed_police_units": "formed_police_units",
}


def definition_of(category: str, year: int, text: str | None = None) -> str:
    """The definition (a key of :data:`DEFINITIONS`) under which a figure of ``category`` for
    ``year`` was counted; ``text`` is the figure's own locator and note, which can say more.

    The rule: staff officers are inside Troops before :data:`STAFF_OFFICERS_SEPARATE_FROM` (or
    when the note says they are not separate); a note naming special political missions marks the
    SIPRI peace-operations basis; one naming justice and corrections marks that wider total.
    Example: ``definition_of("staff_officers_experts", 2013)`` -> "experts_on_mission"
    """
    t = (text or "").lower()
    before = int(year) < STAFF_OFFICERS_SEPARATE_FROM
    if category == "staff_officers_experts":
        inside = before or "staff officers not separate" in t
        return "experts_on_mission" if inside else "staff_officers_and_experts"
    if category == "military_contingents":
        inside = before or "staff officers not reported separately" in t
        return "troops_with_staff_officers" if inside else "contingent_troops"
    if category == "military":
        return "military_peace_operations" if "special political missions" in t else "military"
    if category == "all_uniformed":
        wider = "justice" in t and "corrections" in t
        return "uniformed_with_justice_corrections" if wider else "all_uniformed"
    if category in DEFINITIONS:
        return category
    raise ParameterError(
        f"definition_of: found the category {category!r}; expected one of {CURATED_CATEGORIES}"
    )


def definitions(frame: pd.DataFrame) -> pd.Series:
    """The ``definition`` of each row of a shares table: its own ``definition`` column where it
    has one, otherwise :func:`definition_of` from ``category``, ``year`` and any ``locator`` and
    ``note``."""
    if "definition" in frame:
        return frame["definition"].astype(str)
    text = pd.Series("", index=frame.index)
    for col in ("locator", "note"):
        if col in frame:
            text = text + " " + frame[col].astype("string").fillna("")
    return pd.Series(
        [
            definition_of(str(c), int(y), t)
            for c, y, t in zip(frame["category"], frame["year"], text)
        ],
        index=frame.index,
        dtype=str,
    )


def _period(year, month) -> str:
    """ "Feb 2014"; a figure without a month: "2019 (month not recorded)"."""
    if month is None or pd.isna(month) or int(month) == 0:
        return f"{int(year)} (month not recorded)"
    return f"{calendar.month_abbr[int(month)]} {int(year)}"


def _times(frame: pd.DataFrame) -> pd.Series:
    """Decimal year of each figure: the middle of its month, or mid-year where no month is given
    (a December figure of 2013 is 2013.96, February 2014 is 2014.13)."""
    if "date" in frame:
        d = frame["date"]
        return (d.dt.year + (d.dt.month - 0.5) / 12).astype(float)
    year = frame["year"].astype(float)
    if "month" not in frame:
        return year + 0.5
    month = pd.to_numeric(frame["month"], errors="coerce").astype(float)
    return year + np.where(np.isnan(month) | (month == 0), 0.5, (month - 0.5) / 12)


def add_share(
    df: pd.DataFrame,
    women: str = "women",
    personnel: str = "personnel",
    method: str = "wilson",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Add ``share_pct, ci_low, ci_high`` (percent) to a table with women and personnel counts.

    The interval is a binomial (Wilson by default) interval: the figures are a census, so it says
    how precisely a share is pinned down by the number deployed, useful for comparing small
    contributors or missions, not a sampling error."""
    return stats.proportion_table(
        df, women, personnel, method, alpha, scale=100, prefix="share_pct"
    )


# --------------------------------------------------------------------------------------------------
# from the monthly gender statistics


def shares_by(
    counts: pd.DataFrame,
    by: Sequence[str] = ("date", "group"),
    groups: Sequence[str] = ("all_uniformed",),
    method: str = "wilson",
) -> pd.DataFrame:
    """Women, personnel and women's share by ``by`` for each curated ``group`` of categories
    (all_uniformed, military, military_contingents, staff_officers_experts, police,
    individual_police, formed_police_units): ``*by, women, personnel, share_pct, ci_low, ci_high``,
    and ``definition`` where ``group`` is in ``by`` (staff officers are inside Troops in this
    layout, see :data:`GENDER_STATISTICS_DEFINITIONS`).

    ``counts`` is the tidy table of :class:`~pkoresearch.data.readers.un_gender.GenderStatistics`.
    Example: ``shares_by(g.counts, ["date", "group"], ["military_contingents", "police"])``
    """
    frames = []
    for group in groups:
        if group not in GROUPS:
            raise ParameterError(f"groups: found {group!r}; expected one of {list(GROUPS)}")
        part = counts[counts["category"].isin(GROUPS[group])].assign(group=group)
        frames.append(part)
    from pkoresearch.data.readers.un_gender import sum_by_sex

    out = sum_by_sex(pd.concat(frames, ignore_index=True), by).drop(columns="men")
    out = out.astype({"women": int, "personnel": int})
    out = add_share(out, method=method)
    if "group" in out:
        out["definition"] = out["group"].map(GENDER_STATISTICS_DEFINITIONS)
    return out


def year_end(frame: pd.DataFrame, date: str = "date") -> pd.DataFrame:
    """Keep each year's last month in ``frame`` and add ``year, month, period, months_covered,
    complete``. ``complete`` is True only where that month is December: the last month of an
    export (February 2014 in the IPI scrape) is kept, flagged, and never taken for the year-end.
    ``months_covered`` counts the months of that year in ``frame`` (:mod:`pkoresearch.data.coverage`).
    Example: ``year_end(shares_by(g.counts, ["date", "group"], ["police"]))``
    """
    d = frame.copy()
    d["year"] = d[date].dt.year
    last = d.groupby("year")[date].transform("max")
    d = d[d[date] == last].reset_index(drop=True)
    d["month"] = d[date].dt.month.astype("Int64")
    d["period"] = [_period(y, m) for y, m in zip(d["year"], d["month"])]
    cov = Coverage.of_months("frame", pd.unique(frame[date])).years()
    d = d.merge(cov[["year", "months_covered"]], on="year", how="left")
    d["months_covered"] = d["months_covered"].astype("Int64")
    d["complete"] = (d["month"] == 12).astype("boolean")
    return d


def mission_year_shares(
    counts: pd.DataFrame, group: str = "all_uniformed", method: str = "wilson"
) -> pd.DataFrame:
    """Year-end women's share for every mission x year that ``counts`` cover: ``mission, year,
    month, period, complete, deployed, women, personnel, share_pct, ci_low, ci_high``.

    A mission with nobody deployed at the year's last month (not yet started, or closed: MINURCAT
    after 2010 or UNMIS after July 2011 in the IPI scrape) is ``deployed`` False with ``<NA>``
    counts and share, never 0; a share of 0 means the mission had personnel and none were women.
    ``month``/``complete`` say which month stands for the year (February for 2014).
    Example: ``mission_year_shares(g.counts)``
    """
    m = shares_by(counts, ["date", "mission"], [group], method)
    m = m[m["personnel"] > 0]
    ends = counts.groupby(counts["date"].dt.year)["date"].max()
    at_end = m[m["date"].isin(set(ends))].assign(year=lambda x: x["date"].dt.year)
    missions = sorted(m["mission"].astype(str).unique())
    grid = pd.MultiIndex.from_product(
        [missions, list(ends.index)], names=["mission", "year"]
    ).to_frame(index=False)
    at_end = at_end.assign(mission=at_end["mission"].astype(str))
    out = grid.merge(at_end.drop(columns="date"), on=["mission", "year"], how="left")
    out["month"] = out["year"].map(ends.dt.month).astype("Int64")
    out["period"] = [_period(y, mo) for y, mo in zip(out["year"], out["month"])]
    out["complete"] = (out["month"] == 12).astype("boolean")
    out["deployed"] = out["personnel"].notna()
    out = out.astype({"women": "Int64", "personnel": "Int64"})
    cols = [
        "mission",
        "year",
        "month",
        "period",
        "complete",
        "deployed",
        "women",
        "personnel",
        "share_pct",
        "ci_low",
        "ci_high",
    ]
    return out[cols]


def contributor_codes(
    names: Sequence[str], available: pd.DataFrame, parameter: str = "contributors"
) -> list[str]:
    """ISO 3166 alpha-3 codes of the contributors named, matched by code through
    :mod:`pkoresearch.data.countries` so that "Tanzania" finds "United Republic of Tanzania" and
    "Moldova" finds "Republic of Moldova". ``available`` has an ``iso3`` column (the data
    searched). A name that resolves to no code, or to one absent from the data, is an error.
    Example: ``contributor_codes(["Ghana", "Tanzania"], g.counts)`` -> ["GHA", "TZA"]
    """
    from pkoresearch.data import countries

    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ParameterError(
            f"parameter {parameter}: found {names!r}; expected a non-empty list "
            "of country names such as ['Ghana', 'India'], or None for all"
        )
    codes = countries.to_iso3(list(names)).tolist()
    present = set(available["iso3"].dropna().astype(str))
    unresolved = [n for n, c in zip(names, codes) if c is None or pd.isna(c)]
    absent = [
        f"{n} ({c})"
        for n, c in zip(names, codes)
        if c is not None and not pd.isna(c) and c not in present
    ]
    if unresolved or absent:
        found = "; ".join(
            p
            for p in (
                f"names with no ISO3 code {unresolved!r}" if unresolved else "",
                f"countries not in the data {absent!r}" if absent else "",
            )
            if p
        )
        raise ParameterError(
            f"parameter {parameter}: found {found}; expected country names "
            f"that match a contributor in the data ({len(present)} codes)"
        )
    return list(dict.fromkeys(codes))


def contributor_ranking(
    counts: pd.DataFrame, date, top_n: int | None = 10, method: str = "wilson"
) -> pd.DataFrame:
    """Contributors on one date ranked by women deployed (all uniformed personnel), one row per
    ISO3 code: ``rank, contributor, iso3, women, personnel, share_pct, ci_low, ci_high,
    share_of_all_women_pct, cumulative_pct``; ``top_n`` None keeps every contributor."""
    day = counts[counts["date"] == pd.Timestamp(date)]
    if day.empty:
        raise ParameterError(f"date: found {date!r}; expected a date in the data")
    key = day["iso3"].astype("string").fillna(day["contributor"].astype("string"))
    day = day.assign(key=key)
    names = day.groupby("key")["contributor"].agg(lambda s: " / ".join(sorted(set(map(str, s)))))
    t = shares_by(day, ["key"], ["all_uniformed"], method)
    t.insert(0, "contributor", t["key"].map(names))
    t.insert(1, "iso3", t["key"].where(t["key"].isin(set(day["iso3"].dropna()))))
    t = t.drop(columns="key")
    t = t.sort_values(["women", "personnel", "contributor"], ascending=[False, False, True])
    t["share_of_all_women_pct"] = 100 * t["women"] / t["women"].sum()
    t["cumulative_pct"] = t["share_of_all_women_pct"].cumsum()
    t.insert(0, "rank", range(1, len(t) + 1))
    return (t if top_n is None else t.head(top_n)).reset_index(drop=True)


def concentration(women: pd.Series, top_n: int = 5) -> float:
    """Percent of all deployed women who come from the ``top_n`` contributors; missing (nan)
    where no woman is deployed (a selection of all-male contingents: nothing to share out).
    Raises ParameterError for a negative count."""
    w = pd.Series(women, dtype=float).sort_values(ascending=False)
    if (w < 0).any():
        raise ParameterError(f"concentration: found {w.min():g} women; expected counts >= 0")
    if w.sum() == 0:
        return math.nan
    return float(100 * w.head(top_n).sum() / w.sum())


# --------------------------------------------------------------------------------------------------
# from the curated tables


def curated_shares(
    categories: Sequence[str] | None = None,
    start_year: int = 1992,
    end_year: int = 2030,
    year_end_only: bool = True,
) -> pd.DataFrame:
    """Women's share by year and category from the curated ``personnel`` table:
    ``year, month, period, complete, category, definition, share_pct, women, personnel, rounded,
    kind, source_id, confidence``; women and personnel where the source gives them.

    ``definition``: see :func:`definition_of`. ``complete``: True for a December figure, False for
    another month, <NA> where the source gives no month. ``rounded``: a whole-number share without
    counts, or one the note calls rounded. ``kind``: "point", or "lower bound" where the source
    says "more than" (kept in the full table, never used as a figure of the share).
    With ``year_end_only``: one figure per year, category and definition, the latest month given
    (a figure without a month counts as month 0, so a dated month wins); lower bounds left out.
    """
    p = curated.load("personnel")
    cats = list(categories or CURATED_CATEGORIES)
    p = p[p["category"].isin(cats) & p["year"].between(start_year, end_year)]
    key = ["year", "month", "category"]
    k = p.assign(month=p["month"].fillna(0))
    wide = k.pivot_table(
        index=key, columns="measure", values="value", aggfunc="first", observed=True
    )
    src_cols = [c for c in ("source_id", "confidence", "locator", "note", "definition") if c in k]
    src = k[k["measure"] == "women_share_pct"].set_index(key)[src_cols]
    wide = wide.join(src, how="left").reset_index()
    if "women" not in wide:
        wide["women"] = np.nan
    if "personnel_total" not in wide:
        wide["personnel_total"] = np.nan
    wide = wide.rename(columns={"women_share_pct": "share_pct", "personnel_total": "personnel"})
    wide = wide.dropna(subset=["share_pct"])
    wide = wide.astype({"women": "Int64", "personnel": "Int64"})
    wide["category"] = wide["category"].astype(str)
    wide["definition"] = definitions(wide).to_numpy()
    note = wide["note"].astype("string").fillna("").str.lower()
    whole = (wide["share_pct"].astype(float) % 1 == 0) & wide["women"].isna()
    wide["rounded"] = (whole | note.str.contains(r"\brounded\b", regex=True)).astype(bool)
    wide["kind"] = np.where(note.str.contains("lower bound"), "lower bound", "point")
    if year_end_only:
        wide = wide[wide["kind"] == "point"]
        wide = (
            wide.sort_values(key).groupby(["year", "category", "definition"], observed=True).tail(1)
        )
    wide["month"] = wide["month"].astype(int).replace(0, pd.NA).astype("Int64")
    wide["period"] = [_period(y, m) for y, m in zip(wide["year"], wide["month"])]
    wide["complete"] = pd.array(
        [pd.NA if pd.isna(m) else m == 12 for m in wide["month"]], dtype="boolean"
    )
    cols = [
        "year",
        "month",
        "period",
        "complete",
        "category",
        "definition",
        "share_pct",
        "women",
        "personnel",
        "rounded",
        "kind",
        "source_id",
        "confidence",
    ]
    return wide[cols].sort_values(["category", "year", "month"]).reset_index(drop=True)


def series_table(shares: pd.DataFrame) -> pd.DataFrame:
    """One row per category and definition of a shares table: ``category, definition, figures,
    first, last, not_year_end, description`` (``not_year_end``: figures that are not a December
    figure, i.e. ``complete`` False or <NA>)."""
    d = shares.dropna(subset=["share_pct"]).assign(definition=lambda x: definitions(x))
    if "period" not in d:
        d = d.assign(
            period=[
                _period(y, m)
                for y, m in zip(d["year"], d.get("month", pd.Series(pd.NA, index=d.index)))
            ]
        )
    d = d.assign(time=_times(d)).sort_values("time")
    rows = []
    for (cat, dfn), g in d.groupby(["category", "definition"], sort=False, observed=True):
        incomplete = (~g["complete"].fillna(False).astype(bool)).sum() if "complete" in g else 0
        rows.append(
            {
                "category": str(cat),
                "definition": dfn,
                "figures": len(g),
                "first": g["period"].iloc[0],
                "last": g["period"].iloc[-1],
                "not_year_end": int(incomplete),
                "description": DEFINITIONS.get(dfn, ""),
                "since": g["time"].iloc[0],
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "category",
            "definition",
            "figures",
            "first",
            "last",
            "not_year_end",
            "description",
            "since",
        ],
    )
    return out.sort_values(["category", "since"]).drop(columns="since").reset_index(drop=True)


def share_table(shares: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Year x definition table of shares as text (one column per definition, so a category
    counted two ways has two columns; :func:`series_table` says which category each belongs to),
    each cell marked when it is not a year-end figure: "2.81 Feb" for another month, "4.70 n.m."
    where the source states no month."""
    d = shares.dropna(subset=["share_pct"]).assign(definition=lambda x: definitions(x))
    month = d["month"] if "month" in d else d["date"].dt.month

    def cell(v, m):
        text = f"{v:.{decimals}f}"
        if m is None or pd.isna(m):
            return text + " n.m."
        return text if int(m) == 12 else f"{text} {calendar.month_abbr[int(m)]}"

    d = d.assign(cell=[cell(v, m) for v, m in zip(d["share_pct"], month)], time=_times(d))
    order = list(dict.fromkeys(d.sort_values(["category", "time"])["definition"]))
    wide = d.pivot_table(index="year", columns="definition", values="cell", aggfunc="last")
    wide = wide.reindex(columns=order).fillna("")
    wide.columns.name = None
    return wide


def _point_figures(shares: pd.DataFrame) -> pd.DataFrame:
    """The figures with a share (lower bounds such as "more than 13%" left out), each with its
    ``definition``, a sortable ``time`` and a ``period`` label."""
    d = shares.dropna(subset=["share_pct"])
    if "kind" in d:
        d = d[d["kind"] == "point"]
    d = d.assign(definition=definitions(d).to_numpy(), time=_times(d).to_numpy())
    if "period" not in d:
        d = d.assign(period=[_period(y, m) for y, m in zip(d["year"], d["month"])])
    return d


def latest_figures(shares: pd.DataFrame) -> pd.DataFrame:
    """The last figure of each category and definition: ``category, definition, period, complete,
    share_pct`` (a category counted two ways has two rows, never one figure standing for both)."""
    d = _point_figures(shares)
    if "complete" not in d:
        d = d.assign(complete=pd.array([pd.NA] * len(d), dtype="boolean"))
    last = d.sort_values("time").groupby(["category", "definition"], observed=True).tail(1)
    last = last.sort_values(["category", "time"])
    cols = ["category", "definition", "period", "complete", "share_pct"]
    return last[cols].reset_index(drop=True)


def year_end_split(shares: pd.DataFrame, decimals: int = 2) -> dict[str, dict[str, dict]]:
    """Shares as nested dicts for a results file, year-end figures kept apart from the others:
    ``{"year_end": {definition: {year: pct}}, "not_year_end": {definition: {period: pct}}}``.
    A figure is year-end when ``complete`` is True (a December figure)."""
    d = _point_figures(shares)
    full = (
        d["complete"].fillna(False).astype(bool)
        if "complete" in d
        else pd.Series(False, index=d.index)
    )
    out: dict[str, dict[str, dict]] = {"year_end": {}, "not_year_end": {}}
    for (dfn, is_full), g in d.sort_values("time").groupby(["definition", full], sort=True):
        key = "year_end" if is_full else "not_year_end"
        label = g["year"].astype(int).astype(str) if is_full else g["period"]
        out[key][dfn] = {str(k): round(float(v), decimals) for k, v in zip(label, g["share_pct"])}
    return out


def curated_contributors(
    year: int,
    month: int,
    category: str = "all_uniformed",
    contributors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Women and personnel by contributing country from the curated ``personnel_by_country``:
    ``country, iso3, women, personnel, share_pct, ci_low, ci_high, source_id``. ``contributors``
    are matched by ISO3 code (:func:`contributor_codes`), not by spelling."""
    c = curated.load("personnel_by_country")
    c = c[(c["year"] == year) & (c["month"] == month) & (c["category"] == category)]
    if contributors is not None:
        c = c[c["iso3"].isin(contributor_codes(contributors, c))]
    out = pd.DataFrame(
        {
            "country": c["country"].astype(str),
            "iso3": c["iso3"].astype(str),
            "women": c["women"].astype(int),
            "personnel": c["personnel_total"].astype(int),
            "source_id": c["source_id"].astype(str),
        }
    )
    return (
        add_share(out)
        .sort_values(["women", "country"], ascending=[False, True])
        .reset_index(drop=True)
    )


def _series(shares: pd.DataFrame, category: str, definition: str | None = None) -> pd.DataFrame:
    """The figures of one category (and definition), point figures only, in time order."""
    s = shares[shares["category"].astype(str) == category].dropna(subset=["share_pct"])
    if "kind" in s:
        s = s[s["kind"] == "point"]
    s = s.assign(definition=definitions(s).to_numpy(), time=_times(s).to_numpy())
    if "period" not in s:
        months = (
            s["date"].dt.month if "date" in s else s.get("month", pd.Series(pd.NA, index=s.index))
        )
        s = s.assign(period=[_period(y, m) for y, m in zip(s["year"], months)])
    if definition is not None:
        s = s[s["definition"] == definition]
    return s.sort_values("time").reset_index(drop=True)


def _month_of(row) -> object:
    if "date" in row and not pd.isna(row["date"]):
        return row["date"].month
    return row.get("month", pd.NA)


GAP_COLUMNS = [
    "category",
    "target_year",
    "target_pct",
    "definition",
    "observed_year",
    "observed_period",
    "observed_pct",
    "gap_pp",
    "status",
    "next_period",
    "next_pct",
    "rounded",
    "confidence",
    "rests_on_rounded_secondary",
    "source_id",
    "basis",
]


def _targets(
    shares: pd.DataFrame, targets: pd.DataFrame | None
) -> Iterator[tuple[str, int, float, str]]:
    """The numeric targets (default: the curated ``parity_targets``) of the categories present in
    ``shares``: ``(category, target year, target share in percent, definition counted)``."""
    t = curated.load("parity_targets") if targets is None else targets
    t = t.dropna(subset=["target_share_pct"])
    present = set(shares["category"].astype(str))
    for r in t.itertuples():
        cat, ty, target = str(r.category), int(r.year), float(r.target_share_pct)
        if cat in present:
            yield cat, ty, target, definition_of(cat, ty)


def parity_gap(shares: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each numeric parity target against the figures of its category counted under the target's
    own definition (:func:`definition_of` for the target year): ``category, target_year,
    target_pct, definition, observed_year, observed_period, observed_pct, gap_pp, status,
    next_period, next_pct, rounded, confidence, rests_on_rounded_secondary, source_id, basis``.

    The observation is the last figure up to the end of the target year; ``next_*`` is the first
    figure after it. ``status``:

    - "met": that figure is at or above the target;
    - "not met": it is below the target and is the target year's December figure;
    - "below target at last figure": below the target, but not the target year's end (February
      2014 for the 2014 targets), so the deadline itself is not observed;
    - "open": below the target, and the target year is later than the figure's year;
    - "no figure": no figure under this definition up to the deadline.

    ``gap_pp`` is target minus observed (percentage points). ``rests_on_rounded_secondary`` is
    True where the status rests on a rounded figure read in a secondary source (confidence below
    high), and ``basis`` says in words what the status rests on, including whether it holds
    within the figure's rounding. Categories absent from ``shares`` are left out.
    """
    rows = []
    for cat, ty, target, dfn in _targets(shares, targets):
        s = _series(shares, cat, dfn)
        upto, after = s[s["time"] < ty + 1], s[s["time"] >= ty + 1]
        row = {
            "category": cat,
            "target_year": ty,
            "target_pct": target,
            "definition": dfn,
            "observed_year": pd.NA,
            "observed_period": None,
            "observed_pct": np.nan,
            "gap_pp": np.nan,
            "status": "no figure",
            "next_period": None,
            "next_pct": np.nan,
            "rounded": pd.NA,
            "confidence": None,
            "rests_on_rounded_secondary": False,
            "source_id": None,
            "basis": "",
        }
        if not after.empty:
            row.update(
                next_period=after["period"].iloc[0], next_pct=float(after["share_pct"].iloc[0])
            )
        if upto.empty:
            others = _series(shares, cat)
            row["basis"] = f"no figure counted as {dfn} up to {ty}" + (
                f" (the category has {len(others)} under other definitions)" if len(others) else ""
            )
            rows.append(row)
            continue
        obs = upto.iloc[-1]
        value, month = float(obs["share_pct"]), _month_of(obs)
        at_end = not pd.isna(month) and int(month) == 12 and int(obs["year"]) == ty
        if value >= target:
            status = "met" if int(obs["year"]) == ty else "reached before the target year"
        elif at_end:
            status = "not met"
        elif int(obs["year"]) < ty:
            status = "open"
        else:
            status = "below target at last figure"
        rounded = obs.get("rounded", False)
        rounded = False if pd.isna(rounded) else bool(rounded)
        confidence = None if pd.isna(obs.get("confidence", pd.NA)) else str(obs["confidence"])
        secondary = confidence is not None and confidence != "high"
        notes = []
        if status == "below target at last figure":
            notes.append(
                "the source gives no month, so the year-end is not observed"
                if pd.isna(month)
                else f"{obs['period']} figure, not the {ty} year-end"
            )
        if rounded:
            half = 0.5 if value % 1 == 0 else 0.05
            notes.append(
                f"rounded figure ({value:g}%)"
                + (
                    ""
                    if status == "open"
                    else ": the status holds within its rounding"
                    if abs(value - target) > half
                    else ": within rounding of the target, so the status is uncertain"
                )
            )
        if secondary:
            notes.append(f"read in a secondary source ({confidence} confidence)")
        row.update(
            observed_year=int(obs["year"]),
            observed_period=obs["period"],
            observed_pct=value,
            gap_pp=target - value,
            status=status,
            rounded=rounded,
            confidence=confidence,
            source_id=obs.get("source_id"),
            rests_on_rounded_secondary=bool(rounded and secondary and status != "open"),
            basis="; ".join(notes),
        )
        rows.append(row)
    out = pd.DataFrame(rows, columns=GAP_COLUMNS)
    out["observed_year"] = out["observed_year"].astype("Int64")
    out["rounded"] = out["rounded"].astype("boolean")
    return out


def women_count(year: int, month: int | None = None, category: str = "all_uniformed") -> int:
    """Women deployed as the curated ``personnel`` table gives them (preferred value) for a year
    (and month, when given; otherwise the year-only or latest figure)."""
    p = curated.load("personnel")
    p = p[(p["category"] == category) & (p["measure"] == "women") & (p["year"] == year)]
    if month is not None:
        p = p[p["month"] == month]
    if p.empty:
        raise ParameterError(
            f"women_count: no curated count of women for {category} in "
            f"{year}{'' if month is None else f'-{month:02d}'}"
        )
    return int(p.sort_values("month", na_position="first")["value"].iloc[-1])


def curated_counts(category: str = "all_uniformed") -> pd.DataFrame:
    """Every curated count of women for ``category``: ``year, month, period, women, definition,
    source_id, confidence, note`` (preferred values, in time order)."""
    p = curated.load("personnel")
    p = p[(p["category"] == category) & (p["measure"] == "women")]
    out = pd.DataFrame(
        {
            "year": p["year"].astype(int),
            "month": p["month"],
            "category": category,
            "women": p["value"].astype(int),
            "source_id": p["source_id"].astype(str),
            "confidence": p["confidence"].astype(str),
            "locator": p["locator"],
            "note": p["note"],
        }
    )
    out["definition"] = definitions(out).to_numpy()
    out["period"] = [_period(y, m) for y, m in zip(out["year"], out["month"])]
    out = out.assign(time=_times(out)).sort_values("time")
    return out[
        ["year", "month", "period", "women", "definition", "source_id", "confidence", "note"]
    ].reset_index(drop=True)


def curated_contributor_dates(
    start_year: int = 1948, end_year: int = 2030
) -> list[tuple[int, int]]:
    """(year, month) pairs for which the curated ``personnel_by_country`` has figures."""
    c = curated.load("personnel_by_country")
    c = c[c["year"].between(start_year, end_year)]
    return sorted({(int(y), int(m)) for y, m in zip(c["year"], c["month"])})


@dataclass(frozen=True)
class DoublingCheck:
    """A target of multiplying a count of women between two months (resolution 2242: double the
    women in military and police contingents within five years of October 2015)."""

    factor: float
    baseline_month: str
    deadline_month: str
    baseline_period: str | None
    baseline: int | None
    end_period: str | None
    end: int | None
    ratio: float | None
    status: str
    condition: str
    definition: str | None
    source_ids: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if self.ratio is None:
            return f"{self.status}: {self.condition}"
        return (
            f"{self.status}: {self.end:,} women in {self.end_period} against {self.baseline:,} "
            f"in {self.baseline_period} (x{self.ratio:.2f}; x{self.factor:g} needed). "
            f"{self.condition}"
        )

    def to_frame(self) -> pd.DataFrame:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["source_ids"] = ", ".join(self.source_ids)
        return pd.DataFrame([d])


def doubling_target(
    counts: pd.DataFrame, baseline: str = "2015-10", deadline: str = "2020-10", factor: float = 2.0
) -> DoublingCheck:
    """Check a target of ``factor`` times the women deployed at ``baseline`` by ``deadline`` from a
    table of counts (``year, month, women``, optional ``definition, source_id``, or ``date``).

    Counts without a month (annual averages) are not used. Where the table has both months the
    status is "met" or "not met". Otherwise the nearest counts are used (the last at or before the
    baseline, the first at or after the deadline), the status says "on the nearest figures", and
    ``condition`` gives the baseline count below which that reading would turn. Both counts must
    share one definition.
    Example: ``doubling_target(curated_counts("all_uniformed"))``
    """
    if factor <= 1:
        raise ParameterError(f"doubling_target: found factor {factor}; expected a number above 1")
    b, e = pd.Period(baseline, freq="M"), pd.Period(deadline, freq="M")
    if e <= b:
        raise ParameterError(
            f"doubling_target: found deadline {deadline} not after baseline "
            f"{baseline}; expected a later deadline"
        )
    c = counts.copy()
    if "date" in c:
        c["year"], c["month"] = c["date"].dt.year, c["date"].dt.month
    c = c.dropna(subset=["women", "month"])
    c = c.assign(
        period_m=[
            pd.Period(year=int(y), month=int(m), freq="M") for y, m in zip(c["year"], c["month"])
        ]
    ).sort_values("period_m")
    if "definition" not in c:
        c["definition"] = "as given"
    before, after = c[c["period_m"] <= b], c[c["period_m"] >= e]
    label = {"b": b.strftime("%b %Y"), "e": e.strftime("%b %Y")}
    if before.empty or after.empty:
        missing = "baseline" if before.empty else "deadline"
        return DoublingCheck(
            factor,
            label["b"],
            label["e"],
            None,
            None,
            None,
            None,
            None,
            "open",
            f"no count at or {'before' if before.empty else 'after'} the {missing} month",
            None,
        )
    base, end = before.iloc[-1], after.iloc[0]
    if base["definition"] != end["definition"]:
        raise ParameterError(
            f"doubling_target: found the counts of {base['period_m']} "
            f"({base['definition']}) and {end['period_m']} ({end['definition']}) "
            "under different definitions; expected one definition"
        )
    ratio = float(end["women"]) / float(base["women"])
    exact = base["period_m"] == b and end["period_m"] == e
    verdict = "met" if ratio >= factor else "not met"
    bp, ep = base["period_m"].strftime("%b %Y"), end["period_m"].strftime("%b %Y")
    if exact:
        status, condition = verdict, "Both months are in the data."
    else:
        status = f"{verdict} on the nearest figures"
        absent = [
            m.strftime("%b %Y")
            for m, got in ((b, base["period_m"]), (e, end["period_m"]))
            if m != got
        ]
        threshold = float(end["women"]) / factor
        taking = "" if end["period_m"] == e else f"Taking the {ep} count for {label['e']}, "
        condition = (
            f"The data have no count for {' or '.join(absent)}. {taking}"
            f"{'t' if taking else 'T'}he target "
            + (
                f"would have been met only if the {label['b']} count was below "
                if verdict == "not met"
                else f"would not have been met if the {label['b']} count was above "
            )
            + f"{threshold:,.0f}."
        )
    sources = tuple(
        dict.fromkeys(
            str(x)
            for x in (base.get("source_id"), end.get("source_id"))
            if x is not None and not pd.isna(x)
        )
    )
    return DoublingCheck(
        factor,
        label["b"],
        label["e"],
        bp,
        int(base["women"]),
        ep,
        int(end["women"]),
        ratio,
        status,
        condition,
        str(base["definition"]),
        sources,
    )


PROJECTION_COLUMNS = [
    "category",
    "definition",
    "target_year",
    "target_pct",
    "model",
    "n",
    "first",
    "last",
    "left_out",
    "projected",
    "year",
    "pi_low",
    "pi_high",
    "by_target_year",
    "slope_pp_per_year",
    "rounded_figures",
]


def projections(
    shares: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    horizon: int = 2060,
    models: Sequence[str] = ("logit",),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """For each numeric target later than the last figure of its category, the
    projected year of reaching it, fitted on the figures counted under the target's own definition
    only (figures of the category under other definitions are counted in ``left_out``, never
    fitted):
    ``category, definition, target_year, target_pct, model, n, first, last, left_out, projected,
    year, pi_low, pi_high, by_target_year, slope_pp_per_year, rounded_figures``, one row per model.

    ``by_target_year`` is "yes" where the whole prediction interval ends within the target year,
    "no" where it starts after it, "uncertain" otherwise. Fewer than 3 figures: no fit, and
    ``projected`` says so. See :func:`project_year` for the models.
    Example: ``projections(curated_shares(), models=["logit", "linear"])``
    """
    rows = []
    for cat, ty, target, dfn in _targets(shares, targets):
        every = _series(shares, cat)
        s = every[every["definition"] == dfn]
        last_year = int(every["year"].max()) if len(every) else None
        if last_year is not None and ty <= max(last_year, int(s["year"].max()) if len(s) else 0):
            continue  # the target year is inside the data: see parity_gap
        base = {
            "category": cat,
            "definition": dfn,
            "target_year": ty,
            "target_pct": target,
            "n": len(s),
            "first": s["period"].iloc[0] if len(s) else None,
            "last": s["period"].iloc[-1] if len(s) else None,
            "left_out": len(every) - len(s),
            "rounded_figures": int(s["rounded"].fillna(False).astype(bool).sum())
            if "rounded" in s
            else 0,
        }
        for model in models:
            row = {
                **base,
                "model": model,
                "year": np.nan,
                "pi_low": np.nan,
                "pi_high": np.nan,
                "by_target_year": None,
                "slope_pp_per_year": np.nan,
            }
            if len(s) < 3:
                row["projected"] = f"not fitted: {len(s)} figure(s) counted as {dfn}; 3 needed"
            elif float(s["share_pct"].iloc[-1]) >= target:
                row["projected"] = (
                    f"already reached ({float(s['share_pct'].iloc[-1]):.1f}% "
                    f"in {s['period'].iloc[-1]})"
                )
                row["by_target_year"] = "yes"
            else:
                pr = project_year(
                    s["time"],
                    s["share_pct"],
                    target,
                    horizon,
                    alpha,
                    model,
                    definitions=s["definition"],
                )
                row.update(
                    projected=pr.text,
                    year=pr.year,
                    pi_low=pr.pi_low,
                    pi_high=pr.pi_high,
                    slope_pp_per_year=pr.slope_pp_per_year,
                    by_target_year=pr.by(ty),
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)


@dataclass(frozen=True)
class Projection:
    """When a trend in the share is projected to reach a target, with a prediction interval.

    Times are decimal years (2014.13 is February 2014); ``year`` is the fitted crossing time and
    ``text`` gives calendar years. ``pi_low`` None: the interval reaches back into the data
    ("already"); ``pi_high`` None: it runs past the horizon."""

    target_pct: float
    year: float | None  # fitted crossing time; None when the trend never gets there
    pi_low: float | None
    pi_high: float | None
    slope: float  # per year, on the model's scale (percentage points, or log-odds for logit)
    slope_ci: tuple[float, float]
    slope_pp_per_year: float  # percentage points a year at the last figure
    horizon: int
    n: int
    model: str = "logit"
    alpha: float = 0.05
    method: str = (
        "OLS of the share (linear) or of its logit (logit) on time; crossing year "
        "from the fitted line; interval = times at which the target lies inside the "
        "prediction interval of a new yearly figure (inverse prediction)"
    )

    @property
    def text(self) -> str:
        if self.year is None or math.floor(self.year) > self.horizon:
            return f"not reached by {self.horizon}"
        level = round(100 * (1 - self.alpha))
        hi = f"after {self.horizon}" if self.pi_high is None else f"{math.floor(self.pi_high)}"
        lo = "already" if self.pi_low is None else f"{math.floor(self.pi_low)}"
        return f"{math.floor(self.year)} ({level}% prediction interval {lo} to {hi})"

    def by(self, target_year: int) -> str:
        """ "yes" where the whole prediction interval ends within ``target_year``, "no" where it
        starts after it, "uncertain" otherwise."""
        deadline = target_year + 1
        if self.year is None:
            return "no" if self.pi_low is None or self.pi_low >= deadline else "uncertain"
        if self.pi_high is not None and self.pi_high < deadline:
            return "yes"
        if self.pi_low is not None and self.pi_low >= deadline:
            return "no"
        return "uncertain"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "target_pct": self.target_pct,
                    "model": self.model,
                    "year": self.year,
                    "pi_low": self.pi_low,
                    "pi_high": self.pi_high,
                    "slope_pp_per_year": self.slope_pp_per_year,
                    "n": self.n,
                    "text": self.text,
                }
            ]
        )


MODELS = ("logit", "linear")


def project_year(
    years: Sequence[float],
    shares_pct: Sequence[float],
    target_pct: float,
    horizon: int = 2100,
    alpha: float = 0.05,
    model: str = "logit",
    definitions: Sequence[str] | None = None,
) -> Projection:
    """Projected year in which the trend in women's share (percent) reaches ``target_pct``.

    ``model`` "logit" (default) fits logit(share) = a + b * time by least squares: a share stays
    between 0 and 100%, and at low shares the model is one of steady relative growth. "linear"
    fits share = a + b * time (steady growth in points; it can run past 100%). The crossing time
    solves the fitted line for the target. Its interval is the set of times, up to the end of
    ``horizon``, at which the target lies inside the (1 - alpha) prediction interval of a new
    figure (inverse prediction: the residual scatter of single figures counts, not only the
    uncertainty of the line). Where the slope is not positive or the crossing lies past the
    horizon the result says "not reached by <horizon>".

    ``definitions`` (one per figure): a series mixing definitions is refused, since a change of
    definition is not a trend; fit each definition on its own.
    Example: ``project_year([2015, 2016, 2017], [3.0, 3.5, 4.0], 5.0).text``
    """
    if model not in MODELS:
        raise ParameterError(f"project_year: found model {model!r}; expected one of {MODELS}")
    x = np.asarray(years, dtype=float)
    y = np.asarray(shares_pct, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    if definitions is not None:
        defs = pd.Series(list(definitions), dtype="string")[ok]
        distinct = sorted(set(defs.dropna()))
        if len(distinct) > 1:
            raise ParameterError(
                f"project_year: found {len(distinct)} definitions in one series "
                f"({', '.join(distinct)}); expected one: a change of definition is not a "
                "trend, so fit each definition on its own"
            )
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 3:
        raise ParameterError(f"project_year: found {n} observations; expected at least 3")
    if model == "logit":
        if ((y <= 0) | (y >= 100)).any() or not 0 < target_pct < 100:
            raise ParameterError(
                "project_year: the logit model needs shares and a target strictly "
                "between 0 and 100; use model='linear' for shares of 0 or 100"
            )
        z, z0 = np.log(y / (100 - y)), math.log(target_pct / (100 - target_pct))
    else:
        z, z0 = y, float(target_pct)
    xm = x.mean()
    sxx = ((x - xm) ** 2).sum()
    if sxx == 0:
        raise ParameterError("project_year: all observations are at one time; expected several")
    b = ((x - xm) * (z - z.mean())).sum() / sxx
    a = z.mean() - b * xm
    resid = z - (a + b * x)
    s = math.sqrt((resid**2).sum() / (n - 2))
    tq = sps.t.ppf(1 - alpha / 2, n - 2)
    se_b = s / math.sqrt(sxx)
    slope_ci = (float(b - tq * se_b), float(b + tq * se_b))
    if model == "logit":
        p_last = 1 / (1 + math.exp(-(a + b * x.max())))
        slope_pp = float(100 * b * p_last * (1 - p_last))
    else:
        slope_pp = float(b)
    common = dict(
        slope=float(b),
        slope_ci=slope_ci,
        slope_pp_per_year=slope_pp,
        horizon=horizon,
        n=n,
        model=model,
        alpha=alpha,
    )
    crossing = (z0 - a) / b if b > 0 else None
    if s == 0:  # the points lie on a line: no uncertainty about the crossing
        if crossing is None or math.floor(crossing) > horizon:
            return Projection(target_pct, None, None, None, **common)
        return Projection(target_pct, float(crossing), float(crossing), float(crossing), **common)
    grid = np.arange(math.floor(x.min()), horizon + 1 + 1e-9, 0.01)
    half = tq * s * np.sqrt(1 + 1 / n + (grid - xm) ** 2 / sxx)
    inside = np.abs(a + b * grid - z0) <= half
    lo = float(grid[inside][0]) if inside.any() else None
    hi = float(grid[inside][-1]) if inside.any() else None
    if lo is not None and lo <= grid[0]:
        lo = None  # the interval already contains the target at the first figure
    if hi is not None and hi >= grid[-1] - 1e-9:
        hi = None
    if crossing is None or math.floor(crossing) > horizon:
        return Projection(target_pct, None, lo, None, **common)
    return Projection(target_pct, float(crossing), lo, hi, **common)


def growth(start_value: float, end_value: float, start_year: int, end_year: int) -> stats.Estimate:
    """Growth between two counts: ratio (estimate), with the absolute change and the compound
    yearly growth in ``detail``. No interval: both are counts of everyone deployed.
    Example: ``growth(1016, 3332, 2005, 2010)`` (the 2011 TIP report's figures)."""
    if start_value <= 0 or end_value < 0 or end_year <= start_year:
        raise ParameterError("growth: expected a positive start value and end_year > start_year")
    ratio = end_value / start_value
    cagr = ratio ** (1 / (end_year - start_year)) - 1
    return stats.Estimate(
        ratio,
        ratio,
        ratio,
        "ratio of counts (census, no sampling interval)",
        detail={
            "change": end_value - start_value,
            "yearly_growth_pct": 100 * cagr,
            "start": start_value,
            "end": end_value,
            "start_year": start_year,
            "end_year": end_year,
        },
    )


def suspect_months(counts: pd.DataFrame) -> pd.DataFrame:
    """The plausibility check (:func:`pkoresearch.analysis.plausibility.suspect_months`) of the UN monthly
    gender statistics: each mission's monthly women, men and share, summed over contributors and
    categories, against its own neighbouring months. One row per suspect month (``date``) and
    measure with the rule's numbers; empty on the IPI scrape (2009-2014).
    Example: ``suspect_months(read_gender_statistics(path).counts)``"""
    from pkoresearch.analysis import plausibility
    from pkoresearch.data.readers.un_gender import sum_by_sex

    totals = sum_by_sex(counts, ["mission", "date"])
    return plausibility.suspect_months(totals, month="date", total="personnel")


def without_suspect_months(counts: pd.DataFrame, suspects: pd.DataFrame) -> pd.DataFrame:
    """``counts`` without the rows of the mission-months in ``suspects`` (from
    :func:`suspect_months`): a suspect month left out of every share it would enter."""
    from pkoresearch.analysis import plausibility

    keys = plausibility.suspect_keys(suspects, month="date")
    if len(keys) == 0:
        return counts
    hit = pd.MultiIndex.from_frame(counts[["mission", "date"]]).isin(keys)
    return counts[~hit]
