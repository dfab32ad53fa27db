# %% [markdown]
# # Allegation trends
#
# How many allegations of sexual exploitation and abuse were reported against UN peacekeeping
# personnel each year, at what rate per uniformed personnel, how the rate changed between two periods,
# and whether it moved around the policy dates. Without `allegations_table` the notebook uses the bundled
# curated yearly series (2004-2024); with a UN "table of allegations" export it counts the allegations
# themselves (from 2015) by category, mission, outcome and children involved. The two are never joined
# into one series.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
# fmt: off
start_year: int = 2008  # first reporting year (2008: the UN tracking system starts; earlier counts were compiled differently)
end_year: int = 2024  # last reporting year
missions: "Optional[list]" = None  # mission acronyms such as ["MINUSCA"]; None for all missions
personnel_categories: "Optional[list]" = None  # "military", "police", "civilian"; None for all; needs allegations_table
count_by: str = "reporting_year"  # year an allegation is counted in: "reporting_year" (when the UN recorded it) or "incident_year" (when the incident began; needs allegations_table)
breakpoints: list = [2016]  # years where the segmented model allows a change in level and slope (two years of data before each needed)
rate_per: int = 1000  # rates are allegations per this many uniformed personnel
compare: list = [2021, 2016]  # rate ratio of the first year over the second (each a year or [first, last])
allegations_table: str = "auto"  # UN table of allegations: a path (.xlsx or .csv), a registry name (un_allegations), "auto" (the cached un_allegations, else the bundled curated series) or "bundled"
contributions_mission_month: str = "auto"  # UN contributions by gender, mission x month (monthly denominators, mission activity): a path, a registry name (un_contributions_mission_month), "auto" (the cached file, else year-end denominators and mission activity unknown) or "bundled"
model_family: str = "quasipoisson"  # count model: "quasipoisson" (default, safe with few years), "negbin", "poisson" or "auto" (a dispersion test picks)
output_dir: str = ""  # folder for figures and results.json; "" means reports/01_allegation_trends
# fmt: on

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch.analysis import trends
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_mission_month
from pkoresearch.figures import captions, plots, tables

start_year, end_year = nb.year_range(start_year, end_year, lo=2003, hi=2030)
table_path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
mission_month_path = nb.dataset_input(
    "contributions_mission_month", contributions_mission_month, "un_contributions_mission_month"
)
model_family = nb.choice(
    "model_family", model_family, ["quasipoisson", "negbin", "poisson", "auto"]
)
rate_per = nb.positive_number("rate_per", rate_per)
compare = nb.periods("compare", compare, count=2)
breakpoints = nb.years_list("breakpoints", breakpoints)
if personnel_categories is not None and table_path is None:
    raise pko.errors.ParameterError(
        "parameter personnel_categories: the curated series has no personnel split; "
        "expected None, or an allegations_table to count by category"
    )
count_by = nb.choice("count_by", count_by, list(trends.COUNT_BY))
if count_by == "incident_year" and table_path is None:
    raise pko.errors.ParameterError(
        "parameter count_by: the curated series counts by reporting year only; expected "
        "'reporting_year', or an allegations_table to count by incident year"
    )
categories = (
    None
    if personnel_categories is None
    else nb.subset("personnel_categories", personnel_categories, ["military", "police", "civilian"])
)
out = nb.output_dir(output_dir, "01_allegation_trends")
nb.display_options()
print(
    nb.data_used(
        "allegations_table",
        "yearly counts and every section below, including by category, mission, "
        "outcome, children, reporting lag and revisions",
        "yearly counts from the bundled curated series; the sections by category, mission, outcome, "
        "children, reporting lag and revisions need the table",
    )
)
print(
    nb.data_used(
        "contributions_mission_month",
        "monthly-mean denominators and which missions had personnel each year",
        "year-end denominators; whether a mission had personnel in a year is unknown",
    )
)
pko.results.using(nb.source_of("allegations_table"))  # each headline number names its data

