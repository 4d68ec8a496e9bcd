"""An element defined by a contentReference is held to the invariants of the element it refers to AND to its own,
as HL7's checkChildByDefinition runs them: the referenced element's (``typeDefn``, resolveNameReference) in
checkChild, then, the element having no type, validateElement with the element's own definition, whose
invariants run at its end. R4's TestScript.test.action.operation restates tst-7 as tst-8: both are reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_bytes, validate_resource

SHORT_LINK_ID = {"key": "tst-1", "severity": "error", "human": "short linkId", "expression": "linkId.length() < 5"}
QUESTIONNAIRE: dict[str, Any] = {"resourceType": "Questionnaire", "id": "q", "status": "draft", "item": [
    {"linkId": "a", "type": "group", "item": [{"linkId": "abcdef", "type": "string"}]}]}


def _errors(issues: Any) -> list[tuple[str, str]]:
    return sorted((i.location, i.message.split(":")[1].strip()) for i in issues if i.is_error)


def test_testscript_operations_in_a_test_are_held_to_tst_7_and_tst_8() -> None:
    script = {"resourceType": "TestScript", "id": "t", "url": "http://example.org/ts", "name": "T",
              "status": "draft", "test": [{"action": [{"operation": {
                  "type": {"system": "http://terminology.hl7.org/CodeSystem/testscript-operation-codes",
                           "code": "read"},
                  "encodeRequestUrl": True, "targetId": "a", "url": "http://x"}}]}]}
    errors = _errors(validate_bytes(json.dumps(script).encode(), base_source()))
    assert errors == [("TestScript.test[0].action[0].operation", "tst-7"),
                      ("TestScript.test[0].action[0].operation", "tst-8")]


def _profiled(tmp_path: Path, element_id: str) -> list[tuple[str, str]]:
    url = "https://conformance.example/fhir/StructureDefinition/q-short"
    sd = {"resourceType": "StructureDefinition", "id": "q-short", "url": url, "name": "QShort", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Questionnaire", "derivation": "constraint",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Questionnaire",
          "differential": {"element": [{"id": element_id, "path": element_id, "constraint": [SHORT_LINK_ID]}]}}
    (tmp_path / "q.json").write_text(json.dumps(sd))
    return _errors(validate_resource(QUESTIONNAIRE, load_definitions([tmp_path / "q.json"]), (url,)))


def test_a_constraint_on_the_referenced_element_reaches_nested_items(tmp_path: Path) -> None:
    assert _profiled(tmp_path, "Questionnaire.item") == [("Questionnaire.item[0].item[0]", "tst-1")]


def test_a_constraint_on_the_content_reference_element_itself_is_run(tmp_path: Path) -> None:
    assert _profiled(tmp_path, "Questionnaire.item.item") == [("Questionnaire.item[0].item[0]", "tst-1")]
