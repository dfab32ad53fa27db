"""Numbers as a reader expects them in a report: thousands separators, shares in per cent,
intervals as ``0.39 (0.29-0.51)``, and a notebook's recorded results (``results.json``) turned into
small display structures that show every value whole.

The digits, separators and signs come from babel (its CLDR number patterns, as
``babel.numbers.format_decimal`` and ``format_percent`` apply them) with the fixed locale :data:`LOCALE` ``"en"``; the rules of how many digits
to show (two decimals from 0.1 up, two significant digits below, trailing zeros dropped) are the
package's own, written as CLDR patterns.

The display rules follow what a result is: its ``unit``, recorded with it
(``pko.results.record(name, value, unit=...)``; :data:`pkoresearch.results.UNITS`: ``"share"`` for
a fraction 0-1, ``"pct"`` for a percentage, ``"year"``, ``"count"``, ``"ratio"``, ``"rate"``, ...).
Only for a result recorded without a unit does the name decide, a fallback kept for notebooks
(and older results files) that record none; :attr:`Headline.unit_guessed` marks those:

- named ``*_pct``: a percentage (``7.03`` -> ``7.03%``); named ``share*`` with every value in
  0-1: a fraction (``0.0279`` -> ``2.8%``); integers between 1800 and 2200 are years (no
  separator) in a number named ``*_year`` or a list named ``*years*`` (``trend_years``,
  ``years_not_covered``); values inside a dictionary are years only with ``unit="year"``.

The shape of a value, whatever its unit:

- ``X`` with a sibling ``X_ci`` (``[low, high]``) is one interval, ``0.96 (0.71-1.31)``; a list
  ``[estimate, low, high]`` with low <= estimate <= high is an interval too, and
  ``[k, n, k/n]`` (two counts and their ratio) reads ``29 of 74 (39.2%)``;
- ``None`` is shown as "not available", never as 0;
- a result whose name says ``partial`` or ``not_year_end`` is flagged as a partial period.

Nothing is ever cut: lists are shown whole, dictionaries as key/value pairs or a small table.

Example: ``interval(0.392, 0.29, 0.51)`` -> ``"0.39 (0.29-0.51)"``.
"""

from __future__ import annotations

import copy
import decimal as _decimal
import functools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from pkoresearch import results
from pkoresearch.errors import ParameterError

NOT_AVAILABLE = "not available"
PARTIAL_WORDS = ("partial", "not_year_end")
_YEAR_MIN, _YEAR_MAX = 1800, 2200


# --------------------------------------------------------------------------------------------------
# single numbers


def _is_int(x: Any) -> bool:
    return isinstance(x, Integral) and not isinstance(x, bool)


def _is_num(x: Any) -> bool:
    return (
        isinstance(x, Real)
        and not isinstance(x, bool)
        and not (isinstance(x, float) and math.isnan(x))
    )


LOCALE = "en"
"""The locale of every number the package writes: fixed, so that a report reads the same on any
machine (``,`` between thousands, ``.`` before decimals, ``-`` for minus)."""


@functools.lru_cache(maxsize=64)
def _pattern(pattern: str):
    """babel's parsed CLDR number pattern and the locale, parsed once (parsing is most of the
    cost of a ``format_decimal`` call)."""
    from babel import Locale
    from babel.numbers import parse_pattern

    return parse_pattern(pattern), Locale.parse(LOCALE)


def _babel(value: Real, pattern: str) -> str:
    """``value`` through babel's CLDR number pattern in :data:`LOCALE` (what
    ``babel.numbers.format_decimal`` and, for a pattern ending in ``%``, ``format_percent`` do,
    with the pattern parsed once). The float goes in as its exact binary value (``Decimal(float)``,
    not its shortest repr) and is rounded half to even in a local decimal context wide enough for
    any float, so the digits are those of Python's own ``format(x, ",.2f")``: ``2.675`` is
    ``2.67`` as in f-strings, not ``2.68``. A ``%`` pattern multiplies by 100: the value is
    divided first, exactly (a shift of the decimal exponent)."""
    parsed, locale = _pattern(pattern)
    with _decimal.localcontext() as ctx:  # every step exact: scaleb rounds to the context too
        ctx.prec, ctx.rounding = 1100, _decimal.ROUND_HALF_EVEN
        ctx.Emax, ctx.Emin = _decimal.MAX_EMAX, _decimal.MIN_EMIN
        d = _decimal.Decimal(value)
        return parsed.apply(d.scaleb(-2) if pattern.endswith("%") else d, locale)