# %% [markdown]
# ## How to read these counts
#
# - The unit is the **allegation**: one report of an incident, not a victim and not a perpetrator. An
#   allegation naming several personnel categories or nationalities is counted once in each of them.
# - Counts are by **reporting year** by default, and each year's report revises earlier years (see the
#   revisions table below when a UN export is given). Many allegations concern incidents of earlier
#   years (reported late): with a UN export, `count_by="incident_year"` counts each allegation in the
#   year its incident began instead (the reporting year where the export gives none, and the notebook
#   says how many), and the table below gives both counts side by side. Incident-year counts of the
#   export's first years lack incidents reported before 2015, those of recent years incidents not
#   yet reported.
# - The UN's headline figures counted peacekeeping operations; from the 2016 figures on (the first year
#   with such a figure in the curated data, and the first with special political mission allegations in
#   the UN export) they count special political missions too. The curated series says which scope each
#   year has, and the models carry the change as `counting_2016`, derived from the data.
# - The UN tracking system starts in 2008: earlier counts were compiled differently.
# - **Coverage.** A count exists only inside its source's coverage (the export: its first to last
#   reporting month; the curated series: the years with a sourced figure). Outside it the count is
#   missing (`<NA>`), never 0. A year covered in part (the export's last months) has `complete` False,
#   is drawn as an open marker, and stays out of totals, rate ratios and models.
# - **One definition per series.** Each series says what it counts (`definition`); where the definition
#   changes inside the window (2008, 2017) the models carry an indicator for the change.

# %%
table = None
if table_path is not None:
    raw_table = read_table_of_allegations(table_path)
    all_missions, former = trends.mission_names(raw_table)  # MONUC -> MONUSCO, both accepted
    chosen = None if missions is None else nb.subset("missions", missions, all_missions)
    if chosen is not None and set(chosen) & set(former):
        print(
            nb.wrap(
                "; ".join(
                    f"{m} selects {former[m]} (its renamed successor, with the allegations "
                    f"filed under {m})"
                    for m in chosen
                    if m in former
                )
            )
        )
        chosen = sorted(set(pko.missions.harmonise(chosen).astype(str)))
    table = trends.select(raw_table, start_year, end_year, chosen, categories, count_by=count_by)
    print(
        f"{raw_table.counts['rows_in_file']} allegations in the export, reported up to "
        f"{raw_table.as_of:%B %Y}; {table.counts['selected']} selected "
        f"(filters: {', '.join(f'{tables.category(k)} {v}' for k, v in table.counts.items() if k.startswith('after'))})"
    )
    print(f"{len(raw_table.unrecognised)} cell value(s) not recognised (kept raw)")
    print(
        f"{raw_table.counts['identical_rows']} row(s) identical to an earlier row, kept as separate "
        f"allegations (the UN counts each); {raw_table.counts['repeated_rows_left_out']} left out as "
        "copies of a paste"
    )
    print(
        f"counted by {count_by.replace('_', ' ')}: {trends.COUNT_BY[count_by]}"
        + (
            f"; {trends.fell_back(table, count_by)} of {table.counts['selected']} selected "
            "allegations have no incident start year and are counted in their reporting year"
            if count_by == "incident_year"
            else ""
        )
    )
    print(nb.wrap(trends.former_names_note(table)))
    pko.results.record("count_by", count_by, unit="text")
    pko.results.record(
        "counted_in_reporting_year_for_want_of_incident_year",
        trends.fell_back(table, count_by),
        unit="count",
    )
else:
    chosen = None if missions is None else nb.subset("missions", missions, trends.mission_choices())
    print("Bundled curated series (no allegations_table given)")
mission_month = None if mission_month_path is None else read_mission_month(mission_month_path)
counts = trends.yearly(start_year, end_year, chosen, table, count_by=count_by)
coverage = trends.coverage_of(chosen, table)
summary = trends.year_summary(counts)
counted = counts.dropna(subset=["allegations"])["year"]
span = (counted.min(), counted.max()) if len(counted) else (start_year, end_year)
# what every figure and table below shows, named in its title (a sweep's figures differ by it)
selection = captions.selection(chosen, categories, years=span)
data_note = (
    f"UN, Conduct in UN Field Missions, table of allegations ({raw_table.as_of:%B %Y} export)"
    if table is not None
    else "the curated series bundled with pkoresearch (each figure's source in data/sources.csv)"
)
print(nb.wrap(coverage.describe(start_year, end_year)))
for d in trends.definitions(counts).itertuples():
    print(nb.wrap(f"{d.first_year}-{d.last_year}: {d.definition}", indent="    "))
