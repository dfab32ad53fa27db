"""The documentation site (docs/): it builds with warnings as errors, has the pages the README links
to (one per committed notebook, rendered with its committed outputs), its generated pages follow the
files they are written from, and no internal link is broken; the link checker finds planted broken
links; the docstring examples the API reference shows run (doctest).

The build takes about a minute, so it runs once: ``.ci/run`` builds the site before the suite and
names it in ``PKORESEARCH_DOCS_HTML``, which the site test then reads; without that variable the
test builds the site itself into a temporary folder.
"""

from __future__ import annotations

import doctest
import html
import importlib
import json
import os
import pkgutil
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pkoresearch
from conftest import ROOT
from pkoresearch.data import registry

sys.path.insert(0, str(ROOT / "tools"))
import check_links

DOCS = ROOT / "docs"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
PAGES = [
    "index",
    "getting-started",
    "notebooks",
    "helpers",
    "rules",
    "datasets",
    "cite",
    "batch",
    "reproducibility",
    "layout",
    "cli",
    "api/index",
    "api/top",
    "api/data",
    "api/analysis",
    "api/figures",
    "api/batch",
]


def _build(out: Path) -> Path:
    """Build the site as .ci/run does (fresh, nitpicky, warnings as errors) into ``out``."""
    html_dir = out / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html"]
    cmd += ["-d", str(out / "doctrees"), str(DOCS), str(html_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-5000:]
    return html_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    built = os.environ.get("PKORESEARCH_DOCS_HTML")
    if built:
        path = Path(built)
        path = path if path.is_absolute() else ROOT / path
        assert (path / "index.html").exists(), f"PKORESEARCH_DOCS_HTML={built}: no built site"
        return path
    return _build(tmp_path_factory.mktemp("docs"))


def _text(page: Path) -> str:
    """The visible text of a built page, entities decoded and whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_site_has_its_pages_and_no_broken_internal_link(site):
    for page in PAGES + [f"notebooks/{nb}" for nb in NOTEBOOKS]:
        assert (site / f"{page}.html").is_file(), f"{page}.html is missing from the built site"
    problems, n_links = check_links.check(site)
    assert problems == [] and n_links > 1000

    # each notebook page is the committed notebook with its outputs: its figures (as images) and
    # the text of its last stream output
    for name in NOTEBOOKS:
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        page = (site / "notebooks" / f"{name}.html").read_text(encoding="utf-8")
        n_images = sum(
            1
            for cell in nb["cells"]
            for out in cell.get("outputs", [])
            if "image/png" in out.get("data", {})
        )
        assert n_images > 0 and page.count("<img") >= n_images, name
        streams = [
            "".join(out["text"])
            for cell in nb["cells"]
            for out in cell.get("outputs", [])
            if out.get("output_type") == "stream" and out.get("name") == "stdout"
        ]
        last_line = next(line for line in reversed(streams[-1].splitlines()) if line.strip())
        assert " ".join(last_line.split()) in _text(site / "notebooks" / f"{name}.html"), name

    # the datasets page is written from datapackage.json, the CSV files and the registry
    datasets = _text(site / "datasets.html")
    package = json.loads((ROOT / "data" / "datapackage.json").read_text())
    for resource in package["resources"]:
        n_rows = len(pd.read_csv(ROOT / "data" / resource["path"], dtype=str))
        title = " ".join(resource["title"].split())
        assert f"{resource['name']} {title} {n_rows}" in datasets, resource["name"]
        for field in resource["schema"]["fields"]:
            assert field["name"] in datasets
    for name in registry.names():
        entry = registry.get(name)
        assert name in datasets and " ".join(entry.coverage.split()) in datasets
        if entry.pinned:
            assert entry.sha256 in datasets

    # the API reference documents the public modules (autodoc), with their docstring examples
    api = {layer: (site / "api" / f"{layer}.html").read_text() for layer in ("data", "analysis")}
    assert 'id="pkoresearch.data.curated.load"' in api["data"]
    assert 'id="pkoresearch.analysis.stats.rate_ratio"' in api["analysis"]
    example = ">>> out = counts_in_coverage(counts, cov, 2013, 2024)"
    squeezed = "".join(_text(site / "api" / "data.html").split())  # highlighting splits tokens
    assert "".join(example.split()) in squeezed
    batch = (site / "api" / "batch.html").read_text()
    assert 'id="module-pkoresearch.batch.runner"' in batch
    assert 'id="module-pkoresearch.batch._forkserver"' not in batch  # private: not documented

    # the command reference is the parser's own help
    cli = _text(site / "cli.html")
    for command in ("run", "compare", "list", "data", "data fetch", "data cite", "kernel"):
        assert f"usage: pkoresearch {command}" in cli, command


def test_the_link_checker_reports_planted_broken_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text('<h1 id="top">Sub</h1><a href="../a.html#x">a</a>')
    (tmp_path / "a.html").write_text(
        '<p id="x">x</p><a name="old">old</a>\n'
        '<a href="sub/">sub</a><a href="sub/index.html#top">top</a><a href="#old">old</a>\n'
        '<a href="https://example.org/missing.html">external</a><a href="mailto:a@b.c">m</a>\n'
        '<a href="missing.html">gone</a>\n'
        '<a href="sub/index.html#nowhere">bad anchor</a><a href="#y">bad local anchor</a>\n'
        '<img src="_images/fig.png"><a href="../outside.html">outside</a>\n'
    )
    assert check_links.broken_links(tmp_path) == [
        "a.html:4: href='missing.html': no file missing.html",
        "a.html:5: href='sub/index.html#nowhere': no id 'nowhere' in sub/index.html",
        "a.html:5: href='#y': no id 'y' in a.html",
        "a.html:6: src='_images/fig.png': no file _images/fig.png",
        "a.html:6: href='../outside.html' points outside the site",
    ]
    assert check_links.main([str(tmp_path)]) == 1
    (tmp_path / "a.html").write_text('<p id="x">x</p><a href="sub/index.html#top">top</a>')
    assert check_links.main([str(tmp_path)]) == 0
    assert check_links.main([str(tmp_path / "nothing")]) == 2


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(pkoresearch.__path__, prefix="pkoresearch."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue  # private modules are not in the API reference
        if info.name == "pkoresearch.data.coverage":
            continue  # tests/test_coverage.py runs its examples
        source = Path(importlib.util.find_spec(info.name).origin).read_text(encoding="utf-8")
        if ">>>" in source:
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules_with_examples())
def test_the_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


def test_every_pkoresearch_command_in_the_docs_parses():
    from pkoresearch.cli import build_parser

    commands = []
    for page in sorted(DOCS.rglob("*.md")):
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                for part in line.split(" && "):
                    part = re.split(r" #| > | \| ", part)[0]  # comments, redirections, pipes
                    words = shlex.split(part)
                    if words and Path(words[0]).name == "pkoresearch":
                        commands.append((page.name, words[1:]))
    assert len(commands) >= 20
    for page, argv in commands:
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse exits on an unknown command or option
            raise AssertionError(f"{page}: pkoresearch {shlex.join(argv)}") from exc
