"""One theme and figure functions in the seaborn style: ``data=`` plus column names, optional
``ax=``, and the Axes returned.

Every figure says where its data come from: each plot function writes a caption under the figure
built from the provenance of what it draws (the ``source_id`` of curated rows, or ``source=``: source
ids, a UN reader's result, a file, a sentence; see :func:`pkoresearch.figures.captions.source_text`),
primary UN documents by symbol first. Axis and legend titles are words, not column names
(:func:`readable`); legends sit outside the data area; lines break where a period is missing;
missing heat-map cells are hatched grey with a legend entry, never drawn as 0.

:func:`save` writes PNG (200 dpi), SVG and PDF files whose bytes depend only on the figure (no
dates, no software versions, a fixed SVG hash salt), and refuses a figure that names no source.

matplotlib and seaborn are imported when this module is first used, not by ``import pkoresearch``.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib


def _in_jupyter_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


if _in_jupyter_kernel():  # figures show inline even where MPLBACKEND says otherwise
    matplotlib.use("module://matplotlib_inline.backend_inline")
elif not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from pkoresearch.errors import ParameterError  # noqa: E402
from pkoresearch.figures.captions import source_text  # noqa: E402

PALETTE = "colorblind"  # seaborn's colour-blind-safe palette (the Okabe-Ito hues)
FIGSIZE = (7.0, 4.0)
DPI = 100  # on screen
SAVE_DPI = 200  # PNG files
FORMATS = ("png", "svg", "pdf")
# the formats save() writes when a call names none (comma-separated; `pkoresearch run
# --figure-formats` sets it for its kernels); unset: FORMATS
FORMATS_ENV = "PKORESEARCH_FIGURE_FORMATS"
CAPTION_GID = "pkoresearch-caption"
CONFIDENCE_COLORS = {"high": "#0173b2", "medium": "#de8f05", "low": "#d55e00"}
MISSING_COLOR, MISSING_EDGE, MISSING_HATCH = "0.88", "0.6", "///"

# what a column or a code is called on a figure (anything else: underscores become spaces)
LABELS = {
    "year": "Year",
    "date": "Month",
    "report_year": "Reporting year",
    "label": "Reporting year",
    "share_pct": "Women, % of personnel",
    "allegations": "Allegations",
    "rows": "Sourced figures (table rows)",
    "dataset": "Dataset",
    "mission": "Mission",
    "personnel_category": "Personnel category",
    "category": "Category",
    "confidence": "Confidence",
    "decided": "Requests decided",
    "rate": "Rate",
    "result": "Outcome",
    "state": "State",
    "country": "Contributor",
    "contributor": "Contributor",
    "nationality": "Contributor",
    "irr": "Incidence rate ratio",
    "specification": "Model",
    "value": "Value",
    "personnel": "Personnel",
    # investigating entities in the UN table of allegations
    "tcc": "troop-contributing country",
    "pcc": "police-contributing country",
    "un_oios": "UN OIOS",
    "tcc_oios_joint": "contributing country with OIOS",
    "un_mission": "UN mission",
    "un_review": "UN review",
    "not_yet_assigned": "not yet assigned",
    "for_information": "for information only",
    "non_un": "non-UN entity",
    "host_state": "host state",
}


# a share series' definition (pkoresearch.analysis.participation.DEFINITIONS) in the words of a legend,
# where it says more than its category's name
DEFINITION_LABELS = {
    "experts_on_mission": "military experts on mission (staff officers inside troops)",
    "troops_with_staff_officers": "troops, staff officers included",
    "staff_officers_and_experts": "staff officers and military experts",
    "contingent_troops": "contingent troops (staff officers apart)",
}


def theme() -> None:
    """Set fonts, the colour-blind-safe palette, sizes and the settings that make saved files
    reproducible. Applied when the module is imported; call again after changing rcParams."""
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=PALETTE,
        font="DejaVu Sans",
        rc={
            "figure.figsize": FIGSIZE,
            "figure.dpi": DPI,
            "savefig.dpi": SAVE_DPI,
            "savefig.bbox": "tight",
            "savefig.pad_inches": 0.1,
            "svg.hashsalt": "pkoresearch",
            "svg.fonttype": "path",
            "pdf.fonttype": 42,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "legend.fontsize": 8,
            "legend.title_fontsize": 9,
            "legend.frameon": False,
        },
    )


theme()


def readable(name: Any, capital: bool = True) -> str:
    """The words a figure shows for a column name or a code: ``LABELS`` where it has one, else the
    name with spaces for underscores (first letter capitalised with ``capital``).

    Example: ``readable("share_pct")`` gives "Women, % of personnel"
    """
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:] if capital else text


# --------------------------------------------------------------------------------------------------
# captions


def _figure(fig_or_ax):
    from matplotlib.figure import FigureBase

    return fig_or_ax if isinstance(fig_or_ax, FigureBase) else fig_or_ax.figure


def _caption_artist(fig):
    return next((a for a in fig.get_children() if a.get_gid() == CAPTION_GID), None)


def caption_of(fig_or_ax) -> str:
    """The caption written under a figure ("" when it has none)."""
    art = _caption_artist(_figure(fig_or_ax))
    return "" if art is None else art.get_text()


def caption(fig_or_ax, source: Any = None, note: str | None = None):
    """Write (or extend) the caption under a figure: ``note`` (what the figure counts, how
    missing values are drawn) and the line naming ``source`` (see
    :func:`pkoresearch.figures.captions.source_text`). The caption sits under every Axes of the figure,
    inside the saved picture. Returns the caption artist (None when there is nothing to write).

    Example: ``plots.caption(fig, source=pko.load("allegations"), note="2024: January-July")``
    """
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

    fig = _figure(fig_or_ax)
    lines = [note.strip()] if note and note.strip() else []
    src = source_text(source)
    if src:
        lines.append(src)
    art = _caption_artist(fig)
    if not lines:
        return art
    if art is None:

        def under_axes(renderer):
            boxes = [a.get_tightbbox(renderer) for a in fig.axes if a.get_visible()]
            boxes = [b for b in boxes if b is not None and b.width > 0]
            return Bbox.union(boxes) if boxes else fig.bbox

        art = Annotation(
            "",
            xy=(0, 0),
            xycoords=under_axes,
            xytext=(0, -6),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=7,
            color="0.25",
            gid=CAPTION_GID,
        )
        art.pko_lines = []
        fig.add_artist(art)
    for line in lines:
        if line not in art.pko_lines:
            art.pko_lines.append(line)
    width = max(60, int(fig.get_figwidth() * 72 / (7 * 0.55)))
    notes = [ln for ln in art.pko_lines if not ln.startswith(("Source", "Secondary"))]
    sources = [ln for ln in art.pko_lines if ln.startswith(("Source", "Secondary"))]
    art.set_text(
        "\n".join(
            textwrap.fill(ln, width, break_long_words=False, break_on_hyphens=False)
            for ln in notes + sources
        )
    )
    return art


def _finish(
    ax, source: Any, data: Any = None, note: str | None = None, title: str | None = None
) -> None:
    """Caption (the source given, else the ``source_id`` of the rows drawn), title, tick labels."""
    if source is None and isinstance(data, pd.DataFrame) and "source_id" in data.columns:
        source = data
    caption(ax, source, note)
    if title:
        ax.set_title(title, pad=16 if getattr(ax, "_pko_top_labels", False) else 6)
    _fit_ticklabels(ax)


# --------------------------------------------------------------------------------------------------
# saving


_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def title_of(fig_or_ax) -> str:
    """The figure's title as one line: its suptitle and every axes title, lines joined by " — ".
    :func:`save` writes it into the files (PNG text chunk ``Title``, SVG ``<title>``, PDF
    ``Title``), so a figure taken out of its report still says what it shows."""
    fig = _figure(fig_or_ax)
    parts = []
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        parts.append(fig._suptitle.get_text())
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            t = ax.get_title(loc)
            if t:
                parts.append(t)
    return " — ".join(" ".join(line.split()) for part in parts for line in part.splitlines())


def _described(fmt: str, title: str, caption_text: str) -> dict[str, str]:
    """The title and caption as file metadata (empty values are left out)."""
    keys = {
        "png": ("Title", "Description"),
        "svg": ("Title", "Description"),
        "pdf": ("Title", "Subject"),
    }[fmt]
    return {k: v for k, v in zip(keys, (title, " ".join(caption_text.split()))) if v}


def figure_formats() -> tuple[str, ...]:
    """The formats :func:`save` writes when a call names none: those of the environment
    variable ``PKORESEARCH_FIGURE_FORMATS`` (e.g. ``png`` or ``png,svg,pdf``; set by
    ``pkoresearch run --figure-formats`` for its kernels), else all of ``FORMATS``. A value
    naming another format is a ``ParameterError``."""
    raw = os.environ.get(FORMATS_ENV, "").strip()
    if not raw:
        return FORMATS
    wanted = tuple(f.strip().lower() for f in raw.split(",") if f.strip())
    if not wanted or any(f not in _METADATA for f in wanted):
        raise ParameterError(
            f"{FORMATS_ENV}: found {raw!r}; expected formats among png, svg, pdf separated "
            "by commas"
        )
    return wanted


def save(
    fig,
    path: str | os.PathLike[str],
    formats: Sequence[str] | None = None,
    source: Any = None,
    show: bool = False,
) -> list[Path]:
    """Save a figure as PNG (200 dpi), SVG and PDF beside each other (``fig.png``, ``fig.svg``,
    ``fig.pdf``: the name of ``path`` with each suffix of ``formats``; default
    :func:`figure_formats`, all three unless the environment says otherwise); the format of
    ``path`` is always written. The same figure always gives the same bytes. Returns the files
    written, the format of ``path`` first.

    The figure must name its source: plot functions write the caption; for a figure of your own
    pass ``source=`` (source ids, a frame with a ``source_id`` column, a reader's result or a
    sentence). A figure without one is refused (``ParameterError``) and nothing is written.
    Parent folders are created.

    ``show=True`` (what the notebooks do) then, in a notebook, shows the saved PNG at screen
    size and closes the figure: what the notebook shows is the file, and the figure is not
    drawn a fourth time for the screen (:func:`show_saved`; elsewhere it does nothing).

    Example: ``plots.save(fig, out / "rates.png", show=True)``
    """
    p = Path(path)
    fmt = p.suffix.lstrip(".").lower()
    if formats is None:
        formats = figure_formats()
    wanted = [f.lower() for f in formats]
    if fmt not in _METADATA or any(f not in _METADATA for f in wanted):
        raise ValueError(
            f"plots.save: {p.name} with formats {list(formats)}: expected a .png, "
            ".svg or .pdf file name and formats among png, svg, pdf"
        )
    if source is not None:
        caption(fig, source)
    if "Source" not in caption_of(fig):
        raise ParameterError(
            f"plots.save: {p.name}: the figure names no source; expected a caption naming one: "
            "pass source= to the plot function or to plots.save (source ids, a frame with a "
            "source_id column, a reader's result, or a sentence)"
        )
    order = [fmt, *[f for f in wanted if f != fmt]]
    title, described = title_of(fig), caption_of(fig)
    p.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context({"svg.hashsalt": "pkoresearch"}):
        box = _saved_area(fig)
        for f in order:
            target = p.with_suffix(f".{f}")
            fig.savefig(
                target,
                format=f,
                metadata={**_METADATA[f], **_described(f, title, described)},
                dpi=SAVE_DPI if f == "png" else "figure",
                bbox_inches=box,
            )
            written.append(target)
    if show:
        png = next((w for w in written if w.suffix == ".png"), None)
        show_saved(fig, png)
    return written


def show_saved(fig, png: Path | None) -> None:
    """Show a saved figure in a notebook (a Jupyter kernel): the PNG file ``png`` scaled to
    screen size (``DPI`` of ``SAVE_DPI``), or the figure itself drawn when no PNG was saved; then
    close the figure, so that the inline backend does not draw it again at the end of the cell.
    Elsewhere (a script, a terminal) nothing happens: the figure stays open for ``plt.show()``."""
    if not _in_jupyter_kernel():
        return
    from IPython.display import Image, display

    if png is None:
        display(fig)
    else:
        display(Image(data=_screen_png(png)))
    plt.close(fig)


def _screen_png(png: Path) -> bytes:
    """The PNG file resampled from ``SAVE_DPI`` to ``DPI`` (Lanczos), as PNG bytes; the file as
    it is when it is not larger."""
    import io

    from PIL import Image as PILImage

    data = png.read_bytes()
    scale = DPI / SAVE_DPI
    if scale >= 1:
        return data
    with PILImage.open(io.BytesIO(data)) as im:
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        small = im.resize(size, PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _saved_area(fig):
    """What ``savefig`` keeps of the figure, in inches: with ``savefig.bbox: tight`` (the theme)
    the area its artists cover, padded by ``savefig.pad_inches``, found once for every format
    instead of by a layout pass in each; else what rcParams say."""
    import matplotlib as mpl

    setting = mpl.rcParams["savefig.bbox"]
    if setting != "tight" or fig.get_layout_engine() is not None:
        return setting  # a layout engine lays out in each save: savefig must draw anyway
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    if get_renderer is None:
        return setting
    fig.draw_without_rendering()
    pad = mpl.rcParams["savefig.pad_inches"]
    return fig.get_tightbbox(get_renderer()).padded(pad)


# --------------------------------------------------------------------------------------------------
# layout helpers


def _ax(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    return ax


def _no_data(ax, reason: str, title: str | None = None, source: Any = None):
    """Axes saying there is nothing to draw (an empty selection), instead of an exception; the
    caption still names the source that was selected from."""
    ax = _ax(ax)
    # the source selected from; a figure of nothing says it cites nothing (plots.save requires a
    # caption naming the source of whatever a figure shows)
    caption(ax, source if source is not None else "no rows of any source in the selection")
    ax.text(
        0.5,
        0.5,
        f"no data to show: {reason}",
        ha="center",
        va="center",
        wrap=True,
        transform=ax.transAxes,
        fontsize=9,
        color="0.35",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def _whole_years(ax, x: str) -> None:
    """Years on the x axis get whole-number ticks (no 2012.5)."""
    if x in ("year", "report_year"):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(ax, handles=None, labels=None, **kw):
    """The legend outside the data area, to the right of the Axes (it covers no data)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    kw.setdefault("loc", "upper left")
    kw.setdefault("bbox_to_anchor", (1.02, 1.0))
    kw.setdefault("borderaxespad", 0.0)
    return ax.legend(handles, labels, **kw)


