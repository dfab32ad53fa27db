"""Build the curated tables in data/ from the sourced facts in ../shared/reference/.

Run from the project root:  python tools/build_data.py [REFERENCE_DIR [OUTPUT_DIR]]

What it does, so that every number in data/ can be traced back:
- copies each figure with its source, locator and confidence;
- gives every distinct source text a stable `source_id` and writes the catalogue to data/sources.csv;
  texts that only say "(same)" or "(same as above)" are resolved to the full source they refer to;
- splits period labels ("2004-2006") into first and last year;
- drops nothing except rows whose source says "no source found" (listed in data/README.md).

The output is deterministic: running it twice gives identical files.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

SEED_TEXT_MARK = "shared/seed/"

# "(same)" texts whose full source does not start with the same words.
ALIASES = {
    "CFR (2018) via securitywomen.org (same)": "Council on Foreign Relations report (2018)",
    "DPO target-achievers page copy (same)": 'DPO page "Acknowledging uniformed gender parity',
    "same mirror of UN 2018 wording": "UN DPO Women in peacekeeping page, 2018 wording",
}

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


def document_symbol(text: str) -> str:
    m = re.search(r"\b(A/\d{2}/\d{3,4}|ST/SGB/\d{4}/\d+|SC/\d{5}|IED-\d{2}-\d{3})\b", text)
    return m.group(1) if m else ""


def publisher(text: str, url: str) -> str:
    if SEED_TEXT_MARK in text or "US Department of State" in text:
        return "US Department of State"
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


def source_date(text: str, url: str) -> str:
    m = re.search(r"\b((?:19|20)\d{2})-(\d{2})(?:-(\d{2}))?\b", text)
    if m:
        return "-".join(p for p in m.groups() if p)
    m = re.search(r"/((?:19|20)\d{2})/(\d{2})/", url)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    m = re.search(r"Report (\d{4})", text)
    if m:
        return m.group(1)
    m = re.search(r"tiprpt/(\d{4})/", url)
    if m:
        return m.group(1)
    return ""


def make_id(text: str) -> str:
    """A readable, stable id: symbol or publisher words plus a short hash of the full text."""
    if SEED_TEXT_MARK in text:
        return "tip2011-seed"
    symbol = document_symbol(text)
    url = first_url(text)
    stem = symbol or publisher(text, url)
    stem = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:28].strip("-")
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
    return f"{stem}-{digest}"


class Catalogue:
    def __init__(self) -> None:
        self.full: dict[str, str] = {}  # text -> id, in order of first appearance

    def add(self, text: str) -> None:
        text = text.strip()
        if not is_same_reference(text) and text not in self.full:
            self.full[text] = make_id(text)

    def resolve(self, text: str) -> str:
        text = text.strip()
        if text in self.full:
            return self.full[text]
        prefix = ALIASES.get(text) or re.sub(r"\s*\(same\b[^)]*\)\s*$", "", text)
        words = prefix.split()[:4]
        for full, sid in self.full.items():
            if full.startswith(prefix) or full.split()[: len(words)] == words:
                return sid
        raise SystemExit(f"cannot resolve source reference {text!r}")

    def rows(self) -> list[dict[str, str]]:
        out = []
        for text, sid in self.full.items():
            url = first_url(text)
            out.append(
                {
                    "source_id": sid,
                    "title": text,
                    "publisher": publisher(text, url),
                    "date": source_date(text, url),
                    "document_symbol": document_symbol(text),
                    "url": url,
                }
            )
        return sorted(out, key=lambda r: r["source_id"])


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


NO_LOCATOR = "whole document (no finer locator recorded)"


def main(ref: Path) -> None:
    cat = Catalogue()
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
    for rows in files.values():
        for r in rows:
            if r["source"] != "no source found":
                cat.add(r["source"].removesuffix("; summed over missions"))

    def src(r: dict) -> str:
        return cat.resolve(r["source"])

    # allegations by year
    rows = []
    for r in files["allegations_by_year.csv"]:
        if r["source"] == "no source found":
            continue
        rows.append(
            dict(
                year=r["year"], scope=r["scope"], measure=r["measure"], value=intval(r["value"]),
                source_id=src(r), locator=r["locator"] or NO_LOCATOR, confidence=r["confidence"],
                note=r["note"],
            )
        )
    write("allegations.csv",
          ["year", "scope", "measure", "value", "source_id", "locator", "confidence", "note"], rows)

    rows = [
        dict(year=r["year"], mission=r["mission"], scope=r["scope"], measure=r["measure"],
             value=intval(r["value"]), source_id=src(r), locator=r["locator"] or NO_LOCATOR,
             confidence=r["confidence"], note=r["note"])
        for r in files["allegations_by_mission.csv"]
    ]
    write("allegations_by_mission.csv",
          ["year", "mission", "scope", "measure", "value", "source_id", "locator", "confidence", "note"],
          rows)

    rows = []
    for r in files["allegations_by_country_2015.csv"]:
        first, last = period(r["year"])
        rows.append(
            dict(period=r["year"], year_start=first, year_end=last, country=r["country"],
                 personnel_category=r["personnel_category"], count_type=r["count_type"],
                 value=intval(r["allegations"]), source_id=src(r), locator=NO_LOCATOR,
                 confidence=r["confidence"], note=r["note"])
        )
    write("allegations_by_nationality.csv",
          ["period", "year_start", "year_end", "country", "personnel_category", "count_type", "value",
           "source_id", "locator", "confidence", "note"], rows)

    rows = []
    for r in files["tcc_followups_by_year.csv"]:
        first, last = period(r["year"])
        rows.append(
            dict(period=r["year"], year_start=first, year_end=last, measure=r["measure"],
                 value=intval(r["value"]), denominator_note=r["denominator_note"], source_id=src(r),
                 locator=r["locator"] or NO_LOCATOR, confidence=r["confidence"], note=r["note"])
        )
    write("followups.csv",
          ["period", "year_start", "year_end", "measure", "value", "denominator_note", "source_id",
           "locator", "confidence", "note"], rows)

    rows = []
    for r in files["organization_figures.csv"]:
        first, _ = period(r["year"])
        rows.append(
            dict(organization=r["organization"], year=first, measure=r["measure"],
                 value=intval(r["value"]), source_id=src(r),
                 locator="seed text" if SEED_TEXT_MARK in r["source"] else NO_LOCATOR,
                 confidence=r["confidence"], note=r["note"] or ("undated" if not first else ""))
        )
    write("organizations.csv",
          ["organization", "year", "measure", "value", "source_id", "locator", "confidence", "note"],
          rows)

    rows = []
    for r in files["women_by_year.csv"]:
        rows.append(
            dict(year=r["year"], month=intval(r["month"]) if r["month"] else "",
                 category=r["category"], measure=r["measure"], value=intval(r["value"]),
                 source_id=src(r), locator=r["locator"] or NO_LOCATOR, confidence=r["confidence"],
                 note=r["note"])
        )
    write("personnel.csv",
          ["year", "month", "category", "measure", "value", "source_id", "locator", "confidence",
           "note"], rows)

    rows = []
    for r in files["women_by_country.csv"]:
        scrape = r["source"].startswith("IPIDataLab/")
        # the "; summed over missions" suffix describes the row, not the source: it goes to locator
        r = {**r, "source": r["source"].removesuffix("; summed over missions")}
        loc = (f"Date={r['year']}-{int(r['month']):02d} (month end), Contributor={r['country']}; "
               + ("summed over missions" if scrape else "row of Rank.csv"))
        rows.append(
            dict(year=r["year"], month=r["month"], country=r["country"], iso3=r["iso3"],
                 category=r["category"], personnel_total=r["personnel_total"], women=r["women"],
                 source_id=src(r), locator=loc, confidence="high")
        )
    write("personnel_by_country.csv",
          ["year", "month", "country", "iso3", "category", "personnel_total", "women", "source_id",
           "locator", "confidence"], rows)

    rows = [
        dict(year=r["year"], category=r["category"],
             target_share_pct=intval(r["target_share_pct"]) if r["target_share_pct"] else "",
             source_id=src(r), locator=NO_LOCATOR, confidence=confidence_from_note(r["note"]),
             note=r["note"])
        for r in files["parity_targets.csv"]
    ]
    write("parity_targets.csv",
          ["year", "category", "target_share_pct", "source_id", "locator", "confidence", "note"], rows)

    write("sources.csv", ["source_id", "title", "publisher", "date", "document_symbol", "url"],
          cat.rows())


OUT = DATA

if __name__ == "__main__":
    # python tools/build_data.py [REFERENCE_DIR [OUTPUT_DIR]]
    if len(sys.argv) > 2:
        OUT = Path(sys.argv[2])
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference")
