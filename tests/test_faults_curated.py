"""Fault injection: the curated loader (pko.load with path=) on bad copies of the bundled tables.
Each case asserts the error type and that the message names the file, row and column."""

from __future__ import annotations

import pandas as pd
import pytest

import pkoresearch as pko
from conftest import ROOT
from faults import PNG, fifo, problem_at, returns_promptly, write
from pkoresearch import cli
from pkoresearch.errors import DataError, SchemaMismatch


def _table(name="allegations") -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("inf", "a finite number (not inf or nan)"),
        ("-inf", "a finite number (not inf or nan)"),
        ("Infinity", "a finite number (not inf or nan)"),
        ("nan", "a finite number (not inf or nan)"),
        ("NaN", "a finite number (not inf or nan)"),
        ("1e400", "a finite number (not inf or nan)"),
        ("99999999999999999999", "a number below 2**53"),
    ],
)
def test_non_finite_or_overflowing_numbers_are_refused(tmp_path, value, expected):
    df = _table()
    df.loc[10, "value"] = value  # CSV row 12
    with pytest.raises(DataError) as info:
        pko.load("allegations", path=write(df, tmp_path / "allegations.csv"))
    msg = problem_at(info.value, 12, "value")
    assert f"allegations.csv, row 12, column 'value': found {value!r}; expected {expected}" in msg


def test_an_overflowing_whole_number_column(tmp_path):
    df = _table("personnel_by_country")
    df.loc[0, "women"] = "99999999999999999999"
    df.loc[1, "year"] = "inf"
    with pytest.raises(DataError) as info:
        pko.load("personnel_by_country", path=write(df, tmp_path / "p.csv"))
    assert "a number below 2**53" in problem_at(info.value, 2, "women")
    assert "a finite number" in problem_at(info.value, 3, "year")


def test_encodings_layouts_and_file_types(tmp_path):
    df = _table()
    bad = df.copy()
    bad.loc[4, "note"] = "Côte d'Ivoire"
    with pytest.raises(DataError) as info:
        pko.load("allegations", path=write(bad, tmp_path / "l1.csv", encoding="latin-1"))
    assert "not UTF-8" in problem_at(info.value, 6, "note")
    with pytest.raises(DataError, match=r"u16.csv: found UTF-16 text"):
        pko.load("allegations", path=write(df, tmp_path / "u16.csv", encoding="utf-16"))
    with pytest.raises(
        DataError,
        match=r"semi.csv, row 1: found a header whose fields are "
        r"separated by semicolons",
    ):
        pko.load("allegations", path=write(df, tmp_path / "semi.csv", sep=";"))
    with pytest.raises(DataError, match=r"tab.csv, row 1: found .*separated by tabs"):
        pko.load("allegations", path=write(df, tmp_path / "tab.csv", sep="\t"))
    lines = write(df, tmp_path / "ok.csv").read_text().splitlines()
    lines[7] += ",extra"
    (tmp_path / "ragged.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"ragged.csv, row 8: found a row with 9 of 8 fields"):
        pko.load("allegations", path=tmp_path / "ragged.csv")
    xlsx = tmp_path / "x.csv"
    df.to_excel(xlsx, index=False, engine="openpyxl")
    with pytest.raises(DataError, match=r"x.csv: found a zip archive"):
        pko.load("allegations", path=xlsx)
    (tmp_path / "img.csv").write_bytes(PNG)
    with pytest.raises(DataError, match=r"img.csv: found a PNG image"):
        pko.load("allegations", path=tmp_path / "img.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SchemaMismatch, match=r"empty.csv: found an empty file"):
        pko.load("allegations", path=tmp_path / "empty.csv")
    # a UTF-8 byte-order mark is read: the copy loads as the bundled table does
    bom = pko.load("allegations", path=write(df, tmp_path / "bom.csv", encoding="utf-8-sig"))
    assert len(bom) == len(pko.load("allegations"))


def test_a_fifo_does_not_hang_the_loader_or_data_check(tmp_path):
    pipe = fifo(tmp_path / "allegations.csv")
    out = returns_promptly(lambda: pko.load("allegations", path=pipe), fifo_path=pipe)
    assert isinstance(out.get("error"), DataError)
    assert "allegations.csv: found a FIFO (named pipe)" in str(out["error"])
    assert (
        returns_promptly(lambda: cli.main(["data", "check", str(pipe)]), fifo_path=pipe)["value"]
        == 1
    )


def test_data_check_reports_inf_with_row_and_column(tmp_path, capsys):
    df = _table()
    df.loc[3, "value"] = "inf"
    assert cli.main(["data", "check", str(write(df, tmp_path / "allegations.csv"))]) == 1
    assert "row 5, column 'value': found 'inf'; expected a finite number" in capsys.readouterr().out