print(
    f"total of the {len(summary['by_year'])} complete years: {summary['total_complete']:,}"
    + "".join(
        f"; kept apart, {y} ({p['months_covered']} months, partial): {p['allegations']}"
        for y, p in summary["partial"].items()
    )
)
pko.results.record(
    "allegations_by_year", {str(y): n for y, n in summary["by_year"].items()}, unit="count"
)
pko.results.record("allegations_total", summary["total_complete"], unit="count")
pko.results.record(
    "allegations_partial_years", {str(y): p for y, p in summary["partial"].items()}, unit="count"
)
pko.results.record("years_not_covered", summary["not_covered"], unit="year")
tables.save_table(
    counts[["year", "allegations", "months_covered", "complete"]],
    out / "tables" / "yearly_counts",
    title=f"Allegations by reporting year ({selection})",
    source=data_note,
    labels={"months_covered": "Months covered", "complete": "Whole year covered"},
)

# %% [markdown]
# ## Reporting year and incident year
#
# The same allegations counted in the year the UN recorded them and in the year the incident began
# (*No incident year, counted by report year*: allegations without an incident start year, counted
# in their reporting year either way), then, by reporting year, how old the incidents reported were.
# Allegations about incidents two or more years old make a reporting-year count a mix of recent
# abuse and late reports; the incident-year count of recent years will still grow as late reports
# arrive.

# %%
if table is not None:
    every_year = trends.select(raw_table, None, None, chosen, categories)
    sensitivity = trends.counting_sensitivity(every_year, start_year, end_year)
    display(
        tables.for_display(
            sensitivity.dropna(subset=["reporting_year"]),
            labels={"reporting_year": "By reporting year", "incident_year": "By incident year"},
        )
    )
    ages = trends.incident_age(trends.select(raw_table, start_year, end_year, chosen, categories))
    display(tables.for_display(ages.round(3)))
    known = ages["allegations"].sum() - ages["no_incident_year"].sum()
    old = ages["two_or_more_years_before"].sum()
    print(
        f"{old} of {ages['allegations'].sum()} allegations reported {ages['year'].min()}-{ages['year'].max()} "
        f"({old / known:.0%} of the {known} with an incident year) concern incidents that began two or "
        "more years before they were reported"
    )
    pko.results.record(
        "allegations_by_incident_year",
        {
            str(r.year): int(r.incident_year)
            for r in sensitivity.dropna(subset=["incident_year"]).itertuples()
        },
        unit="count",
    )
    pko.results.record(
        "incidents_two_or_more_years_old_by_reporting_year",
        {str(r.year): int(r.two_or_more_years_before) for r in ages.itertuples()},
        unit="count",
    )
else:
    print(
        "reporting year and incident year: needs allegations_table (the curated series counts by reporting year)"
    )

# %% [markdown]
# ## Rates per uniformed personnel
#
# Exact Poisson intervals; the count stays beside the rate. The numerator and the denominator should
# count the same people: with a UN export the rate uses the allegations naming uniformed personnel
# (military or police) over uniformed personnel; the curated headline figure also counts civilians (and
# from 2017 special political missions), which the cell says. Personnel are the curated year-end totals
# (1992-2021), or, with `contributions_mission_month`, the mean of the months available each year
# (2010-2022). The axis names which: per personnel-year (mean of monthly counts) or per personnel at
# year end. A partial year's rate uses the months it covers and is drawn as an open marker. A
# denominator resting on fewer than three months of personnel figures (2022 in the mission x month
# file: January only) gives a rate that is shown as an open marker ("partial denominator",
# `denominator_complete` False) and left out of the models.

