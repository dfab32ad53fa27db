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
# fmt: off
years: "Optional[list]" = None  # reporting years to include, e.g. [2019, 2020, 2021]; None for all
personnel_categories: list = ["military", "police"]  # uniformed categories whose allegations count ("military", "police")
contributors: "Optional[list]" = None  # contributing countries (nationality in the UN table); None for all; needs allegations_table
ci_method: str = "wilson"  # interval for rates: "wilson" or "clopper-pearson"
alpha: float = 0.05  # 1 - confidence level of every interval
min_cases: int = 5  # contributors with fewer decided NIO requests get a small-numbers caution
allegations_table: str = "auto"  # UN table of allegations: a path (.xlsx or .csv), a registry name (un_allegations), "auto" (the cached un_allegations, else the bundled curated series) or "bundled"
as_of: str = ""  # day pending cases are censored on (YYYY-MM-DD or YYYY-MM); empty for the first day of the last reporting month of the export
output_dir: str = ""  # folder for figures and results.json; "" means reports/03_tcc_response_rates
# fmt: on

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch.analysis import response, trends
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.figures import captions, plots, tables

ci_method = nb.choice("ci_method", ci_method, ["wilson", "clopper-pearson"])
alpha = nb.probability("alpha", alpha)
min_cases = int(nb.positive_number("min_cases", min_cases))
categories = nb.subset("personnel_categories", personnel_categories, ["military", "police"])
chosen_years = None if years is None else nb.years_list("years", years)
table_path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
if contributors is not None and table_path is None:
    raise pko.errors.ParameterError(
        "parameter contributors: the curated series are not split by "
        "contributor; expected None, or an allegations_table"
    )
if not isinstance(as_of, str) or (as_of.strip() and table_path is None):
    raise pko.errors.ParameterError(
        f"parameter as_of: found {as_of!r}; expected a date string, and "
        'an allegations_table to apply it to ("" for the export\'s own date)'
    )
out = nb.output_dir(output_dir, "03_tcc_response_rates")
nb.display_options()
level = f"{100 * (1 - alpha):g}%"
print(
    nb.data_used(
        "allegations_table",
        "NIO appointment by year and contributor, outcomes and national actions, "
        "investigation durations and the logistic model; the follow-up series are curated",
        "only the curated follow-up series; the NIO, outcome, duration and model sections need the table",
    )
)

# %% [markdown]
# ## Follow-up messages answered (curated, 2010-2012)
#
# The follow-ups are not independent trials: the UN sends several to one country and about one case,
# and a country that answers one tends to answer the others. The Wilson (or Clopper-Pearson)
# intervals assume independence and are therefore optimistic (too narrow), and so are the comparison
# between years and its test. "Countries replying" covers January-June 2010 only (`complete` False).

# %%
followups = response.curated_series("followups_answered", ci_method, alpha)
if chosen_years is not None:
    followups = followups[followups["year"].isin(chosen_years)]
print(nb.wrap("Definition: " + response.DEFINITIONS["followups_answered"]))
print(nb.wrap("Caveat: " + followups["caveat"].iloc[0] + "." if len(followups) else ""))
pko.results.record(
    "followups_answered",
    {
        str(r.year): [int(r.responses), int(r.requests), round(r.rate, 4)]
        for r in followups.itertuples()
    },
    unit="count",
)
fig, ax = plt.subplots(figsize=(6, 3.6))
plots.trend(
    followups.assign(
        rate=100 * followups["rate"],
        ci_low=100 * followups["ci_low"],
        ci_high=100 * followups["ci_high"],
    ),
    y="rate",
    ax=ax,
    ylabel="% of follow-ups answered",
    title=f"Follow-ups answered, {ci_method} {level} intervals",
)
plots.save(fig, out / "followups_answered.png", show=True)
tables.for_display(
    followups[
        ["year", "responses", "requests", "rate", "ci_low", "ci_high", "complete", "source_id"]
    ],
    ci=level,
)

