"""One theme and figure functions in the seaborn style: ``data=`` plus column names, optional
``ax=``, and the Axes returned. :func:`save` writes PNG/SVG/PDF files whose bytes depend only on
the figure (no dates, no software versions, a fixed SVG hash salt).

matplotlib and seaborn are imported when this module is first used, not by ``import pkoresearch``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

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

PALETTE = "colorblind"
FIGSIZE = (7.0, 4.0)
DPI = 100
CONFIDENCE_COLORS = {"high": "#0173b2", "medium": "#de8f05", "low": "#d55e00"}


def theme() -> None:
    """Set fonts, palette, sizes and the settings that make saved files reproducible."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE,
                  font="DejaVu Sans", rc={
                      "figure.figsize": FIGSIZE,
                      "figure.dpi": DPI,
                      "savefig.dpi": DPI,
                      "savefig.bbox": "tight",
                      "svg.hashsalt": "pkoresearch",
                      "svg.fonttype": "path",
                      "pdf.fonttype": 42,
                      "axes.titleweight": "bold",
                      "axes.titlesize": 12,
                      "axes.labelsize": 10,
                      "legend.fontsize": 9,
                  })


theme()

_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def save(fig, path: str | os.PathLike[str]) -> Path:
    """Save a figure so that the same figure always gives the same bytes; returns the path.

    The format follows the suffix (.png, .svg or .pdf). Parent folders are created.
    """
    p = Path(path)
    fmt = p.suffix.lstrip(".").lower()
    if fmt not in _METADATA:
        raise ValueError(f"plots.save: {p.name}: expected a .png, .svg or .pdf file name")
    p.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context({"svg.hashsalt": "pkoresearch"}):
        fig.savefig(p, format=fmt, metadata=_METADATA[fmt])
    return p


def _ax(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    return ax


def _no_data(ax, reason: str, title: str | None = None):
    """Axes saying there is nothing to draw (an empty selection), instead of an exception."""
    ax = _ax(ax)
    ax.text(0.5, 0.5, f"no data to show: {reason}", ha="center", va="center", wrap=True,
            transform=ax.transAxes, fontsize=9, color="0.35")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def _whole_years(ax, x: str) -> None:
    """Years on the x axis get whole-number ticks (no 2012.5)."""
    if x == "year":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def heatmap(data: pd.DataFrame, x: str = "year", y: str = "dataset", value: str = "rows",
            ax=None, title: str | None = None, annot: bool = False, fmt: str = ".0f",
            fill_years: bool = True, cmap: str = "Blues", note: str | None = None,
            complete: str | None = "complete"):
    """Heat map of ``value`` summed over ``y`` (rows) by ``x`` (columns). A cell with no row in
    ``data``, or whose values are all missing, is drawn as missing (hatched grey, no number):
    never as 0; a 0 in the data is drawn as 0. With ``fill_years`` every year between the first
    and last column is shown (years without rows as missing). ``note`` names a text column
    written in missing cells (e.g. "?" for unknown). Where ``complete`` names a column (used when
    present), columns whose rows have False are partial periods, labelled "YYYY (partial)".

    Example: ``plots.heatmap(pko.overview.coverage_table(), x="year", y="dataset", value="rows")``
    """
    import numpy as np

    if data.empty or pd.to_numeric(data[value], errors="coerce").isna().all():
        return _no_data(ax, f"no {value.replace('_', ' ')} in the selection", title)
    ax = _ax(ax)
    vals = pd.to_numeric(data[value], errors="coerce").astype(float)
    d = data.assign(**{value: vals})
    grid = d.groupby([y, x], observed=True, sort=True)[value].sum(min_count=1).unstack(x)
    if fill_years and not grid.empty:
        full = range(int(min(grid.columns)), int(max(grid.columns)) + 1)
        grid = grid.reindex(columns=list(full))
    grid = grid.astype(float)
    missing = np.isnan(grid.to_numpy())
    label = value.replace("_", " ") + ("\n(hatched: missing, no count)" if missing.any() else "")
    sns.heatmap(grid, ax=ax, cmap=cmap, linewidths=0.4, linecolor="white",
                annot=annot, fmt=fmt, annot_kws={"fontsize": 7}, cbar_kws={"label": label})
    ax.grid(False)
    if complete is not None and complete in data.columns:
        flags = data.dropna(subset=[complete]).groupby(x)[complete].all()
        labels = [f"{c} (partial)" if c in flags.index and not bool(flags[c]) else str(c)
                  for c in grid.columns]
        ax.set_xticks([i + 0.5 for i in range(len(labels))], labels)
    if missing.any():
        ax.set_facecolor("0.93")
        ax.patch.set_hatch("////")
        ax.patch.set_edgecolor("0.75")
        if note is not None and note in data.columns:
            notes = data.dropna(subset=[note]).groupby([y, x], observed=True)[note].first()
            for (i, row), (j, col) in ((a, b) for a in enumerate(grid.index)
                                       for b in enumerate(grid.columns)):
                if missing[i, j] and (row, col) in notes.index:
                    ax.text(j + 0.5, i + 0.5, str(notes.loc[(row, col)]), ha="center",
                            va="center", fontsize=7, color="0.35")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=90)
    if title:
        ax.set_title(title)
    return ax


