# %% [markdown]
# # Women's participation in peacekeeping
#
# How large a share of UN uniformed personnel are women, by category, mission and contributing
# country; how far each category is from the Uniformed Gender Parity Strategy targets and when the
# observed trend would reach them; which contributors deploy most women; and, where mission-years of
# both exist, how women's share relates to allegation counts (an association, not an effect).
#
# Without `gender_statistics` the notebook uses the bundled curated yearly figures; with a file of the
# UN monthly gender statistics (the IPI `Gender.Full.csv` layout) it works month by month and adds
# missions.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
# fmt: off
start: str = "2005-01"  # first month (YYYY-MM)
end: str = "2025-12"  # last month (YYYY-MM)
categories: "Optional[list]" = None  # all_uniformed, military_contingents, staff_officers_experts, individual_police, formed_police_units, military, police; None for the main five
missions: "Optional[list]" = None  # mission acronyms such as ["UNMIL"]; None for all; needs gender_statistics
contributors: "Optional[list]" = None  # contributing countries such as ["Ghana", "India"]; None for all
gender_statistics: str = "auto"  # UN monthly gender statistics (IPI Gender.Full.csv layout): a path, a registry name (un_gender_ipi), "auto" (the cached un_gender_ipi, else the bundled curated data) or "bundled"
contributions_mission_month: str = "auto"  # UN contributions by gender by month for 2010-2021 (mission x month .dta or odp_contributionsbygender.csv): a path, a registry name (un_contributions_mission_month), "auto" (the cached file, else the section is skipped) or "bundled"
top_n: int = 10  # contributors shown in the ranking
horizon: int = 2060  # last year a projection may reach before it says "not reached by"
suspect_months: str = "exclude"  # months the plausibility check finds far from the mission's neighbouring months: "exclude" (left out of shares) or "keep"
output_dir: str = ""  # folder for figures and results.json; "" means reports/02_womens_participation
# fmt: on

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch.analysis import participation as pa
from pkoresearch.analysis import plausibility
from pkoresearch.data.coverage import Coverage
from pkoresearch.data.readers.un_gender import read_gender_statistics
from pkoresearch.figures import captions, plots, tables

first_month, last_month = nb.month("start", start), nb.month("end", end, end=True)
if first_month > last_month:
    raise pko.errors.ParameterError(
        f"parameters start/end: found {start} after {end}; expected start <= end"
    )
cats = nb.subset(
    "categories",
    categories if categories is not None else pa.DEFAULT_CATEGORIES,
    pa.CURATED_CATEGORIES,
)
gs_path = nb.dataset_input("gender_statistics", gender_statistics, "un_gender_ipi")
mm_path = nb.dataset_input(
    "contributions_mission_month", contributions_mission_month, "un_contributions_mission_month"
)
if missions is not None and gs_path is None:
    raise pko.errors.ParameterError(
        "parameter missions: the curated data have no mission split; "
        "expected None, or a gender_statistics file"
    )
top_n = int(nb.positive_number("top_n", top_n))
suspect_months = nb.choice("suspect_months", suspect_months, ["exclude", "keep"])
horizon = nb.year_range(first_month.year, horizon, hi=2200)[1]
out = nb.output_dir(output_dir, "02_womens_participation")
nb.display_options()
targets = pko.load("parity_targets")
print(
    nb.data_used(
        "gender_statistics",
        "monthly shares by category, contributor and mission; the growth "
        "2005-2010 and the targets are curated",
        "yearly shares and contributors from the bundled curated data; the mission sections need the file",
    )
)
print(
    nb.data_used(
        "contributions_mission_month",
        "the 2010-2021 shares by year and mission",
        "the 2010-2021 section is skipped",
    )
)

# %% [markdown]
# ## Reading these shares
#
# - The figures are a **census** of everyone deployed, not a sample. The intervals shown are binomial
#   (Wilson) intervals: they say how far a share rests on few people (a small contributor or mission),
#   and help compare, but there is no sampling error to estimate.
# - **One definition per series.** Until 2016 the UN counted staff officers inside "Troops": the
#   `staff_officers_experts` figures of 2009-2014 are military experts on mission only, those from
#   2019 staff officers and experts together, and `military_contingents` includes the staff officers
#   up to 2016. Each definition is its own series: its own line (earlier definitions dashed), its
#   own column in the tables, its own fit. The 2022 total includes justice and corrections personnel
#   and is kept apart from the uniformed total.
# - **Year-end or not.** A yearly figure is the year's December figure where the source has one.
#   The UN monthly statistics bundled here end in February 2014, so "2014" is February 2014, not the
#   year-end; such figures are drawn hollow, marked with their month in the tables ("n.m.": the
#   source gives no month) and recorded apart from year-end figures.
# - The curated yearly figures mix sources: the UN monthly statistics (2009-2014), then UN pages and
#   secondary reports (medium or low confidence, often rounded). Each figure's source is listed at
#   the end.