# %%
basis = trends.rate_basis(
    start_year, end_year, chosen, categories, table, mission_month, count_by=count_by
)
print(nb.wrap(basis.numerator))
print(nb.wrap(basis.denominator))
rated = None
if basis.personnel is not None:
    rated = trends.rates(basis.counts, basis.personnel, per=rate_per)
    shown = rated.dropna(subset=["rate"])
    print(f"{len(shown)} years with a rate, {shown['year'].min()}-{shown['year'].max()}")
    fig, ax = plt.subplots()
    plots.trend(
        rated,
        y="rate",
        breakpoints=breakpoints,
        ax=ax,
        counting_changes=list(trends.counting_changes(rated)),
        ylabel=trends.rate_unit(basis.personnel, rate_per),
        source=[rated, basis.personnel, table, mission_month],
        title=f"Allegations per uniformed personnel, exact 95% intervals\n{selection}",
    )
    plots.save(fig, out / "rate_trend.png", show=True)
    months = (
        ["personnel_months"] if "personnel_months" in rated else []
    )  # months averaged, with a mission x month file
    display(
        tables.save_table(
            rated.dropna(subset=["allegations"])[
                [
                    "year",
                    "allegations",
                    "personnel",
                    *months,
                    "rate",
                    "ci_low",
                    "ci_high",
                    "complete",
                    "denominator_complete",
                ]
            ],
            out / "tables" / "rates",
            title=f"Allegations per {rate_per:,.0f} uniformed personnel ({selection})",
            source=f"{data_note}; {basis.denominator}",
            labels={
                "personnel": "Personnel (person-years)",
                "rate": f"Rate per {rate_per:,.0f}",
                "ci_low": "95% CI, low",
                "ci_high": "95% CI, high",
                "complete": "Whole year covered",
                "denominator_complete": "Denominator from 3+ months",
                **({"personnel_months": "Months of personnel figures"} if months else {}),
            },
            decimals={"personnel": 0, "rate": 3, "ci_low": 3, "ci_high": 3},
        )
    )

# %% [markdown]
# ## Change between two periods
#
# Rate ratio with the exact conditional (binomial) test: given the total of both periods, how the
# allegations split between them compared with the split of personnel.

# %%
why = (
    "no rate"
    if rated is None
    else trends.change_unavailable(rated, compare[0], compare[1], coverage)
)
if why is None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pko.errors.MeasurementBreakWarning)
        rr = trends.change(rated, compare[0], compare[1])
    print(
        f"rate ratio {rr.detail['period1']} vs {rr.detail['period0']}: {rr} "
        f"(exact conditional test p = {rr.p_value:.3f}); counts {rr.detail['count1']} vs {rr.detail['count0']}"
    )
    for w in caught:
        print(nb.wrap(f"caution: {w.message}"))
    pko.results.record("rate_ratio", round(rr.estimate, 4), unit="ratio")
    pko.results.record("rate_ratio_ci", [round(rr.ci_low, 4), round(rr.ci_high, 4)], unit="ratio")
    pko.results.record("rate_ratio_p_value", round(rr.p_value, 4), unit="p_value")
else:
    note = (
        f"rate ratio {compare[0]} vs {compare[1]}: not computed: {why}. Set compare to complete "
        "years with a count and personnel."
    )
    print(nb.wrap(note))
    pko.results.record("rate_ratio_note", note, unit="text")

# %% [markdown]
# ## Trend and changes around policy dates
#
# A log-linear count model with offset log(personnel-years): the year IRR is the yearly multiplicative
# change in the rate. By default a quasi-Poisson model (Poisson mean, variance scaled by the Pearson
# dispersion, t intervals): with a handful of yearly points a test cannot reliably choose between Poisson
# and negative binomial, and a Poisson fit on overdispersed counts gives intervals that are too narrow.
# Partial years are left out. Where the series' definition changes inside the window (the tracking
# system in 2008, special political missions added from 2016) the models carry a level
# indicator for the change, so that a jump in counting is not read as a trend.
#
# The segmented model adds a change of level and of slope at each breakpoint. These describe how the
# rate changed **around** the policy dates; they are associations in time, not effects of the policies
# (other things changed in the same years, and one year can drive a level change: see the leave-one-out
# table). A breakpoint needs two complete years with rates before it: where the series above starts too
# late (the UN export starts in 2015), the segmented model is fitted on the curated headline series
# instead, on its own, and the cell says so.

