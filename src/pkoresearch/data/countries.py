"""One crosswalk from the country names used by the UN and by the curated sources to ISO 3166-1
alpha-3 codes, so that "Congo (Republic of)" and "Congo", or "United Republic of Tanzania" and
"Tanzania", are the same country everywhere.

Names are matched by country_converter (a maintained list of name variants), after the few
corrections in :data:`OVERRIDES`. Names that are not a country ("Unknown", "not published", an
aggregate such as "others") stay unresolved: they are returned with a missing code and listed by
:func:`crosswalk`, never dropped.

>>> from pkoresearch.data import countries
>>> countries.to_iso3(["Congo", "Democratic Republic of the Congo", "Tanzania"]).tolist()
['COG', 'COD', 'TZA']
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

import pandas as pd

# Names country_converter does not match, or that are not countries at all; the value None means
# "known not to be a country" (kept unresolved on purpose).
OVERRIDES: dict[str, str | None] = {
    "unknown": None,
    "not published": None,
    "multiple": None,
    "others": None,
    "other": None,
    "congo (republic of)": "COG",  # matches both Congos in country_converter
    "the former yugoslav republic o": "MKD",  # cut short in the IPI scrape of the UN statistics
    "kosovo": "XKX",  # not in ISO 3166-1; the user-assigned code most data providers use
}


@functools.lru_cache(maxsize=1)
def _converter():
    # country_converter logs a warning per unmatched name; we report them ourselves
    logging.getLogger("country_converter").setLevel(logging.ERROR)
    import country_converter

    # country_converter 1.3 reads its own table with NA detection that pandas 3 applies differently
    # (Namibia's ISO2 "NA" becomes missing and the converter fails); read the table ourselves, with
    # only empty cells missing, and hand it over as a DataFrame.
    table = pd.read_csv(
        country_converter.country_converter.COUNTRY_DATA_FILE,
        sep="\t",
        encoding="utf-8",
        dtype=str,
        keep_default_na=False,
        na_values=[""],
    )
    return country_converter.CountryConverter(country_data=table)


@functools.lru_cache(maxsize=4096)
def _one(name: str) -> str | None:
    key = re.sub(r"\s+", " ", name).strip()
    if not key:
        return None
    if key.lower() in OVERRIDES:
        return OVERRIDES[key.lower()]
    code = _converter().convert(key, to="ISO3", not_found=None)
    if isinstance(code, list):  # several matches: ambiguous, leave unresolved
        return None
    return code if isinstance(code, str) and len(code) == 3 else None


def to_iso3(names: Iterable[object]) -> pd.Series:
    """ISO 3166-1 alpha-3 code for each name (``<NA>`` where unresolved), in the input order.

    Example: ``to_iso3(["Côte d'Ivoire", "Republic of Moldova"])`` gives CIV, MDA.
    """
    values = list(names)
    codes = [None if v is None or pd.isna(v) else _one(str(v)) for v in values]
    index = names.index if isinstance(names, (pd.Series, pd.Index)) else None
    return pd.Series(codes, dtype="string", index=None if isinstance(names, pd.Index) else index)


def crosswalk(names: Iterable[object]) -> pd.DataFrame:
    """Each distinct name with its code: ``name, iso3, resolved`` (sorted by name). Unresolved
    names are rows with ``resolved`` False, so a caller can list them."""
    distinct = sorted({str(v) for v in names if v is not None and not pd.isna(v)})
    out = pd.DataFrame({"name": pd.Series(distinct, dtype="string")})
    out["iso3"] = to_iso3(out["name"]).to_numpy()
    out["resolved"] = out["iso3"].notna()
    return out


def known_names() -> list[str]:
    """The short English names of the countries the crosswalk knows (for "did you mean")."""
    return sorted({str(n) for n in _converter().data["name_short"].dropna()})


def unresolved(names: Iterable[object]) -> list[str]:
    """The distinct names that do not resolve to a code."""
    c = crosswalk(names)
    return c.loc[~c["resolved"], "name"].tolist()


def name_of(iso3: str) -> str:
    """A short English name for a code (country_converter's ``name_short``)."""
    name = _converter().convert(iso3, src="ISO3", to="name_short", not_found=None)
    return name if isinstance(name, str) else iso3
