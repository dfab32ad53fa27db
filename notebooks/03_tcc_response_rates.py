# %% [markdown]
# # How contributing countries respond
#
# When an allegation concerns a troop or police contingent, the contributing country investigates
# and disciplines. This notebook measures how contributors respond, keeping apart the definitions that
# are often all called a "response rate":
#
# - **follow-ups answered**: of the UN's follow-up messages on disciplinary outcomes, how many got a
#   reply (State Department reports, 2010-2012);
# - **countries replying**: of the contributors notified of allegations, how many replied;
# - **NIO appointed**: of the allegations where the UN asked a contributor to name a national
#   investigation officer and the contributor answered or failed to, how many got one;
# - **outcome reported**: of the allegations with a national-government action line, how many report
#   something other than "pending".
#
# "Pending" means the matter was still open on the date of the UN export, not that nothing happened.
# Investigations still open are right-censored: their durations are at least as long as shown, so the
# median comes from Kaplan-Meier curves, never from the finished investigations alone.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
years: "Optional[list]" = None  # reporting years to include, e.g. [2019, 2020, 2021]; None for all
personnel_categories: list = ["military", "police"]  # uniformed categories whose allegations count ("military", "police")
contributors: "Optional[list]" = None  # contributing countries (nationality in the UN table); None for all; needs allegations_table
ci_method: str = "wilson"  # interval for rates: "wilson" or "clopper-pearson"
alpha: float = 0.05  # 1 - confidence level of every interval
min_cases: int = 5  # contributors with fewer decided NIO requests get a small-numbers caution
allegations_table: str = "auto"  # UN table of allegations: a path (.xlsx or .csv), a registry name (un_allegations), "auto" (the cached un_allegations, else the bundled curated series) or "bundled"
output_dir: str = ""  # folder for figures and results.json; "" means reports/03_tcc_response_rates

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch import plots, response, trends
from pkoresearch.readers.un_conduct import read_table_of_allegations

ci_method = nb.choice("ci_method", ci_method, ["wilson", "clopper-pearson"])
alpha = nb.probability("alpha", alpha)
min_cases = int(nb.positive_number("min_cases", min_cases))
categories = nb.subset("personnel_categories", personnel_categories, ["military", "police"])
chosen_years = None if years is None else nb.years_list("years", years)
table_path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
if contributors is not None and table_path is None:
    raise pko.errors.ParameterError("parameter contributors: the curated series are not split by "
                                    "contributor; expected None, or an allegations_table")
out = nb.output_dir(output_dir, "03_tcc_response_rates")
nb.display_options()
level = f"{100 * (1 - alpha):g}%"
print(nb.data_used("allegations_table", "NIO appointment by year and contributor, outcomes and national actions, "
                   "investigation durations and the logistic model; the follow-up series are curated",
                   "only the curated follow-up series; the NIO, outcome, duration and model sections need the table"))

# %% [markdown]
# ## Follow-up messages answered (curated, 2010-2012)

# %%
followups = response.curated_series("followups_answered", ci_method, alpha)
if chosen_years is not None:
    followups = followups[followups["year"].isin(chosen_years)]
print(nb.wrap("Definition: " + response.DEFINITIONS["followups_answered"]))
pko.results.record("followups_answered", {str(r.year): [int(r.responses), int(r.requests), round(r.rate, 4)] for r in followups.itertuples()})
fig, ax = plt.subplots(figsize=(6, 3.6))
plots.trend(followups.assign(rate=100 * followups["rate"], ci_low=100 * followups["ci_low"], ci_high=100 * followups["ci_high"]),
            y="rate", ax=ax, ylabel="% of follow-ups answered",
            title=f"Follow-ups answered, {ci_method} {level} intervals")
plots.save(fig, out / "followups_answered.png")
plt.show()
followups[["year", "responses", "requests", "rate", "ci_low", "ci_high", "source_id"]]

# %%
if nb.has_years(followups, [2010, 2012]):
    first, last = followups.set_index("year").loc[2010], followups.set_index("year").loc[2012]
    diff = response.compare(int(last.responses), int(last.requests), int(first.responses), int(first.requests), alpha)
    print(f"2012 against 2010: {diff.estimate:+.3f} (Newcombe {level} CI {diff.ci_low:+.3f} to {diff.ci_high:+.3f}); "
          f"Fisher's exact test p = {diff.p_value:.3f}")
    pko.results.record("followups_2012_minus_2010", round(diff.estimate, 4))
    pko.results.record("followups_2012_minus_2010_ci", [round(diff.ci_low, 4), round(diff.ci_high, 4)])
replying = response.curated_series("countries_replying", ci_method, alpha)
print(nb.wrap("Another definition, not comparable with the series above: " + response.DEFINITIONS["countries_replying"]))
replying[["period", "responses", "requests", "rate", "ci_low", "ci_high", "source_id"]]

# %% [markdown]
# ## From the UN table of allegations
#
# NIO appointment by year and by contributor, national outcomes and actions, and the time
# investigations take. Counted on allegations involving the chosen uniformed categories; an allegation
# naming two contributors counts once for each contributor.

