# %% [markdown]
# # Contingents: women's share and allegations by contributor, mission and year
#
# Do national contingents that include a larger share of women see fewer allegations of sexual
# exploitation and abuse, per person deployed? Notebook 04 asks this of whole missions; a mission's
# share mixes many contingents, so it cannot say whether *contingents* with more women have fewer
# allegations (an ecological inference problem). Here the unit is the contingent: one contributing
# country's uniformed personnel in one mission in one year, joined to the allegations of the UN table
# of allegations that name that country among the nationalities of the uniformed personnel involved.
#
# What it estimates is an **association across contingents**, not the effect of deploying women (see
# "Why this is not an effect" below). It needs three files a researcher downloads (see the
# parameters); the bundled curated data have no personnel by contributor and mission.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
# fmt: off
start_year: int = 2015  # first year of the panel (the UN table of allegations starts in 2015)
end_year: int = 2020  # last year; 2021 is January only in the yearly personnel file (partial)
count_by: str = "reporting_year"  # year an allegation counts in: "reporting_year" or "incident_year" (start of the incident; reporting year where none is given)
personnel_type: str = "all_uniformed"  # allegations counted: "all_uniformed" (military or police), "military" or "police"
specification: str = "main"  # column the text reports: "main", "two_way", "mission_year", "contributor", "no_fe", "negbin", "lagged"
leave_out_contributors: list = []  # contributors left out of every model and table (ISO3 or UN name), e.g. ["ZAF"]
leave_out_missions: list = []  # missions left out, e.g. ["MINUSCA"]
weighting: str = "each"  # an allegation naming k nationalities: "each" (1 for each) or "fraction" (1/k each)
include_partial: bool = False  # model years the personnel data cover only in part (2021)
keep_suspect: bool = False  # keep contingent-years whose women's share is implausible against the contingent's neighbouring years
lag: int = 1  # years between the share and the allegations in the lagged-share column
bootstrap_reps: int = 999  # wild cluster bootstrap replications (fixed seed)
allegations_table: str = "auto"  # UN table of allegations export (.xlsx or .csv): a path, a registry name (un_allegations), "auto" (the cached file) or "bundled" (none: the notebook then says what it needs)
contributions_by_contributor: str = "auto"  # personnel by contributor and mission: the contributor x mission x year means, odp_contributionsbygender.csv or the IPI statistics; a path, a registry name (un_contributions_country_year), "auto" or "bundled"
contributions_mission_month: str = "auto"  # mission x month totals (.dta) that check and rescale the yearly means, and give notebook 04's comparison: a path, a registry name (un_contributions_mission_month), "auto" or "bundled"
output_dir: str = ""  # folder for figures, tables and results.json; "" means reports/05_contingents
# fmt: on

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch.analysis import contingents as cg
from pkoresearch.analysis import panel as pn
from pkoresearch.analysis import stats
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_monthly
from pkoresearch.figures import plots, tables

start_year, end_year = nb.year_range(start_year, end_year, lo=2010, hi=2030)
count_by = nb.choice("count_by", count_by, list(cg.COUNT_BY))
personnel_type = nb.choice("personnel_type", personnel_type, list(cg.PERSONNEL_TYPES))
specification = nb.choice(
    "specification",
    specification,
    [s for s in cg.SPECIFICATIONS if s not in ("military", "police")],
)
weighting = nb.choice("weighting", weighting, list(cg.WEIGHTING))
include_partial = nb.choice("include_partial", include_partial, [True, False])
keep_suspect = nb.choice("keep_suspect", keep_suspect, [True, False])
for name, value in [("lag", lag), ("bootstrap_reps", bootstrap_reps)]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise pko.errors.ParameterError(
            f"parameter {name}: found {value!r}; expected a whole number >= 1"
        )
for name, value in [
    ("leave_out_contributors", leave_out_contributors),
    ("leave_out_missions", leave_out_missions),
]:
    if not isinstance(value, list):
        raise pko.errors.ParameterError(f"parameter {name}: found {value!r}; expected a list")
