"""A coding naming a version of a code system held here at other versions only (fvterm5): HL7's
UNKNOWN_CODESYSTEM_VERSION (ValueSetValidator.getUnknownCodeSystemMessage / resolveCodeSystemVersions), at the
severity InstanceValidator.getTxIssueWithCalculatedSeverity gives a ``not-found`` issue. Each case a small synthetic
resource; before the rule, such a coding got only an information issue ("not held locally: the code was not
checked")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.options import Options
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.terminology_versions import unknown_version, version_list
from conformance.fhirval.validate import validate_resource

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
MESSAGE = "A definition for CodeSystem '{}' version '{}' could not be found, so the code cannot be validated."


@pytest.fixture
def tho(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in HL7 Terminology package holding condition-clinical and condition-category at 3.0.0: HL7's
    context always has THO, so the rule judges an HL7 Terminology system only when that package was found."""
    folder = tmp_path / "tho" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": "hl7.terminology.r4", "version": "0.0.1-test"}))
    for url in (CLINICAL, CATEGORY):
        name = url.rsplit("/", 1)[-1]
        (folder / f"CodeSystem-{name}.json").write_text(json.dumps({
            "resourceType": "CodeSystem", "id": name, "url": url, "version": "3.0.0", "status": "active",
            "content": "complete", "concept": [{"code": "active"}, {"code": "encounter-diagnosis"}]}))
    monkeypatch.setenv("CONFORMANCE_TERMINOLOGY_PACKAGE", str(tmp_path / "tho"))
    return folder


def _condition(version: str, *, category_version: str | None = None) -> dict[str, Any]:
    category: dict[str, Any] = {"system": CATEGORY, "code": "encounter-diagnosis"}
    if category_version is not None:
        category["version"] = category_version
    return {"resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": CLINICAL, "version": version, "code": "active"}]},
            "category": [{"coding": [category]}],
            "subject": {"reference": "Patient/p"}}


def _issues(resource: dict[str, Any], source: Any = None) -> list[tuple[str, str, str]]:
    # a fresh source each time: one Model (and its Terminology, which looks for THO once) is kept per source object,
    # and these tests change where THO is found
    fresh = source or LayeredSource([MemorySource([]), base_source()])
    return [(i.severity, i.location, i.message) for i in validate_resource(resource, fresh)
            if i.defect == "code-system-unknown" and i.severity != "information"]


def test_a_required_binding_to_an_hl7_code_system_at_a_version_not_held_is_an_error(tho: Path) -> None:
    # ext-context1's clinicalStatus (left-out corpus): HL7 "... version '0.5.0' could not be found, so the code
    # cannot be validated. Valid versions: 3.0.0 or 4.0.1", an error (required binding, an HL7 code system)
    found = _issues(_condition("0.5.0"))
    assert [(s, loc) for s, loc, _m in found] == [("error", "Condition.clinicalStatus.coding[0].system")]
    assert found[0][2].startswith(MESSAGE.format(CLINICAL, "0.5.0") + " Valid versions: ")
    assert found[0][2].endswith("Valid versions: 3.0.0 or 4.0.1")


def test_a_version_held_whole_or_in_part_is_no_issue() -> None:
    assert _issues(_condition("4.0.1")) == []
    assert _issues(_condition("4.0")) == []  # a prefix of a held version (VersionUtilities)


def test_another_strength_gives_a_warning(tho: Path) -> None:
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


def test_versions_hl7_resolves_are_no_issue(tho: Path) -> None:
    """review12 #2a: CanonicalResourceManager.get resolves a plain semver of the same major.minor (4.0.0 -> the
    4.0.1 held) and matches wildcards (left unjudged here)."""
    for version in ("4.0.0", "4.0.5", "4.0.x", "4.0.*", "3.0.7"):
        assert _issues(_condition(version)) == [], version


def test_an_hl7_terminology_system_is_not_judged_without_the_terminology_package(monkeypatch: pytest.MonkeyPatch,
                                                                                   tmp_path: Path) -> None:
    """review12 #2b: HL7's context always holds THO's copies, so without that package the versions held here are an
    incomplete list and a version only THO has (3.0.0) must not be called unknown."""
    monkeypatch.setenv("CONFORMANCE_TERMINOLOGY_PACKAGE", str(tmp_path / "nowhere"))
    assert _issues(_condition("3.0.0")) == []
    assert _issues(_condition("0.5.0")) == []


def test_systems_hl7_always_sends_to_its_server_and_stubs_are_left_alone() -> None:
    """review12 #2: ValueSetValidator.SERVER_SIDE_LIST (THO's stubs for NDC, RxNorm ... included) and a CodeSystem
    whose content is not-present."""
    stub = "https://conformance.example/cs/stub"
    extra = MemorySource([
        {"resourceType": "CodeSystem", "url": "http://www.nlm.nih.gov/research/umls/rxnorm", "version": "1",
         "status": "active", "content": "not-present"},
        {"resourceType": "CodeSystem", "url": stub, "version": "1", "status": "active", "content": "not-present"},
        {"resourceType": "CodeSystem", "url": "urn:iso:std:iso:4217", "version": "1", "status": "active",
         "content": "complete", "concept": [{"code": "EUR"}]}])
    term = Terminology(LayeredSource([extra, base_source()]), find_package=False)
    assert unknown_version(term, "http://www.nlm.nih.gov/research/umls/rxnorm", "2") is None
    assert unknown_version(term, stub, "2") is None
    assert unknown_version(term, "urn:iso:std:iso:4217", "2") is None


@respx.mock
def test_with_a_terminology_server_the_local_list_is_not_the_judge(tho: Path, respx_mock: respx.MockRouter) -> None:
    """review12 #2: HL7 raises UNKNOWN_CODESYSTEM_VERSION from its own context only without a server
    (ValueSetValidator, the isNoTerminologyServer branch); with one, the coding goes to the server."""
    ok = {"resourceType": "Parameters", "parameter": [{"name": "result", "valueBoolean": True}]}
    respx_mock.post(url__regex=r"http://127\.0\.0\.1:9/fhir/.*").mock(return_value=httpx.Response(200, json=ok))
    resource = _condition("0.5.0")
    fresh = LayeredSource([MemorySource([]), base_source()])
    found = [i for i in validate_resource(resource, fresh, options=Options(tx_server="http://127.0.0.1:9/fhir"))
             if i.defect == "code-system-unknown" and i.is_error]
    assert found == []
    assert _issues(resource) != []  # offline, the same coding is judged
