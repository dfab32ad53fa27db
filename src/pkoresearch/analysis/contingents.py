"""Contingent-level analysis: allegations, exposure and women's share by contributor x mission x
year, and count models of their association with contributor and mission x year fixed effects.

**Exposure** (:func:`exposure`): one tidy table

    iso3, contributor, mission, year, personnel_type, women, men, total, exposure, share_pct,
    months_covered, partial, suspect, source, quality

from any file of the UN contributions by gender that names contributors: the UN's own layout
(``odp_contributionsbygender.csv``, by month and personnel type), the contributor x mission x year
means (``read_country_mission_year``: a year with months absent from the UN file is rescaled by
12 / months present, only where the months present are known and the rescaled year reproduces
the mission x month file; 2021 holds January only and is ``partial``) and the IPI scrape of the
monthly gender statistics (2009-2014, by personnel type). ``women``, ``men``, ``total`` are mean
persons over the months the source has that year (a month the contributor had nobody there counts
0); ``exposure`` is the same mean in person-years (a month absent from the source is taken at the
mean of the months present, never interpolated from elsewhere); ``partial`` marks a year the
source covers only in part at the start or end of its span (never used silently).
``personnel_type`` is ``all_uniformed`` for every source, and also ``military`` (troops, staff
officers, experts on mission) and ``police`` (formed police units, individual police) where the
source splits types. ``suspect`` flags a contingent-year whose women's share is implausible
against the same contingent's neighbouring years (:func:`flag_implausible`; left out of the
models and tables unless asked, and named); ``exposure``'s ``exclude`` takes the suspect
mission-months of a monthly check.

**Panel** (:func:`build_panel`): one row per contributor x mission x year in which the contributor
had uniformed personnel in the mission (exposure > 0), with the allegations of the UN table of
allegations that name the contributor among the nationalities of the uniformed personnel involved
(military or police). An allegation naming k nationalities counts once for each of them
(``allegations``; ``allegations_weighted`` counts 1/k each, a sensitivity); it is counted in
the year given by ``count_by`` (reporting or incident start year). Counts are 0 where the
contingent was deployed and the export covers the year, ``<NA>`` outside the export's coverage.
Every uniformed allegation of the export counted in the panel's years is either in the panel or
in ``ContingentPanel.unmatched`` with its reason (nationality not recorded, name not matched,
mission without personnel data, year not covered, contributor without personnel in that mission
that year): the panel plus the list equal the export.

What the panel does **not** count: allegations against civilians (no contingent); allegations the
UN records without a nationality ("Unknown"); personnel who are not uniformed; and, where the
exposure is not split by type, it cannot tell whether a named contributor's military or police
were involved in an allegation that names several categories.

**Models** (:func:`fit_models`): Poisson quasi-likelihood with offset log(person-years) on women's
share (per percentage point) with contributor and mission x year fixed effects (the main
specification: the share varies within a contributor across its deployments and years), simpler
columns, two-way clustered errors, a wild cluster score bootstrap where clusters are few, negative
binomial, military and police only (where the exposure is split) and the share a year earlier.
Observations in a fixed-effect level whose outcomes are all zero are dropped before fitting (their
level would run to minus infinity) and counted. Results are associations across contingents, not
effects of deploying women.

>>> ex = exposure(read_country_mission_year(csv, read_mission_month(dta)))      # doctest: +SKIP
>>> p = build_panel(ex, read_table_of_allegations(xlsx), 2015, 2020)            # doctest: +SKIP
>>> fit_models(p).table()                                                        # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats as sps

from pkoresearch.analysis import models, stats
from pkoresearch.data import missions
from pkoresearch.errors import NotEstimable, ParameterError

MILITARY_TYPES = ("troops", "staff_officers", "experts_on_mission")
POLICE_TYPES = ("formed_police_units", "individual_police")
PERSONNEL_TYPES = ("all_uniformed", "military", "police")
COUNT_BY = ("reporting_year", "incident_year")
WEIGHTING = ("each", "fraction")
EXPORT_SOURCE = "UN table of allegations"

EXPOSURE_COLUMNS = [
    "iso3",
    "contributor",
    "mission",
    "year",
    "personnel_type",
    "women",
    "men",
    "total",
    "exposure",
    "share_pct",
    "months_covered",
    "partial",
    "suspect",
    "source",
    "quality",
]

REASON_NO_NATIONALITY = "nationality not recorded"
REASON_NAME = "nationality name not matched to a country code"
REASON_NO_MISSION = "no personnel data for this mission"
REASON_YEAR = "the personnel data do not cover the year"
REASON_NO_PERSONNEL = "the contributor had no personnel in that mission that year (personnel data)"
REASON_PARTIAL = "the personnel data cover the year only in part (left out unless asked)"


# --------------------------------------------------------------------------------------------------
# exposure


@dataclass
class Exposure:
    """Uniformed personnel by contributor x mission x year (``data``, :data:`EXPOSURE_COLUMNS`),
    the source's contributor names without an ISO3 code (``unresolved``: kept under their name,
    listed) and whether it splits personnel types."""

    data: pd.DataFrame
    source: str
    split_by_type: bool
    unresolved: list[str] = field(default_factory=list)
    excluded_months: int = 0  # mission-months left out as suspect (see ``exclude``)

    def years(self) -> list[int]:
        return sorted(set(self.data["year"]))


def _quality_month(months: int, partial: bool, first: pd.Period, last: pd.Period, yr: int) -> str:
    if partial:
        span = [p for p in pd.period_range(first, last, freq="M") if p.year == yr]
        return (
            f"partial: the source covers {months} month(s) of {yr} "
            f"({span[0].strftime('%b')}-{span[-1].strftime('%b')}); exposure is the mean of those months"
        )
    if months == 12:
        return "12 months"
    return (
        f"{months} of 12 months in the source; the months absent taken at the mean of the "
        "months present"
    )


def _from_monthly(
    counts: pd.DataFrame,
    months_in_source: pd.PeriodIndex,
    source: str,
    split: bool,
    exclude: pd.DataFrame | None,
) -> tuple[pd.DataFrame, int]:
    """Contributor x mission x year means from a monthly table ``iso3, contributor, mission,
    month, personnel_type, women, men`` (zero months count 0)."""
    c = counts.copy()
    c["mission"] = missions.harmonise(c["mission"]).to_numpy()
    c["period"] = c["month"].dt.to_period("M")
    excluded = 0
    per_mission_months = None
    if exclude is not None and len(exclude):
        missing = [k for k in ("mission", "month") if k not in exclude.columns]
        if missing:
            raise ParameterError(
                f"exclude: found columns {list(exclude.columns)}; expected mission and month "
                "(the suspect mission-months to leave out)"
            )
        ex = pd.DataFrame(
            {
                "mission": missions.harmonise(exclude["mission"]).to_numpy(),
                "period": pd.to_datetime(exclude["month"]).dt.to_period("M").to_numpy(),
            }
        ).drop_duplicates()
        key = pd.MultiIndex.from_frame(c[["mission", "period"]])
        drop = key.isin(pd.MultiIndex.from_frame(ex))
        excluded = len(ex)
        c = c[~drop]
        per_mission_months = (
            ex.assign(year=ex["period"].dt.year).groupby(["mission", "year"]).size()
        )
    c["year"] = c["period"].dt.year
    groups: list[tuple[str, Sequence[str] | None]] = [("all_uniformed", None)]
    if split:
        groups += [("military", MILITARY_TYPES), ("police", POLICE_TYPES)]
    first, last = months_in_source.min(), months_in_source.max()
    in_year = pd.Series(months_in_source.year).value_counts()
    frames = []
    for name, types in groups:
        part = c if types is None else c[c["personnel_type"].isin(list(types))]
        g = (
            part.groupby(["iso3", "contributor", "mission", "year"], dropna=False, observed=True)[
                ["women", "men"]
            ]
            .sum()
            .reset_index()
        )
        g["personnel_type"] = name
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    out["months_covered"] = out["year"].map(in_year).astype("int64")
    if per_mission_months is not None:
        less = pd.MultiIndex.from_frame(out[["mission", "year"]]).map(
            lambda k: int(per_mission_months.get(k, 0))
        )
        out["months_covered"] = out["months_covered"] - np.asarray(less, dtype="int64")
    n = out["months_covered"].astype(float)
    out["women"] = out["women"].astype(float) / n
    out["men"] = out["men"].astype(float) / n
    out["total"] = out["women"] + out["men"]
    out["partial"] = ((out["year"] == first.year) & (first.month > 1)) | (
        (out["year"] == last.year) & (last.month < 12)
    )
    out["quality"] = [
        _quality_month(int(m), bool(p), first, last, int(y))
        for m, p, y in zip(out["months_covered"], out["partial"], out["year"])
    ]
    out["source"] = source
    return out, excluded


def exposure(contributions, exclude: pd.DataFrame | None = None) -> Exposure:
    """Uniformed personnel by contributor x mission x year (see the module text for each column).

    ``contributions``: a :class:`~pkoresearch.data.readers.un_contributions.Contributions` read from the
    UN layout (``read_contributions_by_gender``) or the contributor x mission x year means
    (``read_country_mission_year``, best with the mission x month file so that its years can be
    checked and rescaled), or the IPI monthly statistics
    (:class:`~pkoresearch.data.readers.un_gender.GenderStatistics`). The mission x month ``.dta`` names
    no contributor and is refused. ``exclude``: a table of suspect mission-months (columns
    ``mission, month``) left out of a monthly source's means (the shared plausibility check's
    output); the yearly means cannot leave months out, and refuse it.

    Only cells with personnel (total > 0 in the source) are kept. Mission names are harmonised
    (MONUC -> MONUSCO).
    Example: ``exposure(read_country_mission_year(csv, read_mission_month(dta))).data``
    """
    from pkoresearch.data.readers.un_gender import GenderStatistics

    if isinstance(contributions, GenderStatistics):
        c = contributions.counts
        wide = (
            c.assign(month=c["date"].dt.to_period("M").dt.to_timestamp())
            .pivot_table(
                index=["iso3", "contributor", "mission", "month", "category"],
                columns="sex",
                values="count",
                aggfunc="sum",
                fill_value=0,
                observed=True,
            )
            .reset_index()
            .rename(columns={"category": "personnel_type", "female": "women", "male": "men"})
        )
        for col in ("iso3", "contributor", "mission", "personnel_type"):
            wide[col] = wide[col].astype("string")
        months = pd.PeriodIndex(sorted(set(wide["month"].dt.to_period("M"))), freq="M")
        source = f"UN monthly gender statistics, IPI scrape ({contributions.path.name})"
        data, excluded = _from_monthly(wide, months, source, True, exclude)
        unresolved = sorted(set(c.loc[c["iso3"].isna(), "contributor"].dropna().astype(str)))
        split = True
    elif getattr(contributions, "period", None) == "month":
        counts = contributions.counts
        if counts["contributor"].isna().all():
            raise ParameterError(
                f"exposure: {contributions.path.name} sums contributors away (the mission x month "
                "file); expected a file naming contributors (odp_contributionsbygender.csv, the "
                "contributor x mission x year means or the IPI gender statistics)"
            )
        source = contributions.coverage.source
        split = contributions.split_by_type
        data, excluded = _from_monthly(
            counts, contributions.coverage.months(), source, split, exclude
        )
        unresolved = list(contributions.unresolved)
    elif getattr(contributions, "period", None) == "year":
        if exclude is not None and len(exclude):
            raise ParameterError(
                "exclude: the contributor x mission x year means cannot leave months out; "
                "expected None (or use a monthly file)"
            )
        data = _from_yearly(contributions)
        source, split, excluded = contributions.coverage.source, False, 0
        unresolved = list(contributions.unresolved)
    else:
        raise ParameterError(
            f"exposure: found {type(contributions).__name__}; expected contributions read by "
            "read_contributions_by_gender, read_country_mission_year or read_gender_statistics"
        )
    data = data[data["total"].isna() | (data["total"] > 0)].copy()
    data["exposure"] = data["total"]
    data["share_pct"] = 100 * data["women"] / data["total"]
    data = data.astype(
        {
            "iso3": "string",
            "contributor": "string",
            "mission": "string",
            "year": "int64",
            "personnel_type": "string",
            "months_covered": "Int64",
            "partial": bool,
            "source": "string",
            "quality": "string",
        }
    )
    for col in ("women", "men", "total", "exposure", "share_pct"):
        data[col] = data[col].astype("Float64")
    data = data.reset_index(drop=True)
    data["suspect"] = flag_implausible(data)
    if data["suspect"].any():
        d = data.sort_values(["personnel_type", "iso3", "mission", "year"])
        g = d.groupby(["personnel_type", "iso3", "mission"], dropna=False)["share_pct"]
        prev, nxt = g.shift(1).reindex(data.index), g.shift(-1).reindex(data.index)
        s_ = data["suspect"]
        data.loc[s_, "quality"] = [
            f"{q}; SUSPECT: women's share {v:.1f}% against {a:.1f}% and {b:.1f}% in the years "
            f"before and after (a jump of more than {SUSPECT_JUMP_PP:g} points in a contingent "
            f"of {SUSPECT_MIN_TOTAL:g} or more)"
            for q, v, a, b in zip(
                data.loc[s_, "quality"], data.loc[s_, "share_pct"], prev[s_], nxt[s_]
            )
        ]
    data = data[EXPOSURE_COLUMNS].sort_values(["personnel_type", "year", "mission", "contributor"])
    return Exposure(
        data=data.reset_index(drop=True),
        source=source,
        split_by_type=split,
        unresolved=unresolved,
        excluded_months=excluded,
    )


def _from_yearly(contributions) -> pd.DataFrame:
    """The contributor x mission x year means with each year's status as ``quality``: values as
    corrected by the reader; a year documented as partial (2021: January only) rescaled by 12 /
    months and flagged ``partial`` whatever its check; other unusable years ``<NA>``."""
    from pkoresearch.data.readers.un_contributions import MONTHS_KNOWN

    c = contributions.counts
    c = c[c["total_in_file"] > 0].copy()
    y = contributions.years.set_index("year")
    partial = c["year"].isin(list(MONTHS_KNOWN)) & (c["months_covered"] < 12)
    factor = 12 / c["months_covered"].astype(float)
    out = pd.DataFrame(
        {
            "iso3": c["iso3"],
            "contributor": c["contributor"],
            "mission": missions.harmonise(c["mission"]).to_numpy(),
            "year": c["year"],
            "personnel_type": "all_uniformed",
            "months_covered": c["months_covered"],
            "partial": partial.to_numpy(),
        }
    )
    for col in ("women", "men", "total"):
        v = c[col].astype(float)
        v = v.where(~partial, c[f"{col}_in_file"].astype(float) * factor)
        out[col] = v.to_numpy()
    status = c["year"].map(y["status"])
    reason = c["year"].map(y["reason"])
    out["quality"] = np.where(
        partial,
        "partial: " + reason.astype(str) + " (rescaled x 12/months: the level of those months)",
        status.astype(str) + ": " + reason.astype(str),
    )
    out["source"] = contributions.coverage.source
    # a name the UN spells two ways in one year and mission (e.g. after harmonising MONUC) is summed
    keys = ["iso3", "contributor", "mission", "year", "personnel_type"]
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        g = out[dup].groupby(keys, dropna=False)
        summed = g[["women", "men", "total"]].sum(min_count=1)
        rest = g[["months_covered", "partial", "quality", "source"]].first()
        out = pd.concat([out[~dup], summed.join(rest).reset_index()], ignore_index=True)
    return out


SUSPECT_JUMP_PP = 20.0  # share points outside both neighbouring years
SUSPECT_MIN_TOTAL = 50.0  # persons: smaller contingents change their share legitimately


def flag_implausible(
    data: pd.DataFrame, jump_pp: float = SUSPECT_JUMP_PP, min_total: float = SUSPECT_MIN_TOTAL
) -> pd.Series:
    """A plausibility check of contingent-years against the same contingent's neighbouring years
    (True = suspect): a contingent of at least ``min_total`` persons whose women's share lies more
    than ``jump_pp`` points above both, or below both, of its shares the year before and the year
    after (both present, and within ``jump_pp`` of each other: a year beside a spike is not
    flagged). A yearly mean cannot show which months are wrong; the monthly check of
    the shared plausibility module, where it applies, leaves the months out through
    :func:`exposure`'s ``exclude``. Example: Morocco in UNOCI 2016, 79.5% women between 0% in 2015
    and 2017 (the mission x month file has about 870 women in January and March-May 2016)."""
    d = data.sort_values(["personnel_type", "iso3", "mission", "year"])
    g = d.groupby(["personnel_type", "iso3", "mission"], dropna=False)
    share = d["share_pct"].astype(float)
    prev = g["share_pct"].shift(1).astype(float).where(g["year"].shift(1) == d["year"] - 1)
    nxt = g["share_pct"].shift(-1).astype(float).where(g["year"].shift(-1) == d["year"] + 1)
    lo = np.fmin(prev, nxt)
    hi = np.fmax(prev, nxt)
    out = (
        prev.notna()
        & nxt.notna()
        & (d["total"].astype(float) >= min_total)
        & (hi - lo <= jump_pp)
        & ((share - hi > jump_pp) | (lo - share > jump_pp))
    )
    return out.reindex(data.index).fillna(False).astype(bool)


# --------------------------------------------------------------------------------------------------
# the contingent panel


def allegation_links(
    table,
    count_by: str = "reporting_year",
) -> pd.DataFrame:
    """One row per uniformed allegation and nationality named: ``allegation_id, year, fell_back,
    mission_in_source, mission, nationality, iso3, k, military, police``. ``k`` is the number of
    nationalities the allegation names (``weight`` = 1/k); an uniformed allegation with no
    nationality line has one row with ``nationality`` missing. ``year`` follows ``count_by``."""
    if count_by not in COUNT_BY:
        raise ParameterError(f"count_by: found {count_by!r}; expected one of {list(COUNT_BY)}")
    a = table.allegations
    pers = table.personnel
    flags = (
        pd.DataFrame(
            {
                "allegation_id": pers["allegation_id"],
                "military": pers["category"] == "military",
                "police": pers["category"] == "police",
            }
        )
        .groupby("allegation_id")[["military", "police"]]
        .any()
    )
    years = table.counting_years(count_by).set_index("allegation_id")
    al = pd.DataFrame(
        {
            "allegation_id": a["allegation_id"].to_numpy(),
            "mission_in_source": a["mission"].astype("string").to_numpy(),
            "mission": missions.harmonise(a["mission"]).to_numpy(),
        }
    ).join(flags, on="allegation_id")
    al[["military", "police"]] = al[["military", "police"]].fillna(False).astype(bool)
    al = al[al["military"] | al["police"]]
    al["year"] = al["allegation_id"].map(years["year"]).astype("int64")
    al["fell_back"] = al["allegation_id"].map(years["fell_back"]).astype(bool)
    nat = table.nationalities
    if nat is None:
        nat = pd.DataFrame(columns=["allegation_id", "nationality", "iso3"])
    nat = nat[nat["allegation_id"].isin(al["allegation_id"])]
    out = al.merge(nat[["allegation_id", "nationality", "iso3"]], on="allegation_id", how="left")
    k = out.groupby("allegation_id")["nationality"].transform("count").clip(lower=1)
    out["k"] = k.astype("int64")
    out["weight"] = 1 / out["k"]
    cols = [
        "allegation_id",
        "year",
        "fell_back",
        "mission_in_source",
        "mission",
        "nationality",
        "iso3",
        "k",
        "weight",
        "military",
        "police",
    ]
    return out[cols].sort_values(["allegation_id", "nationality"]).reset_index(drop=True)


@dataclass
class ContingentPanel:
    """The contributor x mission x year panel (``data``), the exposure of every year (``exposure``,
    for lags), and each uniformed allegation-nationality of the export in the panel's years that
    is not in a cell (``unmatched``, with ``reason``)."""

    data: pd.DataFrame
    exposure: pd.DataFrame
    links: pd.DataFrame
    unmatched: pd.DataFrame
    start_year: int
    end_year: int
    count_by: str
    personnel_type: str
    exposure_type: str  # the personnel type the exposure and share measure
    exposure_source: str
    allegations_source: str
    notes: list[str] = field(default_factory=list)
    # where the exposure is split by type: the military and police panels (for their columns)
    by_type: dict[str, ContingentPanel] = field(default_factory=dict)

    @property
    def allegations_in_years(self) -> int:
        """Uniformed allegations of the export counted in the panel's years."""
        return int(self.links["allegation_id"].nunique())

    def unmatched_summary(self) -> pd.DataFrame:
        """Unmatched allegation-nationalities by reason: ``reason, allegations, lines``."""
        u = self.unmatched
        out = u.groupby("reason").agg(
            allegations=("allegation_id", "nunique"), lines=("allegation_id", "size")
        )
        return out.reset_index().sort_values("allegations", ascending=False, ignore_index=True)

    def describe(self) -> list[str]:
        """Sentences on what the panel holds (for a notebook to print)."""
        d = self.data
        counted = d["allegations"].notna()
        in_panel = self.links.loc[self.links["matched"], "allegation_id"].nunique()
        lines = [
            f"{len(d)} contingent-years (contributor x mission x year with uniformed personnel) "
            f"in {self.start_year}-{self.end_year}: {d['iso3'].nunique()} contributors in "
            f"{d['mission'].nunique()} missions, from {self.exposure_source}",
            f"{int(counted.sum())} with an allegation count ({int((d['allegations'] == 0).sum())} "
            f"of them zero), {int((~counted).sum())} missing (outside the export's coverage)",
            f"{self.allegations_in_years} uniformed allegations of the export counted in these "
            f"years ({self.count_by.replace('_', ' ')}): {in_panel} in the panel, "
            f"{self.unmatched['allegation_id'].nunique()} with at least one nationality unmatched "
            "(listed)",
        ]
        sus = d[d["suspect"]]
        if len(sus):
            lines.append(
                f"{len(sus)} contingent-year(s) flagged implausible (women's share far from the "
                "same contingent's neighbouring years), left out of the models and tables unless "
                "asked: "
                + "; ".join(
                    f"{r.contributor} in {r.mission} {r.year} ({r.share_pct:.1f}% women)"
                    for r in sus.itertuples()
                )
            )
        multi = self.links.loc[self.links["k"] > 1, "allegation_id"].nunique()
        if multi:
            lines.append(
                f"{multi} allegation(s) name more than one nationality: each counts once for "
                "every contributor named (1/k each in the weighted sensitivity)"
            )
        return lines + self.notes


