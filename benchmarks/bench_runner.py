"""Benchmark: `pkoresearch run --jobs 2` with warm kernels (forked from a preloaded server, the
default on Linux) and with cold ones (`--cold`), against the same notebooks and parameters run
one after another with the plain `papermill` command. Two batches:

- the default batch (notebooks/runs.yaml);
- a 24-run sweep: 01_allegation_trends over 8 missions x 3 personnel categories on the real UN
  table of allegations (registry name ``un_allegations``), in a temporary cache imported from
  the external-data folder (skipped, saying so, where the files are absent).

Each batch runs with two kernelspecs named ``python3``: the environment's own (``python -m
ipykernel_launcher``) and one written by ``python -m ipykernel install --user`` into a temporary
Jupyter data folder (current ipykernel writes ``-Xfrozen_modules=off`` and ``"debugger": true``:
the kernelspec most JupyterLab users have), which both papermill and the runner then find first.
The real data files are imported into a temporary cache first (``auto`` parameters read them).
Both sides write the same figure files: ``--figure-formats`` (default ``png,svg,pdf``, what the
notebooks write outside a batch) is given to the runner and, as PKORESEARCH_FIGURE_FORMATS, to
plain papermill's kernels.

Prints wall seconds, the ratios to plain papermill and the median per-run overhead: a run's wall
time minus the time its cells took (papermill's per-cell duration in the executed notebook), that
is kernel start and shutdown, papermill's and the runner's own work (for plain papermill, the
command's own start too). Imports done in a notebook's cells count as cell time: a warm kernel
has them already, so its cells are faster as well.

    python benchmarks/bench_runner.py [--repeat 1] [--html] [--only default|sweep]
                                      [--kernelspec both|default|installed]
                                      [--figure-formats png,svg,pdf]

Targets on a 2-core machine: warm default batch <= 0.2 x plain papermill, warm sweep <= 0.15 x,
median warm per-run overhead <= 0.3 s. HTML export is off by default so that all three do the
same work (papermill writes no HTML).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pkoresearch import paths  # noqa: E402
from pkoresearch.batch import runner  # noqa: E402
from pkoresearch.data import registry  # noqa: E402

BIN = Path(sys.executable).parent
CELLS: dict[str, float] = {}  # output folder -> seconds in cells, summed over its runs
STARTS: dict[str, dict[str, int]] = {}  # output folder -> the manifest's kernel_starts
MODES = ["papermill", "cold", "warm"]
RUNS: dict[str, list[tuple[float, str]]] = {}  # output folder -> (seconds, name) per run
MISSIONS = ["MINUSCA", "MONUSCO", "UNMISS", "MINUSMA", "UNIFIL", "MINUSTAH", "UNMIL", "UNOCI"]
CATEGORIES = ["military", "police", "civilian"]
SWEEP = {
    "runs": [
        {
            "name": "sweep-{missions}-{personnel_categories}",
            "notebook": "01_allegation_trends.ipynb",
            "parameters": {"allegations_table": "un_allegations", "breakpoints": []},
            "sweep": {
                "missions": [[m] for m in MISSIONS],
                "personnel_categories": [[c] for c in CATEGORIES],
            },
        }
    ]
}


def cell_seconds(notebook: Path) -> float | None:
    """Seconds spent in cells, from papermill's per-cell metadata of an executed notebook."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return sum(
        (c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )


def plain_papermill(runs, work: Path) -> tuple[float, list[float], int]:
    t0 = time.perf_counter()
    overheads, failed = [], 0
    for r in runs:
        out = work / "plain" / runner.safe_folder_name(r.name)
        out.mkdir(parents=True, exist_ok=True)
        params = {**r.parameters, "output_dir": str(out)}
        cmd = [
            str(BIN / "papermill"),
            "-k",
            "python3",
            "--no-progress-bar",
            str(ROOT / "notebooks" / r.notebook),
            str(out / "notebook.ipynb"),
        ]
        for k, v in params.items():
            cmd += ["-y", json.dumps({k: v})]
        t = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        wall = time.perf_counter() - t
        failed += proc.returncode != 0
        cells = cell_seconds(out / "notebook.ipynb")
        if proc.returncode == 0 and cells is not None:
            overheads.append(wall - cells)
    return time.perf_counter() - t0, overheads, failed


def pkoresearch_run(
    runs_yaml: Path, out: Path, work: Path, extra: list[str]
) -> tuple[float, list[float], int]:
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "pkoresearch"),
            "run",
            "--runs",
            str(runs_yaml),
            "--jobs",
            "2",
            "-o",
            str(out),
            *extra,
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - t0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    STARTS[str(out)] = manifest.get("kernel_starts") or {}
    RUNS[str(out)] = [(r["duration_s"], r["name"]) for r in manifest["runs"]]
    overheads, cells_total = [], 0.0
    for r in manifest["runs"]:
        if r["status"] != "ok":
            print(
                f"  ({'cold' if '--cold' in extra else 'warm'}) {r['name']} failed: "
                f"{r.get('error', {}).get('message', '')[:200]}"
            )
        cells = cell_seconds(out / "runs" / r["folder"] / "notebook.ipynb")
        if r["status"] == "ok" and cells is not None:
            overheads.append(r["duration_s"] - cells)
            cells_total += cells
    CELLS[str(out)] = cells_total
    return wall, overheads, manifest["failed"]