def grouped_bars(data: pd.DataFrame, x: str, y: str, hue: str | None = None, ax=None,
                 title: str | None = None, log: bool = False, order: Sequence[str] | None = None):
    """Bars of ``y`` by ``x`` (and ``hue``), with the value written on each bar.

    Example: ``plots.grouped_bars(df, x="organization", y="value", hue="year")``
    """
    ax = _ax(ax)
    sns.barplot(data=data, x=x, y=y, hue=hue, ax=ax, order=order, errorbar=None)
    for container in ax.containers:
        ax.bar_label(container, fmt="{:,.0f}", fontsize=8, padding=2)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    if title:
        ax.set_title(title)
    return ax


def confidence_bars(data: pd.DataFrame, x: str = "dataset", y: str = "rows",
                    hue: str = "confidence", ax=None, title: str | None = None):
    """Stacked horizontal bars of row counts per dataset by confidence level."""
    ax = _ax(ax)
    wide = data.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", fill_value=0,
                            observed=False)
    cols = [c for c in CONFIDENCE_COLORS if c in wide.columns]
    wide[cols].plot.barh(stacked=True, ax=ax, color=[CONFIDENCE_COLORS[c] for c in cols],
                         width=0.7)
    ax.set_xlabel(y.replace("_", " "))
    ax.set_ylabel("")
    ax.legend(title=hue, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def trend(data: pd.DataFrame, x: str = "year", y: str = "rate", ci_low: str = "ci_low",
          ci_high: str = "ci_high", breakpoints: Sequence[int] = (), fitted: str | None = None,
          ax=None, title: str | None = None, ylabel: str | None = None,
          complete: str | None = "complete", counting_changes: Sequence[int] = ()):
    """A series with its interval band, optional fitted line, dashed breakpoint lines and dotted
    lines where counting changed. Where ``complete`` names a column (default "complete", used when
    present), periods with False are partial: drawn apart as open markers with their interval as
    a whisker, off the line and the band, and labelled "partial year".

    Example: ``plots.trend(rates_df, y="rate", breakpoints=[2008, 2016])``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title)
    ax = _ax(ax)
    d = data.dropna(subset=[y]).sort_values(x)
    part = pd.Series(False, index=d.index)
    if complete is not None and complete in d.columns:
        part = ~d[complete].astype("boolean").fillna(True).astype(bool)
    full, partial = d[~part], d[part]
    color = sns.color_palette(PALETTE)[0]
    ax.fill_between(full[x], full[ci_low], full[ci_high], color=color, alpha=0.2, linewidth=0,
                    label="95% interval")
    ax.plot(full[x], full[y], marker="o", color=color, label=y.replace("_", " "))
    if len(partial):
        ax.errorbar(partial[x], partial[y],
                    yerr=[partial[y] - partial[ci_low], partial[ci_high] - partial[y]],
                    fmt="none", ecolor=color, alpha=0.5, capsize=3)
        ax.plot(partial[x], partial[y], linestyle="none", marker="o", markersize=7,
                markerfacecolor="white", markeredgecolor=color, markeredgewidth=1.5,
                label="partial year")
    if fitted is not None and fitted in d:
        f = full.dropna(subset=[fitted])
        ax.plot(f[x], f[fitted], color=sns.color_palette(PALETTE)[3], linestyle="-",
                linewidth=1.5, label="model")
    for b in breakpoints:
        ax.axvline(b - 0.5, color="0.4", linestyle="--", linewidth=1)
        ax.annotate(str(b), (b - 0.5, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                    ha="left", va="top", color="0.3")
    for i, b in enumerate(counting_changes):
        ax.axvline(b - 0.5, color="0.55", linestyle=":", linewidth=1.2,
                   label="counting changed" if i == 0 else None)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel or y.replace("_", " "))
    ax.set_ylim(bottom=0)
    _whole_years(ax, x)
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def stacked_counts(data: pd.DataFrame, x: str = "year", y: str = "allegations",
                   hue: str = "personnel_category", ax=None, title: str | None = None,
                   order: Sequence[str] | None = None):
    """Stacked bars of counts by ``x`` split by ``hue`` (long input, as from ``count_by``).

    Example: ``plots.stacked_counts(trends.count_by(table, "personnel_category"))``
    """
    if data.empty:
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title)
    ax = _ax(ax)
    wide = data.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", fill_value=0,
                            observed=True)
    if order is not None:
        wide = wide.reindex(columns=[c for c in order if c in wide.columns])
    colors = sns.color_palette(PALETTE, n_colors=max(len(wide.columns), 1))
    wide.astype(float).plot.bar(stacked=True, ax=ax, color=colors, width=0.8)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.legend(title=hue.replace("_", " "), fontsize=8, loc="upper left")
    ax.tick_params(axis="x", labelrotation=0)
    if title:
        ax.set_title(title)
    return ax


def _caption(ax, text: str | None) -> None:
    """A small note under the axes (the source, or what the figures count)."""
    if text:
        ax.annotate(text, (0, 0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -4),
                    textcoords="offset points", fontsize=7, color="0.35", va="top", ha="left")


def share_over_time(data: pd.DataFrame, x: str = "year", y: str = "share_pct",
                    hue: str = "category", targets: pd.DataFrame | None = None, ax=None,
                    title: str | None = None, ylabel: str = "women, % of personnel",
                    complete: str | None = "complete", definition: str | None = "definition",
                    caption: str | None = None):
    """Women's share over time, one line per ``hue``, with parity targets drawn as stars in the
    same colour (``targets``: ``category, year, target_share_pct``).

    Where ``data`` has a ``definition`` column, a line never joins figures of two definitions:
    each definition is its own line, all but the one with the latest figure dashed. Where it has a
    ``complete`` column, figures that are not a year-end figure (False: another month, such as
    February 2014; <NA>: no month given) are drawn as hollow markers. ``caption`` is written under
    the axes.

    Example: ``plots.share_over_time(shares, targets=pko.load("parity_targets"))``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title)
    ax = _ax(ax)
    levels = list(dict.fromkeys(data[hue].astype(str)))
    colors = dict(zip(levels, sns.color_palette(PALETTE, n_colors=max(len(levels), 1))))
    has_def = definition is not None and definition in data
    has_complete = complete is not None and complete in data
    dashed = hollow = False
    for level in levels:
        d = data[data[hue].astype(str) == level].sort_values(x)
        parts = list(d.groupby(definition, sort=False)) if has_def else [(None, d)]
        for i, (_, part) in enumerate(parts):
            style = "--" if i < len(parts) - 1 else "-"
            dashed = dashed or style == "--"
            ax.plot(part[x], part[y], linestyle=style, color=colors[level], linewidth=1.5,
                    label=level.replace("_", " ") if i == len(parts) - 1 else None)
            full = (part[complete].fillna(False).astype(bool) if has_complete
                    else pd.Series(True, index=part.index))
            ax.plot(part.loc[full, x], part.loc[full, y], "o", markersize=3.5,
                    color=colors[level])
            if (~full).any():
                hollow = True
                ax.plot(part.loc[~full, x], part.loc[~full, y], "o", markersize=5,
                        markerfacecolor="white", markeredgecolor=colors[level],
                        markeredgewidth=1.2)
    if targets is not None:
        t = targets.dropna(subset=["target_share_pct"])
        t = t[t["category"].astype(str).isin(levels)]
        for r in t.itertuples():
            ax.scatter([r.year], [r.target_share_pct], marker="*", s=90,
                       color=colors[str(r.category)], edgecolor="black", linewidth=0.5, zorder=3)
        if len(t):
            ax.scatter([], [], marker="*", s=90, color="white", edgecolor="black",
                       label="parity target")
    if hollow:
        ax.plot([], [], "o", markersize=5, markerfacecolor="white", markeredgecolor="0.3",
                label="not a year-end figure")
    if dashed:
        ax.plot([], [], linestyle="--", color="0.3", label="earlier or other definition")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    _whole_years(ax, x)
    ax.legend(fontsize=8, loc="upper left")
    _caption(ax, caption)
    if title:
        ax.set_title(title)
    return ax


