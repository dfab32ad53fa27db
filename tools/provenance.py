"""Source records for data/sources.csv: what each source text of ../shared/reference names.

Used by tools/build_data.py. A reference row names its source in free text ("A/73/744 via
https://...", "UN conduct factsheet as cited in https://...", a bare address, a repository file).
This module turns each text into one record that names the *primary* document first (a UN report by
its symbol, a UN web page, a data set) and, separately, the page the figure was read on (`via_*`),
with the type of each, so that citations put the UN document first and the preferred rule can tell a
UN publication or a wire service from a copy page.

Everything here is a description of public documents (publishers, types, titles, dates), written for
this project; no figure is decided here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urlparse

# The record types (SOURCE_TYPES) and the preference among pages (VIA_RANK) are defined once, in
# pkoresearch.data.curated, beside the schema of sources.csv.
from pkoresearch.data.schema import ODS_PREFIX as ODS

# The columns of sources.csv and the kind of each "via" page in words are defined once, in
# pkoresearch.data.sources, which reads and cites the records this module writes.
from pkoresearch.data.sources import COLUMNS as FIELDS
from pkoresearch.data.sources import VIA_KIND

UN_TERMS = "UN terms of use (https://www.un.org/en/about-us/terms-of-use); figures quoted as facts"
US_GOV = "US government work (public domain in the United States)"
NO_LICENCE = "no licence stated; figures quoted as facts"


@dataclass
class Record:
    source_id: str = ""
    type: str = ""
    title: str = ""
    author: str = ""
    publisher: str = ""
    date: str = ""
    document_symbol: str = ""
    official_url: str = ""
    url: str = ""
    via_type: str = ""
    via_publisher: str = ""
    via_url: str = ""
    via_date: str = ""
    accessed: str = ""  # the reference facts record no access dates
    licence: str = ""
    note: str = ""
    # build-only facts, not written to sources.csv
    copy_of_document: bool = field(default=False, repr=False)  # via is a copy of the document
    doc_label: str = field(default="", repr=False)  # "report A/73/744", for locators

    def row(self) -> dict[str, str]:
        d = asdict(self)
        return {k: d[k] for k in FIELDS}

    @property
    def rests_on(self) -> str:
        """The type of what the figure was read in: the via page, or the document itself."""
        return self.via_type or self.type


def official_url(symbol: str) -> str:
    """The address of a UN document in the Official Documents System, built from its symbol."""
    return ODS + symbol.replace(" ", "")


# --------------------------------------------------------------------------------------------------
# hosts: who publishes a page and what kind of page it is

# (host or host/path prefix, publisher, type, the page is a copy of a document's own text)
HOSTS: list[tuple[str, str, str, bool]] = [
    ("news.un.org", "UN News", "un_news", False),
    ("press.un.org", "United Nations, Meetings Coverage and Press Releases", "un_news", False),
    ("peacekeeping.un.org", "UN Department of Peace Operations", "un_news", False),
    ("wps.unwomen.org", "UN Women", "un_news", False),
    ("onu-tn.org", "United Nations in Tunisia (UN country team)", "un_news", False),
    ("reliefweb.int", "ReliefWeb (UN OCHA)", "un_news", False),
    (
        "issuu.com/unpublications/docs/yun_2009",
        "Yearbook of the United Nations 2009",
        "un_document",
        False,
    ),
    ("state.gov", "US Department of State", "government_report", False),
    ("osce.usmission.gov", "US Mission to the OSCE", "government_report", False),
    ("apnews.com", "Associated Press", "press_agency", False),
    ("hina.hr", "HINA (Croatian News Agency)", "press_agency", False),
    ("sputniknews.com", "Sputnik", "press_agency", False),
    ("codebluecampaign.com", "Code Blue Campaign (AIDS-Free World)", "ngo_report", False),
    (
        "peacewomen.org",
        "PeaceWomen (Women's International League for Peace and Freedom)",
        "ngo_report",
        False,
    ),
    ("securitywomen.org", "SecurityWomen", "ngo_report", False),
    ("betterworldcampaign.org", "Better World Campaign", "ngo_report", False),
    ("weforum.org", "World Economic Forum", "ngo_report", False),
    ("sipri.org", "Stockholm International Peace Research Institute (SIPRI)", "academic", False),
    ("globalmjreform.blogspot.com", "Global Military Justice Reform (blog)", "academic", False),
    ("github.com/IPIDataLab", "International Peace Institute", "academic", False),
    ("github.com/owid", "Our World in Data", "academic", False),
    (
        "github.com/corinnee",
        "GitHub repository corinnee/UN_Peacekeeping_Analytics",
        "academic",
        False,
    ),
    ("newindianexpress.com", "The New Indian Express", "newspaper", False),
    ("itv.com", "ITV News", "newspaper", False),
    ("inquisitr.com", "The Inquisitr", "newspaper", False),
    ("thenews.mx", "The News (Mexico)", "newspaper", False),
    ("diarionoticiasweb.net", "Diario Noticias Web", "newspaper", False),
    ("en.goobjoog.com", "Goobjoog News", "newspaper", False),
    ("ibtimes.co.in", "International Business Times (India)", "newspaper", False),
    ("ar.yabiladi.com", "Yabiladi", "newspaper", False),
    ("foxnews.com", "Fox News", "newspaper", False),
    ("100r.org", "100Reporters", "newspaper", False),
    ("business-standard.com", "Business Standard", "newspaper", False),
    ("agenceafrique.com", "Agence Afrique", "newspaper", False),
    ("metronews.ca", "Metro News (Canada)", "newspaper", False),
    ("panarmenian.net", "PanARMENIAN.Net", "newspaper", False),
    ("highergroundtimes.com", "Higher Ground Times", "newspaper", False),
    ("asianage.com", "The Asian Age", "newspaper", False),
    ("tradicionviva.es", "Tradición Viva", "newspaper", False),
    ("piensodeque.es", "piensodeque.es", "newspaper", False),
    ("africa.cgtn.com", "CGTN Africa", "newspaper", False),
    ("new.finalcall.com", "The Final Call", "newspaper", False),
    ("mail.londrestv.com", "Londres TV", "newspaper", False),
    ("newnation.io", "New Nation", "newspaper", False),
    ("africanews.com", "Africanews", "newspaper", False),
    ("arabstoday.net", "Arabstoday", "newspaper", False),
    ("defenceweb.co.za", "defenceWeb", "newspaper", False),
    ("en.people.cn", "People's Daily Online", "newspaper", False),
    ("zeenews.india.com", "Zee News", "newspaper", False),
    ("enca.com", "eNCA", "newspaper", False),
    ("bamada.net", "Bamada.net", "newspaper", False),
    ("untribune.com", "UN Tribune", "newspaper", False),
    ("womensenews.org", "Women's eNews", "newspaper", False),
    ("mallorcadiario.com", "Mallorcadiario", "newspaper", False),
    ("newsbytesapp.com", "NewsBytes", "newspaper", False),
    # copies: spam or aggregator copies of someone else's article, and uploads of documents
    ("masress.com", "Masress (news aggregator)", "web_mirror", False),
    ("rebuildboulder.denverdonate.com", "rebuildboulder.denverdonate.com", "web_mirror", False),
    ("sott.net", "Sott.net", "web_mirror", False),
    (
        "humanrightsvoices.org/assets/attachments/documents-txt",
        "Human Rights Voices",
        "web_mirror",
        True,
    ),
    ("humanrightsvoices.org", "Human Rights Voices", "web_mirror", False),
    ("scribd.com", "Scribd", "web_mirror", True),
    ("docslib.org", "Docslib", "web_mirror", True),
    ("everycrsreport.com", "EveryCRSReport.com", "web_mirror", True),
    ("vdocuments.fr", "vdocuments", "web_mirror", True),
    ("wikileaks-forum.com", "WikiLeaks Forum", "web_mirror", False),
]


def host_of(url: str) -> tuple[str, str, bool]:
    """``(publisher, type, copy_of_document)`` of a page address."""
    u = urlparse(url)
    host = u.netloc.lower().removeprefix("www.")
    where = host + u.path
    for prefix, name, kind, copy in HOSTS:
        if where.startswith(prefix) or host.endswith(prefix):
            return name, kind, copy
    raise SystemExit(f"no publisher known for {url!r}: add its host to tools/provenance.py HOSTS")


def urls_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s);]+", text)


def date_in_url(url: str) -> str:
    for pat in (
        r"/((?:19|20)\d{2})-(\d{2})-(\d{2})/",
        r"/((?:19|20)\d{2})-(\d{2})-(\d{2})-",
        r"/((?:19|20)\d{2})/(\d{2})/(\d{2})/",
        r"/((?:19|20)\d{2})/(\d{2})/",
    ):
        m = re.search(pat, url)
        if m:
            return "-".join(m.groups())
    m = re.search(
        r"/((?:19|20)\d{2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{2})/", url
    )
    if m:
        month = [
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        ].index(m.group(2)) + 1
        return f"{m.group(1)}-{month:02d}-{m.group(3)}"
    return ""


_UPPER = {"un", "sa", "dr", "drc", "ap", "onu", "osce", "us", "uk", "sea", "dpo", "dpko", "car"}


def title_from_url(url: str) -> str:
    """A readable title from the last words of a page address, marked as such; "" if none."""
    path = urlparse(url).path.rstrip("/")
    slug = path.rsplit("/", 1)[-1]
    slug = re.sub(r"\.(html?|aspx?|php)$", "", slug)
    words = [w for w in re.split(r"[-_]+", slug) if w]
    if len(words) < 3 or not any(re.fullmatch(r"[a-z]{3,}", w) for w in words):
        return ""
    words = [w.upper() if w.lower() in _UPPER else w for w in words]
    text = " ".join(words)
    return "[" + text[0].upper() + text[1:] + "]"


# --------------------------------------------------------------------------------------------------
# UN documents known by symbol


@dataclass(frozen=True)
class UNDocument:
    symbol: str  # "" for a report whose symbol is not known
    title: str
    author: str
    publisher: str
    date: str
    kind: str  # "report", "resolution"
    note: str


SG_AUTHOR = "United Nations Secretary-General"
GA = "United Nations General Assembly"


def sg_reports(rows: list[dict[str, str]]) -> dict[str, UNDocument]:
    """The Secretary-General's annual reports on special measures, from un_sg_reports.csv."""
    out: dict[str, UNDocument] = {}
    for r in rows:
        if r["measure"] not in ("document_found", "not_found"):
            continue
        symbol = r["document_symbol"]
        data_year = re.match(r"\d{4}", r["data_year"])
        if r["measure"] == "document_found":
            status = "symbol confirmed in the report's own text"
        else:
            status = "symbol expected for this report; not confirmed in its own text"
        if "unverified" in symbol:
            symbol = ""
            status = "symbol not known"
        date = r["issue_date"]
        note = status
        session = re.match(r"A/(\d{2})/", symbol)
        if not date and session:
            # these reports come out early in the second calendar year of a General Assembly
            # session (A/69/779: February 2015; A/78/774: March 2024)
            date = str(int(session.group(1)) + 1946)
            note += "; issue year from the General Assembly session"
        elif not date and data_year:
            date = str(int(data_year.group(0)) + 1)
            note += f"; issue year inferred from the data year ({data_year.group(0)})"
        if not data_year and date:
            data_year = re.match(r"\d{4}", str(int(date[:4]) - 1))
        if data_year:
            note = f"covers {data_year.group(0)}; " + note
        title = r["title"] + ": report of the Secretary-General"
        out[symbol or f"SG report {date}"] = UNDocument(
            symbol, title, SG_AUTHOR, GA, date, "report", note
        )
    return out