def build_panel(
    exposure_table: Exposure,
    table,
    start_year: int = 2015,
    end_year: int = 2020,
    count_by: str = "reporting_year",
    personnel_type: str = "all_uniformed",
) -> ContingentPanel:
    """The contingent panel for ``start_year..end_year`` (see the module text).

    ``personnel_type``: ``all_uniformed`` (allegations naming military or police), ``military`` or
    ``police`` (allegations naming that category; the exposure and the share are of that type where
    the source splits types, otherwise of all uniformed personnel, said in ``notes``).
    Columns: ``iso3, contributor, mission, year, women, men, total, exposure, share_pct,
    months_covered, partial, quality, allegations, allegations_weighted, allegations_military,
    allegations_police, export_covers``.
    Example: ``build_panel(exposure(cy), read_table_of_allegations(xlsx), 2015, 2020)``
    """
    if personnel_type not in PERSONNEL_TYPES:
        raise ParameterError(
            f"personnel_type: found {personnel_type!r}; expected one of {list(PERSONNEL_TYPES)}"
        )
    if int(start_year) > int(end_year):
        raise ParameterError(
            f"build_panel: found start_year {start_year} > end_year {end_year}; expected "
            "start_year <= end_year"
        )
    start_year, end_year = int(start_year), int(end_year)
    notes: list[str] = []
    ex_type = personnel_type if exposure_table.split_by_type else "all_uniformed"
    if ex_type != personnel_type:
        notes.append(
            f"the personnel source does not split personnel types: exposure and women's share are "
            f"of all uniformed personnel, the allegations those naming {personnel_type}"
        )
    ex = exposure_table.data[exposure_table.data["personnel_type"] == ex_type].drop(
        columns=["personnel_type", "source"]
    )
    data = ex[ex["year"].between(start_year, end_year)].reset_index(drop=True)

    links = allegation_links(table, count_by)
    links = links[links["year"].between(start_year, end_year)].reset_index(drop=True)
    if personnel_type != "all_uniformed":
        links = links[links[personnel_type]].reset_index(drop=True)
    cov = table.coverage.years().set_index("year")
    export_years = set(cov.index)

    key = pd.MultiIndex.from_frame(data[["iso3", "mission", "year"]].astype(object))
    lkey = pd.MultiIndex.from_frame(links[["iso3", "mission", "year"]].astype(object))
    in_panel = lkey.isin(key) & links["iso3"].notna().to_numpy()
    ex_missions = set(ex["mission"])
    ex_years = set(ex["year"])
    unknown = links["nationality"].isna() | links["nationality"].str.strip().str.lower().isin(
        ["unknown", "not published", ""]
    )
    reason = np.select(
        [
            unknown.to_numpy(),
            links["iso3"].isna().to_numpy(),
            ~links["mission"].isin(ex_missions).to_numpy(),
            ~links["year"].isin(ex_years).to_numpy(),
        ],
        [REASON_NO_NATIONALITY, REASON_NAME, REASON_NO_MISSION, REASON_YEAR],
        REASON_NO_PERSONNEL,
    )
    links["matched"] = in_panel
    links["reason"] = pd.Series(np.where(in_panel, "", reason), dtype="string")
    unmatched = links[~links["matched"]].drop(columns=["matched"]).reset_index(drop=True)

    m = links[links["matched"]]
    counts = m.groupby(["iso3", "mission", "year"]).agg(
        allegations=("allegation_id", "size"),
        allegations_weighted=("weight", "sum"),
        allegations_military=("military", "sum"),
        allegations_police=("police", "sum"),
    )
    covered = data["year"].isin(export_years)
    data["export_covers"] = covered.to_numpy()
    for col in counts.columns:
        v = counts[col].reindex(key).fillna(0).to_numpy()
        dtype = "Float64" if col == "allegations_weighted" else "Int64"
        data[col] = pd.array(np.where(covered, v, np.nan), dtype="Float64").astype(dtype)
    part = data["partial"]
    if part.any():
        notes.append(
            f"{int(part.sum())} contingent-years in a year the personnel data cover only in part "
            f"({', '.join(str(y) for y in sorted(set(data.loc[part, 'year'])))}): flagged partial, "
            "never modelled unless asked"
        )
    if count_by == "incident_year":
        notes.append(
            f"counted by incident start year; {int(links.drop_duplicates('allegation_id')['fell_back'].sum())} "
            "allegation(s) without a start year counted in their reporting year"
        )
    by_type = {}
    if exposure_table.split_by_type and personnel_type == "all_uniformed":
        by_type = {
            t: build_panel(exposure_table, table, start_year, end_year, count_by, t)
            for t in ("military", "police")
        }
    return ContingentPanel(
        by_type=by_type,
        data=data,
        exposure=ex.reset_index(drop=True),
        links=links,
        unmatched=unmatched,
        start_year=start_year,
        end_year=end_year,
        count_by=count_by,
        personnel_type=personnel_type,
        exposure_type=ex_type,
        exposure_source=exposure_table.source,
        allegations_source=table.coverage.source,
        notes=notes,
    )


