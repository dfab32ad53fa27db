"""Every plot function drawn on small fixed data: shared by the determinism test (two processes)
and the image regression test (against the PNGs in tests/baseline/).

Regenerate the baselines after a deliberate change to a plot:  python tests/plot_cases.py tests/baseline
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

YEARS = list(range(2010, 2016))
RATES = pd.DataFrame(
    {
        "year": YEARS,
        "rate": [1.1, 0.9, 0.8, 0.85, 0.6, 0.7],
        "ci_low": [0.9, 0.7, 0.6, 0.65, 0.45, 0.5],
        "ci_high": [1.3, 1.1, 1.0, 1.05, 0.8, 0.9],
        "fitted_rate": [1.0, 0.93, 0.86, 0.8, 0.74, 0.69],
        "complete": [True] * 5 + [False],  # the last year is partial
        # its caption is built from the rows' sources (A/70/729, A/72/751)
        "source_id": ["a-70-729-a9859e"] * 3 + ["a-72-751-a5632c"] * 3,
    }
)
LONG = pd.DataFrame(
    {
        "year": YEARS * 2,
        "group": ["a"] * 6 + ["b"] * 6,
        "allegations": [3, 4, 2, 5, 1, 0, 1, 1, 2, 0, 3, 4],
    }
)
# a heat map with a cell absent (b 2012) and one missing with a note (b 2013: "?")
HEAT = LONG[~((LONG["group"] == "b") & (LONG["year"] == 2012))].assign(
    allegations=lambda d: (
        d["allegations"].astype("Int64").mask((d["group"] == "b") & (d["year"] == 2013))
    ),
    note=lambda d: ["?" if (g, y) == ("b", 2013) else None for g, y in zip(d["group"], d["year"])],
)
SHARES = pd.DataFrame(
    {
        "year": YEARS * 2,
        "category": ["military_contingents"] * 6 + ["formed_police_units"] * 6,
        "share_pct": [2.4, 2.4, 2.7, 2.8, 4.8, 5.0, 4.5, 4.7, 6.0, 5.6, 6.2, 6.2],
        # a change of definition in 2014 (drawn as two lines, the first dashed)
        "definition": ["a"] * 4 + ["b"] * 2 + ["c"] * 6,
        # 2015 is not a year-end figure (hollow markers)
        "complete": pd.array([True] * 5 + [False] + [True] * 5 + [None], dtype="boolean"),
    }
)
MISSION_SHARES = pd.DataFrame(
    {
        "year": [2012, 2013, 2014] * 3,
        "mission": ["M1"] * 3 + ["M2"] * 3 + ["M3"] * 3,
        # M2 closed after 2012 (missing, not 0); M3 has no women in 2013
        "share_pct": [3.1, 3.4, 3.5, 2.0, None, None, 1.2, 0.0, 0.5],
        "complete": [True, True, False] * 3,
        "period": ["Dec 2012", "Dec 2013", "Feb 2014"] * 3,
    }
)
TARGETS = pd.DataFrame(
    {
        "year": [2014, 2015],
        "category": ["military_contingents", "formed_police_units"],
        "target_share_pct": [10.0, 15.0],
    }
)
DOTS = pd.DataFrame(
    {
        "country": ["A", "B", "C"],
        "share_pct": [10.0, 4.0, 16.6],
        "ci_low": [8.9, 3.5, 14.5],
        "ci_high": [11.1, 4.6, 19.0],
    }
)
FUNNEL = pd.DataFrame(
    {
        "nationality": ["A", "B", "C", "D"],
        "decided": [40, 12, 5, 30],
        "rate": [0.6, 0.25, 1.0, 0.9],
        "shared": [0, 2, 0, 0],
    }
)
COEFS = pd.DataFrame(
    {
        "specification": ["(1) negative binomial", "(2) quasi-Poisson", "(3) mission effects"],
        "irr": [0.92, 0.95, 1.04],
        "ci_low": [0.8, 0.85, 0.9],
        "ci_high": [1.06, 1.06, 1.2],
    }
)
KM = pd.DataFrame(
    {
        "time": [3.0, 5.0, 6.0, 8.0, 10.0, 12.0],
        "at_risk": [7, 6, 5, 3, 2, 1],
        "events": [1, 0, 2, 0, 1, 0],
        "censored": [0, 1, 0, 1, 0, 1],
        "survival": [6 / 7, 6 / 7, 18 / 35, 18 / 35, 9 / 35, 9 / 35],
    }
)


# contributors' pooled rates (per 1,000 person-years): AAA above the limits, DDD with none
CONTRIBUTOR_RATES = pd.DataFrame(
    {
        "iso3": ["AAA", "BBB", "CCC", "DDD"],
        "person_years": [2000.0, 10000.0, 40000.0, 300.0],
        "rate": [3.0, 0.6, 0.45, 0.0],
        "share_pct": [4.0, 8.0, 2.5, 20.0],
    }
)
RATE_LIMITS = pd.DataFrame(
    {
        "person_years": [200.0, 1000.0, 10000.0, 50000.0],
        "lower_95": [0.0, 0.06, 0.36, 0.44],
        "upper_95": [1.48, 0.94, 0.64, 0.56],
        "lower_99.8": [0.0, 0.0, 0.28, 0.40],
        "upper_99.8": [2.04, 1.19, 0.72, 0.60],
    }
)


def cases():
    from pkoresearch.analysis import response
    from pkoresearch.figures import plots

    return {
        "trend": lambda ax: plots.trend(
            RATES,
            y="rate",
            fitted="fitted_rate",
            breakpoints=[2013],
            counting_changes=[2012],
            ax=ax,
            title="trend",
        ),
        "stacked": lambda ax: plots.stacked_counts(
            LONG, hue="group", ax=ax, title="stacked", source="a hand-made table"
        ),
        "heatmap": lambda ax: plots.heatmap(
            HEAT,
            x="year",
            y="group",
            value="allegations",
            annot=True,
            note="note",
            ax=ax,
            title="heat",
            source="a hand-made table",
        ),
        "bars": lambda ax: plots.grouped_bars(
            LONG, x="group", y="allegations", ax=ax, title="bars", source="tip2011-seed"
        ),
        "confidence": lambda ax: plots.confidence_bars(
            pd.DataFrame(
                {
                    "dataset": ["x", "x", "y"],
                    "confidence": ["high", "low", "medium"],
                    "rows": [3, 1, 2],
                }
            ),
            ax=ax,
            source="a hand-made table",
        ),
        "share_over_time": lambda ax: plots.share_over_time(
            SHARES, targets=TARGETS, ax=ax, title="shares", source="a hand-made table"
        ),
        "dot_shares": lambda ax: plots.dot_shares(
            DOTS,
            reference=8.0,
            ax=ax,
            title="dots",
            caption="31 Dec 2013; all uniformed",
            source="a hand-made table",
        ),
        "share_heatmap": lambda ax: plots.share_heatmap(
            MISSION_SHARES, ax=ax, title="missions", source="a hand-made table"
        ),
        "funnel": lambda ax: plots.funnel(
            FUNNEL,
            response.funnel_limits(0.7, 45),
            label="nationality",
            p0=0.7,
            ax=ax,
            title="funnel",
            shared="shared",
            note="B shares 2 cases with others",
            source="a hand-made table",
        ),
        "survival": lambda ax: plots.survival(
            {"tcc": KM, "un_oios": KM.assign(survival=KM["survival"] ** 2)},
            ax=ax,
            title="survival",
            xlabel="days since the reporting month",
            source="a hand-worked example",
        ),
        "coefficients": lambda ax: plots.coefficients(
            COEFS, ax=ax, title="coefficients", source="a hand-made table"
        ),
        "rate_funnel": lambda ax: plots.rate_funnel(
            CONTRIBUTOR_RATES,
            RATE_LIMITS,
            p0=0.5,
            ax=ax,
            title="rate funnel",
            note="limits: a hand-made example",
            source="a hand-made table",
        ),
        "share_rate_scatter": lambda ax: plots.share_rate_scatter(
            CONTRIBUTOR_RATES, ax=ax, title="share and rate", source="a hand-made table"
        ),
        "dot_values": lambda ax: plots.dot_values(
            pd.DataFrame(
                {
                    "label": ["A: troops", "B: field mission personnel"],
                    "value": [135000, 2887],
                    "stated": ["more than about 135,000", "2,887"],
                }
            ),
            x="value",
            y="label",
            text="stated",
            ax=ax,
            xlabel="personnel",
            title="dot values",
            source="a hand-made table",
        ),
    }


# the public plot function each case draws (tests/test_figures.py checks every one has a case)
FUNCTIONS = {
    "trend": "trend",
    "stacked": "stacked_counts",
    "heatmap": "heatmap",
    "bars": "grouped_bars",
    "confidence": "confidence_bars",
    "share_over_time": "share_over_time",
    "dot_shares": "dot_shares",
    "share_heatmap": "share_heatmap",
    "funnel": "funnel",
    "survival": "survival",
    "coefficients": "coefficients",
    "rate_funnel": "rate_funnel",
    "share_rate_scatter": "share_rate_scatter",
    "dot_values": "dot_values",
}


def draw_all(out: Path, exts=("png",)) -> list[Path]:
    """Draw every case into ``out``; returns the files written."""
    import matplotlib.pyplot as plt

    from pkoresearch.figures import plots

    written = []
    for name, draw in cases().items():
        fig, ax = plt.subplots()
        assert draw(ax) is ax, f"{name} must return the Axes it drew on"
        written += plots.save(fig, Path(out) / f"{name}.{exts[0]}", formats=exts)
        plt.close(fig)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "baseline")
    for p in draw_all(target):
        print(p)
