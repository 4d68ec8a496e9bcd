"""HL7's FHIRPath extension ``slice(structure, name)`` with ``%profile`` (InstanceValidator.executeSlice):
fhir-test-cases slice-instance, found by bench/fhir_issue_alignment.py --kind profile (other-versions corpus)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

URL = "http://example.test/StructureDefinition/sliced-telecom"


def profile(expression: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": URL, "name": "T", "status": "draft", "kind": "resource",
            "abstract": False, "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Patient.telecom", "path": "Patient.telecom",
                 "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
                 "constraint": [{"key": "spt-1", "severity": "error", "human": "Phone numbers must have a use",
                                 "expression": expression}]},
                {"id": "Patient.telecom:phone", "path": "Patient.telecom", "sliceName": "phone"},
                {"id": "Patient.telecom:phone.system", "path": "Patient.telecom.system", "fixedCode": "phone"},
                {"id": "Patient.telecom:email", "path": "Patient.telecom", "sliceName": "email"},
                {"id": "Patient.telecom:email.system", "path": "Patient.telecom.system", "fixedCode": "email"}]}}


PATIENT = {"resourceType": "Patient", "telecom": [
    {"system": "phone", "value": "1", "use": "home"}, {"system": "email", "value": "a@b.c"},
    {"system": "phone", "value": "2"}, {"system": "email", "value": "d@e.f", "use": "home"}]}


def issues(expression: str) -> list[tuple[str, str, str]]:
    source = LayeredSource([base_source(), MemorySource([profile(expression)])])
    return [(i.severity, i.defect, i.location) for i in validate_resource(PATIENT, source, (URL,))
            if i.defect.startswith("invariant") and i.location.startswith("Patient.telecom")]


def test_slice_of_the_profile_being_walked_selects_the_focus_when_it_is_in_that_slice() -> None:
    # only the phone without a use fails; the email without one is in another slice
    assert issues("slice(%profile, 'phone').all(use.exists())") == [("error", "invariant", "Patient.telecom[2]")]


def test_slice_of_another_profile_is_not_evaluated_rather_than_guessed() -> None:
    got = issues("slice('http://example.test/other', 'phone').all(use.exists())")
    assert got and {d for _, d, _ in got} == {"invariant-not-evaluated"}