OTHER_UN_DOCUMENTS = {
    "A/59/661": UNDocument(
        "A/59/661",
        "Investigation by the Office of Internal Oversight Services into allegations of "
        "sexual exploitation and abuse in the United Nations Organization Mission in the Democratic "
        "Republic of the Congo",
        "United Nations Office of Internal Oversight Services",
        GA,
        "2005-01-05",
        "report",
        "title and date as cited in A/61/841",
    ),
    "A/61/841": UNDocument(
        "A/61/841",
        "Report of the Office of Internal Oversight Services on its investigation into "
        "allegations of sexual exploitation and abuse in the Ituri region (Bunia) in the United "
        "Nations Organization Mission in the Democratic Republic of the Congo",
        "United Nations Office of Internal Oversight Services",
        GA,
        "2007",
        "report",
        "title from a text copy of the report",
    ),
    "S/RES/2242 (2015)": UNDocument(
        "S/RES/2242 (2015)",
        "Resolution 2242 (2015) on women and peace and security",
        "United Nations Security Council",
        "United Nations Security Council",
        "2015-10-13",
        "resolution",
        "adopted 13 October 2015 (press release SC/12076)",
    ),
}

# Symbols cited by a UN publication rather than confirmed in the report's own text
CITED_BY = {"A/63/720": "symbol as cited in the Yearbook of the United Nations 2009 (p. 76)"}


