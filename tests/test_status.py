"""Status that tells the truth: a run whose notebook lacked the data for its main question ends
``incomplete`` (terminal, manifest.json, index.html) with what it needs; every run card carries a
data badge (bundled, or each real file with its registry name and short sha256); headline numbers
name their dataset in results.json, and the card shows it where a run mixes sources; the
terminal lists the runs that used bundled data with the command that imports real data."""

from __future__ import annotations

import io
import json
import re
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT, cached_real_file
from pkoresearch import cli, results
from pkoresearch.batch import report
from pkoresearch.data import registry

NEEDS = "needs allegations_table: pkoresearch data fetch un_allegations"
CODE = f"""import pkoresearch as pko
from pkoresearch import notebook as nb
out = nb.output_dir(output_dir, "needs_data")
path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
pko.results.using(nb.source_of("allegations_table"))
pko.results.record("rows_in_file", 0 if path is None else len(open(path, "rb").read()))
pko.results.record("curated_years", 14, dataset="bundled")
if path is None:
    pko.results.incomplete({NEEDS!r})"""


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A notebooks folder with a small notebook that needs the UN table for its main question,
    and the project's notebook 04 (which needs two real files)."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = new_notebook(
        cells=[
            new_code_cell(
                'allegations_table: str = "auto"  # UN table of allegations: a path, a '
                'registry name, "auto" or "bundled"\noutput_dir: str = ""  # output folder',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell(CODE),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, nbs / "needs_data.ipynb")
    shutil.copy(ROOT / "notebooks" / "04_women_and_allegations.ipynb", nbs)
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(nbs))
    return nbs


def _run(folder: Path, out: Path, runs: str) -> tuple[int, str, dict, str]:
    (folder / "runs.yaml").write_text(runs, encoding="utf-8")
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = cli.main(
            ["run", "--notebooks", str(folder), "--output", str(out), "--no-html", "--cold"]
        )
    manifest = json.loads((out / "manifest.json").read_text())
    page = (out / "index.html").read_text(encoding="utf-8")
    return code, buf.getvalue(), manifest, page


def _card(page: str, run: str) -> str:
    return re.search(rf'<article class="run [a-z]+" id="run-{run}">.*?</article>', page, re.S)[0]


def test_bundled_runs_are_incomplete_and_say_what_they_need(folder, tmp_path):
    code, text, manifest, page = _run(
        folder,
        tmp_path / "out",
        "runs:\n"
        "  - {name: bundled, notebook: needs_data.ipynb, parameters: {allegations_table: bundled}}\n"
        "  - name: women\n    notebook: 04_women_and_allegations.ipynb\n"
        "    parameters: {allegations_table: bundled, contributions_mission_month: bundled}\n",
    )
    assert code == 0  # incomplete is not a failure
    status = {r["name"]: r["status"] for r in manifest["runs"]}
    assert status == {"bundled": "incomplete", "women": "incomplete"}
    assert manifest["failed"] == 0 and manifest["incomplete"] == 2
    needs = {r["name"]: r["needs"] for r in manifest["runs"]}
    assert needs["bundled"] == NEEDS
    assert "allegations_table" in needs["women"] and "contributions_mission_month" in needs["women"]
    # the terminal: the incomplete runs, then the runs on bundled data and how to import real data
    assert "2 of 2 run(s) succeeded" in text and "(2 incomplete)" in text
    assert f"INCOMPLETE bundled: {NEEDS}" in text
    bundled_line = next(line for line in text.splitlines() if line.startswith("ran on the bundled"))
    assert "bundled (allegations_table)" in bundled_line
    assert "women (allegations_table, contributions_mission_month)" in bundled_line
    assert "pkoresearch data import DIR" in text and "pkoresearch data fetch --all" in text
    # index.html: the status badge, the needs line and the data badge on each card
    for name in ("bundled", "women"):
        card = _card(page, name)
        assert '<span class="badge incomplete">incomplete</span>' in card
        assert '<span class="badge data bundled"' in card and ">bundled</span>" in card
    assert NEEDS in _card(page, "bundled")
    assert '<tr class="incomplete">' in page.split("</nav>")[0]
    assert "2 incomplete" in page.split("</header>")[0]
    # results.json: each headline number names its dataset
    doc = results.read_document(tmp_path / "out" / "runs" / "bundled")
    assert doc["results"]["rows_in_file"]["dataset"] == "bundled"
    assert doc["status"] == {"state": "incomplete", "needs": NEEDS}


def test_a_run_on_the_real_file_is_ok_with_its_badge_and_mixed_sources(folder, tmp_path):
    path = cached_real_file("un_allegations")
    sha = registry.sha256_of(path)
    code, text, manifest, page = _run(
        folder,
        tmp_path / "out",
        "runs:\n  - {name: real, notebook: needs_data.ipynb, "
        "parameters: {allegations_table: un_allegations}}\n",
    )
    assert code == 0
    (run,) = manifest["runs"]
    assert run["status"] == "ok" and "needs" not in run
    assert run["results"]["rows_in_file"] == path.stat().st_size
    assert run["results_datasets"] == {"rows_in_file": "un_allegations", "curated_years": "bundled"}
    assert "ran on the bundled" not in text and "INCOMPLETE" not in text
    card = _card(page, "real")
    assert '<span class="badge ok">ok</span>' in card
    badge = re.search(r'<span class="badge data real" title="([^"]*)">([^<]*)</span>', card)
    assert badge[2] == f"un_allegations {sha[:8]}"
    assert sha in badge[1]
    assert "badge data bundled" not in card
    # the run mixes sources: each headline says which data it came from
    rows = re.findall(r"<th title=\"results.json: (\w+)\">.*?</th>", card, re.S)
    assert set(rows) == {"rows_in_file", "curated_years"}
    assert re.search(
        r"results.json: rows_in_file\">[^<]*<span class=\"from\">from un_allegations", card
    )
    assert re.search(r"results.json: curated_years\">[^<]*<span class=\"from\">from bundled", card)


def test_data_badges_from_inputs():
    badges = report.data_badges(
        {
            "allegations_table": {"how": "auto", "dataset": "un_allegations", "sha256": "ab" * 32},
            "contributions_mission_month": {"how": "auto-missing", "dataset": "x"},
        }
    )
    assert [(b.kind, b.text) for b in badges] == [
        ("bundled", "bundled"),
        ("real", "un_allegations abababab"),
    ]
    assert "contributions_mission_month" in badges[0].title
    assert [b.text for b in report.data_badges({})] == ["bundled"]  # reads only bundled tables
