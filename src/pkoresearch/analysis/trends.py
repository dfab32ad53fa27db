"""Allegation trends: counts, rates with exact intervals, rate ratios, trend and segmented models,
children's share, outcomes and reporting lags. Pure functions on tidy tables.

Two inputs are supported, never spliced into one series: the bundled curated yearly series
(:func:`curated_series`, 2004-2024) and an allegation-level UN export read by
:func:`pkoresearch.data.readers.un_conduct.read_table_of_allegations` (2015 on).

Three rules hold everywhere (see :mod:`pkoresearch.data.coverage`):

- a count exists only inside its source's coverage (the export: its first to last reporting
  month; the curated series: the years with a sourced figure); outside it is missing, never 0;
- a year covered for fewer than 12 months carries ``complete = False`` and stays out of totals,
  rate ratios and models unless the caller asks;
- each series carries the ``definition`` of what it counts, year by year; where the definition
  changes (the UN tracking system in 2008, special political missions added from 2016, the first year with such a figure)
  the models add an indicator for the change instead of reading it as a trend.

>>> import pkoresearch as pko
>>> s = pko.trends.curated_series(2009, 2010)
>>> s["allegations"].tolist()
[112, 85]
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pkoresearch.analysis import stats
from pkoresearch.data import countries, curated
from pkoresearch.data import missions as missions_mod
from pkoresearch.data.coverage import Coverage, counts_in_coverage
from pkoresearch.data.readers.un_conduct import (
    COUNT_BY as COUNT_BY,  # the counting rules, re-exported
)
from pkoresearch.data.readers.un_conduct import AllegationTable
from pkoresearch.errors import MeasurementBreakWarning, NotEstimable, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from pkoresearch.data.readers.un_contributions import Contributions

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
}
SPM_CHANGE = (
    "the headline figure counts special political missions with peacekeeping operations "
    "(first year with such a figure in the curated data; the UN table of allegations has special "
    "political mission allegations from the same year)"
)
# which curated scope makes the headline series in each year
SCOPE_UNTIL_2016, SCOPE_FROM_2017 = "peacekeeping", "peacekeeping_and_spm"
GROUPINGS = (
    "mission",
    "personnel_category",
    "personnel_subtype",
    "allegation_kind",
    "nationality",
    "nio_appointed",
    "result",
)
UNIFORMED = ("military", "police")
TABLE_DEFINITION = (
    "UN table of allegations: allegations against personnel of peacekeeping "
    "operations and special political missions, as recorded at the export date"
)


def combined_scope_from() -> int:
    """The first year whose headline figure counts special political missions with peacekeeping
    operations, derived from the data: the first year of a curated ``allegations_total`` row with
    scope ``peacekeeping_and_spm`` (2016: A/72/751's 104 for UN field missions; the July 2024
    table of allegations has its first special political mission allegations in 2016, 7 of them).
    The counting indicator of the models (``counting_<year>``) starts here."""
    rows = curated.load("allegations", preferred=False)
    hit = rows[(rows["measure"] == "allegations_total") & (rows["scope"] == SCOPE_FROM_2017)]
    return int(hit["year"].min())


def spm_first_year(table: AllegationTable) -> int | None:
    """The first reporting year with an allegation in a special political mission in an
    allegation-level table (None without any). Example: ``spm_first_year(t)`` gives 2016."""
    a = table.allegations
    kinds = missions_mod.kind_of(a["mission"])
    years = a.loc[(kinds == missions_mod.SPECIAL_POLITICAL).fillna(False).to_numpy(), "report_year"]
    return None if years.empty else int(years.min())


def curated_definition(year: int, scope: str) -> str:
    """What the curated headline figure of ``year`` counts (its definition)."""
    if scope == SCOPE_FROM_2017:
        return "peacekeeping operations and special political missions (UN headline figure)"
    if int(year) < 2008:
        return "peacekeeping operations, compiled before the UN tracking system (2008)"
    return "peacekeeping operations (UN headline figure, tracking system)"


# --------------------------------------------------------------------------------------------------
# series


REVISIONS = ("latest", "first", "preferred")


def curated_series(
    start_year: int = 2004, end_year: int = 2024, revision: str = "latest"
) -> pd.DataFrame:
    """Yearly SEA allegations from the curated data: ``year, allegations, scope, definition,
    source_id, confidence, revision``. Peacekeeping operations up to 2016; peacekeeping plus
    special political missions from the first year with such a figure (:func:`combined_scope_from`: 2016), each year's
    ``definition`` saying which. Years without a sourced total are absent (see :func:`yearly` for
    a series with those years present and missing).

    Each year's report revises earlier years (2017: 62 first published, 63 later). ``revision``
    picks one rule for every year, so the series never mixes first and revised figures:
    ``"latest"`` (default: the latest published figure, the most complete count, and the one the
    UN's table of allegations agrees with for 2015-2023), ``"first"`` (as first published; a
    year whose first publication's figure is not in hand, e.g. 2016 in A/71/818, is absent) or
    ``"preferred"`` (the catalogue's preferred value, see :func:`pkoresearch.data.curated.load`).
    Example: ``curated_series(2015, 2018, "first")["allegations"].tolist()`` gives 69, 62, 54.
    """
    if revision not in REVISIONS:
        raise ParameterError(
            f"curated_series: found revision={revision!r}; expected one of {list(REVISIONS)}"
        )
    r = curated.revisions(start_year, end_year)
    rows = curated.load("allegations", preferred=False)
    rows = rows[rows["measure"] == "allegations_total"]
    confidence = {
        (int(y), str(sid), int(v)): str(c)
        for y, sid, v, c in zip(rows["year"], rows["source_id"], rows["value"], rows["confidence"])
    }
    value, sid = {
        "latest": ("latest_value", "latest_source_id"),
        "first": ("first_value", "first_source_id"),
        "preferred": ("preferred_value", "preferred_source_id"),
    }[revision]
    r = r[r[value].notna()]  # a first publication whose figure is not in hand: absent
    combined = combined_scope_from()
    out = pd.DataFrame(
        {
            "year": r["year"].astype(int).to_numpy(),
            "allegations": r[value].astype("Int64").to_numpy(),
            "scope": [SCOPE_FROM_2017 if y >= combined else SCOPE_UNTIL_2016 for y in r["year"]],
            "source_id": r[sid].astype(str).to_numpy(),
        }
    )
    out["confidence"] = [
        confidence.get((y, s_, int(v)), "")
        for y, s_, v in zip(out["year"], out["source_id"], out["allegations"])
    ]
    out["revision"] = revision
    out.insert(
        3, "definition", [curated_definition(y, sc) for y, sc in zip(out["year"], out["scope"])]
    )
    return out.sort_values("year").reset_index(drop=True)


# ---------------------------------------------------------------------------- missions, aggregates

_AGGREGATE = re.compile(
    r"\+|,|&|/|\bincl(?:\.|uding|udes)?\b|\bothers?\b|\band\b|\bSPMs\b", re.IGNORECASE
)


_FORMER_NAME = re.compile(r"^([A-Z][A-Z-]+) \(incl\. former ([A-Z][A-Z-]+)\)$")


def is_aggregate(name: str) -> bool:
    """Whether a curated ``mission`` value is an aggregate of several missions
    (``"MINUSCA+MONUSCO"``, ``"UNMISS, UNIFIL, ... (others)"``) rather than one mission
    (``"MINUSTAH (former)"`` is one mission with a note). Aggregates are documented figures, never
    mission choices, and never enter per-mission sums.

    A mission counted with its own former name (``"MONUSCO (incl. former MONUC)"``: MONUC was
    renamed MONUSCO, see :func:`pkoresearch.data.missions.harmonise`) is one operation, not an
    aggregate: it is the count :func:`mission_year` and :func:`select` give for MONUSCO.

    Example: ``is_aggregate("MINUSCA+MONUSCO")`` -> True
    """
    renamed = _FORMER_NAME.match(str(name).strip())
    if renamed and missions_mod.harmonise([renamed.group(2)]).iloc[0] == renamed.group(1):
        return False
    return bool(_AGGREGATE.search(str(name)))


def mission_name(name: str) -> str:
    """The mission a single-mission curated value names, without its note:
    ``"MINUSTAH (former)"`` -> ``"MINUSTAH"``. Aggregates are returned unchanged."""
    text = str(name).strip()
    if is_aggregate(text):
        return text
    return re.sub(r"\s*\(.*\)\s*$", "", text).strip() or text


def _mission_rows(data: pd.DataFrame | None) -> pd.DataFrame:
    m = curated.load("allegations_by_mission") if data is None else data
    m = m[m["measure"] == "allegations_total"].copy()
    m["aggregate"] = m["mission"].astype(str).map(is_aggregate)
    m["mission_as_published"] = m["mission"].astype(str)
    m["mission"] = m["mission_as_published"].map(mission_name)
    return m


def mission_choices(data: pd.DataFrame | None = None) -> list[str]:
    """The missions the curated per-mission figures can be chosen by (aggregates left out; see
    :func:`mission_aggregates`). ``data`` defaults to the bundled ``allegations_by_mission``."""
    m = _mission_rows(data)
    return sorted(set(m.loc[~m["aggregate"], "mission"]))


def mission_aggregates(data: pd.DataFrame | None = None) -> pd.DataFrame:
    """The curated figures that cover several missions together, as documented aggregates:
    ``year, mission, allegations, source_id, confidence`` (``mission`` as published)."""
    m = _mission_rows(data)
    a = m[m["aggregate"]]
    out = pd.DataFrame(
        {
            "year": a["year"].astype(int).to_numpy(),
            "mission": a["mission_as_published"].to_numpy(),
            "allegations": a["value"].astype("Int64").to_numpy(),
            "source_id": a["source_id"].astype(str).to_numpy(),
            "confidence": a["confidence"].astype(str).to_numpy(),
        }
    )
    return out.sort_values(["year", "mission"]).reset_index(drop=True)


def curated_mission_series(
    missions: Sequence[str] | None = None,
    start_year: int = 2004,
    end_year: int = 2024,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Yearly allegations by mission from the curated, partial per-mission figures:
    ``year, mission, allegations, source_id, confidence`` (only rows counting all allegations;
    ``mission`` without its note, e.g. "MINUSTAH (former)" -> "MINUSTAH"). Aggregates of several
    missions are left out (:func:`mission_aggregates` lists them)."""
    m = _mission_rows(data)
    m = m[~m["aggregate"] & m["year"].between(start_year, end_year)]
    if missions is not None:
        m = m[m["mission"].isin(list(missions))]
    out = m[["year", "mission", "value", "source_id", "confidence"]].rename(
        columns={"value": "allegations"}
    )
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
    return pd.DataFrame(
        {
            "year": p["year"].astype(int).to_numpy(),
            "personnel": p["value"].astype(float).to_numpy(),
            "month": p["month"].astype(int).to_numpy(),
            "source_id": p["source_id"].astype(str).to_numpy(),
        }
    ).reset_index(drop=True)


def personnel_mean(
    contributions: Contributions, missions: Sequence[str] | None = None
) -> pd.DataFrame:
    """Mean monthly uniformed personnel per year from a mission x month file (e.g.
    ``readers.un_contributions.read_mission_month``): ``year, personnel, months, complete,
    source``. The mean is over the months the file covers that year (``months``; ``complete``
    False when fewer than 12); for ``missions`` a covered month without personnel in them counts
    as 0 (not deployed), so the mean is person-years of presence. Years with no personnel are
    left out.

    Example: ``personnel_mean(read_mission_month("numperson.dta"), ["MINUSCA"])``
    """
    t = contributions.totals(["mission", "month"])
    if missions is not None:
        t = t[t["mission"].isin(list(missions))]
    by_month = t.groupby("month")["total"].sum()
    months = pd.DatetimeIndex(contributions.coverage.months().to_timestamp())
    by_month = by_month.reindex(months, fill_value=0).astype(float)
    g = by_month.groupby(by_month.index.year)
    out = pd.DataFrame(
        {
            "year": g.size().index.astype(int),
            "personnel": g.mean().to_numpy(),
            "months": g.size().to_numpy(),
        }
    )
    out["complete"] = out["months"] == 12
    out["source"] = f"mean of monthly totals, {contributions.path.name}"
    return out[out["personnel"] > 0].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# the allegation-level table


def select(
    table: AllegationTable,
    start_year: int | None = None,
    end_year: int | None = None,
    missions: Sequence[str] | None = None,
    personnel_categories: Sequence[str] | None = None,
    harmonise: bool = True,
    count_by: str = "reporting_year",
) -> AllegationTable:
    """Keep the allegations counted in ``start_year..end_year`` (by ``count_by``: the reporting
    year, default, or the incident start year, see :data:`COUNT_BY`), in ``missions`` and involving
    ``personnel_categories`` (any of its personnel lines). Child tables follow. The row counts
    before and after each filter are in ``.counts``; the export's coverage and ``as_of`` stay
    those of the whole export. With ``harmonise`` (default) ``missions`` match the operation a
    mission name belongs to (:func:`pkoresearch.data.missions.harmonise`): "MONUSCO" also keeps the
    allegations the export still files under "MONUC" (``.counts["filed_under_former_name"]``),
    as :func:`mission_year` counts them."""
    a = table.allegations
    counts = {"rows_in_file": table.counts.get("rows_in_file", len(a)), "start": len(a)}
    keep = pd.Series(True, index=a.index)
    year = pd.Series(table.counting_years(count_by)["year"].to_numpy(), index=a.index)
    if start_year is not None:
        keep &= year >= start_year
    if end_year is not None:
        keep &= year <= end_year
    counts["after_years"] = int(keep.sum())
    if missions is not None:
        names = missions_mod.harmonise(a["mission"]) if harmonise else a["mission"]
        wanted = set(missions_mod.harmonise(list(missions))) if harmonise else set(missions)
        hit = names.isin(list(wanted)).fillna(False).astype(bool)
        counts["filed_under_former_name"] = int((keep & hit & (names != a["mission"])).sum())
        keep &= hit
        counts["after_missions"] = int(keep.sum())
    if personnel_categories is not None:
        ids = table.personnel.loc[
            table.personnel["category"].isin(list(personnel_categories)), "allegation_id"
        ]
        keep &= a["allegation_id"].isin(ids)
        counts["after_personnel_categories"] = int(keep.sum())
    ids = set(a.loc[keep, "allegation_id"])

    def sub(df: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if df is None else df[df["allegation_id"].isin(ids)].reset_index(drop=True)

    span = table.export_span or (a["report_date"].min(), a["report_date"].max())
    return AllegationTable(
        allegations=sub(a),
        personnel=sub(table.personnel),
        victims=sub(table.victims),
        allegation_types=sub(table.allegation_types),
        investigations=sub(table.investigations),
        results=sub(table.results),
        actions=sub(table.actions),
        unrecognised=table.unrecognised,
        path=table.path,
        counts={**counts, "selected": len(ids)},
        nationalities=sub(table.nationalities),
        export_span=span,
    )


def _nationality_groups(table: AllegationTable) -> pd.DataFrame:
    """``allegation_id, nationality, nationality_iso3`` with one display name per code (the
    spelling most used in the table) so that spelling variants meet; names that are not
    countries keep their own name and a missing code."""
    nat = table.allegations[["allegation_id", "nationality"]].copy()
    nat["nationality"] = nat["nationality"].fillna("not published").astype(str).str.split("; ")
    nat = nat.explode("nationality").reset_index(drop=True)
    nat["nationality_iso3"] = countries.to_iso3(nat["nationality"]).to_numpy()
    coded = nat.dropna(subset=["nationality_iso3"])
    if len(coded):
        freq = coded.groupby(["nationality_iso3", "nationality"]).size().rename("n").reset_index()
        freq = freq.sort_values(
            ["nationality_iso3", "n", "nationality"], ascending=[True, False, True]
        )
        display = freq.drop_duplicates("nationality_iso3").set_index("nationality_iso3")
        has = nat["nationality_iso3"].notna()
        nat.loc[has, "nationality"] = (
            nat.loc[has, "nationality_iso3"].map(display["nationality"]).to_numpy()
        )
    return nat.astype({"nationality": "string", "nationality_iso3": "string"}).drop_duplicates()


def count_by(
    table: AllegationTable, by: str | None = None, count_by: str = "reporting_year"
) -> pd.DataFrame:
    """Allegations by year and, optionally, one grouping: ``year, [by], allegations``. The year is
    the reporting year (default) or, with ``count_by="incident_year"``, the year the incident
    began (the reporting year where the export gives none; see
    :meth:`AllegationTable.counting_years` and :func:`fell_back`).

    ``by`` is one of mission, personnel_category, personnel_subtype, allegation_kind, nationality,
    nio_appointed, result. For personnel, allegation kind and nationality an allegation that names
    several is counted once in each (the UN's own convention), so groups can sum to more than the
    yearly total. Nationalities are grouped on their ISO 3166 alpha-3 code
    (``nationality_iso3``; one display name per code), so that spelling variants meet; names that
    are not countries ("Unknown", "not published") stay as rows with a missing code.
    Only years with allegations appear: use :func:`yearly` for a series over the export's coverage.
    Example: ``count_by(table, "personnel_category")``
    """
    a = table.counting_years(count_by)[["allegation_id", "year"]]
    if by is None:
        out = a.groupby("year").size().rename("allegations").reset_index()
        return out.astype({"year": int, "allegations": "Int64"})
    if by not in GROUPINGS:
        raise ParameterError(f"count_by: found by={by!r}; expected one of {list(GROUPINGS)}")
    if by == "nationality":
        g = _nationality_groups(table)
        key = g["nationality_iso3"].fillna("name:" + g["nationality"])
        g = g.assign(_key=key)
        names = g.drop_duplicates("_key").set_index("_key")[["nationality", "nationality_iso3"]]
        out = (
            a.merge(g[["allegation_id", "_key"]].drop_duplicates(), on="allegation_id")
            .groupby(["year", "_key"])
            .size()
            .rename("allegations")
            .reset_index()
        )
        out = out.join(names, on="_key").drop(columns="_key")
        out = out[["year", "nationality", "nationality_iso3", "allegations"]]
        return (
            out.sort_values(["year", "nationality"])
            .reset_index(drop=True)
            .astype({"year": int, "allegations": "Int64"})
        )
    if by in ("personnel_category", "personnel_subtype"):
        col = by.removeprefix("personnel_")
        g = table.personnel[["allegation_id", col]].rename(columns={col: by})
    elif by == "allegation_kind":
        g = table.allegation_types[["allegation_id", "kind"]].rename(columns={"kind": by})
    else:
        g = table.allegations[["allegation_id", by]]
    g = g.astype({by: "string"}).fillna({by: "missing"}).drop_duplicates()
    out = a.merge(g, on="allegation_id").groupby(["year", by]).size().rename("allegations")
    return out.reset_index().astype({"year": int, "allegations": "Int64"})


_counted = count_by  # the function, for callers whose own parameter is named count_by


def _covered(table: AllegationTable, rule: str) -> pd.DataFrame:
    """Yearly counts by ``count_by`` inside the export's coverage only: incidents that began
    before the export's first reporting year are missing from its count (those reported before
    the export are not in it), so such years are left out, to show as missing, never as a count."""
    c = count_by(table, count_by=rule)
    first = table.coverage.years()["year"].min()
    return c[c["year"] >= first]


OLD_INCIDENT = 2  # years between incident start and report that make an "old" incident


def fell_back(table: AllegationTable, count_by: str = "reporting_year") -> int:
    """How many allegations ``count_by`` places in their reporting year for want of an incident
    start year (0 when counting by reporting year). Example: ``fell_back(t, "incident_year")``"""
    return int(table.counting_years(count_by)["fell_back"].sum())


def incident_age(table: AllegationTable) -> pd.DataFrame:
    """By reporting year, how old the incidents reported are: ``year, allegations,
    same_year, one_year_before, two_or_more_years_before, no_incident_year,
    share_two_or_more`` (age = reporting year minus the year the incident began; the share is of
    the allegations with an incident year). Uniformed allegations reported 2015-2021 in the July
    2024 export: 140 of 393 concern incidents two or more years earlier.
    Example: ``incident_age(select(t, 2015, 2021, personnel_categories=["military", "police"]))``
    """
    a = table.allegations
    age = (a["report_year"] - a["incident_start_year"]).astype("Int64")
    d = pd.DataFrame(
        {
            "year": a["report_year"].astype(int).to_numpy(),
            "same_year": (age <= 0).fillna(False).to_numpy(),
            "one_year_before": (age == 1).fillna(False).to_numpy(),
            "two_or_more_years_before": (age >= OLD_INCIDENT).fillna(False).to_numpy(),
            "no_incident_year": age.isna().to_numpy(),
        }
    )
    out = d.groupby("year").agg(
        allegations=("same_year", "size"),
        same_year=("same_year", "sum"),
        one_year_before=("one_year_before", "sum"),
        two_or_more_years_before=("two_or_more_years_before", "sum"),
        no_incident_year=("no_incident_year", "sum"),
    )
    known = out["allegations"] - out["no_incident_year"]
    out["share_two_or_more"] = out["two_or_more_years_before"] / known.where(known > 0)
    return out.reset_index().astype({c: int for c in out.columns if c != "share_two_or_more"})


def counting_sensitivity(table: AllegationTable, start_year: int, end_year: int) -> pd.DataFrame:
    """The same allegations counted both ways, year by year: ``year, reporting_year,
    incident_year, difference, fell_back, months_covered, complete`` (``fell_back``: allegations
    of that year counted in their reporting year for want of an incident year). Incident-year
    counts of early years lack incidents reported before the export starts, and those of recent
    years incidents not yet reported. Example: ``counting_sensitivity(t, 2015, 2023)``"""
    cov = table.coverage
    rep_ = counts_in_coverage(_covered(table, "reporting_year"), cov, start_year, end_year)
    inc = counts_in_coverage(_covered(table, "incident_year"), cov, start_year, end_year)
    fb = table.counting_years("incident_year")
    fb = fb[fb["fell_back"]].groupby("year").size()
    out = rep_[["year", "allegations", "months_covered", "complete"]].rename(
        columns={"allegations": "reporting_year"}
    )
    out.insert(2, "incident_year", pd.array(inc["allegations"], dtype="Int64"))
    out.insert(3, "difference", (out["incident_year"] - out["reporting_year"]).astype("Int64"))
    out.insert(4, "fell_back", out["year"].map(fb).fillna(0).astype("Int64"))
    out.loc[out["reporting_year"].isna(), "fell_back"] = pd.NA
    return out


def mission_names(table: AllegationTable) -> tuple[list[str], dict[str, str]]:
    """The mission names a selection of ``table`` accepts: every operation under its current
    name and the former names the export files allegations under (``"MONUC"``), with
    ``{former: current}``. ``select`` counts a former name with its successor.
    Example: ``names, former = mission_names(t)`` gives ``former == {"MONUC": "MONUSCO"}``"""
    m = table.allegations["mission"].dropna().astype(str)
    now = missions_mod.harmonise(m).astype(str)
    former = {a: b for a, b in zip(m.to_numpy(), now.to_numpy()) if a != b}
    return sorted(set(now) | set(former)), dict(sorted(former.items()))


def former_names_note(table: AllegationTable) -> str:
    """One sentence on the allegations the export files under a mission's former name and the
    operation they are counted with (MONUC -> MONUSCO, as the UN counts them), said whether or not
    a mission was chosen. Example: ``former_names_note(t)``"""
    m = table.allegations["mission"].dropna().astype(str)
    now = missions_mod.harmonise(m).astype(str)
    renamed = m[m.to_numpy() != now.to_numpy()]
    if renamed.empty:
        return "no allegation in the selection is filed under a former mission name"
    parts = ", ".join(
        f"{n} under {old} (counted with {missions_mod.harmonise([old]).iloc[0]})"
        for old, n in renamed.value_counts().sort_index().items()
    )
    return (
        f"{len(renamed)} allegation(s) filed under a former mission name: {parts}; one operation "
        "renamed by the Security Council is counted as one mission, as the UN counts it"
    )


def counts(
    allegations: pd.DataFrame, by: Sequence[str] = ("mission", "personnel_category")
) -> pd.DataFrame:
    """Allegations by reporting year and several columns of the allegations table at once:
    ``year, *by, allegations`` (empty combinations left out). Uses the one-row-per-allegation
    columns, so an allegation naming several personnel categories counts under ``multiple``;
    :func:`count_by` counts it once in each category instead.
    Example: ``counts(table.allegations, ["mission", "personnel_category"])``
    """
    missing = [c for c in ("report_year", *by) if c not in allegations.columns]
    if missing:
        raise ParameterError(
            f"counts: found no column(s) {missing}; expected columns of the allegations table"
        )
    out = allegations.groupby(["report_year", *by], observed=True, sort=True).size()
    out = out.rename("allegations").reset_index().rename(columns={"report_year": "year"})
    return out.astype({"year": int, "allegations": "Int64"})


def last_complete_year(table: AllegationTable) -> int:
    """The last reporting year the table covers in full (its last month is December)."""
    as_of = table.as_of
    return as_of.year if as_of.month == 12 else as_of.year - 1


def coverage_of(
    missions: Sequence[str] | None = None,
    table: AllegationTable | None = None,
    data: pd.DataFrame | None = None,
) -> Coverage:
    """The coverage of the series :func:`yearly` builds from the same arguments: the export's
    reporting months for a ``table``; otherwise the years with a sourced curated figure (for
    ``missions``: the years in which every one of them has a figure)."""
    if table is not None:
        return table.coverage
    if missions is None:
        years = curated_series()["year"]
        return Coverage.of_years("curated yearly series (UN headline figures)", years)
    m = curated_mission_series(missions, data=data)
    per_year = m.groupby("year")["mission"].nunique()
    years = per_year[per_year == len(set(missions))].index
    label = "curated per-mission figures (" + ", ".join(missions) + ")"
    if len(years) == 0:
        raise ParameterError(
            f"missions: found no year in which {list(missions)} all have a "
            "curated figure; expected missions reported in the same years"
        )
    return Coverage.of_years(label, years)


def yearly(
    start_year: int,
    end_year: int,
    missions: Sequence[str] | None = None,
    table: AllegationTable | None = None,
    data: pd.DataFrame | None = None,
    definition: str | None = None,
    count_by: str = "reporting_year",
) -> pd.DataFrame:
    """The yearly allegation counts a trends analysis starts from, one row per year of the range:
    ``year, allegations, months_covered, complete, definition, source, source_id``.

    A count exists only inside its source's coverage (:func:`coverage_of`): with an
    allegation-level ``table`` (already selected) the export's reporting months, 0 where covered
    and nothing was reported; without one the curated series (the all-mission headline figures,
    or the per-mission figures summed over ``missions`` in the years where each has one;
    aggregates of several missions never enter). Outside coverage the count is ``<NA>``; a partly
    covered year has ``complete`` False. ``definition`` says what each year counts (override it
    for a table subset, e.g. "allegations naming military or police personnel"). With a
    ``table``, ``count_by`` places each allegation in its reporting year (default) or the year
    its incident began (:data:`COUNT_BY`; the number placed in the reporting year for want of an
    incident year is :func:`fell_back`).
    """
    cov = coverage_of(missions, table, data)
    if table is not None:
        c = counts_in_coverage(_covered(table, count_by), cov, start_year, end_year)
        inside = c["months_covered"].notna()
        c["definition"] = pd.Series(pd.NA, index=c.index, dtype="string")
        c.loc[inside, "definition"] = definition or TABLE_DEFINITION
        c["source"] = f"UN table of allegations ({table.path.name})"
        c["source_id"] = pd.NA
        return c[
            [
                "year",
                "allegations",
                "months_covered",
                "complete",
                "definition",
                "source",
                "source_id",
            ]
        ]
    if missions is None:
        s = curated_series(start_year, end_year)  # the latest published figure of each year
        s["source"] = "curated: " + s["scope"] + ", latest published figure"
    else:
        m = curated_mission_series(missions, start_year, end_year, data=data)
        covered = set(cov.years()["year"])
        m = m[m["year"].isin(covered)]
        s = m.groupby("year", as_index=False).agg(
            allegations=("allegations", "sum"),
            source_id=("source_id", lambda v: "; ".join(sorted(set(v)))),
        )
        s["definition"] = "curated per-mission figures: " + ", ".join(missions)
        s["source"] = "curated per-mission figures (partial)"
    c = counts_in_coverage(s[["year", "allegations"]], cov, start_year, end_year)
    c = c.merge(s[["year", "definition", "source", "source_id"]], on="year", how="left")
    for col in ("definition", "source", "source_id"):
        c[col] = c[col].astype("string")
    return c[
        ["year", "allegations", "months_covered", "complete", "definition", "source", "source_id"]
    ]


def year_summary(counts: pd.DataFrame) -> dict:
    """What a yearly series holds, kept apart as the coverage rules require:
    ``by_year`` (complete years: {year: count}), ``total_complete`` (their sum), ``partial``
    ({year: {"allegations", "months_covered"}}, never in the total) and ``not_covered`` (years
    of the range without a count).
    Example: ``year_summary(yearly(2008, 2024, table=table))["partial"]``
    """
    c = counts.sort_values("year")
    have = c["allegations"].notna()
    done = have & c["complete"].astype("boolean").fillna(True).astype(bool)
    part = have & ~done
    by_year = {int(y): int(n) for y, n in zip(c.loc[done, "year"], c.loc[done, "allegations"])}
    months = c["months_covered"] if "months_covered" in c.columns else pd.Series(pd.NA, c.index)
    partial = {
        int(y): {"allegations": int(n), "months_covered": None if pd.isna(m) else int(m)}
        for y, n, m in zip(c.loc[part, "year"], c.loc[part, "allegations"], months[part])
    }
    return {
        "by_year": by_year,
        "total_complete": sum(by_year.values()),
        "partial": partial,
        "not_covered": [int(y) for y in c.loc[~have, "year"]],
    }


def definitions(series: pd.DataFrame) -> pd.DataFrame:
    """The definitions a yearly series uses, each with its first and last year:
    ``first_year, last_year, definition`` (one row for a series with one definition)."""
    d = series.dropna(subset=["allegations", "definition"]).sort_values("year")
    defs = d["definition"].astype(str)
    run = (defs != defs.shift()).cumsum()
    out = d.groupby(run).agg(
        first_year=("year", "min"), last_year=("year", "max"), definition=("definition", "first")
    )
    return out.reset_index(drop=True).astype({"first_year": int, "last_year": int})


def with_coverage(frame: pd.DataFrame, coverage: Coverage, year: str = "year") -> pd.DataFrame:
    """Add ``months_covered`` and ``complete`` (from ``coverage``) to a table by year, so that a
    partly covered year is flagged wherever its counts are shown."""
    cov = coverage.years().rename(columns={"year": year})
    out = frame.drop(columns=[c for c in ("months_covered", "complete") if c in frame.columns])
    out = out.merge(cov, on=year, how="left")
    out["months_covered"] = out["months_covered"].astype("Int64")
    out["complete"] = out["complete"].astype("boolean")
    return out


def term_label(term: str) -> str:
    """A model term in words (:func:`pkoresearch.results.term_label`): ``year_c`` "yearly change
    (trend)", ``level_2016`` "level change from 2016", ``slope_2016`` "change in yearly trend
    after 2016", ``counting_2017`` "counting change from 2017", ``const`` "rate in the first
    year"; other terms as they are, underscores as spaces.

    >>> term_label("level_2016")
    'level change from 2016'
    """
    from pkoresearch.results import term_label as words

    return words(term)


def counting_changes(series: pd.DataFrame) -> dict[int, str]:
    """The years in which a series' ``definition`` changes from the year before it (among the
    rows with a count): ``{year: "from ... to ..."}``. Empty for a series with one definition."""
    if "definition" not in series.columns:
        return {}
    d = series.dropna(subset=["allegations", "definition"]).sort_values("year")
    out: dict[int, str] = {}
    prev = None
    for r in d.itertuples(index=False):
        if prev is not None and r.definition != prev:
            spm = "special political missions" in str(r.definition)
            why = SPM_CHANGE if spm else COUNTING_CHANGES.get(int(r.year))
            out[int(r.year)] = (f"{why}; " if why else "") + f"from {prev!r} to {r.definition!r}"
        prev = r.definition
    return out


# ----------------------------------------------------------------------------- mission x year


MISSION_YEAR_STATUS = {
    "reported": "allegations reported",
    "none reported": "0: the mission had personnel and the export covers the year",
    "no personnel": (
        "missing: no uniformed personnel in the personnel file that year (not yet "
        "deployed, closed, or a mission without uniformed personnel then)"
    ),
    "unknown": "missing: no personnel data say whether the mission operated",
    "not covered": "missing: the export does not cover the year",
}


MISSION_YEAR_MARKS = {
    "reported": "",
    "none reported": "",
    "no personnel": "-",
    "unknown": "?",
    "not covered": "",
}


def _operating(
    contributions: Contributions | None,
    missions: Sequence[str],
    years: Sequence[int],
    harmonised: bool = False,
) -> pd.DataFrame:
    """``mission, year, operating`` (True: uniformed personnel that year, False: none, <NA>:
    unknown) from a mission x month personnel file: True from the year of the first to the year
    of the last month with personnel; False before a start or after an end the file shows (a
    first month after the file's first, a last month before the file's last); unknown outside
    the file for missions deployed at its edges, and for missions the file does not list."""
    grid = pd.MultiIndex.from_product(
        [list(missions), list(years)], names=["mission", "year"]
    ).to_frame(index=False)
    grid["operating"] = pd.array([pd.NA] * len(grid), dtype="boolean")
    if contributions is None:
        return grid
    t = contributions.totals(["mission", "month"])
    t = t[t["total"] > 0]
    if harmonised:  # one operation under its current acronym (MONUC -> MONUSCO)
        t = t.assign(mission=missions_mod.harmonise(t["mission"]).astype(str))
        t = t.groupby(["mission", "month"], as_index=False)["total"].sum()
    span = t.groupby("mission")["month"].agg(["min", "max"])
    months = contributions.coverage.months()
    file_first, file_last = months.min().to_timestamp(), months.max().to_timestamp()
    for i, r in grid.iterrows():
        if r["mission"] not in span.index:
            continue
        first, last = span.loc[r["mission"], "min"], span.loc[r["mission"], "max"]
        y = int(r["year"])
        if first.year <= y <= last.year:
            grid.at[i, "operating"] = True
        elif y < first.year:
            grid.at[i, "operating"] = pd.NA if first == file_first else False
        else:
            grid.at[i, "operating"] = pd.NA if last == file_last else False
    return grid


def mission_year(
    table: AllegationTable,
    start_year: int,
    end_year: int,
    contributions: Contributions | None = None,
    harmonise: bool = True,
    missions: Sequence[str] | None = None,
    count_by: str = "reporting_year",
) -> pd.DataFrame:
    """Allegations by mission and year (reporting year, or incident start year with
    ``count_by="incident_year"``) with the reason for every cell without a count:
    ``mission, year, allegations, status, months_covered, complete, old_incidents,
    filed_under_former_name``.

    ``old_incidents`` (counting by reporting year) is the number of the cell's allegations whose
    incident began two or more years before the reporting year; ``mostly_old`` is True where
    they are more than half of the cell (MONUSCO 2023 in the July 2024 export: 56 of 66; 5
    concern incidents of 2023), so a heat map can mark cells that show old incidents reported
    late rather than abuse that year. ``filed_under_former_name`` counts the cell's
    allegations filed under a former name (MONUC).

    ``status`` (see :data:`MISSION_YEAR_STATUS`): ``reported`` (a count > 0, kept even after a
    mission closed: late reports), ``none reported`` (0: the mission had uniformed personnel that
    year, from ``contributions`` such as ``read_mission_month(...)``, and the export covers the
    year), ``no personnel`` (none in the personnel file that year: not yet deployed, closed,
    or without uniformed personnel then), ``unknown`` (no personnel file, a year after its
    coverage, or a
    mission without uniformed personnel in it) and ``not covered`` (outside the export's
    reporting months). Only ``reported`` and ``none reported`` carry a count; every other cell is
    ``<NA>``, never 0; ``mark`` is "-" (no personnel), "?" (unknown) or "" for them. Missions
    are those with at least one allegation in ``table``, and ``missions`` (e.g. the ones a
    selection asked for) even without any, so that a chosen mission with no allegation shows its
    zeros. With ``harmonise`` (default) a renamed
    operation is one mission under its current acronym (:func:`pkoresearch.data.missions.harmonise`:
    the export still files some allegations under "MONUC" years after it became MONUSCO), in
    the counts and in the personnel file alike.
    Example: ``mission_year(table, 2015, 2024, read_mission_month("numperson.dta"))``
    """
    yr = table.counting_years(count_by)
    a = table.allegations
    per = pd.DataFrame(
        {
            "year": yr["year"].to_numpy(),
            "mission": a["mission"].astype("string").fillna("missing").to_numpy(),
            "old": (
                (a["report_year"] - a["incident_start_year"]).fillna(0).to_numpy() >= OLD_INCIDENT
            ),
        }
    )
    per["former"] = False
    if harmonise:
        named = per["mission"].astype(str)
        per["mission"] = missions_mod.harmonise(per["mission"]).astype(str).to_numpy()
        per["former"] = (named != per["mission"]).to_numpy()
    c = per.groupby(["year", "mission"], as_index=False).agg(
        allegations=("old", "size"),
        old_incidents=("old", "sum"),
        filed_under_former_name=("former", "sum"),
    )
    asked = [] if missions is None else [str(m) for m in missions]
    if harmonise and asked:
        asked = [str(m) for m in missions_mod.harmonise(asked)]
    names = sorted(set(c["mission"].astype(str)) | set(asked))
    years = list(range(int(start_year), int(end_year) + 1))
    grid = _operating(contributions, names, years, harmonised=harmonise)
    grid = grid.merge(c.astype({"mission": str}), on=["mission", "year"], how="left")
    cov = table.coverage.years()
    grid = grid.merge(cov, on="year", how="left")
    covered = grid["months_covered"].notna()
    reported = grid["allegations"].notna() & (grid["allegations"] > 0)
    op = grid["operating"]
    status = np.select(
        [~covered, reported, op.fillna(False).astype(bool), (~op.fillna(True)).astype(bool)],
        ["not covered", "reported", "none reported", "no personnel"],
        default="unknown",
    )
    grid["status"] = pd.Series(status, index=grid.index, dtype="string")
    grid["allegations"] = grid["allegations"].astype("Int64")
    grid.loc[grid["status"] == "none reported", "allegations"] = 0
    grid.loc[~grid["status"].isin(["reported", "none reported"]), "allegations"] = pd.NA
    grid["months_covered"] = grid["months_covered"].astype("Int64")
    grid["complete"] = grid["complete"].astype("boolean")
    grid["mark"] = grid["status"].map(MISSION_YEAR_MARKS).astype("string")
    for col in ("old_incidents", "filed_under_former_name"):
        grid[col] = grid[col].astype("Int64")
        grid.loc[grid["allegations"].isna(), col] = pd.NA
        grid.loc[grid["allegations"] == 0, col] = 0
    grid["mostly_old"] = (
        (grid["old_incidents"] * 2 > grid["allegations"]).fillna(False).astype(bool)
        if count_by == "reporting_year"
        else False
    )
    return grid[
        [
            "mission",
            "year",
            "allegations",
            "status",
            "mark",
            "months_covered",
            "complete",
            "old_incidents",
            "mostly_old",
            "filed_under_former_name",
        ]
    ]


def mission_activity_note(contributions: Contributions | None) -> str:
    """One sentence on where :func:`mission_year` takes mission activity from."""
    if contributions is None:
        return (
            "mission activity: unknown (no mission x month personnel file given), so no "
            "mission-year without allegations shows 0: each shows '?'"
        )
    return (
        f"mission activity: uniformed personnel by mission and month from "
        f"{contributions.path.name} ({contributions.coverage.label()}); later years are "
        "unknown ('?') for missions still deployed at its end"
    )


def mission_totals(frame: pd.DataFrame, by: str = "mission") -> pd.DataFrame:
    """Totals per ``by`` from a table with ``year, allegations, complete`` (e.g.
    :func:`mission_year`), complete and partial years kept apart:
    ``mission, allegations_complete_years, allegations_partial_years``, largest first. A total
    with no count behind it (e.g. a mission whose only allegations fall in a partial year) is
    ``<NA>``, not 0.
    Example: ``mission_totals(mission_year(table, 2015, 2024))``
    """
    f = frame.dropna(subset=["allegations"])
    done = f["complete"].astype("boolean").fillna(True).astype(bool)
    a = f[done].groupby(by)["allegations"].sum(min_count=1).rename("allegations_complete_years")
    b = f[~done].groupby(by)["allegations"].sum(min_count=1).rename("allegations_partial_years")
    out = pd.concat([a, b], axis=1).astype("Int64").reset_index()
    out = out.rename(columns={"index": by})
    return out.sort_values(
        ["allegations_complete_years", "allegations_partial_years", by],
        ascending=[False, False, True],
        na_position="last",
    ).reset_index(drop=True)


def mission_year_display(
    frame: pd.DataFrame, missions: Sequence[str] | None = None
) -> pd.DataFrame:
    """The :func:`mission_year` table as text for a notebook: one row per mission (in the order
    of ``missions``, default by total allegations), one column per year the export covers
    (a partly covered year is labelled "YYYY (partial)"); a count, "-" where the personnel file
    shows no uniformed personnel in the mission that year, "?" where that is unknown."""
    f = frame[frame["status"] != "not covered"]
    if missions is None:
        totals = (
            f.groupby("mission")["allegations"].sum().sort_values(ascending=False, kind="stable")
        )
        missions = list(totals.index)
    f = f[f["mission"].isin(list(missions))]
    text = np.where(
        f["status"].isin(["reported", "none reported"]),
        f["allegations"].astype("string").fillna(""),
        f["status"].map(MISSION_YEAR_MARKS).astype(str),
    )
    label = np.where(
        f["complete"].fillna(True).astype(bool),
        f["year"].astype(str),
        f["year"].astype(str) + " (partial)",
    )
    wide = pd.DataFrame({"mission": f["mission"].to_numpy(), "year": label, "cell": text}).pivot(
        index="mission", columns="year", values="cell"
    )
    wide = wide.reindex(index=list(missions))
    wide.columns.name = None
    return wide


# ----------------------------------------------------------------------- numerator, denominator


def exposure_for(
    personnel_categories: Sequence[str] | None,
    missions: Sequence[str] | None,
    mission_month: Contributions | None = None,
) -> tuple[pd.DataFrame | None, str]:
    """The personnel series that rates can be computed on, and a sentence saying which (or why
    none). With a mission x month file (``mission_month``) the denominator is the mean of the
    monthly totals of the months available each year (:func:`personnel_mean`; all uniformed
    types together), for all missions or for ``missions``; without it, the curated year-end
    totals (December) for all missions only. Military or police alone use the curated year-end
    figures of that category (the mission x month file has no category split). Civilians have
    no denominator."""
    cats = set(personnel_categories or ["military", "police", "civilian"])
    if "civilian" in cats and cats != {"military", "police", "civilian"}:
        return None, "no rate: there is no bundled denominator for civilian personnel"
    if missions is not None:
        if mission_month is None:
            return None, (
                "no rate: personnel by mission needs the mission x month personnel "
                "file (contributions_mission_month), so counts are shown without a "
                "denominator"
            )
        if cats in ({"military"}, {"police"}):
            return None, (
                "no rate: the mission x month personnel file has no split by personnel category"
            )
        return personnel_mean(mission_month, missions), (
            f"denominator: mean monthly uniformed personnel of {', '.join(missions)} over the "
            f"months available each year ({mission_month.path.name})"
        )
    if cats in ({"military"}, {"police"}):
        (cat,) = cats
        return personnel_by_year(cat), (
            f"denominator: {cat} personnel at year end (December; curated)"
        )
    if mission_month is not None:
        return personnel_mean(mission_month), (
            "denominator: mean monthly uniformed personnel (troops, staff officers, experts, "
            f"police) over the months available each year ({mission_month.path.name})"
        )
    return personnel_by_year("all_uniformed"), (
        "denominator: all uniformed personnel (troops, observers, staff officers, police) at "
        "year end (December; curated); a mission x month personnel file gives the mean of the "
        "months instead"
    )


@dataclass(frozen=True)
class RateBasis:
    """What a rate divides: the yearly numerator ``counts`` (as from :func:`yearly`), the
    ``personnel`` denominator (None: no rate), and a sentence for each."""

    counts: pd.DataFrame
    personnel: pd.DataFrame | None
    numerator: str
    denominator: str


def rate_basis(
    start_year: int,
    end_year: int,
    missions: Sequence[str] | None = None,
    personnel_categories: Sequence[str] | None = None,
    table: AllegationTable | None = None,
    mission_month: Contributions | None = None,
    data: pd.DataFrame | None = None,
    count_by: str = "reporting_year",
) -> RateBasis:
    """Match a rate's numerator to its denominator and say which each is.

    With an allegation-level ``table`` the numerator is the allegations naming uniformed
    personnel (military or police; an allegation naming both counted once), or the chosen
    uniformed ``personnel_categories``, over the matching uniformed personnel; civilians have no
    denominator. Without a table the curated headline figure counts every category (civilians
    included) and from 2016 special political missions too, over uniformed personnel:
    the rate is computed and the mismatch said. The denominator is :func:`exposure_for`.
    Example: ``rate_basis(2015, 2024, table=table).numerator``
    """
    cats = list(personnel_categories) if personnel_categories is not None else None
    if table is not None:
        if cats is not None and "civilian" in cats:
            c = yearly(start_year, end_year, table=table, count_by=count_by)
            return RateBasis(
                c,
                None,
                "allegations including civilian personnel",
                "no rate: there is no denominator for civilian personnel",
            )
        use = cats or list(UNIFORMED)
        names = " or ".join(use)
        what = (
            f"allegations naming {names} personnel (an allegation naming several counted "
            "once), peacekeeping operations and special political missions, UN table of "
            "allegations"
        )
        if count_by == "incident_year":
            what += ", by the year the incident began"
        c = yearly(
            start_year,
            end_year,
            table=select(table, personnel_categories=use),
            definition=what,
            count_by=count_by,
        )
        personnel, denominator = exposure_for(use, missions, mission_month)
        return RateBasis(c, personnel, "numerator: " + what, denominator)
    c = yearly(start_year, end_year, missions, data=data)
    personnel, denominator = exposure_for(None, missions, mission_month)
    if missions is None:
        what = (
            "numerator: the UN headline figure, every personnel category (civilians "
            "included) of peacekeeping operations, and from 2016 special political "
            "missions too; the denominator is uniformed personnel only, so numerator and "
            "denominator do not match (a UN export gives a matched, uniformed-only rate)"
        )
    else:
        what = (
            "numerator: curated per-mission figures, every personnel category (civilians "
            "included); the denominator is uniformed personnel only"
        )
    return RateBasis(c, personnel, what, denominator)


# --------------------------------------------------------------------------------------------------
# rates and changes


def rates(
    counts: pd.DataFrame, personnel: pd.DataFrame, per: float = 1000, alpha: float = 0.05
) -> pd.DataFrame:
    """Allegations per ``per`` personnel-years with exact Poisson intervals, the count beside the
    rate: ``year, allegations, personnel, exposure, rate, ci_low, ci_high, per`` plus the other
    columns of ``counts`` (``complete``, ``definition``...). ``exposure`` is ``personnel`` times
    the share of the year the count covers (``months_covered`` / 12, where given), so a partial
    year's rate is comparable, and still flagged by ``complete``. Years without a count (outside
    coverage) or without a personnel figure get a missing rate; the count stays.
    Example: ``rates(yearly(2008, 2021), personnel_by_year())``
    """
    p = personnel[["year", "personnel"]]
    if "months" in personnel.columns:
        p = personnel[["year", "personnel", "months"]].rename(
            columns={"months": "personnel_months"}
        )
    m = counts.drop(
        columns=[
            c
            for c in (
                "personnel",
                "personnel_months",
                "denominator_complete",
                "exposure",
                "rate",
                "ci_low",
                "ci_high",
                "per",
            )
            if c in counts.columns
        ]
    )
    m = m.merge(p, on="year", how="left")
    share = 1.0
    if "months_covered" in m.columns:
        share = m["months_covered"].astype("Float64").fillna(12).astype(float) / 12
    m["exposure"] = m["personnel"].astype(float) * share
    rows = []
    for a, e in zip(m["allegations"], m["exposure"]):
        if pd.isna(e) or pd.isna(a):
            rows.append((np.nan, np.nan, np.nan))
        else:
            est = stats.poisson_rate(int(a), float(e), per, alpha)
            rows.append((est.estimate, est.ci_low, est.ci_high))
    m[["rate", "ci_low", "ci_high"]] = pd.DataFrame(rows, index=m.index)
    m["per"] = per
    months = (
        pd.to_numeric(m["personnel_months"], errors="coerce")
        if "personnel_months" in m.columns
        else pd.Series(np.nan, index=m.index)
    )
    # a denominator resting on fewer than MIN_DENOMINATOR_MONTHS months (January 2022 alone)
    m["denominator_complete"] = pd.array(
        (months.isna() | (months >= MIN_DENOMINATOR_MONTHS)).to_numpy(), dtype="boolean"
    )
    m.loc[m["personnel"].isna(), "denominator_complete"] = pd.NA
    front = ["year", "allegations", "personnel", "exposure", "rate", "ci_low", "ci_high", "per"]
    return m[front + [c for c in m.columns if c not in front]]


def rate_unit(personnel: pd.DataFrame | None, per: float = 1000) -> str:
    """The axis label of a rate, naming its denominator as it is: the mean of monthly counts
    (personnel-years, from :func:`personnel_mean`) or a year-end count (:func:`personnel_by_year`,
    one month per year: per personnel at year end, not per personnel-year).
    Example: ``rate_unit(personnel_by_year())`` gives "allegations per 1,000 uniformed personnel
    at year end"."""
    if personnel is not None and "months" in personnel.columns:
        return f"allegations per {per:,.0f} personnel-years (mean of monthly counts)"
    return f"allegations per {per:,.0f} uniformed personnel at year end"


def _years_of(period: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(period, (int, np.integer)):
        return int(period), int(period)
    return int(period[0]), int(period[-1])


def _label(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


def _period_total(
    df: pd.DataFrame,
    period: int | Sequence[int],
    column: str,
    allow_partial: bool = False,
    name: str | None = None,
) -> tuple[float, str]:
    first, last = _years_of(period)
    sel = df[df["year"].between(first, last)]
    want = set(range(first, last + 1))
    have = set(sel.dropna(subset=[column])["year"])
    if want - have:
        raise ParameterError(
            f"period {first}-{last}: no {name or column} for "
            f"{sorted(want - have)}; "
            "expected every year of the period in the data"
        )
    if not allow_partial and "complete" in sel.columns:
        part = sel[sel["complete"].astype("boolean").eq(False).fillna(False).astype(bool)]
        if len(part):
            months = part.get("months_covered", pd.Series(pd.NA, index=part.index))
            what = ", ".join(
                f"{int(y)}" + (f" ({int(mo)} of 12 months)" if pd.notna(mo) else "")
                for y, mo in zip(part["year"], months)
            )
            raise ParameterError(
                f"period {_label(first, last)}: {what} is a partial year; "
                "expected complete years (or allow_partial=True)"
            )
    return float(sel[column].sum()), _label(first, last)


def change_unavailable(
    counts_with_personnel: pd.DataFrame,
    period1: int | Sequence[int],
    period0: int | Sequence[int],
    coverage: Coverage | None = None,
) -> str | None:
    """Why :func:`change` cannot compare these periods (years outside the source's coverage,
    without personnel, or partial), as a sentence naming the complete years that can be
    compared; None when it can."""
    d = counts_with_personnel
    found: dict[str, list[int]] = {"outside": [], "partial": [], "personnel": []}
    for period in (period1, period0):
        first, last = _years_of(period)
        sel = d[d["year"].between(first, last)].set_index("year")
        for y in range(first, last + 1):
            if y not in sel.index or pd.isna(sel.at[y, "allegations"]):
                found["outside"].append(y)
            elif (
                "complete" in sel.columns
                and pd.notna(sel.at[y, "complete"])
                and not bool(sel.at[y, "complete"])
            ):
                found["partial"].append(y)
            elif pd.isna(sel.at[y, "personnel"]):
                found["personnel"].append(y)
    if not any(found.values()):
        return None

    def years(ys: list[int]) -> str:
        ys = sorted(set(ys))
        return ", ".join(map(str, ys)) + (" is" if len(ys) == 1 else " are")

    reasons = []
    if found["outside"]:
        where = f" ({coverage.source} covers {coverage.label()})" if coverage else ""
        reasons.append(f"{years(found['outside'])} outside the coverage of the counts{where}")
    if found["partial"]:
        reasons.append(f"{years(found['partial'])} partial")
    if found["personnel"]:
        reasons.append(f"{years(found['personnel'])} without a personnel figure")
    ok = d.dropna(subset=["allegations", "personnel"])
    if "complete" in ok.columns:
        ok = ok[ok["complete"].astype("boolean").fillna(True).astype(bool)]
    ys = sorted(ok["year"].astype(int))
    avail = (
        f"complete years with a count and personnel: {ys[0]}-{ys[-1]}"
        if ys
        else "no complete year has both a count and personnel"
    )
    return "; ".join(reasons) + f" ({avail})"


def change(
    counts_with_personnel: pd.DataFrame,
    period1: int | Sequence[int],
    period0: int | Sequence[int],
    alpha: float = 0.05,
    allow_partial: bool = False,
) -> stats.Estimate:
    """Rate ratio of ``period1`` over ``period0`` (a year or (first, last)), exact conditional test.

    Input: ``year, allegations, personnel`` (e.g. the output of :func:`rates`; its ``exposure``
    is used where present). A partial year (``complete`` False) is refused unless
    ``allow_partial``. Where the two periods' counts are of different definitions (e.g. 2016
    and 2021 of the curated series: special political missions are counted from 2016) a
    :class:`~pkoresearch.errors.MeasurementBreakWarning` says so and ``detail["definitions"]``
    names both: part of the ratio can come from counting.
    Example: ``change(rates_df, 2010, 2009)``
    """
    expo = "exposure" if "exposure" in counts_with_personnel.columns else "personnel"
    defs: list[str] = []
    if "definition" in counts_with_personnel.columns:
        for period in (period1, period0):
            first, last = _years_of(period)
            sel = counts_with_personnel[counts_with_personnel["year"].between(first, last)]
            defs.append("; ".join(sorted(set(sel["definition"].dropna().astype(str)))))
        if defs[0] != defs[1]:
            warnings.warn(
                MeasurementBreakWarning(
                    f"the two periods count different things ({defs[0]!r} against {defs[1]!r}): part "
                    "of the rate ratio can come from counting"
                ),
                stacklevel=2,
            )
    c1, l1 = _period_total(counts_with_personnel, period1, "allegations", allow_partial)
    c0, l0 = _period_total(counts_with_personnel, period0, "allegations", allow_partial)
    e1, _ = _period_total(counts_with_personnel, period1, expo, True, "personnel")
    e0, _ = _period_total(counts_with_personnel, period0, expo, True, "personnel")
    est = stats.rate_ratio(int(c1), e1, int(c0), e0, alpha)
    detail = {**est.detail, "period1": l1, "period0": l0}
    if defs and defs[0] != defs[1]:
        detail["definitions"] = defs
    return stats.Estimate(
        est.estimate, est.ci_low, est.ci_high, est.method, est.p_value, alpha, detail
    )


MIN_DENOMINATOR_MONTHS = 3


def _model_rows(counts_with_personnel: pd.DataFrame, include_partial: bool) -> pd.DataFrame:
    """The years a model fits: a count and personnel, a complete year, and a denominator resting
    on at least :data:`MIN_DENOMINATOR_MONTHS` months of personnel figures (a mean of January
    alone, as the mission x month file has for 2022, is not a year's exposure); the last two
    unless ``include_partial``."""
    d = counts_with_personnel.dropna(subset=["allegations", "personnel"]).copy()
    if not include_partial and "complete" in d.columns:
        d = d[d["complete"].astype("boolean").fillna(True).astype(bool)]
    if not include_partial and "personnel_months" in d.columns:
        months = pd.to_numeric(d["personnel_months"], errors="coerce").fillna(12)
        d = d[months >= MIN_DENOMINATOR_MONTHS]
    if "exposure" not in d.columns:
        d["exposure"] = d["personnel"].astype(float)
    d["allegations"] = d["allegations"].astype(float)
    return d.sort_values("year").reset_index(drop=True)


def _counting_terms(d: pd.DataFrame, counting: bool) -> tuple[pd.DataFrame, dict[int, str]]:
    """Indicator columns ``counting_<year>`` (1 from the year the definition changes) for the
    counting changes inside the fitted years."""
    out = pd.DataFrame(index=d.index)
    if not counting:
        return out, {}
    changes = counting_changes(d)
    for year in changes:
        col = (d["year"] >= year).astype(int)
        if col.nunique() > 1:
            out[f"counting_{year}"] = col
    return out, {y: t for y, t in changes.items() if f"counting_{y}" in out.columns}


def _with_counting_reason(model: stats.CountModel, changes: dict[int, str]) -> stats.CountModel:
    if not changes:
        return model
    said = "; ".join(f"{term_label(f'counting_{y}')}: {t}" for y, t in changes.items())
    return dataclasses.replace(
        model,
        reason=model.reason + ". Counting changes inside the "
        f"window are modelled as level indicators ({said})",
    )


def trend(
    counts_with_personnel: pd.DataFrame,
    family: str = "quasipoisson",
    alpha: float = 0.05,
    include_partial: bool = False,
    counting: bool = True,
) -> stats.CountModel:
    """Log-linear trend: allegations ~ year with offset log(exposure). The ``year_c`` IRR is the
    yearly multiplicative change in the rate. Quasi-Poisson by default (safe with few years; see
    :func:`pkoresearch.analysis.stats.count_model`). Partial years are left out unless
    ``include_partial``; with ``counting`` each change of ``definition`` inside the window gets a
    level indicator ``counting_<year>`` so a change of counting is not read as a trend."""
    d = _model_rows(counts_with_personnel, include_partial)
    d["year_c"] = d["year"] - d["year"].min()
    C, changes = _counting_terms(d, counting)
    d = pd.concat([d, C], axis=1)
    m = stats.count_model(
        d,
        "allegations",
        "exposure",
        ["year_c", *C.columns],
        family=family,
        alpha=alpha,
        keep=["year"],
        unit="years",
    )
    return _with_counting_reason(m, changes)


def model_years(counts_with_personnel: pd.DataFrame, include_partial: bool = False) -> list[int]:
    """The years a trend or segmented model uses: a count and personnel, and complete (unless
    ``include_partial``)."""
    return [int(y) for y in _model_rows(counts_with_personnel, include_partial)["year"]]


def usable_breakpoints(
    counts_with_personnel: pd.DataFrame, breakpoints: Sequence[int], include_partial: bool = False
) -> tuple[list[int], list[int]]:
    """Split ``breakpoints`` into those inside the years a model uses (counts and personnel,
    complete years unless ``include_partial``; at least two years before and one from the
    breakpoint on) and those outside."""
    d = _model_rows(counts_with_personnel, include_partial)
    if d.empty:
        return [], sorted(breakpoints)
    lo, hi = int(d["year"].min()), int(d["year"].max())
    kept = sorted(b for b in breakpoints if lo + 2 <= b <= hi)
    return kept, sorted(b for b in breakpoints if b not in kept)


@dataclasses.dataclass(frozen=True)
class BreakpointSeries:
    """The rated series a segmented model is fitted on, the breakpoints it can take, and why."""

    rated: pd.DataFrame | None
    kept: list[int]
    dropped: list[int]
    text: str


def series_for_breakpoints(
    rated: pd.DataFrame | None,
    breakpoints: Sequence[int],
    start_year: int,
    end_year: int,
    missions: Sequence[str] | None = None,
    personnel_categories: Sequence[str] | None = None,
    per: float = 1000,
) -> BreakpointSeries:
    """Which series a segmented model at ``breakpoints`` is fitted on: the rated series itself
    when it has two complete years before every breakpoint; otherwise, for all missions and
    categories, the curated headline series over year-end personnel (it reaches back before the
    UN export's 2015 start), if it can take more of the breakpoints. Never both in one fit: each
    fit uses one series, whose counting changes it models.
    Example: ``series_for_breakpoints(rated, [2016], 2008, 2024).text``
    """
    kept, dropped = (
        ([], sorted(breakpoints)) if rated is None else usable_breakpoints(rated, breakpoints)
    )
    own = BreakpointSeries(rated, kept, dropped, "the series above")
    if not dropped or missions is not None or personnel_categories is not None:
        return own
    long = rates(yearly(start_year, end_year), personnel_by_year(), per=per)
    kept2, dropped2 = usable_breakpoints(long, breakpoints)
    if len(kept2) <= len(kept):
        return own
    span = model_years(long)
    text = (
        f"the curated headline series over year-end uniformed personnel ({span[0]}-{span[-1]}): "
        f"the series above has fewer than two complete years before {', '.join(map(str, dropped))}; "
        "a different definition (every personnel category, special political missions from "
        "2016), fitted on its own with its counting changes as indicators"
    )
    return BreakpointSeries(long, kept2, dropped2, text)


def segmented(
    counts_with_personnel: pd.DataFrame,
    breakpoints: Sequence[int] | None = None,
    family: str = "quasipoisson",
    alpha: float = 0.05,
    include_partial: bool = False,
    counting: bool = True,
) -> stats.CountModel:
    """Segmented (interrupted time series) regression with a level and a slope change at each
    breakpoint, offset log(exposure); quasi-Poisson by default. ``breakpoints`` default to the
    policy dates in :data:`POLICY_DATES` that fall inside the data with at least two years on each
    side. The level and slope terms describe changes in the rate around those dates, not effects
    of the policies.

    With ``counting`` (default) each change of the series' ``definition`` inside the window is a
    level indicator ``counting_<year>``, so a jump that comes from counting is attributed to the
    counting change. A breakpoint in a year where counting changed cannot have its own level
    change: it keeps only its slope term, the level shows as ``counting_<year>``, and a
    :class:`~pkoresearch.errors.MeasurementBreakWarning` says so. Without a ``definition`` column
    (or with ``counting=False``) the warning is given for the years in :data:`COUNTING_CHANGES`;
    a series whose ``definition`` is the same in every year (one export) gets no such warning.
    Partial years are left out unless ``include_partial``.
    """
    d = _model_rows(counts_with_personnel, include_partial)
    years = sorted(d["year"].astype(int))
    if not years:
        raise NotEstimable("segmented: found no year with counts and personnel; expected some")
    if breakpoints is None:
        breakpoints = [b for b in POLICY_DATES if years[0] + 2 <= b <= years[-1] - 1]
    breakpoints = sorted(int(b) for b in breakpoints)
    for b in breakpoints:
        if sum(y < b for y in years) < 2 or not b <= years[-1]:
            raise ParameterError(
                f"breakpoints: found {b}; expected years with at least two years "
                f"of data before them, up to {years[-1]} (the years with counts "
                f"and personnel start in {years[0]})"
            )
    C, changes = _counting_terms(d, counting)
    X = stats.segmented_design(d["year"], breakpoints)
    later = sorted(int(c.removeprefix("counting_")) for c in C.columns)
    for b in breakpoints:
        after = [c for c in later if c > b]
        if f"counting_{b}" not in C.columns and after and after[0] - b == 1:
            warnings.warn(
                MeasurementBreakWarning(
                    f"breakpoint {b} is one year before a change in counting ({after[0]}): its "
                    f"level change rests on {b} alone"
                ),
                stacklevel=2,
            )
        same = [c for c in C.columns if C[c].to_numpy().tolist() == X[f"level_{b}"].tolist()]
        if f"counting_{b}" in C.columns:
            X = X.drop(columns=f"level_{b}")
            warnings.warn(
                MeasurementBreakWarning(
                    f"breakpoint {b} coincides with a change in counting ({changes[b]}): its level "
                    f"change cannot be told apart from it and is reported as the {term_label(f'counting_{b}')}; only the "
                    "slope change is estimated"
                ),
                stacklevel=2,
            )
        elif same:
            X = X.drop(columns=f"level_{b}")
            warnings.warn(
                MeasurementBreakWarning(
                    f"breakpoint {b}: no year in the data lies between it and the counting change "
                    f"{same[0].removeprefix('counting_')}, so its level change cannot be told apart "
                    f"from the {term_label(same[0])}; only the slope change is estimated"
                ),
                stacklevel=2,
            )
        elif b in COUNTING_CHANGES and (not counting or "definition" not in d.columns):
            warnings.warn(
                MeasurementBreakWarning(
                    f"breakpoint {b} coincides with a change in counting: {COUNTING_CHANGES[b]}"
                ),
                stacklevel=2,
            )
    terms = [*X.columns, *C.columns]
    n_params = 1 + len(terms)
    if len(d) <= n_params:
        raise NotEstimable(
            f"breakpoints: {len(breakpoints)} breakpoint(s) need more than "
            f"{n_params} years with counts and personnel; found {len(d)}"
        )
    d = pd.concat([d, X, C], axis=1)
    m = stats.count_model(
        d, "allegations", "exposure", terms, family=family, alpha=alpha, keep=["year"], unit="years"
    )
    return _with_counting_reason(m, changes)


def leave_one_out(
    counts_with_personnel: pd.DataFrame,
    breakpoints: Sequence[int],
    family: str = "quasipoisson",
    alpha: float = 0.05,
    include_partial: bool = False,
    counting: bool = True,
) -> pd.DataFrame:
    """Sensitivity of the segmented model's level and slope changes to any single year:
    ``left_out, term, irr, ci_low, ci_high, n, note`` with one row per term for the fit on all
    years (``left_out`` missing) and for each fit without one year. A term that cannot be
    estimated without a year (too few years left after a breakpoint, or no year left between a
    breakpoint and a counting change) has missing values and a note saying why.
    Example: ``leave_one_out(rates_df, [2016])``
    """
    d = _model_rows(counts_with_personnel, include_partial)
    pattern = r"^(level|slope|counting)_(" + "|".join(str(int(b)) for b in breakpoints) + r")$"

    def fit(frame: pd.DataFrame) -> tuple[pd.DataFrame | None, str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MeasurementBreakWarning)
            try:
                m = segmented(frame, breakpoints, family, alpha, include_partial, counting)
            except ParameterError as exc:
                return None, str(exc)
        said = "; ".join(str(w.message) for w in caught if "cannot be told apart" in str(w.message))
        return m.irr[m.irr["term"].str.match(pattern)].set_index("term"), said

    full, note = fit(d)
    if full is None:
        raise NotEstimable(f"leave_one_out: the model on all years cannot be fitted ({note})")
    terms = list(full.index)
    rows = []
    for left_out, frame in [(pd.NA, d)] + [(int(y), d[d["year"] != y]) for y in d["year"]]:
        got, note = (full, "") if left_out is pd.NA else fit(frame)
        for t in terms:
            if got is not None and t in got.index:
                r = got.loc[t]
                rows.append(
                    {
                        "left_out": left_out,
                        "term": t,
                        "irr": r["irr"],
                        "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"],
                        "n": len(frame),
                        "note": "",
                    }
                )
            else:
                rows.append(
                    {
                        "left_out": left_out,
                        "term": t,
                        "irr": np.nan,
                        "ci_low": np.nan,
                        "ci_high": np.nan,
                        "n": len(frame),
                        "note": note or f"{t} cannot be estimated without {left_out}",
                    }
                )
    out = pd.DataFrame(rows)
    out["left_out"] = out["left_out"].astype("Int64")
    return out


def leave_one_out_table(loo: pd.DataFrame) -> pd.DataFrame:
    """The :func:`leave_one_out` IRRs wide: one row per fit ("all years", then "without YYYY"),
    one column per term."""
    d = loo.assign(
        fit=["all years" if pd.isna(y) else f"without {int(y)}" for y in loo["left_out"]]
    )
    order = list(dict.fromkeys(d["fit"]))
    wide = d.pivot(index="fit", columns="term", values="irr").reindex(order)
    wide.columns.name = None
    return wide


def leave_one_out_range(loo: pd.DataFrame) -> pd.DataFrame:
    """Per term: the IRR with all years and the lowest and highest IRR when one year is left
    out, with the year left out for each, and the years without which the term cannot be
    estimated: ``term, irr_all_years, irr_min, left_out_min, irr_max, left_out_max,
    not_estimable_without``."""
    rows = []
    for term, g in loo.groupby("term", sort=False):
        all_years = g[g["left_out"].isna()]["irr"]
        one = g[g["left_out"].notna()]
        ok = one.dropna(subset=["irr"])
        lo = ok.loc[ok["irr"].idxmin()] if len(ok) else None
        hi = ok.loc[ok["irr"].idxmax()] if len(ok) else None
        rows.append(
            {
                "term": term,
                "irr_all_years": float(all_years.iloc[0]),
                "irr_min": np.nan if lo is None else float(lo["irr"]),
                "left_out_min": pd.NA if lo is None else int(lo["left_out"]),
                "irr_max": np.nan if hi is None else float(hi["irr"]),
                "left_out_max": pd.NA if hi is None else int(hi["left_out"]),
                "not_estimable_without": ", ".join(
                    str(int(y)) for y in one.loc[one["irr"].isna(), "left_out"]
                ),
            }
        )
    out = pd.DataFrame(rows)
    return out.astype({"left_out_min": "Int64", "left_out_max": "Int64"})


# --------------------------------------------------------------------------------------------------
# allegation-level measures


def child_share(
    table: AllegationTable,
    method: str = "wilson",
    alpha: float = 0.05,
    count_by: str = "reporting_year",
) -> pd.DataFrame:
    """Share of allegations with at least one child victim, by reporting year (or incident start
    year, ``count_by``), with intervals: ``year, with_child, allegations, share, ci_low,
    ci_high``."""
    a = table.allegations.assign(report_year=table.counting_years(count_by)["year"].to_numpy())
    g = (
        a.groupby("report_year")
        .agg(with_child=("involves_child", "sum"), allegations=("allegation_id", "size"))
        .reset_index()
    )
    g = stats.proportion_table(g, "with_child", "allegations", method, alpha, prefix="share")
    return g.rename(columns={"report_year": "year"}).astype({"year": int})


def outcomes_by_year(table: AllegationTable, count_by: str = "reporting_year") -> pd.DataFrame:
    """Allegations by reporting year (or incident start year, ``count_by``) and overall
    investigation result (wide, one column per result, zeros kept), as of the table's date:
    recent years hold more pending cases."""
    a = table.allegations.assign(report_year=table.counting_years(count_by)["year"].to_numpy())
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
    out = pd.DataFrame(
        {
            "allegation_id": a["allegation_id"],
            "year": a["report_year"].astype(int),
            "incident_year": incident.astype("Int64"),
        }
    )
    out["lag_years"] = (out["year"] - out["incident_year"]).astype("Int64")
    return out


def lag_summary(lags: pd.DataFrame) -> pd.DataFrame:
    """Per reporting year: allegations, how many have an incident year, the median lag and the
    share reported more than a year after the incident."""
    g = lags.groupby("year")
    out = pd.DataFrame(
        {
            "allegations": g.size(),
            "with_incident_year": g["lag_years"].count(),
            "median_lag_years": g["lag_years"].median(),
            "share_lag_over_1_year": g["lag_years"].apply(
                lambda s: float((s.dropna() > 1).mean()) if s.notna().any() else np.nan
            ),
        }
    )
    return out.reset_index()
