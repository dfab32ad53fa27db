"""Fault injection: the UN table of allegations reader (readers.un_conduct) on bad inputs made from
the real July 2024 export (saved as CSV or xlsx in tmp_path). Each case asserts the error type and
that the message names the file, row and column, or the warning and the exact corrected numbers."""

from __future__ import annotations

import shutil
import warnings

import openpyxl
import pandas as pd
import pytest

from conftest import external_file
from faults import (
    ALLEGATIONS_XLSX,
    PNG,
    fifo,
    problem_at,
    real_allegations,
    returns_promptly,
    write,
)
from pkoresearch import cli
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.errors import (
    AggregateRowsWarning,
    DataError,
    DuplicateRowsWarning,
    MissingValuesWarning,
    NameVariantWarning,
    SchemaMismatch,
)

UN_TOTALS = [69, 104, 63, 56, 80, 66, 75, 79, 100]  # 2015-2023, the UN's published totals


def _years(t) -> list[int]:
    return t.allegations.groupby("report_year").size().loc[2015:2023].tolist()


def _quiet(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_table_of_allegations(path, **kw)


@pytest.fixture(scope="module")
def raw():
    return real_allegations()


# --- encodings and layouts -------------------------------------------------------------------


def test_latin1_bytes_name_the_row_and_column(raw, tmp_path):
    df = raw.copy()
    df.loc[40, "Mission"] = "MINUSCA é"
    p = write(df, tmp_path / "latin1.csv", encoding="latin-1")
    with pytest.raises(DataError) as info:
        read_table_of_allegations(p)
    msg = problem_at(info.value, 40, "Mission")
    assert "latin1.csv, row 40, column 'Mission': found bytes that are not UTF-8" in msg
    assert "MINUSCA é" in msg


def test_utf16_semicolons_tabs_and_a_byte_order_mark(raw, tmp_path):
    with pytest.raises(DataError, match=r"u16.csv: found UTF-16 text"):
        read_table_of_allegations(write(raw, tmp_path / "u16.csv", encoding="utf-16"))
    with pytest.raises(
        DataError,
        match=r"semi.csv, row 1: found a header whose fields are "
        r"separated by semicolons",
    ):
        read_table_of_allegations(write(raw, tmp_path / "semi.csv", sep=";"))
    with pytest.raises(DataError, match=r"tab.csv, row 1: found .* separated by tabs"):
        read_table_of_allegations(write(raw, tmp_path / "tab.csv", sep="\t"))
    t = _quiet(write(raw, tmp_path / "bom.csv", encoding="utf-8-sig"))
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS


def test_ragged_rows_name_the_record(raw, tmp_path):
    df = raw.head(12).copy()
    df["extra"] = ""
    text = write(df, tmp_path / "x.csv").read_text()
    header, *rest = text.split("\n", 1)
    p = tmp_path / "ragged.csv"
    p.write_text(header.rsplit(",", 1)[0] + "\n" + rest[0])  # every record one field too many
    with pytest.raises(DataError) as info:
        read_table_of_allegations(p)
    assert [q.row for q in info.value.problems] == list(range(2, 14))
    assert "ragged.csv, row 2: found a row with 16 of 15 fields" in str(info.value)


def test_a_workbook_given_as_csv_an_image_and_an_empty_file(tmp_path):
    xlsx = tmp_path / "export.csv"
    shutil.copyfile(external_file(ALLEGATIONS_XLSX), xlsx)
    with pytest.raises(
        DataError,
        match=r"export.csv: found a zip archive \(an .xlsx workbook is "
        r"one\): save the sheet as CSV",
    ):
        read_table_of_allegations(xlsx)
    png = tmp_path / "export2.csv"
    png.write_bytes(PNG)
    with pytest.raises(DataError, match=r"export2.csv: found a PNG image"):
        read_table_of_allegations(png)
    png_xlsx = tmp_path / "export3.xlsx"
    png_xlsx.write_bytes(PNG)
    with pytest.raises(DataError, match=r"export3.xlsx: found a file openpyxl cannot open"):
        read_table_of_allegations(png_xlsx)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SchemaMismatch, match="empty.csv: found an empty file"):
        read_table_of_allegations(tmp_path / "empty.csv")


