"""Plausibility check of monthly personnel series: months far from their own neighbours.

A monthly count of uniformed personnel moves slowly: rotations, deployments and drawdowns change it
by a few percent a month, and a mission's women's share by a fraction of a point. A month whose
value is far from the same series' neighbouring months is more likely a data-entry error than a
change (the mission x month file has UNOCI at about 870 women in January and March-May 2016, 888
of 6,585 in January, while the months around have 98-170).

**Rule** (:func:`suspect_months`), for each series (by default one per mission) and each of
women, men and women's share (percent):

- the *neighbourhood* of a month is the series' months present within ``window`` calendar months
  either side (default 6, i.e. up to 12 neighbours), the month itself left out, with as many
  months on each side (a centred rolling window: near the start or end of a series it shrinks to
  the shorter side, so that a deployment or a drawdown there is not taken for a spike);
- ``median`` and ``mad`` (median absolute deviation from that median, times 1.4826 so that it
  estimates a standard deviation for normal data) of the neighbourhood;
- ``distance`` = ``|value - median| / scale``, where scale = max(mad, floor): the floor keeps a
  constant neighbourhood (MAD 0) from making any small move infinitely far: for counts 10% of the
  median or 5 persons, whichever is larger; for the share 0.5 percentage points or the binomial
  standard deviation of the neighbourhood median share out of the neighbourhood median total,
  whichever is larger (a mission of 16 persons moves by 6 points with one woman more or less);
- a month is *suspect* when the distance exceeds ``threshold`` (default 6) for any of the three
  measures and it has at least ``min_neighbours`` (default 4, two on each side) neighbours.

Why these values: the neighbourhood is wide enough that a run of up to five wrong months among
twelve neighbours leaves the median on the right values (UNOCI 2016 has four wrong months in five),
and a step change (a deployment or a drawdown) puts half the neighbours on each side, so the MAD is
large and the step is not flagged. A threshold of 6 robust standard deviations is far beyond
normal month-to-month variation: on the real mission x month file 2010-2022 it flags exactly
the four UNOCI months of 2016 (``tests/test_plausibility.py`` checks it on that file; the UN
monthly gender statistics 2009-2014 have none).

Suspect months are listed with the rule's numbers and, by default, left out of shares and
exposures by the functions that use monthly files (``panel.personnel_by_mission_year``,
``panel.shares_by_year``: ``suspect="exclude"``; ``suspect="keep"`` keeps them); they are never
silently averaged in. The check describes; it does not correct a value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pkoresearch.errors import ParameterError

WINDOW = 6  # calendar months either side of the month checked
THRESHOLD = 6.0  # robust standard deviations (MAD x 1.4826)
MIN_NEIGHBOURS = 4
MAD_SCALE = 1.4826  # MAD -> standard deviation of a normal distribution
COUNT_FLOOR_FRACTION = 0.10  # floor of the scale for counts: 10% of the neighbourhood median ...
COUNT_FLOOR = 5.0  # ... or 5 persons, whichever is larger
SHARE_FLOOR = 0.5  # floor of the scale for the share, in percentage points
MEASURES = ("women", "men", "share_pct")
SUSPECT_CHOICES = ("exclude", "keep")

# decimals for showing a suspect-months table (``table.round(ROUNDING)``: the numeric columns only,
# so that pandas does not warn about the month column)
ROUNDING = {"value": 2, "median": 2, "mad": 2, "scale": 2, "distance": 2}

SUSPECT_COLUMNS = [
    "month",
    "measure",
    "value",
    "median",
    "mad",
    "scale",
    "distance",
    "threshold",
    "neighbours",
]


def check_suspect(suspect: str) -> str:
    """Validate a ``suspect`` parameter ("exclude" or "keep")."""
    if suspect not in SUSPECT_CHOICES:
        raise ParameterError(f"suspect: found {suspect!r}; expected one of {list(SUSPECT_CHOICES)}")
    return suspect


def _series_check(
    months: np.ndarray, values: np.ndarray, totals: np.ndarray, window: int, measure: str
) -> tuple[np.ndarray, ...]:
    """For one series (months as integer month numbers, sorted): neighbourhood median, MAD,
    scale, distance and neighbour count of every month."""
    n = len(months)
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    floor = np.full(n, np.nan)
    count = np.zeros(n, dtype=int)
    lo = np.searchsorted(months, months - window, side="left")
    hi = np.searchsorted(months, months + window, side="right")
    side = np.minimum(np.arange(n) - lo, hi - np.arange(n) - 1)
    for i in range(n):
        k = side[i]  # as many neighbours on each side: a step near an edge is not a spike
        idx = np.r_[i - k : i, i + 1 : i + 1 + k]
        count[i] = len(idx)
        if not len(idx):
            continue
        nb = values[idx]
        m = float(np.median(nb))
        med[i] = m
        mad[i] = MAD_SCALE * float(np.median(np.abs(nb - m)))
        if measure == "share_pct":
            # binomial standard deviation of a share out of the neighbourhood's median total
            size = float(np.median(totals[idx]))
            p = min(max(m / 100, 0.5 / size), 1 - 0.5 / size)
            floor[i] = max(SHARE_FLOOR, 100 * math.sqrt(p * (1 - p) / size))
        else:
            floor[i] = max(COUNT_FLOOR_FRACTION * abs(m), COUNT_FLOOR)
    scale = np.fmax(mad, floor)
    distance = np.abs(values - med) / scale
    return med, mad, scale, distance, count


def suspect_months(
    frame: pd.DataFrame,
    by: Sequence[str] = ("mission",),
    month: str = "month",
    women: str = "women",
    total: str = "total",
    window: int = WINDOW,
    threshold: float = THRESHOLD,
    min_neighbours: int = MIN_NEIGHBOURS,
) -> pd.DataFrame:
    """Months of a monthly personnel series far from the same series' neighbouring months.

    ``frame`` has one or more rows per series (``by``) and month (they are summed): ``women`` and
    ``total`` counts (men = total - women; the share is 100 x women / total). Months with total 0
    are not checked (no personnel). The rule is the module's (rolling median and MAD of the months
    within ``window`` calendar months either side, the month left out; suspect above
    ``threshold`` robust standard deviations on women, men or the share).

    Returns one row per suspect month and measure that exceeds the threshold: ``*by, month,
    measure, value, median, mad, scale, distance, threshold, neighbours`` (sorted; empty with those
    columns when nothing is suspect). Pure: the frame is not changed.
    Example: ``suspect_months(read_mission_month(path).counts)``
    """
    by = list(by)
    missing = [c for c in [*by, month, women, total] if c not in frame]
    if missing:
        raise ParameterError(
            f"suspect_months: found no column(s) {missing} in {list(frame.columns)}; expected "
            f"{[*by, month, women, total]}"
        )
    if window < 1 or min_neighbours < 1 or not threshold > 0:
        raise ParameterError(
            f"suspect_months: found window {window!r}, threshold {threshold!r}, min_neighbours "
            f"{min_neighbours!r}; expected window >= 1, threshold > 0, min_neighbours >= 1"
        )
    g = (
        frame.groupby([*by, month], observed=True, dropna=False)[[women, total]]
        .sum()
        .astype(float)
        .reset_index()
    )
    g = g[g[total] > 0].sort_values([*by, month]).reset_index(drop=True)
    out = []
    keys = g[by].astype(object).apply(tuple, axis=1) if by else pd.Series([()] * len(g))
    for _, part in g.groupby(keys.to_numpy(), sort=False):
        mon = pd.to_datetime(part[month])
        m = (mon.dt.year * 12 + mon.dt.month).to_numpy()
        w = part[women].to_numpy()
        t = part[total].to_numpy()
        series = {"women": w, "men": t - w, "share_pct": 100 * w / t}
        for measure, values in series.items():
            med, mad, scale, dist, count = _series_check(m, values, t, window, measure)
            hit = (dist > threshold) & (count >= min_neighbours)
            if hit.any():
                rows = part.loc[hit, [*by, month]].copy()
                rows["measure"] = measure
                rows["value"] = values[hit]
                rows["median"] = med[hit]
                rows["mad"] = mad[hit]
                rows["scale"] = scale[hit]
                rows["distance"] = dist[hit]
                rows["threshold"] = float(threshold)
                rows["neighbours"] = count[hit]
                out.append(rows)
    cols = [*by, *SUSPECT_COLUMNS]
    if month != "month":
        cols[cols.index("month")] = month
    if not out:
        return pd.DataFrame(columns=cols)
    res = pd.concat(out, ignore_index=True)[cols]
    order = {m: i for i, m in enumerate(MEASURES)}
    res = res.assign(_o=res["measure"].map(order)).sort_values([*by, month, "_o"])
    return res.drop(columns="_o").reset_index(drop=True)


def suspect_keys(suspects: pd.DataFrame, by: Sequence[str] = ("mission",), month: str = "month"):
    """The distinct (``*by``, ``month``) pairs of a :func:`suspect_months` table, as a
    ``pd.MultiIndex`` (a month suspect on any measure is suspect)."""
    cols = [*by, month]
    if suspects.empty:
        return pd.MultiIndex.from_arrays([[] for _ in cols], names=cols)
    return pd.MultiIndex.from_frame(suspects[cols].drop_duplicates())


def describe(suspects: pd.DataFrame, by: Sequence[str] = ("mission",), month: str = "month") -> str:
    """One sentence naming the suspect months (for a notebook to print)."""
    keys = suspect_keys(suspects, by, month)
    if len(keys) == 0:
        return (
            "Plausibility check: no month is further than the threshold from its own "
            "neighbouring months (women, men and share)."
        )
    parts = []
    frame = keys.to_frame(index=False)
    for key, grp in frame.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        months = ", ".join(pd.Timestamp(m).strftime("%b %Y") for m in sorted(grp[month]))
        parts.append(f"{' '.join(str(k) for k in key)}: {months}")
    return (
        f"Plausibility check: {len(keys)} suspect month(s), far from the same series' "
        f"neighbouring months ({'; '.join(parts)}), left out of shares and exposures "
        "unless kept (the table lists the rule's numbers)."
    )
