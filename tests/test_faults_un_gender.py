"""Fault injection: the UN monthly gender statistics reader (readers.un_gender) on bad inputs made
from the real file. Each case asserts the error type and that the message names the file, row and
column, or the warning and the exact corrected numbers."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from faults import PNG, fifo, problem_at, real_gender, returns_promptly, write
from pkoresearch import cli
from pkoresearch.data.readers.un_gender import read_gender_statistics
from pkoresearch.errors import (
    AggregateRowsWarning,
    DataError,
    DateNormalisedWarning,
    DuplicateRowsWarning,
    NameVariantWarning,
    SchemaMismatch,
)

AUG = "2010-08-31"  # external README: summing 31 Aug 2010 gives 3,332 women of 99,920
AUG_WOMEN, AUG_PERSONNEL = 3332, 99920


def _aug(g) -> tuple[int, int]:
    t = g.totals(["date"]).set_index("date")
    return int(t.loc[AUG, "women"]), int(t.loc[AUG, "personnel"])


def _quiet(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_gender_statistics(path)


@pytest.fixture(scope="module")
def raw():
    return real_gender()


def _row_of(raw, contributor, date=AUG):
    """The CSV row number of the first row of ``contributor`` on ``date``."""
    return int(raw.index[(raw["Contributor"] == contributor) & (raw["Date"] == date)][0])


# --- encodings and layouts -------------------------------------------------------------------


def test_latin1_bytes_name_the_row_and_column(raw, tmp_path):
    df = raw.copy()
    row = _row_of(df, "Cote d Ivoire", "2013-12-31")
    df.loc[row, "Contributor"] = "Côte d'Ivoire"
    p = write(df, tmp_path / "latin1.csv", encoding="latin-1")
    with pytest.raises(DataError) as info:
        read_gender_statistics(p)
    msg = problem_at(info.value, row, "Contributor")
    assert "latin1.csv" in msg and "not UTF-8" in msg
    assert "Windows-1252/Latin-1: ..." in msg and "Côte d'Ivoire" in msg


def test_utf16_and_a_byte_order_mark(raw, tmp_path):
    p = write(raw.head(50), tmp_path / "utf16.csv", encoding="utf-16")
    with pytest.raises(DataError, match=r"utf16.csv: found UTF-16 text \(little-endian"):
        read_gender_statistics(p)
    # a UTF-8 byte-order mark (Excel's "CSV UTF-8") is read, not refused
    bom = write(raw, tmp_path / "bom.csv", encoding="utf-8-sig")
    assert _aug(_quiet(bom)) == (AUG_WOMEN, AUG_PERSONNEL)


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test_semicolon_or_tab_delimited(raw, tmp_path, sep, name):
    p = write(raw.head(20), tmp_path / "sep.csv", sep=sep)
    with pytest.raises(
        DataError,
        match=rf"sep.csv, row 1: found a header whose fields are "
        rf"separated by {name}",
    ):
        read_gender_statistics(p)


def test_ragged_rows_are_each_named(raw, tmp_path):
    lines = write(raw.head(10), tmp_path / "ok.csv").read_text().splitlines()
    lines[3] += ",7"  # row 4: one field too many
    lines[6] = lines[6].rsplit(",", 2)[0]  # row 7: two fields short
    p = tmp_path / "ragged.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        read_gender_statistics(p)
    assert [(q.row, q.found) for q in info.value.problems] == [
        (4, "a row with 21 of 20 fields"),
        (7, "a row with 18 of 20 fields"),
    ]
    assert "ragged.csv, row 4: found a row with 21 of 20 fields" in str(info.value)


def test_a_workbook_or_an_image_given_as_csv(raw, tmp_path):
    xlsx = tmp_path / "gender.csv"
    raw.head(20).to_excel(xlsx, index=False, engine="openpyxl")
    with pytest.raises(DataError, match=r"gender.csv: found a zip archive \(an .xlsx workbook"):
        read_gender_statistics(xlsx)
    png = tmp_path / "chart.csv"
    png.write_bytes(PNG)
    with pytest.raises(DataError, match=r"chart.csv: found a PNG image; expected CSV text"):
        read_gender_statistics(png)


def test_empty_file_and_a_fifo(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaMismatch, match="empty.csv: found an empty file"):
        read_gender_statistics(empty)
    pipe = fifo(tmp_path / "pipe.csv")
    out = returns_promptly(lambda: read_gender_statistics(pipe), fifo_path=pipe)
    assert isinstance(out.get("error"), DataError)
    assert "pipe.csv: found a FIFO (named pipe)" in str(out["error"])
    out = returns_promptly(lambda: cli.main(["data", "check", str(pipe)]), fifo_path=pipe)
    assert out.get("value") == 1


# --- numbers that used to come out wrong ------------------------------------------------------


def test_an_overflowing_count_is_refused_and_data_check_fails(raw, tmp_path, capsys):
    df = raw.copy()
    row = _row_of(df, "Bangladesh")
    df.loc[row, "Troops Female"] = "99999999999999999999"
    p = write(df, tmp_path / "huge.csv")
    with pytest.raises(DataError) as info:
        read_gender_statistics(p)
    msg = problem_at(info.value, row, "Troops Female")
    assert (
        "found 99999999999999999999 (more than 1,000,000); expected a whole number of "
        "persons from 0 to 1,000,000" in msg
    )
    assert cli.main(["data", "check", str(p)]) == 1
    assert f"row {row}, column 'Troops Female'" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1.5", "1e3", ""])
def test_counts_that_are_not_whole_persons(raw, tmp_path, value):
    df = raw.head(30).copy()
    df.loc[5, "Individual Police Male"] = value
    with pytest.raises(DataError) as info:
        read_gender_statistics(write(df, tmp_path / "g.csv"))
    assert f"found {value!r}" in problem_at(info.value, 5, "Individual Police Male")


@pytest.mark.parametrize(
    "date, expected",
    [
        ("2016-13-01", "a date as YYYY-MM-DD"),
        ("2016-99-01", "a date as YYYY-MM-DD"),
        ("2010-02-30", "a date as YYYY-MM-DD"),
        ("2099-07-31", "up to the current month"),
        ("0001-01-31", "a month from 2000-01"),
    ],
)
def test_impossible_or_implausible_dates(raw, tmp_path, date, expected):
    df = raw.head(30).copy()
    df.loc[9, "Date"] = date
    with pytest.raises(DataError) as info:
        read_gender_statistics(write(df, tmp_path / "d.csv"))
    msg = problem_at(info.value, 9, "Date")
    assert f"found {date!r}" in msg and expected in msg


def test_the_file_pasted_twice_is_counted_once(raw, tmp_path):
    p = write(pd.concat([raw, raw]), tmp_path / "twice.csv")
    with pytest.warns(
        DuplicateRowsWarning,
        match=r"29115 row\(s\) repeat an earlier row exactly.*"
        r"the whole file appears twice",
    ):
        g = read_gender_statistics(p)
    assert g.report["rows_in_file"] == 58230 and g.report["duplicate_rows_removed"] == 29115
    assert g.report["rows_used"] == 29115 and _aug(g) == (AUG_WOMEN, AUG_PERSONNEL)
    # pasted with its header: refused, naming the row of the second header
    lines = (tmp_path / "twice.csv").read_text().splitlines()
    (tmp_path / "headers.csv").write_text("\n".join([*lines[:29116], lines[0], *lines[29116:]]))
    with pytest.raises(DataError, match=r"headers.csv, row 29117: found the header again"):
        read_gender_statistics(tmp_path / "headers.csv")


def test_one_row_dated_inside_the_month_is_moved_to_the_months_date(raw, tmp_path):
    df = raw.copy()
    row = _row_of(df, "Bangladesh")
    df.loc[row, "Date"] = "2010-08-30"
    with pytest.warns(
        DateNormalisedWarning,
        match=rf"1 row\(s\).*1 row\(s\) dated 2010-08-30 "
        rf"\(first row {row}\) -> 2010-08-31",
    ):
        g = read_gender_statistics(write(df, tmp_path / "day.csv"))
    assert _aug(g) == (AUG_WOMEN, AUG_PERSONNEL)
    assert g.counts["date"].nunique() == 52 and g.report["dates_normalised"] == 1
    assert g.dates_normalised["first_row"].tolist() == [row]


@pytest.mark.parametrize(
    "label", ["Total:", "Sum", "Grand total", "TOTAL", " total. ", "Sub-total", "All"]
)
def test_aggregate_rows_are_never_contributors(raw, tmp_path, label):
    aug = raw[raw["Date"] == AUG]
    counts = aug.columns[5:]
    total = aug[counts].astype(int).sum()
    extra = pd.DataFrame(
        [
            {
                "": "99999",
                "Date": AUG,
                "Contributor": label,
                "Contributor ISO-3": "",
                "Mission": "UNMIL",
                **{c: str(total[c]) for c in counts},
            }
        ]
    )
    p = write(pd.concat([raw, extra]), tmp_path / "agg.csv")
    with pytest.warns(AggregateRowsWarning, match=r"1 aggregate row\(s\).*rows 29117"):
        g = read_gender_statistics(p)
    assert _aug(g) == (AUG_WOMEN, AUG_PERSONNEL)
    assert g.aggregates["contributor"].tolist() == [label.strip()]
    assert g.report["aggregate_rows_removed"] == 1


def test_case_and_punctuation_variants_are_one_contributor(raw, tmp_path):
    df = raw.copy()
    bgd = df.index[df["Contributor"] == "Bangladesh"]
    df.loc[bgd[:3], "Contributor"] = "BANGLADESH"
    df.loc[bgd[3:5], "Contributor"] = "Bangladesh'"
    with pytest.warns(NameVariantWarning, match=r"5 row\(s\) spell a name another way"):
        g = read_gender_statistics(write(df, tmp_path / "names.csv"))
    assert "BANGLADESH" not in set(g.counts["contributor"])
    assert "Bangladesh'" not in set(g.counts["contributor"])
    assert _aug(g) == (AUG_WOMEN, AUG_PERSONNEL)
    v = g.name_variants.set_index("found")
    assert v.loc["BANGLADESH", "rows"] == 3 and v.loc["Bangladesh'", "used"] == "Bangladesh"


def test_an_upper_case_copy_of_a_row_is_counted_once_or_refused(raw, tmp_path):
    row = _row_of(raw, "Bangladesh")
    copy = raw.loc[[row]].assign(Contributor="BANGLADESH")
    with pytest.warns(DuplicateRowsWarning, match=r"1 row\(s\) repeat an earlier row exactly"):
        g = read_gender_statistics(write(pd.concat([raw, copy]), tmp_path / "copy.csv"))
    assert _aug(g) == (AUG_WOMEN, AUG_PERSONNEL)
    changed = copy.assign(
        **{
            "Troops Male": str(int(copy["Troops Male"].iloc[0]) + 1),
            "Troops Total": str(int(copy["Troops Total"].iloc[0]) + 1),
        }
    )
    with pytest.raises(DataError) as info:
        _quiet(write(pd.concat([raw, changed]), tmp_path / "clash.csv"))
    assert {p.row for p in info.value.problems} == {row, 29117}
    assert "found a second, different row for 2010-08-31, Bangladesh" in str(info.value)
