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

from pkoresearch import formatting, report, runner

SECRET_CODE = "secret_code_marker = 41 + 1"


@pytest.fixture
def tiny_nb(tmp_path, monkeypatch) -> Path:
    """A notebooks folder with one notebook that records results and saves a figure."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = new_notebook(cells=[
        new_code_cell('fail: bool = False  # make the run fail\n'
                      'output_dir: str = ""  # output folder', metadata={"tags": ["parameters"]}),
        new_markdown_cell("# A tiny report\nNarrative stays in the results-only HTML."),
        new_code_cell("import pkoresearch as pko\nfrom pkoresearch import notebook as nb\n"
                      "out = nb.output_dir(output_dir, 'tiny')\n"
                      "if fail:\n    raise RuntimeError('made to fail')\n"
                      f"{SECRET_CODE}\n"
                      "pko.results.record('allegations_total', 1328)\n"
                      "print('printed result', secret_code_marker)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(nb, folder / "tiny.ipynb")
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(folder))
    return folder


def test_run_html_names_the_final_folder_even_for_a_non_ascii_output_path(tiny_nb, tmp_path):
    """papermill quotes a non-ASCII path differently from JSON: the injected output_dir must still
    name the final folder, in the notebook and in both HTML files."""
    out = tmp_path / "résultats"
    manifest = runner.run_batch(runner.runs_for(["tiny.ipynb"], {}), output=out, jobs=1,
                                notebooks=tiny_nb, progress=runner.Progress(1, _Null()))
    assert manifest["failed"] == 0
    folder = out / "runs" / "tiny"
    executed = nbformat.read(folder / "notebook.ipynb", as_version=4)
    injected = next(c.source for c in executed.cells
                    if "injected-parameters" in c.metadata.get("tags", []))
    assert ".tmp-" not in injected
    assert "runs/tiny" in injected
    for page in ("notebook.html", "results.html"):
        text = (folder / page).read_text(encoding="utf-8")
        assert ".tmp-" not in text, page


def test_results_only_html_hides_the_code_and_keeps_outputs_and_narrative(tiny_nb, tmp_path):
    out = tmp_path / "reports"
    runner.run_batch(runner.runs_for(["tiny.ipynb"], {}), output=out, jobs=1, notebooks=tiny_nb,
                     progress=runner.Progress(1, _Null()))
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
