"""Must-support: which elements a profile flags, and whether a returned resource has a value there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suites.fhir_profiles.judge import must_support, present

PROFILES = Path(__file__).resolve().parents[3] / "profiles" / "fhir"
PATIENT = {"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
                                                      "value": "9990000018"}],
           "name": [{"family": "Test", "given": ["Alex"]}], "gender": "female"}


def test_the_sandbox_profiles_flag_their_must_support_elements() -> None:
    patient = json.loads((PROFILES / "SandboxPatient.json").read_text())
    assert must_support(patient) == ["Patient.identifier", "Patient.identifier:nhsNumber", "Patient.name",
                                     "Patient.gender", "Patient.birthDate"]
    observation = json.loads((PROFILES / "SandboxObservation.json").read_text())
    assert "Observation.effective[x]" in must_support(observation)


@pytest.mark.parametrize(("path", "expected"), [
    ("Patient.identifier", True), ("Patient.identifier:nhsNumber", True), ("Patient.identifier.value", True),
    ("Patient.name.given", True), ("Patient.gender", True), ("Patient.birthDate", False),
    ("Patient.telecom", False), ("Patient.name.prefix", False),
])
def test_presence_by_element_path(path: str, expected: bool) -> None:
    assert present(PATIENT, path) is expected


def test_choice_types_and_empty_values() -> None:
    observation = {"resourceType": "Observation", "effectiveDateTime": "2026-01-01", "valueQuantity": {}}
    assert present(observation, "Observation.effective[x]")
    assert not present(observation, "Observation.value[x]")  # an empty object is no value
    assert not present({"resourceType": "Observation", "effective": "x"}, "Observation.effective[x]")


def test_a_definition_the_harness_lacks_is_not_judged_a_real_error_is(tmp_path: Path) -> None:
    """HL7's validator calls a reference's target profile that no loaded package defines an error
    (REFERENCE_REF_CANTRESOLVEPROFILE): the suite keeps it apart, as the harness's lack, never the system's fault."""
    from conformance.fhirval.layered import load_definitions
    from suites.fhir_profiles.judge import errors

    missing = "https://example.org/fhir/StructureDefinition/NotLoaded"
    url = "https://example.org/fhir/StructureDefinition/OrgPatient"
    (tmp_path / "sd.json").write_text(json.dumps({
        "resourceType": "StructureDefinition", "url": url, "name": "OrgPatient", "status": "active",
        "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "differential": {"element": [
            {"id": "Patient.managingOrganization", "path": "Patient.managingOrganization",
             "type": [{"code": "Reference", "targetProfile": [missing]}]}]}}))
    source = load_definitions([tmp_path / "sd.json"])
    patient = {**PATIENT, "contained": [{"resourceType": "Organization", "id": "o", "name": "Org"}],
               "managingOrganization": {"reference": "#o"}}
    found, lacks = errors(patient, source, [url])
    assert found == [] and len(lacks) == 2 and missing in lacks[0] and "[unknown-profile]" in lacks[1]
    found, lacks = errors({**patient, "gender": "neither"}, source, [url])
    assert found and all("Patient.gender" in line for line in found) and len(lacks) == 2
    assert errors(PATIENT, source, [url]) == ([], [])
