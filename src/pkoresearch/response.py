"""How troop- and police-contributing countries respond: follow-ups answered, national
investigation officers (NIO) appointed, outcomes reported, national actions, and how long
investigations take. Pure functions.

"Response rate" has several definitions; each series here carries its ``definition`` and series
with different definitions are never put in one table row, line or model.

>>> from pkoresearch import response
>>> r = response.curated_series("followups_answered")
>>> r.set_index("year").loc[2010, ["responses", "requests"]].tolist()
[29, 74]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import curated, stats
from .errors import ParameterError
from .readers.un_conduct import AllegationTable

DEFINITIONS = {
    "followups_answered": (
        "follow-up messages answered: responses the UN received to its follow-ups with "
        "contributing countries on the outcome of disciplinary action (State Department TIP "
        "reports)"),
    "countries_replying": (
        "countries that replied: contributing countries notified of allegations that replied on "
        "investigation or action"),
    "nio_appointed": (
        "allegations with a national investigation officer appointed, among allegations against "
        "uniformed personnel where the contributor was asked and answered or failed to answer "
        "(yes / no response / declined); pending requests and 'not applicable' are left out"),
    "outcome_reported": (
        "allegations against uniformed personnel for which the national government reported a "
        "final action other than 'pending'"),
}
# curated measures: definition -> (successes measure, denominator measure)
CURATED_MEASURES = {
    "followups_answered": ("responses_received", "followups_sent"),
    "countries_replying": ("tccs_responded_h1", "tccs_notified_of_allegations_h1"),
}
UNIFORMED = ("military", "police")
NIO_DECIDED = ("yes", "no_response", "declined")


def rate_table(frame: pd.DataFrame, successes: str, n: str, method: str = "wilson",
               alpha: float = 0.05, definition: str | None = None) -> pd.DataFrame:
    """Add ``rate, ci_low, ci_high, ci_method`` (and ``definition``) to a table of counts.
    Raises ParameterError for a row with more successes than cases or a negative count."""
    if method not in stats.CI_METHODS:
        raise ParameterError(f"ci_method: found {method!r}; expected one of {list(stats.CI_METHODS)}")
    out = stats.proportion_table(frame, successes, n, method, alpha)
    out["ci_method"] = method
    if definition is not None:
        out["definition"] = definition
    return out


def curated_series(definition: str = "followups_answered", method: str = "wilson",
                   alpha: float = 0.05) -> pd.DataFrame:
    """A curated response series as rates with intervals: ``year, period, responses, requests,
    rate, ci_low, ci_high, ci_method, definition, source_id``.

    ``definition`` is "followups_answered" (2010 29/74, 2011 26/60, 2012 27/47) or
    "countries_replying" (13 of 39 contributors for January-June 2010).
    """
    if definition not in CURATED_MEASURES:
        raise ParameterError(f"definition: found {definition!r}; expected one of "
                             f"{list(CURATED_MEASURES)}")
    k, n = CURATED_MEASURES[definition]
    f = curated.load("followups")
    f = f[f["measure"].isin([k, n])]
    wide = f.pivot_table(index=["year_start", "period"], columns="measure", values="value",
                         aggfunc="first", observed=True).dropna(subset=[k, n]).reset_index()
    src = f[f["measure"] == k].set_index("period")["source_id"].astype(str)
    out = pd.DataFrame({
        "year": wide["year_start"].astype(int), "period": wide["period"].astype(str),
        "responses": wide[k].astype(int), "requests": wide[n].astype(int),
    })
    out["source_id"] = out["period"].map(src)
    return rate_table(out, "responses", "requests", method, alpha, DEFINITIONS[definition])


# --------------------------------------------------------------------------------------------------
# from the allegation-level table


def uniformed(table: AllegationTable, categories: Sequence[str] = UNIFORMED) -> pd.DataFrame:
    """Allegations involving the given personnel categories (default military and police), one row
    each, with ``nationality`` split into one row per contributor named."""
    ids = table.personnel.loc[table.personnel["category"].isin(list(categories)), "allegation_id"]
    a = table.allegations[table.allegations["allegation_id"].isin(ids)].copy()
    a["nationality"] = a["nationality"].fillna("not published").str.split("; ")
    return a.explode("nationality").reset_index(drop=True)


def nio_counts(allegations: pd.DataFrame, by: str = "report_year") -> pd.DataFrame:
    """Allegations by ``by`` and NIO status (wide, every status a column, zeros kept)."""
    a = allegations.drop_duplicates(["allegation_id", by]) if by != "nationality" else allegations
    out = pd.crosstab(a[by], a["nio_appointed"], dropna=False)
    out.columns = [str(c) for c in out.columns]
    return out


def nio_rates(allegations: pd.DataFrame, by: str = "report_year", method: str = "wilson",
              alpha: float = 0.05) -> pd.DataFrame:
    """NIO appointment rate by ``by`` (report_year or nationality): ``*by, appointed, decided,
    pending, rate, ci_low, ci_high, ci_method, definition``. See ``DEFINITIONS["nio_appointed"]``."""
    c = nio_counts(allegations, by)
    for col in (*NIO_DECIDED, "pending"):
        if col not in c:
            c[col] = 0
    out = pd.DataFrame({"appointed": c["yes"], "decided": c[list(NIO_DECIDED)].sum(axis=1),
                        "pending": c["pending"]}).reset_index()
    out = out[out["decided"] > 0]
    return rate_table(out, "appointed", "decided", method, alpha, DEFINITIONS["nio_appointed"])


def national_actions(table: AllegationTable, ids: Sequence[int] | None = None) -> pd.DataFrame:
    """National governments' final actions: ``action, lines, persons`` (a line is one action on
    one allegation; persons is the number in parentheses), most frequent first."""
    a = table.actions
    a = a[(a["stage"] == "final") & (a["actor"] == "national_government")]
    if ids is not None:
        a = a[a["allegation_id"].isin(list(ids))]
    out = a.groupby("action").agg(lines=("allegation_id", "size"), persons=("persons", "sum"))
    return out.sort_values(["lines", "persons"], ascending=False).reset_index()


def outcome_reported(table: AllegationTable, allegations: pd.DataFrame, by: str = "report_year",
                     method: str = "wilson", alpha: float = 0.05) -> pd.DataFrame:
    """Share of allegations with a national-government final action line whose national outcome is
    reported (some line other than "Pending"), by ``by``: ``*by, reported, with_national_line, ...``.
    """
    a = table.actions
    ng = a[(a["stage"] == "final") & (a["actor"] == "national_government")]
    per = ng.groupby("allegation_id")["action"].agg(lambda s: bool((s != "Pending").any()))
    d = allegations[["allegation_id", by]].drop_duplicates()
    d = d[d["allegation_id"].isin(per.index)]
    d["reported"] = d["allegation_id"].map(per).astype(int)
    out = d.groupby(by).agg(reported=("reported", "sum"),
                            with_national_line=("allegation_id", "size")).reset_index()
    return rate_table(out, "reported", "with_national_line", method, alpha,
                      DEFINITIONS["outcome_reported"])


# --------------------------------------------------------------------------------------------------
# durations


def investigation_durations(table: AllegationTable, as_of: pd.Timestamp | None = None
                            ) -> pd.DataFrame:
    """One row per allegation with an investigation: ``allegation_id, entity, days, event``.

    Completed investigations (``event`` 1) have the days the export gives. Pending ones (``event``
    0, right-censored) are open from the reporting month (its first day) up to ``as_of`` (default:
    the last day of the table's latest reporting month). Investigations marked N/A are left out
    and counted in ``.attrs["not_applicable"]``.
    """
    inv = table.investigations.drop_duplicates("allegation_id")
    a = table.allegations.set_index("allegation_id")
    end = (table.as_of + pd.offsets.MonthEnd(0)) if as_of is None else pd.Timestamp(as_of)
    done = inv["status"] == "completed"
    pending = inv["status"] == "pending"
    opened = a.loc[inv["allegation_id"], "report_date"].to_numpy()
    open_days = (end - pd.DatetimeIndex(opened)).days.to_numpy()
    out = pd.DataFrame({
        "allegation_id": inv["allegation_id"].to_numpy(),
        "entity": inv["entity"].astype("string").to_numpy(),
        "days": np.where(done, inv["days"].astype("Float64").fillna(np.nan).to_numpy(dtype=float),
                         open_days.astype(float)),
        "event": done.astype(int).to_numpy(),
    })
    keep = (done | pending).to_numpy() & ~np.isnan(out["days"].to_numpy())
    out = out[keep].reset_index(drop=True)
    out.attrs["not_applicable"] = int((inv["status"] == "not_applicable").sum())
    out.attrs["as_of"] = str(end.date())
    return out


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier estimate for right-censored durations."""

    table: pd.DataFrame  # time, at_risk, events, censored, survival
    median: float  # nan when the curve never falls to 0.5
    ci_low: float
    ci_high: float  # nan when the upper bound is not reached
    n: int
    events: int
    method: str = ("Kaplan-Meier; median interval from the Brookmeyer-Crowley method "
                   "(statsmodels SurvfuncRight, log-log transform)")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"n": self.n, "events": self.events, "censored": self.n - self.events,
                              "median": self.median, "ci_low": self.ci_low,
                              "ci_high": self.ci_high}])


