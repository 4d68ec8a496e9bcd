"""A choice question's answers against its answerOption list, as HL7's QuestionnaireValidator
(QUESTIONNAIRE_QR_ITEM_NOCODING, _NOOPTIONSCODING, _EXCLUSIVE, _NOINTEGER, _NOOPTIONSINTEGER, _NOSTRING,
_NOOPTIONSSTRING): each on a small synthetic response that fails without the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

Q_URL = "http://example.org/Questionnaire/synthetic-options"
SYS = "http://example.org/cs"
EXCLUSIVE = {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive", "valueBoolean": True}


def _source(tmp_path: Path, kind: str = "choice") -> Any:
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "active", "item": [
        {"linkId": "colour", "type": kind, "repeats": True, "answerOption": [
            {"valueCoding": {"system": SYS, "code": "red"}},
            {"valueCoding": {"system": SYS, "code": "none"}, "extension": [EXCLUSIVE]}]},
        {"linkId": "count", "type": kind, "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}]},
        {"linkId": "size", "type": kind, "answerOption": [{"valueString": "S"}, {"valueString": "M"}]}]}
    return definitions(tmp_path, q)


def _qr(colours: list[dict[str, Any]], count: Any = None, size: Any = None) -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"linkId": "colour", "answer": colours}]
    if count is not None:
        items.append({"linkId": "count", "answer": [count]})
    if size is not None:
        items.append({"linkId": "size", "answer": [size]})
    return {"resourceType": "QuestionnaireResponse", "questionnaire": Q_URL, "status": "completed", "item": items}


def _red(code: str = "red", system: str | None = SYS) -> dict[str, Any]:
    return {"valueCoding": {"code": code, **({"system": system} if system else {})}}


def test_codings_are_options(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert errors(_qr([_red()]), source) == []
    assert errors(_qr([_red("blue")]), source) == [("questionnaire", "QuestionnaireResponse.item[0].answer[0]")]
    # the system is part of the option
    assert errors(_qr([_red(system=None)]), source) == [("questionnaire", "QuestionnaireResponse.item[0].answer[0]")]
    # even open-choice takes a Coding only from its options
    assert errors(_qr([_red("blue")]), _source(tmp_path, "open-choice")) == [
        ("questionnaire", "QuestionnaireResponse.item[0].answer[0]")]


def test_an_exclusive_option_is_the_only_answer(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert errors(_qr([_red("none")]), source) == []
    assert errors(_qr([_red(), _red("none")]), source) == [("questionnaire", "QuestionnaireResponse.item[0].answer[1]")]


def test_integers_and_strings_are_options_unless_open(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert errors(_qr([_red()], {"valueInteger": 2}, {"valueString": "M"}), source) == []
    assert errors(_qr([_red()], {"valueInteger": 3}, {"valueString": "XL"}), source) == [
        ("questionnaire", "QuestionnaireResponse.item[1].answer[0]"),
        ("questionnaire", "QuestionnaireResponse.item[2].answer[0]")]
    # a choice with no options of the answer's type; open-choice takes other text
    assert errors(_qr([_red(), {"valueString": "red"}]), source) == [
        ("questionnaire", "QuestionnaireResponse.item[0].answer[1]")]
    assert errors(_qr([_red(), {"valueString": "red"}], None, {"valueString": "XL"}),
                  _source(tmp_path, "open-choice")) == []
