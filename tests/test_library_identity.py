"""The statistics helpers give the same numbers as the library calls that replace them (issue 28,
item 3), checked on grids that include the edges (count 0, successes = n, large counts, several
alpha), and against an independent computation written out here (the textbook formulas with
scipy quantiles, a naive pool-adjacent-violators fit), so that these tests can still fail once
the package only calls the library.

"Same numbers" means equal to 1e-9 relative (quantile routines of scipy differ in the last bits)
and identical when printed as the package prints them (``Estimate.__str__`` and
:func:`pkoresearch.figures.formatting.number`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.optimize import isotonic_regression
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from conftest import external_file
from pkoresearch.analysis import response, stats
from pkoresearch.figures import formatting

REL = 1e-9


def _same(got: float, want: float) -> None:
    """Equal to the printed precision (and to 1e-9 relative); below 1e-15 both are rounding
    noise around 0 (Wilson's formula at 0 successes)."""
    if math.isinf(want) or math.isinf(got):
        assert got == want
        return
    if abs(got) < 1e-15 and abs(want) < 1e-15:
        return
    assert got == pytest.approx(want, rel=REL, abs=1e-15)
    assert f"{got:.3g}" == f"{want:.3g}"
    assert formatting.number(got) == formatting.number(want)
    assert f"{got:.4f}" == f"{want:.4f}"


ALPHAS = [0.05, 0.01, 0.1, 0.32]
NS = [1, 2, 5, 10, 47, 74, 1000, 250_000]


def _grid_kn():
    for n in NS:
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            if 0 <= k <= n:
                yield k, n


# ---------------------------------------------------------------------------------- proportions


def _wilson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Wilson's score interval written out (Wilson 1927; Newcombe 1998, method 3)."""
    z = sps.norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def _clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Clopper-Pearson from beta quantiles; 0 and 1 at the edges."""
    low = 0.0 if k == 0 else sps.beta.ppf(alpha / 2, k, n - k + 1)
    high = 1.0 if k == n else sps.beta.ppf(1 - alpha / 2, k + 1, n - k)
    return low, high


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize(
    "method,sm_method,formula",
    [("wilson", "wilson", _wilson), ("clopper-pearson", "beta", _clopper_pearson)],
)
def test_proportion_identical_to_statsmodels_and_to_the_formula(method, sm_method, formula, alpha):
    for k, n in _grid_kn():
        e = stats.proportion(k, n, method, alpha)
        lib = proportion_confint(k, n, alpha=alpha, method=sm_method)
        ref = formula(k, n, alpha)
        assert e.estimate == k / n and e.alpha == alpha and e.method == method
        assert e.detail == {"successes": k, "n": n}
        for got, a, b in zip((e.ci_low, e.ci_high), lib, ref):
            _same(got, float(a))
            _same(got, b)
            assert isinstance(got, float)
        # the edges: exactly 0 and 1 for Clopper-Pearson, to rounding for Wilson's formula
        if k == 0:
            assert e.ci_low == pytest.approx(0.0, abs=1e-15 if method == "wilson" else 0)
        if k == n:
            assert e.ci_high == pytest.approx(1.0, abs=1e-15 if method == "wilson" else 0)


def test_proportion_table_identical_row_by_row():
    frame = pd.DataFrame({"k": [0, 3, 29, 74, 0], "n": [5, 3, 74, 74, 0]})
    out = stats.proportion_table(frame, "k", "n", method="clopper-pearson", scale=100)
    for row in out.itertuples():
        if row.n == 0:
            assert math.isnan(row.rate) and math.isnan(row.ci_low) and math.isnan(row.ci_high)
            continue
        lo, hi = _clopper_pearson(row.k, row.n, 0.05)
        _same(row.ci_low, 100 * lo)
        _same(row.ci_high, 100 * hi)
        assert row.rate == 100 * row.k / row.n


def _newcombe(k1, n1, k0, n0, alpha):
    """Newcombe's hybrid score interval for p1 - p0 (Newcombe 1998, method 10) from the two
    Wilson intervals."""
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = _wilson(k1, n1, alpha)
    l0, u0 = _wilson(k0, n0, alpha)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p0 - l0) ** 2
    )


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.1])
def test_newcombe_difference_identical(alpha):
    for k1, n1, k0, n0 in [
        (27, 47, 29, 74),  # 2012 against 2010 follow-ups answered (notebook 03)
        (0, 10, 0, 12),
        (10, 10, 0, 12),
        (0, 5, 5, 5),
        (1, 1, 1, 2),
        (120, 400, 300, 700),
    ]:
        e = response.compare(k1, n1, k0, n0, alpha=alpha)
        lib = confint_proportions_2indep(
            k1, n1, k0, n0, method="newcomb", compare="diff", alpha=alpha
        )
        ref = _newcombe(k1, n1, k0, n0, alpha)
        assert e.estimate == k1 / n1 - k0 / n0
        for got, a, b in zip((e.ci_low, e.ci_high), lib, ref):
            _same(got, float(a))
            _same(got, b)
        table = [[k1, n1 - k1], [k0, n0 - k0]]
        assert e.p_value == pytest.approx(sps.fisher_exact(table).pvalue, rel=1e-12)


# -------------------------------------------------------------------------------- Poisson counts

COUNTS = [0, 1, 2, 5, 29, 85, 112, 1000, 1_000_000]


def _garwood(k: int, alpha: float) -> tuple[float, float]:
    """Garwood's exact interval from chi-square quantiles."""
    low = 0.0 if k == 0 else sps.chi2.ppf(alpha / 2, 2 * k) / 2
    return low, sps.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2


@pytest.mark.parametrize("alpha", ALPHAS)
def test_poisson_interval_identical_to_statsmodels_and_chi_square(alpha):
    for k in COUNTS:
        low, high = stats.poisson_interval(k, alpha)
        lib = confint_poisson(k, 1.0, method="exact-c", alpha=alpha)
        ref = _garwood(k, alpha)
        for got, a, b in zip((low, high), lib, ref):
            _same(got, float(a))
            _same(got, b)
            assert isinstance(got, float)
        assert (low == 0.0) == (k == 0)


@pytest.mark.parametrize("alpha", [0.05, 0.01])
@pytest.mark.parametrize("exposure", [0.37, 1.0, 98_638.0, 2.5e7])
def test_poisson_rate_identical(alpha, exposure):
    for k in COUNTS:
        e = stats.poisson_rate(k, exposure, per=1000, alpha=alpha)
        lo, hi = _garwood(k, alpha)
        assert e.estimate == k / exposure * 1000
        _same(e.ci_low, lo / exposure * 1000)
        _same(e.ci_high, hi / exposure * 1000)
        assert e.method == "exact Poisson (Garwood)"
        assert e.detail == {"count": k, "exposure": exposure, "per": 1000}
        assert str(e) == (
            f"{k / exposure * 1000:.3g} ({round(100 * (1 - alpha))}% CI "
            f"{lo / exposure * 1000:.3g}-{hi / exposure * 1000:.3g})"
        )


# -------------------------------------------------------------------------------- rate ratios


def _binomial_two_sided_p(k: int, n: int, p: float) -> float:
    """The exact two-sided binomial p-value by the likelihood ordering ("minlike"): the
    probability of every outcome no more likely than the one seen (relative tolerance 1e-7, as
    scipy's binomtest)."""
    pmf = sps.binom.pmf(np.arange(n + 1), n, p)
    return float(min(1.0, pmf[pmf <= pmf[k] * (1 + 1e-7)].sum()))


def _rate_ratio_reference(c1, e1, c0, e0, alpha):
    n = c1 + c0
    lo_p, hi_p = _clopper_pearson(c1, n, alpha)

    def to_rr(p):
        return math.inf if p >= 1 else p / (1 - p) * e0 / e1

    rr = math.inf if c0 == 0 else (c1 / e1) / (c0 / e0)
    return rr, to_rr(lo_p), to_rr(hi_p), _binomial_two_sided_p(c1, n, e1 / (e1 + e0))


RATE_CASES = [
    (85, 98_638, 112, 98_196),  # 2010 against 2009 (notebook 01)
    (0, 50_000, 7, 80_000),
    (7, 50_000, 0, 80_000),
    (1, 1.0, 0, 1.0),
    (0, 3.0, 1, 1.0),
    (1, 10.0, 1, 10.0),
    (3, 12_000, 9, 15_500),
    (40, 1e5, 40, 2e5),
    (250, 7.5e5, 310, 7.1e5),
    (1200, 3e6, 900, 2e6),
]


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.1])
@pytest.mark.parametrize("c1,e1,c0,e0", RATE_CASES)
def test_rate_ratio_identical(c1, e1, c0, e0, alpha):
    got = stats.rate_ratio(c1, e1, c0, e0, alpha)
    rr, lo, hi, p = _rate_ratio_reference(c1, e1, c0, e0, alpha)
    _same(got.estimate, rr)
    _same(got.ci_low, lo)
    _same(got.ci_high, hi)
    assert got.p_value == pytest.approx(p, rel=1e-9)
    with np.errstate(divide="ignore"):  # statsmodels' ratio of rates when count0 is 0
        lib = poisson_2indep(c1, e1, c0, e0, method="exact-cond", compare="ratio")
    assert got.p_value == pytest.approx(float(lib.pvalue), rel=1e-12)
    assert got.method == "exact conditional (binomial)" and got.alpha == alpha
    assert got.detail == {"count1": c1, "exposure1": e1, "count0": c0, "exposure0": e0}
    if c1 == 0:
        assert got.ci_low == 0.0
    if c0 == 0:
        assert got.estimate == math.inf and got.ci_high == math.inf