# %%
model_years = [] if rated is None else trends.model_years(rated)
model = None
if len(model_years) > 2:
    try:
        model = trends.trend(rated, family=model_family)
    except pko.errors.NotEstimable as exc:
        print(nb.wrap(f"trend model: not fitted ({exc})"))
if model is not None:
    year_irr = model.irr.set_index("term").loc["year_c"]
    print(nb.wrap(model.reason))
    print(
        f"IRR per year {year_irr.irr:.3f} (95% CI {year_irr.ci_low:.3f}-{year_irr.ci_high:.3f}), "
        f"{model.n} complete years {model.fitted['year'].min()}-{model.fitted['year'].max()}"
    )
    pko.results.record("irr_per_year", round(float(year_irr.irr), 4), unit="ratio")
    pko.results.record(
        "irr_per_year_ci",
        [round(float(year_irr.ci_low), 4), round(float(year_irr.ci_high), 4)],
        unit="ratio",
    )
    pko.results.record("trend_model", model.family, unit="text")
    pko.results.record("trend_dispersion", round(model.dispersion, 3), unit="number")
    pko.results.record("trend_years", [int(y) for y in model.fitted["year"]], unit="year")
elif len(model_years) <= 2:
    print(
        f"trend model: not fitted (needs a denominator and more complete years than model parameters; "
        f"{len(model_years)} complete year(s) with a rate)"
    )

# %%
pick = trends.series_for_breakpoints(
    rated, breakpoints, start_year, end_year, chosen, categories, per=rate_per
)
seg_rated, kept = pick.rated, pick.kept
if kept:
    print(nb.wrap(f"segmented model on {pick.text}"))
if pick.dropped:
    print(
        f"breakpoints {pick.dropped} left out: outside the complete years with rates (two years before needed)"
    )
seg = None
if kept:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pko.errors.MeasurementBreakWarning)
        try:
            seg = trends.segmented(seg_rated, kept, family=model_family)
        except pko.errors.ParameterError as exc:
            print(nb.wrap(f"segmented model: not fitted ({exc})"))
if seg is not None:
    for w in caught:
        print(nb.wrap(f"caution: {w.message}"))
    print(nb.wrap(seg.reason))
    seg_years = f"{int(seg.fitted['year'].min())}-{int(seg.fitted['year'].max())}"
    display(
        tables.save_table(
            seg.irr.assign(term=seg.irr["term"].map(trends.term_label)),
            out / "tables" / "segmented_model",
            title=f"Segmented {seg.family} model: incidence rate ratios, complete years {seg_years}",
            source=data_note
            if seg_rated is rated
            else "the curated headline series bundled with pkoresearch",
            labels={
                "term": "Term",
                "irr": "Incidence rate ratio",
                "ci_low": "95% CI, low",
                "ci_high": "95% CI, high",
            },
            decimals={c: 3 for c in seg.irr.columns if c != "term"},
        )
    )
    seg_source = nb.source_of("allegations_table") if seg_rated is rated else "bundled"
    pko.results.record(
        "segmented_irr",
        {
            r.term: [round(r.irr, 4), round(r.ci_low, 4), round(r.ci_high, 4)]
            for r in seg.irr.itertuples()
            if r.term != "const"
        },
        dataset=seg_source,
        unit="ratio",
    )
    fitted = seg_rated.merge(seg.fitted[["year", "fitted"]], on="year", how="left")
    fitted["fitted_rate"] = fitted["fitted"] / fitted["exposure"] * rate_per
    fig, ax = plt.subplots()
    plots.trend(
        fitted,
        y="rate",
        fitted="fitted_rate",
        breakpoints=kept,
        ax=ax,
        counting_changes=list(trends.counting_changes(seg_rated)),
        ylabel=trends.rate_unit(
            basis.personnel if seg_rated is rated else trends.personnel_by_year(), rate_per
        ),
        source=[seg_rated, basis.personnel, table, mission_month]
        if seg_rated is rated
        else [seg_rated, trends.personnel_by_year()],
        title=f"Segmented {seg.family} model, breakpoints {', '.join(map(str, kept))}\n"
        + captions.selection(chosen, categories, years=seg_years.split("-")),
    )
    plots.save(fig, out / "segmented.png", show=True)
    loo = trends.leave_one_out(seg_rated, kept, family=model_family)
    print("Leave one year out: the level and slope IRRs refitted without each year in turn")
    display(tables.for_display(trends.leave_one_out_table(loo).round(3)))
    spread = trends.leave_one_out_range(loo)
    display(
        spread.assign(term=spread["term"].map(trends.term_label))
        .rename(
            columns={
                "irr_all_years": "IRR, all years",
                "irr_min": "lowest IRR",
                "left_out_min": "lowest without",
                "irr_max": "highest IRR",
                "left_out_max": "highest without",
                "not_estimable_without": "not estimable without",
            }
        )
        .round(3)
    )
    pko.results.record(
        "leave_one_out_range",
        {r.term: [round(r.irr_min, 4), round(r.irr_max, 4)] for r in spread.itertuples()},
        dataset=seg_source,
        unit="ratio",
    )
    pko.results.record(
        "leave_one_out_not_estimable",
        {
            r.term: f"without {r.not_estimable_without}"
            for r in spread.itertuples()
            if r.not_estimable_without
        },
        dataset=seg_source,
        unit="text",
    )
