"""Citing the package: CITATION.cff agrees with pyproject.toml, the licence files exist, and the
documentation says how to cite (docs/cite.md, linked from the README)."""

from __future__ import annotations

import json
import tomllib

import yaml

from conftest import ROOT


def test_citation_cff_has_the_required_fields_and_the_package_version():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "license", "type"} <= set(cff)
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["version"] == project["version"]
    assert cff["license"] == project["license"]["text"] == "MIT"
    assert "pkoresearch data cite" in cff["message"]


def test_licences_for_code_and_data():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    pkg = json.loads((ROOT / "data" / "datapackage.json").read_text())
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0"
    import pkoresearch as pko

    licences = pko.sources.catalogue()["licence"]
    assert (licences != "").all()
    un = pko.sources.catalogue().query("type == 'un_document'")["licence"]
    assert un.str.startswith("UN terms of use").all()


def test_the_docs_say_how_to_cite():
    page = (ROOT / "docs" / "cite.md").read_text()  # the site's "How to cite" page
    assert page.startswith("# How to cite")
    assert "CITATION.cff" in page and "LICENSE" in page
    assert "pkoresearch data cite allegations --format bibtex" in page
    readme = (ROOT / "README.md").read_text()
    assert "](docs/cite.md)" in readme and "CITATION.cff" in readme
