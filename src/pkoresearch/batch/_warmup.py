"""What a warm kernel server does once after importing the stack (see :mod:`pkoresearch.batch._forkserver`),
so that the kernels it forks do not each pay for it: the first figure saved as PNG, SVG and PDF
(font files opened, glyph caches and the PDF font subsetter loaded), the first model fitted and
the bundled curated tables read and validated (:func:`pkoresearch.data.curated.warm`).

Nothing here changes what a kernel computes: no rcParams, no pyplot figure, no seed and no option
outlives a step (each runs inside ``rc_context`` or on objects it made), and the cache of curated
tables is keyed by the files' contents. Each step is optional: one that fails is reported, and the
kernels do the work themselves.
"""

from __future__ import annotations

import io
from collections.abc import Callable


def _figure() -> None:
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # the settings of pkoresearch.figures.plots.theme that choose which fonts and writers are used
    with mpl.rc_context({"pdf.fonttype": 42, "svg.fonttype": "path", "font.family": "sans-serif"}):
        fig = Figure(figsize=(3, 2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot([2010, 2011, 2012], [1.0, 3.0, 2.0], label="Allegations 0-9")
        ax.set_title("Title 2016", fontweight="bold")
        ax.set_xlabel("Year")
        ax.legend(title="Legend")
        fig.text(0.0, 0.0, "Source: A/71/818, para. 12", fontsize=7)
        for fmt in ("png", "svg", "pdf"):
            fig.savefig(io.BytesIO(), format=fmt, dpi=100, bbox_inches="tight")


def _model() -> None:
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(0)  # its own generator: numpy's global one is not touched
    df = pd.DataFrame({"year": np.arange(20.0), "n": rng.poisson(5.0, 20)})
    smf.glm("n ~ year", data=df, family=sm.families.Poisson()).fit()


def _curated() -> None:
    from pkoresearch.data import curated

    failed = curated.warm()
    if failed:
        raise RuntimeError("; ".join(failed))


STEPS: dict[str, Callable[[], None]] = {
    "figure": _figure,
    "model": _model,
    "curated tables": _curated,
}


def run(between: Callable[[], None] | None = None) -> dict[str, str]:
    """Run every step (``between`` before each: the server checks that it is still wanted);
    returns the steps that failed, with why."""
    failed = {}
    for name, step in STEPS.items():
        if between is not None:
            between()
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - a step that fails is only not warm
            failed[name] = f"{type(exc).__name__}: {exc}"[:300]
    return failed
