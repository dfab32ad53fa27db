"""How troop- and police-contributing countries respond: follow-ups answered, national
investigation officers (NIO) appointed, outcomes reported, national actions, and how long
investigations take. Pure functions.

"Response rate" has several definitions; each series here carries its ``definition`` and series
with different definitions are never put in one table row, line or model.

Dates from a UN export are the export's own: pending cases are censored on :func:`censoring_date`
(the first day of the export's last reporting month, or a date the caller gives), the same day
for every subset, and yearly rates carry a ``complete`` flag from the export's coverage.

>>> from pkoresearch.analysis import response
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

from pkoresearch.analysis import stats
from pkoresearch.data import countries, curated
from pkoresearch.data.coverage import Coverage
from pkoresearch.data.readers.un_conduct import AllegationTable
from pkoresearch.errors import NotEstimable, ParameterError

DEFINITIONS = {
    "followups_answered": (
        "follow-up messages answered: responses the UN received to its follow-ups with "
        "contributing countries on the outcome of disciplinary action (State Department TIP "
        "reports)"
    ),
    "countries_replying": (
        "countries that replied: contributing countries notified of allegations that replied on "
        "investigation or action"
    ),
    "nio_appointed": (
        "allegations with a national investigation officer appointed, among allegations against "
        "uniformed personnel where the contributor was asked and answered or failed to answer "
        "(yes / no response / declined); requests still pending on the export date are shown "
        "apart (and in a sensitivity counted as not appointed); 'not applicable' is left out"
    ),
    "outcome_reported": (
        "allegations against uniformed personnel for which the national government reported a "
        "final action other than 'pending'"
    ),
}
# the curated follow-up counts are not independent trials: the caveat travels with the series
CLUSTERED = {
    "followups_answered": "contributing country and case (several follow-ups per country and per "
    "case)",
}
CLUSTER_CAVEAT = (
    "the units are clustered by {by}, not independent: the binomial interval assumes "
    "independent units and is too narrow (optimistic)"
)
# curated measures: definition -> (successes measure, denominator measure, whole year covered)
CURATED_MEASURES = {
    "followups_answered": ("responses_received", "followups_sent", True),
    "countries_replying": ("tccs_responded_h1", "tccs_notified_of_allegations_h1", False),
}
UNIFORMED = ("military", "police")
NIO_DECIDED = ("yes", "no_response", "declined")
NIO_STATES = (*NIO_DECIDED, "pending")
ORIGIN = (
    "Durations are in days from the first day of the allegation's reporting month, for finished "
    "and pending cases alike. Pending (censored) cases: from that day to the censoring day (the "
    "first day of the export's last reporting month unless as_of is given), a whole number of "
    "months. Finished cases: the export's 'Investigation (days)', which the UN counts from the "
    "start of the investigation; the export publishes no start date, so both are counted from "
    "the reporting month on the assumption that an investigation starts when its allegation is "
    "reported (it fails for allegations recorded long after an investigation began: "
    "started_before_report counts the finished ones whose days exceed the time from their "
    "reporting month to the censoring day)."
)
AS_OF_RULE = (
    "Censoring day: the first day of the export's last reporting month. The export does not "
    "state the day it was taken; it was taken during its last month (the July 2024 export holds "
    "1 allegation of July against 6 to 17 in each earlier month of 2024), so the first day of that "
    "month never credits a pending case with time the export did not see, and with the origin "
    "also on the first day of a month the elapsed time is a whole number of months. Give as_of "
    "to use another day (e.g. the download date)."
)


# --------------------------------------------------------------------------------------------------
# the export's own dates


def censoring_date(table: AllegationTable, as_of: object = None) -> pd.Timestamp:
    """The day pending cases are censored on, the same for every subset of one export.

    ``as_of`` None or "" gives the first day of the export's last reporting month
    (``AllegationTable.as_of``, which a subset made by :func:`pkoresearch.analysis.trends.select` keeps
    from its export; see :data:`AS_OF_RULE`). A date (``"2024-07-19"``) or a month
    (``"2024-07"``, its first day) overrides it; it may not fall before the first day of the
    export's last reporting month (a pending case reported then would have negative elapsed time).
    Raises ParameterError otherwise.
    Example: ``censoring_date(read_table_of_allegations("export.xlsx"))`` -> 2024-07-01
    """
    last = table.as_of
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return last
    try:
        day = pd.Timestamp(str(as_of).strip() if isinstance(as_of, str) else as_of)
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise ParameterError(
            f"as_of: found {as_of!r}; expected a date such as '2024-07-01' or a "
            "month such as '2024-07'"
        )
    day = day.normalize()
    if day < last:
        raise ParameterError(
            f"as_of: found {day.date()}, before the export's last reporting month "
            f"({last:%B %Y}); expected a day on or after {last.date()}"
        )
    return day


def _complete_years(coverage: Coverage) -> dict[int, bool]:
    y = coverage.years()
    return dict(zip(y["year"].astype(int), y["complete"].astype(bool)))


def _origin_days(report_date: pd.Series | pd.DatetimeIndex, day: pd.Timestamp) -> np.ndarray:
    return np.asarray((day - pd.DatetimeIndex(report_date)).days, dtype=float)


# --------------------------------------------------------------------------------------------------
# curated series


def rate_table(
    frame: pd.DataFrame,
    successes: str,
    n: str,
    method: str = "wilson",
    alpha: float = 0.05,
    definition: str | None = None,
) -> pd.DataFrame:
    """Add ``rate, ci_low, ci_high, ci_method`` (and ``definition``) to a table of counts.
    Raises ParameterError for a row with more successes than cases or a negative count."""
    if method not in stats.CI_METHODS:
        raise ParameterError(
            f"ci_method: found {method!r}; expected one of {list(stats.CI_METHODS)}"
        )
    out = stats.proportion_table(frame, successes, n, method, alpha)
    out["ci_method"] = method
    if definition is not None:
        out["definition"] = definition
    return out


def curated_series(
    definition: str = "followups_answered", method: str = "wilson", alpha: float = 0.05
) -> pd.DataFrame:
    """A curated response series as rates with intervals: ``year, period, responses, requests,
    rate, ci_low, ci_high, ci_method, complete, caveat, definition, source_id``.

    ``definition`` is "followups_answered" (2010 29/74, 2011 26/60, 2012 27/47: calendar years,
    ``complete`` True) or "countries_replying" (13 of 39 contributors for January-June 2010:
    ``complete`` False). ``caveat`` says where the binomial interval is optimistic because the
    units are clustered (follow-ups: by country and case, see :data:`CLUSTERED`).
    """
    if definition not in CURATED_MEASURES:
        raise ParameterError(
            f"definition: found {definition!r}; expected one of {list(CURATED_MEASURES)}"
        )
    k, n, whole_year = CURATED_MEASURES[definition]
    f = curated.load("followups")
    f = f[f["measure"].isin([k, n])]
    wide = (
        f.pivot_table(
            index=["year_start", "period"],
            columns="measure",
            values="value",
            aggfunc="first",
            observed=True,
        )
        .dropna(subset=[k, n])
        .reset_index()
    )
    src = f[f["measure"] == k].set_index("period")["source_id"].astype(str)
    out = pd.DataFrame(
        {
            "year": wide["year_start"].astype(int),
            "period": wide["period"].astype(str),
            "responses": wide[k].astype(int),
            "requests": wide[n].astype(int),
        }
    )
    out["source_id"] = out["period"].map(src)
    out = rate_table(out, "responses", "requests", method, alpha, DEFINITIONS[definition])
    out["complete"] = whole_year
    out["caveat"] = (
        CLUSTER_CAVEAT.format(by=CLUSTERED[definition]) if definition in CLUSTERED else ""
    )
    front = [
        "year",
        "period",
        "responses",
        "requests",
        "rate",
        "ci_low",
        "ci_high",
        "ci_method",
        "complete",
        "caveat",
        "definition",
        "source_id",
    ]
    return out[front]


# --------------------------------------------------------------------------------------------------
# from the allegation-level table


def uniformed(
    table: AllegationTable, categories: Sequence[str] = UNIFORMED, coverage: Coverage | None = None
) -> pd.DataFrame:
    """Allegations involving the given personnel categories (default military and police), with
    ``nationality`` split into one row per contributor named. Added columns:
    ``nationality_iso3`` (ISO 3166 alpha-3 from :mod:`pkoresearch.data.countries`, so that spelling
    variants meet; ``<NA>`` for "Unknown" and "not published"), ``contributors_named`` (how many
    contributors the allegation names: its NIO status and outcome are recorded once per
    allegation and so belong to each of them) and ``year_complete`` (the export covers all 12
    months of the reporting year; from ``coverage``, by default the export's, which a subset
    keeps).
    Example: ``uni = uniformed(read_table_of_allegations("export.xlsx"))``"""
    cov = table.coverage if coverage is None else coverage
    ids = table.personnel.loc[table.personnel["category"].isin(list(categories)), "allegation_id"]
    a = table.allegations[table.allegations["allegation_id"].isin(ids)].copy()
    a["nationality"] = a["nationality"].fillna("not published").str.split("; ")
    a = a.explode("nationality").reset_index(drop=True)
    a["nationality"] = a["nationality"].astype("string")
    a["nationality_iso3"] = countries.to_iso3(a["nationality"]).to_numpy()
    a["contributors_named"] = a.groupby("allegation_id")["nationality"].transform("size")
    a["year_complete"] = a["report_year"].map(_complete_years(cov)).astype("boolean")
    return a


def select_contributors(
    allegations: pd.DataFrame, names: Sequence[str], parameter: str = "contributors"
) -> pd.DataFrame:
    """The rows of :func:`uniformed` for the contributors ``names``, matched through ISO3 codes
    (so "Congo (Republic of)" finds the export's "Congo"). Raises ParameterError naming every
    name that is not a country or has no allegation in the table."""
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ParameterError(
            f"parameter {parameter}: found {names!r}; expected a non-empty list "
            "of contributing countries"
        )
    codes = countries.to_iso3(list(names))
    iso = (
        allegations["nationality_iso3"]
        if "nationality_iso3" in allegations
        else countries.to_iso3(allegations["nationality"])
    )
    # names that are not countries ("Unknown") are matched as written in the export, line by line
    lines = allegations["nationality"].fillna("").astype(str).str.split("; ")
    written = {x.strip().casefold() for cell in lines for x in cell if x.strip()}
    present = {c for cell in iso.dropna().astype(str) for c in cell.split("; ")}
    bad = [
        n
        for n, c in zip(names, codes)
        if (pd.isna(c) and str(n).strip().casefold() not in written)
        or (pd.notna(c) and c not in present)
    ]
    if bad:
        shown = sorted({x.strip() for cell in lines for x in cell if x.strip()})
        raise ParameterError(
            f"parameter {parameter}: found {bad}, not a contributor named in the "
            f"table; expected names among {shown}"
        )
    wanted_codes = {c for c in codes if pd.notna(c)}
    wanted_names = {str(n).strip().casefold() for n, c in zip(names, codes) if pd.isna(c)}
    by_code = iso.fillna("").astype(str).str.split("; ").map(lambda x: bool(wanted_codes & set(x)))
    by_name = lines.map(lambda x: bool(wanted_names & {v.strip().casefold() for v in x}))
    return allegations[(by_code | by_name).to_numpy()].reset_index(drop=True)


def nio_state_counts(nio: pd.DataFrame, by: str = "report_year") -> pd.DataFrame:
    """Long table of a :func:`nio_rates` table for a stacked bar chart: ``label, state,
    allegations`` with states yes / no response / declined / pending (pending is a state of its
    own, not a missing value). A year flagged ``complete`` False is labelled ``"YYYY\\n(partial)"``."""
    label = nio[by].astype(str)
    if "complete" in nio:
        label = label.where(nio["complete"].fillna(True).astype(bool), label + "\n(partial)")
    wide = pd.DataFrame(
        {
            "label": label,
            "appointed": nio["appointed"],
            "no response": nio["no_response"],
            "declined": nio["declined"],
            "pending": nio["pending"],
        }
    )
    out = wide.melt(id_vars="label", var_name="state", value_name="allegations")
    out["state"] = pd.Categorical(out["state"], ["appointed", "no response", "declined", "pending"])
    return out


def nio_counts(allegations: pd.DataFrame, by: str = "report_year") -> pd.DataFrame:
    """Allegations by ``by`` and NIO status (wide, every status a column, zeros kept). An
    allegation counts once in each group of ``by`` it belongs to (once per year; once for each
    contributor it names)."""
    a = allegations.drop_duplicates(["allegation_id", by])
    out = pd.crosstab(a[by], a["nio_appointed"], dropna=False)
    out.columns = [str(c) for c in out.columns]
    return out


def _nio_frame(c: pd.DataFrame, method: str, alpha: float) -> pd.DataFrame:
    """Rates, the pending sensitivity and the caveat from NIO counts (``yes`` ... columns)."""
    for col in (*NIO_STATES, "not_applicable"):
        if col not in c:
            c[col] = 0
    out = pd.DataFrame(
        {
            "appointed": c["yes"],
            "no_response": c["no_response"],
            "declined": c["declined"],
            "pending": c["pending"],
            "not_applicable": c["not_applicable"],
        }
    ).reset_index()
    out["decided"] = out[["appointed", "no_response", "declined"]].sum(axis=1)
    out["asked"] = out["decided"] + out["pending"]
    out = rate_table(out, "appointed", "decided", method, alpha, None)
    sens = stats.proportion_table(out[["appointed", "asked"]], "appointed", "asked", method, alpha)
    out["rate_pending_as_not"] = sens["rate"].to_numpy()
    out["ci_low_pending_as_not"] = sens["ci_low"].to_numpy()
    out["ci_high_pending_as_not"] = sens["ci_high"].to_numpy()
    asked = out["asked"].where(out["asked"] > 0, 1)
    out["rate_pending_as_yes"] = np.where(
        out["asked"] > 0, (out["appointed"] + out["pending"]) / asked, np.nan
    )
    out["share_pending"] = np.where(out["asked"] > 0, out["pending"] / asked, np.nan)
    out["caveat"] = pd.Series(
        [
            (
                f"{r.pending} of {r.asked} requests pending on the export date: a 'no response' is "
                f"recorded only after time passes, so the rate among decided requests "
                f"({r.rate:.0%}) is biased upward; pending counted as not appointed "
                f"{r.rate_pending_as_not:.0%}, as appointed {r.rate_pending_as_yes:.0%}"
            )
            if r.pending > 0 and r.decided > 0
            else (f"all {r.pending} requests pending on the export date" if r.pending > 0 else "")
            for r in out.itertuples()
        ],
        index=out.index,
        dtype=object,
    )
    return out


def nio_rates(
    allegations: pd.DataFrame, by: str = "report_year", method: str = "wilson", alpha: float = 0.05
) -> pd.DataFrame:
    """NIO appointment by ``by`` (report_year, nationality_iso3, ...), each allegation once per
    group, with pending requests as their own state and a sensitivity for them:

    ``*by, appointed, no_response, declined, pending, not_applicable, decided, asked, rate,
    ci_low, ci_high`` (rate = appointed / decided, the requests answered or failed),
    ``rate_pending_as_not, ci_low_pending_as_not, ci_high_pending_as_not`` (appointed / asked:
    pending counted as not appointed), ``rate_pending_as_yes`` (the upper bound), ``share_pending``,
    ``caveat`` (where requests are pending: a "no response" is recorded only after time passes,
    so recent rates among decided requests are biased upward), ``ci_method, definition``; and
    for ``report_year`` with ``year_complete`` in the input (from :func:`uniformed`), ``complete``.
    Groups where no NIO was asked (only "not applicable" or blank) are left out and counted in
    ``.attrs["not_asked"]``. See ``DEFINITIONS["nio_appointed"]``.
    """
    out = _nio_frame(nio_counts(allegations, by), method, alpha)
    not_asked = out[out["asked"] == 0]
    out = out[out["asked"] > 0].reset_index(drop=True)
    if by == "report_year" and "year_complete" in allegations:
        flag = allegations.drop_duplicates("report_year").set_index("report_year")["year_complete"]
        out["complete"] = out["report_year"].map(flag).astype("boolean")
        partial = ~out["complete"].fillna(False)
        text = "partial year; " + out.loc[partial, "caveat"]
        out.loc[partial, "caveat"] = text.str.rstrip("; ")
    out["definition"] = DEFINITIONS["nio_appointed"]
    out.attrs["not_asked"] = not_asked[by].tolist()
    return out


def nio_totals(
    allegations: pd.DataFrame, method: str = "wilson", alpha: float = 0.05
) -> pd.DataFrame:
    """One row counting each allegation once, whatever the number of contributors it names:
    ``allegations`` (distinct), then the columns of :func:`nio_rates`.
    Example: ``nio_totals(uniformed(table))["allegations"]`` equals the distinct allegation ids."""
    a = allegations.drop_duplicates("allegation_id").assign(total="all allegations")
    # an empty selection still gives its row, of zeros (rates missing: nothing was decided)
    c = nio_counts(a, "total").reindex(["all allegations"], fill_value=0).rename_axis("total")
    out = _nio_frame(c, method, alpha)
    out.insert(1, "allegations", a["allegation_id"].nunique())
    out["definition"] = DEFINITIONS["nio_appointed"]
    return out


def contributor_table(
    allegations: pd.DataFrame, min_cases: int = 5, method: str = "wilson", alpha: float = 0.05
) -> pd.DataFrame:
    """NIO appointment by contributor with intervals and a small-numbers caution:
    ``nationality, nationality_iso3, appointed, decided, pending, rate, ci_low, ci_high, shared,
    caution`` and the pending columns of :func:`nio_rates`.

    Contributors are grouped by ISO3 code (:mod:`pkoresearch.data.countries`), so spelling variants
    meet; ``nationality`` is the export's name. An allegation naming several contributors has one
    NIO status, recorded for the allegation: it counts once for *each* contributor named
    (``shared`` counts those allegations per contributor), so the rows sum to more than the
    allegations. ``.attrs["totals"]`` counts each allegation once (:func:`nio_totals`);
    ``.attrs["unresolved"]`` lists the names that are not a country ("Unknown", "not published")
    with their allegations; ``.attrs["note"]`` says all this in a sentence.
    """
    a = allegations.copy()
    if "nationality_iso3" not in a:
        a["nationality_iso3"] = countries.to_iso3(a["nationality"]).to_numpy()
    a = a.drop_duplicates(["allegation_id", "nationality_iso3", "nationality"])
    if "contributors_named" not in a:
        a["contributors_named"] = a.groupby("allegation_id")["nationality"].transform("size")
    known = a[a["nationality_iso3"].notna()]
    t = nio_rates(known, "nationality_iso3", method, alpha)
    names = known.groupby("nationality_iso3")["nationality"].agg(
        lambda s: " / ".join(sorted(set(s.astype(str))))
    )
    shared = (
        known[known["contributors_named"] > 1]
        .groupby("nationality_iso3")["allegation_id"]
        .nunique()
    )
    t.insert(0, "nationality", t["nationality_iso3"].map(names).astype("string"))
    t["shared"] = t["nationality_iso3"].map(shared).fillna(0).astype(int)
    t["caution"] = np.where(
        t["decided"] < min_cases, f"fewer than {min_cases} decided requests: do not rank", ""
    )
    t = t.sort_values(["decided", "nationality"], ascending=[False, True]).reset_index(drop=True)
    unknown = a[a["nationality_iso3"].isna()].groupby("nationality")["allegation_id"].nunique()
    totals = nio_totals(a, method, alpha)
    n_shared = int(a.loc[a["contributors_named"] > 1, "allegation_id"].nunique())
    t.attrs["totals"] = totals
    t.attrs["unresolved"] = {str(k): int(v) for k, v in unknown.items()}
    t.attrs["shared_allegations"] = n_shared
    t.attrs["note"] = (
        f"{n_shared} allegation(s) name more than one contributor; the export records one NIO "
        "status per allegation, so it is assigned to every contributor named and such an "
        "allegation counts once for each (column 'shared'). Totals count each allegation once: "
        f"{int(totals['allegations'].iloc[0])} allegations, {int(totals['appointed'].iloc[0])} "
        f"with an NIO appointed of {int(totals['decided'].iloc[0])} decided "
        f"({int(totals['pending'].iloc[0])} pending)."
    )
    return t


def national_actions(table: AllegationTable, ids: Sequence[int] | None = None) -> pd.DataFrame:
    """National governments' final actions: ``action, lines, persons`` (a line is one action on
    one allegation; persons is the number in parentheses), most frequent first."""
    a = table.actions
    a = a[(a["stage"] == "final") & (a["actor"] == "national_government")]
    if ids is not None:
        a = a[a["allegation_id"].isin(list(ids))]
    out = a.groupby("action").agg(lines=("allegation_id", "size"), persons=("persons", "sum"))
    return out.sort_values(["lines", "persons"], ascending=False).reset_index()


def _national_outcome(table: AllegationTable) -> pd.Series:
    """Per allegation with a national-government final action line: whether some line reports an
    outcome (anything but "Pending")."""
    a = table.actions
    ng = a[(a["stage"] == "final") & (a["actor"] == "national_government")]
    return ng.groupby("allegation_id")["action"].agg(lambda s: bool((s != "Pending").any()))


def outcome_reported(
    table: AllegationTable,
    allegations: pd.DataFrame,
    by: str = "report_year",
    method: str = "wilson",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Share of allegations with a national-government final action line whose national outcome is
    reported (some line other than "Pending"), by ``by``: ``*by, reported, with_national_line,
    rate, ci_low, ci_high, ...`` (and ``complete`` by report_year where ``year_complete`` is given).

    By reporting year this share mostly measures follow-up time (recent allegations have had less
    time), not behaviour: use :func:`outcome_times` and :func:`time_to_outcome` for the time from
    report to outcome.
    """
    per = _national_outcome(table)
    cols = ["allegation_id", by] + (["year_complete"] if "year_complete" in allegations else [])
    d = allegations[cols].drop_duplicates(["allegation_id", by])
    d = d[d["allegation_id"].isin(per.index)].copy()
    d["reported"] = d["allegation_id"].map(per).astype(int)
    out = (
        d.groupby(by)
        .agg(reported=("reported", "sum"), with_national_line=("allegation_id", "size"))
        .reset_index()
    )
    if by == "report_year" and "year_complete" in d:
        flag = d.drop_duplicates("report_year").set_index("report_year")["year_complete"]
        out["complete"] = out["report_year"].map(flag).astype("boolean")
    return rate_table(
        out, "reported", "with_national_line", method, alpha, DEFINITIONS["outcome_reported"]
    )