# %%
if gs_path is not None:
    g = read_gender_statistics(gs_path)
    print(
        f"{g.report['rows_in_file']} rows in the file; {g.report['duplicate_rows_removed']} duplicate(s) "
        f"and {g.report['aggregate_rows_removed']} aggregate row(s) set aside; "
        f"{len(g.inconsistent)} inconsistent total(s); {g.report['iso3_disagreements']} contributor "
        f"name(s) whose ISO-3 code differs from the country crosswalk"
    )
    counts = g.counts[g.counts["date"].between(first_month, last_month)]
    suspects_gs = pa.suspect_months(counts)
    print(nb.wrap(plausibility.describe(suspects_gs, month="date")))
    if not suspects_gs.empty:
        display(tables.for_display(suspects_gs.round(plausibility.ROUNDING)))
        if suspect_months == "exclude":
            counts = pa.without_suspect_months(counts, suspects_gs)
    coverage = Coverage.of_months("The UN monthly gender statistics", counts["date"].unique())
    print(nb.wrap(coverage.describe(first_month.year, last_month.year) + ".", indent="    "))
    chosen_missions = (
        None
        if missions is None
        else nb.subset("missions", missions, sorted(counts["mission"].unique()))
    )
    if chosen_missions is not None:
        counts = counts[counts["mission"].isin(chosen_missions)]
    chosen = (
        None if contributors is None else pa.contributor_codes(contributors, counts)
    )  # matched by ISO3
    if chosen is not None:
        counts = counts[counts["iso3"].isin(chosen)]
    monthly = pa.shares_by(counts, ["date", "group"], cats).rename(columns={"group": "category"})
    yearly = pa.year_end(monthly)
    series, x = monthly, "date"
    print(
        f"{monthly['date'].nunique()} months, {monthly['date'].min():%b %Y} - {monthly['date'].max():%b %Y}"
    )
else:
    chosen = (
        None
        if contributors is None
        else pa.contributor_codes(contributors, pko.load("personnel_by_country"))
    )
    yearly = pa.curated_shares(cats, first_month.year, last_month.year)
    series, x = yearly, "year"
    print(
        f"curated yearly shares: {len(yearly)} figures, {yearly['year'].min()}-{yearly['year'].max()}"
    )
latest = pa.latest_figures(yearly)
pko.results.record(
    "latest_share_pct",
    {r.definition: round(float(r.share_pct), 2) for r in latest.itertuples()},
    unit="pct",
)
pko.results.record(
    "latest_share_period", {r.definition: r.period for r in latest.itertuples()}, unit="text"
)
split = pa.year_end_split(yearly)
pko.results.record("share_pct_year_end", split["year_end"], unit="pct")
pko.results.record("share_pct_not_year_end", split["not_year_end"], unit="pct")
tables.for_display(latest.round(2))

# %%
by_category = yearly.assign(category=yearly["category"].map(plots.readable))[
    [c for c in ("year", "period", "category", "share_pct", "women", "personnel") if c in yearly]
]
tables.save_table(
    by_category,
    out / "tables" / "share_by_year_and_category",
    title=(
        f"Women's share of uniformed personnel by year and category, {int(yearly['year'].min())}-"
        f"{int(yearly['year'].max())} (each year's last month)"
        + ("" if chosen is None or gs_path is None else ", selected contributors")
    ),
    source=(
        "UN monthly gender statistics (" + gs_path.name + ")"
        if gs_path is not None
        else "curated UN figures bundled with pkoresearch (data/personnel.csv)"
    ),
    labels={
        "year": "Year",
        "period": "Month of the figure",
        "category": "Personnel category",
        "share_pct": "Women, %",
        "women": "Women",
        "personnel": "Personnel",
    },
    decimals={"share_pct": 2},
)

# %% [markdown]
# ## Share over time, with the parity targets
#
# Stars mark the targets in each category's colour: the 2009 Global Effort (2014), and the Uniformed
# Gender Parity Strategy (2021, 2025, 2028). A line never joins two definitions of a category; hollow
# markers, off the line, are not year-end figures (February 2014) or partial years, the same open
# marker every figure uses for a partial period. The tables give one column per definition (the first says which
# category each belongs to), each figure marked with its month where it is not December.

