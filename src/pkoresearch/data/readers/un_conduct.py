"""Reader for the UN Conduct in UN Field Missions "table of allegations" export.

The export (xlsx with one sheet ``Export``, or the same columns saved as CSV) has one row per
allegation reported against personnel of UN peacekeeping and special political missions, from 2015.
Several columns hold one value per line ("Child (2)\\n\\nAdult (4)"), with counts in parentheses.

``read_table_of_allegations(path)`` returns an :class:`AllegationTable`: one row per allegation with
typed columns, and tidy child tables for every multi-valued cell (personnel, victims, allegation
types, investigations, results, actions), keyed by ``allegation_id``. Nothing is dropped: a value the
reader does not recognise is kept raw, listed in ``table.unrecognised`` and reported in one
:class:`~pkoresearch.errors.UnrecognisedValuesWarning`. What cannot be read at all (a reporting date
or a count that is not a number) raises :class:`~pkoresearch.errors.DataError` naming the cell.

>>> t = read_table_of_allegations("UN_conduct_table_of_allegations_2024-07.xlsx")  # doctest: +SKIP
>>> t.allegations.groupby("report_year").size().loc[2015]                            # doctest: +SKIP
69
"""

from __future__ import annotations

import calendar
import functools
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from pkoresearch.data import countries
from pkoresearch.data.coverage import Coverage
from pkoresearch.data.readers._checks import (
    MAX_PERSONS,
    check_file,
    is_aggregate,
    iter_csv_text,
    release_free_memory,
    unify_spellings,
    warn_name_variants,
)
from pkoresearch.errors import (
    AggregateRowsWarning,
    DataError,
    DuplicateRowsWarning,
    MissingValuesWarning,
    ParameterError,
    Problem,
    SchemaMismatch,
    UnrecognisedValuesWarning,
)

SHEET = "Export"
COLUMNS = [
    "Date",
    "Mission",
    "Date of incident",
    "Personnel Type",
    "Nationality",
    "Victim",
    "Allegation",
    "Paternity claim",
    "Paternity established",
    "NIO appointed",
    "Investigation (days)",
    "Result",
    "Interim Action",
    "Final Action",
    "Referral for criminal accountability",
]

PERSONNEL_CATEGORIES = ["military", "police", "civilian"]
KNOWN_SUBTYPES = {
    "military": {"MC", "MO", "Staff Officer"},
    "police": {"UNPOL", "FPU", "GPP"},
    "civilian": {
        "INT",
        "NS",
        "UNV",
        "Contractor",
        "Vendor Employee",
        "(Legacy) Daily Casual Workers",
    },
}
VICTIM_GROUPS = ["adult", "child", "unknown"]
ALLEGATION_KINDS = {"SE": "sexual_exploitation", "SA": "sexual_abuse"}
NIO_VALUES = {
    "Yes": "yes",
    "No (no response)": "no_response",
    "No (declined)": "declined",
    "Pending": "pending",
    "N/A": "not_applicable",
}
NIO_CATEGORIES = ["yes", "no_response", "declined", "pending", "not_applicable"]
INVESTIGATING_ENTITIES = {
    "UN OIOS": "un_oios",
    "TCC": "tcc",
    "TCC/OIOS": "tcc_oios_joint",
    "UN Mission": "un_mission",
    "UN Review": "un_review",
    "PCC": "pcc",
    "Non-UN": "non_un",
    "Host State": "host_state",
    "For Information": "for_information",
    "Pending": "not_yet_assigned",
}
RESULTS = {
    "Substantiated": "substantiated",
    "Unsubstantiated": "unsubstantiated",
    "Pending": "pending",
    "Incomplete": "incomplete",
    "N/A": "not_applicable",
}
# one allegation's overall result, from its result lines: the first that applies
RESULT_ORDER = ["substantiated", "pending", "unsubstantiated", "incomplete", "not_applicable"]
YES_NO = {"Yes": True, "No": False}
FIRST_REPORT_YEAR = 2007  # the UN misconduct tracking system's earliest entries
TRI_STATE = {"Yes": "yes", "No": "no", "Pending": "pending", "N/A": "not_applicable"}
# the two ways of placing an allegation in a year (AllegationTable.counting_years)
COUNT_BY = {
    "reporting_year": "the year the UN recorded the allegation",
    "incident_year": "the year the incident began (the reporting year where the export gives none)",
}

# what read_table_of_allegations does with rows identical to another row
REPEATED_ROWS = {
    "auto": "keep every row, except copies by the signature of a paste (left out, warned)",
    "keep": "keep every row, pasted copies included (warned)",
    "drop": "leave out every row identical to an earlier one (each distinct row once)",
    "raise": "refuse a file with a pasted copy",
}

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}