# %%
table = None
if table_path is not None:
    raw = read_table_of_allegations(table_path)
    table = trends.select(raw, personnel_categories=categories)
    uni = response.uniformed(table, categories)
    if chosen_years is not None:
        uni = uni[uni["report_year"].isin(chosen_years)]
    if contributors is not None:
        uni = uni[uni["nationality"].isin(nb.subset("contributors", contributors, sorted(uni["nationality"].unique())))]
    print(f"{raw.counts['rows_in_file']} allegations in the export (to {raw.as_of:%B %Y}); "
          f"{uni['allegation_id'].nunique()} involve {' or '.join(categories)} personnel in the selection")
    print(nb.wrap("Definition: " + response.DEFINITIONS["nio_appointed"]))
    nio = response.nio_rates(uni, "report_year", ci_method, alpha)
    overall = response.rate_table(pd.DataFrame({"k": [nio["appointed"].sum()], "n": [nio["decided"].sum()]}), "k", "n", ci_method, alpha).iloc[0]
    print(f"all years: {overall.k} of {overall.n} ({overall.rate:.1%}, {level} CI {overall.ci_low:.1%}-{overall.ci_high:.1%})")
    pko.results.record("nio_appointed_overall", [int(overall.k), int(overall.n), round(float(overall.rate), 4)])
    pko.results.record("nio_appointed_by_year", {str(r.report_year): [int(r.appointed), int(r.decided)] for r in nio.itertuples()})
    fig, ax = plt.subplots(figsize=(7, 3.6))
    plots.trend(nio.rename(columns={"report_year": "year"}), y="rate", ax=ax, ylabel="share with an NIO appointed",
                title=f"NIO appointed, {ci_method} {level} intervals")
    plots.save(fig, out / "nio_by_year.png")
    plt.show()
    display(nio[["report_year", "appointed", "decided", "pending", "rate", "ci_low", "ci_high"]])
else:
    print("NIO, outcomes and durations need allegations_table. The bundled curated data hold one "
          "NIO figure without a denominator:")
    f = pko.load("followups").query("measure == 'nio_appointed_pct'")
    for r in f.itertuples():
        print(nb.wrap(f"  {r.period}: {r.value:.1f}% ({r.denominator_note}; {r.confidence} confidence, {r.source_id})"))

# %%
if table is not None:
    contrib = response.contributor_table(uni, min_cases, ci_method, alpha)
    p0 = overall.rate
    fig, ax = plt.subplots(figsize=(7, 4.2))
    plots.funnel(contrib, response.funnel_limits(p0, max(int(contrib["decided"].max()), 2)), x="decided", y="rate",
                 label="nationality", p0=p0, ax=ax, title="NIO appointment by contributor (funnel plot)")
    plots.save(fig, out / "nio_funnel.png")
    plt.show()
    print(f"{(contrib['caution'] != '').sum()} of {len(contrib)} contributors have fewer than {min_cases} decided requests: "
          "their rates are shown but should not be ranked")
    display(contrib.head(15)[["nationality", "appointed", "decided", "rate", "ci_low", "ci_high", "caution"]])
else:
    print("contributor table and funnel plot: need allegations_table")

# %%
if table is not None:
    print(nb.wrap("Definition: " + response.DEFINITIONS["outcome_reported"]))
    reported = response.outcome_reported(table, uni, "report_year", ci_method, alpha)
    display(reported[["report_year", "reported", "with_national_line", "rate", "ci_low", "ci_high"]])
    actions = response.national_actions(table, uni["allegation_id"].unique())
    print("National governments' final actions (one line per action and allegation; persons in parentheses in the export):")
    display(actions)
    pko.results.record("national_actions", {r.action: int(r.lines) for r in actions.itertuples()})
else:
    print("outcomes and national actions: need allegations_table")

# %% [markdown]
# ## How long investigations take
#
# Durations by investigating entity. Pending investigations count as open from their reporting month
# to the export's date (right-censored). The naive median of finished investigations is shown beside
# the Kaplan-Meier median to make the bias visible.

# %%
if table is not None:
    durations = response.investigation_durations(table)
    durations = durations[durations["allegation_id"].isin(uni["allegation_id"])]
    print(f"{len(durations)} investigations ({int((durations['event'] == 0).sum())} still open on {durations.attrs['as_of']}); "
          f"{durations.attrs['not_applicable']} marked N/A left out")
    by_entity = response.durations_by_entity(durations, min_n=min_cases, alpha=alpha)
    pko.results.record("km_median_days", {r.entity: (None if pd.isna(r.km_median) else float(r.km_median)) for r in by_entity.itertuples()})
    curves = {e: response.kaplan_meier(d["days"], d["event"], alpha).table
              for e, d in durations.groupby("entity") if e in set(by_entity["entity"])}
    fig, ax = plt.subplots()
    plots.survival(curves, ax=ax, title="Investigations still open (Kaplan-Meier)")
    plots.save(fig, out / "investigation_durations.png")
    plt.show()
    display(by_entity.round(1))
else:
    print("durations: need allegations_table")

# %% [markdown]
# ## NIO appointment over the years: a logistic model
#
# Odds of an NIO being appointed per reporting year (``year_c``). Contributor characteristics (say a
# gender-equality index, or troop numbers) can be added with `response.nio_logit(uni,
# contributor_attributes=df, terms=[...])` where `df` has a `nationality` column.

# %%
if table is not None and uni["nio_appointed"].isin(["yes"]).any() and uni["report_year"].nunique() > 2:
    logit = response.nio_logit(uni, alpha=alpha)
    print(f"{logit.attrs['n']} allegation-contributor rows with a decided NIO request")
    year_or = logit.set_index("term").loc["year_c"]
    pko.results.record("nio_odds_ratio_per_year", round(float(year_or.odds_ratio), 4))
    display(logit.round(3))
else:
    print("logistic model: needs allegations_table and at least three reporting years")

# %% [markdown]
# ## Sources

# %%
cited = [followups, replying]
nb.print_sources(cited, [] if table_path is None else [f"UN Conduct in UN Field Missions, table of allegations export: {table_path.name}"])