# %%
fig, ax = plt.subplots(figsize=(8, 4.2))
subset = "" if chosen is None or gs_path is None else f" ({', '.join(contributors)})"
title = (
    "Women's share of uniformed personnel"
    + subset
    + "\n"
    + captions.selection(
        missions if gs_path is not None else None,
        years=(
            int(series[x].min().year if x == "date" else series[x].min()),
            int(series[x].max().year if x == "date" else series[x].max()),
        ),
    )
)
source = (
    g if gs_path is not None else None
)  # None: the curated figures and targets name their own sources
plots.share_over_time(
    series,
    x=x,
    hue="category",
    targets=targets if x == "year" else None,
    ax=ax,
    title=title,
    source=source,
)
plots.save(fig, out / "share_over_time.png", show=True)
defined = pa.series_table(yearly)
for r in defined.itertuples():
    print(
        nb.wrap(
            f"{tables.category(r.category)} = {tables.category(r.definition)}: {r.description} ({r.figures} figure(s), {r.first} - "
            f"{r.last}; {r.not_year_end} not a year-end figure)",
            indent="    ",
        )
    )
tables.for_display(pa.share_table(yearly))

# %% [markdown]
# ## Growth named in the 2011 report
#
# The 2011 State Department report compares 1,016 women in 2005 with 3,332 in 2010 (31 August 2010 in
# the UN gender statistics).

# %%
w2005, w2010 = pa.women_count(2005), pa.women_count(2010, 8)
grew = pa.growth(w2005, w2010, 2005, 2010)
print(
    f"{w2005:,} women (2005) -> {w2010:,} (Aug 2010): x{grew.estimate:.2f}, "
    f"+{grew.detail['change']:,.0f}, {grew.detail['yearly_growth_pct']:.1f}% a year"
)
pko.results.record("growth_2005_2010_ratio", round(grew.estimate, 3), unit="ratio")

# %% [markdown]
# ## Gap to the targets and projected year of reaching them
#
# Each target is checked against the figures of its category counted under the target's own
# definition (the 2014 troop target counts staff officers inside troops; the Uniformed Gender Parity
# Strategy targets count them apart), in every category that has a target. The status rests on the
# last figure up to the end of the target year: "met"; "not met" only where that figure is the
# target year's December figure; "below target at last figure" where it is an earlier month (so the
# deadline itself is not observed); "open" for targets after the data. The note after each says
# when the status rests on a rounded figure from a secondary source, and whether it holds within
# the rounding.
#
# The projection fits the trend of one definition only, and only from 3 figures: fitted across the
# 2014-2019 change of definition, the staff officer series would seem to reach 25% by 2028, a trend
# made by the change of counting. The main model is linear in the logit of the share (a share stays
# between 0 and 100%, and at these low shares the model is one of steady relative growth); a straight
# line is shown beside it, since a handful of figures cannot tell the two apart. The interval is a
# 95% **prediction** interval for the year: the years in which a single yearly figure could be at
# the target given the scatter of the figures around the trend, not only the uncertainty of the
# line. Few figures give wide intervals; "already" means the interval reaches back into the data.
#
# The targets are for all UN uniformed personnel: they are checked against the curated yearly figures
# of all contributors (the UN statistics' year-end figures for 2009-2013, then later sourced figures),
# whatever file or contributor subset the sections above use; the monthly statistics alone end in
# February 2014, before most target years.

# %%
at_targets = pa.curated_shares(pa.CURATED_CATEGORIES, first_month.year, last_month.year)
gap = pa.parity_gap(at_targets, targets)
for r in gap.itertuples():
    seen = [] if r.status == "no figure" else [f"{r.observed_pct:.2f}% in {r.observed_period}"]
    seen += [] if pd.isna(r.next_pct) else [f"next figure {r.next_pct:g}% in {r.next_period}"]
    print(
        nb.wrap(
            f"{tables.category(r.category)} {r.target_pct:g}% by {r.target_year} "
            f"[{tables.category(r.definition)}]: {r.status}"
            + (f" ({'; '.join(seen)})" if seen else "")
            + (f". {r.basis[0].upper()}{r.basis[1:]}" if r.basis else ""),
            indent="    ",
        )
    )
