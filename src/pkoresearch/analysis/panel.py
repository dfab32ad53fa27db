"""The mission-year panel of women's share and allegations, and count models of their association
in the spirit of Karim & Beardsley (2016).

**Panel** (:func:`build_panel`): one row per mission and year in which the mission had uniformed
personnel in the UN contributions-by-gender data, with

- ``women_mean``, ``personnel_mean``: means over the months present in which the mission had
  personnel; ``share_pct`` = women / personnel over those months, in percent;
- ``exposure``: person-years of uniformed personnel, the mean monthly personnel over the calendar
  year (a month in which the mission did not exist counts 0; a month absent from the source inside
  the mission's active span counts at the mean of the months present);
  ``exposure_known`` is False where a month absent from the source lies at the start or end of the
  mission's activity, so that whether the mission existed then is unknown;
- ``months_suspect``: months of the mission the plausibility check finds far from its
  neighbouring months (:mod:`pkoresearch.analysis.plausibility`), left out of the means and counted in the
  exposure like months absent from the source (``suspect="keep"`` uses them);
- allegations by reporting year from the UN table of allegations, for all personnel, uniformed
  (military or police), military and police: 0 where the mission existed and the export covers the
  year, ``<NA>`` outside its coverage, ``allegations_complete`` False for a partly covered year;
  before the export, the curated per-mission counts where a source gives one (all personnel
  only), otherwise ``<NA>``.

Mission names are harmonised with :func:`pkoresearch.data.missions.harmonise` (MONUC -> MONUSCO).
Every allegation of the export in the chosen years is either counted in the panel or listed in
``MissionPanel.unmatched`` with the reason (no personnel data for the mission, no personnel that
year, year not covered by the personnel data).

**Models** (:func:`fit_models`): counts of allegations with offset log(exposure) on women's share
(per percentage point) and year effects, standard errors clustered by mission: negative binomial
(NB2) and Poisson quasi-likelihood; robustness: mission fixed effects, the share of an earlier
year, military allegations only, without the largest mission. Results are associations across
mission-years, not effects of deploying women.

>>> from pkoresearch.analysis import panel                                               # doctest: +SKIP
>>> p = panel.build_panel(read_mission_month("numperson.dta"), table, 2015, 2021)  # doctest: +SKIP
>>> panel.fit_models(p).table()                                                  # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from pkoresearch.analysis import models, plausibility
from pkoresearch.data import curated, missions
from pkoresearch.errors import NotEstimable, ParameterError

OUTCOMES = {
    "all": "allegations_all",
    "uniformed": "allegations_uniformed",
    "military": "allegations_military",
    "police": "allegations_police",
}
OUTCOME_TEXT = {
    "all": "allegations against any personnel (uniformed and civilian)",
    "uniformed": "allegations against uniformed personnel (military or police)",
    "military": "allegations against military personnel",
    "police": "allegations against police",
}
FAMILIES = {"negbin": "negative binomial (NB2)", "poisson": "Poisson quasi-likelihood"}
EXPORT_SOURCE = "UN table of allegations"

REASON_NO_MISSION = "no mission named"
REASON_NO_PERSONNEL_DATA = (
    "no personnel data for this mission (special political missions and others)"
)
REASON_NO_PERSONNEL_YEAR = "the mission had no uniformed personnel in the personnel data that year"
REASON_YEAR_NOT_COVERED = "the personnel data do not cover the year"
# the columns of MissionPanel.unmatched: each allegation not counted in the panel, and why
UNMATCHED_COLUMNS = [
    "allegation_id",
    "report_year",
    "report_month",
    "mission_in_source",
    "mission",
    "reason",
]

PANEL_COLUMNS = [
    "mission",
    "kind",
    "year",
    "months_in_source",
    "months_with_personnel",
    "months_gap_active",
    "months_unknown",
    "months_suspect",
    "women_mean",
    "personnel_mean",
    "share_pct",
    "exposure",
    "exposure_known",
    "allegations_all",
    "allegations_uniformed",
    "allegations_military",
    "allegations_police",
    "allegations_source",
    "allegations_months",
    "allegations_complete",
]


# --------------------------------------------------------------------------------------------------
# personnel by mission-year


def personnel_by_mission_year(
    contributions,
    successors: bool = False,
    personnel_types: Sequence[str] | None = None,
    suspect: str = "exclude",
) -> pd.DataFrame:
    """Uniformed personnel and women by mission and year from a monthly
    :class:`~pkoresearch.data.readers.un_contributions.Contributions` (summed over contributors and
    personnel types; ``personnel_types`` keeps only those types, where the file splits them).

    Returns ``mission, kind, year, months_in_source, months_with_personnel, months_gap_active,
    months_unknown, women_mean, personnel_mean, share_pct, exposure, exposure_known`` for every
    mission-year with personnel in at least one month present. A month absent from the source counts
    as active (``months_gap_active``) where the mission had personnel in the nearest months present
    before and after it, as inactive where it had none in either, and as unknown
    (``months_unknown``) otherwise or where one side lies beyond the source. No count is
    interpolated: ``exposure`` = ``personnel_mean`` x (months with personnel + gap months active)
    / 12, in person-years.

    ``suspect``: months the plausibility check (:func:`pkoresearch.analysis.plausibility.suspect_months`,
    on each mission's women, men and share) finds far from their neighbouring months are, with
    "exclude" (the default), treated as months absent from the source for that mission (left out
    of the means; active in the exposure where the mission had personnel on both sides) and
    counted in ``months_suspect``; "keep" uses them. The table of suspect months is
    :func:`suspect_mission_months`.
    Example: ``personnel_by_mission_year(read_mission_month("numperson.dta"))``
    """
    if getattr(contributions, "period", "month") != "month":
        raise ParameterError(
            "personnel_by_mission_year: expected a monthly file (the mission x "
            "month .dta or the UN's odp_contributionsbygender.csv); found yearly "
            "means"
        )
    counts = contributions.counts
    if personnel_types is not None:
        if not contributions.split_by_type:
            raise ParameterError(
                f"personnel_types: {contributions.path.name} does not split "
                "personnel types; expected None (all uniformed personnel)"
            )
        counts = counts[counts["personnel_type"].isin(list(personnel_types))]
    m = counts.assign(
        mission=missions.harmonise(counts["mission"]).to_numpy()
        if not successors
        else missions.harmonise(counts["mission"], successors=True).to_numpy()
    )
    m = (
        m.groupby(["mission", "month"], observed=True)[["women", "total"]]
        .sum()
        .astype("int64")
        .reset_index()
    )
    m = m[m["total"] > 0]
    plausibility.check_suspect(suspect)
    flagged = plausibility.suspect_keys(plausibility.suspect_months(m))
    is_suspect = pd.MultiIndex.from_frame(m[["mission", "month"]]).isin(flagged)
    if suspect == "keep":
        is_suspect[:] = False
    source = contributions.coverage.months()
    years = np.arange(source.year.min(), source.year.max() + 1)
    calendar = pd.period_range(f"{years[0]}-01", f"{years[-1]}-12", freq="M")
    in_source = calendar.isin(source)
    names = np.array(sorted(m["mission"].unique()), dtype=object)
    row = np.searchsorted(names, m["mission"].to_numpy(dtype=object))
    col = calendar.get_indexer(m["month"].dt.to_period("M"))
    shape = (len(names), len(calendar))
    active = np.zeros(shape)
    women, total = np.zeros(shape), np.zeros(shape)
    held_out = np.zeros(shape, dtype=bool)  # suspect months, treated as absent for that mission
    ok = ~is_suspect
    active[row[ok], col[ok]] = 1
    women[row[ok], col[ok]] = m["women"].to_numpy()[ok]
    total[row[ok], col[ok]] = m["total"].to_numpy()[ok]
    held_out[row[~ok], col[~ok]] = True
    in_mission_source = in_source[None, :] & ~held_out
    state = pd.DataFrame(np.where(in_mission_source, active, np.nan))
    before = state.ffill(axis=1).to_numpy()
    after = state.bfill(axis=1).to_numpy()
    gap = ~in_mission_source
    gap_active = gap & (before == 1) & (after == 1)
    gap_unknown = gap & ~gap_active & ~((np.nan_to_num(before) == 0) & (np.nan_to_num(after) == 0))

    def per_year(a: np.ndarray) -> np.ndarray:  # (missions, months) -> (missions, years)
        return a.reshape(len(names), len(years), 12).sum(axis=2)

    out = pd.DataFrame(
        {
            "mission": np.repeat(names, len(years)),
            "year": np.tile(years, len(names)),
            "months_in_source": np.tile(
                per_year(np.broadcast_to(in_source, shape).astype(int))[0], len(names)
            ),
            "months_with_personnel": per_year(active).ravel().astype(int),
            "months_gap_active": per_year(gap_active.astype(int)).ravel(),
            "months_unknown": per_year(gap_unknown.astype(int)).ravel(),
            "months_suspect": per_year(held_out.astype(int)).ravel(),
            "women": per_year(women).ravel(),
            "total": per_year(total).ravel(),
        }
    )
    out = out[out["months_with_personnel"] > 0].reset_index(drop=True)
    n = out["months_with_personnel"]
    out["women_mean"] = out["women"] / n
    out["personnel_mean"] = out["total"] / n
    out["share_pct"] = 100 * out["women"] / out["total"]
    out["exposure"] = out["personnel_mean"] * (n + out["months_gap_active"]) / 12
    out["exposure_known"] = out["months_unknown"] == 0
    out["kind"] = missions.kind_of(out["mission"]).to_numpy()
    # the panel's personnel columns: PANEL_COLUMNS up to the allegation counts
    cols = PANEL_COLUMNS[: PANEL_COLUMNS.index("exposure_known") + 1]
    out = out[cols].astype({"mission": "string", "kind": "string", "year": int})
    return out.sort_values(["mission", "year"]).reset_index(drop=True)


def suspect_mission_months(contributions, successors: bool = False) -> pd.DataFrame:
    """The plausibility check of a monthly contributions file: each mission's monthly women, men
    and share (summed over contributors and personnel types, names harmonised) against its own
    neighbouring months (:func:`pkoresearch.analysis.plausibility.suspect_months`; the rule is documented
    there). One row per suspect month and measure, with the rule's numbers.
    Example: ``suspect_mission_months(read_mission_month(path))`` -> UNOCI January and
    March-May 2016 on the real mission x month file"""
    if getattr(contributions, "period", "month") != "month":
        raise ParameterError("suspect_mission_months: expected a monthly file; found yearly means")
    counts = contributions.counts
    m = counts.assign(
        mission=missions.harmonise(counts["mission"], successors=successors).to_numpy()
    )
    return plausibility.suspect_months(m)


def shares_by_year(
    contributions,
    groups: Sequence[str] = ("all_uniformed",),
    by: Sequence[str] = (),
    suspect: str = "exclude",
) -> pd.DataFrame:
    """Women's share by year (and ``by``, e.g. ``["mission"]``) for each group of personnel types
    (all_uniformed, military, military_contingents, staff_officers_experts, police,
    formed_police_units, individual_police) from a monthly file: ``year, *by, category, women,
    personnel, share_pct, months_covered, complete``. Women and personnel are means over the months
    the source has that year (a month in which a mission of ``by`` had nobody counts 0); the share
    is women over personnel in those months, in percent.
    ``complete`` is False for a year the source covers for fewer than 12 months. A file that does
    not split personnel types (the mission x month ``.dta``) gives all_uniformed only; asking it for
    another group raises ParameterError.
    ``suspect``: with "exclude" (the default) the mission-months of
    :func:`suspect_mission_months` are left out of women and personnel (so of the share) and
    counted in ``months_suspect``; "keep" uses them. With ``by`` naming the mission, the means
    divide by the mission's months left; summed over missions, a suspect month of one mission
    counts nothing for it that month (its share of the total is small; the count says how many).
    Example: ``shares_by_year(read_mission_month(path))``"""
    from pkoresearch.data.readers.un_contributions import PERSONNEL_GROUPS

    if getattr(contributions, "period", "month") != "month":
        raise ParameterError("shares_by_year: expected a monthly file; found yearly means")
    unknown = [g for g in groups if g not in PERSONNEL_GROUPS]
    if unknown:
        raise ParameterError(
            f"groups: found {unknown!r}; expected values among {list(PERSONNEL_GROUPS)}"
        )
    if not contributions.split_by_type and list(groups) != ["all_uniformed"]:
        raise ParameterError(
            f"groups: {contributions.path.name} gives all uniformed personnel "
            "only (no personnel types); expected ['all_uniformed']"
        )
    plausibility.check_suspect(suspect)
    counts = contributions.counts.assign(
        mission=missions.harmonise(contributions.counts["mission"]).to_numpy(),
        year=contributions.counts["month"].dt.year,
    )
    flagged = plausibility.suspect_keys(suspect_mission_months(contributions))
    counts["suspect"] = pd.MultiIndex.from_frame(counts[["mission", "month"]]).isin(flagged)
    by = list(by)
    suspect_n = (
        counts[counts["suspect"]]
        .drop_duplicates(list(dict.fromkeys([*by, "mission", "month"])))
        .groupby(["year", *by], observed=True)
        .size()
        .rename("months_suspect")
    )
    if suspect == "exclude":
        counts = counts[~counts["suspect"]]
    cov = contributions.coverage.years().set_index("year")
    frames = []
    for group in groups:
        part = (
            counts
            if not contributions.split_by_type
            else counts[counts["personnel_type"].isin(PERSONNEL_GROUPS[group])]
        )
        g = part.groupby(["year", *by], observed=True)[["women", "total"]].sum().reset_index()
        g["category"] = group
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    out = out[out["total"] > 0]
    out["months_covered"] = out["year"].map(cov["months_covered"]).astype(int)
    out = out.join(suspect_n, on=["year", *by])
    out["months_suspect"] = out["months_suspect"].fillna(0).astype(int)
    # one mission per row: its suspect months left out are months absent for that mission
    months = out["months_covered"] - (
        out["months_suspect"] if suspect == "exclude" and "mission" in by else 0
    )
    out["women"] = out["women"] / months
    out["personnel"] = out["total"] / months
    out["share_pct"] = 100 * out["women"] / out["personnel"]
    out["complete"] = out["months_covered"] == 12
    cols = [
        "year",
        *by,
        "category",
        "women",
        "personnel",
        "share_pct",
        "months_covered",
        "complete",
        "months_suspect",
    ]
    return out[cols].sort_values(["category", *by, "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# allegations


def allegations_by_category(table, successors: bool = False) -> pd.DataFrame:
    """One row per allegation of a UN table of allegations: ``allegation_id, report_year,
    report_month, mission_in_source, mission, military, police, uniformed`` (whether any line of
    its "Personnel Type" names that category; an allegation naming military and police counts in
    both, as the UN counts)."""
    a = table.allegations
    pers = table.personnel
    flags = pd.DataFrame(
        {
            "allegation_id": pers["allegation_id"],
            "military": pers["category"] == "military",
            "police": pers["category"] == "police",
        }
    )
    flags = flags.groupby("allegation_id")[["military", "police"]].any()
    out = pd.DataFrame(
        {
            "allegation_id": a["allegation_id"].to_numpy(),
            "report_year": a["report_year"].astype("Int64").to_numpy(),
            "report_month": a["report_month"].astype("Int64").to_numpy(),
            "mission_in_source": a["mission"].astype("string").to_numpy(),
            "mission": missions.harmonise(a["mission"], successors=successors).to_numpy(),
        }
    )
    out = out.join(flags, on="allegation_id")
    out[["military", "police"]] = out[["military", "police"]].fillna(False).astype(bool)
    out["uniformed"] = out["military"] | out["police"]
    return out


@dataclass
class MissionPanel:
    """The mission-year panel (``data``), with the personnel of every year the source covers
    (``personnel``, for lags), the export's allegations that are not in the panel
    (``unmatched``, one row each with its reason) and the curated per-mission rows not used
    (``curated_skipped``)."""

    data: pd.DataFrame
    personnel: pd.DataFrame
    unmatched: pd.DataFrame
    curated_skipped: pd.DataFrame
    start_year: int
    end_year: int
    personnel_source: str
    allegations_source: str | None
    allegations_in_years: int = 0
    notes: list[str] = field(default_factory=list)
    # the plausibility check's suspect months (see :func:`suspect_mission_months`) and whether
    # they were left out ("exclude") or kept ("keep")
    suspect_months: pd.DataFrame = field(default_factory=pd.DataFrame)
    suspect: str = "exclude"
    # how allegations are placed in years ("reporting_year" or "incident_year") and how many
    # of those in the years were placed in their reporting year for want of an incident year
    count_by: str = "reporting_year"
    fell_back: int = 0

    def unmatched_summary(self) -> pd.DataFrame:
        """Unmatched allegations counted by mission and reason: ``mission, reason, allegations,
        years`` (most first)."""
        u = self.unmatched
        if u.empty:
            return pd.DataFrame(columns=["mission", "reason", "allegations", "years"])
        g = u.groupby(["mission_in_source", "reason"], dropna=False)
        out = g.agg(
            allegations=("allegation_id", "size"),
            years=("report_year", lambda s: ", ".join(str(y) for y in sorted(set(s)))),
        )
        out = out.reset_index().rename(columns={"mission_in_source": "mission"})
        return out.sort_values(["allegations", "mission"], ascending=[False, True]).reset_index(
            drop=True
        )

    def by_year(self) -> pd.DataFrame:
        """Per year: mission-years, those with an allegation count (zero or more), with zero,
        with missing counts, their allegations, women's share of all person-years of the year's
        missions (percent) and the allegation source."""
        d = self.data
        g = d.groupby("year")
        out = pd.DataFrame(
            {
                "mission_years": g.size(),
                "counted": g["allegations_all"].count(),
                "zero": g["allegations_all"].apply(lambda s: int((s == 0).sum())),
                "missing": g["allegations_all"].apply(lambda s: int(s.isna().sum())),
                "allegations": g["allegations_all"].sum(min_count=1).astype("Int64"),
                "share_pct": (d["share_pct"] * d["exposure"]).groupby(d["year"]).sum()
                / g["exposure"].sum(),
                "source": g["allegations_source"].agg(
                    lambda s: "; ".join(sorted(set(s.dropna()))) or "none"
                ),
            }
        )
        return out.reset_index()

    def describe(self) -> list[str]:
        """Sentences on what the panel holds (for a notebook to print)."""
        d = self.data
        lines = [
            f"{len(d)} mission-years with uniformed personnel in {self.start_year}-"
            f"{self.end_year} ({d['mission'].nunique()} missions), from "
            f"{self.personnel_source}"
        ]
        counted = d["allegations_all"].notna()
        lines.append(
            f"{int(counted.sum())} with an allegation count ({int((d['allegations_all'] == 0).sum())} "
            f"of them zero), {int((~counted).sum())} missing (outside the sources' coverage)"
        )
        if self.allegations_source is not None:
            lines.append(
                f"{self.allegations_in_years} allegations of the export reported in these "
                f"years: {int(d.loc[d['allegations_source'] == EXPORT_SOURCE, 'allegations_all'].sum())} "
                f"in the panel, {len(self.unmatched)} unmatched (listed)"
            )
        if not self.suspect_months.empty:
            lines.append(
                plausibility.describe(self.suspect_months).replace(
                    "left out of shares and exposures unless kept",
                    "left out of shares and exposures"
                    if self.suspect == "exclude"
                    else "KEPT in shares and exposures (suspect='keep')",
                )
            )
        return lines + self.notes


def _curated_counts(
    personnel_missions: set[str], start_year: int, end_year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curated per-mission yearly totals usable in the panel, and the rows skipped with why."""
    c = curated.load("allegations_by_mission")
    c = c[c["measure"] == "allegations_total"]
    rows, skipped = [], []
    for r in c.itertuples():
        name, year = str(r.mission), int(r.year)
        reason = None
        if not missions.is_single_acronym(name):
            reason = "not a single mission acronym (an aggregate or a note), never a mission"
        elif missions.harmonise([name]).iloc[0] not in personnel_missions:
            reason = "mission not in the personnel data"
        elif not start_year <= year <= end_year:
            reason = "year outside the panel's years"
        if reason is None:
            rows.append(
                {
                    "mission": missions.harmonise([name]).iloc[0],
                    "year": year,
                    "allegations_all": int(r.value),
                    "source_id": str(r.source_id),
                }
            )
        else:
            skipped.append(
                {
                    "mission": name,
                    "year": year,
                    "allegations": int(r.value),
                    "source_id": str(r.source_id),
                    "reason": reason,
                }
            )
    used = pd.DataFrame(rows, columns=["mission", "year", "allegations_all", "source_id"])
    return used, pd.DataFrame(
        skipped, columns=["mission", "year", "allegations", "source_id", "reason"]
    )


def build_panel(
    contributions,
    table=None,
    start_year: int | None = None,
    end_year: int | None = None,
    use_curated: bool = True,
    successors: bool = False,
    suspect: str = "exclude",
    count_by: str = "reporting_year",
) -> MissionPanel:
    """The mission-year panel for ``start_year..end_year`` (default: the years of the personnel
    data): personnel from ``contributions`` (a monthly file), allegations from ``table`` (a UN
    table of allegations, or None) and, for years the export does not cover, the curated
    per-mission totals (``use_curated``). See the module text for every column's definition.
    ``suspect``: months of the personnel data the plausibility check finds far from their
    neighbouring months are left out of shares and exposures ("exclude", the default) or kept
    ("keep"); they are listed in ``suspect_months`` either way.
    ``count_by`` places each allegation of the export in its reporting year (default) or in the
    year its incident began (``"incident_year"``; the reporting year where the export gives
    none, counted in ``panel.fell_back``); the curated totals are by reporting year only.
    Example: ``build_panel(read_mission_month(path), read_table_of_allegations(xlsx), 2015, 2021)``
    """
    personnel = personnel_by_mission_year(contributions, successors=successors, suspect=suspect)
    suspects = suspect_mission_months(contributions, successors=successors)
    source_years = sorted(set(contributions.coverage.months().year))
    start_year = source_years[0] if start_year is None else int(start_year)
    end_year = source_years[-1] if end_year is None else int(end_year)
    if start_year > end_year:
        raise ParameterError(
            f"build_panel: found start_year {start_year} > end_year {end_year}; "
            "expected start_year <= end_year"
        )
    data = personnel[personnel["year"].between(start_year, end_year)].copy()
    for c in (
        "allegations_all",
        "allegations_uniformed",
        "allegations_military",
        "allegations_police",
        "allegations_months",
    ):
        data[c] = pd.Series(pd.NA, index=data.index, dtype="Int64")
    data["allegations_source"] = pd.Series(pd.NA, index=data.index, dtype="string")
    data["allegations_complete"] = pd.Series(pd.NA, index=data.index, dtype="boolean")
    key = pd.MultiIndex.from_frame(data[["mission", "year"]])
    known = set(personnel["mission"])
    notes: list[str] = []

    unmatched = pd.DataFrame(columns=UNMATCHED_COLUMNS)
    export_years: set[int] = set()
    in_years = fell_back = 0
    if table is not None:
        cov = table.coverage.years().set_index("year")
        export_years = set(cov.index)
        al = allegations_by_category(table, successors=successors)
        years_of = table.counting_years(count_by)
        al["count_year"] = years_of["year"].to_numpy()
        al["fell_back"] = years_of["fell_back"].to_numpy()
        al = al[al["count_year"].between(start_year, end_year)]
        in_years = len(al)
        fell_back = int(al["fell_back"].sum())
        if count_by == "incident_year":
            notes.append(
                f"allegations counted by the year the incident began; {fell_back} of {in_years} "
                "without an incident year counted in their reporting year"
            )
        counts = al.groupby(["mission", "count_year"]).agg(
            allegations_all=("allegation_id", "size"),
            allegations_uniformed=("uniformed", "sum"),
            allegations_military=("military", "sum"),
            allegations_police=("police", "sum"),
        )
        counts.index.names = ["mission", "year"]
        covered = data["year"].isin(export_years).to_numpy()
        for c in counts.columns:
            v = counts[c].reindex(key).fillna(0).astype("int64").to_numpy()
            data[c] = pd.array(np.where(covered, v, 0), dtype="Int64")
            data.loc[~covered, c] = pd.NA
        data.loc[covered, "allegations_source"] = EXPORT_SOURCE
        data.loc[covered, "allegations_months"] = (
            data.loc[covered, "year"].map(cov["months_covered"]).astype("Int64")
        )
        data.loc[covered, "allegations_complete"] = (
            data.loc[covered, "year"].map(cov["complete"]).astype("boolean")
        )
        pairs = pd.MultiIndex.from_arrays([al["mission"], al["count_year"]])
        lost = al[~pairs.isin(key)].copy()
        years_with_data = set(source_years)
        lost["reason"] = np.select(
            [
                lost["mission"].isna(),
                ~lost["mission"].isin(known),
                ~lost["count_year"].isin(years_with_data),
            ],
            [REASON_NO_MISSION, REASON_NO_PERSONNEL_DATA, REASON_YEAR_NOT_COVERED],
            REASON_NO_PERSONNEL_YEAR,
        )
        unmatched = lost[UNMATCHED_COLUMNS].reset_index(drop=True)
        renamed = al.loc[al["mission"] != al["mission_in_source"], "mission_in_source"]
        if len(renamed):
            notes.append(
                f"{len(renamed)} allegation(s) filed under a former name counted with "
                "the renamed mission ("
                + ", ".join(
                    f"{k} -> {missions.harmonise([k]).iloc[0]}: {v}"
                    for k, v in renamed.value_counts().sort_index().items()
                )
                + ")"
            )

    skipped = pd.DataFrame(columns=["mission", "year", "allegations", "source_id", "reason"])
    if use_curated:
        used, skipped = _curated_counts(known, start_year, end_year)
        superseded = used["year"].isin(export_years)
        skipped = pd.concat(
            [
                skipped,
                used[superseded]
                .rename(columns={"allegations_all": "allegations"})
                .assign(reason="year covered by the UN table of allegations (used instead)"),
            ],
            ignore_index=True,
        )
        used = used[~superseded].set_index(["mission", "year"])
        hit = key.isin(used.index)
        absent = used.index[~used.index.isin(key)]
        if len(absent):
            extra = (
                used.loc[absent]
                .reset_index()
                .rename(columns={"allegations_all": "allegations"})
                .assign(
                    reason="the mission had no uniformed personnel in the personnel data that year"
                )
            )
            skipped = pd.concat([skipped, extra], ignore_index=True)
        if hit.any():
            data.loc[hit, "allegations_all"] = used["allegations_all"].reindex(key[hit]).to_numpy()
            data.loc[hit, "allegations_source"] = used["source_id"].reindex(key[hit]).to_numpy()
            data.loc[hit, "allegations_months"] = 12
            data.loc[hit, "allegations_complete"] = True
    skipped = skipped.sort_values(["year", "mission"]).reset_index(drop=True)
    data = data[PANEL_COLUMNS].sort_values(["year", "mission"]).reset_index(drop=True)
    return MissionPanel(
        data=data,
        personnel=personnel,
        unmatched=unmatched,
        curated_skipped=skipped,
        start_year=start_year,
        end_year=end_year,
        personnel_source=contributions.coverage.source,
        allegations_source=None if table is None else table.coverage.source,
        allegations_in_years=in_years,
        notes=notes,
        suspect_months=suspects,
        suspect=suspect,
        count_by=count_by,
        fell_back=fell_back,
    )


# --------------------------------------------------------------------------------------------------
# the sample a model is fitted on


def with_lagged_share(panel: MissionPanel, lag: int) -> pd.DataFrame:
    """``panel.data`` with ``share_pct_lag{lag}``: the same mission's share ``lag`` years earlier
    (``<NA>`` where the mission had no personnel then or the source does not cover that year)."""
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 1:
        raise ParameterError(f"lag: found {lag!r}; expected a whole number of years >= 1")
    prev = (
        panel.personnel[["mission", "year", "share_pct"]]
        .assign(year=lambda d: d["year"] + lag)
        .rename(columns={"share_pct": f"share_pct_lag{lag}"})
    )
    return panel.data.merge(prev, on=["mission", "year"], how="left")


def model_sample(
    panel: MissionPanel,
    outcome: str = "uniformed",
    start_year: int | None = None,
    end_year: int | None = None,
    leave_out: Sequence[str] = (),
    kinds: Sequence[str] = (missions.PEACEKEEPING,),
    lag: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mission-years a model may use, and how many each rule keeps: ``(sample, steps)``.

    Rules, in order: years in ``start_year..end_year``; mission kind in ``kinds``; mission not in
    ``leave_out``; allegations counted from the UN table of allegations (one definition: curated
    counts are shown in the panel, never modelled with the export's); the reporting year complete
    (a partial year is never modelled as a full one); exposure known. Zero-allegation mission-years
    stay in: dropping them would select on the outcome. ``sample`` has ``share_pct_lag{lag}``.
    """
    if outcome not in OUTCOMES:
        raise ParameterError(f"outcome: found {outcome!r}; expected one of {list(OUTCOMES)}")
    bad = [k for k in kinds if k not in missions.KINDS]
    if bad or not kinds:
        raise ParameterError(
            f"kinds: found {list(kinds)!r}; expected values among {list(missions.KINDS)}"
        )
    d = with_lagged_share(panel, lag)
    lo = panel.start_year if start_year is None else int(start_year)
    hi = panel.end_year if end_year is None else int(end_year)
    steps = [("mission-years in the panel", len(d))]
    rules = [
        (f"years {lo}-{hi}", d["year"].between(lo, hi)),
        ("kind: " + ", ".join(kinds), d["kind"].isin(list(kinds))),
        (
            "missions left out: " + (", ".join(leave_out) or "none"),
            ~d["mission"].isin(list(leave_out)),
        ),
        (
            "allegations from the UN table of allegations",
            (d["allegations_source"] == EXPORT_SOURCE).fillna(False),
        ),
        ("reporting year complete (12 months)", d["allegations_complete"].fillna(False)),
        ("exposure known (no month of unknown activity)", d["exposure_known"]),
    ]
    keep = pd.Series(True, index=d.index)
    for label, rule in rules:
        keep &= rule.astype(bool).to_numpy()
        steps.append((label, int(keep.sum())))
    steps_df = pd.DataFrame(steps, columns=["rule", "mission_years"])
    return d[keep].reset_index(drop=True), steps_df


# --------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True)
class Specification:
    """One column of the regression table."""

    name: str
    label: str
    family: str  # "negbin" or "poisson"
    outcome: str  # key of OUTCOMES
    share: str = "share_pct"  # or share_pct_lag{k}
    mission_fe: bool = False
    leave_out: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ModelResult(models.ModelResult):
    """The women's-share term of one specification: IRR per percentage point with its interval
    (the fields of :class:`pkoresearch.analysis.models.ModelResult`, and the mission panel's)."""

    spec: Specification
    n_missions: int
    dispersion: float | None  # Pearson chi2 / df of a Poisson fit
    dropped_all_zero: tuple[str, ...] = ()
    alpha: float = 0.05
    # fixed-effect levels (years, or missions with mission effects) whose outcomes are all zero:
    # their rows are dropped before the fit (their effect would run to minus infinity)
    dropped_separated: tuple[str, ...] = ()
    boot_p_value: float = float("nan")  # wild cluster score bootstrap p (stats.cluster_inference)
    boot_method: str = ""
    no_interval: str = ""  # why no interval is given (fewer clusters than stats.MIN_CLUSTERS)

    @property
    def usable(self) -> bool:
        """Fitted, converged and with an interval: the results a summary statement may count."""
        return not self.not_estimable and self.converged and not self.no_interval

    @classmethod
    def unavailable(
        cls, spec: Specification, reason: str, n: int = 0, n_missions: int = 0, alpha: float = 0.05
    ) -> ModelResult:
        """A specification the sample cannot support: missing estimates and the reason."""
        return super().unavailable(
            spec, reason, n=n, n_missions=n_missions, dispersion=None, alpha=alpha
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "specification": self.spec.label,
                    "model": FAMILIES[self.spec.family],
                    "outcome": self.spec.outcome,
                    "irr": self.irr,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "p_value": self.p_value,
                    "n": self.n,
                    "missions": self.n_missions,
                    "alpha_nb": self.alpha_nb,
                    "dispersion": self.dispersion,
                    "converged": self.converged,
                    "boot_p_value": self.boot_p_value,
                    "dropped_separated": ", ".join(self.dropped_separated),
                }
            ]
        )


def design(sample: pd.DataFrame, share: str, mission_fe: bool = False) -> pd.DataFrame:
    """Design matrix: constant, the share (per percentage point), one indicator per year but the
    first, and with ``mission_fe`` one per mission but the first (sorted): ``year_2016``,
    ``mission_MINUSCA`` (:func:`pkoresearch.analysis.models.design`)."""
    fe = ("year", "mission") if mission_fe else ("year",)
    return models.design(sample, share, fe, name=lambda col, level: f"{col}_{level}")


_blas = models.blas  # the name contingents and the benchmarks knew it by


def fit(
    sample: pd.DataFrame, spec: Specification, alpha: float = 0.05, bootstrap: str | bool = "auto"
) -> ModelResult:
    """Fit one specification with statsmodels: NB2 (``statsmodels.discrete.NegativeBinomial``,
    dispersion by maximum likelihood) or Poisson quasi-likelihood (``GLM`` Poisson), offset
    log(exposure), year indicators (and mission indicators for ``mission_fe``), standard errors
    clustered by mission (statsmodels' cluster-robust sandwich with its small-sample correction).
    The interval and p-value use the t distribution with (missions - 1) degrees of freedom, as
    advised with few clusters, through :func:`pkoresearch.analysis.stats.cluster_inference` (no interval
    below :data:`pkoresearch.analysis.stats.MIN_CLUSTERS` missions, with the reason in ``no_interval``; a
    wild cluster score bootstrap p-value ``boot_p_value`` below 50 missions, ``bootstrap``).
    Fixed-effect levels whose outcomes are all zero are left out first (:func:`drop_separated`):
    with mission fixed effects, missions without any allegation (``dropped_all_zero``), and years
    without any allegation (``dropped_separated``). A fit that still does not converge has
    ``converged`` False and is left out of summary statements (``usable``)."""
    import statsmodels.api as sm

    from pkoresearch.analysis import stats

    outcome = OUTCOMES[spec.outcome]
    d = sample[~sample["mission"].isin(list(spec.leave_out))]
    d = d.dropna(subset=[outcome, spec.share, "exposure"])
    d, dropped, separated = drop_separated(d, outcome, spec.mission_fe)
    X = design(d, spec.share, spec.mission_fe)
    if len(d) <= X.shape[1] + 1:
        raise NotEstimable(
            f"{spec.label}: {len(d)} mission-years for {X.shape[1]} parameters; "
            "expected more mission-years than parameters"
        )
    y = d[outcome].astype(float).to_numpy()
    offset = np.log(d["exposure"].astype(float).to_numpy())
    groups = pd.factorize(d["mission"])[0]
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    if n_groups < 2:
        raise NotEstimable(f"{spec.label}: {n_groups} mission; expected at least 2 to cluster")
    if not (y > 0).any():
        raise NotEstimable(
            f"{spec.label}: no allegation in {len(d)} mission-years; expected "
            "some to estimate a rate"
        )
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    # one BLAS thread: these matrices are small, and a threaded BLAS on a busy machine is ten
    # times slower and not bit-for-bit reproducible
    with _blas().limit(limits=1, user_api="blas"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
        pois = model.fit(**cov)
        dispersion = float(pois.pearson_chi2 / pois.df_resid) if pois.df_resid > 0 else None
        alpha_nb = None
        if spec.family == "negbin":
            model = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
            res = model.fit(
                start_params=np.append(pois.params.to_numpy(), 0.5),
                method="newton",
                maxiter=200,
                disp=0,
                **cov,
            )
            converged = bool(res.mle_retvals.get("converged", True))
            alpha_nb = float(res.params["alpha"])
            dispersion = None
        elif spec.family == "poisson":
            res = pois
            converged = bool(getattr(res, "converged", True))
        else:
            raise ParameterError(f"family: found {spec.family!r}; expected one of {list(FAMILIES)}")
    converged = converged and not any("converge" in str(w.message).lower() for w in caught)
    b, se = float(res.params[spec.share]), float(res.bse[spec.share])
    if not (math.isfinite(b) and math.isfinite(se)):
        raise NotEstimable(
            f"{spec.label}: {len(d)} mission-years in {n_groups} missions; the "
            f"{FAMILIES[spec.family]} fit gave no finite estimate for the share "
            f"(coefficient {b:g}, standard error {se:g})"
        )
    with _blas().limit(limits=1, user_api="blas"):
        inf = stats.cluster_inference(
            model, res.params, res.bse, spec.share, groups, alpha, bootstrap=bootstrap
        )
    method = (
        f"{FAMILIES[spec.family]}, offset log(person-years), year indicators"
        + (", mission indicators" if spec.mission_fe else "")
        + f"; SE clustered by mission ({n_groups} clusters), t({n_groups - 1}) interval"
        + (f"; bootstrap p: {inf.boot_method}" if inf.boot_method else "")
    )
    return ModelResult(
        spec=spec,
        irr=inf.estimate,
        ci_low=inf.ci_low,
        ci_high=inf.ci_high,
        p_value=inf.p_value,
        coef=b,
        se=se,
        n=len(d),
        n_missions=n_groups,
        alpha_nb=alpha_nb,
        dispersion=dispersion,
        converged=converged,
        dropped_all_zero=dropped,
        alpha=alpha,
        method=method,
        dropped_separated=separated,
        boot_p_value=inf.boot_p_value,
        boot_method=inf.boot_method,
        no_interval=inf.no_interval,
    )


def drop_separated(
    d: pd.DataFrame, outcome: str, mission_fe: bool = False
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Leave out the rows of fixed-effect levels whose outcomes are all zero
    (:func:`pkoresearch.analysis.models.drop_separated`: their effect would run to minus infinity
    and the fit would not converge): with ``mission_fe``, missions without any allegation
    (``dropped_all_zero``); then years without any allegation among the rows left
    (``separated``, e.g. ``("year 2021",)``). Returns ``(rows kept, missions dropped, separated
    levels)``."""
    kept, dropped = models.drop_separated(
        d, outcome, ("mission", "year") if mission_fe else ("year",)
    )
    missions_dropped = tuple(str(m) for m in dropped.get("mission", ()))
    return kept, missions_dropped, tuple(f"year {y}" for y in dropped["year"])


def largest_mission(sample: pd.DataFrame) -> str:
    """The mission with the most person-years in the sample."""
    if sample.empty:
        raise ParameterError("largest_mission: the sample is empty")
    return str(sample.groupby("mission")["exposure"].sum().idxmax())


def specifications(
    outcome: str = "uniformed", family: str = "negbin", lag: int = 1, largest: str | None = None
) -> list[Specification]:
    """The columns of the regression table: (1) negative binomial and (2) Poisson quasi-likelihood
    with year effects; robustness in ``family``: (3) mission fixed effects (always Poisson: its
    fixed-effects estimator is consistent, a negative binomial with mission indicators is not),
    (4) the share ``lag`` years earlier, (5) military allegations only (left out when the outcome
    already is military), (6) without the ``largest`` mission."""
    if family not in FAMILIES:
        raise ParameterError(f"model: found {family!r}; expected one of {list(FAMILIES)}")
    short = {"negbin": "NB", "poisson": "Poisson QL"}[family]
    specs = [
        Specification("negbin", "NB", "negbin", outcome),
        Specification("poisson", "Poisson QL", "poisson", outcome),
        Specification("mission_fe", "Mission FE (Poisson QL)", "poisson", outcome, mission_fe=True),
        Specification(
            "lagged", f"Share t-{lag} ({short})", family, outcome, share=f"share_pct_lag{lag}"
        ),
    ]
    if outcome != "military":
        specs.append(
            Specification("military", f"Military allegations ({short})", family, "military")
        )
    if largest is not None:
        specs.append(
            Specification(
                "without_largest",
                f"Without {largest} ({short})",
                family,
                outcome,
                leave_out=(largest,),
            )
        )
    return specs


@dataclass(kw_only=True)
class ModelTable(models.ModelTable):
    """Every specification fitted on one sample: ``results`` in column order, the ``sample`` and
    the ``steps`` that made it (:class:`pkoresearch.analysis.models.ModelTable`). ``to_frame()``:
    one row per specification, ``specification, model, outcome, irr, ci_low, ci_high, p_value,
    n, missions, alpha_nb, dispersion, converged, boot_p_value, dropped_separated``."""

    COLUMNS: ClassVar[list[str]] = [
        "specification",
        "model",
        "outcome",
        "irr",
        "ci_low",
        "ci_high",
        "p_value",
        "n",
        "missions",
        "alpha_nb",
        "dispersion",
        "converged",
        "boot_p_value",
        "dropped_separated",
    ]

    results: list[ModelResult]
    outcome: str
    not_estimable: str = ""  # why nothing could be fitted ("" when the sample has mission-years)

    def summary(self) -> str:
        """One sentence: how many intervals include 1, counting only the specifications that were
        fitted, converged and have an interval, and naming the others (a fit that did not converge
        is never counted)."""
        usable = [r for r in self.results if r.usable]
        n_in = sum(r.ci_low <= 1 <= r.ci_high for r in usable)
        text = (
            f"{n_in} of {len(usable)} intervals include 1 (no association distinguishable "
            "from none)"
        )
        left = [
            f"{r.spec.label} ("
            + (
                "not estimable"
                if r.not_estimable
                else "did not converge"
                if not r.converged
                else "too few clusters for an interval"
            )
            + ")"
            for r in self.results
            if not r.usable
        ]
        if left:
            text += "; not counted: " + ", ".join(left)
        return text + "."

    def table(self, digits: int = 3) -> pd.DataFrame:
        """The regression table as papers print it: one column per specification, the IRR per
        percentage point of women with its interval in brackets underneath, then what differs."""
        level = round(100 * (1 - self.alpha))
        cols = {}
        for i, r in enumerate(self.results, start=1):
            s = r.spec
            if r.not_estimable:
                cols[f"({i}) {s.label}"] = {
                    "Women's share, IRR per point": "not estimable",
                    "Outcome": s.outcome,
                    "Mission-years": f"{r.n}",
                    "Missions (clusters)": f"{r.n_missions}",
                }
                continue
            flag = "" if r.converged else " (not converged)"
            no_ci = f"none ({r.n_missions} clusters)" if r.no_interval else ""
            cols[f"({i}) {s.label}"] = {
                "Women's share, IRR per point": f"{r.irr:.{digits}f}{flag}",
                f"  {level}% CI": no_ci or f"[{r.ci_low:.{digits}f}, {r.ci_high:.{digits}f}]",
                "  p-value": no_ci or f"{r.p_value:.3f}",
                "  wild bootstrap p": "-"
                if r.boot_p_value != r.boot_p_value
                else f"{r.boot_p_value:.3f}",
                "Outcome": s.outcome,
                "Share measured": models.share_measured(s.share),
                "Year effects": "yes",
                "Mission fixed effects": "yes" if s.mission_fe else "no",
                "Left out": ", ".join(
                    [*s.leave_out]
                    + (
                        [f"{len(r.dropped_all_zero)} without allegations"]
                        if r.dropped_all_zero
                        else []
                    )
                    + [f"{lv} (no allegation)" for lv in r.dropped_separated]
                )
                or "-",
                "Model": {"negbin": "NB2", "poisson": "Poisson QL"}[s.family],
                "NB alpha": "-" if r.alpha_nb is None else f"{r.alpha_nb:.2f}",
                "Mission-years": f"{r.n}",
                "Missions (clusters)": f"{r.n_missions}",
                "Converged": "yes" if r.converged else "NO",
            }
        return pd.DataFrame(cols)


def fit_models(
    panel: MissionPanel,
    outcome: str = "uniformed",
    start_year: int | None = None,
    end_year: int | None = None,
    family: str = "negbin",
    lag: int = 1,
    leave_out: Sequence[str] = (),
    kinds: Sequence[str] = (missions.PEACEKEEPING,),
    alpha: float = 0.05,
) -> ModelTable:
    """Every specification of :func:`specifications` on the sample of :func:`model_sample`.
    Example: ``fit_models(panel, "uniformed", 2015, 2021).table()``"""
    sample, steps = model_sample(panel, outcome, start_year, end_year, leave_out, kinds, lag)
    if sample.empty:
        return ModelTable(
            results=[],
            sample=sample,
            steps=steps,
            outcome=outcome,
            alpha=alpha,
            not_estimable="no mission-year left to model (see the sample steps); "
            "the models need years covered by both the personnel data and the UN "
            "table of allegations",
        )
    specs = specifications(outcome, family, lag, largest_mission(sample))
    results = []
    for s in specs:
        try:
            results.append(fit(sample, s, alpha))
        except NotEstimable as exc:
            rows = sample[~sample["mission"].isin(list(s.leave_out))]
            reason = str(exc).removeprefix(f"{s.label}: ")
            results.append(
                ModelResult.unavailable(s, reason, len(rows), int(rows["mission"].nunique()), alpha)
            )
    return ModelTable(results=results, sample=sample, steps=steps, outcome=outcome, alpha=alpha)


def counting_sensitivity(fitted, other, count_by: str, other_count_by: str) -> pd.DataFrame:
    """The first specification of two :func:`fit_models` runs that differ only in how the panel
    placed allegations in years (``build_panel(count_by=...)``), side by side: ``count_by,
    specification, irr, ci_low, ci_high, p_value, n, missions, converged`` (one row per rule; a
    rule whose first specification is not estimable gives missing estimates).
    Example: ``counting_sensitivity(fit_a, fit_b, "reporting_year", "incident_year")``"""
    rows = []
    for rule, fit in ((count_by, fitted), (other_count_by, other)):
        f = fit.to_frame()
        row = f.iloc[0].to_dict() if len(f) else {"specification": ""}
        rows.append({"count_by": rule, **row})
    cols = ["count_by", "specification", "irr", "ci_low", "ci_high", "p_value", "n", "missions"]
    cols += ["converged"]
    return pd.DataFrame(rows).reindex(columns=cols)
