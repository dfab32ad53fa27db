"""Sweep: execute the notebooks over narrow selections (one mission, one contributor, one year,
one quarter, empty subsets) on the real files and print how many runs failed and why.

    python benchmarks/sweep_selections.py                  # the representative set (the CI test's)
    python benchmarks/sweep_selections.py --full --jobs 2  # every mission x category for 01, every
                                                           # contributor with an allegation for 03

The real files come from ../shared/external (or PKORESEARCH_EXTERNAL), imported into a temporary
cache as the test suite does. Runs go through ``pkoresearch.batch.runner.run_batch`` (one process per
run); executed notebooks of failed runs stay under the output folder's ``failed/``.
``tests/test_selections.py`` imports ``representative_runs`` from here.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pkoresearch.batch import runner  # noqa: E402
from pkoresearch.batch.runner import Run  # noqa: E402
from pkoresearch.data import registry  # noqa: E402

# the UN export's real data, whatever the cache holds by default
REAL_01 = {"allegations_table": "un_allegations"}
REAL_02 = {"gender_statistics": "un_gender_ipi"}
REAL_03 = {"allegations_table": "un_allegations"}
REAL_04 = {
    "allegations_table": "un_allegations",
    "contributions_mission_month": "un_contributions_mission_month",
}
CATEGORIES = ["military", "police", "civilian"]
# years before the UN table's coverage (January 2015 on): the batch refuses this run before any
# kernel starts (every count would be missing, not 0); tests/test_selections.py checks that
OUTSIDE_COVERAGE = Run(
    "04-2010-2014",
    "04_women_and_allegations.ipynb",
    {**REAL_04, "start_year": 2010, "end_year": 2014},
)


def representative_runs() -> list[Run]:
    """A few narrow selections per notebook, each one that used to fail or that sits at an edge:
    the ten selections of issue 18 among them. 20 runs, about 3 minutes with two jobs."""
    runs = [
        # 01: the selection of issue 18 (UNIFIL has no police allegation), a mission x category
        # with none (UNMIT: one civilian allegation, reported after it closed), one with a single
        # allegation, a single year
        Run(
            "01-UNIFIL-police",
            "01_allegation_trends.ipynb",
            {
                **REAL_01,
                "start_year": 2015,
                "end_year": 2023,
                "missions": ["UNIFIL"],
                "personnel_categories": ["police"],
            },
        ),
        Run(
            "01-UNDOF-military",
            "01_allegation_trends.ipynb",
            {
                **REAL_01,
                "start_year": 2015,
                "end_year": 2023,
                "missions": ["UNDOF"],
                "personnel_categories": ["military"],
            },
        ),
        Run(
            "01-UNMIT-civilian",
            "01_allegation_trends.ipynb",
            {
                **REAL_01,
                "start_year": 2015,
                "end_year": 2023,
                "missions": ["UNMIT"],
                "personnel_categories": ["civilian"],
            },
        ),
        Run(
            "01-MINUSCA-2019",
            "01_allegation_trends.ipynb",
            {
                **REAL_01,
                "start_year": 2019,
                "end_year": 2019,
                "missions": ["MINUSCA"],
                "compare": [2019, 2019],
            },
        ),
        # 02: a single mission, a small mission over one quarter, one contributor over one quarter
        Run("02-UNMIL", "02_womens_participation.ipynb", {**REAL_02, "missions": ["UNMIL"]}),
        Run(
            "02-UNTSO-2012Q1",
            "02_womens_participation.ipynb",
            {**REAL_02, "missions": ["UNTSO"], "start": "2012-01", "end": "2012-03"},
        ),
        Run(
            "02-Nepal-2011Q4",
            "02_womens_participation.ipynb",
            {**REAL_02, "contributors": ["Nepal"], "start": "2011-10", "end": "2011-12"},
        ),
        # 04: one year, special political missions only (years before the export are refused
        # before any kernel starts: OUTSIDE_COVERAGE)
        Run(
            "04-2019",
            "04_women_and_allegations.ipynb",
            {**REAL_04, "start_year": 2019, "end_year": 2019},
        ),
        Run(
            "04-special-political",
            "04_women_and_allegations.ipynb",
            {**REAL_04, "mission_kinds": ["special_political"]},
        ),
    ]
    # 03: the nine selections of issue 18 (each failed in cell 7), and a contributor with none of
    # its allegations in the chosen year
    for who in ("Nepal", "Uruguay", "Morocco"):
        for years in ([2016], [2023], [2015, 2016, 2017]):
            runs.append(
                Run(
                    f"03-{who}-{'-'.join(map(str, years))}",
                    "03_tcc_response_rates.ipynb",
                    {**REAL_03, "contributors": [who], "years": years},
                )
            )
    runs.append(
        Run(
            "03-Norway-2015",
            "03_tcc_response_rates.ipynb",
            {**REAL_03, "contributors": ["Norway"], "years": [2015]},
        )
    )
    return runs


def full_runs() -> list[Run]:
    """Every mission in the export x 3 categories (01) and every contributor (a country) with at
    least one allegation against its military or police personnel (03), all reporting years. Missions as
    notebook 01 offers them: a renamed operation under its current acronym (the export's "MONUC"
    rows are MONUSCO's; 01 rejects "MONUC" and lists "MONUSCO")."""
    from pkoresearch.data import missions
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    table = read_table_of_allegations(registry.cached_path("un_allegations"))
    runs = []
    for m in sorted(set(missions.harmonise(table.allegations["mission"].dropna()))):
        for c in CATEGORIES:
            runs.append(
                Run(
                    f"01-{m}-{c}",
                    "01_allegation_trends.ipynb",
                    {
                        **REAL_01,
                        "start_year": 2015,
                        "end_year": 2024,
                        "missions": [m],
                        "personnel_categories": [c],
                    },
                )
            )
    nat = table.nationalities
    uniformed = table.personnel.loc[
        table.personnel["category"].isin(["military", "police"]), "allegation_id"
    ]
    names = sorted(
        set(nat.loc[nat["allegation_id"].isin(uniformed) & nat["iso3"].notna(), "nationality"])
    )  # countries only: not "Unknown"
    for who in names:
        runs.append(
            Run(f"03-{who}", "03_tcc_response_rates.ipynb", {**REAL_03, "contributors": [who]})
        )
    return runs


def sweep(runs: list[Run], output: Path, jobs: int) -> dict:
    """Run ``runs`` with the batch runner (no HTML) and return its manifest."""
    return runner.run_batch(runs, output=output, jobs=jobs, html_report=False)


def summarise(manifest: dict) -> str:
    lines = []
    for r in manifest["runs"]:
        if r["status"] != "ok":
            err = r.get("error", {})
            lines.append(
                f"FAILED {r['name']}: {err.get('type', '')} {str(err.get('message', ''))[:300]}"
            )
    lines.append(
        f"{len(manifest['runs'])} runs, {manifest['failed']} failed, "
        f"{manifest['duration_s']:.0f} s wall"
    )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true", help="the full cross product instead")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--output", help="keep the reports here (default: a temporary folder)")
    ap.add_argument("--only", help="only runs whose name starts with this")
    args = ap.parse_args()
    folder, _ = registry.fill_temporary_cache()
    try:
        missing = registry.pinned_missing()
        if missing:
            print(
                f"needs the real files {', '.join(missing)} (../shared/external)", file=sys.stderr
            )
            return 2
        runs = full_runs() if args.full else representative_runs()
        if args.only:
            runs = [r for r in runs if r.name.startswith(args.only)]
        out = Path(args.output) if args.output else Path(tempfile.mkdtemp(prefix="sweep-"))
        t0 = time.perf_counter()
        manifest = sweep(runs, out, args.jobs)
        print(summarise(manifest))
        print(
            f"elapsed {time.perf_counter() - t0:.0f} s with --jobs {args.jobs} (reports in {out})"
        )
        return 1 if manifest["failed"] else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
