"""Fault injection: the three readers of the UN contributions by gender (the UN's own
odp_contributionsbygender.csv layout, the mission x month .dta, the contributor x mission x year
means) on bad inputs made from the real files and the UN-layout fixture. Each case asserts the
error type and that the message names the file, row and column, or the warning and the exact
corrected numbers."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from conftest import ROOT, external_file
from faults import MONTH_DTA, PNG, YEAR_CSV, fifo, problem_at, returns_promptly, write
from pkoresearch import cli
from pkoresearch.data.readers.un_contributions import (
    read_contributions_by_gender,
    read_country_mission_year,
    read_mission_month,
    read_monthly,
)
from pkoresearch.errors import AggregateRowsWarning, DataError, NameVariantWarning, SchemaMismatch

ODP = ROOT / "tests" / "fixtures" / "odp_contributionsbygender_small.csv"


def _odp() -> pd.DataFrame:
    df = pd.read_csv(ODP, dtype=str, keep_default_na=False)
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


def _women(c) -> dict:
    return c.totals(["month"]).set_index("month")["women"].astype(int).to_dict()


@pytest.fixture(scope="module")
def year_raw():
    df = pd.read_csv(external_file(YEAR_CSV), dtype=str, keep_default_na=False)
    df = df.rename(columns={"Unnamed: 0": ""})
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


# --- the UN's own layout ---------------------------------------------------------------------


def test_un_layout_encodings_and_layouts(tmp_path):
    df = _odp()
    df.loc[5, "Contributing_Country"] = "Côte d'Ivoire"
    with pytest.raises(DataError) as info:
        read_contributions_by_gender(write(df, tmp_path / "l1.csv", encoding="latin-1"))
    assert "not UTF-8" in problem_at(info.value, 5, "Contributing_Country")
    with pytest.raises(DataError, match=r"u16.csv: found UTF-16 text"):
        read_contributions_by_gender(write(_odp(), tmp_path / "u16.csv", encoding="utf-16"))
    with pytest.raises(
        DataError,
        match=r"semi.csv, row 1: found a header whose fields are "
        r"separated by semicolons",
    ):
        read_contributions_by_gender(write(_odp(), tmp_path / "semi.csv", sep=";"))
    lines = ODP.read_text().splitlines()
    lines[4] += ",,"
    (tmp_path / "ragged.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"ragged.csv, row 5: found a row with 9 of 7 fields"):
        read_contributions_by_gender(tmp_path / "ragged.csv")
    xlsx = tmp_path / "odp.csv"
    _odp().to_excel(xlsx, index=False, engine="openpyxl")
    with pytest.raises(DataError, match=r"odp.csv: found a zip archive"):
        read_contributions_by_gender(xlsx)
    with pytest.raises(DataError, match=r"odp.csv: found a zip archive"):
        read_monthly(xlsx)
    (tmp_path / "img.csv").write_bytes(PNG)
    with pytest.raises(DataError, match=r"img.csv: found a PNG image"):
        read_contributions_by_gender(tmp_path / "img.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SchemaMismatch, match=r"empty.csv: found an empty file"):
        read_contributions_by_gender(tmp_path / "empty.csv")


def test_a_fifo_does_not_hang_any_reader(tmp_path):
    for name, read in (
        ("p1.csv", read_contributions_by_gender),
        ("p2.csv", read_monthly),
        ("p3.csv", read_country_mission_year),
        ("p4.dta", read_mission_month),
    ):
        pipe = fifo(tmp_path / name)
        out = returns_promptly(lambda: read(pipe), fifo_path=pipe)
        assert isinstance(out.get("error"), DataError), (name, out)
        assert f"{name}: found a FIFO (named pipe)" in str(out["error"])


def test_un_layout_overflow_and_dates(tmp_path, capsys):
    df = _odp()
    df.loc[3, "Female_Personnel"] = "99999999999999999999"
    df.loc[4, "Last_Reporting_Date"] = "31-Jul-99"  # %y: 1999, before 2000
    df.loc[6, "Last_Reporting_Date"] = "2099-07-31"  # in the future
    df.loc[7, "Last_Reporting_Date"] = "2016-13-01"  # no 13th month: not rolled over
    df.loc[8, "Last_Reporting_Date"] = "30-Feb-20"  # no 30 February
    p = write(df, tmp_path / "bad.csv")
    with pytest.raises(DataError) as info:
        read_contributions_by_gender(p)
    assert "found 99999999999999999999 (more than 1,000,000)" in problem_at(
        info.value, 3, "Female_Personnel"
    )
    assert "up to the current month" in problem_at(info.value, 4, "Last_Reporting_Date")
    assert "up to the current month" in problem_at(info.value, 6, "Last_Reporting_Date")
    assert "a date such as 30-Nov-20" in problem_at(info.value, 7, "Last_Reporting_Date")
    assert "a date such as 30-Nov-20" in problem_at(info.value, 8, "Last_Reporting_Date")
    assert len(info.value.problems) == 5
    assert cli.main(["data", "check", str(p)]) == 1
    assert "row 3, column 'Female_Personnel'" in capsys.readouterr().out


@pytest.mark.parametrize("label", ["Total", "Total:", "GRAND TOTAL", "Sum", "all"])
def test_un_layout_total_rows_are_not_contributors(tmp_path, label):
    df = _odp()
    first = df.iloc[0]
    extra = first.copy()
    extra["Contributing_Country"] = label
    extra["ISOCode3"] = ""
    extra["Female_Personnel"] = "9999"
    before = _women(read_contributions_by_gender(ODP))
    with pytest.warns(AggregateRowsWarning, match=r"1 row\(s\) labelled as totals.*rows \[18\]"):
        c = read_contributions_by_gender(
            write(pd.concat([df, extra.to_frame().T]), tmp_path / "t.csv")
        )
    assert _women(c) == before and c.report["aggregate_rows_removed"] == 1
    assert label not in set(c.counts["contributor"])


def test_un_layout_upper_case_country_is_the_same_contributor(tmp_path):
    df = _odp()
    rwanda = df.index[df["Contributing_Country"] == "Rwanda"]
    df.loc[rwanda[0], "Contributing_Country"] = "RWANDA"
    df.loc[rwanda[1], "Contributing_Country"] = "Rwanda'"
    with pytest.warns(
        NameVariantWarning,
        match=r"2 row\(s\) spell a name another way.*"
        r"'RWANDA' -> 'Rwanda'",
    ):
        c = read_contributions_by_gender(write(df, tmp_path / "n.csv"))
    assert _women(c) == _women(read_contributions_by_gender(ODP))
    assert c.counts["contributor"].nunique() == 4 and c.report["names_unified"] == 2
    assert set(c.counts.loc[c.counts["contributor"] == "Rwanda", "iso3"]) == {"RWA"}
    # an upper-case copy of a row is the same key: refused, naming both rows
    copy = _odp().iloc[[0]].assign(Contributing_Country="RWANDA")
    with pytest.raises(DataError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_contributions_by_gender(write(pd.concat([_odp(), copy]), tmp_path / "c.csv"))
    assert {p.row for p in info.value.problems} == {2, 18}


# --- the mission x month .dta ----------------------------------------------------------------


def test_mission_month_overflow_and_months(tmp_path):
    df = pd.read_stata(external_file(MONTH_DTA), convert_categoricals=False)
    df = df.astype({"female_personnel": "float64", "yearmo": "float64"})
    df.loc[0, "female_personnel"] = 1e20
    df.loc[1, "yearmo"] = 201613.0
    df.loc[2, "yearmo"] = 209907.0
    df.loc[3, "yearmo"] = 101.0  # year 1, month 1
    df.to_stata(tmp_path / "m.dta", write_index=False)
    with pytest.raises(DataError) as info:
        read_mission_month(tmp_path / "m.dta")
    assert "from 0 to 1,000,000" in problem_at(info.value, 1, "female_personnel")
    assert "a month as YYYYMM" in problem_at(info.value, 2, "yearmo")
    assert "up to the current month" in problem_at(info.value, 3, "yearmo")
    assert "from 2000-01" in problem_at(info.value, 4, "yearmo")
    (tmp_path / "png.dta").write_bytes(PNG)
    with pytest.raises(SchemaMismatch, match=r"png.dta: found a file pandas cannot read as Stata"):
        read_mission_month(tmp_path / "png.dta")


def test_mission_month_spellings_totals_and_labelled_missions(tmp_path):
    """Issue 27: a .dta with 'minusca' in one row, a mission='Total' row, missions stored as
    labelled integers (Stata encode) or as bare numbers."""
    real = read_mission_month(external_file(MONTH_DTA))
    assert real.report["missions"] == 37
    df = pd.read_stata(external_file(MONTH_DTA), convert_categoricals=False)
    variant = df.copy()
    row = int(df.index[df["mission"] == "MINUSCA"][3])
    variant.loc[row, "mission"] = "minusca"
    variant.to_stata(tmp_path / "v.dta", write_index=False)
    with pytest.warns(
        NameVariantWarning,
        match=rf"mission 'minusca' -> 'MINUSCA' \(1 row\(s\), first row {row + 1}\)",
    ):
        v = read_mission_month(tmp_path / "v.dta")
    assert v.report["missions"] == 37 and "minusca" not in set(v.counts["mission"])
    pd.testing.assert_frame_equal(v.totals(["month", "mission"]), real.totals(["month", "mission"]))

    dec = df[df["yearmo"] == 201012]
    total = pd.DataFrame(
        {
            "mission": ["Total"],
            "female_personnel": [dec["female_personnel"].sum()],
            "male_personnel": [dec["male_personnel"].sum()],
            "yearmo": [201012],
        }
    ).astype(df.dtypes.to_dict())
    pd.concat([df, total], ignore_index=True).to_stata(tmp_path / "t.dta", write_index=False)
    with pytest.warns(
        AggregateRowsWarning,
        match=r"t.dta, column 'mission': 1 row\(s\) labelled as totals .* rows \[2654\]; corrected "
        r"month\(s\) 2010-12: 3,410 women of 98,638 \(with the total row\(s\) 6,820 of 197,276\)",
    ):
        t = read_mission_month(tmp_path / "t.dta")
    dec_t = t.totals(["month"]).set_index("month").loc["2010-12-01"]
    assert (int(dec_t["women"]), int(dec_t["total"])) == (3410, 98638)
    assert t.report["aggregate_rows_removed"] == 1 and t.report["missions"] == 37

    enc = df.copy()
    enc["mission"] = enc["mission"].astype("category")
    enc.to_stata(tmp_path / "e.dta", write_index=False)
    assert (
        pd.read_stata(tmp_path / "e.dta", convert_categoricals=False)["mission"].dtype.kind == "i"
    )
    e = read_mission_month(tmp_path / "e.dta")
    assert e.report["missions"] == 37 and e.report["missions_from_value_labels"] == 1
    pd.testing.assert_frame_equal(e.totals(["month", "mission"]), real.totals(["month", "mission"]))

    bare = df.copy()
    bare["mission"] = bare["mission"].astype("category").cat.codes.astype("int16")
    bare.to_stata(tmp_path / "n.dta", write_index=False)
    with pytest.raises(SchemaMismatch) as info:
        read_mission_month(tmp_path / "n.dta")
    assert "n.dta, column 'mission': found numbers without value labels (row 1: 0)" in str(
        info.value
    )
    assert "numbers with Stata value labels" in str(info.value)

    cut = df.copy()
    cut["mission"] = cut["mission"].astype("category").cat.codes.astype("int16")
    labels = dict(enumerate(sorted(df["mission"].unique())))
    del labels[3]
    cut.to_stata(tmp_path / "c.dta", write_index=False, value_labels={"mission": labels})
    with pytest.raises(DataError) as info:
        read_mission_month(tmp_path / "c.dta")
    first = int(cut.index[cut["mission"] == 3][0]) + 1
    assert "found the code 3 without a value label" in problem_at(info.value, first, "mission")
    assert len(info.value.problems) == int((cut["mission"] == 3).sum())


# --- the contributor x mission x year means --------------------------------------------------


def test_yearly_means_overflow_totals_and_spellings(year_raw, tmp_path):
    df = year_raw.copy()
    df.loc[10, "Female"] = "99999999999999999999"
    df.loc[11, "Year"] = "2099"
    with pytest.raises(DataError) as info:
        read_country_mission_year(write(df, tmp_path / "y.csv"))
    assert "(more than 1,000,000)" in problem_at(info.value, 10, "Female")
    assert "found '2099'; expected a year such as 2018, from 2000" in problem_at(
        info.value, 11, "Year"
    )
    mm = read_mission_month(external_file(MONTH_DTA))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = read_country_mission_year(external_file(YEAR_CSV), mm)
    totals = before.counts.groupby("year")["women_in_file"].sum()
    extra = year_raw.iloc[[0]].assign(Country="Total:", Female="99999", Male="1", Total="100000")
    variant = year_raw.copy()
    ghana = variant.index[variant["Country"] == "Ghana"]
    variant.loc[ghana[:5], "Country"] = "GHANA"
    with (
        pytest.warns(AggregateRowsWarning, match=r"1 row\(s\) labelled as totals"),
        pytest.warns(NameVariantWarning, match=r"5 row\(s\) spell a name another way"),
    ):
        after = read_country_mission_year(
            write(pd.concat([variant, extra]), tmp_path / "y2.csv"), mm
        )
    pd.testing.assert_series_equal(after.counts.groupby("year")["women_in_file"].sum(), totals)
    assert "GHANA" not in set(after.counts["contributor"])
