"""The ``pkoresearch`` command: run notebooks in batch, list their parameters, list and check data,
fetch or import the real data files, copy the notebooks out, register the Jupyter kernel."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
import warnings
from pathlib import Path

from . import __version__, paths
from .errors import PkoError


def _parse_overrides(pairs: list[list[str]] | None) -> dict:
    """``-p NAME VALUE`` pairs; values are read as YAML data (numbers, lists, strings), never run.
    A date such as 2024-07-31 stays the string it was typed as (notebook parameters are JSON)."""
    import datetime

    from . import safeyaml
    from .errors import ParameterError

    out = {}
    for name, raw in pairs or []:
        try:
            value = safeyaml.load(raw.encode("utf-8", "surrogateescape"))
        except safeyaml.YamlSyntaxError:
            value = raw
        except safeyaml.YamlRefused as exc:
            raise ParameterError(f"-p {name}: {exc}") from None
        out[name] = raw if isinstance(value, (datetime.date, datetime.datetime)) else value
    return out


def _cmd_run(args: argparse.Namespace) -> int:
    from . import runner

    nb_dir = _notebooks(args)
    overrides = _parse_overrides(args.parameter)
    if args.notebooks:
        runs = runner.runs_for([Path(n).name for n in args.notebooks], overrides)
    else:
        runs = runner.with_overrides(runner.load_runs(args.runs or nb_dir / "runs.yaml"), overrides)
    closer = None
    executor = None
    if args.executor == "dask":
        if not args.scheduler:
            print("pkoresearch run: --executor dask needs --scheduler ADDRESS", file=sys.stderr)
            return 2
        executor, closer = runner.dask_executor(args.scheduler)
    try:
        manifest = runner.run_batch(
            runs,
            output=args.output,
            jobs=args.jobs,
            html_report=args.html,
            timeout=args.timeout,
            executor=executor,
            notebooks=nb_dir,
            wait=args.wait,
            warm_start=False if args.cold else None,
            figure_formats=[args.figure_formats],
        )
    except runner.BatchStopped as exc:
        print(f"pkoresearch run: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        if closer:
            closer()
    out = Path(args.output).resolve()
    failed = [r for r in manifest["runs"] if r["status"] != "ok"]
    print(
        f"{len(manifest['runs']) - len(failed)} of {len(manifest['runs'])} run(s) succeeded in "
        f"{manifest['duration_s']:.1f} s; report: {out / 'index.html'}"
    )
    for r in failed:
        err = r.get("error", {})
        cell = f" (cell {err['exec_count']})" if err.get("exec_count") else ""
        kept = (
            "last good report kept in " + str(out / "runs" / r["folder"])
            if (out / "runs" / r["folder"]).is_dir()
            else "no earlier report"
        )
        print(
            f"FAILED {r['name']}{cell}: {err.get('message', '')}; {kept}; "
            f"executed notebook in {out / 'failed' / r['folder']}",
            file=sys.stderr,
        )
    for r in manifest["runs"]:
        if r["status"] == "ok" and r.get("retried"):
            print(f"RETRIED {r['name']}: {r['retried']}; its report is complete", file=sys.stderr)
    return 1 if failed else 0


def _notebooks(args: argparse.Namespace) -> Path:
    return Path(args.notebooks_dir).resolve() if args.notebooks_dir else paths.notebooks_dir()


def _cmd_list(args: argparse.Namespace) -> int:
    from .runner import declared_parameters

    nb_dir = _notebooks(args)
    for nb in sorted(nb_dir.glob("*.ipynb")):
        print(nb.name)
        for name, p in declared_parameters(nb).items():
            print(f"  {name}: {p['type']} = {p['default']}")
            if p["help"]:
                print(f"      {p['help']}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    """``pkoresearch data``: the bundled datasets, then the registry's real data files."""
    from pandas import isna

    from . import registry
    from .curated import datasets
    from .formatting import text_table

    width = max(60, min(100, shutil.get_terminal_size((100, 24)).columns))
    d = datasets()
    years = ["" if isna(a) else f"{a}-{b}" for a, b in zip(d["first_year"], d["last_year"])]
    own_file = (d["file"] == d["dataset"] + ".csv").all()
    print(
        textwrap.fill(
            "Bundled datasets"
            + (" (files in data/, named <dataset>.csv)" if own_file else "")
            + "; their sources: pkoresearch data cite NAME",
            width,
        )
    )
    cols = [
        d["dataset"],
        d["rows"],
        d["preferred_rows"],
        years,
        d["sources"],
        *([] if own_file else [d["file"]]),
        d["description"],
    ]
    headers = [
        "dataset",
        "rows",
        "preferred",
        "years",
        "sources",
        *([] if own_file else ["file"]),
        "description",
    ]
    print(
        text_table(list(zip(*cols)), headers, width=width, wrap=len(headers) - 1, right=[1, 2, 4])
    )
    print(
        "\n"
        + textwrap.fill(
            "Real data files (pkoresearch data fetch NAME | import DIR | status):", width
        )
    )
    rows = [
        (e.name, "cached" if registry.cached(e.name) else "not cached", e.title)
        for e in registry.ENTRIES
    ]
    print(
        text_table(rows, ["dataset", "state", "title"], width=width, wrap=2, indent=2).split(
            "\n", 1
        )[1]
    )
    return 0


