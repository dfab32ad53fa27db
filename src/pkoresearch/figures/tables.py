"""Tables for a paper: a DataFrame saved as CSV, LaTeX and HTML, formatted as journals print them.

:func:`save_table` writes ``<name>.csv`` (the numbers as they are, for other software),
``<name>.tex`` and ``<name>.html`` (formatted with `great_tables <https://posit-dev.github.io/great-tables/>`_:
thousands separators, counts without decimals, a fixed number of decimals elsewhere, missing
values as a dash, column titles in words, a title and a source note), and returns a
:class:`SavedTable` that a notebook displays as the HTML table. No index column is written (a
named index becomes an ordinary first column) and no text is cut short.

Example::

    from pkoresearch.figures import tables
    tables.save_table(counts, out / "tables" / "yearly_counts", title="Allegations by year",
                      source="UN, Conduct in UN Field Missions", labels={"year": "Year"})
"""

from __future__ import annotations

import html as _html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkoresearch.errors import ParameterError

FORMATS = ("csv", "tex", "html")
MISSING = "–"  # how a missing value is shown in the LaTeX and HTML tables (an en dash)


@dataclass(repr=False)
class SavedTable:
    """A table written by :func:`save_table`: its files by format, and its HTML for display. Its
    plain-text form (what a notebook stores beside the HTML, and nbval compares) is the title,
    the formatted rows and the source note, with no path: the same on every machine."""

    title: str
    files: dict[str, Path]
    html: str
    text: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text or self.title


def _plain_frame(frame) -> Any:
    """``frame`` without its index: row labels (a named index, a MultiIndex, an index of
    labels) become ordinary columns; the default 0, 1, 2 ... index is dropped."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"tables.save_table: found {type(frame).__name__}; expected a pandas DataFrame"
        )
    default = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    if default:
        out = frame.reset_index(drop=True)
    else:  # row labels (e.g. a regression table's terms) are kept, as an ordinary first column
        names = [
            n if n is not None else ("" if frame.index.nlevels == 1 else f"level {i}")
            for i, n in enumerate(frame.index.names)
        ]
        out = frame.rename_axis(names).reset_index()
    out.columns = [str(c) if not isinstance(c, tuple) else " ".join(map(str, c)) for c in out]
    return out


def _is_count(series) -> bool:
    """An integer column, or a float column whose every value is whole (counts that became
    floats through a missing value or a merge): printed without decimals."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_integer_dtype(series):
        return True
    if pd.api.types.is_float_dtype(series):
        values = series.dropna().astype(float)
        return len(values) > 0 and bool(((values % 1) == 0).all())
    return False