# ------------------------------------------------------------------------------ isotonic fit


def _naive_isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The non-decreasing weighted least-squares fit by its min-max formula (Barlow et al. 1972,
    theorem 1.4): f_i = max over j <= i of min over l >= i of the weighted mean of y[j..l].
    O(n^2) with prefix sums; no pooling, so independent of any PAVA."""
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cy = np.concatenate([[0.0], np.cumsum(w * y)])
    n = len(y)
    mean = np.full((n, n), np.nan)
    for j in range(n):
        mean[j, j:] = (cy[j + 1 :] - cy[j]) / (cw[j + 1 :] - cw[j])
    out = np.empty(n)
    for i in range(n):
        out[i] = max(np.nanmin(mean[j, i:]) for j in range(i + 1))
    return out


def _npmle_reference(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    g = pd.DataFrame({"c": c, "r": r}).groupby("c")["r"].agg(["mean", "size"])
    return _naive_isotonic(g["mean"].to_numpy(float), g["size"].to_numpy(float))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_isotonic_fit_identical_on_random_weighted_data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    c = rng.integers(0, 80, n).astype(float)  # ties: weights are the counts at each time
    r = (rng.random(n) < rng.uniform(0.2, 1.5) * c / 80).astype(int)
    got = response.time_to_outcome(c, r).table["share_reported"].to_numpy()
    ref = _npmle_reference(c, r)
    assert np.allclose(got, ref, rtol=0, atol=1e-12)
    g = pd.DataFrame({"c": c, "r": r}).groupby("c")["r"].agg(["mean", "size"])
    lib = isotonic_regression(g["mean"].to_numpy(), weights=g["size"].to_numpy()).x
    assert np.allclose(got, lib, rtol=0, atol=1e-12)
    assert (np.diff(got) >= 0).all()


def test_isotonic_fit_identical_on_the_real_follow_up_table():
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    t = read_table_of_allegations(external_file("UN_conduct_table_of_allegations_2024-07.xlsx"))
    o = response.outcome_times(t, response.uniformed(t))
    r = response.time_to_outcome(o["followup_days"], o["reported"])
    ref = _npmle_reference(o["followup_days"].to_numpy(float), o["reported"].to_numpy(int))
    got = r.table["share_reported"].to_numpy()
    assert len(got) == len(ref) > 50
    assert np.allclose(got, ref, rtol=0, atol=1e-12)
    assert [formatting.share(x) for x in got] == [formatting.share(x) for x in ref]
    assert r.median == 1735


# ------------------------------------------------------------------------------ number formatting


def _ref_integer(n) -> str:
    return f"{int(n):,}"


def _ref_strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _ref_decimal(x) -> str:
    """The report's rule with Python's format mini-language: two decimals from 0.1 up (thousands
    separated), two significant digits below, trailing zeros dropped."""
    if isinstance(x, int):
        return _ref_integer(x)
    x = float(x)
    if math.isnan(x):
        return "not available"
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    if x == 0:
        return "0"
    if abs(x) >= 0.1:
        return _ref_strip(f"{x:,.2f}")
    return _ref_strip(f"{x:.{-math.floor(math.log10(abs(x))) + 1}f}")


def _ref_percent(value, digits=2) -> str:
    return _ref_strip(f"{float(value):,.{digits}f}") + "%"


def _ref_share(fraction, digits=1) -> str:
    pct = float(fraction) * 100
    if pct != 0 and abs(pct) < 0.1:
        return _ref_decimal(pct) + "%"
    return _ref_percent(pct, digits)


INTEGERS = [0, 1, -1, 7, 999, 1000, -1000, 12_345, 98_638, 1_000_000, -1_234_567, 10**12]
FLOATS = [
    0.0, -0.0, 1e-9, 0.0008, 0.00085, 0.000995, 0.005, 0.0099996, 0.02794, 0.05, -0.05, 0.0995,
    0.099999, 0.1, 0.125, 0.135, 0.3919, 0.5, 0.995, 0.9999, 1.0, 1.005, 1.3099, 2.5, 3.7, 7.03,
    18.0, 99.995, 100.0, 999.994, 999.996, 1234.567, -1234.567, 98_638.25, 123_456_789.123,
    1e15 + 0.5, 2.675, 0.145, 1.115, -0.00123, -0.0995, 1e-300, 5e-324, 1.5e25, 1e30, -7.5e40,
    float("nan"), float("inf"), float("-inf"),
]  # fmt: skip


def test_number_formatting_identical_on_a_grid():
    for n in INTEGERS:
        assert formatting.integer(n) == _ref_integer(n)
        assert formatting.number(n) == _ref_integer(n)
        assert formatting.decimal(n) == _ref_integer(n)
    for x in FLOATS:
        assert formatting.decimal(x) == _ref_decimal(x), x
        assert formatting.number(x) == _ref_decimal(x), x
        if math.isfinite(x):
            for digits in (0, 1, 2, 3):
                assert formatting.percent(x, digits) == _ref_percent(x, digits), (x, digits)
            assert formatting.share(x) == _ref_share(x), x
            assert formatting.share(x / 100) == _ref_share(x / 100), x
    assert formatting.number(None) == formatting.percent(None) == formatting.share(None)
    assert formatting.integer(10**40) == _ref_integer(10**40)


def test_number_formatting_identical_on_random_values():
    # every magnitude from 1e-12 to 1e12, both signs, and values on a rounding tie's either side
    rng = np.random.default_rng(28)
    values = np.concatenate(
        [
            rng.choice([-1, 1], 4000) * 10 ** rng.uniform(-12, 12, 4000),
            np.round(rng.uniform(-100, 100, 2000), 3),  # x.xx5: ties in decimal, not in binary
            rng.integers(-(10**9), 10**9, 1000) / 8,  # exact binary ties (x.125, x.375, ...)
        ]
    )
    for x in values.tolist():
        assert formatting.decimal(x) == _ref_decimal(x), x
        assert formatting.percent(x) == _ref_percent(x), x
        assert formatting.percent(x, 1) == _ref_percent(x, 1), x
        assert formatting.share(x / 100) == _ref_share(x / 100), x
    assert formatting.interval(0.392, 0.288, 0.506) == "0.39 (0.29-0.51)"
    assert formatting.interval(0.18, -0.05, 0.35) == "0.18 (-0.05 to 0.35)"
    assert formatting.interval(12_345.5, 10_000, 15_000.25) == "12,345.5 (10,000-15,000.25)"