def test_a_fifo_named_csv_or_xlsx_does_not_hang(tmp_path):
    for name in ("pipe.csv", "pipe.xlsx"):
        pipe = fifo(tmp_path / name)
        out = returns_promptly(lambda: read_table_of_allegations(pipe), fifo_path=pipe)
        assert isinstance(out.get("error"), DataError), out
        assert f"{name}: found a FIFO (named pipe)" in str(out["error"])
        assert (
            returns_promptly(lambda: cli.main(["data", "check", str(pipe)]), fifo_path=pipe)[
                "value"
            ]
            == 1
        )


# --- numbers that used to come out wrong ------------------------------------------------------


@pytest.mark.parametrize(
    "column, cell",
    [
        ("Victim", "Child (99999999999999999999)"),
        ("Personnel Type", "Military (MC),99999999999999999999"),
        ("Investigation (days)", "UN OIOS (99999999999999999999)"),
    ],
)
def test_an_overflowing_count_is_refused(raw, tmp_path, column, cell):
    df = raw.copy()
    df.loc[100, column] = cell
    p = write(df, tmp_path / "huge.csv")
    with pytest.raises(DataError) as info:
        read_table_of_allegations(p)
    msg = problem_at(info.value, 100, column)
    assert "found '99999999999999999999'" in msg and "from 0 to 1,000,000" in msg
    assert cli.main(["data", "check", str(p)]) == 1


@pytest.mark.parametrize(
    "date, expected",
    [
        ("2016-13-01", "M/YYYY"),
        ("2016-99-01", "M/YYYY"),
        ("13/2016", "M/YYYY"),
        ("2016-02-30", "M/YYYY"),
        ("7/2099", "up to the current month"),
        ("1/0001", "from 2007"),
        ("2099-07-01 00:00:00", "up to the current month"),
    ],
)
def test_impossible_reporting_months_do_not_roll_over(raw, tmp_path, date, expected):
    df = raw.copy()
    df.loc[300, "Date"] = date
    with pytest.raises(DataError) as info:
        read_table_of_allegations(write(df, tmp_path / "d.csv"))
    msg = problem_at(info.value, 300, "Date")
    assert f"found {date!r}" in msg and expected in msg


def test_the_real_export_keeps_its_identical_rows_and_counts_them():
    # the UN's own pattern (each identical row directly below its twin): counted, no warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = read_table_of_allegations(external_file(ALLEGATIONS_XLSX))
    assert not [w for w in caught if issubclass(w.category, DuplicateRowsWarning)]
    # five runs of identical rows, one after another (four pairs and one triple): separate
    # allegations; counting each gives the UN's totals
    assert t.identical_rows.to_dict("list") == {
        "source_row": [124, 356, 612, 648, 649, 660],
        "same_as_row": [123, 355, 611, 647, 647, 659],
        "kind": ["identical"] * 6,
    }
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS
    assert t.counts["identical_rows"] == 6 and t.counts["pasted_rows"] == 0


@pytest.mark.parametrize("order", ["shuffled", "by_mission", "reversed"])
def test_totals_do_not_depend_on_the_order_of_the_rows(raw, tmp_path, order):
    # before: identical rows were kept when adjacent and dropped when not, so a shuffled or
    # sorted copy of the export gave other totals than the UN's
    if order == "shuffled":
        df = raw.sample(frac=1, random_state=7)
    elif order == "by_mission":
        df = raw.sort_values("Mission", kind="stable")
    else:
        df = raw.iloc[::-1]
    path = write(df, tmp_path / f"{order}.csv")
    if order == "shuffled":  # identical rows now stand apart from their twins: said
        with pytest.warns(DuplicateRowsWarning, match=r"6 row\(s\) identical to an earlier row"):
            t = read_table_of_allegations(path)
    else:
        t = _quiet(path)
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS
    assert t.counts["identical_rows"] == 6
    assert t.counts["repeated_rows_left_out"] == 0
    # each distinct row once, asked for: the same whatever the order (747 distinct rows)
    once = _quiet(tmp_path / f"{order}.csv", repeated_rows="drop")
    assert len(once.allegations) == 747 and once.counts["repeated_rows_left_out"] == 6