def _places(n: int) -> str:
    """A pattern's optional decimals: at most ``n``, trailing zeros not written."""
    return "." + "#" * n if n > 0 else ""


def integer(n: int) -> str:
    """An integer with thousands separators: ``integer(12345)`` -> ``"12,345"``."""
    return _babel(int(n), "#,##0")


def decimal(x: float) -> str:
    """A non-integer number rounded for reading: at most two decimals from 0.1 up (thousands
    separated), two significant digits below 0.1 (``0.0008`` stays ``0.0008``); trailing zeros
    dropped, so that a value is not shown more precise than recorded (``3.7`` stays ``3.7``).
    ``decimal(1.3099)`` -> ``"1.31"``; ``decimal(0.02794)`` -> ``"0.028"``."""
    if _is_int(x):
        return integer(x)
    x = float(x)
    if math.isnan(x):
        return NOT_AVAILABLE
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 0.1:
        return _babel(x, "#,##0.##")
    places = -math.floor(math.log10(a)) + 1
    return _babel(x, "0" + _places(places))


def number(x: Any) -> str:
    """Any number: integers with separators, other numbers through :func:`decimal`; ``None`` and
    NaN as "not available"."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return NOT_AVAILABLE
    if _is_int(x):
        return integer(x)
    return decimal(x)


def percent(value: float, digits: int = 2) -> str:
    """A value that already is a percentage: ``percent(7.03)`` -> ``"7.03%"``, ``percent(18.0)``
    -> ``"18%"`` (at most ``digits`` decimals, trailing zeros dropped)."""
    if value is None:
        return NOT_AVAILABLE
    return _babel(float(value), "#,##0" + _places(digits) + "%")


def share(fraction: float, digits: int = 1) -> str:
    """A fraction 0-1 in per cent: ``share(0.3919)`` -> ``"39.2%"``; ``share(1.0)`` -> ``"100%"``;
    below 0.1% two significant digits are kept (``share(0.00008)`` -> ``"0.008%"``)."""
    if fraction is None:
        return NOT_AVAILABLE
    pct = float(fraction) * 100
    if pct != 0 and abs(pct) < 0.1:
        return decimal(pct) + "%"
    return percent(pct, digits)


def year(y: int) -> str:
    """A year, never with a thousands separator."""
    return str(int(y))


def interval(estimate: float | None, low: float | None, high: float | None, fmt=number) -> str:
    """An estimate with its interval: ``"0.39 (0.29-0.51)"``; with a negative bound the interval
    reads ``"0.18 (-0.05 to 0.35)"`` so that the minus sign is not mistaken for the dash; without an
    estimate only the interval."""
    lo, hi = fmt(low), fmt(high)
    sep = " to " if any(v is not None and v < 0 for v in (low, high)) else "-"
    span = f"{lo}{sep}{hi}"
    return span if estimate is None else f"{fmt(estimate)} ({span})"


_WORDS = {
    "irr": "IRR",
    "ci": "CI",
    "nio": "NIO",
    "km": "Kaplan-Meier",
    "un": "UN",
    "tcc": "TCC",
    "pct": "(%)",
    "top5": "top 5",
    "p": "p",
}


def humanize(name: str) -> str:
    """A result name for reading: ``allegations_by_year`` -> ``"Allegations by year"``,
    ``irr_per_year`` -> ``"IRR per year"``, ``latest_share_pct`` -> ``"Latest share (%)"``."""
    name = re.sub(r"(?i)leave_one_out", "leave-one-out", str(name))
    words = [_WORDS.get(w.lower(), w) for w in re.split(r"_+", name.strip("_")) if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def key_label(key: str) -> str:
    """A dictionary key as shown: a model term in words (``level_2016`` "level change from 2016",
    :func:`pkoresearch.results.term_label`), else underscores read as spaces, case kept."""
    from pkoresearch.results import term_label

    return term_label(key)


def duration(seconds: float | None) -> str:
    """``8.3 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds is None:
        return NOT_AVAILABLE
    s = float(seconds)
    if s < 60:
        return f"{s:.1f} s"
    m, s = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