rounded = gap[gap["rests_on_rounded_secondary"]]
print(
    nb.wrap(
        "Statuses that rest on a rounded figure from a secondary source: "
        + (
            ", ".join(
                f"{tables.category(r.category)} {r.target_year} ({r.observed_pct:g}%, {r.source_id})"
                for r in rounded.itertuples()
            )
            or "none"
        )
    )
)
pko.results.record(
    "targets", {f"{r.category}_{r.target_year}": r.status for r in gap.itertuples()}, unit="text"
)
pko.results.record(
    "targets_resting_on_rounded_secondary",
    [f"{r.category}_{r.target_year}" for r in rounded.itertuples()],
    unit="text",
)

if mm_path is not None:  # the UN's monthly counts have both October 2015 and October 2020
    from pkoresearch.data.readers.un_contributions import read_monthly

    un_months = read_monthly(mm_path).totals(["month"]).rename(columns={"month": "date"})
    doubling = pa.doubling_target(un_months.assign(definition="all_uniformed"))
    counted = f"The UN contributions by gender ({mm_path.name}) count"
else:
    doubling = pa.doubling_target(pa.curated_counts("all_uniformed"))
    counted = "The curated counts are of"
print(
    nb.wrap(
        "Resolution 2242 (S/RES/2242 (2015)), doubling the women in military and police contingents "
        f"from {doubling.baseline_month} to {doubling.deadline_month}: {doubling.text} {counted} "
        f"all uniformed women ({tables.category(doubling.definition)}), a wider group than the contingents the "
        "resolution names.",
        indent="    ",
    )
)
pko.results.record(
    "resolution_2242_doubling",
    {
        "status": doubling.status,
        "ratio": round(doubling.ratio, 3),
        "from": [doubling.baseline_period, doubling.baseline],
        "to": [doubling.end_period, doubling.end],
    },
    unit="number",
)

proj = pa.projections(at_targets, targets, horizon, models=("logit", "linear"))
for (cat, year), rows in proj.groupby(["category", "target_year"], sort=False):
    r, fit = rows.iloc[0], rows.set_index("model")["projected"]
    used = f"{r.n} figure(s), {r.first} - {r.last}" if r.n else "no figure"
    told = fit["logit"] if r.n < 3 else f"logit {fit['logit']}; linear {fit['linear']}"
    print(
        nb.wrap(
            f"{tables.category(cat)} {r.target_pct:g}% by {year} [{tables.category(r.definition)}; {used}; {r.left_out} figure(s) of other "
            f"definitions left out]: {told}",
            indent="    ",
        )
    )
pko.results.record(
    "projections",
    {
        f"{r.category}_{r.target_year}": r.projected
        for r in proj[proj["model"] == "logit"].itertuples()
    },
    unit="text",
)
pko.results.record(
    "projections_linear",
    {
        f"{r.category}_{r.target_year}": r.projected
        for r in proj[proj["model"] == "linear"].itertuples()
    },
    unit="text",
)

# %% [markdown]
# ## Contributors
#
# Who deploys the most women, each contributor's own share (with intervals that widen for small
# contingents), and how concentrated women's deployment is. Both are counts on one date (the last
# date with contributor figures in the chosen months), of all uniformed personnel; contributors are
# matched by ISO3 code, so a country spelled two ways is one contributor.

# %%
if gs_path is not None:
    when = counts["date"].max()
    everyone = pa.contributor_ranking(counts, when, top_n=None).rename(
        columns={"contributor": "country"}
    )
    label, source = f"{when:%d %b %Y}", "UN monthly gender statistics (UN DPKO, scraped by IPI)"
    basis = "all uniformed personnel: troops with staff officers, military experts on mission and police"
else:
    year, month = pa.curated_contributor_dates(first_month.year, last_month.year)[-1]
    everyone = pa.curated_contributors(year, month, contributors=contributors)
    label, source = (
        pd.Timestamp(year=year, month=month, day=1).strftime("%b %Y"),
        ", ".join(everyone["source_id"].unique()),
    )
    basis = "all uniformed personnel by contributing country"
