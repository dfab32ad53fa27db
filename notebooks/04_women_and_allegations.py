# %% [markdown]
# # Women's share and allegations by mission-year
#
# Do missions in which a larger share of uniformed personnel are women see fewer allegations of
# sexual exploitation and abuse, per person deployed? This notebook builds a full mission-year panel
# from two UN data sets (uniformed personnel by sex and month, and the table of allegations) and fits
# count models in the spirit of Karim & Beardsley (2016). What it estimates is an **association across
# mission-years**, not the effect of deploying women: missions with more women differ in many other
# ways.
#
# It needs two files a researcher downloads (see the parameters); the bundled curated data have no
# personnel by mission.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
# fmt: off
start_year: int = 2015  # first reporting year modelled (the UN table of allegations starts in 2015)
end_year: int = 2021  # last reporting year modelled (the personnel data have complete years to 2021)
count_by: str = "reporting_year"  # year an allegation is counted in: "reporting_year" (when the UN recorded it) or "incident_year" (when the incident began)
outcome: str = "uniformed"  # allegations counted: "all", "uniformed" (military or police), "military", "police"
model: str = "negbin"  # family of the robustness columns: "negbin" (negative binomial) or "poisson" (quasi-likelihood)
lag: int = 1  # years between the share and the allegations in the lagged-share column
leave_out: list = []  # missions left out of every model, e.g. ["MINUSCA"]
mission_kinds: list = ["peacekeeping"]  # missions modelled: "peacekeeping", "special_political", "support_office"
allegations_table: str = "auto"  # UN table of allegations export (.xlsx or .csv): a path, a registry name (un_allegations), "auto" (the cached file) or "bundled" (none: the notebook then says what it needs)
contributions_mission_month: str = "auto"  # UN contributions by gender by month (mission x month .dta or odp_contributionsbygender.csv): a path, a registry name (un_contributions_mission_month), "auto" or "bundled"
output_dir: str = ""  # folder for figures and results.json; "" means reports/04_women_and_allegations
# fmt: on

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch.analysis import panel as pn
from pkoresearch.analysis import plausibility
from pkoresearch.data import missions
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_monthly
from pkoresearch.figures import plots, tables

start_year, end_year = nb.year_range(start_year, end_year, lo=2010, hi=2030)
outcome = nb.choice("outcome", outcome, list(pn.OUTCOMES))
count_by = nb.choice("count_by", count_by, ["reporting_year", "incident_year"])
model = nb.choice("model", model, list(pn.FAMILIES))
if isinstance(lag, bool) or not isinstance(lag, int) or lag < 1:
    raise pko.errors.ParameterError(
        f"parameter lag: found {lag!r}; expected a whole number of years >= 1"
    )
kinds = nb.subset("mission_kinds", mission_kinds, list(missions.KINDS))
if not isinstance(leave_out, list):
    raise pko.errors.ParameterError(
        f"parameter leave_out: found {leave_out!r}; expected a list of mission acronyms"
    )
out = nb.output_dir(output_dir, "04_women_and_allegations")
table_path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
contributions_path = nb.dataset_input(
    "contributions_mission_month", contributions_mission_month, "un_contributions_mission_month"
)
nb.display_options()
ready = table_path is not None and contributions_path is not None
print(
    nb.data_used(
        "allegations_table", "the allegations of every mission-year", "no model without it"
    )
)
print(
    nb.data_used("contributions_mission_month", "women's share and exposure", "no model without it")
)
pko.results.record("ready", ready, unit="text")
if not ready:
    needs = (
        "Needs allegations_table (a UN table of allegations export) and contributions_mission_month "
        "(UN contributions by gender by month, .dta or odp_contributionsbygender.csv); nothing more to show. "
        "pkoresearch data fetch un_allegations un_contributions_mission_month (or data import DIR) gets them."
    )
    print(nb.wrap(needs))
    pko.results.incomplete(needs)

