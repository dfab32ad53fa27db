"""The reproducible environment: the lock file covers pyproject.toml, environment.yml is pinned to
it, CI and the README install from it, the run manifest says whether the locked set was used, the
command runs as a module, and the lint configuration is in place."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import ROOT
from pkoresearch.batch import lock

LOCK = ROOT / "requirements" / "lock.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirements() -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in PROJECT["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def test_every_declared_dependency_is_locked_at_an_allowed_version():
    pins = lock.read_lock(LOCK)
    for req in _requirements():
        name = lock.normalize(req.name)
        assert name in pins, f"{req} is in pyproject.toml but not in the lock: run tools/lock.sh"
        assert req.specifier.contains(pins[name]), f"lock has {name}=={pins[name]}, not {req}"
        for extra in req.extras:  # dask[distributed]: the extra's packages are locked too
            assert extra in pins, f"{req}: {extra} is not in the lock"


def test_every_pin_has_hashes_and_the_lock_says_how_it_was_made():
    text = LOCK.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(blocks) == len(lock.read_lock(LOCK)) > 100
    for block in blocks:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), block.splitlines()[0]
    assert "#    bash tools/lock.sh" in text.splitlines()[1]


def test_the_lock_script_covers_every_extra_for_python_311_on_linux():
    script = (ROOT / "tools" / "lock.sh").read_text()
    compiled = set(re.findall(r"--extra (\w+)", script))
    assert compiled == set(PROJECT["optional-dependencies"]), "a new extra must be locked too"
    assert "--generate-hashes" in script and "--python-version 3.11" in script
    assert "x86_64-unknown-linux-gnu" in script and "tools/pin_environment.py" in script


def test_environment_yml_is_pinned_to_the_lock():
    pins = lock.read_lock(LOCK)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",)]
    assert conda[0] == "python=3.11"
    pinned = dict(d.split("==") for d in conda[1:])
    assert len(pinned) == len({lock.normalize(r.name) for r in _requirements()})
    for name, version in pinned.items():
        assert pins[lock.normalize(name)] == version, name
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "pin_environment.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout  # byte for byte what tools/lock.sh writes


def test_read_lock_refuses_an_unpinned_requirement(tmp_path):
    bad = tmp_path / "lock.txt"
    bad.write_text("pandas==2.2.3 \\\n    --hash=sha256:" + "0" * 64 + "\nnumpy>=1.26\n")
    with pytest.raises(ValueError, match=r"lock.txt, line 3: found 'numpy>=1.26'; expected"):
        lock.read_lock(bad)


def test_status_compares_installed_versions_with_the_lock(tmp_path):
    f = tmp_path / "lock.txt"
    f.write_text(
        "# made by hand\nJinja2==3.1.4 \\\n    --hash=sha256:" + "1" * 64 + "\n"
        "pandas==2.2.3 \\\n    --hash=sha256:" + "2" * 64 + "\n"
    )
    same = lock.status(f, {"jinja2": "3.1.4", "Pandas": "2.2.3", "pip": "24.0", "uv": "0.5"})
    assert same.locked is True and same.pinned == 2
    assert same.different == {} and same.missing == [] and same.not_in_lock == ["uv"]
    newer = lock.status(f, {"jinja2": "3.1.6"})
    assert newer.locked is False
    assert newer.different == {"jinja2": ["3.1.4", "3.1.6"]} and newer.missing == ["pandas"]
    assert "jinja2: locked 3.1.4, installed 3.1.6" in newer.describe()
    assert lock.status(tmp_path / "absent.txt").locked is None
    d = newer.to_dict()
    assert d["lock_file"] == str(f) and len(d["lock_sha256"]) == 64


def test_status_of_this_environment_names_every_difference():
    # whichever way this environment was installed, status agrees with importlib.metadata
    from importlib.metadata import version

    got = lock.status()
    pins = lock.read_lock(LOCK)
    for name, (locked, installed) in got.different.items():
        assert pins[name] == locked and version(name) == installed
    assert got.locked == (not got.different and not got.missing)
    assert got.lock_file == "requirements/lock.txt"


def test_ci_and_the_readme_install_from_the_lock():
    ci = (ROOT / ".ci" / "run").read_text()
    install = "pip install --require-hashes -r requirements/lock.txt"
    assert install in ci and "--no-deps -e ." in ci
    assert "PKORESEARCH_UNLOCKED" in ci  # the test mode with the newest allowed versions
    assert "python -m pkoresearch.batch.lock --check" in ci
    assert ci.index("tools/lint.sh") < ci.index("-m pytest")
    assert "git status --porcelain" in ci
    readme = (ROOT / "README.md").read_text()
    first, second = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)[:2]
    for command in (first, second):
        assert install in command and "pip install --no-deps -e ." in command


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-m", "pkoresearch", "--version"],
        [str(ROOT / ".venv" / "bin" / "pkoresearch"), "--version"],
    ],
    ids=["python -m", "script"],
)
def test_version_from_the_module_and_the_command(argv):
    from pathlib import Path

    import pkoresearch

    if not Path(argv[0]).is_file():  # the console script of the environment running the tests
        argv = [str(Path(sys.executable).parent / "pkoresearch"), "--version"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"pkoresearch {pkoresearch.__version__}"


def test_python_m_pkoresearch_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "pkoresearch", "list"], capture_output=True, text=True, check=True
    )
    assert "01_allegation_trends.ipynb" in out.stdout


def test_notebook_reports_go_where_pkoresearch_reports_points(tmp_path):
    # in a new process: output_dir sets the notebook module's state for the rest of a session
    import os

    code = (
        "from pkoresearch import notebook, paths\n"
        "print(paths.reports_dir()); print(notebook.output_dir('', '00_overview'))"
    )
    env = {**os.environ, "PKORESEARCH_REPORTS": str(tmp_path / "r")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.split() == [str(tmp_path / "r"), str(tmp_path / "r" / "00_overview")]
    assert (tmp_path / "r" / "00_overview" / "results.json").is_file()
    del env["PKORESEARCH_REPORTS"]
    code = "from pkoresearch import paths; print(paths.reports_dir())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == str(ROOT / "reports")  # a checkout's default, outside the tests


def test_ruff_and_pre_commit_are_configured():
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["line-length"] == 100 and "F" in ruff["lint"]["select"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    ids = {h["id"] for repo in hooks["repos"] for h in repo["hooks"]}
    assert {"ruff", "ruff-format", "notebook-sources-in-sync"} <= ids
    assert "nbstripout" not in ids  # outputs are kept on purpose: nbval compares them
    # the hooks install the lock's versions (tools/pin_environment.py keeps them in step)
    pins = lock.read_lock(LOCK)
    for repo in hooks["repos"]:
        for hook in repo["hooks"]:
            for dep in hook.get("additional_dependencies", []):
                name, version = dep.split("==")
                assert pins[lock.normalize(name)] == version, dep
    # papermill reads one `name: type = value  # help` line per parameter: the formatter must not
    # wrap them
    for py in sorted((ROOT / "notebooks").glob("*.py")):
        cell = py.read_text().split('# %% tags=["parameters"]\n')[1].split("\n# %%")[0]
        lines = [ln for ln in cell.splitlines() if ln.strip()]
        assert lines[1] == "# fmt: off" and lines[-1] == "# fmt: on", py.name
    lint = (ROOT / "tools" / "lint.sh").read_text()
    assert "check" in lint and "format --check" in lint and "notebooks/*.py" in lint


def test_installed_versions_read_from_metadata_headers_agree_with_importlib_metadata():
    """``installed_versions`` reads only the header of each metadata file; the names and
    versions must be those importlib.metadata parses from the whole file."""
    from importlib.metadata import distributions

    expected: dict[str, str] = {}
    for dist in distributions():
        if dist.metadata["Name"]:
            expected.setdefault(lock.normalize(dist.metadata["Name"]), dist.version)
    assert lock.installed_versions() == expected
    assert len(expected) > 100
