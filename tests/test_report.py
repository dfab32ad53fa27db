"""The batch report (issue 14): index.html from templates with every headline number formatted
and whole, thumbnails and figure links, partial-period flags, failed runs with their failing cell
and the last good report, runs kept from earlier batches; per-run HTML without temporary paths
and a results-only HTML."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from pkoresearch import results
from pkoresearch.batch import report, runner
from pkoresearch.figures import formatting

SECRET_CODE = "secret_code_marker = 41 + 1"


@pytest.fixture
def tiny_nb(tmp_path, monkeypatch) -> Path:
    """A notebooks folder with one notebook that records results and saves a figure."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = new_notebook(
        cells=[
            new_code_cell(
                'fail: bool = False  # make the run fail\noutput_dir: str = ""  # output folder',
                metadata={"tags": ["parameters"]},
            ),
            new_markdown_cell("# A tiny report\nNarrative stays in the results-only HTML."),
            new_code_cell(
                "import pkoresearch as pko\nfrom pkoresearch import notebook as nb\n"
                "out = nb.output_dir(output_dir, 'tiny')\n"
                "if fail:\n    raise RuntimeError('made to fail')\n"
                f"{SECRET_CODE}\n"
                "pko.results.record('allegations_total', 1328)\n"
                "print('printed result', secret_code_marker)"
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / "tiny.ipynb")
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(folder))
    return folder


def test_run_html_names_the_final_folder_even_for_a_non_ascii_output_path(tiny_nb, tmp_path):
    """papermill quotes a non-ASCII path differently from JSON: the injected output_dir must still
    name the final folder, in the notebook and in both HTML files."""
    out = tmp_path / "résultats"
    manifest = runner.run_batch(
        runner.runs_for(["tiny.ipynb"], {}),
        output=out,
        jobs=1,
        notebooks=tiny_nb,
        progress=runner.Progress(1, _Null()),
    )
    assert manifest["failed"] == 0
    folder = out / "runs" / "tiny"
    executed = nbformat.read(folder / "notebook.ipynb", as_version=4)
    injected = next(
        c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert ".tmp-" not in injected
    assert "runs/tiny" in injected
    for page in ("notebook.html", "results.html"):
        text = (folder / page).read_text(encoding="utf-8")
        assert ".tmp-" not in text, page


def test_results_only_html_hides_the_code_and_keeps_outputs_and_narrative(tiny_nb, tmp_path):
    out = tmp_path / "reports"
    runner.run_batch(
        runner.runs_for(["tiny.ipynb"], {}),
        output=out,
        jobs=1,
        notebooks=tiny_nb,
        progress=runner.Progress(1, _Null()),
    )
    full = (out / "runs" / "tiny" / "notebook.html").read_text(encoding="utf-8")
    only = (out / "runs" / "tiny" / "results.html").read_text(encoding="utf-8")
    assert "secret_code_marker" in full and "secret_code_marker" not in only
    assert "printed result 42" in only and "Narrative stays in the results-only HTML." in only
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="runs/tiny/results.html"' in page and 'href="runs/tiny/notebook.html"' in page
    assert "1,328" in page


class _Null:
    def write(self, _):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False


# --------------------------------------------------------------------------------------------------
# index.html from a manifest (no execution)

BY_YEAR = {
    str(y): n
    for y, n in zip(
        range(2008, 2025), [83, 112, 85, 75, 61, 66, 52, 69, 104, 63, 56, 80, 66, 75, 79, 100, 1102]
    )
}


def _results_file(folder: Path, values: dict, units: dict | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "notebook": "x",
        "results": {
            k: {"value": v, **({"unit": units[k]} if units and k in units else {})}
            for k, v in values.items()
        },
    }
    (folder / "results.json").write_text(json.dumps(doc))


def _figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # 100 x 75 pixels whatever theme another test left set (pkoresearch.figures.plots saves "tight")
    with matplotlib.rc_context({"savefig.bbox": "standard"}):
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, 1])
        fig.savefig(path, dpi=50)
        plt.close(fig)


