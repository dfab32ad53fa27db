"""Counting by reporting year or by incident year (issue 25 item 5), and mission and contributor
names the selections accept (item 6), on the real July 2024 export, each checked against a plain
pandas reading of the file that does not use the package's reader."""

from __future__ import annotations

import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.analysis import panel as P
from pkoresearch.analysis import response, trends
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_mission_month
from pkoresearch.errors import ParameterError
from pkoresearch.figures import plots

XLSX = "UN_conduct_table_of_allegations_2024-07.xlsx"
DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"


@pytest.fixture(scope="module")
def table():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_table_of_allegations(external_file(XLSX))


@pytest.fixture(scope="module")
def raw():
    """The export read with plain pandas: reporting year, incident start year (the first year in
    "Date of incident", missing for "Unknown"), mission as written, uniformed or not."""
    df = pd.read_excel(external_file(XLSX), sheet_name="Export", dtype=str, keep_default_na=False)
    df["report_year"] = df["Date"].str.split("/").str[-1].astype(int)
    first = df["Date of incident"].map(lambda v: re.search(r"\b(\d{4})\b", v))
    df["incident_year"] = first.map(lambda m: int(m.group(1)) if m else np.nan)
    df["count_year"] = df["incident_year"].fillna(df["report_year"]).astype(int)
    kinds = df["Personnel Type"].str.split("\n")
    df["uniformed"] = kinds.map(lambda v: any(x.startswith(("Military", "Police")) for x in v))
    df["age"] = df["report_year"] - df["incident_year"]
    return df


def test_count_by_places_allegations_by_incident_year(table, raw):
    by_inc = trends.count_by(table, count_by="incident_year").set_index("year")["allegations"]
    assert by_inc.to_dict() == raw.groupby("count_year").size().to_dict()
    by_rep = trends.count_by(table).set_index("year")["allegations"]
    assert by_rep.to_dict() == raw.groupby("report_year").size().to_dict()
    assert trends.fell_back(table, "incident_year") == int(raw["incident_year"].isna().sum()) == 31
    assert trends.fell_back(table) == 0
    with pytest.raises(ParameterError, match="count_by: found 'incident'"):
        trends.count_by(table, count_by="incident")


def test_incident_age_by_reporting_year_the_issue_numbers(table, raw):
    uni = trends.select(table, 2015, 2021, personnel_categories=["military", "police"])
    ages = trends.incident_age(uni).set_index("year")
    r = raw[raw["uniformed"] & raw["report_year"].between(2015, 2021)]
    # the issue: 140 of 393 uniformed allegations reported 2015-2021 concern incidents that began
    # two or more years earlier
    assert ages["allegations"].sum() == len(r) == 393
    assert ages["two_or_more_years_before"].sum() == int((r["age"] >= 2).sum()) == 140
    assert ages["two_or_more_years_before"].to_dict() == (
        r.assign(old=r["age"] >= 2).groupby("report_year")["old"].sum().to_dict()
    )
    assert ages.loc[2021, "no_incident_year"] == int(
        r.loc[r.report_year == 2021, "age"].isna().sum()
    )
    known = ages["allegations"] - ages["no_incident_year"]
    assert np.allclose(ages["share_two_or_more"], ages["two_or_more_years_before"] / known)


def test_counting_sensitivity_and_yearly_by_incident_year(table, raw):
    s = trends.counting_sensitivity(table, 2015, 2024).set_index("year")
    assert s.loc[2015:2023, "reporting_year"].tolist() == [69, 104, 63, 56, 80, 66, 75, 79, 100]
    inc = raw.groupby("count_year").size()
    assert s["incident_year"].astype(int).to_dict() == {y: int(inc[y]) for y in range(2015, 2025)}
    fb = raw[raw["incident_year"].isna()].groupby("report_year").size()
    assert s["fell_back"].astype(int).to_dict() == {y: int(fb.get(y, 0)) for y in range(2015, 2025)}
    assert not s.loc[2024, "complete"]
    y = trends.yearly(2013, 2024, table=table, count_by="incident_year").set_index("year")
    # outside the export's reporting months the count is missing, never 0, whatever the rule
    assert y.loc[[2013, 2014], "allegations"].isna().all()
    assert y.loc[2016, "allegations"] == inc[2016]


def test_select_by_incident_year(table, raw):
    t = trends.select(table, 2016, 2016, count_by="incident_year")
    assert t.counts["selected"] == int((raw["count_year"] == 2016).sum())
    assert set(t.counting_years("incident_year")["year"]) == {2016}


