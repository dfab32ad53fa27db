"""Reader for the UN monthly gender statistics: the real IPI file and a hand-made fixture."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT, external_file
from pkoresearch.data.readers.un_gender import (
    COLUMNS,
    CountryCodeWarning,
    InconsistentTotalsWarning,
    read_gender_statistics,
)
from pkoresearch.errors import DataError, DataFileNotFound, SchemaMismatch

REAL = "IPIDataLab_TCC-DataScraper_Gender.Full.csv"
FIXTURE = ROOT / "tests" / "fixtures" / "gender_statistics_small.csv"


@pytest.fixture(scope="module")
def real():
    path = external_file(REAL)
    return read_gender_statistics(path), pd.read_csv(path)


def test_real_august_2010_is_the_tip_report_figure(real):
    g, _ = real
    t = g.totals(["date"]).set_index("date")
    assert t.loc["2010-08-31", "women"] == 3332 and t.loc["2010-08-31", "personnel"] == 99920
    assert round(100 * 3332 / 99920, 2) == 3.33
    assert t.loc["2013-12-31", "women"] == 3753 and t.loc["2013-12-31", "personnel"] == 98200
    assert len(t) == 52


def test_real_category_sums_equal_the_file_total_columns(real):
    g, raw = real
    mine = g.totals(["date"]).set_index("date")
    raw["Date"] = pd.to_datetime(raw["Date"])
    theirs = raw.groupby("Date")[["Total Female", "Total Total"]].sum()
    assert (mine["women"].to_numpy() == theirs["Total Female"].to_numpy()).all()
    assert (mine["personnel"].to_numpy() == theirs["Total Total"].to_numpy()).all()
    by_cat = g.totals(["category"]).set_index("category")
    assert by_cat.loc["troops", "personnel"] == raw["Troops Total"].sum()
    assert by_cat.loc["experts_on_mission", "women"] == raw["Experts on Mission Female"].sum()


def test_totals_summed_in_slices_equal_one_pass_over_the_file(real, monkeypatch):
    """sum_by_sex sums slices of rows, then their sums (issue 27, memory): with slices of 1,000
    rows (112 slices of the real table) the totals are those of the file's own columns."""
    from pkoresearch.data.readers import un_gender

    g, raw = real
    monkeypatch.setattr(un_gender, "SUM_CHUNK_ROWS", 1000)
    assert len(g.counts) > 100 * 1000
    raw = raw.assign(Date=pd.to_datetime(raw["Date"]))
    mine = g.totals(["date"]).set_index("date")
    theirs = raw.groupby("Date")[["Total Female", "Total Male", "Total Total"]].sum()
    assert mine["women"].tolist() == theirs["Total Female"].tolist()
    assert mine["men"].tolist() == theirs["Total Male"].tolist()
    assert mine["personnel"].tolist() == theirs["Total Total"].tolist()
    by = g.totals(["mission", "date"])
    mission = raw.assign(Mission=raw["Mission"].str.strip())
    check = mission.groupby(["Mission", "Date"])["Troops Female"].sum()
    troops = g.totals(["mission", "date"], categories=["troops"])
    assert troops.set_index(["mission", "date"])["women"].to_dict() == {
        k: v for k, v in check.to_dict().items() if k in set(zip(troops["mission"], troops["date"]))
    }
    assert list(by.columns) == ["mission", "date", "women", "men", "personnel"]
    assert by[["mission", "date"]].equals(
        by[["mission", "date"]].sort_values(["mission", "date"]).reset_index(drop=True)
    )


def test_real_file_shape_and_checks(real):
    g, raw = real
    assert g.report == {
        "rows_in_file": 29115,
        "duplicate_rows_removed": 0,
        "aggregate_rows_removed": 0,
        "rows_used": 29115,
        "iso3_disagreements": 0,
        "iso3_filled_from_crosswalk": 0,
        "names_unified": 0,
        "dates_normalised": 0,
    }
    assert len(g.counts) == 29115 * 4 * 2
    assert g.inconsistent.empty
    assert g.counts["contributor"].nunique() == 135 and g.counts["mission"].nunique() == 25


def test_real_iso3_column_agrees_with_the_crosswalk(real):
    g, raw = real
    c = g.countries
    # 135 spellings of 130 countries; every file code equals the crosswalk's code for its name
    assert len(c) == 135 and c["iso3_file"].nunique() == 130
    assert (c["status"] == "agrees").all()
    assert c["rows"].sum() == len(raw)
    truncated = c.set_index("contributor").loc["The former Yugoslav Republic o"]
    assert (truncated.iso3_file, truncated.iso3_crosswalk) == ("MKD", "MKD")
    two_ways = c.groupby("iso3_file")["contributor"].apply(sorted)
    assert two_ways["TZA"] == ["Tanzania", "Tanzania, United Republic of"]
    assert two_ways["USA"] == ["United States", "United States of America"]
    assert two_ways["MDA"] == ["Moldova", "Moldova, Republic of"]
    assert len(two_ways["MKD"]) == 3
    assert g.counts["iso3"].notna().all()


