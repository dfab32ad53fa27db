"""Mission names: renamed operations harmonised, successor missions and aggregates kept apart."""

from __future__ import annotations

import pandas as pd

from pkoresearch.data import missions


def test_renamed_operations_are_harmonised_and_others_are_not():
    got = missions.harmonise(
        ["MONUC", "MONUSCO", "UNSOA", "UNMIS", "UNMISS", "MINUSTAH", " UNMIL ", None]
    )
    assert got.tolist() == [
        "MONUSCO",
        "MONUSCO",
        "UNSOS",
        "UNMIS",
        "UNMISS",
        "MINUSTAH",
        "UNMIL",
        pd.NA,
    ]


def test_successors_are_pooled_only_when_asked():
    got = missions.harmonise(["MINUSTAH", "MINUJUSTH", "UNMC", "BINUB", "UNMIS"], successors=True)
    assert got.tolist() == ["BINUH", "BINUH", "UNVMC", "BNUB", "UNMIS"]  # UNMIS never pooled
    assert "UNMIS" not in missions.SUCCESSORS and "UNMIS" not in missions.RENAMED


def test_harmonise_keeps_the_index_of_a_series():
    s = pd.Series(["MONUC", "UNMIL"], index=[10, 20])
    assert missions.harmonise(s).index.tolist() == [10, 20]


def test_aggregates_are_not_single_acronyms():
    assert missions.is_single_acronym("MONUSCO")
    for name in [
        "MINUSCA+MONUSCO",
        "UNMISS, UNIFIL, BINUH, UNVMC, UNAMA (others)",
        "MINUSTAH (former)",
        "MONUSCO (incl. former MONUC)",
        "UNAMI + one other SPM",
        "OSESG-Syria+UNVMC+UNIOGBIS (SPMs)",
        "",
        None,
        3,
    ]:
        assert not missions.is_single_acronym(name), name


def test_kinds_and_table():
    assert missions.kind_of(["MINUSCA", "UNAMA", "UNSOS", "NOPE", None]).tolist() == [
        "peacekeeping",
        "special_political",
        "support_office",
        pd.NA,
        pd.NA,
    ]
    t = missions.table().set_index("mission")
    assert t.loc["MONUC", "harmonised_to"] == "MONUSCO" and "1925" in t.loc["MONUC", "basis"]
    assert t.loc["MINUSTAH", "successor"] == "MINUJUSTH"
    assert set(t["kind"]) == set(missions.KINDS)
