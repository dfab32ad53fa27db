"""Run history and comparison: ad-hoc runs get folders of their own (time and a
hash of the parameters), index.html lists the earlier ones, and `pkoresearch compare A B` shows
the headline numbers side by side with their differences and the parameters and data checksums
that differ, as text and HTML."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import cached_real_file
from pkoresearch import cli, results
from pkoresearch.batch import compare
from pkoresearch.batch.runconfig import Run
from pkoresearch.data import registry

CODE = """import pkoresearch as pko
from pkoresearch import notebook as nb
out = nb.output_dir(output_dir, "cmp")
path = nb.dataset_input("allegations_table", allegations_table, "un_allegations")
pko.results.record("size", 0 if path is None else len(open(path, "rb").read()))
pko.results.record("scaled", 10 * factor)
pko.results.record("by_year", {"2015": 80 + factor, "2016": 103})
pko.results.record("label", "fixed")"""


@pytest.fixture
def nbs(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = new_notebook(
        cells=[
            new_code_cell(
                'allegations_table: str = "bundled"  # UN table: a path, a registry name, '
                '"auto" or "bundled"\nfactor: int = 1  # a number\n'
                'output_dir: str = ""  # output folder',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell(CODE),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / "cmp.ipynb")
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(folder))
    return folder


def test_adhoc_run_folders_are_named_by_time_and_parameters():
    now = datetime(2026, 12, 7, 20, 15, 3, tzinfo=UTC)
    (a,) = cli.adhoc_runs(
        [Run("01_allegation_trends", "01_allegation_trends.ipynb", {"x": 1})], now
    )
    (b,) = cli.adhoc_runs(
        [Run("01_allegation_trends", "01_allegation_trends.ipynb", {"x": 2})], now
    )
    assert re.fullmatch(r"01_allegation_trends-20261207-201503-[0-9a-f]{8}", a.name)
    assert a.name != b.name and a.parameters == {"x": 1}


def test_two_runs_kept_listed_and_compared(nbs, tmp_path):
    path = cached_real_file("un_allegations")
    sha = registry.sha256_of(path)
    out = tmp_path / "reports"
    # no option: an ad-hoc run keeps its own folder by default
    base = ["run", "cmp.ipynb", "-o", str(out), "--no-html", "--cold"]
    with redirect_stdout(io.StringIO()):
        assert cli.main([*base, "-p", "factor", "2"]) == 0
        assert (
            cli.main([*base, "-p", "factor", "5", "-p", "allegations_table", "un_allegations"]) == 0
        )
    folders = sorted(p.name for p in (out / "runs").iterdir())
    assert len(folders) == 2 and all(f.startswith("cmp-") for f in folders)
    manifest = json.loads((out / "manifest.json").read_text())
    (latest,) = manifest["runs"]
    (earlier,) = manifest["earlier_runs"]
    assert {latest["folder"], earlier["folder"]} == set(folders)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Reports kept from earlier batches" in page
    assert earlier["folder"] in page and latest["folder"] in page

    a, b = earlier["folder"], latest["folder"]
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["compare", a, b, "-o", str(out), "--html", str(tmp_path / "c.html")]) == 0
    text = buf.getvalue()
    assert re.search(r"factor\s+2\s+5", text)
    assert re.search(r"allegations_table\s+\(notebook default\)\s+\"un_allegations\"", text)
    assert sha in text and "un_allegations" in text and "bundled" in text
    size = path.stat().st_size
    assert re.search(r"scaled\s+20\s+50\s+\+30", text)
    assert re.search(r"by_year: 2015\s+82\s+85\s+\+3", text)
    assert re.search(r"by_year: 2016\s+103\s+103\s+0", text)
    assert re.search(rf"size\s+0\s+{size:,}\s+\+{size:,}", text)
    assert "output_dir" not in text
    c = compare.compare(out / "runs" / a, out / "runs" / b)
    assert {n: d for n, _, _, d in c.numbers} == {
        "size": size,
        "scaled": 30,
        "by_year: 2015": 3,
        "by_year: 2016": 0,
        "label": None,
    }
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<td>scaled</td><td>20</td><td>50</td><td>+30</td>" in page
    assert sha in page


def test_replace_and_the_batch_keep_fixed_folders(nbs, tmp_path):
    """--replace writes to runs/NOTEBOOK (the second run replaces the first); a batch from a
    run matrix keeps the folders named in it, run after run."""
    out = tmp_path / "reports"
    base = ["run", "cmp.ipynb", "--replace", "-o", str(out), "--no-html", "--cold"]
    with redirect_stdout(io.StringIO()):
        assert cli.main([*base, "-p", "factor", "2"]) == 0
        assert cli.main([*base, "-p", "factor", "3"]) == 0
    assert [p.name for p in (out / "runs").iterdir()] == ["cmp"]
    assert results.read(out / "runs" / "cmp")["scaled"] == 30
    matrix = tmp_path / "runs.yaml"
    matrix.write_text("runs:\n  - {name: fixed, notebook: cmp.ipynb, parameters: {factor: 4}}\n")
    batch = tmp_path / "batch"
    with redirect_stdout(io.StringIO()):
        for _ in range(2):
            assert cli.main(["run", "--runs", str(matrix), "-o", str(batch), "--no-html"]) == 0
    assert [p.name for p in (batch / "runs").iterdir()] == ["fixed"]
    manifest = json.loads((batch / "manifest.json").read_text())
    assert [r["folder"] for r in manifest["runs"]] == ["fixed"] and manifest["earlier_runs"] == []


def test_the_default_batch_keeps_its_fixed_folders(tmp_path, monkeypatch):
    """The README's first command (`pkoresearch run`, the default runs.yaml) runs under the
    names of runs.yaml (the report depends on them); an ad-hoc run of the same notebook does not."""
    from pkoresearch import paths
    from pkoresearch.batch import runner

    seen = []

    def fake_batch(runs, **kw):
        seen.append([r.folder for r in runs])
        return {"runs": [], "duration_s": 0.0}

    monkeypatch.setattr(runner, "run_batch", fake_batch)
    with redirect_stdout(io.StringIO()):
        assert cli.main(["run", "-o", str(tmp_path / "o")]) == 0
        assert cli.main(["run", "01_allegation_trends.ipynb", "-o", str(tmp_path / "o")]) == 0
    names = [r.folder for r in runner.load_runs(paths.notebooks_dir() / "runs.yaml")]
    assert seen[0] == names and "allegation-trends" in names
    (adhoc,) = seen[1]
    assert re.fullmatch(r"01_allegation_trends-\d{8}-\d{6}-[0-9a-f]{8}", adhoc)


def test_compare_names_a_run_that_is_not_there(tmp_path, capsys):
    (tmp_path / "runs" / "one").mkdir(parents=True)
    assert cli.main(["compare", "one", "two", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "found no results.json" in err or "neither a folder nor a run" in err
