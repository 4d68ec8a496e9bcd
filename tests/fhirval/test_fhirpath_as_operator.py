"""``x as T`` as HL7's FHIRPath engine runs it for R4 (FHIRPathEngine.initFlags: doNotEnforceAsCaseSensitive and
doNotEnforceAsSingletonRule unless R5): the type name as written against each item's fhirType(), ignoring case,
without inheritance. fhirpathpy's strict reading made ``value as String`` empty and failed profile invariants
(KBV's ``(address.line[0].extension(...).value as String) = 'Musterstr.'``) that HL7 passes in R4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval import invariants
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_resource

OBS: dict[str, Any] = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"},
                       "valueString": "abc", "effectiveDateTime": "2020-01-01",
                       "component": [{"code": {"text": "c"}, "valueInteger": 3}]}


@pytest.mark.parametrize(("expression", "answer"), [
    ("(value as String) = 'abc'", [True]),  # 'String'.equalsIgnoreCase('string')
    ("(value as string) = 'abc'", [True]),
    ("(effective as DateTime).exists()", [True]),
    ("(component.value as Integer) = 3", [True]),
    ("('abc' as String) = 'abc'", [True]),  # a literal's fhirType() is string
    ("(status as code) = 'final'", [True]),
    ("(status as String).exists()", [False]),  # code is not string to opAs: no inheritance
    ("(value as System.String).exists()", [False]),  # the qualified name compared whole: 'System.String' != 'string'
    ("(value as FHIR.string).exists()", [False]),
    ("(code as CodeableConcept).exists()", [True]),
    ("(@2015 as DateTime).exists()", [False]),  # a date literal is HL7's DateType, fhirType() 'date' (review16)
    ("(today() as DateTime).exists()", [False]),  # funcToday: a DateType too
    ("(@2015-01-01T10:00:00Z as DateTime).exists()", [True]),
])
def test_as_operator_reads_type_names_as_hl7s_r4_engine(expression: str, answer: list[Any]) -> None:
    assert invariants.evaluate(expression, OBS, "Observation", OBS, OBS) == answer


def test_the_function_form_keeps_its_own_rules() -> None:
    """funcAs prefixes FHIR. and looks the type up (no FHIR type 'String': HL7 throws, the invariant fails), so
    ``.as(String)`` is no match here either, and ``.as(string)`` is."""
    assert invariants.evaluate("value.as(String) = 'abc'", OBS, "Observation", OBS, OBS) == []
    assert invariants.evaluate("value.as(string) = 'abc'", OBS, "Observation", OBS, OBS) == [True]


def test_a_profile_invariant_using_as_string_passes(tmp_path: Path) -> None:
    street = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetName"
    url = "https://conformance.example/fhir/StructureDefinition/street-patient"
    sd = {"resourceType": "StructureDefinition", "id": "street-patient", "url": url, "name": "StreetPatient",
          "status": "draft", "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
          "differential": {"element": [{"id": "Patient", "path": "Patient", "constraint": [
              {"key": "str-1", "severity": "error", "human": "street name readable",
               "expression": f"(address.line[0].extension('{street}').value as String) = 'Main St'"}]}]}}
    (tmp_path / "sd.json").write_text(json.dumps(sd))
    patient = {"resourceType": "Patient", "id": "p", "address": [{"line": ["1 Main St"], "_line": [
        {"extension": [{"url": street, "valueString": "Main St"}]}]}]}
    errors = [i for i in validate_resource(patient, load_definitions([tmp_path / "sd.json"]), (url,)) if i.is_error]
    assert errors == []
    patient["address"][0]["_line"][0]["extension"][0]["valueString"] = "High St"
    errors = [i for i in validate_resource(patient, load_definitions([tmp_path / "sd.json"]), (url,)) if i.is_error]
    assert [i.message.split(":")[1].strip() for i in errors] == ["str-1"]