# --------------------------------------------------------------------------------------------------
# primary documents named in words


@dataclass(frozen=True)
class Primary:
    type: str
    title: str
    publisher: str
    author: str = ""
    date: str = ""
    url: str = ""
    note: str = ""
    label: str = ""  # short name used in locators


DPO = "UN Department of Peace Operations"
DPO_PAGE = "https://peacekeeping.un.org/en/women-peacekeeping"

# text prefix (before " via " / " as cited in ") -> the primary document it names
NAMED_PRIMARIES = {
    "UN conduct factsheet": Primary(
        "un_data",
        "Conduct in UN Field Missions: fact sheet on sexual exploitation and abuse",
        "United Nations, Conduct in UN Field Missions",
        note="counts for UN field missions "
        "(peacekeeping and special political missions); quoted in April 2017",
        label="UN conduct fact sheet",
    ),
    "DPKO/DFS 2010 statistics": Primary(
        "un_data",
        "Statistics on allegations of sexual exploitation and abuse, 2010",
        "UN Departments of Peacekeeping Operations and Field Support",
        date="2011",
        note="released early 2011 (as the page says)",
        label="DPKO/DFS statistics for 2010",
    ),
    "DPKO-DFS press release 15 Apr 2010": Primary(
        "un_news",
        "Press release on allegations of sexual exploitation and abuse, first quarter 2010",
        "UN Departments of Peacekeeping Operations and Field Support",
        date="2010-04-15",
        label="DPKO/DFS press release of 15 April 2010",
    ),
    "UN quarterly briefing": Primary(
        "un_news",
        "Quarterly update on allegations of sexual exploitation and abuse",
        "United Nations",
        label="UN quarterly update",
    ),
    "UN quarterly briefing (EFE)": Primary(
        "un_news",
        "Quarterly update on allegations of sexual exploitation and abuse",
        "United Nations",
        note="reported by EFE",
        label="UN quarterly update",
    ),
    "UN quarterly update": Primary(
        "un_news",
        "Quarterly update on allegations of sexual exploitation and abuse",
        "United Nations",
        label="UN quarterly update",
    ),
    "OIOS draft evaluation (2015)": Primary(
        "un_document",
        "Draft evaluation of the enforcement and remedial assistance efforts for "
        "sexual exploitation and abuse in peacekeeping operations",
        "United Nations Office of Internal Oversight Services",
        date="2015",
        note="draft of evaluation IED-15-001, as reported by Reuters and AP",
        label="OIOS draft evaluation (2015)",
    ),
    "AP (DPKO statement)": Primary(
        "press_agency",
        "Statement of the UN Department of Peacekeeping Operations on allegations "
        "in 2012, reported by the Associated Press",
        "Associated Press",
        date="2013-02",
        note="Arabic version of the AP story (Youm7)",
        label="DPKO statement reported by AP",
    ),
    "2025 SG report (symbol not seen; A/79/...)": None,  # resolved to the SG report catalogue
}


