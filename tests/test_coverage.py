"""Coverage: counts exist only inside a source's coverage; partial years are flagged."""

from __future__ import annotations

import pandas as pd
import pytest

from pkoresearch.data.coverage import Coverage, counts_in_coverage
from pkoresearch.errors import ParameterError


def test_years_and_partial_flags():
    cov = Coverage.between("s", "2015-01", "2024-07")
    y = cov.years()
    assert y["year"].tolist() == list(range(2015, 2025))
    assert y.set_index("year").loc[2024, "months_covered"] == 7
    assert y["complete"].tolist() == [True] * 9 + [False]
    assert cov.label() == "January 2015 - July 2024"


def test_gaps_make_a_year_partial():
    months = [m for m in pd.period_range("2016-01", "2017-12", freq="M") if str(m) != "2016-11"]
    cov = Coverage.of_months("s", months)
    assert [str(g) for g in cov.gaps] == ["2016-11"]
    assert cov.years().set_index("year")["months_covered"].to_dict() == {2016: 11, 2017: 12}
    assert not cov.covers(2016, 11) and cov.covers(2016, 10) and not cov.covers(2018)
    assert "1 months missing inside" in cov.label()


def test_zero_inside_missing_outside():
    cov = Coverage.between("UN export", "2015-01", "2024-07")
    counts = pd.DataFrame({"year": [2015, 2017, 2024], "allegations": [69, 63, 61]})
    out = counts_in_coverage(counts, cov, 2010, 2024)
    by_year = out.set_index("year")
    assert by_year.loc[2010:2014, "allegations"].isna().all()  # outside: missing, never 0
    assert by_year.loc[2016, "allegations"] == 0  # covered, nothing reported
    assert by_year.loc[2024, "allegations"] == 61
    assert by_year["complete"].isna().sum() == 5
    assert bool(by_year.loc[2024, "complete"]) is False
    assert "of the requested 2010-2024 it has 2015-2024" in cov.describe(2010, 2024)
    assert "2024 (7 months)" in cov.describe(2010, 2024)


def test_by_group_and_counts_outside_coverage_refused():
    cov = Coverage.of_years("curated", [2015, 2016])
    counts = pd.DataFrame({"mission": ["A", "B"], "year": [2015, 2016], "allegations": [3, 4]})
    out = counts_in_coverage(counts, cov, 2014, 2016, by=["mission"])
    assert out["mission"].tolist() == ["A"] * 3 + ["B"] * 3
    assert out["allegations"].fillna(-1).tolist() == [-1, 3, 0, -1, 0, 4]
    with pytest.raises(ParameterError, match=r"found counts for \[2013\]"):
        counts_in_coverage(pd.DataFrame({"year": [2013], "allegations": [1]}), cov, 2013, 2016)


def test_bad_month_is_a_clear_error():
    with pytest.raises(ParameterError, match="found the month 'soon'"):
        Coverage.between("s", "soon", "2020-01")
    with pytest.raises(ParameterError, match="after last"):
        Coverage.between("s", "2021-01", "2020-01")


def test_doctest():
    import doctest

    import pkoresearch.data.coverage as mod

    assert doctest.testmod(mod).failed == 0
