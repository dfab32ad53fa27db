"""Numbers as the batch report shows them (pkoresearch.figures.formatting): separators, shares, intervals,
years, missing values, and recorded results turned into displays that show every value whole."""

from __future__ import annotations

import pytest

from pkoresearch.figures import formatting as f


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0"),
        (9, "9"),
        (1328, "1,328"),
        (2860, "2,860"),
        (1234567, "1,234,567"),
        (-4200, "-4,200"),
    ],
)
def test_integers_have_thousands_separators(value, expected):
    assert f.integer(value) == expected == f.number(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.9641, "0.96"),
        (1.3099, "1.31"),
        (4.827, "4.83"),
        (3.7, "3.7"),
        (2.0, "2"),
        (0.1, "0.1"),
        (0.0279, "0.028"),
        (0.0008, "0.0008"),
        (0.000123, "0.00012"),
        (12345.678, "12,345.68"),
        (-0.0512, "-0.051"),
        (0.0, "0"),
    ],
)
def test_decimals_are_rounded_for_reading_and_never_shown_more_precise_than_recorded(
    value, expected
):
    assert f.decimal(value) == expected


def test_missing_is_not_available_never_zero():
    assert f.number(None) == "not available" == f.number(float("nan"))
    assert f.share(None) == "not available"
    shown = f.shown_value(None, f._Style("x"))
    assert shown.text == "not available" and shown.missing


@pytest.mark.parametrize(
    "fraction, expected",
    [
        (0.3919, "39.2%"),
        (0.0279, "2.8%"),
        (1.0, "100%"),
        (0.0, "0%"),
        (0.5745, "57.5%"),
        (0.00008, "0.008%"),
    ],
)
def test_shares_in_per_cent(fraction, expected):
    assert f.share(fraction) == expected


def test_percentages_keep_their_recorded_precision():
    assert f.percent(7.03) == "7.03%" and f.percent(18.0) == "18%" and f.percent(39.93) == "39.93%"


def test_intervals():
    assert f.interval(0.392, 0.29, 0.51) == "0.39 (0.29-0.51)"
    assert f.interval(0.9641, 0.7067, 1.3099) == "0.96 (0.71-1.31)"
    # a negative bound: "to", so that the minus sign is not read as the dash
    assert f.interval(0.18, -0.05, 0.35) == "0.18 (-0.05 to 0.35)"
    assert f.interval(None, 1.891, 2.3512) == "1.89-2.35"
    assert f.interval(0.39, 0.29, 0.51, fmt=f.share) == "39% (29%-51%)"


def test_durations():
    assert f.duration(8.29) == "8.3 s"
    assert f.duration(125) == "2 min 05 s"
    assert f.duration(3725) == "1 h 02 min"
    assert f.duration(None) == "not available"


def test_names_read_as_words():
    assert f.humanize("allegations_by_year") == "Allegations by year"
    assert f.humanize("irr_per_year") == "IRR per year"
    assert f.humanize("latest_share_pct") == "Latest share (%)"


def _texts(values):
    return {h.names[0]: list(f.texts(h.shown)) for h in f.headlines(values)}


def test_a_long_year_series_is_shown_whole():
    by_year = {str(y): n for y, n in zip(range(2008, 2025), range(83, 100))}
    shown = _texts({"allegations_by_year": by_year})["allegations_by_year"]
    assert shown == [t for y, n in by_year.items() for t in (y, str(n))]
    assert len(shown) == 34  # 17 years, 17 counts: nothing cut


def test_an_estimate_and_its_ci_are_one_interval():
    heads = f.headlines(
        {"rate_ratio": 0.9641, "rate_ratio_ci": [0.7067, 1.3099], "rate_ratio_p_value": 0.8213}
    )
    assert [(h.label, h.names, h.shown.text) for h in heads] == [
        ("Rate ratio", ["rate_ratio", "rate_ratio_ci"], "0.96 (0.71-1.31)"),
        ("Rate ratio p value", ["rate_ratio_p_value"], "0.82"),
    ]
    assert "0.7067" in heads[0].shown.exact and "1.3099" in heads[0].shown.exact