out = nb.output_dir(output_dir, "05_contingents")
table_path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
contributor_path = nb.dataset_input(
    "contributions_by_contributor", contributions_by_contributor, "un_contributions_country_year"
)
month_path = nb.dataset_input(
    "contributions_mission_month", contributions_mission_month, "un_contributions_mission_month"
)
nb.display_options()
print(
    nb.data_used("allegations_table", "the allegations of every contingent", "no panel without it")
)
print(
    nb.data_used(
        "contributions_by_contributor", "exposure and women's share", "no panel without it"
    )
)
print(
    nb.data_used(
        "contributions_mission_month",
        "the check and rescaling of the yearly means, and notebook 04's comparison",
        "the yearly means cannot be checked: no panel from them",
    )
)
ready = table_path is not None and contributor_path is not None
pko.results.record("ready", ready, unit="text")
if not ready:
    needs = (
        "Needs allegations_table (a UN table of allegations export), contributions_by_contributor "
        "(UN contributions by gender by contributor and mission) and contributions_mission_month "
        "(the mission x month totals); nothing more to show. pkoresearch data fetch "
        "un_allegations un_contributions_country_year un_contributions_mission_month "
        "(or data import DIR) gets them."
    )
    print(nb.wrap(needs))
    pko.results.incomplete(needs)

# %% [markdown]
# ## How the panel is built
#
# - **Unit**: a contributor x mission x year in which the contributor had uniformed personnel in the
#   mission in the UN contributions-by-gender data (MONUC counted with MONUSCO, as the UN does).
# - **Exposure**: person-years, the contributor's mean personnel over the months the UN file has that
#   year. The yearly means file divides each year's sum by 12 even where months are absent from the
#   UN file; a year is rescaled by 12 / months present only where the months are known and the
#   rescaled year reproduces the mission x month file; 2021 holds January only and is flagged
#   `partial` (left out of the models unless `include_partial`). A contingent whose yearly mean
#   rounds to 0 in that file (a few persons for a month or two) has no cell. A contingent-year whose
#   women's share jumps more than 20 points away from the same contingent's share in the years before
#   and after (contingents of 50 or more) is flagged implausible, named below and left out unless
#   `keep_suspect` (Morocco in UNOCI 2016: 240 women of 302, where the mission x month file has about
#   870 women in four months against 98-170 in the others).
# - **Women's share**: the contingent's women over its uniformed personnel, in percent.
# - **Allegations**: those of the UN table of allegations against uniformed personnel (military or
#   police) that name the contributor in "Nationality". An allegation naming k nationalities counts
#   once for each (a sensitivity counts 1/k each: `weighting`). Zero where the contingent was deployed
#   and the export covers the year; missing outside its coverage.
# - Every uniformed allegation of the export counted in the chosen years is either in a cell or listed
#   below with its reason.

# %%
if ready:
    table = read_table_of_allegations(table_path)
    mission_month = read_monthly(month_path) if month_path is not None else None
    source = cg.read_contributor_file(contributor_path, mission_month)
    exposure = cg.exposure(source)
    panel = cg.build_panel(exposure, table, start_year, end_year, count_by, personnel_type)
    contributors = sorted(set(panel.data["iso3"].dropna()) | set(panel.data["contributor"]))
    left_contributors = (
        nb.subset("leave_out_contributors", leave_out_contributors, contributors)
        if leave_out_contributors
        else []
    )
    left_missions = (
        nb.subset("leave_out_missions", leave_out_missions, sorted(set(panel.data["mission"])))
        if leave_out_missions
        else []
    )
    for line in panel.describe():
        print(nb.wrap(line))
    print(nb.wrap(f"Allegations: {table.coverage.describe(start_year, end_year)}"))
    names = exposure.unresolved
    print(
        nb.wrap(
            "Contributor names without a country code in the personnel file: "
            + (", ".join(names) if names else "none")
        )
    )
    quality = (
        panel.data.assign(status=panel.data["quality"].str.split(":").str[0])
        .groupby(["year", "status"])
        .size()
        .rename("contingent_years")
        .reset_index()
    )
    display(tables.for_display(quality))
    pko.results.record("contingent_years", len(panel.data), unit="count")
    pko.results.record("allegations_in_years", panel.allegations_in_years, unit="count")
    pko.results.record("unmatched_lines", len(panel.unmatched), unit="count")