elif not kept:
    print("segmented model: not fitted (no usable breakpoint)")

# %% [markdown]
# ## What the allegation-level table adds
#
# With a UN export: allegations by personnel category and mission, outcomes as of the table's date
# (recent years hold more pending cases), the share involving children, how long after the incident
# allegations are reported, and how the table's counts differ from the figures first published. Every
# table by year carries `complete` (False: the export covers only part of that year).

# %%
if table is not None and table.counts["selected"] == 0:
    print(
        nb.wrap(
            f"No allegation in the selection (filters: {', '.join(f'{tables.category(k)} {v}' for k, v in table.counts.items() if k.startswith('after'))}): "
            "nothing to show by category, outcome, children or reporting lag; the mission-year table shows the zeros."
        )
    )
elif table is not None:
    by_category = trends.count_by(table, "personnel_category", count_by=count_by)
    fig, ax = plt.subplots()
    plots.stacked_counts(
        trends.with_coverage(by_category, coverage),
        hue="personnel_category",
        ax=ax,
        order=["military", "police", "civilian"],
        source=table,
        title=f"Allegations by personnel category (counted once per category)\n{selection}",
    )
    plots.save(fig, out / "by_category.png", show=True)
    wide = (
        by_category.pivot(index="year", columns="personnel_category", values="allegations")
        .fillna(0)
        .astype(int)
    )
    display(tables.for_display(trends.with_coverage(wide.reset_index(), coverage)))

# %% [markdown]
# A mission-year shows 0 only where the mission had uniformed personnel that year (from
# `contributions_mission_month`) and the export covers the year. "-": no uniformed personnel in the
# personnel file that year (not yet deployed, closed, or a political mission without uniformed personnel
# then); "?": unknown (no personnel file, a year after it ends, or a mission it does not list). Years
# the export does not cover are left out. Allegations reported after a mission closed stay counted.
# Counting by reporting year, a cell outlined in black is mostly old incidents: more than half of its
# allegations concern incidents that began two or more years before the year they were reported in,
# so the cell shows late reporting rather than abuse in that year. MONUSCO's counts include the
# allegations the export still files under its former name, MONUC (the table below says how many).

# %%
if table is not None:
    by_mission = trends.mission_year(
        table, start_year, end_year, mission_month, missions=chosen, count_by=count_by
    )
    covered = by_mission[by_mission["status"] != "not covered"]
    top = trends.mission_totals(covered).head(12)["mission"]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    plots.heatmap(
        covered[covered["mission"].isin(top)],
        x="year",
        y="mission",
        value="allegations",
        annot=True,
        note="mark",
        flag="mostly_old",
        flag_label="most concern incidents 2+ years earlier",
        ax=ax,
        title=f"Allegations by mission and {count_by.replace('_', ' ')} (12 largest)\n{selection}",
        source=[table, mission_month],
    )
    plots.save(fig, out / "mission_year.png", show=True)
    print(nb.wrap(trends.mission_activity_note(mission_month)))
    display(tables.for_display(trends.mission_year_display(by_mission, list(top))))
    totals = trends.mission_totals(covered)
    pko.results.record(
        "allegations_by_mission",
        {
            r.mission: r.allegations_complete_years
            for r in totals.itertuples()
            if pd.notna(r.allegations_complete_years)
        },
        unit="count",
    )
    pko.results.record(
        "allegations_by_mission_partial_years",
        {
            r.mission: r.allegations_partial_years
            for r in totals.itertuples()
            if pd.notna(r.allegations_partial_years)
        },
        unit="count",
    )

