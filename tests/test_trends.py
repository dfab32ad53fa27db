"""Trend helpers on the curated series and on the allegation-level table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, external_file
from pkoresearch.analysis import stats, trends
from pkoresearch.data import missions as pko_missions
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.errors import MeasurementBreakWarning, ParameterError, UnrecognisedValuesWarning

FIXTURE = ROOT / "tests" / "fixtures" / "table_of_allegations_small.csv"


@pytest.fixture(scope="module")
def rated():
    return trends.rates(trends.curated_series(2007, 2024), trends.personnel_by_year())


@pytest.fixture(scope="module")
def small():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnrecognisedValuesWarning)
        return read_table_of_allegations(FIXTURE)


def test_curated_series_switches_scope_in_the_first_year_with_spm_figures(export):
    # before: the switch was fixed at 2017 while 2016's 104 (A/72/751) and the export's 2016
    # allegations already include special political missions (7 in the export, 0 in 2015)
    s = trends.curated_series(2009, 2018).set_index("year")
    assert s.loc[2009, "allegations"] == 112 and s.loc[2010, "allegations"] == 85
    assert s.loc[2015, "scope"] == "peacekeeping" and s.loc[2016, "scope"] == "peacekeeping_and_spm"
    assert trends.combined_scope_from() == trends.spm_first_year(export) == 2016
    spm = trends.select(export, 2015, 2016)
    kinds = pko_missions.kind_of(spm.allegations["mission"])
    by_year = spm.allegations.loc[(kinds == "special_political").to_numpy(), "report_year"]
    assert by_year.value_counts().to_dict() == {2016: 7}
    assert list(trends.counting_changes(trends.yearly(2010, 2018))) == [2016]
    assert s.index.is_unique


def test_curated_series_uses_one_revision_rule_for_every_year():
    latest = trends.curated_series(2015, 2018).set_index("year")["allegations"]
    first = trends.curated_series(2015, 2018, "first").set_index("year")["allegations"]
    assert latest.tolist() == [69, 104, 63, 56]  # as the UN table of allegations counts them
    # as first published (A/72/751, A/73/744); 2016's first publication, A/71/818, gives no
    # figure in hand, so the year is absent rather than filled with the later fact sheet's 103
    assert first.to_dict() == {2015: 69, 2017: 62, 2018: 54}
    assert set(trends.curated_series(2015, 2018)["revision"]) == {"latest"}
    with pytest.raises(ParameterError, match="found revision='newest'"):
        trends.curated_series(2015, 2018, "newest")


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

    m = trends.trend(rated, family="negbin", counting=False)
    d = rated.dropna(subset=["rate"])
    X = sm.add_constant((d["year"] - d["year"].min()).astype(float).rename("year_c"))
    ref = sm.NegativeBinomial(d["allegations"].astype(float), X, offset=np.log(d["personnel"])).fit(
        disp=0
    )
    assert m.irr.set_index("term").loc["year_c", "irr"] == pytest.approx(
        np.exp(ref.params["year_c"]), rel=1e-4
    )
    assert m.n == 15


@pytest.mark.filterwarnings("ignore:breakpoint 2016 is one year before")
def test_segmented_warns_at_counting_changes(rated):
    longer = trends.rates(trends.yearly(2004, 2021), trends.personnel_by_year())
    with pytest.warns(MeasurementBreakWarning, match="breakpoint 2008 coincides"):
        m = trends.segmented(longer, [2008, 2016])
    # the level change at 2008 cannot be told from the counting change: one term, named for it
    # special political missions enter the headline figure in 2016 (derived from the data, item
    # 7 of issue 25): the 2016 level change cannot be told from that counting change either
    assert set(m.irr["term"]) == {
        "const",
        "year_c",
        "counting_2008",
        "slope_2008",
        "slope_2016",
        "counting_2016",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeasurementBreakWarning)
        trends.segmented(rated, [2012])  # not a counting change: no warning
    with pytest.warns(MeasurementBreakWarning, match="breakpoint 2016 coincides"):
        trends.segmented(rated[rated["year"] >= 2008], [2016])  # counting changes in 2016


def test_segmented_rejects_breakpoints_outside_the_data(rated):
    with pytest.raises(ParameterError, match="breakpoints: found 2023"):
        trends.segmented(rated, [2023])
    with pytest.raises(
        ParameterError,
        match="breakpoints: found 2008; expected years with at least two years of data before them",
    ):
        trends.segmented(rated, [2008])  # one year (2007) before: level and slope not estimable
    # 2 + 2 x 7 parameters, plus the two counting indicators (2008, 2017)
    with pytest.raises(ParameterError, match="7 breakpoint.s. need more than 18 years"):
        trends.segmented(rated, [2009, 2010, 2011, 2012, 2013, 2014, 2018])


def test_count_by_counts_an_allegation_once_per_group(small):
    by = trends.count_by(small, "personnel_category")
    got = {(r.year, r.personnel_category): r.allegations for r in by.itertuples()}
    # 2016: one military allegation and one naming a civilian and a police officer
    assert got == {
        (2016, "civilian"): 1,
        (2016, "military"): 1,
        (2016, "police"): 1,
        (2017, "military"): 1,
        (2017, "police"): 1,
        (2018, "military"): 1,
    }
    nat = trends.count_by(small, "nationality")
    assert nat.query("year == 2017")["allegations"].sum() == 3  # Nepal, Ethiopia, Benin
    assert trends.count_by(small)["allegations"].tolist() == [2, 2, 1]
    with pytest.raises(ParameterError, match="count_by: found by='colour'"):
        trends.count_by(small, "colour")


def test_select_reports_counts_after_each_filter(small):
    t = trends.select(small, 2016, 2017, ["MINUSCA", "MONUSCO"], ["military"])
    assert t.counts == {
        "rows_in_file": 5,
        "start": 5,
        "after_years": 4,
        "filed_under_former_name": 0,
        "after_missions": 3,
        "after_personnel_categories": 2,
        "selected": 2,
    }
    assert set(t.actions["allegation_id"]) <= set(t.allegations["allegation_id"])


def test_yearly_is_missing_outside_the_export_and_partial_at_its_edges(small):
    # the fixture reports January 2016 - February 2018: 2015 and 2019 are not covered (missing,
    # not 0) and 2018 is covered for two months only
    y = trends.yearly(2015, 2019, table=small).set_index("year")
    assert y["allegations"].isna().tolist() == [True, False, False, False, True]
    assert y.loc[[2016, 2017, 2018], "allegations"].tolist() == [2, 2, 1]
    assert y.loc[2018, "months_covered"] == 2 and not y.loc[2018, "complete"]
    assert bool(y.loc[2016, "complete"]) and pd.isna(y.loc[2015, "complete"])


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
    # the table's counts beside the first-published and latest figures (pko.curated.revisions)
    import pkoresearch as pko

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    t = read_table_of_allegations(path)
    counts = trends.yearly(2015, 2024, table=t)
    rev = pko.curated.revisions(2015, 2024, table=counts).set_index("year")
    assert rev.loc[2016, ["first_known_value", "latest_value", "table"]].tolist() == [103, 104, 104]
    assert pd.isna(rev.loc[2016, "first_value"]) and pd.isna(rev.loc[2016, "table_minus_first"])
    assert rev.loc[2017, "table_minus_first"] == 1  # 62 first published, 63 in the table
    assert rev.loc[2018, "table_minus_first"] == 2  # 54 first published, 56 in the table
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
    assert got == {
        (2016, "MINUSCA", "military"): 1,
        (2016, "MONUSCO", "multiple"): 1,
        (2017, "MINUSCA", "military"): 1,
        (2017, "UNMISS", "police"): 1,
        (2018, "MONUSCO", "military"): 1,
    }
    with pytest.raises(ParameterError, match=r"counts: found no column\(s\) \['colour'\]"):
        trends.counts(small.allegations, ["colour"])


# ------------------------------------------------------------------ issue 10: trustworthy numbers

UN_EXPORT = "UN_conduct_table_of_allegations_2024-07.xlsx"
MISSION_MONTH = "UN_contributions_by_gender_mission_month_2010-2022.dta"


@pytest.fixture(scope="module")
def export():
    return read_table_of_allegations(external_file(UN_EXPORT))


def test_yearly_on_the_real_export_has_no_zero_outside_its_coverage(export):
    t = trends.select(export, 2007, 2024)
    y = trends.yearly(2007, 2024, table=t).set_index("year")
    assert y.loc[2007:2014, "allegations"].isna().all()  # before January 2015: missing, not 0
    assert y.loc[2015:2023, "allegations"].tolist() == [69, 104, 63, 56, 80, 66, 75, 79, 100]
    assert y.loc[2024, "allegations"] == 61 and y.loc[2024, "months_covered"] == 7
    assert not y.loc[2024, "complete"] and y.loc[2015:2023, "complete"].all()
    # a filter does not move the export's coverage
    one = trends.select(export, 2007, 2024, missions=["UNMIT"])
    assert trends.yearly(2007, 2024, table=one).set_index("year").loc[2016, "allegations"] == 0
    assert one.coverage.label() == "January 2015 - July 2024"


def test_yearly_curated_years_without_a_figure_are_missing():
    y = trends.yearly(2003, 2009).set_index("year")
    assert pd.isna(y.loc[2003, "allegations"])  # no sourced total for 2003: missing, not 0
    assert pd.isna(y.loc[2003, "complete"])
    assert y.loc[2006, "allegations"] == 357  # the UN Yearbook 2009 gives 2006-2008
    assert y.loc[2007, "allegations"] == 127 and y.loc[2004, "allegations"] == 105
    assert y["complete"].dropna().all()
    assert y.loc[2007, "definition"] != y.loc[2008, "definition"]  # the tracking system starts


def test_one_definition_per_series_and_its_counting_changes():
    y = trends.yearly(2005, 2021)
    changes = trends.counting_changes(y)
    assert sorted(changes) == [2008, 2016]  # special political missions from 2016 (item 7)
    assert "special political" in changes[2016]


def test_a_table_series_has_one_definition(small):
    y = trends.yearly(2015, 2019, table=small)
    assert y["definition"].nunique() == 1 and trends.counting_changes(y) == {}
    assert y["source"].str.startswith("UN table of allegations").all()


def test_curated_mission_sums_need_every_mission_and_leave_aggregates_out():
    data = pd.DataFrame(
        {
            "year": [2015, 2015, 2015, 2016, 2019, 2019, 2019],
            "mission": ["A", "B", "A+B", "A", "A", "B", "C, D (others)"],
            "measure": ["allegations_total"] * 7,
            "value": [3, 4, 7, 5, 2, 0, 9],
            "source_id": ["s"] * 7,
            "confidence": ["medium"] * 7,
        }
    )
    y = trends.yearly(2015, 2019, missions=["A", "B"], data=data).set_index("year")
    assert y.loc[2015, "allegations"] == 7 and y.loc[2019, "allegations"] == 2
    assert pd.isna(y.loc[2016, "allegations"])  # B has no figure for 2016: the sum is unknown
    assert pd.isna(y.loc[2017, "allegations"])
    assert trends.mission_choices(data) == ["A", "B"]
    agg = trends.mission_aggregates(data)
    assert agg["mission"].tolist() == ["A+B", "C, D (others)"]


@pytest.mark.parametrize(
    "name, aggregate",
    [
        ("MINUSCA", False),
        ("MINUSCA+MONUSCO", True),
        ("UNAMID+UNIFIL+UNMIL+MINUSTAH", True),
        ("UNMISS, UNIFIL, BINUH, UNVMC, UNAMA (others)", True),
        ("UNAMI + one other SPM", True),
        ("OSESG-Syria+UNVMC+UNIOGBIS (SPMs)", True),
        ("MONUSCO (incl. former MONUC)", False),
        ("UNMISS (incl. former UNMIS)", True),  # UNMIS was not renamed UNMISS: two missions
        ("MINUSTAH (former)", False),
        ("UNMIT (closed; Timor-Leste)", False),
        ("UNMISS", False),
    ],
)
def test_is_aggregate(name, aggregate):
    assert trends.is_aggregate(name) is aggregate


def test_real_mission_choices_hold_no_aggregate():
    choices = trends.mission_choices()
    assert "MINUSCA" in choices and "MONUSCO" in choices
    assert not [c for c in choices if trends.is_aggregate(c)]


def test_partial_years_stay_out_of_models_and_changes(rated):
    r = rated[rated["year"].between(2008, 2021)].copy()
    r["complete"] = r["year"] != 2021
    m = trends.trend(r)
    assert m.n == 13 and 2021 not in set(m.fitted["year"])
    assert trends.trend(r, include_partial=True).n == 14
    with pytest.raises(ParameterError, match="2021 .*partial"):
        trends.change(r, 2021, 2010)
    assert trends.change(r, 2021, 2010, allow_partial=True).detail["count1"] == 75


def test_rates_of_a_partial_year_use_the_months_covered():
    c = pd.DataFrame(
        {
            "year": [2020, 2021],
            "allegations": [60, 30],
            "months_covered": [12, 6],
            "complete": [True, False],
        }
    )
    p = pd.DataFrame({"year": [2020, 2021], "personnel": [100_000.0, 100_000.0]})
    r = trends.rates(c, p).set_index("year")
    assert r.loc[2020, "rate"] == pytest.approx(0.6) and r.loc[2021, "rate"] == pytest.approx(0.6)
    assert r.loc[2021, "exposure"] == pytest.approx(50_000)
    c.loc[0, "allegations"] = pd.NA
    assert np.isnan(trends.rates(c, p).set_index("year").loc[2020, "rate"])


def test_default_trend_model_is_quasi_poisson_with_its_dispersion(rated):
    r = rated[rated["year"].between(2015, 2021)]
    m = trends.trend(r)
    assert m.family == "quasi-Poisson"
    assert "Pearson dispersion" in m.reason and "7 years" in m.reason
    assert m.dispersion > 1


def test_segmented_attributes_a_shift_at_a_counting_change_to_the_counting_change():
    # a level shift of x1.6 only where the definition changes (2017); no change at the 2014
    # policy date. Without the counting indicator the policy level term absorbs part of it.
    years = np.arange(2004, 2025)
    personnel = np.full(len(years), 100_000.0)
    mu = 0.8 * 100 * 0.98 ** (years - 2004) * np.where(years >= 2017, 1.6, 1.0)
    d = pd.DataFrame(
        {
            "year": years,
            "allegations": np.round(mu),
            "personnel": personnel,
            "complete": True,
            "definition": np.where(years >= 2017, "wider", "narrow"),
        }
    )
    m = trends.segmented(d, [2014])
    t = m.irr.set_index("term")
    assert "counting_2017" in t.index
    assert t.loc["counting_2017", "irr"] == pytest.approx(1.6, rel=0.05)
    assert t.loc["level_2014", "irr"] == pytest.approx(1.0, abs=0.05)
    assert t.loc["level_2014", "ci_low"] <= 1 <= t.loc["level_2014", "ci_high"]
    assert "2017" in m.reason and "counting" in m.reason
    naive = trends.segmented(d.drop(columns="definition"), [2014]).irr.set_index("term")
    assert naive.loc["slope_2014", "irr"] > 1.03  # the shift shows up as a policy change instead


@pytest.mark.filterwarnings("ignore::pkoresearch.errors.MeasurementBreakWarning")
def test_leave_one_out_matches_separate_fits(rated):
    r = rated[rated["year"].between(2007, 2021)].drop(columns=[], errors="ignore")
    loo = trends.leave_one_out(r, [2016])
    full = trends.segmented(r, [2016]).irr.set_index("term")
    all_years = loo[loo["left_out"].isna()].set_index("term")
    # the 2016 level change and the 2016 counting change (special political missions) are one
    # term, counting_2016
    assert all_years.loc["counting_2016", "irr"] == pytest.approx(full.loc["counting_2016", "irr"])
    without = trends.segmented(r[r["year"] != 2015], [2016]).irr.set_index("term")
    row = loo[(loo["left_out"] == 2015) & (loo["term"] == "counting_2016")].iloc[0]
    assert row.irr == pytest.approx(without.loc["counting_2016", "irr"])
    assert set(loo["term"]) == {"counting_2016", "slope_2016"}
    assert set(loo["left_out"].dropna()) == set(range(2007, 2022))
    summary = trends.leave_one_out_range(loo)
    lvl = summary.set_index("term").loc["counting_2016"]
    assert lvl.irr_min <= row.irr <= lvl.irr_max


def test_leave_one_out_reproduces_the_2016_level_change_on_the_curated_series(rated):
    # the figures: 1.75 with all years 2007-2021, about 1.27 without 2016 (negative
    # binomial fits, as the issue used)
    # the series the issue was measured on: the preferred figures of the first release, when
    # 2012 was 60 (a copy of a Youm7 article; 61 in A/67/766 is preferred now, see data/README.md)
    old = trends.curated_series(2007, 2024, revision="preferred")
    old.loc[old["year"] == 2012, "allegations"] = 60
    r = trends.rates(old, trends.personnel_by_year())
    r = r[r["year"].between(2007, 2021)].drop(columns=["definition"], errors="ignore")
    loo = trends.leave_one_out(r, [2016], family="negbin", counting=False)
    lvl = loo[loo["term"] == "level_2016"].set_index("left_out", drop=False)
    assert lvl[lvl["left_out"].isna()]["irr"].iloc[0] == pytest.approx(1.75, abs=0.01)
    assert lvl.loc[2016, "irr"] == pytest.approx(1.27, abs=0.01)


def _contributions(rows, months):
    from pathlib import Path

    from pkoresearch.data.coverage import Coverage
    from pkoresearch.data.readers.un_contributions import COUNTS_COLUMNS, Contributions

    c = pd.DataFrame(rows, columns=["mission", "month", "total"])
    c["month"] = pd.to_datetime(c["month"])
    c["women"], c["men"] = 0, c["total"]
    for col in ("contributor", "iso3", "personnel_type"):
        c[col] = pd.NA
    c["source_row"] = range(1, len(c) + 1)
    return Contributions(c[COUNTS_COLUMNS], Coverage.of_months("file", months), Path("file.dta"))


def test_mission_year_is_zero_only_where_the_mission_operated_and_the_source_covers():
    # the fixture export covers January 2016 - February 2018; the personnel file 2015-2017.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnrecognisedValuesWarning)
        small_t = read_table_of_allegations(FIXTURE)
    months = pd.period_range("2015-01", "2017-12", freq="M")
    rows = (
        [("MINUSCA", str(m), 10) for m in months]
        + [("UNMISS", str(m), 10) for m in months if m.year == 2017]  # starts 2017
        + [("MONUSCO", str(m), 10) for m in months if m < pd.Period("2016-07", "M")]
    )  # ends
    contrib = _contributions(rows, months)
    m = trends.mission_year(small_t, 2015, 2018, contributions=contrib).set_index(
        ["mission", "year"]
    )
    assert pd.isna(m.loc[("MINUSCA", 2015), "allegations"])  # export does not cover 2015
    assert m.loc[("MINUSCA", 2015), "status"] == "not covered"
    assert m.loc[("MINUSCA", 2016), "allegations"] == 1
    assert m.loc[("UNMISS", 2016), "status"] == "no personnel"  # UNMISS starts in 2017
    assert pd.isna(m.loc[("UNMISS", 2016), "allegations"])
    assert m.loc[("MONUSCO", 2017), "status"] == "no personnel"  # closed mid-2016
    assert m.loc[("MINUSCA", 2017), "status"] == "reported"
    assert m.loc[("MINUSCA", 2018), "status"] == "unknown"  # after the personnel file
    assert m.loc[("UNMISS", 2018), "status"] == "unknown"  # after the personnel file
    assert pd.isna(m.loc[("UNMISS", 2018), "allegations"])
    assert m.loc[("MONUSCO", 2018), "allegations"] == 1  # a count stays a count
    assert not m.loc[("MINUSCA", 2018), "complete"]
    # no personnel file: a mission-year without allegations is unknown, never 0
    bare = trends.mission_year(small_t, 2016, 2018)
    assert (bare["status"] == "unknown").any() and not (bare["allegations"] == 0).any()


def test_mission_year_on_the_real_files(export):
    from pkoresearch.data.readers.un_contributions import read_mission_month

    contrib = read_mission_month(external_file(MISSION_MONTH))
    m = trends.mission_year(export, 2008, 2024, contributions=contrib).set_index(
        ["mission", "year"]
    )
    assert m.loc[("UNOCI", 2016), "allegations"] == 7
    assert m.loc[("UNOCI", 2017), "allegations"] == 0  # operated until mid-2017, none reported
    assert m.loc[("UNOCI", 2018), "status"] == "no personnel"
    assert pd.isna(m.loc[("UNOCI", 2018), "allegations"])
    assert m.loc[("MINUSMA", 2023), "status"] == "unknown"  # the personnel file ends January 2022
    # MONUC became MONUSCO in 2010; the export still files some allegations under MONUC
    assert "MONUC" not in m.index.get_level_values("mission")
    assert m.loc[("MONUSCO", 2023), "allegations"] == 51 + 15
    raw = trends.mission_year(export, 2015, 2024, contributions=contrib, harmonise=False).set_index(
        ["mission", "year"]
    )
    assert raw.loc[("MONUC", 2023), "allegations"] == 15  # kept apart when asked
    assert m.loc[("MINUSCA", 2012), "status"] == "not covered"
    assert not ((m["allegations"] == 0) & (m["status"] != "none reported")).any()
    shown = trends.mission_year_display(m.reset_index(), ["UNOCI", "MINUSMA"])
    assert shown.loc["UNOCI", "2018"] == "-" and shown.loc["MINUSMA", "2023"] == "?"
    assert "2024 (partial)" in shown.columns and "2014" not in shown.columns


def test_personnel_mean_of_the_months_available():
    import pandas as pd

    from pkoresearch.data.readers.un_contributions import read_mission_month

    path = external_file(MISSION_MONTH)
    contrib = read_mission_month(path)
    p = trends.personnel_mean(contrib).set_index("year")
    raw = pd.read_stata(path)
    raw["total"] = raw["female_personnel"] + raw["male_personnel"]
    by_month = raw.groupby("yearmo")["total"].sum()
    y2017 = by_month[(by_month.index // 100) == 2017]
    assert p.loc[2017, "personnel"] == pytest.approx(y2017.mean())
    assert p.loc[2017, "months"] == 5 and not p.loc[2017, "complete"]
    assert (
        by_month.loc[201012] == trends.personnel_by_year().set_index("year").loc[2010, "personnel"]
    )
    one = trends.personnel_mean(contrib, missions=["MINUSCA"]).set_index("year")
    mc = raw[raw["mission"] == "MINUSCA"].groupby("yearmo")["total"].sum()
    assert one.loc[2019, "personnel"] == pytest.approx(mc[(mc.index // 100) == 2019].mean())


def test_rate_basis_matches_numerator_and_denominator(export):
    b = trends.rate_basis(2015, 2024, table=export)
    assert "military or police" in b.numerator and "uniformed" in b.denominator
    y = b.counts.set_index("year")
    cats = export.personnel.groupby("allegation_id")["category"].apply(set)
    uniformed = cats[cats.map(lambda s: bool(s & {"military", "police"}))].index
    a = export.allegations[export.allegations["allegation_id"].isin(uniformed)]
    assert y.loc[2016, "allegations"] == int((a["report_year"] == 2016).sum())
    curated = trends.rate_basis(2008, 2021)
    assert "civilian" in curated.numerator  # the mismatch is said, not hidden
    civ = trends.rate_basis(2015, 2023, personnel_categories=["civilian"], table=export)
    assert civ.personnel is None and "no rate" in civ.denominator


def test_count_by_nationality_groups_on_iso3_and_lists_unresolved(export):
    n = trends.count_by(export, "nationality")
    assert {"nationality", "nationality_iso3"} <= set(n.columns)
    tza = n[n["nationality_iso3"] == "TZA"]
    assert set(tza["nationality"]) == {"United Republic of Tanzania"}
    assert tza["allegations"].sum() == 29
    unknown = n[n["nationality_iso3"].isna()]
    assert set(unknown["nationality"]) == {"Unknown", "not published"}


def test_count_by_nationality_spelling_variants_meet(small):
    import copy

    t = copy.copy(small)
    a = small.allegations.copy()
    a.loc[a["allegation_id"] == 5, "nationality"] = "Congo (Republic of)"
    a.loc[a["allegation_id"] == 4, "nationality"] = "Congo"
    a.loc[a["allegation_id"] == 4, "report_year"] = 2018
    t.allegations = a
    n = trends.count_by(t, "nationality")
    cog = n[(n["nationality_iso3"] == "COG") & (n["year"] == 2018)]
    assert len(cog) == 1 and cog["allegations"].iloc[0] == 2


def test_year_summary_keeps_partial_years_apart(export):
    y = trends.yearly(2008, 2024, table=export)
    s = trends.year_summary(y)
    assert s["by_year"][2015] == 69 and 2024 not in s["by_year"]
    assert s["total_complete"] == 692
    assert s["partial"] == {2024: {"allegations": 61, "months_covered": 7}}
    assert s["not_covered"] == list(range(2008, 2015))
    d = trends.definitions(trends.yearly(2005, 2021))
    assert d[["first_year", "last_year"]].values.tolist() == [
        [2005, 2007],
        [2008, 2015],
        [2016, 2021],
    ]
    flagged = trends.with_coverage(trends.count_by(export, "personnel_category"), export.coverage)
    assert not flagged[flagged["year"] == 2024]["complete"].any()
    assert flagged[flagged["year"] == 2023]["complete"].all()


def test_change_unavailable_says_why(export):
    b = trends.rate_basis(2008, 2024, table=export)
    r = trends.rates(b.counts, b.personnel)
    why = trends.change_unavailable(r, 2010, 2009, export.coverage)
    assert "2009, 2010 are outside the coverage" in why and "January 2015 - July 2024" in why
    assert "2015-2021" in why
    assert "2024 is partial" in trends.change_unavailable(r, 2024, 2016)
    assert trends.change_unavailable(r, 2021, 2016) is None


def test_mission_totals_keep_partial_years_apart():
    f = pd.DataFrame(
        {
            "mission": ["A", "A", "A", "B"],
            "year": [2022, 2023, 2024, 2024],
            "allegations": pd.array([2, pd.NA, 5, 1], dtype="Int64"),
            "complete": [True, True, False, False],
        }
    )
    t = trends.mission_totals(f).set_index("mission")
    assert t.loc["A"].tolist() == [2, 5] and t.loc["B", "allegations_partial_years"] == 1
    assert pd.isna(t.loc["B", "allegations_complete_years"])  # no count behind it: not 0
    assert list(t.index) == ["A", "B"]


def test_segmented_model_takes_the_long_series_when_the_export_starts_too_late():
    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    t = read_table_of_allegations(path)
    basis = trends.rate_basis(2008, 2024, table=t)
    rated = trends.rates(basis.counts, basis.personnel)
    pick = trends.series_for_breakpoints(rated, [2016], 2008, 2024)
    assert pick.kept == [2016] and pick.dropped == []
    assert pick.text.startswith(
        "the curated headline series over year-end uniformed personnel (2008-2021)"
    )
    assert trends.model_years(pick.rated) == list(range(2008, 2022))
    assert set(trends.counting_changes(pick.rated)) == {2016}  # its own counting change, modelled
    # a breakpoint the export can take keeps the export's series; a selection never switches series
    assert trends.series_for_breakpoints(rated, [2018], 2008, 2024).rated is rated
    sel = trends.series_for_breakpoints(
        rated, [2016], 2008, 2024, personnel_categories=["military"]
    )
    assert sel.rated is rated and sel.kept == [] and sel.dropped == [2016]


def test_select_a_renamed_mission_keeps_the_allegations_filed_under_its_former_name(export):
    raw = export.allegations["mission"]
    t = trends.select(export, missions=["MONUSCO"])
    assert len(t.allegations) == int(raw.isin(["MONUSCO", "MONUC"]).sum())
    assert t.counts["filed_under_former_name"] == int((raw == "MONUC").sum()) == 24
    strict = trends.select(export, missions=["MONUSCO"], harmonise=False)
    assert len(strict.allegations) == int((raw == "MONUSCO").sum())


def test_a_comparison_across_a_change_of_definition_says_so():
    r = trends.rates(trends.yearly(2015, 2021), trends.personnel_by_year())
    with pytest.warns(MeasurementBreakWarning, match="the two periods count different things"):
        est = trends.change(r, 2021, 2015)
    assert est.detail["definitions"] == [
        "peacekeeping operations and special political missions (UN headline figure)",
        "peacekeeping operations (UN headline figure, tracking system)",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeasurementBreakWarning)
        same = trends.change(r, 2017, 2016)  # one definition: no caution
    assert "definitions" not in same.detail


def test_a_denominator_of_one_month_is_shown_but_not_modelled():
    counts = pd.DataFrame(
        {"year": [2019, 2020, 2021, 2022], "allegations": [50, 60, 55, 70], "complete": [True] * 4}
    )
    personnel = pd.DataFrame(
        {
            "year": [2019, 2020, 2021, 2022],
            "personnel": [90000.0, 85000.0, 80000.0, 75000.0],
            "months": [12, 12, 5, 1],
        }
    )
    r = trends.rates(counts, personnel)
    assert r["rate"].notna().all()  # every rate shown
    assert trends.model_years(r) == [2019, 2020, 2021]  # January alone is not a year's exposure
    assert trends.model_years(r, include_partial=True) == [2019, 2020, 2021, 2022]