# --------------------------------------------------------------------------------------------------
# texts that need a hand-written record (no usable structure in the text)


def _r(**kw) -> Record:
    return Record(**kw)


MANUAL: dict[str, Record] = {
    "AFP/France24 2020-08-28": _r(
        type="press_agency",
        title="[AFP story on women in UN peacekeeping]",
        publisher="Agence France-Presse (France 24)",
        date="2020-08-28",
        note="no address recorded in the reference facts",
    ),
    "Brussels Times 2020-08 citing DPO": _r(
        type="newspaper",
        title="[Article citing the UN Department of Peace Operations]",
        publisher="The Brussels Times",
        date="2020-08",
        note="no address recorded in the reference facts",
    ),
    "News Deeply 2018-08-17 analysis of UN May 2018 monthly summary": _r(
        type="un_data",
        title="Monthly summary of allegations of sexual exploitation and abuse, May 2018",
        publisher="United Nations",
        date="2018-05",
        via_type="newspaper",
        via_publisher="News Deeply",
        via_date="2018-08-17",
        note="read in a News Deeply analysis; no address recorded in the reference facts",
    ),
    "Xinhua/ECNS 2019-01-22 quoting USG Lacroix via UN spokesman": _r(
        type="press_agency",
        title="[Xinhua story quoting Under-Secretary-General Lacroix]",
        publisher="Xinhua (China News Service)",
        date="2019-01-22",
        note="quotes the UN spokesman; no address recorded in the reference facts",
    ),
    "Xinhua 2019-04-11 (zysteam-edu.com copy) quoting SG Guterres": _r(
        type="press_agency",
        title="[Xinhua story quoting Secretary-General Guterres]",
        publisher="Xinhua",
        date="2019-04-11",
        via_type="web_mirror",
        via_publisher="zysteam-edu.com",
        note="read in a copy page",
    ),
    "starfolksoftware news post (2024)": _r(
        type="web_mirror",
        title="[News post]",
        publisher="starfolksoftware (news post)",
        date="2024",
        note="unattributed news post; no address recorded in the reference facts",
    ),
    "UN DPKO Fact Sheet 31 December 2013 (copy at issuu.com/unicmoscow)": _r(
        type="un_data",
        title="United Nations Peacekeeping fact sheet, 31 December 2013",
        publisher="UN Department of Peacekeeping Operations",
        date="2013-12-31",
        via_type="un_news",
        via_publisher="UN Information Centre Moscow (issuu.com/unicmoscow)",
        note="copy posted by the UN Information Centre in Moscow",
    ),
    "copy of UN peacekeeping front page (drtktopecollege.in, 2015-10)": _r(
        type="un_news",
        title="United Nations Peacekeeping website, front page",
        publisher="UN Department of Peacekeeping Operations",
        date="2015-10",
        via_type="web_mirror",
        via_publisher="drtktopecollege.in",
        note="read in a copy page",
    ),
    "UN DPO Women in peacekeeping page, 2018 wording as copied on meuselwitz-guss.de "
    "(spam-like mirror)": _r(
        type="un_news",
        title="Women in peacekeeping (web page, 2018 wording)",
        publisher=DPO,
        date="2018",
        url=DPO_PAGE,
        via_type="web_mirror",
        via_publisher="meuselwitz-guss.de",
        note="read in a spam copy page",
    ),
    'DPO page "Acknowledging uniformed gender parity target achievers" (copy at dd-floors.com)': _r(
        type="un_news",
        title="Acknowledging uniformed gender parity target achievers (web page)",
        publisher=DPO,
        via_type="web_mirror",
        via_publisher="dd-floors.com",
        note="read in a copy page",
    ),
    'New Indian Express 2025-11-02 summarising SIPRI "Women in Multilateral Peace Operations '
    '2025"': _r(
        type="academic",
        title="Women in Multilateral Peace Operations 2025",
        publisher="Stockholm International Peace Research Institute (SIPRI)",
        date="2025",
        via_type="newspaper",
        via_publisher="The New Indian Express",
        via_date="2025-11-02",
        note="read in a newspaper summary; no address recorded in the reference facts",
    ),
    "Council on Foreign Relations report (2018) as summarised by securitywomen.org 2018-10-15": _r(
        type="academic",
        title="[Council on Foreign Relations report on women in peacekeeping]",
        publisher="Council on Foreign Relations",
        date="2018",
        via_type="ngo_report",
        via_publisher="SecurityWomen",
        via_date="2018-10-15",
        note="read in a summary; no address recorded in the reference facts",
    ),
    "inferred: masress lists 9 countries with 1 allegation each but the 9th name is cut; Togo is "
    "the only one of the 21 countries named by AP/Reuters (thenews.mx, aljazeera) not otherwise "
    "assigned": _r(doc_label="A/70/729"),  # completed in describe()
}