# --------------------------------------------------------------------------------------------------
# display structures


@dataclass(frozen=True)
class Text:
    """One formatted value; ``exact`` is the value as recorded (shown as a tooltip)."""

    text: str
    exact: str = ""
    kind: str = "text"
    missing: bool = False


@dataclass(frozen=True)
class Pairs:
    """Key/value pairs shown whole (a wrapping list)."""

    items: list[tuple[str, Any]]
    kind: str = "pairs"


@dataclass(frozen=True)
class Matrix:
    """A small table: row labels, column labels, cells (``Text``; missing cells blank)."""

    columns: list[str]
    rows: list[tuple[str, list[Text | None]]]
    kind: str = "matrix"


@dataclass(frozen=True)
class Headline:
    """One headline result as shown: label, the ``results.json`` name(s) behind it, the display."""

    label: str
    names: list[str]
    shown: Text | Pairs | Matrix
    partial: bool = False
    empty: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    unit: str | None = None  # the unit shown (recorded, else read from the name)
    unit_guessed: bool = False  # no unit was recorded: the name decided (the fallback)


def _recorded_unit(unit: str | None) -> str | None:
    """A unit as read back from a results file: canonical when known (aliases such as
    ``"percent"`` resolved), ``"number"`` for any other text (the notebook named a unit, so the
    name is not read), None for none."""
    if not unit:
        return None
    try:
        return results.unit_name(unit)
    except ParameterError:  # a results file written before units were checked
        return "number"


class _Style:
    """How the numbers of one result are formatted: from its recorded ``unit``; only a result
    recorded without one falls back to its name (``guessed`` is then True)."""

    def __init__(self, name: str, unit: str | None = None, value: Any = None):
        n = name.lower()
        self.unit = _recorded_unit(unit)
        self.guessed = self.unit is None
        if self.guessed:
            # the fallback for results recorded without a unit: the name's conventions
            self.pct = n.endswith("_pct") or "_pct_" in n
            # a name saying "share" is a fraction only when every number in it lies in 0-1
            # (some notebooks record percentages under such names)
            self.share = (
                not self.pct
                and (n.startswith("share") or n.endswith("_share"))
                and all(0 <= x <= 1 for x in _numbers(value))
            )
            self.unit_year = False
            # a scalar is a year when named *_year; a list when named *years* (trend_years, ...);
            # never the values inside a dictionary (years are its keys)
            self.years = (n == "year" or n.endswith("_year")) and not re.search(
                r"_(by|per)_year$", n
            )
            self.years_list = bool(re.search(r"(^|_)years(_|$)", n))
        else:
            self.pct = self.unit == "pct"
            self.share = self.unit == "share"
            self.unit_year = self.years = self.years_list = self.unit == "year"
        # the shape of the value, not its unit: a pair named *_ci or *_range is one interval
        self.range = n.endswith("_ci") or n.endswith("_range") or self.unit == "interval"

    @property
    def shown_unit(self) -> str | None:
        """The unit the numbers are shown in: the recorded one, else the one the name gave."""
        if not self.guessed:
            return self.unit
        if self.pct or self.share:
            return "pct" if self.pct else "share"
        return "year" if self.years or self.years_list else None

    def scalar(self, x: Any, as_year: bool = True) -> Text:
        exact = "" if x is None else repr(x) if isinstance(x, float) else str(x)
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return Text(NOT_AVAILABLE, "null (no value)", missing=True)
        if isinstance(x, bool):
            return Text("yes" if x else "no", exact)
        if isinstance(x, str):
            return Text(x)
        if as_year and self.years and _is_int(x) and _YEAR_MIN <= x <= _YEAR_MAX:
            return Text(year(x), exact)
        if self.pct and _is_num(x):
            return Text(percent(x), exact)
        if self.share and _is_num(x) and 0 <= x <= 1:
            return Text(share(x), exact)
        if _is_num(x):
            return Text(number(x), exact)
        return Text(str(x), exact)

    def fmt(self, x: Any) -> str:
        return self.scalar(x, as_year=False).text