def test_lists_read_by_their_shape():
    t = _texts(
        {
            "segmented_irr": {"level_2016": [2.0626, 1.391, 3.0584]},  # estimate, low, high
            "followups_answered": {"2010": [29, 74, 0.3919]},  # k, n, k/n
            "nio_appointed_overall": [10, 20, 0.7],  # not k/n: a plain list
            "leave_one_out_range": {"slope_2016": [1.1857, 1.2366]},
            "trend_years": [2008, 2009, 2021],  # years: no separator
            "allegations_in_years": 2000,  # a count, not a year
            "allegations_by_year": {"2010": 2000},  # a count under a year
            "last_complete_year": 2023,
        }
    )
    assert t["segmented_irr"] == ["level change from 2016", "2.06 (1.39-3.06)"]
    assert t["followups_answered"] == ["2010", "29 of 74 (39.2%)"]
    assert t["nio_appointed_overall"] == ["10, 20, 0.7"]
    assert t["leave_one_out_range"] == ["change in yearly trend after 2016", "1.19-1.24"]
    assert t["trend_years"] == ["2008, 2009, 2021"]
    assert t["allegations_in_years"] == ["2,000"]
    assert t["allegations_by_year"] == ["2010", "2,000"]
    assert t["last_complete_year"] == ["2023"]


def test_shares_and_percentages_by_name_and_unit():
    t = _texts(
        {
            "share_high_confidence_by_dataset": {"allegations": 0.0279, "org_policies": 1.0},
            "top5_share_of_women_pct": 39.93,
            # named "share" but holding percentages: not multiplied by 100
            "share_by_year_un_contributions": {"troops 2019": 4.7, "police 2019": 0.9},
        }
    )
    assert t["share_high_confidence_by_dataset"] == ["allegations", "2.8%", "org policies", "100%"]
    assert t["top5_share_of_women_pct"] == ["39.93%"]
    assert t["share_by_year_un_contributions"] == ["troops 2019", "4.7", "police 2019", "0.9"]
    heads = f.headlines(
        {"x": 0.25, "y": 7.5, "z": 2021}, units={"x": "share", "y": "pct", "z": "year"}
    )
    assert [h.shown.text for h in heads] == ["25%", "7.5%", "2021"]


def test_nested_dicts_with_the_same_keys_become_a_table():
    values = {
        "share_pct_year_end": {
            "all_uniformed": {"2009": 2.99, "2010": 3.46},
            "police": {"2009": 8.44, "2010": 14.82},
        }
    }
    shown = f.headlines(values)[0].shown
    assert isinstance(shown, f.Matrix)
    assert shown.columns == ["2009", "2010"]
    assert [(label, [c.text for c in cells]) for label, cells in shown.rows] == [
        ("all uniformed", ["2.99%", "3.46%"]),
        ("police", ["8.44%", "14.82%"]),
    ]


def test_partial_periods_are_flagged():
    heads = {
        h.names[0]: h
        for h in f.headlines(
            {
                "allegations_partial_years": {"2025": {"allegations": 30, "months_covered": 6}},
                "allegations_by_mission_partial_years": {},
                "share_pct_not_year_end": {"troops": {"Jun 2025": 8.8}},
                "nio_appointed_by_year": {
                    "2023": {"appointed": 5, "complete": True},
                    "2024": {"appointed": 2, "complete": False},
                },
                "allegations_total": 1328,
            }
        )
    }
    assert (
        heads["allegations_partial_years"].partial and not heads["allegations_partial_years"].empty
    )
    assert heads["allegations_by_mission_partial_years"].empty
    assert heads["share_pct_not_year_end"].partial
    assert heads["nio_appointed_by_year"].partial  # a period recorded with complete: false
    assert not heads["allegations_total"].partial
    assert list(f.texts(heads["allegations_partial_years"].shown)) == [
        "allegations",
        "months covered",
        "2025",
        "30",
        "6",
    ]


def test_booleans_strings_and_empties():
    t = _texts(
        {"ready": False, "trend_model": "quasi-Poisson", "years_not_covered": [], "revisions": {}}
    )
    assert t == {
        "ready": ["no"],
        "trend_model": ["quasi-Poisson"],
        "years_not_covered": ["none"],
        "revisions": ["none"],
    }


def test_model_terms_and_leave_one_out_read_as_words():
    """Issue 26: the report showed "year c" and "Leave one out not estimable: level 2016: 2016"
    (code names). Keys of the segmented model's terms and the leave-one-out names read as words."""
    heads = f.headlines(
        {
            "segmented_irr": {
                "year_c": [0.95, 0.9, 1.0],
                "level_2016": [2.06, 1.39, 3.06],
                "slope_2016": [1.1, 1.0, 1.2],
                "counting_2008": [1.5, 1.1, 2.0],
            },
            "leave_one_out_not_estimable": {"level_2016": "without 2016"},
        }
    )
    shown = {h.label: list(f.texts(h.shown)) for h in heads}
    assert shown["Segmented IRR"][::2] == [  # the keys; the values are the intervals
        "yearly change (trend)",
        "level change from 2016",
        "change in yearly trend after 2016",
        "counting change from 2008",
    ]
    assert "year c" not in shown["Segmented IRR"]
    assert shown["Leave-one-out not estimable"] == ["level change from 2016", "without 2016"]
    assert f.key_label("some_other_key") == "some other key"  # other keys as before
