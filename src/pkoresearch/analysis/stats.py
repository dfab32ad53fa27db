"""Statistical primitives shared by the research-question modules.

Every function is pure and returns a small frozen result object (``estimate``, ``ci_low``,
``ci_high``, ``p_value``, ``method``, ``.to_frame()``) or a DataFrame, never a bare tuple.

- exact Poisson intervals for a count and a rate (Garwood: ``statsmodels.stats.rates``);
- rate ratio of two Poisson counts with exposure: exact conditional (binomial) test and interval
  (``statsmodels.stats.rates`` test, Clopper-Pearson interval mapped to the ratio);
- proportions with Wilson or Clopper-Pearson intervals (``statsmodels.stats.proportion``);
- count GLMs with a log-exposure offset: quasi-Poisson with the Pearson scale (the default, safe
  with few observations), Poisson, negative binomial, or a choice by an overdispersion test; each
  says which model and why; segmented regression at breakpoints;
- inference with few clusters for any clustered model (:func:`cluster_inference`): t(G-1)
  intervals, no interval below :data:`MIN_CLUSTERS`, a wild cluster score bootstrap p-value
  (:func:`wild_score_bootstrap`) below :data:`BOOTSTRAP_BELOW` clusters.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from pkoresearch.errors import NotEstimable, ParameterError

CI_METHODS = ("wilson", "clopper-pearson")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval (and test, where there is one)."""

    estimate: float
    ci_low: float
    ci_high: float
    method: str
    p_value: float | None = None
    alpha: float = 0.05
    detail: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        d = asdict(self)
        d.update(d.pop("detail"))
        return pd.DataFrame([d])

    def __str__(self) -> str:  # e.g. "0.76 (95% CI 0.57-1.01)"
        level = round(100 * (1 - self.alpha))
        return f"{self.estimate:.3g} ({level}% CI {self.ci_low:.3g}-{self.ci_high:.3g})"


def _check_count(name: str, value, allow_zero: bool = True) -> int:
    if isinstance(value, bool) or value is None or (isinstance(value, float) and math.isnan(value)):
        raise ParameterError(f"{name}: found {value!r}; expected a whole number >= 0")
    if float(value) != int(value) or value < 0 or (not allow_zero and value == 0):
        raise ParameterError(
            f"{name}: found {value!r}; expected a whole number {'>= 0' if allow_zero else '> 0'}"
        )
    return int(value)


def _check_positive(name: str, value) -> float:
    if value is None or not np.isfinite(value) or value <= 0:
        raise ParameterError(f"{name}: found {value!r}; expected a positive number")
    return float(value)


def _check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha: found {alpha!r}; expected a number between 0 and 1")
    return alpha


# --------------------------------------------------------------------------------------------------
# counts and rates


