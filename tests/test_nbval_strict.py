"""nbval really compares: a committed notebook whose shown number no longer matches what the code
computes fails, and the untouched notebook passes (same conftest, same flags as the README)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT


def _nbval(folder) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "tests" / "conftest.py", folder / "conftest.py")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-current-env",
            str(folder / "nb.ipynb"),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_a_changed_number_fails_nbval(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "03_tcc_response_rates.ipynb", as_version=4)
    good = tmp_path / "good"
    good.mkdir()
    nbformat.write(nb, good / "nb.ipynb")
    ok = _nbval(good)
    assert ok.returncode == 0, ok.stdout[-2000:]

    changed = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain")
            if text and "0.392" in text:
                out["data"]["text/plain"] = text.replace("0.392", "0.393")
                changed.append(i)
    assert len(changed) == 1  # the 29/74 follow-up rate as the committed notebook shows it
    # the changed copy stops after the changed cell: nbval compares cell by cell, and the cells
    # after it (the real UN table's models) would only add time
    nb.cells = nb.cells[: changed[0] + 1]
    bad = tmp_path / "bad"
    bad.mkdir()
    nbformat.write(nb, bad / "nb.ipynb")
    result = _nbval(bad)
    assert result.returncode == 1
    assert "Cell outputs differ" in result.stdout or "outputs differ" in result.stdout