# --------------------------------------------------------------------------------------------------
# durations


def investigation_durations(
    table: AllegationTable, as_of: object = None, ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """One row per allegation with an investigation: ``allegation_id, entity, report_date, days,
    event, started_before_report``.

    Completed investigations (``event`` 1) have the days the export gives. Pending ones
    (``event`` 0, right-censored) are open from the first day of their reporting month to the
    censoring day (:func:`censoring_date`: the first day of the export's last reporting month,
    or ``as_of``), the same day whatever subset is analysed; see :data:`ORIGIN` and
    :data:`AS_OF_RULE`. Pass the whole export and choose allegations with ``ids`` (or pass a
    subset with ``as_of`` from the whole export). ``started_before_report`` marks finished
    investigations whose days exceed the time from their reporting month to the censoring day.
    Investigations marked N/A are left out and counted in ``.attrs["not_applicable"]``, finished
    ones without a number of days in ``.attrs["no_days"]``.
    Example: ``investigation_durations(table, ids=uniformed(table)["allegation_id"])``
    """
    day = censoring_date(table, as_of)
    inv = table.investigations.drop_duplicates("allegation_id")
    if ids is not None:
        inv = inv[inv["allegation_id"].isin(list(ids))]
    a = table.allegations.set_index("allegation_id")
    done = (inv["status"] == "completed").to_numpy()
    pending = (inv["status"] == "pending").to_numpy()
    report = a.loc[inv["allegation_id"], "report_date"]
    elapsed = _origin_days(report, day)
    given = inv["days"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    out = pd.DataFrame(
        {
            "allegation_id": inv["allegation_id"].to_numpy(),
            "entity": inv["entity"].astype("string").to_numpy(),
            "report_date": report.to_numpy(),
            "days": np.where(done, given, elapsed),
            "event": done.astype(int),
        }
    )
    out["started_before_report"] = done & (given > elapsed)
    keep = (done | pending) & ~np.isnan(out["days"].to_numpy())
    out = out[keep].reset_index(drop=True)
    out.attrs["not_applicable"] = int((inv["status"] == "not_applicable").sum())
    out.attrs["no_days"] = int((done & np.isnan(given)).sum())
    out.attrs["as_of"] = str(day.date())
    out.attrs["started_before_report"] = int(out["started_before_report"].sum())
    out.attrs["origin"] = ORIGIN
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
    method: str = (
        "Kaplan-Meier; median interval from the Brookmeyer-Crowley method "
        "(statsmodels SurvfuncRight, log-log transform)"
    )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "events": self.events,
                    "censored": self.n - self.events,
                    "median": self.median,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                }
            ]
        )


