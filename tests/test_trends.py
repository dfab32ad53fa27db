"""Trend helpers on the curated series and on the allegation-level table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pkoresearch import stats, trends
from pkoresearch.errors import MeasurementBreakWarning, ParameterError, UnrecognisedValuesWarning
from pkoresearch.readers.un_conduct import read_table_of_allegations
from conftest import ROOT, external_file

FIXTURE = ROOT / "tests" / "fixtures" / "table_of_allegations_small.csv"


@pytest.fixture(scope="module")
def rated():
    return trends.rates(trends.curated_series(2007, 2024), trends.personnel_by_year())


@pytest.fixture(scope="module")
def small():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnrecognisedValuesWarning)
        return read_table_of_allegations(FIXTURE)


def test_curated_series_switches_scope_in_2017():
    s = trends.curated_series(2009, 2018).set_index("year")
    assert s.loc[2009, "allegations"] == 112 and s.loc[2010, "allegations"] == 85
    assert s.loc[2016, "scope"] == "peacekeeping" and s.loc[2017, "scope"] == "peacekeeping_and_spm"
    assert s.index.is_unique


def test_personnel_by_year_takes_year_end():
    p = trends.personnel_by_year().set_index("year")
    assert p.loc[2010, "personnel"] == 98638 and p.loc[2010, "month"] == 12
    assert p.loc[1998, "month"] == 11  # OWID's November figure for 1998
    assert p.index.max() == 2021


def test_rates_keep_the_count_beside_the_rate(rated):
    r = rated.set_index("year")
    assert r.loc[2010, "rate"] == pytest.approx(85 / 98638 * 1000)
    assert r.loc[2010, "ci_high"] == pytest.approx(stats.poisson_interval(85)[1] / 98638 * 1000)
    assert r.loc[2023, "allegations"] == 100 and np.isnan(r.loc[2023, "rate"])


def test_change_2010_vs_2009(rated):
    rr = trends.change(rated, 2010, 2009)
    assert rr.estimate == pytest.approx((85 / 98638) / (112 / 98196))
    assert rr.detail["period1"] == "2010" and rr.ci_high > 1 > rr.ci_low
    pooled = trends.change(rated, [2019, 2021], [2010, 2012])
    # 2012: 61 (A/67/766, read in Fox News) is preferred over 60, read only on a copy page
    assert pooled.detail["count1"] == 80 + 66 + 75 and pooled.detail["count0"] == 85 + 75 + 61


def test_change_needs_every_year(rated):
    with pytest.raises(ParameterError, match=r"period 2021-2023: no personnel for \[2022, 2023\]"):
        trends.change(rated, [2021, 2023], 2010)


def test_trend_irr_matches_an_independent_glm(rated):
    import statsmodels.api as sm

    m = trends.trend(rated, family="negbin")
    d = rated.dropna(subset=["rate"])
    X = sm.add_constant((d["year"] - d["year"].min()).astype(float).rename("year_c"))
    ref = sm.NegativeBinomial(d["allegations"].astype(float), X,
                              offset=np.log(d["personnel"])).fit(disp=0)
    assert m.irr.set_index("term").loc["year_c", "irr"] == pytest.approx(
        np.exp(ref.params["year_c"]), rel=1e-4)
    assert m.n == 15


def test_segmented_warns_at_counting_changes(rated):
    with pytest.warns(MeasurementBreakWarning, match="breakpoint 2008 coincides"):
        m = trends.segmented(rated, [2008, 2016])
    assert set(m.irr["term"]) == {"const", "year_c", "level_2008", "slope_2008", "level_2016",
                                  "slope_2016"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeasurementBreakWarning)
        trends.segmented(rated, [2012])  # not a counting change: no warning


def test_segmented_rejects_breakpoints_outside_the_data(rated):
    with pytest.raises(ParameterError, match="breakpoints: found 2023"):
        trends.segmented(rated, [2023])
    with pytest.raises(ParameterError, match="7 breakpoint.s. need more than 16 years"):
        trends.segmented(rated, [2009, 2010, 2011, 2012, 2013, 2014, 2018])


def test_count_by_counts_an_allegation_once_per_group(small):
    by = trends.count_by(small, "personnel_category")
    got = {(r.year, r.personnel_category): r.allegations for r in by.itertuples()}
    # 2016: one military allegation and one naming a civilian and a police officer
    assert got == {(2016, "civilian"): 1, (2016, "military"): 1, (2016, "police"): 1,
                   (2017, "military"): 1, (2017, "police"): 1, (2018, "military"): 1}
    nat = trends.count_by(small, "nationality")
    assert nat.query("year == 2017")["allegations"].sum() == 3  # Nepal, Ethiopia, Benin
    assert trends.count_by(small)["allegations"].tolist() == [2, 2, 1]
    with pytest.raises(ParameterError, match="count_by: found by='colour'"):
        trends.count_by(small, "colour")


def test_select_reports_counts_after_each_filter(small):
    t = trends.select(small, 2016, 2017, ["MINUSCA", "MONUSCO"], ["military"])
    assert t.counts == {"rows_in_file": 5, "start": 5, "after_years": 4, "after_missions": 3,
                        "after_personnel_categories": 2, "selected": 2}
    assert set(t.actions["allegation_id"]) <= set(t.allegations["allegation_id"])


def test_yearly_fills_years_without_allegations(small):
    y = trends.yearly(2015, 2019, table=small)
    assert y["allegations"].tolist() == [0, 2, 2, 1, 0]


def test_child_share_intervals(small):
    c = trends.child_share(small).set_index("year")
    assert c.loc[2016, "with_child"] == 1 and c.loc[2016, "share"] == 0.5
    e = stats.proportion(1, 2)
    assert c.loc[2016, "ci_low"] == pytest.approx(e.ci_low)


def test_outcomes_and_lags(small):
    o = trends.outcomes_by_year(small)
    assert o.loc[2016, "substantiated"] == 1 and o.loc[2016, "pending"] == 1
    assert o.loc[2017, "not_applicable"] == 1 and o.sum().sum() == 4  # one result unrecognised
    lags = trends.report_lag(small).set_index("allegation_id")
    assert lags.loc[1, "lag_years"] == 1  # incident up to June 2015, reported January 2016
    assert pd.isna(lags.loc[2, "lag_years"])
    assert lags.loc[5, "lag_years"] == 1  # January 2017 - Unspecified, reported 2018


def test_revisions_against_the_real_table():
    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    t = read_table_of_allegations(path)
    rev = trends.revisions(trends.count_by(t), trends.curated_series(2015, 2024),
                           last_complete=trends.last_complete_year(t)).set_index("year")
    assert rev.loc[2016, "curated"] == 103 and rev.loc[2016, "table"] == 104
    assert rev.loc[2016, "difference"] == 1
    assert rev.loc[2017, "difference"] == 1  # 62 first published, 63 in the table
    assert not rev.loc[2024, "table_complete"] and rev.loc[2023, "table_complete"]
    assert trends.last_complete_year(t) == 2023


def test_exposure_for():
    assert trends.exposure_for(None, ["MINUSCA"])[0] is None
    assert trends.exposure_for(["civilian"], None)[0] is None
    p, text = trends.exposure_for(["military"], None)
    assert p.set_index("year").loc[2010, "personnel"] == 84316 and "military" in text


def test_counts_several_columns_at_once(small):
    c = trends.counts(small.allegations, ["mission", "personnel_category"])
    got = {(r.year, r.mission, r.personnel_category): r.allegations for r in c.itertuples()}
    assert got == {(2016, "MINUSCA", "military"): 1, (2016, "MONUSCO", "multiple"): 1,
                   (2017, "MINUSCA", "military"): 1, (2017, "UNMISS", "police"): 1,
                   (2018, "MONUSCO", "military"): 1}
    with pytest.raises(ParameterError, match=r"counts: found no column\(s\) \['colour'\]"):
        trends.counts(small.allegations, ["colour"])
