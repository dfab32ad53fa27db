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

from pkoresearch import __version__, paths
from pkoresearch.errors import PkoError

DESCRIPTION = (
    "Run the pkoresearch notebooks in batch, compare two runs, list their parameters, list and "
    "check data, fetch or import the real data files, copy the notebooks out, register the "
    "Jupyter kernel. "
    "pkoresearch COMMAND --help describes each command."
)


def _count(least: int):
    """An argparse type: a whole number >= ``least`` (argparse names the option when it fails)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"found {text!r}; expected a whole number, {least} or more"
            ) from None
        if value < least:
            raise argparse.ArgumentTypeError(f"found {value}; expected {least} or more")
        return value

    return parse


def _seconds(allow_zero: bool):
    """An argparse type: a finite number of seconds, > 0 (or >= 0 with ``allow_zero``); NaN and
    infinity are refused."""
    import math

    expected = "a number of seconds, 0 or more" if allow_zero else "a number of seconds above 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"found {text!r}; expected {expected}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"found {text!r}; expected {expected}")
        return value

    return parse


def _parse_overrides(pairs: list[list[str]] | None) -> dict:
    """``-p NAME VALUE`` pairs; values are read as YAML data (numbers, lists, strings), never run.
    A date such as 2024-07-31 stays the string it was typed as (notebook parameters are JSON)."""
    import datetime

    from pkoresearch.batch import safeyaml
    from pkoresearch.errors import ParameterError

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
    from pkoresearch.batch import runner

    nb_dir = _notebooks(args)
    overrides = _parse_overrides(args.parameter)
    if args.notebooks:
        runs = runner.runs_for([Path(n).name for n in args.notebooks], overrides)
    else:
        runs = runner.with_overrides(runner.load_runs(args.runs or nb_dir / "runs.yaml"), overrides)
    # every check that needs no kernel (parameters, missions, years against the data's coverage)
    # before anything starts, under the runs' own names (an ad-hoc run's folder is named after)
    runner.check_runs(runs, nb_dir)
    from pkoresearch.batch.runconfig import coverage_notes

    for note in coverage_notes(runs, nb_dir):
        print(f"NOTE {note}", file=sys.stderr)
    if args.notebooks and not args.replace:
        runs = adhoc_runs(runs)
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
    from pkoresearch.results import COMPLETED

    failed = [r for r in manifest["runs"] if r["status"] not in COMPLETED]
    lacking = [r for r in manifest["runs"] if r["status"] == "incomplete"]
    print(
        f"{len(manifest['runs']) - len(failed)} of {len(manifest['runs'])} run(s) succeeded in "
        f"{manifest['duration_s']:.1f} s"
        + (f" ({len(lacking)} incomplete)" if lacking else "")
        + f"; report: {out / 'index.html'}"
    )
    for r in lacking:
        print(f"INCOMPLETE {r['name']}: {r.get('needs', '')}")
    bundled = bundled_runs(manifest["runs"])
    if bundled:
        print(
            "ran on the bundled curated data (no real file cached): "
            + ", ".join(f"{name} ({', '.join(params)})" for name, params in bundled)
        )
        print(
            "  to run them on the real files: pkoresearch data fetch --all "
            "(or, offline, pkoresearch data import DIR), then pkoresearch run again"
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
        if r["status"] in COMPLETED and r.get("retried"):
            print(f"RETRIED {r['name']}: {r['retried']}; its report is complete", file=sys.stderr)
    return 1 if failed else 0


def adhoc_runs(runs: list, now=None) -> list:
    """Ad-hoc runs (``pkoresearch run NOTEBOOK ...``) each get a folder of their own, named by the
    notebook, the time (UTC) and a short hash of the parameters
    (``01_allegation_trends-20261207-201500-3f2a9c1d``), so a second run never replaces the
    first: earlier ones stay in ``runs/`` and index.html lists them."""
    import hashlib
    from datetime import UTC, datetime

    from pkoresearch.batch.runconfig import Run

    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    out = []
    for r in runs:
        digest = hashlib.sha256(
            json.dumps(r.parameters, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:8]
        out.append(Run(f"{r.name}-{stamp}-{digest}", r.notebook, r.parameters))
    return out


def _cmd_compare(args: argparse.Namespace) -> int:
    from pkoresearch.batch import compare

    c = compare.compare(compare.resolve(args.a, args.output), compare.resolve(args.b, args.output))
    sys.stdout.write(compare.as_text(c))
    if args.html:
        Path(args.html).write_text(compare.as_html(c), encoding="utf-8")
        print(f"HTML: {Path(args.html).resolve()}")
    return 0


def bundled_runs(runs: list[dict]) -> list[tuple[str, list[str]]]:
    """(run name, data parameters) for each run in which a data parameter resolved to no real
    file (``"auto"`` with nothing cached, or ``"bundled"``), from the runs' ``inputs``."""
    out = []
    for r in runs:
        params = sorted(
            k
            for k, v in (r.get("inputs") or {}).items()
            if isinstance(v, dict) and not v.get("sha256")
        )
        if params:
            out.append((r["name"], params))
    return out


