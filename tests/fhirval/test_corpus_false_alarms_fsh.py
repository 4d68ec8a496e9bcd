"""False alarms found on FSH-built guides not tried before (issue 21, s-fvcorp2: CARIN BB, CH Core, IHE MHD and
PDQm, BE Core, Bulk Data, IPS source compiled with SUSHI; bench/fhir_examples_alarms.py --package), each pinned
with a small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"


def _eob_profile(discriminator: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "id": "eob", "url": "http://example.org/sd/Eob", "name": "Eob",
            "status": "draft", "kind": "resource", "abstract": False, "type": "ExplanationOfBenefit",
            "derivation": "constraint", "baseDefinition": CORE + "ExplanationOfBenefit", "differential": {"element": [
                {"id": "ExplanationOfBenefit", "path": "ExplanationOfBenefit"},
                {"id": "ExplanationOfBenefit.adjudication", "path": "ExplanationOfBenefit.adjudication",
                 "slicing": {"discriminator": [{"type": "value", "path": discriminator}], "rules": "open"},
                 "type": [{"code": "BackboneElement"}]}]}}


def test_discriminator_path_follows_a_content_reference() -> None:
    # CARIN BB's EOB profiles slice ExplanationOfBenefit.adjudication by 'category': R4 defines that element by
    # contentReference #ExplanationOfBenefit.item.adjudication, whose children HL7's FHIRPathEngine follows
    # (getChildTypesByName, ed.hasContentReference) when StructureDefinitionValidator checks the path
    assert errors(_eob_profile("category")) == []
    assert errors(_eob_profile("nonsense")) == [
        ("structure-slicing", "StructureDefinition.differential.element[1].slicing.discriminator[0]")]


def _reporting_profile() -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/Mr", "name": "Mr", "status": "draft",
            "kind": "resource", "abstract": False, "type": "MeasureReport", "derivation": "constraint",
            "baseDefinition": CORE + "MeasureReport", "differential": {"element": [
                {"id": "MeasureReport", "path": "MeasureReport", "constraint": [
                    {"key": "reporter-1", "severity": "error", "human": "A complete report names its reporter",
                     "expression": "MeasureReport.status != 'complete' or MeasureReport.reporter.exists()"}]},
                {"id": "MeasureReport.period", "path": "MeasureReport.period", "constraint": [
                    {"key": "period-1", "severity": "error", "human": "A period has a start",
                     "expression": "Element.exists() and Period.start.exists()"}]}]}}


def test_a_first_step_naming_the_focus_type_is_the_focus(tmp_path: Path) -> None:
    # SANER's PublicHealthMeasureReport: "MeasureReport.status != 'completed' or MeasureReport.reporter.exists()"
    # failed on every report; HL7's FHIRPathEngine.execute answers a capitalised first step that names the
    # focus's type or an ancestor with the focus ("special case for start up")
    source = definitions(tmp_path, _reporting_profile())
    report: dict[str, Any] = {
        "resourceType": "MeasureReport", "id": "m", "meta": {"profile": ["http://example.org/sd/Mr"]},
        "status": "complete", "type": "summary", "measure": "http://example.org/Measure/m",
        "period": {"start": "2020-01-01", "end": "2020-01-02"}, "reporter": {"reference": "Organization/o"}}
    assert errors(report, source) == []
    del report["reporter"]
    del report["period"]["start"]
    assert sorted(errors(report, source)) == [("invariant", "MeasureReport"), ("invariant", "MeasureReport.period")]