def test_the_export_pasted_twice_is_counted_once(raw, tmp_path):
    p = write(pd.concat([raw, raw]), tmp_path / "twice.csv")
    with pytest.warns(
        DuplicateRowsWarning,
        match=r"753 row\(s\) are copies of earlier rows by the signature of a paste \(the whole "
        r"table appears 2 times\), left out.*; 6 row\(s\) identical to an earlier row are kept",
    ):
        t = read_table_of_allegations(p)
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS
    assert t.counts["rows_in_file"] == 1506 and t.counts["repeated_rows_left_out"] == 753
    assert t.allegations["allegation_id"].tolist() == list(range(1, 754))
    assert t.victims["allegation_id"].max() == 753
    kept = _quiet(p, repeated_rows="keep")
    assert len(kept.allegations) == 1506 and _years(kept) == [2 * n for n in UN_TOTALS]
    with pytest.raises(DataError) as info:
        read_table_of_allegations(p, repeated_rows="raise")
    assert "twice.csv, row 755: found a copy of row 2" in str(info.value)
    # pasted with its header: refused, naming the second header's row
    lines = p.read_text().split("\n")
    header = lines[0]
    text = p.read_text()
    second = text.index("\n" + raw.iloc[0]["Date"] + ",", len(header) + 10 + len(text) // 3)
    (tmp_path / "headers.csv").write_text(text[: second + 1] + header + "\n" + text[second + 1 :])
    with pytest.raises(DataError, match=r"headers.csv, row 755: found the header again"):
        read_table_of_allegations(tmp_path / "headers.csv")


def test_a_doubled_export_is_found_by_its_signature_in_any_order(raw, tmp_path):
    doubled = pd.concat([raw, raw]).sample(frac=1, random_state=3)
    with pytest.warns(DuplicateRowsWarning, match=r"the whole table appears 2 times"):
        t = read_table_of_allegations(write(doubled, tmp_path / "shuffled_twice.csv"))
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS


def test_a_block_pasted_again_is_left_out_and_a_short_one_kept(raw, tmp_path):
    block = raw.iloc[100:130]  # 30 consecutive rows pasted again at the end
    with pytest.warns(DuplicateRowsWarning, match=r"30 row\(s\) are copies.*a block of rows"):
        t = read_table_of_allegations(write(pd.concat([raw, block]), tmp_path / "block.csv"))
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS
    short = raw.iloc[100:105]  # 5 rows: no paste's signature, kept as identical rows
    with pytest.warns(DuplicateRowsWarning, match=r"11 row\(s\) identical to an earlier row"):
        t = read_table_of_allegations(write(pd.concat([raw, short]), tmp_path / "short.csv"))
    assert len(t.allegations) == 758


def test_every_row_doubled_in_place_is_said(raw, tmp_path):
    doubled = pd.concat([raw, raw]).sort_index(kind="stable")
    with pytest.warns(DuplicateRowsWarning, match=r"the whole table appears 2 times"):
        t = read_table_of_allegations(write(doubled, tmp_path / "doubled.csv"))
    assert len(t.allegations) == 753  # every distinct row twice as often as in the export


@pytest.mark.parametrize(
    "where, label",
    [("Date", "Total:"), ("Date", "Sum"), ("Mission", "Grand total"), ("Mission", "TOTAL")],
)
def test_aggregate_rows_are_set_aside(raw, tmp_path, where, label):
    extra = pd.DataFrame([dict.fromkeys(raw.columns, "")])
    extra.loc[0, where] = label
    extra.loc[0, "Victim"] = "Adult (753)"
    if where == "Mission":
        extra.loc[0, "Date"] = "6/2024"
    with pytest.warns(AggregateRowsWarning, match=r"1 row\(s\) labelled as totals.*rows \[?755"):
        t = read_table_of_allegations(write(pd.concat([raw, extra]), tmp_path / "agg.csv"))
    assert len(t.allegations) == 753 and _years(t) == UN_TOTALS


def test_spellings_of_one_mission_or_nationality_are_one(raw, tmp_path):
    df = raw.copy()
    minusca = df.index[df["Mission"] == "MINUSCA"]
    df.loc[minusca[:4], "Mission"] = "Minusca"
    df.loc[minusca[4:6], "Mission"] = "MINUSCA'"
    bgd = df.index[df["Nationality"] == "Bangladesh"]
    df.loc[bgd[:2], "Nationality"] = "BANGLADESH"
    before = _quiet(external_file(ALLEGATIONS_XLSX))
    with pytest.warns(NameVariantWarning, match=r"8 name\(s\) spelled another way"):
        t = read_table_of_allegations(write(df, tmp_path / "names.csv"))
    pd.testing.assert_series_equal(
        t.allegations["mission"].value_counts(), before.allegations["mission"].value_counts()
    )
    assert (t.allegations["nationality"] == "Bangladesh").sum() == (
        before.allegations["nationality"] == "Bangladesh"
    ).sum()


def test_blank_victim_cells_are_missing_not_zero(raw, tmp_path):
    df = raw.copy()
    df.loc[[10, 11, 12], "Victim"] = ""
    with pytest.warns(
        MissingValuesWarning,
        match=r"3 blank Victim cell\(s\) kept as "
        r"victims_adult/child/unknown and involves_child "
        r"missing \(<NA>\), not 0 \(rows 10, 11, 12\)",
    ):
        t = read_table_of_allegations(write(df, tmp_path / "victims.csv"))
    a = t.allegations.set_index("source_row")
    for c in ("victims_adult", "victims_child", "victims_unknown", "involves_child"):
        assert a.loc[[10, 11, 12], c].isna().all(), c
    assert t.counts["blank_victim"] == 3 and len(t.allegations) == 753


def test_blank_mission_cells_are_missing_and_said(raw, tmp_path):
    df = raw.copy()
    df.loc[[20, 21], "Mission"] = " "
    with pytest.warns(
        MissingValuesWarning,
        match=r"2 blank Mission cell\(s\) kept as mission "
        r"missing \(<NA>\).*\(rows 20, 21\)",
    ):
        t = read_table_of_allegations(write(df, tmp_path / "mission.csv"))
    assert t.allegations.set_index("source_row").loc[[20, 21], "mission"].isna().all()
    assert t.counts["blank_mission"] == 2


def test_merged_mission_cells_take_the_merged_value(raw, tmp_path):
    p = tmp_path / "merged.xlsx"
    rows = raw.head(10)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(list(rows.columns))
    for r in rows.itertuples(index=False):
        ws.append(list(r))
    for r in (3, 4, 5):  # B2:B5 merged, as a spreadsheet shows one mission for four rows
        ws.cell(r, 2).value = None
    ws.merge_cells("B2:B5")
    wb.save(p)
    with pytest.warns(
        MissingValuesWarning,
        match=r"3 Mission cell\(s\) blank inside a merged "
        r"range were given the range's value "
        r"\(rows 3, 4, 5\)",
    ):
        t = read_table_of_allegations(p)
    assert t.allegations["mission"].tolist()[:4] == [rows.iloc[0]["Mission"]] * 4
    assert t.counts["merged_cells_filled"] == 3 and t.counts["blank_mission"] == 0
