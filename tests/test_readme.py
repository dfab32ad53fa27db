"""The README stays true: .ci/run calls the README's test command, the first command runs the batch,
and the example of using the helpers runs as written (file names pointed at real files)."""

from __future__ import annotations

import re
import shutil

from conftest import ROOT, external_file

README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_the_two_fresh_machine_commands_come_first():
    first, second = [b.strip() for b in _bash_blocks()[:2]]
    assert first.startswith("python3 -m venv .venv") and first.endswith("pkoresearch run --jobs 2")
    assert second.startswith("python3 -m venv .venv") and "pytest" in second
    test_command = second.split("&& ")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci  # CI runs exactly the README's test command


def test_the_helpers_example_runs(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)
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
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert len(namespace["table"].allegations) == 753
    assert namespace["mine"].equals(namespace["a"])
    assert len(namespace["panel"].unmatched) == 16