# reference texts that describe the same source as another text: merged into one record
SAME_AS = {
    "UN DPO 'Women in peacekeeping' page (2020 version)": 'UN DPO web page "Women in '
    'peacekeeping" https://peacekeeping.un.org/en/women-peacekeeping (2020 version)',
    "New Indian Express 2025-11-02 summarising SIPRI 'Women in Multilateral Peace Operations "
    "2025'": 'New Indian Express 2025-11-02 summarising SIPRI "Women in Multilateral Peace '
    'Operations 2025"',
    "DPO page 'Acknowledging uniformed gender parity target achievers' (copy at "
    "dd-floors.com/en/delegate/acknowledging-uniformed-gender-parity-target-achievers)": 'DPO page "Acknowledging uniformed gender parity target achievers" (copy at dd-floors.com)',
}


def _repository(text: str) -> Record:
    """A file in a public repository, pinned to a commit: primary UN data, read in the file."""
    m = re.match(r"(\S+/\S+) (.+?) @([0-9a-f]{40})", text)
    if not m:
        raise SystemExit(f"cannot read repository reference {text!r}")
    repo, path, commit = m.groups()
    via_url = f"https://github.com/{repo}/blob/{commit}/{path.replace(' ', '%20')}"
    publisher, kind, _ = host_of(f"https://github.com/{repo}")
    if repo.startswith("IPIDataLab/"):
        title = (
            "Monthly statistics of uniformed personnel by gender, contributing country and mission"
        )
        pub = "UN Department of Peacekeeping Operations"
        via_pub = f"{publisher}, {repo.split('/')[1]} (scrape of the UN statistics)"
        licence = "figures: " + UN_TERMS + "; repository: no licence stated"
    elif repo.startswith("owid/"):
        title = "Uniformed personnel at the end of each year (December; November for 1998)"
        pub = "United Nations Peacekeeping"
        via_pub = f"{publisher}, owid-datasets (United Nations Peacekeeping)"
        licence = "figures: " + UN_TERMS + "; repository: no licence stated"
    else:
        title = "Uniformed personnel contribution ranks (UN Peacekeeping open data)"
        pub = DPO
        via_pub = f"{publisher} (copy of the UN open data file)"
        licence = "figures: " + UN_TERMS + "; repository: MIT licence"
    return Record(
        type="un_data",
        title=title,
        publisher=pub,
        url="",
        via_type=kind,
        via_publisher=via_pub,
        via_url=via_url,
        licence=licence,
        note=f"file {path.rsplit('/', 1)[-1]} of the repository at commit {commit[:12]}",
    )


