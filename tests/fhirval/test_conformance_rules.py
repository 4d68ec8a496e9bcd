"""CapabilityStatements and SearchParameters agree with the SearchParameters they name."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource, search_parameter
from conformance.fhirval.validate import validate_resource

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}
CORE = "http://hl7.org/fhir/SearchParameter/"


def found(resource: dict[str, Any], source: Any = None) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, source or base_source())
            if i.defect == "search-parameter"]


def capability(param_type: str, definition: str = CORE + "AllergyIntolerance-clinical-status") -> dict[str, Any]:
    return {"resourceType": "CapabilityStatement", "text": NARRATIVE, "status": "active", "date": "2026-01-01",
            "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
            "implementation": {"description": "synthetic"},
            "rest": [{"mode": "server", "resource": [{"type": "AllergyIntolerance", "searchParam": [
                {"name": "clinical-status", "definition": definition, "type": param_type}]}]}]}


def test_the_base_definitions_hold_the_core_search_parameters() -> None:
    sp = search_parameter(base_source(), CORE + "Organization-name|4.0.1")
    assert sp is not None and sp["type"] == "string" and sp["base"] == ["Organization"]
    assert search_parameter(base_source(), "http://example.test/SearchParameter/none") is None


def test_a_capability_statement_search_param_has_its_definitions_type() -> None:
    assert found(capability("token")) == []
    assert found(capability("date")) == [("search-parameter",
                                          "CapabilityStatement.rest[0].resource[0].searchParam[0]")]
    assert found(capability("date", "http://example.test/SearchParameter/unknown")) == []  # nothing to compare


def derived(**changes: Any) -> dict[str, Any]:
    sp = {"resourceType": "SearchParameter", "text": NARRATIVE, "url": "http://example.test/SearchParameter/org-name",
          "name": "OrgName", "status": "active", "description": "synthetic", "code": "name", "base": ["Organization"],
          "type": "string", "expression": "Organization.name | Organization.alias",
          "derivedFrom": CORE + "Organization-name"}
    sp.update(changes)
    return sp


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, []),
    ({"type": "token"}, [("search-parameter", "SearchParameter")]),
    ({"base": ["Patient"], "expression": "Patient.name"}, [("search-parameter", "SearchParameter")]),
    ({"base": ["Patient"]}, [("search-parameter", "SearchParameter.expression"),
                             ("search-parameter", "SearchParameter")]),
    ({"derivedFrom": None, "base": ["Patient"], "expression": "(Organization.name)"},
     [("search-parameter", "SearchParameter.expression")]),
    ({"derivedFrom": None, "base": ["Resource"], "expression": "Organization.name"}, []),
    ({"derivedFrom": None, "expression": "Organization.name.where(text = 'a | Patient.name')"}, []),
    ({"derivedFrom": None, "expression": "Organization.alias.where((Group.x) | b) | Organization.name"}, []),
])
def test_a_derived_search_parameter_keeps_to_its_origin(changes: dict[str, Any],
                                                        expected: list[tuple[str, str]]) -> None:
    sp = derived(**changes)
    if sp["derivedFrom"] is None:
        del sp["derivedFrom"]
    assert found(sp) == expected


def test_a_loaded_package_search_parameter_is_found_through_the_layers() -> None:
    mine = derived(url="http://example.test/SearchParameter/mine", type="token")
    source = LayeredSource([base_source(), MemorySource([mine])])
    assert search_parameter(source, mine["url"]) is mine
    cs = copy.deepcopy(capability("string", mine["url"]))
    assert found(cs, source) == [("search-parameter", "CapabilityStatement.rest[0].resource[0].searchParam[0]")]


def composite(*definitions: str) -> dict[str, Any]:
    return {"resourceType": "SearchParameter", "text": NARRATIVE, "url": "http://example.org/SearchParameter/c",
            "name": "c", "status": "active", "description": "synthetic", "code": "c", "base": ["Observation"],
            "type": "composite", "expression": "Observation",
            "component": [{"definition": d, "expression": "code"} for d in definitions]}


def test_a_composite_search_parameter_has_at_least_two_components() -> None:
    """SearchParameterValidator: SEARCHPARAMETER_MISSING_COMPONENTS."""
    two = composite(CORE + "clinical-code", CORE + "Observation-value-quantity")
    assert found(two) == []
    assert found(composite(CORE + "clinical-code")) == [("search-parameter", "SearchParameter")]
    assert found(composite()) == [("search-parameter", "SearchParameter")]
