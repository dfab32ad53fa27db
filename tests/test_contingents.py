"""The contingent panel (contributor x mission x year): exposure from the real files and the UN
layout, the accounting of every uniformed allegation, hand-checked cells, and the models on
synthetic data with a known rate ratio and against direct statsmodels calls."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from conftest import external_file
from pkoresearch.analysis import contingents as cg
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.data.readers.un_contributions import (
    read_contributions_by_gender,
    read_country_mission_year,
    read_mission_month,
)
from pkoresearch.errors import ParameterError

DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"
CSV = "UN_contributions_by_gender_country_mission_year_2010-2021.csv"
XLSX = "UN_conduct_table_of_allegations_2024-07.xlsx"


@pytest.fixture(scope="module")
def mission_month():
    return read_mission_month(external_file(DTA))


@pytest.fixture(scope="module")
def country_year(mission_month):
    return read_country_mission_year(external_file(CSV), mission_month)


@pytest.fixture(scope="module")
def table():
    return read_table_of_allegations(external_file(XLSX))


@pytest.fixture(scope="module")
def ex(country_year):
    return cg.exposure(country_year)


@pytest.fixture(scope="module")
def panel(ex, table):
    return cg.build_panel(ex, table, 2015, 2020)


@pytest.fixture(scope="module")
def raw_csv():
    """The contributor x mission x year file read with the csv module (not the package)."""
    with open(external_file(CSV), newline="", encoding="utf-8") as f:
        return {(r["Year"], r["Country"], r["Mission"]): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def raw_export():
    """The export read with plain pandas (independent of the package's reader)."""
    raw = pd.read_excel(external_file(XLSX), sheet_name="Export", dtype=str, keep_default_na=False)
    raw["year"] = raw["Date"].str.split("/").str[1].astype(int)
    kinds = raw["Personnel Type"].str.split("\n")
    raw["uniformed"] = kinds.map(lambda v: any(x.startswith(("Military", "Police")) for x in v))
    raw["nationalities"] = raw["Nationality"].map(
        lambda s: [x.strip() for x in s.split("\n") if x.strip()]
    )
    return raw


# ------------------------------------------------------------------------------------ exposure


def test_rescaled_2016_cell_by_hand(ex, raw_csv):
    # 2016 has 11 months in the UN file (November absent): Congo's 723 persons in MINUSCA are the
    # sum over 11 months / 12, so the mean over the months present is 723 x 12 / 11
    r = raw_csv[("2016", "Congo", "MINUSCA")]
    assert (r["Female"], r["Total"]) == ("16", "723")
    d = ex.data.set_index(["iso3", "mission", "year", "personnel_type"])
    cell = d.loc[("COG", "MINUSCA", 2016, "all_uniformed")]
    assert cell["exposure"] == pytest.approx(723 * 12 / 11)
    assert cell["share_pct"] == pytest.approx(100 * 16 / 723)
    assert cell["months_covered"] == 11 and not cell["partial"]
    assert cell["quality"].startswith("corrected: 11 months")


def test_contributors_summed_reproduce_the_mission_month_file(ex, mission_month, country_year):
    # full years: the contributor file summed over contributors gives each mission's mean monthly
    # personnel within rounding (each contributor's mean is rounded to whole persons: by up to
    # 0.5 for every contributor row of the file, zero rows included, since a contingent present
    # for a month or two can round to 0)
    d = ex.data[ex.data["personnel_type"] == "all_uniformed"]
    rows = country_year.counts.groupby(["year", "mission"]).size()
    m = mission_month.counts.assign(year=mission_month.counts["month"].dt.year)
    for year in (2018, 2019, 2020):
        by_mission = d[d["year"] == year].groupby("mission")
        ref = m[m["year"] == year].groupby("mission")["total"].sum() / 12
        ref = ref[ref > 0]
        got = by_mission["total"].sum()
        assert set(got.index) <= set(ref.index)  # a mission whose every contingent rounds
        got = got.reindex(ref.index, fill_value=0)  # to 0 (UNIOGBIS 2020) has no cell
        n = rows.loc[year].reindex(ref.index)
        diff = (got - ref).abs()
        assert (diff <= 0.5 * n + 0.5).all(), diff[diff > 0.5 * n + 0.5]
        assert abs(got.sum() / ref.sum() - 1) < 0.001


def test_2021_is_partial_and_unusable_years_are_missing(ex):
    d = ex.data
    y21 = d[d["year"] == 2021]
    assert len(y21) and y21["partial"].all()
    assert y21["quality"].str.startswith("partial").all()
    assert not d.loc[d["year"].between(2013, 2020), "partial"].any()
    # 2010-2012 fail the check against the monthly file: kept, listed, with no values
    early = d[d["year"] <= 2012]
    assert len(early) and early["exposure"].isna().all()
    assert early["quality"].str.startswith("unusable").all()


def _write_un_layout(path, rows):
    header = (
        "Contributing_Country,ISOCode3,Mission_Acronym,Personnel_Type,Female_Personnel,"
        "Male_Personnel,Last_Reporting_Date\n"
    )
    path.write_text(header + "".join(",".join(map(str, r)) + "\n" for r in rows))


def test_un_layout_by_type_partial_and_excluded_months(tmp_path):
    rows = []
    for m in range(1, 13):  # 2019: Ghana troops all year, police Jan-Jun only; Nepal troops
        day = pd.Timestamp(2019, m, 1) + pd.offsets.MonthEnd(0)
        stamp = day.strftime("%d-%b-%y")
        rows.append(("Ghana", "GHA", "UNMISS", "Troops", 10, 90, stamp))
        if m <= 6:
            rows.append(("Ghana", "GHA", "UNMISS", "Individual Police", 6, 6, stamp))
        rows.append(("Nepal", "NPL", "UNMISS", "Troops", 0, 50 if m != 3 else 500, stamp))
    for m in (1, 2):  # 2020: January and February only (the file ends): partial
        stamp = (pd.Timestamp(2020, m, 1) + pd.offsets.MonthEnd(0)).strftime("%d-%b-%y")
        rows.append(("Ghana", "GHA", "UNMISS", "Staff Officer", 1, 3, stamp))
    p = tmp_path / "odp_contributionsbygender.csv"
    _write_un_layout(p, rows)
    e = cg.exposure(read_contributions_by_gender(p))
    assert e.split_by_type
    d = e.data.set_index(["iso3", "mission", "year", "personnel_type"])
    g = d.loc[("GHA", "UNMISS", 2019, "all_uniformed")]
    assert g["exposure"] == pytest.approx(100 + 12 * 6 / 12)  # police 12 persons for 6 months
    assert g["share_pct"] == pytest.approx(100 * (10 + 3) / 106)
    assert d.loc[("GHA", "UNMISS", 2019, "military"), "exposure"] == pytest.approx(100)
    assert d.loc[("GHA", "UNMISS", 2019, "police"), "exposure"] == pytest.approx(6)
    assert d.loc[("NPL", "UNMISS", 2019, "all_uniformed"), "exposure"] == pytest.approx(
        (11 * 50 + 500) / 12
    )
    late = d.loc[("GHA", "UNMISS", 2020, "all_uniformed")]
    assert late["partial"] and late["months_covered"] == 2 and late["exposure"] == 4
    assert late["quality"].startswith("partial")
    assert ("GHA", "UNMISS", 2020, "police") not in d.index  # nobody: no cell
    # the hook for the shared plausibility check: a suspect mission-month left out
    suspect = pd.DataFrame({"mission": ["UNMISS"], "month": ["2019-03-01"]})
    e2 = cg.exposure(read_contributions_by_gender(p), exclude=suspect)
    d2 = e2.data.set_index(["iso3", "mission", "year", "personnel_type"])
    assert e2.excluded_months == 1
    assert d2.loc[("NPL", "UNMISS", 2019, "all_uniformed"), "exposure"] == pytest.approx(50)
    assert d2.loc[("NPL", "UNMISS", 2019, "all_uniformed"), "months_covered"] == 11


def test_ipi_gender_statistics_give_exposure_by_type():
    from pkoresearch.data.readers.un_gender import read_gender_statistics

    g = read_gender_statistics(external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv"))
    e = cg.exposure(g)
    d = e.data
    assert e.split_by_type
    assert d.loc[d["year"].isin([2009, 2014]), "partial"].all()  # Nov 2009 - Feb 2014
    assert not d.loc[d["year"].between(2010, 2013), "partial"].any()
    # all uniformed 2010: summed over contributors and missions, the mean of the monthly totals
    t = g.totals(["date"])
    t10 = t[t["date"].dt.year == 2010]
    got = d[(d["year"] == 2010) & (d["personnel_type"] == "all_uniformed")]["total"].sum()
    assert got == pytest.approx(t10["personnel"].astype(float).mean())
    m = d[(d["year"] == 2010) & (d["personnel_type"] == "military")]["total"].sum()
    p_ = d[(d["year"] == 2010) & (d["personnel_type"] == "police")]["total"].sum()
    assert m + p_ == pytest.approx(got)


def test_implausible_contingent_years_are_flagged(ex, panel):
    d = ex.data
    flagged = d.loc[d["suspect"], ["iso3", "mission", "year"]].astype(object)
    assert sorted(map(tuple, flagged.to_numpy())) == [
        ("GHA", "UNAMID", 2017),
        ("MAR", "UNOCI", 2016),
    ]
    mar = d.set_index(["iso3", "mission", "year"]).loc[("MAR", "UNOCI", 2016)]
    assert mar["share_pct"] == pytest.approx(100 * 240 / 302, abs=0.2)  # 240 women of 302
    assert "SUSPECT" in mar["quality"]
    sample, steps = cg.model_sample(panel)
    assert not sample["suspect"].any() and len(sample) == len(panel.data) - 2
    kept, _ = cg.model_sample(panel, keep_suspect=True)
    assert len(kept) == len(panel.data)
    assert any("Morocco in UNOCI 2016" in line for line in panel.describe())
    # a synthetic spike: one year of a steady contingent at 80% women
    rows = pd.DataFrame(
        {
            "personnel_type": "all_uniformed",
            "iso3": "XXX",
            "mission": "M",
            "year": [2015, 2016, 2017, 2018],
            "share_pct": [2.0, 80.0, 3.0, 23.5],
            "total": [600.0, 600.0, 600.0, 600.0],
        }
    )
    assert cg.flag_implausible(rows).tolist() == [False, True, False, False]
    assert not cg.flag_implausible(rows.assign(total=40.0)).any()  # small: not flagged


def test_exposure_refuses_what_it_cannot_use(mission_month, country_year):
    with pytest.raises(ParameterError, match="sums contributors away"):
        cg.exposure(mission_month)
    with pytest.raises(ParameterError, match="cannot leave months out"):
        cg.exposure(country_year, exclude=pd.DataFrame({"mission": ["X"], "month": ["2019-01"]}))
    with pytest.raises(ParameterError, match="expected contributions"):
        cg.exposure(pd.DataFrame())


# ---------------------------------------------------------------------------------- the panel


@pytest.mark.parametrize("years", [(2015, 2020), (2016, 2016)])
def test_no_uniformed_allegation_is_lost(ex, table, raw_export, years):
    p = cg.build_panel(ex, table, *years)
    raw = raw_export[raw_export["year"].between(*years) & raw_export["uniformed"]]
    alleg = table.allegations.set_index("allegation_id")
    raw_ids = {i for i in alleg.index if alleg.at[i, "source_row"] - 2 in set(raw.index)}
    assert set(p.links["allegation_id"]) == raw_ids
    assert p.allegations_in_years == len(raw)
    # every nationality line is either counted in a cell or listed: panel + list = export
    lines = int(raw["nationalities"].map(lambda v: max(len(v), 1)).sum())
    assert int(p.data["allegations"].sum()) + len(p.unmatched) == lines
    # with 1/k weights the panel and the list add up to the number of allegations
    assert float(p.data["allegations_weighted"].sum()) + float(
        p.unmatched["weight"].sum()
    ) == pytest.approx(len(raw))
    assert set(p.unmatched["reason"]) <= {
        cg.REASON_NO_NATIONALITY,
        cg.REASON_NAME,
        cg.REASON_NO_MISSION,
        cg.REASON_YEAR,
        cg.REASON_NO_PERSONNEL,
    }
    assert (p.unmatched["reason"] != "").all()


def test_unmatched_reasons_are_true(panel, ex):
    u = panel.unmatched
    unknown = u[u["reason"] == cg.REASON_NO_NATIONALITY]
    assert len(unknown) == 10 and unknown["nationality"].fillna("Unknown").eq("Unknown").all()
    none = u[u["reason"] == cg.REASON_NO_PERSONNEL]
    cells = set(map(tuple, ex.data[["iso3", "mission", "year"]].astype(object).to_numpy()))
    assert len(none) == 12
    for r in none.itertuples():
        assert (r.iso3, r.mission, r.year) not in cells


def test_two_cells_by_hand(panel, raw_export):
    d = panel.data.set_index(["iso3", "mission", "year"])
    # Congo in MINUSCA, 2016: 9 allegations name Congo, two of them together with the DRC
    raw = raw_export[(raw_export["Mission"] == "MINUSCA") & (raw_export["year"] == 2016)]
    congo = raw[raw["nationalities"].map(lambda v: "Congo" in v)]
    assert len(congo) == 9 and int(congo["nationalities"].map(len).eq(2).sum()) == 2
    c = d.loc[("COG", "MINUSCA", 2016)]
    assert (c["allegations"], c["allegations_weighted"]) == (9, 8.0)
    assert c["exposure"] == pytest.approx(723 * 12 / 11)
    assert c["share_pct"] == pytest.approx(100 * 16 / 723)
    # the DRC is named in the same two allegations: they count once for each contributor
    assert d.loc[("COD", "MINUSCA", 2016), "allegations"] >= 2
    # South Africa in MONUSCO, 2017: 7 allegations; 2017 has 5 months in the UN file
    raw = raw_export[(raw_export["Mission"] == "MONUSCO") & (raw_export["year"] == 2017)]
    assert int(raw["nationalities"].map(lambda v: "South Africa" in v).sum()) == 7
    z = d.loc[("ZAF", "MONUSCO", 2017)]
    assert z["allegations"] == 7
    assert z["exposure"] == pytest.approx(547 * 12 / 5)
    assert z["share_pct"] == pytest.approx(100 * 96 / 547)


def test_zero_inside_coverage_missing_outside(ex, table):
    p = cg.build_panel(ex, table, 2013, 2021)
    d = p.data
    assert d.loc[d["year"] <= 2014, "allegations"].isna().all()  # before the export
    inside = d[d["year"] >= 2015]
    assert inside["allegations"].notna().all()
    assert (inside["allegations"] == 0).sum() > 0.9 * len(inside)
    # 2021 is in the panel flagged partial, never in a model unless asked
    assert d.loc[d["year"] == 2021, "partial"].all()
    m = cg.fit_models(p, specs=["no_fe"])
    assert 2021 not in set(m.sample["year"]) and 2014 not in set(m.sample["year"])
    m = cg.fit_models(p, specs=["no_fe"], include_partial=True)
    assert 2021 in set(m.sample["year"])


def test_incident_year_counting(ex, table):
    p = cg.build_panel(ex, table, 2015, 2020, count_by="incident_year")
    years = table.counting_years("incident_year").set_index("allegation_id")["year"]
    assert (p.links["year"] == p.links["allegation_id"].map(years)).all()
    assert p.links["year"].between(2015, 2020).all()
    assert any("incident start year" in n for n in p.notes)


def test_military_panel_counts_military_allegations(ex, table, panel):
    m = cg.build_panel(ex, table, 2015, 2020, personnel_type="military")
    assert m.exposure_type == "all_uniformed" and m.notes  # the source does not split types
    assert int(m.data["allegations"].sum()) == int(panel.data["allegations_military"].sum())


def test_bad_panel_parameters(ex, table):
    with pytest.raises(ParameterError, match="personnel_type"):
        cg.build_panel(ex, table, personnel_type="troops")
    with pytest.raises(ParameterError, match="count_by"):
        cg.build_panel(ex, table, count_by="month")
    with pytest.raises(ParameterError, match="start_year"):
        cg.build_panel(ex, table, 2020, 2015)


# ------------------------------------------------------------------------------------- models


LOG_097 = math.log(0.97)


def _synthetic(seed=1, beta=LOG_097, contributors=60, missions=8, years=5):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 0.6, contributors)
    rows = []
    for m in range(missions):
        for t in range(years):
            g = rng.normal(0, 0.4)
            present = rng.choice(contributors, size=contributors // 3, replace=False)
            for c in present:
                share = rng.uniform(0, 20) + 0.5 * c % 7
                expo = float(rng.lognormal(5, 1))
                mu = expo / 1000 * math.exp(2 + a[c] + g + beta * share)
                rows.append(
                    {
                        "iso3": f"C{c:02d}",
                        "contributor": f"C{c:02d}",
                        "mission": f"M{m}",
                        "year": 2015 + t,
                        "mission_year": f"M{m} {2015 + t}",
                        "exposure": expo,
                        "share_pct": share,
                        "allegations": rng.poisson(mu),
                        "true_a": a[c],
                    }
                )
    return pd.DataFrame(rows)


def test_main_specification_recovers_the_rate_ratio_and_fixed_effects():
    d = _synthetic()
    spec = cg.specifications()[0]
    r = cg.fit(d, spec, reps=199)
    assert r.ci_low < 0.97 < r.ci_high
    assert abs(r.irr - 0.97) < 0.01
    assert r.converged and r.clusters == d["iso3"].nunique() and r.dropped == 0
    # contributor effects (relative to the first contributor): the known values, each inside its
    # own 95% model-based interval for at least 85% of contributors (95% expected; a clustered
    # standard error of a contributor's own indicator is not usable, its score sums to 0 within
    # the cluster)
    import statsmodels.api as sm

    a = d.drop_duplicates("iso3").set_index("iso3")["true_a"].sort_index()
    names = [f"iso3[{k}]" for k in a.index[1:]]
    X = cg.design(d, "share_pct", ("iso3", "mission_year"))
    model_based = sm.GLM(
        d["allegations"], X, family=sm.families.Poisson(), offset=np.log(d["exposure"])
    ).fit()
    est, se = r.params[names].to_numpy(), model_based.bse[names].to_numpy()
    truth = (a.iloc[1:] - a.iloc[0]).to_numpy()
    inside = np.abs(est - truth) <= 1.96 * se
    assert inside.mean() >= 0.85
    assert np.corrcoef(est, truth)[0, 1] > 0.8


def test_no_fixed_effects_is_biased_when_share_follows_the_contributor():
    # the share rises with the contributor's own rate: only the fixed effects remove it
    d = _synthetic(seed=3)
    d["share_pct"] = d["share_pct"] + 10 * d["true_a"]
    d["allegations"] = np.random.default_rng(4).poisson(
        d["exposure"] / 1000 * np.exp(1 + 2 * d["true_a"] + math.log(0.97) * d["share_pct"])
    )
    specs = {s.name: s for s in cg.specifications()}
    main = cg.fit(d, specs["main"])
    naive = cg.fit(d, specs["no_fe"])
    assert main.ci_low < 0.97 < main.ci_high
    assert not naive.ci_low < 0.97 < naive.ci_high


def test_main_specification_equals_statsmodels_directly():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    d = _synthetic(seed=5)
    d.loc[d["iso3"] == "C00", "allegations"] = 0  # an all-zero contributor: dropped
    spec = cg.specifications()[0]
    r = cg.fit(d, spec)
    kept = d
    while True:  # leave out all-zero contributors and mission-years until none is left
        z = (kept.groupby("iso3")["allegations"].transform("sum") == 0) | (
            kept.groupby("mission_year")["allegations"].transform("sum") == 0
        )
        if not z.any():
            break
        kept = kept[~z]
    assert "C00" not in set(kept["iso3"])
    assert r.dropped == len(d) - len(kept)
    direct = smf.glm(
        "allegations ~ share_pct + C(iso3) + C(mission_year)",
        data=kept,
        offset=np.log(kept["exposure"]),
        family=sm.families.Poisson(),
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(kept["iso3"])[0]})
    assert r.coef == pytest.approx(direct.params["share_pct"], rel=1e-6)
    assert r.se == pytest.approx(direct.bse["share_pct"], rel=1e-6)
    G = kept["iso3"].nunique()
    from scipy import stats as sps

    q = sps.t.ppf(0.975, G - 1)
    assert r.ci_low == pytest.approx(math.exp(direct.params["share_pct"] - q * r.se), rel=1e-6)
    # two-way clustering: statsmodels' two-group sandwich
    r2 = cg.fit(d, cg.specifications()[1])
    direct2 = smf.glm(
        "allegations ~ share_pct + C(iso3) + C(mission_year)",
        data=kept,
        offset=np.log(kept["exposure"]),
        family=sm.families.Poisson(),
    ).fit(
        cov_type="cluster",
        cov_kwds={
            "groups": np.column_stack(
                [pd.factorize(kept["iso3"])[0], pd.factorize(kept["mission"])[0]]
            )
        },
    )
    assert r2.se == pytest.approx(direct2.bse["share_pct"], rel=1e-6)
    assert r2.clusters == kept["mission"].nunique()


def test_wild_bootstrap_is_reproducible_and_covers_the_truth():
    d = _synthetic(seed=7, beta=math.log(0.95), contributors=30)
    spec = cg.specifications()[0]
    a = cg.fit(d, spec, reps=499, seed=11)
    b = cg.fit(d, spec, reps=499, seed=11)
    c = cg.fit(d, spec, reps=499, seed=12)
    assert (a.boot_p, a.boot_low, a.boot_high) == (b.boot_p, b.boot_low, b.boot_high)
    assert a.boot_low < 0.95 < a.boot_high
    assert a.boot_low < a.irr < a.boot_high
    assert (a.boot_low, a.boot_high) != (c.boot_low, c.boot_high)
    assert abs(math.log(a.boot_low) - math.log(c.boot_low)) < 0.01
    # the bootstrap p-value of H0 rate ratio = 1 is small when the truth is 0.95
    assert a.boot_p < 0.05


def test_wild_bootstrap_rejects_at_about_the_nominal_rate_under_the_null():
    hits = 0
    for seed in range(20):
        d = _synthetic(seed=100 + seed, beta=0.0, contributors=24)
        r = cg.fit(d, cg.specifications()[0], reps=199, seed=seed)
        hits += r.boot_p < 0.05
    assert hits <= 4  # 1 expected; 4 or more of 20 has probability < 2% at the nominal 5%


def test_real_models_and_table(panel, tmp_path):
    m = cg.fit_models(panel)
    t = m.table()
    assert list(t.columns)[0].startswith("(1) Main")
    main = m.results[0]
    assert main.converged and main.dropped > 0 and main.clusters < cg.BOOTSTRAP_BELOW
    assert not math.isnan(main.boot_low)
    assert "not split" in m.results[6].not_estimable  # military: no split in this source
    from pkoresearch.figures import tables

    saved = tables.save_table(t, tmp_path / "regression", title="contingents", source="UN")
    files = list(saved.files.values())
    assert sorted(f.suffix for f in files) == [".csv", ".html", ".tex"]
    assert all(f.stat().st_size > 500 for f in files)
    assert "Dropped (all-zero FE level)" in saved.files["csv"].read_text()
    # the main column's rate ratio and N read back from each format as the models give them
    for rows in (tables.read_html(saved.files["html"]), tables.read_latex(saved.files["tex"])):
        by_row = {r[0].strip(): r[1] for r in rows}
        assert float(by_row["Women's share, rate ratio per point"]) == round(main.irr, 3)
        assert int(by_row["Contingent-years"].replace(",", "")) == main.n


# ------------------------------------------------------------------------- descriptive tables


def test_rates_by_contributor_by_hand(panel):
    sample, steps = cg.model_sample(panel)
    assert steps["contingent_years"].iloc[-1] == len(sample) == 3547 - 2  # 2 flagged implausible
    r = cg.rates_by_contributor(sample).set_index("iso3")
    z = sample[sample["iso3"] == "ZAF"]
    assert r.at["ZAF", "allegations"] == int(z["allegations"].sum()) == 37
    py = float(z["exposure"].sum())
    assert r.at["ZAF", "person_years"] == pytest.approx(py)
    assert r.at["ZAF", "rate"] == pytest.approx(37 / py * 1000)
    from scipy import stats as sps

    assert r.at["ZAF", "ci_low"] == pytest.approx(sps.chi2.ppf(0.025, 74) / 2 / py * 1000)
    assert r.at["ZAF", "ci_high"] == pytest.approx(sps.chi2.ppf(0.975, 76) / 2 / py * 1000)
    assert r.at["ZAF", "share_pct"] == pytest.approx(
        100 * float(z["women"].sum()) / float(z["total"].sum())
    )
    assert int(r["allegations"].sum()) == int(sample["allegations"].sum())


def test_funnel_limits_widen_with_overdispersion():
    rng = np.random.default_rng(2)
    py = rng.uniform(500, 50000, 300)
    poisson = pd.DataFrame({"person_years": py, "allegations": rng.poisson(py * 0.5 / 1000)})
    f = cg.funnel_limits(poisson)
    assert f.phi == pytest.approx(1.0, abs=0.15)
    assert f.p0 == pytest.approx(1000 * poisson["allegations"].sum() / py.sum())
    lam = py * 0.5 / 1000 * rng.gamma(1 / 0.5, 0.5, 300)  # gamma frailty: overdispersed
    over = pd.DataFrame({"person_years": py, "allegations": rng.poisson(lam)})
    g = cg.funnel_limits(over)
    assert g.phi > 1.5
    # limits: p0 +/- z sqrt(phi p0 / n), in allegations per 1,000
    row = g.limits.iloc[100]
    p0 = g.p0 / 1000
    half = 1.959964 * math.sqrt(g.phi * p0 / row["person_years"])
    assert row["upper_95"] == pytest.approx((p0 + half) * 1000, rel=1e-5)
    assert "Spiegelhalter" in g.method


def test_split_source_gives_military_and_police_panels(tmp_path):
    rows = []
    for m in range(1, 13):
        stamp = (pd.Timestamp(2020, m, 1) + pd.offsets.MonthEnd(0)).strftime("%d-%b-%y")
        rows += [
            ("Rwanda", "RWA", "UNMISS", "Troops", 100, 900, stamp),
            ("Rwanda", "RWA", "UNMISS", "Formed Police Units", 40, 120, stamp),
            ("Ghana", "GHA", "UNMISS", "Individual Police", 10, 30, stamp),
        ]
    p = tmp_path / "odp_contributionsbygender.csv"
    _write_un_layout(p, rows)
    export = tmp_path / "export.csv"
    header = (
        "Date,Mission,Date of incident,Personnel Type,Nationality,Victim,Allegation,"
        "Paternity claim,Paternity established,NIO appointed,Investigation (days),Result,"
        "Interim Action,Final Action,Referral for criminal accountability\n"
    )
    lines = [
        '3/2020,UNMISS,March / 2020,"Military (MC),1",Rwanda,Adult (1),SA (Rape),No,N/A,Yes,'
        "TCC (10),Pending (1),None (1),UN Pending (1),N/A",
        '5/2020,UNMISS,May / 2020,"Police (UNPOL),1",Ghana,Adult (1),SA (Rape),No,N/A,Yes,'
        "TCC (10),Pending (1),None (1),UN Pending (1),N/A",
        '7/2020,UNMISS,July / 2020,"Police (FPU),1","Rwanda\n\nGhana",Adult (1),SA (Rape),No,'
        "N/A,Yes,TCC (10),Pending (1),None (1),UN Pending (1),N/A",
    ]
    export.write_text(header + "\n".join(lines) + "\n")
    e = cg.exposure(read_contributions_by_gender(p))
    panel = cg.build_panel(e, read_table_of_allegations(export), 2020, 2020)
    d = panel.data.set_index("iso3")
    assert d.at["RWA", "allegations"] == 2 and d.at["GHA", "allegations"] == 2
    assert d.at["RWA", "exposure"] == pytest.approx(1160)
    mil = panel.by_type["military"].data.set_index("iso3")
    pol = panel.by_type["police"].data.set_index("iso3")
    assert list(mil.index) == ["RWA"] and mil.at["RWA", "exposure"] == pytest.approx(1000)
    assert mil.at["RWA", "allegations"] == 1 and mil.at["RWA", "share_pct"] == pytest.approx(10)
    assert pol.at["RWA", "allegations"] == 1 and pol.at["GHA", "allegations"] == 2
    assert pol.at["RWA", "exposure"] == pytest.approx(160)
    m = cg.fit_models(panel, specs=["military", "police"])
    assert all("not split" not in r.not_estimable for r in m.results)  # tried, on split exposure


def test_read_contributor_file_refuses_another_layout(tmp_path):
    from pkoresearch.errors import SchemaMismatch

    p = tmp_path / "other.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(SchemaMismatch, match="other.csv"):
        cg.read_contributor_file(p)