def _failed_notebook(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cell = new_code_cell("x = 1\nraise ValueError('no personnel for <MINUSCA>')", execution_count=3)
    cell.outputs = [
        new_output(
            "error",
            ename="ValueError",
            evalue="no personnel for <MINUSCA>",
            traceback=["\x1b[0;31mValueError\x1b[0m: no personnel for <MINUSCA>"],
        )
    ]
    nbformat.write(new_notebook(cells=[new_code_cell("a = 1", execution_count=1), cell]), path)


@pytest.fixture
def batch(tmp_path) -> tuple[Path, dict]:
    out = tmp_path / "reports"
    good = out / "runs" / "good"
    _results_file(
        good,
        {
            "allegations_by_year": BY_YEAR,
            "allegations_total": 1328,
            "allegations_partial_years": {"2025": {"allegations": 30, "months_covered": 6}},
            "rate_ratio": 0.9641,
            "rate_ratio_ci": [0.7067, 1.3099],
            "share_high_confidence": 0.0279,
            "outcome_median_days": None,
        },
    )
    for name in ("notebook.html", "results.html", "notebook.ipynb"):
        (good / name).write_text("x")
    _figure(good / "rate_trend.png")
    (good / "rate_trend.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (good / "rate_trend.pdf").write_bytes(b"%PDF-1.4\n")
    _figure(good / "only png.png")  # a name that needs URL-encoding
    # a failed run whose last good report is still on disk, but not named by the manifest
    _failed_notebook(out / "failed" / "broken" / "notebook.ipynb")
    _results_file(out / "runs" / "broken", {"n": 1})
    (out / "runs" / "broken" / "notebook.html").write_text("x")
    # a failed run whose manifest names its last good report
    _failed_notebook(out / "failed" / "named" / "notebook.ipynb")
    _results_file(out / "runs" / "named-before", {"n": 2})
    # a failed run with nothing before it
    _failed_notebook(out / "failed" / "first" / "notebook.ipynb")
    # a run from an earlier batch
    _results_file(out / "runs" / "old", {"allegations_total": 2000})
    (out / "runs" / "old" / "notebook.html").write_text("x")
    (out / "manifest.json").write_text("{}")
    error = {
        "type": "PapermillExecutionError",
        "ename": "ValueError",
        "exec_count": 3,
        "evalue": "no personnel for <MINUSCA>",
        "message": "ValueError: no personnel for <MINUSCA>",
    }
    manifest = {
        "pkoresearch_version": "0.1.0",
        "git_commit": "abc",
        "start": "2026-01-01T00:00:00+00:00",
        "duration_s": 75.0,
        "failed": 3,
        "kernel": "python3",
        "data_checksums": {"data/a.csv": "0"},
        "real_data": [],
        "runs": [
            {
                "name": "good",
                "folder": "good",
                "notebook": "01.ipynb",
                "status": "ok",
                "parameters": {"missions": ["MINUSCA"], "label": "<img src=x onerror=alert(1)>"},
                "duration_s": 9.04,
                "start": "2026-01-01T00:00:01+00:00",
                "results": results.read(good),
            },
            {
                "name": "broken",
                "folder": "broken",
                "notebook": "02.ipynb",
                "status": "failed",
                "parameters": {},
                "duration_s": 2.0,
                "error": error,
            },
            {
                "name": "named",
                "folder": "named",
                "notebook": "02.ipynb",
                "status": "failed",
                "parameters": {},
                "duration_s": 2.0,
                "error": error,
                "last_good": {
                    "folder": "runs/named-before",
                    "finished": "2025-12-31T10:00:00+00:00",
                },
            },
            {
                "name": "first",
                "folder": "first",
                "notebook": "02.ipynb",
                "status": "failed",
                "parameters": {},
                "duration_s": 0.0,
                "error": {"type": "RuntimeError", "message": "worker died"},
            },
        ],
        "earlier_runs": [
            {
                "name": "old-run",
                "folder": "old",
                "notebook": "01.ipynb",
                "status": "ok",
                "parameters": {"start_year": 2015},
                "duration_s": 3.0,
                "start": "2025-12-01T00:00:00+00:00",
                "results": {"allegations_total": 2000},
            }
        ],
    }
    return out, manifest


def refs(page: str) -> list[str]:
    """Every href and src of a page (unescaped)."""
    return [html.unescape(m) for m in re.findall(r'(?:href|src)="([^"]*)"', page)]


def assert_links_resolve(page: str, folder: Path) -> None:
    """Every relative link and image of ``page`` exists under ``folder``; in-page anchors exist."""
    import urllib.parse

    ids = set(re.findall(r'id="([^"]+)"', page))
    for ref in refs(page):
        if ref.startswith("#"):
            assert ref[1:] in ids, ref
            continue
        parsed = urllib.parse.urlparse(ref)
        assert not parsed.scheme and not parsed.netloc, f"not a relative link: {ref}"
        target = folder / urllib.parse.unquote(parsed.path)
        assert target.exists(), f"{ref} -> {target} missing"


def test_index_shows_every_number_formatted_and_whole(batch):
    out, manifest = batch
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for year, n in BY_YEAR.items():  # the long series: every year and count, 2024 included
        assert re.search(rf"{year}\s*:?\s*{formatting.number(n)}\b", text), year
    assert "1,102" in text and "1,328" in text
    assert "0.96 (0.71-1.31)" in text and "2.8%" in text
    assert "not available" in text  # outcome_median_days is None: not 0
    assert "\u2026" not in page.split("<footer>")[0].replace("sha256_short", "")
    # the raw JSON is not what is shown
    assert '{"2008": 83' not in page and "[0.7067, 1.3099]" not in text


def test_index_flags_partial_periods(batch):
    out, manifest = batch
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    row = re.search(
        r'<tr class="partial"><th[^>]*>Allegations partial years.*?</table></td></tr>', page, re.S
    )
    assert row and "months covered" in row.group(0) and ">30<" in row.group(0)
    summary = page.split("</nav>")[0]
    assert summary.count("partial periods") == 1  # the run "good" only


def test_index_thumbnails_link_to_each_figure_with_its_other_formats(batch):
    out, manifest = batch
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    assert (
        '<a href="runs/good/rate_trend.png"><img src="runs/good/rate_trend.png" '
        'alt="Rate trend" loading="lazy" width="100" height="75"></a>'
    ) in page
    assert '<a href="runs/good/rate_trend.svg">SVG</a>' in page
    assert '<a href="runs/good/rate_trend.pdf">PDF</a>' in page
    assert '<img src="runs/good/only%20png.png"' in page
    figure = re.search(r"<figure>(?:(?!</figure>).)*only%20png.*?</figure>", page, re.S).group(0)
    assert "SVG" not in figure and "PDF" not in figure  # only formats that exist are linked
    assert_links_resolve(page, out)


def test_failed_runs_show_the_cell_the_error_and_the_last_good_report(batch):
    out, manifest = batch
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    broken = re.search(r'<article class="run failed" id="run-broken">.*?</article>', page, re.S)[0]
    assert "Error in cell [3]" in broken
    assert "raise ValueError(&#39;no personnel for &lt;MINUSCA&gt;&#39;)" in broken  # the cell
    assert "ValueError: no personnel for &lt;MINUSCA&gt;" in broken
    assert "\x1b" not in broken and "[0;31m" not in broken
    # not named by the manifest, but on disk: linked, with the files' date
    assert '<a href="runs/broken/notebook.html">runs/broken</a>' in broken
    assert "finish time not recorded; files dated" in broken
    named = re.search(r'id="run-named">.*?</article>', page, re.S)[0]
    assert '<a href="runs/named-before/results.json">runs/named-before</a>' in named
    assert "(finished 2025-12-31T10:00:00+00:00)" in named
    first = re.search(r'id="run-first">.*?</article>', page, re.S)[0]
    assert "worker died" in first and "No earlier good report" in first
    summary = page.split("</nav>")[0]
    assert summary.count("last good report") == 2
    assert_links_resolve(page, out)


def test_earlier_runs_have_their_own_section(batch):
    out, manifest = batch
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    earlier = page.split("Reports kept from earlier batches")[1].split('<section class="data">')[0]
    assert 'id="earlier-old"' in earlier and "old-run" in earlier and "2,000" in earlier
    assert '<a href="runs/old/notebook.html"' in earlier
    assert "old-run" not in page.split("</nav>")[0]  # not among this batch's runs


def test_every_value_is_escaped(batch):
    out, manifest = batch
    manifest["runs"][0]["name"] = "<script>alert(1)</script>"
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    # the one script is the page's own (sorting and filtering the runs table), from the package
    assert page.count("<script>") == 1 and "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_minimal_manifest_renders(tmp_path):
    """Entries with only the fields a dead worker leaves, and no batch metadata."""
    manifest = {
        "runs": [{"name": "r", "folder": "r", "status": "failed", "error": {"message": "gone"}}]
    }
    page = report.write_index(tmp_path, manifest).read_text(encoding="utf-8")
    assert "gone" in page and "not available" in page and "No earlier good report" in page
    assert not list(tmp_path.glob(".index*"))


def test_last_good_given_as_a_bare_folder_name(batch):
    out, manifest = batch
    manifest["runs"][2]["last_good"] = {
        "folder": "named-before",
        "finished": "2025-12-30T09:00:00Z",
    }
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    named = re.search(r'id="run-named">.*?</article>', page, re.S)[0]
    assert '<a href="runs/named-before/results.json">runs/named-before</a>' in named
    assert "(finished 2025-12-30T09:00:00Z)" in named
    manifest["runs"][2]["last_good"] = {"folder": "../../etc", "finished": "x"}  # outside: ignored
    page = report.write_index(out, manifest).read_text(encoding="utf-8")
    assert "etc" not in re.search(r'id="run-named">.*?</article>', page, re.S)[0]
