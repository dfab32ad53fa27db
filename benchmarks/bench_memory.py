"""Peak memory of the two UN readers on large inputs, then of one aggregation of what they
return (target: at most 5 times the file size, both).

Builds, in a temporary folder, a CSV of the UN table of allegations and a file of the UN monthly
gender statistics of about ``--mb`` megabytes each by repeating the real rows of
``../shared/external`` (the allegations export is converted to CSV there, never kept). Each copy
of the real rows gets its own mission name (``MINUSCA~17``), so no key repeats and neither the
repeated-row warning nor the repeated-key error fires: the readers do all their work on every row.

Each file is read in a fresh Python process, which prints its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after the read, after one aggregation (the
gender statistics: ``totals(["date"])``; the allegations: allegations per mission and year), and
that after importing the reader alone (the interpreter, pandas and the package); the figures are
compared with the target.

    python benchmarks/bench_memory.py               # 200 MB files
    python benchmarks/bench_memory.py --mb 50 --only gender
    python benchmarks/bench_memory.py --src /tmp/old/src   # measure another copy of the package
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pkoresearch import paths  # noqa: E402

TARGET = 5.0  # peak memory / file size
AGGREGATION = {"gender": 'totals(["date"])', "allegations": "allegations per mission and year"}
CHILD = r"""
import json, resource, sys, time, warnings
sys.path.insert(0, {src!r})
kind, path = sys.argv[1], sys.argv[2]
if kind == "allegations":
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations as read
else:
    from pkoresearch.data.readers.un_gender import read_gender_statistics as read
import pkoresearch.data.countries  # noqa: F401  (the crosswalk the readers load)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    out = read(path)
seconds = time.perf_counter() - t0
rows = len(out.allegations) if kind == "allegations" else len(out.counts)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if kind == "allegations":
    a = out.allegations
    groups = len(a.groupby(["mission", "report_year"], observed=True).size())
else:
    groups = len(out.totals(["date"]))
agg_seconds = time.perf_counter() - t0
agg_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"base_kb": base, "peak_kb": peak, "seconds": seconds, "rows": rows,
                  "agg_peak_kb": agg_peak, "agg_seconds": agg_seconds, "groups": groups}}))
"""


def build_allegations(dest: Path, mb: float) -> Path:
    import pandas as pd

    src = paths.external_dir() / "UN_conduct_table_of_allegations_2024-07.xlsx"
    df = pd.read_excel(src, sheet_name="Export", dtype=str, keep_default_na=False)
    out = dest / "allegations.csv"
    target = mb * 1e6
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(df.columns)
        rows = df.values.tolist()
        mission = list(df.columns).index("Mission")
        copy = 0
        while fh.tell() < target:
            copy += 1
            for r in rows:
                r = list(r)
                r[mission] = f"{r[mission]}~{copy}"
                w.writerow(r)
    return out


def build_gender(dest: Path, mb: float) -> Path:
    src = paths.external_dir() / "IPIDataLab_TCC-DataScraper_Gender.Full.csv"
    out = dest / "gender.csv"
    target = mb * 1e6
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, rows = rows[0], rows[1:]
    mission = header.index("Mission")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        w.writerow(header)
        copy, n = 0, 0
        while fh.tell() < target:
            copy += 1
            for r in rows:
                n += 1
                r = list(r)
                r[0] = str(n)
                r[mission] = f"{r[mission]}~{copy}"
                w.writerow(r)
    return out


def measure(kind: str, path: Path, src: str) -> dict:
    code = CHILD.format(src=src)
    res = subprocess.run(
        [sys.executable, "-c", code, kind, str(path)], capture_output=True, text=True
    )
    if res.returncode != 0:
        return {"error": (res.stderr or res.stdout).strip().splitlines()[-1:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, default=200.0, help="size of each file in MB (1e6 bytes)")
    p.add_argument("--only", choices=["allegations", "gender"], help="measure one format")
    p.add_argument(
        "--src",
        default=str(ROOT / "src"),
        help="folder holding the pkoresearch package to measure (default: this one)",
    )
    args = p.parse_args(argv)
    ext = paths.external_dir()
    if not (ext / "IPIDataLab_TCC-DataScraper_Gender.Full.csv").is_file():
        print(f"needs the real files in {ext} (../shared/external)")
        return 1
    kinds = [args.only] if args.only else ["allegations", "gender"]
    print(
        f"package: {args.src}\nPython {sys.version.split()[0]}; target: peak <= {TARGET:g} x "
        "file size"
    )
    with tempfile.TemporaryDirectory(prefix="pko-bench-mem-") as tmp:
        for kind in kinds:
            t0 = time.perf_counter()
            f = (build_allegations if kind == "allegations" else build_gender)(Path(tmp), args.mb)
            size = os.path.getsize(f)
            built = time.perf_counter() - t0
            r = measure(kind, f, args.src)
            if "error" in r:
                print(f"{kind}: {size / 1e6:.1f} MB file: FAILED {r['error']}")
                continue
            peak, base = r["peak_kb"] * 1024, r["base_kb"] * 1024
            ratio = peak / size
            print(
                f"{kind}: {size / 1e6:.1f} MB file (built in {built:.0f} s), {r['rows']:,} rows "
                f"out, read in {r['seconds']:.1f} s; peak RSS {peak / 1e6:,.0f} MB "
                f"(after imports {base / 1e6:,.0f} MB) = {ratio:.2f} x the file size "
                f"({(peak - base) / size:.2f} x above the imports): "
                f"{'meets' if ratio <= TARGET else 'misses'} the target of {TARGET:g} x"
            )
            agg = r["agg_peak_kb"] * 1024 / size
            print(
                f"  then {AGGREGATION[kind]}"
                f" ({r['groups']:,} groups, {r['agg_seconds']:.1f} s): peak RSS "
                f"{r['agg_peak_kb'] * 1024 / 1e6:,.0f} MB = {agg:.2f} x the file size: "
                f"{'meets' if agg <= TARGET else 'misses'} the target of {TARGET:g} x"
            )
            f.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
