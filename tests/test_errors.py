"""Bad input: each problem raises a pkoresearch error naming file, row, column, found, expected."""

from __future__ import annotations

import pandas as pd
import pytest

import pkoresearch as pko
from conftest import ROOT
from pkoresearch.errors import DataError, DataFileNotFound, PkoError, SchemaMismatch, UnknownDataset


def _copy(tmp_path, name="allegations.csv"):
    df = pd.read_csv(ROOT / "data" / name, dtype=str, keep_default_na=False)
    return df, tmp_path / name


def _load_bad(df, path, dataset="allegations"):
    df.to_csv(path, index=False)
    with pytest.raises(PkoError) as info:
        pko.load(dataset, path=path)
    return info.value, str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileNotFound, match="no_such.csv: no such file"):
        pko.load("allegations", path=tmp_path / "no_such.csv")


def test_unknown_dataset():
    with pytest.raises(UnknownDataset, match="no dataset named 'allegation'.*'allegations'"):
        pko.load("allegation")


def test_empty_file(tmp_path):
    p = tmp_path / "allegations.csv"
    p.write_text("")
    with pytest.raises(SchemaMismatch, match="found an empty file"):
        pko.load("allegations", path=p)


def test_missing_column(tmp_path):
    df, p = _copy(tmp_path)
    err, msg = _load_bad(df.drop(columns=["confidence"]), p)
    assert isinstance(err, SchemaMismatch)
    assert "allegations.csv, row 1, column 'confidence': found no such column in the header" in msg


def test_extra_column(tmp_path):
    df, p = _copy(tmp_path)
    df["extra"] = "x"
    err, msg = _load_bad(df, p)
    assert isinstance(err, SchemaMismatch)
    assert "row 1, column 'extra': found an extra column; expected only the columns" in msg


def test_non_numeric_count(tmp_path):
    df, p = _copy(tmp_path)
    df.loc[36, "value"] = "eighty-five"
    err, msg = _load_bad(df, p)
    assert "allegations.csv, row 38, column 'value': found 'eighty-five'; expected a number" in msg
    assert [(q.row, q.column) for q in err.problems] == [(38, "value")]


def test_negative_count(tmp_path):
    df, p = _copy(tmp_path)
    df.loc[0, "value"] = "-3"
    err, msg = _load_bad(df, p)
    assert "row 2, column 'value': found -3.0; expected a value >= 0" in msg


def test_duplicate_key(tmp_path):
    df, p = _copy(tmp_path)
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    err, msg = _load_bad(df, p)
    rows = sorted(q.row for q in err.problems)
    assert rows == [7, len(df) + 1]
    assert "found a duplicate key" in msg and "expected a unique combination of" in msg


def test_year_out_of_range(tmp_path):
    df, p = _copy(tmp_path)
    df.loc[2, "year"] = "2104"
    err, msg = _load_bad(df, p)
    assert "row 4, column 'year': found 2104; expected a value <= 2030" in msg


def test_unknown_category(tmp_path):
    df, p = _copy(tmp_path)
    df.loc[3, "scope"] = "peacekeepers"
    err, msg = _load_bad(df, p)
    assert "row 5, column 'scope': found 'peacekeepers'; expected one of ['peacekeeping'," in msg


def test_unknown_source_id(tmp_path):
    df, p = _copy(tmp_path)
    df.loc[4, "source_id"] = "made-up"
    err, msg = _load_bad(df, p)
    assert (
        "row 6, column 'source_id': found 'made-up'; expected a source_id listed in sources.csv"
        in msg
    )


def test_empty_required_cell_and_fraction_in_whole_number(tmp_path):
    df, p = _copy(tmp_path, "personnel_by_country.csv")
    df.loc[0, "confidence"] = ""
    df.loc[1, "women"] = "2.5"
    err, msg = _load_bad(df, p, "personnel_by_country")
    assert "row 2, column 'confidence': found an empty cell" in msg
    assert "row 3, column 'women': found '2.5'; expected a whole number" in msg


def test_women_above_total(tmp_path):
    df, p = _copy(tmp_path, "personnel_by_country.csv")
    df.loc[9, "women"] = "999999"
    err, msg = _load_bad(df, p, "personnel_by_country")
    assert "row 11" in msg and "women <= personnel_total" in msg


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    df, p = _copy(tmp_path)
    df.loc[0, "value"] = "x"
    df.loc[1, "value"] = "y"
    df.loc[2, "year"] = "20l0"
    err, _ = _load_bad(df, p)
    assert sorted((q.row, q.column) for q in err.problems) == [
        (2, "value"),
        (3, "value"),
        (4, "year"),
    ]
    assert all(isinstance(q, object) for q in err.problems)
    assert isinstance(err, DataError)
