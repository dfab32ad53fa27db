"""Packaging: environment.yml matches pyproject.toml, the package imports light, the notebooks
ship inside it, and a wheel installed outside the checkout runs the batch on real data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from pkoresearch import results


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.replace(" ", "").startswith("python=3.11") for d in conda)
    listed = {_name(d) for d in conda} - {"python", "pip"}
    assert listed == wanted, (sorted(wanted - listed), sorted(listed - wanted))
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert pip == ["-e ."]


def test_requires_python_311_and_console_script():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["pkoresearch"] == "pkoresearch.cli:main"


def test_import_does_not_load_plotting_or_modelling_libraries():
    code = (
        "import sys, pkoresearch as pko\n"
        "pko.load('allegations'); pko.sources.cite('tip2011-seed')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('seaborn', 'statsmodels', 'matplotlib'))\n"
        "print(','.join(heavy))\n"
        "import pkoresearch.figures.plots\n"
        "print('seaborn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = out.stdout.splitlines()
    assert first == ""
    assert second == "True"  # the lazy import really happens on first use


def test_version_matches_pyproject():
    import pkoresearch

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert pkoresearch.__version__ == project["version"]


def test_dask_has_its_own_extra_and_stays_in_test():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert [_name(r) for r in extras["dask"]] == ["dask"] and "distributed" in extras["dask"][0]
    assert extras["dask"][0] in extras["test"]


def test_notebooks_command_copies_the_shipped_notebooks(tmp_path, capsys):
    from pkoresearch import cli, paths

    shipped = paths.packaged_notebooks_dir()
    assert sorted(p.name for p in shipped.glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    dest = tmp_path / "mine"
    assert cli.main(["notebooks", str(dest)]) == 0
    names = sorted(p.name for p in dest.iterdir())
    assert names == sorted([p.name for p in shipped.glob("*.ipynb")] + ["runs.yaml"])
    assert (dest / "runs.yaml").read_bytes() == (ROOT / "notebooks" / "runs.yaml").read_bytes()
    assert cli.main(["notebooks", str(dest)]) == 2  # never overwrites without --force
    assert "already has" in capsys.readouterr().err


def _placeholders(executed: Path) -> list[str]:
    """Lines of an executed notebook's outputs saying a section needs a data file."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            lines += [
                ln
                for ln in text.splitlines()
                if re.search(
                    r"\bneeds? (allegations_table|gender_statistics|"
                    r"contributions_mission_month|the table|the file)\b",
                    ln,
                )
            ]
    return lines


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_outside_the_checkout(tmp_path):
    """Build the wheel, install it in a new virtual environment outside the checkout, import the
    real files and run the batch: every section runs on real data.

    The new environment gets the wheel only (``--no-deps``); a ``.pth`` file makes this test
    environment's site-packages (the dependencies, already installed from the index) visible after
    its own, so the package, its data and its notebooks come from the wheel alone; installing every
    dependency again from the index would take minutes.
    """
    import os
    import shutil
    import sysconfig

    import pandas as pd

    from conftest import EXTERNAL, external_file

    table = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("src", "data", "notebooks"):
        shutil.copytree(
            ROOT / name,
            src / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_*"),
        )
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("pkoresearch-*.whl")

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")

    work = tmp_path / "work"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PKORESEARCH_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    # the dependencies' data files (nbconvert's HTML templates) stay under this environment's
    # prefix, where a full install would have put them under the new one
    env.update(
        PKORESEARCH_CACHE=str(tmp_path / "cache"),
        JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )

    def cmd(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / "pkoresearch"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=1500,
        )

    where = subprocess.run(
        [
            str(py),
            "-c",
            "import pkoresearch, pkoresearch.paths as p; "
            "print(pkoresearch.__file__); print(p.project_root())",
        ],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    module, root = where.stdout.split()
    assert module.startswith(site) and root == "None"  # the wheel's copy, not the checkout

    got = cmd("data", "import", str(EXTERNAL))
    assert got.returncode == 0, got.stderr
    assert "imported un_allegations" in got.stdout and "imported un_gender_ipi" in got.stdout
    assert "01_allegation_trends.ipynb" in cmd("list").stdout
    run = cmd("run", "--jobs", "2", "-o", "reports")
    assert run.returncode == 0, run.stderr[-3000:]

    reports = work / "reports"
    manifest = json.loads((reports / "manifest.json").read_text())
    assert manifest["failed"] == 0 and len(manifest["runs"]) == 9
    assert manifest["git_commit"] is None
    used = {d["dataset"]: d for d in manifest["real_data"]}
    assert sorted(used) == [
        "un_allegations",
        "un_contributions_country_year",
        "un_contributions_mission_month",
        "un_gender_ipi",
    ]
    assert (
        used["un_allegations"]["sha256"]
        == "1e05b2434d7f1d0dad660ab996ff54fac17657098b79276143c6a722a6f32306"
    )
    assert used["un_allegations"]["method"] == "import" and used["un_allegations"]["retrieved"]
    assert sorted(used["un_allegations"]["runs"]) == [
        "allegation-trends",
        "allegation-trends-MINUSCA",
        "allegation-trends-MONUSCO",
        "allegation-trends-UNMISS",
        "contingents",
        "tcc-response-rates",
        "women-and-allegations",
    ]
    for r in manifest["runs"]:
        assert _placeholders(reports / "runs" / r["folder"] / "notebook.ipynb") == [], r["name"]
    trends = reports / "runs" / "allegation-trends"
    for figure in ("by_category.png", "mission_year.png", "outcomes.png"):
        assert (trends / figure).is_file(), figure
    assert (reports / "runs" / "tcc-response-rates" / "investigation_durations.png").is_file()
    assert (reports / "runs" / "womens-participation" / "mission_year_share.png").is_file()

    raw = pd.read_excel(table, sheet_name="Export", dtype=str)
    years = raw["Date"].str.split("/").str[1].astype(int)
    for mission in ("MINUSCA", "MONUSCO", "UNMISS"):
        got = results.read(reports / "runs" / f"allegation-trends-{mission}")
        filed = {"MONUSCO": ["MONUSCO", "MONUC"]}.get(mission, [mission])  # MONUC was renamed
        mine = years[raw["Mission"].isin(filed)]
        expected = {str(y): int((mine == y).sum()) for y in range(2015, 2024)}
        assert got["allegations_by_year"] == expected, mission  # complete years
        assert got["allegations_partial_years"] == {
            "2024": {"allegations": int((mine == 2024).sum()), "months_covered": 7}
        }
        assert got["allegations_by_mission"] == {mission: sum(expected.values())}


def test_citation_cff_has_the_version_and_a_release_date():
    import datetime

    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert str(cff["version"]) == project["version"]
    released = cff["date-released"]
    released = (
        released if isinstance(released, datetime.date) else datetime.date.fromisoformat(released)
    )
    assert datetime.date(2024, 1, 1) <= released <= datetime.date.today()


def test_wheel_carries_the_data_package_and_the_notebook_sources(tmp_path):
    """The wheel holds datapackage.json (which states the data's licence) and each notebook's
    jupytext source beside its .ipynb, with the same bytes as the checkout's."""
    import json
    import shutil
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("src", "data", "notebooks"):
        shutil.copytree(
            ROOT / name,
            src / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_*"),
        )
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("pkoresearch-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        package = json.loads(z.read("pkoresearch/data/bundled/datapackage.json"))
        assert package["licenses"][0]["name"] == "CC-BY-4.0"
        for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
            assert f"pkoresearch/notebooks/{nb.name}" in names
            py = nb.with_suffix(".py")
            assert z.read(f"pkoresearch/notebooks/{py.name}") == py.read_bytes()
        assert "pkoresearch/notebooks/jupytext.toml" in names
        assert "pkoresearch/batch/templates/report.js" in names