def poisson_interval(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count: gamma (chi-square) quantiles,
    0 as the lower bound of a count of 0.

    Computed by ``statsmodels.stats.rates.confint_poisson(count, 1, method="exact-c")`` (the
    central interval, ``alpha/2`` in each tail): the same numbers as the chi-square quantiles
    chi2(alpha/2, 2k)/2 and chi2(1 - alpha/2, 2k + 2)/2 (tests/test_library_identity.py).
    """
    from statsmodels.stats.rates import confint_poisson

    k = _check_count("count", count)
    _check_alpha(alpha)
    low, high = confint_poisson(k, 1.0, method="exact-c", alpha=alpha)
    return float(low), float(high)


def poisson_rate(count: int, exposure: float, per: float = 1000, alpha: float = 0.05) -> Estimate:
    """Rate of events per ``per`` units of exposure with an exact Poisson interval.

    Units: count / exposure * per, e.g. allegations per 1,000 uniformed personnel.
    Example: ``poisson_rate(85, 98638)`` -> 0.862 per 1,000 (95% CI 0.688-1.07).
    """
    k = _check_count("count", count)
    e = _check_positive("exposure", exposure)
    low, high = poisson_interval(k, alpha)
    return Estimate(
        k / e * per,
        low / e * per,
        high / e * per,
        "exact Poisson (Garwood)",
        alpha=alpha,
        detail={"count": k, "exposure": e, "per": per},
    )


def rate_ratio(
    count1: int, exposure1: float, count0: int, exposure0: float, alpha: float = 0.05
) -> Estimate:
    """Ratio of two Poisson rates (period 1 over period 0) with the exact conditional test.

    Given the total n = count1 + count0, count1 is binomial with p = RR*e1 / (RR*e1 + e0). The test
    of RR = 1 is the exact binomial test of p = e1 / (e1 + e0), two-sided by the likelihood
    ordering (``statsmodels.stats.rates.test_poisson_2indep(..., method="exact-cond")``, which
    calls ``scipy.stats.binomtest``); the interval is the Clopper-Pearson interval of p
    (``proportion_confint(..., method="beta")``) mapped back to RR: 0 when count1 is 0, infinite
    when count0 is 0. statsmodels' own ``confint_poisson_2indep`` has no exact conditional
    interval, hence the mapping here. Example: 85 allegations in 2010 (98,638 personnel) against
    112 in 2009 (98,196): ``rate_ratio(85, 98638, 112, 98196)``.
    """
    from statsmodels.stats.proportion import proportion_confint
    from statsmodels.stats.rates import test_poisson_2indep

    c1, c0 = _check_count("count1", count1), _check_count("count0", count0)
    e1, e0 = _check_positive("exposure1", exposure1), _check_positive("exposure0", exposure0)
    _check_alpha(alpha)
    n = c1 + c0
    if n == 0:
        raise ParameterError("rate_ratio: both counts are 0; expected at least one event")
    with np.errstate(divide="ignore"):  # statsmodels divides by the rate of period 0 (may be 0)
        p_value = float(
            test_poisson_2indep(c1, e1, c0, e0, method="exact-cond", compare="ratio").pvalue
        )
    lo_p, hi_p = (float(v) for v in proportion_confint(c1, n, alpha=alpha, method="beta"))

    def to_rr(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * e0 / e1

    rr = math.inf if c0 == 0 else (c1 / e1) / (c0 / e0)
    return Estimate(
        rr,
        to_rr(lo_p),
        to_rr(hi_p),
        "exact conditional (binomial)",
        p_value,
        alpha,
        {"count1": c1, "exposure1": e1, "count0": c0, "exposure0": e0},
    )


# --------------------------------------------------------------------------------------------------
# proportions


def proportion(successes: int, n: int, method: str = "wilson", alpha: float = 0.05) -> Estimate:
    """A proportion with a Wilson or Clopper-Pearson interval, by
    ``statsmodels.stats.proportion.proportion_confint`` (``method="wilson"`` or ``"beta"``;
    two-sided, ``alpha/2`` in each tail; Clopper-Pearson's bounds are exactly 0 at 0 successes
    and 1 at n).

    Example: ``proportion(29, 74)`` -> 0.392 (Wilson 95% CI 0.288-0.506).
    """
    from statsmodels.stats.proportion import proportion_confint

    if method not in CI_METHODS:
        raise ParameterError(f"ci_method: found {method!r}; expected one of {list(CI_METHODS)}")
    k = _check_count("successes", successes)
    m = _check_count("n", n, allow_zero=False)
    if k > m:
        raise ParameterError(f"proportion: found {k} successes out of {m}; expected successes <= n")
    _check_alpha(alpha)
    p = k / m
    low, high = proportion_confint(
        k, m, alpha=alpha, method="wilson" if method == "wilson" else "beta"
    )
    return Estimate(
        p,
        float(low),  # statsmodels clips Wilson's bounds to 0-1; Clopper-Pearson's lie within
        float(high),
        method,
        alpha=alpha,
        detail={"successes": k, "n": m},
    )


def proportion_table(
    frame: pd.DataFrame,
    successes: str,
    n: str,
    method: str = "wilson",
    alpha: float = 0.05,
    scale: float = 1.0,
    prefix: str = "rate",
) -> pd.DataFrame:
    """Add ``<prefix>, ci_low, ci_high`` (times ``scale``, e.g. 100 for percent) to a table of
    counts, one :func:`proportion` per row; rows with ``n`` = 0 get missing values.
    Example: ``proportion_table(df, "appointed", "decided", method="clopper-pearson")``
    """
    out = frame.copy()
    est = [
        proportion(int(k), int(m), method, alpha) if m > 0 else None
        for k, m in zip(out[successes], out[n])
    ]
    out[prefix] = [scale * e.estimate if e else np.nan for e in est]
    out["ci_low"] = [scale * e.ci_low if e else np.nan for e in est]
    out["ci_high"] = [scale * e.ci_high if e else np.nan for e in est]
    return out


# --------------------------------------------------------------------------------------------------
# count models


FAMILIES = ("quasipoisson", "poisson", "negbin", "auto")


@dataclass(frozen=True)
class CountModel:
    """A fitted count GLM with exposure offset: IRRs, the dispersion and the model choice."""

    family: str  # "quasi-Poisson", "poisson" or "negative binomial"
    irr: pd.DataFrame  # term, irr, ci_low, ci_high, p_value
    dispersion: float  # Pearson chi2 / residual df of the Poisson fit
    dispersion_p_value: float  # one-sided test of Var > mean (Cameron-Trivedi auxiliary regression)
    reason: str
    n: int
    alpha_nb: float | None = None
    fitted: pd.DataFrame | None = None  # year/x, fitted count, fitted rate
    scale: float | None = None  # quasi-Poisson: the variance multiplier used (>= 1)

    def to_frame(self) -> pd.DataFrame:
        out = self.irr.copy()
        out.insert(0, "model", self.family)
        return out


def _design(df: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    import statsmodels.api as sm

    return sm.add_constant(df[list(terms)].astype(float), has_constant="add")


def overdispersion_test(y: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    """Cameron & Trivedi (1990) test of Var(y) = mu + a*mu^2 against a = 0 (one-sided).

    Regresses ((y - mu)^2 - y) / mu on mu without a constant; returns (t statistic, p-value).
    """
    import statsmodels.api as sm

    aux = ((y - mu) ** 2 - y) / mu
    fit = sm.OLS(aux, mu).fit()
    t = float(fit.tvalues[0])
    return t, float(sps.t.sf(t, fit.df_resid))


def count_model(
    data: pd.DataFrame,
    count: str,
    exposure: str | None,
    terms: Sequence[str],
    family: str = "quasipoisson",
    alpha: float = 0.05,
    level: float = 0.05,
    keep: Sequence[str] = (),
    unit: str = "observations",
) -> CountModel:
    """Fit a count GLM of ``count`` on ``terms`` with offset log(exposure).

    family:

    - ``"quasipoisson"`` (default): the Poisson mean model with its variance multiplied by the
      Pearson dispersion X2/df (floored at 1, so intervals are never narrower than Poisson's);
      Wald intervals and p-values from the t distribution with the residual degrees of freedom.
      Safe with few observations, where a test between Poisson and negative binomial has little
      power and the negative binomial dispersion is poorly estimated.
    - ``"poisson"``; ``"negbin"`` (NB2, dispersion by maximum likelihood; normal intervals);
    - ``"auto"``: Poisson unless the Cameron-Trivedi test rejects equidispersion at ``level``,
      then negative binomial (only sensible with many observations).

    ``reason`` says which model and why, with the Pearson dispersion; ``unit`` names the rows in
    it (e.g. "years"). Returns IRRs (exp of the coefficients) with intervals at ``alpha``;
    ``fitted`` holds the rows used, the ``keep`` columns (e.g. year) and the fitted counts.
    Example: ``count_model(df, "allegations", "personnel", ["year_c"])``
    """
    import statsmodels.api as sm

    if family not in FAMILIES:
        raise ParameterError(f"family: found {family!r}; expected one of {list(FAMILIES)}")
    cols = [count, *terms] + ([exposure] if exposure else [])
    d = data[list(dict.fromkeys([*keep, *cols]))].dropna(subset=cols)
    if len(d) <= len(terms) + 1:
        raise NotEstimable(
            f"count_model: {len(d)} complete rows for {len(terms) + 1} "
            "parameters; expected more rows than parameters"
        )
    y = d[count].astype(float).to_numpy()
    if not (y > 0).any():
        raise NotEstimable(
            f"count_model: no event in {len(d)} complete rows; expected at least "
            "one to estimate a rate (the counts are all 0)"
        )
    X = _design(d, terms)
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < X.shape[1]:
        dup = [
            c
            for i, c in enumerate(X.columns)
            if np.linalg.matrix_rank(X.drop(columns=c).to_numpy()) == rank
        ]
        raise NotEstimable(
            f"count_model: the terms {dup} are collinear in these {len(d)} rows "
            f"(rank {rank} for {X.shape[1]} parameters); expected terms that "
            "the data can tell apart: drop one"
        )
    offset = np.log(d[exposure].astype(float).to_numpy()) if exposure else None
    glm = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = glm.fit()
    df_resid = float(pois.df_resid)
    dispersion = float(pois.pearson_chi2 / df_resid) if df_resid > 0 else float("nan")
    t, p_disp = overdispersion_test(y, pois.mu)
    n_text = f"{len(d)} {unit}, {len(terms) + 1} parameters"
    use_nb = family == "negbin" or (family == "auto" and p_disp < level)
    alpha_nb = scale = None
    crit = sps.norm.ppf(1 - alpha / 2)
    if use_nb:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2").fit(
                disp=0, maxiter=200
            )
        alpha_nb = float(nb.params.iloc[-1] if hasattr(nb.params, "iloc") else nb.params[-1])
        params = pd.Series(np.asarray(nb.params)[:-1], index=X.columns)
        bse = pd.Series(np.asarray(nb.bse)[:-1], index=X.columns)
        pvals = pd.Series(np.asarray(nb.pvalues)[:-1], index=X.columns)
        fam = "negative binomial"
        mu = (
            np.asarray(nb.predict(X, offset=offset))
            if offset is not None
            else np.asarray(nb.predict(X))
        )
    elif family == "quasipoisson":
        scale = max(1.0, dispersion) if np.isfinite(dispersion) else 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = glm.fit(scale=scale, use_t=True)
        params, bse, pvals = (
            pd.Series(np.asarray(v), index=X.columns) for v in (q.params, q.bse, q.pvalues)
        )
        fam = "quasi-Poisson"
        mu = np.asarray(q.mu)
        crit = sps.t.ppf(1 - alpha / 2, df_resid)
    else:
        params, bse, pvals = (
            pd.Series(np.asarray(v), index=X.columns) for v in (pois.params, pois.bse, pois.pvalues)
        )
        fam = "poisson"
        mu = np.asarray(pois.mu)
    if family == "quasipoisson":
        floor = " (floored at 1: never narrower than Poisson)" if dispersion < 1 else ""
        reason = (
            f"quasi-Poisson: Pearson dispersion {dispersion:.2f} ({n_text}); variances "
            f"scaled by {scale:.2f}{floor}, intervals from the t distribution with "
            f"{df_resid:.0f} residual df. The default: with few {unit} a test between "
            "Poisson and negative binomial has little power (here the Cameron-Trivedi "
            f"test gives one-sided p = {p_disp:.3g}), and negative binomial dispersion is "
            "poorly estimated"
        )
    elif family == "auto":
        verdict = "rejects" if use_nb else "does not reject"
        reason = (
            f"Pearson dispersion {dispersion:.2f} ({n_text}); the Cameron-Trivedi test "
            f"{verdict} equidispersion (t = {t:.2f}, one-sided p = {p_disp:.3g}) at "
            f"{level}: {fam} model"
        )
    else:
        reason = (
            f"{fam} model requested (Pearson dispersion {dispersion:.2f}, {n_text}; "
            f"Cameron-Trivedi p = {p_disp:.3g})"
        )
    irr = pd.DataFrame(
        {
            "term": list(X.columns),
            "irr": np.exp(params.to_numpy()),
            "ci_low": np.exp(params.to_numpy() - crit * bse.to_numpy()),
            "ci_high": np.exp(params.to_numpy() + crit * bse.to_numpy()),
            "p_value": pvals.to_numpy(),
        }
    )
    fitted = d.copy()
    fitted["fitted"] = mu
    return CountModel(fam, irr, dispersion, p_disp, reason, len(d), alpha_nb, fitted, scale)


def segmented_design(years: pd.Series, breakpoints: Sequence[int]) -> pd.DataFrame:
    """Columns for segmented regression: ``year_c`` (years since the first), and for each
    breakpoint B ``level_B`` (1 from B on) and ``slope_B`` (years since B, 0 before)."""
    y = years.astype(int)
    out = pd.DataFrame({"year_c": y - y.min()}, index=years.index)
    for b in breakpoints:
        out[f"level_{b}"] = (y >= b).astype(int)
        out[f"slope_{b}"] = ((y - b).clip(lower=0)).astype(int)
    return out


# --------------------------------------------------------------------------------------------------
# inference with few clusters

MIN_CLUSTERS = 5
"""Fewest clusters for which :func:`cluster_inference` prints an interval or a p-value. With G
clusters the cluster-robust variance is built from G cluster sums of scores (rank at most G - 1
after the fit): with fewer than five, Wald tests over-reject badly even against t(G-1) (Cameron,
Gelbach & Miller 2008; Cameron & Miller 2015, section VI), and a wild bootstrap has too few
distinct draws to help (Rademacher weights give 2^G; with G = 4, sixteen, so no p-value can fall
below 0.125). Below it the helper returns the estimate alone, with the reason."""

BOOTSTRAP_BELOW = 50
"""Clusters below which :func:`cluster_inference` adds a wild score bootstrap p-value (asymptotic
cluster-robust inference is trusted only from about 50 clusters: MacKinnon & Webb 2017)."""

BOOTSTRAP_REPS = 9999
BOOTSTRAP_SEED = 20161
WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


@dataclass(frozen=True)
class ClusterEstimate:
    """One coefficient with small-cluster inference (see :func:`cluster_inference`).

    ``estimate``/``ci_low``/``ci_high`` are on the reported scale (exp of the coefficient when
    ``exponentiated``: an odds ratio or an incidence rate ratio); ``coef``/``se`` on the linear
    scale. ``ci_low``, ``ci_high`` and ``p_value`` are NaN when ``clusters`` < ``min_clusters``,
    and ``no_interval`` says why. ``boot_p_value`` is the wild score bootstrap p-value of
    coefficient = 0 (NaN when not computed; ``boot_method`` says how or why not)."""

    term: str
    coef: float
    se: float
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    clusters: int
    df: int
    alpha: float
    exponentiated: bool
    method: str
    min_clusters: int = MIN_CLUSTERS
    no_interval: str = ""
    boot_p_value: float = float("nan")
    boot_method: str = ""
    boot_reps: int = 0

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def cluster_t(
    coef: float,
    se: float,
    clusters: int,
    alpha: float = 0.05,
    exponentiate: bool = True,
    min_clusters: int = MIN_CLUSTERS,
    term: str = "",
) -> ClusterEstimate:
    """Wald interval and p-value of a coefficient with a cluster-robust standard error ``se``
    from ``clusters`` clusters, against the t distribution with ``clusters - 1`` degrees of
    freedom (Cameron & Miller 2015; Stata's and fixest's default), exponentiated when
    ``exponentiate``. Below ``min_clusters`` (default :data:`MIN_CLUSTERS`) the interval and p are
    NaN and ``no_interval`` says why.
    Example: ``cluster_t(0.1026, 0.0391, 2)`` -> estimate 1.108, no interval (2 clusters);
    ``cluster_t(0.1026, 0.0391, 2, min_clusters=2)`` -> t(1) interval 0.67-1.82."""
    _check_alpha(alpha)
    g = int(clusters)
    if g < 2:
        raise NotEstimable(f"cluster_t: {g} cluster(s); expected at least 2")
    df = g - 1
    back = math.exp if exponentiate else (lambda v: v)
    method = f"cluster-robust Wald, {g} clusters, t({df}) reference"
    if g < min_clusters:
        reason = (
            f"{g} clusters, fewer than the {min_clusters} needed: the cluster-robust variance "
            f"rests on {g} cluster sums, and intervals from so few are unreliable even with "
            f"t({df}) critical values (Cameron & Miller 2015)"
        )
        nan = float("nan")
        return ClusterEstimate(
            term, coef, se, back(coef), nan, nan, nan, g, df, alpha, exponentiate, method,
            min_clusters, reason,
        )  # fmt: skip
    q = float(sps.t.ppf(1 - alpha / 2, df))
    p = float(2 * sps.t.sf(abs(coef / se), df)) if se > 0 else float("nan")
    return ClusterEstimate(
        term, coef, se, back(coef), back(coef - q * se), back(coef + q * se), p, g, df, alpha,
        exponentiate, method, min_clusters,
    )  # fmt: skip


def _restricted_fit(model, k: int, b0: float):
    """Fit ``model`` with coefficient ``k`` fixed at ``b0`` (its column moved into the offset);
    returns the full parameter vector (``b0`` inserted at ``k``)."""
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    X = np.asarray(model.exog, dtype=float)
    y = np.asarray(model.endog, dtype=float)
    off = getattr(model, "offset", None)
    off = np.zeros(len(y)) if off is None else np.asarray(off, dtype=float)
    off_r = off + b0 * X[:, k]
    Xr = np.delete(X, k, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(model, sm.GLM):
            r = sm.GLM(y, Xr, family=model.family, offset=off_r).fit()
            params = np.asarray(r.params)
        elif isinstance(model, NegativeBinomial):
            pois = sm.GLM(y, Xr, family=sm.families.Poisson(), offset=off_r).fit()
            r = NegativeBinomial(y, Xr, offset=off_r, loglike_method=model.loglike_method).fit(
                start_params=np.append(np.asarray(pois.params), 0.5),
                method="newton",
                maxiter=200,
                disp=0,
            )
            params = np.asarray(r.params)
        else:
            r = model.__class__(y, Xr, offset=off_r).fit(disp=0)
            params = np.asarray(r.params)
    return np.insert(params, k, b0)


def wild_score_bootstrap(
    model,
    term: str | int,
    groups,
    b0: float = 0.0,
    reps: int = BOOTSTRAP_REPS,
    seed: int = BOOTSTRAP_SEED,
    weights: str = "webb",
) -> tuple[float, dict]:
    """Wild cluster score bootstrap p-value (Kline & Santos 2012) of ``coef[term] = b0`` in a
    statsmodels likelihood model.

    ``model``: the unfitted statsmodels model of the full specification (``sm.GLM`` with any
    family, ``statsmodels.discrete`` ``NegativeBinomial``, or another discrete model taking
    ``offset``); ``term``: the column name (or index) tested; ``groups``: the cluster of each row.

    The null is imposed (the model refitted with the coefficient fixed at ``b0``); the score of
    each observation at that restricted estimate is projected off the other parameters with the
    Hessian (the efficient score), summed by cluster (S_g) and the statistic is
    T = sum_g S_g / sqrt(sum_g S_g^2) (a cluster-robust score test). Each bootstrap draw multiplies
    the cluster sums by independent weights w_g (Webb's six-point distribution by default,
    Rademacher with ``weights="rademacher"``), T* = sum w_g S_g / sqrt(sum w_g^2 S_g^2), without
    refitting the model. The p-value is the share of draws with ``|T*| >= |T|``. When every weight
    combination fits in ``reps`` draws (6^G or 2^G) they are all enumerated (exact, no seed);
    otherwise ``reps`` draws from ``numpy.random.default_rng(seed)``, reproducible.

    Why not the wild *residual* bootstrap (Roodman et al. 2019, ``wildboottest`` on PyPI): it
    refits a linear model; for nonlinear models (logit, Poisson, negative binomial) the score
    bootstrap is its analogue that needs no refit per draw and keeps the model's own weights.

    Returns ``(p_value, detail)``: detail holds ``statistic``, ``clusters``, ``draws``,
    ``enumerated``, ``weights``, ``seed``.
    Example: ``wild_score_bootstrap(sm.GLM(y, X, family=sm.families.Poisson(), offset=off),
    "share_pct", mission)``
    """
    names = list(model.exog_names)
    k = names.index(term) if isinstance(term, str) else int(term)
    if weights not in ("webb", "rademacher"):
        raise ParameterError(f"weights: found {weights!r}; expected 'webb' or 'rademacher'")
    codes = pd.factorize(pd.Series(np.asarray(groups)))[0]
    G = int(codes.max()) + 1
    failed = {"statistic": float("nan"), "clusters": G, "draws": 0, "enumerated": False}
    try:
        theta = _restricted_fit(model, k, b0)
        with np.errstate(all="ignore"):
            s = np.asarray(model.score_obs(theta), dtype=float)
            H = np.asarray(model.hessian(theta), dtype=float)
            rest = [j for j in range(H.shape[0]) if j != k]
            proj = np.linalg.lstsq(H[np.ix_(rest, rest)], H[rest, k], rcond=None)[0]
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        return float("nan"), {**failed, "weights": weights, "seed": seed, "error": str(exc)}
    eff = s[:, k] - s[:, rest] @ proj
    S = np.bincount(codes, weights=eff, minlength=G)
    denom = math.sqrt(float(np.sum(S**2)))
    if not (np.isfinite(S).all() and np.isfinite(theta).all()) or denom == 0:
        # the restricted fit did not give finite scores (separation under the null)
        return float("nan"), {
            **failed,
            "weights": weights,
            "seed": seed,
            "error": "no finite score",
        }
    T = float(S.sum() / denom)
    values = WEBB if weights == "webb" else np.array([-1.0, 1.0])
    combos = len(values) ** G
    enumerated = combos <= reps
    if enumerated:
        import itertools

        W = np.array(list(itertools.product(values, repeat=G)))
    else:
        W = np.random.default_rng(seed).choice(values, size=(reps, G))
    num = W @ S
    den = np.sqrt((W**2) @ (S**2))
    Tb = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    p = float(np.mean(np.abs(Tb) >= abs(T) - 1e-12))
    return p, {
        "statistic": T,
        "clusters": G,
        "draws": len(W),
        "enumerated": enumerated,
        "weights": weights,
        "seed": None if enumerated else seed,
    }


def wild_score_interval(
    model,
    term: str | int,
    groups,
    alpha: float = 0.05,
    reps: int = BOOTSTRAP_REPS,
    seed: int = BOOTSTRAP_SEED,
    weights: str = "webb",
    estimate: float | None = None,
    se: float | None = None,
) -> tuple[float, float]:
    """Wild cluster score bootstrap interval for ``coef[term]`` (linear scale): the values ``b0``
    that :func:`wild_score_bootstrap` does not reject at ``alpha``, found by bisection on each side
    of ``estimate`` (test inversion; the same ``seed`` gives the same draws for every ``b0``, so
    the interval is reproducible). ``estimate`` and ``se`` (the fitted coefficient and its
    standard error) start the search; a side that is not bounded within 2^12 standard errors is
    infinite. Returns ``(low, high)``; NaN where the test itself fails.
    Example: ``lo, hi = wild_score_interval(model, "share_pct", contributor, estimate=b, se=se)``
    """
    _check_alpha(alpha)

    def p_at(b0: float) -> float:
        return wild_score_bootstrap(model, term, groups, b0, reps, seed, weights)[0]

    b = 0.0 if estimate is None else float(estimate)
    step = 0.05 if not se or not math.isfinite(se) else 2 * float(se)
    if not p_at(b) > alpha:
        return float("nan"), float("nan")

    def bound(direction: int) -> float:
        inside, width = b, step
        outside = b + direction * width
        for _ in range(12):
            p = p_at(outside)
            if not math.isfinite(p):
                return float("nan")
            if p <= alpha:
                break
            inside, width = outside, width * 2
            outside = b + direction * width
        else:
            return direction * math.inf
        for _ in range(14):
            mid = (inside + outside) / 2
            if p_at(mid) > alpha:
                inside = mid
            else:
                outside = mid
        return (inside + outside) / 2

    return bound(-1), bound(+1)


def cluster_inference(
    model,
    params,
    bse,
    term: str,
    groups,
    alpha: float = 0.05,
    exponentiate: bool = True,
    min_clusters: int = MIN_CLUSTERS,
    bootstrap: str | bool = "auto",
    reps: int = BOOTSTRAP_REPS,
    seed: int = BOOTSTRAP_SEED,
) -> ClusterEstimate:
    """Small-cluster inference for one coefficient of a model fitted with cluster-robust
    standard errors: the one helper every clustered model of the package uses.

    Arguments:

    - ``model``: the unfitted statsmodels model (``sm.GLM(y, X, family=..., offset=...)``,
      ``NegativeBinomial(y, X, offset=...)``); used only for the bootstrap;
    - ``params``, ``bse``: the fitted coefficients and cluster-robust standard errors (Series
      indexed by column name, e.g. ``res.params``, ``res.bse`` of a fit with
      ``cov_type="cluster"``);
    - ``term``: the column reported; ``groups``: the cluster of each row of ``model``;
    - ``alpha``; ``exponentiate``: report exp(coef) (odds ratios, rate ratios);
    - ``min_clusters``: below it no interval or p-value (:data:`MIN_CLUSTERS`, with why);
    - ``bootstrap``: ``"auto"`` (a wild score bootstrap p-value when the clusters number at
      least ``min_clusters`` and fewer than :data:`BOOTSTRAP_BELOW`), ``True`` or ``False``;
    - ``reps``, ``seed``: bootstrap draws and the seed that makes them reproducible.

    Returns a :class:`ClusterEstimate`: the Wald interval and p-value from t(G-1)
    (:func:`cluster_t`), G reported as ``clusters``, and the bootstrap p-value
    (:func:`wild_score_bootstrap`) in ``boot_p_value``.
    Example (a contingent panel with Poisson fixed effects)::

        model = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(exposure))
        res = model.fit(cov_type="cluster", cov_kwds={"groups": contributor_codes})
        est = stats.cluster_inference(model, res.params, res.bse, "women_share", contributor_codes)
    """
    codes = pd.factorize(pd.Series(np.asarray(groups)))[0]
    G = int(codes.max()) + 1
    coef = float(pd.Series(params).get(term, np.nan)) if isinstance(params, pd.Series) else None
    if coef is None:
        k = list(model.exog_names).index(term)
        coef, se = float(np.asarray(params)[k]), float(np.asarray(bse)[k])
    else:
        se = float(pd.Series(bse)[term])
    est = cluster_t(coef, se, G, alpha, exponentiate, min_clusters, term)
    run = (min_clusters <= G < BOOTSTRAP_BELOW) if bootstrap == "auto" else bool(bootstrap)
    if est.no_interval:
        run = False
    if not run:
        why = (
            "not computed: fewer clusters than the minimum"
            if est.no_interval
            else f"not computed ({G} clusters)"
        )
        return _replace(est, boot_method=why)
    p, d = wild_score_bootstrap(model, term, codes, 0.0, reps, seed)
    if not math.isfinite(p):
        return _replace(
            est,
            boot_method="not computed: the model with the coefficient fixed at 0 gave no "
            f"finite score ({d.get('error', '')})",
        )
    how = f"wild cluster score bootstrap (Kline & Santos 2012), {d['weights']} weights, " + (
        f"all {d['draws']} weight combinations"
        if d["enumerated"]
        else f"{d['draws']} draws, seed {d['seed']}"
    )
    return _replace(est, boot_p_value=p, boot_method=how, boot_reps=d["draws"])


def _replace(est: ClusterEstimate, **changes) -> ClusterEstimate:
    from dataclasses import replace

    return replace(est, **changes)
