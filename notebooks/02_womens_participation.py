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
start: str = "2005-01"  # first month (YYYY-MM)
end: str = "2025-12"  # last month (YYYY-MM)
categories: "Optional[list]" = None  # all_uniformed, military_contingents, staff_officers_experts, individual_police, formed_police_units, military, police; None for the main five
missions: "Optional[list]" = None  # mission acronyms such as ["UNMIL"]; None for all; needs gender_statistics
contributors: "Optional[list]" = None  # contributing countries such as ["Ghana", "India"]; None for all
gender_statistics: str = ""  # path to UN monthly gender statistics (IPI Gender.Full.csv layout); "" uses the bundled curated data
contributions_mission_month: str = ""  # path to the UN contributions by gender by month (mission x month .dta or odp_contributionsbygender.csv) for 2010-2021; "" skips that section
top_n: int = 10  # contributors shown in the ranking
horizon: int = 2060  # last year a projection may reach before it says "not reached by"
output_dir: str = ""  # folder for figures and results.json; "" means reports/02_womens_participation

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch import participation as pa
from pkoresearch import plots
from pkoresearch.readers.un_gender import read_gender_statistics

first_month, last_month = nb.month("start", start), nb.month("end", end, end=True)
if first_month > last_month:
    raise pko.errors.ParameterError(f"parameters start/end: found {start} after {end}; expected start <= end")
cats = nb.subset("categories", categories if categories is not None else pa.DEFAULT_CATEGORIES, pa.CURATED_CATEGORIES)
gs_path = nb.input_file("gender_statistics", gender_statistics)
if missions is not None and gs_path is None:
    raise pko.errors.ParameterError("parameter missions: the curated data have no mission split; "
                                    "expected None, or a gender_statistics file")
top_n = int(nb.positive_number("top_n", top_n))
horizon = nb.year_range(first_month.year, horizon, hi=2200)[1]
out = nb.output_dir(output_dir, "02_womens_participation")
nb.display_options()
targets = pko.load("parity_targets")

# %% [markdown]
# ## Reading these shares
#
# - The figures are a **census** of everyone deployed, not a sample. The intervals shown are binomial
#   (Wilson) intervals: they say how far a share rests on few people (a small contributor or mission),
#   and help compare, but there is no sampling error to estimate.
# - **Staff officers appear inside "troops"** in the UN gender statistics before about 2017, so the
#   troop and staff-officer shares before and after are not strictly comparable.
# - The curated yearly figures mix sources: the UN monthly statistics (2009-2014), then UN pages and
#   secondary reports (medium or low confidence). Each figure's source is listed at the end.

# %%
if gs_path is not None:
    g = read_gender_statistics(gs_path)
    print(f"{g.report['rows_in_file']} rows in the file; {g.report['duplicate_rows_removed']} duplicate(s) "
          f"and {g.report['aggregate_rows_removed']} aggregate row(s) set aside; "
          f"{len(g.inconsistent)} inconsistent total(s)")
    counts = g.counts[g.counts["date"].between(first_month, last_month)]
    chosen_missions = None if missions is None else nb.subset("missions", missions, sorted(counts["mission"].unique()))
    if chosen_missions is not None:
        counts = counts[counts["mission"].isin(chosen_missions)]
    chosen = None if contributors is None else nb.subset("contributors", contributors, sorted(counts["contributor"].unique()))
    if chosen is not None:
        counts = counts[counts["contributor"].isin(chosen)]
    monthly = pa.shares_by(counts, ["date", "group"], cats).rename(columns={"group": "category"})
    yearly = pa.year_end(monthly)
    series, x = monthly, "date"
    print(f"{monthly['date'].nunique()} months, {monthly['date'].min():%b %Y} - {monthly['date'].max():%b %Y}")
else:
    countries = sorted(pko.load("personnel_by_country")["country"].unique())
    chosen = None if contributors is None else nb.subset("contributors", contributors, countries)
    yearly = pa.curated_shares(cats, first_month.year, last_month.year)
    series, x = yearly, "year"
    print(f"curated yearly shares: {len(yearly)} figures, {yearly['year'].min()}-{yearly['year'].max()}")
