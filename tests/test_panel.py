"""The mission-year panel and its models: no allegation lost, zero vs missing, exposure and share
checked by hand, models recovering a known rate ratio and agreeing with statsmodels directly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from conftest import ROOT, external_file
from pkoresearch.analysis import panel as P
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import (
    read_contributions_by_gender,
    read_mission_month,
)
from pkoresearch.errors import ParameterError

DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"
XLSX = "UN_conduct_table_of_allegations_2024-07.xlsx"


@pytest.fixture(scope="module")
def mission_month():
    return read_mission_month(external_file(DTA))


@pytest.fixture(scope="module")
def table():
    return read_table_of_allegations(external_file(XLSX))


@pytest.fixture(scope="module")
def raw_export():
    """The export read with plain pandas (independent of the package's reader)."""
    raw = pd.read_excel(external_file(XLSX), sheet_name="Export", dtype=str, keep_default_na=False)
    raw["year"] = raw["Date"].str.split("/").str[1].astype(int)
    kinds = raw["Personnel Type"].str.split("\n")
    raw["uniformed"] = kinds.map(lambda v: any(x.startswith(("Military", "Police")) for x in v))
    raw["military"] = kinds.map(lambda v: any(x.startswith("Military") for x in v))
    return raw


@pytest.fixture(scope="module")
def full(mission_month, table):
    return P.build_panel(mission_month, table, 2010, 2024)


# ----------------------------------------------------------------------------------- the panel


@pytest.mark.parametrize("years", [(2010, 2024), (2015, 2021), (2016, 2016)])
def test_no_allegation_is_lost(mission_month, table, raw_export, years):
    p = P.build_panel(mission_month, table, *years)
    raw = raw_export[raw_export["year"].between(*years)]
    from_export = p.data["allegations_source"] == P.EXPORT_SOURCE
    in_panel = int(p.data.loc[from_export, "allegations_all"].sum())
    assert in_panel + len(p.unmatched) == len(raw) == p.allegations_in_years
    assert p.unmatched["allegation_id"].is_unique
    # by category as well: what the panel counts plus what it lists equals the export
    ids = set(p.unmatched["allegation_id"])
    alleg = table.allegations.set_index("allegation_id")
    unmatched_rows = raw[raw.index.isin([alleg.at[i, "source_row"] - 2 for i in ids])]
    assert int(p.data.loc[from_export, "allegations_uniformed"].sum()) + int(
        unmatched_rows["uniformed"].sum()
    ) == int(raw["uniformed"].sum())
    assert int(p.data.loc[from_export, "allegations_military"].sum()) + int(
        unmatched_rows["military"].sum()
    ) == int(raw["military"].sum())


def test_unmatched_allegations_are_listed_with_their_reason(full):
    s = full.unmatched_summary().set_index(["mission", "reason"])["allegations"]
    assert s[("UNITAD", P.REASON_NO_PERSONNEL_DATA)] == 1
    assert s[("OSES", P.REASON_NO_PERSONNEL_DATA)] == 1
    # MINUSTAH closed in 2017; allegations reported in 2018-2022 have no mission-year to go to
    assert s[("MINUSTAH", P.REASON_NO_PERSONNEL_YEAR)] == 7
    # the personnel data end in January 2022: 2023-2024 are not covered
    assert s[("MONUSCO", P.REASON_YEAR_NOT_COVERED)] == 51 + 22
    assert len(full.unmatched) == 178 and full.allegations_in_years == 753
    # allegations filed under MONUC are counted with MONUSCO
    d = full.data.set_index(["mission", "year"])
    assert d.loc[("MONUSCO", 2021), "allegations_all"] == 23 + 1
    assert "MONUC" not in set(full.data["mission"])


def test_zero_inside_coverage_missing_outside(full):
    d = full.data.set_index(["mission", "year"])
    assert d.loc[("UNMOGIP", 2016), "allegations_all"] == 0  # existed, covered, none
    assert d.loc[("UNMOGIP", 2016), "allegations_source"] == P.EXPORT_SOURCE
    assert pd.isna(d.loc[("MONUSCO", 2012), "allegations_all"])  # before the export: missing
    assert pd.isna(d.loc[("MONUSCO", 2012), "allegations_source"])
    assert ("MINURCAT", 2011) not in d.index and ("UNMIS", 2012) not in d.index  # closed: no row
    assert ("UNOCI", 2018) not in d.index
    assert d.loc[("MINUSCA", 2015), "allegations_all"] == 22
    assert d.loc[("MINUSCA", 2015), "allegations_complete"]
    assert 2023 not in set(full.data["year"])  # personnel not covered
    # January 2022 only: the mission-year exists but its exposure is unknown
    assert not d.loc[("MINUSCA", 2022), "exposure_known"]
    assert d.loc[("MINUSCA", 2022), "months_unknown"] == 11


def test_partial_export_year_is_flagged(mission_month, table):
    # 2024 is January-July in the export; give the panel personnel for 2024 to see the flag
    c = read_mission_month(external_file(DTA))
    shifted = c.counts[c.counts["month"].dt.year == 2021].copy()
    shifted["month"] = shifted["month"] + pd.DateOffset(years=3)
    c.counts = pd.concat([c.counts, shifted], ignore_index=True)
    from pkoresearch.data.coverage import Coverage

    c.coverage = Coverage.of_months("test", c.counts["month"])
    p = P.build_panel(c, table, 2024, 2024)
    assert set(p.data["allegations_months"]) == {7}
    assert not p.data["allegations_complete"].any()
    sample, steps = P.model_sample(p, "all")
    assert sample.empty and steps["mission_years"].iloc[-2] == 0  # never modelled as complete


def test_exposure_and_share_by_hand(full):
    d = full.data.set_index(["mission", "year"])
    # UNMISS 2017: months present January-April and December (May-November absent from the
    # source, inside UNMISS's active span: counted at the mean, not as zero)
    women = [558, 581, 607, 648, 718]
    personnel = [558 + 12365, 581 + 12674, 607 + 12648, 648 + 12681, 718 + 13810]
    r = d.loc[("UNMISS", 2017)]
    assert (r.months_with_personnel, r.months_gap_active, r.months_unknown) == (5, 7, 0)
    assert r.personnel_mean == pytest.approx(sum(personnel) / 5) == pytest.approx(13458.0)
    assert r.share_pct == pytest.approx(100 * sum(women) / sum(personnel))
    assert r.exposure == pytest.approx(13458.0)  # 12 active months of 12
    # MINUSCA 2014: personnel from May (January absent from the source, before MINUSCA began)
    minusca = [565, 629, 636, 762, 7635, 7731, 8528, 8685]
    r = d.loc[("MINUSCA", 2014)]
    assert (r.months_with_personnel, r.months_gap_active, r.months_unknown) == (8, 0, 0)
    assert r.exposure == pytest.approx(sum(minusca) / 12)  # person-years: 8 months of 12
    assert r.share_pct == pytest.approx(100 * (0 + 0 + 1 + 1 + 85 + 102 + 106 + 128) / sum(minusca))
    # MONUSCO 2010: MONUC January-June and MONUSCO July-December are one operation
    assert d.loc[("MONUSCO", 2010), "months_with_personnel"] == 12
    # MINUSTAH 2017: personnel to April, then months absent: whether it existed is unknown
    r = d.loc[("MINUSTAH", 2017)]
    assert (r.months_with_personnel, r.months_unknown, r.exposure_known) == (4, 7, False)


def test_curated_counts_only_where_sourced_and_only_single_missions(mission_month):
    p = P.build_panel(mission_month, None, 2014, 2016)
    d = p.data.set_index(["mission", "year"])
    assert d.loc[("MINUSCA", 2015), "allegations_all"] == 22
    assert d.loc[("MINUSCA", 2015), "allegations_source"] == "a-70-729-47739b"
    assert d.loc[("MINUSCA", 2016), "allegations_all"] == 52
    assert pd.isna(d.loc[("UNMISS", 2015), "allegations_all"])  # no source: missing
    assert pd.isna(d.loc[("MINUSCA", 2015), "allegations_military"])  # curated: all personnel only
    skipped = p.curated_skipped.set_index("mission")
    assert "not a single mission acronym" in skipped.loc["MINUSCA+MONUSCO", "reason"]
    assert "not a single mission acronym" in skipped.loc["UNMIT (closed; Timor-Leste)", "reason"]
    sample, _ = P.model_sample(p, "all")
    assert sample.empty  # curated counts are shown, never modelled with the export's


def test_panel_from_the_un_layout_fixture():
    c = read_contributions_by_gender(
        ROOT / "tests" / "fixtures" / "odp_contributionsbygender_small.csv"
    )
    per = P.personnel_by_mission_year(c).set_index(["mission", "year"])
    r = per.loc[("UNMISS", 2020)]  # November and December 2020 only; before: outside the source
    assert r.months_with_personnel == 2 and r.months_unknown == 10
    assert r.share_pct == pytest.approx(100 * (201 + 206) / (2750 + 2750))
    r = per.loc[("UNMISS", 2021)]  # January absent between two active months: counted active
    assert (r.months_with_personnel, r.months_gap_active, r.months_unknown) == (1, 1, 10)
    assert ("MINUSCA", 2021) not in per.index  # absent in February: ended, unknown in January
    troops = P.personnel_by_mission_year(c, personnel_types=["troops"]).set_index(
        ["mission", "year"]
    )
    assert troops.loc[("UNMISS", 2020), "personnel_mean"] == 2500


def test_shares_by_year_by_hand(mission_month):
    s = P.shares_by_year(mission_month).set_index("year")
    assert s.loc[2021, "share_pct"] == pytest.approx(100 * 67444 / 929046)  # 12 months summed
    assert s.loc[2017, "months_covered"] == 5 and not s.loc[2017, "complete"]
    assert s.loc[2018, "complete"]
    c = read_contributions_by_gender(
        ROOT / "tests" / "fixtures" / "odp_contributionsbygender_small.csv"
    )
    f = P.shares_by_year(c, ["police", "military_contingents"], ["mission"])
    f = f.set_index(["category", "mission", "year"])
    # UNMISS police, November and December 2020: Rwanda's FPU 60 of 160, Ghana's police 15 of 40
    assert f.loc[("police", "UNMISS", 2020), "share_pct"] == pytest.approx(100 * 150 / 400)
    assert f.loc[("police", "UNMISS", 2020), "personnel"] == 200
    assert f.loc[("military_contingents", "MINUSCA", 2020), "share_pct"] == pytest.approx(
        100 * 102 / 4000
    )
    with pytest.raises(ParameterError, match="all uniformed personnel only"):
        P.shares_by_year(mission_month, ["police"])


def test_personnel_types_need_a_split_file(mission_month):
    with pytest.raises(ParameterError, match="does not split personnel types"):
        P.personnel_by_mission_year(mission_month, personnel_types=["troops"])


# ----------------------------------------------------------------------------- the model sample


def test_sample_keeps_zero_allegation_mission_years(full):
    sample, steps = P.model_sample(full, "uniformed", 2015, 2021)
    assert (sample["allegations_uniformed"] == 0).sum() > 40  # no selection on the outcome
    assert steps["mission_years"].tolist() == [272, 158, 104, 104, 104, 104, 102]
    assert set(sample["kind"]) == {"peacekeeping"}
    assert not {("MINUSTAH", 2017), ("MINUJUSTH", 2017)} & set(
        zip(sample["mission"], sample["year"])
    )
    assert sample["share_pct_lag1"].notna().all()  # 2014 shares exist for every 2015 mission


def test_lagged_share_is_the_previous_year_of_the_same_mission(full):
    d = P.with_lagged_share(full, 2).set_index(["mission", "year"])
    per = full.personnel.set_index(["mission", "year"])
    assert d.loc[("UNMISS", 2019), "share_pct_lag2"] == per.loc[("UNMISS", 2017), "share_pct"]
    assert pd.isna(d.loc[("MINUSCA", 2015), "share_pct_lag2"])  # MINUSCA had no 2013
    with pytest.raises(ParameterError, match="lag"):
        P.with_lagged_share(full, 0)


def test_bad_model_parameters(full):
    with pytest.raises(ParameterError, match="outcome: found 'civilian'"):
        P.model_sample(full, "civilian")
    with pytest.raises(ParameterError, match="kinds"):
        P.model_sample(full, "all", kinds=["political"])
    with pytest.raises(ParameterError, match="model: found 'ols'"):
        P.specifications("all", "ols")
    # years without the export: not an error but nothing to model, said with the sample steps
    empty = P.fit_models(full, "all", 2010, 2013)
    assert empty.results == [] and empty.sample.empty
    assert "no mission-year left" in empty.not_estimable
    assert empty.to_frame().empty and empty.table().empty


# ----------------------------------------------------------------------------------- the models


def synthetic_panel(
    irr_per_point: float = 0.92,
    missions: int = 40,
    years: int = 8,
    alpha: float = 0.5,
    seed: int = 11,
) -> P.MissionPanel:
    """Mission-years with a known rate ratio per percentage point of women, year effects, mission
    heterogeneity (gamma, independent of the share) and NB2 noise."""
    rng = np.random.default_rng(seed)
    rows = []
    base = rng.normal(0, 0.6, missions)
    level = rng.uniform(1, 10, missions)
    size = np.exp(rng.normal(8, 1, missions))
    year_effect = np.linspace(0, 0.3, years)
    for m in range(missions):
        for t in range(years):
            share = max(0.2, level[m] + 0.5 * t + rng.normal(0, 1.5))
            exposure = size[m] * rng.uniform(0.8, 1.2)
            mu = exposure / 1000 * math.exp(-0.5 + base[m] + year_effect[t]) * irr_per_point**share
            y = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
            rows.append(
                {
                    "mission": f"M{m:02d}",
                    "kind": "peacekeeping",
                    "year": 2000 + t,
                    "share_pct": share,
                    "exposure": exposure,
                    "exposure_known": True,
                    "allegations_all": y,
                    "allegations_uniformed": y,
                    "allegations_military": y,
                    "allegations_police": 0,
                    "allegations_source": P.EXPORT_SOURCE,
                    "allegations_complete": True,
                }
            )
    data = pd.DataFrame(rows)
    return P.MissionPanel(
        data=data,
        personnel=data[["mission", "year", "share_pct"]],
        unmatched=pd.DataFrame(),
        curated_skipped=pd.DataFrame(),
        start_year=2000,
        end_year=2000 + years - 1,
        personnel_source="synthetic",
        allegations_source="synthetic",
    )


def test_models_recover_a_known_rate_ratio():
    p = synthetic_panel(seed=1)
    sample, _ = P.model_sample(p, "uniformed")
    for spec in [
        P.Specification("nb", "NB", "negbin", "uniformed"),
        P.Specification("pois", "Poisson", "poisson", "uniformed"),
        P.Specification("fe", "FE", "poisson", "uniformed", mission_fe=True),
    ]:
        r = P.fit(sample, spec)
        assert r.ci_low < 0.92 < r.ci_high, (spec.label, r.irr, r.ci_low, r.ci_high)
        assert abs(math.log(r.irr / 0.92)) < 0.1, (spec.label, r.irr)
        assert r.converged and r.n == 320 - 8 * len(r.dropped_all_zero)
        assert r.n_missions == 40 - len(r.dropped_all_zero)
        assert spec.mission_fe or not r.dropped_all_zero
    # not one lucky draw: over eight data sets the negative binomial is centred on the truth
    nb = P.Specification("nb", "NB", "negbin", "uniformed")
    logs = [
        math.log(P.fit(P.model_sample(synthetic_panel(seed=s), "uniformed")[0], nb).irr)
        for s in range(20, 28)
    ]
    assert abs(np.mean(logs) - math.log(0.92)) < 0.03
    # and no association is found where there is none
    r = P.fit(P.model_sample(synthetic_panel(1.0, seed=5), "uniformed")[0], nb)
    assert r.ci_low < 1.0 < r.ci_high


def test_poisson_ql_equals_statsmodels_directly(full):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    sample, _ = P.model_sample(full, "uniformed", 2015, 2021)
    r = P.fit(sample, P.Specification("p", "Poisson QL", "poisson", "uniformed"))
    d = sample.assign(
        y=sample["allegations_uniformed"].astype(float),
        off=np.log(sample["exposure"].astype(float)),
    )
    groups = pd.factorize(d["mission"])[0]
    ref = smf.glm(
        "y ~ share_pct + C(year)", data=d, offset=d["off"], family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert r.coef == pytest.approx(ref.params["share_pct"], rel=1e-8)
    assert r.se == pytest.approx(ref.bse["share_pct"], rel=1e-8)
    q = sps.t.ppf(0.975, 17 - 1)
    assert r.ci_low == pytest.approx(math.exp(ref.params["share_pct"] - q * ref.bse["share_pct"]))
    assert r.ci_high == pytest.approx(math.exp(ref.params["share_pct"] + q * ref.bse["share_pct"]))
    assert (r.n, r.n_missions) == (102, 17)


def test_negative_binomial_equals_statsmodels_directly(full):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    sample, _ = P.model_sample(full, "uniformed", 2015, 2021)
    r = P.fit(sample, P.Specification("nb", "NB", "negbin", "uniformed"))
    d = sample.assign(y=sample["allegations_uniformed"].astype(float))
    off = np.log(d["exposure"].astype(float))
    start = (
        smf.glm("y ~ share_pct + C(year)", data=d, offset=off, family=sm.families.Poisson())
        .fit()
        .params
    )
    # another optimiser (BFGS from alpha = 1) through the formula interface
    ref = smf.negativebinomial("y ~ share_pct + C(year)", data=d, offset=off).fit(
        start_params=np.append(start.to_numpy(), 1.0),
        method="bfgs",
        disp=0,
        maxiter=5000,
        gtol=1e-9,
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(d["mission"])[0]},
    )
    assert r.coef == pytest.approx(ref.params["share_pct"], rel=1e-3)  # BFGS stops earlier
    assert r.se == pytest.approx(ref.bse["share_pct"], rel=1e-3)
    assert r.alpha_nb == pytest.approx(ref.params["alpha"], rel=1e-3)


def test_all_specifications_and_the_regression_table(full):
    m = P.fit_models(full, "uniformed", 2015, 2021)
    f = m.to_frame()
    assert f["specification"].tolist() == [
        "NB",
        "Poisson QL",
        "Mission FE (Poisson QL)",
        "Share t-1 (NB)",
        "Military allegations (NB)",
        "Without MONUSCO (NB)",
    ]
    assert (f["ci_low"] < f["irr"]).all() and (f["irr"] < f["ci_high"]).all()
    assert f["converged"].all()
    assert f.loc[5, "n"] == 102 - 7 and f.loc[2, "missions"] < 17  # all-zero missions left out
    t = m.table()
    assert list(t.columns)[0] == "(1) NB" and t.loc["Mission-years", "(1) NB"] == "102"
    assert t.loc["Mission fixed effects", "(3) Mission FE (Poisson QL)"] == "yes"
    assert t.loc["Outcome", "(5) Military allegations (NB)"] == "military"
    mil = P.fit_models(full, "military", 2015, 2021, family="poisson")
    assert "Military allegations (Poisson QL)" not in mil.to_frame()["specification"].tolist()
    assert mil.to_frame()["specification"].iloc[-1] == "Without MONUSCO (Poisson QL)"


def test_coefficient_plot():
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots

    d = pd.DataFrame(
        {
            "specification": ["a", "b"],
            "irr": [0.9, 1.1],
            "ci_low": [0.8, 0.7],
            "ci_high": [1.0, 1.6],
        }
    )
    fig, ax = plt.subplots()
    assert plots.coefficients(d, ax=ax) is ax
    ticks = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]))
    assert ticks[max(ticks)] == "a" and ticks[min(ticks)] == "b"  # first row on top
    assert ax.get_xscale() == "log"
    assert any(line.get_xdata()[0] == 1.0 for line in ax.get_lines())  # the reference line
    plt.close(fig)


