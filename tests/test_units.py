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


def _record_calls(path):
    """Every ``pko.results.record(...)`` call in a notebook source: (line, name, unit or None)."""
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record":
            unit = next((k.value for k in node.keywords if k.arg == "unit"), None)
            yield (
                node.lineno,
                ast.literal_eval(node.args[0]),
                ast.literal_eval(unit) if isinstance(unit, ast.Constant) else unit,
            )


def test_every_notebook_records_each_headline_number_with_a_unit():
    """The notebooks never leave the report to guess a unit from a name: each record call names
    one of results.UNITS as a literal (so it is visible in the source and checked here)."""
    from pathlib import Path

    sources = sorted((Path(__file__).parents[1] / "notebooks").glob("0*.py"))
    assert len(sources) >= 6
    calls = [(p.name, *c) for p in sources for c in _record_calls(p)]
    assert len(calls) >= 80  # every notebook records its headline numbers
    missing = [(f, line, name) for f, line, name, unit in calls if not isinstance(unit, str)]
    assert not missing, f"record calls without a literal unit: {missing}"
    unknown = [(f, name, unit) for f, _, name, unit in calls if unit not in results.UNITS]
    assert not unknown, f"units outside results.UNITS: {unknown}"


def test_recorded_units_give_the_formats_the_names_used_to_give():
    """Where the old name rule and the recorded unit agree the shown text is the same; the unit
    fixes what the name got wrong: percentages recorded under a share_* name read as per cent."""
    values = {
        "share_involving_children": 0.1234,
        "share_by_year_un_contributions": {"troops 2015": 3.61, "police 2015": 9.87},
        "trend_years": [2015, 2016],
        "allegations_total": 1234,
    }
    units = {
        "share_involving_children": "share",
        "share_by_year_un_contributions": "pct",
        "trend_years": "year",
        "allegations_total": "count",
    }
    guessed = {h.names[0]: h for h in formatting.headlines(values)}
    recorded = {h.names[0]: h for h in formatting.headlines(values, units)}
    for name in ("share_involving_children", "trend_years", "allegations_total"):
        assert list(formatting.texts(recorded[name].shown)) == list(
            formatting.texts(guessed[name].shown)
        ), name
        assert guessed[name].unit_guessed and not recorded[name].unit_guessed
    pct = " ".join(formatting.texts(recorded["share_by_year_un_contributions"].shown))
    assert "3.61%" in pct and "9.87%" in pct
    assert "%" not in " ".join(formatting.texts(guessed["share_by_year_un_contributions"].shown))
