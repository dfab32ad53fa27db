"""Every valid selection runs (issue 18): random subsets of the real UN table of allegations and of
the UN monthly gender statistics, by mission, contributor, personnel category and year range,
empty ones included. The helpers behind the notebooks may refuse only with the package's own
ParameterError (NotEstimable for data that cannot support an estimate); counts over disjoint
subsets add up to the count over their union; and a notebook run over narrow selections (the
sweep at the end) runs to its last cell and says what it cannot show.

The real files are read once per module; Hypothesis runs few examples with no deadline (the
helpers fit models)."""

from __future__ import annotations

import importlib.util
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, cached_real_file
from pkoresearch import results
from pkoresearch.analysis import panel as pn
from pkoresearch.analysis import participation as pa
from pkoresearch.analysis import response, stats, trends
from pkoresearch.errors import NotEstimable
from pkoresearch.figures import plots

SETTINGS = settings(
    database=None,  # derandomised: nothing to replay, nothing written
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CATEGORIES = ["military", "police", "civilian"]


@pytest.fixture(scope="module")
def raw():
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    return read_table_of_allegations(cached_real_file("un_allegations"))


@pytest.fixture(scope="module")
def gender():
    from pkoresearch.data.readers.un_gender import read_gender_statistics

    return read_gender_statistics(cached_real_file("un_gender_ipi"))


def _missions(raw) -> list[str]:
    return sorted(raw.allegations["mission"].dropna().unique())


def selections(names: list[str]):
    """(start_year, end_year, missions or None, categories or None); missions may be []."""
    years = st.integers(2013, 2026)
    return st.tuples(
        years,
        years,
        st.one_of(st.none(), st.lists(st.sampled_from(names), max_size=3, unique=True)),
        st.one_of(st.none(), st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True)),
    )


# ------------------------------------------------------------------------- the allegation table


def _by_hand(raw, y0, y1, missions, categories) -> set[int]:
    """The allegation ids a selection keeps, computed without trends.select."""
    a = raw.allegations
    keep = a["report_year"].between(y0, y1)
    if missions is not None:
        names = a["mission"].replace({"MONUC": "MONUSCO"})
        wanted = {"MONUSCO" if m == "MONUC" else m for m in missions}
        keep &= names.isin(wanted)
    if categories is not None:
        p = raw.personnel
        keep &= a["allegation_id"].isin(p.loc[p["category"].isin(categories), "allegation_id"])
    return set(a.loc[keep, "allegation_id"])


def test_selected_counts_are_the_rows_the_filters_keep(raw):
    names = _missions(raw)

    @SETTINGS
    @given(selections(names))
    def check(sel):
        y0, y1, missions, categories = sel
        y0, y1 = min(y0, y1), max(y0, y1)
        table = trends.select(raw, y0, y1, missions, categories)
        assert set(table.allegations["allegation_id"]) == _by_hand(
            raw, y0, y1, missions, categories
        )
        assert table.counts["selected"] == len(table.allegations)

    check()


def test_yearly_counts_over_disjoint_missions_add_up(raw):
    names = _missions(raw)

    @SETTINGS
    @given(
        st.integers(2013, 2026),
        st.integers(0, 10),
        st.sets(st.sampled_from(names)),
        st.one_of(st.none(), st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True)),
    )
    def check(y0, span, part, categories):
        y1 = y0 + span
        part = sorted(part - {"MONUC", "MONUSCO"})  # one operation under two names: keep together
        rest = sorted(set(names) - set(part))
        whole = trends.yearly(y0, y1, None, trends.select(raw, y0, y1, None, categories))
        sums = 0
        for group in (part, rest):
            t = trends.select(raw, y0, y1, group, categories)
            sums = sums + trends.yearly(y0, y1, group, t).set_index("year")["allegations"]
        got = whole.set_index("year")["allegations"]
        # a year outside the export's coverage is missing in every part and in the whole
        assert got.isna().equals(sums.isna())
        assert (got.dropna() == sums.dropna()).all()
        # every allegation in the covered years is counted once, whatever the subset
        assert int(got.dropna().sum()) == len(_by_hand(raw, y0, y1, None, categories))

    check()


