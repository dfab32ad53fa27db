"""Statistics checked against independent computations (scipy/statsmodels called directly) and
synthetic data with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from pkoresearch.analysis import stats
from pkoresearch.errors import ParameterError


@pytest.mark.parametrize("k", [0, 1, 7, 85, 112])
def test_poisson_interval_matches_gamma_quantiles(k):
    low, high = stats.poisson_interval(k)
    # Garwood interval written with gamma quantiles instead of chi-square ones
    assert low == pytest.approx(0.0 if k == 0 else sps.gamma.ppf(0.025, k), rel=1e-10)
    assert high == pytest.approx(sps.gamma.ppf(0.975, k + 1), rel=1e-10)


def test_poisson_interval_coverage_by_definition():
    low, high = stats.poisson_interval(85)
    # at the bounds the tail probabilities are exactly alpha/2
    assert sps.poisson.sf(84, low) == pytest.approx(0.025, abs=1e-9)
    assert sps.poisson.cdf(85, high) == pytest.approx(0.025, abs=1e-9)


def test_poisson_rate_units():
    e = stats.poisson_rate(85, 98638, per=1000)
    assert e.estimate == pytest.approx(85 / 98638 * 1000)
    assert e.ci_low == pytest.approx(sps.gamma.ppf(0.025, 85) / 98638 * 1000)
    assert e.detail["count"] == 85


def test_rate_ratio_2010_against_2009_matches_statsmodels_exact_conditional():
    rr = stats.rate_ratio(85, 98638, 112, 98196)
    assert rr.estimate == pytest.approx((85 / 98638) / (112 / 98196))
    ref = poisson_2indep(85, 98638, 112, 98196, method="exact-cond")
    assert rr.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    # interval: Clopper-Pearson on the conditional binomial, mapped to the ratio
    lo_p, hi_p = proportion_confint(85, 197, alpha=0.05, method="beta")
    assert rr.ci_low == pytest.approx(lo_p / (1 - lo_p) * 98196 / 98638)
    assert rr.ci_high == pytest.approx(hi_p / (1 - hi_p) * 98196 / 98638)
    assert rr.ci_low < rr.estimate < rr.ci_high


def test_rate_ratio_recovers_a_known_ratio():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        c1 = rng.poisson(0.0015 * 50_000)  # true RR = 1.5 against 0.001
        c0 = rng.poisson(0.0010 * 80_000)
        rr = stats.rate_ratio(c1, 50_000, c0, 80_000)
        hits += rr.ci_low <= 1.5 <= rr.ci_high
    assert hits >= 186  # exact intervals cover at least 95%: 190 expected, binomial slack


@pytest.mark.parametrize("method,sm_method", [("wilson", "wilson"), ("clopper-pearson", "beta")])
@pytest.mark.parametrize("k,n", [(29, 74), (26, 60), (27, 47), (0, 10), (10, 10)])
def test_proportion_matches_statsmodels(method, sm_method, k, n):
    e = stats.proportion(k, n, method=method)
    lo, hi = proportion_confint(k, n, alpha=0.05, method=sm_method)
    assert e.estimate == pytest.approx(k / n)
    assert round(e.ci_low, 4) == round(lo, 4) and round(e.ci_high, 4) == round(hi, 4)


def test_proportion_29_of_74():
    e = stats.proportion(29, 74)
    assert round(e.estimate, 3) == 0.392


@pytest.mark.parametrize(
    "args,match",
    [
        ((30, 29), "found 30 successes out of 29"),
        ((-1, 10), "successes: found -1"),
        ((3, 0), "n: found 0"),
    ],
)
def test_proportion_bad_input(args, match):
    with pytest.raises(ParameterError, match=match):
        stats.proportion(*args)


def test_unknown_ci_method():
    with pytest.raises(ParameterError, match=r"ci_method: found 'agresti'; expected one of"):
        stats.proportion(1, 2, method="agresti")


def _synthetic(irr=0.9, years=30, overdispersed=False, seed=1):
    rng = np.random.default_rng(seed)
    year = np.arange(years)
    exposure = rng.uniform(60_000, 110_000, years)
    mu = 0.002 * exposure * irr**year
    if overdispersed:
        counts = rng.negative_binomial(n=3, p=3 / (3 + mu))  # NB2 with alpha = 1/3
    else:
        counts = rng.poisson(mu)
    return pd.DataFrame({"year_c": year, "allegations": counts, "personnel": exposure})


def test_trend_model_recovers_a_known_irr_poisson():
    m = stats.count_model(_synthetic(), "allegations", "personnel", ["year_c"], family="auto")
    assert m.family == "poisson" and "does not reject" in m.reason
    row = m.irr.set_index("term").loc["year_c"]
    assert row.ci_low <= 0.9 <= row.ci_high
    assert row.irr == pytest.approx(0.9, abs=0.01)


def test_overdispersion_picks_negative_binomial_and_recovers_the_irr():
    d = _synthetic(irr=0.95, years=40, overdispersed=True, seed=3)
    m = stats.count_model(d, "allegations", "personnel", ["year_c"], family="auto")
    assert m.family == "negative binomial" and "rejects equidispersion" in m.reason
    assert m.dispersion > 2
    row = m.irr.set_index("term").loc["year_c"]
    assert row.ci_low <= 0.95 <= row.ci_high
    assert m.alpha_nb == pytest.approx(1 / 3, abs=0.2)


def test_poisson_irr_matches_statsmodels_glm_directly():
    import statsmodels.api as sm

    d = _synthetic(seed=11)
    m = stats.count_model(d, "allegations", "personnel", ["year_c"], family="poisson")
    ref = sm.GLM(
        d["allegations"],
        sm.add_constant(d[["year_c"]].astype(float)),
        family=sm.families.Poisson(),
        offset=np.log(d["personnel"]),
    ).fit()
    assert m.irr.set_index("term").loc["year_c", "irr"] == pytest.approx(
        np.exp(ref.params["year_c"])
    )
    lo, hi = np.exp(ref.conf_int().loc["year_c"])
    assert m.irr.set_index("term").loc["year_c", "ci_low"] == pytest.approx(lo)
    assert m.irr.set_index("term").loc["year_c", "ci_high"] == pytest.approx(hi)


def test_segmented_recovers_a_known_level_change():
    rng = np.random.default_rng(5)
    years = pd.Series(np.arange(2000, 2030))
    X = stats.segmented_design(years, [2015])
    exposure = np.full(len(years), 100_000.0)
    mu = 0.001 * exposure * 0.97 ** X["year_c"] * 1.8 ** X["level_2015"]
    d = pd.concat(
        [X, pd.DataFrame({"allegations": rng.poisson(mu), "personnel": exposure})], axis=1
    )
    m = stats.count_model(d, "allegations", "personnel", list(X.columns))
    t = m.irr.set_index("term")
    assert t.loc["level_2015", "ci_low"] <= 1.8 <= t.loc["level_2015", "ci_high"]
    assert t.loc["slope_2015", "ci_low"] <= 1.0 <= t.loc["slope_2015", "ci_high"]
    assert X.loc[X.index[15], "level_2015"] == 1 and X.loc[X.index[14], "level_2015"] == 0
    assert X["slope_2015"].tolist()[-1] == 14


def test_count_model_needs_more_rows_than_parameters():
    d = _synthetic(years=2)
    with pytest.raises(ParameterError, match="2 complete rows for 2 parameters"):
        stats.count_model(d, "allegations", "personnel", ["year_c"])


def test_default_count_model_is_quasi_poisson_matching_statsmodels():
    import statsmodels.api as sm

    d = _synthetic(irr=0.95, years=7, overdispersed=True, seed=4)
    m = stats.count_model(d, "allegations", "personnel", ["year_c"])
    assert m.family == "quasi-Poisson"
    X = sm.add_constant(d[["year_c"]].astype(float))
    pois = sm.GLM(
        d["allegations"], X, family=sm.families.Poisson(), offset=np.log(d["personnel"])
    ).fit()
    x2 = float(pois.pearson_chi2 / pois.df_resid)
    assert m.dispersion == pytest.approx(x2) and x2 > 1
    ref = sm.GLM(
        d["allegations"], X, family=sm.families.Poisson(), offset=np.log(d["personnel"])
    ).fit(scale=x2, use_t=True)
    row = m.irr.set_index("term").loc["year_c"]
    lo, hi = np.exp(ref.conf_int().loc["year_c"])
    assert row.irr == pytest.approx(np.exp(ref.params["year_c"]))
    assert (row.ci_low, row.ci_high) == (pytest.approx(lo), pytest.approx(hi))
    assert row.p_value == pytest.approx(ref.pvalues["year_c"])
    assert m.scale == pytest.approx(x2)
    assert f"{x2:.2f}" in m.reason and "7 observations" in m.reason


def test_quasi_poisson_never_narrows_the_poisson_intervals():
    # under-dispersed data: the scale is floored at 1, so the intervals are Poisson's (with t)
    d = pd.DataFrame(
        {"year_c": range(6), "allegations": [50, 50, 51, 49, 50, 50], "personnel": [1e5] * 6}
    )
    m = stats.count_model(d, "allegations", "personnel", ["year_c"])
    assert m.dispersion < 1 and m.scale == 1.0
    p = stats.count_model(d, "allegations", "personnel", ["year_c"], family="poisson")
    q = m.irr.set_index("term").loc["year_c"]
    assert q.ci_high - q.ci_low >= (
        p.irr.set_index("term").loc["year_c", "ci_high"]
        - p.irr.set_index("term").loc["year_c", "ci_low"]
    )
    assert "floored at 1" in m.reason


def test_collinear_terms_are_refused_not_split_arbitrarily():
    d = _synthetic(years=8)
    d["a"] = (d["year_c"] >= 4).astype(int)
    d["b"] = d["a"]  # the same indicator twice: any split between them is arbitrary
    with pytest.raises(ParameterError, match=r"terms \['a', 'b'\] are collinear"):
        stats.count_model(d, "allegations", "personnel", ["year_c", "a", "b"])
