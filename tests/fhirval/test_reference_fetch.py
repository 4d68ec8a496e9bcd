"""References resolved as HL7's validator resolves them (issue 21): in a Parameters, from a local folder under
Options.validate_reference (its test runner's fetcher, ValidationTests.fetch), circles, and aggregation modes.

Each rule is InstanceValidator.checkReference / localResolve (hapifhir/org.hl7.fhir.core); each test shows a small
synthetic resource judged differently before the rule, and the neighbouring case HL7 lets pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.options import Options
from conformance.fhirval.reference_policy import aggregation_allows
from conformance.fhirval.reference_targets import fetch_file
from conformance.fhirval.validate import validate_resource

_BASE = "http://hl7.org/fhir/StructureDefinition/"
_OTHER = "https://conformance.example/fhir/StructureDefinition/other-patient"
_COVERAGE = "https://conformance.example/fhir/StructureDefinition/beneficiary-coverage"
_ENCOUNTER = "https://conformance.example/fhir/StructureDefinition/bundled-encounter"


def _sd(url: str, rtype: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    name = url.rsplit("/", 1)[1]
    return {"resourceType": "StructureDefinition", "url": url, "name": name.replace("-", ""), "status": "draft",
            "kind": "resource", "abstract": False, "type": rtype, "derivation": "constraint",
            "baseDefinition": _BASE + rtype, "differential": {"element": [{"id": rtype, "path": rtype}, *elements]}}


def _source(tmp_path: Path, *sds: dict[str, Any]) -> LayeredSource:
    defs = tmp_path / "defs"
    defs.mkdir(exist_ok=True)
    for sd in sds:
        (defs / f"StructureDefinition-{sd['name']}.json").write_text(json.dumps(sd))
    return load_definitions([defs])


def _other_patient() -> dict[str, Any]:
    """A Patient profile whose gender is fixed to 'other' and whose links must conform to it again (a circle)."""
    return _sd(_OTHER, "Patient", [
        {"id": "Patient.gender", "path": "Patient.gender", "fixedCode": "other"},
        {"id": "Patient.link.other", "path": "Patient.link.other",
         "type": [{"code": "Reference", "targetProfile": [_OTHER]}]}])


def _errors(resource: dict[str, Any], source: Any, profiles: tuple[str, ...] = (), **options: Any) -> list[str]:
    return sorted(f"{i.defect}@{i.location}" for i in validate_resource(resource, source, profiles,
                                                                         options=Options(**options)) if i.is_error)


def _folder(tmp_path: Path, files: dict[str, dict[str, Any]]) -> str:
    folder = tmp_path / "refs"
    folder.mkdir(exist_ok=True)
    for name, res in files.items():
        (folder / name).write_text(json.dumps(res))
    return str(folder)


def _patient(pid: str, gender: str, link: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": pid, "gender": gender}
    if link:
        res["link"] = [{"other": {"reference": link}, "type": "seealso"}]
    return res


# ---- the fetcher: HL7's runner's file names, local files only ------------------------------------------------

def test_fetch_file_names_the_file_as_hl7s_runner_does(tmp_path: Path) -> None:
    folder = Path(_folder(tmp_path, {"patient-a.json": _patient("a", "male"), "b.json": _patient("b", "other")}))
    assert (fetch_file(folder, "Patient/A", base_source()) or {}).get("id") == "a"  # lower case, '/' -> '-'
    assert (fetch_file(folder, "Patient/b", base_source()) or {}).get("id") == "b"  # then the tail after the '/'
    assert fetch_file(folder, "Patient/c", base_source()) is None
    (tmp_path / "secret.json").write_text(json.dumps(_patient("s", "male")))
    assert fetch_file(folder, "..", base_source()) is None and fetch_file(folder, "x/../secret", base_source()) is None



def test_a_symlink_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text(json.dumps(_patient("secret", "male")))
    folder = Path(_folder(tmp_path, {"patient-in.json": _patient("in", "female")}))
    (folder / "link.json").symlink_to(outside / "secret.json")
    (folder / "inner.json").symlink_to(folder / "patient-in.json")  # a link that stays inside is a file like any
    assert fetch_file(folder, "Patient/link", base_source()) is None
    assert (fetch_file(folder, "Patient/inner", base_source()) or {}).get("id") == "in"


def test_a_reference_too_long_for_a_file_name_is_not_found_not_a_crash(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"patient-a.json": _patient("a", "male")})
    long_ref = "urn:uuid:" + "d" * 300  # past the file system's 255-byte name: OSError (ENAMETOOLONG) unguarded
    assert fetch_file(Path(folder), long_ref, base_source()) is None
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"reference": long_ref}}
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_exists") == [
        "reference-unresolved@Observation.subject.reference"]

def test_a_reference_is_looked_up_only_under_a_policy_that_asks_it_to_exist(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"patient-here.json": _patient("here", "male")})
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"reference": "Patient/gone"}, "performer": [{"reference": "Patient/here"}],
           "focus": [{"reference": "http://example.org/fhir/Patient/1"}]}
    assert _errors(obs, base_source()) == []  # IGNORE, HL7's runner's default
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_type_if_exists") == []
    # REFERENCE_REF_CANTRESOLVE for the one not found; an example URL passes while examples are allowed
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_exists") == [
        "reference-unresolved@Observation.subject.reference"]
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_exists",
                   allow_examples=False) == ["reference-unresolved@Observation.focus[0].reference",
                                             "reference-unresolved@Observation.subject.reference"]



def test_a_reference_of_a_suspicious_form_is_still_looked_up(tmp_path: Path) -> None:
    # checkReference warns of the form (REFERENCE_REF_SUSPICIOUS) and goes on: under CHECK_EXISTS its fetcher is
    # asked, and not found is REFERENCE_REF_CANTRESOLVE (HL7's ValidationEngineTests.testResolveRelativeFileError)
    folder = _folder(tmp_path, {"patient-here.json": _patient("here", "male")})
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"reference": "patient/gone-x"}, "performer": [{"reference": "patient/here"}]}
    assert _errors(obs, base_source()) == []
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_type_if_exists") == []
    # the runner's fetcher names the file in lower case: 'patient/here' is patient-here.json
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_exists") == [
        "reference-unresolved@Observation.subject.reference"]

def test_a_fetched_targets_type_is_judged_only_by_a_policy_that_checks_types(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"patient-g.json": {"resourceType": "Group", "id": "g", "type": "person",
                                                   "actual": True}})
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"reference": "Patient/g"}, "performer": [{"reference": "Patient/g"}]}
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_exists") == []
    # Observation.performer does not allow a Group (subject does): the Group found there is
    # REFERENCE_REF_BADTARGETTYPE and (not validating it) REFERENCE_REF_CANTMATCHTYPE
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_exists_and_type") == [
        "reference-target@Observation.performer[0]", "reference-target@Observation.performer[0]"]
    assert _errors(obs, base_source(), reference_folders=(folder,), validate_reference="check_valid") == [
        "reference-target@Observation.performer[0]"]


# ---- check_valid: a fetched target against the element's target profile, circles taken as valid --------------

def test_check_valid_judges_a_fetched_target_against_the_target_profile(tmp_path: Path) -> None:
    source = _source(tmp_path, _other_patient())
    folder = _folder(tmp_path, {"bad-target.json": _patient("bad-target", "male"),
                                "good-target.json": _patient("good-target", "other")})
    linked_bad = _patient("source", "other", "Patient/bad-target")
    linked_good = _patient("source", "other", "Patient/good-target")
    opts: dict[str, Any] = {"reference_folders": (folder,), "validate_reference": "check_valid"}
    assert _errors(linked_bad, source, (_OTHER,)) == []  # not fetched by default
    assert _errors(linked_bad, source, (_OTHER,), **opts) == ["reference-target@Patient.link[0].other"]
    assert _errors(linked_good, source, (_OTHER,), **opts) == []
    # only type checked: the target profile is not validated (REFERENCE_REF_CANTMATCHTYPE needs a wrong type)
    assert _errors(linked_bad, source, (_OTHER,), reference_folders=(folder,),
                   validate_reference="check_exists_and_type") == []


def test_a_circle_back_to_the_resource_being_validated_is_taken_as_valid(tmp_path: Path) -> None:
    """HL7's ResourceValidationTracker: a resource met again while validated against the same profile has no
    errors yet; and its fetch cache holds the root by Type/id, so a relay's reference back finds the root."""
    source = _source(tmp_path, _other_patient())
    bad_relay = _patient("relay1", "male", "Patient/source1")
    good_relay = _patient("relay2", "other", "Patient/source2")
    folder = _folder(tmp_path, {"relay1.json": bad_relay, "relay2.json": good_relay,
                                "source2.json": _patient("source2", "male", "Patient/relay2")})
    opts: dict[str, Any] = {"reference_folders": (folder,), "validate_reference": "check_valid"}
    # valid source, invalid relay that refers back: the relay fails the profile
    assert _errors(_patient("source1", "other", "Patient/relay1"), source, (_OTHER,), **opts) == [
        "reference-target@Patient.link[0].other"]
    # invalid source, valid relay that refers back: only the source's own error
    assert _errors(_patient("source2", "male", "Patient/relay2"), source, (_OTHER,), **opts) == [
        "fixed-value@Patient.gender"]


