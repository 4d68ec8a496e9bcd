"""The terminology seam's remaining requests: a binding's maximum value set, and a CodeableConcept partly judged here.

Every cache here is SYNTHETIC, written by the test in HL7's txCache format (see test_tx_cache.py); every case
fails without the change (the code was then left unjudged). InstanceValidator.checkMaxValueSet sends the value
to the server with the maximum value set; validateBindingCodeableConcept sends the whole CodeableConcept, even
when one coding is in the value set by the local terminology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.fhirval.bindings import Terminology, check_binding
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import MemorySource
from conformance.fhirval.tx_cache import TxCache
from tests.fhirval.test_tx_cache import LOINC, OPTIONS, _entry, _issue

LOCAL = "http://example.org/cs/local"
EXT_VS = "http://example.org/vs/ext"
MAX_VS = "http://example.org/vs/max"
LOINC_VS = "http://example.org/vs/loinc"
MIXED_VS = "http://example.org/vs/mixed"
MAX_EXT = "http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet"


def _vs(url: str, *includes: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "version": "1", "status": "active",
            "compose": {"include": list(includes)}}


RESOURCES = [
    {"resourceType": "CodeSystem", "url": LOCAL, "status": "active", "content": "complete",
     "concept": [{"code": "A", "display": "A"}, {"code": "B", "display": "B"}]},
    _vs(EXT_VS, {"system": LOCAL, "concept": [{"code": "A"}]}),
    _vs(MAX_VS, {"system": LOINC}),
    _vs(LOINC_VS, {"system": LOINC}),
    _vs(MIXED_VS, {"system": LOCAL}, {"system": LOINC}),
]
NOT_IN = {"severity": "error", "error": "not in the value set", "class": "UNKNOWN", "issues": {
    "resourceType": "OperationOutcome", "issue": [_issue("information", "this-code-not-in-vs", "not in the value set",
                                                         "CodeableConcept.coding[0].code", "code-invalid")]}}


def _cc(*codings: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": s, "code": c} for s, c in codings]}


def _asked(cc: dict[str, Any], vs: str, result: dict[str, Any]) -> str:
    return _entry({"code": cc, "url": vs, "version": "1", **OPTIONS}, result)


def _judge(folder: Path | None, binding: dict[str, Any], cc: dict[str, Any]) -> list[tuple[str, str]]:
    term, sink = Terminology(MemorySource(RESOURCES), find_package=False), Sink(display_errors=True)
    check_binding(term, binding, "CodeableConcept", cc, "Observation.code", sink,
                  tx=TxCache.load(folder) if folder else None)
    return [(i.severity, i.defect) for i in sink.issues if i.severity != "information"]


def _extensible(vs: str) -> dict[str, Any]:
    return {"strength": "extensible", "valueSet": vs, "extension": [{"url": MAX_EXT, "valueCanonical": MAX_VS}]}


def test_a_code_outside_the_binding_goes_to_the_server_with_the_maximum_value_set(tmp_path: Path) -> None:
    # EXT_VS is judged here (LOINC is not in it); MAX_VS includes all of LOINC, which is not held: the server says
    cc = _cc((LOINC, "0000-0"))
    (tmp_path / "loinc.cache").write_text(_asked(cc, MAX_VS, NOT_IN), encoding="utf-8")
    assert _judge(None, _extensible(EXT_VS), cc) == [("warning", "binding-extensible")]
    assert _judge(tmp_path, _extensible(EXT_VS), cc) == [("warning", "binding-extensible"), ("error", "code-invalid")]


def test_the_maximum_value_set_follows_a_binding_the_server_judged(tmp_path: Path) -> None:
    # validateBindingCodeableConcept: not in the extensible value set (class UNKNOWN), maxVS present: NOVALID_2_CC and
    # checkMaxValueSet; the maximum value set's answer in (ok) adds nothing
    cc, ok = _cc((LOINC, "8867-4")), {"display": "x", "code": "8867-4", "system": LOINC}
    (tmp_path / "loinc.cache").write_text(_asked(cc, LOINC_VS, NOT_IN) + _asked(cc, MAX_VS, NOT_IN), encoding="utf-8")
    assert _judge(None, _extensible(LOINC_VS), cc) == []
    assert _judge(tmp_path, _extensible(LOINC_VS), cc) == [("warning", "binding-extensible"),
                                                           ("error", "code-invalid")]
    (tmp_path / "loinc.cache").write_text(_asked(cc, LOINC_VS, NOT_IN) + _asked(cc, MAX_VS, ok), encoding="utf-8")
    assert _judge(tmp_path, _extensible(LOINC_VS), cc) == [("warning", "binding-extensible")]


def test_an_unknown_code_beside_a_coding_in_the_value_set_is_the_servers_error(tmp_path: Path) -> None:
    # local#A is in MIXED_VS here; the LOINC coding is not held: HL7 sends the whole CodeableConcept, and the
    # server's invalid-code issue on coding[1] stands (its issue on coding[0], judged here, is dropped)
    cc = _cc((LOCAL, "A"), (LOINC, "34133-9"))
    answer = {"severity": "error", "error": "Unknown code", "class": "UNKNOWN", "issues": {
        "resourceType": "OperationOutcome", "issue": [
            _issue("error", "invalid-code", "Unknown code '34133-9' in the CodeSystem 'http://loinc.org'",
                   "CodeableConcept.coding[1].code", "code-invalid"),
            _issue("warning", "invalid-display", "a display", "CodeableConcept.coding[0].display")]}}
    (tmp_path / "loinc.cache").write_text(_asked(cc, MIXED_VS, answer), encoding="utf-8")
    binding = {"strength": "required", "valueSet": MIXED_VS}
    assert _judge(None, binding, cc) == []
    assert _judge(tmp_path, binding, cc) == [("error", "code-unknown")]


def test_a_coding_goes_to_the_maximum_value_set_alone_and_an_unanswerable_one_is_a_warning(tmp_path: Path) -> None:
    # validateBindingCodedElement: a Coding not in the extensible value set, maxVS present: checkMaxValueSet with
    # the Coding (NOVALID_10, an error), no NOVALID_13 beside it; an infrastructure class there is NOVALID_9
    coding = {"system": LOINC, "code": "8867-4"}
    failed = {"severity": "error", "error": "value set not supported", "class": "VALUESET_UNSUPPORTED"}
    ask = {"code": coding, "version": "1", **OPTIONS}
    (tmp_path / "loinc.cache").write_text(_entry({**ask, "url": LOINC_VS}, NOT_IN)
                                          + _entry({**ask, "url": MAX_VS}, NOT_IN), encoding="utf-8")

    def judged(folder: Path | None) -> list[tuple[str, str]]:
        term, sink = Terminology(MemorySource(RESOURCES), find_package=False), Sink(display_errors=True)
        check_binding(term, _extensible(LOINC_VS), "Coding", coding, "Observation.code.coding[0]", sink,
                      tx=TxCache.load(folder) if folder else None)
        return [(i.severity, i.defect) for i in sink.issues if i.severity != "information"]

    assert judged(None) == []
    assert judged(tmp_path) == [("error", "code-invalid")]
    (tmp_path / "loinc.cache").write_text(_entry({**ask, "url": LOINC_VS}, NOT_IN)
                                          + _entry({**ask, "url": MAX_VS}, failed), encoding="utf-8")
    assert judged(tmp_path) == [("warning", "value-set-unknown")]
