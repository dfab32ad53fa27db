"""Reader for the UN table of allegations: the real export and a hand-written fixture."""

from __future__ import annotations

import re
import warnings

import openpyxl
import pandas as pd
import pytest

from conftest import ROOT, external_file
from pkoresearch.data.readers.un_conduct import COLUMNS, read_table_of_allegations
from pkoresearch.errors import (
    DataError,
    DataFileNotFound,
    ParameterError,
    SchemaMismatch,
    UnrecognisedValuesWarning,
)

REAL = "UN_conduct_table_of_allegations_2024-07.xlsx"
FIXTURE = ROOT / "tests" / "fixtures" / "table_of_allegations_small.csv"
UN_PUBLISHED = {
    2015: 69,
    2016: 104,
    2017: 63,
    2018: 56,
    2019: 80,
    2020: 66,
    2021: 75,
    2022: 79,
    2023: 100,
}


@pytest.fixture(scope="module")
def real():
    path = external_file(REAL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnrecognisedValuesWarning)  # the real file is all known
        table = read_table_of_allegations(path)
    raw = pd.read_excel(path, sheet_name="Export", dtype=str, keep_default_na=False)
    return table, raw


@pytest.fixture(scope="module")
def small():
    with pytest.warns(UnrecognisedValuesWarning) as caught:
        table = read_table_of_allegations(FIXTURE)
    return table, caught


# ---------------------------------------------------------------------------------------- real file


def test_real_counts_by_reporting_year_equal_the_un_totals(real):
    table, _ = real
    a = table.allegations
    assert len(a) == 753
    by_year = a.groupby("report_year").size()
    assert {y: int(by_year[y]) for y in UN_PUBLISHED} == UN_PUBLISHED
    assert int(by_year[2024]) == 61  # January-July 2024 only
    assert table.as_of == pd.Timestamp("2024-07-01")


def test_real_coverage_is_first_to_last_reporting_month(real):
    cov = real[0].coverage
    assert (str(cov.first), str(cov.last), cov.gaps) == ("2015-01", "2024-07", frozenset())
    years = cov.years().set_index("year")
    assert years.loc[2024, "months_covered"] == 7 and not years.loc[2024, "complete"]
    assert years.loc[2015:2023, "complete"].all()


def test_real_category_counts_equal_a_crosstab_of_the_raw_column(real):
    table, raw = real
    # independent: split the raw cell on blank lines, take the word before " (", once per row
    cats = raw["Personnel Type"].map(
        lambda v: sorted(
            {
                re.match(r"\s*(\w+)", line).group(1).lower()
                for line in re.split(r"\n\s*\n", v)
                if line.strip()
            }
        )
    )
    expected = pd.crosstab(
        raw["Date"].str.split("/").str[1].astype(int).repeat(cats.str.len()),
        cats.explode().to_numpy(),
    )
    from pkoresearch.analysis import trends

    got = (
        trends.count_by(table, "personnel_category")
        .pivot(index="year", columns="personnel_category", values="allegations")
        .fillna(0)
        .astype(int)
    )
    assert got.index.tolist() == expected.index.tolist()
    assert got.columns.tolist() == expected.columns.tolist() == ["civilian", "military", "police"]
    assert (got.to_numpy() == expected.to_numpy()).all()


def test_real_mission_counts_equal_a_crosstab_of_the_raw_column(real):
    table, raw = real
    expected = pd.crosstab(raw["Date"].str.split("/").str[1].astype(int), raw["Mission"])
    got = pd.crosstab(
        table.allegations["report_year"].astype(int), table.allegations["mission"].astype(str)
    )
    assert got.index.tolist() == expected.index.tolist()
    assert got.columns.tolist() == expected.columns.tolist()
    assert (got.to_numpy() == expected.to_numpy()).all()
    assert got.sum().sort_values().index[-2:].tolist() == ["MONUSCO", "MINUSCA"]
    assert int(got["MINUSCA"].sum()) == 294


