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

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import countries
from ..coverage import Coverage
from ._checks import read_csv_text
from ..errors import (DataError, DataFileNotFound, Problem, SchemaMismatch,
                      UnrecognisedValuesWarning)

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
    "civilian": {"INT", "NS", "UNV", "Contractor", "Vendor Employee",
                 "(Legacy) Daily Casual Workers"},
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
MONTHS = {m: i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}


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

    def unresolved_nationalities(self) -> list[str]:
        """Nationalities in the export that do not resolve to an ISO 3166 alpha-3 code (e.g.
        "Unknown"); their allegations are kept, under the name as written."""
        n = self.nationalities
        if n is None:
            return []
        return sorted(set(n.loc[n["iso3"].isna(), "nationality"].astype(str)))


# --------------------------------------------------------------------------------------------------
# reading the file


def _read_frame(path: Path, sheet: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileNotFound(f"{path}: no such file; expected a UN table of allegations export "
                               "(.xlsx or .csv)")
    if path.stat().st_size == 0:
        raise SchemaMismatch(Problem(str(path), None, None, "an empty file",
                                     f"a header with the columns {COLUMNS}"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            book = pd.ExcelFile(path, engine="openpyxl")
        except Exception as exc:  # openpyxl raises several types for a non-workbook
            raise DataError(Problem(str(path), None, None, f"a file openpyxl cannot open ({exc})",
                                    "an .xlsx workbook")) from None
        with book:
            if sheet not in book.sheet_names:
                raise SchemaMismatch(Problem(str(path), None, None,
                                             f"the sheet(s) {book.sheet_names}",
                                             f"a sheet named {sheet!r} (the UN export's sheet)"))
            df = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False,
                               na_values=[])
        first_data_row = 2  # spreadsheet rows: header on row 1
    elif suffix == ".csv":
        df = read_csv_text(path, f"a header with the columns {COLUMNS}")
        first_data_row = 2
    else:
        raise DataError(Problem(str(path), None, None, f"the file type {suffix!r}",
                                "a .xlsx or .csv export of the table of allegations"))
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise SchemaMismatch([Problem(str(path), 1, c, "no such column in the header",
                                      f"the UN export's columns {COLUMNS}") for c in missing],
                             f"{path} is missing {len(missing)} column(s) of the UN table of "
                             "allegations")
    if df.empty:
        raise SchemaMismatch(Problem(str(path), None, None, "a header but no allegation rows",
                                     "at least one allegation"))
    df = df[COLUMNS].map(lambda v: v if isinstance(v, str) else "" if v is None else str(v))
    df.index = pd.RangeIndex(first_data_row, first_data_row + len(df), name="source_row")
    return df


def _lines(cell: str) -> list[str]:
    """Split a multi-valued cell (values separated by blank lines) into clean values."""
    parts = re.split(r"\n\s*\n", cell.strip())
    return [re.sub(r"\s+", " ", p).replace("( ", "(").replace(" )", ")").strip()
            for p in parts if p.strip()]


class _Collector:
    """Gathers unrecognised values and hard problems while rows are parsed."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.unrecognised: list[dict] = []
        self.problems: list[Problem] = []

    def unknown(self, row: int, column: str, value: str, expected: str) -> None:
        self.unrecognised.append({"source_row": row, "column": column, "value": value,
                                  "expected": expected})

    def bad(self, row: int, column: str, value: str, expected: str) -> None:
        self.problems.append(Problem(self.path, row, column, repr(value), expected))


def _count(text: str | None, row: int, column: str, col: _Collector,
           unit: str = "persons or allegations") -> int | None:
    if text is None or text == "":
        return None
    if re.fullmatch(r"\d+", text.strip()):
        return int(text)
    col.bad(row, column, text, f"a whole number of {unit} in the parentheses")
    return None


# --------------------------------------------------------------------------------------------------
# one parser per column


def _report_date(v: str, row: int, col: _Collector) -> tuple[int | None, int | None]:
    found = None
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{4})\s*", v)
    if m and 1 <= int(m.group(1)) <= 12:
        found = int(m.group(2)), int(m.group(1))
    # an xlsx cell typed as a date arrives as "2016-01-01 00:00:00"
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})-\d{2}(?: 00:00:00)?\s*", v)
    if found is None and m and 1 <= int(m.group(2)) <= 12:
        found = int(m.group(1)), int(m.group(2))
    if found is None:
        col.bad(row, "Date", v, "a reporting month as M/YYYY, e.g. 7/2024")
        return None, None
    # a mistyped year would stretch the export's coverage and invent zeros for the years between
    now = pd.Timestamp.now()
    if found[0] < FIRST_REPORT_YEAR or (found[0], found[1]) > (now.year, now.month):
        col.bad(row, "Date", v, f"a reporting month from {FIRST_REPORT_YEAR} (the UN tracking "
                f"system's first entries) up to the current month ({now:%m/%Y})")
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
    out = dict(incident_start_year=None, incident_start_month=None, incident_end_year=None,
               incident_end_month=None)
    pieces = [s for s in re.split(r"\s+-\s+", v.strip())] if v.strip() else []
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
            out.append(dict(allegation_id=aid, category=None, subtype=None, perpetrators=None,
                            raw=line))
            continue
        cat = m.group("cat").lower()
        sub = m.group("sub").strip()
        if cat not in KNOWN_SUBTYPES:
            col.unknown(row, "Personnel Type", line, f"a category among {PERSONNEL_CATEGORIES}")
        elif sub not in KNOWN_SUBTYPES[cat]:
            col.unknown(row, "Personnel Type", line,
                        f"a {cat} sub-type among {sorted(KNOWN_SUBTYPES[cat])}")
        out.append(dict(allegation_id=aid, category=cat, subtype=sub,
                        perpetrators=_count(m.group("n"), row, "Personnel Type", col), raw=line))


_VICTIM = re.compile(r"^(?P<group>\w+)\s*(?:\((?P<n>[^)]*)\))?$")


def _victims(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _VICTIM.match(line)
        group = m.group("group").lower() if m else None
        if not m or group not in VICTIM_GROUPS:
            col.unknown(row, "Victim", line, "'Adult (N)', 'Child (N)' or 'Unknown (N)'")
            out.append(dict(allegation_id=aid, age_group=None, victims=None, raw=line))
            continue
        out.append(dict(allegation_id=aid, age_group=group,
                        victims=_count(m.group("n"), row, "Victim", col), raw=line))


_ALLEGATION = re.compile(r"^(?P<kind>SE|SA)\s*\((?P<sub>.*)\)$")


def _allegation_types(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _ALLEGATION.match(line)
        if not m:
            col.unknown(row, "Allegation", line, "'SE (sub-type)' or 'SA (sub-type)'")
            out.append(dict(allegation_id=aid, kind=None, subtype=None, raw=line))
            continue
        out.append(dict(allegation_id=aid, kind=ALLEGATION_KINDS[m.group("kind")],
                        subtype=m.group("sub").strip(), raw=line))


_INVESTIGATION = re.compile(r"^(?P<entity>.*?)\s*\((?P<days>[^()]*)\)$")


def _investigations(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _INVESTIGATION.match(line)
        entity = INVESTIGATING_ENTITIES.get(m.group("entity")) if m else None
        if m is None or entity is None:
            col.unknown(row, "Investigation (days)", line,
                        f"'Entity (days)' with an entity among {sorted(INVESTIGATING_ENTITIES)}")
        days_text = m.group("days").strip() if m else ""
        if days_text == "Pending":
            status, days = "pending", None
        elif days_text == "N/A":
            status, days = "not_applicable", None
        else:
            status = "completed"
            days = _count(days_text, row, "Investigation (days)", col, "days") if m else None
        out.append(dict(allegation_id=aid, entity=entity, days=days, status=status, raw=line))


_RESULT = re.compile(r"^(?P<status>Substantiated|Unsubstantiated|Pending|Incomplete|N/A)"
                     r"(?P<reason>.*?)\s*\((?P<n>[^()]*)\)$")


def _results(v: str, row: int, aid: int, col: _Collector, out: list[dict]) -> None:
    for line in _lines(v):
        m = _RESULT.match(line)
        if not m:
            col.unknown(row, "Result", line, f"a result among {sorted(RESULTS)} then '(N)'")
            out.append(dict(allegation_id=aid, result=None, reason=None, persons=None, raw=line))
            continue
        reason = m.group("reason").strip()
        reason = re.sub(r"^\((.*)\)$", r"\1", reason).strip() or None
        out.append(dict(allegation_id=aid, result=RESULTS[m.group("status")], reason=reason,
                        persons=_count(m.group("n"), row, "Result", col), raw=line))


_ACTION = re.compile(r"^(?:(?P<actor>UN|NG)\s+)?(?P<action>.*?)\s*\((?P<n>[^()]*)\)$")


def _actions(v: str, stage: str, column: str, row: int, aid: int, col: _Collector,
             out: list[dict]) -> None:
    for line in _lines(v):
        m = _ACTION.match(line)
        if not m:
            col.unknown(row, column, line, "'UN action (N)', 'NG action (N)' or 'None (N)'")
            out.append(dict(allegation_id=aid, stage=stage, actor=None, action=None,
                            persons=None, raw=line))
            continue
        actor = {"UN": "un", "NG": "national_government", None: None}[m.group("actor")]
        action = m.group("action").strip() or None
        if actor is None and action not in ("None", "N/A"):
            col.unknown(row, column, line, "an action starting with 'UN' or 'NG'")
        out.append(dict(allegation_id=aid, stage=stage, actor=actor, action=action,
                        persons=_count(m.group("n"), row, column, col), raw=line))


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
    for c, t in dtypes.items():
        df[c] = df[c].astype(t)
    return df


def read_table_of_allegations(path: str | os.PathLike[str], sheet: str = SHEET
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

    Raises DataFileNotFound, SchemaMismatch (empty file, missing column, no ``Export`` sheet) and
    DataError (a reporting date or a count that is not a number), each naming file, row and column.
    Example: ``t = read_table_of_allegations("table_of_allegations.xlsx"); t.allegations``
    """
    path = Path(path)
    df = _read_frame(path, sheet)
    col = _Collector(path)
    mains, pers, vict, kinds, invs, ress, acts = [], [], [], [], [], [], []
    for aid, (row, r) in enumerate(zip(df.index, df.to_dict("records")), start=1):
        year, month = _report_date(r["Date"], row, col)
        main = dict(allegation_id=aid, source_row=row, report_year=year, report_month=month,
                    mission=r["Mission"].strip() or None)
        main.update(_incident(r["Date of incident"], row, col))
        n0 = len(pers)
        _personnel(r["Personnel Type"], row, aid, col, pers)
        mine = pers[n0:]
        cats = {p["category"] for p in mine if p["category"]}
        subs = {p["subtype"] for p in mine if p["subtype"]}
        main["personnel_category"] = cats.pop() if len(cats) == 1 else ("multiple" if cats else None)
        main["personnel_subtype"] = subs.pop() if len(subs) == 1 else ("multiple" if subs else None)
        ns = [p["perpetrators"] for p in mine]
        main["perpetrators"] = sum(ns) if ns and all(n is not None for n in ns) else None
        nat = [n for n in _lines(r["Nationality"]) if n != "N/A"]  # N/A: civilians, not published
        main["nationality"] = "; ".join(nat) or None
        v0 = len(vict)
        _victims(r["Victim"], row, aid, col, vict)
        for g in VICTIM_GROUPS:
            vs = [v for v in vict[v0:] if v["age_group"] == g]
            main[f"victims_{g}"] = (sum(v["victims"] for v in vs)
                                    if vs and all(v["victims"] is not None for v in vs) else
                                    (0 if not vs else None))
        main["involves_child"] = any(v["age_group"] == "child" for v in vict[v0:])
        k0 = len(kinds)
        _allegation_types(r["Allegation"], row, aid, col, kinds)
        main["allegation_kinds"] = "; ".join(sorted({k["kind"] for k in kinds[k0:] if k["kind"]}))
        main["paternity_claim"] = _choice(r["Paternity claim"], YES_NO, row, "Paternity claim", col)
        main["paternity_established"] = _choice(r["Paternity established"], TRI_STATE, row,
                                                "Paternity established", col)
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
        main["referral"] = _choice(r["Referral for criminal accountability"], TRI_STATE, row,
                                   "Referral for criminal accountability", col)
        for c in COLUMNS:
            main["raw_" + re.sub(r"\W+", "_", c.lower()).strip("_")] = r[c]
        mains.append(main)

    if col.problems:
        raise DataError(col.problems, f"{len(col.problems)} cell(s) of {path} cannot be read")

    a = pd.DataFrame(mains)
    ints = ["report_year", "report_month", "incident_start_year", "incident_start_month",
            "incident_end_year", "incident_end_month", "perpetrators", "victims_adult",
            "victims_child", "victims_unknown", "investigation_days"]
    for c in ints:
        a[c] = a[c].astype("Int64")
    a["report_date"] = pd.PeriodIndex.from_fields(year=a["report_year"].astype(int),
                                                  month=a["report_month"].astype(int), freq="M"
                                                  ).to_timestamp()
    known = [*PERSONNEL_CATEGORIES, "multiple"]  # others are listed in .unrecognised, kept raw
    a["personnel_category"] = pd.Categorical(
        a["personnel_category"].where(a["personnel_category"].isin(known)), categories=known)
    a["nio_appointed"] = pd.Categorical(a["nio_appointed"], categories=NIO_CATEGORIES)
    for c in ("paternity_established", "referral"):
        a[c] = pd.Categorical(a[c], categories=list(TRI_STATE.values()))
    a["result"] = pd.Categorical(a["result"], categories=RESULT_ORDER)
    a["paternity_claim"] = a["paternity_claim"].astype("boolean")
    for c in ("mission", "nationality", "personnel_subtype", "allegation_kinds",
              "investigation_entity", "investigation_status"):
        a[c] = a[c].astype("string")
    nats = _nationalities(a)
    codes = nats.dropna(subset=["iso3"]).groupby("allegation_id", sort=False)["iso3"]
    a["nationality_iso3"] = (codes.agg("; ".join).reindex(a["allegation_id"]).astype("string")
                             .to_numpy())
    front = ["allegation_id", "source_row", "report_year", "report_month", "report_date"]
    a = a[front + [c for c in a.columns if c not in front]]

    unrec = pd.DataFrame(col.unrecognised, columns=["source_row", "column", "value", "expected"])
    if len(unrec):
        shown = "; ".join(f"row {u.source_row} {u.column!r}: {u.value!r}"
                          for u in unrec.head(15).itertuples())
        more = f" (and {len(unrec) - 15} more)" if len(unrec) > 15 else ""
        warnings.warn(UnrecognisedValuesWarning(
            f"{path}: {len(unrec)} cell value(s) not recognised, kept raw (see "
            f".unrecognised): {shown}{more}"), stacklevel=2)

    return AllegationTable(
        allegations=a,
        personnel=_frame(pers, ["allegation_id", "category", "subtype", "perpetrators", "raw"],
                         {"perpetrators": "Int64", "category": "string", "subtype": "string"}),
        victims=_frame(vict, ["allegation_id", "age_group", "victims", "raw"],
                       {"victims": "Int64", "age_group": "string"}),
        allegation_types=_frame(kinds, ["allegation_id", "kind", "subtype", "raw"],
                                {"kind": "string", "subtype": "string"}),
        investigations=_frame(invs, ["allegation_id", "entity", "days", "status", "raw"],
                              {"days": "Int64", "entity": "string", "status": "string"}),
        results=_frame(ress, ["allegation_id", "result", "reason", "persons", "raw"],
                       {"persons": "Int64", "result": "string", "reason": "string"}),
        actions=_frame(acts, ["allegation_id", "stage", "actor", "action", "persons", "raw"],
                       {"persons": "Int64", "actor": "string", "action": "string"}),
        unrecognised=unrec,
        path=path,
        counts={"rows_in_file": len(df), "allegations": len(a)},
        nationalities=nats,
        export_span=(a["report_date"].min(), a["report_date"].max()),
    )


def _nationalities(allegations: pd.DataFrame) -> pd.DataFrame:
    """One row per published nationality line: ``allegation_id, nationality, iso3`` (ISO 3166
    alpha-3 from :mod:`pkoresearch.countries`; ``<NA>`` where the name is not a country, e.g.
    "Unknown": kept and listed, never dropped). Allegations without a published nationality
    (civilians) have no row."""
    n = allegations[["allegation_id", "nationality"]].dropna(subset=["nationality"]).copy()
    n["nationality"] = n["nationality"].astype(str).str.split("; ")
    n = n.explode("nationality").reset_index(drop=True)
    n["nationality"] = n["nationality"].astype("string")
    n["iso3"] = countries.to_iso3(n["nationality"]).to_numpy()
    return n.astype({"iso3": "string"})