def _typed(frame, decimals: Mapping[str, int]) -> Any:
    """Counts as nullable integers (so that the CSV says 91712, not 91712.0), other columns as
    they are."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if (
            col not in decimals
            and _is_count(out[col])
            and not pd.api.types.is_integer_dtype(out[col])
        ):
            out[col] = out[col].astype("Int64")
    return out


def _is_p_value(name: str) -> bool:
    n = name.lower().replace("-", "_").replace(" ", "_")
    return n in ("p", "p_value", "pvalue") or n.endswith("_p_value")


def _p_text(x: Any) -> str:
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    return "<0.001" if float(x) < 0.001 else f"{float(x):.3f}"


def _label(name: str) -> str:
    return header(name)


# --------------------------------------------------------------------------------------------------
# plain words for a table shown on a page (issue 26): headers and category codes

# column name -> header in words, units where they apply ("{ci}" is the interval's level). Names
# not here: the figures' words (plots.LABELS), then a model term's words (results.term_label),
# then the name with spaces for underscores.
HEADERS = {
    "ci_low": "{ci} CI, low",
    "ci_high": "{ci} CI, high",
    "ci_low_pending_as_not": "{ci} CI, low (pending counted as no reply)",
    "ci_high_pending_as_not": "{ci} CI, high (pending counted as no reply)",
    "rate_pending_as_not": "Rate (pending counted as no reply)",
    "p_value": "p-value",
    "boot_p_value": "Bootstrap p-value",
    "bootstrap_p_value": "Bootstrap p-value",
    "odds_ratio": "Odds ratio",
    "rate_ratio": "Rate ratio",
    "person_years": "Person-years",
    "personnel_months": "Personnel-months",
    "contingent_years": "Contingent-years",
    "mission_years": "Mission-years",
    "months_covered": "Months covered (of 12)",
    "fell_back": "No incident year, counted by report year",
    "complete": "Whole year covered",
    "same_year": "Same year",
    "one_year_before": "One year before",
    "two_or_more_years_before": "Two or more years before",
    "no_incident_year": "No incident year",
    "with_child": "With a child victim",
    "with_incident_year": "With an incident year",
    "table_complete": "Table complete",
    "table_minus_first": "Table minus first published",
    "table_minus_latest": "Table minus latest",
    "denominator_complete": "Personnel count complete",
    "share_pct": "Women, % of personnel",
    "share_reported": "Share reported",
    "share_high": "High confidence, share of rows",
    "share_medium": "Medium confidence, share of rows",
    "share_low": "Low confidence, share of rows",
    "share_two_or_more": "Two or more years before, share",
    "median_lag_years": "Median lag (years)",
    "share_lag_over_1_year": "Lag over 1 year, share",
    "km_median": "Kaplan-Meier median",
    "naive_median_completed": "Median of completed cases",
    "first_year": "First year",
    "last_year": "Last year",
    "years_with_data": "Years with data",
    "preferred_rows": "Preferred rows",
    "first_value": "First published value",
    "first_document": "First published in",
    "first_date": "First published on",
    "first_known_value": "Earliest known value",
    "latest_value": "Latest value",
    "latest_document": "Latest published in",
    "latest_date": "Latest published on",
    "preferred_value": "Value used",
    "source_id": "Source",
    "nationality_iso3": "Contributor (ISO 3166 code)",
    "iso3": "ISO 3166 code",
    "status": "Status",
    "flag_implausible": "Flagged implausible",
    "mad": "Median absolute deviation",
    "reporting_year": "Reporting year",
    "incident_year": "Incident year",
    "count_by": "Counted by",
    "counted_by": "Counted by",
    "allegation_id": "Allegation number",
}

# category code in a cell -> words. Personnel categories not here take the definitions' legend
# words (plots.DEFINITION_LABELS), then the figures' words (plots.LABELS), then a model term's
# words, then the code with spaces for underscores.
CATEGORIES = {
    "all_uniformed": "all uniformed personnel",
    "military_contingents": "military contingents",
    "staff_officers_experts": "staff officers and military experts",
    "formed_police_units": "formed police units",
    "individual_police": "individual police",
    "reporting_year": "year of report",
    "incident_year": "year of incident",
    "no_incident_year": "incident year not given",
    "not_applicable": "not applicable",
    # allegations scopes (pkoresearch.data.curated.SCOPES; data/README.md) and the headline measure
    "peacekeeping_and_spm": "peacekeeping and special political missions",
    "special_political": "special political missions",
    "un_system_total": "UN system, total",
    "un_system_non_peacekeeping": "UN system outside peacekeeping",
    "un_system_non_peacekeeping_incl_ip": "UN system outside peacekeeping, implementing partners "
    "included",
    "implementing_partners": "implementing partners",
    "non_un_forces": "non-UN forces",
    "all_reported_incl_ip": "all reported, implementing partners included",
    "all_reported_incl_non_un_forces": "all reported, non-UN forces included",
    "allegations_total": "allegations, total",
    # the 2011 report's organization figures (pkoresearch.analysis.overview.organization_figures)
    "uniformed_personnel_covered_by_sea_policy_approx": "uniformed personnel covered by the "
    "policy on sexual exploitation and abuse (about)",
    "troops_approx_more_than": "troops (more than)",
    "women_deployed_2010": "women deployed in 2010",
    # source types (data/sources.csv)
    "un_document": "UN document",
    "un_data": "UN data",
    "un_news": "UN News",
    "government_report": "government report",
    "ngo_report": "NGO report",
    "press_agency": "press agency",
    "web_mirror": "copy on another website",
}

# columns whose cells are identifiers a researcher types (dataset names, source ids): kept
KEEP = ("dataset", "source_id", "sources", "allegation_id")

_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def header(name: Any, ci: str = "95%") -> str:
    """A column name as a table's header: :data:`HEADERS`, the figures' words
    (``plots.LABELS``), a category code's words (:func:`category`, for a
    table with one column per category), a model term in words
    (:func:`pkoresearch.results.term_label`), else the name with spaces for underscores
    (:func:`~pkoresearch.figures.formatting.humanize`); first letter capitalised.

    >>> header("ci_low"), header("person_years"), header("p_value")
    ('95% CI, low', 'Person-years', 'p-value')
    """
    from pkoresearch.figures.formatting import humanize
    from pkoresearch.figures.plots import LABELS
    from pkoresearch.results import term_label

    text = str(name)
    if text in HEADERS:
        return HEADERS[text].format(ci=ci)
    if text in LABELS:
        words = LABELS[text]
    elif category(text) != text:  # a category code as a column (one column per category)
        words = category(text)
    elif term_label(text) != text.replace("_", " ").strip():  # a model term
        words = term_label(text)
    else:
        words = humanize(text)
    return words[:1].upper() + words[1:]


def category(value: Any) -> Any:
    """A category code in a cell in words (``formed_police_units`` "formed police units",
    ``level_2016`` "level change from 2016"); anything that is not a code (a number, a sentence,
    a word without underscores) as it is."""
    from pkoresearch.figures.plots import DEFINITION_LABELS, LABELS
    from pkoresearch.results import term_label

    if not isinstance(value, str):
        return value
    if value in CATEGORIES:
        return CATEGORIES[value]
    if value in DEFINITION_LABELS:
        return DEFINITION_LABELS[value]
    if not _CODE.fullmatch(value):
        return value
    return LABELS.get(value) or term_label(value)


def for_display(frame, *, labels: Mapping[str, str] | None = None, ci: str = "95%") -> Any:
    """``frame`` as a notebook shows it: column headers and index names in words
    (:func:`header`, or ``labels``: column -> words), category codes in text cells and in the
    row labels in words (:func:`category`; cells of identifier columns, :data:`KEEP`, as they
    are). Numbers are untouched and ``frame`` is not modified: the DataFrame in the code keeps
    its code names. ``ci``: the confidence level the ``ci_low``/``ci_high`` headers name.

    Example: ``tables.for_display(rates[["year", "rate", "ci_low", "ci_high"]])``
    """
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"tables.for_display: found {type(frame).__name__}; expected a pandas DataFrame"
        )
    labels = dict(labels or {})
    unknown = [c for c in labels if c not in frame.columns and c not in frame.index.names]
    if unknown:
        raise ParameterError(
            f"tables.for_display: labels: found columns {unknown!r}; expected columns of the "
            f"table: {[str(c) for c in frame.columns]!r}"
        )

    def name(c: Any) -> Any:
        if c is None or not isinstance(c, str):
            return c
        return labels.get(c) or header(c, ci)

    def words(values, col: Any) -> Any:
        if str(col) in KEEP or pd.api.types.is_numeric_dtype(values.dtype):
            return values
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        return values.map(category)

    out = frame.copy()
    for i, col in enumerate(frame.columns):
        out.isetitem(i, words(frame.iloc[:, i], col))
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_arrays(
            [
                pd.Index(words(out.index.get_level_values(i).to_series(), n).to_numpy(), name=n)
                for i, n in enumerate(out.index.names)
            ]
        )
    elif not isinstance(out.index, pd.RangeIndex):
        out.index = pd.Index(
            words(out.index.to_series(), out.index.name).to_numpy(), name=out.index.name
        )
    out.index.names = [name(n) for n in out.index.names]
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(name(c) for c in t) for t in out.columns], names=out.columns.names
        )
    else:
        out.columns = [name(c) for c in out.columns]
    return out


def _escape_latex(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
    ):
        text = text.replace(a, b) if a != "\\" else text.replace(a, "\x00")
    return text.replace("\x00", r"\textbackslash{}")


def save_table(
    frame,
    path: str | os.PathLike[str],
    *,
    title: str,
    source: str | Sequence[str],
    labels: Mapping[str, str] | None = None,
    decimals: Mapping[str, int] | None = None,
    default_decimals: int = 2,
    notes: Sequence[str] = (),
) -> SavedTable:
    """Save ``frame`` as ``path.csv``, ``path.tex`` and ``path.html`` (the folder is created);
    returns the :class:`SavedTable` (shown as HTML in a notebook).

    ``title``: the table's title (say the selection: years, missions, categories). ``source``:
    the source note (a sentence, or several joined with "; "), required. ``labels``: column ->
    title in words (other columns: the name with underscores as spaces, e.g. "ci low" -> "Ci
    low"; give words for those). ``decimals``: column -> decimals for non-count numbers (default
    ``default_decimals``); counts (integer columns, or float columns of whole numbers) get none;
    p-values (a column named ``p_value`` or ``*_p_value``) three decimals, "<0.001" below that.
    Thousands are separated by commas in the LaTeX and HTML files; the CSV keeps plain numbers
    (no separators, empty for missing) so other software reads them back exactly.

    Example: ``save_table(rates, out / "tables" / "rates", title="Allegations per 1,000
    personnel, 2010-2021", source="UN A/70/729 and later reports", decimals={"rate": 2})``
    """
    import pandas as pd
    from great_tables import GT

    if not title or not isinstance(title, str):
        raise ParameterError(f"tables.save_table: title: found {title!r}; expected a sentence")
    note = source if isinstance(source, str) else "; ".join(str(s) for s in source)
    if not note:
        raise ParameterError(
            "tables.save_table: source: found an empty source note; expected the data's source"
        )
    decimals = dict(decimals or {})
    data = _typed(_plain_frame(frame), decimals)
    unknown = [c for c in [*(labels or {}), *decimals] if c not in data.columns]
    if unknown:
        raise ParameterError(
            f"tables.save_table: found columns {unknown!r} in labels/decimals; expected "
            f"columns of the table: {list(data.columns)!r}"
        )
    names = {c: (labels or {}).get(c) or _label(c) for c in data.columns}

    base = Path(path)
    if base.suffix in (".csv", ".tex", ".html"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    files = {fmt: base.with_name(base.name + "." + fmt) for fmt in FORMATS}
    data.to_csv(files["csv"], index=False, encoding="utf-8", lineterminator="\n")

    counts = [c for c in data.columns if pd.api.types.is_integer_dtype(data[c])]
    floats = [
        c
        for c in data.columns
        if c not in counts
        and pd.api.types.is_numeric_dtype(data[c])
        and not pd.api.types.is_bool_dtype(data[c])
    ]
    # years are labels, not quantities: no thousands separator
    years = [
        c for c in counts if c.lower() in ("year", "report_year") or c.lower().endswith("_year")
    ]
    # a fixed id (great_tables draws a random one): the same table gives the same HTML
    table_id = "pko-" + re.sub(r"[^A-Za-z0-9_-]", "-", base.name)
    gt = (
        GT(data, id=table_id).tab_header(title=title).tab_source_note(source_note=f"Source: {note}")
    )
    for text in notes:
        gt = gt.tab_source_note(source_note=text)
    gt = gt.cols_label(**names)
    plain_counts = [c for c in counts if c not in years]
    if plain_counts:
        gt = gt.fmt_integer(columns=plain_counts, sep_mark=",")
    if years:
        gt = gt.fmt_integer(columns=years, use_seps=False)
    for col in floats:
        if _is_p_value(col):  # a p-value below 0.001 reads "<0.001", never "0.000"
            gt = gt.fmt(columns=col, fns=_p_text)
            continue
        gt = gt.fmt_number(columns=col, decimals=decimals.get(col, default_decimals), sep_mark=",")
    gt = gt.sub_missing(missing_text=MISSING)
    page = gt.as_raw_html(inline_css=False)
    files["html"].write_text(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_html.escape(title)}</title></head><body>\n{page}\n</body></html>\n",
        encoding="utf-8",
    )
    files["tex"].write_text(_latex(gt, data, names, title), encoding="utf-8")
    return SavedTable(title, files, page, _text(page, names, title, note, notes, data))


def _text(page: str, names: Mapping[str, str], title: str, note: str, notes, data) -> str:
    """The table as plain text: title, the formatted cells (as in the HTML), the source note."""
    import pandas as pd

    from pkoresearch.figures.formatting import text_table

    rows = _html_rows(page)
    right = [
        i
        for i, c in enumerate(data.columns)
        if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
    ]
    text_cols = [i for i in range(len(data.columns)) if i not in right]
    body = text_table(
        rows,
        list(names.values()),
        width=100,
        wrap=text_cols[-1] if text_cols else None,
        right=right,
    )
    return "\n".join([title, body, f"Source: {note}", *notes])


def _latex(gt, data, names: Mapping[str, str], title: str) -> str:
    """The table as LaTeX (booktabs): great_tables' own output, which carries the formatting,
    title and source note."""
    try:
        # "<" is not a text character in LaTeX's default font encoding
        return gt.as_latex().replace("<0.001", "$<$0.001") + "\n"
    except Exception as exc:  # noqa: BLE001 - say which table could not be written
        raise ParameterError(
            f"tables.save_table: {title!r}: great_tables could not write LaTeX ({exc})"
        ) from None


def read_latex(path: str | os.PathLike[str]) -> list[list[str]]:
    """The body rows of a table written by :func:`save_table` as LaTeX, each a list of cell
    texts (LaTeX escapes undone, thousands separators kept): for checking a table against its
    data."""
    text = Path(path).read_text(encoding="utf-8")
    body = text.split("\\midrule", 1)[1].split("\\bottomrule", 1)[0]
    rows = []
    for line in body.split("\\\\"):
        line = re.sub(r"^\\addlinespace(\[[^\]]*\])?", "", line.strip()).strip()
        if not line or line.startswith("\\"):
            continue
        cells = [c.strip() for c in line.split("&")]
        rows.append([_unescape_latex(c) for c in cells])
    return rows


def _unescape_latex(text: str) -> str:
    for a, b in (
        (r"\textbackslash{}", "\\"),
        (r"\&", "&"),
        (r"\%", "%"),
        (r"\$", "$"),
        (r"\#", "#"),
        (r"\_", "_"),
        (r"\{", "{"),
        (r"\}", "}"),
        ("{-}", "-"),
        ("$<$", "<"),
        ("--", "–"),
    ):
        text = text.replace(a, b)
    return text.strip()


def read_html(path: str | os.PathLike[str]) -> list[list[str]]:
    """The body rows of a table written by :func:`save_table` as HTML, each a list of cell texts
    (as shown: thousands separators kept): for checking a table against its data."""
    return _html_rows(Path(path).read_text(encoding="utf-8"))


def _html_rows(page: str) -> list[list[str]]:
    from html.parser import HTMLParser

    class _Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None
            self.body = False

        def handle_starttag(self, tag, attrs):
            if tag == "tbody":
                self.body = True
            elif self.body and tag == "tr":
                self.rows.append([])
            elif self.body and tag in ("td", "th") and "gt_row" in (dict(attrs).get("class") or ""):
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "tbody":
                self.body = False
            elif tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append("".join(self.cell).strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = _Rows()
    parser.feed(page)
    return [r for r in parser.rows if r]
