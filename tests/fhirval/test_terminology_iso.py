"""ISO 3166, ISO 4217 and UN M49 codes judged by their lists and forms (fvterm5). HL7's ValueSetValidator sends
these systems to its terminology server (SERVER_SIDE_LIST); the server's answer on membership follows from the
lists: a code on the current list is in its system, a name such as 'Australia' is a code of none. Each case fails
without the rule (before, every code of these systems was left unjudged)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.terminology_grammars import ISO3166, ISO3166_2, ISO4217, M49, judge
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_questionnaire_answers import judged, response

JURISDICTION = "http://hl7.org/fhir/ValueSet/jurisdiction"


@pytest.mark.parametrize(("system", "code", "verdict"), [
    (ISO3166, "AU", True), (ISO3166, "AUS", True), (ISO3166, "036", True),  # alpha-2, alpha-3, numeric
    (ISO3166, "XK", None), (ISO3166, "au", None), (ISO3166, "ZZZ", None),  # a code's form, not listed: unjudged
    (ISO3166, "Australia", False), (ISO3166, "U.S.", False), (ISO3166, "", False),  # no code's form
    (ISO3166_2, "US-CA", True), (ISO3166_2, "XX-99", None), (ISO3166_2, "California", False),
    (ISO4217, "USD", True), (ISO4217, "840", True), (ISO4217, "XYZ", None), (ISO4217, "US$", False),
    (M49, "001", None), (M49, "AU", False), (M49, "Australia", False),
])
def test_a_code_is_judged_by_its_list_and_form(system: str, code: str, verdict: bool | None) -> None:
    assert judge(system, code) is verdict


def test_a_filtered_include_of_a_grammar_system_refuses_what_the_grammar_refuses() -> None:
    # R4's jurisdiction: ISO 3166 whole, ISO 3166-2 whole, M49 filtered on class = region. 'Australia' is a code of
    # none of them (HL7's server: "Code 'Australia' not found in filter set"); a three-digit code may be a region
    expansion = Terminology(base_source(), find_package=False).expand(JURISDICTION)
    assert expansion is not None
    assert expansion.contains(None, "Australia") is False
    assert expansion.contains(None, "AU") is True
    assert expansion.contains(M49, "001") is None
    assert expansion.contains(M49, "AU") is False


def _qr(*answers: dict[str, Any]) -> dict[str, Any]:
    return response({"type": "string", "repeats": True, "answerValueSet": JURISDICTION}, *answers)


def test_a_string_answer_is_a_code_of_the_questions_answer_value_set() -> None:
    # QuestionnaireValidator.validateQuestionnaireResponseItemString: QUESTIONNAIRE_QR_ITEM_VS_FAIL, an error
    assert judged(_qr({"valueString": "AU"}, {"valueString": "001"})) == []
    assert judged(_qr({"valueString": "AU"}, {"valueString": "Australia"})) == [
        ("questionnaire", "QuestionnaireResponse.item[0].answer[1].value.ofType(string)")]


def test_a_value_set_not_held_or_a_question_of_another_type_is_not_judged_so() -> None:
    other = response({"type": "string", "answerValueSet": "https://conformance.example/vs/not-held"},
                     {"valueString": "Australia"})
    assert judged(other) == []
    text = response({"type": "text", "answerValueSet": JURISDICTION}, {"valueString": "Australia"})
    assert [e for e in judged(text) if "allowed values" in e[1]] == []


def test_a_money_currency_that_is_no_iso_4217_code_is_refused_by_its_required_binding() -> None:
    claim = {"resourceType": "Basic", "code": {"text": "x"},
             "extension": [{"url": "https://conformance.example/ext", "valueMoney": {"value": 1, "currency": "US$"}}]}
    issues = validate_resource(claim, base_source())
    found = [i for i in issues if i.is_error and i.defect == "code-invalid"]
    assert {i.location for i in found} == {"Basic.extension[0].value.ofType(Money).currency"}
    assert any("is not in the value set http://hl7.org/fhir/ValueSet/currencies" in i.message for i in found)
    claim["extension"][0]["valueMoney"]["currency"] = "EUR"
    assert [i for i in validate_resource(claim, base_source()) if i.is_error and i.defect == "code-invalid"] == []
