"""Pages written from the project's own files at build time, never copied by hand.

A MyST page asks for generated text with a comment line of its own::

    % pkodocs: datasets                   the curated tables (data/datapackage.json) and the real
                                          files of the registry (pkoresearch.data.registry)
    % pkodocs: modules pkoresearch.data   an automodule block per public module of a package
    % pkodocs: cli                        ``pkoresearch --help`` and every command's help

The ``source-read`` hook replaces the line with markdown before MyST parses the page, so a new
dataset, registry entry, module or command option shows on the next build. Pages holding such a
line are rebuilt on every build (their text depends on files Sphinx does not track).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import pkgutil
import re
from pathlib import Path

MARKER = re.compile(r"^% pkodocs: (\w+)(?: (\S+))?[ \t]*$", flags=re.M)
ROOT = Path(__file__).resolve().parents[2]


class GeneratedPageError(Exception):
    """A ``% pkodocs:`` line the extension cannot fill."""


def _cell(text: object) -> str:
    """Text for one cell of a markdown table: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def datasets_markdown(root: Path = ROOT) -> str:
    """The curated tables of ``data/datapackage.json`` (title, rows counted in the CSV, primary
    key, columns with type and description) and the real files of the registry."""
    package = json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))
    out = [f"## The curated tables ({len(package['resources'])} in `data/`)", ""]
    out.append(
        f"From `data/datapackage.json` ({_cell(package['title'])}), licence "
        f"{', '.join(lic['name'] for lic in package.get('licenses', []))}."
    )
    out.append("")
    summary = []
    for res in package["resources"]:
        with (root / "data" / res["path"]).open(encoding="utf-8", newline="") as f:
            n_rows = sum(1 for _ in csv.reader(f)) - 1
        key = res["schema"].get("primaryKey", [])
        key = ", ".join(key) if isinstance(key, list) else key
        summary.append(
            [f"[`{res['name']}`](#table-{res['name']})", res.get("title", ""), n_rows, key]
        )
    out += [_table(["table", "what it holds", "rows", "primary key"], summary), ""]
    for res in package["resources"]:
        out += [f"({'table-' + res['name']})=", f"### `{res['name']}`", ""]
        out += [f"{_cell(res.get('title', ''))} File `data/{res['path']}`.", ""]
        fields = [
            [f"`{f['name']}`", f.get("type", ""), f.get("description", "")]
            for f in res["schema"]["fields"]
        ]
        out += [_table(["column", "type", "meaning"], fields), ""]

    from pkoresearch.data import registry

    out += ["## The real files (the registry)", ""]
    out += [
        "From `pkoresearch.data.registry`: what `pkoresearch data fetch` downloads and "
        "`pkoresearch data import` recognises.",
        "",
    ]
    rows = []
    for name in registry.names():
        e = registry.get(name)
        pinned = "yes" if e.pinned else "no: its sha256 is recorded when fetched"
        rows.append([f"[`{e.name}`](#file-{e.name})", e.title, e.publisher, pinned])
    out += [_table(["name", "what it is", "publisher", "pinned"], rows), ""]
    for name in registry.names():
        e = registry.get(name)
        out += [f"(file-{e.name})=", f"### `{e.name}`", "", _cell(e.description), ""]
        facts = [
            ["title", e.title],
            ["coverage", e.coverage],
            ["publisher", e.publisher],
            ["terms", e.terms],
            ["landing page", f"<{e.landing_page}>" if e.landing_page else ""],
            ["file", f"`{e.filename}`"],
            ["sha256", f"`{e.sha256}`" if e.pinned else "not pinned (updated by its publisher)"],
            ["read by", f"`{e.reader}`"],
        ]
        out += [_table(["", "value"], facts), ""]
    return "\n".join(out)


def public_modules(package: str) -> list[str]:
    """``package`` and its modules and subpackages whose names do not start with ``_``."""
    pkg = importlib.import_module(package)
    names = [package]
    if hasattr(pkg, "__path__"):
        for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                names.append(info.name)
    return sorted(names)


def modules_markdown(package: str) -> str:
    """One section per public module of ``package`` with its docstrings (autodoc)."""
    if not package:
        raise GeneratedPageError("% pkodocs: modules needs a package name")
    names = [n for n in public_modules(package) if n != package]  # a layer's __init__: no API
    rows = []
    for name in names:
        doc = (importlib.import_module(name).__doc__ or "").strip()
        first = doc.split("\n\n")[0].split(". ")[0].rstrip(".")
        rows.append([f"{{py:mod}}`{name}`", first.replace("`", "")])
    out = [_table(["module", "what it holds"], rows), ""]
    for name in names:
        # autodoc writes reStructuredText (and the docstrings are), so it runs inside eval-rst
        out += [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", "```", ""]
    return "\n".join(out)


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def cli_markdown() -> str:
    """``pkoresearch --help`` and the help of every command and subcommand, as the command prints
    them (at 100 columns)."""
    from pkoresearch.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        parser = build_parser()
        out = ["## `pkoresearch`", "", "```text", parser.format_help().rstrip(), "```", ""]

        def walk(p: argparse.ArgumentParser, depth: int) -> None:
            for _name, sub in _subparsers(p):
                out.extend(
                    [f"{'#' * depth} `{sub.prog}`", "", "```text", sub.format_help().rstrip()]
                )
                out.extend(["```", ""])
                walk(sub, depth + 1)

        walk(parser, 3)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(out)


def expand(text: str) -> str:
    """``text`` with every ``% pkodocs:`` line replaced by what it asks for."""

    def replace(m: re.Match) -> str:
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "datasets":
            return datasets_markdown()
        if kind == "modules":
            return modules_markdown(arg)
        if kind == "cli":
            return cli_markdown()
        raise GeneratedPageError(f"unknown generated text {kind!r} (datasets, modules, cli)")

    return MARKER.sub(replace, text)


def _source_read(app, docname: str, source: list[str]) -> None:
    if MARKER.search(source[0]):
        source[0] = expand(source[0])


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Rebuild the generated pages every time: their inputs are not Sphinx sources."""
    pages = []
    for doc in env.found_docs:
        path = Path(env.doc2path(doc))
        if path.suffix == ".md" and MARKER.search(path.read_text(encoding="utf-8")):
            pages.append(doc)
    return sorted(pages)


def setup(app):
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _outdated)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
