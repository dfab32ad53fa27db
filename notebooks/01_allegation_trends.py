# %% [markdown]
# # Allegation trends
#
# How many allegations of sexual exploitation and abuse were reported against UN peacekeeping
# personnel each year, at what rate per uniformed personnel, how the rate changed between two periods,
# and whether it moved at the policy dates. Without `allegations_table` the notebook uses the bundled
# curated yearly series (2004-2024); with a UN "table of allegations" export it counts the allegations
# themselves (from 2015) by category, mission, outcome and children involved.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
start_year: int = 2015  # first reporting year (the UN table of allegations starts in 2015; the curated series in 2004, the UN tracking system in 2008)
end_year: int = 2024  # last reporting year
missions: "Optional[list]" = None  # mission acronyms such as ["MINUSCA"]; None for all missions
personnel_categories: "Optional[list]" = None  # "military", "police", "civilian"; None for all; needs allegations_table
breakpoints: list = [2017]  # years where the segmented model allows a change in level and slope (two years of data before each needed)
rate_per: int = 1000  # rates are allegations per this many uniformed personnel
compare: list = [2021, 2016]  # rate ratio of the first year over the second (each a year or [first, last])
allegations_table: str = "auto"  # UN table of allegations: a path (.xlsx or .csv), a registry name (un_allegations), "auto" (the cached un_allegations, else the bundled curated series) or "bundled"
output_dir: str = ""  # folder for figures and results.json; "" means reports/01_allegation_trends

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch import plots, trends
from pkoresearch.readers.un_conduct import read_table_of_allegations

start_year, end_year = nb.year_range(start_year, end_year, lo=2003, hi=2030)
table_path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
rate_per = nb.positive_number("rate_per", rate_per)
compare = nb.periods("compare", compare, count=2)
breakpoints = nb.years_list("breakpoints", breakpoints)
if personnel_categories is not None and table_path is None:
    raise pko.errors.ParameterError(
        "parameter personnel_categories: the curated series has no personnel split; "
        "expected None, or an allegations_table to count by category")
categories = None if personnel_categories is None else nb.subset(
    "personnel_categories", personnel_categories, ["military", "police", "civilian"])
out = nb.output_dir(output_dir, "01_allegation_trends")
nb.display_options()
print(nb.data_used("allegations_table", "yearly counts and every section below, including by category, mission, "
                   "outcome, children, reporting lag and revisions",
                   "yearly counts from the bundled curated series; the sections by category, mission, outcome, "
                   "children, reporting lag and revisions need the table"))

# %% [markdown]
# ## How to read these counts
#
# - The unit is the **allegation**: one report of an incident, not a victim and not a perpetrator. An
#   allegation naming several personnel categories or nationalities is counted once in each of them.
# - Counts are by **reporting year**, and each year's report revises earlier years (see the revisions
#   table below when a UN export is given).
# - Up to 2016 the UN reported peacekeeping operations; from the 2017 data on, peacekeeping and special
#   political missions together. The curated series follows the UN and says which scope each year has.
# - The UN tracking system starts in 2008: earlier counts were compiled differently.

# %%
table = None
if table_path is not None:
    raw_table = read_table_of_allegations(table_path)
    all_missions = sorted(raw_table.allegations["mission"].dropna().unique())
    chosen = None if missions is None else nb.subset("missions", missions, all_missions)
    table = trends.select(raw_table, start_year, end_year, chosen, categories)
    print(f"{raw_table.counts['rows_in_file']} allegations in the export, reported up to "
          f"{raw_table.as_of:%B %Y}; {table.counts['selected']} selected "
          f"(filters: {', '.join(f'{k} {v}' for k, v in table.counts.items() if k.startswith('after'))})")
    print(f"{len(raw_table.unrecognised)} cell value(s) not recognised (kept raw)")
