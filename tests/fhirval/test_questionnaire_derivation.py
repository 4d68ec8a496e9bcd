"""A Questionnaire derived (extends / compliesWith) from a loaded one keeps its items' type, repeats, required,
maxLength and answer options (QuestionnaireValidator.validateQuestionnaireElementDerivation; R4 has derivedFrom
and the questionnaire-derivationType extension). Each case failed before: nothing was judged."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

SOURCE_URL = "http://example.org/Questionnaire/base-form"
SOURCE: dict[str, Any] = {
    "resourceType": "Questionnaire", "url": SOURCE_URL, "status": "active", "item": [
        {"linkId": "name", "type": "string", "required": True, "maxLength": 20},
        {"linkId": "colour", "type": "choice", "answerOption": [
            {"valueCoding": {"system": "http://example.org/c", "code": "red"}},
            {"valueCoding": {"system": "http://example.org/c", "code": "blue"}}]}]}


def derived(mode: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "draft", "derivedFrom": [SOURCE_URL],
            "_derivedFrom": [{"extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-derivationType",
                "valueCoding": {"system": "http://hl7.org/fhir/questionnaire-derivationType", "code": mode}}]}],
            "item": list(items)}


def judged(q: dict[str, Any], tmp_path: Path) -> list[tuple[str, str]]:
    return [e for e in errors(q, definitions(tmp_path, copy.deepcopy(SOURCE))) if e[0] == "questionnaire"]


def test_a_faithful_derivation(tmp_path: Path) -> None:
    same = derived("extends", {"linkId": "name", "type": "string", "required": True, "maxLength": 10},
                   {"linkId": "colour", "type": "choice", "answerOption": [
                       {"valueCoding": {"system": "http://example.org/c", "code": "red"}}]},
                   {"linkId": "extra", "type": "boolean"})  # extends may add items
    assert judged(same, tmp_path) == []


def test_what_a_derivation_may_not_change(tmp_path: Path) -> None:
    changed = derived("compliesWith",
                      {"linkId": "name", "type": "text", "required": False, "repeats": True, "maxLength": 40},
                      {"linkId": "colour", "type": "choice", "answerOption": [
                          {"valueCoding": {"system": "http://example.org/c", "code": "green"}}]},
                      {"linkId": "extra", "type": "boolean"})
    assert judged(changed, tmp_path) == [
        ("questionnaire", "Questionnaire.item[0].type"), ("questionnaire", "Questionnaire.item[0].repeats"),
        ("questionnaire", "Questionnaire.item[0].required"), ("questionnaire", "Questionnaire.item[0].maxLength"),
        ("questionnaire", "Questionnaire.item[1].answerOption[0]"),
        ("questionnaire", "Questionnaire.item[2]")]  # compliesWith: no item the source lacks
    no_limit = derived("extends", {"linkId": "name", "type": "string"},
                       {"linkId": "colour", "type": "choice", "answerValueSet": "http://example.org/vs"})
    assert judged(no_limit, tmp_path) == [("questionnaire", "Questionnaire.item[0]"),
                                          ("questionnaire", "Questionnaire.item[1]")]