# %% [markdown]
# ## How the panel is built
#
# - **Unit**: a mission-year in which the mission had uniformed personnel in the UN data. Mission names
#   are harmonised where the Security Council renamed a continuing operation (MONUC became MONUSCO in
#   July 2010, S/RES/1925 (2010)); UNMIS (Sudan) and UNMISS (South Sudan) stay apart: different host
#   states and mandates.
# - **Women's share**: women over uniformed personnel in the months present, in percent. The
#   mission x month file sums all uniformed types, so the share and the exposure are for all uniformed
#   personnel whatever the outcome; the UN's own file splits types.
# - **Exposure**: person-years of uniformed personnel. Months absent from the source (printed below)
#   count at the mean of the months present where the mission was active on both sides;
#   where a mission began or ended inside such a gap its exposure is unknown and it is not modelled.
# - **Plausibility check**: each mission's monthly women, men and share are compared with the same
#   mission's months within six months either side (distance from their median in robust standard
#   deviations, 1.4826 x MAD, with a floor); a month further than 6 is suspect, listed below with the
#   rule's numbers, and left out of the share and the exposure like a month absent from the source
#   (`pkoresearch.analysis.plausibility`; `panel.build_panel(..., suspect="keep")` keeps them).
# - **Allegations** by reporting year (`count_by`; or by the year the incident began, the reporting year
#   where the export gives none) from the UN table of allegations: zero where the mission existed
#   and the export covers the year, missing outside its coverage (before 2015; curated per-mission counts
#   are shown where a source gives one but never modelled with the export's). An allegation naming
#   military and police counts in both categories. Allegations whose mission has no personnel data, or
#   no personnel that year, are listed, not dropped.

# %%
if ready:
    table = read_table_of_allegations(table_path)
    contributions = read_monthly(contributions_path)
    panel = pn.build_panel(contributions, table, start_year, end_year, count_by=count_by)
    left_out = (
        nb.subset("leave_out", leave_out, sorted(set(panel.data["mission"]))) if leave_out else []
    )
    for line in panel.describe():
        print(nb.wrap(line))
    print(nb.wrap(f"Allegations: {table.coverage.describe(start_year, end_year)}"))
    print(nb.wrap(f"Personnel: {contributions.coverage.describe(start_year, end_year)}"))
    missing_months = [
        m for m in sorted(contributions.coverage.gaps) if start_year <= m.year <= end_year
    ]
    print(
        nb.wrap(
            f"Months absent from the personnel source in {start_year}-{end_year}: "
            f"{len(missing_months)}"
            + (
                " (" + ", ".join(m.strftime("%b %Y") for m in missing_months) + ")"
                if missing_months
                else ""
            )
        )
    )
    if not panel.suspect_months.empty:
        display(tables.for_display(panel.suspect_months.round(plausibility.ROUNDING)))
    pko.results.record(
        "suspect_months",
        sorted(
            f"{r.mission} {r.month:%Y-%m}"
            for r in panel.suspect_months.drop_duplicates(["mission", "month"]).itertuples()
        ),
        unit="text",
    )
    pko.results.record("count_by", count_by, unit="text")
    pko.results.record(
        "counted_in_reporting_year_for_want_of_incident_year", panel.fell_back, unit="count"
    )
    pko.results.record("panel_mission_years", len(panel.data), unit="count")
    pko.results.record("allegations_in_years", panel.allegations_in_years, unit="count")
    pko.results.record("unmatched_allegations", len(panel.unmatched), unit="count")
    by_year = panel.by_year()
    display(tables.for_display(by_year.round(2)))

# %% [markdown]
# ## Allegations not in the panel
#
# Every allegation of the export in the chosen years is either counted in a mission-year above or
# listed here with the reason: special political missions and offices without personnel data,
# allegations reported after a mission closed, years the personnel data do not cover.

# %%
if ready:
    display(tables.for_display(panel.unmatched_summary()))

# %% [markdown]
# ## Models
#
# Counts of allegations with offset log(person-years) on women's share (per percentage point), with
# year indicators (common changes in reporting and deployment) and standard errors clustered by
# mission (the same mission's years are not independent); intervals use the t distribution with
# (missions - 1) degrees of freedom because there are few clusters, with a wild cluster score
# bootstrap p-value beside them (`stats.cluster_inference`: fewer than 50 clusters; no interval at
# all with fewer than 5). A year (or, with mission effects, a mission) without any allegation is left
# out of a column before the fit, and named: its effect would run to minus infinity. A fit that
# still does not converge is marked in the table and the plot and not counted in the summary.
# Columns: (1) negative binomial
# (NB2, the usual choice for overdispersed allegation counts, as in Karim & Beardsley), (2) Poisson
# quasi-likelihood (consistent whatever the dispersion; weights large missions more), (3) mission fixed
# effects (Poisson: only changes within a mission; missions without any allegation drop out), then in
# the chosen `model`: (4) the share `lag` years earlier, (5) military allegations only, (6) without the
# mission with the most person-years. The IRR is the multiplicative difference in the allegation rate
# per extra percentage point of women; 1 means no association.
#
# Only peacekeeping operations are modelled by default (`mission_kinds`): special political missions
# have a few dozen uniformed personnel at most, so allegations against their civilian staff would sit on
# tiny exposures. Mission-years without any allegation stay in the sample.

