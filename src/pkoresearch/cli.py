"""The ``pkoresearch`` command: run notebooks in batch, list their parameters, list and check data,
register the Jupyter kernel."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import yaml

from . import __version__, paths
from .errors import PkoError


def _parse_overrides(pairs: list[list[str]] | None) -> dict:
    """``-p NAME VALUE`` pairs; values are read as YAML data (numbers, lists, strings), never run."""
    out = {}
    for name, raw in pairs or []:
        try:
            out[name] = yaml.safe_load(raw)
        except yaml.YAMLError:
            out[name] = raw
    return out


def _cmd_run(args: argparse.Namespace) -> int:
    from . import runner

    nb_dir = paths.notebooks_dir()
    overrides = _parse_overrides(args.parameter)
    if args.notebooks:
        runs = runner.runs_for([Path(n).name for n in args.notebooks], overrides)
    else:
        runs = runner.with_overrides(runner.load_runs(args.runs or nb_dir / "runs.yaml"),
                                     overrides)
    closer = None
    executor = None
    if args.executor == "dask":
        if not args.scheduler:
            print("pkoresearch run: --executor dask needs --scheduler ADDRESS", file=sys.stderr)
            return 2
        executor, closer = runner.dask_executor(args.scheduler)
    try:
        manifest = runner.run_batch(runs, output=args.output, jobs=args.jobs,
                                    html_report=args.html, timeout=args.timeout,
                                    executor=executor, notebooks=nb_dir)
    finally:
        if closer:
            closer()
    out = Path(args.output).resolve()
    failed = [r for r in manifest["runs"] if r["status"] != "ok"]
    print(f"{len(manifest['runs']) - len(failed)} of {len(manifest['runs'])} run(s) succeeded in "
          f"{manifest['duration_s']:.1f} s; report: {out / 'index.html'}")
    for r in failed:
        err = r.get("error", {})
        cell = f" (cell {err['exec_count']})" if err.get("exec_count") else ""
        print(f"FAILED {r['name']}{cell}: {err.get('message', '')}; last good report kept, "
              f"executed notebook in {out / 'failed' / r['folder']}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .runner import declared_parameters

    nb_dir = paths.notebooks_dir()
    for nb in sorted(nb_dir.glob("*.ipynb")):
        print(nb.name)
        for name, p in declared_parameters(nb).items():
            print(f"  {name}: {p['type']} = {p['default']}")
            if p["help"]:
                print(f"      {p['help']}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.action == "cite":
        return _cite(args.path, args.format)
    if args.action == "check":
        if not args.path:
            print("pkoresearch data check: expected a PATH", file=sys.stderr)
            return 2
        return _check(Path(args.path), args.dataset)
    from .curated import datasets

    with pd.option_context("display.width", 160, "display.max_colwidth", 70):
        print(datasets().to_string(index=False))
    return 0


def _cite(name: str | None, style: str) -> int:
    """Print the citations of every source behind a bundled dataset (or of one source id),
    primary documents first."""
    from . import sources
    from .curated import SPECS, load

    if not name:
        print("pkoresearch data cite: expected a dataset name or a source id", file=sys.stderr)
        return 2
    if name in SPECS:
        cited = [load(name, preferred=False)]
    elif name in set(sources.catalogue()["source_id"]):
        cited = [name]
    else:
        print(f"pkoresearch data cite: found {name!r}; expected a dataset ({', '.join(SPECS)}) "
              "or a source id from sources.csv", file=sys.stderr)
        return 2
    sys.stdout.write(sources.export(cited, style=style))
    return 0


def _check(path: Path, dataset: str | None) -> int:
    """Validate a researcher's file: a curated table, a UN table of allegations export, or UN
    gender statistics; print every problem found."""
    from .curated import SPECS, load
    from .errors import DataError
    from .readers import un_conduct, un_gender

    kind = dataset
    if kind is None:
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                kind = "un_table_of_allegations"
            else:
                import pandas as pd

                header = list(pd.read_csv(path, nrows=0).columns)
                if set(un_conduct.COLUMNS) <= set(header):
                    kind = "un_table_of_allegations"
                elif set(un_gender.COLUMNS) <= set(header):
                    kind = "un_gender_statistics"
                else:
                    kind = next((n for n, s in SPECS.items() if set(s.column_names) == set(header)),
                                None)
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read ({exc})", file=sys.stderr)
            return 1
    if kind is None:
        print(f"{path}: the header matches no curated table and no UN format; name one with "
              f"--dataset ({', '.join(sorted(SPECS))}, un_table_of_allegations, "
              "un_gender_statistics)", file=sys.stderr)
        return 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kind == "un_table_of_allegations":
                t = un_conduct.read_table_of_allegations(path)
                summary = f"{len(t.allegations)} allegations"
            elif kind == "un_gender_statistics":
                g = un_gender.read_gender_statistics(path)
                summary = f"{g.report['rows_used']} rows used ({json.dumps(g.report)})"
            else:
                df = load(kind, preferred=False, path=path)
                summary = f"{len(df)} rows valid as {kind!r}"
        except DataError as exc:
            print(f"{path}: {len(exc.problems)} problem(s) as {kind}:")
            for p in exc.problems:
                print(f"  {p}")
            return 1
        except PkoError as exc:
            print(f"{path}: {exc}")
            return 1
    for w in caught:
        print(f"warning: {w.message}")
    print(f"{path}: OK as {kind}: {summary}")
    return 0


def _cmd_kernel(args: argparse.Namespace) -> int:
    from ipykernel.kernelspec import install

    prefix = sys.prefix if args.sys_prefix else args.prefix
    where = install(user=prefix is None, prefix=prefix, kernel_name="pkoresearch",
                    display_name="Python (pkoresearch)")
    print(f"installed kernel 'Python (pkoresearch)' in {where}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pkoresearch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pkoresearch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="execute notebooks in batch with papermill")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="notebook file names in notebooks/ (default: every run in --runs)")
    p.add_argument("--runs", help="run matrix (default notebooks/runs.yaml)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="set a parameter for every run (VALUE read as YAML data)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="runs executed at once")
    p.add_argument("--output", "-o", default="reports", help="output folder (default reports/)")
    p.add_argument("--html", action=argparse.BooleanOptionalAction, default=True,
                   help="write an HTML copy of each executed notebook")
    p.add_argument("--timeout", type=float, default=None, help="seconds allowed per cell")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address for --executor dask")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("list", help="show each notebook's parameters")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("data", help="list the bundled datasets, check a file, cite sources")
    p.add_argument("action", nargs="?", choices=["check", "cite"],
                   help="check PATH; cite NAME (a dataset or a source id)")
    p.add_argument("path", nargs="?", help="file to check, or dataset/source to cite")
    p.add_argument("--format", choices=["text", "bibtex", "csl-json"], default="text",
                   help="citation format for `data cite` (default text)")
    p.add_argument("--dataset", help="curated dataset name or UN format the file should match")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("kernel", help="register the Jupyter kernel 'Python (pkoresearch)'")
    p.add_argument("action", choices=["install"])
    p.add_argument("--sys-prefix", action="store_true",
                   help="install into this environment instead of the user's folder")
    p.add_argument("--prefix", help="install under PREFIX/share/jupyter/kernels")
    p.set_defaults(func=_cmd_kernel)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PkoError as exc:
        print(f"pkoresearch {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
