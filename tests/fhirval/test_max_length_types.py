"""maxLength as HL7's validator judges it (InstanceValidator.checkPrimitive): on string, code, the uri types, date
and dateTime only (not markdown, id, instant or time), and 0 is no limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

URL = "http://example.org/sd/short-questionnaire"


def _profile(max_length: int) -> dict[str, Any]:
    elements = [{"id": f"Questionnaire.{name}", "path": f"Questionnaire.{name}", "maxLength": max_length}
                for name in ("title", "description")]
    return {"resourceType": "StructureDefinition", "url": URL, "name": "ShortQuestionnaire", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Questionnaire", "derivation": "constraint",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Questionnaire",
            "differential": {"element": elements}}


def _questionnaire(title: str, description: str) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "draft", "title": title, "description": description}


def test_max_length_on_a_string_but_not_on_markdown(tmp_path: Path) -> None:
    source = definitions(tmp_path, _profile(5))
    judged = [e for e in errors(_questionnaire("abcdefgh", "abcdefgh"), source, (URL,)) if e[0] == "too-long"]
    assert judged == [("too-long", "Questionnaire.title")]  # description is markdown: HL7 does not judge it


def test_a_max_length_of_zero_is_no_limit(tmp_path: Path) -> None:
    source = definitions(tmp_path, _profile(0))
    assert [e for e in errors(_questionnaire("abcdefgh", "abc"), source, (URL,)) if e[0] == "too-long"] == []