# %% [markdown]
# ## Allegations not in the panel
#
# Each line is one allegation and one nationality it names that no contingent-year holds: the
# nationality was not recorded ("Unknown"), the name did not match a country, the mission has no
# personnel data, or the personnel data show no personnel of that contributor in that mission that
# year (often allegations reported after a contingent or a mission left).

# %%
if ready:
    display(tables.for_display(panel.unmatched_summary()))
    display(
        tables.for_display(
            panel.unmatched[["allegation_id", "year", "mission", "nationality", "reason"]]
            .sort_values(["reason", "year", "allegation_id"])
            .reset_index(drop=True)
        )
    )

# %% [markdown]
# ## Allegations per 1,000 person-years by contributor
#
# All missions and years of the sample pooled, with exact Poisson intervals and the count beside the
# rate; the 25 contributors with the most person-years are shown, every contributor is in
# `tables/rates_by_contributor` (CSV, LaTeX, HTML).

# %%
if ready:
    sample, steps = cg.model_sample(
        panel, left_contributors, left_missions, include_partial, keep_suspect
    )
    display(tables.for_display(steps))
    outcome = "allegations" if weighting == "each" else "allegations_weighted"
    rates = cg.rates_by_contributor(sample, outcome)
    tables.save_table(
        rates,
        out / "tables" / "rates_by_contributor",
        title=(
            f"Allegations per 1,000 person-years by contributor, contingent-years {start_year}-"
            f"{end_year}, counted by {count_by.replace('_', ' ')}, all missions pooled"
        ),
        source=(
            "UN, Conduct in UN Field Missions, table of allegations; UN uniformed personnel "
            "contributions by contributor and mission"
        ),
        labels={
            "iso3": "ISO 3166 code",
            "contributor": "Contributor",
            "allegations": "Allegations",
            "person_years": "Person-years",
            "rate": "Per 1,000 person-years",
            "ci_low": "95% CI, low",
            "ci_high": "95% CI, high",
            "share_pct": "Women, %",
            "contingent_years": "Contingent-years",
            "missions": "Missions",
        },
        decimals={"person_years": 0, "rate": 2, "ci_low": 2, "ci_high": 2, "share_pct": 1},
    )
    display(
        tables.for_display(
            rates.head(25).round(
                {"person_years": 0, "rate": 2, "ci_low": 2, "ci_high": 2, "share_pct": 1}
            ),
            labels={"rate": "Per 1,000 person-years"},
        )
    )
    total = stats.poisson_rate(
        int(round(rates["allegations"].sum())), float(rates["person_years"].sum())
    )
    print(
        nb.wrap(
            f"All contributors: {int(rates['allegations'].sum())} allegations in "
            f"{rates['person_years'].sum():,.0f} person-years, {total.estimate:.2f} per 1,000 "
            f"(95% CI {total.ci_low:.2f}-{total.ci_high:.2f}); "
            f"{int((rates['allegations'] > 0).sum())} of {len(rates)} contributors named at least once."
        )
    )
    pko.results.record("rate_per_1000", round(total.estimate, 3), unit="rate")
    pko.results.record("contributors_in_sample", int(sample["iso3"].nunique()), unit="count")

# %%
if ready:
    fl = cg.funnel_limits(rates)
    fig, ax = plt.subplots(figsize=(8, 5))
    plots.rate_funnel(
        rates,
        fl.limits,
        fl.p0,
        ax=ax,
        title="Allegations per 1,000 person-years by contributor",
        note=f"Limits: {fl.method}. Contributors outside the 99.8% limits are labelled.",
        source=[table, source],
    )
    plots.save(fig, out / "funnel.png", show=True)
    pko.results.record("funnel_phi", round(fl.phi, 2), unit="number")

# %% [markdown]
# ## Women's share and allegation rate by contributor
#
# Each contributor's pooled women's share against its pooled allegation rate, the area of each point
# proportional to its person-years. No line is fitted: contributors differ in many ways besides
# their share of women.

