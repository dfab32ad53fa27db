"""Benchmark: the contingent panel (contributor x mission x year) and its models on the real files
(UN contributions by gender: contributor x mission x year means and mission x month totals; the
UN table of allegations).

    python benchmarks/bench_contingents.py [--repeat 3]

Prints wall seconds (best and median of the repeats) for reading the files, computing the
exposure, building the panel (2015-2020), fitting every column of the regression table (the wild
cluster bootstrap of the main column included, 999 replications), and the panel and fits
together. Target: panel and fits under 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse

from _common import CSV, DTA, XLSX, require, timed

from pkoresearch.analysis import contingents as cg
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_country_mission_year, read_mission_month


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    require(DTA, CSV, XLSX)
    table, best, med = timed(lambda: read_table_of_allegations(XLSX), args.repeat)
    print(f"read the table of allegations: best {best:.3f} s, median {med:.3f} s")
    mm, best, med = timed(lambda: read_mission_month(DTA), args.repeat)
    print(f"read the mission x month file: best {best:.3f} s, median {med:.3f} s")
    cy, best, med = timed(lambda: read_country_mission_year(CSV, mm), args.repeat)
    print(
        f"read the contributor x mission x year file ({len(cy.counts):,} rows): "
        f"best {best:.3f} s, median {med:.3f} s"
    )
    ex, best, med = timed(lambda: cg.exposure(cy), args.repeat)
    print(f"exposure ({len(ex.data):,} cells): best {best:.3f} s, median {med:.3f} s")
    p, b_build, m_build = timed(lambda: cg.build_panel(ex, table, 2015, 2020), args.repeat)
    print(
        f"build the panel ({len(p.data):,} contingent-years, {len(p.unmatched)} unmatched lines): "
        f"best {b_build:.3f} s, median {m_build:.3f} s"
    )
    models, b_fit, m_fit = timed(lambda: cg.fit_models(p), args.repeat)
    print(
        f"fit all {len(models.results)} columns ({len(models.fitted)} estimable; wild bootstrap "
        f"999 replications): best {b_fit:.3f} s, median {m_fit:.3f} s"
    )
    _, best, med = timed(
        lambda: cg.fit_models(cg.build_panel(cg.exposure(cy), table, 2015, 2020)), args.repeat
    )
    print(f"exposure + panel + all columns: best {best:.3f} s, median {med:.3f} s (target < 10 s)")


if __name__ == "__main__":
    main()