def kaplan_meier(
    durations: Sequence[float], events: Sequence[int], alpha: float = 0.05
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
    table = pd.DataFrame(
        {"time": times, "at_risk": at_risk, "events": ev, "censored": cens, "survival": surv}
    )
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


def durations_by_entity(
    durations: pd.DataFrame, min_n: int = 5, alpha: float = 0.05
) -> pd.DataFrame:
    """Kaplan-Meier median days by investigating entity, beside the naive median of the finished
    ones (which understates durations while many are still open):
    ``entity, n, completed, pending, km_median, ci_low, ci_high, naive_median_completed``.
    Entities with fewer than ``min_n`` investigations are left out and listed in
    ``.attrs["too_few"]``; ``.attrs["as_of"]`` is the censoring day of ``durations``."""
    rows, too_few = [], {}
    for entity, d in durations.groupby("entity"):
        if len(d) < min_n:
            too_few[str(entity)] = len(d)
            continue
        km = kaplan_meier(d["days"], d["event"], alpha)
        done = d.loc[d["event"] == 1, "days"]
        rows.append(
            {
                "entity": entity,
                "n": len(d),
                "completed": int(d["event"].sum()),
                "pending": int((d["event"] == 0).sum()),
                "km_median": km.median,
                "ci_low": km.ci_low,
                "ci_high": km.ci_high,
                "naive_median_completed": float(done.median()) if len(done) else math.nan,
            }
        )
    columns = [
        "entity",
        "n",
        "completed",
        "pending",
        "km_median",
        "ci_low",
        "ci_high",
        "naive_median_completed",
    ]
    out = pd.DataFrame(rows, columns=columns).sort_values("n", ascending=False)
    out = out.reset_index(drop=True)
    out.attrs["too_few"] = too_few
    out.attrs["as_of"] = durations.attrs.get("as_of")
    return out


# --------------------------------------------------------------------------------------------------
# time from report to a national outcome (current-status data)


def outcome_times(
    table: AllegationTable, allegations: pd.DataFrame | None = None, as_of: object = None
) -> pd.DataFrame:
    """Each allegation with a national-government final action line, once:
    ``allegation_id, report_year, followup_days, reported``.

    The export has no date for a national outcome, only its state on the export date: whether
    an outcome (a line other than "Pending") has been reported ``followup_days`` after the first
    day of the reporting month (to :func:`censoring_date`). Such "current-status" data give the
    time from report to outcome through :func:`time_to_outcome`. ``allegations`` (e.g. from
    :func:`uniformed`) chooses the allegations; ``table`` is the whole export (or give ``as_of``).
    """
    day = censoring_date(table, as_of)
    per = _national_outcome(table)
    a = table.allegations if allegations is None else allegations
    d = a[["allegation_id", "report_year", "report_date"]].drop_duplicates("allegation_id")
    d = d[d["allegation_id"].isin(per.index)].copy()
    d["followup_days"] = _origin_days(d["report_date"], day)
    d["reported"] = d["allegation_id"].map(per).astype(int)
    out = d[["allegation_id", "report_year", "followup_days", "reported"]].reset_index(drop=True)
    out.attrs["as_of"] = str(day.date())
    return out


@dataclass(frozen=True)
class CurrentStatus:
    """Time to an event seen only as "happened yet or not" at one follow-up time per case."""

    table: pd.DataFrame  # time, n, reported, share_reported (NPMLE of F), still_open, low, high
    median: float  # the first follow-up time where the NPMLE reaches 0.5 (nan if it never does)
    ci_low: float  # first time whose upper bound reaches 0.5 (nan: not found)
    ci_high: float  # first time whose lower bound reaches 0.5 (nan: not reached in the data)
    n: int
    reported: int
    window: float
    alpha: float = 0.05
    method: str = (
        "current-status data: nonparametric maximum likelihood estimate of the share with an "
        "outcome by time since report (isotonic regression; Groeneboom & Wellner 1992); "
        "pointwise bounds from the binomial share of the cases followed up to `window` days less "
        "(lower bound) or more (upper bound) than t, valid because that share cannot fall with "
        "follow-up time (the binomial idea of Kim, Fay & Proschan, arXiv:1805.06488); the median's "
        "interval is where those bounds cross 0.5"
    )

    def at(self, days: float) -> float:
        """The estimated share with an outcome ``days`` after the report (NPMLE; 0 before the
        first follow-up time)."""
        t = self.table
        before = t[t["time"] <= days]
        return float(before["share_reported"].iloc[-1]) if len(before) else 0.0

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "reported": self.reported,
                    "median": self.median,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                }
            ]
        )


