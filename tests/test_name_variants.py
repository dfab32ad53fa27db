"""The readers' one name-variant warning (data/readers/_checks.warn_name_variants), on names
whose unified spellings are known by hand."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from pkoresearch.data.readers._checks import unify_spellings, warn_name_variants
from pkoresearch.errors import NameVariantWarning

NAMES = pd.Series(["Bangladesh", "BANGLADESH", "Bangladesh", "Bangladesh'", "Chad", "chad", "Chad"])


def test_the_warning_names_file_column_variant_and_spelling_used():
    _, contributors = unify_spellings(NAMES, "g.csv", "Contributor")
    _, missions = unify_spellings(pd.Series(["MINUSCA", "Minusca", "MINUSCA"]), "g.csv", "Mission")
    with pytest.warns(NameVariantWarning) as caught:
        table, n = warn_name_variants(
            [contributors, missions], "g.csv", see=".name_variants", stacklevel=1
        )
    assert n == 4 and len(table) == 4
    text = str(caught[0].message)
    assert text.startswith("g.csv: 4 row(s) spell a name another way (case, accents")
    assert "(see .name_variants): " in text
    assert "Contributor 'BANGLADESH' -> 'Bangladesh' (1 row(s), first row 1)" in text
    assert "Contributor \"Bangladesh'\" -> 'Bangladesh' (1 row(s), first row 3)" in text
    assert "Contributor 'chad' -> 'Chad' (1 row(s), first row 5)" in text
    assert "Mission 'Minusca' -> 'MINUSCA' (1 row(s), first row 1)" in text
    assert caught[0].filename == __file__  # stacklevel as the caller would give warnings.warn


def test_names_that_are_not_rows_are_counted_as_times():
    _, changed = unify_spellings(NAMES, "t.xlsx", "Nationality")
    with pytest.warns(NameVariantWarning) as caught:
        _, n = warn_name_variants([changed], "t.xlsx", per="name")
    text = str(caught[0].message)
    assert n == 3 and text.startswith("t.xlsx: 3 name(s) spelled another way")
    assert (
        "Nationality 'BANGLADESH' -> 'Bangladesh' (1 time(s))" in text and "first row" not in text
    )


def test_nothing_changed_no_warning_and_an_empty_table():
    _, changed = unify_spellings(pd.Series(["Chad", "Chad"]), "g.csv", "Contributor")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table, n = warn_name_variants([changed, changed], "g.csv")
    assert n == 0 and table.empty
    assert list(table.columns) == ["column", "found", "used", "rows", "first_row"]
    with pytest.raises(ValueError, match="per: found 'cells'"):
        warn_name_variants([changed], "g.csv", per="cells")
