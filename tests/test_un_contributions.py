"""Readers of the UN contributions by gender: exact figures from the real files, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.data.readers.un_contributions import read_mission_month
from pkoresearch.errors import DataError, DataFileNotFound, SchemaMismatch

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
    assert sorted(str(g) for g in cov.gaps) == [
        "2013-03",
        "2014-01",
        "2015-05",
        "2016-11",
        "2017-05",
        "2017-06",
        "2017-07",
        "2017-08",
        "2017-09",
        "2017-10",
        "2017-11",
    ]
    years = cov.years().set_index("year")
    assert years.loc[2017, "months_covered"] == 5 and years.loc[2022, "months_covered"] == 1
    assert not mission_month.counts["month"].dt.strftime("%Y-%m").isin(["2017-06"]).any()


def test_mission_activity_counts_months_with_personnel(mission_month):
    act = mission_month.mission_activity().set_index(["mission", "year"])
    assert act.loc[("MINURCAT", 2010), "months_with_personnel"] == 12
    assert ("MINURCAT", 2011) not in act.index  # closed: not a zero
    assert act.loc[("UNMIS", 2011), "months_with_personnel"] == 7
    assert act.loc[("MONUC", 2010), "months_with_personnel"] == 6
    assert act.loc[("UNMISS", 2017), ["months_with_personnel", "months_in_source"]].tolist() == [
        5,
        5,
    ]


def test_mission_month_bad_input(tmp_path):
    with pytest.raises(DataFileNotFound, match="no such file"):
        read_mission_month(tmp_path / "none.dta")
    (tmp_path / "text.dta").write_text("mission,yearmo\n")
    with pytest.raises(SchemaMismatch, match="cannot read as Stata"):
        read_mission_month(tmp_path / "text.dta")
    df = pd.DataFrame(
        {
            "mission": ["UNMIL", "UNMIL", ""],
            "female_personnel": [1.0, -2.0, 3.0],
            "male_personnel": [5.0, 5.0, 5.0],
            "yearmo": [201013, 201001, 201002],
        }
    )
    df.to_stata(tmp_path / "bad.dta", write_index=False)
    with pytest.raises(DataError) as err:
        read_mission_month(tmp_path / "bad.dta")
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(1, "yearmo"), (2, "female_personnel"), (3, "mission")}
    assert "found 201013" in str(err.value) and "expected a month as YYYYMM" in str(err.value)
    df.drop(columns="yearmo").to_stata(tmp_path / "nocol.dta", write_index=False)
    with pytest.raises(SchemaMismatch, match="'yearmo': found no such variable"):
        read_mission_month(tmp_path / "nocol.dta")


# ------------------------------------------------------------ the UN layout (odp_contributionsbygender)

from conftest import ROOT  # noqa: E402
from pkoresearch.data.readers.un_contributions import (  # noqa: E402
    read_contributions_by_gender,
    read_country_mission_year,
    read_monthly,
)
from pkoresearch.errors import ParameterError, UnrecognisedValuesWarning  # noqa: E402

ODP = ROOT / "tests" / "fixtures" / "odp_contributionsbygender_small.csv"
CSV = "UN_contributions_by_gender_country_mission_year_2010-2021.csv"


def test_un_layout_fixture_read_by_hand():
    c = read_contributions_by_gender(ODP)
    assert c.report == {
        "rows_in_file": 16,
        "missions": 2,
        "contributors": 4,
        "unrecognised_personnel_types": 0,
        "aggregate_rows_removed": 0,
    }
    t = c.totals(["month", "mission"]).set_index(["month", "mission"])
    # UNMISS, November 2020: Rwanda 120+4+60 women, Ghana 2+15; 2,500+40+160+10+40 personnel
    assert t.loc[("2020-11-01", "UNMISS"), ["women", "total"]].tolist() == [201, 2750]
    assert t.loc[("2020-12-01", "MINUSCA"), ["women", "men"]].tolist() == [56, 1964]
    by_type = c.totals(["personnel_type"]).set_index("personnel_type")["total"]
    assert by_type.to_dict() == {
        "experts_on_mission": 20,
        "formed_police_units": 320,
        "individual_police": 122,
        "staff_officers": 80,
        "troops": 11500,
    }
    assert c.split_by_type and c.period == "month"
    iso = c.counts.drop_duplicates("contributor").set_index("contributor")["iso3"]
    assert iso.to_dict() == {
        "Cote d'Ivoire": "CIV",
        "Rwanda": "RWA",
        "Ghana": "GHA",
        "Kosovo": "XKX",
    }  # Kosovo: no code in the file, from the crosswalk
    assert c.unresolved == []
    assert sorted(str(g) for g in c.coverage.gaps) == ["2021-01"]  # January 2021 absent, not 0
    assert c.counts.loc[c.counts["source_row"] == 17, "women"].item() == 0


def test_un_layout_lower_case_names_give_the_same_table(tmp_path):
    lines = ODP.read_text().splitlines()
    (tmp_path / "lower.csv").write_text("\n".join([lines[0].lower(), *lines[1:]]) + "\n")
    a = read_contributions_by_gender(ODP).counts
    b = read_contributions_by_gender(tmp_path / "lower.csv").counts
    pd.testing.assert_frame_equal(a, b)


def test_un_layout_bad_input(tmp_path):
    lines = ODP.read_text().splitlines()
    bad = list(lines)
    bad[1] = bad[1].replace(",120,", ",12.5,")  # line 2: not a whole number
    bad[3] = bad[3].replace("30-Nov-20", "Nov 2020?")  # line 4: not a date
    bad[5] = bad[5].replace("Ghana", "")  # line 6: empty contributor
    (tmp_path / "bad.csv").write_text("\n".join(bad) + "\n")
    with pytest.raises(DataError) as err:
        read_contributions_by_gender(tmp_path / "bad.csv")
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(2, "Female_Personnel"), (4, "Last_Reporting_Date"), (6, "Contributing_Country")}
    assert "found 12.5; expected a whole number of persons from 0 to 1,000,000" in str(err.value)

    (tmp_path / "dup.csv").write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(DataError, match="a second row for Rwanda, UNMISS, troops, 2020-11") as err:
        read_contributions_by_gender(tmp_path / "dup.csv")
    assert {p.row for p in err.value.problems} == {2, 18}

    header = lines[0].replace("Personnel_Type,", "")
    (tmp_path / "nocol.csv").write_text(header + "\n")
    with pytest.raises(SchemaMismatch, match="'Personnel_Type': found no such column"):
        read_contributions_by_gender(tmp_path / "nocol.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SchemaMismatch, match="an empty file"):
        read_contributions_by_gender(tmp_path / "empty.csv")
    with pytest.raises(DataFileNotFound):
        read_contributions_by_gender(tmp_path / "none.csv")


def test_un_layout_unknown_personnel_type_is_kept_and_warned(tmp_path):
    lines = ODP.read_text().splitlines()
    lines[1] = lines[1].replace(",Troops,", ",Military Observers,")
    (tmp_path / "type.csv").write_text("\n".join(lines) + "\n")
    with pytest.warns(UnrecognisedValuesWarning, match="Military Observers"):
        c = read_contributions_by_gender(tmp_path / "type.csv")
    assert (c.counts["personnel_type"] == "Military Observers").sum() == 1
    assert c.report["unrecognised_personnel_types"] == 1


def test_read_monthly_tells_the_layouts_apart(tmp_path):
    assert read_monthly(ODP).split_by_type
    (tmp_path / "yearly.csv").write_text(
        "Year,Country,Mission,Female,Male,Total\n2018,Ghana,UNMIL,1,2,3\n"
    )
    with pytest.raises(SchemaMismatch, match="read them with read_country_mission_year"):
        read_monthly(tmp_path / "yearly.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(SchemaMismatch, match="found the columns"):
        read_monthly(tmp_path / "other.csv")


def test_read_monthly_reads_the_dta(mission_month):
    again = read_monthly(mission_month.path)
    pd.testing.assert_frame_equal(again.counts, mission_month.counts)
    assert not again.split_by_type


# ------------------------------------------------------------ contributor x mission x year means


@pytest.fixture(scope="module")
def yearly(mission_month):
    return read_country_mission_year(external_file(CSV), mission_month)


def test_yearly_means_status_of_each_year(yearly):
    y = yearly.years.set_index("year")
    assert y["status"].to_dict() == {
        2010: "unusable",
        2011: "unusable",
        2012: "unusable",  # not explained by absent months
        2013: "corrected",
        2014: "corrected",
        2015: "corrected",
        2016: "corrected",
        2017: "corrected",
        2018: "complete",
        2019: "complete",
        2020: "complete",
        2021: "unusable",
    }  # January only: rounding x/12 to whole persons lost 6% of the women
    assert y.loc[2017, "months"] == (1, 2, 3, 4, 12) and y.loc[2021, "months"] == (1,)
    assert y.loc[2013, "months_covered"] == 11  # March 2013 absent
    # the file's sums: 2010 is 13,495 personnel a year against about 100,000 in the monthly file
    assert y.loc[2010, "total_in_file"] == 13495 and y.loc[2011, "total_diff_pct"] < -7
    assert abs(y.loc[2017, "total_diff_pct"]) < 0.1 and abs(y.loc[2021, "share_diff_pp"]) > 0.3
    assert yearly.report == {
        "rows_in_file": 57425,
        "missions": 36,
        "contributors": 144,
        "years_usable": 8,
        "years_unusable": 4,
        "aggregate_rows_removed": 0,
    }
    assert yearly.unresolved == []  # every UN country name resolves to ISO3
    assert yearly.period == "year"


def test_yearly_means_corrected_only_where_usable(yearly, mission_month):
    c = yearly.counts
    assert c.loc[c["year"] <= 2012, "total"].isna().all()
    assert c.loc[c["year"] == 2021, "women"].isna().all()
    # 2017 (5 months): UNMISS from the yearly file x 12/5 against the monthly file's mean of
    # January-April and December 2017: (12,923 + 13,255 + 13,255 + 13,329 + 14,528) / 5
    unmiss = c[(c["mission"] == "UNMISS") & (c["year"] == 2017)]
    assert unmiss["total_in_file"].sum() == 5608  # 67,290 / 12 = 5,607.5, rounded per contributor
    assert unmiss["total"].sum() == pytest.approx(5608 * 12 / 5)
    assert abs(unmiss["total"].sum() - 67290 / 5) < 0.001 * 67290 / 5
    # a complete year is the annual mean
    m = mission_month.counts
    ref = m[(m["mission"] == "MINUSCA") & (m["month"].dt.year == 2019)]["total"].mean()
    got = c[(c["mission"] == "MINUSCA") & (c["year"] == 2019)]["total"].sum()
    assert abs(got - ref) < 0.002 * ref


def test_yearly_means_without_the_monthly_file_are_unverified():
    y = read_country_mission_year(external_file(CSV))
    assert set(y.years["status"]) == {"unverified"}
    assert y.counts["total"].isna().all() and y.report["years_usable"] == 0


def test_yearly_means_correction_arithmetic_on_a_small_file(tmp_path):
    (tmp_path / "y.csv").write_text(
        '"","Year","Country","Mission","Female","Male","Total"\n'
        '"1",2019,"Ghana","UNMIL",1,9,10\n'
        '"2",2019,"Nepal","UNMIL",0,5,5\n'
    )
    months = pd.DataFrame(
        {
            "mission": ["UNMIL"] * 3,
            "female_personnel": [4.0, 4.0, 4.0],
            "male_personnel": [56.0, 56.0, 56.0],
            "yearmo": [201901, 201902, 201903],
        }
    )
    months.to_stata(tmp_path / "m.dta", write_index=False)
    y = read_country_mission_year(tmp_path / "y.csv", read_mission_month(tmp_path / "m.dta"))
    assert y.years["status"].tolist() == ["corrected"] and y.years["months"].tolist() == [(1, 2, 3)]
    assert y.counts["total"].tolist() == [40.0, 20.0]  # x 12/3: the mean over the 3 months present
    assert y.counts["women"].tolist() == [4.0, 0.0]
    # months documented otherwise (one month only) no longer reproduce the monthly file
    y1 = read_country_mission_year(
        tmp_path / "y.csv", read_mission_month(tmp_path / "m.dta"), months_known={2019: [1]}
    )
    assert y1.years["status"].tolist() == ["unusable"] and y1.counts["total"].isna().all()


def test_yearly_means_bad_input(tmp_path):
    (tmp_path / "bad.csv").write_text(
        "Year,Country,Mission,Female,Male,Total\n"
        "20x8,Ghana,UNMIL,1,9,10\n"
        "2018,,UNMIL,1,9,10\n"
        "2018,Nepal,UNMIL,-1,9,8\n"
    )
    with pytest.raises(DataError) as err:
        read_country_mission_year(tmp_path / "bad.csv")
    assert {(p.row, p.column) for p in err.value.problems} == {
        (2, "Year"),
        (3, "Country"),
        (4, "Female"),
    }
    (tmp_path / "dup.csv").write_text(
        "Year,Country,Mission,Female,Male,Total\n2018,Ghana,UNMIL,1,9,10\n2018,Ghana,UNMIL,1,9,10\n"
    )
    with pytest.raises(DataError, match="a second row for Ghana, UNMIL, 2018"):
        read_country_mission_year(tmp_path / "dup.csv")
    (tmp_path / "ok.csv").write_text(
        "Year,Country,Mission,Female,Male,Total\n2018,Ghana,UNMIL,1,9,10\n"
    )
    with pytest.raises(ParameterError, match="yearly means"):
        read_country_mission_year(tmp_path / "ok.csv").mission_activity()


def test_odp_layout_empty_date_is_a_clear_error(tmp_path):
    from pkoresearch.data.readers.un_contributions import read_contributions_by_gender

    lines = ODP.read_text().splitlines(keepends=True)
    p = tmp_path / "odp.csv"
    p.write_text(lines[0] + lines[1].rsplit(",", 1)[0] + ",\n" + "".join(lines[2:]))
    with pytest.raises(
        DataError,
        match=r"row 2, column 'Last_Reporting_Date': found ''; "
        "expected a date such as 30-Nov-20",
    ):
        read_contributions_by_gender(p)


def test_yearly_means_total_must_match_its_parts(tmp_path):
    from pkoresearch.data.readers.un_contributions import read_country_mission_year

    p = tmp_path / "cy.csv"
    p.write_text(
        ",Year,Country,Mission,Female,Male,Total\n"
        "0,2019,Argentina,UNFICYP,22,225,248\n"  # rounding: off by one is fine
        "1,2019,Ghana,UNIFIL,30,800,744\n"
    )  # broken
    with pytest.raises(DataError) as err:
        read_country_mission_year(p)
    assert [(q.row, q.column, q.found) for q in err.value.problems] == [(3, "Total", "744")]
    assert "Female + Male (830) within 1" in str(err.value)