def share_heatmap(data: pd.DataFrame, x: str = "year", y: str = "mission",
                  value: str = "share_pct", complete: str | None = "complete", ax=None,
                  title: str | None = None, fmt: str = ".1f", cmap: str = "Blues",
                  missing_label: str = "no personnel: missing, not 0",
                  caption: str | None = None):
    """Heat map of a share, one cell per row of ``data`` (shares are not summed: a repeated
    ``x``/``y`` pair is an error). A missing value is drawn as a hatched grey cell, never as 0;
    columns with a figure that is not a year-end figure (``complete`` False, e.g. February 2014)
    are marked ``*`` and named in a note under the axes.

    Example: ``plots.share_heatmap(participation.mission_year_shares(g.counts))``
    """
    from matplotlib.patches import Rectangle

    if data.empty:
        return _no_data(ax, "no rows in the selection", title)
    ax = _ax(ax)
    grid = data.pivot(index=y, columns=x, values=value).astype(float)
    sns.heatmap(grid, ax=ax, cmap=cmap, mask=grid.isna(), linewidths=0.4, linecolor="white",
                annot=True, fmt=fmt, annot_kws={"fontsize": 7},
                cbar_kws={"label": value.replace("_", " ")})
    for i, j in zip(*np.where(grid.isna().to_numpy())):
        ax.add_patch(Rectangle((j, i), 1, 1, facecolor="0.93", edgecolor="0.7", hatch="///",
                               linewidth=0))
    labels = [str(c) for c in grid.columns]
    partial = []
    if complete is not None and complete in data:
        flags = data.assign(_c=data[complete].fillna(False).astype(bool)).groupby(x)["_c"].all()
        partial = [c for c in grid.columns if not flags.get(c, True)]
        labels = [f"{c}*" if c in partial else str(c) for c in grid.columns]
    ax.set_xticks(np.arange(len(labels)) + 0.5)
    ax.set_xticklabels(labels, rotation=0 if len(labels) <= 10 else 90)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel("")
    note = [f"hatched: {missing_label}"]
    if partial:
        periods = ""
        if "period" in data:
            ps = data[data[x].isin(partial)]["period"].dropna().unique()
            periods = f" ({', '.join(map(str, ps))})"
        note.append(f"* not a year-end figure{periods}")
    _caption(ax, "; ".join(note + ([caption] if caption else [])))
    if title:
        ax.set_title(title)
    return ax


