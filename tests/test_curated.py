"""Curated datasets: the figures the issue names, provenance of every row, the preferred rule."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import pkoresearch as pko
from pkoresearch.curated import SPECS, mark_preferred
from conftest import ROOT


def _one(df: pd.DataFrame, query: str) -> float:
    hit = df.query(query)
    assert len(hit) == 1, (query, hit)
    return float(hit["value"].iloc[0])


def test_peacekeeping_allegations_2009_and_2010():
    a = pko.load("allegations")
    q = "scope == 'peacekeeping' and measure == 'allegations_total' and year == {}"
    assert _one(a, q.format(2010)) == 85
    assert _one(a, q.format(2009)) == 112


def test_women_august_2010():
    p = pko.load("personnel")
    q = "year == 2010 and month == 8 and category == 'all_uniformed' and measure == '{}'"
    assert _one(p, q.format("women")) == 3332
    assert _one(p, q.format("personnel_total")) == 99920
    assert _one(p, q.format("women_share_pct")) == pytest.approx(3.33)


@pytest.mark.parametrize("year,followups,responses", [(2010, 74, 29), (2011, 60, 26), (2012, 47, 27)])
def test_followups_and_responses(year, followups, responses):
    f = pko.load("followups")
    assert _one(f, f"year_start == {year} and measure == 'followups_sent'") == followups
    assert _one(f, f"year_start == {year} and measure == 'responses_received'") == responses


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_row_has_a_source_in_the_catalogue(name):
    df = pko.load(name, preferred=False)
    assert len(df) > 0
    catalogue = set(pko.sources.catalogue()["source_id"])
    assert df["source_id"].notna().all()
    assert set(df["source_id"]) <= catalogue
    assert df["locator"].notna().all() and (df["locator"].str.len() > 0).all()
    assert set(df["confidence"].astype(str)) <= {"high", "medium", "low"}
    for sid in df["source_id"].unique():
        assert pko.sources.cite(sid)  # every id formats a citation


def test_catalogue_ids_unique_and_all_used():
    cat = pko.sources.catalogue()
    assert cat["source_id"].is_unique
    used = set().union(*(set(pko.load(n, preferred=False)["source_id"]) for n in SPECS))
    assert set(cat["source_id"]) == used


def test_types_follow_the_conventions():
    a = pko.load("allegations")
    assert str(a["year"].dtype) == "Int64"
    assert isinstance(a["scope"].dtype, pd.CategoricalDtype)
    assert isinstance(a["confidence"].dtype, pd.CategoricalDtype)
    c = pko.load("personnel_by_country")
    assert str(c["women"].dtype) == "Int64" and str(c["personnel_total"].dtype) == "Int64"


def test_all_revisions_kept_and_one_preferred():
    every = pko.load("allegations", preferred=False)
    pk2014 = every.query("year == 2014 and scope == 'peacekeeping' and measure == 'allegations_total'")
    assert sorted(pk2014["value"]) == [51, 52]
    # A/70/729 (2016) revised A/69/779's 51 to 52: the later report is preferred
    assert pk2014.loc[pk2014["preferred"], "value"].tolist() == [52]
    pref = pko.load("allegations")
    assert not pref.duplicated(["year", "scope", "measure"]).any()
    assert len(every) - len(pref) == (~every["preferred"]).sum()
    assert pref.attrs["dataset"] == "allegations"


def test_preferred_rule_on_a_known_example():
    spec = SPECS["allegations"]
    df = pd.DataFrame({
        "year": [2020, 2020, 2020, 2021, 2022, 2022],
        "scope": ["peacekeeping"] * 6,
        "measure": ["allegations_total"] * 6,
        "confidence": ["medium", "high", "medium", "low", "medium", "medium"],
        "source_id": ["old", "low-session", "new", "only", "first", "second"],
    })
    titles = {"old": "A/74/705 via x", "low-session": "A/70/1 via y", "new": "A/76/702 via z",
              "only": "blog", "first": "news a", "second": "news b"}
    got = mark_preferred(df, spec, titles).tolist()
    # 2020: high confidence wins over a later report; 2021: a lone row; 2022: a tie -> first row
    assert got == [False, True, False, True, True, False]


def test_personnel_prefers_the_monthly_gender_statistics():
    every = pko.load("personnel", preferred=False)
    dec2009 = every.query("year == 2009 and month == 12 and category == 'all_uniformed' "
                          "and measure == 'personnel_total'")
    assert sorted(dec2009["value"]) == [98196, 98197]  # UN gender statistics vs OWID year-end
    assert dec2009.loc[dec2009["preferred"], "value"].tolist() == [98196]


def test_datasets_lists_coverage():
    d = pko.datasets().set_index("dataset")
    assert set(d.index) == set(SPECS)
    assert d.loc["allegations", "first_year"] == 2003
    assert d.loc["allegations", "last_year"] == 2024
    assert d.loc["personnel_by_country", "rows"] == 2106
    assert d.loc["allegations", "rows"] == 188  # 189 reference rows less the unsourced one


def test_cite_and_sources_of_frame():
    text = pko.sources.cite("tip2011-seed")
    assert text.startswith("US Department of State (2011).")
    f = pko.load("followups")
    s = pko.sources.of(f)
    assert s["rows"].sum() == len(f)
    assert "tip2011-seed" in set(s["source_id"])
    with pytest.raises(KeyError, match="nope"):
        pko.sources.cite("nope")


def test_own_copy_is_validated_with_the_same_schema(tmp_path):
    own = tmp_path / "my_allegations.csv"
    df = pd.read_csv(ROOT / "data" / "allegations.csv", dtype=str, keep_default_na=False)
    df.loc[len(df)] = ["2025", "peacekeeping_and_spm", "allegations_total", "101",
                       "tip2011-seed", "my note", "low", "researcher's own row"]
    df.to_csv(own, index=False)
    mine = pko.load("allegations", path=own, preferred=False)
    assert len(mine) == 189
    assert mine.attrs["file"] == str(own)


def test_data_dir_can_be_overridden(tmp_path):
    for f in (ROOT / "data").glob("*.csv"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    code = "import pkoresearch as pko; print(len(pko.load('organizations')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PKORESEARCH_DATA": str(tmp_path)})
    assert out.stdout.strip() == "35"


def test_data_matches_the_reference_facts(reference_dir, tmp_path):
    """data/ is exactly what tools/build_data.py makes from ../shared/reference."""
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_data.py"), str(reference_dir),
                    str(tmp_path)], check=True)
    built = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert built  # the script wrote something
    for name in built:
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / name).read_bytes(), name


def test_data_readme_row_counts_are_true():
    import re

    text = (ROOT / "data" / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)`[^|]*\| (\d+) \|", text, flags=re.M))
    assert set(rows) == set(SPECS)
    for name, count in rows.items():
        assert len(pko.load(name, preferred=False)) == int(count), name
    m = re.search(r"^\| sources.csv \| (\d+) \|", text, flags=re.M)
    assert int(m.group(1)) == len(pko.sources.catalogue())
