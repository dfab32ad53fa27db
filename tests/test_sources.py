"""Citable provenance: primary UN documents first, source types, official addresses, the preferred
rule against copy pages, and citations in text, BibTeX and CSL-JSON without filesystem paths."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

import pkoresearch as pko
from conftest import ROOT
from pkoresearch.data.curated import CONFIDENCE, SPECS, rests_on
from pkoresearch.data.schema import SOURCE_TYPES


@pytest.fixture(scope="module")
def cat() -> pd.DataFrame:
    return pko.sources.catalogue()


@pytest.fixture(scope="module")
def every() -> dict[str, pd.DataFrame]:
    return {n: pko.load(n, preferred=False) for n in SPECS}


# ---------------------------------------------------------------------------- the records


def test_records_have_a_type_and_un_documents_an_official_address(cat):
    assert set(cat["type"]) <= set(SOURCE_TYPES)
    assert set(cat["via_type"]) - {""} <= set(SOURCE_TYPES)
    with_symbol = cat[cat["document_symbol"] != ""]
    assert len(with_symbol) > 30
    # one documented pattern: the Official Documents System address of the symbol
    expected = "https://docs.un.org/en/" + with_symbol["document_symbol"].str.replace(" ", "")
    assert (with_symbol["official_url"] == expected).all()
    assert (cat.loc[cat["document_symbol"] == "", "official_url"] == "").all()
    assert (with_symbol["type"] == "un_document").all()


def test_a_record_with_a_symbol_but_no_official_address_is_refused(tmp_path):
    for f in (ROOT / "data").glob("*.csv"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    rows = list(csv.DictReader(open(tmp_path / "sources.csv", encoding="utf-8")))
    i = next(i for i, r in enumerate(rows) if r["document_symbol"])
    rows[i]["official_url"] = ""
    with open(tmp_path / "sources.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    code = "import pkoresearch as pko; pko.sources.catalogue()"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PKORESEARCH_DATA": str(tmp_path)},
    )
    assert out.returncode != 0
    assert f"row {i + 2}" in out.stderr and "official_url" in out.stderr


def test_secretary_general_reports_are_cited_by_symbol_first(cat):
    a73 = cat[cat["document_symbol"] == "A/73/744"]
    assert len(a73) >= 3  # read on several pages, one record each
    assert set(a73["title"]) == {
        "Special measures for protection from sexual exploitation and "
        "abuse: report of the Secretary-General"
    }
    assert set(a73["date"]) == {"2019-02-14"}
    assert set(a73["publisher"]) == {"United Nations General Assembly"}
    # the pages the issue names are where figures were read, never the cited document
    for host in ("sott.net", "new.finalcall.com", "rebuildboulder.denverdonate.com", "masress.com"):
        hits = cat[cat["via_url"].str.contains(host, regex=False)]
        assert len(hits), host
        assert not cat["url"].str.contains(host, regex=False).any(), host
        assert (hits["type"] != "web_mirror").all(), host
    for host in ("sott.net", "rebuildboulder.denverdonate.com", "masress.com"):
        assert (
            cat.loc[cat["via_url"].str.contains(host, regex=False), "via_type"] == "web_mirror"
        ).all(), host


def test_copy_and_spam_pages_are_web_mirrors(cat):
    text = cat["via_publisher"] + " " + cat["publisher"] + " " + cat["note"]
    for host in ("meuselwitz-guss.de", "dd-floors.com", "drtktopecollege.in", "zysteam-edu.com"):
        hit = cat[text.str.contains(host, regex=False)]
        assert len(hit) == 1, host
        assert rests_on(hit).tolist() == ["web_mirror"], host


# ---------------------------------------------------------------------------- the figures


def test_no_preferred_figure_rests_on_a_web_mirror_where_another_source_gives_it(every, cat):
    on = rests_on(cat).set_axis(cat["source_id"].to_numpy())
    checked = 0
    for name, spec in SPECS.items():
        if not spec.figure:
            continue
        df = every[name].assign(on=lambda d: d["source_id"].map(on))
        for _, g in df.groupby(list(spec.figure), observed=True, dropna=False):
            if (g["on"] == "web_mirror").any() and (g["on"] != "web_mirror").any():
                checked += 1
                assert (g.loc[g["preferred"], "on"] != "web_mirror").all(), g
    assert checked >= 3  # e.g. 2012 (60 via a copy page, 61 via Fox News), 2018 uniformed approx


def test_figures_read_only_on_copy_pages_have_low_confidence(every, cat):
    """Confidence set by source type: a figure read on a copy of someone else's article is low;
    read on an uploaded copy of the document itself, at most medium."""
    on = rests_on(cat).set_axis(cat["source_id"].to_numpy())
    n = 0
    for df in every.values():
        mirror = df[df["source_id"].map(on) == "web_mirror"]
        copy_of_document = mirror["locator"].str.contains("read in a copy at", regex=False)
        assert (mirror.loc[~copy_of_document, "confidence"] == "low").all()
        assert (mirror.loc[copy_of_document, "confidence"] != "high").all()
        n += len(mirror)
    assert n > 20


def test_locators_say_what_is_known(every):
    for name, df in every.items():
        assert not df["locator"].str.contains("whole document").any(), name
    a = every["allegations"]
    row = a.query("year == 2015 and scope == 'peacekeeping' and measure == 'allegations_total'")
    assert row["locator"].tolist() == [
        "report A/70/729 (paragraph not read); read in ITV News (article, 2016-03-05)"
    ]
    f = every["followups"]
    quoted = f.query("measure == 'allegations_referred_to_tccs_pccs'")["locator"].iloc[0]
    assert quoted.startswith("report A/67/766, para. 15 (quoted); read in Global Military")


def _mention_rows(reference_dir):
    with open(reference_dir / "un_sg_report_mentions.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_yearly_total_attributed_to_a_report_names_that_report(reference_dir, every, cat):
    """Each allegations total (2004 on) that a secondary source attributes to a named report is
    given in the data by a row whose source is that report."""
    symbol = cat.set_index("source_id")["document_symbol"]
    kind = cat.set_index("source_id")["type"]
    date = cat.set_index("source_id")["date"]
    rows = pd.concat([every["allegations"], every["allegations_by_mission"]])
    # figures the data cannot hold: no curated scope for "non-UN-related entities" (IPs plus
    # non-UN forces together)
    not_placed = {("2018", "111")}
    report, checked = "", 0
    for m in _mention_rows(reference_dir):
        report = report if m["attributed_report"] == "same" else m["attributed_report"]
        if m["measure"] != "allegations_total":
            continue
        years = [y.strip() for y in m["data_year"].split("/")]
        values = re.findall(r"\d+", m["value"])
        pairs = zip(years, values) if len(years) == len(values) else [(years[0], v) for v in values]
        sym = re.search(r"A/\d{2}/\d{3,4}", report)
        for year, value in pairs:
            if int(year) < 2004 or (year, value) in not_placed:
                continue
            if not sym and not re.match(r"\d{4} report", report):
                continue  # DPKO/DFS statistics or a statement, not a report
            hit = rows[(rows["year"] == int(year)) & (rows["value"] == float(value))]
            ids = hit["source_id"].astype(str)
            if sym:
                ok = (ids.map(symbol) == sym.group(0)).any()
            else:  # the 2025 report, symbol not known
                ok = ((ids.map(kind) == "un_document") & ids.map(date).str.startswith("2025")).any()
            assert ok, (year, value, report)
            checked += 1
    assert checked >= 40


def test_un_yearbook_gives_2006_to_2008_from_a_63_720(every):
    a = every["allegations"]
    yun = a[a["locator"].str.contains("Yearbook of the United Nations 2009", regex=False)]
    pk = yun[yun["measure"] == "allegations_total"].set_index("year")["value"]
    assert pk.to_dict() == {2006: 357, 2007: 127, 2008: 83}
    assert set(yun["source_id"].map(lambda s: pko.sources.get(s)["document_symbol"])) == {
        "A/63/720"
    }
    assert (yun["confidence"] == "medium").all()
    assert yun["locator"].str.contains("p. 76").all()


def test_confidence_levels_and_types_are_known(every):
    for df in every.values():
        assert set(df["confidence"].astype(str)) <= set(CONFIDENCE)


# ---------------------------------------------------------------------------- citations

PATHLIKE = re.compile(
    r"(?<![\w:/.-])(?:~|\.{1,2})?/(?:work|home|tmp|Users|mnt|srv)\b|"
    r"\b[\w.-]+/[\w.-]+\.(?:txt|csv|py|json|md|ipynb)\b|[A-Za-z]:\\|"
    r"\bshared/(?:seed|reference|external)\b"
)


def _without_urls(text: str) -> str:
    return re.sub(r"https?://\S+", "", text)


def test_no_citation_contains_a_filesystem_path(cat):
    assert PATHLIKE.search("see shared/seed/000_116a55bb72836163.txt")  # the pattern can fail
    assert PATHLIKE.search("/work/main/data/x.csv") and not PATHLIKE.search("DPKO/DFS, A/73/744")
    for sid in cat["source_id"]:
        for style in pko.sources.STYLES:
            text = pko.sources.cite(sid, style)
            assert not PATHLIKE.search(_without_urls(text)), (sid, style, text)
            assert str(ROOT) not in text
    whole = cat.drop(columns=["url", "via_url", "official_url"]).to_csv(index=False)
    assert not PATHLIKE.search(whole)


def test_the_seed_is_cited_as_the_2011_tip_report_section():
    text = pko.sources.cite("tip2011-seed")
    assert text == (
        "US Department of State (2011-06). Trafficking in Persons Report 2011: Stopping "
        "Human Trafficking, Sexual Exploitation, and Abuse by International "
        "Peacekeepers."
    )


def test_text_citation_names_the_report_then_the_page():
    text = pko.sources.cite("a-73-744-f659dc")
    assert text.startswith(
        "United Nations Secretary-General (2019-02-14). Special measures for "
        "protection from sexual exploitation and abuse: report of the "
        "Secretary-General. UN document A/73/744. United Nations General "
        "Assembly. https://docs.un.org/en/A/73/744. Read in: United Nations in "
        "Tunisia (UN country team) (UN page)"
    )
    with pytest.raises(ValueError, match="style"):
        pko.sources.cite("a-73-744-f659dc", style="apa")


def test_bibtex_export_parses_with_pybtex(cat):
    pybtex = pytest.importorskip("pybtex.database")
    text = pko.sources.export(list(cat["source_id"]), style="bibtex")
    db = pybtex.parse_string(text, "bibtex")
    # one entry per document: the sources naming one UN symbol are one entry, the others aliases
    documents = {s or i for s, i in zip(cat["document_symbol"], cat["source_id"])}
    assert len(db.entries) == len(documents)
    aliases = {
        alias.strip(): key
        for key, e in db.entries.items()
        for alias in e.fields.get("ids", "").split(",")
        if alias.strip()
    }
    assert set(db.entries) | set(aliases) == set(cat["source_id"])  # every source still citable
    (a70,) = [e for e in db.entries.values() if e.fields.get("number") == "A/70/729"]
    assert len(a70.fields["ids"].split(",")) == (cat["document_symbol"] == "A/70/729").sum() - 1
    a73 = db.entries[aliases.get("a-73-744-f659dc", "a-73-744-f659dc")]
    assert a73.type == "techreport"
    assert a73.fields["number"] == "A/73/744"
    assert a73.fields["year"] == "2019"
    assert a73.fields["url"] == "https://docs.un.org/en/A/73/744"
    assert a73.fields["institution"] == "United Nations General Assembly"
    assert "onu-tn.org" in a73.fields.get("note", "") + a73.fields.get("addendum", "")
    for key, entry in db.entries.items():
        assert entry.fields["title"], key
        assert len(entry.persons["author"]) == 1, key  # one body, braced: not split into names
        row = cat.set_index("source_id").loc[key]
        if row["date"]:
            assert entry.fields["year"] == row["date"][:4], key


def test_csl_json_loads_with_the_required_fields(cat):
    items = json.loads(pko.sources.export(list(cat["source_id"]), style="csl-json"))
    assert [i["id"] for i in items] == pko.sources.bibliography(list(cat["source_id"]))[
        "source_id"
    ].tolist()
    csl_types = {"report", "dataset", "webpage", "article-newspaper"}
    for item in items:
        assert {"id", "type", "title", "author", "publisher"} <= set(item), item
        assert item["type"] in csl_types
        assert all("literal" in a for a in item["author"])
        row = cat.set_index("source_id").loc[item["id"]]
        if row["date"]:
            parts = item["issued"]["date-parts"][0]
            assert "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)) == row["date"]
        if row["official_url"] or row["url"]:
            assert item["URL"] == (row["official_url"] or row["url"])
    one = json.loads(pko.sources.cite("a-74-705-f1d530", "csl-json"))
    assert one["number"] == "A/74/705" and one["type"] == "report"
    assert one["issued"] == {"date-parts": [[2020, 2, 17]]}


def test_bibliography_lists_primary_documents_first(every):
    b = pko.sources.bibliography(every["allegations"])
    assert b["rows"].sum() == len(every["allegations"])
    primary = b["primary"].tolist()
    assert primary == sorted(primary, reverse=True)  # all primary rows before secondary ones
    assert primary[0] and not primary[-1]
    first = b[b["primary"]]
    with_symbol = (first["document_symbol"] != "").tolist()
    assert with_symbol == sorted(with_symbol, reverse=True)  # UN documents by symbol first
    assert b["citation"].iloc[0].startswith("United Nations")


def test_bibliography_of_frames_and_ids_agree(every):
    f = every["followups"]
    by_frame = pko.sources.bibliography(f)
    by_ids = pko.sources.bibliography(list(f["source_id"].astype(str)))
    assert by_frame.equals(by_ids)
    with pytest.raises(KeyError, match="nope"):
        pko.sources.bibliography(["nope"])


def test_cli_data_cite_exports_bibtex(tmp_path):
    pybtex = pytest.importorskip("pybtex.database")
    exe = [sys.executable, "-m", "pkoresearch.cli"]
    out = subprocess.run(
        [*exe, "data", "cite", "followups", "--format", "bibtex"],
        capture_output=True,
        text=True,
        check=True,
    )
    db = pybtex.parse_string(out.stdout, "bibtex")
    cited = (
        pko.sources.catalogue()
        .set_index("source_id")
        .loc[pko.load("followups", preferred=False)["source_id"].str.split("; ").explode().unique()]
    )
    expected = len({s or i for s, i in zip(cited["document_symbol"], cited.index)})
    assert len(db.entries) == expected  # one entry per document
    assert list(db.entries)[0].startswith("a-")  # a UN report comes first
    one = subprocess.run(
        [*exe, "data", "cite", "tip2011-seed"], capture_output=True, text=True, check=True
    )
    assert one.stdout == pko.sources.cite("tip2011-seed") + "\n"
    bad = subprocess.run([*exe, "data", "cite", "alegations"], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected a dataset" in bad.stderr


def test_data_readme_states_the_catalogue_counts(cat):
    text = (ROOT / "data" / "README.md").read_text()
    m = re.search(
        r"(\d+) records: (.*?); (\d+) were read on another page \((\d+) of those", text, flags=re.S
    )
    assert m, "the catalogue paragraph of data/README.md"
    assert int(m.group(1)) == len(cat)
    stated = {t: int(n) for n, t in re.findall(r"(\d+) `(\w+)`", m.group(2))}
    assert stated == cat["type"].value_counts().to_dict()
    assert int(m.group(3)) == (cat["via_type"] != "").sum()
    assert int(m.group(4)) == (cat["via_type"] == "web_mirror").sum()
    symbols = re.search(r"\((\d+) with a UN symbol: (\d+) documents", text)
    assert int(symbols.group(1)) == (cat["document_symbol"] != "").sum()
    assert (
        int(symbols.group(2)) == cat.loc[cat["document_symbol"] != "", "document_symbol"].nunique()
    )