def with_lagged_share(panel: ContingentPanel, lag: int = 1) -> pd.DataFrame:
    """``panel.data`` with ``share_pct_lag{lag}``: the same contributor's share in the same mission
    ``lag`` years earlier (``<NA>`` where it had no personnel there then, the source does not
    cover that year, or that year is flagged by :func:`flag_implausible`)."""
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 1:
        raise ParameterError(f"lag: found {lag!r}; expected a whole number of years >= 1")
    ex = panel.exposure
    prev = (
        ex.loc[~ex["suspect"], ["iso3", "mission", "year", "share_pct"]]
        .assign(year=lambda d: d["year"] + lag)
        .rename(columns={"share_pct": f"share_pct_lag{lag}"})
    )
    return panel.data.merge(prev, on=["iso3", "mission", "year"], how="left")


# --------------------------------------------------------------------------------------------------
# models

FIXED_EFFECTS = {
    "contributor+mission_year": ("iso3", "mission_year"),
    "mission_year": ("mission_year",),
    "contributor": ("iso3",),
    "none": (),
}
FE_TEXT = {
    "iso3": "contributor",
    "mission_year": "mission x year",
}
FAMILIES = {"poisson": "Poisson QL", "negbin": "negative binomial (NB2)"}
# fewer clusters than stats.MIN_CLUSTERS: no interval; fewer than stats.BOOTSTRAP_BELOW: the wild
# cluster score bootstrap is added (the package's one small-cluster rule, see stats.cluster_inference)
MIN_CLUSTERS = stats.MIN_CLUSTERS
BOOTSTRAP_BELOW = stats.BOOTSTRAP_BELOW


