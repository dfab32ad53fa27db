"""Benchmark: reading the real UN table of allegations, and aggregating a synthetic table of
1,000,000 allegations (same schema as the reader's output) by year x mission x category.

    python benchmarks/bench_trends.py [--rows 1000000] [--repeat 5]

Prints wall seconds (best and median of the repeats) and peak memory (tracemalloc, and the process's
maximum resident size). Target: the 1M-row aggregation under 1 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from pkoresearch import paths
from pkoresearch.analysis import trends
from pkoresearch.data.readers.un_conduct import (
    NIO_CATEGORIES,
    PERSONNEL_CATEGORIES,
    RESULT_ORDER,
    read_table_of_allegations,
)

REAL = paths.external_dir() / "UN_conduct_table_of_allegations_2024-07.xlsx"


def timed(fn, repeat: int):
    """Best and median wall time over ``repeat`` plain runs, then one run under tracemalloc for the
    peak memory (tracemalloc slows Python code down, so it is kept out of the timings)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, min(times), statistics.median(times), peak


def synthetic(rows: int, seed: int = 0) -> pd.DataFrame:
    """One row per allegation with the reader's main columns and dtypes."""
    rng = np.random.default_rng(seed)
    missions = np.array(
        [
            "MINUSCA",
            "MONUSCO",
            "UNMISS",
            "MINUSMA",
            "MINUSTAH",
            "UNMIL",
            "UNOCI",
            "UNAMID",
            "UNIFIL",
            "UNISFA",
            "MONUC",
            "UNSOS",
        ]
    )
    cats = [*PERSONNEL_CATEGORIES, "multiple"]
    year = rng.integers(2015, 2025, rows)
    return pd.DataFrame(
        {
            "allegation_id": np.arange(1, rows + 1),
            "source_row": np.arange(2, rows + 2),
            "report_year": pd.array(year, dtype="Int64"),
            "report_month": pd.array(rng.integers(1, 13, rows), dtype="Int64"),
            "mission": pd.array(missions[rng.integers(0, len(missions), rows)], dtype="string"),
            "personnel_category": pd.Categorical.from_codes(
                rng.choice(4, rows, p=[0.64, 0.11, 0.24, 0.01]), categories=cats
            ),
            "nio_appointed": pd.Categorical.from_codes(
                rng.integers(0, 5, rows), categories=NIO_CATEGORIES
            ),
            "result": pd.Categorical.from_codes(rng.integers(0, 5, rows), categories=RESULT_ORDER),
            "involves_child": rng.random(rows) < 0.25,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    if REAL.is_file():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table, best, med, peak = timed(lambda: read_table_of_allegations(REAL), 3)
        print(
            f"read real table ({len(table.allegations)} allegations, "
            f"{sum(len(t) for t in table.tables().values())} rows in all tables): "
            f"best {best:.3f} s, median {med:.3f} s, peak traced memory {peak / 2**20:.1f} MiB"
        )
    else:
        print(f"read real table: skipped, {REAL} not found")

    data = synthetic(args.rows)
    print(
        f"synthetic allegations table: {len(data):,} rows, "
        f"{data.memory_usage(deep=True).sum() / 2**20:.1f} MiB"
    )
    out, best, med, peak = timed(
        lambda: trends.counts(data, ["mission", "personnel_category"]), args.repeat
    )
    assert int(out["allegations"].sum()) == args.rows
    print(
        f"aggregate by year x mission x category ({len(out)} cells): best {best:.3f} s, "
        f"median {med:.3f} s, peak traced memory {peak / 2**20:.1f} MiB "
        f"({'within' if med < 1 else 'OVER'} the 1 s target)"
    )
    print(
        f"process max resident size: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