def _cmd_data_check(args: argparse.Namespace) -> int:
    return _check(Path(args.path), args.dataset)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _describe(c) -> str:
    check = "pinned sha256 verified" if c.pinned else "unpinned: sha256 recorded"
    return (
        f"{c.name}: {c.path.name} ({_size(c.size)}), sha256 {c.sha256} ({check}); "
        f"{c.method}ed from {c.source}, {c.retrieved}"
    )


def _cmd_data_fetch(args: argparse.Namespace) -> int:
    from . import registry

    if not args.names and not args.all:
        print(
            "pkoresearch data fetch: name the datasets to fetch, or --all; the registry has: "
            + ", ".join(registry.names()),
            file=sys.stderr,
        )
        return 2
    chosen = registry.names() if args.all else [registry.get(n).name for n in args.names]
    failed = 0
    for name in chosen:
        try:
            c = registry.fetch_one(name, retries=args.retries, force=args.force)
        except registry.RegistryError as exc:
            print(f"FAILED {exc}", file=sys.stderr)
            failed += 1
            continue
        print(_describe(c))
    print(f"cache: {paths.cache_dir()}")
    return 1 if failed else 0


def _cmd_data_import(args: argparse.Namespace) -> int:
    from . import registry

    report = registry.import_dir(args.folder, args.names or None)
    for c in report.imported:
        print("imported " + _describe(c))
    for c in report.already:
        print(f"already cached {c.name}: {c.path.name}, sha256 {c.sha256}")
    for problem in report.rejected:
        print(f"REJECTED {problem}", file=sys.stderr)
    if report.missing:
        print(f"not in {report.folder}: {', '.join(report.missing)}")
    print(f"cache: {paths.cache_dir()}")
    if report.rejected:
        return 1
    if not report.imported and not report.already:
        print(
            f"pkoresearch data import: no registry file found in {report.folder}; expected "
            "files such as " + ", ".join(e.filename for e in registry.ENTRIES[:2]),
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_data_status(args: argparse.Namespace) -> int:
    from . import registry

    print(f"cache: {paths.cache_dir()}")
    for row in registry.status():
        e = registry.get(row["name"])
        pin = "pinned" if e.pinned else "unpinned"
        if not row["cached"]:
            print(f"{row['name']}: not cached ({pin}; {e.filename})")
            continue
        print(f"{row['name']}: {row['state']}; {e.filename} ({_size(row['size'])}, {pin})")
        print(f"    sha256 {row['sha256']}")
        print(f"    {row['method']}ed {row['retrieved']} from {row['source']}")
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    """Copy the shipped notebooks and runs.yaml into a folder of the researcher's own."""
    import shutil

    src = paths.packaged_notebooks_dir()
    files = sorted(src.glob("*.ipynb")) + [src / "runs.yaml"]
    dest = Path(args.folder).expanduser().resolve()
    clash = [f.name for f in files if (dest / f.name).exists()]
    if clash and not args.force:
        print(
            f"pkoresearch notebooks: {dest} already has {', '.join(clash)}; expected an empty "
            "or new folder (or --force to overwrite)",
            file=sys.stderr,
        )
        return 2
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copyfile(f, dest / f.name)
    print(f"copied {len(files) - 1} notebooks and runs.yaml to {dest}")
    print(f"run them with: pkoresearch run --notebooks {dest}   (or open them in jupyter lab)")
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
        print(
            f"pkoresearch data cite: found {name!r}; expected a dataset ({', '.join(SPECS)}) "
            "or a source id from sources.csv",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(sources.export(cited, style=style))
    return 0


def _check(path: Path, dataset: str | None) -> int:
    """Validate a researcher's file: a curated table, a UN table of allegations export, UN gender
    statistics or UN contributions by gender (any of its three layouts); print every problem
    found."""
    from .curated import SPECS, load
    from .errors import DataError
    from .readers import un_conduct, un_contributions, un_gender

    readers = {  # the third-party formats: reader, and a one-line summary of what it read
        "un_table_of_allegations": (
            un_conduct.read_table_of_allegations,
            lambda t: f"{len(t.allegations)} allegations",
        ),
        "un_gender_statistics": (
            un_gender.read_gender_statistics,
            lambda g: f"{g.report['rows_used']} rows used ({json.dumps(g.report)})",
        ),
        "un_contributions_mission_month": (
            un_contributions.read_mission_month,
            lambda c: f"{len(c.counts)} mission-months, {c.coverage.label()}",
        ),
        "un_contributions_odp": (
            un_contributions.read_contributions_by_gender,
            lambda c: f"{len(c.counts)} rows, {c.coverage.label()}",
        ),
        "un_contributions_country_year": (
            un_contributions.read_country_mission_year,
            lambda c: f"{len(c.counts)} rows; years unverified without the mission x month file",
        ),
    }
    from .readers._checks import check_file, check_text

    try:  # what the path is, before anything opens it: a FIFO would hang the header sniffing
        check_file(path, "a data file to check")
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".dta"):
            check_text(path, "a CSV file")
    except DataError as exc:
        print(f"{path}: {len(exc.problems)} problem(s):")
        for p in exc.problems:
            print(f"  {p}")
        return 1
    except PkoError as exc:
        print(f"{path}: {exc}")
        return 1
    kind = dataset
    if kind is None:
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                kind = "un_table_of_allegations"
            elif path.suffix.lower() == ".dta":
                kind = "un_contributions_mission_month"
            else:
                import pandas as pd

                header = list(pd.read_csv(path, nrows=0).columns)
                lower = {str(c).strip().lower() for c in header}
                if set(un_conduct.COLUMNS) <= set(header):
                    kind = "un_table_of_allegations"
                elif set(un_gender.COLUMNS) <= set(header):
                    kind = "un_gender_statistics"
                elif {c.lower() for c in un_contributions.ODP_COLUMNS} <= lower:
                    kind = "un_contributions_odp"
                elif {c.lower() for c in un_contributions.YEAR_COLUMNS} <= lower:
                    kind = "un_contributions_country_year"
                else:
                    kind = next(
                        (n for n, s in SPECS.items() if set(s.column_names) == set(header)), None
                    )
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read ({exc})", file=sys.stderr)
            return 1
    if kind is None:
        print(
            f"{path}: the header matches no curated table and no UN format; name one with "
            f"--dataset ({', '.join([*sorted(SPECS), *readers])})",
            file=sys.stderr,
        )
        return 1
    if kind not in readers and kind not in SPECS:
        print(
            f"{path}: --dataset {kind!r} is not a format this command checks; expected one of "
            f"{', '.join([*sorted(SPECS), *readers])}",
            file=sys.stderr,
        )
        return 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kind in readers:
                read, describe = readers[kind]
                summary = describe(read(path))
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
    where = install(
        user=prefix is None,
        prefix=prefix,
        kernel_name="pkoresearch",
        display_name="Python (pkoresearch)",
    )
    print(f"installed kernel 'Python (pkoresearch)' in {where}")
    return 0


def _data_parser(sub) -> argparse._SubParsersAction:
    """``pkoresearch data [ACTION]``: one sub-command per action, each with its own function."""
    p = sub.add_parser(
        "data", help="bundled datasets and real data files: check, fetch, import, status, cite"
    )
    p.set_defaults(func=_cmd_data)
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    a = actions.add_parser("check", help="validate a curated copy or a UN file; every problem")
    a.add_argument("path", help="file to check")
    a.add_argument("--dataset", help="curated dataset name or UN format the file should match")
    a.set_defaults(func=_cmd_data_check)

    a = actions.add_parser(
        "fetch", help="download real data files into the cache, checking their sha256"
    )
    a.add_argument("names", nargs="*", metavar="NAME", help="registry datasets (see `data status`)")
    a.add_argument("--all", action="store_true", help="every dataset in the registry")
    a.add_argument("--force", action="store_true", help="download again even when cached")
    a.add_argument("--retries", type=int, default=3, help="retries after a failed transfer")
    a.set_defaults(func=_cmd_data_fetch)

    a = actions.add_parser(
        "import",
        help="offline: copy real data files from a folder into the cache, checking their sha256",
    )
    a.add_argument("folder", metavar="DIR", help="folder holding downloaded files")
    a.add_argument("names", nargs="*", metavar="NAME", help="only these datasets")
    a.set_defaults(func=_cmd_data_import)

    a = actions.add_parser("status", help="what is cached, from where, when, and its sha256")
    a.set_defaults(func=_cmd_data_status)

    a = actions.add_parser(
        "cite",
        help="citations of the sources behind a dataset (or of one "
        "source id), primary documents first",
    )
    a.add_argument("name", metavar="NAME", help="a bundled dataset or a source id")
    a.add_argument(
        "--format",
        choices=["text", "bibtex", "csl-json"],
        default="text",
        help="citation format (default text)",
    )
    a.set_defaults(func=lambda args: _cite(args.name, args.format))
    return actions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pkoresearch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pkoresearch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="execute notebooks in batch with papermill")
    p.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="notebook file names in notebooks/ (default: every run in --runs)",
    )
    p.add_argument("--runs", help="run matrix (default notebooks/runs.yaml)")
    p.add_argument(
        "--notebooks",
        dest="notebooks_dir",
        metavar="DIR",
        help="folder of the notebooks (default: the checkout's or the shipped ones)",
    )
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter for every run (VALUE read as YAML data)",
    )
    p.add_argument("--jobs", "-j", type=int, default=1, help="runs executed at once")
    p.add_argument("--output", "-o", default="reports", help="output folder (default reports/)")
    p.add_argument(
        "--html",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write an HTML copy of each executed notebook",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds allowed per cell, more than 0 (default: no limit)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="when another run is writing to the output folder, wait this long for "
        "it (default 0: stop with a message)",
    )
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address for --executor dask")
    p.add_argument(
        "--figure-formats",
        default="png",
        metavar="FORMATS",
        help="figure files each saved figure gets, among png, svg, pdf (default png; "
        "png,svg,pdf adds the vector files, as the notebooks write them outside a batch)",
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="start each kernel as a new interpreter (default on Linux: fork it from "
        "a server per worker that has imported the analysis stack once)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("list", help="show each notebook's parameters")
    p.add_argument(
        "--notebooks",
        dest="notebooks_dir",
        metavar="DIR",
        help="folder of the notebooks (default: the checkout's or the shipped ones)",
    )
    p.set_defaults(func=_cmd_list)

    _data_parser(sub)

    p = sub.add_parser("notebooks", help="copy the notebooks and runs.yaml into a folder")
    p.add_argument("folder", nargs="?", default="notebooks", help="where (default ./notebooks)")
    p.add_argument("--force", action="store_true", help="overwrite files already there")
    p.set_defaults(func=_cmd_notebooks)

    p = sub.add_parser("kernel", help="register the Jupyter kernel 'Python (pkoresearch)'")
    p.add_argument("action", choices=["install"])
    p.add_argument(
        "--sys-prefix",
        action="store_true",
        help="install into this environment instead of the user's folder",
    )
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
