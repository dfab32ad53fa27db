"""Benchmark: the mission-year panel and its models on the real files (UN contributions by gender,
mission x month, and the UN table of allegations).

    python benchmarks/bench_panel.py [--repeat 5]

Prints wall seconds (best and median of the repeats) for reading each file, building the panel
(2015-2021), fitting every specification of the regression table, and the two together.
Target: building the panel and fitting all specifications under 2 s on a 2-core machine.
"""

from __future__ import annotations

import argparse

from _common import DTA, XLSX, require, timed

from pkoresearch.analysis import panel
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_mission_month


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    require(DTA, XLSX)
    contributions, best, med = timed(lambda: read_mission_month(DTA), args.repeat)
    print(
        f"read the mission x month file ({len(contributions.counts):,} rows): "
        f"best {best:.3f} s, median {med:.3f} s"
    )
    table, best, med = timed(lambda: read_table_of_allegations(XLSX), args.repeat)
    print(
        f"read the table of allegations ({len(table.allegations):,} rows): "
        f"best {best:.3f} s, median {med:.3f} s"
    )
    p, b_build, m_build = timed(
        lambda: panel.build_panel(contributions, table, 2015, 2021), args.repeat
    )
    print(
        f"build the panel ({len(p.data)} mission-years, {len(p.unmatched)} unmatched): "
        f"best {b_build:.3f} s, median {m_build:.3f} s"
    )
    models, b_fit, m_fit = timed(lambda: panel.fit_models(p, "uniformed", 2015, 2021), args.repeat)
    print(
        f"fit all {len(models.results)} specifications ({len(models.sample)} mission-years): "
        f"best {b_fit:.3f} s, median {m_fit:.3f} s"
    )
    _, best, med = timed(
        lambda: panel.fit_models(
            panel.build_panel(contributions, table, 2015, 2021), "uniformed", 2015, 2021
        ),
        args.repeat,
    )
    print(f"panel + all specifications: best {best:.3f} s, median {med:.3f} s (target < 2 s)")


if __name__ == "__main__":
    main()
