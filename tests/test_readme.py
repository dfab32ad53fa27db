"""The README stays true: .ci/run calls the README's test command and its documentation build, the
first command runs the batch, the quickstart example runs as written, every documentation page it
links to exists, and the full example of using the helpers (moved to docs/helpers.md) runs as
written (file names pointed at real files)."""

from __future__ import annotations

import re
import shlex
import shutil

import pytest

from conftest import ROOT, external_file

README = (ROOT / "README.md").read_text()
HELPERS = ROOT / "docs" / "helpers.md"


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_the_two_fresh_machine_commands_come_first():
    first, second = [b.strip() for b in _bash_blocks()[:2]]
    assert first.startswith("python3 -m venv .venv") and first.endswith("pkoresearch run --jobs 2")
    assert second.startswith("python3 -m venv .venv") and "pytest" in second
    test_command = second.split("&& ")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci  # CI runs exactly the README's test command


def test_every_pkoresearch_command_in_the_readme_parses():
    from pkoresearch.cli import build_parser

    lines = [line for block in _bash_blocks() for line in block.splitlines()]
    commands = [
        shlex.split(part.split("#")[0])[1:]
        for line in lines
        for part in line.split(" && ")
        if part.strip().startswith(".venv/bin/pkoresearch ")
    ]
    assert len(commands) >= 3
    for argv in commands:
        build_parser().parse_args(argv)  # exits (SystemExit) on an unknown command or option


def test_the_docs_build_command_is_the_one_ci_runs():
    (docs,) = [b.strip() for b in _bash_blocks() if "sphinx" in b]
    ci = (ROOT / ".ci" / "run").read_text()
    for command in docs.split(" && "):
        assert command in ci, command


def test_the_readme_links_to_docs_pages_that_exist():
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", README)
    assert len(links) >= 10
    for link in links:
        assert (ROOT / link).is_file(), f"README links to {link}, which does not exist"
    assert len(README.splitlines()) <= 160  # one or two screens; the rest is in docs/


def test_the_quickstart_runs():
    (code,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    rates = namespace["rates"].set_index("year")
    # the rate ratio 2010 / 2009, computed here from the counts and exposures
    expected = (rates.loc[2010, "allegations"] / rates.loc[2010, "exposure"]) / (
        rates.loc[2009, "allegations"] / rates.loc[2009, "exposure"]
    )
    assert namespace["ratio"].estimate == pytest.approx(expected, rel=1e-12)
    assert rates.loc[2009, "allegations"] == 112 and rates.loc[2010, "allegations"] == 85
    bib, a = namespace["bib"], namespace["a"]  # one BibTeX entry per source of the rows loaded
    assert set(bib["source_id"]) == set(a["source_id"].str.split("; ").explode())
    assert bib["citation"].str.startswith("@").all()


def test_the_helpers_example_runs(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", HELPERS.read_text(), flags=re.S)
    mine = tmp_path / "my_edited_copy.csv"
    shutil.copy(ROOT / "data" / "allegations.csv", mine)
    code = code.replace('"my_edited_copy.csv"', repr(str(mine)))
    code = code.replace(
        '"table_of_allegations.xlsx"',
        repr(str(external_file("UN_conduct_table_of_allegations_2024-07.xlsx"))),
    )
    code = code.replace(
        '"numperson.dta"',
        repr(str(external_file("UN_contributions_by_gender_mission_month_2010-2022.dta"))),
    )
    code = code.replace(
        '"CountryByYear.csv"',
        repr(str(external_file("UN_contributions_by_gender_country_mission_year_2010-2021.csv"))),
    )
    code = code.replace(
        '"Gender.Full.csv"', repr(str(external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv")))
    )
    namespace: dict = {}
    exec(compile(code, str(HELPERS), "exec"), namespace)  # noqa: S102 - our own docs
    assert len(namespace["table"].allegations) == 753
    assert namespace["mine"].equals(namespace["a"])
    assert len(namespace["panel"].unmatched) == 16
