"""data/ as a Frictionless Data Package: the descriptor validates with the frictionless library, and
its table schemas say field by field what the loader's pandera schemas check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from pkoresearch.data.curated import SPECS, table_schema
from pkoresearch.data.schema import SOURCES_SPEC, pandera_schema

frictionless = pytest.importorskip("frictionless")

DESCRIPTOR = ROOT / "data" / "datapackage.json"
ALL_SPECS = {**SPECS, "sources": SOURCES_SPEC}


def _package() -> dict:
    return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))


def test_every_table_is_a_resource_with_its_key_licence_and_sources():
    pkg = _package()
    resources = {r["name"]: r for r in pkg["resources"]}
    assert set(resources) == set(ALL_SPECS)
    files = {p.name for p in (ROOT / "data").glob("*.csv")}
    assert {r["path"] for r in resources.values()} == files
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0"
    for name, spec in ALL_SPECS.items():
        r = resources[name]
        assert r["schema"]["primaryKey"] == list(spec.key), name
        assert r["licenses"], name
        if name != "sources":
            assert r["schema"]["foreignKeys"][0]["reference"] == {
                "resource": "sources",
                "fields": ["source_id"],
            }
            assert r["sources"], name  # the documents behind the table, primary first


def test_descriptor_schemas_are_the_ones_derived_from_the_specs():
    resources = {r["name"]: r for r in _package()["resources"]}
    for name, spec in ALL_SPECS.items():
        assert resources[name]["schema"] == table_schema(spec), name


_PANDERA_TO_FRICTIONLESS = {
    "Int64": "integer",
    "Float64": "number",
    "string": "string",
    "string[python]": "string",
    "None": "string",
}


@pytest.mark.parametrize("name", sorted(ALL_SPECS))
def test_pandera_and_frictionless_agree_field_by_field(name):
    """Compare the pandera schema object the loader validates with against the descriptor file,
    one field and one constraint at a time."""
    spec = ALL_SPECS[name]
    pa_schema = pandera_schema(spec)
    resource = next(r for r in _package()["resources"] if r["name"] == name)
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert list(fields) == list(pa_schema.columns), "same fields in the same order"
    for col_name, col in pa_schema.columns.items():
        f = fields[col_name]
        c = f.get("constraints", {})
        assert _PANDERA_TO_FRICTIONLESS[str(col.dtype)] == f["type"], col_name
        assert col.nullable == (not c.get("required", False)), col_name
        checks = {chk.name: chk.statistics for chk in col.checks}
        assert checks.get("greater_than_or_equal_to", {}).get("min_value") == c.get("minimum"), (
            col_name
        )
        assert checks.get("less_than_or_equal_to", {}).get("max_value") == c.get("maximum"), (
            col_name
        )
        allowed = checks.get("isin", {}).get("allowed_values")
        assert (sorted(allowed) if allowed is not None else None) == (
            sorted(c["enum"]) if "enum" in c else None
        ), col_name
        pattern = checks.get("str_matches", {}).get("pattern")
        want = f"^(?:{c['pattern']})$" if "pattern" in c else None
        assert (str(getattr(pattern, "pattern", pattern)) if pattern else None) == want, col_name
    assert sorted(pa_schema.unique) == sorted(resource["schema"]["primaryKey"])


def test_frictionless_validate_passes():
    report = frictionless.validate(str(DESCRIPTOR))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(ALL_SPECS)
    assert all(t.stats["rows"] > 0 for t in report.tasks)


def test_frictionless_command_line_validates_the_package():
    exe = Path(sys.executable).parent / "frictionless"
    if not exe.is_file():
        pytest.skip(f"the frictionless command is not installed beside {sys.executable}")
    out = subprocess.run([str(exe), "validate", str(DESCRIPTOR)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    "file,old,new,error",
    [
        ("organizations.csv", ",tip2011-seed,", ",no-such-source,", "foreign-key"),
        ("allegations.csv", ",medium,", ",certain,", "constraint-error"),
        (
            "sources.csv",
            "https://docs.un.org/en/A/73/744",
            "docs.un.org/A/73/744",
            "constraint-error",
        ),
    ],
)
def test_frictionless_catches_a_broken_copy(tmp_path, file, old, new, error):
    """The validation can fail: an unknown source, a confidence outside the enum, an official
    address that is not in the UN Official Documents System."""
    for f in (ROOT / "data").iterdir():
        if f.suffix in (".csv", ".json"):
            shutil.copy(f, tmp_path / f.name)
    text = (tmp_path / file).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert error in {e[0] for e in report.flatten(["type"])}