def test_real_nio_and_other_single_value_columns(real):
    table, raw = real
    a = table.allegations
    assert a["nio_appointed"].value_counts().to_dict() == {
        "not_applicable": 304,
        "yes": 291,
        "no_response": 134,
        "pending": 18,
        "declined": 6,
    }
    assert (raw["NIO appointed"] == "Yes").sum() == 291
    assert a["paternity_claim"].sum() == 371
    assert a["referral"].value_counts()["yes"] == 16
    assert a["involves_child"].sum() == (raw["Victim"].str.contains("Child")).sum()


def test_real_child_tables_keep_every_line(real):
    table, raw = real
    for name, column in [
        ("personnel", "Personnel Type"),
        ("victims", "Victim"),
        ("allegation_types", "Allegation"),
        ("results", "Result"),
        ("investigations", "Investigation (days)"),
    ]:
        lines = raw[column].map(lambda v: len([x for x in re.split(r"\n\s*\n", v) if x.strip()]))
        assert len(getattr(table, name)) == lines.sum(), name
    actions = raw["Interim Action"].str.count(r"\(\d+\)\s*(?:\n|$)") + raw[
        "Final Action"
    ].str.count(r"\(\d+\)\s*(?:\n|$)")
    assert len(table.actions) == actions.sum() == 2225
    inv = table.investigations
    pending = inv[inv["status"] == "pending"]
    assert pending["days"].isna().all() and len(pending) == 71 + 62 + 31 + 16 + 2 + 1
    assert table.unrecognised.empty


def test_real_file_saved_as_csv_reads_the_same(real, tmp_path):
    table, raw = real
    csv = tmp_path / "export.csv"  # a conversion made for the test only, never committed
    raw.to_csv(csv, index=False)
    again = read_table_of_allegations(csv)
    cols = [c for c in table.allegations.columns if c != "source_row"]
    pd.testing.assert_frame_equal(again.allegations[cols], table.allegations[cols])
    pd.testing.assert_frame_equal(again.actions, table.actions)


# ---------------------------------------------------------------------------------------- fixture


def test_fixture_keeps_every_row_and_parses_each_kind_of_cell(small):
    table, _ = small
    a = table.allegations.set_index("allegation_id")
    assert a["report_year"].tolist() == [2016, 2016, 2017, 2017, 2018]
    assert a["source_row"].tolist() == [2, 3, 4, 5, 6]
    one = a.loc[1]
    assert (one.incident_start_year, one.incident_end_year, one.incident_end_month) == (
        2014,
        2015,
        6,
    )
    assert pd.isna(one.incident_start_month)
    assert (one.personnel_category, one.personnel_subtype, one.perpetrators) == (
        "military",
        "MC",
        3,
    )
    assert (one.victims_child, one.victims_adult, one.victims_unknown) == (2, 4, 0)
    assert one.allegation_kinds == "sexual_abuse; sexual_exploitation"
    assert (one.nio_appointed, one.paternity_established, one.referral) == (
        "no_response",
        "pending",
        "yes",
    )
    assert (one.investigation_entity, one.investigation_days, one.investigation_status) == (
        "tcc",
        254,
        "completed",
    )
    assert one.result == "substantiated"  # one line substantiated, one pending
    two = a.loc[2]
    assert two.personnel_category == "multiple" and pd.isna(two.nationality)
    assert pd.isna(two.victims_adult)  # "Adult" with no number: a count we do not know
    assert (two.nio_appointed, two.referral, two.result) == (
        "not_applicable",
        "not_applicable",
        "pending",
    )
    assert pd.isna(two.investigation_days) and two.investigation_status == "pending"
    assert pd.isna(two.incident_start_year)  # "Unknown"
    three = a.loc[3]
    assert three.nationality == "Nepal; Ethiopia" and three.victims_unknown == 1
    assert pd.isna(three.nio_appointed) and pd.isna(three.referral)  # blank cells stay missing
    assert three.investigation_status == "not_applicable" and three.result == "not_applicable"
    five = a.loc[5]
    assert (
        pd.isna(five.perpetrators)
        and five.incident_start_month == 1
        and pd.isna(five.incident_end_year)
    )


