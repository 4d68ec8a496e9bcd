"""review13's findings, each a test that failed before its mend: StructureMap types named as HL7's TypeManager
names them (a logical model's type by its last segment), and inputs of the wrong JSON type that made the walk or
the CLI raise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_resource

ROOT = Path(__file__).resolve().parents[2]
CDA = "http://example.org/cda/StructureDefinition/"
DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


def _logical(name: str, children: list[tuple[str, str]]) -> dict[str, Any]:
    """A logical model (CDA's shape: its type is its URL), with a snapshot."""
    els: list[dict[str, Any]] = [{"id": name, "path": name, "min": 0, "max": "*",
                                  "base": {"path": name, "min": 0, "max": "*"}}]
    els += [{"id": f"{name}.{c}", "path": f"{name}.{c}", "min": 0, "max": "1",
             "base": {"path": f"{name}.{c}", "min": 0, "max": "1"}, "type": [{"code": t}]} for c, t in children]
    return {"resourceType": "StructureDefinition", "url": CDA + name, "name": name, "status": "draft",
            "fhirVersion": "4.0.1", "kind": "logical", "abstract": False, "type": CDA + name,
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Base", "derivation": "specialization",
            "snapshot": {"element": els}, "differential": {"element": els}}


def _group(name: str, source_type: str, target_type: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "typeMode": "none", "rule": rules,
            "input": [{"name": "s", "type": source_type, "mode": "source"},
                      {"name": "t", "type": target_type, "mode": "target"}]}


def test_a_logical_models_type_name_types_a_map_as_hl7s_type_manager_does(tmp_path: Path) -> None:
    """``CD`` names the logical model whose type is ``.../StructureDefinition/CD`` (TypeManager.see indexes an
    absolute type by its tail): a source typed ``CD`` on an element of that type, and a group input typed ``CD``,
    are no errors (before: "not one of the types", "neither a structure's alias nor a FHIR type")."""
    files = []
    for sd in (_logical("ClinicalDocument", [("code", CDA + "CD")]), _logical("CD", [("code", "string")])):
        path = tmp_path / f"{sd['name']}.json"
        path.write_text(json.dumps(sd))
        files.append(path)
    source = load_definitions(files)
    copy_code = {"name": "c", "source": [{"context": "s", "element": "code", "variable": "x"}],
                 "target": [{"context": "t", "contextType": "variable", "element": "text", "transform": "copy",
                             "parameter": [{"valueId": "x"}]}]}
    main = {"name": "code", "source": [{"context": "s", "element": "code", "type": "CD", "variable": "c"}],
            "target": [{"context": "t", "contextType": "variable", "element": "type", "variable": "ty"}],
            "dependent": [{"name": "cd2cc", "variable": ["c", "ty"]}]}
    sm = {"resourceType": "StructureMap", "url": "http://example.org/StructureMap/cda", "name": "Cda",
          "status": "draft", "text": DIV,
          "structure": [{"url": CDA + "ClinicalDocument", "mode": "source", "alias": "CDA"},
                        {"url": "http://hl7.org/fhir/StructureDefinition/Composition", "mode": "target",
                         "alias": "Comp"}],
          "group": [_group("main", "CDA", "Comp", [main]), _group("cd2cc", "CD", "CodeableConcept", [copy_code])]}
    assert [i.line() for i in validate_resource(sm, source) if i.is_error] == []
    wrong = json.loads(json.dumps(sm))
    wrong["group"][0]["rule"][0]["source"][0]["type"] = "Coding"  # not the element's type: still an error
    assert any("Coding" in i.message for i in validate_resource(wrong, source) if i.is_error)


def test_contained_of_the_wrong_json_type_is_an_error_not_a_crash() -> None:
    for value in (True, 1.5, 3, "x"):
        patient = {"resourceType": "Patient", "contained": value, "text": {
            "status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><a href="#x">x</a></div>'},
            "managingOrganization": {"reference": "#org"}}
        errors = [i for i in validate_resource(patient, base_source()) if i.is_error]
        assert any(i.location == "Patient.contained" for i in errors), value


def test_a_coding_code_of_the_wrong_json_type_is_an_error_not_a_crash() -> None:
    """implied_profile (vitals.py) looked the code up in a set: a list or object code raised TypeError."""
    obs = {"resourceType": "Observation", "status": "final", "text": DIV, "code": {"coding": [
        {"system": "http://loinc.org", "code": []}, {"system": "http://loinc.org", "code": {}}]}}
    errors = [i.location for i in validate_resource(obs, base_source()) if i.is_error]
    assert errors == ["Observation.code.coding[0].code", "Observation.code.coding[1].code"]


def test_a_lone_surrogate_in_a_property_name_is_printed_escaped(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"resourceType": "Patient", "\\ud800": 1}')
    done = subprocess.run([sys.executable, "-m", "conformance.cli", "validate", "fhir", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "error Patient.\\ud800: unrecognised property" in done.stdout and "internal error" not in done.stderr


def test_a_json_type_message_takes_the_article_its_type_needs() -> None:
    """The new-user trial's "the value of a integer": an integer, an id; a uri (said "you-ree")."""
    from conformance.fhirval.primitives import check_json_type

    assert check_json_type("integer", "1") == "the value of an integer must be a JSON integer, not a JSON string ('1')"
    assert str(check_json_type("uri", 1)).startswith("the value of a uri must be a JSON string")
