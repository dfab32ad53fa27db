"""The command line: no traceback on a closed pipe, help texts in plain words with every option's
default, `data fetch` progress and summary (against a local server on 127.0.0.1), and parameter
values checked before any kernel starts, with "did you mean" suggestions."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from pkoresearch import cli
from pkoresearch.batch import runconfig
from pkoresearch.batch.runconfig import Run, RunConfigError
from pkoresearch.data import registry
from test_registry import cache, odp_file, server  # noqa: F401 - fixtures


def test_closed_pipe_ends_quietly():
    """`pkoresearch list | head -1`: the reader goes away after one line; no traceback."""
    proc = subprocess.run(
        f"{sys.executable} -m pkoresearch list | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        executable="/bin/bash",
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.stdout.strip().endswith(".ipynb")  # the first notebook's name
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_help_has_no_markup_and_every_option_states_its_default():
    parser = cli.build_parser()
    top = parser.format_help()
    assert "``" not in top and ":func:" not in top and ":mod:" not in top
    assert "pkoresearch COMMAND --help" in top
    missing = []
    for p in _parsers(parser):
        text = p.format_help()
        assert "``" not in text, p.prog
        for action in p._actions:
            if not action.option_strings or action.dest in ("help", "version"):
                continue
            if not action.help or "default" not in action.help:
                missing.append(f"{p.prog} {'/'.join(action.option_strings)}")
    assert missing == []
    run_help = next(p for p in _parsers(parser) if p.prog == "pkoresearch run").format_help()
    assert re.search(r"--jobs.*\(default\s+1\)", run_help, re.S)
    assert re.search(r"--executor.*where runs execute", run_help, re.S)


def test_fetch_shows_each_file_and_ends_with_a_summary(server, cache, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv(registry.DOWNLOAD_BASE_ENV, f"{server.base}/good")
    assert cli.main(["data", "fetch", "un_gender_ipi", "owid_peacekeeping"]) == 0
    out = capsys.readouterr().out
    assert "[1/2] un_gender_ipi: " in out and "[2/2] owid_peacekeeping: " in out
    assert out.rstrip().splitlines()[-1] == "2 fetched, 0 cached already, 0 failed of 2 file(s)"
    # one file the server does not have: the others fetched or cached, the summary counts all
    gone = registry.get("un_contributions_country_year").filename
    (server.folders["good"] / gone).unlink()
    assert cli.main(["data", "fetch", "--all", "--retries", "0"]) == 1
    captured = capsys.readouterr()
    n = len(registry.ENTRIES)
    assert f"[{n}/{n}] " in captured.out
    assert captured.out.count("cached already: ") == 2
    assert captured.out.rstrip().splitlines()[-1] == (
        f"{n - 3} fetched, 2 cached already, 1 failed (un_contributions_country_year) "
        f"of {n} file(s)"
    )
    assert "FAILED un_contributions_country_year" in captured.err
    assert "pkoresearch data import DIR" in captured.err


def test_fetch_shows_retries_while_they_happen(server, cache, monkeypatch, capsys):  # noqa: F811
    """Issue 26, item 6: the local server on 127.0.0.1 cuts its first two answers half-way;
    `data fetch` prints each failed attempt (with why) before the next, then the file and the
    summary; pooch's own log lines stay out of the terminal."""
    monkeypatch.setenv(registry.DOWNLOAD_BASE_ENV, f"{server.base}/good")
    name = registry.get("un_gender_ipi").filename
    server.cut[name] = 2
    assert cli.main(["data", "fetch", "un_gender_ipi", "--retries", "2"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"[1/1] un_gender_ipi: {name} ..."
    assert re.fullmatch(
        r"  attempt 1 of 3 failed \(.*interrupted.*\); retrying \(2 attempts left\)", lines[1]
    ), lines[1]
    assert re.fullmatch(r"  attempt 2 of 3 failed \(.*\); retrying \(1 attempt left\)", lines[2]), (
        lines[2]
    )
    assert not lines[3].startswith("  attempt")  # the third attempt succeeded: the file
    assert lines[-1] == "1 fetched, 0 cached already, 0 failed of 1 file(s)"
    assert [r for r in server.requests if r.endswith(name)] == [f"/good/{name}"] * 3
    assert "Failed to download" not in captured.err + captured.out  # pooch's own wording
    # without retries left: no retry line, the failure and the summary
    shutil.rmtree(cache / "un_gender_ipi")
    server.cut[name] = 1
    assert cli.main(["data", "fetch", "un_gender_ipi", "--retries", "0"]) == 1
    captured = capsys.readouterr()
    assert "attempt" not in captured.out and "FAILED un_gender_ipi" in captured.err


def test_mission_and_contributor_typos_are_caught_before_any_kernel(tmp_path):
    nbs = ROOT / "notebooks"
    problems = runconfig.check_run(
        Run("t", "01_allegation_trends.ipynb", {"missions": ["MINUSKA", "MONUSCO"]}), nbs
    )
    assert len(problems) == 1  # MONUSCO is known
    assert re.fullmatch(
        r"run 't': parameter 'missions': unknown mission\(s\) 'MINUSKA' \(did you mean "
        r"[^)]*'MINUSCA'[^)]*\?\); expected UN mission acronyms such as 'MINUSCA' or 'MONUSCO'",
        problems[0],
    ), problems[0]
    problems = runconfig.check_run(
        Run("t", "03_tcc_response_rates.ipynb", {"contributors": ["Ghanna", "India"]}), nbs
    )
    assert len(problems) == 1 and "'Ghanna' (did you mean 'Ghana'" in problems[0]
    problems = runconfig.check_run(
        Run("t", "04_women_and_allegations.ipynb", {"leave_out": ["UNMIS", "UNMISS"]}), nbs
    )
    assert problems == []  # two real missions (Sudan and South Sudan), not a typo
    with pytest.raises(RunConfigError, match="MINUSKA.*did you mean.*'MINUSCA'"):
        runconfig.check_runs(
            [Run("t", "01_allegation_trends.ipynb", {"missions": ["MINUSKA"]})], nbs
        )


def test_the_run_command_refuses_a_typo_without_starting_a_kernel(tmp_path, capsys):
    code = cli.main(
        [
            "run",
            "01_allegation_trends.ipynb",
            "-p",
            "missions",
            "[MINUSKA]",
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert re.search(r"'MINUSKA' \(did you mean [^)]*'MINUSCA'", err) and "nothing was run" in err
    assert not (tmp_path / "out" / "runs").exists()


# ------------------------------------------------------------------ years against the coverage


XLSX = "UN_conduct_table_of_allegations_2024-07.xlsx"


def test_years_outside_the_tables_coverage_fail_before_a_kernel(tmp_path, capsys):
    """Issue 26, item 6: a year range none of which the UN table covers is refused before any
    kernel starts, with the coverage read from the file (January 2015 - July 2024)."""
    from conftest import external_file

    table = str(external_file(XLSX))
    nbs = ROOT / "notebooks"
    for notebook in ("01_allegation_trends.ipynb", "04_women_and_allegations.ipynb"):
        (problem,) = runconfig.check_run(
            Run("t", notebook, {"start_year": 2005, "end_year": 2012, "allegations_table": table}),
            nbs,
        )
        assert problem == (
            f"run 't': years 2005-2012: UN table of allegations ({XLSX}) covers January 2015 - "
            "July 2024, none of these years; expected years inside that coverage (outside it "
            "every count is missing, not 0)"
        )
    (problem,) = runconfig.check_run(
        Run(
            "t", "03_tcc_response_rates.ipynb", {"years": [2012, 2013], "allegations_table": table}
        ),
        nbs,
    )
    assert "years 2012-2013: UN table of allegations" in problem
    out = tmp_path / "out"
    code = cli.main(
        [
            "run",
            "01_allegation_trends.ipynb",
            "-p",
            "start_year",
            "2005",
            "-p",
            "end_year",
            "2012",
            "-p",
            "allegations_table",
            table,
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "covers January 2015 - July 2024" in err and "nothing was run" in err
    assert not out.exists()


def test_years_partly_covered_are_named_before_the_run(tmp_path):
    """A range the table covers in part runs, with a note naming the years without data."""
    from conftest import external_file

    table = str(external_file(XLSX))
    nbs = ROOT / "notebooks"
    run = Run(
        "t",
        "04_women_and_allegations.ipynb",
        {"start_year": 2012, "end_year": 2016, "allegations_table": table},
    )
    assert runconfig.check_run(run, nbs) == []
    assert runconfig.coverage_notes([run], nbs) == [
        f"run 't': years 2012-2016: UN table of allegations ({XLSX}) covers January 2015 - July "
        "2024; 2012-2014 have no data and are missing, not 0"
    ]
    inside = Run("t", "04_women_and_allegations.ipynb", {"allegations_table": table})
    assert runconfig.coverage_notes([inside], nbs) == []  # 2015-2021: covered


def test_bundled_years_are_checked_against_the_curated_series():
    """On the bundled data notebook 01 reads the curated headline series: its coverage (the
    years with a sourced figure) is the one the analysis computes, and a range before it fails."""
    from pkoresearch.analysis import trends

    nbs = ROOT / "notebooks"
    cov = runconfig.allegations_coverage("bundled", curated_fallback=True)
    assert set(cov.years()["year"]) == set(trends.coverage_of().years()["year"])
    first = int(cov.years()["year"].min())
    (problem,) = runconfig.check_run(
        Run(
            "t",
            "01_allegation_trends.ipynb",
            {"start_year": first - 10, "end_year": first - 1, "allegations_table": "bundled"},
        ),
        nbs,
    )
    assert "the curated yearly series (UN headline figures) covers January" in problem
    # notebook 04 on the bundled data computes nothing (it says what it needs): not checked here
    assert (
        runconfig.check_run(
            Run(
                "t",
                "04_women_and_allegations.ipynb",
                {"start_year": 1990, "end_year": 1991, "allegations_table": "bundled"},
            ),
            nbs,
        )
        == []
    )
