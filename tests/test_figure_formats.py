"""Which figure files a save writes: all three formats by default (the notebooks in Jupyter and
nbval), those of PKORESEARCH_FIGURE_FORMATS when set, which `pkoresearch run --figure-formats`
sets for its kernels (default png: the vector files on request)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pkoresearch import cli
from pkoresearch.batch import runner
from pkoresearch.errors import ParameterError
from pkoresearch.figures import plots


def _figure():
    fig, ax = plt.subplots()
    ax.plot([2015, 2016], [1, 2])
    return fig


def test_save_writes_the_formats_the_environment_names(tmp_path, monkeypatch):
    monkeypatch.delenv(plots.FORMATS_ENV, raising=False)
    fig = _figure()
    assert [p.suffix for p in plots.save(fig, tmp_path / "a.png", source="a test")] == [
        ".png",
        ".svg",
        ".pdf",
    ]
    monkeypatch.setenv(plots.FORMATS_ENV, "png")
    assert [p.name for p in plots.save(fig, tmp_path / "b.png", source="a test")] == ["b.png"]
    monkeypatch.setenv(plots.FORMATS_ENV, " PDF, png ")
    assert [p.name for p in plots.save(fig, tmp_path / "c.png", source="a test")] == [
        "c.png",
        "c.pdf",
    ]
    # a call that names its formats gets them, whatever the environment says
    assert [p.name for p in plots.save(fig, tmp_path / "d.svg", ["svg"], source="a test")] == [
        "d.svg"
    ]
    monkeypatch.setenv(plots.FORMATS_ENV, "png,jpeg")
    with pytest.raises(ParameterError, match=r"PKORESEARCH_FIGURE_FORMATS: found 'png,jpeg'"):
        plots.save(fig, tmp_path / "e.png", source="a test")
    assert not (tmp_path / "e.png").exists()
    plt.close(fig)


def test_the_runner_option_is_checked_and_defaults_to_png():
    assert runner.check_figure_formats(["png, SVG", "pdf", "png"]) == "png,svg,pdf"
    with pytest.raises(runner.RunConfigError, match=r"--figure-formats: found 'png,eps'"):
        runner.check_figure_formats(["png,eps"])
    with pytest.raises(runner.RunConfigError, match="--figure-formats"):
        runner.check_figure_formats([" , "])
    assert cli.build_parser().parse_args(["run"]).figure_formats == "png"


SAVES = """import matplotlib.pyplot as plt
from pkoresearch import plots
fig, ax = plt.subplots()
ax.plot([2015, 2016], [1, 2])
plots.save(fig, output_dir + "/trend.png", source="a test")"""


def test_a_batch_writes_the_formats_asked_for_and_leaves_the_environment_alone(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(plots.FORMATS_ENV, raising=False)
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = new_notebook(
        cells=[
            new_code_cell(
                'output_dir: str = ""  # output folder', metadata={"tags": ["parameters"]}
            ),
            new_code_cell(SAVES),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, nbs / "saves.ipynb")
    out = tmp_path / "out"
    for formats, expected in (
        (["png"], ["trend.png"]),
        (["png,svg,pdf"], ["trend.pdf", "trend.png", "trend.svg"]),
    ):
        m = runner.run_batch(
            [runner.Run("saves", "saves.ipynb", {})],
            output=out,
            html_report=False,
            notebooks=nbs,
            figure_formats=formats,
            progress=runner.Progress(1, stream=open("/dev/null", "w")),  # noqa: SIM115
        )
        assert m["failed"] == 0, json.dumps(m["runs"])
        assert sorted(p.name for p in (out / "runs" / "saves").glob("trend.*")) == expected
    import os

    assert plots.FORMATS_ENV not in os.environ
