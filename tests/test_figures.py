"""Publication checks on the figures (issue 14): lines break at missing periods, missing heat-map
cells are not drawn as 0, legends cover no data, every figure names its source, labels are words
rather than column names, and files are written at 200 dpi in three formats.

Every check works on matplotlib's own artists after a draw (``fig.canvas.draw()``), so a change
that moves a legend onto the data, joins a line across a gap or fills a gap with 0 fails here."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pandas as pd
import pytest

import plot_cases


@pytest.fixture
def plt():
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


# --------------------------------------------------------------------------------------------------
# helpers


def _runs(line) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pieces a Line2D draws: consecutive finite points (a NaN ends a piece)."""
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    runs, start = [], None
    for i, good in enumerate([*ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            runs.append((x[start:i], y[start:i]))
            start = None
    return runs


def _longest_step(ax) -> float:
    """The widest x distance any drawn line segment spans (0 with no segment)."""
    steps = [
        float(np.max(np.diff(x)))
        for line in ax.get_lines()
        if line.get_linestyle() != "None"
        for x, _ in _runs(line)
        if len(x) > 1
    ]
    return max(steps, default=0.0)


def _overlap(a, b) -> bool:
    """True when two display boxes share an area (touching edges do not count)."""
    return (min(a.x1, b.x1) - max(a.x0, b.x0)) > 0.5 and (min(a.y1, b.y1) - max(a.y0, b.y0)) > 0.5


def _real(box) -> bool:
    return (
        box is not None
        and np.all(np.isfinite(box.get_points()))
        and (box.width > 0 or box.height > 0)
    )


def _data_artists(fig):
    """What a legend must not cover: every line, patch (bar), collection (band, points, mesh) and
    text (bar labels, annotations) drawn in the data area of each Axes, with its display box."""
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        for a in [*ax.lines, *ax.patches, *ax.collections, *ax.texts]:
            if not a.get_visible():
                continue
            box = a.get_window_extent(renderer)
            if _real(box):
                # artists clipped to the axes cannot be seen outside it
                clip = ax.get_window_extent(renderer) if a.get_clip_on() else None
                if clip is not None:
                    from matplotlib.transforms import Bbox

                    box = Bbox.intersection(box, clip)
                    if box is None:
                        continue
                out.append((a, box))
    return out


def _legends(fig):
    return [lg for lg in [*(ax.get_legend() for ax in fig.axes), *fig.legends] if lg is not None]


def _draw_case(plt, name):
    fig, ax = plt.subplots()
    plot_cases.cases()[name](ax)
    fig.canvas.draw()
    return fig, ax


def _words(fig) -> list[str]:
    """Every axis label, legend title and legend entry of a figure."""
    texts = []
    for ax in fig.axes:
        texts += [ax.get_xlabel(), ax.get_ylabel()]
    for lg in _legends(fig):
        texts.append(lg.get_title().get_text())
        texts += [t.get_text() for t in lg.get_texts()]
    return [t for t in texts if t]


# --------------------------------------------------------------------------------------------------
# lines break at missing periods


def test_trend_draws_no_segment_across_missing_years(plt):
    from pkoresearch.figures import plots

    years = [2010, 2011, 2012, 2016, 2017, 2018]  # 2013-2015 have no row at all
    d = pd.DataFrame(
        {
            "year": years,
            "rate": [1.0, 1.1, 0.9, 0.7, 0.8, 0.6],
            "ci_low": [0.8, 0.9, 0.7, 0.5, 0.6, 0.4],
            "ci_high": [1.2, 1.3, 1.1, 0.9, 1.0, 0.8],
            "fitted": [1.05, 1.0, 0.95, 0.75, 0.7, 0.65],
        }
    )
    fig, ax = plt.subplots()
    plots.trend(d, fitted="fitted", ax=ax, source="a test")
    assert _longest_step(ax) == 1  # yearly steps only: no line from 2012 to 2016
    # the interval band is two pieces, neither covering 2014
    for coll in ax.collections:
        for path in coll.get_paths():
            xs = path.vertices[:, 0]
            assert not (xs.min() < 2014 < xs.max()), "the band spans the missing years"
    # a row present with a missing rate is a gap too
    fig, ax = plt.subplots()
    with_na = pd.concat(
        [
            d,
            pd.DataFrame(
                {"year": [2013], "rate": [np.nan], "ci_low": [np.nan], "ci_high": [np.nan]}
            ),
        ]
    ).sort_values("year")
    plots.trend(with_na, ax=ax, source="a test")
    assert _longest_step(ax) == 1


def test_share_over_time_draws_no_segment_across_2014_2019(plt):
    from pkoresearch.figures import plots

    # one category, one definition, figures for 2009-2014 and 2019-2021 (as the curated shares)
    years = [2009, 2010, 2011, 2012, 2013, 2014, 2019, 2020, 2021]
    d = pd.DataFrame(
        {
            "year": years,
            "category": "military_contingents",
            "definition": "a",
            "share_pct": [2.0, 2.4, 2.4, 2.7, 2.8, 3.0, 4.4, 4.8, 5.2],
            "complete": True,
        }
    )
    fig, ax = plt.subplots()
    plots.share_over_time(d, ax=ax, source="a test")
    assert _longest_step(ax) == 1
    drawn = sorted(float(x) for line in ax.get_lines() for xs, _ in _runs(line) for x in xs)
    assert set(years) <= set(drawn)  # every figure is still drawn
    # monthly figures: a missing month breaks the line as well
    months = pd.to_datetime(["2013-01-31", "2013-02-28", "2013-03-31", "2013-06-30", "2013-07-31"])
    m = pd.DataFrame({"date": months, "category": "police", "share_pct": [9.0, 9.1, 9.3, 9.5, 9.6]})
    fig, ax = plt.subplots()
    plots.share_over_time(m, x="date", ax=ax, source="a test")
    import matplotlib.dates as mdates

    joined = [line for line in ax.get_lines() if line.get_linestyle() != "None"]
    pieces = [x for line in joined for x, _ in _runs(_as_days(line))]
    steps = [np.diff(x).max() for x in pieces if len(x) > 1]
    assert steps and max(steps) <= 31  # days: March to June is not joined
    assert max(x.max() for x in pieces) == mdates.date2num(months[-1])  # July still drawn


def _as_days(line):
    """A copy of a line's data with dates as matplotlib day numbers (NaN stays NaN)."""
    import matplotlib.dates as mdates
    from matplotlib.lines import Line2D

    x = np.asarray(line.get_xdata())
    if np.issubdtype(x.dtype, np.datetime64):
        x = np.where(np.isnat(x), np.nan, mdates.date2num(x))
    return Line2D(x, np.asarray(line.get_ydata(), dtype=float))


# --------------------------------------------------------------------------------------------------
# missing heat-map cells are drawn as missing


def _cell_colour(fig, ax, col: int, row: int) -> np.ndarray:
    """Mean RGB of a heat-map cell as rendered, near its top-left corner (clear of the number
    written in its middle)."""
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
    x, y = ax.transData.transform((col + 0.22, row + 0.25))
    r, c = int(round(img.shape[0] - y)), int(round(x))
    return img[r - 3 : r + 4, c - 3 : c + 4].reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("function", ["heatmap", "share_heatmap"])
def test_heatmap_does_not_draw_a_missing_cell_as_zero(plt, function):
    from pkoresearch.figures import plots

    # b 2011 has no row, b 2012 a missing value; a 2011 is a real 0
    d = pd.DataFrame(
        {
            "year": [2010, 2011, 2012, 2010, 2012],
            "g": ["a", "a", "a", "b", "b"],
            "n": pd.array([2, 0, 5, 1, pd.NA], dtype="Int64"),
        }
    )
    fig, ax = plt.subplots()
    if function == "heatmap":
        plots.heatmap(d, x="year", y="g", value="n", ax=ax, source="a test")
    else:
        full = pd.concat([d, pd.DataFrame({"year": [2011], "g": ["b"], "n": [pd.NA]})])
        plots.share_heatmap(full.astype({"n": "Float64"}), y="g", value="n", ax=ax, source="a test")
    mesh = next(c for c in ax.collections if hasattr(c, "get_array") and c.get_array() is not None)
    arr = mesh.get_array()
    grid = np.ma.getmaskarray(arr) | ~np.isfinite(np.ma.getdata(arr).astype(float))
    assert grid.reshape(2, 3).tolist() == [[False, False, False], [False, True, True]]
    zero = np.asarray(mesh.cmap(mesh.norm(0.0))[:3])
    assert np.abs(_cell_colour(fig, ax, 1, 0) - zero).max() < 0.02  # the real 0 looks like 0
    for col in (1, 2):  # the missing cells do not
        assert np.abs(_cell_colour(fig, ax, col, 1) - zero).max() > 0.05
    labels = [t.get_text() for lg in _legends(fig) for t in lg.get_texts()]
    assert any("missing" in t for t in labels), labels  # a legend entry says what grey means


# --------------------------------------------------------------------------------------------------
# legends cover no data, for every public plot function


def test_every_public_plot_function_has_a_case():
    from pkoresearch.figures import plots

    public = {
        n
        for n, f in inspect.getmembers(plots, inspect.isfunction)
        if f.__module__ == plots.__name__
        and not n.startswith("_")
        and "ax" in inspect.signature(f).parameters
    }
    assert public <= set(plot_cases.FUNCTIONS.values()), public - set(plot_cases.FUNCTIONS.values())
    assert set(plot_cases.FUNCTIONS) == set(plot_cases.cases())


@pytest.mark.parametrize("name", sorted(plot_cases.FUNCTIONS))
def test_legend_covers_no_data(plt, name):
    fig, _ = _draw_case(plt, name)
    renderer = fig.canvas.get_renderer()
    artists = _data_artists(fig)
    assert artists
    for lg in _legends(fig):
        box = lg.get_window_extent(renderer)
        hits = [type(a).__name__ for a, b in artists if _overlap(box, b)]
        assert not hits, f"{name}: the legend covers {hits}"


@pytest.mark.parametrize("name", sorted(plot_cases.FUNCTIONS))
def test_labels_are_words_not_column_names(plt, name):
    fig, _ = _draw_case(plt, name)
    raw = {"share pct", "decided", "tcc", "un oios", "personnel category"}  # as drawn before
    vague = {"value", "what", "rows"}
    for text in _words(fig):
        assert "_" not in text, f"{name}: {text!r}"
        assert text.strip() not in raw and text.strip().lower() not in vague, f"{name}: {text!r}"


@pytest.mark.parametrize("name", sorted(plot_cases.FUNCTIONS))
def test_tick_labels_do_not_overlap(plt, name):
    fig, _ = _draw_case(plt, name)
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for ticks in (ax.get_xticklabels(), ax.get_yticklabels()):
            boxes = [
                t.get_window_extent(renderer) for t in ticks if t.get_visible() and t.get_text()
            ]
            for a, b in itertools.combinations(boxes, 2):
                assert not _overlap(a, b), f"{name}: tick labels overlap"


def test_long_category_names_do_not_overlap(plt):
    from pkoresearch.figures import plots

    # the 2011 report's organizations figure: long two-line names under seven bars
    names = [
        f"{o}\n{m}"
        for o, m in [
            ("UN", "peacekeeping personnel deployed"),
            ("UN", "civilian personnel in missions"),
            ("NATO", "troops in ISAF Afghanistan"),
            ("NATO", "troops in KFOR Kosovo"),
            ("OSCE", "field personnel all missions"),
            ("OSCE", "seconded staff in field operations"),
            ("UN", "police personnel deployed"),
        ]
    ]
    d = pd.DataFrame({"what": names, "value": [98000, 22000, 130000, 6000, 2500, 400, 14000]})
    fig, ax = plt.subplots(figsize=(7, 3.6))
    plots.grouped_bars(
        d, x="what", y="value", log=True, ax=ax, xlabel="", ylabel="personnel", source="a test"
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert len(boxes) == 7
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b)


# --------------------------------------------------------------------------------------------------
# every figure names its source


@pytest.mark.parametrize("name", sorted(plot_cases.FUNCTIONS))
def test_every_saved_figure_has_a_caption_naming_a_source(plt, tmp_path, name):
    from pkoresearch.figures import plots

    fig, _ = _draw_case(plt, name)
    written = plots.save(fig, tmp_path / f"{name}.png")
    text = plots.caption_of(fig)
    assert text.startswith("Source") or "\nSource" in text, text
    assert [p.suffix for p in written] == [".png", ".svg", ".pdf"]
    # the caption lies inside the saved picture, under the axes, and overlaps no other text
    renderer = fig.canvas.get_renderer()
    cap = next(a for a in fig.get_children() if a.get_gid() == plots.CAPTION_GID)
    box = cap.get_window_extent(renderer)
    whole = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    assert whole.x0 - 1 <= box.x0 and box.x1 <= whole.x1 + 1 and whole.y0 - 1 <= box.y0
    for ax in fig.axes:
        assert box.y1 <= ax.get_tightbbox(renderer).y0 + 1


def test_save_refuses_a_figure_without_a_source(plt, tmp_path):
    from pkoresearch.errors import ParameterError
    from pkoresearch.figures import plots

    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    with pytest.raises(ParameterError, match="names no source"):
        plots.save(fig, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())  # nothing half-written
    plots.save(fig, tmp_path / "x.png", source="my own count")  # a source given at save time
    assert plots.caption_of(fig) == "Source: my own count."


def test_caption_is_built_from_the_provenance_primary_un_documents_first(plt):
    from pkoresearch.figures import plots

    # a secondary source (a newspaper) and two records of one UN report (A/70/729)
    d = pd.DataFrame(
        {
            "year": [2013, 2014, 2015],
            "rate": [1.0, 2.0, 3.0],
            "ci_low": [0.5, 1.5, 2.5],
            "ci_high": [1.5, 2.5, 3.5],
            "source_id": ["a-69-779-d21128", "a-70-729-a9859e", "a-70-729-366219"],
        }
    )
    fig, ax = plt.subplots()
    plots.trend(d, ax=ax)  # no source given: taken from the rows' source_id
    text = plots.caption_of(fig)
    assert text.startswith("Source: UN document A/70/729. Secondary: Agence Afrique"), text
    assert text.count("A/70/729") == 1
    # only the rows drawn are cited
    fig, ax = plt.subplots()
    plots.trend(d.assign(rate=[np.nan, 2.0, 3.0]), ax=ax)
    assert "Agence Afrique" not in plots.caption_of(fig)


def test_caption_names_a_un_file_read_by_a_reader(plt, tmp_path):
    from types import SimpleNamespace

    from pkoresearch.data import registry
    from pkoresearch.figures import captions

    entry = registry.get("un_allegations")
    table = SimpleNamespace(path=tmp_path / entry.filename)  # what the readers return: .path
    text = captions.source_text([table, "tip2011-seed"])
    assert text.startswith(f"Sources: {entry.title} ({entry.filename}); US Department of State"), (
        text
    )
    with pytest.raises(KeyError):
        captions.source_text(pd.DataFrame({"source_id": ["no-such-source"]}))


# --------------------------------------------------------------------------------------------------
# breakpoints, targets, files


def test_breakpoint_labels_are_inside_the_picture_and_readable(plt):
    from pkoresearch.figures import plots

    fig, ax = plt.subplots()
    plots.trend(
        plot_cases.RATES,
        breakpoints=[2011, 2013],
        counting_changes=[2012],
        ax=ax,
        title="A long title that spans most of the width of the axes above",
        source="x",
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text() in ("2011", "2013")]
    assert len(labels) == 2
    whole = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    others = [
        ax.title.get_window_extent(renderer),
        *[lg.get_window_extent(renderer) for lg in _legends(fig)],
        *[
            b
            for a, b in _data_artists(fig)
            if a not in labels and not (hasattr(a, "get_xdata") and len(set(a.get_xdata())) == 1)
        ],
    ]
    for t in labels:
        box = t.get_window_extent(renderer)
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and box.y1 <= whole.y1
        assert not any(_overlap(box, o) for o in others), t.get_text()


def test_parity_targets_are_labelled(plt):
    from pkoresearch.figures import plots

    fig, ax = plt.subplots()
    plots.share_over_time(plot_cases.SHARES, targets=plot_cases.TARGETS, ax=ax, source="x")
    fig.canvas.draw()
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["10%", "15%"], texts
    renderer = fig.canvas.get_renderer()
    whole = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    for t in ax.texts:
        box = t.get_window_extent(renderer)
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1


def test_save_with_show_displays_the_saved_png_at_screen_size_and_closes_the_figure(
    plt, tmp_path, monkeypatch
):
    import io

    import IPython.display
    from PIL import Image

    from pkoresearch.figures import plots

    shown = []
    monkeypatch.setattr(plots, "_in_jupyter_kernel", lambda: True)  # as in a notebook
    monkeypatch.setattr(IPython.display, "display", shown.append)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2], [1, 2])
    written = plots.save(fig, tmp_path / "fig.png", source="x", show=True)
    assert not plt.fignum_exists(fig.number)  # the inline backend will not draw it again
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Image)
    with Image.open(written[0]) as saved, Image.open(io.BytesIO(shown[0].data)) as screen:
        # the saved file at screen resolution: half of 200 dpi, the same picture
        assert screen.size == (round(saved.width / 2), round(saved.height / 2))
        a = np.asarray(saved.convert("L").resize(screen.size), dtype=float)
        b = np.asarray(screen.convert("L"), dtype=float)
        assert np.abs(a - b).mean() < 3

    # outside a notebook nothing is displayed and the figure stays open (for plt.show())
    monkeypatch.setattr(plots, "_in_jupyter_kernel", lambda: False)
    fig2, ax2 = plt.subplots()
    ax2.plot([1, 2], [2, 1])
    plots.save(fig2, tmp_path / "fig2.png", source="x", show=True)
    assert len(shown) == 1 and plt.fignum_exists(fig2.number)
    # without a PNG among the formats the figure itself is displayed
    monkeypatch.setattr(plots, "_in_jupyter_kernel", lambda: True)
    fig3, ax3 = plt.subplots()
    ax3.plot([1, 2], [2, 1])
    plots.save(fig3, tmp_path / "fig3.svg", formats=("svg",), source="x", show=True)
    assert shown[-1] is fig3


def test_save_writes_png_at_200_dpi_svg_and_pdf(plt, tmp_path):
    from PIL import Image

    from pkoresearch.figures import plots

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2], [1, 2])
    written = plots.save(fig, tmp_path / "sub" / "fig.png", source="x")
    assert [p.name for p in written] == ["fig.png", "fig.svg", "fig.pdf"]
    with Image.open(written[0]) as im:
        assert [round(v) for v in im.info["dpi"]] == [200, 200]
        assert im.size[0] > 4 * 200 * 0.8  # the pixels follow: not a 100 dpi picture
    assert written[1].read_text().lstrip().startswith("<?xml")
    assert written[2].read_bytes().startswith(b"%PDF")
    assert plots.save(fig, tmp_path / "only.svg", formats=("svg",), source="x") == [
        tmp_path / "only.svg"
    ]
