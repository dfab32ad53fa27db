"""Build the curated tables in data/ from the sourced facts in ../shared/reference/.

Run from the project root:  python tools/build_data.py [REFERENCE_DIR [OUTPUT_DIR]]

What it does, so that every number in data/ can be traced back:
- copies each figure with its source, locator and confidence;
- gives every distinct source text a stable `source_id` and describes it in data/sources.csv as a
  record that names the primary document first (a UN report by its symbol, with its address in the
  UN Official Documents System) and the page the figure was read on as `via`
  (tools/provenance.py); texts that only say "(same)" or "(same as above)" are resolved to the full
  source they refer to, and texts that describe the same source are merged;
- caps each row's confidence by what it was read in (a copy page: low; an uploaded copy of the
  document itself: medium) and writes a locator that says what is known;
- adds the figures of un_sg_report_mentions.csv that attribute a yearly figure to a named report
  where no row yet names that report with as good a page (UN publication, then wire service, then
  other pages), and lists those it cannot place;
- splits period labels ("2004-2006") into first and last year;
- writes data/datapackage.json, the Frictionless descriptor, from the same specifications as the
  loader's pandera schemas (pkoresearch.data.curated);
- drops nothing except rows whose source says "no source found" (listed in data/README.md).

The output is deterministic: running it twice gives identical files. The `quote` columns of the
reference files are not copied.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
sys.path[:0] = [str(ROOT / "src"), str(Path(__file__).resolve().parent)]

import provenance as pv  # noqa: E402

from pkoresearch import __version__  # noqa: E402
from pkoresearch.data.curated import SPECS, VIA_RANK, table_schema  # noqa: E402
from pkoresearch.data.schema import PRIMARY_TYPES, SOURCES_SPEC  # noqa: E402

SEED_TEXT_MARK = "shared/seed/"

# "(same)" texts whose full source does not start with the same words.
ALIASES = {
    "CFR (2018) via securitywomen.org (same)": "Council on Foreign Relations report (2018)",
    "DPO target-achievers page copy (same)": 'DPO page "Acknowledging uniformed gender parity',
    "same mirror of UN 2018 wording": "UN DPO Women in peacekeeping page, 2018 wording",
}

# stems of the source ids (kept from the first catalogue so that ids stay stable)
KNOWN_PUBLISHERS = {
    "state.gov": "US Department of State",
    "news.un.org": "UN News",
    "press.un.org": "United Nations",
    "peacekeeping.un.org": "UN Department of Peace Operations",
    "codebluecampaign.com": "Code Blue Campaign (AIDS-Free World)",
    "apnews.com": "Associated Press",
}


def is_same_reference(text: str) -> bool:
    return bool(re.search(r"\(same\b[^)]*\)\s*$", text)) or text.startswith("same ")


def first_url(text: str) -> str:
    m = re.search(r"https?://[^\s);]+", text)
    return m.group(0) if m else ""


def _symbol(text: str) -> str:
    m = re.search(r"\b(A/\d{2}/\d{3,4}|ST/SGB/\d{4}/\d+|SC/\d{5}|IED-\d{2}-\d{3})\b", text)
    return m.group(1) if m else ""


def _stem_publisher(text: str, url: str) -> str:
    if text.startswith("IPIDataLab/"):
        return "International Peace Institute (scrape of UN DPKO data)"
    if text.startswith("owid/"):
        return "Our World in Data"
    if text.startswith("corinnee/"):
        return "UN DPO open data (via GitHub corinnee/UN_Peacekeeping_Analytics)"
    host = urlparse(url).netloc.lower() if url else ""
    host = host[4:] if host.startswith("www.") else host
    for key, name in KNOWN_PUBLISHERS.items():
        if host.endswith(key):
            return name
    if host:
        return host
    return text.split(" (")[0].split(" via ")[0][:80]


def make_id(text: str) -> str:
    """A readable, stable id: symbol or publisher words plus a short hash of the full text."""
    if SEED_TEXT_MARK in text:
        return "tip2011-seed"
    stem = _symbol(text) or _stem_publisher(text, first_url(text))
    stem = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:28].strip("-")
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
    return f"{stem}-{digest}"


class Catalogue:
    """Source texts -> ids -> records."""

    def __init__(self, describer: pv.Describer) -> None:
        self.describer = describer
        self.full: dict[str, str] = {}  # text -> id, in order of first appearance
        self.records: dict[str, pv.Record] = {}

    def add(self, text: str) -> str:
        text = pv.SAME_AS.get(text.strip(), text.strip())
        if is_same_reference(text):
            return ""
        if text not in self.full:
            sid = make_id(text)
            if sid in self.records:
                raise SystemExit(f"two source texts give the id {sid}")
            rec = self.describer.describe(text)
            rec.source_id = sid
            self.full[text] = sid
            self.records[sid] = rec
        return self.full[text]

    def resolve(self, text: str) -> str:
        text = pv.SAME_AS.get(text.strip(), text.strip())
        if text in self.full:
            return self.full[text]
        prefix = ALIASES.get(text) or re.sub(r"\s*\(same\b[^)]*\)\s*$", "", text)
        words = prefix.split()[:4]
        for full, sid in self.full.items():
            if full.startswith(prefix) or full.split()[: len(words)] == words:
                return sid
        raise SystemExit(f"cannot resolve source reference {text!r}")

    def add_document(self, symbol: str) -> str:
        """The id of a report cited by itself (no page it was read on: its figures are not used,
        only that it exists, its date and the year it covers)."""
        text = f"{symbol} (the report itself)"
        if text not in self.full:
            sid = make_id(text)
            rec = self.describer.for_document(self.describer.report_by_label(symbol))
            rec.source_id = sid
            self.full[text] = sid
            self.records[sid] = rec
        return self.full[text]

    def rows(self, used: set[str]) -> list[dict[str, str]]:
        return [self.records[s].row() for s in sorted(self.records) if s in used]


def read(ref: Path, name: str) -> list[dict[str, str]]:
    with open(ref / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(name: str, fields: list[str], rows: list[dict]) -> None:
    with open(OUT / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in fields})


def intval(v: str) -> str:
    """'52154' or '52154.0' -> '52154'; keeps decimals that matter."""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def period(v: str) -> tuple[str, str]:
    m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", v.strip())
    if not m:
        return "", ""
    return m.group(1), m.group(2) or m.group(1)


def confidence_from_note(note: str) -> str:
    m = re.search(r"Confidence (high|medium|low)", note)
    if not m:
        raise SystemExit(f"no confidence stated in note {note!r}")
    return m.group(1)


# decisions taken here about a reference row, appended to its note (see data/README.md)
NOTE_ADDITIONS = {
    (
        "2016",
        "peacekeeping",
        "allegations_total",
        "103",
    ): "DECISION: the fact sheet counts UN field missions (peacekeeping and special political "
    "missions), the coverage of A/72/751's 104: 103 -> 104 is a revision, not a difference of "
    "scope; labelled peacekeeping to keep the yearly series (data/README.md)",
}


# --------------------------------------------------------------------------------------------------
# figures that secondary sources attribute to a named report (un_sg_report_mentions.csv)

HEADLINE = {"peacekeeping", "peacekeeping_and_spm"}

# reference scope text -> curated scope per value (None: no curated scope; listed, not added)
MENTION_SCOPES: dict[str, list[str | None]] = {
    "peacekeeping (DPKO/DFS personnel)": ["peacekeeping"],
    "peacekeeping": ["peacekeeping"],
    "peacekeeping (and SPM section)": ["peacekeeping"],
    "peacekeeping_and_spm": ["peacekeeping_and_spm"],
    "special_political_missions": ["special_political"],
    "un_system_total": ["un_system_total"],
    "un_system_total (UN personnel)": ["un_system_total"],
    "un_system_total incl. non-UN forces": ["all_reported_incl_non_un_forces"],
    "un_system_total incl. IPs and non-UN forces": ["all_reported_incl_ip"],
    "un_system_total incl. implementing partners": ["all_reported_incl_ip"],
    "all categories incl. IPs": ["all_reported_incl_ip"],
    "all categories incl. partners": ["all_reported_incl_ip"],
    "non_un_forces": ["non_un_forces"],
    "un_system_other_entities": ["un_system_non_peacekeeping"],
    "un_system_other_entities incl. implementing partners": ["un_system_non_peacekeeping_incl_ip"],
    "un_system_total / non-UN-related entities": ["un_system_total", None],
    "as worded by AP: UN peacekeepers / civilians": ["peacekeeping", "un_system_total"],
    "MISLABELLED: 148 is system-wide, not PK+SPM": [None],
}
# reference measure text -> curated measure per value (None: a percentage, not kept)
MENTION_MEASURES: dict[str, list[str | None]] = {
    "allegations_total": ["allegations_total"],
    "allegations_egregious (minors incl. rape)": ["allegations_egregious"],
    "investigations_completed": ["investigations_completed"],
    "substantiated_military": ["investigations_substantiated_military"],
    "substantiated_civilian": ["investigations_substantiated_civilian"],
    "substantiated_police": ["investigations_substantiated_police"],
    "allegations_civilian/military/police": [
        "allegations_civilian",
        "allegations_military",
        "allegations_police",
    ],
    "investigations_completed / unsubstantiated": [
        "investigations_completed",
        "investigations_unsubstantiated",
    ],
    "allegations_involving_children": ["allegations_involving_minors"],
    "allegations_military / allegations_police": ["allegations_military", "allegations_police"],
    "allegations_civilian / allegations_military": ["allegations_civilian", "allegations_military"],
    "victims (adult % / child %)": ["victims_total", None, None],
    "alleged perpetrators military/police/civilian": [
        "alleged_perpetrators_military",
        "alleged_perpetrators_police",
        "alleged_perpetrators_civilian",
    ],
    "victims (adults / children)": ["victims_total", "victims_adults", "victims_children"],
    "victims": ["victims_total"],
}
AP_WORDING = {
    "peacekeeping": "allegations_uniformed_ap_characterisation",
    "un_system_total": "allegations_civilian_ap_characterisation",
}

YEARBOOK = "https://issuu.com/unpublications/docs/yun_2009/93"


@dataclass
class Item:
    year: str
    table: str  # allegations or allegations_by_mission
    scope: str | None
    mission: str
    measure: str | None
    value: str


def mention_items(m: dict[str, str]) -> list[Item]:
    """One mention row -> one item per figure it gives."""
    years = [y.strip() for y in m["data_year"].split("/")]
    value = m["value"]
    pair = re.fullmatch(r"(\d+) / (\d+) \((\d{4})\); (\d+) / (\d+) \((\d{4})\)", value)
    if pair:
        a, b, y1, c, d, y2 = pair.groups()
        values, years = [a, b, c, d], [y1, y1, y2, y2]
        measures = MENTION_MEASURES[m["measure"]] * 2
    else:
        values = re.findall(r"\d+", value)
        measures = MENTION_MEASURES[m["measure"]]
    n = len(values)
    missions: list[str] = []
    if m["scope"].startswith("mission:"):
        missions = [s.strip().removeprefix("mission:") for s in m["scope"].split("/")]
        scopes: list[str | None] = ["peacekeeping"]
    else:
        scopes = MENTION_SCOPES[m["scope"]]
    items = []
    for i, v in enumerate(values):
        measure = measures[i] if len(measures) == n else measures[0]
        scope = scopes[i] if len(scopes) == n else scopes[0]
        if m["scope"].startswith("as worded by AP") and scope:
            measure = AP_WORDING[scope]
        items.append(
            Item(
                year=years[i] if len(years) == n else years[0],
                table="allegations_by_mission" if missions else "allegations",
                scope=scope,
                mission=(missions[i] if len(missions) == n else missions[0]) if missions else "",
                measure=measure,
                value=v,
            )
        )
    return items


def mention_source(cat: Catalogue, m: dict[str, str], report: str) -> str:
    """The catalogue id for a mention: its report (or named statistics) read on its page."""
    url = m["url"]
    if report.startswith("DPKO/DFS 2010 statistics"):
        text = f"DPKO/DFS 2010 statistics via {url}"
    elif report.startswith("DPKO statement to AP"):
        text = f"AP (DPKO statement) via {url}"
    elif re.match(r"\d{4} report", report):
        text = f"2025 SG report (symbol not seen; A/79/...) via {url}"
    else:
        doc = cat.describer.report_by_label(report)
        text = f"{doc.symbol} via {url}"
    return cat.add(text)


def annual_reports(cat: Catalogue, reports: list[dict[str, str]]) -> list[dict]:
    """One row per annual report of the Secretary-General whose data year the reference gives
    (stated in the report's text, or "expected": the report on the previous calendar year) and
    whose symbol is known: the year, symbol, issue date and source. Reports without a data year
    in the reference are left out (they cannot say which year they published first)."""
    rows = []
    for r in reports:
        m = re.fullmatch(r"(\d{4})( \(expected\))?", r["data_year"].strip())
        symbol = r["document_symbol"].strip()
        if not m or not re.fullmatch(r"A/\d{2}/\d{3,4}", symbol):
            continue
        if any(x["document_symbol"] == symbol for x in rows):
            continue  # the same report read in a second copy: one row
        url = r["read_at_url"].strip()
        sid = cat.add(f"{symbol} via {url}") if url else cat.add_document(symbol)
        rec = cat.records[sid]
        expected = bool(m.group(2))
        rows.append(
            dict(
                year=m.group(1),
                document_symbol=symbol,
                issue_date=rec.date,
                source_id=sid,
                locator=pv.locator("", rec) if url else f"report {symbol} (text not read)",
                confidence="low" if expected else pv.confidence("high", rec),
                note=(
                    "data year expected (each annual report covers the previous calendar "
                    "year), not read in the report's text"
                    if expected
                    else "data year stated in the report's text"
                ),
            )
        )
    rows.sort(key=lambda r: (int(r["year"]), r["document_symbol"]))
    return rows


def primary_of(rec: pv.Record) -> str:
    return rec.document_symbol or rec.title


def add_mentions(
    cat: Catalogue, mentions: list[dict[str, str]], tables: dict[str, list[dict]]
) -> tuple[list[str], list[str]]:
    """Add the mention figures no row yet gives from the same report with as good a page; return
    (added, not placed) descriptions."""
    added, unplaced = [], []
    report = ""
    for m in mentions:
        report = report if m["attributed_report"] == "same" else m["attributed_report"]
        sid = mention_source(cat, m, report)
        rec = cat.records[sid]
        rank = VIA_RANK[rec.rests_on]
        for it in mention_items(m):
            what = f"{it.year} {it.mission or it.scope} {it.measure} {it.value} ({report})"
            if it.scope is None or it.measure is None:
                if it.measure is not None:
                    unplaced.append(f"{what}: scope {m['scope']!r} has no curated scope")
                continue
            rows = tables[it.table]
            same = [
                r
                for r in rows
                if r["year"] == it.year
                and r["measure"] == it.measure
                and float(r["value"]) == float(it.value)
                and (r["scope"] == it.scope or {r["scope"], it.scope} <= HEADLINE)
                and (not it.mission or r["mission"].startswith(it.mission))
            ]
            by_report = [
                r for r in same if primary_of(cat.records[r["source_id"]]) == primary_of(rec)
            ]
            if (
                by_report
                and min(VIA_RANK[cat.records[r["source_id"]].rests_on] for r in by_report) <= rank
            ):
                continue
            extra = "p. 76 of the 2009 volume (issuu page 93)" if m["url"] == YEARBOOK else ""
            row = dict(
                year=it.year,
                scope=it.scope,
                measure=it.measure,
                value=it.value,
                source_id=sid,
                locator=pv.locator(extra, rec),
                confidence=pv.confidence("medium", rec),
                note=f"from the report mentions of the reference facts ({m['source_type']})",
            )
            if it.mission:
                row["mission"] = it.mission
            rows.append(row)
            added.append(what)
    return added, unplaced


# --------------------------------------------------------------------------------------------------
# the Frictionless data package


PACKAGE_LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 (the compilation: selection, structure, notes); "
    "each figure remains under its source's terms, see sources.csv `licence`",
}


def datapackage(cited: dict[str, list[str]], sources: dict[str, dict]) -> dict:
    """The descriptor of data/: one resource per table, schemas from pkoresearch.data.curated."""
    resources = []
    for name, spec in [*SPECS.items(), ("sources", SOURCES_SPEC)]:
        res = {
            "name": name,
            "path": spec.file,
            "profile": "tabular-data-resource",
            "title": spec.description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "licenses": [PACKAGE_LICENCE],
            "schema": table_schema(spec),
        }
        if name in cited:
            ids = sorted(
                cited[name],
                key=lambda s: (sources[s]["type"] not in PRIMARY_TYPES, sources[s]["type"], s),
            )
            res["sources"] = [
                {
                    "title": f"[{s}] {sources[s]['publisher']}: {sources[s]['title']}"
                    + (
                        f" ({sources[s]['document_symbol']})"
                        if sources[s]["document_symbol"]
                        else ""
                    ),
                    **(
                        {"path": p}
                        if (
                            p := sources[s]["official_url"]
                            or sources[s]["url"]
                            or sources[s]["via_url"]
                        )
                        else {}
                    ),
                }
                for s in ids
            ]
        resources.append(res)
    return {
        "profile": "tabular-data-package",
        "name": "pkoresearch-curated",
        "title": "pkoresearch curated tables: sexual exploitation and abuse by UN peacekeepers, "
        "personnel, contributors' responses, with a source for every figure",
        "version": __version__,
        "licenses": [PACKAGE_LICENCE],
        "sources": [
            {
                "title": "Source catalogue of this package (one record per cited document)",
                "path": "sources.csv",
            }
        ],
        "resources": resources,
    }


# --------------------------------------------------------------------------------------------------


def main(ref: Path) -> None:
    files = {
        n: read(ref, n)
        for n in [
            "allegations_by_year.csv",
            "allegations_by_mission.csv",
            "allegations_by_country_2015.csv",
            "tcc_followups_by_year.csv",
            "organization_figures.csv",
            "women_by_year.csv",
            "women_by_country.csv",
            "parity_targets.csv",
        ]
    }
    cat = Catalogue(pv.Describer(read(ref, "un_sg_reports.csv")))
    for rows in files.values():
        for r in rows:
            if r["source"] != "no source found":
                cat.add(r["source"].removesuffix("; summed over missions"))

    def src(r: dict) -> tuple[str, pv.Record]:
        sid = cat.resolve(r["source"])
        return sid, cat.records[sid]

    def prov(r: dict, locator: str = "", conf: str | None = None) -> dict:
        sid, rec = src(r)
        quoted = pv.QUOTED.match(locator)
        if quoted and not rec.document_symbol and rec.url:
            # the page is cited, but the row's locator names the report it quotes: cite the report
            # first, read on that page
            symbol = quoted.group(2)
            kind = " (quoted)" if quoted.group(1) in ("quotes", "paraphrases") else ""
            sid = cat.add(f"{symbol}{kind} via {rec.url}")
            rec = cat.records[sid]
        return dict(
            source_id=sid,
            locator=pv.locator(locator, rec),
            confidence=pv.confidence(conf or r["confidence"], rec),
        )

    tables: dict[str, list[dict]] = {}

    def note(r: dict) -> str:
        extra = NOTE_ADDITIONS.get((r["year"], r["scope"], r["measure"], intval(r["value"])))
        return "; ".join(filter(None, [r["note"], extra]))

    tables["allegations"] = [
        dict(
            year=r["year"],
            scope=r["scope"],
            measure=r["measure"],
            value=intval(r["value"]),
            **prov(r, r["locator"]),
            note=note(r),
        )
        for r in files["allegations_by_year.csv"]
        if r["source"] != "no source found"
    ]
    tables["allegations_by_mission"] = [
        dict(
            year=r["year"],
            mission=r["mission"],
            scope=r["scope"],
            measure=r["measure"],
            value=intval(r["value"]),
            **prov(r, r["locator"]),
            note=r["note"],
        )
        for r in files["allegations_by_mission.csv"]
    ]

    added, unplaced = add_mentions(cat, read(ref, "un_sg_report_mentions.csv"), tables)
    tables["allegations"].sort(key=lambda r: int(r["year"]))  # stable: reference order kept
    write(
        "allegations.csv",
        ["year", "scope", "measure", "value", "source_id", "locator", "confidence", "note"],
        tables["allegations"],
    )
    write(
        "allegations_by_mission.csv",
        [
            "year",
            "mission",
            "scope",
            "measure",
            "value",
            "source_id",
            "locator",
            "confidence",
            "note",
        ],
        tables["allegations_by_mission"],
    )

    rows = []
    for r in files["allegations_by_country_2015.csv"]:
        first, last = period(r["year"])
        rows.append(
            dict(
                period=r["year"],
                year_start=first,
                year_end=last,
                country=r["country"],
                personnel_category=r["personnel_category"],
                count_type=r["count_type"],
                value=intval(r["allegations"]),
                **prov(r),
                note=r["note"],
            )
        )
    tables["allegations_by_nationality"] = rows
    write(
        "allegations_by_nationality.csv",
        [
            "period",
            "year_start",
            "year_end",
            "country",
            "personnel_category",
            "count_type",
            "value",
            "source_id",
            "locator",
            "confidence",
            "note",
        ],
        rows,
    )

    rows = []
    for r in files["tcc_followups_by_year.csv"]:
        first, last = period(r["year"])
        rows.append(
            dict(
                period=r["year"],
                year_start=first,
                year_end=last,
                measure=r["measure"],
                value=intval(r["value"]),
                denominator_note=r["denominator_note"],
                **prov(r, r["locator"]),
                note=r["note"],
            )
        )
    tables["followups"] = rows
    write(
        "followups.csv",
        [
            "period",
            "year_start",
            "year_end",
            "measure",
            "value",
            "denominator_note",
            "source_id",
            "locator",
            "confidence",
            "note",
        ],
        rows,
    )

    rows = []
    for r in files["organization_figures.csv"]:
        first, _ = period(r["year"])
        rows.append(
            dict(
                organization=r["organization"],
                year=first,
                measure=r["measure"],
                value=intval(r["value"]),
                **prov(r, "seed text" if SEED_TEXT_MARK in r["source"] else ""),
                note=r["note"] or ("undated" if not first else ""),
            )
        )
    tables["organizations"] = rows
    write(
        "organizations.csv",
        ["organization", "year", "measure", "value", "source_id", "locator", "confidence", "note"],
        rows,
    )

    rows = []
    for r in files["women_by_year.csv"]:
        rows.append(
            dict(
                year=r["year"],
                month=intval(r["month"]) if r["month"] else "",
                category=r["category"],
                measure=r["measure"],
                value=intval(r["value"]),
                **prov(r, r["locator"]),
                note=r["note"],
            )
        )
    tables["personnel"] = rows
    write(
        "personnel.csv",
        [
            "year",
            "month",
            "category",
            "measure",
            "value",
            "source_id",
            "locator",
            "confidence",
            "note",
        ],
        rows,
    )

    rows = []
    for r in files["women_by_country.csv"]:
        scrape = r["source"].startswith("IPIDataLab/")
        # the "; summed over missions" suffix describes the row, not the source: it goes to locator
        r = {**r, "source": r["source"].removesuffix("; summed over missions")}
        loc = (
            f"Date={r['year']}-{int(r['month']):02d} (month end), Contributor={r['country']}; "
            + ("summed over missions" if scrape else "row of Rank.csv")
        )
        sid, _ = src(r)
        rows.append(
            dict(
                year=r["year"],
                month=r["month"],
                country=r["country"],
                iso3=r["iso3"],
                category=r["category"],
                personnel_total=r["personnel_total"],
                women=r["women"],
                source_id=sid,
                locator=loc,
                confidence="high",
            )
        )
    tables["personnel_by_country"] = rows
    write(
        "personnel_by_country.csv",
        [
            "year",
            "month",
            "country",
            "iso3",
            "category",
            "personnel_total",
            "women",
            "source_id",
            "locator",
            "confidence",
        ],
        rows,
    )

    rows = [
        dict(
            year=r["year"],
            category=r["category"],
            target_share_pct=intval(r["target_share_pct"]) if r["target_share_pct"] else "",
            **prov(r, "", confidence_from_note(r["note"])),
            note=r["note"],
        )
        for r in files["parity_targets.csv"]
    ]
    tables["parity_targets"] = rows
    write(
        "parity_targets.csv",
        ["year", "category", "target_share_pct", "source_id", "locator", "confidence", "note"],
        rows,
    )

    tables["annual_reports"] = annual_reports(cat, read(ref, "un_sg_reports.csv"))
    write(
        "annual_reports.csv",
        ["year", "document_symbol", "issue_date", "source_id", "locator", "confidence", "note"],
        tables["annual_reports"],
    )

    used = {r["source_id"] for rows in tables.values() for r in rows}
    # org_policies.csv is written by hand (a paraphrase of the seed) and always read from data/
    with open(DATA / "org_policies.csv", newline="", encoding="utf-8") as fh:
        cited_policies = sorted({r["source_id"] for r in csv.DictReader(fh)})
    used |= set(cited_policies)
    source_rows = cat.rows(used)
    write("sources.csv", pv.FIELDS, source_rows)

    cited = {name: sorted({r["source_id"] for r in rows}) for name, rows in tables.items()}
    cited["org_policies"] = cited_policies
    package = datapackage(cited, {r["source_id"]: r for r in source_rows})
    (OUT / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    for line in added:
        print(f"added from the report mentions: {line}")
    for line in unplaced:
        print(f"not placed: {line}")


OUT = DATA

if __name__ == "__main__":
    # python tools/build_data.py [REFERENCE_DIR [OUTPUT_DIR]]
    if len(sys.argv) > 2:
        OUT = Path(sys.argv[2])
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference")