# %%
if table is not None and table.counts["selected"] > 0:
    outcomes = trends.outcomes_by_year(table, count_by=count_by)
    long = outcomes.reset_index().melt(id_vars="year", var_name="result", value_name="allegations")
    fig, ax = plt.subplots()
    plots.stacked_counts(
        trends.with_coverage(long, coverage),
        hue="result",
        ax=ax,
        order=list(outcomes.columns),
        source=table,
        title=f"Investigation outcome as of {raw_table.as_of:%B %Y}\n{selection}",
    )
    plots.save(fig, out / "outcomes.png", show=True)
    display(tables.for_display(trends.with_coverage(outcomes.reset_index(), coverage)))
    children = trends.with_coverage(trends.child_share(table, count_by=count_by), coverage)
    display(tables.for_display(children.round(3)))
    done = children[children["complete"].fillna(False).astype(bool)]
    pko.results.record(
        "share_involving_children",
        round(float(done["with_child"].sum() / done["allegations"].sum()), 4),
        unit="share",
    )
    lags = trends.with_coverage(trends.lag_summary(trends.report_lag(table)), coverage)
    display(tables.for_display(lags.round(3)))

# %%
if table is not None and count_by != "reporting_year":
    print("revisions: shown when counting by reporting year only (the published figures are)")
elif table is not None and missions is None and categories is None:
    rev = pko.curated.revisions(start_year, end_year, table=counts).dropna(subset=["table"])
    print(
        nb.wrap(
            "Each year's count as first published (the earliest report or page giving it) and as "
            "last revised, against the table's count now ('Table complete' False: the export covers "
            "only part of that year). " + rev.attrs["definition"] + "."
        )
    )
    display(
        tables.for_display(
            rev[
                [
                    "year",
                    "first_value",
                    "first_document",
                    "first_date",
                    "first_known_value",
                    "latest_value",
                    "latest_document",
                    "table",
                    "table_minus_first",
                    "table_minus_latest",
                    "table_complete",
                ]
            ]
        )
    )
    rev_done = rev[rev["table_complete"] & rev["table_minus_first"].notna()]
    not_in_hand = rev.loc[rev["first_value"].isna(), ["year", "first_document"]]
    if len(not_in_hand):
        print(
            nb.wrap(
                "First published figure not in hand (the report that first published the year's "
                "data is known, its figure is not): "
                + ", ".join(f"{r.year} ({r.first_document})" for r in not_in_hand.itertuples())
                + "; 'Earliest known value' gives the earliest figure in hand."
            )
        )
    pko.results.record(
        "revisions",
        {str(r.year): int(r.table_minus_first) for r in rev_done.itertuples()},
        unit="count",
    )
elif table is not None:
    print(
        "revisions: shown for all missions and categories only (the published figures are totals)"
    )

# %% [markdown]
# ## Sources

# %%
cited = [counts["source_id"].dropna().str.split("; ").explode().to_frame()]
if basis.personnel is not None and "source_id" in basis.personnel:
    cited.append(basis.personnel[basis.personnel["year"].between(start_year, end_year)])
if seg is not None and seg_rated is not rated:  # the segmented model's own (curated) series
    cited.append(seg_rated["source_id"].dropna().str.split("; ").explode().to_frame())
    cited.append(trends.personnel_by_year().query("year in @trends.model_years(@seg_rated)"))
extra = (
    []
    if table_path is None
    else [f"UN Conduct in UN Field Missions, table of allegations export: {table_path.name}"]
)
if mission_month_path is not None:
    extra.append(
        f"UN Peacekeeping open data, uniformed personnel contributions by gender, mission x month: {mission_month_path.name}"
    )
nb.print_sources(cited, extra)
