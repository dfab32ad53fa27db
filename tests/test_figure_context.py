"""Figures that survive being taken out of context: a sweep's figures name their mission in the
title (written into the PNG, shown on the batch report); tick labels of figures drawn from the
real files do not overlap (measured on matplotlib's text extents); the overview's organizations
figure is a dot plot on a linear scale with full labels."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest

from conftest import ROOT, cached_real_file, external_file
from pkoresearch.analysis import overview, participation
from pkoresearch.batch import report, runner
from pkoresearch.data.readers.un_gender import read_gender_statistics
from pkoresearch.figures import plots


def test_sweep_figures_name_their_mission(tmp_path):
    cached_real_file("un_allegations")  # the sweep reads the UN table (skips without it)
    runs = runner.expand(
        {
            "name": "trends-{missions}",
            "notebook": "01_allegation_trends.ipynb",
            "parameters": {"breakpoints": [], "allegations_table": "un_allegations"},
            "sweep": {"missions": [["MINUSCA"], ["UNMISS"]]},
        },
        "test sweep",
    )
    manifest = runner.run_batch(
        runs, output=tmp_path, jobs=1, html_report=False, notebooks=ROOT / "notebooks"
    )
    assert [r["status"] for r in manifest["runs"]] == ["ok", "ok"]
    titles = {}
    for mission in ("MINUSCA", "UNMISS"):
        folder = tmp_path / "runs" / f"trends-{mission}"
        for name in ("by_category", "rate_trend", "mission_year", "outcomes"):
            title = report.png_text(folder / f"{name}.png")["Title"]
            assert mission in title, (name, title)
            other = "UNMISS" if mission == "MINUSCA" else "MINUSCA"
            assert other not in title
            titles[(mission, name)] = title
    assert titles[("MINUSCA", "by_category")] != titles[("UNMISS", "by_category")]
    # the batch report shows the title under each thumbnail
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    card = re.search(r'id="run-trends-MINUSCA">.*?</article>', page, re.S)[0]
    assert "Allegations by personnel category (counted once per category) — MINUSCA;" in card


@pytest.fixture(scope="module")
def gender():
    return read_gender_statistics(external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv"))


def test_monthly_shares_on_the_real_gender_file_have_readable_ticks(gender):
    monthly = participation.shares_by(
        gender.counts, ["date", "group"], participation.DEFAULT_CATEGORIES
    ).rename(columns={"group": "category"})
    assert monthly["date"].nunique() > 40  # Nov 2009 - Feb 2014, monthly
    fig, ax = plt.subplots(figsize=(8, 4.2))
    plots.share_over_time(monthly, x="date", hue="category", ax=ax, source=gender)
    try:
        assert plots.overlapping_ticklabels(fig) == []
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert "2010" in labels and not any(re.fullmatch(r"\d{4}-\d{2}", t) for t in labels)
        # legend entries say what each series counts in this file (staff officers are inside
        # troops in the UN gender statistics: the "staff officers experts" group is experts only)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "military experts on mission (staff officers inside troops)" in legend
        assert "troops, staff officers included" in legend
        assert "staff officers experts" not in legend and "military contingents" not in legend
        assert set(monthly["definition"]) >= {"experts_on_mission", "troops_with_staff_officers"}
    finally:
        plt.close(fig)


def test_overlap_check_finds_crowded_labels():
    """The check itself: labels forced onto one spot overlap, spread ones do not."""
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks([0, 0.01, 1], ["2010-01", "2010-07", "2011-01"])
    assert plots.overlapping_ticklabels(fig) == [("2010-01", "2010-07")]
    ax.set_xticks([0, 1], ["2010", "2011"])
    assert plots.overlapping_ticklabels(fig) == []
    plt.close(fig)


def test_overview_figures_are_readable():
    from pkoresearch.data import curated

    sizes = overview.organization_sizes(2011)
    assert sizes["label"].tolist() == [
        "NATO: troops",
        "UN: uniformed personnel covered by the SEA policy",
        "OSCE: field mission personnel",
    ]
    assert sizes["stated"].tolist() == ["more than about 135,000", "about 99,000", "2,887"]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    plots.dot_values(sizes, x="value", y="label", text="stated", ax=ax)
    assert ax.get_xscale() == "linear" and ax.get_xlim()[0] == 0
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert sorted(ticks) == sorted(sizes["label"])  # written in full, no fragment
    assert plots.overlapping_ticklabels(fig) == []
    plt.close(fig)

    names = list(curated.SPECS)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    plots.confidence_bars(overview.confidence_table(names), ax=ax, source="the curated tables")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "personnel by country (2,106 rows)" in labels
    assert not any("_" in t for t in labels)
    assert ax.get_xlim() == (0, 100)
    assert plots.overlapping_ticklabels(fig) == []
    plt.close(fig)
