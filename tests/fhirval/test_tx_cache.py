"""HL7's recorded terminology answers behind the terminology-service seam (tx_service.py, tx_cache.py, tx_issues.py).

Every cache here is SYNTHETIC, written by the test in HL7's txCache format (TerminologyCache.save: entries opened
by a line of 85 dashes, the request, ``####``, ``v: {...}``): no HL7 file is copied. Each validation case fails
without the seam (the code is then left unjudged, as on main)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_binding
from conformance.fhirval.issues import Sink
from conformance.fhirval.options import Options
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.tx_cache import ENTRY_MARKER, TxCache
from conformance.fhirval.tx_service import TxCoding, TxRequest, TxValueSet
from conformance.fhirval.validate import validate_resource

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
OPTIONS = {"langs": "en-US", "useServer": "true", "useClient": "false", "guessSystem": "false", "noAbstract": "false",
           "activeOnly": "false", "membershipOnly": "false", "displayWarningMode": "false",
           "versionFlexible": "false"}
DOC_TYPES = "http://hl7.org/fhir/ValueSet/doc-typecodes"  # R4's: a LOINC filter, not expandable here


def _issue(severity: str, kind: str, text: str, where: str, code: str = "invalid") -> dict[str, Any]:
    return {"severity": severity, "code": code, "expression": [where],
            "details": {"text": text, "coding": [{"system": "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type",
                                                  "code": kind}]}}


def _entry(request: dict[str, Any], result: dict[str, Any]) -> str:
    # HL7 writes the request pretty-printed with \r\n and its own key order; the replay must not care
    return (ENTRY_MARKER + "\r\n" + json.dumps(request, indent=2).replace("\n", "\r\n") + "####\r\nv: "
            + json.dumps(result, indent=1) + "\r\n")


WRONG_DISPLAY = _entry(
    {"code": {"coding": [{"system": LOINC, "code": "2339-0", "display": "Glucose"}]}, **OPTIONS},
    {"display": "Glucose [Mass/volume] in Blood", "code": "2339-0", "system": LOINC, "severity": "error",
     "error": "Wrong Display Name 'Glucose' for http://loinc.org#2339-0", "class": "UNKNOWN",
     "issues": {"resourceType": "OperationOutcome", "issue": [_issue(
         "error", "invalid-display", "Wrong Display Name 'Glucose' for http://loinc.org#2339-0",
         "CodeableConcept.coding[0].display")]}})
NOT_IN_VS = _entry(
    {"code": {"coding": [{"system": LOINC, "code": "8310-5"}]}, "url": DOC_TYPES, "version": "4.0.1", **OPTIONS},
    {"severity": "error", "error": "No valid coding was found for the value set", "class": "UNKNOWN",
     "issues": {"resourceType": "OperationOutcome", "issue": [_issue(
         "information", "this-code-not-in-vs", "not in the value set", "CodeableConcept.coding[0].code",
         "code-invalid")]}})
IN_VS = _entry(
    {"code": {"coding": [{"system": LOINC, "code": "34133-9"}]}, "url": DOC_TYPES, "version": "4.0.1", **OPTIONS},
    {"display": "Summary of episode note", "code": "34133-9", "system": LOINC})
UNKNOWN_CODE = _entry(
    {"code": {"system": SCT, "code": "999999999999"}, "valueSet": None, **OPTIONS},
    {"severity": "error", "error": "Unknown code '999999999999' in the CodeSystem 'http://snomed.info/sct'",
     "class": "UNKNOWN", "issues": {"resourceType": "OperationOutcome", "issue": [_issue(
         "error", "invalid-code", "Unknown code '999999999999' in the CodeSystem 'http://snomed.info/sct'",
         "Coding.code", "code-invalid")]}})
SERVER_FAILED = ENTRY_MARKER + "\r\n" + json.dumps({"code": {"coding": [{"system": SCT, "code": "1"}]}, **OPTIONS}) \
    + "####\r\ne: {\r\n  \"from-server\" : true,\r\n  \"error\" : \"boom\"\r\n}\r\n"


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    (tmp_path / "loinc.cache").write_text(WRONG_DISPLAY + NOT_IN_VS + IN_VS, encoding="utf-8")
    (tmp_path / "snomed.cache").write_text(UNKNOWN_CODE + SERVER_FAILED, encoding="utf-8")
    (tmp_path / ".terminologyCapabilities.x.cache").write_text("{}", encoding="utf-8")
    return tmp_path


def _observation(coding: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    obs = {"resourceType": "Observation", "status": "final", "code": {"coding": [coding]}}
    return {**obs, "language": language} if language else obs


def _issues(resource: dict[str, Any], folder: Path | None, **kw: Any) -> list[tuple[str, str, str]]:
    options = Options(tx_cache=str(folder) if folder else None, **kw)
    return [(i.severity, i.defect, i.location) for i in validate_resource(resource, base_source(), options=options)
            if i.severity != "information" and i.defect.startswith(("code", "binding", "value-set"))]


def test_requests_are_matched_by_meaning_not_by_text(cache_dir: Path) -> None:
    cache = TxCache.load(cache_dir)
    assert cache.size == 4  # the failed request (``e:``) and the capabilities file are no answers
    req = TxRequest((TxCoding(LOINC, "2339-0", None, "Glucose"),), concept=True)
    answer = cache.validate(req)
    assert answer is not None and answer.severity == "error" and answer.issues[0].kind == "invalid-display"
    assert cache.validate(TxRequest((TxCoding(LOINC, "2339-0", None, "Glucose"),), concept=False)) is None
    assert cache.validate(TxRequest((TxCoding(LOINC, "8867-4"),), concept=True)) is None  # not recorded: no answer
    found = cache.validate(TxRequest((TxCoding(LOINC, "34133-9"),), True, TxValueSet(DOC_TYPES, "4.0.1")))
    assert found is not None and found.ok


def test_a_wrong_display_of_a_code_system_not_held_is_the_servers_error(cache_dir: Path) -> None:
    # InstanceValidator.checkCodeableConcept's general check (Observation.code's binding is example): the server's
    # invalid-display issue, an error in HL7's runner (displayWarningMode false)
    obs = _observation({"system": LOINC, "code": "2339-0", "display": "Glucose"})
    assert _issues(obs, None, wrong_displays="error") == []
    assert _issues(obs, cache_dir, wrong_displays="error") == [
        ("error", "code-display", "Observation.code.coding[0].display")]
    # ours by default: a wrong display is a warning (the recording in the other mode is turned, not dropped)
    assert _issues(obs, cache_dir) == [("warning", "code-display", "Observation.code.coding[0].display")]


def test_the_language_of_a_display_request_must_be_the_recordings(cache_dir: Path) -> None:
    obs = _observation({"system": LOINC, "code": "2339-0", "display": "Glucose"}, language="de-CH")
    assert _issues(obs, cache_dir, wrong_displays="error") == []


def test_a_coding_outside_a_codeable_concept_goes_to_the_server_alone(cache_dir: Path) -> None:
    # checkCodedElement -> checkCode: a Coding with no binding checked, against its code system (valueSet null)
    basic = {"resourceType": "Basic", "code": {"text": "x"}, "extension": [
        {"url": "http://example.org/ext", "valueCoding": {"system": SCT, "code": "999999999999"}}]}
    assert not [i for i in _issues(basic, None) if i[0] == "error"]
    assert [i for i in _issues(basic, cache_dir) if i[0] == "error"] == [
        ("error", "code-unknown", "Basic.extension[0].value.ofType(Coding).code")]


def _bound(folder: Path, code: str, strength: str = "required") -> list[tuple[str, str]]:
    term, sink = Terminology(base_source()), Sink(display_errors=True)
    service = TxCache.load(folder)
    check_binding(term, {"strength": strength, "valueSet": DOC_TYPES}, "CodeableConcept",
                  {"coding": [{"system": LOINC, "code": code}]}, "Composition.type", sink, tx=service)
    return [(i.severity, i.defect) for i in sink.issues]


def test_a_binding_the_local_terminology_cannot_expand_is_judged_by_the_answer(cache_dir: Path) -> None:
    # validateBindingCodeableConcept: not ok with class UNKNOWN under a required binding is TERMINOLOGY_TX_NOVALID_1_CC
    # (the server's this-code-not-in-vs issue itself is dropped); extensible a warning; ok nothing
    assert _bound(cache_dir, "8310-5") == [("error", "code-invalid")]
    assert _bound(cache_dir, "8310-5", "extensible") == [("warning", "binding-extensible")]
    assert _bound(cache_dir, "34133-9") == []
    assert _bound(cache_dir, "18842-5") == [("information", "code-system-unknown")]  # not recorded: unjudged, as before


def test_validate_fhir_takes_a_tx_cache_folder(cache_dir: Path, tmp_path: Path) -> None:
    """``conformance validate fhir --tx-cache DIR --wrong-displays error``: the recorded answer judges the display."""
    from tests.fhirval.test_cli import invoke

    path = tmp_path / "obs.json"
    path.write_text(json.dumps({**_observation({"system": LOINC, "code": "2339-0", "display": "Glucose"}),
                                "subject": {"display": "x"}}), encoding="utf-8")
    assert invoke("--wrong-displays", "error", str(path))[0] == 0
    code, out, _ = invoke("--wrong-displays", "error", "--tx-cache", str(cache_dir), str(path))
    assert code == 1 and "Wrong Display Name 'Glucose'" in out
    assert invoke("--tx-cache", str(tmp_path / "absent"), str(path))[0] == 2


def test_the_runners_own_server_answers_first_and_expansion_parameters_must_match(tmp_path: Path) -> None:
    # one request recorded twice: by the server servers.ini names (unknown code) and, later, by another server a case
    # named (found); and once more with a SNOMED CT edition pinned (system-version), which ours never asks for
    request = {"code": {"system": SCT, "code": "50631000087105"}, "valueSet": None, **OPTIONS}
    pinned = {**request, "code": {"system": SCT, "code": "24484000"}, "profile": {
        "resourceType": "Parameters", "parameter": [{"name": "system-version",
                                                     "valueCanonical": f"{SCT}|{SCT}/20611000087101"}]}}
    unknown = {"severity": "error", "error": "Unknown code", "class": "UNKNOWN", "server": "https://tx.example/r4"}
    found = {"code": "50631000087105", "system": SCT, "server": "https://other.example/fhir"}
    (tmp_path / "servers.ini").write_text("[servers]\ntx.example.r4 = https://tx.example/r4\n", encoding="utf-8")
    (tmp_path / "snomed.cache").write_text(
        _entry(request, unknown) + _entry(request, found) + _entry(pinned, found), encoding="utf-8")
    cache = TxCache.load(tmp_path)
    answer = cache.validate(TxRequest((TxCoding(SCT, "50631000087105"),)))
    assert answer is not None and not answer.ok
    assert cache.validate(TxRequest((TxCoding(SCT, "24484000"),))) is None


def test_a_snomed_edition_is_asked_for_as_hl7s_expansion_parameter(tmp_path: Path) -> None:
    # HL7's -sct / [sct] (ValidationEngine.setSnomedExtension): every request carries system-version; the recorded
    # answer in that edition is then the one given, and without the option only the plain request's
    pinned = {"resourceType": "Parameters", "parameter": [
        {"name": "profile-url", "valueString": "http://hl7.org/fhir/ExpansionProfile/x"},
        {"name": "defaultDisplayLanguage", "valueCode": "en-US"},
        {"name": "system-version", "valueCanonical": f"{SCT}|{SCT}/20611000087101"}]}
    request = {"code": {"system": SCT, "code": "50631000087105"}, "valueSet": None, **OPTIONS}
    unknown = {"severity": "error", "error": "Unknown code '50631000087105'", "class": "UNKNOWN", "issues": {
        "resourceType": "OperationOutcome", "issue": [_issue("error", "invalid-code", "Unknown code '50631000087105'",
                                                             "Coding.code", "code-invalid")]}}
    (tmp_path / "snomed.cache").write_text(_entry(request, unknown) + _entry(
        {**request, "profile": pinned}, {"code": "50631000087105", "system": SCT}), encoding="utf-8")
    basic = {"resourceType": "Basic", "code": {"text": "x"}, "extension": [
        {"url": "http://example.org/ext", "valueCoding": {"system": SCT, "code": "50631000087105"}}]}
    assert [i[0] for i in _issues(basic, tmp_path)] == ["error"]
    assert _issues(basic, tmp_path, sct="ca") == []
    with pytest.raises(ValueError, match="sct"):
        Options(sct="atlantis")


def test_a_quantity_code_of_a_system_not_held_goes_to_the_server(cache_dir: Path) -> None:
    # InstanceValidator.checkQuantity -> checkCodedElement -> checkCode: system and code, the unit no display
    obs = {**_observation({"system": LOINC, "code": "2339-0"}),
           "valueQuantity": {"value": 1, "unit": "x", "system": SCT, "code": "999999999999"}}
    assert [i for i in _issues(obs, None) if i[0] == "error"] == []
    assert [i for i in _issues(obs, cache_dir) if i[0] == "error"] == [
        ("error", "code-unknown", "Observation.value.ofType(Quantity).code")]


def test_a_codeable_concept_with_no_binding_at_all_goes_to_the_server(cache_dir: Path) -> None:
    # checkCodeableConcept's general check runs for every CodeableConcept (an extension's value has no binding)
    basic = {"resourceType": "Basic", "code": {"text": "x"}, "extension": [{"url": "http://example.org/ext",
             "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "2339-0", "display": "Glucose"}]}}]}
    assert _issues(basic, None, wrong_displays="error") == []
    assert _issues(basic, cache_dir, wrong_displays="error") == [
        ("error", "code-display", "Basic.extension[0].value.ofType(CodeableConcept).coding[0].display")]
