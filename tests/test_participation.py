"""Participation measures: synthetic data with known answers and the curated figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import pkoresearch as pko
from conftest import external_file
from pkoresearch.analysis import participation as pa
from pkoresearch.analysis import stats
from pkoresearch.errors import ParameterError


def test_projection_recovers_a_known_crossing_year():
    rng = np.random.default_rng(2)
    years = np.arange(2000, 2021)
    share = 2.0 + 0.5 * (years - 2000) + rng.normal(0, 0.3, len(years))  # reaches 15% in 2026
    p = pa.project_year(years, share, 15.0, horizon=2060, model="linear")
    assert p.pi_low <= 2026 <= p.pi_high
    assert abs(p.year - 2026) < 1.5
    assert p.slope_ci[0] < 0.5 < p.slope_ci[1]
    assert p.text.startswith(f"{math.floor(p.year)} (95% prediction interval")


def test_logit_projection_recovers_a_known_crossing_and_stays_a_share():
    rng = np.random.default_rng(5)
    t = np.arange(2005, 2024) + 0.5
    # logit-linear growth that reaches 15% at t = 2030.0 exactly
    b = 0.12
    a = math.log(15 / 85) - b * 2030.0
    z = a + b * t + rng.normal(0, 0.05, len(t))
    share = 100 / (1 + np.exp(-z))
    p = pa.project_year(t, share, 15.0, horizon=2080)
    assert p.model == "logit"
    assert p.pi_low <= 2030.0 <= p.pi_high and abs(p.year - 2030.0) < 1
    assert p.slope_ci[0] < b < p.slope_ci[1]
    # the same figures fitted as a straight line cross later: the two models differ in shape
    assert pa.project_year(t, share, 15.0, horizon=2080, model="linear").year > p.year + 1
    with pytest.raises(ParameterError, match="strictly between 0 and 100"):
        pa.project_year([2010, 2011, 2012], [0.0, 1.0, 2.0], 5.0)


@pytest.mark.parametrize("model", ["linear", "logit"])
def test_prediction_interval_is_the_inverse_of_statsmodels_prediction_band(model):
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    t = np.arange(2009, 2024) + 0.5
    share = 3 + 0.4 * (t - 2009) + rng.normal(0, 0.4, len(t))
    target = 12.0
    p = pa.project_year(t, share, target, horizon=2070, model=model)
    z = np.log(share / (100 - share)) if model == "logit" else share
    z0 = math.log(target / (100 - target)) if model == "logit" else target
    fit = sm.OLS(z, sm.add_constant(t)).fit()
    band = fit.get_prediction(
        sm.add_constant(np.array([p.pi_low, p.pi_high]), has_constant="add")
    ).summary_frame(alpha=0.05)
    # at the interval's ends the target sits on the edge of the prediction band of a new figure
    assert band["obs_ci_upper"].iloc[0] == pytest.approx(z0, abs=0.01 * abs(fit.params[1]) + 1e-6)
    assert band["obs_ci_lower"].iloc[1] == pytest.approx(z0, abs=0.01 * abs(fit.params[1]) + 1e-6)
    # and it is wider than the interval from the band of the fitted line alone
    mean = fit.get_prediction(
        sm.add_constant(np.array([p.pi_low, p.pi_high]), has_constant="add")
    ).summary_frame(alpha=0.05)
    assert mean["mean_ci_upper"].iloc[0] < z0 < mean["mean_ci_lower"].iloc[1]


def test_projection_exact_line_has_a_tight_interval():
    years = [2010, 2011, 2012, 2013, 2014]
    p = pa.project_year(years, [3.0, 3.5, 4.0, 4.5, 5.0], 6.0, horizon=2050, model="linear")
    assert p.year == pytest.approx(2016.0)
    assert p.pi_low == pytest.approx(2016.0, abs=0.02) and p.pi_high == pytest.approx(
        2016.0, abs=0.02
    )


def test_projection_not_reached():
    flat = pa.project_year([2010, 2011, 2012, 2013], [5.0, 4.9, 5.1, 4.8], 15.0, horizon=2040)
    assert flat.year is None and flat.text == "not reached by 2040"
    slow = pa.project_year(
        [2010, 2011, 2012, 2013], [1.0, 1.1, 1.2, 1.3], 15.0, horizon=2040, model="linear"
    )
    assert slow.text == "not reached by 2040"  # crossing in 2150
    with pytest.raises(ParameterError, match="at least 3"):
        pa.project_year([2010, 2011], [1, 2], 5)
    with pytest.raises(ParameterError, match="model 'quadratic'"):
        pa.project_year([2010, 2011, 2012], [1, 2, 3], 5, model="quadratic")


def _switch_series():
    """Experts on mission only (about 4%) to 2014, staff officers and experts (about 16%, flat)
    from 2019: each definition is flat, but the switch looks like steep growth."""
    rng = np.random.default_rng(8)
    early, late = np.arange(2009, 2015), np.arange(2019, 2026)
    return pd.DataFrame(
        {
            "year": np.r_[early, late],
            "month": 12,
            "category": "staff_officers_experts",
            "share_pct": np.r_[
                4.0 + rng.normal(0, 0.2, len(early)), 16.0 + rng.normal(0, 0.3, len(late))
            ],
            "definition": ["experts_on_mission"] * len(early)
            + ["staff_officers_and_experts"] * len(late),
        }
    )


def test_a_definition_switch_is_not_a_trend():
    s = _switch_series()
    target = pd.DataFrame(
        {"year": [2028], "category": ["staff_officers_experts"], "target_share_pct": [25.0]}
    )
    # fitted across the switch, the series "reaches" 25% well before the horizon: a spurious trend
    naive = pa.project_year(s["year"] + 0.96, s["share_pct"], 25.0, horizon=2060)
    assert naive.year is not None and naive.year < 2040
    # told the definitions, the projection refuses to fit across them
    with pytest.raises(ParameterError, match="found 2 definitions in one series"):
        pa.project_year(s["year"], s["share_pct"], 25.0, definitions=s["definition"])
    # projections() fits the target's own definition only, and the flat series never gets there
    out = pa.projections(s, target, horizon=2060, models=["logit", "linear"]).set_index("model")
    assert (out["definition"] == "staff_officers_and_experts").all()
    assert (out["n"] == 7).all() and (out["left_out"] == 6).all()
    assert out.loc["logit", "projected"] == "not reached by 2060"
    assert out.loc["linear", "projected"] == "not reached by 2060"
    assert (out["by_target_year"] == "no").all()


def test_a_target_with_too_few_figures_of_its_definition_is_not_fitted():
    s = _switch_series()
    s = s[(s["definition"] == "experts_on_mission") | (s["year"] >= 2024)]
    target = pd.DataFrame(
        {"year": [2028], "category": ["staff_officers_experts"], "target_share_pct": [25.0]}
    )
    out = pa.projections(s, target)
    assert out.loc[0, "projected"] == (
        "not fitted: 2 figure(s) counted as staff_officers_and_experts; 3 needed"
    )


def test_definitions_follow_the_curated_notes():
    p = pko.load("personnel")
    share = p[p["measure"] == "women_share_pct"].copy()
    share["definition"] = pa.definitions(share).to_numpy()
    so = share[share["category"] == "staff_officers_experts"]
    # every figure whose note says staff officers are not separate is experts on mission only
    noted = so["note"].fillna("").str.contains("staff officers not separate")
    assert noted.sum() == 8 and (so.loc[noted, "definition"] == "experts_on_mission").all()
    assert (so.loc[so["year"] >= 2017, "definition"] == "staff_officers_and_experts").all()
    assert set(so.loc[so["year"] <= 2014, "year"]) == set(range(2009, 2015))
    mc = share[share["category"] == "military_contingents"]
    assert (mc.loc[mc["year"] <= 2014, "definition"] == "troops_with_staff_officers").all()
    assert (mc.loc[mc["year"] >= 2017, "definition"] == "contingent_troops").all()
    wide = share[(share["category"] == "all_uniformed") & (share["year"] == 2022)]
    assert wide["definition"].tolist() == ["uniformed_with_justice_corrections"]
    assert (
        pa.definition_of(
            "military", 2008, "SIPRI basis; UN peace operations incl. special political missions"
        )
        == "military_peace_operations"
    )
    assert set(pa.DEFINITIONS) >= set(share["definition"])
    with pytest.raises(ParameterError, match="category 'navy'"):
        pa.definition_of("navy", 2010)


def test_growth_of_the_seed_figures():
    g = pa.growth(pa.women_count(2005), pa.women_count(2010, 8), 2005, 2010)
    assert (g.detail["start"], g.detail["end"]) == (1016, 3332)
    assert g.estimate == pytest.approx(3332 / 1016)
    assert g.detail["yearly_growth_pct"] == pytest.approx(100 * ((3332 / 1016) ** 0.2 - 1))


def test_concentration():
    assert pa.concentration(pd.Series([50, 30, 10, 5, 5]), top_n=2) == 80.0
    # no woman deployed (an all-male selection): nothing to share out, missing rather than an error
    assert math.isnan(pa.concentration(pd.Series([0, 0])))
    with pytest.raises(ParameterError):
        pa.concentration(pd.Series([3, -1]))


def test_add_share_uses_wilson():
    d = pa.add_share(pd.DataFrame({"women": [29], "personnel": [74]}))
    e = stats.proportion(29, 74)
    assert d.loc[0, "share_pct"] == pytest.approx(100 * 29 / 74)
    assert d.loc[0, "ci_low"] == pytest.approx(100 * e.ci_low)


def test_curated_shares_flag_february_2014_rounding_and_bounds():
    s = pa.curated_shares(
        ["military_contingents", "formed_police_units", "staff_officers_experts"], 2009, 2025
    )
    mc = s[s["category"] == "military_contingents"].set_index("year")
    assert mc.loc[2010, "share_pct"] == pytest.approx(2.35) and mc.loc[2010, "month"] == 12
    assert bool(mc.loc[2013, "complete"]) and mc.loc[2013, "period"] == "Dec 2013"
    # the last month of the IPI scrape is February 2014: kept, never the 2014 year-end
    assert mc.loc[2014, "month"] == 2 and not bool(mc.loc[2014, "complete"])
    assert mc.loc[2014, "period"] == "Feb 2014"
    assert (
        mc.loc[2019, "complete"] is pd.NA and mc.loc[2019, "period"] == "2019 (month not recorded)"
    )
    so = s[s["category"] == "staff_officers_experts"].set_index("year")
    # 2019: "more than 13%" (April) is a lower bound, so the year's figure is 16.7
    assert so.loc[2019, "share_pct"] == pytest.approx(16.7) and so.loc[2019, "kind"] == "point"
    every = pa.curated_shares(["staff_officers_experts"], 2019, 2019, year_end_only=False)
    assert every.set_index("month", drop=False).loc[4, "kind"] == "lower bound"
    assert bool(so.loc[2025, "rounded"]) and not bool(so.loc[2021, "rounded"])
    assert not so.loc[2013, ["rounded"]].any()  # computed from counts


def test_parity_gap_uses_the_targets_own_definition_and_says_what_it_rests_on():
    s = pa.curated_shares(pa.CURATED_CATEGORIES, 2009, 2025)
    gap = pa.parity_gap(s).set_index(["category", "target_year"])
    police = gap.loc[("police", 2014)]
    assert police.status == "below target at last figure"  # Feb 2014 is not the 2014 year-end
    assert (police.observed_period, police.observed_pct) == ("Feb 2014", pytest.approx(10.15))
    assert (police.next_period, police.next_pct) == ("2017 (month not recorded)", 10.0)
    assert "not the 2014 year-end" in police.basis
    mc = gap.loc[("military_contingents", 2014)]
    assert mc.definition == "troops_with_staff_officers" and mc.status != "not met"
    assert pd.isna(mc.next_pct)  # no later figure counts troops with staff officers
    so21 = gap.loc[("staff_officers_experts", 2021)]
    assert so21.definition == "staff_officers_and_experts" and so21.observed_pct == 17.6
    so25 = gap.loc[("staff_officers_experts", 2025)]
    assert so25.status == "met" and so25.rests_on_rounded_secondary
    assert "rounded figure (23%): the status holds within its rounding" in so25.basis
    assert gap.loc[("military_contingents", 2028), "status"] == "open"
    ipo = gap.loc[("individual_police", 2028)]
    assert ipo.status == "reached before the target year" and ipo.rests_on_rounded_secondary
    assert gap.loc[("military_contingents", 2028), "gap_pp"] == pytest.approx(15 - 8.8)


def test_parity_gap_statuses_on_synthetic_figures():
    t = pd.DataFrame(
        {
            "year": [2020, 2020, 2020],
            "category": ["police", "formed_police_units", "individual_police"],
            "target_share_pct": [20.0, 15.0, 30.0],
        }
    )
    s = pd.DataFrame(
        {
            "year": [2020, 2020, 2020],
            "month": pd.array([12, 6, None], "Int64"),
            "category": ["police", "formed_police_units", "individual_police"],
            "share_pct": [19.0, 14.0, 30.0],
            "rounded": [False, False, True],
            "confidence": ["high", "high", "medium"],
        }
    )
    gap = pa.parity_gap(s, t).set_index("category")
    assert gap.loc["police", "status"] == "not met"  # the December figure of the target year
    assert gap.loc["formed_police_units", "status"] == "below target at last figure"
    ipo = gap.loc["individual_police"]
    assert ipo.status == "met" and ipo.rests_on_rounded_secondary
    assert "within rounding of the target, so the status is uncertain" in ipo.basis
    none = pa.parity_gap(s.assign(year=2021), t)
    assert (none["status"] == "no figure").all()


def test_doubling_target_of_resolution_2242_on_the_curated_counts():
    counts = pa.curated_counts("all_uniformed")
    d = pa.doubling_target(counts)
    # no curated count for October 2015 or October 2020: the nearest are Feb 2014 and Jan 2021
    assert (d.baseline_period, d.baseline, d.end_period, d.end) == (
        "Feb 2014",
        3758,
        "Jan 2021",
        5763,
    )
    assert d.ratio == pytest.approx(5763 / 3758)
    assert d.status == "not met on the nearest figures"
    assert "met only if the Oct 2015 count was below 2,882" in d.condition
    assert d.definition == "all_uniformed"


def test_doubling_target_on_synthetic_counts():
    c = pd.DataFrame({"year": [2015, 2020], "month": [10, 10], "women": [100, 201]})
    assert pa.doubling_target(c).status == "met"
    assert pa.doubling_target(c.assign(women=[100, 150])).status == "not met"
    mixed = c.assign(definition=["all_uniformed", "contingents"])
    with pytest.raises(ParameterError, match="under different definitions"):
        pa.doubling_target(mixed)
    assert pa.doubling_target(c.iloc[:1]).status == "open"


def test_doubling_target_on_the_un_monthly_totals():
    from pkoresearch.data.readers.un_contributions import read_mission_month

    c = read_mission_month(external_file("UN_contributions_by_gender_mission_month_2010-2022.dta"))
    months = c.totals(["month"]).rename(columns={"month": "date"})
    d = pa.doubling_target(months)
    assert (d.baseline, d.end) == (4458, 5612) and d.status == "not met"
    assert d.ratio == pytest.approx(5612 / 4458)


def test_curated_contributors_subset():
    c = pa.curated_contributors(2013, 12, contributors=["Ghana", "India"]).set_index("country")
    assert list(c.index) == ["Ghana", "India"]
    assert (c.loc["Ghana", "women"], c.loc["India", "women"]) == (300, 143)
    assert pa.curated_contributor_dates()[-1] == (2021, 1)


def test_shares_by_on_a_known_table():
    counts = pd.DataFrame(
        {
            "date": pd.to_datetime(["2010-01-31"] * 4),
            "contributor": ["A"] * 4,
            "mission": ["M"] * 4,
            "category": ["troops", "troops", "individual_police", "individual_police"],
            "sex": ["female", "male", "female", "male"],
            "count": [10, 90, 5, 5],
        }
    )
    s = pa.shares_by(
        counts, ["date", "group"], ["all_uniformed", "military_contingents", "police"]
    ).set_index("group")
    assert s.loc["all_uniformed", "women"] == 15 and s.loc["all_uniformed", "personnel"] == 110
    assert s.loc["military_contingents", "share_pct"] == pytest.approx(10.0)
    assert s.loc["police", "share_pct"] == pytest.approx(50.0)
    with pytest.raises(ParameterError, match="groups: found 'navy'"):
        pa.shares_by(counts, ["date"], ["navy"])


def _monthly(rows):
    """Tidy gender-statistics counts from (date, contributor, iso3, mission, women, men) rows."""
    out = []
    for date, contributor, iso3, mission, women, men in rows:
        for sex, n in (("female", women), ("male", men)):
            out.append(
                {
                    "date": pd.Timestamp(date),
                    "contributor": contributor,
                    "iso3": iso3,
                    "mission": mission,
                    "category": "troops",
                    "sex": sex,
                    "count": n,
                }
            )
    return pd.DataFrame(out)


def test_year_end_flags_a_year_whose_last_month_is_not_december():
    counts = _monthly(
        [
            ("2013-11-30", "A", "AAA", "M", 5, 95),
            ("2013-12-31", "A", "AAA", "M", 6, 94),
            ("2014-01-31", "A", "AAA", "M", 7, 93),
            ("2014-02-28", "A", "AAA", "M", 8, 92),
        ]
    )
    y = pa.year_end(pa.shares_by(counts, ["date", "group"], ["all_uniformed"])).set_index("year")
    assert y.loc[2013, "share_pct"] == 6.0 and bool(y.loc[2013, "complete"])
    assert y.loc[2014, "share_pct"] == 8.0 and not bool(y.loc[2014, "complete"])
    assert (y.loc[2014, "period"], y.loc[2014, "months_covered"]) == ("Feb 2014", 2)
    assert y.loc[2014, "definition"] == "all_uniformed"


def test_mission_year_shares_are_missing_where_a_mission_had_nobody():
    counts = _monthly(
        [
            ("2012-12-31", "A", "AAA", "OLD", 2, 98),
            ("2012-12-31", "A", "AAA", "NEW", 0, 0),
            ("2013-06-30", "A", "AAA", "OLD", 1, 99),
            ("2013-12-31", "A", "AAA", "NEW", 0, 50),
            ("2013-12-31", "B", "BBB", "NEW", 0, 10),
        ]
    )
    m = pa.mission_year_shares(counts).set_index(["mission", "year"])
    assert m.loc[("OLD", 2012), "share_pct"] == 2.0
    # OLD had nobody at the end of 2013 (closed in June): missing, not 0
    assert pd.isna(m.loc[("OLD", 2013), "share_pct"]) and not m.loc[("OLD", 2013), "deployed"]
    assert pd.isna(m.loc[("NEW", 2012), "share_pct"])  # a row of zeros is nobody deployed
    # NEW had 60 personnel and no women at the end of 2013: a true 0
    assert m.loc[("NEW", 2013), "share_pct"] == 0.0 and m.loc[("NEW", 2013), "personnel"] == 60


def test_contributors_are_matched_by_code_not_spelling():
    counts = _monthly(
        [
            ("2014-01-31", "Tanzania, United Republic of", "TZA", "M", 10, 90),
            ("2014-01-31", "Ghana", "GHA", "M", 30, 70),
            ("2014-01-31", "Ghana", "GHA", "N", 5, 45),
        ]
    )
    assert pa.contributor_codes(["Tanzania", "Ghana"], counts) == ["TZA", "GHA"]
    with pytest.raises(
        ParameterError,
        match=r"names with no ISO3 code \['Narnia'\].*not in the "
        r"data \['India \(IND\)'\]",
    ):
        pa.contributor_codes(["Narnia", "India"], counts)
    r = pa.contributor_ranking(counts, "2014-01-31", top_n=None).set_index("iso3")
    assert r.loc["GHA", "women"] == 35 and r.loc["GHA", "personnel"] == 150
    assert r.loc["TZA", "contributor"] == "Tanzania, United Republic of"
    assert r["rank"].tolist() == [1, 2]
    c = pa.curated_contributors(2021, 1, contributors=["Tanzania", "Moldova"])
    assert sorted(c["country"]) == ["Republic of Moldova", "United Republic of Tanzania"]


@pytest.fixture(scope="module")
def real_gender():
    from pkoresearch.data.readers.un_gender import read_gender_statistics

    path = external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv")
    return read_gender_statistics(path), pd.read_csv(path)


def test_real_mission_years_show_closed_missions_as_missing(real_gender):
    g, raw = real_gender
    m = pa.mission_year_shares(g.counts).set_index(["mission", "year"])
    assert len(m) == 25 * 6  # 25 missions x 2009-2014
    for year in range(2011, 2015):
        assert pd.isna(m.loc[("MINURCAT", year), "share_pct"])  # closed December 2010
        assert pd.isna(m.loc[("UNMIS", year), "share_pct"])  # closed July 2011
    assert not m.loc[("UNMISS", 2010), "deployed"]  # began July 2011
    assert (m.xs(2014, level="year")["period"] == "Feb 2014").all()
    assert not m.xs(2014, level="year")["complete"].any()
    assert m.xs(2013, level="year")["complete"].all()
    # UNMIL, December 2013, against the raw file's own columns
    r = raw[(raw["Date"] == "2013-12-31") & (raw["Mission"] == "UNMIL")]
    row = m.loc[("UNMIL", 2013)]
    assert (row.women, row.personnel) == (r["Total Female"].sum(), r["Total Total"].sum())
    assert row.share_pct == pytest.approx(100 * r["Total Female"].sum() / r["Total Total"].sum())


def test_real_contributor_named_two_ways_is_one_code(real_gender):
    g, raw = real_gender
    # in January 2014 the file spells Tanzania "Tanzania, United Republic of", otherwise "Tanzania"
    jan = pa.contributor_ranking(g.counts, "2014-01-31", top_n=None).set_index("iso3")
    dec = pa.contributor_ranking(g.counts, "2013-12-31", top_n=None).set_index("iso3")
    assert jan.loc["TZA", "contributor"] == "Tanzania, United Republic of"
    assert dec.loc["TZA", "contributor"] == "Tanzania"
    r = raw[(raw["Date"] == "2014-01-31") & (raw["Contributor ISO-3"] == "TZA")]
    assert jan.loc["TZA", "women"] == r["Total Female"].sum()
    codes = pa.contributor_codes(["United Republic of Tanzania"], g.counts)
    assert g.counts[g.counts["iso3"].isin(codes)]["contributor"].nunique() == 2
