"""A parameterised ValueSet's filter expression is FHIRPath, parses and names only declared parameters, as HL7's
ValueSetValidator (VALUESET_BAD_FILTER_EXPR_LANG / _VALUE / _PARAM_NAME)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

PARAM = "http://hl7.org/fhir/tools/StructureDefinition/valueset-parameter"
EXPR = "http://hl7.org/fhir/StructureDefinition/cqf-expression"


def value_set(expression: str, language: str = "text/fhirpath", prop: str = "inactive",
              system: str = "http://example.org/cs") -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/p", "status": "active",
            "extension": [{"url": PARAM, "extension": [{"url": "name", "valueCode": "p-inactive"},
                                                       {"url": "documentation", "valueMarkdown": "inactive or not"}]}],
            "compose": {"include": [{"system": system, "filter": [{
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


def test_a_percent_inside_a_string_literal_or_comment_is_no_constant() -> None:
    assert rules(value_set("'50%off'")) == []  # the constants come from the parsed tree, not the text
    assert rules(value_set("%p-inactive // %p-comment")) == []
    at = "ValueSet.compose.include[0].filter[0]._value.extension[0].valueExpression"
    assert rules(value_set("'50%off' | %p-other")) == [("value-set-rule", at)]


def test_a_checker_without_rules_for_the_property_judges_no_expression(tmp_path: Path) -> None:
    """CPTChecker.rulesForFilter is null for concept and inactive, LoincChecker's for inactive, and
    CodeSystemBasedChecker's for a property the CodeSystem defines as a string (ValueSetValidator ~641)."""
    at = "ValueSet.compose.include[0].filter[0]._value.extension[0].valueExpression"
    cpt, loinc = "http://www.ama-assn.org/go/cpt", "http://loinc.org"
    assert rules(value_set("%p-other", prop="concept", system=cpt)) == []
    assert rules(value_set("%p-other", language="text/cql", system=cpt)) == []
    assert rules(value_set("%p-other", system=loinc)) == []
    assert rules(value_set("%p-other", prop="concept", system=loinc)) == [("value-set-rule", at)]
    cs = {"resourceType": "CodeSystem", "url": "http://example.org/cs", "status": "active", "content": "complete",
          "property": [{"code": "inactive", "type": "string"}], "concept": [{"code": "a"}]}
    assert [e for e in errors(value_set("%p-other"), definitions(tmp_path, cs)) if e[0] == "value-set-rule"] == []
    cs["property"] = [{"code": "inactive", "type": "boolean"}]
    assert [e for e in errors(value_set("%p-other"), definitions(tmp_path, cs))
            if e[0] == "value-set-rule"] == [("value-set-rule", at)]
