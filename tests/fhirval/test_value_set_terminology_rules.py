"""A ValueSet's include system and filters against a CodeSystem held here (terminology_rules.py), as HL7's
ValueSetValidator: each rule with a compose that breaks it and one that keeps it."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

CS = "https://conformance.example/cs/fruit"
FRUIT: dict[str, Any] = {
    "resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete", "hierarchyMeaning": "is-a",
    "property": [{"code": "sweet", "type": "boolean"}, {"code": "weight", "type": "decimal"},
                 {"code": "grower", "type": "code"}],
    "filter": [{"code": "sweet", "operator": ["="], "value": "true or false"}],
    "concept": [{"code": "apple", "concept": [{"code": "bramley"}]}, {"code": "pear"}]}
SUPPLEMENT: dict[str, Any] = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs/fruit-fr",
                              "status": "active", "content": "supplement", "supplements": CS}
NAMED_VS = "https://conformance.example/vs/named"


WHERE = "ValueSet.compose.include[0].filter[0]"


def errors_of(compose: dict[str, Any]) -> list[tuple[str, str]]:
    named = {"resourceType": "ValueSet", "url": NAMED_VS, "status": "active",
             "compose": {"include": [{"system": CS}]}}
    source = LayeredSource([base_source(), MemorySource([FRUIT, SUPPLEMENT, named])])
    vs = {"resourceType": "ValueSet", "url": "https://conformance.example/vs/t", "status": "active",
          "compose": compose}
    return [(i.defect, i.location) for i in validate_resource(vs, source) if i.is_error]


def _filter(prop: str, op: str, value: str) -> dict[str, Any]:
    return {"include": [{"system": CS, "filter": [{"property": prop, "op": op, "value": value}]}]}


def test_the_system_is_a_code_system_not_a_supplement_or_a_value_set() -> None:
    assert errors_of({"include": [{"system": CS}]}) == []
    assert errors_of({"include": [{"system": SUPPLEMENT["url"]}]}) == [
        ("value-set-rule", "ValueSet.compose.include[0].system")]
    assert errors_of({"include": [{"system": NAMED_VS}]}) == [("value-set-rule", "ValueSet.compose.include[0].system")]


def test_a_concept_filter_names_a_code_of_the_system_with_a_hierarchy_operator() -> None:
    assert errors_of(_filter("concept", "is-a", "apple")) == []
    assert errors_of(_filter("concept", "is-a", "kiwi")) == [("value-set-rule", f"{WHERE}.value")]
    assert errors_of(_filter("concept", "regex", "a.*")) == [
        ("value-set-rule", f"{WHERE}.op"),
        ("value-set-rule", f"{WHERE}.property")]
    assert errors_of(_filter("concept", "in", "apple,kiwi")) == [
        ("value-set-rule", f"{WHERE}.value")]


def test_a_property_filter_uses_its_declared_operators_and_value_type() -> None:
    assert errors_of(_filter("sweet", "=", "true")) == []
    assert errors_of(_filter("sweet", "=", "yes")) == [("value-set-rule", f"{WHERE}.value")]
    assert errors_of(_filter("sweet", "is-a", "true")) == [("value-set-rule", f"{WHERE}.op")]
    assert errors_of(_filter("weight", "=", "1.5")) == []
    assert errors_of(_filter("weight", "=", "heavy")) == [
        ("value-set-rule", f"{WHERE}.value")]
    assert errors_of(_filter("grower", "=", "anyone")) == []  # a code property: HL7 only warns on unknown codes
    assert errors_of(_filter("grower", "exists", "maybe")) == [
        ("value-set-rule", f"{WHERE}.value")]


def test_an_unknown_property_is_not_judged() -> None:
    assert errors_of(_filter("colour", "=", "red")) == []


def test_a_system_carries_no_version() -> None:
    # VALUESET_REFERENCE_INVALID_TYPE_NO_VERSION_1/_2/_3: the version goes in include.version; '|' alone is a warning
    other = "https://conformance.example/cs/other"
    at = [("value-set-rule", "ValueSet.compose.include[0].system")]
    assert errors_of({"include": [{"system": other, "version": "2"}]}) == []
    assert errors_of({"include": [{"system": other + "|"}]}) == []
    assert errors_of({"include": [{"system": other + "|2"}]}) == at
    assert errors_of({"include": [{"system": other + "|2", "version": "3"}]}) == at
    assert errors_of({"include": [{"system": other + "|2", "version": "2"}]}) == at
