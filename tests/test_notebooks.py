"""The notebooks: committed outputs that nbval can compare, and real papermill runs with a real
kernel, from a folder other than the project, with defaults and other parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from pkoresearch import results
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_ready_for_nbval(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = _code_cells(nb)
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be `parameters`"
    for line in code[0].source.splitlines():
        if line.strip() and not line.startswith("#"):
            # papermill's inspection reads `name: type = value  # help`; Optional[...] is quoted
            assert re.match(r"^\w+: (\w+|\"Optional\[\w+\]\") = .+  # .+", line), \
                f"untyped or uncommented: {line}"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"not run top to bottom in order: {counts}"
    outputs = [o for c in code for o in c.outputs]
    assert outputs, "no stored outputs: nbval would compare nothing"
    assert not [o for o in outputs if o.output_type == "error"], "an error output is committed"
    assert "papermill" not in nb.metadata, "an executed papermill copy was committed"
    text = json.dumps([c.source for c in nb.cells])
    assert "/work/" not in text and "/home/" not in text and "C:\\\\" not in text
    shown = json.dumps(outputs)
    assert str(ROOT) not in shown, "an absolute path is shown in an output"


def test_every_notebook_matches_its_py_source():
    # the py:percent file is the reviewed source; the .ipynb must be built from it
    import importlib.util

    spec = importlib.util.spec_from_file_location("refresh", ROOT / "tools" / "refresh_notebooks.py")
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    assert refresh.out_of_step() == []
    assert len(NOTEBOOKS) == len(list((ROOT / "notebooks").glob("*.py")))


def _run(name: str, tmp_path: Path, **parameters) -> dict:
    out_dir = tmp_path / "out"
    pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(tmp_path / f"{name}.ipynb"),
        parameters={"output_dir": str(out_dir), **parameters},
        kernel_name="python3",
        cwd=str(tmp_path),  # not the project: paths must resolve in the package
        progress_bar=False,
    )
    return results.read(out_dir)


def test_overview_defaults(tmp_path):
    got = _run("00_overview", tmp_path)
    assert got["datasets"] == 9
    assert got["curated_rows"] == 188 + 40 + 27 + 42 + 35 + 378 + 2106 + 18 + 12
    assert got["allegation_figures_revised"] == 14
    assert (tmp_path / "out" / "coverage.png").stat().st_size > 10_000


def test_overview_other_parameters(tmp_path):
    got = _run("00_overview", tmp_path, dataset_names=["allegations", "followups"],
               start_year=2003, end_year=2015, preferred_only=False)
    assert got["datasets"] == 2
    assert got["curated_rows"] == 188 + 42
    assert got["sources_cited"] == 40 + 15 - 1  # the seed report is cited by both


def test_overview_rejects_a_bad_parameter(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter dataset_names"):
        _run("00_overview", tmp_path, dataset_names=["alegations"])


# ---------------------------------------------------------------------------- 01 allegation trends


def test_trends_defaults(tmp_path):
    got = _run("01_allegation_trends", tmp_path)
    assert got["allegations_by_year"]["2010"] == 85 and got["allegations_by_year"]["2009"] == 112
    assert got["allegations_total"] == sum(got["allegations_by_year"].values())
    assert got["rate_ratio"] == round((85 / 98638) / (112 / 98196), 4)
    assert got["rate_ratio_ci"][0] < got["rate_ratio"] < got["rate_ratio_ci"][1]
    assert got["trend_model"] == "quasi-Poisson"  # safe with few years; the dispersion is shown
    assert got["trend_dispersion"] > 1
    assert got["irr_per_year_ci"][0] < got["irr_per_year"] < got["irr_per_year_ci"][1]
    assert "2007" not in got["allegations_by_year"]  # the default starts with the tracking system
    assert got["trend_years"] == list(range(2008, 2022))
    level = got["segmented_irr"]["level_2016"]
    assert level[1] < level[0] < level[2]
    assert "counting_2017" in got["segmented_irr"]  # the 2017 change of definition is modelled
    low, high = got["leave_one_out_range"]["level_2016"]
    assert low <= level[0] <= high
    # with the 2017 definition change modelled, the 2016 level rests on 2016 alone
    assert got["leave_one_out_not_estimable"] == {"level_2016": "2016"}
    assert (tmp_path / "out" / "segmented.png").is_file()


def test_trends_one_mission_on_curated_data(tmp_path):
    got = _run("01_allegation_trends", tmp_path, missions=["MINUSCA"])
    import csv

    with open(ROOT / "data" / "allegations_by_mission.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["mission"] == "MINUSCA" and r["measure"] == "allegations_total"]
    assert got["allegations_by_year"] == {r["year"]: int(r["value"]) for r in rows}
    assert len(rows) == 6
    assert "rate_ratio" not in got  # no personnel by mission: no rate, and the notebook says so


def test_trends_year_range(tmp_path):
    got = _run("01_allegation_trends", tmp_path, start_year=2009, end_year=2016,
               compare=[[2014, 2016], [2009, 2011]], breakpoints=[2013])
    assert list(got["allegations_by_year"]) == [str(y) for y in range(2009, 2017)]
    assert got["allegations_total"] == 112 + 85 + 75 + 60 + 66 + 52 + 69 + 103


def test_trends_with_the_real_un_table_and_one_mission(tmp_path):
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run("01_allegation_trends", tmp_path, allegations_table=str(path),
               start_year=2015, end_year=2023, missions=["MINUSCA"], breakpoints=[])
    import pandas as pd

    raw = pd.read_excel(path, sheet_name="Export", dtype=str)
    minusca = raw[raw["Mission"] == "MINUSCA"]["Date"].str.split("/").str[1].astype(int)
    expected = {str(y): int((minusca == y).sum()) for y in range(2015, 2024)}
    assert got["allegations_by_year"] == expected
    assert got["allegations_by_mission"] == {"MINUSCA": sum(expected.values())}
    assert (tmp_path / "out" / "outcomes.png").is_file()


def test_trends_with_the_real_un_table_all_missions(tmp_path):
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run("01_allegation_trends", tmp_path, allegations_table=str(path), start_year=2015,
               end_year=2023, compare=[2021, 2016])
    assert list(got["allegations_by_year"].values()) == [69, 104, 63, 56, 80, 66, 75, 79, 100]
    assert got["revisions"]["2016"] == 1
    assert 0.2 < got["share_involving_children"] < 0.35


def test_trends_with_the_real_un_table_and_every_other_default(tmp_path):
    # issue 10: only allegations_table set. Years before the export (January 2015) are missing,
    # never 0; 2024 (January-July) is partial and kept apart; the default 2010-vs-2009
    # comparison lies outside the export, and the notebook says so instead of failing.
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run("01_allegation_trends", tmp_path, allegations_table=str(path))
    assert got["allegations_by_year"] == {str(y): n for y, n in zip(
        range(2015, 2024), [69, 104, 63, 56, 80, 66, 75, 79, 100])}
    assert got["allegations_total"] == 692  # complete years only
    assert got["allegations_partial_years"] == {"2024": {"allegations": 61, "months_covered": 7}}
    assert got["years_not_covered"] == list(range(2008, 2015))
    assert "rate_ratio" not in got and "outside" in got["rate_ratio_note"]
    assert got["trend_model"] == "quasi-Poisson" and got["trend_years"] == list(range(2015, 2022))
    assert got["trend_dispersion"] > 1
    assert "2024" not in got["revisions"]
    # UNITAD's only allegation is in 2024: no complete-year total (not 0), one partial-year one
    assert "UNITAD" not in got["allegations_by_mission"]
    assert got["allegations_by_mission_partial_years"]["UNITAD"] == 1
    assert sum(got["allegations_by_mission"].values()) == 692
    executed = json.loads((tmp_path / "01_allegation_trends.ipynb").read_text())
    shown = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                    for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    assert "2024" in shown and "partial" in shown
    for year in range(2008, 2015):  # a year outside the export never shows a count of 0
        assert not re.search(rf"\b{year}\s+0\b", shown), year


def test_trends_rejects_categories_without_a_table(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter personnel_categories"):
        _run("01_allegation_trends", tmp_path, personnel_categories=["military"])


# ---------------------------------------------------------------------- 02 women's participation


def test_participation_defaults(tmp_path):
    got = _run("02_womens_participation", tmp_path)
    assert got["growth_2005_2010_ratio"] == round(3332 / 1016, 3)
    assert got["latest_share_pct"]["all_uniformed"] == 7.9
    assert got["projections"]["military_contingents_2028"].startswith("20")
    assert got["top_contributors"]["Ethiopia"] == 708  # January 2021, the latest curated date


def test_participation_contributor_subset(tmp_path):
    got = _run("02_womens_participation", tmp_path, contributors=["Ghana", "India"])
    assert list(got["top_contributors"]) == ["Ghana", "India"]
    assert got["top5_share_of_women_pct"] == 100.0


def test_participation_with_the_real_gender_statistics(tmp_path):
    from conftest import external_file

    path = external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv")
    got = _run("02_womens_participation", tmp_path, gender_statistics=str(path),
               start="2010-01", end="2013-12", contributors=["Ghana", "India"])
    assert list(got["top_contributors"]) == ["Ghana", "India"]
    assert got["top_contributors"]["Ghana"] == 300  # December 2013, as in the curated table
    assert (tmp_path / "out" / "mission_year_share.png").is_file()


def test_participation_rejects_missions_without_a_file(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter missions"):
        _run("02_womens_participation", tmp_path, missions=["UNMIL"])


# ------------------------------------------------------------------------ 03 TCC response rates


def test_response_defaults(tmp_path):
    got = _run("03_tcc_response_rates", tmp_path)
    assert got["followups_answered"]["2010"] == [29, 74, round(29 / 74, 4)]
    assert got["followups_2012_minus_2010"] == round(27 / 47 - 29 / 74, 4)
    assert "nio_appointed_overall" not in got


def test_response_clopper_pearson(tmp_path):
    got = _run("03_tcc_response_rates", tmp_path, ci_method="clopper-pearson", alpha=0.1)
    assert got["followups_answered"]["2012"] == [27, 47, round(27 / 47, 4)]


def test_response_with_the_real_table_and_a_contributor_subset(tmp_path):
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run("03_tcc_response_rates", tmp_path, allegations_table=str(path),
               contributors=["South Africa", "Morocco"], ci_method="clopper-pearson")
    import pandas as pd

    raw = pd.read_excel(path, sheet_name="Export", dtype=str, keep_default_na=False)
    sub = raw[raw["Nationality"].str.split("\n\n").map(lambda v: bool({"South Africa", "Morocco"} & set(v)))]
    k = int((sub["NIO appointed"] == "Yes").sum())
    n = int(sub["NIO appointed"].isin(["Yes", "No (no response)", "No (declined)"]).sum())
    assert got["nio_appointed_overall"][:2] == [k, n]
    assert (tmp_path / "out" / "investigation_durations.png").is_file()


def test_response_rejects_a_bad_ci_method(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter ci_method: found 'wald'"):
        _run("03_tcc_response_rates", tmp_path, ci_method="wald")