# %%
if ready:
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plots.share_rate_scatter(
        rates,
        ax=ax,
        title="Women's share and allegation rate by contributor",
        note="Point area proportional to person-years; labels are ISO 3166 codes.",
        source=[table, source],
    )
    plots.save(fig, out / "share_and_rate.png", show=True)

# %% [markdown]
# ## Models
#
# Allegation counts with offset log(person-years) on the contingent's women's share (per percentage
# point), Poisson quasi-likelihood (consistent whatever the dispersion). The main column has
# **contributor fixed effects** (what is constant about a contributor: its training, discipline,
# reporting) and **mission x year fixed effects** (what every contingent of a mission shares that
# year: the mission's setting, its conduct and discipline team, the year's reporting): the share then
# varies only within a contributor, across its deployments and over time. Beside it: two-way
# clustering by contributor and mission, mission x year effects only, contributor effects only, no
# fixed effects, a negative binomial with the main effects, military and police only (where the
# exposure is split by type), and the share `lag` years earlier. Standard errors are clustered by
# contributor with t(G-1) intervals; with fewer than 50 clusters a wild cluster score bootstrap (fixed
# seed) gives a second interval and p-value. Contingent-years in a contributor or mission-year without
# any allegation are dropped by the estimator (their effect would run to minus infinity) and counted.

# %%
if ready:
    # the model options every fit in this notebook shares (the other counting year's refit too)
    fit_options = dict(
        weighting=weighting,
        lag=lag,
        leave_out_contributors=left_contributors,
        leave_out_missions=left_missions,
        include_partial=include_partial,
        keep_suspect=keep_suspect,
        reps=bootstrap_reps,
    )
    fitted = cg.fit_models(panel, **fit_options)
    regression = tables.save_table(
        fitted.table(),
        out / "tables" / "regression",
        title=(
            f"Allegations per person-year and the contingent's women's share: contingent-years "
            f"{start_year}-{end_year}, counted by {count_by.replace('_', ' ')} (associations, not effects)"
        ),
        source=(
            "UN, Conduct in UN Field Missions, table of allegations; UN uniformed personnel "
            "contributions by contributor and mission"
        ),
    )
    display(regression)
    print("Regression table saved as " + ", ".join(f.name for f in regression.files.values()))
    chosen = next(r for r in fitted.results if r.spec.name == specification)
    if chosen.not_estimable:
        print(nb.wrap(f"{chosen.spec.label}: not estimable ({chosen.not_estimable})."))
    else:
        text = (
            f"{chosen.spec.label}: rate ratio {chosen.irr:.3f} per percentage point of women "
            + (
                f"(95% CI {chosen.ci_low:.3f}-{chosen.ci_high:.3f}, t({chosen.clusters - 1}))"
                if chosen.ci_low == chosen.ci_low
                else "(no interval: too few clusters)"
            )
            + f"; {chosen.n} contingent-years, {chosen.clusters} clusters, "
            f"{chosen.dropped} dropped in all-zero fixed-effect levels"
        )
        if chosen.boot_low == chosen.boot_low:
            text += (
                f"; wild cluster bootstrap 95% CI {chosen.boot_low:.3f}-{chosen.boot_high:.3f}, "
                f"p = {chosen.boot_p:.3f}"
            )
        if not chosen.converged:
            text += " (DID NOT CONVERGE: not to be read)"
        print(nb.wrap(text + "."))
        if chosen.converged:
            print(
                nb.wrap(
                    f"Read as an association: contingent-years with one percentage point more "
                    f"women had allegation rates {abs(chosen.irr - 1) * 100:.1f}% "
                    f"{'higher' if chosen.irr > 1 else 'lower'} on average, holding fixed what the "
                    "column's fixed effects hold fixed; not the effect of deploying women."
                )
            )
    good = [r for r in fitted.fitted if r.converged and r.ci_low == r.ci_low]
    above = sum(r.ci_low > 1 for r in good)
    below = sum(r.ci_high < 1 for r in good)
    print(
        nb.wrap(
            f"{len(fitted.fitted)} columns fitted ({len(fitted.results) - len(fitted.fitted)} not "
            f"estimable, {len(fitted.fitted) - len(good)} left out of this count as unconverged or "
            f"without an interval); of {len(good)}, {above} interval(s) lie above 1, {below} below "
            f"1 and {len(good) - above - below} include 1. None is a pre-registered test."
        )
    )
    estimates = fitted.to_frame(estimable_only=True)
    estimates = estimates[estimates["converged"] & estimates["ci_low"].notna()]
    pko.results.record(
        "irr_per_point",
        {
            r.specification: [round(r.irr, 4), round(r.ci_low, 4), round(r.ci_high, 4)]
            for r in estimates.itertuples()
        },
        unit="ratio",
    )
    pko.results.record(
        "bootstrap_main",
        None
        if fitted.results[0].boot_low != fitted.results[0].boot_low
        else [round(fitted.results[0].boot_low, 4), round(fitted.results[0].boot_high, 4)],
        unit="ratio",
    )

