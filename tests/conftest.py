"""Shared test set-up: the external-data location, and what nbval
compares (stderr, HTML and widget outputs are skipped; text/plain and stdout are compared exactly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkoresearch import paths

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = paths.external_dir()
REFERENCE = ROOT.parent / "shared" / "reference"


def pytest_collectstart(collector):
    # nbval's documented hook for outputs that must not be compared
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare += ("text/html", "application/javascript", "stderr",
                                   "application/vnd.jupyter.widget-view+json")


def external_file(name: str) -> Path:
    """Path of a third-party file in ../shared/external, or skip saying why it is needed."""
    p = EXTERNAL / name
    if not p.is_file():
        pytest.skip(f"needs the third-party file {name} in {EXTERNAL} (not committed: it is "
                    "published by others; CI provides ../shared/external)")
    return p


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"needs the sourced reference facts in {REFERENCE} (CI provides ../shared)")
    return REFERENCE
