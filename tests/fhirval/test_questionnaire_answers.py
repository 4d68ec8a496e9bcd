"""A QuestionnaireResponse's answers against the limits their questions set, as HL7's QuestionnaireValidator
(minValue/maxValue, minLength/maxLength/regex, answerOption, minQuantity/maxQuantity, mimeType/maxSize,
minOccurs/maxOccurs, a linkId the Questionnaire lacks). Each limit: an answer within it passes, one past it fails."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

SD = "http://hl7.org/fhir/StructureDefinition/"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-"
UCUM = "http://unitsofmeasure.org"


def ext(url: str, **value: Any) -> dict[str, Any]:
    return {"url": url, **value}


def response(item: dict[str, Any], *answers: dict[str, Any], r_items: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    """A completed response to a contained one-question Questionnaire."""
    q = {"resourceType": "Questionnaire", "id": "q1", "status": "active", "item": [{"linkId": "q", **item}]}
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "#q1",
            "contained": [q], "item": r_items if r_items is not None else [{"linkId": "q", "answer": list(answers)}]}


def judged(qr: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(qr) if e[0] == "questionnaire"]


def test_min_and_max_value_on_integer_decimal_date_datetime_time() -> None:
    cases = [("integer", "valueInteger", 5, 10, 20, 11), ("decimal", "valueDecimal", 5.5, 10.1, 20, 11.5),
             ("date", "valueDate", "2020", "2021-01", "2022", "2021-06-01"),
             ("dateTime", "valueDateTime", "2020-01-01", "2021-01-01T10:00:00Z", "2022",
              "2021-06-01T10:00:00Z"), ("time", "valueTime", "09:00:00", "10:00:00", "12:00:00", "11:00:00")]
    for kind, key, low, min_, max_, inside in cases:
        kind_key = "value" + key[5:]
        item = {"type": kind, "repeats": True, "extension": [ext(SD + "minValue", **{kind_key: min_}),
                                                             ext(SD + "maxValue", **{kind_key: max_})]}
        assert judged(response(item, {key: inside})) == [], kind
        high = {"integer": 21, "decimal": 20.5, "date": "2023", "dateTime": "2023-01-01", "time": "13:00:00"}[kind]
        found = judged(response(item, {key: low}, {key: high}))
        assert len(found) == 2, (kind, found)


def test_min_and_max_length_and_regex_on_a_string() -> None:
    item = {"type": "string", "maxLength": 8, "extension": [ext(SD + "minLength", valueInteger=3),
                                                            ext(SD + "regex", valueString="[a-z]+")]}
    assert judged(response(item, {"valueString": "abcd"})) == []
    assert len(judged(response(item, {"valueString": "ab"}))) == 1
    assert len(judged(response(item, {"valueString": "abcdefghij"}))) == 1
    assert len(judged(response(item, {"valueString": "abc1"}))) == 1  # the regex matches the whole value


def test_an_answer_must_be_one_of_the_options_of_its_type() -> None:
    for kind, key, options, good, bad in (("string", "valueString", ["a", "b"], "a", "c"),
                                         ("integer", "valueInteger", [1, 2], 2, 3),
                                         ("date", "valueDate", ["2022-01-01"], "2022-01-01", "2022-03-01"),
                                         ("time", "valueTime", ["10:00:00"], "10:00:00", "09:00:00"),
                                         ("choice", "valueString", ["a", "b"], "b", "z")):
        item = {"type": kind, "answerOption": [{key: o} for o in options]}
        assert judged(response(item, {key: good})) == [], kind
        assert len(judged(response(item, {key: bad}))) == 1, kind
    # an open-choice question takes any string
    item = {"type": "open-choice", "answerOption": [{"valueString": "a"}]}
    assert judged(response(item, {"valueString": "free text"})) == []


def test_min_and_max_quantity_with_ucum_conversion() -> None:
    def q(value: float, code: str) -> dict[str, Any]:
        return {"value": value, "unit": code, "system": UCUM, "code": code}

    item = {"type": "quantity", "extension": [ext(SDC + "minQuantity", valueQuantity=q(1, "km")),
                                              ext(SDC + "maxQuantity", valueQuantity=q(5, "km"))]}
    assert judged(response(item, {"valueQuantity": q(2000, "m")})) == []
    assert len(judged(response(item, {"valueQuantity": q(500, "m")}))) == 1
    assert len(judged(response(item, {"valueQuantity": q(6, "km")}))) == 1
    assert len(judged(response(item, {"valueQuantity": q(2, "kg")}))) == 2  # kg cannot be compared with km
    assert len(judged(response(item, {"valueQuantity": {"value": 2, "unit": "km"}}))) == 2  # no coded unit


def test_attachment_mime_type_and_size() -> None:
    item = {"type": "attachment", "extension": [ext(SD + "mimeType", valueCode="image/"),
                                                ext(SD + "maxSize", valueDecimal=4)]}
    assert judged(response(item, {"valueAttachment": {"contentType": "image/gif", "data": "YWJj"}})) == []
    assert len(judged(response(item, {"valueAttachment": {"contentType": "application/pdf"}}))) == 1
    assert len(judged(response(item, {"valueAttachment": {"contentType": "image/png",
                                                          "data": "YWJjZGVmZ2g="}}))) == 1


def test_min_and_max_occurs() -> None:
    item = {"type": "string", "repeats": True, "extension": [ext(SD + "questionnaire-minOccurs", valueInteger=2),
                                                             ext(SD + "questionnaire-maxOccurs", valueInteger=3)]}
    assert judged(response(item, {"valueString": "a"}, {"valueString": "b"})) == []
    assert judged(response(item, *({"valueString": s} for s in "abc"))) == []  # the maximum itself is allowed
    assert len(judged(response(item, {"valueString": "a"}))) == 1
    assert len(judged(response(item, *({"valueString": s} for s in "abcd")))) == 1


def test_a_link_id_the_questionnaire_lacks() -> None:
    item = {"type": "string"}
    assert judged(response(item, r_items=[{"linkId": "q", "answer": [{"valueString": "a"}]}])) == []
    # reported on the level that holds it, as HL7's validateQuestionannaireResponseItems (the parent's stack)
    assert judged(response(item, r_items=[{"linkId": "zz"}])) == [("questionnaire", "QuestionnaireResponse")]


def test_a_coding_answer_to_a_choice_is_one_of_its_options_and_an_exclusive_one_stands_alone() -> None:
    c1, c2 = {"system": "http://example.org", "code": "c1"}, {"system": "http://example.org", "code": "c2"}
    item = {"type": "choice", "repeats": True, "answerOption": [
        {"valueCoding": c1}, {"valueCoding": c2, "extension": [ext(SD + "questionnaire-optionExclusive",
                                                                   valueBoolean=True)]}]}
    assert judged(response(item, {"valueCoding": {**c1, "display": "any"}})) == []
    assert judged(response(item, {"valueCoding": c2})) == []
    assert len(judged(response(item, {"valueCoding": {**c1, "code": "c3"}}))) == 1
    assert len(judged(response(item, {"valueCoding": c1}, {"valueCoding": c2}))) == 1


def test_a_quantity_unit_is_one_of_the_unit_options() -> None:
    item = {"type": "quantity", "extension": [ext(SD + "questionnaire-unitOption",
                                                  valueCoding={"system": UCUM, "code": "km", "display": "km"})]}
    assert judged(response(item, {"valueQuantity": {"value": 1, "unit": "km", "system": UCUM, "code": "km"}})) == []
    assert len(judged(response(item, {"valueQuantity": {"value": 1, "unit": "kg", "system": UCUM,
                                                        "code": "kg"}}))) == 1


def test_a_required_group_given_without_items() -> None:
    item = {"type": "group", "required": True, "item": [{"linkId": "s", "type": "string"}]}
    assert judged(response(item, r_items=[{"linkId": "q", "item": [{"linkId": "s"}]}])) == []
    assert judged(response(item, r_items=[{"linkId": "q"}])) == [("questionnaire", "QuestionnaireResponse.item[0]")]


def test_an_item_of_r4s_abstract_question_type_takes_no_answers() -> None:
    # HL7's R4-to-R5 conversion (Questionnaire40_50) makes a "question" item a group
    item = {"type": "question"}
    assert judged(response(item, r_items=[{"linkId": "q"}])) == []
    assert len(judged(response(item, {"valueString": "a"}))) == 1


def test_an_answer_of_a_type_value_x_lacks_is_one_error_not_two() -> None:
    found = errors(response({"type": "open-choice"}, {"valueCode": "a"}))
    assert [e for e in found if e[0] in ("questionnaire", "choice-type")] == [
        ("choice-type", "QuestionnaireResponse.item[0].answer[0].valueCode")]
    assert len(judged(response({"type": "integer"}, {"valueString": "a"}))) == 1  # a value[x] type: still judged
