"""What the benchmarks of the panels share: the real files in ../shared/external (or
``PKORESEARCH_EXTERNAL``), a check that they are there, and best-and-median timing of a call.
Imported by the scripts beside it (``python benchmarks/bench_panel.py`` puts this folder on the
import path)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pkoresearch import paths

T = TypeVar("T")

EXTERNAL = paths.external_dir()
DTA = EXTERNAL / "UN_contributions_by_gender_mission_month_2010-2022.dta"
CSV = EXTERNAL / "UN_contributions_by_gender_country_mission_year_2010-2021.csv"
XLSX = EXTERNAL / "UN_conduct_table_of_allegations_2024-07.xlsx"


def require(*files: Path) -> None:
    """Stop with the name of the first file that is missing."""
    for f in files:
        if not f.is_file():
            raise SystemExit(f"needs {f} (the third-party files in ../shared/external)")


def timed(fn: Callable[[], T], repeat: int) -> tuple[T, float, float]:
    """Call ``fn`` ``repeat`` times: ``(last result, best seconds, median seconds)`` (wall time)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, min(times), statistics.median(times)