def test_a_code_that_differs_from_the_crosswalk_is_reported_and_a_missing_one_filled(tmp_path):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df.loc[0, "Contributor ISO-3"] = "GHN"  # Ghana, UNMIL, August 2010: a wrong code
    df.loc[2, "Contributor ISO-3"] = ""  # India, MONUSCO: no code
    df.loc[3, "Contributor ISO-3"] = ""  # its exact repeat
    df.loc[6, "Contributor ISO-3"] = ""
    p = tmp_path / "codes.csv"
    df.to_csv(p, index=False)
    with pytest.warns(
        CountryCodeWarning,
        match=r"1 contributor name.*row 2 'Ghana': file 'GHN', "
        r"crosswalk 'GHA'",
    ):
        g = read_gender_statistics(p)
    c = g.countries.set_index(["contributor", "iso3_file"])
    assert c.loc[("Ghana", "GHN"), "status"] == "differs"
    assert c.loc[("India", ""), "status"] == "file code missing"
    assert g.report["iso3_disagreements"] == 1 and g.report["iso3_filled_from_crosswalk"] == 1
    rows = g.counts.drop_duplicates("source_row").set_index("source_row")["iso3"]
    assert rows[2] == "GHN"  # the file's own code is kept, and reported
    assert rows[4] == "IND" and rows[8] == "IND"  # filled from the crosswalk


def test_fixture_duplicates_aggregates_and_broken_totals():
    with pytest.warns(InconsistentTotalsWarning, match="4 total.s. disagree"):
        g = read_gender_statistics(FIXTURE)
    assert g.report == {
        "rows_in_file": 7,
        "duplicate_rows_removed": 1,
        "aggregate_rows_removed": 1,
        "rows_used": 5,
        "iso3_disagreements": 0,
        "iso3_filled_from_crosswalk": 0,
        "names_unified": 0,
        "dates_normalised": 0,
    }
    assert g.duplicates["source_row"].tolist() == [5]
    assert g.aggregates["source_row"].tolist() == [6]
    assert g.aggregates["contributor"].tolist() == ["all"]
    bad = g.inconsistent
    assert set(bad["source_row"]) == {7}
    ip = bad[bad["column"] == "Individual Police Total"].iloc[0]
    assert (ip.found, ip.expected) == (25, 24)
    t = g.totals(["date"]).set_index("date")
    # Ghana UNMIL 46 + Ghana UNOCI 22 + India 111 women, counted once despite the repeat and the
    # "all" row
    assert t.loc["2010-08-31", "women"] == 179 and t.loc["2010-08-31", "personnel"] == 5072
    assert t.loc["2010-12-31", "women"] == 6 + 1 + 42 + 2 + 101 + 1 + 12


def test_conflicting_rows_for_one_key_are_an_error(tmp_path):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df.loc[3, "Troops Male"] = "3499"
    df.loc[3, "Troops Total"] = "3509"
    p = tmp_path / "clash.csv"
    df.to_csv(p, index=False)
    with pytest.raises(
        DataError,
        match=r"clash.csv, row 4, column 'Date, Contributor, Mission': "
        r"found a second, different row",
    ):
        read_gender_statistics(p)


def test_missing_column(tmp_path):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False).drop(columns=["Troops Female"])
    p = tmp_path / "g.csv"
    df.to_csv(p, index=False)
    with pytest.raises(
        SchemaMismatch,
        match=r"g.csv, row 1, column 'Troops Female': found no such "
        r"column",
    ):
        read_gender_statistics(p)


def test_negative_count_and_bad_date(tmp_path):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df.loc[0, "Troops Female"] = "-4"
    df.loc[1, "Date"] = "31/08/2010"
    df.loc[2, "Formed Police Units Male"] = "12a"
    p = tmp_path / "g.csv"
    df.to_csv(p, index=False)
    with pytest.raises(DataError) as info:
        read_gender_statistics(p)
    msg = str(info.value)
    assert (
        "g.csv, row 2, column 'Troops Female': found '-4'; expected a whole number of persons"
        in msg
    )
    assert "row 3, column 'Date': found '31/08/2010'; expected a date as YYYY-MM-DD" in msg
    assert "row 4, column 'Formed Police Units Male': found '12a'" in msg


def test_missing_and_empty_file(tmp_path):
    with pytest.raises(DataFileNotFound):
        read_gender_statistics(tmp_path / "none.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(SchemaMismatch, match="found an empty file"):
        read_gender_statistics(tmp_path / "e.csv")
    assert len(COLUMNS) == 19


def test_header_only_and_short_rows_are_refused(tmp_path):
    from pkoresearch.data.readers.un_gender import COLUMNS
    from pkoresearch.errors import DataError, SchemaMismatch

    header = ",".join(["", *COLUMNS]) + "\n"
    (tmp_path / "header.csv").write_text(header)
    with pytest.raises(SchemaMismatch, match="found a header but no rows"):
        read_gender_statistics(tmp_path / "header.csv")
    (tmp_path / "short.csv").write_text(header + "1,2010-08-31,Ghana,GHA\n")
    with pytest.raises(DataError, match=r"short.csv, row 2: found a row with 4 of 20 fields"):
        read_gender_statistics(tmp_path / "short.csv")
