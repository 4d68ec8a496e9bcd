"""One validation report: the FHIR, HL7 v2 and GS1 validators give the same issue type and report."""

from __future__ import annotations

import json

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import report as fhir_report
from conformance.fhirval.validate import validate_resource
from conformance.gs1 import validate as gs1_validate
from conformance.hl7v2 import validate as hl7_validate
from conformance.validation import ValidationIssue, ValidationReport, emit

BAD_HL7 = "MSH|^~\\&|A|B|C|D|20240101120000||ADT^A01|1|P|2.5.1\rPID|1||123^^^X^MR||Doe^Jane||notadate|F\r"


def reports() -> list[ValidationReport]:
    fhir = fhir_report("p.json", validate_resource({"resourceType": "Patient", "gender": "x"}, base_source(), []))
    hl7 = hl7_validate(BAD_HL7).report("m.hl7")
    gs1 = gs1_validate("(01)09501101530004").report("line 1", "(01)09501101530004")
    return [fhir, hl7, gs1]


def test_three_protocols_one_issue_type() -> None:
    found = reports()
    assert [r.protocol for r in found] == ["fhir", "hl7v2", "gs1"]
    for r in found:
        assert not r.valid and r.issues, r.protocol
        assert all(isinstance(i, ValidationIssue) and i.protocol == r.protocol for i in r.issues)
        assert any(i.is_error and i.code and i.location for i in r.issues), [i.line() for i in r.issues]
    assert any(i.code == "check-digit" and i.location.startswith("(01)") for i in found[2].issues)
    assert any(i.location.startswith("PID-") for i in found[1].issues)


def test_one_output_loop_keeps_each_protocols_line_shape() -> None:
    lines: list[str] = []
    code = emit(reports(), as_json=False, many=True, echo=lines.append)
    assert code == 1
    assert any(line.startswith("p.json: error Patient.gender:") for line in lines)  # FHIR: "severity where:"
    assert any(line.startswith("  error: PID-") for line in lines)  # HL7 v2: indented, "severity: where:"
    assert any(line.startswith("line 1:   error: (01)") for line in lines)  # GS1: the input's line, indented


def test_json_names_each_input_only_when_there_are_several() -> None:
    out: list[str] = []
    found = reports()
    emit(found[:1], as_json=True, many=False, echo=out.append)
    assert json.loads(out[0])["resourceType"] == "OperationOutcome"
    out.clear()
    assert emit(found, as_json=True, many=True, echo=out.append) == 1
    rows = json.loads(out[0])
    assert [r["id"] for r in rows] == ["p.json", "m.hl7", "line 1"]
    assert rows[2]["input"] == "(01)09501101530004" and rows[2]["valid"] is False


def test_all_valid_exits_0() -> None:
    ok = gs1_validate("(01)09501101530003").report("", "(01)09501101530003")
    assert emit([ok], as_json=False, many=False, echo=lambda _: None) == 0