@dataclass(frozen=True)
class Specification:
    """One column of the regression table."""

    name: str
    label: str
    family: str = "poisson"  # "poisson" (quasi-likelihood) or "negbin"
    fixed_effects: str = "contributor+mission_year"  # key of FIXED_EFFECTS
    cluster: str = "contributor"  # "contributor" or "two_way" (contributor and mission)
    outcome: str = "allegations"  # a count column of the sample
    share: str = "share_pct"
    sample: str = "all_uniformed"  # personnel type of the exposure (military/police: split panel)
    bootstrap: bool = False


@dataclass(frozen=True, kw_only=True)
class ModelResult(models.ModelResult):
    """The women's-share term of one specification: rate ratio per percentage point (the fields
    of :class:`pkoresearch.analysis.models.ModelResult`, and the contingent panel's)."""

    spec: Specification
    clusters: int
    dropped: int  # observations dropped because their fixed-effect level has only zeros
    boot_p: float = float("nan")
    boot_low: float = float("nan")
    boot_high: float = float("nan")
    params: pd.Series | None = field(default=None, repr=False, compare=False)
    bse: pd.Series | None = field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "specification": self.spec.label,
                    "model": FAMILIES[self.spec.family],
                    "fixed_effects": self.spec.fixed_effects,
                    "cluster": self.spec.cluster,
                    "irr": self.irr,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "p_value": self.p_value,
                    "boot_p": self.boot_p,
                    "boot_low": self.boot_low,
                    "boot_high": self.boot_high,
                    "n": self.n,
                    "clusters": self.clusters,
                    "dropped": self.dropped,
                    "converged": self.converged,
                    "not_estimable": self.not_estimable,
                }
            ]
        )


