"""Mends the seventh review of the issue-21 validator work confirmed: string functions and ``as`` on several
items (HL7's engine does not enforce the singleton rule for R4), a partial date's toString(), and tracebacks on
malformed meta.profile / CodeSystem.property.uri / ValueSet filter property. Each test fails without its mend."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.invariants import evaluate
from conformance.fhirval.validate import validate_resource

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "gender": "male",
    "name": [{"family": "x", "given": ["Peter", "James"]}, {"given": ["Jim"]}],
    "identifier": [{"system": "http://a"}, {"system": "http://b"}],
}


def ours(expression: str, resource: dict[str, Any] = PATIENT) -> list[Any]:
    return evaluate(expression, resource, resource["resourceType"], resource, resource)


def test_starts_with_judges_the_first_of_several_items() -> None:
    """FHIRPathEngine.funcStartsWith reads focus.get(0); R4 does not enforce the singleton rule
    (InstanceValidator ``fpe.setDoNotEnforceAsSingletonRule(!isR5Plus)``). It answered empty, failing the
    invariant ``name.given.startsWith('P')`` on a valid patient."""
    assert ours("name.given.startsWith('P')") == [True]
    assert ours("name.given.startsWith('J')") == [False]
    assert ours("identifier.system.startsWith('http')") == [True]
    assert ours("name.given.where(false).startsWith('P')") == []


def test_string_functions_on_a_non_string_are_empty_not_an_error() -> None:
    """funcStartsWith / funcContains / funcMatchesFull: an item not of FHIR_TYPES_STRING answers nothing
    (ours raised, so the invariant was "not evaluated")."""
    assert ours("identifier.first().startsWith('x')") == []
    assert ours("identifier.first().contains('x')") == []
    assert ours("identifier.first().matchesFull('x')") == []
    assert ours("identifier.first().startsWith('')") == [True]  # an empty argument: true before the type


def test_contains_and_matches_full_on_several_items_as_hl7() -> None:
    """funcContains: ``focus.size() != 1`` is empty; funcMatchesFull: not one item is false."""
    assert ours("name.given.contains('P')") == []
    assert ours("name.given.matchesFull('P.*')") == [False]
    assert ours("name.given.first().matchesFull('P.*')") == [True]


def test_as_filters_several_items() -> None:
    """FHIRPathEngine.funcAs throws FHIRPATH_AS_COLLECTION only when the singleton rule is enforced (R5+);
    for R4 it filters, as ofType does. Ours raised, so such an invariant was never evaluated (a missed error)."""
    assert ours("name.as(HumanName).count()") == [2]
    assert ours("(name as HumanName).exists()") == [True]
    assert ours("name.given.as(string).empty()") == [False]
    assert ours("identifier.as(HumanName).empty()") == [True]


def test_to_string_of_a_partial_date_is_the_literal() -> None:
    """FHIRPathEngine.convertToString gives a date's value as written; str() of fhirpathpy's FP_DateTime
    filled in today's day (``'2020-01-06T00:00:00'``), so the answer depended on the date."""
    assert ours("@2020-01.toString()") == ["2020-01"]
    assert ours("@2020-01-02.toString()") == ["2020-01-02"]
    assert ours("@2020-01-02T10:00:00+01:00.toString()") == ["2020-01-02T10:00:00+01:00"]
    assert ours("@T10:00.toString()") == ["10:00"]
    assert ours("@2020-01.toString() = '2020-01'") == [True]


def _errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.location, i.message) for i in validate_resource(resource, base_source()) if i.severity == "error"]


def test_meta_profile_not_a_list_is_a_structural_error() -> None:
    """elements.py read ``claimed or ()`` and iterated an int: TypeError."""
    found = _errors({"resourceType": "Patient", "meta": {"profile": 5}})
    assert any("profile" in loc for loc, _ in found), found


def test_code_system_property_uri_a_list_is_a_structural_error() -> None:
    """code_system_rules.py looked a list up in a set: unhashable."""
    found = _errors({"resourceType": "CodeSystem", "status": "active", "content": "complete",
                     "property": [{"code": "p", "type": "code", "uri": ["x"]}]})
    assert any("uri" in loc for loc, _ in found), found


def test_value_set_filter_property_a_list_is_a_structural_error() -> None:
    """value_set_parameters.py looked a list up in a set: unhashable."""
    found = _errors({"resourceType": "ValueSet", "status": "active", "compose": {"include": [{
        "system": "http://snomed.info/sct", "filter": [{"property": ["concept"], "op": "is-a", "value": "1"}]}]}})
    assert any("property" in loc for loc, _ in found), found