latest = yearly.sort_values("year").groupby("category").tail(1).set_index("category")
pko.results.record("latest_share_pct", {c: round(float(v), 2) for c, v in latest["share_pct"].items()})
latest[["year", "share_pct"]]

# %% [markdown]
# ## Share over time, with the parity targets
#
# Stars mark the targets in each category's colour: the 2009 Global Effort (2014), and the Uniformed
# Gender Parity Strategy (2021, 2025, 2028).

# %%
fig, ax = plt.subplots(figsize=(8, 4.2))
title = "Women's share of uniformed personnel" + ("" if chosen is None else f" ({', '.join(chosen)})")
plots.share_over_time(series, x=x, hue="category", targets=targets if x == "year" else None, ax=ax, title=title)
plots.save(fig, out / "share_over_time.png")
plt.show()
yearly.pivot_table(index="year", columns="category", values="share_pct").round(2)

# %% [markdown]
# ## Growth named in the 2011 report
#
# The 2011 State Department report compares 1,016 women in 2005 with 3,332 in 2010 (31 August 2010 in
# the UN gender statistics).

# %%
w2005, w2010 = pa.women_count(2005), pa.women_count(2010, 8)
grew = pa.growth(w2005, w2010, 2005, 2010)
print(f"{w2005:,} women (2005) -> {w2010:,} (Aug 2010): x{grew.estimate:.2f}, "
      f"+{grew.detail['change']:,.0f}, {grew.detail['yearly_growth_pct']:.1f}% a year")
pko.results.record("growth_2005_2010_ratio", round(grew.estimate, 3))

# %% [markdown]
# ## Gap to the targets and projected year of reaching them
#
# The gap is the target minus the share observed (for past target years, the last share up to that
# year). The projection extends each category's linear trend in the years shown; it says "not reached
# by" where the trend never gets to the target before the horizon.

# %%
gap = pa.parity_gap(yearly, targets)
display(gap.round(2))
proj = pa.projections(yearly, targets, horizon)
for r in proj.itertuples():
    print(f"{r.category}: {r.target_pct:.0f}% target for {r.target_year} -> {r.projected} "
          f"(trend {r.slope_pp_per_year:+.2f} points a year, {r.n} years)")
pko.results.record("projections", {f"{r.category}_{r.target_year}": r.projected for r in proj.itertuples()})

# %% [markdown]
# ## Contributors
#
# Who deploys the most women, each contributor's own share (with intervals that widen for small
# contingents), and how concentrated women's deployment is.

# %%
if gs_path is not None:
    when = counts["date"].max()
    ranking = pa.contributor_ranking(counts, when, top_n=top_n).rename(columns={"contributor": "country"})
    everyone = pa.shares_by(counts[counts["date"] == when], ["contributor"], ["all_uniformed"])
    label = f"{when:%d %b %Y}"
else:
    year, month = pa.curated_contributor_dates(first_month.year, last_month.year)[-1]
    everyone = pa.curated_contributors(year, month, contributors=chosen)
    ranking = everyone.head(top_n)
    label = f"{year}-{month:02d}"
top5 = pa.concentration(everyone["women"], 5)
print(f"{label}: {len(everyone)} contributors; the top 5 deploy {top5:.1f}% of all women")
pko.results.record("top5_share_of_women_pct", round(top5, 2))
pko.results.record("top_contributors", {r.country: int(r.women) for r in ranking.itertuples()})
fig, ax = plt.subplots(figsize=(7, 0.35 * len(ranking) + 1.5))
overall = 100 * everyone["women"].sum() / everyone["personnel"].sum()
plots.dot_shares(ranking, y="country", ax=ax, reference=overall,
                 title=f"Women's share by contributor, {label} (dashed: all shown)")
plots.save(fig, out / "contributors.png")
plt.show()
ranking[["country", "women", "personnel", "share_pct", "ci_low", "ci_high"]].round(2)

# %% [markdown]
# ## Missions
#
# Women's share by mission and year (year-end), from the monthly statistics.