def test_fixture_child_tables(small):
    table, _ = small
    acts = table.actions[table.actions["allegation_id"] == 1]
    assert acts[["stage", "actor", "action", "persons"]].values.tolist() == [
        ["interim", "un", "Payments suspended (withheld)", 3],
        ["final", "un", "Repatriation", 1],
        ["final", "national_government", "Jail", 1],
        ["final", "national_government", "Pending", 2],
    ]
    res = table.results[table.results["allegation_id"] == 2]
    assert res[["result", "reason", "persons"]].values.tolist() == [
        ["pending", "additional information from Member State", 1]
    ]
    assert table.personnel[table.personnel["allegation_id"] == 2]["category"].tolist() == [
        "civilian",
        "police",
    ]


def test_fixture_unknown_values_kept_raw_and_reported_once(small):
    table, caught = small
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "9 cell value(s) not recognised" in message and "row 5 'Personnel Type'" in message
    u = table.unrecognised
    assert u["source_row"].unique().tolist() == [5]
    assert u["column"].tolist() == [
        "Date of incident",
        "Personnel Type",
        "Victim",
        "Allegation",
        "Paternity claim",
        "NIO appointed",
        "Investigation (days)",
        "Result",
        "Interim Action",
    ]
    four = table.allegations.set_index("allegation_id").loc[4]
    assert four.raw_personnel_type == "Military (Drone pilot),1"  # nothing in a cell is lost
    assert four.personnel_category == "military" and four.personnel_subtype == "Drone pilot"
    assert len(table.allegations) == 5


# ---------------------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path):
    with pytest.raises(DataFileNotFound, match="nope.xlsx: no such file"):
        read_table_of_allegations(tmp_path / "nope.xlsx")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(SchemaMismatch, match="empty.csv: found an empty file"):
        read_table_of_allegations(p)


def test_header_only(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text(",".join(f'"{c}"' for c in COLUMNS) + "\n")
    with pytest.raises(SchemaMismatch, match="found a header but no allegation rows"):
        read_table_of_allegations(p)


def test_missing_column(tmp_path):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False).drop(columns=["NIO appointed"])
    p = tmp_path / "no_nio.csv"
    df.to_csv(p, index=False)
    with pytest.raises(
        SchemaMismatch,
        match=r"no_nio.csv, row 1, column 'NIO appointed': found no "
        r"such column in the header",
    ):
        read_table_of_allegations(p)


def test_other_sheet_name(tmp_path):
    p = tmp_path / "renamed.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(COLUMNS)
    wb.save(p)
    with pytest.raises(
        SchemaMismatch,
        match=r"renamed.xlsx: found the sheet\(s\) \['Sheet1'\]; "
        r"expected a sheet named 'Export'",
    ):
        read_table_of_allegations(p)


def test_garbled_count_and_date(tmp_path):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df.loc[0, "Personnel Type"] = "Military (MC),three"
    df.loc[2, "Victim"] = "Child (2)\n\nAdult (x4)"
    df.loc[4, "Date"] = "Feb 2018"
    p = tmp_path / "garbled.csv"
    df.to_csv(p, index=False)
    with pytest.raises(DataError) as info:
        read_table_of_allegations(p)
    msg = str(info.value)
    assert (
        "garbled.csv, row 2, column 'Personnel Type': found 'three'; expected a whole number" in msg
    )
    assert "row 4, column 'Victim': found 'x4'" in msg
    assert "row 6, column 'Date': found 'Feb 2018'; expected a reporting month as M/YYYY" in msg
    assert len(info.value.problems) == 3


def test_xlsx_written_by_openpyxl_reads(tmp_path):
    """An export in the real layout (sheet Export) written here reads like the CSV fixture."""
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    p = tmp_path / "small.xlsx"
    df.to_excel(p, sheet_name="Export", index=False)
    with pytest.warns(UnrecognisedValuesWarning):
        t = read_table_of_allegations(p)
    assert t.allegations["report_year"].tolist() == [2016, 2016, 2017, 2017, 2018]


# ------------------------------------------------------------------------------ ISO3 nationality