def test_allegation_helpers_run_on_any_selection(raw):
    from pkoresearch.data.readers.un_contributions import read_mission_month

    mission_month = read_mission_month(cached_real_file("un_contributions_mission_month"))
    names = _missions(raw)

    @settings(SETTINGS, max_examples=8)
    @given(selections(names))
    def check(sel):
        y0, y1, missions, categories = sel
        y0, y1 = min(y0, y1), max(y0, y1)
        table = trends.select(raw, y0, y1, missions, categories)
        counts = trends.yearly(y0, y1, missions, table)
        summary = trends.year_summary(counts)
        assert summary["total_complete"] == int(
            counts.loc[counts["complete"].fillna(False).astype(bool), "allegations"].sum()
        )
        for by in ("personnel_category", "mission", "nationality", "result"):
            got = trends.count_by(table, by)
            assert (got["allegations"] >= 0).all()
        grid = trends.mission_year(table, y0, y1, mission_month, missions=missions)
        # a mission asked for appears even without allegations; its counts are its allegations
        if missions:
            assert set(grid["mission"]) >= {"MONUSCO" if m == "MONUC" else m for m in missions}
        shown = grid.dropna(subset=["allegations"])
        in_cov = table.allegations[table.allegations["report_year"].isin(shown["year"])]
        assert int(shown["allegations"].sum()) == len(in_cov)
        trends.outcomes_by_year(table)
        trends.child_share(table)
        trends.lag_summary(trends.report_lag(table))
        basis = trends.rate_basis(y0, y1, missions, categories, table, mission_month)
        if basis.personnel is not None:
            rated = trends.rates(basis.counts, basis.personnel)
            if len(trends.model_years(rated)) > 2:
                try:
                    trends.trend(rated)
                except NotEstimable:
                    pass
        fig, ax = plt.subplots()
        plots.stacked_counts(
            trends.count_by(table, "personnel_category"), ax=ax, hue="personnel_category"
        )
        plots.heatmap(grid, x="year", y="mission", value="allegations", ax=ax)
        plt.close(fig)

    check()


# ------------------------------------------------------------------------- contributors' response


def _contributors(raw) -> list[str]:
    return sorted(response.uniformed(raw)["nationality"].dropna().astype(str).unique())


def test_response_helpers_run_on_any_selection(raw):
    uni_all = response.uniformed(raw)
    names = _contributors(raw)
    censor = response.censoring_date(raw)

    @settings(SETTINGS, max_examples=12)
    @given(
        st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True),
        st.one_of(
            st.none(), st.lists(st.integers(2014, 2025), min_size=1, max_size=3, unique=True)
        ),
    )
    def check(who, years):
        uni = response.select_contributors(uni_all, who)
        if years is not None:
            uni = uni[uni["report_year"].isin(years)]
        totals = response.nio_totals(uni)
        assert int(totals["allegations"].iloc[0]) == uni["allegation_id"].nunique()
        assert response.describe_totals(totals)
        nio = response.nio_rates(uni)
        assert ((nio["appointed"] <= nio["decided"]) & (nio["decided"] <= nio["asked"])).all()
        contrib = response.contributor_table(uni)
        why = response.funnel_unavailable(contrib)
        if why is None:
            p0 = float(totals["rate"].iloc[0])
            response.funnel_limits(p0, max(int(contrib["decided"].max()), 2))
        else:
            assert len(contrib[contrib["decided"] > 0]) < 2 or not 0 < totals["rate"].iloc[0] < 1
        times = response.outcome_times(raw, uni, censor)
        if len(times):
            tto = response.time_to_outcome(times["followup_days"], times["reported"])
            assert tto.n == len(times)
            response.outcome_horizons(tto)
        durations = response.investigation_durations(raw, censor, ids=uni["allegation_id"])
        by_entity = response.durations_by_entity(durations)
        assert int(by_entity["n"].sum()) + sum(by_entity.attrs["too_few"].values()) == len(
            durations
        )
        try:
            response.nio_logit(uni)
        except NotEstimable:
            pass
        fig, ax = plt.subplots()
        plots.stacked_counts(response.nio_state_counts(nio), x="label", hue="state", ax=ax)
        plt.close(fig)

    check()


def test_nio_counts_over_disjoint_years_add_up(raw):
    uni = response.uniformed(raw)
    years = sorted(uni["report_year"].unique())

    @SETTINGS
    @given(st.sets(st.sampled_from(years)))
    def check(part):
        a = response.nio_totals(uni[uni["report_year"].isin(part)])
        b = response.nio_totals(uni[~uni["report_year"].isin(part)])
        whole = response.nio_totals(uni)
        for col in ("allegations", "appointed", "decided", "pending", "asked"):
            assert int(a[col].iloc[0]) + int(b[col].iloc[0]) == int(whole[col].iloc[0])

    check()


