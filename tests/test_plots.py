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

SCRIPT = r"""
import sys
import matplotlib.pyplot as plt
import pandas as pd
from pkoresearch import plots

out = sys.argv[1]
years = list(range(2010, 2016))
rates = pd.DataFrame({"year": years, "rate": [1.1, 0.9, 0.8, 0.85, 0.6, 0.7],
                      "ci_low": [0.9, 0.7, 0.6, 0.65, 0.45, 0.5],
                      "ci_high": [1.3, 1.1, 1.0, 1.05, 0.8, 0.9],
                      "fitted_rate": [1.0, 0.93, 0.86, 0.8, 0.74, 0.69]})
long = pd.DataFrame({"year": years * 2, "group": ["a"] * 6 + ["b"] * 6,
                     "allegations": [3, 4, 2, 5, 1, 0, 1, 1, 2, 0, 3, 4]})
figs = {
    "trend": lambda ax: plots.trend(rates, y="rate", fitted="fitted_rate", breakpoints=[2013], ax=ax,
                                    title="trend"),
    "stacked": lambda ax: plots.stacked_counts(long, hue="group", ax=ax, title="stacked"),
    "heatmap": lambda ax: plots.heatmap(long, x="year", y="group", value="allegations", annot=True,
                                        ax=ax, title="heat"),
    "bars": lambda ax: plots.grouped_bars(long, x="group", y="allegations", ax=ax, title="bars"),
    "confidence": lambda ax: plots.confidence_bars(
        pd.DataFrame({"dataset": ["x", "x", "y"], "confidence": ["high", "low", "medium"],
                      "rows": [3, 1, 2]}), ax=ax),
}
for name, draw in figs.items():
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    for ext in ("png", "svg", "pdf"):
        plots.save(fig, f"{out}/{name}.{ext}")
    plt.close(fig)
"""


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_each_plot_returns_its_axes_and_saves_identical_bytes_across_processes(tmp_path):
    runs = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        out.mkdir()
        subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONHASHSEED": str(i)})
        runs.append(_digests(out))
    assert len(runs[0]) == 15
    assert runs[0] == runs[1]
    svg = (tmp_path / "run0" / "trend.svg").read_text()
    assert "<dc:date>" not in svg  # no timestamp in the file


def test_save_rejects_unknown_format(tmp_path):
    import matplotlib.pyplot as plt

    from pkoresearch import plots

    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="expected a .png, .svg or .pdf"):
        plots.save(fig, tmp_path / "x.jpg")
    plt.close(fig)


def test_plot_uses_its_data_argument():
    import matplotlib.pyplot as plt

    from pkoresearch import plots

    d = pd.DataFrame({"year": [2010, 2012], "g": ["a", "a"], "n": [2, 5]})
    fig, ax = plt.subplots()
    plots.heatmap(d, x="year", y="g", value="n", ax=ax)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2010", "2011", "2012"]  # the missing year is filled in
    plt.close(fig)
