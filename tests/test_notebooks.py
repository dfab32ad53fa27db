"""The notebooks: committed outputs that nbval can compare, and real papermill runs with a real
kernel, from a folder other than the project, with defaults and other parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from pkoresearch import results
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_ready_for_nbval(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = _code_cells(nb)
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be `parameters`"
    for line in code[0].source.splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.match(r"^\w+: [\w| \[\],]+ = .+  # .+", line), f"untyped or uncommented: {line}"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"not run top to bottom in order: {counts}"
    outputs = [o for c in code for o in c.outputs]
    assert outputs, "no stored outputs: nbval would compare nothing"
    assert not [o for o in outputs if o.output_type == "error"], "an error output is committed"
    assert "papermill" not in nb.metadata, "an executed papermill copy was committed"
    text = json.dumps([c.source for c in nb.cells])
    assert "/work/" not in text and "/home/" not in text and "C:\\\\" not in text
    shown = json.dumps(outputs)
    assert str(ROOT) not in shown, "an absolute path is shown in an output"


def _run(name: str, tmp_path: Path, **parameters) -> dict:
    out_dir = tmp_path / "out"
    pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(tmp_path / f"{name}.ipynb"),
        parameters={"output_dir": str(out_dir), **parameters},
        kernel_name="python3",
        cwd=str(tmp_path),  # not the project: paths must resolve in the package
        progress_bar=False,
    )
    return results.read(out_dir)


def test_overview_defaults(tmp_path):
    got = _run("00_overview", tmp_path)
    assert got["datasets"] == 9
    assert got["curated_rows"] == 188 + 40 + 27 + 42 + 35 + 378 + 2106 + 18 + 12
    assert got["allegation_figures_revised"] == 14
    assert (tmp_path / "out" / "coverage.png").stat().st_size > 10_000


def test_overview_other_parameters(tmp_path):
    got = _run("00_overview", tmp_path, dataset_names=["allegations", "followups"],
               start_year=2003, end_year=2015, preferred_only=False)
    assert got["datasets"] == 2
    assert got["curated_rows"] == 188 + 42
    assert got["sources_cited"] == 40 + 15 - 1  # the seed report is cited by both


def test_overview_rejects_a_bad_parameter(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter dataset_names"):
        _run("00_overview", tmp_path, dataset_names=["alegations"])