ranking = everyone.head(top_n)
top5 = pa.concentration(everyone["women"], 5)
print(
    nb.wrap(
        f"{label} (the last date with contributor figures in {first_month:%b %Y} - {last_month:%b %Y}), "
        f"{basis}; source {source}: {len(everyone)} contributors; "
        + (
            "no woman deployed in the selection"
            if pd.isna(top5)
            else f"the top 5 deploy {top5:.1f}% of all women"
        )
    )
)
pko.results.record("contributors_date", label, unit="text")
pko.results.record("top5_share_of_women_pct", round(top5, 2), unit="pct")
pko.results.record(
    "top_contributors", {r.country: int(r.women) for r in ranking.itertuples()}, unit="count"
)
fig, ax = plt.subplots(figsize=(7, 0.35 * len(ranking) + 1.8))
overall = 100 * everyone["women"].sum() / everyone["personnel"].sum()
plots.dot_shares(
    ranking,
    y="country",
    ax=ax,
    reference=overall,
    title=f"Women's share by contributor, {label} (dashed: all shown)",
    caption=basis,
    source=g if gs_path is not None else everyone,
)
plots.save(fig, out / "contributors.png", show=True)
tables.for_display(
    ranking[["country", "women", "personnel", "share_pct", "ci_low", "ci_high"]].round(2)
)

# %% [markdown]
# ## Missions
#
# Women's share by mission and year at each year's last month in the monthly statistics (December,
# except February for 2014, marked `*`). A mission with nobody deployed then (not yet started, or
# closed: MINURCAT after 2010, UNMIS after July 2011) is missing, drawn hatched, never 0; a 0 is a
# mission with personnel and no women.

# %%
if gs_path is not None:
    by_mission = pa.year_end(pa.shares_by(counts, ["date", "mission"], ["all_uniformed"]))
    grid = pa.mission_year_shares(counts)
    keep = grid.groupby("mission")["personnel"].sum().sort_values(ascending=False).head(15).index
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plots.share_heatmap(
        grid[grid["mission"].isin(keep)],
        ax=ax,
        title="Women, % of uniformed personnel, by mission (year end)\n"
        + captions.selection(None, years=(first_month.year, last_month.year), all_missions=None),
        source=g,
    )
    plots.save(fig, out / "mission_year_share.png", show=True)
    gaps = grid[~grid["deployed"]].groupby("mission")["year"].agg(lambda y: ", ".join(map(str, y)))
    print(
        nb.wrap(
            f"{len(grid)} mission-years; {int((~grid['deployed']).sum())} missing (no personnel at the "
            "year's last month): " + "; ".join(f"{m} {y}" for m, y in gaps.items()),
            indent="    ",
        )
    )
    pko.results.record(
        "mission_years",
        {
            "shown": int(grid["deployed"].sum()),
            "missing": int((~grid["deployed"]).sum()),
            "not_year_end": int((grid["deployed"] & ~grid["complete"]).sum()),
        },
        unit="count",
    )
else:
    by_mission = None

# %% [markdown]
# ## Women's share and allegations across mission-years
#
# The association of women's share with allegations is in notebook `04_women_and_allegations`: a full
# mission-year panel from the UN contributions by gender and the UN table of allegations, in which
# mission-years without allegations stay in (a panel of only the mission-years with allegations would
# select on the outcome).

# %% [markdown]
# ## Women's share 2010-2021 from the UN contributions by gender
#
# The UN's open data on uniformed personnel by sex (Department of Peace Operations), month by month,
# close the gap between the monthly gender statistics (to February 2014) and the later curated figures.
# Each mission's months are first checked against the same mission's neighbouring months (women, men
# and share; `pkoresearch.analysis.plausibility`): a suspect month is listed with the rule's numbers and left
# out of the shares (`suspect_months`).
# Yearly shares are women over personnel in the months the file has that year (2013-2016 lack one
# month each, 2017 has five). The mission x month file sums all uniformed types: it gives **all
# uniformed personnel only, not categories**; the UN's own `odp_contributionsbygender.csv` splits them.

