"""Pure functions behind the overview notebook: what data exist, their coverage and provenance,
and the 2011 comparison of the UN, NATO and OSCE.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pkoresearch.data import curated, sources
from pkoresearch.data.curated import CONFIDENCE, SPECS
from pkoresearch.data.schema import PRIMARY_TYPES, SOURCE_TYPES

CAVEATS = [
    (
        "unit",
        "An allegation is one report of an incident, not a victim and not a perpetrator; a "
        "report naming several contributing countries or personnel categories is counted once "
        "for each.",
    ),
    (
        "revisions",
        "Each year's Secretary-General report revises the previous year's counts, "
        "usually upward. Conflicting values are all kept; one is marked preferred "
        "(never one read only on a copy page where another source gives the figure, "
        "then higher confidence, then the later UN report). A comparison with the "
        "figure 'as first published' must use the first published value "
        "(pko.curated.revisions), not the preferred one.",
    ),
    (
        "scope",
        "The UN's headline figures counted peacekeeping operations; from the 2016 figures on "
        "(A/72/751's 104; the first year with special political mission allegations in the UN "
        "export) they count peacekeeping and special political missions together (one scope "
        "in the data). Do not join the two into one series without saying so.",
    ),
    (
        "tracking",
        "The UN misconduct tracking system dates from 2008 (some entries back to 2007): "
        "counts before and after are not measured the same way.",
    ),
    (
        "nationality",
        "The nationality of uniformed alleged perpetrators is published only from the "
        "2015 data on.",
    ),
    (
        "staff_officers",
        "Before about 2017, staff officers appear inside 'troops' in the gender "
        "statistics, so category shares before and after are not strictly "
        "comparable.",
    ),
    (
        "response_rate",
        "'Response rate' of contributing countries has several definitions "
        "(follow-ups answered, countries replying, NIO appointed, outcome reported); "
        "never mix them in one series.",
    ),
]


def caveats() -> pd.DataFrame:
    """The counting caveats every analysis must state, as a two-column table."""
    return pd.DataFrame(CAVEATS, columns=["caveat", "what it means"])


def coverage_table(
    names: Sequence[str] | None = None,
    start_year: int | None = None,
    end_year: int | None = None,
    preferred: bool = True,
) -> pd.DataFrame:
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


def confidence_by_dataset(
    names: Sequence[str] | None = None, preferred: bool = True
) -> pd.DataFrame:
    """Rows per confidence level for each dataset, with the share of each level within the
    dataset: ``dataset, rows, high, medium, low, share_high, share_medium, share_low``.

    A share over all rows together would be driven by the largest table (2,106 rows of personnel
    by country, all high): read confidence dataset by dataset.
    Example: ``confidence_by_dataset(["allegations", "personnel"])``
    """
    long = confidence_table(names, preferred=preferred)
    wide = long.pivot(index="dataset", columns="confidence", values="rows")
    wide = wide.reindex(index=list(dict.fromkeys(long["dataset"])), columns=CONFIDENCE)
    wide.columns = list(wide.columns)
    wide.insert(0, "rows", wide.sum(axis=1))
    for c in CONFIDENCE:
        wide[f"share_{c}"] = wide[c] / wide["rows"]
    wide.index.name = "dataset"
    return wide.reset_index()


def sources_by_type(frames: Sequence[pd.DataFrame] | None = None) -> pd.DataFrame:
    """The source records cited by ``frames`` (default: every bundled table), by type of the cited
    document: ``type, primary, sources, with_symbol, with_official_url, read_elsewhere,
    read_in_copy, rows`` (``read_elsewhere``: records whose figures were read on another page,
    ``read_in_copy``: of those, on a copy page; ``rows``: table rows citing them).

    Example: ``sources_by_type([pko.load("allegations")])``
    """
    if frames is None:
        frames = [curated.load(n, preferred=False) for n in SPECS]
    b = sources.bibliography(list(frames)).set_index("source_id")
    cat = sources.catalogue().set_index("source_id").loc[b.index]
    cat["rows"] = b["rows"]
    g = cat.groupby("type", observed=True)
    out = pd.DataFrame(
        {
            "sources": g.size(),
            "with_symbol": g["document_symbol"].apply(lambda s: int((s != "").sum())),
            "with_official_url": g["official_url"].apply(lambda s: int((s != "").sum())),
            "read_elsewhere": g["via_type"].apply(lambda s: int((s != "").sum())),
            "read_in_copy": g["via_type"].apply(lambda s: int((s == "web_mirror").sum())),
            "rows": g["rows"].sum(),
        }
    )
    out = out.reindex([t for t in SOURCE_TYPES if t in out.index])
    out.insert(0, "primary", [t in PRIMARY_TYPES for t in out.index])
    out.index.name = "type"
    return out.reset_index()


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
        drop=True
    )


# what the 2011 report's personnel measures count, in words (the measure codes carry qualifiers
# such as "approx" and "more_than" that a figure must not cut into fragments)
PERSONNEL_MEASURES = {
    "uniformed_personnel_covered_by_sea_policy_approx": (
        "uniformed personnel covered by the SEA policy",
        "about",
    ),
    "troops_approx_more_than": ("troops", "more than about"),
    "field_mission_personnel": ("field mission personnel", ""),
}


def organization_sizes(year: int | None = 2011) -> pd.DataFrame:
    """The personnel figures of the UN, NATO and OSCE as the report of ``year`` states them, one
    row per organization: ``organization, what, qualifier, value, label, stated, confidence,
    source_id``. ``label`` says who and what in words ("NATO: troops"), ``stated`` the figure as
    the report gives it ("more than about 135,000"). Measures not in
    :data:`PERSONNEL_MEASURES` are left out (missions, budgets).

    Example: ``overview.organization_sizes(2011)[["label", "value"]]``
    """
    f = organization_figures(year)
    f = f[f["measure"].isin(list(PERSONNEL_MEASURES))].copy()
    f["what"] = f["measure"].map(lambda m: PERSONNEL_MEASURES[m][0])
    f["qualifier"] = f["measure"].map(lambda m: PERSONNEL_MEASURES[m][1])
    f["label"] = [f"{o}: {w}" for o, w in zip(f["organization"], f["what"])]
    f["stated"] = [f"{(q + ' ') if q else ''}{v:,.0f}" for q, v in zip(f["qualifier"], f["value"])]
    cols = [
        "organization",
        "what",
        "qualifier",
        "value",
        "label",
        "stated",
        "confidence",
        "source_id",
    ]
    return f[cols].sort_values("value", ascending=False).reset_index(drop=True)


def sources_table(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Every source cited by the rows of ``frames``, primary documents first: ``source_id, rows,
    primary, citation`` (see :func:`pkoresearch.data.sources.bibliography`)."""
    out = sources.bibliography(list(frames))
    return out[["source_id", "rows", "primary", "citation"]]