def test_mission_year_marks_cells_of_old_incidents(table, raw):
    m = trends.mission_year(table, 2015, 2024).set_index(["mission", "year"])
    # MONUSCO 2023: 66 allegations (15 filed under MONUC), 5 about incidents of 2023
    r = raw[raw["Mission"].isin(["MONUSCO", "MONUC"]) & (raw["report_year"] == 2023)]
    assert m.loc[("MONUSCO", 2023), "allegations"] == len(r) == 66
    assert m.loc[("MONUSCO", 2023), "filed_under_former_name"] == (r["Mission"] == "MONUC").sum()
    assert (r["incident_year"] == 2023).sum() == 5
    assert m.loc[("MONUSCO", 2023), "old_incidents"] == (r["age"] >= 2).sum() == 56
    assert m.loc[("MONUSCO", 2023), "mostly_old"]
    assert not m.loc[("MONUSCO", 2016), "mostly_old"]
    # mostly_old exactly where old incidents are more than half, against the raw file
    raw_m = raw.assign(mission=raw["Mission"].replace({"MONUC": "MONUSCO"}))
    g = raw_m.groupby(["mission", "report_year"]).agg(
        n=("age", "size"), old=("age", lambda a: (a >= 2).sum())
    )
    expected = {k for k, v in g.iterrows() if 2 * v["old"] > v["n"]}
    assert set(m.index[m["mostly_old"]]) == expected
    by_inc = trends.mission_year(table, 2015, 2024, count_by="incident_year").set_index(
        ["mission", "year"]
    )
    assert (
        by_inc.loc[("MONUSCO", 2023), "allegations"]
        == ((raw_m["mission"] == "MONUSCO") & (raw_m["count_year"] == 2023)).sum()
    )
    assert not by_inc["mostly_old"].any()


def test_heatmap_outlines_flagged_cells():
    from matplotlib.patches import Rectangle

    d = pd.DataFrame(
        {
            "mission": ["A", "A", "B", "B"],
            "year": [2020, 2021, 2020, 2021],
            "allegations": [3, 4, 5, 6],
            "old": [False, True, True, False],
        }
    )
    fig, ax = plt.subplots()
    plots.heatmap(
        d, x="year", y="mission", value="allegations", flag="old", flag_label="old", ax=ax
    )
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert sorted((p.get_x(), p.get_y()) for p in outlines) == [(0.06, 1.06), (1.06, 0.06)]
    plt.close(fig)


def test_panel_counts_by_incident_year(table, raw):
    mm = read_mission_month(external_file(DTA))
    rep = P.build_panel(mm, table, 2015, 2021)
    inc = P.build_panel(mm, table, 2015, 2021, count_by="incident_year")
    assert rep.count_by == "reporting_year" and rep.fell_back == 0
    r = raw[raw["count_year"].between(2015, 2021)]
    assert inc.allegations_in_years == len(r)
    assert inc.fell_back == int(r["incident_year"].isna().sum()) == 21
    # every allegation of the years is in a mission-year or listed as unmatched
    counted = int(inc.data["allegations_all"].sum()) + len(inc.unmatched)
    assert counted == len(r)
    u = r[r["uniformed"]].assign(mission=r["Mission"].replace({"MONUC": "MONUSCO"}))
    want = u.groupby(["mission", "count_year"]).size()
    got = inc.data.set_index(["mission", "year"])["allegations_uniformed"]
    for (mission, year), n in want.items():
        if (mission, year) in got.index:
            assert got.loc[(mission, year)] == n, (mission, year)


def test_monuc_is_a_name_a_selection_accepts(table):
    names, former = trends.mission_names(table)
    assert former == {"MONUC": "MONUSCO"} and "MONUC" in names and "MONUSCO" in names
    t = trends.select(table, 2015, 2024, ["MONUC"])
    assert t.counts["selected"] == len(trends.select(table, 2015, 2024, ["MONUSCO"]).allegations)
    assert t.counts["filed_under_former_name"] == 24
    note = trends.former_names_note(table)
    assert note.startswith("24 allegation(s) filed under a former mission name: 24 under MONUC")


def test_unknown_nationality_is_a_contributor_a_selection_accepts(table):
    u = response.uniformed(table)
    unknown = response.select_contributors(u, ["Unknown"])
    assert len(unknown) == (u["nationality"] == "Unknown").sum() > 0
    with pytest.raises(ParameterError) as info:
        response.select_contributors(u, ["Atlantis"])
    shown = re.search(r"expected names among (\[.*\])", str(info.value)).group(1)
    listed = eval(shown)  # noqa: S307 - the message's own list of names
    assert "Unknown" in listed
    for name in listed:  # every name the message offers is accepted
        assert len(response.select_contributors(u, [name])) > 0, name


# ------------------------------------------------------------------------- the notebooks, run


def test_notebook_01_counts_by_incident_year_and_accepts_monuc(tmp_path, raw):
    from test_notebooks import _run

    path = str(external_file(XLSX))
    got = _run(
        "01_allegation_trends",
        tmp_path,
        allegations_table=path,
        count_by="incident_year",
        start_year=2015,
        end_year=2023,
    )
    assert got["count_by"] == "incident_year"
    chosen = raw[raw["count_year"].between(2015, 2023)]
    assert got["counted_in_reporting_year_for_want_of_incident_year"] == int(
        chosen["incident_year"].isna().sum()
    )
    assert got["allegations_by_year"] == {
        str(y): int(n) for y, n in chosen.groupby("count_year").size().items()
    }
    assert got["incidents_two_or_more_years_old_by_reporting_year"]["2023"] == 75
    (tmp_path / "b").mkdir()
    monuc = _run("01_allegation_trends", tmp_path / "b", allegations_table=path, missions=["MONUC"])
    drc = raw["Mission"].isin(["MONUC", "MONUSCO"]) & raw["report_year"].between(2015, 2023)
    assert monuc["allegations_by_mission"] == {"MONUSCO": int(drc.sum())}
