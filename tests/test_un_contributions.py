"""Readers of the UN contributions by gender: exact figures from the real files, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from pkoresearch.errors import DataError, DataFileNotFound, SchemaMismatch
from pkoresearch.readers.un_contributions import read_mission_month
from conftest import external_file

DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"


@pytest.fixture(scope="module")
def mission_month():
    return read_mission_month(external_file(DTA))


def test_mission_month_reproduces_the_published_figures(mission_month):
    t = mission_month.totals(["month"]).set_index("month")
    assert t.loc["2010-12-01", ["women", "total"]].tolist() == [3410, 98638]
    assert t.loc["2013-12-01", ["women", "total"]].tolist() == [3753, 98200]
    assert t.loc["2015-12-01", ["women", "total"]].tolist() == [4480, 107088]
    assert t.loc["2021-12-01", ["women", "total"]].tolist() == [5750, 75085]
    assert mission_month.report == {"rows_in_file": 2653, "missions": 37}


def test_mission_month_coverage_keeps_the_absent_months_absent(mission_month):
    cov = mission_month.coverage
    assert str(cov.first) == "2010-01" and str(cov.last) == "2022-01"
    assert sorted(str(g) for g in cov.gaps) == ["2013-03", "2014-01", "2015-05", "2016-11",
                                                "2017-05", "2017-06", "2017-07", "2017-08",
                                                "2017-09", "2017-10", "2017-11"]
    years = cov.years().set_index("year")
    assert years.loc[2017, "months_covered"] == 5 and years.loc[2022, "months_covered"] == 1
    assert not mission_month.counts["month"].dt.strftime("%Y-%m").isin(["2017-06"]).any()


def test_mission_activity_counts_months_with_personnel(mission_month):
    act = mission_month.mission_activity().set_index(["mission", "year"])
    assert act.loc[("MINURCAT", 2010), "months_with_personnel"] == 12
    assert ("MINURCAT", 2011) not in act.index          # closed: not a zero
    assert act.loc[("UNMIS", 2011), "months_with_personnel"] == 7
    assert act.loc[("MONUC", 2010), "months_with_personnel"] == 6
    assert act.loc[("UNMISS", 2017), ["months_with_personnel", "months_in_source"]].tolist() == [5, 5]


def test_mission_month_bad_input(tmp_path):
    with pytest.raises(DataFileNotFound, match="no such file"):
        read_mission_month(tmp_path / "none.dta")
    (tmp_path / "text.dta").write_text("mission,yearmo\n")
    with pytest.raises(SchemaMismatch, match="cannot read as Stata"):
        read_mission_month(tmp_path / "text.dta")
    df = pd.DataFrame({"mission": ["UNMIL", "UNMIL", ""], "female_personnel": [1.0, -2.0, 3.0],
                       "male_personnel": [5.0, 5.0, 5.0], "yearmo": [201013, 201001, 201002]})
    df.to_stata(tmp_path / "bad.dta", write_index=False)
    with pytest.raises(DataError) as err:
        read_mission_month(tmp_path / "bad.dta")
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(1, "yearmo"), (2, "female_personnel"), (3, "mission")}
    assert "found 201013" in str(err.value) and "expected a month as YYYYMM" in str(err.value)
    df.drop(columns="yearmo").to_stata(tmp_path / "nocol.dta", write_index=False)
    with pytest.raises(SchemaMismatch, match="'yearmo': found no such variable"):
        read_mission_month(tmp_path / "nocol.dta")
