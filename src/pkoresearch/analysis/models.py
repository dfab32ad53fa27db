"""The count-model machinery the two panels share: the mission-year panel
(:mod:`pkoresearch.analysis.panel`, notebook 04) and the contingent panel
(:mod:`pkoresearch.analysis.contingents`, notebook 05) each define their specifications, fit and
regression table; what is the same in both lives here once.

- :func:`drop_separated`: rows of fixed-effect levels whose outcomes are all zero, left out;
- :func:`design`: constant, the share and one indicator per fixed-effect level but the first;
- :class:`ModelResult`: the women's-share term of one fitted specification (or why it could not
  be fitted: :meth:`ModelResult.unavailable`), extended by each panel with its own counts;
- :class:`ModelTable`: every specification fitted on one sample, with the sample and its steps;
- :func:`share_measured`: the table's words for the share a specification uses;
- :func:`blas`: the BLAS thread control the fits run under (one thread: small matrices).

>>> import pandas as pd
>>> d = pd.DataFrame({"year": [1, 1, 2, 2], "y": [1, 0, 0, 0], "share_pct": [1.0, 2, 3, 4]})
>>> kept, levels = drop_separated(d, "y", ["year"])
>>> len(kept), levels
(2, {'year': (2,)})
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd


@functools.lru_cache(maxsize=1)
def blas():
    """The process's BLAS thread controller (threadpoolctl): the fits run under
    ``blas().limit(limits=1, user_api="blas")``, as these matrices are small and a threaded BLAS
    on a busy machine is many times slower and not bit-for-bit reproducible."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def drop_separated(
    d: pd.DataFrame, outcome: str, fe: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, tuple]]:
    """Leave out the rows of each fixed-effect level (each column of ``fe``, in order) whose
    outcomes are all zero: the level's effect would run to minus infinity and the fit would not
    converge; in a Poisson (or NB2) likelihood such rows are perfectly predicted by a zero rate and
    carry no information on the other coefficients, so dropping them is the limit of the fit with
    them (as fixest drops them). The rows dropped have outcome 0, so no other level's total
    changes: one pass over the columns leaves every level with an outcome. Where no row has an
    outcome nothing is dropped (nothing can be estimated; the fit says so). Returns ``(rows kept,
    {column: levels dropped, sorted})``, the index renumbered. Outcomes must be >= 0, not missing.
    """
    dropped: dict[str, tuple] = dict.fromkeys(fe, ())
    if not len(d) or not (d[outcome] > 0).any():
        return d.reset_index(drop=True), dropped
    for col in fe:
        has = (d.groupby(col, observed=True)[outcome].transform("sum") > 0).to_numpy()
        if not has.all():
            dropped[col] = tuple(sorted(set(d.loc[~has, col])))
            d = d[has]
    return d.reset_index(drop=True), dropped


def design(
    d: pd.DataFrame,
    share: str,
    fe: Sequence[str],
    name: Callable[[str, str], str] = lambda col, level: f"{col}[{level}]",
) -> pd.DataFrame:
    """Design matrix: a constant, the share (per percentage point) and, for each column of
    ``fe`` in order, one indicator per level but the first (levels sorted as text), named
    ``name(column, level)``."""
    blocks = [np.ones((len(d), 1)), d[share].astype(float).to_numpy()[:, None]]
    names = ["const", share]
    for col in fe:
        v = d[col].astype(str).to_numpy()
        levels = np.unique(v)[1:]
        blocks.append((v[:, None] == levels[None, :]).astype(float))
        names += [name(col, lv) for lv in levels]
    return pd.DataFrame(np.hstack(blocks), columns=names, index=d.index)


def share_measured(share: str) -> str:
    """The regression table's words for the share a specification uses: ``"same year"`` for
    ``share_pct``, ``"k year(s) earlier"`` for ``share_pct_lag{k}``."""
    return (
        "same year"
        if share == "share_pct"
        else share.replace("share_pct_lag", "") + (" year(s) earlier")
    )


@dataclass(frozen=True, kw_only=True)
class ModelResult:
    """The women's-share term of one specification: rate ratio (``irr``) per percentage point with
    its interval and p-value, the coefficient and its standard error, the observations used, and
    ``not_estimable`` (why the sample cannot support the specification; "" when fitted). Each
    panel extends it with its own counts (missions, clusters, what was dropped)."""

    spec: Any
    irr: float
    ci_low: float
    ci_high: float
    p_value: float
    coef: float
    se: float
    n: int
    converged: bool
    alpha_nb: float | None = None  # NB2 dispersion, for a negative binomial fit
    method: str = ""
    not_estimable: str = ""

    @classmethod
    def unavailable(cls, spec: Any, reason: str, **counts: Any):
        """A specification the sample cannot support: missing estimates, not converged, and the
        reason; ``counts`` fill the other fields (e.g. ``n``)."""
        nan = float("nan")
        fields = {"n": 0, **counts}
        return cls(
            spec=spec,
            irr=nan,
            ci_low=nan,
            ci_high=nan,
            p_value=nan,
            coef=nan,
            se=nan,
            converged=False,
            not_estimable=reason,
            **fields,
        )

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - each panel names its columns
        raise NotImplementedError


@dataclass(kw_only=True)
class ModelTable:
    """Every specification fitted on one sample: ``results`` in column order, the ``sample`` and
    the ``steps`` that made it. ``COLUMNS`` are the columns of :meth:`to_frame`."""

    COLUMNS: ClassVar[list[str]] = []

    results: list
    sample: pd.DataFrame
    steps: pd.DataFrame
    alpha: float = 0.05

    @property
    def fitted(self) -> list:
        """The specifications that could be estimated."""
        return [r for r in self.results if not r.not_estimable]

    def to_frame(self, estimable_only: bool = False) -> pd.DataFrame:
        """One row per specification (columns ``COLUMNS``; missing estimates where a
        specification is not estimable, ``estimable_only`` leaves those out); no row, the same
        columns, when there is none."""
        rows = [r.to_frame() for r in (self.fitted if estimable_only else self.results)]
        if not rows:
            return pd.DataFrame(columns=self.COLUMNS)
        return pd.concat(rows, ignore_index=True)
