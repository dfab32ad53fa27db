"""Partial periods drawn the same way in every figure, and rates labelled with their
denominator (issue 25 items 9 and 10), on the real files where the issue names them."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.analysis import trends
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_mission_month
from pkoresearch.figures import plots


@pytest.fixture(scope="module")
def table():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_table_of_allegations(
            external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
        )


@pytest.fixture(scope="module")
def mission_month():
    return read_mission_month(
        external_file("UN_contributions_by_gender_mission_month_2010-2022.dta")
    )


def test_by_category_bars_mark_january_july_2024_as_partial(table):
    # before: 2024 (January-July) was drawn as a full bar labelled "2024"
    c = trends.with_coverage(trends.count_by(table, "personnel_category"), table.coverage)
    fig, ax = plt.subplots()
    plots.stacked_counts(
        c, hue="personnel_category", order=["military", "police", "civilian"], ax=ax
    )
    labels = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert labels[-1] == "2024 (partial)" and labels[0] == "2015"
    assert not any("partial" in x for x in labels[:-1])
    hatched = [b for cont in ax.containers for b in cont if b.get_hatch()]
    assert len(hatched) == 3  # the three categories of 2024, and nothing else
    assert {round(b.get_x() + b.get_width() / 2) for b in hatched} == {len(labels) - 1}
    plt.close(fig)


def test_outcome_bars_mark_the_partial_year(table):
    o = trends.outcomes_by_year(table)
    long = o.reset_index().melt(id_vars="year", var_name="result", value_name="allegations")
    fig, ax = plt.subplots()
    plots.stacked_counts(trends.with_coverage(long, table.coverage), hue="result", ax=ax)
    assert ax.get_xticklabels()[-1].get_text().replace("\n", " ") == "2024 (partial)"
    plt.close(fig)


def test_a_january_only_denominator_is_flagged_and_drawn_open(table, mission_month):
    basis = trends.rate_basis(2015, 2022, table=table, mission_month=mission_month)
    r = trends.rates(basis.counts, basis.personnel).set_index("year")
    # the mission x month file ends in January 2022: 2022's denominator is one month
    assert r.loc[2022, "personnel_months"] == 1 and not r.loc[2022, "denominator_complete"]
    assert r.loc[2015:2021, "denominator_complete"].all()
    fig, ax = plt.subplots()
    plots.trend(r.reset_index(), y="rate", ax=ax)
    open_points = [
        line
        for line in ax.get_lines()
        if line.get_markerfacecolor() == "white" and len(line.get_xdata())
    ]
    assert len(open_points) == 1 and list(open_points[0].get_xdata()) == [2022]
    assert open_points[0].get_label() == "partial denominator"
    joined = [
        line for line in ax.get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) > 1
    ]
    assert 2022 not in set(joined[0].get_xdata())
    plt.close(fig)


def test_rate_axes_name_their_denominator(mission_month):
    assert trends.rate_unit(trends.personnel_by_year()) == (
        "allegations per 1,000 uniformed personnel at year end"
    )
    assert trends.rate_unit(trends.personnel_mean(mission_month), 100) == (
        "allegations per 100 personnel-years (mean of monthly counts)"
    )


def test_a_figure_that_is_not_year_end_stays_off_the_line():
    # before: February 2014 was joined to the year-end line with a filled marker
    d = pd.DataFrame(
        {
            "year": [2012, 2013, 2014],
            "category": ["all_uniformed"] * 3,
            "share_pct": [3.7, 3.8, 3.82],
            "complete": [True, True, False],
        }
    )
    fig, ax = plt.subplots()
    plots.share_over_time(d, ax=ax)
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert [list(line.get_xdata()) for line in lines] == [[2012, 2013]]
    hollow = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"]
    assert [2014] in [list(line.get_xdata()) for line in hollow]
    plt.close(fig)
