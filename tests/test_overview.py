"""The overview's provenance tables: confidence per dataset (not one share over all rows) and
sources by type."""

from __future__ import annotations

import pandas as pd
import pytest

import pkoresearch as pko
from pkoresearch.analysis import overview
from pkoresearch.data.curated import SPECS
from pkoresearch.data.schema import SOURCE_TYPES


def test_confidence_by_dataset_counts_each_table_on_its_own():
    got = overview.confidence_by_dataset().set_index("dataset")
    assert list(got.index) == list(SPECS)
    for name in SPECS:
        counts = pko.load(name)["confidence"].astype(str).value_counts()
        for level in ("high", "medium", "low"):
            assert got.loc[name, level] == counts.get(level, 0), (name, level)
        assert got.loc[name, "rows"] == len(pko.load(name))
        assert got.loc[name, ["share_high", "share_medium", "share_low"]].sum() == pytest.approx(1)
    # the headline counts are mostly medium, whatever the personnel tables say
    assert got.loc["allegations", "share_medium"] > 0.8
    assert got.loc["personnel_by_country", "share_high"] == 1
    # one share over all rows would be driven by the 2,106 personnel-by-country rows
    pooled = got["high"].sum() / got["rows"].sum()
    assert pooled > 0.85 > got.loc["allegations", "share_high"]


def test_confidence_by_dataset_keeps_levels_with_no_rows():
    got = overview.confidence_by_dataset(["personnel_by_country"])
    assert got[["high", "medium", "low"]].iloc[0].tolist() == [2106, 0, 0]
    assert got["share_low"].iloc[0] == 0


def test_sources_by_type_matches_the_catalogue():
    frames = [pko.load("allegations", preferred=False), pko.load("followups", preferred=False)]
    got = overview.sources_by_type(frames).set_index("type")
    cited = pd.concat([f["source_id"].astype(str) for f in frames])
    cat = pko.sources.catalogue().set_index("source_id").loc[sorted(set(cited))]
    assert got["sources"].sum() == len(cat)
    assert got["rows"].sum() == len(cited)
    assert got.loc["un_document", "with_official_url"] == (cat["official_url"] != "").sum()
    assert got.loc["un_document", "primary"] and not got.loc["newspaper", "primary"]
    assert got["read_in_copy"].sum() == (cat["via_type"] == "web_mirror").sum()
    assert list(got.index) == [t for t in SOURCE_TYPES if t in got.index]