def test_coefficient_plot_labels_a_narrow_ratio_axis():
    """Notebook 05's ratios lie in 1.01-1.05 per percentage point: the round ratios of the log
    axis (0.9, 1, 1.1, ...) leave only the reference 1 labelled there, so the axis gets evenly
    spaced ticks inside the data's range, each labelled with its value."""
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots

    d = pd.DataFrame(
        {
            "specification": ["main", "lagged"],
            "irr": [1.033, 1.016],
            "ci_low": [1.014, 0.997],
            "ci_high": [1.051, 1.035],
        }
    )
    fig, ax = plt.subplots()
    plots.coefficients(d, ax=ax)
    fig.canvas.draw()
    ticks = list(ax.get_xticks())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) >= 3
    assert all(0.997 / 1.05 <= t <= 1.051 * 1.05 for t in ticks)
    assert labels == [f"{t:g}" for t in ticks]  # every tick labelled with its own value
    assert "1" in labels  # the reference
    # wide ranges keep the round ratios
    wide = d.assign(ci_low=[0.5, 0.7], ci_high=[2.0, 1.6])
    fig2, ax2 = plt.subplots()
    plots.coefficients(wide, ax=ax2)
    assert {0.5, 1.0, 2.0} <= set(ax2.get_xticks())
    plt.close(fig)
    plt.close(fig2)
