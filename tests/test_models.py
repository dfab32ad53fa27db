"""The model machinery the mission panel (notebook 04) and the contingent panel (notebook 05)
share (analysis/models.py): separated fixed-effect levels, the design matrix, the result and table
bases. Synthetic data with answers worked out by hand."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from pkoresearch.analysis import contingents as cg
from pkoresearch.analysis import models
from pkoresearch.analysis import panel as P
from pkoresearch.errors import NotEstimable


def test_doctest():
    assert doctest.testmod(models).failed == 0


def test_drop_separated_levels_by_hand():
    # mission C has no allegation; year 3 has none; after dropping C, year 4 has only C's rows
    d = pd.DataFrame(
        {
            "mission": ["A", "A", "A", "B", "B", "B", "C", "C", "C", "C"],
            "year": [1, 2, 3, 1, 2, 3, 1, 2, 3, 4],
            "y": [2, 1, 0, 3, 0, 0, 0, 0, 0, 0],
        }
    )
    kept, dropped = models.drop_separated(d, "y", ["mission", "year"])
    # C's rows go first, and with them year 4 entirely: it is not a separated year any more
    assert dropped == {"mission": ("C",), "year": (3,)}
    assert list(zip(kept["mission"], kept["year"])) == [("A", 1), ("A", 2), ("B", 1), ("B", 2)]
    assert list(kept.index) == [0, 1, 2, 3]
    # the other order names year 4 as well: the same rows are kept
    kept2, dropped2 = models.drop_separated(d, "y", ["year", "mission"])
    assert dropped2 == {"year": (3, 4), "mission": ("C",)}
    assert kept2.equals(kept)
    # the mission panel's and the contingent panel's wrappers over it
    rows, missions, levels = P.drop_separated(d, "y", mission_fe=True)
    assert missions == ("C",) and levels == ("year 3",) and rows.equals(kept)
    rows, n = cg.drop_separated(d, "y", ("mission", "year"))
    assert n == 6 and rows.equals(kept)


def test_drop_separated_keeps_everything_when_nothing_has_an_outcome():
    d = pd.DataFrame({"g": ["a", "b"], "y": [0, 0]})
    kept, dropped = models.drop_separated(d, "y", ["g"])
    assert len(kept) == 2 and dropped == {"g": ()}
    # the contingent fit then says why, instead of fitting no rows
    cells = [(c, m, y) for c in "ABCD" for m in "XY" for y in (2016, 2017)]
    d = pd.DataFrame(cells, columns=["iso3", "mission", "year"]).assign(
        allegations=0, share_pct=np.arange(16) / 2, exposure=100.0
    )
    d["mission_year"] = d["mission"] + " " + d["year"].astype(str)
    with pytest.raises(NotEstimable, match="no allegation in the sample"):
        cg.fit(d, cg.Specification("p", "P"))


def test_design_by_hand():
    d = pd.DataFrame({"share_pct": [1.5, 2.0, 3.0], "year": [2017, 2016, 2017], "m": list("bab")})
    X = models.design(d, "share_pct", ["year", "m"])
    assert list(X.columns) == ["const", "share_pct", "year[2017]", "m[b]"]
    assert X.to_numpy().tolist() == [[1, 1.5, 1, 1], [1, 2.0, 0, 0], [1, 3.0, 1, 1]]
    # the mission panel's names
    d = d.rename(columns={"m": "mission"})
    assert list(P.design(d, "share_pct", mission_fe=True).columns) == [
        "const",
        "share_pct",
        "year_2017",
        "mission_b",
    ]


def test_share_measured():
    assert models.share_measured("share_pct") == "same year"
    assert models.share_measured("share_pct_lag2") == "2 year(s) earlier"


def test_unavailable_results_and_empty_tables_keep_their_columns():
    spec = P.Specification("nb", "NB", "negbin", "uniformed")
    r = P.ModelResult.unavailable(spec, "too few", n=7, n_missions=3)
    assert (r.n, r.n_missions, r.not_estimable, r.converged) == (7, 3, "too few", False)
    assert math.isnan(r.irr) and r.dispersion is None and not r.usable
    c = cg.ModelResult.unavailable(cg.Specification("m", "M"), "why", n=4, clusters=0, dropped=0)
    assert (c.n, c.clusters, c.not_estimable) == (4, 0, "why") and math.isnan(c.ci_low)
    empty = pd.DataFrame()
    t = P.ModelTable(results=[], sample=empty, steps=empty, outcome="uniformed")
    assert list(t.to_frame().columns) == P.ModelTable.COLUMNS and t.to_frame().empty
    t = cg.ModelTable(results=[c], sample=empty, steps=empty)
    assert list(t.to_frame().columns) == cg.ModelTable.COLUMNS
    assert t.to_frame(estimable_only=True).empty
    assert list(t.to_frame(estimable_only=True).columns) == cg.ModelTable.COLUMNS
    with pytest.raises(TypeError):  # keyword fields only: no silent positional mix-up
        P.ModelResult(spec, *[np.nan] * 6)
