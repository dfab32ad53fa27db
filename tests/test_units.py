"""Units recorded with each headline number decide how the report formats it; the name is read
only for a result recorded without a unit (issue 28, item 3)."""

from __future__ import annotations

import json

import pytest

from pkoresearch import results
from pkoresearch.batch import report
from pkoresearch.errors import ParameterError
from pkoresearch.figures import formatting


def test_record_stores_the_canonical_unit_and_rejects_an_unknown_one(tmp_path):
    results.start(tmp_path, notebook="units")
    results.record("women", 0.07, unit="fraction")
    results.record("growth", 7.5, unit="percent")
    results.record("allegations", 85, unit="count")
    results.record("note", "text without a unit")
    doc = json.loads((tmp_path / results.FILENAME).read_text())["results"]
    assert doc["women"] == {"value": 0.07, "unit": "share"}
    assert doc["growth"] == {"value": 7.5, "unit": "pct"}
    assert doc["allegations"] == {"value": 85, "unit": "count"}
    assert "unit" not in doc["note"]
    with pytest.raises(ParameterError) as err:
        results.record("rate_ratio", 0.76, unit="ratios")
    msg = str(err.value)
    assert "rate_ratio" in msg and "found 'ratios'" in msg and "'ratio'" in msg
    assert "rate_ratio" not in json.loads((tmp_path / results.FILENAME).read_text())["results"]


def test_the_recorded_unit_wins_over_the_name(tmp_path):
    run = tmp_path / "run"
    results.start(run, notebook="units")
    # each name suggests another unit than the one recorded
    results.record("share_by_year", {"2019": 0.5, "2020": 0.75}, unit="pct")
    results.record("women_pct", 0.07, unit="share")
    results.record("first_year", 2010, unit="count")
    results.record("allegations_by_year", {"2010": 2015}, unit="year")
    results.record("share_unrecorded", 0.25)  # no unit: the name decides (a fraction)
    results.record("trend_years", [2008, 2009])  # no unit: a list named *years*
    values = results.read(run)
    units = report._units(tmp_path, "run")  # what the batch report passes to headlines
    assert units == {
        "share_by_year": "pct",
        "women_pct": "share",
        "first_year": "count",
        "allegations_by_year": "year",
    }
    heads = {h.names[0]: h for h in formatting.headlines(values, units)}
    shown = {k: list(formatting.texts(h.shown)) for k, h in heads.items()}
    assert shown["share_by_year"] == ["2019", "0.5%", "2020", "0.75%"]
    assert shown["women_pct"] == ["7%"]
    assert shown["first_year"] == ["2,010"]
    assert shown["allegations_by_year"] == ["2010", "2015"]
    assert shown["share_unrecorded"] == ["25%"]
    assert shown["trend_years"] == ["2008, 2009"]
    recorded = {k for k, h in heads.items() if not h.unit_guessed}
    assert recorded == set(units)
    assert heads["share_unrecorded"].unit == "share" and heads["share_unrecorded"].unit_guessed
    assert heads["trend_years"].unit == "year" and heads["trend_years"].unit_guessed
    assert heads["women_pct"].unit == "share" and not heads["women_pct"].unit_guessed


def test_a_unit_not_in_the_vocabulary_in_an_old_results_file_is_a_plain_number():
    # written before units were checked: the notebook named a unit, so the name is not read
    heads = formatting.headlines({"share_x": 0.25, "y_pct": 3.5}, {"share_x": "widgets"})
    assert [h.shown.text for h in heads] == ["0.25", "3.5%"]
    assert [(h.unit, h.unit_guessed) for h in heads] == [("number", False), ("pct", True)]
