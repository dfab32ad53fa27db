"""The batch report in a real browser (issue 14): headless Chromium (Debian's ``chromium``) opens
``index.html`` and a run's HTML pages; each renders (a screenshot that is not one colour), every
relative link and image resolves (images decode), and every headline number of ``results.json``
is in the rendered DOM in its formatted form, whole.

A small batch of a notebook made for the test (a long yearly series, an interval, a share, a
partial year, a missing value, a figure in PNG, SVG and PDF; then a failed rerun that keeps the
last good report), and the real ``01_allegation_trends`` run of the session's shared default
batch (``default_batch`` in conftest.py).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pkoresearch import results
from pkoresearch.batch import runner
from pkoresearch.figures import formatting


def chromium() -> str | None:
    """Debian's ``chromium`` (or a Chromium/Chrome found under another usual name)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


pytestmark = pytest.mark.skipif(
    chromium() is None,
    reason="needs Debian's chromium (apt-get install chromium; .ci/run "
    "installs it when it runs as root with apt-get)",
)

BY_YEAR = {
    str(y): n
    for y, n in zip(
        range(2008, 2025), [83, 112, 85, 75, 61, 66, 52, 69, 104, 63, 56, 80, 66, 75, 79, 100, 1102]
    )
}
MADE = f"""import json
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pkoresearch as pko
from pkoresearch import notebook as nb
out = nb.output_dir(output_dir, "made")
if fail:
    raise ValueError("made to fail: no personnel for <MINUSCA>")
pko.results.record("allegations_by_year", json.loads({json.dumps(json.dumps(BY_YEAR))}))
pko.results.record("allegations_total", {sum(BY_YEAR.values())})
pko.results.record("allegations_partial_years", {{"2025": {{"allegations": 30, "months_covered": 6}}}})
pko.results.record("rate_ratio", 0.9641)
pko.results.record("rate_ratio_ci", [0.7067, 1.3099])
pko.results.record("share_involving_children", 0.2173)
pko.results.record("outcome_median_days", None)
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(range(2008, 2025), list(json.loads({json.dumps(json.dumps(BY_YEAR))}).values()))
for ext in ("png", "svg", "pdf"):
    fig.savefig(out / f"by_year.{{ext}}", dpi=60)
print("total", {sum(BY_YEAR.values())})"""


class _Null:
    def write(self, _):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False


def browse(page: Path, tmp: Path, screenshot: Path | None = None) -> str:
    """Open ``page`` in headless Chromium: its rendered DOM (and a screenshot when asked)."""
    args = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=1280,1600",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ]
    url = page.resolve().as_uri()
    if screenshot is not None:
        subprocess.run(
            [*args, f"--screenshot={screenshot}", url], check=True, timeout=180, capture_output=True
        )
    proc = subprocess.run(
        [*args, "--dump-dom", url], check=True, timeout=180, capture_output=True, text=True
    )
    assert "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def assert_not_blank(png: Path) -> None:
    from PIL import Image

    with Image.open(png) as im:
        im = im.convert("RGB")
        assert im.width >= 800 and im.height >= 600
        colours = im.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, f"{png}: {len(colours or [])} colour(s)"


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])


def _decode(data: bytes, what: str) -> None:
    from PIL import Image

    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or b"<svg" in data[:300]:
        import xml.etree.ElementTree as ET

        ET.fromstring(data)
        return
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert im.width > 0 and im.height > 0, what


def assert_links_and_images_resolve(dom: str, page: Path) -> int:
    """Every relative link exists on disk (anchors in the page), every image decodes; links to
    other sites are not followed (the tests run offline). Returns how many were checked."""
    refs = _Refs()
    refs.feed(dom)
    checked = 0
    for ref in refs.links + refs.images:
        if ref.startswith("#"):
            assert ref[1:] in refs.ids, f"{page.name}: anchor {ref} missing"
            checked += 1
            continue
        parsed = urllib.parse.urlparse(ref)
        if parsed.scheme in ("http", "https", "mailto"):
            continue
        if parsed.scheme == "data":
            if ref in refs.images:
                _decode(base64.b64decode(ref.split(",", 1)[1]), f"{page.name}: data image")
                checked += 1
            continue
        assert not parsed.scheme and not parsed.netloc, f"{page.name}: {ref}"
        target = page.parent / urllib.parse.unquote(parsed.path)
        assert target.exists(), f"{page.name}: {ref} -> {target} missing"
        if ref in refs.images:
            _decode(target.read_bytes(), str(target))
        checked += 1
    return checked


def _text(dom: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom)))


def _article(dom: str, anchor: str) -> str:
    m = re.search(rf'<article[^>]*id="{re.escape(anchor)}".*?</article>', dom, re.S)
    assert m, f"no run section {anchor}"
    return m.group(0)


def assert_every_headline_whole(dom: str, out: Path, anchor: str, folder: str) -> int:
    """Every value of the run's results.json, formatted, is in its section of the rendered DOM."""
    section = _text(_article(dom, anchor))
    values = results.read(out / "runs" / folder)
    count = 0
    for h in formatting.headlines(values):
        for t in formatting.texts(h.shown):
            assert re.sub(r"\s+", " ", t) in section, f"{h.names}: {t!r} not shown"
            count += 1
    return count


