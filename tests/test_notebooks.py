"""The notebooks: committed outputs that nbval can compare, and real papermill runs with a real
kernel, from a folder other than the project, with defaults and other parameters. The runs with
every default are those of the session's shared default batch (``default_batch``, conftest.py).

Data parameters default to "auto": with the test session's cache (filled from ../shared/external,
see conftest.py) the defaults read the real files; tests of the curated path pass "bundled"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from conftest import ROOT, cached_real_file
from pkoresearch import results

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
            assert re.match(r"^\w+: (\w+|\"Optional\[\w+\]\") = .+  # .+", line), (
                f"untyped or uncommented: {line}"
            )
    names = [
        ln.split(":")[0]
        for ln in code[0].source.splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert list(pm.inspect_notebook(str(path))) == names, "papermill cannot read every parameter"
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

    spec = importlib.util.spec_from_file_location(
        "refresh", ROOT / "tools" / "refresh_notebooks.py"
    )
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


def _default_run(default_batch: dict, name: str) -> tuple[dict, Path]:
    """Results and output folder of run ``name`` of the session's shared default batch
    (conftest.py: runs.yaml with the real files, executed by papermill through the runner): a
    notebook with its defaults, run once for the tests that check it. Read only."""
    (run,) = [r for r in default_batch["manifest"]["runs"] if r["name"] == name]
    assert run["status"] == "ok", run.get("error")
    assert run["parameters"] == {}, "a default run passes no parameter"
    out = default_batch["reports"] / "runs" / run["folder"]
    return results.read(out), out


@pytest.mark.slow
def test_overview_defaults(default_batch):
    got, out = _default_run(default_batch, "overview")
    assert got["datasets"] == 10
    # allegations: 188 reference rows + 14 figures from the report mentions (data/README.md);
    # annual_reports: 16 reports with a data year (issue 25 item 4)
    assert got["curated_rows"] == 202 + 40 + 27 + 42 + 35 + 378 + 2106 + 18 + 12 + 16
    assert got["allegation_figures_revised"] == 15  # + 2016 non-UN forces: 20 (AP) vs 18
    assert got["headline_years_revised"] == [2011, 2012, 2014, 2016, 2017, 2018]
    assert got["share_high_confidence_by_dataset"]["personnel_by_country"] == 1
    assert got["share_high_confidence_by_dataset"]["allegations"] < 0.05
    assert (out / "coverage.png").stat().st_size > 10_000


def test_overview_other_parameters(tmp_path):
    got = _run(
        "00_overview",
        tmp_path,
        dataset_names=["allegations", "followups"],
        start_year=2003,
        end_year=2015,
        preferred_only=False,
    )
    assert got["datasets"] == 2
    assert got["curated_rows"] == 202 + 42
    # 44 sources behind allegations, 15 behind followups, 4 behind both (the seed and three
    # report records: A/70/729, A/72/751 and A/78/774 read on the same pages)
    assert got["sources_cited"] == 44 + 15 - 4


def test_overview_rejects_a_bad_parameter(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter dataset_names"):
        _run("00_overview", tmp_path, dataset_names=["alegations"])


# ---------------------------------------------------------------------------- 01 allegation trends


def test_trends_curated(tmp_path):
    got = _run(
        "01_allegation_trends",
        tmp_path,
        allegations_table="bundled",
        contributions_mission_month="bundled",
        compare=[2010, 2009],
    )
    assert got["allegations_by_year"]["2010"] == 85 and got["allegations_by_year"]["2009"] == 112
    assert got["allegations_total"] == sum(got["allegations_by_year"].values())
    assert got["rate_ratio"] == round((85 / 98638) / (112 / 98196), 4)
    assert got["rate_ratio_ci"][0] < got["rate_ratio"] < got["rate_ratio_ci"][1]
    assert got["trend_model"] == "quasi-Poisson"  # safe with few years; the dispersion is shown
    assert got["trend_dispersion"] > 1
    assert got["irr_per_year_ci"][0] < got["irr_per_year"] < got["irr_per_year_ci"][1]
    assert "2007" not in got["allegations_by_year"]  # the default starts with the tracking system
    assert got["trend_years"] == list(range(2008, 2022))
    # special political missions enter the headline figure in 2016 (derived from the data): the
    # 2016 level change and that counting change are one term, counting_2016
    level = got["segmented_irr"]["counting_2016"]
    assert level[1] < level[0] < level[2]
    assert "level_2016" not in got["segmented_irr"] and "counting_2017" not in got["segmented_irr"]
    low, high = got["leave_one_out_range"]["counting_2016"]
    assert low <= level[0] <= high
    assert got["leave_one_out_not_estimable"] == {"counting_2016": "without 2016"}
    assert (tmp_path / "out" / "segmented.png").is_file()


@pytest.mark.slow
def test_trends_defaults_read_the_cached_un_table(default_batch):
    import pandas as pd

    path = cached_real_file("un_allegations")
    got, out = _default_run(default_batch, "allegation-trends")
    raw = pd.read_excel(path, sheet_name="Export", dtype=str)
    years = raw["Date"].str.split("/").str[1].astype(int)
    assert got["allegations_by_year"] == {
        str(y): int((years == y).sum()) for y in range(2015, 2024)
    }
    assert list(got["allegations_by_year"].values()) == [69, 104, 63, 56, 80, 66, 75, 79, 100]
    assert got["allegations_partial_years"] == {
        "2024": {"allegations": int((years == 2024).sum()), "months_covered": 7}
    }
    assert (out / "by_category.png").is_file()
    used = json.loads((out / "inputs.json").read_text())["allegations_table"]
    assert used["dataset"] == "un_allegations" and used["how"] == "auto"


def test_trends_one_mission_on_curated_data(tmp_path):
    got = _run(
        "01_allegation_trends",
        tmp_path,
        missions=["MINUSCA"],
        allegations_table="bundled",
        start_year=2007,
    )
    import csv

    with open(ROOT / "data" / "allegations_by_mission.csv", newline="") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["mission"] == "MINUSCA" and r["measure"] == "allegations_total"
        ]
    assert got["allegations_by_year"] == {r["year"]: int(r["value"]) for r in rows}
    assert len(rows) == 6
    assert "rate_ratio" not in got  # no personnel by mission: no rate, and the notebook says so


def test_trends_year_range(tmp_path):
    got = _run(
        "01_allegation_trends",
        tmp_path,
        start_year=2009,
        end_year=2016,
        compare=[[2014, 2016], [2009, 2011]],
        breakpoints=[2013],
        allegations_table="",
        contributions_mission_month="",
    )
    assert list(got["allegations_by_year"]) == [str(y) for y in range(2009, 2017)]
    # the latest published figure of each year: 2012 61 (A/67/766; 60 was first published),
    # 2016 104 (A/72/751; 103 in the 2017 fact sheet)
    assert got["allegations_total"] == 112 + 85 + 75 + 61 + 66 + 52 + 69 + 104
    assert got["rate_ratio"] == round(
        ((52 + 69 + 104) / (104062 + 107088 + 100376))
        / ((112 + 85 + 75) / (98196 + 98638 + 99016)),
        4,
    )


def test_trends_with_the_real_un_table_and_one_mission(tmp_path):
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run(
        "01_allegation_trends",
        tmp_path,
        allegations_table=str(path),
        start_year=2015,
        end_year=2023,
        missions=["MINUSCA"],
        breakpoints=[],
    )
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
    got = _run(
        "01_allegation_trends",
        tmp_path,
        allegations_table=str(path),
        start_year=2015,
        end_year=2023,
        compare=[2021, 2016],
    )
    assert list(got["allegations_by_year"].values()) == [69, 104, 63, 56, 80, 66, 75, 79, 100]
    # 2016's first publication (A/71/818) gives no figure in hand: no difference is recorded
    assert "2016" not in got["revisions"] and got["revisions"]["2017"] == 1
    assert 0.2 < got["share_involving_children"] < 0.35


@pytest.mark.slow
def test_trends_with_the_real_un_table_and_every_other_default(tmp_path):
    # issue 10: only allegations_table set (the mission x month file is found in the cache, as
    # "auto"). Years before the export (January 2015) are missing, never 0; 2024 (January-July)
    # is partial and kept apart; a 2010-vs-2009 comparison lies outside the export, and the
    # notebook says so instead of failing.
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run("01_allegation_trends", tmp_path, allegations_table=str(path))
    # 2021 vs 2016, uniformed allegations over mean monthly uniformed personnel
    assert got["rate_ratio"] == pytest.approx((61 / 77420.5) / (80 / 103089.545), abs=1e-4)
    # monthly denominators to January 2022: 2022's one month is shown, not modelled
    assert got["trend_years"] == list(range(2015, 2022))
    assert "counting_2016" in got["segmented_irr"]  # on the curated series, which reaches 2008
    (tmp_path / "b").mkdir()
    outside = _run(
        "01_allegation_trends",
        tmp_path / "b",
        allegations_table=str(path),
        compare=[2010, 2009],
        contributions_mission_month="bundled",
    )
    assert "rate_ratio" not in outside and "outside" in outside["rate_ratio_note"]
    assert outside["trend_years"] == list(range(2015, 2022))  # year-end denominators to 2021
    assert got["allegations_by_year"] == {
        str(y): n for y, n in zip(range(2015, 2024), [69, 104, 63, 56, 80, 66, 75, 79, 100])
    }
    assert got["allegations_total"] == 692  # complete years only
    assert got["allegations_partial_years"] == {"2024": {"allegations": 61, "months_covered": 7}}
    assert got["years_not_covered"] == list(range(2008, 2015))
    assert got["trend_model"] == "quasi-Poisson"
    assert got["trend_dispersion"] > 1
    assert "2024" not in got["revisions"]
    # UNITAD's only allegation is in 2024: no complete-year total (not 0), one partial-year one
    assert "UNITAD" not in got["allegations_by_mission"]
    assert got["allegations_by_mission_partial_years"]["UNITAD"] == 1
    assert sum(got["allegations_by_mission"].values()) == 692
    executed = json.loads((tmp_path / "01_allegation_trends.ipynb").read_text())
    shown = "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in executed["cells"]
        if c["cell_type"] == "code"
        for o in c["outputs"]
    )
    assert "2024" in shown and "partial" in shown
    for year in range(2008, 2015):  # a year outside the export never shows a count of 0
        assert not re.search(rf"\b{year}\s+0\b", shown), year


def test_trends_rejects_categories_without_a_table(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter personnel_categories"):
        _run(
            "01_allegation_trends",
            tmp_path,
            personnel_categories=["military"],
            allegations_table="bundled",
        )


# ---------------------------------------------------------------------- 02 women's participation


def test_participation_curated(tmp_path):
    got = _run(
        "02_womens_participation",
        tmp_path,
        gender_statistics="bundled",
        contributions_mission_month="bundled",
    )
    assert got["growth_2005_2010_ratio"] == round(3332 / 1016, 3)
    # one latest figure per definition: the 2022 total with justice and corrections stays apart
    assert got["latest_share_pct"]["all_uniformed"] == 7.03
    assert got["latest_share_period"]["all_uniformed"] == "Jan 2021"
    assert got["latest_share_pct"]["uniformed_with_justice_corrections"] == 7.9
    # February 2014 is kept apart from the year-end figures
    assert "2014" not in got["share_pct_year_end"]["all_uniformed"]
    assert got["share_pct_year_end"]["all_uniformed"]["2013"] == 3.82
    assert got["share_pct_not_year_end"]["all_uniformed"]["Feb 2014"] == 3.82
    assert got["targets"]["police_2014"] == "below target at last figure"
    assert got["targets"]["staff_officers_experts_2025"] == "met"
    assert "staff_officers_experts_2025" in got["targets_resting_on_rounded_secondary"]
    assert got["resolution_2242_doubling"]["ratio"] == round(5763 / 3758, 3)
    assert got["projections"]["military_contingents_2028"].startswith("20")
    assert "prediction interval" in got["projections_linear"]["formed_police_units_2028"]
    assert got["contributors_date"] == "Jan 2021"
    assert got["top_contributors"]["Ethiopia"] == 708  # January 2021, the latest curated date
    # issue 26, item 3: the share by year and category saved as a table, read back equal to
    # the recorded year-end shares
    import pandas as pd

    from pkoresearch.figures import tables

    saved = tmp_path / "out" / "tables" / "share_by_year_and_category"
    csv = pd.read_csv(saved.with_suffix(".csv"))
    assert list(csv.columns)[:4] == ["year", "period", "category", "share_pct"]
    row = csv[(csv["year"] == 2013) & (csv["category"] == "All uniformed")]
    assert row["share_pct"].tolist() == [3.82]
    assert not csv["period"].str.contains("no month").any()  # "(month not recorded)"
    for rows in (
        tables.read_html(saved.with_suffix(".html")),
        tables.read_latex(saved.with_suffix(".tex")),
    ):
        assert len(rows) == len(csv)
        assert [float(r[3]) for r in rows] == pytest.approx(csv["share_pct"].round(2).tolist())


def test_participation_resolution_2242_on_the_un_monthly_counts(tmp_path):
    # with the mission x month file both months exist: Oct 2015 4,458 -> Oct 2020 5,612 women
    import pandas as pd

    raw = pd.read_stata(cached_real_file("un_contributions_mission_month"))
    women = raw.groupby("yearmo")["female_personnel"].sum()
    got = _run("02_womens_participation", tmp_path)
    d = got["resolution_2242_doubling"]
    assert d["status"] == "not met"
    assert d["from"] == ["Oct 2015", int(women[201510])] and d["to"] == [
        "Oct 2020",
        int(women[202010]),
    ]
    assert d["ratio"] == round(int(women[202010]) / int(women[201510]), 3) == 1.259


@pytest.mark.slow
def test_participation_defaults_read_the_cached_gender_statistics(default_batch):
    import pandas as pd

    path = cached_real_file("un_gender_ipi")
    got, out = _default_run(default_batch, "womens-participation")
    raw = pd.read_csv(path)
    last = raw[raw["Date"] == raw["Date"].max()]
    women = last.groupby("Contributor")["Total Female"].sum().sort_values(ascending=False)
    assert got["top_contributors"] == {c: int(v) for c, v in women.head(10).items()}
    assert got["latest_share_pct"]["all_uniformed"] == round(
        100 * last["Total Female"].sum() / last["Total Total"].sum(), 2
    )
    assert (out / "mission_year_share.png").is_file()


def test_participation_contributor_subset(tmp_path):
    got = _run(
        "02_womens_participation",
        tmp_path,
        contributors=["Ghana", "India"],
        gender_statistics="bundled",
    )
    assert list(got["top_contributors"]) == ["Ghana", "India"]
    assert got["top5_share_of_women_pct"] == 100.0


def test_participation_with_the_real_gender_statistics(tmp_path):
    from conftest import external_file

    path = external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv")
    got = _run(
        "02_womens_participation",
        tmp_path,
        gender_statistics=str(path),
        start="2010-01",
        end="2013-12",
        contributors=["Ghana", "India"],
    )
    assert list(got["top_contributors"]) == ["Ghana", "India"]
    assert got["top_contributors"]["Ghana"] == 300  # December 2013, as in the curated table
    assert got["contributors_date"] == "31 Dec 2013"
    assert (tmp_path / "out" / "mission_year_share.png").is_file()
    import pandas as pd

    raw = pd.read_csv(path)
    dec = raw[(raw["Date"] == "2013-12-31") & raw["Contributor ISO-3"].isin(["GHA", "IND"])]
    share = round(100 * dec["Total Female"].sum() / dec["Total Total"].sum(), 2)
    assert got["share_pct_year_end"]["all_uniformed"]["2013"] == share
    assert got["share_pct_not_year_end"] == {}


def test_participation_real_gender_statistics_to_february_2014(tmp_path):
    from conftest import external_file

    path = external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv")
    # "Tanzania" matches the file's "Tanzania" and "Tanzania, United Republic of" by ISO3 code
    got = _run(
        "02_womens_participation", tmp_path, gender_statistics=str(path), contributors=["Tanzania"]
    )
    import pandas as pd

    raw = pd.read_csv(path)
    tza = raw[raw["Contributor ISO-3"] == "TZA"]
    feb = tza[tza["Date"] == "2014-02-28"]
    assert got["top_contributors"] == {"Tanzania": int(feb["Total Female"].sum())}
    assert got["contributors_date"] == "28 Feb 2014"
    assert got["latest_share_period"]["all_uniformed"] == "Feb 2014"
    assert "2014" not in got["share_pct_year_end"]["all_uniformed"]
    assert got["share_pct_not_year_end"]["all_uniformed"] == {
        "Feb 2014": round(100 * feb["Total Female"].sum() / feb["Total Total"].sum(), 2)
    }
    assert got["targets"]["police_2014"] == "below target at last figure"
    # mission-years at February 2014: every mission with Tanzanian personnel then, flagged
    assert (
        got["mission_years"]["not_year_end"] == feb.loc[feb["Total Total"] > 0, "Mission"].nunique()
    )


def test_participation_rejects_missions_without_a_file(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter missions"):
        _run("02_womens_participation", tmp_path, missions=["UNMIL"], gender_statistics="bundled")


# ------------------------------------------------------------------------ 03 TCC response rates


def test_response_curated(tmp_path):
    got = _run("03_tcc_response_rates", tmp_path, allegations_table="bundled")
    assert got["followups_answered"]["2010"] == [29, 74, round(29 / 74, 4)]
    assert got["followups_2012_minus_2010"] == round(27 / 47 - 29 / 74, 4)
    assert "nio_appointed_overall" not in got


def test_response_clopper_pearson(tmp_path):
    got = _run(
        "03_tcc_response_rates",
        tmp_path,
        ci_method="clopper-pearson",
        alpha=0.1,
        allegations_table="bundled",
    )
    assert got["followups_answered"]["2012"] == [27, 47, round(27 / 47, 4)]


def test_response_with_the_real_table_and_a_contributor_subset(tmp_path):
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run(
        "03_tcc_response_rates",
        tmp_path,
        allegations_table=str(path),
        contributors=["South Africa", "Morocco"],
        ci_method="clopper-pearson",
    )
    import pandas as pd

    raw = pd.read_excel(path, sheet_name="Export", dtype=str, keep_default_na=False)
    sub = raw[
        raw["Nationality"]
        .str.split("\n\n")
        .map(lambda v: bool({"South Africa", "Morocco"} & set(v)))
    ]
    k = int((sub["NIO appointed"] == "Yes").sum())
    n = int(sub["NIO appointed"].isin(["Yes", "No (no response)", "No (declined)"]).sum())
    assert got["nio_appointed_overall"][:2] == [k, n]
    assert (tmp_path / "out" / "investigation_durations.png").is_file()


def test_response_logit_on_two_contributors_prints_no_interval(tmp_path):
    # issue 25: with South Africa and Cameroon the notebook printed "odds ratio per year 1.108
    # (95% CI 1.026-1.197)" from normal Wald intervals on two clusters
    from conftest import external_file

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run(
        "03_tcc_response_rates",
        tmp_path,
        allegations_table=str(path),
        contributors=["South Africa", "Cameroon"],
    )
    assert got["nio_logit_clusters"] == 2 and got["nio_odds_ratio_per_year"] == 1.1083
    import json

    cells = json.loads((tmp_path / "03_tcc_response_rates.ipynb").read_text())["cells"]
    shown = " ".join(
        "".join(o.get("text", "")) for c in cells for o in c.get("outputs", [])
    ).split()
    text = " ".join(shown)
    assert "1.026-1.197" not in text
    assert "odds ratio per year: 1.108 (pending counted as not appointed:" in text
    assert "no interval or p-value: 2 clusters, fewer than the 5 needed" in text


def test_response_defaults_read_the_cached_un_table(tmp_path):
    import pandas as pd

    path = cached_real_file("un_allegations")
    got = _run("03_tcc_response_rates", tmp_path, years=[2019, 2020, 2021])
    raw = pd.read_excel(path, sheet_name="Export", dtype=str, keep_default_na=False)
    raw = raw[raw["Date"].str.split("/").str[1].astype(int).isin([2019, 2020, 2021])]
    uniformed = raw["Personnel Type"].str.contains("Military|Police")
    nio = raw.loc[uniformed, "NIO appointed"]
    assert got["nio_appointed_overall"][:2] == [
        int((nio == "Yes").sum()),
        int(nio.isin(["Yes", "No (no response)", "No (declined)"]).sum()),
    ]


def test_response_with_the_real_table_and_an_as_of_date(tmp_path):
    from conftest import external_file
    from pkoresearch.analysis import response
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    path = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    got = _run("03_tcc_response_rates", tmp_path, allegations_table=str(path), as_of="2024-07-31")
    assert got["censoring_day"] == "2024-07-31"
    t = read_table_of_allegations(path)
    uni = response.uniformed(t)
    direct = response.durations_by_entity(
        response.investigation_durations(t, "2024-07-31", ids=uni["allegation_id"]), min_n=5
    )
    assert got["km_median_days"] == {
        r.entity: (None if r.km_median != r.km_median else r.km_median) for r in direct.itertuples()
    }
    # each allegation once in the totals; pending shown beside the decided requests
    assert got["nio_totals_each_allegation_once"] == {
        "allegations": 572,
        "appointed": 291,
        "decided": 431,
        "pending": 18,
    }
    assert got["nio_pending_as_not_appointed"][:2] == [291, 449]
    assert got["nio_appointed_by_year"]["2024"] == {
        "appointed": 20,
        "decided": 21,
        "pending": 12,
        "complete": False,
    }
    times = response.outcome_times(t, uni, "2024-07-31")
    assert (
        got["outcome_median_days"]
        == response.time_to_outcome(times["followup_days"], times["reported"]).median
    )
    for name in ("nio_states_by_year.png", "time_to_outcome.png", "nio_funnel.png"):
        assert (tmp_path / "out" / name).is_file()


def test_response_rejects_as_of_without_a_table(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter as_of: found '2024-07-01'"):
        _run("03_tcc_response_rates", tmp_path, as_of="2024-07-01", allegations_table="bundled")


def test_response_rejects_a_bad_ci_method(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter ci_method: found 'wald'"):
        _run("03_tcc_response_rates", tmp_path, ci_method="wald")


@pytest.mark.slow
def test_participation_with_the_un_contributions_by_gender(tmp_path):
    from conftest import external_file

    path = external_file("UN_contributions_by_gender_mission_month_2010-2022.dta")
    got = _run("02_womens_participation", tmp_path, contributions_mission_month=str(path))
    shares = got["share_by_year_un_contributions"]
    assert list(shares) == [f"all_uniformed {y}" for y in range(2010, 2022)]  # 2014-2019 included
    assert shares["all_uniformed 2021"] == round(100 * 67444 / 929046, 2)
    assert (tmp_path / "out" / "mission_share_un_contributions.png").is_file()
    # issue 25: UNOCI's implausible months of 2016 are named and left out (2016: 4.41% with them)
    assert got["suspect_months_un_contributions"] == [f"UNOCI 2016-{m:02d}" for m in (1, 3, 4, 5)]
    assert shares["all_uniformed 2016"] == 4.17
    # issue 26, item 3: the same shares saved as a table (CSV, LaTeX, HTML), read back equal
    import pandas as pd

    from pkoresearch.figures import tables

    saved = tmp_path / "out" / "tables" / "share_by_year_un_contributions"
    csv = pd.read_csv(saved.with_suffix(".csv"))
    assert csv["year"].tolist() == list(range(2010, 2022))
    want = [shares[f"all_uniformed {y}"] for y in range(2010, 2022)]
    assert csv.iloc[:, 1].round(2).tolist() == want
    for rows in (
        tables.read_html(saved.with_suffix(".html")),
        tables.read_latex(saved.with_suffix(".tex")),
    ):
        assert [r[0] for r in rows] == [str(y) for y in range(2010, 2022)]
        assert [float(r[1]) for r in rows] == want
    by_mission = pd.read_csv(tmp_path / "out" / "tables" / "share_by_mission_un_contributions.csv")
    assert by_mission.columns[0] == "mission" and len(by_mission) == 10
    (tmp_path / "kept").mkdir()
    kept = _run(
        "02_womens_participation",
        tmp_path / "kept",
        contributions_mission_month=str(path),
        suspect_months="keep",
    )
    assert kept["share_by_year_un_contributions"]["all_uniformed 2016"] == 4.41


# ------------------------------------------------------------------ 04 women and allegations

DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"
XLSX = "UN_conduct_table_of_allegations_2024-07.xlsx"


def _real_files() -> dict:
    from conftest import external_file

    return {
        "allegations_table": str(external_file(XLSX)),
        "contributions_mission_month": str(external_file(DTA)),
    }


def test_women_and_allegations_on_bundled_data_says_what_it_needs(tmp_path):
    got = _run(
        "04_women_and_allegations",
        tmp_path,
        allegations_table="bundled",
        contributions_mission_month="bundled",
    )
    assert got == {"ready": False}
    executed = (tmp_path / "04_women_and_allegations.ipynb").read_text()
    assert "Needs allegations_table" in executed and "Traceback" not in executed


@pytest.mark.slow
def test_women_and_allegations_defaults_on_the_real_files(default_batch):
    # the defaults read the cached real files ("auto"); the tests below pass their paths
    got, out = _default_run(default_batch, "women-and-allegations")
    import pandas as pd

    raw = pd.read_excel(_real_files()["allegations_table"], sheet_name="Export", dtype=str)
    years = raw["Date"].str.split("/").str[1].astype(int)
    assert got["allegations_in_years"] == int(years.between(2015, 2021).sum()) == 513
    assert got["unmatched_allegations"] == 16 and got["mission_years_modelled"] == 102
    irr = got["irr_per_point"]
    assert set(irr) == {
        "NB",
        "Poisson QL",
        "Mission FE (Poisson QL)",
        "Share t-1 (NB)",
        "Military allegations (NB)",
        "Without MONUSCO (NB)",
    }
    assert all(lo < est < hi for est, lo, hi in irr.values())
    assert (out / "coefficients.png").stat().st_size > 10_000


def test_women_and_allegations_military_outcome(tmp_path):
    got = _run(
        "04_women_and_allegations",
        tmp_path,
        outcome="military",
        model="poisson",
        leave_out=["MINUSCA"],
        **_real_files(),
    )
    irr = got["irr_per_point"]
    assert "Military allegations (Poisson QL)" not in irr  # the outcome already is military
    assert "Without MONUSCO (Poisson QL)" in irr and len(irr) == 5
    assert got["mission_years_modelled"] == 102 - 7  # MINUSCA's seven years left out


def test_women_and_allegations_lag_2_without_minusca(tmp_path):
    # issue 25: "Without MONUSCO" had no uniformed allegation in 2021 (its year effect ran to -31,
    # Converged NO, IRR 1.269 (1.096-1.470) counted among "5 of 6 intervals include 1"); now the
    # year is left out and named, the fit converges, and UNOCI's four implausible months are out
    got = _run("04_women_and_allegations", tmp_path, lag=2, leave_out=["MINUSCA"], **_real_files())
    m = got["models"]["Without MONUSCO (NB)"]
    assert m["left_out_no_allegation"] == ["year 2021"] and m["converged"]
    assert m["clusters"] == 15 and 0 < m["boot_p_value"] < 1
    assert got["irr_per_point"]["Without MONUSCO (NB)"] == [1.221, 1.045, 1.427]
    assert got["models_summary"].startswith("4 of 6 intervals include 1")
    assert got["suspect_months"] == [f"UNOCI 2016-{m:02d}" for m in (1, 3, 4, 5)]
    assert got["irr_per_point"]["Mission FE (Poisson QL)"][0] == 2.524


def test_women_and_allegations_rejects_a_bad_outcome(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter outcome: found 'civilian'"):
        _run("04_women_and_allegations", tmp_path, outcome="civilian")


# ------------------------------------------------------------------------------ 05 contingents

CSV_YEAR = "UN_contributions_by_gender_country_mission_year_2010-2021.csv"


def _contingent_files() -> dict:
    from conftest import external_file

    return {**_real_files(), "contributions_by_contributor": str(external_file(CSV_YEAR))}


def test_contingents_on_bundled_data_says_what_it_needs(tmp_path):
    got = _run(
        "05_contingents",
        tmp_path,
        allegations_table="bundled",
        contributions_by_contributor="bundled",
        contributions_mission_month="bundled",
    )
    assert got == {"ready": False}
    executed = (tmp_path / "05_contingents.ipynb").read_text()
    assert "Needs allegations_table" in executed and "Traceback" not in executed


@pytest.mark.slow
def test_contingents_defaults_on_the_real_files(default_batch):
    import pandas as pd

    # the defaults read the cached real files ("auto"); the tests below pass their paths
    got, out = _default_run(default_batch, "contingents")
    raw = pd.read_excel(_real_files()["allegations_table"], sheet_name="Export", dtype=str)
    years = raw["Date"].str.split("/").str[1].astype(int)
    uniformed = raw["Personnel Type"].str.contains(r"^(?:Military|Police)", regex=True)
    assert got["allegations_in_years"] == int((years.between(2015, 2020) & uniformed).sum()) == 332
    assert got["contingent_years"] == 3547 and got["unmatched_lines"] == 22
    irr = got["irr_per_point"]
    assert "Main: contributor + mission-year FE" in irr and "Military only" not in irr
    assert all(lo < est < hi for est, lo, hi in irr.values())
    lo, hi = got["bootstrap_main"]
    assert lo < irr["Main: contributor + mission-year FE"][0] < hi
    for name in ("regression.csv", "regression.tex", "regression.html"):
        assert (out / "tables" / name).stat().st_size > 500
    # every contributor's rate, as a table: read back, the counts add up to the recorded rate
    rates = pd.read_csv(out / "tables" / "rates_by_contributor.csv")
    assert len(rates) == got["contributors_in_sample"]
    assert 1000 * rates["allegations"].sum() / rates["person_years"].sum() == pytest.approx(
        got["rate_per_1000"], abs=5e-4
    )
    from pkoresearch.figures import tables as tbl

    shown = tbl.read_html(out / "tables" / "rates_by_contributor.html")
    assert [int(r[2].replace(",", "")) for r in shown] == rates["allegations"].tolist()
    # both counting years of the main column, each read back from the saved table (issue 26):
    # a referee's figures, reporting year 1.033 (1.014-1.051), incident year 1.016 (0.997-1.035)
    # with bootstrap p = 0.125
    both = got["irr_main_by_counting_year"]
    assert both["reporting_year"] == irr["Main: contributor + mission-year FE"]
    assert both["reporting_year"] == pytest.approx([1.033, 1.014, 1.051], abs=6e-4)
    assert both["incident_year"] == pytest.approx([1.016, 0.997, 1.035], abs=6e-4)
    assert got["bootstrap_p_main_by_counting_year"]["incident_year"] == pytest.approx(
        0.125, abs=0.01
    )
    from pkoresearch.figures import tables

    rows = tables.read_html(out / "tables" / "main_by_counting_year.html")
    assert [r[0] for r in rows] == ["reporting year", "incident year"]
    assert [float(r[1]) for r in rows] == pytest.approx(  # the table's 3 decimals
        [both[w][0] for w in ("reporting_year", "incident_year")], abs=6e-4
    )
    executed = (out / "notebook.ipynb").read_text()
    assert "Main column by incident year: rate ratio 1.016 per percentage point" in executed
    for name in ("funnel.png", "share_and_rate.png", "coefficients.png"):
        assert (out / name).stat().st_size > 10_000


def test_contingents_military(tmp_path):
    got = _run("05_contingents", tmp_path, personnel_type="military", **_contingent_files())
    assert got["allegations_in_years"] < 332
    assert got["contingent_years"] == 3547  # the same cells: exposure of all uniformed personnel


def test_contingents_incident_year(tmp_path):
    got = _run("05_contingents", tmp_path, count_by="incident_year", **_contingent_files())
    assert got["allegations_in_years"] != 332 and got["contingent_years"] == 3547
    # notebook 04's mission-level column counts by reporting year: the comparison says so
    executed = (tmp_path / "05_contingents.ipynb").read_text()
    assert "main column, incident year" in executed
    assert "Not like for like: notebook 04 counts allegations by reporting year only" in executed


def test_contingents_without_one_contributor(tmp_path):
    got = _run("05_contingents", tmp_path, leave_out_contributors=["ZAF"], **_contingent_files())
    assert got["contributors_in_sample"] == 138 - 1
    # all contributors: 313 allegations in 566,333 person-years (without the two contingent-years
    # flagged implausible: 442 person-years, no allegation); South Africa 37 in 8,695
    assert got["rate_per_1000"] == pytest.approx(1000 * (313 - 37) / (566333 - 8695), abs=0.001)


def test_contingents_rejects_a_bad_parameter(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter count_by: found 'month'"):
        _run("05_contingents", tmp_path, count_by="month")