def _notebooks(args: argparse.Namespace) -> Path:
    return Path(args.notebooks_dir).resolve() if args.notebooks_dir else paths.notebooks_dir()


def _cmd_list(args: argparse.Namespace) -> int:
    from pkoresearch.batch.runner import declared_parameters

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

    from pkoresearch.data import registry
    from pkoresearch.data.curated import datasets
    from pkoresearch.figures.formatting import text_table

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
    from pkoresearch.data import registry

    if not args.names and not args.all:
        print(
            "pkoresearch data fetch: name the datasets to fetch, or --all; the registry has: "
            + ", ".join(registry.names()),
            file=sys.stderr,
        )
        return 2
    chosen = registry.names() if args.all else [registry.get(n).name for n in args.names]
    fetched, already, failed = [], [], []
    for i, name in enumerate(chosen, 1):
        before = None if args.force else registry.cached(name)
        print(f"[{i}/{len(chosen)}] {name}: {registry.get(name).filename} ...", flush=True)
        try:
            c = registry.fetch_one(
                name,
                retries=args.retries,
                force=args.force,
                deadline=args.timeout,
                on_retry=lambda line: print(f"  {line}", flush=True),
            )
        except registry.RegistryError as exc:
            print(f"FAILED {exc}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        except KeyboardInterrupt:  # Ctrl-C: the partial download is gone, the cache as it was
            print(
                f"pkoresearch data fetch: interrupted while fetching {name}; {len(fetched)} of "
                f"{len(chosen)} dataset(s) fetched, nothing partial was cached",
                file=sys.stderr,
            )
            return 130
        if before is not None and (before.sha256, before.retrieved) == (c.sha256, c.retrieved):
            already.append(name)
            print(f"  cached already: {_describe(c)}", flush=True)
        else:
            fetched.append(name)
            print(f"  {_describe(c)}", flush=True)
    print(f"cache: {paths.cache_dir()}")
    print(
        f"{len(fetched)} fetched, {len(already)} cached already, {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
        + " of "
        + f"{len(chosen)} file(s)"
    )
    if failed:
        print(
            "without network, or where a download keeps failing: download the files by hand "
            "(their addresses: pkoresearch data status; landing pages in the README) and run "
            "pkoresearch data import DIR",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _cmd_data_import(args: argparse.Namespace) -> int:
    from pkoresearch.data import registry

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
    from pkoresearch.data import registry

    print(f"cache: {paths.cache_dir()}")
    for row in registry.status():
        e = registry.get(row["name"])
        pin = "pinned" if e.pinned else "unpinned"
        if row.get("damaged"):
            print(f"{row['name']}: DAMAGED: {row['damaged']}")
            continue
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
    from pkoresearch.data import sources
    from pkoresearch.data.curated import SPECS, load

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


def _refused(path: Path, exc: PkoError, kind: str | None = None) -> int:
    """Print why ``path`` was refused: every problem of a :class:`DataError` (``as kind`` once
    the format is known), else the error's message. Returns the exit code, 1."""
    from pkoresearch.errors import DataError

    if isinstance(exc, DataError):
        print(f"{path}: {len(exc.problems)} problem(s)" + (f" as {kind}:" if kind else ":"))
        for p in exc.problems:
            print(f"  {p}")
    else:
        print(f"{path}: {exc}")
    return 1


def _check(path: Path, dataset: str | None) -> int:
    """Validate a researcher's file: a curated table, a UN table of allegations export, UN gender
    statistics or UN contributions by gender (any of its three layouts); print every problem
    found."""
    from pkoresearch.data.curated import SPECS, load
    from pkoresearch.data.readers import un_conduct, un_contributions, un_gender

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
    from pkoresearch.data.readers._checks import check_file, check_text

    try:  # what the path is, before anything opens it: a FIFO would hang the header sniffing
        check_file(path, "a data file to check")
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".dta"):
            check_text(path, "a CSV file")
    except PkoError as exc:
        return _refused(path, exc)
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
        except PkoError as exc:
            return _refused(path, exc, kind)
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
    a.add_argument(
        "--dataset",
        help="curated dataset name or UN format the file should match (default: recognised "
        "from the file's name and header)",
    )
    a.set_defaults(func=_cmd_data_check)

    a = actions.add_parser(
        "fetch", help="download real data files into the cache, checking their sha256"
    )
    a.add_argument("names", nargs="*", metavar="NAME", help="registry datasets (see `data status`)")
    a.add_argument(
        "--all", action="store_true", help="every dataset in the registry (default: off)"
    )
    a.add_argument(
        "--force", action="store_true", help="download again even when cached (default: off)"
    )
    a.add_argument(
        "--retries",
        type=_count(0),
        default=3,
        help="retries after a failed transfer, 0 or more (default 3)",
    )
    a.add_argument(
        "--timeout",
        type=_seconds(allow_zero=False),
        default=600.0,
        metavar="SECONDS",
        help="seconds allowed for each whole file, retries included (default 600)",
    )
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
    parser = argparse.ArgumentParser(prog="pkoresearch", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"pkoresearch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="execute notebooks in batch with papermill")
    p.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="notebook file names in the notebooks folder (default: every run in --runs)",
    )
    keep = p.add_mutually_exclusive_group()
    keep.add_argument(
        "--history",
        action="store_false",
        dest="replace",
        default=False,
        help="with NOTEBOOK: give the run a folder of its own, OUTPUT/runs/NOTEBOOK-TIME-HASH "
        "(UTC time, a hash of its parameters), so that it does not replace the last run of that "
        "notebook; index.html lists the earlier ones, pkoresearch compare A B compares two "
        "(the default for ad-hoc runs; the batch of --runs keeps its fixed folders)",
    )
    keep.add_argument(
        "--replace",
        action="store_true",
        dest="replace",
        help="with NOTEBOOK: write to OUTPUT/runs/NOTEBOOK, replacing the last report of that "
        "notebook (a failed run keeps the last good one) (default: off, see --history)",
    )
    p.add_argument(
        "--runs", help="run matrix, a YAML file (default: runs.yaml in the notebooks folder)"
    )
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
        help="set a parameter for every run (VALUE read as YAML data; default: none, each "
        "notebook's own defaults)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_count(1),
        default=1,
        help="runs executed at once, each in its own process (default 1)",
    )
    p.add_argument("--output", "-o", default="reports", help="output folder (default reports/)")
    p.add_argument(
        "--html",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write an HTML copy of each executed notebook (default: --html)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds allowed per cell, more than 0 (default: no limit)",
    )
    p.add_argument(
        "--wait",
        type=_seconds(allow_zero=True),
        default=0.0,
        metavar="SECONDS",
        help="when another run is writing to the output folder, wait this long for "
        "it (default 0: stop with a message)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="where runs execute: local (a process pool of --jobs workers) or dask (the workers "
        "of a Dask cluster, see --scheduler) (default local)",
    )
    p.add_argument(
        "--scheduler",
        help="Dask scheduler address for --executor dask, e.g. tcp://HOST:8786 (default: none)",
    )
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
        help="start each kernel as a new interpreter (default: off; on Linux kernels are forked "
        "from a server per worker that has imported the analysis stack once)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "compare",
        help="two runs side by side: headline numbers and their differences, the parameters "
        "and data checksums that differ",
    )
    p.add_argument("a", metavar="A", help="a run: its report folder, or its name in OUTPUT/runs")
    p.add_argument("b", metavar="B", help="the other run, the same way")
    p.add_argument(
        "--output", "-o", default="reports", help="output folder holding runs/ (default reports/)"
    )
    p.add_argument(
        "--html", metavar="FILE", help="also write the comparison as an HTML page (default: none)"
    )
    p.set_defaults(func=_cmd_compare)

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
    p.add_argument(
        "--force", action="store_true", help="overwrite files already there (default: off)"
    )
    p.set_defaults(func=_cmd_notebooks)

    p = sub.add_parser("kernel", help="register the Jupyter kernel 'Python (pkoresearch)'")
    p.add_argument("action", choices=["install"])
    p.add_argument(
        "--sys-prefix",
        action="store_true",
        help="install into this environment instead of the user's folder (default: off)",
    )
    p.add_argument(
        "--prefix", help="install under PREFIX/share/jupyter/kernels (default: the user's folder)"
    )
    p.set_defaults(func=_cmd_kernel)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PkoError as exc:
        print(f"pkoresearch {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (``pkoresearch list | head``): stop quietly, as other commands do;
        # stdout goes to devnull so that Python's own flush at exit does not fail again
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