@pytest.fixture(scope="module")
def made_batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    nbs = tmp / "nbs"
    nbs.mkdir()
    nbformat.write(
        new_notebook(
            cells=[
                new_code_cell(
                    'fail: bool = False  # make the run fail\noutput_dir: str = ""  # output',
                    metadata={"tags": ["parameters"]},
                ),
                new_code_cell(MADE),
            ],
            metadata={
                "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
            },
        ),
        nbs / "made.ipynb",
    )
    out = tmp / "reports"
    quiet = runner.Progress(1, _Null())
    good = runner.run_batch(
        [runner.Run("made", "made.ipynb", {})], output=out, notebooks=nbs, progress=quiet
    )
    assert good["failed"] == 0, good["runs"][0].get("error")
    shutil.copy(out / "index.html", out / "index-good.html")  # the rerun rewrites index.html
    bad = runner.run_batch(
        [runner.Run("made", "made.ipynb", {"fail": True})],
        output=out,
        notebooks=nbs,
        progress=runner.Progress(1, _Null()),
    )
    assert bad["failed"] == 1
    return out, tmp


def test_index_renders_with_every_number_whole_and_every_link_resolving(made_batch):
    out, tmp = made_batch
    page = out / "index-good.html"  # the index of the good run (same folder as index.html)
    shot = tmp / "index-good.png"
    dom = browse(page, tmp, shot)
    assert_not_blank(shot)
    assert assert_links_and_images_resolve(dom, page) >= 8
    assert assert_every_headline_whole(dom, out, "run-made", "made") >= 34 + 6
    section = _text(_article(dom, "run-made"))
    # independently of the formatting module: each year and its count, 2024 (the last) included
    for year, n in BY_YEAR.items():
        assert re.search(rf"\b{year} :? ?{n:,}\b", section), year
    assert "1,102" in section and f"{sum(BY_YEAR.values()):,}" in section
    assert "0.96 (0.71-1.31)" in section and "21.7%" in section and "not available" in section
    assert "partial" in section
    refs = _Refs()
    refs.feed(_article(dom, "run-made"))
    assert "runs/made/by_year.png" in refs.images
    assert {
        "runs/made/by_year.png",
        "runs/made/by_year.svg",
        "runs/made/by_year.pdf",
        "runs/made/notebook.html",
        "runs/made/results.html",
        "runs/made/notebook.ipynb",
    } <= set(refs.links)


def test_index_after_a_failed_rerun_links_the_last_good_report(made_batch):
    out, tmp = made_batch
    page = out / "index.html"
    shot = tmp / "index-failed.png"
    dom = browse(page, tmp, shot)
    assert_not_blank(shot)
    assert_links_and_images_resolve(dom, page)
    section = _article(dom, "run-made")
    text = _text(section)
    assert "made to fail: no personnel for <MINUSCA>" in text
    assert 'raise ValueError("made to fail' in text  # the failing cell
    assert "Last good report: runs/made" in text
    assert 'href="runs/made/notebook.html"' in section


@pytest.mark.parametrize("name", ["notebook.html", "results.html"])
def test_run_pages_render_with_images_and_no_temporary_path(made_batch, name):
    out, tmp = made_batch
    page = out / "runs" / "made" / name
    shot = tmp / f"{name}.png"
    dom = browse(page, tmp, shot)
    assert_not_blank(shot)
    assert_links_and_images_resolve(dom, page)
    text = _text(dom)
    assert ".tmp-" not in dom and f"total {sum(BY_YEAR.values())}" in text
    assert ("savefig" in text) == (name == "notebook.html")  # the code is hidden in results.html


@pytest.mark.slow
def test_real_notebook_report_in_the_browser(default_batch, tmp_path):
    """01_allegation_trends with its defaults, in the default batch (the session's shared one,
    conftest.py; read only): every headline number whole in the rendered index, thumbnails
    decoding, the run's HTML rendering."""
    out = default_batch["reports"]
    manifest = default_batch["manifest"]
    (run,) = [r for r in manifest["runs"] if r["name"] == "allegation-trends"]
    assert run["status"] == "ok", run.get("error")
    assert run["notebook"] == "01_allegation_trends.ipynb" and run["parameters"] == {}
    page = out / "index.html"
    shot = tmp_path / "index.png"
    dom = browse(page, tmp_path, shot)
    assert_not_blank(shot)
    assert assert_links_and_images_resolve(dom, page) >= 5
    assert assert_every_headline_whole(dom, out, "run-allegation-trends", "allegation-trends") > 20
    section = _text(_article(dom, "run-allegation-trends"))
    for year, n in results.read(out / "runs" / "allegation-trends")["allegations_by_year"].items():
        assert re.search(rf"\b{year} :? ?{n:,}\b", section), year
    assert re.search(r'<img src="runs/allegation-trends/[^"]+\.png"', dom)
    run_page = out / "runs" / "allegation-trends" / "results.html"
    shot = tmp_path / "run.png"
    run_dom = browse(run_page, tmp_path, shot)
    assert_not_blank(shot)
    assert assert_links_and_images_resolve(run_dom, run_page) >= 1  # figures as data: images
    assert ".tmp-" not in run_dom
