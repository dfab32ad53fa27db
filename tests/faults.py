"""Helpers of the fault-injection tests (tests/test_faults_*.py): bad inputs made in ``tmp_path``
from the real files (found through ``conftest.external_file``, which skips where they are absent)
or from small files in the real layouts."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pandas as pd

from conftest import external_file

ALLEGATIONS_XLSX = "UN_conduct_table_of_allegations_2024-07.xlsx"
GENDER_CSV = "IPIDataLab_TCC-DataScraper_Gender.Full.csv"
YEAR_CSV = "UN_contributions_by_gender_country_mission_year_2010-2021.csv"
MONTH_DTA = "UN_contributions_by_gender_mission_month_2010-2022.dta"
# the first bytes of a PNG image (signature and the start of its header chunk)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def real_allegations() -> pd.DataFrame:
    """The real UN export's cells as text (753 rows; the index is the spreadsheet row)."""
    df = pd.read_excel(
        external_file(ALLEGATIONS_XLSX), sheet_name="Export", dtype=str, keep_default_na=False
    )
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


def real_gender() -> pd.DataFrame:
    """The real gender statistics as text (29,115 rows; the index is the CSV row, header = 1)."""
    df = pd.read_csv(external_file(GENDER_CSV), dtype=str, keep_default_na=False)
    df = df.rename(columns={"Unnamed: 0": ""})  # the file's unnamed row id column
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


def write(df: pd.DataFrame, path: Path, **kw) -> Path:
    """Write text cells as CSV (``encoding``, ``sep`` ... passed on to pandas)."""
    df.to_csv(path, index=False, **kw)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def returns_promptly(call, seconds: float = 30.0, fifo_path: Path | None = None):
    """Run ``call`` in a thread and return what it returned or raised, failing if it is still
    running after ``seconds`` (a reader blocked on a FIFO); a blocked reader is then released by
    opening the FIFO for writing."""
    out: dict = {}

    def run():
        try:
            out["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        if fifo_path is not None:
            with open(fifo_path, "w"):
                pass
        raise AssertionError(f"still running after {seconds} s: blocked on a FIFO?")
    return out


def problem_at(err, row, column) -> str:
    """The message of the problem at ``row``/``column`` of a DataError (fails if there is none)."""
    hits = [p for p in err.problems if p.row == row and p.column == column]
    assert hits, f"no problem at row {row}, column {column!r}: {err.problems[:5]}"
    return str(hits[0])