# ---- Parameters: a parameter's reference resolves to another parameter's resource (localResolve) -------------

def _parameters(ref: str, gender: str = "male") -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "resource": _patient("1", gender)},
        {"name": "coverage", "part": [{"name": "old", "resource": {
            "resourceType": "Coverage", "status": "active", "beneficiary": {"reference": ref},
            "payor": [{"display": "x"}], "meta": {"profile": [_COVERAGE]}}}]}]}


def test_a_reference_resolves_to_another_parameters_resource(tmp_path: Path) -> None:
    coverage = _sd(_COVERAGE, "Coverage", [
        {"id": "Coverage.beneficiary", "path": "Coverage.beneficiary",
         "type": [{"code": "Reference", "targetProfile": [_OTHER], "aggregation": ["bundled"]}]}])
    source = _source(tmp_path, _other_patient(), coverage)
    where = "Parameters.parameter[1].part[0].resource.beneficiary"
    # found in the Parameters: 'bundled' is met (an internal target), and the target is held to its profile
    assert _errors(_parameters("Patient/1", "other"), source) == []
    assert _errors(_parameters("Patient/1"), source) == [f"reference-target@{where}"]
    # not found: 'bundled' is not met (REFERENCE_REF_NOTFOUND_BUNDLE), and under check_exists it does not exist
    assert _errors(_parameters("Patient/2"), source) == [f"reference-aggregation@{where}"]
    assert _errors(_parameters("Patient/2"), source, validate_reference="check_exists") == [
        f"reference-aggregation@{where}", f"reference-unresolved@{where}.reference"]
    assert _errors(_parameters("Patient/1", "other"), source, validate_reference="check_exists") == []


