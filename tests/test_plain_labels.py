"""Labels on a page are words, not code names (issue 26, item 2): the committed notebooks'
outputs (what results.html and nbval show) carry no model-term codes (``year_c``, ``level_2016``,
``slope_2016``, ``counting_2016``, or their "year c" / "level 2016" spellings), no "(no month)"
and no "Leave one out" name; the report renders results.json keys in words. Nor do they show the
package's snake_case column names or category codes (``ci_low``, ``formed_police_units``): the
notebooks show their tables through :func:`pkoresearch.figures.tables.for_display`."""

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


# --------------------------------------------------------------------------------------------------
# snake_case names on a page: every token of the shown text (not the HTML markup) in lower-case
# words joined by underscores, unless it is part of a file name, a path or a URL
SNAKE = re.compile(r"(?<![\w./\\:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/\\-]|\.[a-z]{2,5}\b)")
# tokens that legitimately appear, besides the names derived below (dataset names, registry file
# names, source ids, the notebook's own parameter names): keep this short
ALLOWED: set[str] = set()


def _allowed(path) -> set[str]:
    """What a page may show in snake_case: names a researcher types. The bundled datasets' names
    (``pko.load("allegations_by_mission")``), the registry's file names (``un_allegations``), the
    citation keys of data/sources.csv (printed in the sources list) and the notebook's parameter
    names (printed where a cell says which file a parameter chose)."""
    import pandas as pd

    from pkoresearch.data import curated, registry

    nb = nbformat.read(path, as_version=4)
    params = next(
        (c.source for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), ""
    )
    sources = pd.read_csv(ROOT / "data" / "sources.csv", usecols=["source_id"], dtype=str)
    return (
        set(curated.SPECS)
        | set(registry.names())
        | set(sources["source_id"].dropna())
        | set(re.findall(r"^(\w+)\s*(?::[^=]*)?=", params, re.MULTILINE))
        | ALLOWED
    )


def _visible(html: str) -> str:
    """The text an HTML output shows: no tags, attributes, styles or scripts (great_tables' class
    names and table ids are markup, not words on the page)."""
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("style", "script")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("style", "script")

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def snake_case_shown(path, allowed: set[str]) -> dict[int, list[str]]:
    """Cell number -> the snake_case tokens its outputs show (stdout, plain text, the visible
    text of HTML, markdown) that are not in ``allowed``."""
    nb = nbformat.read(path, as_version=4)
    found: dict[int, list[str]] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        texts = []
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            texts += [o.get("text", ""), data.get("text/plain", ""), data.get("text/markdown", "")]
            texts.append(_visible(data.get("text/html", "")))
        tokens = sorted({t for text in texts for t in SNAKE.findall(text)} - allowed)
        if tokens:
            found[i] = tokens
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_show_no_snake_case_names(path):
    nb = nbformat.read(path, as_version=4)
    assert any(c.get("outputs") for c in nb.cells), f"{path.name} has no stored outputs to scan"
    found = snake_case_shown(path, _allowed(path))
    assert found == {}, f"{path.name} shows snake_case names (cell: tokens): {found}"


