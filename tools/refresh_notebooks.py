"""Rebuild the committed notebooks from their py:percent sources and execute them, so that the
outputs nbval compares are fresh. Run after editing a notebook's ``.py`` or a helper it uses:

    python tools/refresh_notebooks.py                       # every notebook in notebooks/
    python tools/refresh_notebooks.py notebooks/01_allegation_trends.py   # one (.py or .ipynb)
    python tools/refresh_notebooks.py --check               # only check .py and .ipynb agree
    python tools/refresh_notebooks.py --sources-only        # copy the .py cells in, keep outputs

``--sources-only`` is for changes that cannot change what a cell shows, such as ``ruff format``
over the sources: it rewrites each .ipynb's cell sources from its .py without executing, and
refuses a notebook whose cells differ in number, type or tags (those need a real refresh).

The ``.py`` file (jupytext py:percent) is the reviewed source; the ``.ipynb`` beside it is built
from it with kernelspec ``python3``, executed in the notebook's folder (as nbval runs it), and
written without execution timestamps, so a refresh changes only what the notebook shows.

The notebooks run against a temporary real-data cache filled from ``../shared/external`` (or
``PKORESEARCH_EXTERNAL``) exactly as ``tests/conftest.py`` fills it for nbval, so the committed
outputs come from the pinned real files; without them a notebook whose data parameters default to
``"auto"`` is not refreshed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def cells_of(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What must agree between the two files: each cell's type, source and tags."""
    return [
        (c.cell_type, c.source.strip("\n"), tuple(c.metadata.get("tags", []))) for c in nb.cells
    ]


def build(py: Path) -> nbformat.NotebookNode:
    """The notebook described by a py:percent file, with the project's kernelspec."""
    nb = jupytext.read(py)
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": KERNELSPEC,
            "jupytext": {"formats": "ipynb,py:percent"},
            "language_info": {"name": "python"},
        }
    )
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: a refresh does not churn them
        cell.metadata = nbformat.from_dict(
            {"tags": cell.metadata["tags"]} if cell.metadata.get("tags") else {}
        )
    return nb


def merged_streams(outputs: list) -> list:
    """Consecutive stdout (or stderr) outputs of a cell as one: how a kernel splits a stream depends
    on timing, so merging keeps a refresh from churning the committed file (nbval merges them too)."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = prev["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def refresh(py: Path) -> Path:
    nb = build(py)
    NotebookClient(
        nb, kernel_name="python3", timeout=1200, resources={"metadata": {"path": str(py.parent)}}
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
    nb.metadata.pop("papermill", None)
    target = py.with_suffix(".ipynb")
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)  # a failed execution above leaves the committed notebook untouched
    print(f"refreshed {target.relative_to(ROOT)}")
    return target


def copy_sources(py: Path) -> bool:
    """Put the cell sources of ``py`` into the .ipynb beside it, keeping the stored outputs;
    True when the .ipynb changed. Raises ``ValueError`` when the cells differ in more than
    their source."""
    built = build(py)
    target = py.with_suffix(".ipynb")
    stored = nbformat.read(target, as_version=4)
    shape = [(c[0], c[2]) for c in cells_of(built)]
    if shape != [(c[0], c[2]) for c in cells_of(stored)]:
        raise ValueError(
            f"{target.name}: cells differ in number, type or tags from {py.name}; "
            f"run `python tools/refresh_notebooks.py notebooks/{py.name}`"
        )
    if cells_of(built) == cells_of(stored):
        return False
    for new, old in zip(built.cells, stored.cells):
        old.source = new.source
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(stored, tmp)
    tmp.replace(target)
    print(f"sources copied into {target.relative_to(ROOT)}")
    return True


def out_of_step() -> list[str]:
    """Notebooks whose .ipynb cells differ from their .py source (or lack one of the two)."""
    problems = []
    pys = {p.stem for p in NOTEBOOKS.glob("*.py")}
    ipynbs = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    for stem in sorted(pys ^ ipynbs):
        problems.append(f"{stem}: only one of .py and .ipynb exists")
    for stem in sorted(pys & ipynbs):
        built = cells_of(build(NOTEBOOKS / f"{stem}.py"))
        stored = cells_of(nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4))
        if built != stored:
            problems.append(
                f"{stem}: the .ipynb cells differ from {stem}.py; run "
                f"`python tools/refresh_notebooks.py notebooks/{stem}.py`"
            )
    return problems


def uses_real_data(py: Path) -> bool:
    """A notebook whose data parameters default to "auto" (same rule as tests/conftest.py)."""
    return re.search(r'^\w+: str = "auto"', py.read_text(encoding="utf-8"), re.M) is not None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="only report .py/.ipynb disagreements")
    ap.add_argument(
        "--sources-only",
        action="store_true",
        help="copy cell sources into the .ipynb without executing (after formatting)",
    )
    args = ap.parse_args(argv)
    if args.check:
        problems = out_of_step()
        print("\n".join(problems) or "every .ipynb matches its .py")
        return 1 if problems else 0
    targets = [p.resolve().with_suffix(".py") for p in args.notebooks] or sorted(
        NOTEBOOKS.glob("*.py")
    )
    if args.sources_only:
        try:
            for t in targets:
                copy_sources(t)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    from pkoresearch.data import registry

    cache, _ = registry.fill_temporary_cache()  # the same cache the test suite's nbval reads
    reports = Path(tempfile.mkdtemp(prefix="pko-reports-"))  # figures the notebooks write
    os.environ["PKORESEARCH_REPORTS"] = str(reports)
    try:
        missing = registry.pinned_missing()
        blocked = [t.name for t in targets if missing and uses_real_data(t)]
        if blocked:
            print(
                f"not refreshed: {', '.join(blocked)} read the pinned real files and "
                f"{', '.join(missing)} are not in {registry.paths.external_dir()}",
                file=sys.stderr,
            )
            return 1
        for t in targets:
            refresh(t)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(reports, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