# ---- aggregation: external targets, and bundled outside a Bundle (enforceAggregationOutsideBundles) -----------

def test_aggregation_modes_as_checkreference_reads_them() -> None:
    assert aggregation_allows(("contained",), "contained", False, True)
    assert not aggregation_allows(("referenced",), "contained", False, True)
    assert aggregation_allows(("referenced",), "external", False, True)
    assert aggregation_allows(("bundled",), "internal", True, True)
    assert not aggregation_allows(("bundled",), "external", False, True)  # R4: enforced outside a Bundle
    assert aggregation_allows(("bundled",), "external", False, False)  # R5's reading, asked for
    assert not aggregation_allows(("bundled",), "external", True, False)  # in a Bundle it always binds


def test_a_fetched_target_meets_bundled_only_where_it_is_not_enforced(tmp_path: Path) -> None:
    source = _source(tmp_path, _sd(_ENCOUNTER, "Encounter", [
        {"id": "Encounter.subject", "path": "Encounter.subject",
         "type": [{"code": "Reference", "targetProfile": [_BASE + "Patient"], "aggregation": ["bundled"]}]}]))
    folder = _folder(tmp_path, {"patient-p.json": _patient("p", "male")})
    enc = {"resourceType": "Encounter", "status": "planned", "class": {"code": "AMB"},
           "subject": {"reference": "Patient/p"}}
    aggregation = ["reference-aggregation@Encounter.subject"]
    assert _errors(enc, source, (_ENCOUNTER,)) == aggregation  # not found: REFERENCE_REF_NOTFOUND_BUNDLE
    typed: dict[str, Any] = {"reference_folders": (folder,), "validate_reference": "check_exists_and_type"}
    assert _errors(enc, source, (_ENCOUNTER,), **typed) == aggregation  # external: REFERENCE_REF_AGGREGATION
    assert _errors(enc, source, (_ENCOUNTER,), enforce_aggregation_outside_bundles=False, **typed) == []
    # found, but a policy that does not check types does not judge aggregation (checkReference: pol.checkType())
    assert _errors(enc, source, (_ENCOUNTER,), reference_folders=(folder,), validate_reference="check_exists") == []


# ---- a canonical's target type, under a policy that checks types (TYPE_SPECIFIC_CHECKS_DT_CANONICAL_TYPE) -------

def test_a_canonical_found_must_be_of_a_type_its_targets_allow() -> None:
    gender_vs = "http://hl7.org/fhir/ValueSet/administrative-gender"
    qr = {"resourceType": "QuestionnaireResponse", "questionnaire": gender_vs, "status": "in-progress"}
    assert _errors(qr, base_source()) == []
    assert _errors(qr, base_source(), validate_reference="check_exists_and_type") == [
        "reference-target@QuestionnaireResponse.questionnaire"]
    assert _errors(qr, base_source(), validate_reference="check_exists") == []  # checks existence only
    # canonical(ValueSet): a ValueSet passes, the CodeSystem of the same codes does not; an unknown URL is not judged
    vs = {"resourceType": "ValueSet", "status": "draft", "compose": {"include": [{"valueSet": [gender_vs]}]}}
    assert _errors(vs, base_source(), validate_reference="check_valid") == []
    vs["compose"]["include"][0]["valueSet"] = ["http://hl7.org/fhir/administrative-gender"]
    assert _errors(vs, base_source(), validate_reference="check_valid") == [
        "reference-target@ValueSet.compose.include[0].valueSet[0]"]
    vs["compose"]["include"][0]["valueSet"] = ["https://conformance.example/ValueSet/unknown"]
    assert _errors(vs, base_source(), validate_reference="check_valid") == []
