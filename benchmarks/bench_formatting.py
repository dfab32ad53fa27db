"""Benchmark: the report's number formatting through babel (pkoresearch.figures.formatting) against
the same rules written with Python's format mini-language (what formatting.py did before babel),
and the headlines of a results file of typical size.

    python benchmarks/bench_formatting.py [--values 20000] [--repeat 3]

Prints microseconds per call (best of the repeats) for ``decimal``, ``percent`` and ``integer``
with babel and with f-strings, and milliseconds for ``headlines`` of 100 recorded results.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from pkoresearch.figures import formatting


def _fstring_decimal(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 0.1:
        text = f"{x:,.2f}"
    else:
        text = f"{x:.{-math.floor(math.log10(abs(x))) + 1}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fstring_percent(x: float) -> str:
    text = f"{x:,.2f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def best_us(fn, values, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for v in values:
            fn(v)
        times.append(time.perf_counter() - t)
    return min(times) / len(values) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    floats = (rng.choice([-1, 1], args.values) * 10 ** rng.uniform(-6, 7, args.values)).tolist()
    ints = rng.integers(0, 10**7, args.values).tolist()
    rows = [
        ("decimal", formatting.decimal, _fstring_decimal, floats),
        ("percent", formatting.percent, _fstring_percent, floats),
        ("integer", formatting.integer, lambda n: f"{n:,}", ints),
    ]
    print(f"{'function':10s} {'babel us/call':>14s} {'f-string us/call':>17s}")
    for name, new, old, values in rows:
        print(
            f"{name:10s} {best_us(new, values, args.repeat):14.1f} "
            f"{best_us(old, values, args.repeat):17.2f}"
        )
    results = {f"share_{i}": 0.01 * (i % 100) for i in range(40)}
    results |= {f"allegations_{i}": int(i * 37) for i in range(30)}
    results |= {f"rate_{i}": 0.862 + i for i in range(20)}
    results |= {f"by_year_{i}": {str(y): y - 2000 for y in range(2008, 2025)} for i in range(10)}
    t = min(_timed(lambda: formatting.headlines(results)) for _ in range(args.repeat))
    print(f"headlines of {len(results)} results: {t * 1000:.1f} ms")


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
