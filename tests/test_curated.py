"""Curated datasets: the figures the issue names, provenance of every row, the preferred rule."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import pkoresearch as pko
from conftest import ROOT
from pkoresearch.data.curated import SPECS, mark_preferred


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


@pytest.mark.parametrize(
    "year,followups,responses", [(2010, 74, 29), (2011, 60, 26), (2012, 47, 27)]
)
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
    pk2014 = every.query(
        "year == 2014 and scope == 'peacekeeping' and measure == 'allegations_total'"
    )
    assert sorted(pk2014["value"]) == [51, 52]
    # A/70/729 (2016) revised A/69/779's 51 to 52: the later report is preferred
    assert pk2014.loc[pk2014["preferred"], "value"].tolist() == [52]
    pref = pko.load("allegations")
    assert not pref.duplicated(["year", "scope", "measure"]).any()
    assert len(every) - len(pref) == (~every["preferred"]).sum()
    assert pref.attrs["dataset"] == "allegations"


def _catalogue(rows: dict[str, dict]) -> pd.DataFrame:
    """A small source catalogue: id -> the fields the preferred rule reads."""
    base = dict.fromkeys(pko.sources.COLUMNS, "")
    return pd.DataFrame([{**base, "source_id": sid, **r} for sid, r in rows.items()])


def test_preferred_rule_on_a_known_example():
    spec = SPECS["allegations"]
    df = pd.DataFrame(
        {
            "year": [2020, 2020, 2020, 2021, 2022, 2022, 2023, 2023, 2024, 2024],
            "scope": ["peacekeeping"] * 10,
            "measure": ["allegations_total"] * 10,
            "confidence": [
                "medium",
                "high",
                "medium",
                "low",
                "medium",
                "medium",
                "medium",
                "low",
                "medium",
                "medium",
            ],
            "source_id": [
                "old",
                "older-high",
                "new",
                "only",
                "first",
                "second",
                "mirror",
                "paper",
                "same-report-paper",
                "same-report-un",
            ],
        }
    )
    report = {"type": "un_document", "via_type": "newspaper"}
    cat = _catalogue(
        {
            "old": {**report, "date": "2020-02-17"},
            "older-high": {**report, "date": "2016-02-16"},
            "new": {**report, "date": "2022"},
            "only": {"type": "newspaper"},
            "first": {"type": "newspaper"},
            "second": {"type": "newspaper"},
            "mirror": {**report, "date": "2024", "via_type": "web_mirror"},
            "paper": {"type": "newspaper"},
            "same-report-paper": {**report, "date": "2025-03"},
            "same-report-un": {**report, "date": "2025-03", "via_type": "un_news"},
        }
    )
    got = mark_preferred(df, spec, cat).tolist()
    # 2020: high confidence wins over a later report; 2021: a lone row; 2022: a tie -> first row;
    # 2023: never a copy page when another source gives the figure, even at lower confidence;
    # 2024: the same report read on a UN page beats a newspaper
    assert got == [False, True, False, True, True, False, False, True, False, True]


def test_later_report_preferred_and_reports_before_other_sources():
    spec = SPECS["allegations"]
    df = pd.DataFrame(
        {
            "year": [2018] * 3,
            "scope": ["peacekeeping_and_spm"] * 3,
            "measure": ["allegations_total"] * 3,
            "confidence": ["medium"] * 3,
            "source_id": ["statement", "a73", "a74"],
        }
    )
    cat = _catalogue(
        {
            "statement": {"type": "press_agency", "date": "2021"},
            "a73": {"type": "un_document", "date": "2019-02-14"},
            "a74": {"type": "un_document", "date": "2020-02-17"},
        }
    )
    assert mark_preferred(df, spec, cat).tolist() == [False, False, True]


def test_date_key_orders_partial_dates_after_full_ones_of_their_year():
    from pkoresearch.data.curated import date_key

    assert date_key("2013-02") < date_key("2013") < date_key("2014-01-01")
    assert date_key("2019-02-14") < date_key("2019-03") < date_key("")


def test_personnel_prefers_the_monthly_gender_statistics():
    every = pko.load("personnel", preferred=False)
    dec2009 = every.query(
        "year == 2009 and month == 12 and category == 'all_uniformed' "
        "and measure == 'personnel_total'"
    )
    assert sorted(dec2009["value"]) == [98196, 98197]  # UN gender statistics vs OWID year-end
    assert dec2009.loc[dec2009["preferred"], "value"].tolist() == [98196]


def test_datasets_lists_coverage():
    d = pko.datasets().set_index("dataset")
    assert set(d.index) == set(SPECS)
    assert d.loc["allegations", "first_year"] == 2003
    assert d.loc["allegations", "last_year"] == 2024
    assert d.loc["personnel_by_country", "rows"] == 2106
    # 189 reference rows less the unsourced one, plus 14 figures that the report mentions attribute
    # to a named report where no row named that report with as good a page (tools/build_data.py)
    assert d.loc["allegations", "rows"] == 188 + 14


def test_cite_and_sources_of_frame():
    text = pko.sources.cite("tip2011-seed")
    assert text.startswith("US Department of State (2011-06). Trafficking in Persons Report 2011")
    f = pko.load("followups")
    s = pko.sources.of(f)
    assert s["rows"].sum() == len(f)
    assert "tip2011-seed" in set(s["source_id"])
    with pytest.raises(KeyError, match="nope"):
        pko.sources.cite("nope")


def test_own_copy_is_validated_with_the_same_schema(tmp_path):
    own = tmp_path / "my_allegations.csv"
    df = pd.read_csv(ROOT / "data" / "allegations.csv", dtype=str, keep_default_na=False)
    df.loc[len(df)] = [
        "2025",
        "peacekeeping_and_spm",
        "allegations_total",
        "101",
        "tip2011-seed",
        "my note",
        "low",
        "researcher's own row",
    ]
    df.to_csv(own, index=False)
    mine = pko.load("allegations", path=own, preferred=False)
    assert len(mine) == 188 + 14 + 1
    assert mine.attrs["file"] == str(own)


def test_data_dir_can_be_overridden(tmp_path):
    for f in (ROOT / "data").glob("*.csv"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    code = "import pkoresearch as pko; print(len(pko.load('organizations')))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "PKORESEARCH_DATA": str(tmp_path)},
    )
    assert out.stdout.strip() == "35"


def test_data_matches_the_reference_facts(reference_dir, tmp_path):
    """data/ is exactly what tools/build_data.py makes from ../shared/reference."""
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_data.py"), str(reference_dir), str(tmp_path)],
        check=True,
    )
    built = sorted(p.name for p in tmp_path.glob("*.csv")) + ["datapackage.json"]
    assert (
        len(built) == 11
    )  # every table but the hand-written org_policies, the catalogue, the package
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


# ---------------------------------------------------------------------------- revisions


def test_revisions_first_published_is_not_the_preferred_value():
    r = pko.curated.revisions().set_index("year")
    # 2018: A/73/744 (Feb 2019) first gave 54; A/74/705 (Feb 2020) revised it to 56
    assert r.loc[2018, "first_value"] == 54 and r.loc[2018, "first_document"] == "A/73/744"
    assert r.loc[2018, "first_date"] == "2019-02-14"
    assert r.loc[2018, "latest_value"] == 56 and r.loc[2018, "latest_document"] == "A/74/705"
    assert r.loc[2018, "preferred_value"] == 56
    # 2017: 62 in A/72/751, 63 in A/75/754
    assert (r.loc[2017, "first_value"], r.loc[2017, "latest_value"]) == (62, 63)
    assert (
        r.loc[2017, "first_document"] == "A/72/751" and r.loc[2017, "latest_document"] == "A/75/754"
    )
    assert r.loc[2017, "preferred_value"] == 62  # the series keeps peacekeeping_and_spm's figure
    # 2014: 51 in A/69/779, 52 in A/70/729
    assert r.loc[2014, ["first_value", "latest_value", "values"]].tolist() == [51, 52, "51 -> 52"]
    assert r.loc[2014, "revised"] and not r.loc[2015, "revised"]


def test_revisions_2016_and_2022_first_published_in_the_annual_reports():
    # before: 2016's first publication was the fact sheet of April 2017 (103) and 2022's A/78/774
    # (2024); A/71/818 (28 February 2017) and A/77/748 (2023) published those years' data first
    r = pko.curated.revisions(2016, 2023).set_index("year")
    assert r.loc[2016, ["first_document", "first_date"]].tolist() == ["A/71/818", "2017-02-28"]
    assert r.loc[2022, ["first_document", "first_date"]].tolist() == ["A/77/748", "2023"]
    # their figures are not in the sources at hand: missing, never the later figure
    assert pd.isna(r.loc[2016, "first_value"]) and pd.isna(r.loc[2022, "first_value"])
    assert (
        r.loc[2016, "first_known_value"] == 103 and r.loc[2016, "first_known_date"] == "2017-04-12"
    )
    assert pko.sources.get(r.loc[2016, "first_source_id"])["document_symbol"] == "A/71/818"
    assert r.loc[2016, "latest_value"] == 104 and r.loc[2016, "latest_document"] == "A/72/751"
    assert (
        r.loc[2022, "first_known_value"] == 79 and r.loc[2022, "first_known_document"] == "A/78/774"
    )
    assert r.loc[2017, "first_value"] == 62 and r.loc[2017, "first_document"] == "A/72/751"


def test_first_published_is_the_earliest_dated_source_of_every_year():
    # independent of revisions(): every dated source giving a year's headline figure, and every
    # annual report covering the year, from the files themselves
    from pkoresearch.data.curated import date_key

    cat = pko.sources.catalogue().set_index("source_id")
    rows = pko.load("allegations", preferred=False)
    rows = rows[
        (rows["measure"] == "allegations_total")
        & rows["scope"].isin(["peacekeeping", "peacekeeping_and_spm"])
    ]
    reports = pd.read_csv(ROOT / "data" / "annual_reports.csv", dtype=str, keep_default_na=False)
    r = pko.curated.revisions().set_index("year")

    def published(sid):
        c = cat.loc[sid]
        return c["date"] if c["date"] else c["via_date"]

    for year in r.index:
        dates = [published(s) for s in rows.loc[rows["year"] == year, "source_id"]]
        dates += list(reports.loc[reports["year"] == str(year), "issue_date"])
        dated = [d for d in dates if d]
        if not dated:
            continue
        earliest = min(date_key(d) for d in dated)
        assert date_key(r.loc[year, "first_date"]) == earliest, year


def test_revisions_against_table_counts():
    table = pd.DataFrame({"year": [2017, 2018, 2019], "allegations": [63, 56, 80]})
    r = pko.curated.revisions(2017, 2019, table=table, last_complete=2018).set_index("year")
    assert r["table_minus_first"].tolist() == [1, 2, 0]
    assert r["table_minus_latest"].tolist() == [0, 0, 0]
    assert r["table_complete"].tolist() == [True, True, False]
    assert list(r.index) == [2017, 2018, 2019]


def test_revisions_of_the_real_un_table():
    from conftest import external_file
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    t = read_table_of_allegations(external_file("UN_conduct_table_of_allegations_2024-07.xlsx"))
    counts = t.allegations.groupby("report_year").size().rename("allegations").reset_index()
    r = pko.curated.revisions(
        2015, 2023, table=counts.rename(columns={"report_year": "year"})
    ).set_index("year")
    # the table (July 2024) agrees with the latest published figure of every year 2015-2023
    assert (r["table_minus_latest"] == 0).all()
    assert r.loc[[2017, 2018], "table_minus_first"].tolist() == [1, 2]
    # 2016's first publication (A/71/818) gives no figure in hand: no difference is made up
    assert pd.isna(r.loc[2016, "table_minus_first"]) and r.loc[2016, "first_known_value"] == 103


def test_load_reads_a_file_again_when_its_content_changes_and_hands_out_copies(tmp_path):
    """Loaded tables are kept by file content: a second load is the same table, changing the
    returned frame changes nothing for the next caller, and an edited file is read again."""
    from pkoresearch.data import curated

    copy = tmp_path / "followups.csv"
    copy.write_bytes(curated.dataset_path("followups").read_bytes())
    first = pko.load("followups", path=copy)
    first.loc[0, "value"] = -1.0
    again = pko.load("followups", path=copy)
    assert again.loc[0, "value"] != -1.0
    pd.testing.assert_frame_equal(again, pko.load("followups", path=copy))
    # the same figure edited on disk (same size, so only the content tells)
    text = copy.read_text(encoding="utf-8")
    header, row, rest = text.split("\n", 2)
    value_at = header.split(",").index("value")
    cells = row.split(",")
    old = cells[value_at]
    new = str(int(float(old)) + 1).rjust(len(old), "0")[-len(old) :] if old.isdigit() else old
    assert new != old, "the first row's value is not a plain count"
    cells[value_at] = new
    copy.write_text("\n".join([header, ",".join(cells), rest]), encoding="utf-8")
    edited = pko.load("followups", path=copy, preferred=False)
    assert float(new) in set(edited["value"])


def test_a_loaded_table_warns_again_on_every_load(tmp_path, monkeypatch):
    """What reading a table warned about is said again when it comes from the cache."""
    import warnings

    from pkoresearch.data import curated

    read = curated._read_checked

    def warning_read(spec, file):
        warnings.warn("made-up warning about this table", UserWarning, stacklevel=1)
        return read(spec, file)

    monkeypatch.setattr(curated, "_read_checked", warning_read)
    monkeypatch.setattr(curated, "_LOADED", {})
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pko.load("parity_targets")
        assert [str(w.message) for w in caught] == ["made-up warning about this table"]

    # a read that warns, then fails: the warning is still said, before the error
    def failing_read(spec, file):
        warnings.warn("said before the error", UserWarning, stacklevel=1)
        raise pko.errors.DataError([], "made-up failure")

    monkeypatch.setattr(curated, "_read_checked", failing_read)
    with (
        pytest.warns(UserWarning, match="said before the error"),
        pytest.raises(pko.errors.DataError, match="made-up failure"),
    ):
        pko.load("followups")
