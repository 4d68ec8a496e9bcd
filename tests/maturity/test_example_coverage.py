"""The shipped example requirements cover every shipped check, and are found from the installed package."""

from __future__ import annotations

from conformance.maturity.compare import example_requirements, load_requirements
from conformance.runner import load_suites


def test_every_shipped_check_counts_in_some_example_requirement() -> None:
    requirements = load_requirements()  # no path: read through importlib.resources
    ids = [c for s in load_suites().suites.values() for c in s.checks]
    uncovered = [c for c in ids if not any(r.covers(c) for r in requirements)]
    assert uncovered == []
    assert any(r.covers("fhir-rest.crud.patient.history") for r in requirements)
    assert any(r.covers("fhir-rest.crud.patient.vread") for r in requirements)


def test_the_example_is_package_data() -> None:
    where, text = example_requirements()
    assert "[[requirement]]" in text and where.endswith("example-requirements.toml")