def _renderer(fig):
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _overlapping(boxes) -> bool:
    for a, b in zip(boxes, boxes[1:]):
        if min(a.x1, b.x1) - max(a.x0, b.x0) > 0 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0:
            return True
    return False


def _month_ticks(ax) -> None:
    """A month axis with a few ticks, labelled concisely (the year once, then month names), so
    that labels such as "2010-01" never run into each other."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def overlapping_ticklabels(fig_or_ax) -> list[tuple[str, str]]:
    """Pairs of neighbouring tick labels (x and y axes of every axes) whose drawn extents
    overlap, as matplotlib lays them out: [] for a readable figure. Draws the figure first, so
    that labels made by formatters at draw time are measured too.

    Example: ``assert plots.overlapping_ticklabels(fig) == []``
    """
    fig = _figure(fig_or_ax)
    fig.canvas.draw()
    r = _renderer(fig)
    out = []
    for ax in fig.axes:
        for labels, key in (
            (ax.get_xticklabels(), lambda b: b.x0),
            (ax.get_yticklabels(), lambda b: b.y0),
        ):
            shown = [t for t in labels if t.get_text() and t.get_visible()]
            boxes = sorted(
                ((t.get_window_extent(r), t.get_text()) for t in shown), key=lambda bt: key(bt[0])
            )
            for (a, ta), (b, tb) in zip(boxes, boxes[1:]):
                if a.overlaps(b):
                    out.append((ta, tb))
    return out


def _fit_ticklabels(ax) -> None:
    """Keep x tick labels apart: wrap long words, then slant them, then turn them upright."""
    fig = ax.figure
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    if len(ticks) < 2:
        return

    def crowded() -> bool:
        r = _renderer(fig)
        shown = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        return _overlapping(sorted((t.get_window_extent(r) for t in shown), key=lambda b: b.x0))

    if not crowded():
        return
    texts = [t.get_text() for t in ax.get_xticklabels()]
    if any(len(t) > 12 for t in texts) and not all(_is_number(t) for t in texts):
        r = _renderer(fig)
        space = ax.get_window_extent(r).width / len(texts)  # pixels per label
        char = ticks[0].get_fontsize() * fig.dpi / 72 * 0.6
        longest_word = max(len(w) for t in texts for w in t.split())
        width = max(longest_word, int(space / char) - 1)
        ax.set_xticks(ax.get_xticks(), [textwrap.fill(t.replace("\n", " "), width) for t in texts])
        if not crowded():
            return
    for angle, ha in ((45, "right"), (90, "center")):
        for t in ax.get_xticklabels():
            t.set_rotation(angle)
            t.set_horizontalalignment(ha)
            t.set_rotation_mode("anchor" if angle == 45 else "default")
        if not crowded():
            return


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-").replace(",", ""))
    except ValueError:
        return False
    return True


def _keep_inside_x(ax, texts) -> None:
    """Widen the x range until ``texts`` (labels beside markers) end inside the Axes."""
    if not texts:
        return
    for _ in range(4):
        r = _renderer(ax.figure)
        box = ax.get_window_extent(r)
        over = max(t.get_window_extent(r).x1 for t in texts) - box.x1
        if over <= 1:
            return
        lo, hi = ax.get_xlim()
        per_px = (hi - lo) / box.width
        ax.set_xlim(lo, hi + (over + 6) * per_px * 1.15)


def _numeric_x(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        return ((values - values.min()).dt.total_seconds() / 86400.0).to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _with_gaps(d: pd.DataFrame, x: str, yearly: bool | None = None) -> pd.DataFrame:
    """``d`` sorted by ``x`` with an empty row (all values NaN) inside every missing period, so
    that a line drawn through it breaks there. Years: a step of more than one year is a gap;
    other x (months as dates): a step of more than 1.5 times the shortest step."""
    d = d.sort_values(x).reset_index(drop=True)
    if len(d) < 2:
        return d
    num = _numeric_x(d[x])
    steps = np.diff(num)
    if yearly is None:
        yearly = not pd.api.types.is_datetime64_any_dtype(d[x]) and np.all(
            np.mod(num[np.isfinite(num)], 1) == 0
        )
    positive = steps[steps > 0]
    limit = 1.0 if yearly else (1.5 * positive.min() if len(positive) else np.inf)
    gaps = np.where(steps > limit + 1e-9)[0]
    if not len(gaps):
        return d
    blanks = []
    for i in gaps:
        a, b = d[x].iloc[i], d[x].iloc[i + 1]
        mid = a + (b - a) / 2
        blanks.append({x: mid})
    filler = pd.DataFrame(blanks)
    out = pd.concat([d, filler], ignore_index=True)
    return out.sort_values(x, kind="stable").reset_index(drop=True)


def _float(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype(float).to_numpy()


def _missing_legend(ax, label: str | None, mesh=None, extra: Sequence = ()) -> None:
    """A legend entry for hatched grey cells (and any ``extra`` handles), under the colour bar
    (outside the data area)."""
    from matplotlib.patches import Patch

    handles = list(extra)
    if label is not None:
        handles.insert(
            0,
            Patch(
                facecolor=MISSING_COLOR, edgecolor=MISSING_EDGE, hatch=MISSING_HATCH, label=label
            ),
        )
    if not handles:
        return
    cbar = getattr(mesh, "colorbar", None)
    if cbar is not None:
        cbar.ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.03),
            borderaxespad=0.0,
            handlelength=1.4,
            fontsize=7,
        )
    else:
        _legend(ax, handles, [h.get_label() for h in handles])


def _cells(ax, grid: pd.DataFrame, cmap, annot: bool, fmt: str, label: str) -> np.ndarray:
    """Draw the cells of ``grid`` (floats) as a heat map with a colour bar titled ``label``: the
    missing ones hatched grey, never coloured as a value. Returns the mask of missing cells."""
    missing = np.isnan(grid.to_numpy())
    sns.heatmap(
        grid,
        ax=ax,
        cmap=cmap,
        mask=missing,
        linewidths=0.4,
        linecolor="white",
        annot=annot,
        fmt=fmt,
        annot_kws={"fontsize": 7},
        cbar_kws={"label": label},
    )
    _hatch_missing(ax, missing)
    return missing


def _hatch_missing(ax, missing: np.ndarray) -> None:
    from matplotlib.patches import Rectangle

    for i, j in zip(*np.where(missing)):
        ax.add_patch(
            Rectangle(
                (j, i),
                1,
                1,
                facecolor=MISSING_COLOR,
                edgecolor=MISSING_EDGE,
                hatch=MISSING_HATCH,
                linewidth=0,
            )
        )


# --------------------------------------------------------------------------------------------------
# figures


def heatmap(
    data: pd.DataFrame,
    x: str = "year",
    y: str = "dataset",
    value: str = "rows",
    ax=None,
    title: str | None = None,
    annot: bool = False,
    fmt: str = ".0f",
    fill_years: bool = True,
    cmap: str = "Blues",
    note: str | None = None,
    complete: str | None = "complete",
    source: Any = None,
    missing_label: str = "missing (no count), not 0",
    label: str | None = None,
    flag: str | None = None,
    flag_label: str = "flagged",
):
    """Heat map of ``value`` summed over ``y`` (rows) by ``x`` (columns). A cell with no row in
    ``data``, or whose values are all missing, is drawn as missing (hatched grey, no number,
    ``missing_label`` in the legend): never as 0; a 0 in the data is drawn as 0. With
    ``fill_years`` every year between the first and last column is shown (years without rows as
    missing). ``note`` names a text column written in missing cells (e.g. "?" for unknown). Where
    ``complete`` names a column (used when present), columns whose rows have False are partial
    periods, labelled "YYYY (partial)". ``label`` names the colour scale (default: ``value`` in
    words); ``source`` the data's source (default: the ``source_id`` of ``data``). ``flag`` names
    a boolean column: cells where it is True get a dark outline, explained in the legend by
    ``flag_label`` (e.g. cells mostly made of old incidents reported late).

    Example: ``plots.heatmap(pko.overview.coverage_table(), x="year", y="dataset", value="rows")``
    """
    if data.empty or pd.to_numeric(data[value], errors="coerce").isna().all():
        return _no_data(ax, f"no {value.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    vals = pd.to_numeric(data[value], errors="coerce").astype(float)
    d = data.assign(**{value: vals})
    grid = d.groupby([y, x], observed=True, sort=True)[value].sum(min_count=1).unstack(x)
    if fill_years and not grid.empty:
        full = range(int(min(grid.columns)), int(max(grid.columns)) + 1)
        grid = grid.reindex(columns=list(full))
    grid = grid.astype(float)
    missing = _cells(ax, grid, cmap, annot, fmt, label or readable(value))
    ax.grid(False)
    labels = [str(c) for c in grid.columns]
    if complete is not None and complete in data.columns:
        flags = data.dropna(subset=[complete]).groupby(x)[complete].all()
        labels = [
            f"{c} (partial)" if c in flags.index and not bool(flags[c]) else str(c)
            for c in grid.columns
        ]
    ax.set_xticks([i + 0.5 for i in range(len(labels))], labels)
    extra = []
    if flag is not None and flag in data.columns:
        from matplotlib.patches import Patch, Rectangle

        flagged = data[data[flag].astype("boolean").fillna(False).astype(bool)]
        cells = set(zip(flagged[y], flagged[x]))
        for i, row in enumerate(grid.index):
            for j, col in enumerate(grid.columns):
                if (row, col) in cells:
                    ax.add_patch(
                        Rectangle((j + 0.06, i + 0.06), 0.88, 0.88, fill=False, lw=1.6, ec="0.1")
                    )
        if cells:
            extra.append(Patch(facecolor="none", edgecolor="0.1", lw=1.6, label=flag_label))
    if missing.any() or extra:
        _missing_legend(ax, missing_label if missing.any() else None, ax.collections[0], extra)
    if missing.any() and note is not None and note in data.columns:
        notes = data.dropna(subset=[note]).groupby([y, x], observed=True)[note].first()
        for (i, row), (j, col) in (
            (a, b) for a in enumerate(grid.index) for b in enumerate(grid.columns)
        ):
            if missing[i, j] and (row, col) in notes.index:
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    str(notes.loc[(row, col)]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="0.2",
                )
    ax.set_xlabel(readable(x))
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=90)
    ax.tick_params(axis="y", labelrotation=0)
    _finish(ax, source, data, title=title)
    return ax


def grouped_bars(
    data: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    ax=None,
    title: str | None = None,
    log: bool = False,
    order: Sequence[str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: Any = None,
):
    """Bars of ``y`` by ``x`` (and ``hue``), with the value written on each bar. Axis titles
    default to the column names in words (:func:`readable`); long category names are wrapped.

    Example: ``plots.grouped_bars(df, x="organization", y="value", hue="year", ylabel="personnel")``
    """
    ax = _ax(ax)
    sns.barplot(data=data, x=x, y=y, hue=hue, ax=ax, order=order, errorbar=None)
    for container in ax.containers:
        ax.bar_label(container, fmt="{:,.0f}", fontsize=8, padding=2)
    if log:
        ax.set_yscale("log")
    ax.margins(y=0.12)
    ax.set_xlabel(readable(x) if xlabel is None else xlabel)
    ax.set_ylabel(readable(y) if ylabel is None else ylabel)
    if hue is not None:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        _legend(ax, title=readable(hue))
    _finish(ax, source, data, title=title)
    return ax


def dot_values(
    data: pd.DataFrame,
    x: str,
    y: str,
    ax=None,
    title: str | None = None,
    xlabel: str | None = None,
    source: Any = None,
    text: str | None = None,
):
    """A dot plot of ``x`` (numbers) for each row labelled ``y`` (words, written in full), on a
    linear scale from 0 with each value written beside its dot (or the column ``text``, e.g.
    "more than about 135,000"): for a few figures of very different size, where bars on a log
    scale would have lengths that mean nothing.

    Example: ``plots.dot_values(overview.organization_sizes(), x="value", y="label", text="stated")``
    """
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    pos = np.arange(len(d))[::-1]
    values = _float(d[x])
    ax.hlines(pos, 0, values, color="0.8", linewidth=1)
    ax.plot(values, pos, "o", color=sns.color_palette(PALETTE)[0], markersize=7)
    shown = d[text].astype(str) if text else [f"{v:,.0f}" for v in values]
    for p, v, t in zip(pos, values, shown):
        if np.isfinite(v):
            ax.annotate(
                t, (v, p), xytext=(7, 0), textcoords="offset points", va="center", fontsize=8
            )
    ax.set_yticks(pos, [textwrap.fill(str(t), 34) for t in d[y]])
    finite = values[np.isfinite(values)]
    ax.set_xlim(0, (finite.max() if finite.size else 1) * 1.45)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
    ax.set_ylim(-0.6, len(d) - 0.4)
    ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(readable(x) if xlabel is None else xlabel)
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    _finish(ax, source, data, title=title)
    return ax


def confidence_bars(
    data: pd.DataFrame,
    x: str = "dataset",
    y: str = "rows",
    hue: str = "confidence",
    ax=None,
    title: str | None = None,
    source: Any = None,
):
    """Stacked horizontal bars of each dataset's rows by confidence level, as per cent of that
    dataset's rows (so that a small dataset stays readable beside one with thousands of rows),
    the number of rows written in its label ("gender statistics (2,106 rows)"). ``source``
    defaults to the ``source_id`` of ``data`` (or pass the curated tables counted)."""
    ax = _ax(ax)
    wide = data.pivot_table(
        index=x, columns=hue, values=y, aggfunc="sum", fill_value=0, observed=False
    )
    cols = [c for c in CONFIDENCE_COLORS if c in wide.columns]
    totals = wide[cols].sum(axis=1)
    shares = wide[cols].div(totals.where(totals > 0), axis=0).fillna(0) * 100
    shares.index = [
        f"{str(name).replace('_', ' ')} ({int(n):,} row{'' if n == 1 else 's'})"
        for name, n in totals.items()
    ]
    shares.plot.barh(
        stacked=True, ax=ax, color=[CONFIDENCE_COLORS[c] for c in cols], width=0.7, legend=False
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the dataset's rows (sourced figures)")
    ax.set_ylabel("")
    _legend(ax, title=readable(hue))
    _finish(ax, source, data, title=title)
    return ax


def trend(
    data: pd.DataFrame,
    x: str = "year",
    y: str = "rate",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    breakpoints: Sequence[int] = (),
    fitted: str | None = None,
    ax=None,
    title: str | None = None,
    ylabel: str | None = None,
    complete: str | None = "complete",
    counting_changes: Sequence[int] = (),
    source: Any = None,
    label: str | None = None,
):
    """A series with its interval band, optional fitted line, dashed breakpoint lines (labelled
    with their year above the Axes) and dotted lines where counting changed. Lines and the band
    break at missing years. Where ``complete`` names a column (default "complete", used when
    present), periods with False are partial: drawn apart as open markers with their interval as
    a whisker, off the line and the band, and labelled "partial year"; so are rates whose
    ``denominator_complete`` column (from ``trends.rates``) is False ("partial denominator": a
    mean of too few months, e.g. January 2022 alone). ``source`` defaults to the ``source_id`` of
    the rows drawn.

    Example: ``plots.trend(rates_df, y="rate", breakpoints=[2008, 2016])``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    d = data.dropna(subset=[y]).sort_values(x)
    part = pd.Series(False, index=d.index)
    if complete is not None and complete in d.columns:
        part = ~d[complete].astype("boolean").fillna(True).astype(bool)
    kinds = ["partial year"] if part.any() else []
    if "denominator_complete" in d.columns:  # a rate on a denominator of too few months
        thin = ~d["denominator_complete"].astype("boolean").fillna(True).astype(bool)
        if (thin & ~part).any():
            kinds.append("partial denominator")
        part |= thin
    full, partial = d[~part], d[part]
    yearly = x in ("year", "report_year") or None
    g = _with_gaps(full, x, yearly)
    pal = sns.color_palette(PALETTE)
    color = pal[0]
    ax.fill_between(
        g[x].to_numpy(),
        _float(g[ci_low]),
        _float(g[ci_high]),
        color=color,
        alpha=0.2,
        linewidth=0,
        label="95% interval",
    )
    ax.plot(g[x].to_numpy(), _float(g[y]), marker="o", color=color, label=label or readable(y))
    if len(partial):
        ax.errorbar(
            partial[x],
            _float(partial[y]),
            yerr=[
                _float(partial[y]) - _float(partial[ci_low]),
                _float(partial[ci_high]) - _float(partial[y]),
            ],
            fmt="none",
            ecolor=color,
            alpha=0.5,
            capsize=3,
        )
        ax.plot(
            partial[x],
            _float(partial[y]),
            linestyle="none",
            marker="o",
            markersize=7,
            markerfacecolor="white",
            markeredgecolor=color,
            markeredgewidth=1.5,
            label=" or ".join(kinds),
        )
    if fitted is not None and fitted in d:
        f = _with_gaps(full.dropna(subset=[fitted]), x, yearly)
        ax.plot(
            f[x].to_numpy(),
            _float(f[fitted]),
            color=pal[3],
            linestyle="-",
            linewidth=1.5,
            label="model",
        )
    for i, b in enumerate(breakpoints):
        ax.axvline(
            b - 0.5,
            color="0.4",
            linestyle="--",
            linewidth=1,
            label="breakpoint" if i == 0 else None,
        )
        t = ax.annotate(
            str(b),
            (b - 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            fontsize=8,
            ha="center",
            va="bottom",
            color="0.3",
            annotation_clip=False,
        )
        t.set_clip_on(False)
        ax._pko_top_labels = True
    for i, b in enumerate(counting_changes):
        ax.axvline(
            b - 0.5,
            color="0.55",
            linestyle=":",
            linewidth=1.2,
            label="counting changed" if i == 0 else None,
        )
    ax.set_xlabel(readable(x))
    ax.set_ylabel(ylabel or readable(y))
    ax.set_ylim(bottom=0)
    _whole_years(ax, x)
    _legend(ax)
    _finish(ax, source, d, title=title)
    return ax


def _partial_periods(data: pd.DataFrame, x: str, complete: str | None) -> list:
    """The ``x`` values whose rows have ``complete`` False (partial periods); [] without the
    column."""
    if complete is None or complete not in data.columns:
        return []
    flags = data.dropna(subset=[complete]).groupby(x)[complete].all()
    return [v for v, ok in flags.items() if not bool(ok)]


def stacked_counts(
    data: pd.DataFrame,
    x: str = "year",
    y: str = "allegations",
    hue: str = "personnel_category",
    ax=None,
    title: str | None = None,
    order: Sequence[str] | None = None,
    source: Any = None,
    complete: str | None = "complete",
):
    """Stacked bars of counts by ``x`` split by ``hue`` (long input, as from ``count_by``); the
    legend to the right of the bars. ``source``: e.g. the reader's result the counts come from.
    Where ``complete`` names a column (used when present; ``trends.with_coverage`` adds it), the
    bars of periods with False are partial: hatched and paler, labelled "YYYY (partial)" as in
    :func:`heatmap`, with "partial period" in the legend, so a partial year never looks like a
    full one.

    Example: ``plots.stacked_counts(trends.count_by(table, "personnel_category"), source=table)``
    """
    if data.empty:
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    wide = data.pivot_table(
        index=x, columns=hue, values=y, aggfunc="sum", fill_value=0, observed=True
    )
    if order is not None:
        wide = wide.reindex(columns=[c for c in order if c in wide.columns])
    colors = sns.color_palette(PALETTE, n_colors=max(len(wide.columns), 1))
    wide.columns = [readable(c, capital=False) for c in wide.columns]
    wide.astype(float).plot.bar(stacked=True, ax=ax, color=colors, width=0.8, legend=False)
    partial = _partial_periods(data, x, complete)
    if partial:
        from matplotlib.patches import Patch

        positions = {str(v): i for i, v in enumerate(wide.index)}
        hit = {positions[str(p)] for p in partial if str(p) in positions}
        for container in ax.containers:
            for i, bar in enumerate(container):
                if i in hit:
                    bar.set_alpha(0.45)
                    bar.set_hatch("///")
                    bar.set_edgecolor("0.3")
        ax.set_xticks(
            range(len(wide.index)),
            [f"{v} (partial)" if i in hit else str(v) for i, v in enumerate(wide.index)],
        )
        ax.add_artist(
            ax.legend(
                handles=[
                    Patch(facecolor="white", edgecolor="0.3", hatch="///", label="partial period")
                ],
                loc="upper left",
                fontsize=7,
                frameon=False,
            )
        )
    ax.set_xlabel(readable(x))
    ax.set_ylabel(readable(y))
    ax.tick_params(axis="x", labelrotation=0)
    _legend(ax, title=readable(hue))
    _finish(ax, source, data, title=title)
    return ax


def share_over_time(
    data: pd.DataFrame,
    x: str = "year",
    y: str = "share_pct",
    hue: str = "category",
    targets: pd.DataFrame | None = None,
    ax=None,
    title: str | None = None,
    ylabel: str = "Women, % of personnel",
    complete: str | None = "complete",
    definition: str | None = "definition",
    caption: str | None = None,
    source: Any = None,
):
    """Women's share over time, one line per ``hue``, with parity targets drawn as stars in the
    same colour and labelled with their value (``targets``: ``category, year,
    target_share_pct``). A line breaks where a year (or, for monthly ``x``, a month) is missing.

    Where ``data`` has a ``definition`` column, a line never joins figures of two definitions:
    each definition is its own line, all but the one with the latest figure dashed. Where it has a
    ``complete`` column, figures that are not a year-end figure (False: another month, such as
    February 2014; <NA>: no month given) are drawn as hollow markers, off the line. ``caption`` is a note
    written under the figure; ``source`` defaults to the ``source_id`` of ``data`` and
    ``targets``.

    Example: ``plots.share_over_time(shares, targets=pko.load("parity_targets"))``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    levels = list(dict.fromkeys(data[hue].astype(str)))
    colors = dict(zip(levels, sns.color_palette(PALETTE, n_colors=max(len(levels), 1))))
    has_def = definition is not None and definition in data
    has_complete = complete is not None and complete in data
    yearly = x == "year" or None
    dashed = hollow = False
    for level in levels:
        d = data[data[hue].astype(str) == level].sort_values(x)
        parts = list(d.groupby(definition, sort=False)) if has_def else [(None, d)]
        # the legend names what the latest series counts (e.g. "military experts on mission"
        # where the file's staff officers are inside troops), not the category's code
        last = str(parts[-1][0]) if has_def else None
        name = DEFINITION_LABELS.get(last) or readable(level, capital=False)
        for i, (_, part) in enumerate(parts):
            style = "--" if i < len(parts) - 1 else "-"
            dashed = dashed or style == "--"
            # a figure that is not a known year-end one (February 2014; no month given) stays off
            # the line, drawn apart as an open marker, as partial periods are in every figure
            on_line = (
                part[complete].astype("boolean").fillna(False).astype(bool)
                if has_complete
                else pd.Series(True, index=part.index)
            )
            g = _with_gaps(part.loc[on_line, [x, y]], x, yearly)
            ax.plot(
                g[x].to_numpy(),
                _float(g[y]),
                linestyle=style,
                color=colors[level],
                linewidth=1.5,
                label=name if i == len(parts) - 1 else None,
            )
            full = (
                part[complete].fillna(False).astype(bool)
                if has_complete
                else pd.Series(True, index=part.index)
            )
            ax.plot(
                part.loc[full, x],
                _float(part.loc[full, y]),
                "o",
                markersize=3.5,
                color=colors[level],
            )
            if (~full).any():
                hollow = True
                ax.plot(
                    part.loc[~full, x],
                    _float(part.loc[~full, y]),
                    "o",
                    markersize=5,
                    markerfacecolor="white",
                    markeredgecolor=colors[level],
                    markeredgewidth=1.2,
                )
    marks = []
    cited = [data]
    if targets is not None:
        t = targets.dropna(subset=["target_share_pct"])
        t = t[t["category"].astype(str).isin(levels)]
        cited.append(t)
        for r in t.itertuples():
            ax.scatter(
                [r.year],
                [r.target_share_pct],
                marker="*",
                s=90,
                color=colors[str(r.category)],
                edgecolor="black",
                linewidth=0.5,
                zorder=3,
            )
            m = ax.annotate(
                f"{r.target_share_pct:g}%",
                (r.year, r.target_share_pct),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=7,
                color="0.15",
                annotation_clip=False,
            )
            m.set_clip_on(False)
            marks.append(m)
        if len(t):
            ax.scatter(
                [], [], marker="*", s=90, color="white", edgecolor="black", label="parity target"
            )
    if hollow:
        ax.plot(
            [],
            [],
            "o",
            markersize=5,
            markerfacecolor="white",
            markeredgecolor="0.3",
            label="not a year-end figure",
        )
    if dashed:
        ax.plot([], [], linestyle="--", color="0.3", label="earlier or other definition")
    ax.set_xlabel(readable(x))
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    _whole_years(ax, x)
    if x != "year" and pd.api.types.is_datetime64_any_dtype(data[x]):
        _month_ticks(ax)
    _legend(ax)
    _keep_inside_x(ax, marks)
    if source is None and all("source_id" in c.columns for c in cited):
        source = cited
    _finish(ax, source, None, note=caption, title=title)
    return ax


def share_heatmap(
    data: pd.DataFrame,
    x: str = "year",
    y: str = "mission",
    value: str = "share_pct",
    complete: str | None = "complete",
    ax=None,
    title: str | None = None,
    fmt: str = ".1f",
    cmap: str = "Blues",
    missing_label: str = "no personnel: missing, not 0",
    caption: str | None = None,
    source: Any = None,
):
    """Heat map of a share, one cell per row of ``data`` (shares are not summed: a repeated
    ``x``/``y`` pair is an error). A missing value is drawn as a hatched grey cell, never as 0,
    with ``missing_label`` in the legend; columns with a figure that is not a year-end figure
    (``complete`` False, e.g. February 2014) are marked ``*`` and named in a note under the
    figure. ``caption`` adds a note; ``source`` names the data's source (default: the
    ``source_id`` of ``data``).

    Example: ``plots.share_heatmap(participation.mission_year_shares(g.counts), source=g)``
    """
    if data.empty:
        return _no_data(ax, "no rows in the selection", title, source)
    ax = _ax(ax)
    grid = data.pivot(index=y, columns=x, values=value).astype(float)
    missing = _cells(ax, grid, cmap, True, fmt, readable(value))
    labels = [str(c) for c in grid.columns]
    partial = []
    if complete is not None and complete in data:
        flags = data.assign(_c=data[complete].fillna(False).astype(bool)).groupby(x)["_c"].all()
        partial = [c for c in grid.columns if not flags.get(c, True)]
        labels = [f"{c}*" if c in partial else str(c) for c in grid.columns]
    ax.set_xticks(np.arange(len(labels)) + 0.5)
    ax.set_xticklabels(labels, rotation=0 if len(labels) <= 10 else 90)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xlabel(readable(x))
    ax.set_ylabel("")
    if missing.any():
        _missing_legend(ax, missing_label, ax.collections[0])
    note = []
    if partial:
        periods = ""
        if "period" in data:
            ps = data[data[x].isin(partial)]["period"].dropna().unique()
            periods = f" ({', '.join(map(str, ps))})"
        note.append(f"* not a year-end figure{periods}")
    if caption:
        note.append(caption)
    _finish(ax, source, data, note="; ".join(note), title=title)
    return ax


def dot_shares(
    data: pd.DataFrame,
    x: str = "share_pct",
    y: str = "country",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    ax=None,
    title: str | None = None,
    reference: float | None = None,
    caption: str | None = None,
    source: Any = None,
):
    """Dot plot of shares with interval whiskers, one row per ``y`` in the order given;
    ``reference`` draws a vertical line (e.g. the overall share); ``caption`` (the date, what is
    counted) is written under the figure with ``source`` (default: the ``source_id`` of ``data``).

    Example: ``plots.dot_shares(ranking, y="contributor", reference=3.8)``
    """
    if data.empty:
        return _no_data(ax, "no rows in the selection", title, source)
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    pos = list(range(len(d)))[::-1]
    color = sns.color_palette(PALETTE)[0]
    ax.hlines(pos, _float(d[ci_low]), _float(d[ci_high]), color=color, alpha=0.6, linewidth=2)
    ax.plot(_float(d[x]), pos, "o", color=color)
    ax.set_yticks(pos)
    ax.set_yticklabels(d[y].astype(str))
    if reference is not None:
        ax.axvline(reference, color="0.4", linestyle="--", linewidth=1)
    ax.set_xlabel(readable(x))
    ax.set_ylabel("")
    ax.set_xlim(left=0)
    _finish(ax, source, d, note=caption, title=title)
    return ax


def funnel(
    data: pd.DataFrame,
    limits: pd.DataFrame,
    x: str = "decided",
    y: str = "rate",
    label: str | None = None,
    p0: float | None = None,
    ax=None,
    title: str | None = None,
    label_outside: bool = True,
    shared: str | None = None,
    note: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: Any = None,
):
    """Funnel plot: each unit's rate against its number of cases, with binomial control limits
    (``limits`` from ``response.funnel_limits``) and the overall rate ``p0``; where ``limits``
    has overdispersion-adjusted columns (``lower_95_adj``...) they are drawn too, in colour, and
    units are labelled against the adjusted outer limits. Units outside the
    outer limits are labelled with ``label``. ``shared`` names a column counting cases a unit
    shares with other units (an allegation naming several contributors counts for each): those
    units are drawn as open circles. ``note`` is written under the figure (e.g. how shared cases
    are counted) with ``source``.

    Example: ``plots.funnel(table, response.funnel_limits(0.6, 100), label="nationality", p0=0.6)``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    pal = sns.color_palette(PALETTE)
    cols = [c.removeprefix("lower_") for c in limits.columns if c.startswith("lower_")]
    bands = [c for c in cols if not c.endswith("_adj")]
    adjusted = [c for c in cols if c.endswith("_adj")]
    for style, tag in zip(["-", "-."], adjusted):
        for side in ("lower", "upper"):
            ax.plot(
                limits["n"],
                limits[f"{side}_{tag}"],
                color=pal[2],
                linestyle=style,
                linewidth=1.2,
                label=f"{tag.removesuffix('_adj')}% limits, overdispersion-adjusted"
                if side == "lower"
                else None,
            )
    for style, tag in zip(["--", ":"], bands):
        ax.step(
            limits["n"],
            limits[f"lower_{tag}"],
            where="mid",
            color="0.35",
            linestyle=style,
            linewidth=1,
            label=f"{tag}% limits",
        )
        ax.step(
            limits["n"],
            limits[f"upper_{tag}"],
            where="mid",
            color="0.35",
            linestyle=style,
            linewidth=1,
        )
    if p0 is not None:
        ax.axhline(p0, color=pal[3], linewidth=1, label="overall rate")
    if shared is not None and shared in data:
        own = data[data[shared].fillna(0) == 0]
        both = data[data[shared].fillna(0) > 0]
        ax.scatter(own[x], own[y], color=pal[0], s=22, zorder=3)
        if len(both):
            ax.scatter(
                both[x],
                both[y],
                facecolors="white",
                edgecolors=pal[0],
                s=30,
                linewidths=1.2,
                zorder=3,
                label="includes shared allegations",
            )
    else:
        ax.scatter(data[x], data[y], color=pal[0], s=22, zorder=3)
    if label is not None and label_outside and bands:
        outer = adjusted[-1] if adjusted else bands[-1]
        lim = limits.set_index("n")
        for r in data.itertuples():
            n = int(getattr(r, x))
            if n in lim.index:
                lo, hi = lim.at[n, f"lower_{outer}"], lim.at[n, f"upper_{outer}"]
                if getattr(r, y) < lo or getattr(r, y) > hi:
                    ax.annotate(
                        str(getattr(r, label)),
                        (n, getattr(r, y)),
                        fontsize=7,
                        xytext=(3, 3),
                        textcoords="offset points",
                    )
    ax.set_xlabel(readable(x) if xlabel is None else xlabel)
    ax.set_ylabel(readable(y) if ylabel is None else ylabel)
    ax.set_ylim(-0.02, 1.02)
    _legend(ax)
    _finish(ax, source, data, note=note, title=title)
    return ax


