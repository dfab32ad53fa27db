"""Pure functions behind the overview notebook: what data exist, their coverage and provenance,
and the 2011 comparison of the UN, NATO and OSCE.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from . import curated, sources
from .curated import CONFIDENCE, SPECS

CAVEATS = [
    ("unit", "An allegation is one report of an incident, not a victim and not a perpetrator; a "
             "report naming several contributing countries or personnel categories is counted once "
             "for each."),
    ("revisions", "Each year's Secretary-General report revises the previous year's counts, "
                  "usually upward. Conflicting values are all kept; one is marked preferred "
                  "(higher confidence, then the later UN report)."),
    ("scope", "Up to 2016 the UN reported peacekeeping operations separately; from the 2017 data "
              "on it reports peacekeeping and special political missions together "
              "(scope peacekeeping_and_spm). Do not join the two into one series without saying so."),
    ("tracking", "The UN misconduct tracking system dates from 2008 (some entries back to 2007): "
                 "counts before and after are not measured the same way."),
    ("nationality", "The nationality of uniformed alleged perpetrators is published only from the "
                    "2015 data on."),
    ("staff_officers", "Before about 2017, staff officers appear inside 'troops' in the gender "
                       "statistics, so category shares before and after are not strictly "
                       "comparable."),
    ("response_rate", "'Response rate' of contributing countries has several definitions "
                      "(follow-ups answered, countries replying, NIO appointed, outcome reported); "
                      "never mix them in one series."),
]


def caveats() -> pd.DataFrame:
    """The counting caveats every analysis must state, as a two-column table."""
    return pd.DataFrame(CAVEATS, columns=["caveat", "what it means"])


def coverage_table(names: Sequence[str] | None = None, start_year: int | None = None,
                   end_year: int | None = None, preferred: bool = True) -> pd.DataFrame:
    """Rows per dataset, year and confidence, for datasets with a year column.

    Example: ``coverage_table(["allegations", "personnel"], 2003, 2024)``
    """
    names = [n for n in (names or list(SPECS)) if SPECS[n].year_column]
    out = pd.concat([curated.coverage(n, preferred=preferred) for n in names], ignore_index=True)
    if start_year is not None:
        out = out[out["year"] >= start_year]
    if end_year is not None:
        out = out[out["year"] <= end_year]
    out["year"] = out["year"].astype(int)
    return out.reset_index(drop=True)


def confidence_table(names: Sequence[str] | None = None, preferred: bool = True) -> pd.DataFrame:
    """Rows per dataset and confidence level (long), with every level present."""
    rows = []
    for n in names or list(SPECS):
        df = curated.load(n, preferred=preferred)
        counts = df["confidence"].value_counts()
        for c in CONFIDENCE:
            rows.append({"dataset": n, "confidence": c, "rows": int(counts.get(c, 0))})
    return pd.DataFrame(rows)


def revisions(name: str = "allegations") -> pd.DataFrame:
    """Figures given with different values by different sources, the preferred one first."""
    spec = SPECS[name]
    df = curated.load(name, preferred=False)
    keys = list(spec.figure)
    k = df[keys].astype("string").fillna("<NA>")
    multi = df[k.duplicated(keep=False)]
    if multi.empty:
        return multi
    varies = multi.groupby(keys, observed=True, dropna=False)["value"].transform("nunique") > 1
    out = multi[varies].sort_values([*keys, "preferred"], ascending=[True] * len(keys) + [False])
    return out[[*keys, "value", "preferred", "confidence", "source_id"]].reset_index(drop=True)


def organization_comparison() -> pd.DataFrame:
    """The 2011 comparison of the UN, NATO and OSCE: one row per topic, one column per
    organization, in the order UN, NATO, OSCE."""
    df = curated.load("org_policies")
    wide = df.pivot(index="topic", columns="organization", values="summary")
    wide = wide.reindex(columns=["UN", "NATO", "OSCE"])
    wide.columns = list(wide.columns.astype(str))
    wide.index = wide.index.astype(str)
    return wide


def organization_figures(year: int | None = 2011) -> pd.DataFrame:
    """Personnel and missions of the three organizations as reported (``year`` of the report;
    ``None`` for all years)."""
    df = curated.load("organizations")
    if year is not None:
        df = df[df["year"] == year]
    return df[["organization", "year", "measure", "value", "confidence", "source_id"]].reset_index(
        drop=True)


def sources_table(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Every source cited by the rows of ``frames``: id, rows cited, citation."""
    ids = pd.concat([f[["source_id"]].astype(str) for f in frames], ignore_index=True)
    out = sources.of(ids)
    return out[["source_id", "rows", "citation"]]
