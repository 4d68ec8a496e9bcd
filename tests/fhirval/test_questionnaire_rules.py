"""A Questionnaire's enableWhen names a question that exists, not the item itself nor one within it, as HL7's
QuestionnaireValidator (QUESTIONNAIRE_Q_ENABLEWHEN_NOTARGET / _SELF / _ISINNER)."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors


def questionnaire(*items: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "active", "item": list(items)}


def when(question: str) -> list[dict[str, Any]]:
    return [{"question": question, "operator": "=", "answerBoolean": True}]


def test_enable_when_on_an_earlier_question_or_a_later_one_is_accepted() -> None:
    q = questionnaire({"linkId": "a", "type": "boolean"},
                      {"linkId": "g", "type": "group", "item": [
                          {"linkId": "b", "type": "string", "enableWhen": when("a")},
                          {"linkId": "c", "type": "string", "enableWhen": when("d")}]},
                      {"linkId": "d", "type": "boolean"})  # a later question: only a warning to HL7
    assert errors(q) == []


def test_enable_when_naming_no_question_is_an_error() -> None:
    q = questionnaire({"linkId": "a", "type": "boolean"},
                      {"linkId": "b", "type": "string", "enableWhen": when("zz")})
    assert errors(q) == [("questionnaire", "Questionnaire.item[1]")]


def test_enable_when_naming_the_item_itself_or_an_item_within_it_is_an_error() -> None:
    q = questionnaire({"linkId": "a", "type": "boolean", "enableWhen": when("a")},
                      {"linkId": "g", "type": "group", "enableWhen": when("g1"), "item": [
                          {"linkId": "g1", "type": "boolean"}]})
    assert errors(q) == [("questionnaire", "Questionnaire.item[0]"), ("questionnaire", "Questionnaire.item[1]")]


def test_a_contained_questionnaire_is_judged_too() -> None:
    q = questionnaire({"linkId": "b", "type": "string", "enableWhen": when("zz")})
    q["id"] = "q1"
    qr = {"resourceType": "QuestionnaireResponse", "status": "in-progress", "questionnaire": "#q1",
          "contained": [q]}
    assert ("questionnaire", "QuestionnaireResponse.contained[0].item[0]") in errors(qr)
