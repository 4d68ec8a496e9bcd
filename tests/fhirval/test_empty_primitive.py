"""An empty primitive value fails ele-1 as well as the empty-value check, unless it has an extension
(InstanceValidator TYPE_SPECIFIC_CHECKS_DT_PRIMITIVE_NOTEMPTY plus ele-1, FHIRPath hasValue() false for "")."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes, validate_resource


def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error)


def test_empty_string_fails_ele_1_too() -> None:
    assert errors({"resourceType": "Patient", "gender": "male", "name": [{"family": ""}]}) == [
        ("empty-value", "Patient.name[0].family"), ("invariant", "Patient.name[0].family")]


def test_empty_string_with_an_extension_is_not_ele_1() -> None:
    ext = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
    assert errors({"resourceType": "Patient", "birthDate": "", "_birthDate": {"extension": [ext]}}) == [
        ("empty-value", "Patient.birthDate")]
    assert errors({"resourceType": "Patient", "birthDate": "", "_birthDate": {"id": "x"}}) == [
        ("empty-value", "Patient.birthDate"), ("invariant", "Patient.birthDate")]


def test_empty_extension_url_in_xml() -> None:
    xml = ('<Patient xmlns="http://hl7.org/fhir"><extension url=""><valueString value="x"/></extension>'
           '</Patient>')
    found = sorted((i.defect, i.location) for i in validate_bytes(xml, base_source()) if i.is_error)
    assert ("invariant", "Patient.extension[0].url") in found
    assert ("empty-value", "Patient.extension[0].url") in found