@dataclass
class AllegationTable:
    """The parsed export: ``allegations`` (one row each) and its tidy child tables."""

    allegations: pd.DataFrame
    personnel: pd.DataFrame
    victims: pd.DataFrame
    allegation_types: pd.DataFrame
    investigations: pd.DataFrame
    results: pd.DataFrame
    actions: pd.DataFrame
    unrecognised: pd.DataFrame
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    nationalities: pd.DataFrame | None = None  # allegation_id, nationality, iso3 (one per line)
    # the export's first and last reporting months, fixed when the file is read so that a subset
    # (trends.select) keeps the export's coverage instead of the span of its own rows
    export_span: tuple[pd.Timestamp, pd.Timestamp] | None = None
    # rows identical to an earlier row: source_row, same_as_row, kind ("identical": kept as
    # separate allegations, as the UN lists them; "pasted": a copy by the signature of a paste,
    # left out by default); see read_table_of_allegations
    identical_rows: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name."""
        out = {
            "allegations": self.allegations,
            "personnel": self.personnel,
            "victims": self.victims,
            "allegation_types": self.allegation_types,
            "investigations": self.investigations,
            "results": self.results,
            "actions": self.actions,
            "unrecognised": self.unrecognised,
        }
        if self.nationalities is not None:
            out["nationalities"] = self.nationalities
        return out

    def _span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        if self.export_span is not None:
            return self.export_span
        d = self.allegations["report_date"]
        return d.min(), d.max()

    @property
    def as_of(self) -> pd.Timestamp:
        """The export's latest reporting month (start of that month); the same for every subset
        made by ``trends.select``."""
        return pd.Timestamp(self._span()[1]).to_period("M").to_timestamp()

    @property
    def coverage(self) -> Coverage:
        """The reporting months the export covers: its first to its last reporting month (kept
        by subsets). Counts outside are missing, not 0; a year ending before December is partial
        (the last month itself may be incomplete: the export was taken during it)."""
        first, last = self._span()
        return Coverage.between(f"UN table of allegations ({self.path.name})", first, last)

    def counting_years(self, count_by: str = "reporting_year") -> pd.DataFrame:
        """The year each allegation is counted in: ``allegation_id, year, fell_back``.

        ``count_by="reporting_year"``: the year the UN recorded the allegation (``report_year``;
        ``fell_back`` is always False). ``count_by="incident_year"``: the year the incident began
        ("Date of incident", its first part); where the export gives no start year ("Unknown",
        "Unspecified", blank) the reporting year is used and ``fell_back`` is True, so that the
        number counted that way can be said. Incident-year counts of a year are complete only once
        every allegation about it has been reported: early years lack incidents reported before
        the export's first month, recent years incidents not yet reported.
        Example: ``t.counting_years("incident_year").groupby("year").size()``
        """
        if count_by not in COUNT_BY:
            raise ParameterError(f"count_by: found {count_by!r}; expected one of {list(COUNT_BY)}")
        a = self.allegations
        reported = a["report_year"].astype("Int64")
        if count_by == "reporting_year":
            year, fell_back = reported, pd.Series(False, index=a.index)
        else:
            start = a["incident_start_year"].astype("Int64")
            fell_back = start.isna()
            year = start.fillna(reported)
        out = pd.DataFrame(
            {
                "allegation_id": a["allegation_id"].to_numpy(),
                "year": year.astype(int).to_numpy(),
                "fell_back": fell_back.astype(bool).to_numpy(),
            }
        )
        return out

    def unresolved_nationalities(self) -> list[str]:
        """Nationalities in the export that do not resolve to an ISO 3166 alpha-3 code (e.g.
        "Unknown"); their allegations are kept, under the name as written."""
        n = self.nationalities
        if n is None:
            return []
        return sorted(set(n.loc[n["iso3"].isna(), "nationality"].astype(str)))


# --------------------------------------------------------------------------------------------------
# reading the file


EXPECTED = f"a header with the columns {COLUMNS}"
FILLED_FROM_MERGED = ("Date", "Mission")  # a merged cell's value applies to every row it spans


def _read_xlsx(path: Path, sheet: str, merged_fills: list[dict]) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises several types for a non-workbook
        raise DataError(
            Problem(
                str(path), None, None, f"a file openpyxl cannot open ({exc})", "an .xlsx workbook"
            )
        ) from None
    with book:
        if sheet not in book.sheet_names:
            raise SchemaMismatch(
                Problem(
                    str(path),
                    None,
                    None,
                    f"the sheet(s) {book.sheet_names}",
                    f"a sheet named {sheet!r} (the UN export's sheet)",
                )
            )
        df = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False, na_values=[])
    df.columns = [str(c).strip() for c in df.columns]
    _require_columns(df.columns, path)
    df = df[COLUMNS].map(lambda v: v if isinstance(v, str) else "" if v is None else str(v))
    df.index = pd.RangeIndex(2, 2 + len(df), name="source_row")  # spreadsheet rows
    blank = {c: df[c].str.strip() == "" for c in FILLED_FROM_MERGED}
    if any(b.any() for b in blank.values()):
        _fill_merged(path, sheet, df, blank, merged_fills)
    return df


def _fill_merged(
    path: Path, sheet: str, df: pd.DataFrame, blank: dict[str, pd.Series], merged_fills: list[dict]
) -> None:
    """Give the blank cells a merged range of the sheet spans (in the Date and Mission columns)
    the value of the range's first cell, as the spreadsheet shows them; list each one filled."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    try:
        ws = wb[sheet]
        header = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
        for column in FILLED_FROM_MERGED:
            j = header.index(column) + 1
            for rng in ws.merged_cells.ranges:
                if not (rng.min_col <= j <= rng.max_col) or rng.max_row == rng.min_row:
                    continue
                top = ws.cell(rng.min_row, rng.min_col).value
                value = "" if top is None else str(top)
                for r in range(rng.min_row + 1, rng.max_row + 1):
                    if r in df.index and blank[column].get(r, False) and value.strip():
                        df.at[r, column] = value
                        merged_fills.append(
                            {
                                "source_row": r,
                                "column": column,
                                "value": value,
                                "from_row": rng.min_row,
                            }
                        )
    finally:
        wb.close()


def _require_columns(columns, path: Path) -> None:
    missing = [c for c in COLUMNS if c not in list(columns)]
    if missing:
        raise SchemaMismatch(
            [
                Problem(
                    str(path),
                    1,
                    c,
                    "no such column in the header",
                    f"the UN export's columns {COLUMNS}",
                )
                for c in missing
            ],
            f"{path} is missing {len(missing)} column(s) of the UN table of allegations",
        )


def _text_chunks(path: Path, sheet: str, chunksize: int, merged_fills: list[dict]):
    """The export's rows as text cells (index: spreadsheet row, or CSV row counting the header
    as 1), in chunks for a CSV file, in one piece for a workbook."""
    suffix = path.suffix.lower()
    what = "a UN table of allegations export (.xlsx or .csv)"
    if suffix in (".xlsx", ".xlsm"):
        check_file(path, what)
        yield _read_xlsx(path, sheet, merged_fills)
    elif suffix == ".csv":
        for chunk in iter_csv_text(
            path,
            EXPECTED,
            usecols=COLUMNS,
            required=COLUMNS,
            chunksize=chunksize,
            what="the UN table of allegations",
        ):
            yield chunk[COLUMNS]
    else:
        check_file(path, what)
        raise DataError(
            Problem(
                str(path),
                None,
                None,
                f"the file type {suffix!r}",
                "a .xlsx or .csv export of the table of allegations",
            )
        )


def _interned(df: pd.DataFrame, cache: dict[str, str]) -> pd.DataFrame:
    """The same cells with every repeated text one shared object (a large export repeats most of
    its cell values: this keeps one copy of each)."""
    out = {}
    for c in df.columns:
        codes, uniques = pd.factorize(df[c].to_numpy(dtype=object))
        canon = np.array([cache.setdefault(u, u) for u in uniques], dtype=object)
        out[c] = canon[codes] if len(uniques) else df[c].to_numpy(dtype=object)
    return pd.DataFrame(out, index=df.index, columns=df.columns)


