"""Write environment.yml: pyproject.toml's dependencies and extras, each pinned to the version in
requirements/lock.txt, for conda-forge; and set the versions of the packages the pre-commit hooks
install (.pre-commit-config.yaml) to the lock's. Run by ``bash tools/lock.sh`` after it rewrites the
lock; ``tests/test_lock.py`` checks they agree.

    python tools/pin_environment.py            # rewrite environment.yml and the hooks' pins
    python tools/pin_environment.py --check    # exit 1 when either would change

Standard library only (it runs in the lock script's bare virtual environment).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pkoresearch.batch.lock import normalize, read_lock  # noqa: E402  (the checkout's, not installed)

ENVIRONMENT = ROOT / "environment.yml"
LOCK = ROOT / "requirements" / "lock.txt"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"

HEADER = """\
# conda users: `conda env create -f environment.yml && conda activate pkoresearch`
# Written by `bash tools/lock.sh` (tools/pin_environment.py): the dependencies of pyproject.toml
# and its extras, pinned to the versions in requirements/lock.txt (tests/test_lock.py checks it).
# Do not edit by hand: change pyproject.toml, then run `bash tools/lock.sh`.
name: pkoresearch
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
"""


def requirement_name(requirement: str) -> str:
    """``"dask[distributed]>=2024.1"`` -> ``"dask"`` (conda-forge's dask includes distributed).
    The spelling is kept (``country_converter`` is conda-forge's name); pins are looked up by
    :func:`pkoresearch.batch.lock.normalize`."""
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def render(project: dict, pins: dict[str, str]) -> str:
    """The text of environment.yml for ``project`` (pyproject's [project] table) and the pins."""
    lines = [HEADER]
    seen: set[str] = set()
    groups = [("", project["dependencies"])]
    groups += [
        (f"# {extra} extra", reqs)
        for extra, reqs in project.get("optional-dependencies", {}).items()
    ]
    for heading, requirements in groups:
        names = [
            n
            for n in dict.fromkeys(requirement_name(r) for r in requirements)
            if normalize(n) not in seen
        ]
        if not names:
            continue
        if heading:
            lines.append(f"  {heading}\n")
        for name in names:
            if normalize(name) not in pins:
                raise SystemExit(
                    f"{name} is in pyproject.toml but not in {LOCK.name}: run `bash tools/lock.sh`"
                )
            lines.append(f"  - {name}=={pins[normalize(name)]}\n")
            seen.add(normalize(name))
    lines.append("  - pip:\n      - -e .\n")
    return "".join(lines)


def pin_hooks(text: str, pins: dict[str, str]) -> str:
    """``"ruff==0.6.0"`` in the hooks' ``additional_dependencies`` -> the lock's version."""

    def pinned(m: re.Match) -> str:
        version = pins.get(normalize(m.group(2)))
        if version is None:
            raise SystemExit(f"{PRE_COMMIT.name}: {m.group(2)} is not in {LOCK.name}")
        return f"{m.group(1)}{m.group(2)}=={version}{m.group(1)}"

    return re.sub(r"([\"'])([A-Za-z0-9][A-Za-z0-9_.-]*)==[^\"']+\1", pinned, text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check environment.yml is current")
    args = ap.parse_args(argv)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = read_lock(LOCK)
    hooks = PRE_COMMIT.read_text(encoding="utf-8")
    wanted = {ENVIRONMENT: render(project, pins), PRE_COMMIT: pin_hooks(hooks, pins)}
    if args.check:
        stale = [p.name for p, text in wanted.items() if p.read_text(encoding="utf-8") != text]
        print(
            f"{', '.join(stale)} differ from the lock: run `bash tools/lock.sh`"
            if stale
            else "environment.yml and .pre-commit-config.yaml match the lock"
        )
        return 1 if stale else 0
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