# %%
if nb.has_years(followups, [2010, 2012]):
    first, last = followups.set_index("year").loc[2010], followups.set_index("year").loc[2012]
    diff = response.compare(
        int(last.responses),
        int(last.requests),
        int(first.responses),
        int(first.requests),
        alpha,
        clustered_by=response.CLUSTERED["followups_answered"],
    )
    print(nb.wrap("2012 against 2010. " + response.explain_comparison(diff)))
    pko.results.record("followups_2012_minus_2010", round(diff.estimate, 4), unit="share")
    pko.results.record(
        "followups_2012_minus_2010_ci",
        [round(diff.ci_low, 4), round(diff.ci_high, 4)],
        unit="share",
    )
replying = response.curated_series("countries_replying", ci_method, alpha)
print(
    nb.wrap(
        "Another definition, not comparable with the series above: "
        + response.DEFINITIONS["countries_replying"]
    )
)
tables.for_display(
    replying[
        ["period", "responses", "requests", "rate", "ci_low", "ci_high", "complete", "source_id"]
    ],
    ci=level,
)

# %% [markdown]
# ## From the UN table of allegations
#
# NIO appointment by year and by contributor, national outcomes and actions, and the time
# investigations take. Counted on allegations involving the chosen uniformed categories.
#
# Every date is the export's own. Pending requests, outcomes and investigations are censored on one
# day, `as_of`: by default the first day of the export's last reporting month (the export does not
# say on which day it was taken, only that it was during that month; a later day can be given, e.g.
# the download date), the same day whatever subset is analysed. The export's last year is partial
# (2024: January-July in the July 2024 export): it is flagged (`complete` False), drawn apart and
# kept out of the yearly model.
#
# An NIO request still **pending** on that day is a state of its own. A "yes" is recorded quickly,
# while a "no response" can only be recorded once time has passed, so among recent allegations the
# requests already decided are mostly the ones that got an NIO: the rate among decided requests is
# biased upward there. The table shows it beside a sensitivity counting pending requests as not
# appointed (and the upper bound counting them as appointed).

