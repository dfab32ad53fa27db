"""Plot helpers: the seaborn-style contract (data=, ax=, Axes returned) and files whose bytes
depend only on the input, across processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT

SCRIPT = (
    "import sys; sys.path.insert(0, sys.argv[2]); "
    "from plot_cases import draw_all; draw_all(sys.argv[1], ('png', 'svg', 'pdf'))"
)
BASELINE = ROOT / "tests" / "baseline"


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_each_plot_returns_its_axes_and_saves_identical_bytes_across_processes(tmp_path):
    runs = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        out.mkdir()
        subprocess.run(
            [sys.executable, "-c", SCRIPT, str(out), str(ROOT / "tests")],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(i)},
        )
        runs.append(_digests(out))
    assert len(runs[0]) == 42  # 14 plot functions, each as PNG, SVG and PDF
    assert runs[0] == runs[1]
    svg = (tmp_path / "run0" / "trend.svg").read_text()
    assert "<dc:date>" not in svg  # no timestamp in the file


def test_save_rejects_unknown_format(tmp_path):
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots

    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="expected a .png, .svg or .pdf"):
        plots.save(fig, tmp_path / "x.jpg")
    plt.close(fig)


def test_plot_uses_its_data_argument():
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots

    d = pd.DataFrame({"year": [2010, 2012], "g": ["a", "a"], "n": [2, 5]})
    fig, ax = plt.subplots()
    plots.heatmap(d, x="year", y="g", value="n", ax=ax)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2010", "2011", "2012"]  # the missing year is filled in
    plt.close(fig)


def test_each_plot_matches_its_committed_baseline(tmp_path):
    """Image regression: every plot function against tests/baseline/ (regenerate with
    `python tests/plot_cases.py tests/baseline` after a deliberate change)."""
    from matplotlib.testing.compare import compare_images

    from plot_cases import draw_all

    written = draw_all(tmp_path)
    assert {p.name for p in written} == {p.name for p in BASELINE.glob("*.png")}
    for p in written:
        # tol is an RMS over 0-255 pixel values: anti-aliasing noise passes, a moved line fails
        diff = compare_images(str(BASELINE / p.name), str(p), tol=3)
        assert diff is None, diff


def test_share_heatmap_shows_missing_as_missing_not_zero():
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from pkoresearch.figures import plots
    from plot_cases import MISSION_SHARES

    fig, ax = plt.subplots()
    plots.share_heatmap(MISSION_SHARES, ax=ax)
    cells = [t.get_text() for t in ax.texts]
    # 7 figures written (the true 0 of M3 in 2013 among them); the 2 missing cells get no number
    assert sorted(cells) == sorted(["3.1", "3.4", "3.5", "2.0", "1.2", "0.0", "0.5"])
    assert plots.caption_of(fig) == "* not a year-end figure (Feb 2014)"
    legend = [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().get_texts()]
    assert legend == ["no personnel: missing, not 0"]
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch() == "///"]
    assert sorted((p.get_x(), p.get_y()) for p in hatched) == [(1, 1), (2, 1)]  # M2 2013, 2014
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2012", "2013", "2014*"]
    with pytest.raises(ValueError):  # a repeated mission-year is not summed
        plots.share_heatmap(pd.concat([MISSION_SHARES, MISSION_SHARES.head(1)]), ax=ax)
    plt.close(fig)


def test_share_over_time_never_joins_two_definitions():
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots
    from plot_cases import SHARES

    fig, ax = plt.subplots()
    plots.share_over_time(SHARES, ax=ax)
    lines = [
        ln for ln in ax.get_lines() if ln.get_linestyle() in ("-", "--") and len(ln.get_xdata())
    ]
    spans = sorted((ln.get_linestyle(), list(ln.get_xdata())) for ln in lines)
    # 2015 is not a year-end figure: off the line, an open marker (issue 25 item 10)
    assert ("--", [2010, 2011, 2012, 2013]) in spans and ("-", [2014]) in spans
    assert not any(2015 in xs for style, xs in spans if style in ("-", "--") and len(xs) > 1)
    hollow = [
        ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white" and len(ln.get_xdata())
    ]
    assert sorted(x for ln in hollow for x in ln.get_xdata()) == [2015, 2015]


def test_heatmap_draws_missing_cells_as_missing_not_zero():
    import matplotlib.pyplot as plt
    import numpy as np

    from pkoresearch.figures import plots

    d = pd.DataFrame(
        {
            "year": [2010, 2011, 2012, 2010, 2012],
            "g": ["a", "a", "a", "b", "b"],
            "n": pd.array([2, 0, 5, 1, pd.NA], dtype="Int64"),
        }
    )
    fig, ax = plt.subplots()
    plots.heatmap(d, x="year", y="g", value="n", ax=ax, annot=True)
    mesh = ax.collections[0]
    values = np.ma.masked_invalid(np.ma.getdata(mesh.get_array()).astype(float))
    mask = np.ma.getmaskarray(mesh.get_array()) | np.ma.getmaskarray(values)
    grid = mask.reshape(2, 3)
    assert grid.tolist() == [[False, False, False], [False, True, True]]  # b 2011 absent, 2012 NA
    assert np.ma.getdata(mesh.get_array()).reshape(2, 3)[0, 1] == 0  # a real 0 stays 0
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("0") == 1
    plt.close(fig)
    fig, ax = plt.subplots()
    plots.heatmap(
        d.assign(complete=[True, True, False, True, False]), x="year", y="g", value="n", ax=ax
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2010", "2011", "2012 (partial)"]
    plt.close(fig)


def test_trend_marks_partial_periods_apart():
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots

    d = pd.DataFrame(
        {
            "year": [2020, 2021, 2022],
            "rate": [1.0, 1.2, 0.5],
            "ci_low": [0.8, 1.0, 0.3],
            "ci_high": [1.2, 1.4, 0.8],
            "complete": [True, True, False],
        }
    )
    fig, ax = plt.subplots()
    plots.trend(d, ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "partial year" in labels
    main = [ln for ln in ax.get_lines() if ln.get_label() == "Rate"][0]
    assert list(main.get_xdata()) == [2020, 2021]  # the partial year is not on the line
    partial = [ln for ln in ax.get_lines() if ln.get_label() == "partial year"][0]
    assert list(partial.get_xdata()) == [2022] and partial.get_markerfacecolor() == "white"
    plt.close(fig)
