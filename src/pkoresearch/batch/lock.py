"""The locked environment: the exact versions ``requirements/lock.txt`` pins, and whether the
running Python has them.

The lock file is made by ``bash tools/lock.sh`` (uv, with the sha256 of every file) and installed by
``pip install --require-hashes -r requirements/lock.txt``. A batch run records :func:`status` in its
manifest, so a report says whether it came from the locked set or from other versions (and which).

    python -m pkoresearch.batch.lock            # what differs between this environment and the lock
    python -m pkoresearch.batch.lock --check    # the same, exit code 1 when anything differs

Standard library only: ``tools/pin_environment.py`` uses it from a bare Python (the virtual
environment ``tools/lock.sh`` makes holds only pip and uv).

This is a check of installed versions against pins, not a file lock (the batch's output-folder
lock is ``filelock``, in :mod:`pkoresearch.batch.outdir`). Libraries considered for it:

- ``packaging`` (``canonicalize_name``, ``Requirement``): not importable in that bare Python
  (pip vendors its own copy), and the lock's lines need only ``name==version`` read;
- ``pip check``: reports installed packages whose declared requirements are unmet, knows nothing
  of the lock's pins;
- ``uv pip sync --dry-run`` or pip-tools' ``pip-sync --dry-run``: need uv or pip-tools in the
  environment being checked (neither is a dependency) and print an install plan, not the
  structured :class:`LockStatus` the batch manifest records.

The installed versions come from ``importlib.metadata`` (the standard library's own reader),
reading only the header of each distribution's metadata for speed (:func:`_name_and_version`).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pkoresearch import paths

# installed by venv or by the install itself, never pinned
NOT_PINNED = frozenset({"pip", "setuptools", "wheel", "pkoresearch"})

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalize(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503): ``Jinja2`` and ``jinja2`` are one.

    >>> normalize("country_converter")
    'country-converter'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: str | Path) -> dict[str, str]:
    """The pins of a pip requirements lock file: normalized name -> exact version.

    Reads the ``name==version`` lines; hash continuation lines and comments are skipped. A
    requirement that is not pinned with ``==`` is an error (``pip --require-hashes`` refuses it
    too). Example: ``read_lock("requirements/lock.txt")["pandas"]``.
    """
    pins: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith(("#", "--hash")):
            continue
        match = _PIN.match(text)
        if match is None:
            raise ValueError(f"{path}, line {number}: found {text!r}; expected name==version")
        pins[normalize(match.group(1))] = match.group(2)
    return pins


def installed_versions() -> dict[str, str]:
    """Every distribution importable from this Python: normalized name -> version."""
    from importlib.metadata import distributions

    out: dict[str, str] = {}
    for dist in distributions():
        name, version = _name_and_version(dist)
        if name:
            out.setdefault(normalize(name), version)  # the first on sys.path wins, as imports do
    return out


def _name_and_version(dist) -> tuple[str | None, str]:
    """``Name`` and ``Version`` from the header of a distribution's metadata file. The header
    ends at the first blank line; ``dist.metadata`` parses the whole file, long description
    included, with the email parser, which for a few hundred packages takes most of a second."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if text is None:
        return dist.metadata["Name"], dist.version
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in fields:
            fields[key] = value.strip()
    return fields.get("Name"), fields.get("Version", "")


@dataclass(frozen=True)
class LockStatus:
    """How the installed packages compare with the lock file.

    ``locked`` is True when every pinned package is installed at its pinned version, False when
    one differs or is missing, None when there is no lock file (an installed copy, not a checkout).
    ``different``: name -> [locked, installed]; ``missing``: pinned but not installed;
    ``not_in_lock``: installed, not pinned (besides pip, setuptools, wheel and pkoresearch).
    """

    lock_file: str | None
    lock_sha256: str | None
    locked: bool | None
    pinned: int = 0
    different: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    not_in_lock: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if self.locked is None:
            return "no lock file (requirements/lock.txt is in a checkout of the project)"
        if self.locked:
            text = f"every package matches {self.lock_file} ({self.pinned} pinned)"
        else:
            lines = [
                f"not the locked set: {len(self.different)} of {self.pinned} pinned packages "
                f"at other versions, {len(self.missing)} missing ({self.lock_file})"
            ]
            lines += [f"  {n}: locked {a}, installed {b}" for n, (a, b) in self.different.items()]
            lines += [f"  {n}: locked, not installed" for n in self.missing]
            text = "\n".join(lines)
        if self.not_in_lock:
            text += f"\nalso installed, not in the lock: {', '.join(self.not_in_lock)}"
        return text


def status(
    lock_path: str | Path | None = None, installed: dict[str, str] | None = None
) -> LockStatus:
    """Compare the installed packages (default: this Python's) with the lock file (default: the
    checkout's ``requirements/lock.txt``). Example: ``status().locked``."""
    path = Path(lock_path) if lock_path is not None else paths.lock_file()
    if path is None or not path.is_file():
        return LockStatus(lock_file=None, lock_sha256=None, locked=None)
    pins = read_lock(path)
    have = (
        installed_versions()
        if installed is None
        else {normalize(k): v for k, v in installed.items()}
    )
    different = {n: [v, have[n]] for n, v in sorted(pins.items()) if n in have and have[n] != v}
    missing = sorted(n for n in pins if n not in have)
    extra = sorted(n for n in have if n not in pins and n not in NOT_PINNED)
    root = paths.project_root()
    shown = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else str(path)
    return LockStatus(
        lock_file=shown,
        lock_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        locked=not different and not missing,
        pinned=len(pins),
        different=different,
        missing=missing,
        not_in_lock=extra,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pkoresearch.batch.lock",
        description="Compare the installed packages with the lock file.",
    )
    ap.add_argument("--lock", type=Path, help="lock file (default: requirements/lock.txt)")
    ap.add_argument(
        "--check",
        action="store_true",
        help="exit with code 1 unless every pinned package is installed as pinned",
    )
    args = ap.parse_args(argv)
    result = status(args.lock)
    print(result.describe())
    return 1 if args.check and not result.locked else 0


if __name__ == "__main__":
    sys.exit(main())
