"""A coding naming a version of a code system held here at other versions only (fvterm5): HL7's
UNKNOWN_CODESYSTEM_VERSION (ValueSetValidator.getUnknownCodeSystemMessage / resolveCodeSystemVersions), at the
severity InstanceValidator.getTxIssueWithCalculatedSeverity gives a ``not-found`` issue. Each case a small synthetic
resource; before the rule, such a coding got only an information issue ("not held locally: the code was not
checked")."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.terminology_versions import unknown_version, version_list
from conformance.fhirval.validate import validate_resource

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
MESSAGE = "A definition for CodeSystem '{}' version '{}' could not be found, so the code cannot be validated."


def _condition(version: str, *, category_version: str | None = None) -> dict[str, Any]:
    category: dict[str, Any] = {"system": CATEGORY, "code": "encounter-diagnosis"}
    if category_version is not None:
        category["version"] = category_version
    return {"resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": CLINICAL, "version": version, "code": "active"}]},
            "category": [{"coding": [category]}],
            "subject": {"reference": "Patient/p"}}


def _issues(resource: dict[str, Any], source: Any = None) -> list[tuple[str, str, str]]:
    return [(i.severity, i.location, i.message) for i in validate_resource(resource, source or base_source())
            if i.defect == "code-system-unknown" and i.severity != "information"]


def test_a_required_binding_to_an_hl7_code_system_at_a_version_not_held_is_an_error() -> None:
    # ext-context1's clinicalStatus (left-out corpus): HL7 "... version '0.5.0' could not be found, so the code
    # cannot be validated. Valid versions: 3.0.0 or 4.0.1", an error (required binding, an HL7 code system)
    found = _issues(_condition("0.5.0"))
    assert [(s, loc) for s, loc, _m in found] == [("error", "Condition.clinicalStatus.coding[0].system")]
    assert found[0][2].startswith(MESSAGE.format(CLINICAL, "0.5.0") + " Valid versions: ")
    assert "4.0.1" in found[0][2]


def test_a_version_held_whole_or_in_part_is_no_issue() -> None:
    assert _issues(_condition("4.0.1")) == []
    assert _issues(_condition("4.0")) == []  # a prefix of a held version (VersionUtilities)


def test_another_strength_gives_a_warning() -> None:
    # Condition.category is bound extensibly: not-found is a warning (getTxIssueWithCalculatedSeverity)
    found = _issues(_condition("4.0.1", category_version="0.1.0"))
    assert [(s, loc) for s, loc, _m in found] == [("warning", "Condition.category[0].coding[0].system")]


def test_a_code_system_not_of_hl7_gives_a_warning_under_a_required_binding() -> None:
    system = "https://conformance.example/cs/colours"
    extra = MemorySource([
        {"resourceType": "CodeSystem", "url": system, "version": "2.0", "status": "active", "content": "complete",
         "concept": [{"code": "red"}]},
        {"resourceType": "ValueSet", "url": "https://conformance.example/vs/colours", "status": "active",
         "compose": {"include": [{"system": system}]}},
        {"resourceType": "StructureDefinition", "url": "https://conformance.example/sd/basic-colour",
         "name": "BasicColour", "status": "active", "kind": "resource", "abstract": False, "type": "Basic",
         "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Basic", "derivation": "constraint",
         "differential": {"element": [{"id": "Basic.code", "path": "Basic.code", "binding": {
             "strength": "required", "valueSet": "https://conformance.example/vs/colours"}}]}},
    ])
    source = LayeredSource([extra, base_source()])
    basic = {"resourceType": "Basic", "meta": {"profile": ["https://conformance.example/sd/basic-colour"]},
             "code": {"coding": [{"system": system, "version": "1.0", "code": "red"}]}}
    found = _issues(basic, source)
    assert [(s, loc) for s, loc, _m in found] == [("warning", "Basic.code.coding[0].system")]
    assert found[0][2] == MESSAGE.format(system, "1.0") + " Valid versions: 2.0"


def test_snomed_and_loinc_releases_and_systems_not_held_are_left_alone() -> None:
    term = Terminology(base_source(), find_package=False)
    assert unknown_version(term, "http://snomed.info/sct", "http://snomed.info/sct/900000000000207008") is None
    assert unknown_version(term, "http://loinc.org", "2.50") is None
    assert unknown_version(term, "https://conformance.example/not-held", "1") is None
    assert unknown_version(term, "http://hl7.org/fhir/administrative-gender", "4.0.1") is None
    assert unknown_version(term, "http://hl7.org/fhir/administrative-gender", "3.0.1") == ["4.0.1"]


def test_the_versions_are_listed_as_hl7_lists_them() -> None:
    # ValueSetProcessBase.presentVersionList
    assert version_list(["4.0.1"]) == "4.0.1"
    assert version_list(["4.0.1", "3.0.0"]) == "3.0.0 or 4.0.1"
    assert version_list(["3", "1", "2"]) == "1, 2 or 3"
