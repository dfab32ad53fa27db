"""One family of exceptions for everything pkoresearch refuses to read or compute.

Every data problem is described by a :class:`Problem` naming the file, the row (in a text file the
record number counting the header as row 1, which is the line number where no cell spans lines;
blank lines count; in a workbook the spreadsheet row), the column, the value found and what was
expected. An error carries all problems found, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    row: int | None
    column: str | None
    found: str
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: found {self.found}; expected {self.expected}"


class PkoError(Exception):
    """Base class of every error raised by pkoresearch."""


class DataError(PkoError, ValueError):
    """An input file or table does not have the expected content.

    ``problems`` lists every :class:`Problem` found (the message shows the first ones).
    """

    max_shown = 20

    def __init__(self, problems: list[Problem] | Problem, summary: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        head = summary or f"{len(self.problems)} problem(s) in {self.problems[0].file}"
        lines = [str(p) for p in self.problems[: self.max_shown]]
        if len(self.problems) > self.max_shown:
            lines.append(f"... and {len(self.problems) - self.max_shown} more (see .problems)")
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class DataFileNotFound(PkoError, FileNotFoundError):
    """A data file named by the caller does not exist."""


class SchemaMismatch(DataError):
    """Columns are missing, extra, or a sheet is not where it should be."""


class UnknownDataset(PkoError, KeyError):
    """``pkoresearch.load`` was asked for a dataset it does not have."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0])


class ParameterError(PkoError, ValueError):
    """A notebook or function parameter has a value outside what it accepts."""


class UnrecognisedValuesWarning(UserWarning):
    """A reader kept cell values it does not recognise as they were; they are listed in the
    reader's ``unrecognised`` table. No row is dropped."""


class MeasurementBreakWarning(UserWarning):
    """An analysis places a breakpoint or comparison where the way allegations were counted
    changed, so part of any change found there may come from counting."""


class DataWarning(UserWarning):
    """A reader counted something differently from how the file gives it (a repeated row counted
    once, an aggregate row set aside, a spelling unified, a date moved within its month, a blank
    cell kept missing) and says so; what changed is listed on the object it returned."""


class DuplicateRowsWarning(DataWarning):
    """Rows repeat other rows exactly; the message says how many and what was done with them."""


class AggregateRowsWarning(DataWarning):
    """Rows labelled as totals ("Total", "Total:", "Sum", "All", ...) were set aside, never counted
    as contributors or missions."""


class NameVariantWarning(DataWarning):
    """Spellings of one name that differ only in case, accents, punctuation or spaces
    ("BANGLADESH", "Bangladesh'") were counted under one spelling."""


class DateNormalisedWarning(DataWarning):
    """Rows dated inside a month on another day than the file gives that month were counted in
    that month, under its date."""


class MissingValuesWarning(DataWarning):
    """Cells were blank where a value was expected; they are kept missing (never 0) or filled from
    a merged cell, as the message says."""


class NotEstimable(ParameterError):
    """The selected data cannot support the estimate asked for: too few rows for the model's
    parameters, a single group or cluster, no events or only events. The message says why, with
    the counts the data had. A :class:`ParameterError`, so code catching those keeps working;
    notebooks catch this one to print the reason and go on to the next section."""