SEED = Record(
    type="government_report",
    title="Trafficking in Persons Report 2011: Stopping Human Trafficking, Sexual Exploitation, "
    "and Abuse by International Peacekeepers",
    author="US Department of State",
    publisher="US Department of State",
    date="2011-06",
    licence=US_GOV,
    note="section of the 2011 report on the UN, NATO and OSCE",
)


class Describer:
    """Turns reference source texts into records, given the UN report catalogue."""

    def __init__(self, sg_report_rows: list[dict[str, str]]) -> None:
        self.reports = sg_reports(sg_report_rows)
        self.documents = {**self.reports, **OTHER_UN_DOCUMENTS}

    # ---------------------------------------------------------------- helpers
    def _document(self, symbol: str) -> UNDocument:
        try:
            return self.documents[symbol]
        except KeyError:
            raise SystemExit(
                f"UN document {symbol} is not in un_sg_reports.csv or "
                "tools/provenance.py OTHER_UN_DOCUMENTS"
            ) from None

    def for_document(self, doc: UNDocument) -> Record:
        note = CITED_BY.get(doc.symbol, doc.note)
        return Record(
            type="un_document",
            title=doc.title,
            author=doc.author,
            publisher=doc.publisher,
            date=doc.date,
            document_symbol=doc.symbol,
            official_url=official_url(doc.symbol) if doc.symbol else "",
            licence=UN_TERMS,
            note=note,
            doc_label=f"{doc.kind} {doc.symbol}"
            if doc.symbol
            else f"the Secretary-General's report of {doc.date[:4]}",
        )

    def report_by_label(self, label: str) -> UNDocument:
        """'A/73/744 (...)', 'same'... -> the report; '2025 report' -> the one without symbol."""
        m = re.search(r"\b(A/\d{2}/\d{3,4})\b", label)
        if m:
            return self._document(m.group(1))
        m = re.match(r"(\d{4}) (SG )?report", label)
        if m:
            return self.reports[f"SG report {m.group(1)}"]
        raise SystemExit(f"no report in {label!r}")

    @staticmethod
    def via(rec: Record, url: str, date: str = "") -> Record:
        publisher, kind, copy = host_of(url)
        rec.via_type, rec.via_publisher, rec.via_url = kind, publisher, url
        rec.via_date = date or date_in_url(url)
        rec.copy_of_document = copy
        return rec

    @staticmethod
    def page(url: str, title: str = "", date: str = "", note: str = "") -> Record:
        publisher, kind, copy = host_of(url)
        licence = (
            UN_TERMS
            if kind.startswith("un_")
            else US_GOV
            if kind == "government_report"
            else NO_LICENCE
        )
        t = title or title_from_url(url) or f"[{publisher} page]"
        notes = [
            n
            for n in (
                note,
                "title taken from the page address" if t.startswith("[") and not title else "",
            )
            if n
        ]
        return Record(
            type=kind,
            title=t,
            publisher=publisher,
            date=date or date_in_url(url),
            url=url,
            licence=licence,
            note="; ".join(notes),
            copy_of_document=copy,
        )

    # ---------------------------------------------------------------- the dispatcher
    def describe(self, text: str) -> Record:
        text = SAME_AS.get(text, text)
        if "shared/seed/" in text:
            return Record(**dict(asdict(SEED).items()))
        if text in MANUAL:
            rec = Record(**asdict(MANUAL[text]))
            if text.startswith("inferred:"):
                base = self.for_document(self._document("A/70/729"))
                base = self.via(base, "https://www.masress.com/shorouk/994691")
                base.note = (
                    "inferred by the compiler of the reference facts: the page lists nine "
                    "countries with one allegation each but the ninth name is cut; Togo is "
                    "the only one of the 21 countries named by AP and Reuters not otherwise "
                    "assigned"
                )
                return base
            if not rec.licence:
                rec.licence = UN_TERMS if rec.type.startswith("un_") else NO_LICENCE
            return rec
        if re.match(r"(IPIDataLab|owid|corinnee)/", text):
            return _repository(text)
        urls = urls_in(text)

        # "SYMBOL ... via URL", "SYMBOL as cited in URL"
        m = re.match(
            r"(A/\d{2}/\d{3,4})(-era reporting| \(([^)]*)\))? (?:via|as cited in) (\S+)$", text
        )
        if m:
            symbol, _, qualifier, url = m.groups()
            if m.group(2) == "-era reporting":
                # the page does not attribute its figures to the report: it is the source itself
                return self.page(
                    url,
                    note=f"reports UN figures at the time of {symbol} without naming the report",
                )
            rec = self.via(self.for_document(self._document(symbol)), url)
            if qualifier:
                rec.note += f"; read: {qualifier}"
            return rec

        # "URL (..., on SYMBOL)" lists: the report is primary, the first non-copy page is the via
        on = re.findall(r"\bon (A/\d{2}/\d{3,4})\)", text)
        if on:
            rec = self.for_document(self._document(on[0]))
            pages = sorted(urls, key=lambda u: host_of(u)[1] == "web_mirror")
            rec = self.via(rec, pages[0])
            if len(urls) > 1:
                rec.note += "; also read in: " + ", ".join(u for u in urls if u != pages[0])
            return rec

        # "description via URL" naming a primary in words
        m = re.match(r"(.+?) (?:via|as cited in) (https?://\S+)$", text)
        if m and m.group(1) in NAMED_PRIMARIES:
            desc, url = m.groups()
            if desc.startswith("2025 SG report"):
                rec = self.for_document(self.reports["SG report 2025"])
                return self.via(rec, url)
            p = NAMED_PRIMARIES[desc]
            rec = Record(
                type=p.type,
                title=p.title,
                author=p.author,
                publisher=p.publisher,
                date=p.date,
                url=p.url,
                note=p.note,
                doc_label=p.label,
                licence=UN_TERMS if p.type.startswith("un_") else NO_LICENCE,
            )
            rec = self.via(rec, url)
            if desc == "UN conduct factsheet":
                rec.via_date = "2017-04-12"  # the page's date line
            return rec

        # UN DPO "Women in peacekeeping" page versions
        m = re.search(
            r"Women in peacekeeping\W+.*?(\d{4})( version|, 2020 and 2022 versions)", text
        )
        if m and "peacekeeping.un.org" in text:
            versions = (
                "2019, 2020 and 2022 versions"
                if "2022 versions" in text
                else f"{m.group(1)} version"
            )
            rec = Record(
                type="un_news",
                title=f"Women in peacekeeping (web page, {versions})",
                publisher=DPO,
                date=m.group(1),
                url=DPO_PAGE,
                licence=UN_TERMS,
            )
            if "archived cop" in text:
                rec.note = "read in archived copies of the page"
            if "as reproduced by" in text:
                rec.via_type, rec.via_publisher = (
                    "web_mirror",
                    "acelebrationofwomen.org (2015) and issi.org.pk (reproductions)",
                )
                rec.note = "read in reproductions of the page"
            return rec

        if text.startswith("UN press release SC/12076"):
            rec = self.for_document(OTHER_UN_DOCUMENTS["S/RES/2242 (2015)"])
            rec = self.via(rec, urls[0], "2015-10-13")
            rec.via_publisher += " (press release SC/12076)"
            rec.note += "; the SIPRI topical backgrounder of 2019 gives the same target"
            return rec

        if text.startswith("https://www.enca.com/") and "IED-15-001" in text:
            rec = Record(
                type="un_document",
                title="Evaluation of the enforcement and remedial assistance efforts for "
                "sexual exploitation and abuse by the United Nations and related "
                "personnel in peacekeeping operations (assignment IED-15-001)",
                author="United Nations Office of Internal Oversight Services",
                publisher="United Nations Office of Internal Oversight Services, "
                "Inspection and Evaluation Division",
                date="2015-05-15",
                licence=UN_TERMS,
                doc_label="OIOS evaluation IED-15-001",
            )
            return self.via(rec, urls[0])

        if "everycrsreport.com/reports/IF10419" in text:
            rec = Record(
                type="government_report",
                title="[In Focus IF10419]",
                author="Congressional Research Service",
                publisher="US Congressional Research Service",
                licence=US_GOV,
                doc_label="CRS In Focus IF10419",
            )
            return self.via(rec, urls[0])

        if text.startswith("SIPRI Policy Paper 47"):
            rec = Record(
                type="academic",
                title="SIPRI Policy Paper 47",
                author="Smit and Tidblad-Lundholm",
                publisher="Stockholm International Peace Research Institute (SIPRI)",
                date="2018-10",
                licence=NO_LICENCE,
            )
            return self.via(rec, urls[0])

        if text.startswith("SIPRI topical backgrounder 2019"):
            return self.page(urls[0], date="2019", note="topical backgrounder by Sacks Ferrari")

        if text.startswith("UN Tribune 2013-06-24"):
            rec = self.page(urls[0], date="2013-06-24")
            if "PeaceWomen" in text:
                rec.note = "; ".join(
                    filter(None, [rec.note, "PeaceWomen also gives an excerpt of the UN statement"])
                )
            return rec

        if len(urls) == 1:
            # a page that is itself the source; a date in the text wins over one in the address
            m = re.search(r"\b((?:19|20)\d{2}-\d{2}(?:-\d{2})?)\b", text)
            date = m.group(1) if m else ""
            if not date:
                m = re.search(r"tiprpt/(\d{4})/", urls[0])
                date = m.group(1) if m else ""
            title = ""
            if "state.gov/j/tip/rls/tiprpt/" in urls[0]:
                title = f"Trafficking in Persons Report {date}"
            rec = self.page(urls[0], title=title, date=date)
            extra = re.sub(r"https?://\S+", "", text).strip(" ();")
            extra = (
                extra.removeprefix("Better World Campaign")
                .removeprefix("UN Women Global Study on 1325 web page")
                .removeprefix("Women's eNews 2009-03")
            )
            extra = extra.strip(" ();")
            if extra:
                rec.note = "; ".join(filter(None, [rec.note, extra]))
            if text.startswith("UN Women Global Study"):
                rec.title = (
                    "Global Study on the implementation of resolution 1325: keeping peace "
                    "(web page)"
                )
                rec.note = ""
            return rec
        raise SystemExit(f"no rule describes the source text {text!r}")