def drop_separated(d: pd.DataFrame, outcome: str, fe: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Leave out observations in a fixed-effect level whose outcomes are all zero
    (:func:`pkoresearch.analysis.models.drop_separated`): their level's estimate runs to minus
    infinity and they carry no information on the other coefficients. Returns the rest and the
    number dropped."""
    kept, _ = models.drop_separated(d, outcome, fe)
    return kept, len(d) - len(kept)


design = models.design  # constant, the share, one indicator per fixed-effect level but the first


def _poisson(y, X, offset, groups=None):
    import statsmodels.api as sm

    kw = {} if groups is None else {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    return sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(**kw)


def _model_sample(
    d: pd.DataFrame,
    leave_out_contributors: Sequence[str],
    leave_out_missions: Sequence[str],
    include_partial: bool,
    keep_suspect: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    steps = [("contingent-years in the panel", len(d))]
    rules = [
        ("allegations counted (export covers the year)", d["allegations"].notna()),
        (
            "years covered in full by the personnel data"
            + (" (partial years kept, as asked)" if include_partial else ""),
            pd.Series(True, index=d.index) if include_partial else ~d["partial"],
        ),
        ("exposure known and > 0", d["exposure"].notna() & (d["exposure"] > 0)),
        (
            "not flagged implausible" + (" (suspect kept, as asked)" if keep_suspect else ""),
            pd.Series(True, index=d.index) if keep_suspect else ~d["suspect"].astype(bool),
        ),
        (
            "contributors left out: " + (", ".join(leave_out_contributors) or "none"),
            ~d["iso3"].isin(list(leave_out_contributors))
            & ~d["contributor"].isin(list(leave_out_contributors)),
        ),
        (
            "missions left out: " + (", ".join(leave_out_missions) or "none"),
            ~d["mission"].isin(list(leave_out_missions)),
        ),
    ]
    keep = pd.Series(True, index=d.index)
    for label, rule in rules:
        keep &= rule.fillna(False).astype(bool)
        steps.append((label, int(keep.sum())))
    out = d[keep].reset_index(drop=True)
    out["mission_year"] = out["mission"].astype(str) + " " + out["year"].astype(str)
    return out, pd.DataFrame(steps, columns=["rule", "contingent_years"])


def fit(
    sample: pd.DataFrame,
    spec: Specification,
    alpha: float = 0.05,
    reps: int = 999,
    seed: int = 20261207,
) -> ModelResult:
    """Fit one specification with statsmodels (``GLM`` Poisson, or ``NegativeBinomial`` NB2 with
    the same indicators), offset log(person-years), fixed effects as indicators, standard errors
    clustered by contributor (or two-way by contributor and mission: statsmodels' two-way
    sandwich), interval and p-value from t(G-1) with G the (smaller) number of clusters; no
    interval below :data:`MIN_CLUSTERS`. With ``spec.bootstrap`` and fewer than
    :data:`BOOTSTRAP_BELOW` contributor clusters, a wild cluster score bootstrap p-value and
    interval (:func:`pkoresearch.analysis.stats.wild_score_bootstrap` and
    :func:`pkoresearch.analysis.stats.wild_score_interval`: Webb weights, ``reps`` draws from ``seed``) is
    added for Poisson fits."""
    import statsmodels.api as sm

    fe = FIXED_EFFECTS[spec.fixed_effects]
    d = sample.dropna(subset=[spec.outcome, spec.share, "exposure"])
    d = d[d["exposure"] > 0]
    d, dropped = drop_separated(d, spec.outcome, fe)
    X = design(d, spec.share, fe)
    y = d[spec.outcome].astype(float).to_numpy()
    if len(d) <= X.shape[1] + 1:
        raise NotEstimable(
            f"{len(d)} contingent-years for {X.shape[1]} parameters; expected more "
            "contingent-years than parameters"
        )
    if not (y > 0).any():
        raise NotEstimable("no allegation in the sample")
    if d[spec.share].astype(float).std() == 0:
        raise NotEstimable("women's share does not vary in the sample")
    offset = np.log(d["exposure"].astype(float).to_numpy())
    g1 = pd.factorize(d["iso3"])[0]
    if spec.cluster == "two_way":
        g2 = pd.factorize(d["mission"])[0]
        groups = np.column_stack([g1, g2])
        n_clusters = int(min(g1.max() + 1, g2.max() + 1))
    else:
        groups = g1
        n_clusters = int(g1.max() + 1)
    if n_clusters < 2:
        raise NotEstimable(f"{n_clusters} cluster; expected at least 2")
    # one BLAS thread: these matrices are small, and a threaded BLAS on a busy machine is many
    # times slower
    with (
        models.blas().limit(limits=1, user_api="blas"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        pois = _poisson(y, X, offset, groups)
        alpha_nb = None
        if spec.family == "poisson":
            res = pois
            converged = bool(getattr(res, "converged", True))
        else:
            res = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2").fit(
                start_params=np.append(pois.params.to_numpy(), 0.5),
                method="lbfgs",
                maxiter=1000,
                disp=0,
                cov_type="cluster",
                cov_kwds={"groups": groups},
            )
            converged = bool(res.mle_retvals.get("converged", True))
            alpha_nb = float(res.params["alpha"])
    converged = converged and not any("converge" in str(w.message).lower() for w in caught)
    b, se = float(res.params[spec.share]), float(res.bse[spec.share])
    if not (math.isfinite(b) and math.isfinite(se)):
        raise NotEstimable(f"no finite estimate (coefficient {b:g}, standard error {se:g})")
    est = stats.cluster_t(b, se, n_clusters, alpha, True, MIN_CLUSTERS, spec.share)
    lo, hi, p = est.ci_low, est.ci_high, est.p_value
    boot = (float("nan"),) * 3
    if (
        spec.bootstrap
        and spec.family == "poisson"
        and MIN_CLUSTERS <= g1.max() + 1 < BOOTSTRAP_BELOW
    ):
        model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
        with models.blas().limit(limits=1, user_api="blas"):
            bp = stats.wild_score_bootstrap(model, spec.share, g1, 0.0, reps, seed)[0]
            bl, bh = stats.wild_score_interval(
                model, spec.share, g1, alpha, reps, seed, estimate=b, se=se
            )
        boot = (bp, math.exp(bl), math.exp(bh))
    fe_text = " + ".join(FE_TEXT[f] for f in fe) or "no"
    method = (
        f"{FAMILIES[spec.family]}, offset log(person-years), {fe_text} fixed effects; SE clustered "
        + ("two-way by contributor and mission" if spec.cluster == "two_way" else "by contributor")
        + f" ({n_clusters} clusters), t({n_clusters - 1}) interval"
    )
    return ModelResult(
        spec=spec,
        irr=math.exp(b),
        ci_low=lo,
        ci_high=hi,
        p_value=p,
        coef=b,
        se=se,
        n=len(d),
        clusters=n_clusters,
        dropped=dropped,
        converged=converged,
        method=method,
        boot_p=boot[0],
        boot_low=boot[1],
        boot_high=boot[2],
        alpha_nb=alpha_nb,
        params=res.params,
        bse=res.bse,
    )


SPECIFICATIONS = (
    "main",
    "two_way",
    "mission_year",
    "contributor",
    "no_fe",
    "negbin",
    "military",
    "police",
    "lagged",
)


def specifications(outcome: str = "allegations", lag: int = 1) -> list[Specification]:
    """The columns of the regression table: (1) the main specification (Poisson QL, contributor
    and mission x year fixed effects, clustered by contributor, wild bootstrap), (2) the same with
    two-way clustering by contributor and mission, (3) mission x year only, (4) contributor only,
    (5) no fixed effects, (6) negative binomial with the main fixed effects, (7) military and (8)
    police only (exposure and share of that type), (9) the share ``lag`` years earlier."""
    return [
        Specification(
            "main", "Main: contributor + mission-year FE", outcome=outcome, bootstrap=True
        ),
        Specification("two_way", "Two-way clustered", cluster="two_way", outcome=outcome),
        Specification(
            "mission_year", "Mission-year FE only", fixed_effects="mission_year", outcome=outcome
        ),
        Specification(
            "contributor", "Contributor FE only", fixed_effects="contributor", outcome=outcome
        ),
        Specification("no_fe", "No fixed effects", fixed_effects="none", outcome=outcome),
        Specification("negbin", "Negative binomial", family="negbin", outcome=outcome),
        Specification(
            "military", "Military only", outcome="allegations_military", sample="military"
        ),
        Specification("police", "Police only", outcome="allegations_police", sample="police"),
        Specification("lagged", f"Share t-{lag}", outcome=outcome, share=f"share_pct_lag{lag}"),
    ]


def _unavailable(spec: Specification, reason: str, n: int = 0) -> ModelResult:
    return ModelResult.unavailable(spec, reason, n=n, clusters=0, dropped=0)


@dataclass(kw_only=True)
class ModelTable(models.ModelTable):
    """Every specification fitted: ``results`` in column order, the ``sample`` and its ``steps``
    (:class:`pkoresearch.analysis.models.ModelTable`)."""

    COLUMNS: ClassVar[list[str]] = [
        "specification",
        "model",
        "fixed_effects",
        "cluster",
        "irr",
        "ci_low",
        "ci_high",
        "p_value",
        "boot_p",
        "boot_low",
        "boot_high",
        "n",
        "clusters",
        "dropped",
        "converged",
        "not_estimable",
    ]

    results: list[ModelResult]

    def table(self, digits: int = 3) -> pd.DataFrame:
        """The regression table in a paper's layout: one column per specification, the rate ratio
        per percentage point of women with its interval, the bootstrap where computed, then fixed
        effects, clustering, N, clusters, cells dropped and convergence."""
        level = round(100 * (1 - self.alpha))
        cols = {}
        for i, r in enumerate(self.results, start=1):
            s = r.spec
            fe = FIXED_EFFECTS[s.fixed_effects]
            col = {
                "Women's share, rate ratio per point": (
                    "not estimable" if r.not_estimable else f"{r.irr:.{digits}f}"
                ),
                f"  {level}% CI (t, clustered)": (
                    "-"
                    if r.not_estimable
                    else "not shown (too few clusters)"
                    if math.isnan(r.ci_low)
                    else f"[{r.ci_low:.{digits}f}, {r.ci_high:.{digits}f}]"
                ),
                "  p-value": "-" if math.isnan(r.p_value) else f"{r.p_value:.3f}",
                f"  {level}% CI (wild bootstrap)": (
                    "-"
                    if math.isnan(r.boot_low)
                    else f"[{r.boot_low:.{digits}f}, {r.boot_high:.{digits}f}]"
                ),
                "  bootstrap p-value": "-" if math.isnan(r.boot_p) else f"{r.boot_p:.3f}",
                "Outcome": s.outcome.replace("_", " "),
                "Share measured": models.share_measured(s.share),
                "Contributor FE": "yes" if "iso3" in fe else "no",
                "Mission x year FE": "yes" if "mission_year" in fe else "no",
                "Model": FAMILIES[s.family],
                "Clustered by": "contributor, mission" if s.cluster == "two_way" else "contributor",
                "Contingent-years": f"{r.n}",
                "Clusters": f"{r.clusters}" if not r.not_estimable else "-",
                "Dropped (all-zero FE level)": f"{r.dropped}" if not r.not_estimable else "-",
                "Converged": "-" if r.not_estimable else ("yes" if r.converged else "NO"),
                "Note": r.not_estimable or "-",
            }
            cols[f"({i}) {s.label}"] = col
        return pd.DataFrame(cols)


def fit_models(
    panel: ContingentPanel,
    specs: Sequence[str] = SPECIFICATIONS,
    weighting: str = "each",
    lag: int = 1,
    leave_out_contributors: Sequence[str] = (),
    leave_out_missions: Sequence[str] = (),
    include_partial: bool = False,
    keep_suspect: bool = False,
    alpha: float = 0.05,
    reps: int = 999,
    seed: int = 20261207,
) -> ModelTable:
    """Fit the specifications named in ``specs`` (keys of :func:`specifications`) on the panel.
    ``weighting``: ``each`` (an allegation naming k nationalities counts 1 for each) or
    ``fraction`` (1/k each; not for the negative binomial, a count model). Contingent-years
    flagged by :func:`flag_implausible` are left out unless ``keep_suspect``. Military and police
    columns need a panel whose exposure is split by type (``panel.by_type``); otherwise they are
    reported as not estimable, with the reason.
    Example: ``fit_models(build_panel(ex, table)).table()``"""
    if weighting not in WEIGHTING:
        raise ParameterError(f"weighting: found {weighting!r}; expected one of {list(WEIGHTING)}")
    bad = [s for s in specs if s not in SPECIFICATIONS]
    if bad:
        raise ParameterError(f"specs: found {bad!r}; expected values among {list(SPECIFICATIONS)}")
    outcome = "allegations" if weighting == "each" else "allegations_weighted"
    d = with_lagged_share(panel, lag)
    sample, steps = _model_sample(
        d, leave_out_contributors, leave_out_missions, include_partial, keep_suspect
    )
    by_name = {s.name: s for s in specifications(outcome, lag)}
    results = []
    for name in specs:
        s = by_name[name]
        if s.sample != "all_uniformed":
            if panel.personnel_type != "all_uniformed":
                results.append(_unavailable(s, f"the panel is of {panel.personnel_type} already"))
                continue
            sub = panel.by_type.get(s.sample)
            if sub is None:
                results.append(
                    _unavailable(
                        s,
                        "the personnel source does not split personnel types "
                        "(exposure of all uniformed only)",
                    )
                )
                continue
            smp, _ = _model_sample(
                with_lagged_share(sub, lag),
                leave_out_contributors,
                leave_out_missions,
                include_partial,
                keep_suspect,
            )
        else:
            smp = sample
        if s.family == "negbin" and weighting == "fraction":
            results.append(
                _unavailable(s, "fractional counts (weighting 'fraction') are not counts")
            )
            continue
        try:
            results.append(fit(smp, s, alpha, reps, seed))
        except NotEstimable as exc:
            results.append(_unavailable(s, str(exc), len(smp)))
    return ModelTable(results=results, sample=sample, steps=steps, alpha=alpha)


# --------------------------------------------------------------------------------------------------
# descriptive tables


def model_sample(
    panel: ContingentPanel,
    leave_out_contributors: Sequence[str] = (),
    leave_out_missions: Sequence[str] = (),
    include_partial: bool = False,
    keep_suspect: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The contingent-years the models and the descriptive tables use, and how many each rule
    keeps: ``(sample, steps)`` (allegations counted, full years unless ``include_partial``,
    exposure > 0, not flagged by :func:`flag_implausible` unless ``keep_suspect``, the
    contributors and missions left out)."""
    return _model_sample(
        panel.data, leave_out_contributors, leave_out_missions, include_partial, keep_suspect
    )


def rates_by_contributor(
    sample: pd.DataFrame,
    outcome: str = "allegations",
    per: float = 1000,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Allegations per ``per`` person-years by contributor, all missions and years of ``sample``
    pooled: ``iso3, contributor, allegations, person_years, rate, ci_low, ci_high, share_pct,
    contingent_years, missions`` with exact Poisson (Garwood) intervals and the count beside the
    rate; ``share_pct`` is women over personnel pooled the same way (person-years weighted).
    Sorted by person-years, largest first.
    Example: ``rates_by_contributor(model_sample(panel)[0])``"""
    g = sample.groupby(["iso3"], observed=True)
    out = pd.DataFrame(
        {
            "contributor": g["contributor"].first(),
            "allegations": g[outcome].sum(),
            "person_years": g["exposure"].sum().astype(float),
            "women": g["women"].sum().astype(float),
            "contingent_years": g.size(),
            "missions": g["mission"].nunique(),
        }
    ).reset_index()
    est = [
        stats.poisson_rate(int(round(k)), e, per=per, alpha=alpha)
        for k, e in zip(out["allegations"], out["person_years"])
    ]
    out["rate"] = [e.estimate for e in est]
    out["ci_low"] = [e.ci_low for e in est]
    out["ci_high"] = [e.ci_high for e in est]
    out["share_pct"] = 100 * out["women"] / out["person_years"]
    cols = [
        "iso3",
        "contributor",
        "allegations",
        "person_years",
        "rate",
        "ci_low",
        "ci_high",
        "share_pct",
        "contingent_years",
        "missions",
    ]
    out["allegations"] = out["allegations"].astype("int64")
    return out[cols].sort_values("person_years", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits for rates against person-years: ``limits`` (``person_years, lower_95,
    upper_95, lower_99.8, upper_99.8``, per ``per``), the overall rate ``p0`` and the
    overdispersion factor ``phi`` the limits are widened by (1 = Poisson)."""

    limits: pd.DataFrame
    p0: float
    phi: float
    per: float
    method: str


def funnel_limits(
    rates: pd.DataFrame,
    per: float = 1000,
    levels: Sequence[float] = (95, 99.8),
    points: int = 200,
) -> FunnelLimits:
    """Funnel limits for the rates of :func:`rates_by_contributor`, adjusted for overdispersion
    by the multiplicative method of Spiegelhalter (2005, "Funnel plots for comparing institutional
    performance", section 6.1): z-scores (O - E) / sqrt(E) with E = p0 x person-years; phi = the
    mean of the squared z-scores after winsorising them at their 10th and 90th percentiles (phi
    below 1 is set to 1); limits p0 +/- z x sqrt(phi x p0 / person-years) (normal approximation).
    """
    r = rates[rates["person_years"] > 0]
    o, e_ = r["allegations"].astype(float), r["person_years"].astype(float)
    p0 = float(o.sum() / e_.sum())
    expected = p0 * e_
    z = (o - expected) / np.sqrt(expected)
    lo_q, hi_q = np.percentile(z, [10, 90])
    phi = max(1.0, float((z.clip(lo_q, hi_q) ** 2).mean()))
    grid = np.geomspace(max(e_.min() * 0.8, 1e-3), e_.max() * 1.2, points)
    lim = pd.DataFrame({"person_years": grid})
    for level in levels:
        q = sps.norm.ppf(0.5 + level / 200)
        half = q * np.sqrt(phi * p0 / grid)
        tag = f"{level:g}"
        lim[f"lower_{tag}"] = np.maximum(p0 - half, 0) * per
        lim[f"upper_{tag}"] = (p0 + half) * per
    method = (
        f"multiplicative overdispersion (Spiegelhalter 2005), phi = {phi:.2f} from "
        f"{len(r)} contributors' winsorised z-scores"
    )
    return FunnelLimits(lim, p0 * per, phi, per, method)


def read_contributor_file(path: str | Path, mission_month=None):
    """Read a file of uniformed personnel by contributor, whichever of the three layouts it is:
    the contributor x mission x year means (``Year, Country, Mission, ...``: checked and rescaled
    with ``mission_month``, a :class:`Contributions` of the mission x month file, when given), the
    UN's ``odp_contributionsbygender.csv`` or the IPI gender statistics (``Contributor ISO-3``).
    Returns what :func:`exposure` takes. Raises SchemaMismatch for any other header.
    Example: ``exposure(read_contributor_file(csv, read_mission_month(dta)))``"""
    from pkoresearch.data.readers._checks import check_file, csv_header
    from pkoresearch.data.readers.un_contributions import (
        read_contributions_by_gender,
        read_country_mission_year,
    )
    from pkoresearch.data.readers.un_gender import read_gender_statistics
    from pkoresearch.errors import Problem, SchemaMismatch

    path = Path(path)
    what = (
        "contributor x mission x year means (Year, Country, Mission, Female, Male, Total), the "
        "UN's odp_contributionsbygender.csv or the IPI gender statistics (Contributor ISO-3)"
    )
    check_file(path, what)
    header = csv_header(path, what)
    if {"year", "country", "mission"} <= header:
        return read_country_mission_year(path, mission_month)
    if "mission_acronym" in header:
        return read_contributions_by_gender(path)
    if "contributor iso-3" in header:
        return read_gender_statistics(path)
    raise SchemaMismatch(Problem(str(path), 1, None, f"the columns {sorted(header)}", what))
