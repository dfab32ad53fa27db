"""`pkoresearch data` fits 100 columns (issue 14): descriptions wrap and are shown whole, other
cells too wide are cut with an ellipsis."""

from __future__ import annotations

import re

import pytest

from pkoresearch import cli
from pkoresearch.data import registry
from pkoresearch.data.curated import datasets
from pkoresearch.figures.formatting import text_table


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("columns, limit", [("200", 100), ("100", 100), ("80", 80)])
def test_data_command_fits_the_terminal_and_at_most_100_columns(
    columns, limit, monkeypatch, capsys
):
    monkeypatch.setenv("COLUMNS", columns)
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    widest = max(len(line) for line in out.splitlines())
    assert widest <= limit
    assert widest > limit - 10  # the room is used, not a fixed narrow table
    lines = out.splitlines()
    table = _squash("\n".join(lines[: lines.index("")]))
    d = datasets()
    # wrapped, never cut (a word longer than the column, such as "Secretary-General's" in 80
    # columns, is carried over to the next line: compare without the white space)
    bare = re.sub(r"\s+", "", table)
    for r in d.itertuples():
        assert re.sub(r"\s+", "", r.description) in bare, r.dataset
    for r in d[d["first_year"].notna()].itertuples():
        row = next(ln for ln in lines if ln.startswith(r.dataset + " "))
        assert row.split()[:5] == [
            r.dataset,
            f"{r.rows:,}",
            f"{r.preferred_rows:,}",
            f"{r.first_year}-{r.last_year}",
            str(r.sources),
        ]
    files = _squash("\n".join(lines[lines.index("") :]))
    for e in registry.ENTRIES:
        assert e.name in files and _squash(e.title) in files
    assert "\u2026" not in out


def test_text_table_cuts_other_columns_with_an_ellipsis_and_wraps_one():
    rows = [("a" * 70, 12345, "word " * 30), ("short", None, "")]
    text = text_table(rows, ["name", "n", "text"], width=60, wrap=2, right=[1])
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert "\u2026" in lines[1] and "a" * 70 not in text  # the long name is cut, visibly
    assert "12,345" in lines[1]
    assert _squash(" ".join(ln[-12:] for ln in lines[1:])).count("word") >= 1
    assert _squash(text).count("word") == 30  # the wrapped column is whole
    assert lines[-1].startswith("short") and lines[-1].rstrip() == lines[-1]