def test_one_contributor_says_why_there_is_no_funnel(raw):
    # issue 18: Nepal in 2016 has one allegation, with an NIO appointed: the overall rate is 1
    uni = response.select_contributors(response.uniformed(raw), ["Nepal"])
    uni = uni[uni["report_year"] == 2016]
    contrib = response.contributor_table(uni)
    assert response.funnel_unavailable(contrib) == (
        "one contributor in the selection (Nepal: 1 of 1 decided requests with an NIO "
        "appointed); a funnel plot compares contributors with each other"
    )
    with pytest.raises(NotEstimable, match=r"1 rows .* 1 with an NIO appointed, 1 reporting"):
        response.nio_logit(uni)


# ------------------------------------------------------------------------- gender statistics


def test_gender_shares_over_disjoint_missions_add_up_and_run(gender):
    counts_all = gender.counts
    missions = sorted(counts_all["mission"].astype(str).unique())
    months = sorted(counts_all["date"].unique())
    codes = sorted(counts_all["iso3"].dropna().astype(str).unique())

    @settings(SETTINGS, max_examples=20)
    @given(
        st.integers(0, len(months) - 1),
        st.integers(0, 5),
        st.sets(st.sampled_from(missions)),
        st.one_of(st.none(), st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True)),
    )
    def check(first, span, part, iso3):
        window = months[first : first + span + 1]  # one month to a half year
        c = counts_all[counts_all["date"].isin(window)]
        if iso3 is not None:
            c = c[c["iso3"].isin(iso3)]
        whole = pa.shares_by(c, ["date"], ["all_uniformed"])
        halves = [
            pa.shares_by(c[c["mission"].isin(part)], ["date"], ["all_uniformed"]),
            pa.shares_by(c[~c["mission"].isin(part)], ["date"], ["all_uniformed"]),
        ]
        for col in ("women", "personnel"):
            summed = sum(h.set_index("date")[col].reindex(whole["date"]).fillna(0) for h in halves)
            assert (summed.to_numpy() == whole[col].to_numpy()).all()
        sub = c[c["mission"].isin(part)]
        if sub.empty:
            return
        monthly = pa.shares_by(sub, ["date", "group"], pa.DEFAULT_CATEGORIES)
        pa.year_end(monthly.rename(columns={"group": "category"}))
        grid = pa.mission_year_shares(sub)
        assert set(grid.loc[grid["deployed"], "mission"]) <= set(part)
        ranking = pa.contributor_ranking(sub, sub["date"].max(), top_n=None)
        top5 = pa.concentration(ranking["women"], 5)
        assert math.isnan(top5) == (int(ranking["women"].sum()) == 0)

    check()


# ------------------------------------------------------------------------- the mission-year panel


def test_panel_models_run_on_any_selection(raw):
    from pkoresearch.data.readers.un_contributions import read_monthly

    contributions = read_monthly(cached_real_file("un_contributions_mission_month"))
    full = pn.build_panel(contributions, raw, 2011, 2022)

    @settings(SETTINGS, max_examples=8)
    @given(
        st.integers(2013, 2021),
        st.integers(0, 4),
        st.sampled_from(list(pn.OUTCOMES)),
        st.sampled_from(
            [["peacekeeping"], ["special_political"], ["peacekeeping", "special_political"]]
        ),
    )
    def check(y0, span, outcome, kinds):
        fitted = pn.fit_models(full, outcome, y0, min(y0 + span, 2022), kinds=kinds)
        if fitted.sample.empty:
            assert fitted.not_estimable and fitted.results == []
        for r in fitted.results:
            assert bool(r.not_estimable) == math.isnan(r.irr)
        fitted.table()
        est = fitted.to_frame(estimable_only=True)
        assert len(est) == len(fitted.fitted)
        fig, ax = plt.subplots()
        plots.coefficients(est, ax=ax)
        plt.close(fig)

    check()


# ------------------------------------------------------------------------- the notebooks