else:
    chosen = None if missions is None else nb.subset(
        "missions", missions, sorted(pko.load("allegations_by_mission")["mission"].unique()))
    print("Bundled curated series (no allegations_table given)")
counts = trends.yearly(start_year, end_year, chosen, table)
shown_counts = counts[["year", "allegations", "source"]]
pko.results.record("allegations_by_year", dict(zip(counts["year"].astype(str), counts["allegations"])))
pko.results.record("allegations_total", int(counts["allegations"].sum()))
shown_counts

# %% [markdown]
# ## Rates per uniformed personnel
#
# Exact Poisson intervals; the count stays beside the rate. Personnel are the bundled year-end
# totals (1992-2021): later years keep their count without a rate.

# %%
personnel, denominator = trends.exposure_for(categories, chosen)
print(nb.wrap(denominator))
rated = None
if personnel is not None:
    rated = trends.rates(counts, personnel, per=rate_per)
    shown = rated.dropna(subset=["rate"])
    print(f"{len(shown)} years with a rate, {shown['year'].min()}-{shown['year'].max()}")
    fig, ax = plt.subplots()
    plots.trend(rated, y="rate", breakpoints=breakpoints, ax=ax,
                ylabel=f"allegations per {rate_per:,.0f} personnel",
                title="Allegations per uniformed personnel, exact 95% intervals")
    plots.save(fig, out / "rate_trend.png")
    plt.show()
    display(rated[["year", "allegations", "personnel", "rate", "ci_low", "ci_high"]])

# %% [markdown]
# ## Change between two periods
#
# Rate ratio with the exact conditional (binomial) test: given the total of both periods, how the
# allegations split between them compared with the split of personnel.

# %%
if rated is not None and nb.has_years(rated.dropna(subset=["rate"]), compare):
    rr = trends.change(rated, compare[0], compare[1])
    print(f"rate ratio {rr.detail['period1']} vs {rr.detail['period0']}: {rr} "
          f"(exact conditional test p = {rr.p_value:.3f}); counts {rr.detail['count1']} vs {rr.detail['count0']}")
    pko.results.record("rate_ratio", round(rr.estimate, 4))
    pko.results.record("rate_ratio_ci", [round(rr.ci_low, 4), round(rr.ci_high, 4)])
    pko.results.record("rate_ratio_p_value", round(rr.p_value, 4))
else:
    print(f"rate ratio {compare[0]} vs {compare[1]}: not available (needs counts and personnel for both periods)")

# %% [markdown]
# ## Trend and policy dates
#
# A log-linear count model with offset log(personnel): the year IRR is the yearly multiplicative change
# in the rate. The overdispersion test picks Poisson or negative binomial. The segmented model adds a
# change of level and of slope at each breakpoint; it warns where a breakpoint coincides with a change
# in counting, because part of a jump there can come from counting rather than behaviour.

# %%
if rated is not None and rated["rate"].notna().sum() > 2:
    model = trends.trend(rated)
    year_irr = model.irr.set_index("term").loc["year_c"]
    print(nb.wrap(model.reason))
    print(f"IRR per year {year_irr.irr:.3f} (95% CI {year_irr.ci_low:.3f}-{year_irr.ci_high:.3f}), "
          f"{model.n} years")
    pko.results.record("irr_per_year", round(float(year_irr.irr), 4))
    pko.results.record("irr_per_year_ci", [round(float(year_irr.ci_low), 4), round(float(year_irr.ci_high), 4)])
    pko.results.record("trend_model", model.family)
    kept, dropped = trends.usable_breakpoints(rated, breakpoints)
    if dropped:
        print(f"breakpoints {dropped} left out: outside the years with rates (two years before needed)")
    if kept and rated["rate"].notna().sum() > 2 + 2 * len(kept):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pko.errors.MeasurementBreakWarning)
            seg = trends.segmented(rated, kept)
        for w in caught:
            print("caution:", w.message)
        print(nb.wrap(seg.reason))
        display(seg.irr.round(3))
        fitted = rated.merge(seg.fitted[["year", "fitted"]], on="year", how="left")
        fitted["fitted_rate"] = fitted["fitted"] / fitted["personnel"] * rate_per
        fig, ax = plt.subplots()
        plots.trend(fitted, y="rate", fitted="fitted_rate", breakpoints=kept, ax=ax,
                    ylabel=f"allegations per {rate_per:,.0f} personnel",
                    title=f"Segmented {seg.family} model, breakpoints {', '.join(map(str, kept))}")
        plots.save(fig, out / "segmented.png")
        plt.show()
    else:
        print("segmented model: not fitted (no usable breakpoint, or too few years for its parameters)")