# %%
if ready:
    fitted = pn.fit_models(
        panel, outcome, start_year, end_year, family=model, lag=lag, leave_out=left_out, kinds=kinds
    )
    display(tables.for_display(fitted.steps))
    print(
        nb.wrap(
            f"Outcome: {pn.OUTCOME_TEXT[outcome]}; {len(fitted.sample)} mission-years, "
            f"{fitted.sample['mission'].nunique()} missions, "
            f"{int((fitted.sample[pn.OUTCOMES[outcome]] == 0).sum())} of them with no allegation (kept)."
        )
    )
    if fitted.not_estimable:
        print(nb.wrap(f"Models: not fitted: {fitted.not_estimable}."))
    else:
        display(
            tables.save_table(
                fitted.table(),
                out / "tables" / "regression",
                title=(
                    f"Allegations per person-year and women's share of uniformed personnel: "
                    f"{len(fitted.sample)} mission-years, {start_year}-{end_year} (associations, not effects)"
                ),
                source=(
                    "UN, Conduct in UN Field Missions, table of allegations; UN uniformed personnel "
                    "contributions by gender (mission x month)"
                ),
            )
        )
    for r in fitted.results:
        if r.dropped_all_zero:
            print(
                nb.wrap(
                    f"{r.spec.label}: left out, no allegation in any year: {', '.join(r.dropped_all_zero)}"
                )
            )
        if r.not_estimable:
            print(nb.wrap(f"{r.spec.label}: not estimable ({r.not_estimable})"))
        if r.dropped_separated:
            print(
                nb.wrap(
                    f"{r.spec.label}: left out, no allegation in any mission: "
                    f"{', '.join(r.dropped_separated)}"
                )
            )
        if not r.not_estimable and not r.converged:
            print(
                nb.wrap(
                    f"{r.spec.label}: the fit DID NOT CONVERGE; its estimate is not reliable and "
                    "is not counted below"
                )
            )
        if r.no_interval:
            print(nb.wrap(f"{r.spec.label}: no interval ({r.no_interval})"))
    print(nb.wrap(fitted.summary()))
    n_specs = len(fitted.fitted)
    print(
        nb.wrap(
            f"Multiplicity: {n_specs} specifications were fitted on the same mission-years (and the "
            "parameters allow more); none is a pre-registered test. Read them together as a "
            "description of one association: with that many intervals, one excluding 1 by chance "
            f"alone is not unlikely (at 95% each, {1 - 0.95**n_specs:.0%} for {n_specs} independent "
            "tests; these are correlated, so less, but not negligible)."
        )
    )
    estimates = fitted.to_frame(estimable_only=True)
    pko.results.record("mission_years_modelled", len(fitted.sample), unit="count")
    pko.results.record(
        "irr_per_point",
        {
            r.specification: [
                round(r.irr, 3),
                None if pd.isna(r.ci_low) else round(r.ci_low, 3),
                None if pd.isna(r.ci_high) else round(r.ci_high, 3),
            ]
            for r in estimates.itertuples()
        },
        unit="ratio",
    )
    pko.results.record(
        "models",
        {
            r.spec.label: {
                "converged": bool(r.converged),
                "clusters": int(r.n_missions),
                "p_value": None if pd.isna(r.p_value) else round(float(r.p_value), 4),
                "boot_p_value": None
                if pd.isna(r.boot_p_value)
                else round(float(r.boot_p_value), 4),
                "left_out_no_allegation": list(r.dropped_separated),
                "no_interval": r.no_interval,
            }
            for r in fitted.fitted
        },
        unit="number",
    )
    pko.results.record("models_summary", fitted.summary(), unit="text")

# %%
if ready and estimates.empty:
    print("coefficient plot: no specification could be estimated, nothing to show")
elif ready:
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(estimates) + 1.5))
    plots.coefficients(
        estimates,
        ax=ax,
        title="Women's share and allegations, 95% intervals",
        source=[
            table,
            contributions,
            *sorted(set(panel.data["allegations_source"].dropna()) - {pn.EXPORT_SOURCE}),
        ],
    )
    plots.save(fig, out / "coefficients.png", show=True)

