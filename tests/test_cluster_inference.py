"""Inference with few clusters (stats.cluster_t, stats.wild_score_bootstrap,
stats.cluster_inference): t(G-1) by hand, no interval below the minimum number of clusters, the
score bootstrap against a hand computation, its size under a known null, and notebook 03's logistic
model on two contributors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from conftest import external_file
from pkoresearch.analysis import response, stats
from pkoresearch.data.readers.un_conduct import read_table_of_allegations


def test_cluster_t_by_hand():
    e = stats.cluster_t(0.2, 0.08, 10, term="x")
    q = sps.t.ppf(0.975, 9)
    assert (e.clusters, e.df) == (10, 9)
    assert e.ci_low == pytest.approx(math.exp(0.2 - q * 0.08))
    assert e.ci_high == pytest.approx(math.exp(0.2 + q * 0.08))
    assert e.p_value == pytest.approx(2 * sps.t.sf(2.5, 9))
    few = stats.cluster_t(0.2, 0.08, 4)
    assert math.isnan(few.ci_low) and math.isnan(few.p_value) and few.estimate == math.exp(0.2)
    assert few.no_interval.startswith("4 clusters, fewer than the 5 needed")


def _poisson_clusters(G, per, beta, rng):
    g = np.repeat(np.arange(G), per)
    x = rng.normal(size=G)[g] + rng.normal(size=len(g))  # regressor correlated within clusters
    u = rng.normal(scale=0.5, size=G)[g]  # cluster effect: errors correlated within clusters
    y = rng.poisson(np.exp(0.5 + beta * x + u))
    return y.astype(float), sm.add_constant(pd.DataFrame({"x": x})), g


def test_score_bootstrap_equals_a_hand_computation():
    rng = np.random.default_rng(1)
    y, X, g = _poisson_clusters(8, 15, 0.0, rng)
    model = sm.GLM(y, X, family=sm.families.Poisson())
    p, d = stats.wild_score_bootstrap(model, "x", g, weights="rademacher")
    # by hand: under x = 0 the Poisson fit is mu = mean(y); the score of x projected off the
    # constant is (y - ybar)(x - xbar) (the Hessian ratio is sum(mu x) / sum(mu) = xbar)
    x = X["x"].to_numpy()
    S = np.array([np.sum(((y - y.mean()) * (x - x.mean()))[g == j]) for j in range(8)])
    T = S.sum() / math.sqrt(np.sum(S**2))
    draws = [np.dot(w, S) / math.sqrt(np.sum(S**2)) for w in itertools.product([-1, 1], repeat=8)]
    assert d["statistic"] == pytest.approx(T)
    assert d["enumerated"] and d["draws"] == 256
    assert p == pytest.approx(np.mean(np.abs(draws) >= abs(T) - 1e-12))


def test_score_bootstrap_size_and_power_with_a_known_answer():
    rng = np.random.default_rng(7)
    null_p, alt_p = [], []
    for i in range(150):
        y, X, g = _poisson_clusters(12, 20, 0.0, rng)
        m = sm.GLM(y, X, family=sm.families.Poisson())
        null_p.append(stats.wild_score_bootstrap(m, "x", g, reps=999, seed=i)[0])
        if i < 30:
            y, X, g = _poisson_clusters(12, 20, 0.4, rng)
            m = sm.GLM(y, X, family=sm.families.Poisson())
            alt_p.append(stats.wild_score_bootstrap(m, "x", g, reps=999, seed=i)[0])
    # true null: about 5% rejected at 0.05 (150 draws: a binomial 95% range of 2-9%)
    assert 0.01 <= np.mean(np.array(null_p) < 0.05) <= 0.10
    assert np.mean(np.array(alt_p) < 0.05) >= 0.8  # a true rate ratio of e^0.4 per unit is found
    # the seed makes it reproducible
    assert stats.wild_score_bootstrap(m, "x", g, reps=999, seed=3) == stats.wild_score_bootstrap(
        m, "x", g, reps=999, seed=3
    )


def test_cluster_inference_adds_the_bootstrap_below_50_clusters():
    rng = np.random.default_rng(2)
    y, X, g = _poisson_clusters(20, 10, 0.0, rng)
    model = sm.GLM(y, X, family=sm.families.Poisson())
    res = model.fit(cov_type="cluster", cov_kwds={"groups": g})
    e = stats.cluster_inference(model, res.params, res.bse, "x", g)
    assert e.clusters == 20 and e.df == 19 and 0 < e.boot_p_value <= 1
    assert "seed 20161" in e.boot_method and e.boot_reps == stats.BOOTSTRAP_REPS
    assert e.p_value == pytest.approx(2 * sps.t.sf(abs(res.params["x"] / res.bse["x"]), 19))
    none = stats.cluster_inference(model, res.params, res.bse, "x", g, bootstrap=False)
    assert math.isnan(none.boot_p_value)


def test_notebook_03_logit_on_two_contributors():
    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    uni = response.uniformed(read_table_of_allegations(path))
    sel = response.select_contributors(uni, ["South Africa", "Cameroon"])
    m = response.nio_logit(sel)
    r = m.set_index("term").loc["year_c"]
    assert m.attrs["clusters"] == 2 and r.odds_ratio == pytest.approx(1.108, abs=5e-4)
    # before: normal Wald on two clusters printed 1.026-1.197; now no interval, and why
    assert math.isnan(r.ci_low) and math.isnan(r.p_value)
    assert "2 clusters, fewer than the 5 needed" in m.attrs["no_interval"]
    # the same standard error against t(1): about 0.67-1.82 (and normal: the old 1.026-1.197)
    d = sel[sel["nio_appointed"].isin(["yes", "no_response", "declined"])]
    d = d[d["year_complete"].astype(bool)].drop_duplicates("allegation_id")
    X = sm.add_constant((d["report_year"] - d["report_year"].min()).astype(float).rename("year_c"))
    fit = sm.GLM((d["nio_appointed"] == "yes").astype(float), X, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["nationality_iso3"])[0]}
    )
    b, se = fit.params["year_c"], fit.bse["year_c"]
    assert (math.exp(b - 1.96 * se), math.exp(b + 1.96 * se)) == pytest.approx(
        (1.026, 1.197), abs=1e-3
    )
    t1 = stats.cluster_t(b, se, 2, min_clusters=2)
    assert (t1.ci_low, t1.ci_high) == pytest.approx((0.67, 1.82), abs=0.01)