else:
    print("trend models: not fitted (needs a denominator and more years than model parameters)")

# %% [markdown]
# ## What the allegation-level table adds
#
# With a UN export: allegations by personnel category and mission, outcomes as of the table's date
# (recent years hold more pending cases), the share involving children, how long after the incident
# allegations are reported, and how the table's counts differ from the figures first published.

# %%
if table is not None:
    by_category = trends.count_by(table, "personnel_category")
    fig, ax = plt.subplots()
    plots.stacked_counts(by_category, hue="personnel_category", ax=ax,
                         order=["military", "police", "civilian"],
                         title="Allegations by personnel category (counted once per category)")
    plots.save(fig, out / "by_category.png")
    plt.show()
    display(by_category.pivot(index="year", columns="personnel_category", values="allegations").fillna(0).astype(int))
else:
    print("by personnel category: needs allegations_table")

# %%
if table is not None:
    by_mission = trends.count_by(table, "mission")
    top = by_mission.groupby("mission")["allegations"].sum().sort_values(ascending=False).head(12).index
    fig, ax = plt.subplots(figsize=(9, 4.5))
    plots.heatmap(by_mission[by_mission["mission"].isin(top)], x="year", y="mission",
                  value="allegations", annot=True, ax=ax, title="Allegations by mission and year (12 largest)")
    plots.save(fig, out / "mission_year.png")
    plt.show()
    pko.results.record("allegations_by_mission", {m: int(v) for m, v in by_mission.groupby("mission")["allegations"].sum().items()})
else:
    print("mission x year: needs allegations_table")

# %%
if table is not None:
    outcomes = trends.outcomes_by_year(table)
    long = outcomes.reset_index().melt(id_vars="year", var_name="result", value_name="allegations")
    fig, ax = plt.subplots()
    plots.stacked_counts(long, hue="result", ax=ax, order=list(outcomes.columns),
                         title=f"Investigation outcome as of {raw_table.as_of:%B %Y}")
    plots.save(fig, out / "outcomes.png")
    plt.show()
    display(outcomes)
    children = trends.child_share(table)
    display(children.round(3))
    pko.results.record("share_involving_children", round(float(children["with_child"].sum() / children["allegations"].sum()), 4))
    lags = trends.lag_summary(trends.report_lag(table))
    display(lags.round(3))
else:
    print("outcomes, children, reporting lag: need allegations_table")

# %%
if table is not None and missions is None and categories is None:
    rev = trends.revisions(counts, trends.curated_series(start_year, end_year),
                           last_complete=trends.last_complete_year(raw_table))
    print("Table counts against the figure first published for each year "
          "(table_complete False: the export covers only part of that year)")
    display(rev)
    pko.results.record("revisions", dict(zip(rev["year"].astype(str), rev["difference"].astype(int))))
else:
    print("revisions: need allegations_table with all missions and categories")

# %% [markdown]
# ## Sources

# %%
cited = [counts["source_id"].dropna().str.split("; ").explode().to_frame()]
if personnel is not None:
    cited.append(personnel[personnel["year"].between(start_year, end_year)])
nb.print_sources(cited, [] if table_path is None else [f"UN Conduct in UN Field Missions, table of allegations export: {table_path.name}"])