def dot_shares(data: pd.DataFrame, x: str = "share_pct", y: str = "country",
               ci_low: str = "ci_low", ci_high: str = "ci_high", ax=None,
               title: str | None = None, reference: float | None = None,
               caption: str | None = None):
    """Dot plot of shares with interval whiskers, one row per ``y`` in the order given;
    ``reference`` draws a vertical line (e.g. the overall share); ``caption`` (the date, what is
    counted and the source) is written under the axes.

    Example: ``plots.dot_shares(ranking, y="contributor", reference=3.8)``
    """
    if data.empty:
        return _no_data(ax, "no rows in the selection", title)
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    pos = list(range(len(d)))[::-1]
    color = sns.color_palette(PALETTE)[0]
    ax.hlines(pos, d[ci_low], d[ci_high], color=color, alpha=0.6, linewidth=2)
    ax.plot(d[x], pos, "o", color=color)
    ax.set_yticks(pos)
    ax.set_yticklabels(d[y].astype(str))
    if reference is not None:
        ax.axvline(reference, color="0.4", linestyle="--", linewidth=1)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel("")
    ax.set_xlim(left=0)
    _caption(ax, caption)
    if title:
        ax.set_title(title)
    return ax


def funnel(data: pd.DataFrame, limits: pd.DataFrame, x: str = "decided", y: str = "rate",
           label: str | None = None, p0: float | None = None, ax=None, title: str | None = None,
           label_outside: bool = True, shared: str | None = None, note: str | None = None):
    """Funnel plot: each unit's rate against its number of cases, with binomial control limits
    (``limits`` from ``response.funnel_limits``) and the overall rate ``p0``. Units outside the
    outer limits are labelled with ``label``. ``shared`` names a column counting cases a unit
    shares with other units (an allegation naming several contributors counts for each): those
    units are drawn as open circles. ``note`` is written under the plot (e.g. how shared cases
    are counted).

    Example: ``plots.funnel(table, response.funnel_limits(0.6, 100), label="nationality", p0=0.6)``
    """
    if data.empty or data[y].isna().all():
        return _no_data(ax, f"no {y.replace('_', ' ')} in the selection", title)
    ax = _ax(ax)
    pal = sns.color_palette(PALETTE)
    bands = [c.removeprefix("lower_") for c in limits.columns if c.startswith("lower_")]
    for style, tag in zip(["--", ":"], bands):
        ax.step(limits["n"], limits[f"lower_{tag}"], where="mid", color="0.35", linestyle=style,
                linewidth=1, label=f"{tag}% limits")
        ax.step(limits["n"], limits[f"upper_{tag}"], where="mid", color="0.35", linestyle=style,
                linewidth=1)
    if p0 is not None:
        ax.axhline(p0, color=pal[3], linewidth=1, label="overall rate")
    if shared is not None and shared in data:
        own = data[data[shared].fillna(0) == 0]
        both = data[data[shared].fillna(0) > 0]
        ax.scatter(own[x], own[y], color=pal[0], s=22, zorder=3)
        if len(both):
            ax.scatter(both[x], both[y], facecolors="white", edgecolors=pal[0], s=30,
                       linewidths=1.2, zorder=3, label="includes shared allegations")
    else:
        ax.scatter(data[x], data[y], color=pal[0], s=22, zorder=3)
    if label is not None and label_outside and bands:
        outer = bands[-1]
        lim = limits.set_index("n")
        for r in data.itertuples():
            n = int(getattr(r, x))
            if n in lim.index:
                lo, hi = lim.at[n, f"lower_{outer}"], lim.at[n, f"upper_{outer}"]
                if getattr(r, y) < lo or getattr(r, y) > hi:
                    ax.annotate(str(getattr(r, label)), (n, getattr(r, y)), fontsize=7,
                                xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8, loc="lower right")
    _note(ax, note)
    if title:
        ax.set_title(title)
    return ax