# %%
if ready and estimates.empty:
    print("coefficient plot: no specification could be estimated, nothing to show")
elif ready:
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(estimates) + 1.5))
    plots.coefficients(
        estimates,
        ax=ax,
        title="Contingent's women's share and allegations, 95% intervals",
        source=[table, source],
    )
    plots.save(fig, out / "coefficients.png", show=True)

# %% [markdown]
# ## Reporting year or incident year
#
# Many allegations reported in a year concern incidents of earlier years. The main column is fitted
# again with the allegations counted the other way (by the year the incident began, the reporting
# year where none is given; or by the year the UN recorded it), everything else equal, as notebook 04
# does for missions: if the two disagree, the association depends on where late reports are placed.

# %%
if ready:
    other = "incident_year" if count_by == "reporting_year" else "reporting_year"
    other_panel = cg.build_panel(exposure, table, start_year, end_year, other, personnel_type)
    other_fit = cg.fit_models(other_panel, specs=["main"], **fit_options)
    by_counting = {count_by: fitted.results[0], other: other_fit.results[0]}
    counting_rows = []
    for way in ("reporting_year", "incident_year"):
        r = by_counting[way]
        if r.not_estimable:
            print(
                nb.wrap(
                    f"Main column by {way.replace('_', ' ')}: not estimable ({r.not_estimable})."
                )
            )
            continue
        line = (
            f"Main column by {way.replace('_', ' ')}"
            + (" (the headline)" if way == count_by else "")
            + f": rate ratio {r.irr:.3f} per percentage point of women "
            f"(95% CI {r.ci_low:.3f}-{r.ci_high:.3f}), {r.n} contingent-years"
        )
        if r.boot_low == r.boot_low:
            line += f"; wild cluster bootstrap p = {r.boot_p:.3f}"
        print(nb.wrap(line + "."))
        counting_rows.append(
            {
                "counted_by": way.replace("_", " "),
                "rate_ratio": r.irr,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "bootstrap_p_value": r.boot_p,
                "contingent_years": r.n,
            }
        )
    if counting_rows:
        display(
            tables.save_table(
                pd.DataFrame(counting_rows),
                out / "tables" / "main_by_counting_year",
                title=(
                    f"Main column (contributor + mission-year fixed effects) by counting year, "
                    f"{start_year}-{end_year}: rate ratio per percentage point of women"
                ),
                source="UN, Conduct in UN Field Missions, table of allegations; UN uniformed "
                "personnel contributions by contributor and mission",
                labels={
                    "counted_by": "Allegations counted by",
                    "rate_ratio": "Rate ratio per point",
                    "ci_low": "95% CI, low",
                    "ci_high": "95% CI, high",
                    "bootstrap_p_value": "Wild bootstrap p-value",
                    "contingent_years": "Contingent-years",
                },
                decimals={"rate_ratio": 3, "ci_low": 3, "ci_high": 3},
            )
        )
    pko.results.record(
        "irr_main_by_counting_year",
        {
            w: [round(r.irr, 4), round(r.ci_low, 4), round(r.ci_high, 4)]
            for w, r in sorted(by_counting.items())
            if not r.not_estimable
        },
        unit="ratio",
    )
    pko.results.record(
        "bootstrap_p_main_by_counting_year",
        {
            w: round(r.boot_p, 3)
            for w, r in sorted(by_counting.items())
            if not r.not_estimable and r.boot_p == r.boot_p
        },
        unit="p_value",
    )

