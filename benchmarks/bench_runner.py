"""Benchmark: the default batch (notebooks/runs.yaml) with `pkoresearch run --jobs 1` and
`--jobs 2`, against the same notebooks and parameters run one after another with the plain
`papermill` command. Prints wall seconds and the ratios.

    python benchmarks/bench_runner.py [--repeat 2] [--html]

Target: --jobs 2 at most 0.65 x the plain sequential papermill time on a 2-core machine.
HTML export is off by default so that all three do the same work (papermill writes no HTML).
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

from pkoresearch import runner  # noqa: E402

BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def plain_papermill(runs, work: Path) -> float:
    t0 = time.perf_counter()
    for r in runs:
        out = work / "plain" / runner.safe_folder_name(r.name)
        out.mkdir(parents=True, exist_ok=True)
        params = {**r.parameters, "output_dir": str(out)}
        cmd = [str(BIN / "papermill"), "-k", "python3", "--no-progress-bar",
               str(ROOT / "notebooks" / r.notebook), str(out / "notebook.ipynb")]
        for k, v in params.items():
            cmd += ["-y", json.dumps({k: v})]
        subprocess.run(cmd, cwd=work, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--html", action="store_true", help="include HTML export in the runner times")
    args = ap.parse_args()
    runs = runner.load_runs(ROOT / "notebooks" / "runs.yaml")
    html = ["--html"] if args.html else ["--no-html"]
    results: dict[str, list[float]] = {"papermill": [], "jobs1": [], "jobs2": []}
    for _ in range(args.repeat):
        work = Path(tempfile.mkdtemp(prefix="pko-bench-"))
        try:
            results["papermill"].append(plain_papermill(runs, work))
            for j in (1, 2):
                results[f"jobs{j}"].append(timed(
                    [str(BIN / "pkoresearch"), "run", "--jobs", str(j), "-o",
                     str(work / f"jobs{j}"), *html], work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"{len(runs)} runs from notebooks/runs.yaml, {os.cpu_count()} CPUs, "
          f"median of {args.repeat}; runner HTML export {'on' if args.html else 'off'}")
    for k, v in results.items():
        print(f"  {k:10s} {med[k]:6.1f} s   (runs: {', '.join(f'{x:.1f}' for x in v)})")
    print(f"  ratio jobs1 / papermill = {med['jobs1'] / med['papermill']:.2f}")
    print(f"  ratio jobs2 / papermill = {med['jobs2'] / med['papermill']:.2f} "
          f"(target <= 0.65)")


if __name__ == "__main__":
    main()
