"""Mends a review of the issue-21 validator work confirmed: answers that crashed the comparison (a moment
before year 1 in UTC, NaN), a versioned Questionnaire canonical that fell back to another version, textLinks in
contained resources and ids the regex misread, a narrative with a lone surrogate. Each fails without its mend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes
from tests.fhirval.test_agreement_classes import definitions, errors
from tests.fhirval.test_questionnaire_answers import SD, SDC, UCUM, ext, judged, response

LINK = "http://hl7.org/fhir/StructureDefinition/textLink"


def test_a_moment_at_the_edge_of_the_calendar_is_compared_not_crashed() -> None:
    item = {"type": "dateTime", "extension": [ext(SD + "minValue", valueDateTime="2000-01-01"),
                                              ext(SD + "maxValue", valueDateTime="2100-01-01")]}
    assert len(judged(response(item, {"valueDateTime": "0001-01-01T00:00:00+14:00"}))) == 1  # before year 1 in UTC
    assert len(judged(response(item, {"valueDateTime": "9999-12-31T23:00:00-14:00"}))) == 1  # after 9999 in UTC


def test_a_nan_answer_is_a_type_error_not_a_crash() -> None:
    integer = {"type": "integer", "extension": [ext(SD + "minValue", valueInteger=5)]}
    for value in ("NaN", "sNaN", "Infinity"):
        assert ("json-type", "QuestionnaireResponse.item[0].answer[0].value.ofType(integer)") in errors(
            response(integer, {"valueInteger": value}))
    optioned = {"type": "integer", "answerOption": [{"valueInteger": 1}]}
    assert judged(response(optioned, {"valueInteger": "NaN"})) != []  # not one of the options, and no crash
    quantity = {"type": "quantity", "extension": [ext(SDC + "minQuantity", valueQuantity={
        "value": 1, "system": UCUM, "code": "kg"})]}
    assert judged(response(quantity, {"valueQuantity": {"value": "NaN", "system": UCUM, "code": "kg"}})) == []
    raw = json.dumps(response(integer, {"valueInteger": 1})).replace('"valueInteger": 1', '"valueInteger": NaN')
    found = [i.defect for i in validate_bytes(raw.encode(), base_source(), [])]
    assert "json-type" in found


def test_a_questionnaire_version_not_loaded_is_not_found_so_nothing_is_judged(tmp_path: Path) -> None:
    q = {"resourceType": "Questionnaire", "url": "http://example.com/Questionnaire/q", "version": "1.0",
         "status": "active", "item": [{"linkId": "a", "type": "string", "maxLength": 2}]}
    source = definitions(tmp_path, q)

    def qr(canonical: str) -> dict[str, Any]:
        return {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": canonical,
                "item": [{"linkId": "a", "answer": [{"valueString": "abcd"}]}]}
    judged_by = [e for e in errors(qr("http://example.com/Questionnaire/q|1.0"), source) if e[0] == "questionnaire"]
    assert judged_by != []  # the loaded version judges the answer
    assert [e for e in errors(qr("http://example.com/Questionnaire/q|1.0.2"), source)
            if e[0] == "questionnaire"] != []  # the same major.minor, as CanonicalResourceManager.get
    assert [e for e in errors(qr("http://example.com/Questionnaire/q|2.0"), source) if e[0] == "questionnaire"] == []


def _narrative(html_id: str, data: str, div_id: str | None = None) -> dict[str, Any]:
    div_id = html_id if div_id is None else div_id
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><span id="{div_id}">x</span>'
                                          "</div>",
            "extension": [{"url": LINK, "extension": [{"url": "htmlid", "valueString": html_id},
                                                      {"url": "data", "valueUri": data}]}]}


def _narrative_errors(res: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(res) if e[0] == "narrative"]


def test_a_contained_resources_text_link_may_name_what_its_container_holds() -> None:
    first = {"resourceType": "Basic", "id": "o1", "code": {"text": "x"}, "text": _narrative("h1", "#o2")}
    patient = {"resourceType": "Patient", "id": "p", "text": _narrative("h0", "#o1"),
               "contained": [first, {"resourceType": "Basic", "id": "o2", "code": {"text": "y"}}],
               "extension": [{"url": "http://example.org/x", "valueReference": {"reference": "#o1"}},
                             {"url": "http://example.org/y", "valueReference": {"reference": "#o2"}}]}
    assert _narrative_errors(patient) == []
    first["text"] = _narrative("h1", "#o3")
    assert _narrative_errors(patient) == [("narrative", "Patient.contained[0].text")]


def test_html_ids_are_read_from_the_parsed_xhtml() -> None:
    def basic(narrative: dict[str, Any]) -> dict[str, Any]:
        return {"resourceType": "Basic", "id": "b", "code": {"text": "x"}, "text": narrative}
    assert _narrative_errors(basic(_narrative("it's", "#b"))) == []  # an apostrophe inside double quotes
    assert _narrative_errors(basic(_narrative("a&b", "#b", div_id="a&amp;b"))) == []  # an entity decoded
    assert _narrative_errors(basic(_narrative("a&amp;b", "#b", div_id="a&amp;b"))) == [("narrative", "Basic.text")]


def test_a_lone_surrogate_in_a_narrative_is_read_not_raised() -> None:
    """HL7's JsonLexer makes ``\\ud800`` one char (``(char) Integer.parseInt(hex, 16)``) and XhtmlParser reads
    any char as text: no error (fvxhtml14; it was reported as not well-formed, which HL7's reader never says)."""
    res = {"resourceType": "Basic", "id": "b", "code": {"text": "x"},
           "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">\ud800</div>'}}
    assert errors(res) == []


def test_lengths_count_utf16_units_and_options_only_for_their_own_question_type() -> None:
    """Java's String.length() counts an emoji (outside the BMP) as 2; HL7 checks a question's own-type options
    only in the switch cases of the ordered and string types, so a text question's options are not judged."""
    item = {"type": "string", "maxLength": 2, "extension": [ext(SD + "minLength", valueInteger=2)]}
    assert judged(response(item, {"valueString": "\U0001F600"})) == []  # one character, two UTF-16 units
    assert len(judged(response(item, {"valueString": "a\U0001F600"}))) == 1  # three units
    text = {"type": "text", "answerOption": [{"valueString": "x"}]}
    assert judged(response(text, {"valueString": "free text"})) == []
    string = {"type": "string", "answerOption": [{"valueString": "x"}]}
    assert len(judged(response(string, {"valueString": "free text"}))) == 1


def test_an_operation_profile_version_not_loaded_is_not_found(tmp_path: Path) -> None:
    """OperationDefinitionValidator fetches the profile by url|version: another version loaded is not found
    (OPDEF_PROFILE_NOT_FOUND, an error), and the parameters are not compared with it."""
    from tests.fhirval.test_operation_profiles import IN, OPERATION, _in_profile

    source = definitions(tmp_path, {**_in_profile(), "version": "1.0"})
    op = {**OPERATION, "parameter": [{**OPERATION["parameter"][0], "min": 0}, OPERATION["parameter"][1]]}

    def judged_op(canonical: str) -> list[tuple[str, str]]:
        return [e for e in errors({**op, "inputProfile": canonical}, source) if e[0] == "operation-profile"]
    assert judged_op(IN + "|1.0") != []
    assert judged_op(IN + "|2.0") == [("operation-profile", "OperationDefinition.inputProfile")]
