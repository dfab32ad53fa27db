"""The panel models' inference: separated fixed-effect levels dropped and named, a fit that does
not converge flagged in the table, the summary and the coefficient plot, small-cluster inference
(t(G-1), no interval below the minimum, wild bootstrap p) in every column."""

from __future__ import annotations

import dataclasses
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.analysis import panel as P
from pkoresearch.analysis import stats
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import read_mission_month
from pkoresearch.figures import plots


@pytest.fixture(scope="module")
def panel():
    return P.build_panel(
        read_mission_month(external_file("UN_contributions_by_gender_mission_month_2010-2022.dta")),
        read_table_of_allegations(external_file("UN_conduct_table_of_allegations_2024-07.xlsx")),
        2015,
        2021,
    )


def test_drop_separated_by_hand():
    d = pd.DataFrame(
        {
            "mission": ["A", "A", "A", "B", "B", "B", "C", "C", "C"],
            "year": [1, 2, 3] * 3,
            "y": [2, 1, 0, 3, 0, 0, 0, 0, 0],
        }
    )
    kept, missions, levels = P.drop_separated(d, "y", mission_fe=False)
    assert levels == ("year 3",) and missions == () and set(kept["year"]) == {1, 2}
    kept, missions, levels = P.drop_separated(d, "y", mission_fe=True)
    assert missions == ("C",) and levels == ("year 3",) and len(kept) == 4


def test_lag_2_without_minusca_drops_2021_and_converges(panel):
    m = P.fit_models(panel, "uniformed", 2015, 2021, lag=2, leave_out=["MINUSCA"])
    r = {x.spec.name: x for x in m.results}["without_largest"]
    # before: 2021 (no uniformed allegation once MINUSCA and MONUSCO are out) was kept, its year
    # effect ran to -31 and the fit did not converge (IRR 1.269, 1.096-1.470, Converged NO)
    assert r.dropped_separated == ("year 2021",) and r.converged
    assert r.n == 77 and r.n_missions == 15
    assert r.irr == pytest.approx(1.221, abs=5e-4)
    assert 0 < r.boot_p_value < 1 and "seed" in r.boot_method
    col = m.table()["(6) Without MONUSCO (NB)"]
    assert "year 2021 (no allegation)" in col["Left out"] and col["Converged"] == "yes"
    assert m.summary().startswith("4 of 6 intervals include 1")


def test_every_column_uses_t_g_minus_1_and_the_bootstrap(panel):
    m = P.fit_models(panel, "uniformed", 2015, 2021)
    for r in m.fitted:
        est = stats.cluster_t(r.coef, r.se, r.n_missions)
        assert (r.ci_low, r.ci_high, r.p_value) == pytest.approx(
            (est.ci_low, est.ci_high, est.p_value)
        )
        assert 0 < r.boot_p_value <= 1
    assert "  wild bootstrap p" in m.table().index


def test_not_converged_fits_are_flagged_and_not_counted(panel):
    m = P.fit_models(panel, "uniformed", 2015, 2021)
    bad = dataclasses.replace(m.results[-1], converged=False)
    few = dataclasses.replace(
        m.results[0], ci_low=math.nan, ci_high=math.nan, no_interval="3 clusters"
    )
    m2 = dataclasses.replace(m, results=[few, *m.results[1:-1], bad])
    assert "(not converged)" in m2.table().iloc[0, -1]
    s = m2.summary()
    assert s.startswith(f"{len(m.results) - 2} of {len(m.results) - 2} intervals include 1")
    assert "Without MONUSCO (NB) (did not converge)" in s
    assert "NB (too few clusters for an interval)" in s
    fig, ax = plt.subplots()
    plots.coefficients(m2.to_frame(estimable_only=True), ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1].endswith("(NOT CONVERGED)") and labels[0].endswith("(no interval)")
    grey = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert len(grey) == 1 and np.allclose(grey[0].get_xdata(), [bad.irr])
    plt.close(fig)