def _sweep_module():
    spec = importlib.util.spec_from_file_location(
        "sweep", ROOT / "benchmarks" / "sweep_selections.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _stdout(path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )


def check_sweep(folder, manifest) -> None:
    """What the representative sweep must show: every run reached its last cell, and the
    sections with nothing or too little to show say so, with their counts."""
    failed = {
        r["name"]: r.get("error", {}).get("message", "")[:300]
        for r in manifest["runs"]
        if r["status"] != "ok"
    }
    assert failed == {}
    where = {r["name"]: folder / "runs" / r["folder"] for r in manifest["runs"]}
    out = {name: _stdout(f / "notebook.ipynb") for name, f in where.items()}
    # 03, one contributor: the funnel plot says why it is not drawn, with the counts
    assert (
        "Funnel plot: not drawn: one contributor in the selection (Nepal: 1 of 1 decided"
        in out["03-Nepal-2016"]
    )
    assert "logistic model: not fitted" in out["03-Morocco-2015-2016-2017"]
    assert results.read(where["03-Morocco-2016"])["nio_appointed_overall"] == [7, 7, 1.0]
    # a contributor with none of its allegations in the chosen year: nothing to show, said so
    assert "none asked in the selection" in out["03-Norway-2015"]
    # 01, no police allegation in UNIFIL: the sections say so, the mission-year table has zeros
    assert "No allegation in the selection" in out["01-UNIFIL-police"]
    got = results.read(where["01-UNIFIL-police"])
    assert got["allegations_total"] == 0
    assert got["allegations_by_mission"] == {"UNIFIL": 0}
    # 04, one year: the mission fixed-effects column is not estimable, and says why
    assert "Mission FE (Poisson QL): not estimable" in out["04-2019"]


@pytest.mark.slow
@pytest.mark.notebook
def test_notebooks_run_over_narrow_selections(tmp_path):
    """The representative sweep of benchmarks/sweep_selections.py (the ten selections of issue 18
    among them) with the batch runner, two jobs: every run reaches its last cell."""
    for name in ("un_allegations", "un_gender_ipi", "un_contributions_mission_month"):
        cached_real_file(name)
    sweep = _sweep_module()
    manifest = sweep.sweep(sweep.representative_runs(), tmp_path, jobs=2)
    check_sweep(tmp_path, manifest)


def test_years_outside_the_tables_coverage_are_refused_before_any_kernel(tmp_path):
    """Notebook 04 over 2010-2014 (the UN table starts in January 2015): the batch stops before
    any kernel starts, stating the coverage; no run folder is made (its counts would all be
    missing, not 0)."""
    from pkoresearch.batch.runconfig import RunConfigError

    cached_real_file("un_allegations")
    sweep = _sweep_module()
    with pytest.raises(RunConfigError) as err:
        sweep.sweep([sweep.OUTSIDE_COVERAGE], tmp_path, jobs=1)
    msg = str(err.value)
    assert "run '04-2010-2014': years 2010-2014" in msg
    assert "covers January 2015 - July 2024, none of these years" in msg
    assert not (tmp_path / "runs").exists()


def test_sweep_selections_cover_the_issue(raw):
    runs = {r.name: r for r in _sweep_module().representative_runs()}
    for who in ("Nepal", "Uruguay", "Morocco"):
        for years in ("2016", "2023", "2015-2016-2017"):
            assert runs[f"03-{who}-{years}"].parameters["allegations_table"] == "un_allegations"
    assert runs["01-UNIFIL-police"].parameters["personnel_categories"] == ["police"]
    assert {r.notebook for r in runs.values()} == {
        "01_allegation_trends.ipynb",
        "02_womens_participation.ipynb",
        "03_tcc_response_rates.ipynb",
        "04_women_and_allegations.ipynb",
    }


# ------------------------------------------------------------------------- small known answers


def test_a_count_model_without_events_is_not_estimable():
    d = pd.DataFrame(
        {"year_c": [0, 1, 2, 3], "allegations": [0, 0, 0, 0], "personnel": [100, 120, 90, 110]}
    )
    with pytest.raises(NotEstimable, match="no event in 4 complete rows"):
        stats.count_model(d, "allegations", "personnel", ["year_c"])


def test_funnel_and_totals_say_why_on_edge_rates():
    two = pd.DataFrame(
        {"nationality": ["A", "B"], "appointed": [3, 2], "decided": [3, 2], "pending": [0, 1]}
    )
    assert response.funnel_unavailable(two, 1.0) == (
        "every decided request got an NIO (overall rate 100%; 2 contributors, 5 of 5 decided "
        "requests counted once per contributor): limits around 0 or 1 have no width"
    )
    assert response.funnel_unavailable(two.assign(appointed=[1, 1]), 0.4) is None
    assert response.funnel_unavailable(two.assign(decided=[0, 0]), None) == (
        "no contributor in the selection has a decided NIO request (1 pending)"
    )
    only_pending = pd.DataFrame(
        {"allegations": [2], "appointed": [0], "decided": [0], "pending": [2], "asked": [2]}
    )
    assert response.describe_totals(only_pending) == (
        "All reporting months, each allegation once: no decided request, 2 pending: no rate "
        "among decided requests; pending counted as not appointed: 0 of 2."
    )


def test_plots_say_there_is_nothing_to_draw():
    fig, ax = plt.subplots()
    empty = pd.DataFrame({"year": [], "allegations": [], "personnel_category": []})
    assert plots.stacked_counts(empty, ax=ax) is ax
    assert [t.get_text() for t in ax.texts] == ["no data to show: no allegations in the selection"]
    plt.close(fig)