@functools.lru_cache(maxsize=65536)
def _lines(cell: str) -> tuple[str, ...]:
    """Split a multi-valued cell (values separated by blank lines) into clean values (the same
    objects for a repeated cell, so a large export keeps one copy of each line)."""
    parts = re.split(r"\n\s*\n", cell.strip())
    return tuple(
        re.sub(r"\s+", " ", p).replace("( ", "(").replace(" )", ")").strip()
        for p in parts
        if p.strip()
    )


class _Collector:
    """Gathers unrecognised values and hard problems while rows are parsed."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.unrecognised: list[dict] = []
        self.problems: list[Problem] = []

    def unknown(self, row: int, column: str, value: str, expected: str) -> None:
        self.unrecognised.append(
            {"source_row": row, "column": column, "value": value, "expected": expected}
        )

    def bad(self, row: int, column: str, value: str, expected: str) -> None:
        self.problems.append(Problem(self.path, row, column, repr(value), expected))


def _count(
    text: str | None, row: int, column: str, col: _Collector, unit: str = "persons or allegations"
) -> int | None:
    if text is None or text == "":
        return None
    if re.fullmatch(r"\d+", text.strip()) and int(text) <= MAX_PERSONS:
        return int(text)
    col.bad(
        row, column, text, f"a whole number of {unit} from 0 to {MAX_PERSONS:,} in the parentheses"
    )
    return None


# --------------------------------------------------------------------------------------------------
# one parser per column


@functools.lru_cache(maxsize=4096)
def _month_of(v: str) -> tuple[tuple[int, int] | None, str]:
    """A reporting month read from a Date cell, or None and what was expected."""
    found = None
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{4})\s*", v)
    if m and 1 <= int(m.group(1)) <= 12:
        found = int(m.group(2)), int(m.group(1))
    # an xlsx cell typed as a date arrives as "2016-01-01 00:00:00"; the day must exist, and a
    # month such as 13 or 99 is refused rather than rolled into the next year
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?\s*", v)
    if (
        found is None
        and m
        and 1 <= int(m.group(2)) <= 12
        and int(m.group(1)) >= 1
        and 1 <= int(m.group(3)) <= calendar.monthrange(int(m.group(1)), int(m.group(2)))[1]
    ):
        found = int(m.group(1)), int(m.group(2))
    if found is None:
        return None, "a reporting month as M/YYYY, e.g. 7/2024"
    # a mistyped year would stretch the export's coverage and invent zeros for the years between
    now = pd.Timestamp.now()
    if found[0] < FIRST_REPORT_YEAR or (found[0], found[1]) > (now.year, now.month):
        return None, (
            f"a reporting month from {FIRST_REPORT_YEAR} (the UN tracking system's "
            f"first entries) up to the current month ({now:%m/%Y})"
        )
    return found, ""


def _report_date(v: str, row: int, col: _Collector) -> tuple[int | None, int | None]:
    found, expected = _month_of(v)
    if found is None:
        col.bad(row, "Date", v, expected)
        return None, None
    return found


def _incident_part(p: str) -> tuple[int | None, int | None, bool]:
    """'June / 2014' -> (2014, 6, ok); 'Unspecified / 2014' -> (2014, None, ok)."""
    p = p.strip()
    if p in ("Unspecified", "Unknown", ""):
        return None, None, True
    m = re.fullmatch(r"(\w+)\s*/\s*(\d{4})", p)
    if not m:
        return None, None, False
    month = MONTHS.get(m.group(1))
    if month is None and m.group(1) not in ("Unspecified", "Unknown"):
        return int(m.group(2)), None, False
    return int(m.group(2)), month, True


def _incident(v: str, row: int, col: _Collector) -> dict:
    out = dict(
        incident_start_year=None,
        incident_start_month=None,
        incident_end_year=None,
        incident_end_month=None,
    )
    pieces = list(re.split(r"\s+-\s+", v.strip())) if v.strip() else []
    if len(pieces) > 2:
        col.unknown(row, "Date of incident", v, "'Month / YYYY' or a range 'A - B'")
        return out
    ok = True
    if pieces:
        y, m, good = _incident_part(pieces[0])
        ok &= good
        out.update(incident_start_year=y, incident_start_month=m)
    if len(pieces) == 2:
        y, m, good = _incident_part(pieces[1])
        ok &= good
        out.update(incident_end_year=y, incident_end_month=m)
    if not ok:
        col.unknown(row, "Date of incident", v, "'Month / YYYY', 'Unspecified / YYYY', 'Unknown'")
    return out


_PERSONNEL = re.compile(r"^(?P<cat>\w+)\s*\((?P<sub>.*)\)\s*(?:,\s*(?P<n>.*))?$")


def _personnel(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _PERSONNEL.match(line)
        if not m:
            col.unknown(row, "Personnel Type", line, "'Category (sub-type),N'")
            out.append(
                dict(allegation_id=aid, category=None, subtype=None, perpetrators=None, raw=line)
            )
            continue
        cat = m.group("cat").lower()
        sub = m.group("sub").strip()
        if cat not in KNOWN_SUBTYPES:
            col.unknown(row, "Personnel Type", line, f"a category among {PERSONNEL_CATEGORIES}")
        elif sub not in KNOWN_SUBTYPES[cat]:
            col.unknown(
                row, "Personnel Type", line, f"a {cat} sub-type among {sorted(KNOWN_SUBTYPES[cat])}"
            )
        out.append(
            dict(
                allegation_id=aid,
                category=cat,
                subtype=sub,
                perpetrators=_count(m.group("n"), row, "Personnel Type", col),
                raw=line,
            )
        )


_VICTIM = re.compile(r"^(?P<group>\w+)\s*(?:\((?P<n>[^)]*)\))?$")


def _victims(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _VICTIM.match(line)
        group = m.group("group").lower() if m else None
        if not m or group not in VICTIM_GROUPS:
            col.unknown(row, "Victim", line, "'Adult (N)', 'Child (N)' or 'Unknown (N)'")
            out.append(dict(allegation_id=aid, age_group=None, victims=None, raw=line))
            continue
        out.append(
            dict(
                allegation_id=aid,
                age_group=group,
                victims=_count(m.group("n"), row, "Victim", col),
                raw=line,
            )
        )


_ALLEGATION = re.compile(r"^(?P<kind>SE|SA)\s*\((?P<sub>.*)\)$")


def _allegation_types(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _ALLEGATION.match(line)
        if not m:
            col.unknown(row, "Allegation", line, "'SE (sub-type)' or 'SA (sub-type)'")
            out.append(dict(allegation_id=aid, kind=None, subtype=None, raw=line))
            continue
        out.append(
            dict(
                allegation_id=aid,
                kind=ALLEGATION_KINDS[m.group("kind")],
                subtype=m.group("sub").strip(),
                raw=line,
            )
        )


_INVESTIGATION = re.compile(r"^(?P<entity>.*?)\s*\((?P<days>[^()]*)\)$")


def _investigations(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _INVESTIGATION.match(line)
        entity = INVESTIGATING_ENTITIES.get(m.group("entity")) if m else None
        if m is None or entity is None:
            col.unknown(
                row,
                "Investigation (days)",
                line,
                f"'Entity (days)' with an entity among {sorted(INVESTIGATING_ENTITIES)}",
            )
        days_text = m.group("days").strip() if m else ""
        if days_text == "Pending":
            status, days = "pending", None
        elif days_text == "N/A":
            status, days = "not_applicable", None
        else:
            status = "completed"
            days = _count(days_text, row, "Investigation (days)", col, "days") if m else None
        out.append(dict(allegation_id=aid, entity=entity, days=days, status=status, raw=line))


_RESULT = re.compile(
    r"^(?P<status>Substantiated|Unsubstantiated|Pending|Incomplete|N/A)"
    r"(?P<reason>.*?)\s*\((?P<n>[^()]*)\)$"
)


def _results(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _RESULT.match(line)
        if not m:
            col.unknown(row, "Result", line, f"a result among {sorted(RESULTS)} then '(N)'")
            out.append(dict(allegation_id=aid, result=None, reason=None, persons=None, raw=line))
            continue
        reason = m.group("reason").strip()
        reason = re.sub(r"^\((.*)\)$", r"\1", reason).strip() or None
        out.append(
            dict(
                allegation_id=aid,
                result=RESULTS[m.group("status")],
                reason=reason,
                persons=_count(m.group("n"), row, "Result", col),
                raw=line,
            )
        )


_ACTION = re.compile(r"^(?:(?P<actor>UN|NG)\s+)?(?P<action>.*?)\s*\((?P<n>[^()]*)\)$")


def _actions(
    v: str, stage: str, column: str, row: int, aid: int, col: _Collector, out: list[dict]
) -> None:
    for line in _lines(v):
        m = _ACTION.match(line)
        if not m:
            col.unknown(row, column, line, "'UN action (N)', 'NG action (N)' or 'None (N)'")
            out.append(
                dict(
                    allegation_id=aid, stage=stage, actor=None, action=None, persons=None, raw=line
                )
            )
            continue
        actor = {"UN": "un", "NG": "national_government", None: None}[m.group("actor")]
        action = m.group("action").strip() or None
        if actor is None and action not in ("None", "N/A"):
            col.unknown(row, column, line, "an action starting with 'UN' or 'NG'")
        out.append(
            dict(
                allegation_id=aid,
                stage=stage,
                actor=actor,
                action=action,
                persons=_count(m.group("n"), row, column, col),
                raw=line,
            )
        )


def _choice(v: str, mapping: dict, row: int, column: str, col: _Collector):
    v = v.strip()
    if v in mapping:
        return mapping[v]
    if v == "":
        return None
    col.unknown(row, column, v, f"one of {[k for k in mapping if k]}")
    return None


# --------------------------------------------------------------------------------------------------


def _frame(rows: list[dict], columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c, t in {**dtypes, "raw": "category"}.items():
        df[c] = df[c].astype(t)
    return df


def read_table_of_allegations(
    path: str | os.PathLike[str],
    sheet: str = SHEET,
    repeated_rows: str = "auto",
    chunksize: int = 5_000,
) -> AllegationTable:
    """Read a UN "table of allegations" export (.xlsx sheet ``Export``, or .csv) into tidy tables.

    ``allegations`` (one row per allegation, ``allegation_id`` 1..N in file order, ``source_row``
    the spreadsheet row) has: ``report_year``, ``report_month``, ``report_date``, ``mission``,
    incident period (``incident_start_year/_month``, ``incident_end_year/_month``; "Unspecified"
    and "Unknown" are missing), ``personnel_category`` (military, police, civilian, or
    ``multiple``), ``personnel_subtype``, ``perpetrators`` (sum over the cell's lines),
    ``nationality`` (lines joined by "; "), ``nationality_iso3`` (their ISO 3166 alpha-3 codes,
    joined the same way; names that are not countries left out and listed by
    ``table.unresolved_nationalities()``), ``victims_adult/_child/_unknown`` (counts),
    ``involves_child``, ``allegation_kinds`` ("sexual_abuse; sexual_exploitation"),
    ``paternity_claim`` (bool), ``paternity_established`` (yes/no/pending),
    ``nio_appointed`` (yes, no_response, declined, pending, not_applicable = "N/A" in the export:
    civilians, individual officers and police, and some contingent cases; blank stays missing),
    ``investigation_entity``, ``investigation_days`` (missing while pending),
    ``investigation_status`` (completed, pending, not_applicable), ``result`` (overall: the first of
    substantiated, pending, unsubstantiated, incomplete, not_applicable found among its lines),
    ``referral`` (yes/no/pending) and every raw cell under ``raw_<column>``.

    Child tables keyed by ``allegation_id``: ``personnel``, ``victims``, ``allegation_types``,
    ``investigations``, ``results``, ``actions`` (stage interim/final, actor un or
    national_government), ``nationalities`` (one row per nationality line with its ``iso3``).
    ``unrecognised`` lists every cell kept raw.

    Rows identical to another row (the UN lists separate allegations sharing every published
    detail so; 6 such rows in the July 2024 export) are kept wherever they stand, so that no total
    depends on the order of the rows, listed in ``table.identical_rows`` and counted in
    ``table.counts["identical_rows"]`` (a DuplicateRowsWarning gives their number when they stand
    apart from their twins, as in a sorted copy). A paste found by its own signature (the whole table repeated, in any
    order, or a block of 20 or more consecutive rows repeating an earlier block) is left out with
    the warning (``repeated_rows``: see :data:`REPEATED_ROWS`). Rows labelled as totals in Date or Mission are set aside;
    spellings of a mission or nationality differing in case or punctuation are unified; a blank
    Victim cell gives missing victim counts (never 0), a blank Mission cell a missing mission, and
    a cell left blank inside a merged Date or Mission range takes the range's value; each is
    warned about and counted in ``table.counts``. CSV files are read in chunks of ``chunksize``
    rows. See data/README.md, "Reading the UN files".

    Raises DataFileNotFound, SchemaMismatch (empty file, missing column, no ``Export`` sheet) and
    DataError (not a UTF-8 CSV file or a workbook, a FIFO, ragged rows, a reporting month that is
    impossible, before 2007 or in the future, a count that is not a whole number from 0 to
    1,000,000), each naming file, row and column.
    Example: ``t = read_table_of_allegations("table_of_allegations.xlsx"); t.allegations``
    """
    path = Path(path)
    if repeated_rows not in REPEATED_ROWS:
        raise ParameterError(
            f"repeated_rows: found {repeated_rows!r}; expected one of {list(REPEATED_ROWS)}"
        )
    _lines.cache_clear()
    col = _Collector(path)
    cache: dict[str, str] = {}
    merged_fills: list[dict] = []
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in CHILD_TABLES + ["allegations"]}
    hashes, aggregates = [], []
    rows_in_file, aid = 0, 0
    for df in _text_chunks(path, sheet, chunksize, merged_fills):
        rows_in_file += len(df)
        df = _interned(df, cache)
        agg = is_aggregate(df["Date"]) | is_aggregate(df["Mission"])
        if agg.any():
            aggregates.append(df[agg])
            df = df[~agg]
        if not len(df):
            continue
        hashes.append(pd.util.hash_pandas_object(df, index=False).to_numpy())
        chunk = _parse_chunk(df, aid, col)
        aid += len(df)
        if col.problems:
            if len(col.problems) > 1000:
                break
            continue
        for name, frame in chunk.items():
            parts[name].append(_interned_objects(frame, cache))
        del df, chunk
        if len(parts["allegations"]) % 20 == 0:
            release_free_memory()  # the chunks' temporaries, freed between kept arrays
    _lines.cache_clear()
    if rows_in_file == 0:
        raise SchemaMismatch(
            Problem(
                str(path), None, None, "a header but no allegation rows", "at least one allegation"
            )
        )
    if col.problems:
        raise DataError(col.problems, f"{len(col.problems)} cell(s) of {path} cannot be read")
    if not parts["allegations"]:
        raise SchemaMismatch(
            Problem(
                str(path),
                None,
                None,
                "only aggregate rows (Total, Sum, ...)",
                "at least one allegation",
            )
        )
    tables = {}
    for name in list(parts):  # one table at a time, its chunks freed as soon as it is joined
        frames = parts.pop(name)
        tables[name] = _concat_frames(frames)
        del frames
        release_free_memory()
    a = tables.pop("allegations")
    counts = {"rows_in_file": rows_in_file}

    if aggregates:
        agg = pd.concat(aggregates)
        counts["aggregate_rows"] = len(agg)
        warnings.warn(
            AggregateRowsWarning(
                f"{path}: {len(agg)} row(s) labelled as totals in Date or Mission ('Total', 'Sum', "
                f"...) set aside, never counted as allegations: rows "
                f"{', '.join(str(r) for r in agg.index[:10])}"
            ),
            stacklevel=2,
        )

    # rows identical to another row: the UN's export itself lists separate allegations that
    # share every published detail (6 such rows in the July 2024 export, which its yearly totals
    # count), kept wherever they stand; only a paste's own signature makes a copy
    a, tables, identical = _identical_rows(
        a, tables, np.concatenate(hashes), path, repeated_rows, counts
    )
    counts["allegations"] = len(a)

    _missing_cells(a, merged_fills, path, counts)
    a, nats = _finish(a, path, counts)
    unrec = pd.DataFrame(col.unrecognised, columns=["source_row", "column", "value", "expected"])
    if len(unrec):
        shown = "; ".join(
            f"row {u.source_row} {u.column!r}: {u.value!r}" for u in unrec.head(15).itertuples()
        )
        more = f" (and {len(unrec) - 15} more)" if len(unrec) > 15 else ""
        warnings.warn(
            UnrecognisedValuesWarning(
                f"{path}: {len(unrec)} cell value(s) not recognised, kept raw (see "
                f".unrecognised): {shown}{more}"
            ),
            stacklevel=2,
        )

    return AllegationTable(
        allegations=a,
        **tables,
        unrecognised=unrec,
        path=path,
        counts=counts,
        nationalities=nats,
        export_span=(a["report_date"].min(), a["report_date"].max()),
        identical_rows=identical,
    )


CHILD_TABLES = ["personnel", "victims", "allegation_types", "investigations", "results", "actions"]
INTS = [
    "report_year",
    "report_month",
    "incident_start_year",
    "incident_start_month",
    "incident_end_year",
    "incident_end_month",
    "perpetrators",
    "victims_adult",
    "victims_child",
    "victims_unknown",
    "investigation_days",
]


def _interned_objects(frame: pd.DataFrame, cache: dict[str, str]) -> pd.DataFrame:
    """Replace the text of a parsed chunk by shared objects (see :func:`_interned`)."""
    for c in frame.columns:
        if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype):
            values = frame[c].to_numpy(dtype=object)
            codes, uniques = pd.factorize(values)
            if len(uniques):
                canon = np.array([cache.setdefault(u, u) for u in uniques] + [None], dtype=object)
                frame[c] = pd.array(canon[codes], dtype=frame[c].dtype)
    return frame


def _parse_chunk(df: pd.DataFrame, first_aid: int, col: _Collector) -> dict[str, pd.DataFrame]:
    """Parse one chunk of export rows into typed frames (allegations and the child tables)."""
    mains, pers, vict, kinds, invs, ress, acts = [], [], [], [], [], [], []
    for aid, (row, r) in enumerate(zip(df.index, df.to_dict("records")), start=first_aid + 1):
        year, month = _report_date(r["Date"], row, col)
        main = dict(
            allegation_id=aid,
            source_row=row,
            report_year=year,
            report_month=month,
            mission=r["Mission"].strip() or None,
        )
        main.update(_incident(r["Date of incident"], row, col))
        n0 = len(pers)
        _personnel(r["Personnel Type"], row, aid, col, pers)
        mine = pers[n0:]
        cats = {p["category"] for p in mine if p["category"]}
        subs = {p["subtype"] for p in mine if p["subtype"]}
        main["personnel_category"] = (
            cats.pop() if len(cats) == 1 else ("multiple" if cats else None)
        )
        main["personnel_subtype"] = subs.pop() if len(subs) == 1 else ("multiple" if subs else None)
        ns = [p["perpetrators"] for p in mine]
        main["perpetrators"] = sum(ns) if ns and all(n is not None for n in ns) else None
        nat = [n for n in _lines(r["Nationality"]) if n != "N/A"]  # N/A: civilians, not published
        main["nationality"] = "; ".join(nat) or None
        v0 = len(vict)
        if r["Victim"].strip():
            _victims(r["Victim"], row, aid, col, vict)
            for g in VICTIM_GROUPS:
                vs = [v for v in vict[v0:] if v["age_group"] == g]
                main[f"victims_{g}"] = (
                    sum(v["victims"] for v in vs)
                    if vs and all(v["victims"] is not None for v in vs)
                    else (0 if not vs else None)
                )
            main["involves_child"] = any(v["age_group"] == "child" for v in vict[v0:])
        else:  # a blank Victim cell says nothing about victims: missing, never 0
            main.update(
                victims_adult=None, victims_child=None, victims_unknown=None, involves_child=None
            )
        k0 = len(kinds)
        _allegation_types(r["Allegation"], row, aid, col, kinds)
        main["allegation_kinds"] = "; ".join(sorted({k["kind"] for k in kinds[k0:] if k["kind"]}))
        main["paternity_claim"] = _choice(r["Paternity claim"], YES_NO, row, "Paternity claim", col)
        main["paternity_established"] = _choice(
            r["Paternity established"], TRI_STATE, row, "Paternity established", col
        )
        main["nio_appointed"] = _choice(r["NIO appointed"], NIO_VALUES, row, "NIO appointed", col)
        i0 = len(invs)
        _investigations(r["Investigation (days)"], row, aid, col, invs)
        first = invs[i0] if len(invs) > i0 else {}
        main["investigation_entity"] = first.get("entity")
        main["investigation_days"] = first.get("days")
        main["investigation_status"] = first.get("status")
        r0 = len(ress)
        _results(r["Result"], row, aid, col, ress)
        found = {x["result"] for x in ress[r0:]}
        main["result"] = next((x for x in RESULT_ORDER if x in found), None)
        _actions(r["Interim Action"], "interim", "Interim Action", row, aid, col, acts)
        _actions(r["Final Action"], "final", "Final Action", row, aid, col, acts)
        main["referral"] = _choice(
            r["Referral for criminal accountability"],
            TRI_STATE,
            row,
            "Referral for criminal accountability",
            col,
        )
        for c in COLUMNS:
            main[RAW[c]] = r[c]
        mains.append(main)
    if col.problems:
        return {}

    a = pd.DataFrame(mains)
    del mains
    for c in INTS:
        a[c] = a[c].astype("Int64")
    a["report_date"] = pd.PeriodIndex.from_fields(
        year=a["report_year"].astype(int), month=a["report_month"].astype(int), freq="M"
    ).to_timestamp()
    known = [*PERSONNEL_CATEGORIES, "multiple"]  # others are listed in .unrecognised, kept raw
    a["personnel_category"] = pd.Categorical(
        a["personnel_category"].where(a["personnel_category"].isin(known)), categories=known
    )
    a["nio_appointed"] = pd.Categorical(a["nio_appointed"], categories=NIO_CATEGORIES)
    for c in ("paternity_established", "referral"):
        a[c] = pd.Categorical(a[c], categories=list(TRI_STATE.values()))
    a["result"] = pd.Categorical(a["result"], categories=RESULT_ORDER)
    a["paternity_claim"] = a["paternity_claim"].astype("boolean")
    a["involves_child"] = a["involves_child"].astype("boolean")
    for c in (
        "mission",
        "nationality",
        "personnel_subtype",
        "allegation_kinds",
        "investigation_entity",
        "investigation_status",
    ):
        a[c] = a[c].astype("string")
    for c in RAW.values():  # the cells as written: categorical (a large export repeats most)
        a[c] = a[c].astype("category")
    return {
        "allegations": a,
        "personnel": _frame(
            pers,
            ["allegation_id", "category", "subtype", "perpetrators", "raw"],
            {"perpetrators": "Int64", "category": "string", "subtype": "string"},
        ),
        "victims": _frame(
            vict,
            ["allegation_id", "age_group", "victims", "raw"],
            {"victims": "Int64", "age_group": "string"},
        ),
        "allegation_types": _frame(
            kinds,
            ["allegation_id", "kind", "subtype", "raw"],
            {"kind": "string", "subtype": "string"},
        ),
        "investigations": _frame(
            invs,
            ["allegation_id", "entity", "days", "status", "raw"],
            {"days": "Int64", "entity": "string", "status": "string"},
        ),
        "results": _frame(
            ress,
            ["allegation_id", "result", "reason", "persons", "raw"],
            {"persons": "Int64", "result": "string", "reason": "string"},
        ),
        "actions": _frame(
            acts,
            ["allegation_id", "stage", "actor", "action", "persons", "raw"],
            {"persons": "Int64", "actor": "string", "action": "string"},
        ),
    }


RAW = {c: "raw_" + re.sub(r"\W+", "_", c.lower()).strip("_") for c in COLUMNS}


def _concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Join the chunks of one table; the raw-text categoricals (whose categories differ from
    chunk to chunk) are joined with their categories merged, so they stay categorical."""
    if len(frames) == 1:
        return frames[0]
    columns = list(frames[0].columns)
    raw = [
        c
        for c in columns
        if (c == "raw" or c in RAW.values()) and isinstance(frames[0][c].dtype, pd.CategoricalDtype)
    ]
    joined = {c: union_categoricals([f[c] for f in frames]) for c in raw}
    out = pd.concat([f.drop(columns=raw) for f in frames], ignore_index=True)
    frames.clear()
    for c in raw:
        out[c] = joined.pop(c)
    return out[columns]


def _pasted_copies(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """The rows that are copies by the file's own signature of a paste: ``(is_copy, original
    position, how)``. Two signatures, neither of which the UN's own export shows:

    - *the whole table k times* (k >= 2): every distinct row occurs a multiple of k times (with
      at least :data:`PASTE_BLOCK` distinct rows); found whatever the order of the rows, so a
      sorted or shuffled copy of a doubled file is found too. The first 1/k of each row's
      occurrences are kept.
    - *a block repeated*: :data:`PASTE_BLOCK` or more consecutive rows equal, row for row, to an
      earlier run of consecutive rows.
    """
    n = len(hashes)
    is_copy = np.zeros(n, dtype=bool)
    original = np.full(n, -1, dtype="int64")
    if n < 2:
        return is_copy, original, ""
    codes, uniques = pd.factorize(hashes)
    mult = np.bincount(codes)
    k = int(np.gcd.reduce(mult))
    if k >= 2 and len(uniques) >= PASTE_BLOCK:
        order = np.argsort(codes, kind="stable")
        nth = np.empty(n, dtype="int64")  # occurrence number of each row among its equals
        starts = np.cumsum(mult) - mult
        nth[order] = np.arange(n) - np.repeat(starts, mult)
        is_copy = nth >= (mult // k)[codes]
        first = order[starts]  # each distinct row's first position
        original = np.where(is_copy, first[codes], -1)
        return is_copy, original, f"the whole table appears {k} times"
    prev = pd.Series(np.arange(n)).groupby(codes).shift(1).to_numpy()
    gap = np.arange(n) - prev  # distance to the previous equal row (nan: none)
    gaps = pd.Series(gap)
    run = (gaps != gaps.shift()).cumsum()
    lengths = gaps.groupby(run).transform("size")
    offsets = sorted(
        {int(d) for d in gaps[(lengths >= PASTE_BLOCK) & (gaps >= 2)].dropna().unique()}
    )
    for d in offsets:
        eq = np.zeros(n, dtype=bool)
        eq[d:] = hashes[d:] == hashes[:-d]
        s = pd.Series(eq)
        block = (s != s.shift()).cumsum()
        long = s & (s.groupby(block).transform("size") >= PASTE_BLOCK)
        new = long.to_numpy() & ~is_copy
        original[new] = np.flatnonzero(new) - d
        is_copy |= new
    return is_copy, original, "a block of rows repeated" if is_copy.any() else ""


def _identical_rows(
    a: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    hashes: np.ndarray,
    path: Path,
    repeated_rows: str,
    counts: dict,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """Rows identical to another row (every cell equal), told apart so that no total depends on
    the order of the rows:

    - *identical*: the UN's export lists separate allegations sharing every published detail (6
      such rows in July 2024, each directly below its twin) and its yearly totals count each,
      wherever the rows stand; kept, counted (``counts["identical_rows"]``) and listed. A
      DuplicateRowsWarning gives their number when any stands apart from its twin (a sorted or
      shuffled copy of the export), or when they are more than 5% of the rows.
    - *pasted*: a copy by the file's own signature of a paste (:func:`_pasted_copies`: the whole
      table repeated, in any order, or a block of :data:`PASTE_BLOCK` or more consecutive rows
      repeating an earlier block). ``repeated_rows="auto"`` (default) leaves these out and warns,
      ``"keep"`` keeps them, ``"raise"`` refuses the file.

    ``repeated_rows="drop"`` leaves out every row identical to an earlier one (each distinct row
    once; also independent of the order). Returns the allegations and child tables (renumbered
    1..N after rows left out) and the table ``source_row, same_as_row, kind``.
    """
    h = pd.Series(hashes)
    same = h.duplicated(keep="first").to_numpy()
    empty = pd.DataFrame(columns=["source_row", "same_as_row", "kind"])
    if not same.any():
        counts.update(identical_rows=0, pasted_rows=0, repeated_rows_left_out=0)
        return a, tables, empty
    codes = pd.factorize(hashes)[0]
    first_pos = pd.Series(np.arange(len(h))).groupby(codes).transform("min").to_numpy()
    is_copy, original, how = _pasted_copies(hashes)
    rows = a["source_row"].to_numpy()
    listed = same | is_copy
    identical = pd.DataFrame(
        {
            "source_row": rows[listed],
            "same_as_row": rows[np.where(is_copy, original, first_pos)[listed]],
            "kind": np.where(is_copy, "pasted", "identical")[listed],
        }
    )
    n_rep = int(is_copy.sum())
    n_same = int((identical["kind"] == "identical").sum())
    counts.update(identical_rows=n_same, pasted_rows=n_rep)
    if n_rep and repeated_rows == "raise":
        rep = identical[identical["kind"] == "pasted"]
        raise DataError(
            [
                Problem(
                    str(path),
                    int(r.source_row),
                    None,
                    f"a copy of row {r.same_as_row} (every cell equal; {how})",
                    "each allegation once (an export pasted twice?)",
                )
                for r in rep.itertuples()
            ]
        )
    drop = np.zeros(len(a), dtype=bool)
    if repeated_rows == "auto":
        drop = is_copy
    elif repeated_rows == "drop":
        drop = same
    if drop.any():
        keep_ids = a.loc[~drop, "allegation_id"].to_numpy()
        new_id = pd.Series(np.arange(1, len(keep_ids) + 1), index=keep_ids)
        a = a[~drop].reset_index(drop=True)
        a["allegation_id"] = new_id.to_numpy()
        for name, t in tables.items():
            t = t[t["allegation_id"].isin(keep_ids)].reset_index(drop=True)
            t["allegation_id"] = t["allegation_id"].map(new_id).to_numpy()
            tables[name] = t
    left_out = int(drop.sum())
    counts["repeated_rows_left_out"] = left_out
    parts = []
    if n_rep:
        first = identical.loc[identical["kind"] == "pasted", "source_row"].head(10).tolist()
        what = {
            "auto": "left out: each allegation is counted once",
            "keep": "KEPT as asked (repeated_rows='keep'): they are counted twice",
            "drop": "left out",
        }[repeated_rows]
        parts.append(
            f"{n_rep} row(s) are copies of earlier rows by the signature of a paste ({how}), "
            f"{what}; first rows {first}"
        )
    if n_same:
        share = n_same / len(hashes)
        kept = (
            "left out as asked (repeated_rows='drop': each distinct row counted once)"
            if repeated_rows == "drop"
            else "kept as separate allegations (the UN's export lists allegations that share "
            "every published detail, and its totals count each, wherever the rows stand)"
        )
        parts.append(f"{n_same} row(s) identical to an earlier row are {kept}")
        if share > ADJACENT_SHARE and repeated_rows != "drop":
            parts.append(
                f"that is {share:.0%} of the rows, far more than in the UN's own export (6 of 753 "
                "in July 2024): check the file was not pasted row by row, or read it with "
                "repeated_rows='drop'"
            )
    # the UN's own export lists its identical rows one after another (runs): that pattern is
    # counted and listed without a warning; identical rows apart from their twins (a sorted or
    # shuffled copy), a paste, or too many identical rows are warned about with their number
    prev_same = np.zeros(len(hashes), dtype=bool)
    prev_same[1:] = hashes[1:] == hashes[:-1]
    apart = bool((same & ~is_copy & ~prev_same).any())
    if n_rep or apart or n_same / len(hashes) > ADJACENT_SHARE or repeated_rows == "drop":
        warnings.warn(
            DuplicateRowsWarning(
                f"{path}: " + "; ".join(parts) + " (table.identical_rows lists them)"
            ),
            stacklevel=3,
        )
    return a, tables, identical


ADJACENT_SHARE = 0.05  # above this share of identical rows, say so (July 2024: 0.8%)
PASTE_BLOCK = 20  # consecutive rows repeating an earlier block that make a paste's signature


def _missing_cells(a: pd.DataFrame, merged_fills: list[dict], path: Path, counts: dict) -> None:
    """Warn about blank Mission and Victim cells (kept missing, never 0) and merged cells filled."""
    parts = []
    if merged_fills:
        m = pd.DataFrame(merged_fills)
        m = m[m["source_row"].isin(a["source_row"])]
        for column, g in m.groupby("column"):
            parts.append(
                f"{len(g)} {column} cell(s) blank inside a merged range were given the "
                f"range's value (rows {', '.join(map(str, g['source_row'].head(10)))})"
            )
    counts["merged_cells_filled"] = len(merged_fills)
    for column, raw in (("Mission", "raw_mission"), ("Victim", "raw_victim")):
        cells = a[raw].astype("category")  # tested once per distinct cell
        flags = np.array([str(v).strip() == "" for v in cells.cat.categories] + [True])
        blank = pd.Series(flags[cells.cat.codes.to_numpy()], index=a.index)
        counts[f"blank_{column.lower()}"] = int(blank.sum())
        if blank.any():
            rows = ", ".join(map(str, a.loc[blank, "source_row"].head(10)))
            what = (
                "mission missing (<NA>), left out of any mission's count"
                if column == "Mission"
                else "victims_adult/child/unknown and involves_child missing (<NA>), not 0"
            )
            parts.append(f"{int(blank.sum())} blank {column} cell(s) kept as {what} (rows {rows})")
    if parts:
        warnings.warn(MissingValuesWarning(f"{path}: " + "; ".join(parts)), stacklevel=3)


def _finish(a: pd.DataFrame, path: Path, counts: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unify spellings of missions and nationalities, add ISO3 codes, order the columns."""
    a["mission"], mission_variants = unify_spellings(a["mission"], path, "Mission")
    nats = _nationalities(a)
    nats["nationality"], nat_variants = unify_spellings(nats["nationality"], path, "Nationality")
    if len(nat_variants):
        joined = nats.groupby("allegation_id", sort=False)["nationality"].agg("; ".join)
        a["nationality"] = a["allegation_id"].map(joined).astype("string").to_numpy()
    # a nationality line is not a row of the file: the warning counts names, not rows
    _, counts["names_unified"] = warn_name_variants(
        [mission_variants, nat_variants], path, per="name", stacklevel=3
    )
    # codes per distinct line and per distinct cell (shared objects, not one string per row)
    line_codes, line_names = pd.factorize(nats["nationality"].to_numpy(dtype=object))
    iso = countries.to_iso3(list(line_names)).to_numpy(dtype=object)
    nats["iso3"] = pd.array(iso[line_codes] if len(line_codes) else iso[:0], dtype="string")
    cell_codes, cells = pd.factorize(a["nationality"].to_numpy(dtype=object))
    by_cell = {}
    for cell in cells:
        found = countries.to_iso3(str(cell).split("; ")).dropna()
        by_cell[cell] = "; ".join(found) if len(found) else None
    joined = np.array([by_cell[c] for c in cells] + [None], dtype=object)
    a["nationality_iso3"] = pd.array(joined[cell_codes], dtype="string")
    front = ["allegation_id", "source_row", "report_year", "report_month", "report_date"]
    a = a[front + [c for c in a.columns if c not in front]]
    return a, nats


def _nationalities(allegations: pd.DataFrame) -> pd.DataFrame:
    """One row per published nationality line: ``allegation_id, nationality`` (``iso3`` is added
    by the reader: ISO 3166 alpha-3 from :mod:`pkoresearch.data.countries`, ``<NA>`` where the name is
    not a country, e.g. "Unknown": kept and listed, never dropped). Allegations without a
    published nationality (civilians) have no row. Each distinct cell is split once, so a large
    export's repeated cells share their line objects."""
    nat = allegations["nationality"]
    has = nat.notna().to_numpy()
    codes, uniques = pd.factorize(nat[has].to_numpy(dtype=object))
    parts = [str(u).split("; ") for u in uniques]
    lengths = np.array([len(x) for x in parts], dtype="int64")
    per_row = lengths[codes] if len(codes) else np.zeros(0, dtype="int64")
    flat = np.array([line for x in parts for line in x] + [None], dtype=object)
    starts = np.cumsum(lengths) - lengths
    rows_codes = np.repeat(codes, per_row)
    offset = np.arange(len(rows_codes)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    lines = flat[starts[rows_codes] + offset] if len(rows_codes) else flat[:0]
    return pd.DataFrame(
        {
            "allegation_id": np.repeat(allegations["allegation_id"].to_numpy()[has], per_row),
            "nationality": pd.array(lines, dtype="string"),
        }
    )