def survival(
    curves: dict[str, pd.DataFrame],
    ax=None,
    title: str | None = None,
    xlabel: str = "days",
    ylabel: str = "share still under investigation",
    note: str | None = None,
    source: Any = None,
):
    """Step curves, one per key (``time`` and ``survival`` columns, e.g. Kaplan-Meier tables),
    censoring times marked with ticks where a ``censored`` column is above 0. Label the axes
    with what the time counts from and what the curve shows (``xlabel``, ``ylabel``); keys are
    shown in words (``readable``: "tcc" is "troop-contributing country"); ``note`` and
    ``source`` are written under the figure.

    Example: ``plots.survival({"tcc": km.table}, xlabel="days since the reporting month", source=table)``
    """
    if not curves:
        return _no_data(ax, "no curve in the selection", title, source)
    ax = _ax(ax)
    colors = sns.color_palette(PALETTE, n_colors=max(len(curves), 1))
    for (name, t), color in zip(curves.items(), colors):
        times = [0.0, *t["time"].tolist()]
        surv = [1.0, *t["survival"].tolist()]
        ax.step(times, surv, where="post", color=color, label=readable(name, capital=False))
        if "censored" in t:
            cens = t[t["censored"] > 0]
            ax.plot(cens["time"], cens["survival"], "|", color=color, markersize=6)
    ax.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    _legend(ax)
    frames = [t for t in curves.values() if "source_id" in t.columns]
    _finish(ax, source, pd.concat(frames) if frames else None, note=note, title=title)
    return ax


