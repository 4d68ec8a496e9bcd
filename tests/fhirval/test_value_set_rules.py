"""A ValueSet's filter values and stored expansion, as HL7's ValueSetValidator (VALUESET_BAD_FILTER_EXPR_AND_VALUE,
_EXPR_OR_VALUE, VALUESET_BAD_FILTER_VALUE_VALID_REGEX, VALUESET_EXPANSION_PARAMETER_SYSTEM_MULTIPLE)."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.value_set_rules import regex_problem
from tests.fhirval.test_agreement_classes import errors

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}
SYSTEM = "http://example.org/CodeSystem/unheld"
EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression"


def value_set(**flt: Any) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "text": NARRATIVE, "url": "http://example.org/ValueSet/synthetic",
            "status": "draft", "compose": {"include": [{"system": SYSTEM, "filter": [flt]}]}}


def rule_errors(vs: dict[str, Any]) -> list[str]:
    return [loc for d, loc in errors(vs) if d == "value-set-rule"]


def test_a_regex_filter_value_compiles() -> None:
    assert rule_errors(value_set(property="code", op="regex", value="[A-Z]{2}[0-9]+")) == []
    assert rule_errors(value_set(property="code", op="regex", value="([A-Z]")) == [
        "ValueSet.compose.include[0].filter[0].value"]
    # not a known filter property: HL7's checker has no rules for it, so nothing is judged
    assert rule_errors(value_set(property="unknown", op="regex", value="([A-Z]")) == []


def test_only_failures_java_shares_count() -> None:
    for bad in ("[a-", "*a", "a)", "z-a]".join("[]"), "a\\"):
        assert regex_problem(bad) is not None, bad
    # Java reads these (Unicode classes, a named group, inline flags mid-pattern, a backreference)
    for java in ("\\p{L}+", "(?<year>[0-9]{4})", "a(?i)b", "(a)\\2", "[a-z&&[^q]]"):
        assert regex_problem(java) is None, java


def test_a_filter_has_a_value_or_an_expression_not_both() -> None:
    expression = {"extension": [{"url": EXPRESSION, "valueExpression": {"language": "text/fhirpath",
                                                                         "expression": "'x'"}}]}
    both = value_set(property="code", op="=", value="x", _value=copy.deepcopy(expression))
    assert rule_errors(both) == ["ValueSet.compose.include[0].filter[0].value"]
    neither = value_set(property="code", op="=", _value={"extension": [
        {"url": "http://example.org/other", "valueString": "x"}]})
    assert rule_errors(neither) == ["ValueSet.compose.include[0].filter[0].value"]
    assert rule_errors(value_set(property="code", op="=", _value=expression)) == []


def test_an_unversioned_system_in_an_expansion_names_one_used_version() -> None:
    vs = value_set(property="code", op="=", value="x")
    vs["expansion"] = {"timestamp": "2026-01-01T00:00:00Z", "parameter": [
        {"name": "used-codesystem", "valueUri": SYSTEM + "|1"}, {"name": "used-codesystem", "valueUri": SYSTEM + "|2"}],
        "contains": [{"system": SYSTEM, "code": "x"}]}
    assert rule_errors(copy.deepcopy(vs)) == ["ValueSet.expansion"]
    vs["expansion"]["contains"][0]["version"] = "1"
    assert rule_errors(copy.deepcopy(vs)) == []
    del vs["expansion"]["contains"][0]["version"]
    vs["expansion"]["parameter"].pop()
    assert rule_errors(vs) == []


def test_an_oid_system_that_identifies_a_held_code_system_names_its_url() -> None:
    """VALUESET_INCLUDE_WRONG_CS_OID: the include names a held CodeSystem by its OID identifier, not its URL; an
    OID no CodeSystem here carries is left alone."""
    cs = {"resourceType": "CodeSystem", "url": "http://example.org/CodeSystem/oid", "status": "draft",
          "content": "complete", "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.3.4.5"}],
          "concept": [{"code": "a"}]}
    source = LayeredSource([base_source(), MemorySource([cs])])
    vs = value_set(property="code", op="=", value="x")
    vs["compose"]["include"] = [{"system": "urn:oid:1.2.3.4.5", "concept": [{"code": "a"}]}]
    assert [loc for d, loc in errors(copy.deepcopy(vs), source) if d == "value-set-rule"] == [
        "ValueSet.compose.include[0]"]
    vs["compose"]["include"][0]["system"] = "urn:oid:1.2.3.4.6"
    assert [loc for d, loc in errors(vs, source) if d == "value-set-rule"] == []