# %%
if gs_path is not None:
    by_mission = pa.year_end(pa.shares_by(counts, ["date", "mission"], ["all_uniformed"]))
    keep = by_mission.groupby("mission")["personnel"].sum().sort_values(ascending=False).head(15).index
    fig, ax = plt.subplots(figsize=(8, 5))
    plots.heatmap(by_mission[by_mission["mission"].isin(keep)], x="year", y="mission", value="share_pct",
                  annot=True, fmt=".1f", ax=ax, title="Women, % of uniformed personnel, by mission (year end)")
    plots.save(fig, out / "mission_year_share.png")
    plt.show()
else:
    by_mission = None
    print("mission x year: needs gender_statistics (the curated data have no mission split)")

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
# Yearly shares are women over personnel in the months the file has that year (2013-2016 lack one
# month each, 2017 has five). The mission x month file sums all uniformed types: it gives **all
# uniformed personnel only, not categories**; the UN's own `odp_contributionsbygender.csv` splits them.

# %%
mm_path = nb.input_file("contributions_mission_month", contributions_mission_month)
if mm_path is not None:
    from pkoresearch import panel as pn
    from pkoresearch.readers.un_contributions import read_monthly

    monthly_un = read_monthly(mm_path)
    un_groups = cats if monthly_un.split_by_type else ["all_uniformed"]
    if not monthly_un.split_by_type:
        print(f"{mm_path.name} gives all uniformed personnel only: categories are not split in this file")
    un_years = pn.shares_by_year(monthly_un, un_groups)
    un_years = un_years[un_years["year"].between(max(first_month.year, 2010), min(last_month.year, 2021))]
    partial = un_years.loc[~un_years["complete"], ["year", "months_covered"]].drop_duplicates()
    print("months covered, partial years: " + ", ".join(f"{r.year} ({r.months_covered})" for r in partial.itertuples()))
    combined = pd.concat([yearly[["year", "category", "share_pct"]].assign(category=lambda d: d["category"] + (" (curated)" if gs_path is None else " (gender statistics)")),
                          un_years[["year", "category", "share_pct"]].assign(category=lambda d: d["category"] + " (UN contributions)")],
                         ignore_index=True)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    plots.share_over_time(combined, x="year", hue="category", ax=ax,
                          title="Women's share of uniformed personnel: curated figures and UN contributions by gender")
    plots.save(fig, out / "share_over_time_un_contributions.png")
    plt.show()
    pko.results.record("share_by_year_un_contributions",
                       {f"{r.category} {r.year}": round(r.share_pct, 2) for r in un_years.itertuples()})
    display(un_years.pivot_table(index="year", columns="category", values="share_pct").round(2))
else:
    print("2010-2021 shares by year and mission: needs contributions_mission_month")

# %% [markdown]
# Women's share by mission and year (mean of the months present), for the ten missions with the most
# uniformed personnel; a blank cell is a year in which the mission had no personnel, not a zero.

# %%
if mm_path is not None:
    per_mission = pn.personnel_by_mission_year(monthly_un)
    per_mission = per_mission[per_mission["year"].between(max(first_month.year, 2010), min(last_month.year, 2021))]
    chosen_un = None if missions is None else nb.subset("missions", missions, sorted(per_mission["mission"].unique()))
    if chosen_un is None:
        chosen_un = per_mission.groupby("mission")["exposure"].sum().sort_values(ascending=False).head(10).index.tolist()
    shown = per_mission[per_mission["mission"].isin(chosen_un)]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plots.share_over_time(shown, x="year", hue="mission", ax=ax,
                          title="Women's share of uniformed personnel by mission (UN contributions by gender)")
    plots.save(fig, out / "mission_share_un_contributions.png")
    plt.show()
    display(shown.pivot_table(index="mission", columns="year", values="share_pct").round(1))
    print(f"Source: UN Department of Peace Operations, uniformed personnel contributions by gender ({mm_path.name})")

# %% [markdown]
# ## Sources

# %%
cited = [targets]
if gs_path is None:
    cited.append(yearly.dropna(subset=["source_id"]))
    cited.append(everyone)
nb.print_sources(cited, [] if gs_path is None else [f"UN monthly gender statistics: {gs_path.name}"])