# %%
if mm_path is not None:
    from pkoresearch.analysis import panel as pn
    from pkoresearch.data.readers.un_contributions import read_monthly

    monthly_un = read_monthly(mm_path)
    un_groups = cats if monthly_un.split_by_type else ["all_uniformed"]
    if not monthly_un.split_by_type:
        print(
            f"{mm_path.name} gives all uniformed personnel only: categories are not split in this file"
        )
    suspects_un = pn.suspect_mission_months(monthly_un)
    print(
        nb.wrap(
            plausibility.describe(suspects_un).replace(
                "left out of shares and exposures unless kept",
                "left out of the shares below"
                if suspect_months == "exclude"
                else "KEPT in the shares below (suspect_months='keep')",
            )
        )
    )
    if not suspects_un.empty:
        display(tables.for_display(suspects_un.round(plausibility.ROUNDING)))
    pko.results.record(
        "suspect_months_un_contributions",
        sorted(
            f"{r.mission} {r.month:%Y-%m}"
            for r in suspects_un.drop_duplicates(["mission", "month"]).itertuples()
        ),
        unit="text",
    )
    un_years = pn.shares_by_year(monthly_un, un_groups, suspect=suspect_months)
    un_years = un_years[
        un_years["year"].between(max(first_month.year, 2010), min(last_month.year, 2021))
    ]
    partial = un_years.loc[~un_years["complete"], ["year", "months_covered"]].drop_duplicates()
    print(
        "months covered, partial years: "
        + ", ".join(f"{r.year} ({r.months_covered})" for r in partial.itertuples())
    )
    combined = pd.concat(
        [
            yearly[["year", "category", "share_pct", "complete"]].assign(
                category=lambda d: (
                    d["category"] + (" (curated)" if gs_path is None else " (gender statistics)")
                )
            ),
            un_years[["year", "category", "share_pct", "complete"]].assign(
                category=lambda d: d["category"] + " (UN contributions)"
            ),
        ],
        ignore_index=True,
    )
    fig, ax = plt.subplots(figsize=(8, 4.2))
    plots.share_over_time(
        combined,
        x="year",
        hue="category",
        ax=ax,
        source=[yearly if gs_path is None else g, monthly_un],
        title="Women's share of uniformed personnel: curated figures and UN contributions by gender",
    )
    plots.save(fig, out / "share_over_time_un_contributions.png", show=True)
    pko.results.record(
        "share_by_year_un_contributions",
        {f"{r.category} {r.year}": round(r.share_pct, 2) for r in un_years.itertuples()},
        unit="pct",
    )
    display(
        tables.save_table(
            un_years.pivot_table(index="year", columns="category", values="share_pct").rename(
                columns=plots.readable
            ),
            out / "tables" / "share_by_year_un_contributions",
            title="Women, % of uniformed personnel, by year (UN contributions by gender, mean of "
            "the months present)",
            source=f"UN Department of Peace Operations, contributions by gender ({mm_path.name})",
            labels={"year": "Year"},
            default_decimals=2,
        )
    )

# %% [markdown]
# Women's share by mission and year (mean of the months present), for the ten missions with the most
# uniformed personnel; a blank cell is a year in which the mission had no personnel, not a zero.

# %%
if mm_path is not None:
    per_mission = pn.personnel_by_mission_year(monthly_un, suspect=suspect_months)
    per_mission = per_mission[
        per_mission["year"].between(max(first_month.year, 2010), min(last_month.year, 2021))
    ]
    chosen_un = (
        None
        if missions is None
        else nb.subset("missions", missions, sorted(per_mission["mission"].unique()))
    )
    if chosen_un is None:
        chosen_un = (
            per_mission.groupby("mission")["exposure"]
            .sum()
            .sort_values(ascending=False)
            .head(10)
            .index.tolist()
        )
    shown = per_mission[per_mission["mission"].isin(chosen_un)]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plots.share_over_time(
        shown,
        x="year",
        hue="mission",
        ax=ax,
        source=monthly_un,
        title="Women's share of uniformed personnel by mission (UN contributions by gender)",
    )
    plots.save(fig, out / "mission_share_un_contributions.png", show=True)
    display(
        tables.save_table(
            shown.pivot_table(index="mission", columns="year", values="share_pct"),
            out / "tables" / "share_by_mission_un_contributions",
            title=f"Women, % of uniformed personnel, by mission and year: {len(chosen_un)} "
            "missions (UN contributions by gender, mean of the months present; blank: no personnel)",
            source=f"UN Department of Peace Operations, contributions by gender ({mm_path.name})",
            labels={"mission": "Mission"},
            default_decimals=1,
        )
    )
    print(
        f"Source: UN Department of Peace Operations, uniformed personnel contributions by gender ({mm_path.name})"
    )

# %% [markdown]
# ## Sources

# %%
cited = [
    targets,
    pd.DataFrame({"source_id": list(doubling.source_ids)}),
    at_targets.dropna(subset=["source_id"]),
]
if gs_path is None:
    cited.append(everyone)
files = [] if gs_path is None else [f"UN monthly gender statistics: {gs_path.name}"]
if mm_path is not None:
    files.append(
        f"UN Peacekeeping open data, uniformed personnel contributions by gender, mission x month: {mm_path.name}"
    )
nb.print_sources(cited, files)