# --------------------------------------------------------------------------------------------------
# confidence and locators

RANK = {"high": 0, "medium": 1, "low": 2}


def confidence(reference: str, rec: Record) -> str:
    """The reference's confidence, capped by what the figure was read in: a copy or spam page of
    someone else's article caps it at low; an uploaded copy of the document itself at medium."""
    cap = "high"
    if rec.rests_on == "web_mirror":
        cap = "medium" if rec.copy_of_document else "low"
    return max(reference, cap, key=RANK.__getitem__)


# reference locators that name the report a page quotes: "quotes A/67/766 para 15"
QUOTED = re.compile(r"(quotes|paraphrases|summary of|AFP on) (A/\d{2}/\d{3,4})\b(?: para (\d+))?")
GENERIC_LOCATORS = {
    "",
    "UN News quoting report",
    "UN News summary of SG report",
    "report text quoted",
    "UN conduct factsheet",
    "seed text",
}
NO_FINER = {
    "newspaper": "text of the article",
    "press_agency": "text of the wire story",
    "web_mirror": "text of the page",
    "ngo_report": "text of the page",
    "academic": "text of the page",
    "un_news": "text of the UN page",
    "un_data": "the data",
    "un_document": "text of the document",
    "government_report": "text of the report section (web page)",
}