def coefficients(
    data: pd.DataFrame,
    x: str = "irr",
    y: str = "specification",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    reference: float = 1.0,
    log: bool = True,
    ax=None,
    title: str | None = None,
    xlabel: str = "incidence rate ratio per percentage point of women",
    source: Any = None,
    converged: str | None = "converged",
):
    """Coefficient plot: one row per ``y`` (in the order given, top to bottom), the estimate as a
    dot with its interval as a line, and a dashed line at ``reference`` (1: no association).
    A log axis (``log``) keeps ratios symmetric. ``source``: the data the models were fitted on.
    A row whose ``converged`` column is False is drawn grey with an open marker and labelled
    "(NOT CONVERGED)"; a row without an interval is labelled "(no interval)".

    Example: ``plots.coefficients(panel.fit_models(p).to_frame(), source=[table, months])``
    """
    if data.empty or data[x].isna().all():
        return _no_data(ax, "no estimate in the selection", title, source)
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    pos = np.array(list(range(len(d)))[::-1])
    color = sns.color_palette(PALETTE)[0]
    ok = (
        d[converged].fillna(False).astype(bool).to_numpy()
        if converged and converged in d
        else np.ones(len(d), dtype=bool)
    )
    for good, col, face in ((True, color, color), (False, "0.55", "white")):
        m = ok == good
        if m.any():
            ax.hlines(pos[m], _float(d[ci_low][m]), _float(d[ci_high][m]), color=col, linewidth=2)
            ax.plot(_float(d[x][m]), pos[m], "o", color=col, markerfacecolor=face, markersize=7)
    ax.axvline(reference, color="0.4", linestyle="--", linewidth=1)
    if log:
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        ax.set_xscale("log")
        lo = float(np.nanmin([*_float(d[ci_low]), *_float(d[x]), reference]))
        hi = float(np.nanmax([*_float(d[ci_high]), *_float(d[x]), reference]))
        ticks = [
            t
            for t in (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 4, 5, 10)
            if lo / 1.05 <= t <= hi * 1.05
        ]
        if len(ticks) < 3:
            # a narrow range (e.g. 1.01-1.05 per percentage point): the round ratios above leave
            # at most the reference labelled, so the axis is read from evenly spaced ticks instead
            from matplotlib.ticker import MaxNLocator

            ticks = [
                float(t)
                for t in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
                if t > 0 and lo / 1.05 <= t <= hi * 1.05
            ]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    labels = [
        str(lab) + ("" if good else " (NOT CONVERGED)") + (" (no interval)" if pd.isna(lo_) else "")
        for lab, good, lo_ in zip(d[y], ok, d[ci_low])
    ]
    ax.set_yticks(pos)
    ax.set_yticklabels(labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    _finish(ax, source, d, title=title)
    return ax


def rate_funnel(
    data: pd.DataFrame,
    limits: pd.DataFrame,
    p0: float,
    x: str = "person_years",
    y: str = "rate",
    label: str | None = "iso3",
    ax=None,
    title: str | None = None,
    note: str | None = None,
    xlabel: str = "person-years (log scale)",
    ylabel: str = "allegations per 1,000 person-years",
    source: Any = None,
):
    """Funnel plot for rates: each unit's rate against its exposure (log axis) with the control
    limits in ``limits`` (columns ``{x}, lower_{level}, upper_{level}``, e.g. from
    ``contingents.funnel_limits``) and the overall rate ``p0``; units outside the outer limits are
    labelled with ``label``. ``note`` says which limits are drawn.

    Example: ``plots.rate_funnel(rates, fl.limits, fl.p0, note=fl.method)``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    pal = sns.color_palette(PALETTE)
    bands = [c.removeprefix("lower_") for c in limits.columns if c.startswith("lower_")]
    for style, tag in zip(["--", ":"], bands):
        ax.plot(
            limits[x],
            limits[f"lower_{tag}"],
            color="0.35",
            linestyle=style,
            linewidth=1,
            label=f"{tag}% limits",
        )
        ax.plot(limits[x], limits[f"upper_{tag}"], color="0.35", linestyle=style, linewidth=1)
    ax.axhline(p0, color=pal[3], linewidth=1, label="overall rate")
    ax.scatter(data[x], data[y], color=pal[0], s=20, zorder=3)
    ax.set_xscale("log")
    if label is not None and bands:
        outer = bands[-1]
        xs = limits[x].to_numpy()
        lo = np.interp(_float(data[x]), xs, limits[f"lower_{outer}"].to_numpy())
        hi = np.interp(_float(data[x]), xs, limits[f"upper_{outer}"].to_numpy())
        outside = (_float(data[y]) < lo) | (_float(data[y]) > hi)
        for r in data[outside].itertuples():
            ax.annotate(
                str(getattr(r, label)),
                (getattr(r, x), getattr(r, y)),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend(ax)
    _finish(ax, source, data, note=note, title=title)
    return ax


def share_rate_scatter(
    data: pd.DataFrame,
    x: str = "share_pct",
    y: str = "rate",
    size: str = "person_years",
    label: str = "iso3",
    ax=None,
    title: str | None = None,
    note: str | None = None,
    xlabel: str = "women's share of the contributor's uniformed personnel (%)",
    ylabel: str = "allegations per 1,000 person-years",
    source: Any = None,
):
    """Scatter of each unit's ``y`` against ``x``, the point's area proportional to ``size``;
    points with ``y`` above 0 or among the 15 largest are labelled with ``label`` (the others
    would overlap on the zero line). No fitted line is drawn: the figure describes, it does not
    model. Example: ``plots.share_rate_scatter(contingents.rates_by_contributor(sample))``"""
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title, source)
    ax = _ax(ax)
    color = sns.color_palette(PALETTE)[0]
    s = _float(data[size])
    area = 15 + 400 * s / s.max()
    ax.scatter(data[x], data[y], s=area, color=color, alpha=0.5, edgecolors="white", zorder=3)
    big = set(data[size].nlargest(15).index)
    for i, r in zip(data.index, data.itertuples()):
        if not (getattr(r, y) > 0 or i in big):
            continue
        ax.annotate(
            str(getattr(r, label)),
            (getattr(r, x), getattr(r, y)),
            fontsize=6,
            ha="center",
            va="center",
            zorder=4,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _finish(ax, source, data, note=note, title=title)
    return ax
