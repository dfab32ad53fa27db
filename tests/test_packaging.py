"""Packaging: environment.yml matches pyproject.toml, and the package imports light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for r in project["optional-dependencies"]["test"]}
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
        "import pkoresearch.plots\n"
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