def _first(times: pd.Series, hit: pd.Series) -> float:
    return float(times[hit].iloc[0]) if hit.any() else math.nan


def time_to_outcome(
    followup_days: Sequence[float],
    reported: Sequence[int],
    alpha: float = 0.05,
    window: float = 365,
    method: str = "wilson",
    horizons: Sequence[float] = (),
) -> CurrentStatus:
    """Distribution of the time from report to outcome when each case is seen once, at
    ``followup_days``, with ``reported`` 1 if its outcome was in by then and 0 if still pending.

    The pending cases are right-censored at their follow-up time and the reported ones
    left-censored (the outcome came some time before). Kaplan-Meier needs the event times, which
    the export does not give; the nonparametric maximum likelihood estimate (NPMLE) for these
    data is the non-decreasing (isotonic) fit of ``reported`` on follow-up time, and its median
    is the first follow-up time where the share reaches 0.5. Bounds at each time t: the
    ``method`` interval's lower limit for the share reported among cases followed t - ``window``
    to t days, its upper limit among cases followed t to t + ``window`` days (each a one-sided
    1 - alpha/2 bound whatever the distribution; conservative). Assumes the time to outcome does
    not depend on the reporting year: with one export, a change of behaviour across years cannot
    be told apart from follow-up time.
    Example: ``time_to_outcome([100, 400, 900, 1500], [0, 1, 0, 1]).median`` -> 400.0
    """
    from scipy.optimize import isotonic_regression

    c = np.asarray(followup_days, dtype=float)
    r = np.asarray(reported, dtype=int)
    if len(c) == 0 or len(c) != len(r):
        raise ParameterError(
            f"time_to_outcome: found {len(c)} follow-up times and {len(r)} "
            "outcomes; expected the same number, at least one"
        )
    if np.isnan(c).any() or (c < 0).any() or not set(np.unique(r)) <= {0, 1}:
        raise ParameterError("time_to_outcome: expected follow-up days >= 0 and outcomes of 0 or 1")
    if not window > 0:
        raise ParameterError(f"window: found {window!r}; expected a positive number of days")
    g = pd.DataFrame({"time": c, "reported": r}).groupby("time")["reported"].agg(["size", "sum"])
    g = g.rename(columns={"size": "n", "sum": "reported"}).reset_index()
    # the weighted least-squares non-decreasing fit (pool adjacent violators, scipy >= 1.12)
    g["share_reported"] = isotonic_regression(
        (g["reported"] / g["n"]).to_numpy(float), weights=g["n"].to_numpy(float), increasing=True
    ).x
    g["still_open"] = 1 - g["share_reported"]

    def bound(t: float, lower: bool) -> float:
        inside = (c >= t - window) & (c <= t) if lower else (c >= t) & (c <= t + window)
        if not inside.any():
            return 0.0 if lower else 1.0
        e = stats.proportion(int(r[inside].sum()), int(inside.sum()), method, alpha)
        return e.ci_low if lower else e.ci_high

    g["low"] = [bound(t, True) for t in g["time"]]
    g["high"] = [bound(t, False) for t in g["time"]]
    median = _first(g["time"], g["share_reported"] >= 0.5)
    ci_low = _first(g["time"], g["high"] >= 0.5)
    ci_high = _first(g["time"], g["low"] >= 0.5)
    return CurrentStatus(g, median, ci_low, ci_high, len(c), int(r.sum()), float(window), alpha)


