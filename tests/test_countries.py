"""The country crosswalk: every name in the UN table, the UN gender statistics, the contributions
file and the curated tables resolves to ISO3 or is listed as unresolved."""

from __future__ import annotations

import pandas as pd
import pytest

import pkoresearch as pko
from conftest import external_file
from pkoresearch.data import countries


def test_spelling_variants_meet_on_one_code():
    got = countries.to_iso3(
        [
            "Congo",
            "Congo (Republic of)",
            "Democratic Republic of the Congo",
            "United Republic of Tanzania",
            "Tanzania",
            "Republic of Moldova",
            "Moldova",
            "Côte d'Ivoire",
            "Cote d'Ivoire",
            "Namibia",
        ]
    ).tolist()
    assert got == ["COG", "COG", "COD", "TZA", "TZA", "MDA", "MDA", "CIV", "CIV", "NAM"]


def test_non_countries_stay_unresolved_and_are_listed():
    names = pd.Series(["Ghana", "Unknown", None, "not published", "Ghana"], index=[5, 6, 7, 8, 9])
    codes = countries.to_iso3(names)
    assert list(codes.index) == [5, 6, 7, 8, 9]  # aligned with the input
    assert codes.isna().tolist() == [False, True, True, True, False]
    assert countries.unresolved(names) == ["Unknown", "not published"]
    walk = countries.crosswalk(names)
    assert walk["name"].tolist() == ["Ghana", "Unknown", "not published"]
    assert walk["resolved"].tolist() == [True, False, False]


def test_curated_country_names_all_resolve():
    for name in ("allegations_by_nationality", "personnel_by_country"):
        d = pko.load(name, preferred=False)
        assert countries.unresolved(d["country"]) == [], name
    # the curated personnel table carries its own ISO3 codes: the crosswalk agrees with each
    p = pko.load("personnel_by_country", preferred=False)[["country", "iso3"]].drop_duplicates()
    assert (countries.to_iso3(p["country"]).to_numpy() == p["iso3"].astype(str).to_numpy()).all()


def test_every_nationality_in_the_un_table_resolves_or_is_listed():
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    t = read_table_of_allegations(external_file("UN_conduct_table_of_allegations_2024-07.xlsx"))
    names = t.allegations["nationality"].dropna().str.split("; ").explode()
    walk = countries.crosswalk(names)
    assert len(walk) == 59
    assert walk.loc[~walk["resolved"], "name"].tolist() == ["Unknown"]
    code = dict(zip(walk["name"], walk["iso3"]))
    assert code["Congo"] == "COG" and code["Democratic Republic of the Congo"] == "COD"
    assert code["United Republic of Tanzania"] == "TZA" and code["Republic of Moldova"] == "MDA"


def test_gender_statistics_codes_agree_with_the_crosswalk():
    raw = pd.read_csv(
        external_file("IPIDataLab_TCC-DataScraper_Gender.Full.csv"),
        usecols=["Contributor", "Contributor ISO-3"],
        keep_default_na=False,
    )
    raw = raw.drop_duplicates()
    assert len(raw) == 135
    mine = countries.to_iso3(raw["Contributor"])
    assert (mine.to_numpy() == raw["Contributor ISO-3"].to_numpy()).all()


def test_contributions_file_country_names_all_resolve():
    raw = pd.read_csv(
        external_file("UN_contributions_by_gender_country_mission_year_2010-2021.csv"),
        usecols=["Country"],
    )
    assert raw["Country"].nunique() == 144
    assert countries.unresolved(raw["Country"]) == []


@pytest.mark.parametrize("code,name", [("COD", "DR Congo"), ("TZA", "Tanzania")])
def test_name_of(code, name):
    assert countries.name_of(code) == name
