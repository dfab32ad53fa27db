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

from pkoresearch import response, trends
from pkoresearch.errors import ParameterError, UnrecognisedValuesWarning
from pkoresearch.readers.un_conduct import read_table_of_allegations
from conftest import ROOT, external_file


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
    assert (round(r.loc[2011, "ci_low"], 4), round(r.loc[2011, "ci_high"], 4)) == (round(lo, 4), round(hi, 4))


def test_definitions_stay_apart():
    a = response.curated_series("followups_answered")
    b = response.curated_series("countries_replying")
    assert b[["responses", "requests"]].values.tolist() == [[13, 39]]
    assert set(a["definition"]).isdisjoint(set(b["definition"]))
    with pytest.raises(ParameterError, match="definition: found 'nio_appointed'"):
        response.curated_series("nio_appointed")  # not a curated count series


@pytest.mark.parametrize("frame,match", [
    (pd.DataFrame({"k": [75], "n": [74]}), "found 75 successes out of 74"),
    (pd.DataFrame({"k": [-1], "n": [74]}), "successes: found -1"),
])
def test_bad_rates(frame, match):
    with pytest.raises(ParameterError, match=match):
        response.rate_table(frame, "k", "n")


def test_unknown_ci_method():
    with pytest.raises(ParameterError, match=r"ci_method: found 'wald'; expected one of \['wilson', "
                                             r"'clopper-pearson'\]"):
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
        lambda v: any(re.match(r"\s*(Military|Police)\b", x) for x in re.split(r"\n\s*\n", v)))
    sub = raw[is_uniformed]
    expected = pd.crosstab(sub["Date"].str.split("/").str[1].astype(int), sub["NIO appointed"])
    mapping = {"Yes": "yes", "No (no response)": "no_response", "No (declined)": "declined",
               "Pending": "pending", "N/A": "not_applicable"}
    expected = expected.rename(columns=mapping)[list(mapping.values())]
    assert got.index.tolist() == expected.index.tolist()
    assert (got[list(mapping.values())].to_numpy() == expected.to_numpy()).all()
    assert int(got["yes"].sum()) == 291  # every "Yes" concerns uniformed personnel


def test_nio_rates_exclude_pending_and_not_applicable(real):
    t, _ = real
    uni = response.uniformed(t)
    r = response.nio_rates(uni).set_index("report_year")
    assert (r.loc[2024, "appointed"], r.loc[2024, "decided"], r.loc[2024, "pending"]) == (20, 21, 12)
    lo, hi = proportion_confint(20, 21, method="wilson")
    assert r.loc[2024, "ci_low"] == pytest.approx(lo)


def test_durations_are_censored_at_the_export_date(real):
    t, _ = real
    d = response.investigation_durations(t)
    assert d.attrs["as_of"] == "2024-07-31"
    assert d.attrs["not_applicable"] == 28 + 12
    first = t.allegations.set_index("allegation_id").loc[1]  # reported 7/2024, UN OIOS pending
    row = d.set_index("allegation_id").loc[1]
    assert row.event == 0 and row.days == 30 and first.investigation_status == "pending"
    done = d[d["event"] == 1]
    inv = t.investigations.set_index("allegation_id")
    assert (done["days"].to_numpy() == inv.loc[done["allegation_id"], "days"].astype(float).to_numpy()).all()
    by = response.durations_by_entity(d).set_index("entity")
    # censoring pushes the median above the naive median of finished investigations
    assert by.loc["tcc_oios_joint", "km_median"] > by.loc["tcc_oios_joint", "naive_median_completed"]


def test_contributor_table_and_logit(real):
    t, _ = real
    uni = response.uniformed(t)
    c = response.contributor_table(uni, min_cases=5).set_index("nationality")
    assert c["decided"].iloc[0] == c["decided"].max()
    assert (c.loc[c["decided"] < 5, "caution"] != "").all() and (c.loc[c["decided"] >= 5, "caution"] == "").all()
    attrs = pd.DataFrame({"nationality": c.index, "big": (c["decided"] > 20).astype(int).to_numpy()})
    m = response.nio_logit(uni, attrs, ["big"]).set_index("term")
    assert set(m.index) == {"const", "year_c", "big"} and (m["ci_low"] < m["odds_ratio"]).all()
    with pytest.raises(ParameterError, match=r"terms: found \['gdi'\]"):
        response.nio_logit(uni, attrs, ["gdi"])


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
        t = read_table_of_allegations(ROOT / "tests" / "fixtures" / "table_of_allegations_small.csv")
    uni = response.uniformed(t)
    assert sorted(uni["allegation_id"].unique()) == [1, 2, 3, 4, 5]
    assert uni[uni["allegation_id"] == 3]["nationality"].tolist() == ["Nepal", "Ethiopia"]
    assert trends.select(t, personnel_categories=["civilian"]).counts["selected"] == 1
