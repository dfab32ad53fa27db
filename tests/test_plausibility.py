"""The plausibility check of monthly personnel series: the UNOCI months of 2016 in the real mission
x month file, a synthetic spike with a known answer, steps and small missions left alone, and the
suspect months left out of shares and exposures unless kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.analysis import panel as P
from pkoresearch.analysis import plausibility as pl
from pkoresearch.data.readers.un_contributions import read_mission_month
from pkoresearch.errors import ParameterError

DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"


@pytest.fixture(scope="module")
def mission_month():
    return read_mission_month(external_file(DTA))


def _series(women, total, mission="X", start="2015-01"):
    months = pd.date_range(start, periods=len(women), freq="MS")
    return pd.DataFrame({"mission": mission, "month": months, "women": women, "total": total})


def test_synthetic_spike_by_hand():
    women = [100, 102, 98, 101, 99, 100, 400, 100, 103, 97, 100, 101, 99]
    total = [5000] * 13
    s = pl.suspect_months(_series(women, total))
    assert set(s["month"]) == {pd.Timestamp("2015-07-01")}
    w = s.set_index("measure").loc["women"]
    neighbours = np.array([100, 102, 98, 101, 99, 100, 100, 103, 97, 100, 101, 99], dtype=float)
    med = np.median(neighbours)
    mad = 1.4826 * np.median(np.abs(neighbours - med))
    scale = max(mad, 0.1 * med, 5)  # the floor: 10% of the median (10 persons)
    assert (w["value"], w["median"], w["neighbours"]) == (400, med, 12)
    assert w["mad"] == pytest.approx(mad)
    assert w["distance"] == pytest.approx((400 - med) / scale) and w["distance"] > 6
    # the share: 8% against 2%, binomial floor sqrt(.02 * .98 / 5000) = 0.198 points < 0.5
    sh = s.set_index("measure").loc["share_pct"]
    assert sh["scale"] == pytest.approx(0.5)
    assert sh["distance"] == pytest.approx((8 - 2) / 0.5)
    # men: 4600 against about 4900: 300 / 490 (10% floor) is not suspect
    assert "men" not in set(s["measure"])


def test_steps_edges_and_small_missions_are_not_suspect():
    # a deployment (women 20 -> 200, personnel 1,000 -> 10,000) is a step, not a spike
    step = _series([20] * 8 + [200] * 8, [1000] * 8 + [10000] * 8)
    # a drawdown in the last months of a mission (UNOCI 2017, MINURCAT 2010)
    end = _series([150] * 10 + [4, 3], [2500] * 10 + [63, 17], mission="Y")
    # a mission of 16 persons: one woman more or less moves the share by 6 points
    small = _series([1, 1, 2, 1, 0, 1, 1, 2, 1, 1, 1], [16] * 11, mission="Z")
    s = pl.suspect_months(pd.concat([step, end, small], ignore_index=True))
    assert s.empty and list(s.columns) == ["mission", *pl.SUSPECT_COLUMNS]


def test_unoci_2016_in_the_real_file(mission_month):
    s = P.suspect_mission_months(mission_month)
    keys = pl.suspect_keys(s)
    assert list(keys) == [("UNOCI", pd.Timestamp(f"2016-{m:02d}-01")) for m in (1, 3, 4, 5)]
    jan = s[(s["month"] == "2016-01-01") & (s["measure"] == "women")].iloc[0]
    assert jan["value"] == 888 and jan["median"] == 167 and jan["distance"] > 40
    assert set(s["measure"]) == {"women", "share_pct"}  # men (5,697 of 6,585) are plausible
    assert "UNOCI: Jan 2016, Mar 2016, Apr 2016, May 2016" in pl.describe(s)


def test_suspect_months_left_out_of_shares_and_exposure(mission_month):
    raw = mission_month.counts
    u = raw[raw["mission"] == "UNOCI"].groupby("month")[["women", "total"]].sum()
    y16 = u.loc["2016"]
    good = y16.drop(pd.to_datetime(["2016-01-01", "2016-03-01", "2016-04-01", "2016-05-01"]))
    kept = P.personnel_by_mission_year(mission_month, suspect="keep").set_index(["mission", "year"])
    left = P.personnel_by_mission_year(mission_month).set_index(["mission", "year"])
    k, e = kept.loc[("UNOCI", 2016)], left.loc[("UNOCI", 2016)]
    assert k.share_pct == pytest.approx(100 * y16["women"].sum() / y16["total"].sum())
    assert k.share_pct == pytest.approx(9.4496, abs=1e-4)
    assert e.share_pct == pytest.approx(100 * good["women"].sum() / good["total"].sum())
    assert e.share_pct == pytest.approx(3.2114, abs=1e-4)
    # November 2016 is absent from the source; the four suspect months count as active gap months
    assert (e.months_with_personnel, e.months_gap_active, e.months_suspect) == (7, 5, 4)
    assert e.exposure == pytest.approx(good["total"].mean())
    assert (k.months_suspect, kept["months_suspect"].sum(), left["months_suspect"].sum()) == (
        0,
        0,
        4,
    )
    by_mission = P.shares_by_year(mission_month, by=["mission"]).set_index(["mission", "year"])
    assert by_mission.loc[("UNOCI", 2016), "share_pct"] == pytest.approx(e.share_pct)
    assert by_mission.loc[("UNOCI", 2016), "personnel"] == pytest.approx(good["total"].mean())
    kept_m = P.shares_by_year(mission_month, by=["mission"], suspect="keep")
    assert kept_m.set_index(["mission", "year"]).loc[("UNOCI", 2016), "share_pct"] == pytest.approx(
        k.share_pct
    )
    with pytest.raises(ParameterError, match="suspect: found 'drop'"):
        P.shares_by_year(mission_month, suspect="drop")


def test_panel_lists_the_suspect_months(mission_month):
    p = P.build_panel(mission_month, None, 2015, 2017)
    assert len(pl.suspect_keys(p.suspect_months)) == 4
    assert any("4 suspect month(s)" in line and "left out" in line for line in p.describe())
    kept = P.build_panel(mission_month, None, 2015, 2017, suspect="keep")
    assert any("KEPT" in line for line in kept.describe())


def test_gender_statistics_layout_spike_is_found_and_left_out():
    from pkoresearch.analysis import participation as pa

    dates = pd.date_range("2012-01-31", periods=13, freq="ME")
    women = [100, 102, 98, 101, 99, 100, 400, 100, 103, 97, 100, 101, 99]
    rows = []
    for d, w in zip(dates, women):
        rows += [
            {"date": d, "mission": "X", "category": "Troops", "sex": "female", "count": w},
            {"date": d, "mission": "X", "category": "Troops", "sex": "male", "count": 4900},
        ]
    counts = pd.DataFrame(rows)
    s = pa.suspect_months(counts)
    assert set(s["date"]) == {dates[6]} and set(s["measure"]) == {"women", "share_pct"}
    kept = pa.without_suspect_months(counts, s)
    assert len(kept) == len(counts) - 2 and dates[6] not in set(kept["date"])
