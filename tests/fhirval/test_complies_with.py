"""A profile claiming to comply with another (``structuredefinition-compliesWithProfile``): HL7's
StructureDefinitionValidator.validateStructureDefinition (SD_EXTENSION_COMPLIES_WITH_UNKNOWN, _ERROR) with
CompliesWithChecker. Synthetic profiles on R4's Patient."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_agreement_classes import definitions, found

CLAIM = "http://hl7.org/fhir/StructureDefinition/structuredefinition-compliesWithProfile"
CORE = "http://hl7.org/fhir/StructureDefinition/"
AUTHORITY = "http://example.org/StructureDefinition/authority"


def patient_profile(url: str, *elements: dict[str, Any], claims: tuple[str, ...] = ()) -> dict[str, Any]:
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1].title(), "status": "draft",
        "kind": "resource", "abstract": False, "type": "Patient", "baseDefinition": CORE + "Patient",
        "derivation": "constraint", "differential": {"element": [{"id": "Patient", "path": "Patient"}, *elements]}}
    if claims:
        sd["extension"] = [{"url": CLAIM, "valueCanonical": c} for c in claims]
    return sd


def authority() -> dict[str, Any]:
    return patient_profile(
        AUTHORITY,
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        {"id": "Patient.identifier:mrn", "path": "Patient.identifier", "sliceName": "mrn", "min": 1, "max": "1"},
        {"id": "Patient.identifier:mrn.system", "path": "Patient.identifier.system", "fixedUri": "urn:oid:1.2.3"},
        {"id": "Patient.gender", "path": "Patient.gender", "fixedCode": "female"},
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1})


def claim_issues(claimee: dict[str, Any], source: Any) -> list[tuple[str, str, str]]:
    return [(s, d, loc) for s, d, loc in found(claimee, source) if d in ("complies-with", "unknown-profile")]


def test_a_profile_that_complies_with_its_claim_passes(tmp_path: Path) -> None:
    source = definitions(tmp_path, authority())
    claimee = authority()
    claimee.update(url="http://example.org/StructureDefinition/claimee", name="Claimee",
                   extension=[{"url": CLAIM, "valueCanonical": AUTHORITY}])
    assert claim_issues(claimee, source) == []


def test_a_profile_looser_than_its_claim_fails_once_per_claim(tmp_path: Path) -> None:
    # min 0 where the claim has 1, no fixed gender, identifier unsliced where the claim requires a slice
    source = definitions(tmp_path, authority())
    claimee = patient_profile("http://example.org/StructureDefinition/claimee",
                              {"id": "Patient.gender", "path": "Patient.gender", "fixedCode": "male"},
                              claims=(AUTHORITY,))
    assert claim_issues(claimee, source) == [("error", "complies-with", "StructureDefinition")]
    message = next(i.message for i in validate_resource(claimee, source) if i.defect == "complies-with")
    problems = message.split("because: ", 1)[1].split("; ")  # CompliesWithChecker's messages, joined
    assert len(problems) == 3
    assert any("Patient.identifier" in p and "no slicing" in p for p in problems)
    assert any("fixed" in p and "Patient.gender" in p for p in problems)
    assert any("min" in p and "Patient.birthDate" in p for p in problems)


def test_a_claim_on_another_type_fails(tmp_path: Path) -> None:
    other = patient_profile("http://example.org/StructureDefinition/obs")
    other.update(type="Observation", baseDefinition=CORE + "Observation",
                 differential={"element": [{"id": "Observation", "path": "Observation"}]})
    source = definitions(tmp_path, other)
    claimee = patient_profile("http://example.org/StructureDefinition/claimee", claims=(other["url"],))
    assert claim_issues(claimee, source) == [("error", "complies-with", "StructureDefinition")]


def test_a_claimed_profile_not_loaded_is_an_error_as_in_hl7() -> None:
    claimee = patient_profile("http://example.org/StructureDefinition/claimee",
                              claims=("http://example.org/StructureDefinition/nowhere",))
    assert claim_issues(claimee, None) == [("error", "unknown-profile", "StructureDefinition")]


def test_a_structure_whose_base_is_not_loaded_is_not_judged() -> None:
    claimee = patient_profile("http://example.org/StructureDefinition/claimee",
                              claims=("http://example.org/StructureDefinition/nowhere",))
    claimee["baseDefinition"] = "http://example.org/StructureDefinition/base-not-loaded"
    assert claim_issues(claimee, None) == []


def test_a_profile_derived_from_its_claim_complies(tmp_path: Path) -> None:
    source = definitions(tmp_path, authority())
    claimee = patient_profile("http://example.org/StructureDefinition/claimee",
                              {"id": "Patient.birthDate", "path": "Patient.birthDate", "mustSupport": True},
                              claims=(AUTHORITY,))
    claimee["baseDefinition"] = AUTHORITY
    assert claim_issues(claimee, source) == []


def test_a_claimed_profile_whose_snapshot_cannot_be_generated_is_an_error() -> None:
    # HL7's fetchResource finds it; its DefinitionNavigator refuses a structure without a snapshot
    # (ERROR_PROCESSING_SNAPSHOT): an error, not an unknown profile
    from tests.fhirval.test_snapshot_refusals import _source, make

    refused = make("Patient", {"path": "Patient.gender", "type": [{"code": "ContactPoint"}]})
    claimee = patient_profile("http://example.org/StructureDefinition/claimee", claims=(refused["url"],))
    assert claim_issues(claimee, _source(refused)) == [("error", "complies-with", "StructureDefinition")]