# %% [markdown]
# ## Reporting year or incident year
#
# Many allegations reported in a year concern incidents of earlier years. The first column below is
# fitted again with the allegations counted the other way (by the year the incident began, or by the
# year the UN recorded it), everything else equal: if the two disagree, the association depends on
# when late reports are placed.

# %%
if ready and not estimates.empty:
    other = "incident_year" if count_by == "reporting_year" else "reporting_year"
    other_panel = pn.build_panel(contributions, table, start_year, end_year, count_by=other)
    other_fit = pn.fit_models(
        other_panel,
        outcome,
        start_year,
        end_year,
        family=model,
        lag=lag,
        leave_out=left_out,
        kinds=kinds,
    )
    sens = pn.counting_sensitivity(fitted, other_fit, count_by, other)
    display(tables.for_display(sens.round(3)))
    fb = panel.fell_back if count_by == "incident_year" else other_panel.fell_back
    print(
        nb.wrap(
            f"By incident year, {fb} of the allegations in {start_year}-{end_year} have no incident "
            "start year and stay in their reporting year."
        )
    )
    pko.results.record(
        "irr_per_point_by_counting_year",
        {
            r.count_by: [round(r.irr, 3), round(r.ci_low, 3), round(r.ci_high, 3)]
            for r in sens.itertuples()
        },
        unit="ratio",
    )
elif ready:
    print("reporting year or incident year: no specification could be estimated")

# %% [markdown]
# ## Compared with Karim & Beardsley (2016)
#
# Karim and Beardsley (*Journal of Peace Research* 53(1), 2016) modelled allegations against military
# personnel in mission-years 2009-2013 with negative binomial models and reported fewer allegations
# where military contingents included more women and where contributors had better records on gender
# equality.
#
# - **The same**: mission-years as the unit, allegation counts modelled with a negative binomial, women's
#   share as the explanatory variable, allegations against military personnel available as column (5).
# - **Different**: the years do not overlap (the UN began publishing allegations one by one with
#   the 2015 data); the share and the exposure cover all uniformed personnel, police included, because the
#   mission x month file does not split types; there are no controls for contributors' gender equality,
#   conflict or mission mandate, only year effects (and mission effects in column 3); allegations are
#   counted by reporting year (by default) from one export, whose counting rules changed over time (resolution
#   2272 in 2016, special political mission allegations in the export from 2016).
# - **Why a different answer is not a contradiction**: another period, another measure of women's
#   presence and no controls answer a different question; the range of women's share in the sample
#   and the number of missions (clusters) are printed below: with few missions the intervals are
#   wide; and both studies describe associations, which can change as reporting, deployment and
#   missions change.
# - **Ecological caveat**: a mission's share of women says nothing about whether the contingents
#   with more women are the ones with fewer allegations; a mission with more women may have fewer
#   allegations for reasons unrelated to them, or its allegations may concern other contingents.
#   That question needs contingent-level data (contributor x mission), not mission-years.

# %%
if ready and not fitted.sample.empty:
    sh = fitted.sample["share_pct"]
    print(
        nb.wrap(
            f"Women's share in the {len(fitted.sample)} mission-years modelled ({start_year}-"
            f"{end_year}): {sh.min():.2f}% to {sh.max():.1f}% (median {sh.median():.1f}%, "
            f"interquartile range {sh.quantile(0.25):.1f}-{sh.quantile(0.75):.1f}%), in "
            f"{fitted.sample['mission'].nunique()} missions (the clusters)."
        )
    )

# %% [markdown]
# ## Sources

# %%
if ready:
    for line in [
        f"UN Conduct in UN Field Missions, table of allegations: {table_path.name}",
        f"UN Department of Peace Operations, uniformed personnel contributions by gender: {contributions_path.name}",
        "Karim, S. and Beardsley, K. (2016). Explaining sexual exploitation and abuse in peacekeeping "
        "missions: the role of female peacekeepers and gender equality in contributing countries. "
        "Journal of Peace Research 53(1), 100-115",
    ]:
        print(nb.wrap(line, indent="    "))
    curated_ids = sorted(set(panel.data["allegations_source"].dropna()) - {pn.EXPORT_SOURCE})
    if curated_ids:
        nb.print_sources([pko.load("allegations_by_mission").query("source_id in @curated_ids")])
else:
    print("no data files given")