# %%
table = None
if table_path is not None:
    raw = read_table_of_allegations(table_path)
    table = trends.select(raw, personnel_categories=categories)
    censor = response.censoring_date(raw, as_of)
    uni = response.uniformed(raw, categories)
    if contributors is not None:  # named in the export; the chosen years may hold none of theirs
        uni = response.select_contributors(uni, contributors)
    if chosen_years is not None:
        uni = uni[uni["report_year"].isin(chosen_years)]
    print(
        nb.wrap(
            f"{raw.counts['rows_in_file']} allegations in the export; "
            + raw.coverage.describe(int(raw.coverage.first.year), int(raw.coverage.last.year))
            + f". {uni['allegation_id'].nunique()} involve {' or '.join(categories)} personnel in the selection."
        )
    )
    print(
        f"Censoring day for pending cases: {censor.date()} "
        + (
            "(parameter as_of)"
            if as_of.strip()
            else "(first day of the export's last reporting month)"
        )
    )
    print(nb.wrap("Definition: " + response.DEFINITIONS["nio_appointed"]))
    years_in = uni["report_year"].dropna()
    # what the tables and figures below show, named in their titles
    selection = captions.selection(
        None,
        categories,
        contributors,
        years=(int(years_in.min()), int(years_in.max())) if len(years_in) else None,
        all_missions=None,
        all_contributors="all contributors",
    )
    data_note = f"UN, Conduct in UN Field Missions, table of allegations ({raw.as_of:%B %Y} export)"
    nio = response.nio_rates(uni, "report_year", ci_method, alpha)
    totals = response.nio_totals(uni, ci_method, alpha).iloc[0]
    print(nb.wrap(response.describe_totals(totals, level)))
    pko.results.record(
        "nio_appointed_overall",
        [int(totals.appointed), int(totals.decided), round(float(totals.rate), 4)],
        unit="count",
    )
    pko.results.record(
        "nio_pending_as_not_appointed",
        [int(totals.appointed), int(totals.asked), round(float(totals.rate_pending_as_not), 4)],
        unit="count",
    )
    pko.results.record(
        "nio_appointed_by_year",
        {
            str(r.report_year): {
                "appointed": int(r.appointed),
                "decided": int(r.decided),
                "pending": int(r.pending),
                "complete": bool(r.complete),
            }
            for r in nio.itertuples()
        },
        unit="count",
    )
    if nio.empty:
        print("NIO requests by reporting year: none asked in the selection, nothing to show")
    else:
        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        plots.stacked_counts(
            response.nio_state_counts(nio),
            x="label",
            y="allegations",
            hue="state",
            ax=ax,
            order=["appointed", "no response", "declined", "pending"],
            source=table,
            title=f"NIO requests by reporting year and state on the export date\n{selection}",
        )
        ax.set_xlabel("reporting year")
        ax.legend(title="state", fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        plots.save(fig, out / "nio_states_by_year.png", show=True)
    whole = nio[nio["complete"].fillna(False).astype(bool)]
    if len(whole):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        plots.trend(
            whole.rename(columns={"report_year": "year"}),
            y="rate",
            ax=ax,
            ylabel="share with an NIO appointed",
            source=table,
            title=f"NIO appointed among decided requests, complete years, {ci_method} {level} intervals\n{selection}",
        )
        plots.save(fig, out / "nio_by_year.png", show=True)
    display(
        tables.save_table(
            nio[
                [
                    "report_year",
                    "complete",
                    "appointed",
                    "no_response",
                    "declined",
                    "pending",
                    "rate",
                    "ci_low",
                    "ci_high",
                    "rate_pending_as_not",
                    "ci_low_pending_as_not",
                    "ci_high_pending_as_not",
                ]
            ],
            out / "tables" / "nio_by_year",
            title=f"National investigation officers (NIO) requested, by state ({selection})",
            source=data_note,
            labels={
                "report_year": "Reporting year",
                "complete": "Whole year covered",
                "appointed": "NIO appointed",
                "no_response": "No response",
                "declined": "Declined",
                "pending": "Pending",
                "rate": "Appointed, share of decided",
                "ci_low": f"{level} CI, low",
                "ci_high": f"{level} CI, high",
                "rate_pending_as_not": "Appointed, pending counted as not",
                "ci_low_pending_as_not": f"{level} CI, low (pending as not)",
                "ci_high_pending_as_not": f"{level} CI, high (pending as not)",
            },
            decimals=dict.fromkeys(
                [
                    "rate",
                    "ci_low",
                    "ci_high",
                    "rate_pending_as_not",
                    "ci_low_pending_as_not",
                    "ci_high_pending_as_not",
                ],
                3,
            ),
        )
    )
    for r in nio[nio["caveat"] != ""].itertuples():
        print(nb.wrap(f"{r.report_year}: {r.caveat}", indent="    "))
else:
    print("The bundled curated data hold one NIO figure, without a denominator:")
    f = pko.load("followups").query("measure == 'nio_appointed_pct'")
    for r in f.itertuples():
        print(
            nb.wrap(
                f"  {r.period}: {r.value:.1f}% ({r.denominator_note}; {r.confidence} confidence, {r.source_id})"
            )
        )

# %% [markdown]
# ### By contributor
#
# Contributors are matched by ISO 3166 code, so spelling variants of one country meet. The export
# records one NIO status per allegation: an allegation naming several contributors is assigned to each
# of them (open circles in the funnel plot, column `shared`), so the contributor rows add up to more
# than the allegations; the totals count each allegation once.
#
# The funnel's grey limits assume binomial variation around the overall rate: contributors' rates
# vary more than that for many reasons (mission, case mix), so most would look "unusual". The
# coloured limits are adjusted for that overdispersion by Spiegelhalter's (2005) additive random-effects
# method (a between-contributor variance added to the binomial one, estimated from winsorised
# z-scores); the printed line says how large it is and which limits are drawn.

# %%
if table is not None:
    contrib = response.contributor_table(uni, min_cases, ci_method, alpha)
    p0 = float(totals.rate)
    no_funnel = response.funnel_unavailable(contrib, p0)
    if no_funnel:
        print(nb.wrap(f"Funnel plot: not drawn: {no_funnel}."))
    else:
        overdispersion = response.funnel_overdispersion(contrib, p0)
        print(nb.wrap(f"Funnel limits: exact binomial; {overdispersion.describe()}."))
        pko.results.record("funnel_overdispersion_phi", round(overdispersion.phi, 3), unit="number")
        fig, ax = plt.subplots(figsize=(7, 4.6))
        plots.funnel(
            contrib,
            response.funnel_limits(
                p0, max(int(contrib["decided"].max()), 2), overdispersion=overdispersion
            ),
            x="decided",
            y="rate",
            label="nationality",
            p0=p0,
            ax=ax,
            shared="shared",
            title=f"NIO appointment by contributor (funnel plot)\n{selection}",
            note=f"{contrib.attrs['shared_allegations']} allegation(s) name several contributors and count for each "
            "(open circles); the overall rate counts each allegation once.",
            xlabel="NIO requests decided",
            ylabel="share with an NIO appointed",
            source=table,
        )
        plots.save(fig, out / "nio_funnel.png", show=True)
    print(nb.wrap(contrib.attrs["note"]))
    if contrib.attrs["unresolved"]:
        print(
            nb.wrap(
                "Not a country, so in the totals but in no contributor row: "
                + ", ".join(
                    f"{k} ({v} allegations)" for k, v in contrib.attrs["unresolved"].items()
                )
            )
        )
    print(
        f"{(contrib['caution'] != '').sum()} of {len(contrib)} contributors have fewer than {min_cases} decided requests: "
        "their rates are shown but should not be ranked"
    )
    t = contrib.attrs["totals"].iloc[0]
    pko.results.record(
        "nio_totals_each_allegation_once",
        {
            "allegations": int(t.allegations),
            "appointed": int(t.appointed),
            "decided": int(t.decided),
            "pending": int(t.pending),
        },
        unit="count",
    )
    display(
        tables.for_display(
            contrib.head(15)[
                [
                    "nationality",
                    "nationality_iso3",
                    "appointed",
                    "decided",
                    "pending",
                    "rate",
                    "ci_low",
                    "ci_high",
                    "rate_pending_as_not",
                    "shared",
                    "caution",
                ]
            ],
            labels={
                "rate": "Appointed, share of decided",
                "rate_pending_as_not": "Appointed, pending counted as not",
            },
            ci=level,
        )
    )

# %% [markdown]
# ### Time from report to a national outcome
#
# The share of allegations whose national outcome has been reported falls steeply for the most recent
# reporting years: recent allegations have simply had less time. The export gives no date for an outcome,
# only whether one was reported by the export date; each allegation is seen once, some time after its
# report ("current-status" data: a pending outcome is censored on the censoring day). Kaplan-Meier
# needs event dates, so the curve below is the nonparametric maximum likelihood estimate for such
# data; the bounds use only binomial counts. It assumes the time to an outcome has not changed across
# reporting years: with a single export, a change of behaviour cannot be told apart from follow-up
# time (a later export of the same allegations would tell).

# %%
if table is not None:
    print(nb.wrap("Definition: " + response.DEFINITIONS["outcome_reported"]))
    times = response.outcome_times(raw, uni, censor)
    if times.empty:
        print(
            "No allegation in the selection has a national-government action line: no time to an outcome to show."
        )
    else:
        tto = response.time_to_outcome(
            times["followup_days"], times["reported"], alpha, method=ci_method
        )
        print(
            nb.wrap(
                f"{tto.n} allegations with a national action line, {tto.reported} with an outcome reported by {censor.date()}. "
                f"Median time from the reporting month to a reported outcome: "
                + ("not reached" if pd.isna(tto.median) else f"{tto.median:.0f} days")
                + f" ({level} interval {tto.ci_low:.0f} to "
                + (
                    "beyond the longest follow-up"
                    if pd.isna(tto.ci_high)
                    else f"{tto.ci_high:.0f} days"
                )
                + ")."
            )
        )
        pko.results.record(
            "outcome_median_days", None if pd.isna(tto.median) else float(tto.median), unit="number"
        )
        fig, ax = plt.subplots()
        plots.survival(
            {"national outcome": tto.table.rename(columns={"still_open": "survival"})},
            ax=ax,
            xlabel="days since the first day of the reporting month",
            ylabel="share without a reported outcome",
            title=f"Time to a reported national outcome (current-status NPMLE)\n{selection}",
            source=table,
        )
        plots.save(fig, out / "time_to_outcome.png", show=True)
        display(
            tables.for_display(
                response.outcome_horizons(tto).round(3),
                labels={
                    "share_reported": "Outcome reported, share",
                    "low": "Interval, low",
                    "high": "Interval, high",
                },
            )
        )
        actions = response.national_actions(raw, uni["allegation_id"].unique())
        print(
            "National governments' final actions (one line per action and allegation; persons in parentheses in the export):"
        )
        display(tables.for_display(actions))
        pko.results.record(
            "national_actions", {r.action: int(r.lines) for r in actions.itertuples()}, unit="count"
        )

# %% [markdown]
# ## How long investigations take
#
# Durations by investigating entity, in days from the first day of the allegation's reporting month.
# Pending investigations are open from that day to the censoring day (right-censored), the same day
# for every subset, so a filter that keeps an entity's cases does not move its median. Finished ones
# have the days the export gives, which the UN counts from the start of the investigation; the export
# publishes no start date, so both are taken to start in the reporting month. The naive median of
# finished investigations is shown beside the Kaplan-Meier median to make the bias visible.

# %%
if table is not None:
    durations = response.investigation_durations(raw, censor, ids=uni["allegation_id"])
    print(
        nb.wrap(
            f"{len(durations)} investigations ({int((durations['event'] == 0).sum())} still open on {durations.attrs['as_of']}); "
            f"{durations.attrs['not_applicable']} marked N/A left out. {durations.attrs['started_before_report']} finished "
            "investigations took longer than the time from their reporting month to the censoring day: they began before the "
            "allegation was reported, so for them the origin is earlier than the reporting month."
        )
    )
    by_entity = response.durations_by_entity(durations, min_n=min_cases, alpha=alpha)
    pko.results.record("censoring_day", durations.attrs["as_of"], unit="text")
    if by_entity.empty:
        print(
            nb.wrap(
                f"No investigating entity has {min_cases} or more investigations in the selection (min_cases): no "
                "Kaplan-Meier curve to show. By entity: "
                + (", ".join(f"{k} {v}" for k, v in by_entity.attrs["too_few"].items()) or "none")
                + "."
            )
        )
    else:
        pko.results.record(
            "km_median_days",
            {
                r.entity: (None if pd.isna(r.km_median) else float(r.km_median))
                for r in by_entity.itertuples()
            },
            unit="number",
        )
        curves = {
            e: response.kaplan_meier(d["days"], d["event"], alpha).table
            for e, d in durations.groupby("entity")
            if e in set(by_entity["entity"])
        }
        fig, ax = plt.subplots()
        plots.survival(
            curves,
            ax=ax,
            xlabel="days since the first day of the reporting month",
            title=f"Investigations still open (Kaplan-Meier)\n{selection}",
            note=f"Pending investigations censored on {durations.attrs['as_of']}.",
            source=table,
        )
        plots.save(fig, out / "investigation_durations.png", show=True)
        display(
            tables.save_table(
                by_entity.assign(entity=by_entity["entity"].map(plots.readable)),
                out / "tables" / "investigation_durations",
                title=f"Investigation durations by investigating entity, Kaplan-Meier median days ({selection})",
                source=f"{data_note}; pending investigations censored on {durations.attrs['as_of']}",
                labels={
                    "entity": "Investigating entity",
                    "n": "Investigations",
                    "completed": "Completed",
                    "pending": "Still open",
                    "km_median": "Median days (Kaplan-Meier)",
                    "ci_low": f"{level} CI, low",
                    "ci_high": f"{level} CI, high",
                    "naive_median_completed": "Median days of the completed only (biased)",
                },
                decimals=dict.fromkeys(
                    ["km_median", "ci_low", "ci_high", "naive_median_completed"], 1
                ),
            )
        )

# %% [markdown]
# ## NIO appointment over the years: a logistic model
#
# Odds of an NIO being appointed per reporting year (``year_c``), one row per allegation, complete years
# only, with standard errors clustered by contributor (one country's decisions are not independent):
# intervals and p-values use the t distribution with (contributors - 1) degrees of freedom, a wild
# cluster score bootstrap p-value is added when there are fewer than 50 contributors, and with fewer
# than five contributors no interval is printed (too few clusters to estimate the variance).
# Pending requests are left out, and in a sensitivity counted as not appointed. Contributor
# characteristics (say a gender-equality index, or troop numbers) can be added with
# `response.nio_logit(uni, contributor_attributes=df, terms=[...])` where `df` has a `nationality`
# column (matched through ISO3 codes).

# %%
logit = None
if table is not None:
    try:
        logit = response.nio_logit(uni, alpha=alpha)
        logit_pending = response.nio_logit(uni, alpha=alpha, pending="not_appointed")
    except pko.errors.NotEstimable as exc:
        print(nb.wrap(f"logistic model: not fitted ({exc})"))
if logit is not None:
    left_out = ", ".join(map(str, logit.attrs["years_left_out"])) or "none"
    print(
        nb.wrap(
            f"{logit.attrs['n']} allegations with a decided NIO request in {logit.attrs['clusters']} contributor clusters; "
            f"partial years left out: {left_out}. Method: {logit.attrs['method']}."
        )
    )
    year_or = logit.set_index("term").loc["year_c"]
    year_or_p = logit_pending.set_index("term").loc["year_c"]
    if logit.attrs["no_interval"]:
        print(
            nb.wrap(
                f"odds ratio per year: {year_or.odds_ratio:.3f} (pending counted as not appointed: "
                f"{year_or_p.odds_ratio:.3f}); no interval or p-value: {logit.attrs['no_interval']}."
            )
        )
    else:
        boot = (
            f"; wild cluster bootstrap p = {year_or.boot_p_value:.3f}"
            if year_or.boot_p_value == year_or.boot_p_value
            else ""
        )
        print(
            nb.wrap(
                f"odds ratio per year: {year_or.odds_ratio:.3f} ({level} CI {year_or.ci_low:.3f}-"
                f"{year_or.ci_high:.3f}, t({logit.attrs['clusters'] - 1}), p = {year_or.p_value:.3f}"
                f"{boot}); pending counted as not appointed: {year_or_p.odds_ratio:.3f} "
                f"({year_or_p.ci_low:.3f}-{year_or_p.ci_high:.3f})"
            )
        )
    pko.results.record("nio_odds_ratio_per_year", round(float(year_or.odds_ratio), 4), unit="ratio")
    pko.results.record("nio_logit_clusters", int(logit.attrs["clusters"]), unit="count")
    display(
        tables.for_display(
            logit.assign(term=logit["term"].map(pko.results.term_label)).round(3), ci=level
        )
    )

# %% [markdown]
# ## Sources

# %%
cited = [followups, replying]
nb.print_sources(
    cited,
    []
    if table_path is None
    else [f"UN Conduct in UN Field Missions, table of allegations export: {table_path.name}"],
)
