"""A parameterised ValueSet's filter expression is FHIRPath, parses and names only declared parameters, as HL7's
ValueSetValidator (VALUESET_BAD_FILTER_EXPR_LANG / _VALUE / _PARAM_NAME)."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

PARAM = "http://hl7.org/fhir/tools/StructureDefinition/valueset-parameter"
EXPR = "http://hl7.org/fhir/StructureDefinition/cqf-expression"


def value_set(expression: str, language: str = "text/fhirpath", prop: str = "inactive") -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/p", "status": "active",
            "extension": [{"url": PARAM, "extension": [{"url": "name", "valueCode": "p-inactive"},
                                                       {"url": "documentation", "valueMarkdown": "inactive or not"}]}],
            "compose": {"include": [{"system": "http://example.org/cs", "filter": [{
                "property": prop, "op": "=", "_value": {"extension": [{"url": EXPR, "valueExpression": {
                    "language": language, "expression": expression}}]}}]}]}}


def rules(vs: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(vs) if e[0] == "value-set-rule"]


def test_a_declared_parameter_in_a_fhirpath_expression_is_accepted() -> None:
    assert rules(value_set("%p-inactive")) == []
    assert rules(value_set("%p-inactive.not()")) == []


def test_an_undeclared_parameter_a_bad_expression_or_another_language_is_an_error() -> None:
    at = "ValueSet.compose.include[0].filter[0]._value.extension[0].valueExpression"
    assert rules(value_set("%p-inactive3")) == [("value-set-rule", at)]
    assert rules(value_set("$ and %p-inactive")) == [("value-set-rule", at)]
    assert rules(value_set("%p-inactive", language="text/cql")) == [("value-set-rule", at)]


def test_a_property_hl7_has_no_rules_for_is_left_alone() -> None:
    assert rules(value_set("%p-inactive3", prop="somethingElse")) == []