def kaplan_meier(durations: Sequence[float], events: Sequence[int], alpha: float = 0.05
                 ) -> KaplanMeier:
    """Kaplan-Meier survival curve and median for durations where ``events`` is 1 for a finished
    investigation and 0 for one still open (censored).
    Example: ``kaplan_meier([5, 8, 12, 20], [1, 0, 1, 1]).median`` -> 12.0"""
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=int)
    if len(t) == 0:
        raise ParameterError("kaplan_meier: no durations; expected at least one")
    if (t < 0).any() or not set(np.unique(e)) <= {0, 1}:
        raise ParameterError("kaplan_meier: expected durations >= 0 and events of 0 or 1")
    import warnings

    sf = SurvfuncRight(t, e)
    times = np.unique(t)
    at_risk = np.array([(t >= x).sum() for x in times])
    ev = np.array([((t == x) & (e == 1)).sum() for x in times])
    cens = np.array([((t == x) & (e == 0)).sum() for x in times])
    surv = np.cumprod(1 - ev / at_risk)
    table = pd.DataFrame({"time": times, "at_risk": at_risk, "events": ev, "censored": cens,
                          "survival": surv})
    median = float(sf.quantile(0.5)) if e.sum() else math.nan
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # log(-log(S)) is infinite where S is 0 or 1: those times just drop out of the band
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = sf.quantile_ci(0.5, alpha=alpha)
    except (ValueError, IndexError):
        lo, hi = math.nan, math.nan
    lo = math.nan if lo is None else float(lo)
    hi = math.nan if hi is None else float(hi)
    return KaplanMeier(table, median, lo, hi, len(t), int(e.sum()))


