"""Response measures: curated follow-up rates, NIO from the real UN table, Kaplan-Meier with
censoring, comparisons and bad input."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from conftest import ROOT, external_file
from pkoresearch.analysis import response, trends
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.errors import ParameterError, UnrecognisedValuesWarning


def test_29_of_74_with_wilson_equal_to_statsmodels():
    r = response.curated_series("followups_answered").set_index("year")
    assert round(r.loc[2010, "rate"], 3) == 0.392
    lo, hi = proportion_confint(29, 74, method="wilson")  # the independent reference
    assert round(r.loc[2010, "ci_low"], 4) == round(lo, 4)
    assert round(r.loc[2010, "ci_high"], 4) == round(hi, 4)
    assert r[["responses", "requests"]].values.tolist() == [[29, 74], [26, 60], [27, 47]]
    assert set(r["definition"]) == {response.DEFINITIONS["followups_answered"]}


def test_clopper_pearson_series():
    r = response.curated_series("followups_answered", "clopper-pearson").set_index("year")
    lo, hi = proportion_confint(26, 60, method="beta")
    assert (round(r.loc[2011, "ci_low"], 4), round(r.loc[2011, "ci_high"], 4)) == (
        round(lo, 4),
        round(hi, 4),
    )


def test_definitions_stay_apart():
    a = response.curated_series("followups_answered")
    b = response.curated_series("countries_replying")
    assert b[["responses", "requests"]].values.tolist() == [[13, 39]]
    assert set(a["definition"]).isdisjoint(set(b["definition"]))
    with pytest.raises(ParameterError, match="definition: found 'nio_appointed'"):
        response.curated_series("nio_appointed")  # not a curated count series


@pytest.mark.parametrize(
    "frame,match",
    [
        (pd.DataFrame({"k": [75], "n": [74]}), "found 75 successes out of 74"),
        (pd.DataFrame({"k": [-1], "n": [74]}), "successes: found -1"),
    ],
)
def test_bad_rates(frame, match):
    with pytest.raises(ParameterError, match=match):
        response.rate_table(frame, "k", "n")


def test_unknown_ci_method():
    with pytest.raises(
        ParameterError,
        match=r"ci_method: found 'wald'; expected one of \['wilson', "
        r"'clopper-pearson'\]",
    ):
        response.curated_series("followups_answered", method="wald")


def test_compare_newcombe_and_fisher_match_references():
    d = response.compare(27, 47, 29, 74)
    lo, hi = confint_proportions_2indep(27, 47, 29, 74, method="newcomb", compare="diff")
    assert d.estimate == pytest.approx(27 / 47 - 29 / 74)
    assert d.ci_low == pytest.approx(lo, abs=1e-9) and d.ci_high == pytest.approx(hi, abs=1e-9)
    assert d.p_value == pytest.approx(sps.fisher_exact([[27, 20], [29, 45]]).pvalue)


def test_kaplan_meier_hand_worked_example():
    # durations 3, 5+, 6, 6, 8+, 10, 12+ (+ = still open). Worked by hand:
    # t=3: 7 at risk, 1 event -> S = 6/7 = 0.857
    # t=6: 5 at risk (5+ censored before), 2 events -> S = 6/7 * 3/5 = 0.514
    # t=10: 2 at risk (8+ censored), 1 event -> S = 0.514 * 1/2 = 0.257 -> median 10
    km = response.kaplan_meier([3, 5, 6, 6, 8, 10, 12], [1, 0, 1, 1, 0, 1, 0])
    t = km.table.set_index("time")
    assert t.loc[3, "survival"] == pytest.approx(6 / 7)
    assert t.loc[6, "survival"] == pytest.approx(6 / 7 * 3 / 5)
    assert t.loc[10, "survival"] == pytest.approx(6 / 7 * 3 / 5 / 2)
    assert t["at_risk"].tolist() == [7, 6, 5, 3, 2, 1]
    assert km.median == 10
    # the naive median of the finished ones would be 6: censoring matters
    assert np.median([3, 6, 6, 10]) == 6
    assert (km.n, km.events) == (7, 4)


def test_kaplan_meier_median_not_reached():
    km = response.kaplan_meier([5, 6, 7, 8], [1, 0, 0, 0])
    assert np.isnan(km.median)
    with pytest.raises(ParameterError):
        response.kaplan_meier([1, -2], [1, 1])


def test_funnel_limits_are_binomial_quantiles():
    f = response.funnel_limits(0.6, 50).set_index("n")
    assert f.loc[50, "lower_95"] == sps.binom.ppf(0.025, 50, 0.6) / 50
    assert f.loc[50, "upper_99.8"] == sps.binom.ppf(0.999, 50, 0.6) / 50
    assert f.loc[10, "lower_95"] <= 0.6 <= f.loc[10, "upper_95"]
    with pytest.raises(ParameterError):
        response.funnel_limits(1.2, 10)


# ------------------------------------------------------------------------------- real UN table


@pytest.fixture(scope="module")
def real():
    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    t = read_table_of_allegations(path)
    raw = pd.read_excel(path, sheet_name="Export", dtype=str, keep_default_na=False)
    return t, raw


def test_nio_counts_by_year_equal_a_crosstab_of_the_raw_column(real):
    t, raw = real
    uni = response.uniformed(t, ["military", "police"])
    got = response.nio_counts(uni, "report_year")
    is_uniformed = raw["Personnel Type"].map(
        lambda v: any(re.match(r"\s*(Military|Police)\b", x) for x in re.split(r"\n\s*\n", v))
    )
    sub = raw[is_uniformed]
    expected = pd.crosstab(sub["Date"].str.split("/").str[1].astype(int), sub["NIO appointed"])
    mapping = {
        "Yes": "yes",
        "No (no response)": "no_response",
        "No (declined)": "declined",
        "Pending": "pending",
        "N/A": "not_applicable",
    }
    expected = expected.rename(columns=mapping)[list(mapping.values())]
    assert got.index.tolist() == expected.index.tolist()
    assert (got[list(mapping.values())].to_numpy() == expected.to_numpy()).all()
    assert int(got["yes"].sum()) == 291  # every "Yes" concerns uniformed personnel


def test_nio_rates_exclude_pending_and_not_applicable(real):
    t, _ = real
    uni = response.uniformed(t)
    r = response.nio_rates(uni).set_index("report_year")
    assert (r.loc[2024, "appointed"], r.loc[2024, "decided"], r.loc[2024, "pending"]) == (
        20,
        21,
        12,
    )
    lo, hi = proportion_confint(20, 21, method="wilson")
    assert r.loc[2024, "ci_low"] == pytest.approx(lo)


def test_durations_are_censored_at_the_exports_own_date(real):
    t, raw = real
    d = response.investigation_durations(t)
    # the first day of the export's last reporting month (July 2024), not its last day
    assert d.attrs["as_of"] == "2024-07-01"
    assert d.attrs["not_applicable"] == 28 + 12
    by_id = d.set_index("allegation_id")
    first = t.allegations.set_index("allegation_id").loc[1]  # reported 7/2024, UN OIOS pending
    assert first.investigation_status == "pending"
    assert by_id.loc[1, "event"] == 0 and by_id.loc[1, "days"] == 0  # whole months: none yet
    june = t.allegations[
        (t.allegations["report_date"] == "2024-06-01")
        & (t.allegations["investigation_status"] == "pending")
    ]["allegation_id"]
    assert len(june) and (by_id.loc[june, "days"] == 30).all()  # 1 June to 1 July
    done = d[d["event"] == 1]
    inv = t.investigations.set_index("allegation_id")
    assert (
        done["days"].to_numpy() == inv.loc[done["allegation_id"], "days"].astype(float).to_numpy()
    ).all()
    # finished investigations longer than the time from their reporting month to 1 July 2024,
    # counted from the raw cells: "UN OIOS (585)" reported 6/2024 is one
    month = pd.to_datetime(raw["Date"].str.replace(r"(\d+)/(\d{4})", r"\2-\1-01", regex=True))
    days = raw["Investigation (days)"].str.extract(r"\((\d+)\)")[0].astype(float)
    longer = int((days > (pd.Timestamp("2024-07-01") - month).dt.days).sum())
    assert d.attrs["started_before_report"] == longer == 11
    by = response.durations_by_entity(d).set_index("entity")
    # censoring pushes the median above the naive median of finished investigations
    assert (
        by.loc["tcc_oios_joint", "km_median"] > by.loc["tcc_oios_joint", "naive_median_completed"]
    )


def test_censoring_date_rules(real):
    t, _ = real
    assert response.censoring_date(t) == pd.Timestamp("2024-07-01") == t.as_of
    assert response.censoring_date(t, "2024-07-19") == pd.Timestamp("2024-07-19")
    assert response.censoring_date(t, "2024-08") == pd.Timestamp("2024-08-01")
    with pytest.raises(
        ParameterError,
        match=r"as_of: found 2024-06-30, before the export's last "
        r"reporting month \(July 2024\)",
    ):
        response.censoring_date(t, "2024-06-30")
    with pytest.raises(ParameterError, match="as_of: found 'soon'"):
        response.censoring_date(t, "soon")
    sub = trends.select(t, personnel_categories=["military", "police"])
    assert sub.allegations["report_date"].max() == pd.Timestamp("2024-06-01")  # its own last month
    assert response.censoring_date(sub) == sub.as_of == t.as_of  # a subset keeps the export's date
    assert (
        response.uniformed(sub)["year_complete"].sum()
        == response.uniformed(t)["year_complete"].sum()
    )


def test_km_median_by_entity_does_not_depend_on_a_filter_that_keeps_its_cases(real):
    t, _ = real
    day = response.censoring_date(t)
    whole = response.durations_by_entity(response.investigation_durations(t)).set_index("entity")
    sub = trends.select(t, personnel_categories=["military", "police"])
    uni_ids = response.uniformed(t)["allegation_id"]
    by_ids = response.durations_by_entity(
        response.investigation_durations(t, ids=uni_ids)
    ).set_index("entity")
    by_sub = response.durations_by_entity(response.investigation_durations(sub)).set_index(
        "entity"
    )  # no as_of: the export's own
    assert response.censoring_date(sub) == day
    for entity in ("tcc", "tcc_oios_joint"):  # every case of these entities is uniformed
        assert whole.loc[entity, "n"] == by_ids.loc[entity, "n"] == by_sub.loc[entity, "n"]
        for col in ("km_median", "ci_low", "ci_high"):
            assert whole.loc[entity, col] == by_ids.loc[entity, col] == by_sub.loc[entity, col]
    assert whole.loc["tcc_oios_joint", "km_median"] == 346
    # censoring at the subset's own last reporting month (the old behaviour) moves the median
    import dataclasses

    forgetful = dataclasses.replace(sub, export_span=None)  # a subset that forgot its export
    assert forgetful.as_of == pd.Timestamp("2024-06-01")
    moved = response.durations_by_entity(response.investigation_durations(forgetful)).set_index(
        "entity"
    )
    assert moved.loc["tcc_oios_joint", "km_median"] != whole.loc["tcc_oios_joint", "km_median"]


def test_nio_pending_is_its_own_state_on_the_real_table(real):
    t, _ = real
    r = response.nio_rates(response.uniformed(t)).set_index("report_year")
    assert (r.loc[2024, "asked"], r.loc[2024, "pending"]) == (33, 12)
    assert r.loc[2024, "rate_pending_as_not"] == pytest.approx(20 / 33)
    assert r.loc[2024, "rate_pending_as_yes"] == pytest.approx(32 / 33)
    lo, hi = proportion_confint(20, 33, method="wilson")
    assert (r.loc[2024, "ci_low_pending_as_not"], r.loc[2024, "ci_high_pending_as_not"]) == (
        pytest.approx(lo),
        pytest.approx(hi),
    )
    assert r["complete"].tolist() == [True] * 9 + [False]  # 2024: January-July only
    assert r.loc[2024, "caveat"].startswith("partial year; 12 of 33 requests pending")
    assert "pending" in r.loc[2023, "caveat"] and r.loc[2022, "caveat"] == ""


def _synthetic_nio(rate: float = 0.6, per_year: int = 100, pending_no_last: float = 0.75):
    """Every year the contributors eventually appoint an NIO for ``rate`` of requests. A 'yes' is
    recorded at once, a 'no response' only after a year: in the last year most of the eventual
    'no' requests are still pending."""
    rows, aid = [], 0
    for year in (2020, 2021, 2022):
        yes = int(rate * per_year)
        no = per_year - yes
        pending = int(pending_no_last * no) if year == 2022 else 0
        states = ["yes"] * yes + ["no_response"] * (no - pending) + ["pending"] * pending
        for s in states:
            aid += 1
            rows.append(
                {
                    "allegation_id": aid,
                    "report_year": year,
                    "nio_appointed": s,
                    "nationality": "Ghana",
                    "year_complete": True,
                }
            )
    return pd.DataFrame(rows)


def test_pending_requests_make_the_naive_rate_wrong_and_the_package_says_so():
    a = _synthetic_nio()
    r = response.nio_rates(a).set_index("report_year")
    # earlier years: nothing pending, the rate is the true 0.6 and no caveat
    assert r.loc[2020, "rate"] == 0.6 and r.loc[2020, "caveat"] == ""
    last = r.loc[2022]
    assert (last.appointed, last.decided, last.pending) == (60, 70, 30)
    naive = 60 / 70  # the rate among decided requests: 0.857
    assert last.rate == pytest.approx(naive)
    assert not last.ci_low <= 0.6 <= last.ci_high  # the naive interval misses the truth
    assert last.ci_low_pending_as_not <= 0.6 <= last.ci_high_pending_as_not
    assert last.rate_pending_as_not == pytest.approx(0.6)
    assert last.caveat.startswith("30 of 100 requests pending on the export date")
    assert "biased upward" in last.caveat and "as not appointed 60%" in last.caveat
    t = response.nio_totals(a).iloc[0]
    assert (t.allegations, t.decided, t.pending) == (300, 270, 30)


def test_contributors_group_through_iso3_and_shared_allegations_count_once_in_totals():
    a = pd.DataFrame(
        {
            "allegation_id": [1, 2, 3, 3, 4],
            "report_year": [2020] * 5,
            "nationality": ["Congo (Republic of)", "Congo", "Congo", "Nepal", "Unknown"],
            "nio_appointed": ["yes", "no_response", "yes", "yes", "pending"],
        }
    )
    c = response.contributor_table(a, min_cases=1).set_index("nationality_iso3")
    assert c.loc["COG", "decided"] == 3 and c.loc["COG", "appointed"] == 2
    assert c.loc["COG", "nationality"] == "Congo / Congo (Republic of)"
    assert c.loc["COG", "shared"] == 1 and c.loc["NPL", "shared"] == 1
    assert int(c["decided"].sum()) == 4  # allegation 3 counts for Congo and for Nepal
    totals = c.attrs["totals"].iloc[0]
    assert (totals.allegations, totals.decided, totals.appointed, totals.pending) == (4, 3, 2, 1)
    assert c.attrs["unresolved"] == {"Unknown": 1} and c.attrs["shared_allegations"] == 1
    assert "counts once for each" in c.attrs["note"]
    picked = response.select_contributors(a, ["Congo (Republic of)"])
    assert sorted(picked["allegation_id"]) == [1, 2, 3]
    with pytest.raises(ParameterError, match=r"parameter contributors: found \['Atlantis'\]"):
        response.select_contributors(a, ["Atlantis"])


def test_contributor_totals_on_the_real_table_count_each_allegation_once(real):
    t, raw = real
    uni = response.uniformed(t)
    c = response.contributor_table(uni)
    totals = c.attrs["totals"].iloc[0]
    is_uniformed = raw["Personnel Type"].map(
        lambda v: any(re.match(r"\s*(Military|Police)\b", x) for x in re.split(r"\n\s*\n", v))
    )
    sub = raw[is_uniformed]
    assert totals.allegations == len(sub) == uni["allegation_id"].nunique() == 572
    assert (
        totals.decided
        == sub["NIO appointed"].isin(["Yes", "No (no response)", "No (declined)"]).sum()
        == 431
    )
    assert totals.pending == (sub["NIO appointed"] == "Pending").sum() == 18
    # three allegations name two contributors each: Nepal/Ethiopia and twice the two Congos
    shared = c.set_index("nationality_iso3")["shared"]
    assert (shared.loc["NPL"], shared.loc["ETH"], shared.loc["COD"], shared.loc["COG"]) == (
        1,
        1,
        2,
        2,
    )
    assert shared.sum() == 6 and c.attrs["shared_allegations"] == 3
    unknown = c.attrs["unresolved"]["Unknown"]
    named = sub["Nationality"].str.split(r"\n\s*\n").map(len)
    assert int(c["asked"].sum()) + sub.loc[sub["Nationality"] == "Unknown", "NIO appointed"].isin(
        ["Yes", "No (no response)", "No (declined)", "Pending"]
    ).sum() == (
        named[
            sub["NIO appointed"].isin(["Yes", "No (no response)", "No (declined)", "Pending"])
        ].sum()
    )
    assert unknown == 17


def test_explain_comparison_says_why_interval_and_test_disagree():
    d = response.compare(27, 47, 29, 74, clustered_by=response.CLUSTERED["followups_answered"])
    assert d.ci_low > 0 and d.p_value == pytest.approx(0.062, abs=5e-4)
    text = response.explain_comparison(d)
    assert "the interval excludes 0 (by 0.001) while the test does not reject equality" in text
    assert "borderline" in text and "clustered by contributing country and case" in text
    assert "too narrow" in d.method
    both = response.explain_comparison(response.compare(40, 50, 10, 50))
    assert "both point to a difference" in both and "borderline" not in both
    neither = response.explain_comparison(response.compare(20, 50, 22, 50))
    assert "compatible with no difference" in neither and "clustered" not in neither
    # the reverse disagreement (rare with Fisher's conservative test): built by hand
    from pkoresearch.analysis.stats import Estimate

    reverse = response.explain_comparison(Estimate(0.2, -0.01, 0.4, "x", 0.04, 0.05))
    assert (
        "the test rejects equality while the interval includes 0 (its nearer bound is "
        "-0.010)" in reverse
    )


def test_curated_series_flags_clustering_and_partial_periods():
    f = response.curated_series("followups_answered")
    assert f["complete"].all() and f["caveat"].str.contains("too narrow").all()
    r = response.curated_series("countries_replying")
    assert r["complete"].tolist() == [False]  # January-June 2010


# ---------------------------------------------------------------- time from report to outcome


def test_current_status_npmle_hand_worked_and_against_scipy():
    # follow-up 1..6 with outcomes 0,1,0,1,1,1: pooling the violator (1, 0) at times 2-3 gives
    # F = 0, .5, .5, 1, 1, 1: the median is the first time F reaches 0.5, i.e. 2
    r = response.time_to_outcome([1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 1, 1], window=2)
    assert r.table["share_reported"].tolist() == [0, 0.5, 0.5, 1, 1, 1]
    assert r.median == 2 and r.at(3.5) == 0.5 and r.at(0.5) == 0
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(3)
    c = rng.integers(0, 60, 400).astype(float)
    y = (rng.random(400) < c / 80).astype(int)
    got = response.time_to_outcome(c, y).table
    g = pd.DataFrame({"c": c, "y": y}).groupby("c")["y"].agg(["mean", "size"])
    ref = isotonic_regression(g["mean"].to_numpy(), weights=g["size"].to_numpy()).x
    assert np.allclose(got["share_reported"].to_numpy(), ref)
    # the bounds at one time are the binomial intervals of the two windows
    t0 = 30.0
    row = got.set_index("time").loc[t0]
    below = (c >= t0 - 365) & (c <= t0)
    above = (c >= t0) & (c <= t0 + 365)
    assert row["low"] == pytest.approx(
        proportion_confint(y[below].sum(), below.sum(), method="wilson")[0]
    )
    assert row["high"] == pytest.approx(
        proportion_confint(y[above].sum(), above.sum(), method="wilson")[1]
    )


def test_time_to_outcome_recovers_a_known_median_where_the_yearly_share_misleads():
    # the same behaviour every year: outcome after an exponential time with median 700 days;
    # each allegation seen once, at the export date, 0-9 years after its report
    rng = np.random.default_rng(11)
    n = 3000
    follow = rng.integers(0, 9 * 12 + 1, n) * 30.0
    event = rng.exponential(700 / np.log(2), n)
    seen = (event <= follow).astype(int)
    # by "reporting year" the share falls from near 1 to near 0 with no change of behaviour
    recent = seen[follow < 365].mean()
    old = seen[follow > 6 * 365].mean()
    assert recent < 0.3 and old > 0.9
    r = response.time_to_outcome(follow, seen)
    assert abs(r.median - 700) <= 60
    assert r.ci_low <= 700 <= r.ci_high
    assert r.at(700) == pytest.approx(0.5, abs=0.06)


def test_outcome_times_on_the_real_table(real):
    t, raw = real
    uni = response.uniformed(t)
    o = response.outcome_times(t, uni)
    lines = raw["Final Action"].map(
        lambda v: [x.strip() for x in re.split(r"\n\s*\n", v) if x.strip()]
    )
    ng = lines.map(lambda ls: [x for x in ls if x.startswith("NG ")])
    is_uniformed = raw["Personnel Type"].map(
        lambda v: any(re.match(r"\s*(Military|Police)\b", x) for x in re.split(r"\n\s*\n", v))
    )
    has = is_uniformed & ng.map(bool)
    reported = ng.map(lambda ls: any(not x.startswith("NG Pending") for x in ls))
    assert len(o) == has.sum() == 565
    assert o["reported"].sum() == (has & reported).sum() == 297
    assert o.attrs["as_of"] == "2024-07-01" and o["followup_days"].min() >= 0
    r = response.time_to_outcome(o["followup_days"], o["reported"])
    assert r.median == 1735 and r.ci_low <= r.median <= r.ci_high
    share = response.outcome_reported(t, uni).set_index("report_year")
    assert share.loc[2015, "rate"] > 0.8 and share.loc[2024, "rate"] == 0
    assert share["complete"].tolist() == [True] * 9 + [False]


def test_contributor_table_and_logit(real):
    t, _ = real
    uni = response.uniformed(t)
    c = response.contributor_table(uni, min_cases=5).set_index("nationality")
    assert c.index.is_unique and "Unknown" not in c.index
    assert c["decided"].iloc[0] == c["decided"].max()
    assert (c.loc[c["decided"] < 5, "caution"] != "").all() and (
        c.loc[c["decided"] >= 5, "caution"] == ""
    ).all()
    attrs = pd.DataFrame(
        {"nationality": c.index, "big": (c["decided"] > 20).astype(int).to_numpy()}
    )
    attrs["nationality"] = attrs["nationality"].replace({"Congo": "Congo (Republic of)"})
    m = response.nio_logit(uni, attrs, ["big"])
    assert m.attrs["unit"] == "allegation and contributor named"
    m = m.set_index("term")
    assert set(m.index) == {"const", "year_c", "big"} and (m["ci_low"] < m["odds_ratio"]).all()
    with pytest.raises(ParameterError, match=r"terms: found \['gdi'\]"):
        response.nio_logit(uni, attrs, ["gdi"])
    # one row per decided allegation in the complete years, clusters = contributors
    y = response.nio_logit(uni)
    assert y.attrs["years_left_out"] == [2024] and y.attrs["n"] == 431 - 21
    assert response.nio_logit(uni, include_partial=True).attrs["n"] == 431
    assert response.nio_logit(uni, pending="not_appointed").attrs["n"] == 431 - 21 + 6
    # clustering changes the standard errors, not the estimates (statsmodels without clusters)
    import statsmodels.api as sm

    d = uni[
        uni["nio_appointed"].isin(["yes", "no_response", "declined"])
        & uni["year_complete"].astype(bool)
    ].drop_duplicates("allegation_id")
    X = sm.add_constant((d["report_year"] - d["report_year"].min()).astype(float).rename("year_c"))
    plain = sm.GLM(
        (d["nio_appointed"] == "yes").astype(float), X, family=sm.families.Binomial()
    ).fit()
    assert y.set_index("term").loc["year_c", "odds_ratio"] == pytest.approx(
        np.exp(plain.params["year_c"])
    )


def test_outcome_and_national_actions(real):
    t, _ = real
    uni = response.uniformed(t)
    acts = response.national_actions(t, uni["allegation_id"].unique()).set_index("action")
    assert acts.loc["Jail", "lines"] == 81 and acts.loc["Pending", "lines"] == 300
    rep = response.outcome_reported(t, uni)
    assert (rep["reported"] <= rep["with_national_line"]).all()


def test_fixture_uniformed_counts():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnrecognisedValuesWarning)
        t = read_table_of_allegations(
            ROOT / "tests" / "fixtures" / "table_of_allegations_small.csv"
        )
    uni = response.uniformed(t)
    assert sorted(uni["allegation_id"].unique()) == [1, 2, 3, 4, 5]
    assert uni[uni["allegation_id"] == 3]["nationality"].tolist() == ["Nepal", "Ethiopia"]
    assert trends.select(t, personnel_categories=["civilian"]).counts["selected"] == 1


def test_funnel_overdispersion_against_a_hand_computation():
    # four contributors around p0 = 0.5: z = (k/n - 0.5) / sqrt(0.25 / n)
    c = pd.DataFrame({"decided": [100, 25, 16, 64], "appointed": [60, 10, 8, 28]})
    z = np.array([(0.6 - 0.5) / 0.05, (0.4 - 0.5) / 0.1, 0.0, (0.4375 - 0.5) / 0.0625])
    assert z == pytest.approx([2.0, -1.0, 0.0, -1.0])
    phi = (4 + 1 + 0 + 1) / 4  # 1.5
    w = np.array([100, 25, 16, 64]) / 0.25
    tau2 = (4 * phi - 3) / (w.sum() - (w**2).sum() / w.sum())
    add = response.funnel_overdispersion(c, 0.5, winsor=0)
    assert (add.units, add.adjusted) == (4, True) and add.phi == pytest.approx(phi)
    assert add.tau2 == pytest.approx(tau2)
    assert add.p_value == pytest.approx(sps.chi2.sf(6, 3))
    lim = response.funnel_limits(0.5, 100, overdispersion=add).set_index("n")
    assert lim.loc[100, "upper_95_adj"] == pytest.approx(0.5 + 1.959964 * np.sqrt(0.0025 + tau2))
    mult = response.funnel_overdispersion(c, 0.5, "multiplicative", winsor=0)
    lim = response.funnel_limits(0.5, 100, overdispersion=mult).set_index("n")
    assert lim.loc[100, "lower_99.8_adj"] == pytest.approx(0.5 - 3.090232 * np.sqrt(1.5 * 0.0025))
    # winsorised: z-scores clipped at their own 10% and 90% quantiles (numpy's linear rule)
    q = np.quantile(z, [0.1, 0.9])
    assert response.funnel_overdispersion(c, 0.5).phi == pytest.approx(np.mean(np.clip(z, *q) ** 2))
    # no overdispersion: binomial limits only
    even = pd.DataFrame({"decided": [100, 100, 100], "appointed": [50, 51, 49]})
    none = response.funnel_overdispersion(even, 0.5)
    assert not none.adjusted and "lower_95_adj" not in response.funnel_limits(
        0.5, 10, overdispersion=none
    )
    assert "no overdispersion detected" in none.describe()
