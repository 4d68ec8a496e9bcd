"""A question's ``maxDecimalPlaces`` on decimal and Quantity answers, as HL7's QuestionnaireValidator
(QUESTIONNAIRE_QR_ITEM_DECIMAL_MAX_DECIMALS; fhir-test-cases ``decimal-precision-questionnaire``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

Q_URL = "http://example.org/Questionnaire/synthetic-decimals"
MAX = {"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 2}


def response(decimal: Any, quantity: Any) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "questionnaire": Q_URL, "status": "completed", "item": [
        {"linkId": "d", "answer": [{"valueDecimal": decimal}]},
        {"linkId": "q", "answer": [{"valueQuantity": {"value": quantity, "system": "http://unitsofmeasure.org",
                                                      "code": "m", "unit": "m"}}]}]}


def test_max_decimal_places_on_decimal_and_quantity_answers(tmp_path: Path) -> None:
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "d", "type": "decimal", "extension": [MAX]},
        {"linkId": "q", "type": "quantity", "extension": [MAX]}]}
    source = definitions(tmp_path, q)
    assert errors(response(1.66, 1.66), source) == []
    assert errors(response(1.666, 1.666), source) == [
        ("questionnaire", "QuestionnaireResponse.item[0].answer[0].value.ofType(decimal)"),
        ("questionnaire", "QuestionnaireResponse.item[1].answer[0].value.ofType(Quantity)")]
    assert errors(response(2, 1.5e16), source) == []  # no point written; a large value is not "places"
    # trailing zeros are lost when JSON is read, so 1.660 is judged as 1.66: a missed error, never a false one
    data = json.dumps(response(1.66, 1.66)).replace("1.66,", "1.660,", 1)
    assert errors(json.loads(data), source) == []


def test_without_the_extension_any_places_are_fine(tmp_path: Path) -> None:
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "d", "type": "decimal"}, {"linkId": "q", "type": "quantity"}]}
    assert errors(response(1.666, 1.666), definitions(tmp_path, q)) == []


def test_decimal_answer_among_a_decimal_questions_options(tmp_path: Path) -> None:
    # R4's que-5 lets a decimal question list answerOption; HL7 wants the answer's text among the options'
    # (validateQuestionnaireResponseItemDecimal, QUESTIONNAIRE_QR_ITEM_NODECIMAL)
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "d", "type": "decimal", "answerOption": [{"valueInteger": 1}, {"valueString": "2.5"}]},
        {"linkId": "q", "type": "quantity"}]}
    source = definitions(tmp_path, q)
    assert errors(response(1, 1), source) == []
    assert errors(response(2.5, 1), source) == []
    assert errors(response(3, 1), source) == [
        ("questionnaire", "QuestionnaireResponse.item[0].answer[0].value.ofType(decimal)")]
    assert errors(response(1.0, 1), source) == [  # "1.0" is not the text "1"
        ("questionnaire", "QuestionnaireResponse.item[0].answer[0].value.ofType(decimal)")]
    # an option that is no number makes HL7's loop throw: not judged
    q["item"][0]["answerOption"] = [{"valueInteger": 1}, {"valueString": "many"}]  # type: ignore[index]
    assert errors(response(3, 1), definitions(tmp_path, q)) == []


def test_max_decimal_places_counts_the_text_of_an_answer_with_an_exponent(tmp_path: Path) -> None:
    """QuestionnaireValidator.precision counts the characters after the last '.' of the answer's text, none
    without one: 1e-7 has no places (its float had 7: an error HL7 does not give) (review15)."""
    from conformance.safejson import loads

    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "d", "type": "decimal", "extension": [MAX]},
        {"linkId": "q", "type": "quantity", "extension": [MAX]}]}
    source = definitions(tmp_path, q)
    data = json.dumps(response(1.5, 1.5)).replace("1.5,", "1e-7,", 1).replace("1.5,", "3E-9,", 1)
    assert errors(loads(data), source) == []
