"""Publication tables (pkoresearch.figures.tables): written as CSV, LaTeX and HTML, and read back with the
same numbers; formatted as a paper prints them (thousands separators, no ".0" on counts, no index,
no cut text, a source note)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.analysis import trends
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.errors import ParameterError
from pkoresearch.figures import tables

LONG = (
    "Leave-one-out model not estimable without 2016: the level change at 2016 has no "
    "complete year after it once 2016 is left out"
)


def _number(text: str) -> float | None:
    """A shown number back as a float ("91,712" -> 91712.0; the dash for missing -> None)."""
    if text == tables.MISSING:
        return None
    return float(text.replace(",", ""))


@pytest.fixture
def frame() -> pd.DataFrame:
    # counts that became floats through a missing value (as after a merge), a rate, long text,
    # and a named index that must become an ordinary column
    return pd.DataFrame(
        {
            "allegations": [99.0, 103.0, None, 1234567.0],
            "personnel": pd.array([91712, 101000, 95013, 1000], dtype="Int64"),
            "rate": [1.07945, 1.01980, None, 1234.5],
            "note": ["", LONG, "no count", "synthetic"],
        },
        index=pd.Index([2015, 2016, 2017, 2018], name="year"),
    )


def test_written_and_read_back_with_equal_numbers(tmp_path, frame):
    saved = tables.save_table(
        frame,
        tmp_path / "tables" / "yearly",
        title="Allegations by year, 2015-2018 (synthetic)",
        source="a synthetic frame with a known answer",
        labels={"rate": "Allegations per 1,000 personnel"},
        decimals={"rate": 3},
    )
    assert sorted(p.name for p in saved.files.values()) == [
        "yearly.csv",
        "yearly.html",
        "yearly.tex",
    ]

    csv = pd.read_csv(saved.files["csv"])
    assert list(csv.columns) == ["year", "allegations", "personnel", "rate", "note"]  # no index
    assert csv["year"].tolist() == [2015, 2016, 2017, 2018]
    assert csv["allegations"].astype("Int64").tolist() == [99, 103, pd.NA, 1234567]
    assert csv["personnel"].tolist() == [91712, 101000, 95013, 1000]
    assert csv["rate"].tolist()[:2] == [1.07945, 1.0198] and pd.isna(csv["rate"][2])
    raw = saved.files["csv"].read_text()
    assert "99.0" not in raw and "1234567," in raw  # counts without ".0"
    assert LONG in raw

    for rows in (tables.read_html(saved.files["html"]), tables.read_latex(saved.files["tex"])):
        assert len(rows) == 4 and all(len(r) == 5 for r in rows)  # no index column
        assert [r[0] for r in rows] == ["2015", "2016", "2017", "2018"]  # years without ","
        assert [r[1] for r in rows] == ["99", "103", tables.MISSING, "1,234,567"]
        assert [r[2] for r in rows] == ["91,712", "101,000", "95,013", "1,000"]
        assert [r[3] for r in rows] == ["1.079", "1.020", tables.MISSING, "1,234.500"]
        assert rows[1][4] == LONG  # whole, not cut with "..."
        for row, (_, want) in zip(rows, frame.iterrows()):
            got = _number(row[1])
            assert (got is None and pd.isna(want["allegations"])) or got == want["allegations"]
            assert _number(row[2]) == want["personnel"]
    html = saved.files["html"].read_text()
    tex = saved.files["tex"].read_text()
    assert "Source: a synthetic frame with a known answer" in html
    assert "Source: a synthetic frame with a known answer" in tex
    assert "Allegations per 1,000 personnel" in html and "Allegations by year, 2015-2018" in tex
    assert "…" not in html and "..." not in html
    assert saved._repr_html_() in html
    # the same table gives the same bytes (no random element id)
    again = tables.save_table(
        frame,
        tmp_path / "again" / "yearly",
        title="Allegations by year, 2015-2018 (synthetic)",
        source="a synthetic frame with a known answer",
        labels={"rate": "Allegations per 1,000 personnel"},
        decimals={"rate": 3},
    )
    for fmt in tables.FORMATS:
        assert again.files[fmt].read_bytes() == saved.files[fmt].read_bytes(), fmt


def test_p_values_below_0001_are_not_printed_as_zero(tmp_path):
    model = pd.DataFrame(
        {
            "term": ["level change from 2016", "yearly change (trend)"],
            "irr": [2.0634, 0.9141],
            "p_value": [0.00002, 0.0314],
        }
    )
    saved = tables.save_table(model, tmp_path / "m", title="model", source="synthetic")
    for rows in (tables.read_html(saved.files["html"]), tables.read_latex(saved.files["tex"])):
        assert [r[2] for r in rows] == ["<0.001", "0.031"]
        assert [r[1] for r in rows] == ["2.06", "0.91"]
    assert pd.read_csv(saved.files["csv"])["p_value"].tolist() == [0.00002, 0.0314]


def test_refuses_a_table_without_source_or_with_unknown_columns(tmp_path, frame):
    with pytest.raises(ParameterError, match="source"):
        tables.save_table(frame, tmp_path / "t", title="t", source="")
    with pytest.raises(ParameterError, match=r"'rates'.*expected columns"):
        tables.save_table(frame, tmp_path / "t", title="t", source="s", decimals={"rates": 2})
    with pytest.raises(ParameterError, match="DataFrame"):
        tables.save_table([1, 2], tmp_path / "t", title="t", source="s")


def test_real_export_yearly_counts_read_back(tmp_path):
    """The yearly counts of the real UN table of allegations, written and read back: the numbers
    in every format are the counts computed from the export."""
    table = read_table_of_allegations(external_file("UN_conduct_table_of_allegations_2024-07.xlsx"))
    counts = trends.yearly(2015, 2024, table=table)[["year", "allegations", "months_covered"]]
    saved = tables.save_table(
        counts,
        tmp_path / "yearly",
        title="Allegations by reporting year, 2015-2024",
        source="UN, Conduct in UN Field Missions, table of allegations (July 2024)",
    )
    want = counts["allegations"].astype(int).tolist()
    assert sum(want) == 753  # every allegation of the export, 2024 partial included
    csv = pd.read_csv(saved.files["csv"])
    assert csv["allegations"].tolist() == want
    for rows in (tables.read_html(saved.files["html"]), tables.read_latex(saved.files["tex"])):
        assert [int(_number(r[1])) for r in rows] == want
        assert all(re.fullmatch(r"\d{4}", r[0]) for r in rows)
