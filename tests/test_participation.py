"""Participation measures: synthetic data with known answers and the curated figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pkoresearch import participation as pa
from pkoresearch import stats
from pkoresearch.errors import ParameterError


def test_projection_recovers_a_known_crossing_year():
    rng = np.random.default_rng(2)
    years = np.arange(2000, 2021)
    share = 2.0 + 0.5 * (years - 2000) + rng.normal(0, 0.3, len(years))  # reaches 15% in 2026
    p = pa.project_year(years, share, 15.0, horizon=2060)
    assert p.ci_low <= 2026 <= p.ci_high
    assert abs(p.year - 2026) < 1.5
    assert p.slope_ci[0] < 0.5 < p.slope_ci[1]
    assert p.text.startswith(f"{p.year:.0f} (95% interval")


def test_projection_exact_line_has_a_tight_interval():
    years = [2010, 2011, 2012, 2013, 2014]
    p = pa.project_year(years, [3.0, 3.5, 4.0, 4.5, 5.0], 6.0, horizon=2050)
    assert p.year == pytest.approx(2016.0)
    assert p.ci_low == pytest.approx(2016.0, abs=0.02) and p.ci_high == pytest.approx(2016.0, abs=0.02)


def test_projection_not_reached():
    flat = pa.project_year([2010, 2011, 2012, 2013], [5.0, 4.9, 5.1, 4.8], 15.0, horizon=2040)
    assert flat.year is None and flat.text == "not reached by 2040"
    slow = pa.project_year([2010, 2011, 2012, 2013], [1.0, 1.1, 1.2, 1.3], 15.0, horizon=2040)
    assert slow.text == "not reached by 2040"  # crossing in 2150
    with pytest.raises(ParameterError, match="at least 3"):
        pa.project_year([2010, 2011], [1, 2], 5)


def test_growth_of_the_seed_figures():
    g = pa.growth(pa.women_count(2005), pa.women_count(2010, 8), 2005, 2010)
    assert (g.detail["start"], g.detail["end"]) == (1016, 3332)
    assert g.estimate == pytest.approx(3332 / 1016)
    assert g.detail["yearly_growth_pct"] == pytest.approx(100 * ((3332 / 1016) ** 0.2 - 1))


def test_concentration():
    assert pa.concentration(pd.Series([50, 30, 10, 5, 5]), top_n=2) == 80.0
    with pytest.raises(ParameterError):
        pa.concentration(pd.Series([0, 0]))


def test_add_share_uses_wilson():
    d = pa.add_share(pd.DataFrame({"women": [29], "personnel": [74]}))
    e = stats.proportion(29, 74)
    assert d.loc[0, "share_pct"] == pytest.approx(100 * 29 / 74)
    assert d.loc[0, "ci_low"] == pytest.approx(100 * e.ci_low)


def test_curated_shares_and_parity_gap():
    s = pa.curated_shares(["military_contingents", "formed_police_units"], 2009, 2025)
    mc = s[s["category"] == "military_contingents"].set_index("year")
    assert mc.loc[2010, "share_pct"] == pytest.approx(2.35) and mc.loc[2010, "month"] == 12
    gap = pa.parity_gap(s).set_index(["category", "target_year"])
    row = gap.loc[("military_contingents", 2028)]
    assert row.status == "open" and row.observed_year == 2025
    assert row.gap_pp == pytest.approx(15 - mc.loc[2025, "share_pct"])
    assert gap.loc[("military_contingents", 2014), "status"] == "not met"


def test_curated_contributors_subset():
    c = pa.curated_contributors(2013, 12, contributors=["Ghana", "India"]).set_index("country")
    assert list(c.index) == ["Ghana", "India"]
    assert (c.loc["Ghana", "women"], c.loc["India", "women"]) == (300, 143)
    assert pa.curated_contributor_dates()[-1] == (2021, 1)


def test_shares_by_on_a_known_table():
    counts = pd.DataFrame({
        "date": pd.to_datetime(["2010-01-31"] * 4),
        "contributor": ["A"] * 4, "mission": ["M"] * 4,
        "category": ["troops", "troops", "individual_police", "individual_police"],
        "sex": ["female", "male", "female", "male"],
        "count": [10, 90, 5, 5],
    })
    s = pa.shares_by(counts, ["date", "group"], ["all_uniformed", "military_contingents",
                                                 "police"]).set_index("group")
    assert s.loc["all_uniformed", "women"] == 15 and s.loc["all_uniformed", "personnel"] == 110
    assert s.loc["military_contingents", "share_pct"] == pytest.approx(10.0)
    assert s.loc["police", "share_pct"] == pytest.approx(50.0)
    with pytest.raises(ParameterError, match="groups: found 'navy'"):
        pa.shares_by(counts, ["date"], ["navy"])


def test_association_model_recovers_a_known_irr():
    rng = np.random.default_rng(4)
    n = 400
    share = rng.uniform(1, 12, n)
    personnel = rng.uniform(2_000, 20_000, n)
    mu = personnel * 0.004 * 0.9 ** share  # each point of women's share: rate x 0.9
    counts = rng.negative_binomial(5, 5 / (5 + mu))
    panel = pd.DataFrame({"year": 2000 + np.arange(n) % 20, "mission": "M", "share_pct": share,
                          "personnel": personnel, "allegations": counts})
    m = pa.association_model(panel)
    row = m.irr.set_index("term").loc["share_pct"]
    assert m.family == "negative binomial"
    assert row.ci_low <= 0.9 <= row.ci_high


def test_mission_year_panel_keeps_only_both():
    s = pd.DataFrame({"year": [2012, 2013], "mission": ["UNMIL", "UNMIL"], "women": [1, 2],
                      "personnel": [10, 20], "share_pct": [10.0, 10.0]})
    a = pd.DataFrame({"year": [2013, 2015], "mission": ["UNMIL", "UNMIL"], "allegations": [3, 4]})
    p = pa.mission_year_panel(s, a)
    assert p[["year", "allegations"]].values.tolist() == [[2013, 3]]
    assert p.attrs == {"mission_years_with_shares": 2, "mission_years_with_allegations": 2,
                       "joined": 1}