def _synthetic_notebook(tmp_path, frame, text: str = ""):
    """A notebook with one code cell whose outputs are ``frame`` as Jupyter stores a displayed
    DataFrame (text/plain and text/html), and ``text`` printed."""
    cell = nbformat.v4.new_code_cell("frame")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=text),
        nbformat.v4.new_output(
            "execute_result",
            data={"text/plain": repr(frame), "text/html": frame._repr_html_()},
            execution_count=1,
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    path = tmp_path / "planted.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_snake_case_scan_fails_on_a_planted_header(tmp_path):
    import pandas as pd

    from pkoresearch.figures import tables

    frame = pd.DataFrame(
        {"year": [2015, 2016], "person_years": [1200.0, 900.0], "ci_low": [0.1, 0.2],
         "category": ["formed_police_units", "military"]}
    )  # fmt: skip
    planted = _synthetic_notebook(tmp_path, frame)
    assert snake_case_shown(planted, set()) == {
        0: ["ci_low", "formed_police_units", "person_years"]
    }
    # only the header planted: found in the plain text and in the HTML's visible text alike
    header_only = frame.rename(columns={"category": "Category"}).assign(Category="military")
    assert snake_case_shown(_synthetic_notebook(tmp_path, header_only[["ci_low"]]), set()) == {
        0: ["ci_low"]
    }
    shown = _synthetic_notebook(tmp_path, tables.for_display(frame))
    assert snake_case_shown(shown, set()) == {}
    # a code in printed text is found; file names, paths and allowed names are not
    printed = _synthetic_notebook(
        tmp_path,
        tables.for_display(frame),
        "chose un_allegations from data/share_by_year.csv; staff_officers_experts 18%",
    )
    assert snake_case_shown(printed, set()) == {0: ["staff_officers_experts", "un_allegations"]}
    assert snake_case_shown(printed, {"un_allegations"}) == {0: ["staff_officers_experts"]}


def test_html_markup_is_not_scanned():
    html = '<style>.gt_col_heading {}</style><table id="pko-yearly_counts"><th class="gt_row">Year</th></table>'
    assert _visible(html).split() == ["Year"]


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


# --------------------------------------------------------------------------------------------------
# tables.for_display: what a notebook shows of a DataFrame, in words


def _frame():
    import pandas as pd

    return pd.DataFrame(
        {
            "category": ["formed_police_units", "staff_officers_experts", "level_2016"],
            "person_years": [1200, 35, 7],
            "ci_low": [0.125, 0.5, None],
            "p_value": [0.0004, 0.25, 1.0],
            "dataset": ["allegations_by_mission"] * 3,
            "note": ["a sentence, kept", "UN OIOS", "rests_on_nothing"],
        }
    )


def test_for_display_headers_in_words():
    from pkoresearch.figures import tables

    shown = tables.for_display(_frame())
    assert list(shown.columns) == [
        "Category", "Person-years", "95% CI, low", "p-value", "Dataset", "Note",
    ]  # fmt: skip
    assert tables.for_display(_frame(), ci="90%").columns[2] == "90% CI, low"
    assert tables.for_display(_frame(), labels={"note": "Remark"}).columns[-1] == "Remark"
    # an unknown snake_case name falls back to words, never to the code
    assert tables.header("some_new_column") == "Some new column"
    assert tables.header("year_c") == "Yearly change (trend)"


def test_for_display_category_cells_in_words_identifiers_kept():
    from pkoresearch.figures import tables

    shown = tables.for_display(_frame())
    assert list(shown["Category"]) == [
        "formed police units", "staff officers and military experts", "level change from 2016",
    ]  # fmt: skip
    assert list(shown["Dataset"]) == ["allegations_by_mission"] * 3  # a name a researcher types
    assert list(shown["Note"]) == ["a sentence, kept", "UN OIOS", "rests on nothing"]
    # the definition's words where a figure's legend has them
    assert tables.category("experts_on_mission").startswith("military experts on mission")


def test_for_display_leaves_numbers_and_input_alone():
    import pandas as pd

    from pkoresearch.figures import tables

    frame = _frame()
    before = frame.copy(deep=True)
    shown = tables.for_display(frame)
    pd.testing.assert_frame_equal(frame, before)  # the code's frame keeps its code names
    for code, words in [("person_years", "Person-years"), ("ci_low", "95% CI, low"),
                        ("p_value", "p-value")]:  # fmt: skip
        pd.testing.assert_series_equal(shown[words], frame[code], check_names=False)
        assert shown[words].dtype == frame[code].dtype


def test_for_display_row_labels_in_words():
    import pandas as pd

    from pkoresearch.figures import tables

    terms = pd.DataFrame({"irr": [1.5, 0.8]}, index=pd.Index(["year_c", "level_2016"], name="term"))
    shown = tables.for_display(terms)
    assert list(shown.index) == ["yearly change (trend)", "level change from 2016"]
    assert shown.index.name == "Term" and list(shown.columns) == ["Incidence rate ratio"]
    two = _frame().set_index(["category", "dataset"])[["ci_low"]]
    shown = tables.for_display(two)
    assert shown.index.names == ["Category", "Dataset"]
    assert shown.index[0] == ("formed police units", "allegations_by_mission")
    cats = _frame().astype({"category": "category"})
    assert tables.for_display(cats)["Category"].iloc[0] == "formed police units"


def test_for_display_rejects_what_is_not_a_table():
    from pkoresearch.errors import ParameterError
    from pkoresearch.figures import tables

    with pytest.raises(ParameterError, match="expected a pandas DataFrame"):
        tables.for_display([1, 2])
    with pytest.raises(ParameterError, match="found columns \\['nope'\\]"):
        tables.for_display(_frame(), labels={"nope": "x"})


def test_one_column_per_category_reads_in_the_categorys_words():
    from pkoresearch.figures import tables

    assert tables.header("troops_with_staff_officers") == "Troops, staff officers included"
    assert tables.header("formed_police_units") == "Formed police units"
    assert tables.header("share_pct") == "Women, % of personnel"  # the figures' words


def test_save_table_titles_use_the_same_words(tmp_path):
    from pkoresearch.figures import tables

    saved = tables.save_table(_frame(), tmp_path / "t", title="A table", source="made up")
    head = saved.text.splitlines()[1]
    assert "Person-years" in head and "95% CI, low" in head and "p-value" in head
    assert "ci_low" not in saved.text and "Ci low" not in saved.text
