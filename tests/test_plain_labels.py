"""Labels on a page are words, not code names (issue 26, item 2): the committed notebooks'
outputs (what results.html and nbval show) carry no model-term codes (``year_c``, ``level_2016``,
``slope_2016``, ``counting_2016``, or their "year c" / "level 2016" spellings), no "(no month)"
and no "Leave one out" name; the report renders results.json keys in words."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ROOT
from pkoresearch import results
from pkoresearch.figures import formatting

CODES = re.compile(
    r"\byear[ _]c\b|\b(?:level|slope|counting)[ _](?:19|20)\d\d\b|\(no month\)|Leave one out",
    re.IGNORECASE,
)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))


def _shown(path) -> list[str]:
    """Every text a notebook's outputs show (stdout, plain-text and HTML results), not its code."""
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            for kind in ("text/plain", "text/html", "text/markdown"):
                out.append(o.get("data", {}).get(kind, ""))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_show_no_code_names(path):
    found = sorted({m.group(0) for text in _shown(path) for m in CODES.finditer(text)})
    assert found == [], f"{path.name} shows code names on the page: {found}"


def test_the_scan_finds_what_it_looks_for():
    """The pattern catches each spelling the issue saw, and not the words that replaced them."""
    for bad in ("year c", "year_c", "level 2016", "slope_2016", "counting_2008",
                "2018 (no month)", "Leave one out not estimable"):  # fmt: skip
        assert CODES.search(bad), bad
    for good in ("yearly change (trend)", "level change from 2016", "change in yearly trend "
                 "after 2016", "2018 (month not recorded)", "Leave-one-out not estimable"):  # fmt: skip
        assert not CODES.search(good), good


def test_model_terms_in_words():
    assert results.term_label("year_c") == "yearly change (trend)"
    assert results.term_label("level_2016") == "level change from 2016"
    assert results.term_label("slope_2016") == "change in yearly trend after 2016"
    assert results.term_label("counting_2016") == "counting change from 2016"
    assert formatting.humanize("leave_one_out_not_estimable") == "Leave-one-out not estimable"
    assert formatting.key_label("level_2016") == "level change from 2016"
