"""References looked up as HL7's CLI looks them up in its ``-resolution-context file:DIR`` folder (issue 21):
StandAloneValidatorFetcher.fetch, which names and finds files otherwise than its test runner's fetcher
(ValidationTests.fetch, ours: Options.reference_folders). HL7's ValidationEngineTests.testResolveRelativeFileValid
(CHECK_VALID, a Patient whose managing Organization is in the folder) is valid there; with the runner's naming alone
ours said the Organization was not found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
from conformance.fhirval.reference_targets import fetch_file, fetch_in_context
from conformance.fhirval.validate import validate_resource

_ORG = {"resourceType": "Organization", "id": "1", "name": "Synthetic clinic"}


def _errors(resource: dict[str, Any], **options: Any) -> list[str]:
    return sorted(f"{i.defect}@{i.location}" for i in validate_resource(resource, base_source(), (),
                                                                         options=Options(**options)) if i.is_error)


def _folder(tmp_path: Path, files: dict[str, dict[str, Any]]) -> Path:
    folder = tmp_path / "context"
    for name, res in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(res))
    return folder


_PATIENT = {"resourceType": "Patient", "id": "p", "managingOrganization": {"reference": "Organization/1"}}


def test_a_file_named_with_the_type_case_kept_is_found(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"Organization-1.json": _ORG})
    # the runner's naming lower-cases the name (organization-1.json): not found on a case-sensitive file system
    assert fetch_file(folder, "Organization/1", base_source()) is None
    assert _errors(_PATIENT, validate_reference="check_valid", reference_folders=(str(folder),)) == [
        "reference-unresolved@Patient.managingOrganization.reference"]
    assert fetch_in_context(folder, "Organization/1", base_source()) == _ORG
    assert _errors(_PATIENT, validate_reference="check_valid", resolution_context=str(folder)) == []


def test_a_file_of_any_name_holding_the_resource_is_found_by_a_scan(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"clinic.json": _ORG, "another.json": {"resourceType": "Organization", "id": "2"}})
    assert _errors(_PATIENT, validate_reference="check_exists", reference_folders=(str(folder),)) == [
        "reference-unresolved@Patient.managingOrganization.reference"]
    assert _errors(_PATIENT, validate_reference="check_exists", resolution_context=str(folder)) == []
    assert _errors(_PATIENT, validate_reference="check_valid", resolution_context=str(folder)) == []
    # the scan reads the file: one that only mentions the type and id is not the resource
    decoy = _folder(tmp_path / "d", {"note.json": {"resourceType": "Basic", "id": "x", "code": {"text": "Organization"},
                                                    "extension": [{"url": "http://example.org/n", "valueId": "1"}]}})
    assert fetch_in_context(decoy, "Organization/1", base_source()) is None
    assert _errors(_PATIENT, validate_reference="check_exists", resolution_context=str(decoy)) == [
        "reference-unresolved@Patient.managingOrganization.reference"]


def test_the_reference_as_a_path_and_what_is_never_fetched(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"Organization/1.json": _ORG})
    assert fetch_in_context(folder, "Organization/1", base_source()) == _ORG  # new File(rc, url + ".json")
    (tmp_path / "outside.json").write_text(json.dumps(_ORG))
    assert fetch_in_context(folder, "../outside", base_source()) is None  # ours stays inside the folder
    assert fetch_in_context(folder, "http://example.org/fhir/Organization/1", base_source()) is None  # no network
    assert fetch_in_context(folder, "Organization/1/_history/2", base_source()) is None