def outcome_horizons(
    result: CurrentStatus, years: Sequence[float] = (1, 2, 3, 4, 5)
) -> pd.DataFrame:
    """The share with an outcome 1, 2, ... years after the report: ``years, days,
    share_reported, low, high`` (NPMLE and the bounds of :func:`time_to_outcome` at the last
    follow-up time on or before that day; ``<NA>`` beyond the longest follow-up)."""
    t = result.table
    rows = []
    for y in years:
        days = 365.25 * y
        before = t[t["time"] <= days]
        if len(before) == 0 or days > t["time"].max():
            rows.append(
                {"years": y, "days": days, "share_reported": np.nan, "low": np.nan, "high": np.nan}
            )
            continue
        last = before.iloc[-1]
        rows.append(
            {
                "years": y,
                "days": days,
                "share_reported": last["share_reported"],
                "low": last["low"],
                "high": last["high"],
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# comparisons and models


def compare(
    k1: int, n1: int, k0: int, n0: int, alpha: float = 0.05, clustered_by: str | None = None
) -> stats.Estimate:
    """Difference of two proportions (p1 - p0) with Newcombe's hybrid score interval (from the
    two Wilson intervals: ``statsmodels.stats.proportion.confint_proportions_2indep`` with
    ``method="newcomb"``) and Fisher's exact test (two-sided). ``clustered_by`` names how the
    units are clustered, if they are: the method text then says both are optimistic.
    :func:`explain_comparison` puts the result in words.
    Example: ``compare(27, 47, 29, 74)`` (2012 against 2010 follow-ups answered)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    # the checks of each count (a clear error naming the bad one) and the two shares
    p1 = stats.proportion(k1, n1, "wilson", alpha).estimate
    p0 = stats.proportion(k0, n0, "wilson", alpha).estimate
    d = p1 - p0
    low, high = (
        float(v)
        for v in confint_proportions_2indep(
            k1, n1, k0, n0, method="newcomb", compare="diff", alpha=alpha
        )
    )
    p = float(sps.fisher_exact([[k1, n1 - k1], [k0, n0 - k0]]).pvalue)
    method = "Newcombe hybrid score interval; Fisher's exact test"
    if clustered_by:
        method += (
            "; both assume independent units, but these are clustered by "
            f"{clustered_by}: the interval is too narrow and p too small"
        )
    return stats.Estimate(
        d,
        low,
        high,
        method,
        p,
        alpha,
        {"p1": p1, "p0": p0, "k1": k1, "n1": n1, "k0": k0, "n0": n0, "clustered_by": clustered_by},
    )


def explain_comparison(est: stats.Estimate) -> str:
    """One paragraph on a :func:`compare` result that says what the interval and the test mean
    together, and why they disagree when they do (the interval excludes 0 but p >= alpha, or the
    reverse): they are different procedures, not inversions of one test, so near the boundary
    one can fall on each side."""
    level = f"{100 * (1 - est.alpha):g}%"
    p = est.p_value
    excludes = est.ci_low > 0 or est.ci_high < 0
    significant = p is not None and p < est.alpha
    near = (
        est.ci_low
        if est.ci_low > 0 or (est.ci_high >= 0 and abs(est.ci_low) < abs(est.ci_high))
        else est.ci_high
    )
    head = (
        f"Difference {est.estimate:+.3f} (Newcombe {level} CI {est.ci_low:+.3f} to "
        f"{est.ci_high:+.3f}); Fisher's exact test p = {p:.3f}."
    )
    if excludes and significant:
        body = (
            f"The interval excludes 0 and the test rejects equality at {est.alpha:g}: both "
            "point to a difference."
        )
    elif not excludes and not significant:
        body = (
            f"The interval includes 0 and the test does not reject equality at {est.alpha:g}: "
            "the data are compatible with no difference."
        )
    else:
        which = (
            "the interval excludes 0 (by {:.3f}) while the test does not reject equality"
            if excludes
            else "the test rejects equality while the interval includes 0 (its nearer bound is "
            "{:+.3f})"
        ).format(abs(near) if excludes else near)
        body = (
            f"Here {which} at {est.alpha:g}. They are different procedures: Newcombe's "
            "interval combines the two groups' Wilson score intervals (an approximation), "
            "while Fisher's test conditions on both margins and is exact but conservative "
            "with counts this small. They are not inversions of one test, so near the "
            "boundary they can fall on either side of it: the evidence for a difference is "
            "borderline, neither established nor ruled out."
        )
    out = f"{head} {body}"
    clustered = est.detail.get("clustered_by")
    if clustered:
        out += (
            f" Both treat the units as independent, but they are clustered by {clustered}: "
            "the real uncertainty is larger than either shows."
        )
    return out


def nio_logit(
    allegations: pd.DataFrame,
    contributor_attributes: pd.DataFrame | None = None,
    terms: Sequence[str] = (),
    alpha: float = 0.05,
    include_partial: bool = False,
    pending: str = "exclude",
) -> pd.DataFrame:
    """Logistic GLM of NIO appointment (yes against no response/declined) on reporting year
    (``year_c``, years since the first) and on contributor attributes the user supplies
    (``contributor_attributes`` with a ``nationality`` column, matched through ISO3 codes so that
    spelling variants meet, and the columns named in ``terms``).

    Rows: without attributes one per allegation (each allegation once); with attributes one per
    allegation and contributor named. Standard errors are clustered by contributor (decisions
    of one country are not independent). Years the export covers only in part are left out
    unless ``include_partial`` (needs ``year_complete`` from :func:`uniformed`). ``pending``:
    "exclude" (default) or "not_appointed" (the sensitivity of :func:`nio_rates`).
    Returns ``term, odds_ratio, ci_low, ci_high, p_value, boot_p_value`` with ``.attrs``: ``n``,
    ``clusters``, ``unit``, ``years_left_out``, ``method``, ``no_interval``. Inference follows
    :func:`pkoresearch.analysis.stats.cluster_inference`: t(G-1) with G contributors; with fewer than
    :data:`pkoresearch.analysis.stats.MIN_CLUSTERS` contributors no interval or p-value (missing, and
    ``no_interval`` says why); a wild score bootstrap p-value (``boot_p_value``) for every term
    but the constant.
    """
    import statsmodels.api as sm

    if pending not in ("exclude", "not_appointed"):
        raise ParameterError(f"pending: found {pending!r}; expected 'exclude' or 'not_appointed'")
    states = NIO_DECIDED + (("pending",) if pending == "not_appointed" else ())
    d = allegations[allegations["nio_appointed"].isin(states)].copy()
    left_out: list[int] = []
    if not include_partial:
        if "year_complete" not in d:
            raise ParameterError(
                "nio_logit: found no year_complete column; expected the frame "
                "from response.uniformed, or include_partial=True"
            )
        partial = ~d["year_complete"].fillna(False).astype(bool)
        left_out = sorted(int(y) for y in set(d.loc[partial, "report_year"]))
        d = d[~partial]
    if "nationality_iso3" not in d:
        d["nationality_iso3"] = countries.to_iso3(d["nationality"]).to_numpy()
    d["appointed"] = (d["nio_appointed"] == "yes").astype(float)
    d["year_c"] = (d["report_year"] - d["report_year"].min()).astype(float)
    d["cluster"] = d["nationality_iso3"].fillna(d["nationality"].astype("string")).astype(str)
    cols = ["year_c"]
    if contributor_attributes is not None and terms:
        missing = [t for t in terms if t not in contributor_attributes]
        if missing:
            raise ParameterError(
                f"terms: found {missing} not in contributor_attributes columns "
                f"{list(contributor_attributes.columns)}"
            )
        att = contributor_attributes.copy()
        if "nationality_iso3" not in att:
            att["nationality_iso3"] = countries.to_iso3(att["nationality"]).to_numpy()
        twice = att["nationality_iso3"].notna() & att.duplicated("nationality_iso3", keep=False)
        dup = att.loc[twice, "nationality"]
        if len(dup):
            raise ParameterError(
                f"contributor_attributes: found {sorted(dup.astype(str))} for one "
                "country; expected one row per country"
            )
        d = d.merge(
            att.loc[att["nationality_iso3"].notna(), ["nationality_iso3", *terms]],
            on="nationality_iso3",
            how="inner",
        )
        cols += list(terms)
        unit = "allegation and contributor named"
    else:
        d = d.drop_duplicates("allegation_id")
        unit = "allegation"
    d = d.dropna(subset=cols)
    yes = int(d["appointed"].sum())
    counts = (
        f"{len(d)} rows (one per {unit}) with a decided NIO request in complete years, {yes} with an "
        f"NIO appointed, {d['report_year'].nunique()} reporting year(s), "
        f"{d['cluster'].nunique()} contributor(s)"
    )
    if len(d) <= len(cols) + 1 or yes in (0, len(d)):
        raise NotEstimable(
            f"nio_logit: {counts}; expected more rows than the {len(cols) + 1} "
            "parameters and both outcomes (appointed and not)"
        )
    if d["report_year"].nunique() < 2:
        raise NotEstimable(f"nio_logit: {counts}; expected at least two reporting years")
    if d["cluster"].nunique() < 2:
        raise NotEstimable(
            f"nio_logit: {counts}; expected at least two contributors to cluster "
            "the standard errors by"
        )
    X = sm.add_constant(d[cols].astype(float))
    groups = pd.factorize(d["cluster"])[0]
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sm.GLM(d["appointed"].to_numpy(), X, family=sm.families.Binomial()).fit(
            cov_type="cluster", cov_kwds={"groups": groups}
        )
    if any(type(w.message).__name__ == "PerfectSeparationWarning" for w in caught):
        raise NotEstimable(
            f"nio_logit: {counts}; the reporting year separates appointed from "
            "not appointed perfectly, so the odds ratio has no finite estimate"
        )
    model = sm.GLM(d["appointed"].to_numpy(), X, family=sm.families.Binomial())
    ests = [
        stats.cluster_inference(
            model, fit.params, fit.bse, term, groups, alpha, bootstrap=term != "const" and "auto"
        )
        for term in X.columns
    ]
    out = pd.DataFrame(
        {
            "term": X.columns,
            "odds_ratio": [e.estimate for e in ests],
            "ci_low": [e.ci_low for e in ests],
            "ci_high": [e.ci_high for e in ests],
            "p_value": [e.p_value for e in ests],
            "boot_p_value": [e.boot_p_value for e in ests],
        }
    )
    treated = "excluded" if pending == "exclude" else "counted as not appointed"
    G = int(groups.max() + 1)
    out.attrs.update(
        n=len(d),
        clusters=G,
        unit=unit,
        years_left_out=left_out,
        no_interval=ests[0].no_interval,
        method=(
            "logistic GLM; Wald intervals with standard errors clustered by "
            f"contributor, t({G - 1}) reference ({G} clusters); bootstrap p: "
            f"{ests[-1].boot_method}; pending requests {treated}"
        ),
    )
    return out


def funnel_unavailable(contributors: pd.DataFrame, p0: float | None = None) -> str | None:
    """Why a funnel plot of ``contributors`` (a :func:`contributor_table`) around the overall rate
    ``p0`` (default: its ``.attrs["totals"]`` rate, each allegation once) cannot be drawn, with
    the counts; None when it can. A funnel compares contributors with each other against limits
    around ``p0``: it needs two contributors with a decided request and ``p0`` strictly between
    0 and 1 (at 0 or 1 the limits have no width).
    Example: ``funnel_unavailable(contributor_table(uni))`` -> None on the whole export"""
    rows = contributors[contributors["decided"] > 0]
    totals = contributors.attrs.get("totals")
    if p0 is None and totals is not None and len(totals):
        p0 = float(totals["rate"].iloc[0])
    if len(rows) == 0:
        pending = int(contributors["pending"].sum()) if "pending" in contributors else 0
        return f"no contributor in the selection has a decided NIO request ({pending} pending)"
    if len(rows) == 1:
        r = rows.iloc[0]
        return (
            f"one contributor in the selection ({r['nationality']}: {int(r['appointed'])} "
            f"of {int(r['decided'])} decided requests with an NIO appointed); a funnel plot "
            "compares contributors with each other"
        )
    if p0 is None or pd.isna(p0):
        return "no overall rate to draw limits around"
    if not 0 < p0 < 1:
        k, n = int(rows["appointed"].sum()), int(rows["decided"].sum())
        return (
            f"every decided request {'got' if p0 == 1 else 'failed to get'} an NIO "
            f"(overall rate {p0:.0%}; {len(rows)} contributors, {k} of {n} decided requests "
            "counted once per contributor): limits around 0 or 1 have no width"
        )
    return None


def describe_totals(totals: pd.DataFrame | pd.Series, level: str = "95%") -> str:
    """One sentence on a :func:`nio_totals` row (the frame or its row): appointed of decided with
    the interval, pending, and the sensitivity counting pending as not appointed; says so when
    nothing was decided or nothing asked."""
    t = totals.iloc[0] if isinstance(totals, pd.DataFrame) else totals
    if t["asked"] == 0:
        return (
            f"All reporting months, each allegation once: {t['allegations']} allegation(s), "
            "none with an NIO request answered, failed or pending: no rate to show."
        )
    if t["decided"] == 0:
        return (
            f"All reporting months, each allegation once: no decided request, "
            f"{t['pending']} pending: no rate among decided requests; pending counted as not "
            f"appointed: 0 of {t['asked']}."
        )
    return (
        f"All reporting months, each allegation once: {t['appointed']} of {t['decided']} "
        f"decided requests ({t['rate']:.1%}, {level} CI {t['ci_low']:.1%}-{t['ci_high']:.1%}); "
        f"{t['pending']} pending. Pending counted as not appointed: {t['appointed']} of "
        f"{t['asked']} ({t['rate_pending_as_not']:.1%}, {t['ci_low_pending_as_not']:.1%}-"
        f"{t['ci_high_pending_as_not']:.1%})."
    )


@dataclass(frozen=True)
class Overdispersion:
    """How much more the units of a funnel plot vary than binomial sampling allows
    (:func:`funnel_overdispersion`)."""

    method: str  # "additive" (random effects) or "multiplicative"
    phi: float  # winsorised mean of the squared z-scores (1 under binomial variation)
    tau2: float  # additive: between-unit variance of the true rates (0 when none is detected)
    units: int
    p_value: float  # test of no overdispersion: units x phi against chi-square(units - 1)
    winsor: float
    adjusted: bool  # whether the limits are widened (units x phi > units - 1)

    def describe(self) -> str:
        what = (
            f"additive random-effects adjustment, between-unit SD {math.sqrt(self.tau2):.3f}"
            if self.method == "additive"
            else f"multiplicative adjustment, limits widened by sqrt({self.phi:.2f})"
        )
        head = (
            f"overdispersion: phi = {self.phi:.2f} from {self.units} contributors (z-scores "
            f"winsorised at {self.winsor:.0%} each tail; test of none p = {self.p_value:.3g})"
        )
        if not self.adjusted:
            return head + "; no overdispersion detected, binomial limits drawn (Spiegelhalter 2005)"
        return head + f"; {what} (Spiegelhalter 2005), drawn beside the binomial limits"


def funnel_overdispersion(
    contributors: pd.DataFrame,
    p0: float,
    method: str = "additive",
    winsor: float = 0.1,
    n: str = "decided",
    k: str = "appointed",
) -> Overdispersion:
    """Overdispersion of a funnel plot's units around ``p0`` (Spiegelhalter 2005, "Funnel plots
    for comparing institutional performance", Stat Med 24: 1185-1202, and "Handling
    over-dispersion of performance indicators", Qual Saf Health Care 14: 347-351).

    For each unit with ``n`` > 0 cases: z = (k/n - p0) / s, s^2 = p0 (1 - p0) / n; the z-scores are
    winsorised (those below the ``winsor`` quantile set to it, those above 1 - ``winsor`` likewise)
    so that a few outlying units do not inflate the estimate; phi = mean of z^2 over the I units.
    Without overdispersion I phi follows chi-square(I - 1) (the ``p_value``).

    - ``"additive"`` (default, Spiegelhalter's recommendation: units differ by a random effect
      whatever their size): tau^2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w = 1 / s^2
      (DerSimonian-Laird), 0 when I phi <= I - 1; limits p0 +- z sqrt(s^2(n) + tau^2).
    - ``"multiplicative"``: limits p0 +- z sqrt(phi s^2(n)), when I phi > I - 1.

    Example: ``funnel_overdispersion(contributor_table(uni), 0.6)``"""
    if method not in ("additive", "multiplicative"):
        raise ParameterError(f"method: found {method!r}; expected 'additive' or 'multiplicative'")
    if not 0 < p0 < 1:
        raise ParameterError(f"p0: found {p0!r}; expected a rate strictly between 0 and 1")
    if not 0 <= winsor < 0.5:
        raise ParameterError(f"winsor: found {winsor!r}; expected a share in [0, 0.5)")
    d = contributors[contributors[n] > 0]
    if len(d) < 2:
        raise NotEstimable(
            f"funnel_overdispersion: {len(d)} unit(s) with cases; expected at least 2"
        )
    m = d[n].astype(float).to_numpy()
    s2 = p0 * (1 - p0) / m
    z = (d[k].astype(float).to_numpy() / m - p0) / np.sqrt(s2)
    if winsor > 0:
        z = np.clip(z, np.quantile(z, winsor), np.quantile(z, 1 - winsor))
    units = len(z)
    phi = float(np.mean(z**2))
    w = 1 / s2
    excess = units * phi - (units - 1)
    tau2 = (
        float(max(0.0, excess / (w.sum() - (w**2).sum() / w.sum())))
        if method == "additive"
        else 0.0
    )
    return Overdispersion(
        method=method,
        phi=phi,
        tau2=tau2,
        units=units,
        p_value=float(sps.chi2.sf(units * phi, units - 1)),
        winsor=winsor,
        adjusted=excess > 0,
    )


def funnel_limits(
    p0: float,
    n_max: int,
    levels: Sequence[float] = (0.95, 0.998),
    overdispersion: Overdispersion | None = None,
) -> pd.DataFrame:
    """Binomial control limits around an overall rate ``p0`` for 1..``n_max`` cases:
    ``n, lower_95, upper_95, lower_99.8, upper_99.8`` (proportions; exact binomial quantiles).
    With an ``overdispersion`` (:func:`funnel_overdispersion`) that is ``adjusted``, also
    ``lower_95_adj, upper_95_adj, ...``: normal limits widened by its method, clipped to 0-1;
    ``.attrs["overdispersion"]`` says which."""
    if not 0 < p0 < 1:
        raise ParameterError(f"p0: found {p0!r}; expected a rate strictly between 0 and 1")
    n = np.arange(1, int(n_max) + 1)
    out = pd.DataFrame({"n": n})
    for level in levels:
        tail = (1 - level) / 2
        tag = f"{100 * level:g}"
        out[f"lower_{tag}"] = sps.binom.ppf(tail, n, p0) / n
        out[f"upper_{tag}"] = sps.binom.ppf(1 - tail, n, p0) / n
    if overdispersion is not None and overdispersion.adjusted:
        s2 = p0 * (1 - p0) / n
        var = (
            s2 + overdispersion.tau2
            if overdispersion.method == "additive"
            else s2 * max(overdispersion.phi, 1.0)
        )
        for level in levels:
            tag = f"{100 * level:g}"
            half = sps.norm.ppf(1 - (1 - level) / 2) * np.sqrt(var)
            out[f"lower_{tag}_adj"] = np.clip(p0 - half, 0, 1)
            out[f"upper_{tag}_adj"] = np.clip(p0 + half, 0, 1)
    if overdispersion is not None:
        out.attrs["overdispersion"] = overdispersion.describe()
    return out