def _numbers(value: Any) -> Iterator[float]:
    """Every number inside a recorded value."""
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)
    elif _is_num(value):
        yield value


def _flags_incomplete(value: Any) -> bool:
    """A value holding a ``complete: false`` entry (a period recorded as partial)."""
    if isinstance(value, Mapping):
        return value.get("complete") is False or any(_flags_incomplete(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_flags_incomplete(v) for v in value)
    return False


def _ratio_triple(v: Sequence[Any]) -> bool:
    """``[k, n, k/n]``: two counts and their ratio (rounded)."""
    return (
        len(v) == 3
        and _is_int(v[0])
        and _is_int(v[1])
        and _is_num(v[2])
        and v[1] > 0
        and 0 <= v[0] <= v[1]
        and abs(v[0] / v[1] - v[2]) < 5e-4
    )


def _interval_triple(v: Sequence[Any]) -> bool:
    return (
        len(v) == 3
        and all(_is_num(x) for x in v)
        and not all(_is_int(x) for x in v)
        and v[1] <= v[0] <= v[2]
    )


def _exact(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=False)


def shown_value(value: Any, style: _Style) -> Text | Pairs | Matrix:
    """The display structure of one recorded value (recursively for lists and dictionaries)."""
    if isinstance(value, Mapping):
        if not value:
            return Text("none", "{}", kind="empty")
        if (style.years or style.years_list) and not style.unit_year:
            # values under keys are counts or measures (years are the keys), unless the unit says
            style = copy.copy(style)
            style.years = style.years_list = False
        inner = list(value.values())
        if all(isinstance(x, Mapping) and x for x in inner):
            columns: list[str] = []
            for x in inner:
                columns += [str(k) for k in x if str(k) not in columns]
            if len(columns) <= 8 and all(
                not isinstance(c, (Mapping, list)) for x in inner for c in x.values()
            ):
                rows = [
                    (key_label(k), [style.scalar(x[c]) if c in x else None for c in columns])
                    for k, x in value.items()
                ]
                return Matrix([key_label(c) for c in columns], rows)
        return Pairs([(key_label(k), shown_value(v, style)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        if not value:
            return Text("none", "[]", kind="empty")
        if _ratio_triple(value):
            k, n, r = value
            return Text(f"{integer(k)} of {integer(n)} ({share(r)})", _exact(value))
        if _interval_triple(value):
            return Text(interval(*value, fmt=style.fmt), _exact(value))
        if style.range and len(value) == 2 and all(_is_num(x) for x in value):
            return Text(interval(None, *value, fmt=style.fmt), _exact(value))
        if all(not isinstance(x, (list, tuple, Mapping)) for x in value):
            if style.years_list and not style.years:
                style = copy.copy(style)
                style.years = True
            return Text(", ".join(style.scalar(x).text for x in value), _exact(value))
        return Pairs([(str(i + 1), shown_value(x, style)) for i, x in enumerate(value)])
    return style.scalar(value)


def is_partial(name: str) -> bool:
    """A result that holds partial periods, kept apart (by the notebooks' naming)."""
    return any(w in name.lower() for w in PARTIAL_WORDS)


def headlines(values: Mapping[str, Any], units: Mapping[str, str] | None = None) -> list[Headline]:
    """Every recorded result of a run as :class:`Headline` rows, in the recorded (sorted) order;
    ``X`` and ``X_ci`` are shown together as one interval. ``units``: ``{name: unit}`` as recorded
    (``results.json``); each result is formatted by its unit, and only one without a unit by
    its name (``Headline.unit_guessed`` says which)."""
    units = dict(units or {})
    out = []
    paired = {
        f"{k}_ci"
        for k, v in values.items()
        if _is_num(v)
        and isinstance(values.get(f"{k}_ci"), (list, tuple))
        and len(values[f"{k}_ci"]) == 2
    }
    for name, value in values.items():
        if name in paired:
            continue
        style = _Style(name, units.get(name), value)
        names = [name]
        ci = f"{name}_ci"
        if ci in paired:
            names.append(ci)
            lo, hi = values[ci]
            shown: Text | Pairs | Matrix = Text(
                interval(value, lo, hi, fmt=style.fmt), f"{_exact(value)}; {ci}: {_exact([lo, hi])}"
            )
        else:
            shown = shown_value(value, style)
        empty = isinstance(shown, Text) and shown.kind == "empty"
        out.append(
            Headline(
                humanize(name),
                names,
                shown,
                empty=empty,
                partial=is_partial(name) or _flags_incomplete(value),
                unit=style.shown_unit,
                unit_guessed=style.guessed,
            )
        )
    return out


def texts(shown: Text | Pairs | Matrix | None) -> Iterator[str]:
    """Every text a display structure shows (keys and values), for tests and checks."""
    if shown is None:
        return
    if isinstance(shown, Text):
        yield shown.text
    elif isinstance(shown, Pairs):
        for k, v in shown.items:
            yield k
            yield from texts(v)
    elif isinstance(shown, Matrix):
        yield from shown.columns
        for label, cells in shown.rows:
            yield label
            for c in cells:
                yield from texts(c)


# --------------------------------------------------------------------------------------------------
# plain-text tables for the terminal


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, an ellipsis marking a cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "\u2026"


def text_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    width: int = 100,
    wrap: int | None = None,
    right: Sequence[int] = (),
    indent: int = 0,
) -> str:
    """A plain-text table no wider than ``width`` characters: column ``wrap`` (an index) takes the
    room left by the others and wraps onto continuation lines, so its text is shown whole; any
    other cell too wide for the room is cut with an ellipsis. Columns in ``right`` are
    right-aligned (numbers). ``None`` and NA cells are blank.

    Example: ``print(text_table([["allegations", 202, "SEA allegations ..."]],
    ["dataset", "rows", "description"], width=60, wrap=2, right=[1]))``
    """

    def cell(v: Any) -> str:
        try:
            import pandas as pd

            if v is None or (not isinstance(v, (list, tuple, dict)) and pd.isna(v)):
                return ""
        except ImportError:  # pragma: no cover - pandas is a dependency
            if v is None:
                return ""
        return integer(v) if _is_int(v) else str(v)

    body = [[cell(v) for v in r] for r in rows]
    ncol = len(headers)
    natural = [max([len(headers[i])] + [len(r[i]) for r in body]) for i in range(ncol)]
    room = width - indent - 2 * (ncol - 1)
    widths = list(natural)
    if wrap is not None:
        fixed = sum(w for i, w in enumerate(widths) if i != wrap)
        widths[wrap] = max(min(natural[wrap], room - fixed), 12)
    # still too wide: narrow the widest other columns (their cells get an ellipsis)
    while sum(widths) > room:
        i = max((j for j in range(ncol) if j != wrap), key=lambda j: widths[j])
        if widths[i] <= 6:
            break
        widths[i] -= 1

    import textwrap

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, text in enumerate(cells):
            parts.append(text.rjust(widths[i]) if i in right else text.ljust(widths[i]))
        return (" " * indent + "  ".join(parts)).rstrip()

    out = [line([_cut(h, widths[i]) for i, h in enumerate(headers)])]
    for r in body:
        cells = [_cut(t, widths[i]) if i != wrap else t for i, t in enumerate(r)]
        if wrap is None:
            out.append(line(cells))
            continue
        pieces = textwrap.wrap(r[wrap], widths[wrap], break_on_hyphens=False) or [""]
        out.append(line([*cells[:wrap], pieces[0], *cells[wrap + 1 :]]))
        for more in pieces[1:]:
            out.append(line(["" if i != wrap else more for i in range(ncol)]))
    return "\n".join(out)