# %% [markdown]
# ## Why this is not an effect
#
# - **Selection into missions**: contributors choose, and are asked for, particular missions and
#   roles; contingents with many women are often small units (staff officers, police, medical), whose
#   duties and contact with the population differ from an infantry battalion's. Mission x year effects
#   absorb what a mission-year shares, not what differs between units inside it.
# - **Reporting differs between contributors**: an allegation is recorded only when someone reports
#   it and the UN attributes it; contributors differ in how their personnel's conduct is reported and
#   investigated. Contributor effects absorb a constant difference, not one that changes with time.
# - **Under-reporting**: the table holds reported allegations, not incidents, and many incidents are
#   never reported.
# - **The share may follow allegations**: a contributor may send more women after allegations
#   (the lagged column shows the share a year earlier, which does not settle it).
# - **Many columns**: several specifications are shown; none is a pre-registered test.

# %% [markdown]
# ## Compared with notebook 04 (missions as the unit)

# %%
if ready and mission_month is not None:
    mission_panel = pn.build_panel(mission_month, table, start_year, end_year)
    mission_fit = pn.fit_models(
        mission_panel,
        "military"
        if personnel_type == "military"
        else "police"
        if personnel_type == "police"
        else "uniformed",
        start_year,
        end_year,
        family="poisson",
        lag=lag,
        leave_out=[m for m in left_missions if m in set(mission_panel.data["mission"])],
    )
    m04 = next((r for r in mission_fit.fitted if r.spec.name == "poisson"), None)
    main = fitted.results[0]
    if m04 is None or main.not_estimable:
        print(
            "notebook 04's Poisson QL column or the main column could not be fitted: no comparison"
        )
    else:
        print(
            nb.wrap(
                f"Missions as the unit (notebook 04, Poisson QL with year effects, reporting year): "
                f"rate ratio {m04.irr:.3f} per point (95% CI {m04.ci_low:.3f}-{m04.ci_high:.3f}), "
                f"{m04.n} mission-years, {m04.n_missions} missions as clusters."
            )
        )
        print(
            nb.wrap(
                f"Contingents as the unit (main column, {count_by.replace('_', ' ')}): rate ratio "
                f"{main.irr:.3f} (95% CI {main.ci_low:.3f}-{main.ci_high:.3f}), {main.n} "
                f"contingent-years, {main.clusters} contributors as clusters."
            )
        )
        if count_by != "reporting_year":
            print(
                nb.wrap(
                    "Not like for like: notebook 04 counts allegations by reporting year only, "
                    f"the contingents here by {count_by.replace('_', ' ')}."
                )
            )
        pko.results.record("irr_missions_04", round(m04.irr, 4), unit="ratio")
elif ready:
    print("no mission x month file: notebook 04's mission-level model cannot be fitted here")

# %% [markdown]
# What changes when the unit is the contingent: the share is that of the contingent the allegation
# names, not an average over every contingent of the mission; contributor effects compare a
# contributor with itself, in other missions and years, so differences between contributors (in
# training, discipline and reporting) no longer drive the estimate; and the clusters are contributors,
# not missions (counted above). The two numbers answer different questions: a mission's share may go
# with fewer allegations while its own contingents show no such pattern, or the reverse.

# %% [markdown]
# ## Sources

# %%
if ready:
    for line in [
        f"UN Conduct in UN Field Missions, table of allegations: {table_path.name}",
        "UN Department of Peace Operations, uniformed personnel contributions by gender, by "
        f"contributor and mission: {contributor_path.name}",
        *(
            [f"the same, mission x month totals: {month_path.name}"]
            if month_path is not None
            else []
        ),
        "Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance. "
        "Statistics in Medicine 24(8), 1185-1202",
        "Kline, P. and Santos, A. (2012). A score based approach to wild bootstrap inference. "
        "Journal of Econometric Methods 1(1), 23-41",
    ]:
        print(nb.wrap(line, indent="    "))
else:
    print("no data files given")