def locator(reference: str, rec: Record) -> str:
    """What is known of where the figure stands, in words: the document, what part was read, and
    the page it was read on ("report A/70/729 (paragraph not read); read in ITV News (article,
    2016-03-05)")."""
    ref = reference.strip()
    if rec.via_url.startswith("https://github.com/"):  # a data file in a public repository
        return f"{ref or 'the file'} (file of {rec.via_publisher.split(',')[0]})"
    if rec.doc_label and rec.copy_of_document:
        where = ref.replace("opening ", "") if ref else "opening pages"
        host = urlparse(rec.via_url).netloc.removeprefix("www.")
        return f"{rec.doc_label}, {where}, read in a copy at {host}"
    parts: list[str] = []
    quoted = QUOTED.match(ref)
    if rec.doc_label and quoted and quoted.group(2) == rec.document_symbol:
        verb = {
            "quotes": "quoted",
            "paraphrases": "paraphrased",
            "summary of": "summarised",
            "AFP on": "reported by AFP",
        }[quoted.group(1)]
        para = quoted.group(3)
        parts.append(
            f"{rec.doc_label}, para. {para} ({verb})"
            if para
            else f"{rec.doc_label} (paragraph not read; {verb})"
        )
        ref = ref[quoted.end() :].strip(" ;")
    elif rec.doc_label:
        read = "paragraph not read" if rec.document_symbol else "no finer locator"
        parts.append(f"{rec.doc_label} ({read})")
    if rec.via_publisher:
        when = f", {rec.via_date}" if rec.via_date else ""
        parts.append(f"read in {rec.via_publisher} ({VIA_KIND[rec.via_type]}{when})")
    if ref == "seed text":
        parts.append("section on the UN, NATO and OSCE")
    elif ref not in GENERIC_LOCATORS:
        parts.append(ref)
    if not parts:
        parts.append(NO_FINER[rec.type] + " (no finer locator recorded)")
    return "; ".join(parts)