def durations_by_entity(durations: pd.DataFrame, min_n: int = 5, alpha: float = 0.05
                        ) -> pd.DataFrame:
    """Kaplan-Meier median days by investigating entity, beside the naive median of the finished
    ones (which understates durations while many are still open):
    ``entity, n, completed, pending, km_median, ci_low, ci_high, naive_median_completed``."""
    rows = []
    for entity, d in durations.groupby("entity"):
        if len(d) < min_n:
            continue
        km = kaplan_meier(d["days"], d["event"], alpha)
        done = d.loc[d["event"] == 1, "days"]
        rows.append({"entity": entity, "n": len(d), "completed": int(d["event"].sum()),
                     "pending": int((d["event"] == 0).sum()), "km_median": km.median,
                     "ci_low": km.ci_low, "ci_high": km.ci_high,
                     "naive_median_completed": float(done.median()) if len(done) else math.nan})
    return pd.DataFrame(rows).sort_values("n", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# comparisons and models


def compare(k1: int, n1: int, k0: int, n0: int, alpha: float = 0.05) -> stats.Estimate:
    """Difference of two proportions (p1 - p0) with Newcombe's hybrid score interval (from the
    two Wilson intervals) and Fisher's exact test (two-sided).
    Example: ``compare(27, 47, 29, 74)`` (2012 against 2010 follow-ups answered)."""
    e1 = stats.proportion(k1, n1, "wilson", alpha)
    e0 = stats.proportion(k0, n0, "wilson", alpha)
    p1, p0 = e1.estimate, e0.estimate
    d = p1 - p0
    low = d - math.sqrt((p1 - e1.ci_low) ** 2 + (e0.ci_high - p0) ** 2)
    high = d + math.sqrt((e1.ci_high - p1) ** 2 + (p0 - e0.ci_low) ** 2)
    p = float(sps.fisher_exact([[k1, n1 - k1], [k0, n0 - k0]]).pvalue)
    return stats.Estimate(d, low, high, "Newcombe hybrid score interval; Fisher's exact test", p,
                          alpha, {"p1": p1, "p0": p0, "k1": k1, "n1": n1, "k0": k0, "n0": n0})


def nio_logit(allegations: pd.DataFrame, contributor_attributes: pd.DataFrame | None = None,
              terms: Sequence[str] = (), alpha: float = 0.05) -> pd.DataFrame:
    """Logistic GLM of NIO appointment (yes against no response/declined) on reporting year
    (``year_c``, years since the first) and on contributor attributes the user supplies
    (``contributor_attributes`` keyed by ``nationality``, columns named in ``terms``).
    Returns ``term, odds_ratio, ci_low, ci_high, p_value`` with ``.attrs["n"]``."""
    import statsmodels.api as sm

    d = allegations[allegations["nio_appointed"].isin(NIO_DECIDED)].copy()
    d["appointed"] = (d["nio_appointed"] == "yes").astype(float)
    d["year_c"] = (d["report_year"] - d["report_year"].min()).astype(float)
    cols = ["year_c"]
    if contributor_attributes is not None and terms:
        missing = [t for t in terms if t not in contributor_attributes]
        if missing:
            raise ParameterError(f"terms: found {missing} not in contributor_attributes columns "
                                 f"{list(contributor_attributes.columns)}")
        d = d.merge(contributor_attributes[["nationality", *terms]], on="nationality", how="inner")
        cols += list(terms)
    d = d.dropna(subset=cols)
    if len(d) <= len(cols) + 1 or d["appointed"].nunique() < 2:
        raise ParameterError(f"nio_logit: {len(d)} allegations with a decided NIO request; "
                             "expected more rows than parameters and both outcomes")
    X = sm.add_constant(d[cols].astype(float))
    fit = sm.GLM(d["appointed"], X, family=sm.families.Binomial()).fit()
    ci = fit.conf_int(alpha)
    out = pd.DataFrame({"term": X.columns, "odds_ratio": np.exp(fit.params.to_numpy()),
                        "ci_low": np.exp(ci[0].to_numpy()), "ci_high": np.exp(ci[1].to_numpy()),
                        "p_value": fit.pvalues.to_numpy()})
    out.attrs["n"] = len(d)
    return out


def contributor_table(allegations: pd.DataFrame, min_cases: int = 5, method: str = "wilson",
                      alpha: float = 0.05) -> pd.DataFrame:
    """NIO appointment by contributor (nationality) with intervals and a small-numbers caution:
    ``nationality, appointed, decided, pending, rate, ci_low, ci_high, caution``."""
    t = nio_rates(allegations, "nationality", method, alpha)
    t = t[t["nationality"] != "not published"]
    t["caution"] = np.where(t["decided"] < min_cases,
                            f"fewer than {min_cases} allegations: do not rank", "")
    return t.sort_values(["decided", "nationality"], ascending=[False, True]).reset_index(drop=True)


def funnel_limits(p0: float, n_max: int, levels: Sequence[float] = (0.95, 0.998)
                  ) -> pd.DataFrame:
    """Binomial control limits around an overall rate ``p0`` for 1..``n_max`` cases:
    ``n, lower_95, upper_95, lower_99.8, upper_99.8`` (proportions; exact binomial quantiles)."""
    if not 0 < p0 < 1:
        raise ParameterError(f"p0: found {p0!r}; expected a rate strictly between 0 and 1")
    n = np.arange(1, int(n_max) + 1)
    out = pd.DataFrame({"n": n})
    for level in levels:
        tail = (1 - level) / 2
        tag = f"{100 * level:g}"
        out[f"lower_{tag}"] = sps.binom.ppf(tail, n, p0) / n
        out[f"upper_{tag}"] = sps.binom.ppf(1 - tail, n, p0) / n
    return out
