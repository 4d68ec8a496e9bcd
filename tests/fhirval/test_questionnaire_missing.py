"""A required item left out of a QuestionnaireResponse, exactly when HL7's QuestionnaireValidator reports it
(QUESTIONNAIRE_QR_ITEM_MISSING from ``validateQuestionannaireResponseItems``): enabled, on a level it walks
(the root, a present group's items, a present question's answers' items), an error once the response is
completed or amended and a warning before; fhir-test-cases ``questionnaireResponse-enableWhen-test-nested``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.fhirval.source import DefinitionSource
from tests.fhirval.test_agreement_classes import definitions, errors, found

Q_URL = "http://example.org/Questionnaire/synthetic-missing"


def _source(tmp_path: Path) -> DefinitionSource:
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "name", "type": "string", "required": True},
        {"linkId": "group", "type": "group", "repeats": True, "item": [
            {"linkId": "condition", "type": "boolean", "required": True},
            {"linkId": "dependent", "type": "boolean", "required": True,
             "enableWhen": [{"question": "condition", "operator": "=", "answerBoolean": True}]}]},
        {"linkId": "smoker", "type": "boolean", "item": [{"linkId": "packs", "type": "integer", "required": True}]}]}
    return definitions(tmp_path, q)


def _qr(*items: dict[str, Any], status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "questionnaire": Q_URL, "status": status, "item": list(items)}


NAME = {"linkId": "name", "answer": [{"valueString": "x"}]}


def _group(condition: bool, dependent: bool | None) -> dict[str, Any]:
    inner: list[dict[str, Any]] = [{"linkId": "condition", "answer": [{"valueBoolean": condition}]}]
    if dependent is not None:
        inner.append({"linkId": "dependent", "answer": [{"valueBoolean": dependent}]})
    return {"linkId": "group", "item": inner}


def test_required_item_left_out_of_a_group_when_enabled(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert errors(_qr(NAME, _group(True, False), _group(False, None)), source) == []
    # "condition" true enables "dependent": leaving it out of the second group is HL7's error, on the group
    assert errors(_qr(NAME, _group(True, False), _group(True, None)), source) == [
        ("questionnaire", "QuestionnaireResponse.item[2]")]


def test_required_item_left_out_of_the_root(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert errors(_qr(_group(False, None)), source) == [("questionnaire", "QuestionnaireResponse")]
    # an optional group left out is nothing; a required item inside it is not looked for
    assert errors(_qr(NAME), source) == []


def test_before_completion_a_left_out_item_is_a_warning(tmp_path: Path) -> None:
    source = _source(tmp_path)
    for status in ("in-progress", "stopped", "entered-in-error"):
        issues = found(_qr(_group(False, None), status=status), source, ())
        assert ("warning", "questionnaire", "QuestionnaireResponse") in issues
        assert [i for i in issues if i[0] == "error"] == []
    assert errors(_qr(_group(False, None), status="amended"), source) == [("questionnaire", "QuestionnaireResponse")]


def test_items_of_a_question_are_looked_for_in_its_answers_only(tmp_path: Path) -> None:
    source = _source(tmp_path)
    # a question's nested items belong under its answers: an answer without "packs" lacks it
    answered = {"linkId": "smoker", "answer": [{"valueBoolean": True}]}
    assert errors(_qr(NAME, answered), source) == [("questionnaire", "QuestionnaireResponse.item[1].answer[0]")]
    answered["answer"][0]["item"] = [{"linkId": "packs", "answer": [{"valueInteger": 2}]}]
    assert errors(_qr(NAME, answered), source) == []
    # a question present without answers has no level to miss "packs" from (HL7 walks answers only)
    assert errors(_qr(NAME, {"linkId": "smoker"}), source) == []


# ---- where response items may stand (QUESTIONNAIRE_QR_ITEM_NOTFOUND, _ORDER, _GROUP_ANSWER, _DISPLAY,
# _GROUP_REQUIRED)

def test_an_item_the_questionnaire_lacks_or_puts_elsewhere(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert errors(_qr(NAME, {"linkId": "nowhere", "answer": [{"valueString": "x"}]}), source) == [
        ("questionnaire", "QuestionnaireResponse")]
    # "condition" belongs in the group, not at the root
    assert errors(_qr(NAME, {"linkId": "condition", "answer": [{"valueBoolean": False}]}), source) == [
        ("questionnaire", "QuestionnaireResponse")]


def test_items_in_the_questionnaires_order(tmp_path: Path) -> None:
    source = _source(tmp_path)
    # a repeated group may follow itself; an item before one that precedes it in the Questionnaire may not
    assert errors(_qr(NAME, _group(False, None), _group(False, None)), source) == []
    assert errors(_qr(_group(False, None), NAME), source) == [("questionnaire", "QuestionnaireResponse")]


def test_a_questions_items_go_under_its_answers(tmp_path: Path) -> None:
    source = _source(tmp_path)
    outside = {"linkId": "smoker", "answer": [{"valueBoolean": True}], "item": [{"linkId": "packs"}]}
    # one error for the misplaced items (not walked: their own answers are not judged), one for "packs" missing
    # from the answer; R4's qrs-1 invariant reports the item too
    assert [e for e in errors(_qr(NAME, outside), source) if e[0] == "questionnaire"] == [
        ("questionnaire", "QuestionnaireResponse.item[1]"),
        ("questionnaire", "QuestionnaireResponse.item[1].answer[0]")]


def test_a_required_group_has_items_and_a_display_item_none(tmp_path: Path) -> None:
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "g", "type": "group", "required": True, "item": [{"linkId": "s", "type": "string"}]},
        {"linkId": "d", "type": "display", "text": "note"}]}
    source = definitions(tmp_path, q)
    g = {"linkId": "g", "item": [{"linkId": "s", "answer": [{"valueString": "x"}]}]}
    assert errors(_qr(g, {"linkId": "d"}), source) == []
    assert errors(_qr({"linkId": "g"}, {"linkId": "d"}, status="in-progress"), source) == [
        ("questionnaire", "QuestionnaireResponse.item[0]")]
    assert errors(_qr(g, {"linkId": "d", "item": [{"linkId": "s"}]}), source) == [
        ("questionnaire", "QuestionnaireResponse.item[1]")]


# ---- every matched response item, enabled or not (QuestionnaireValidator.validateQuestionnaireResponseItem):
# QUESTIONNAIRE_QR_ITEM_MISSING as a warning before completion, QUESTIONNAIRE_QR_ITEM_NOTYPE (``fail``: fatal)

def test_a_required_question_present_without_an_answer_is_a_warning_before_completion(tmp_path: Path) -> None:
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "s", "type": "string", "required": True}, {"linkId": "o", "type": "string"},
        {"linkId": "g", "type": "group", "required": True, "item": [{"linkId": "n", "type": "string"}]}]}
    source = definitions(tmp_path, q)
    group = {"linkId": "g", "item": [{"linkId": "n", "answer": [{"valueString": "x"}]}]}
    issues = found(_qr({"linkId": "s"}, {"linkId": "o"}, group, status="in-progress"), source, ())
    assert [i for i in issues if i[1] == "questionnaire"] == [
        ("warning", "questionnaire", "QuestionnaireResponse.item[0]")]
    # answered, nothing; completed, the error alone
    assert found(_qr({"linkId": "s", "answer": [{"valueString": "x"}]}, group, status="in-progress"), source, ()) == []
    assert [i for i in found(_qr({"linkId": "s"}, group), source, ()) if i[1] == "questionnaire"] == [
        ("error", "questionnaire", "QuestionnaireResponse.item[0]")]


def test_a_question_without_a_type_is_fatal_where_a_response_item_answers_it(tmp_path: Path) -> None:
    # R4 holds Questionnaire.item.type 1..1; HL7 judges the response against the item as it finds it
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "t", "type": "string"}, {"linkId": "untyped"}]}
    source = definitions(tmp_path, q)
    given = {"linkId": "untyped", "answer": [{"valueString": "FOO"}]}
    issues = found(_qr({"linkId": "t", "answer": [{"valueString": "x"}]}, given), source, ())
    assert issues == [("fatal", "questionnaire", "QuestionnaireResponse.item[1]")]
    # an untyped question the response leaves out is not judged
    assert found(_qr({"linkId": "t", "answer": [{"valueString": "x"}]}), source, ()) == []


def test_a_response_item_without_a_linkid_is_said_so_and_matched_to_nothing(tmp_path: Path) -> None:
    # QuestionnaireValidator.validateQuestionannaireResponseItems: QUESTIONNAIRE_QR_ITEM_NOLINKID on the level, beside
    # R4's cardinality error; the item is not walked, even against a question that lacks a linkId too
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"type": "group", "item": [{"linkId": "b", "type": "boolean"}]}]}
    source = definitions(tmp_path, q)
    unlinked = {"item": [{"linkId": "b", "answer": [{"valueString": "not a boolean"}]}]}
    assert errors(_qr(unlinked), source) == [("cardinality-min", "QuestionnaireResponse.item[0]"),
                                             ("questionnaire", "QuestionnaireResponse")]
