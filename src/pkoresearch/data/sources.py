"""The source catalogue (data/sources.csv) and citations: text, BibTeX and CSL-JSON.

Each record names the document a figure comes from first (a UN report by its symbol, with its
address in the UN Official Documents System; a UN page or data set; a government report), then,
in the ``via_*`` fields, the page the figure was read on when that is not the document itself.

>>> import pkoresearch as pko
>>> pko.sources.cite("tip2011-seed")[:34]
'US Department of State (2011-06). '
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pandas as pd

from pkoresearch import paths
from pkoresearch.errors import DataError, DataFileNotFound, Problem

COLUMNS = [
    "source_id",
    "type",
    "title",
    "author",
    "publisher",
    "date",
    "document_symbol",
    "official_url",
    "url",
    "via_type",
    "via_publisher",
    "via_url",
    "via_date",
    "accessed",
    "licence",
    "note",
]
STYLES = ("text", "bibtex", "csl-json")


@lru_cache(maxsize=4)
def _read(path: str, digest: str | None) -> pd.DataFrame:  # digest: an edited file is read again
    from pathlib import Path

    from pkoresearch.data.schema import (
        SOURCES_SPEC,
        _check_columns,
        _convert,
        _display,
        _read_raw,
        _validate,
    )

    p = Path(path)
    if not p.is_file():
        raise DataFileNotFound(f"{p}: no such file; expected the source catalogue sources.csv")
    shown = _display(p)
    raw = _read_raw(p, SOURCES_SPEC)
    _check_columns(raw, SOURCES_SPEC, shown)
    _validate(_convert(raw, SOURCES_SPEC, shown), SOURCES_SPEC, shown)
    problems = []
    for i, r in raw.iterrows():
        if r["document_symbol"].strip() and not r["official_url"].strip():
            problems.append(
                Problem(
                    shown,
                    int(i) + 2,
                    "official_url",
                    "an empty cell",
                    "the document's address in the UN Official Documents System "
                    "(every record with a document_symbol has one)",
                )
            )
    if problems:
        raise DataError(problems)
    return raw[COLUMNS]


def catalogue() -> pd.DataFrame:
    """Every source record (columns :data:`COLUMNS`; blank cells are empty strings), validated
    against the ``sources`` schema (``pkoresearch.data.schema.SOURCES_SPEC``)."""
    from pkoresearch.data.schema import _digest

    path = paths.data_dir() / "sources.csv"
    return _read(str(path), _digest(path)).copy()


def get(source_id: str) -> dict[str, str]:
    """One catalogue entry as a dict; ``KeyError`` naming the id if it is not in the catalogue."""
    cat = catalogue()
    hit = cat[cat["source_id"] == source_id]
    if hit.empty:
        raise KeyError(f"source_id {source_id!r} is not in sources.csv")
    return hit.iloc[0].to_dict()


def is_primary(record: dict[str, str]) -> bool:
    """True for official publications: UN documents, UN data, UN pages and news, government
    reports."""
    from pkoresearch.data.schema import PRIMARY_TYPES

    return record["type"] in PRIMARY_TYPES


# --------------------------------------------------------------------------------------------------
# citation styles

# the kind of page a source was read on (``via_type``), in words: used by the citations here and
# by tools/provenance.py's locators
VIA_KIND = {
    "press_agency": "wire story",
    "newspaper": "article",
    "ngo_report": "NGO page",
    "un_news": "UN page",
    "un_document": "UN publication",
    "un_data": "UN data",
    "academic": "research page",
    "government_report": "government page",
    "web_mirror": "copy page",
}


def _via_kind(s: dict[str, str]) -> str:
    if s["via_url"].startswith("https://github.com/"):
        return "repository file"
    return VIA_KIND.get(s["via_type"], "page")


def _text(s: dict[str, str]) -> str:
    who = s["author"] or s["publisher"]
    parts = [f"{who} ({s['date'] or 'n.d.'})."]
    parts.append(s["title"].rstrip(".") + ".")
    if s["document_symbol"]:
        parts.append(f"UN document {s['document_symbol']}.")
    if s["author"] and s["publisher"] != s["author"]:
        parts.append(s["publisher"].rstrip(".") + ".")
    if s["official_url"] or s["url"]:
        parts.append((s["official_url"] or s["url"]) + ".")
    if s["via_publisher"] or s["via_url"]:
        when = f", {s['via_date']}" if s["via_date"] else ""
        kind = _via_kind(s)
        via = f"Read in: {s['via_publisher']} ({kind}{when})"
        parts.append(via + (f", {s['via_url']}" if s["via_url"] else "") + ".")
    if s["accessed"]:
        parts.append(f"Accessed {s['accessed']}.")
    return " ".join(p for p in parts if p)


_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _bib_escape(text: str) -> str:
    return "".join(_BIB_SPECIAL.get(c, c) for c in text)


def _bibtex(s: dict[str, str]) -> str:
    report = s["type"] in ("un_document", "government_report") or (
        s["type"] == "academic" and not s["url"]
    )
    entry = "techreport" if report else "misc"
    fields: list[tuple[str, str]] = []
    who = s["author"] or s["publisher"]
    fields.append(("author", "{" + _bib_escape(who) + "}"))  # a body, not a person's name
    fields.append(("title", "{" + _bib_escape(s["title"]) + "}"))
    if report:
        fields.append(("institution", _bib_escape(s["publisher"])))
        if s["document_symbol"]:
            fields.append(("number", _bib_escape(s["document_symbol"])))
    else:
        fields.append(("howpublished", _bib_escape(s["publisher"])))
    date = s["date"] or ""
    if date:
        fields.append(("year", date[:4]))
    if len(date) >= 7:
        fields.append(("month", _MONTHS[int(date[5:7]) - 1]))
    url = s["official_url"] or s["url"]
    if url:
        fields.append(("url", url))
    if s["accessed"]:
        fields.append(("urldate", s["accessed"]))
    notes = []
    if s["via_publisher"] or s["via_url"]:
        when = f", {s['via_date']}" if s["via_date"] else ""
        via = f"Read in: {s['via_publisher']} ({_via_kind(s)}{when})"
        notes.append(_bib_escape(via) + (f", \\url{{{s['via_url']}}}" if s["via_url"] else ""))
    if s["note"]:
        notes.append(_bib_escape(s["note"][0].upper() + s["note"][1:]))
    if notes:
        fields.append(("note", ". ".join(notes)))
    body = ",\n".join(f"  {k} = {{{v}}}" if k != "month" else f"  {k} = {v}" for k, v in fields)
    return f"@{entry}{{{s['source_id']},\n{body}\n}}"


_CSL_TYPES = {
    "un_document": "report",
    "government_report": "report",
    "academic": "report",
    "un_data": "dataset",
    "un_news": "webpage",
    "ngo_report": "webpage",
    "press_agency": "article-newspaper",
    "newspaper": "article-newspaper",
    "web_mirror": "webpage",
}


def _date_parts(date: str) -> dict:
    return {"date-parts": [[int(p) for p in date.split("-")]]}


def _csl(s: dict[str, str]) -> dict:
    item: dict = {
        "id": s["source_id"],
        "type": _CSL_TYPES[s["type"]],
        "title": s["title"],
        "author": [{"literal": s["author"] or s["publisher"]}],
        "publisher": s["publisher"],
    }
    if s["date"]:
        item["issued"] = _date_parts(s["date"])
    if s["document_symbol"]:
        item["number"] = s["document_symbol"]
    if s["official_url"] or s["url"]:
        item["URL"] = s["official_url"] or s["url"]
    if s["accessed"]:
        item["accessed"] = _date_parts(s["accessed"])
    notes = []
    if s["via_publisher"] or s["via_url"]:
        when = f", {s['via_date']}" if s["via_date"] else ""
        notes.append(
            f"Read in: {s['via_publisher']} ({_via_kind(s)}{when})"
            + (f", {s['via_url']}" if s["via_url"] else "")
        )
    if s["note"]:
        notes.append(s["note"][0].upper() + s["note"][1:])
    if notes:
        item["note"] = ". ".join(notes)
    return item


def cite(source_id: str, style: str = "text") -> str:
    """The citation of one source.

    style: ``"text"`` (one line: ``Author (date). Title. UN document SYMBOL. Publisher. Address.
    Read in: page.``), ``"bibtex"`` (one entry keyed by the source id) or ``"csl-json"`` (one CSL
    item as JSON text). For a UN document the address is its page in the UN Official Documents
    System; where the figure was read elsewhere the citation says where.

    Example: ``pko.sources.cite("tip2011-seed", style="bibtex")``
    """
    s = get(source_id)
    if style == "text":
        return _text(s)
    if style == "bibtex":
        return _bibtex(s)
    if style == "csl-json":
        return json.dumps(_csl(s), ensure_ascii=False, indent=2)
    raise ValueError(f"cite: found style={style!r}; expected one of {list(STYLES)}")


# --------------------------------------------------------------------------------------------------
# the sources behind a result


def _cited_ids(frames) -> pd.Series:
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    ids = []
    for f in frames:
        if isinstance(f, str):
            ids.append(pd.Series([f]))
            continue
        if "source_id" not in f.columns:
            raise DataError(
                Problem(
                    str(f.attrs.get("file", "<frame>")),
                    None,
                    "source_id",
                    "no source_id column",
                    "a frame loaded by pkoresearch.load",
                )
            )
        s = f["source_id"].dropna().astype(str).str.split("; ").explode()
        ids.append(s[s != ""])
    return pd.concat(ids, ignore_index=True) if ids else pd.Series([], dtype=str)


def of(frame: pd.DataFrame) -> pd.DataFrame:
    """The catalogue entries of the sources a frame's rows cite, with the number of rows each.

    Example: ``pko.sources.of(pko.load("followups"))``
    """
    counts = _cited_ids(frame).value_counts().rename("rows")
    out = catalogue().merge(counts, left_on="source_id", right_index=True, how="inner")
    out["citation"] = out["source_id"].map(cite)
    return out.sort_values(["rows", "source_id"], ascending=[False, True]).reset_index(drop=True)


def bibliography(
    frames: pd.DataFrame | Sequence[pd.DataFrame | str] | Iterable[str], style: str = "text"
) -> pd.DataFrame:
    """The sources behind a result, primary documents first: ``source_id, rows, type, primary,
    document_symbol, citation`` (citation in ``style``).

    ``frames``: a frame with a ``source_id`` column (ids joined by "; " are split), a list of such
    frames, or source ids. Order: official publications (UN documents, UN data, UN pages,
    government reports) before secondary sources; within them documents with a UN symbol first,
    then by type, date and id.

    Example: ``pko.sources.bibliography(pko.load("allegations"), style="bibtex")``
    """
    from pkoresearch.data.schema import SOURCE_TYPES

    if style not in STYLES:
        raise ValueError(f"bibliography: found style={style!r}; expected one of {list(STYLES)}")
    if not isinstance(frames, pd.DataFrame) and all(isinstance(f, str) for f in frames):
        frames = list(frames)
    ids = _cited_ids(frames)
    counts = ids.value_counts().rename("rows")
    cat = catalogue()
    unknown = sorted(set(counts.index) - set(cat["source_id"]))
    if unknown:
        raise KeyError(f"source_id(s) {unknown} are not in sources.csv")
    out = cat.merge(counts, left_on="source_id", right_index=True, how="inner")
    out["primary"] = out.apply(is_primary, axis=1)
    out["_symbol"] = out["document_symbol"] == ""
    out["_type"] = out["type"].map({t: i for i, t in enumerate(SOURCE_TYPES)})
    out = out.sort_values(
        ["primary", "_symbol", "_type", "date", "source_id"],
        ascending=[False, True, True, True, True],
    )
    out["citation"] = [cite(s, style) for s in out["source_id"]]
    return out[["source_id", "rows", "type", "primary", "document_symbol", "citation"]].reset_index(
        drop=True
    )


def _bibtex_documents(b: pd.DataFrame) -> list[str]:
    """One BibTeX entry per document: sources that name the same UN document symbol (the same
    report read on several pages) become one entry, keyed by the first source id, with the other
    ids as ``ids`` aliases (biblatex) and every page it was read on in its note."""
    groups: dict[str, list[str]] = {}
    order: list[str] = []
    for sid, symbol in zip(b["source_id"], b["document_symbol"]):
        key = symbol or f"\0{sid}"
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(sid)
    out = []
    for key in order:
        ids = groups[key]
        if len(ids) == 1:
            out.append(_bibtex(get(ids[0])))
            continue
        first = dict(get(ids[0]))
        pages = []
        for sid in ids:
            other = get(sid)
            if other["via_publisher"] or other["via_url"]:
                where = _bib_escape(other["via_publisher"]) + (
                    f", \\url{{{other['via_url']}}}" if other["via_url"] else ""
                )
                if where not in pages:
                    pages.append(where)
        first.update(via_publisher="", via_url="", via_date="")
        entry = _bibtex(first)
        extra = [f"  ids = {{{', '.join(ids[1:])}}}"]
        if pages:
            extra.append(
                "  addendum = {"
                + _bib_escape(f"Figures read in {len(pages)} pages quoting it: ")
                + "; ".join(pages)
                + "}"
            )
        out.append(entry[: -len("\n}")] + ",\n" + ",\n".join(extra) + "\n}")
    return out


def export(frames, style: str = "bibtex") -> str:
    """The bibliography of ``frames`` (see :func:`bibliography`) as one text: BibTeX entries
    separated by blank lines (one per document: sources naming the same UN document symbol are
    one entry, the other source ids as ``ids`` aliases), a CSL-JSON array, or one text citation
    a line.

    Example: ``open("sources.bib", "w").write(pko.sources.export(pko.load("allegations")))``
    """
    b = bibliography(frames, style=style)
    if style == "bibtex":
        return "\n\n".join(_bibtex_documents(b)) + "\n"
    if style == "csl-json":
        return json.dumps([json.loads(c) for c in b["citation"]], ensure_ascii=False, indent=2)
    sep = "\n\n" if style == "bibtex" else "\n"
    return sep.join(b["citation"]) + "\n"