def _note(ax, note: str | None) -> None:
    """Write ``note`` (a source, how cases are counted) in small type under the axes."""
    if note:
        import textwrap

        ax.annotate(textwrap.fill(note, 110), (0, 0), xycoords="axes fraction",
                    xytext=(0, -40), textcoords="offset points", fontsize=7, va="top",
                    color="0.3")


def survival(curves: dict[str, pd.DataFrame], ax=None, title: str | None = None,
             xlabel: str = "days", ylabel: str = "share still under investigation",
             note: str | None = None):
    """Step curves, one per key (``time`` and ``survival`` columns, e.g. Kaplan-Meier tables),
    censoring times marked with ticks where a ``censored`` column is above 0. Label the axes
    with what the time counts from and what the curve shows (``xlabel``, ``ylabel``); ``note``
    is written under the plot (e.g. the source).

    Example: ``plots.survival({"tcc": km.table}, xlabel="days since the reporting month")``
    """
    if not curves:
        return _no_data(ax, "no curve in the selection", title)
    ax = _ax(ax)
    colors = sns.color_palette(PALETTE, n_colors=max(len(curves), 1))
    for (name, t), color in zip(curves.items(), colors):
        times = [0.0, *t["time"].tolist()]
        surv = [1.0, *t["survival"].tolist()]
        ax.step(times, surv, where="post", color=color, label=str(name).replace("_", " "))
        if "censored" in t:
            cens = t[t["censored"] > 0]
            ax.plot(cens["time"], cens["survival"], "|", color=color, markersize=6)
    ax.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    _note(ax, note)
    if title:
        ax.set_title(title)
    return ax


def coefficients(data: pd.DataFrame, x: str = "irr", y: str = "specification",
                 ci_low: str = "ci_low", ci_high: str = "ci_high", reference: float = 1.0,
                 log: bool = True, ax=None, title: str | None = None,
                 xlabel: str = "incidence rate ratio per percentage point of women"):
    """Coefficient plot: one row per ``y`` (in the order given, top to bottom), the estimate as a
    dot with its interval as a line, and a dashed line at ``reference`` (1: no association).
    A log axis (``log``) keeps ratios symmetric.

    Example: ``plots.coefficients(panel.fit_models(p).to_frame())``
    """
    if data.empty or data[x].isna().all():
        return _no_data(ax, "no estimate in the selection", title)
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    pos = list(range(len(d)))[::-1]
    color = sns.color_palette(PALETTE)[0]
    ax.hlines(pos, d[ci_low], d[ci_high], color=color, linewidth=2)
    ax.plot(d[x], pos, "o", color=color, markersize=7)
    ax.axvline(reference, color="0.4", linestyle="--", linewidth=1)
    if log:
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        ax.set_xscale("log")
        lo = min(float(d[ci_low].min()), reference)
        hi = max(float(d[ci_high].max()), reference)
        ticks = [t for t in (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 3,
                             4, 5, 10) if lo / 1.05 <= t <= hi * 1.05]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_yticks(pos)
    ax.set_yticklabels(d[y].astype(str))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    return ax
