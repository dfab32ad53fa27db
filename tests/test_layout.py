"""The package's layers and their import rules (the contracts in pyproject.toml, checked by
import-linter): they hold for the tree as it is, and a planted forbidden import breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

LINT = Path(sys.executable).parent / "lint-imports"
pytestmark = pytest.mark.skipif(
    not LINT.exists(),
    reason="import-linter is not installed (the dev extra: pip install -e '.[dev]')",
)


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("PYTHONSAFEPATH", None)
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "src" / "pkoresearch",
        tmp_path / "src" / "pkoresearch",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path / "src"


def test_every_layer_is_a_package_with_its_modules():
    pkg = ROOT / "src" / "pkoresearch"
    for layer in ("data", "analysis", "figures", "batch"):
        assert (pkg / layer / "__init__.py").is_file()
    assert (pkg / "data" / "readers" / "un_conduct.py").is_file()
    assert (pkg / "analysis" / "stats.py").is_file()
    assert (pkg / "figures" / "plots.py").is_file()
    assert (pkg / "batch" / "runner.py").is_file()
    flat = sorted(p.stem for p in pkg.glob("*.py"))
    assert flat == ["__init__", "__main__", "cli", "errors", "notebook", "paths", "results"]


def test_the_contracts_hold(tmp_path):
    src = _copy(tmp_path)
    proc = _lint(src, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "BROKEN" not in proc.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("analysis/stats.py", "from pkoresearch.figures import plots", "never import figures"),
        ("data/missions.py", "from pkoresearch.analysis import trends", "data never imports"),
        ("batch/lock.py", "from pkoresearch.analysis import stats", "batch never imports"),
        ("data/schema.py", "from pkoresearch.data import curated", "no import circles"),
    ],
)
def test_a_planted_forbidden_import_breaks_its_contract(tmp_path, module, planted, contract):
    src = _copy(tmp_path)
    target = src / "pkoresearch" / module
    target.write_text(target.read_text() + f"\n{planted}  # planted by the test\n")
    proc = _lint(src, tmp_path)
    assert proc.returncode != 0
    assert f"{contract}" in proc.stdout and "BROKEN" in proc.stdout, proc.stdout[-3000:]
