"""HL7's corrections of invariants published wrong in R4 (FHIRPathExpressionFixer) are what is evaluated."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from conformance.fhirval import expression_fixes
from conformance.fhirval.base import BASE_ZIP, base_source
from conformance.fhirval.validate import validate_resource


def _published() -> dict[str, set[str]]:
    """Every invariant of the base R4 definitions: key -> the expressions published under it."""
    out: dict[str, set[str]] = {}
    with zipfile.ZipFile(BASE_ZIP) as z:
        index = json.loads(z.read("index.json"))
        for member in set(index["StructureDefinition"].values()):
            sd = json.loads(z.read(member))
            for element in (sd.get("snapshot") or {}).get("element", []):
                for c in element.get("constraint") or ():
                    out.setdefault(c.get("key", ""), set()).add(c.get("expression") or "")
    return out


def test_every_fix_replaces_an_invariant_r4_published() -> None:
    """A fix whose key or text matches nothing in R4 would be dead (a typo in the table)."""
    published = _published()
    texts = {e for exprs in published.values() for e in exprs}
    assert all(key in published for key in expression_fixes._BY_KEY)
    assert all(text in texts for text in expression_fixes._BY_TEXT)
    assert not any(text in texts for text in expression_fixes._BY_TEXT_OLDER)  # corrected in 4.0.1 itself


def _questionnaire(**answer: Any) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "draft", "item": [
        {"linkId": "a", "type": "boolean", "text": "Given?"},
        {"linkId": "b", "type": "string", "text": "Which?",
         "enableWhen": [{"question": "a", "operator": "exists", **answer}]}]}


def _failed(resource: dict[str, Any], key: str) -> bool:
    return any(i.is_error and f"{key}:" in i.message for i in validate_resource(resource, base_source()))


def test_que_7_holds_for_a_boolean_answer() -> None:
    """R4 publishes `answer is Boolean`, which a FHIR boolean is not: the spec's own Questionnaire-bb failed."""
    assert not _failed(_questionnaire(answerBoolean=True), "que-7")
    assert _failed(_questionnaire(answerString="yes"), "que-7")


@pytest.mark.parametrize("when, bad", [(["MORN", "AFT"], False), (["MORN", "C"], True)])
def test_tim_9_reads_a_repeating_when_value_by_value(when: list[str], bad: bool) -> None:
    timing = {"repeat": {"when": when, "offset": 30, "frequency": 1, "period": 1, "periodUnit": "d"}}
    request = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/1"},
               "dosageInstruction": [{"timing": timing}]}
    assert _failed(request, "tim-9") is bad


def _logical(*paths: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/M", "name": "M", "status": "draft",
            "kind": "logical", "abstract": False, "type": "http://example.org/sd/M", "derivation": "specialization",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Base",
            "differential": {"element": [{"id": p, "path": p} for p in paths]}}


def test_eld_19_and_20_are_anchored() -> None:
    """fixExpr (before R5, "clarification in FHIRPath spec"): eld-19 / eld-20 match the whole path; published, as
    searches, they held for any path with one good character, so ``Model.Part`` (a capital after the dot) passed."""
    def failed(sd: dict[str, Any], key: str) -> list[str]:
        return [i.severity for i in validate_resource(sd, base_source()) if f"{key}:" in i.message]
    assert failed(_logical("Model", "Model.part", "Model.part.valueA"), "eld-20") == []
    assert failed(_logical("Model", "Model.Part"), "eld-20") == ["warning"]  # HL7: idea4rc's Osiris model, 641x
    assert failed(_logical("Model", "Model.part"), "eld-19") == []
    assert failed(_logical("Model", "Model.pa?rt"), "eld-19") == ["error"]