def test_fixture_nationalities_carry_iso3(small):
    table, _ = small
    a = table.allegations.set_index("allegation_id")
    assert a.loc[3, "nationality_iso3"] == "NPL; ETH" and a.loc[1, "nationality_iso3"] == "GAB"
    assert pd.isna(a.loc[2, "nationality_iso3"])  # civilians: no nationality published
    n = table.nationalities
    assert n[n["allegation_id"] == 3][["nationality", "iso3"]].values.tolist() == [
        ["Nepal", "NPL"],
        ["Ethiopia", "ETH"],
    ]


def test_real_nationalities_resolve_or_are_listed(real):
    table, _ = real
    n = table.nationalities
    lines = table.allegations["raw_nationality"].str.split(r"\n\s*\n").explode().str.strip()
    lines = lines[(lines != "") & (lines != "N/A")]
    assert len(n) == len(lines)  # every published nationality line is kept, resolved or not
    assert table.unresolved_nationalities() == ["Unknown"]
    assert n["iso3"].isna().sum() == (lines == "Unknown").sum() == 17
    assert set(n.loc[n["nationality"] == "United Republic of Tanzania", "iso3"]) == {"TZA"}
    assert set(n.loc[n["nationality"] == "Congo", "iso3"]) == {"COG"}


def test_a_short_row_is_refused_not_filled_with_blanks(tmp_path):
    lines = FIXTURE.read_text().splitlines(keepends=True)
    header = lines[0].count(",") + 1
    p = tmp_path / "short.csv"
    p.write_text(lines[0] + "1/2016,MINUSCA,Unknown\n" + "".join(lines[1:]))
    with pytest.raises(
        DataError,
        match=rf"short.csv, row 2: found a row with 3 of {header} "
        r"fields; expected a value \(possibly empty\)",
    ):
        read_table_of_allegations(p)


def test_a_reporting_month_outside_the_possible_range_is_refused(tmp_path):
    # a mistyped year would stretch the export's coverage and invent zeros for the years between
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df.loc[0, "Date"], df.loc[1, "Date"] = "1/1999", "7/2091"
    p = tmp_path / "years.csv"
    df.to_csv(p, index=False)
    with pytest.raises(DataError) as err:
        read_table_of_allegations(p)
    assert [(q.row, q.column, q.found) for q in err.value.problems] == [
        (2, "Date", "'1/1999'"),
        (3, "Date", "'7/2091'"),
    ]
    assert "a reporting month from 2007" in str(err.value)


def test_bytes_that_are_not_text_and_lines_that_do_not_split(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes(b"Date,Mission\n1/2016,C\xf4te\n")  # Latin-1, not UTF-8
    with pytest.raises(DataError, match="found bytes that are not UTF-8 text"):
        read_table_of_allegations(p)
    q = tmp_path / "semicolons.csv"
    q.write_text(FIXTURE.read_text().replace(",", ";", 40))
    with pytest.raises((DataError, SchemaMismatch)):  # either way a pkoresearch error, not pandas'
        read_table_of_allegations(q)


def test_real_counting_years_by_incident_fall_back_only_where_no_start_year(real):
    real, raw = real
    # an independent reading of the raw column: the first "Month / YYYY" part's year, else the
    # reporting year; the export has 31 allegations whose incident start is Unknown/Unspecified
    first = raw["Date of incident"].str.split(r"\s+-\s+").str[0]
    start = pd.to_numeric(first.str.extract(r"^\w+\s*/\s*(\d{4})$")[0], errors="coerce")
    by_reporting = real.counting_years("reporting_year")
    by_incident = real.counting_years("incident_year")
    assert not by_reporting["fell_back"].any()
    assert by_reporting["year"].tolist() == real.allegations["report_year"].astype(int).tolist()
    assert int(by_incident["fell_back"].sum()) == int(start.isna().sum()) == 31
    assert by_incident.groupby("year").size().loc[2015] == 119
    assert by_incident.groupby("year").size().loc[2014] == 73
    assert len(by_incident) == len(real.allegations)


def test_counting_years_refuses_an_unknown_rule(small):
    small, _ = small
    with pytest.raises(ParameterError, match="incident_year"):
        small.counting_years("incident")