def bench(label: str, runs_yaml: Path, repeat: int, html: list[str], targets: dict) -> None:
    runs = runner.load_runs(runs_yaml)
    CELLS.clear()  # this batch's runs only
    STARTS.clear()
    RUNS.clear()
    walls: dict[str, list[float]] = {m: [] for m in MODES}
    over: dict[str, list[float]] = {k: [] for k in walls}
    failed: dict[str, int] = dict.fromkeys(walls, 0)
    for _ in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="pko-bench-"))
        try:
            for mode in walls:
                if mode == "papermill":
                    wall, o, f = plain_papermill(runs, work)
                else:
                    wall, o, f = pkoresearch_run(
                        runs_yaml,
                        work / mode,
                        work,
                        [*html, *(["--cold"] if mode == "cold" else [])],
                    )
                walls[mode].append(wall)
                over[mode] += o
                failed[mode] += f
        finally:
            shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(
        f"\n{label}: {len(runs)} runs, {os.cpu_count()} CPUs, median of {repeat}; "
        f"runner HTML export {'on' if '--html' in html else 'off'}; load average before: "
        f"{os.getloadavg()[0]:.1f}"
    )
    for k in ("cold", "warm"):
        seen = [v for o, v in STARTS.items() if o.endswith(f"/{k}")]
        if seen:
            print(f"  {k} runs' kernel_start: {seen}")
    for k in walls:
        o = f"{statistics.median(over[k]):.2f} s" if over[k] else "n/a"
        print(
            f"  {k:10s} {med[k]:7.1f} s   median per-run overhead {o:>8}   failed runs "
            f"{failed[k]}   (walls: {', '.join(f'{x:.1f}' for x in walls[k])})"
        )
    for k in ("cold", "warm"):
        if k not in walls:
            continue
        t = targets.get(k)
        print(
            f"  ratio {k} --jobs 2 / papermill = {med[k] / med['papermill']:.3f}"
            + (f" (target <= {t})" if t else "")
        )
    if "cold" in walls and "warm" in walls:
        print(f"  ratio warm / cold = {med['warm'] / med['cold']:.3f}")
    warm_cells = [v for k, v in CELLS.items() if k.endswith("/warm")]
    if warm_cells:
        c = statistics.median(warm_cells)
        print(
            f"  warm: {c:.1f} s in cells over all runs; the cells alone on 2 workers take "
            f">= {c / 2:.1f} s = {c / 2 / med['papermill']:.3f} x papermill (the floor without "
            "any start-up)"
        )
        for o, rs in RUNS.items():
            if o.endswith("/warm") and rs:
                longest = max(rs)
                print(
                    f"  warm batch: longest run {longest[0]:.1f} s ({longest[1]}), runs' seconds "
                    f"summed / 2 workers = {sum(d for d, _ in rs) / 2:.1f} s"
                )


def install_kernelspec() -> Path:
    """A ``python3`` kernelspec written by ``python -m ipykernel install --user`` into a new
    temporary Jupyter data folder, found first from now on (JUPYTER_DATA_DIR, inherited by
    papermill, the runner and its workers)."""
    data = Path(tempfile.mkdtemp(prefix="pko-bench-jupyter-"))
    os.environ["JUPYTER_DATA_DIR"] = str(data)
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
        check=True,
        capture_output=True,
    )
    spec = json.loads((data / "kernels" / "python3" / "kernel.json").read_text(encoding="utf-8"))
    print(f"\nkernelspec python3 written by ipykernel install --user: argv {spec['argv'][:4]}...")
    return data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--html", action="store_true", help="include HTML export in the runner times")
    ap.add_argument("--only", choices=["default", "sweep"])
    ap.add_argument("--kernelspec", choices=["both", "default", "installed"], default="both")
    ap.add_argument("--figure-formats", default="png,svg,pdf")
    ap.add_argument(
        "--modes", default="papermill,cold,warm", help="which of papermill,cold,warm to time"
    )
    args = ap.parse_args()
    MODES[:] = [m for m in ("papermill", "cold", "warm") if m in args.modes.split(",")]
    html = ["--html"] if args.html else ["--no-html"]
    html += ["--figure-formats", args.figure_formats]
    os.environ["PKORESEARCH_FIGURE_FORMATS"] = args.figure_formats  # plain papermill's too
    print(f"figure files written by both sides: {args.figure_formats}")
    cache, _ = registry.fill_temporary_cache(paths.external_dir())
    specs = ["default", "installed"] if args.kernelspec == "both" else [args.kernelspec]
    try:
        for spec in specs:
            data = install_kernelspec() if spec == "installed" else None
            try:
                batches(args, html, "environment's own python3" if data is None else "installed")
            finally:
                if data is not None:
                    os.environ.pop("JUPYTER_DATA_DIR", None)
                    shutil.rmtree(data, ignore_errors=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def batches(args: argparse.Namespace, html: list[str], spec: str) -> None:
    if args.only != "sweep":
        bench(
            f"default batch (notebooks/runs.yaml, real files imported), kernelspec: {spec}",
            ROOT / "notebooks" / "runs.yaml",
            args.repeat,
            html,
            {"warm": 0.2},
        )
    if args.only == "default":
        return
    if registry.cached("un_allegations") is None:
        print(f"\nsweep skipped: the UN table of allegations is not in {paths.external_dir()}")
        return
    with tempfile.TemporaryDirectory(prefix="pko-sweep-") as tmp:
        runs_yaml = Path(tmp) / "sweep.yaml"
        runs_yaml.write_text(json.dumps(SWEEP), encoding="utf-8")  # JSON is YAML
        os.environ["PKORESEARCH_NOTEBOOKS"] = str(ROOT / "notebooks")
        bench(
            "24-run sweep: 01_allegation_trends, 8 missions x 3 personnel categories, "
            f"real UN table, kernelspec: {spec}",
            runs_yaml,
            args.repeat,
            html,
            {"warm": 0.15},
        )


if __name__ == "__main__":
    main()
