"""Benchmark: the 24-run mission x category sweep of the trends notebook (8 missions with
allegations x 3 personnel categories, on the real UN table of allegations) with
`pkoresearch run --jobs 2` against the same sweep on a Dask cluster of two local workers
(`dask scheduler` + two `dask worker --nthreads 1` processes). Prints wall seconds and the
overhead of the Dask path (every run ships its notebook and input files to a worker and its
outputs back; see pkoresearch.batch.shipping).

    python benchmarks/bench_dask.py [--repeat 1] [--no-html]

Target: the Dask run at most ~10% slower than --jobs 2. The cluster is started before the clock
starts (a real cluster is long-lived); the workers get no real-data cache of their own. Needs the
real export in ../shared/external (or PKORESEARCH_EXTERNAL); it is imported into a temporary cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pkoresearch import paths  # noqa: E402
from pkoresearch.data import registry  # noqa: E402

BIN = Path(sys.executable).parent
MISSIONS = ["MINUSCA", "MONUSCO", "UNMISS", "MINUSTAH", "MINUSMA", "UNMIL", "UNOCI", "UNAMID"]
CATEGORIES = ["military", "police", "civilian"]


def sweep(path: Path) -> int:
    doc = {
        "runs": [
            {
                "name": "trends-{missions}-{personnel_categories}",
                "notebook": "01_allegation_trends.ipynb",
                "parameters": {"allegations_table": "un_allegations", "breakpoints": []},
                "sweep": {
                    "missions": [[m] for m in MISSIONS],
                    "personnel_categories": [[c] for c in CATEGORIES],
                },
            }
        ]
    }
    path.write_text(json.dumps(doc, indent=1))
    return len(MISSIONS) * len(CATEGORIES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(work: Path) -> tuple[list[subprocess.Popen], str]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PKORESEARCH_CACHE"}
    env["PKORESEARCH_CACHE"] = str(work / "worker-cache")  # empty: the workers have no data
    log = open(work / "cluster.log", "wb")
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
    ]
    for name in ("w1", "w2"):
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    address,
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                ],
                env=env,
                stdout=log,
                stderr=log,
            )
        )
    from distributed import Client

    deadline = time.monotonic() + 180
    while True:
        try:
            with Client(address, timeout=10) as client:
                client.wait_for_workers(2, timeout=180)
            return procs, address
        except OSError:
            if time.monotonic() > deadline:
                raise


def stop(procs: list[subprocess.Popen]) -> None:
    import psutil

    everything = []
    for p in procs:
        try:
            everything += [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    for p in everything:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(everything, timeout=15)
    for p in alive:
        p.kill()


def timed(args: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "pkoresearch"), "run", *args], cwd=cwd, capture_output=True, text=True
    )
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"pkoresearch run {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-html", action="store_true", help="leave out the HTML export")
    args = ap.parse_args()
    cache, _ = registry.fill_temporary_cache(paths.external_dir())
    if registry.cached("un_allegations") is None:
        raise SystemExit(f"needs the UN table of allegations in {paths.external_dir()}")
    work = Path(tempfile.mkdtemp(prefix="pko-bench-dask-"))
    procs: list[subprocess.Popen] = []
    try:
        runs = work / "sweep.yaml"
        n = sweep(runs)
        procs, address = start_cluster(work)
        html = ["--no-html"] if args.no_html else []
        times: dict[str, list[float]] = {"jobs2": [], "dask": []}
        for i in range(args.repeat):
            times["jobs2"].append(
                timed(
                    ["--runs", str(runs), "--jobs", "2", "-o", str(work / f"jobs2-{i}"), *html],
                    work,
                )
            )
            times["dask"].append(
                timed(
                    [
                        "--runs",
                        str(runs),
                        "--executor",
                        "dask",
                        "--scheduler",
                        address,
                        "-o",
                        str(work / f"dask-{i}"),
                        *html,
                    ],
                    work,
                )
            )
        same = 0
        for f in sorted((work / "jobs2-0" / "runs").glob("*/results.json")):
            twin = work / "dask-0" / f.relative_to(work / "jobs2-0")
            same += json.loads(twin.read_text()) == json.loads(f.read_text())
        med = {k: statistics.median(v) for k, v in times.items()}
        print(
            f"{n} runs (01_allegation_trends, {len(MISSIONS)} missions x {len(CATEGORIES)} "
            f"categories, real UN table of allegations), {os.cpu_count()} CPUs, HTML "
            f"{'off' if args.no_html else 'on'}, median of {args.repeat}"
        )
        for k, v in times.items():
            print(f"  {k:6s} {med[k]:7.1f} s   (runs: {', '.join(f'{x:.1f}' for x in v)})")
        print(
            f"  dask / jobs2 = {med['dask'] / med['jobs2']:.3f} "
            f"(overhead {100 * (med['dask'] / med['jobs2'] - 1):+.1f}%; target <= +10%)"
        )
        print(f"  results.json identical in {same} of {n} runs")
    finally:
        stop(procs)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
