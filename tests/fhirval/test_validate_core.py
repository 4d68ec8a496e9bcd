"""Validator core: valid synthetic resources give no errors; each rule its exact defect at its exact location."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import to_outcome, validate_bytes, validate_resource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "validation"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def errors(resource: dict[str, Any], profiles: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source(), profiles) if i.is_error]


def found(resource: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(i.severity, i.defect, i.location) for i in validate_resource(resource, base_source())}


@pytest.mark.parametrize("name", ["patient-valid.json", "observation-valid.json", "bundle-valid.json"])
def test_valid_fixtures_have_no_errors(name: str) -> None:
    assert errors(load(name)) == []


def patient(**changes: Any) -> dict[str, Any]:
    res = copy.deepcopy(load("patient-valid.json"))
    res.update(changes)
    return res


def test_unknown_element() -> None:
    assert errors(patient(colour="blue")) == [("unknown-element", "Patient.colour")]


def test_unknown_nested_element() -> None:
    res = patient()
    res["name"][0]["nickname"] = "Al"
    assert errors(res) == [("unknown-element", "Patient.name[0].nickname")]


def test_wrong_json_type_for_primitive() -> None:
    res = patient()
    res["name"][0]["given"][1] = 3
    assert errors(res) == [("json-type", "Patient.name[0].given[1]")]


def test_boolean_as_string() -> None:
    assert errors(patient(active="true")) == [("json-type", "Patient.active")]


def test_primitive_format_date() -> None:
    assert errors(patient(birthDate="1980-13-01")) == [("primitive-format", "Patient.birthDate")]


def test_date_that_does_not_exist() -> None:
    assert errors(patient(birthDate="1981-02-29")) == [("primitive-format", "Patient.birthDate")]


def test_empty_string() -> None:
    res = patient()
    res["name"][0]["family"] = ""
    # HL7's validator reports ele-1 too: an empty value is no value (patient-extension-bad2's outcome)
    assert errors(res) == [("empty-value", "Patient.name[0].family"), ("invariant", "Patient.name[0].family")]


def test_resource_id_format() -> None:
    assert errors(patient(id="has space")) == [("primitive-format", "Patient.id")]


def test_array_expected() -> None:
    assert errors(patient(name={"family": "X"})) == [("array-expected", "Patient.name")]


def test_array_unexpected() -> None:
    assert errors(patient(gender=["female"])) == [("array-unexpected", "Patient.gender")]


def test_empty_array() -> None:
    assert errors(patient(telecom=[])) == [("array-unexpected", "Patient.telecom")]


def test_null_value() -> None:
    assert errors(patient(gender=None)) == [("null-value", "Patient.gender")]


def test_bad_items_inside_arrays_are_each_reported_where_they_are() -> None:
    """Arrays of one type take the walker's shortcut; every bad item in them still has its own issue."""
    res = patient(identifier=["x", None], name=[{"family": "A", "given": ["B", None]}], telecom=[{}])
    assert errors(res) == [("object-expected", "Patient.identifier[0]"), ("null-value", "Patient.identifier[1]"),
                           ("null-value", "Patient.name[0].given[1]"), ("invariant", "Patient.telecom[0]")]
    shadowed = patient(name=[{"given": ["B", "C"], "_given": [None, {"id": "g2"}]}])
    assert errors(shadowed) == []
    shadowed["name"][0]["_given"] = [{"id": "g2"}, None, None]  # three shadows for two values
    assert errors(shadowed) == [("primitive-extension", "Patient.name[0].given")]


def test_shapes_that_once_raised_are_issues() -> None:
    """Found by a reviewer's mutation run: each was a traceback before."""
    assert ("array-expected", "Patient.maritalStatus.coding") in errors(patient(maritalStatus={"coding": 5}))
    two = patient(gender=["male", "female"], _gender={"id": "a"})
    assert ("array-unexpected", "Patient.gender") in errors(two)


def test_object_expected() -> None:
    assert errors(patient(maritalStatus="M")) == [("object-expected", "Patient.maritalStatus")]


def test_cardinality_min() -> None:
    obs = load("observation-valid.json")
    del obs["status"]
    # a blood pressure: walked against Observation and R4's bp profile, each count error ends "(from profile)" as
    # HL7's, whose duplicate check is on the text (ValidationMessage.preciseMatch): two errors, as HL7 gives
    assert errors(obs) == [("cardinality-min", "Observation")] * 2


def test_cardinality_min_nested() -> None:
    res = patient()
    res["link"] = [{"type": "seealso"}]
    assert errors(res) == [("cardinality-min", "Patient.link[0]")]


def test_choice_multiple() -> None:
    assert errors(patient(deceasedBoolean=False, deceasedDateTime="2020")) == [("choice-multiple", "Patient.deceased")]


def test_choice_type_not_allowed() -> None:
    assert errors(patient(deceasedString="yes")) == [("choice-type", "Patient.deceasedString")]


def test_choice_location_uses_of_type() -> None:
    obs = load("observation-valid.json")
    obs["valueQuantity"] = {"value": "1"}
    # and R4's bp profile, which a blood pressure code implies (vitals.py), allows no value beside the components:
    # its closed type slicing's one slice, value[x]:valueQuantity, has max 0, which HL7's sliceMatches reads first
    # ("$this.empty()"), so the value is in no slice (was reported as the slice's max exceeded)
    assert errors(obs) == [("json-type", "Observation.value.ofType(Quantity).value"),
                           ("slice-unmatched", "Observation.value.ofType(Quantity)")]


def test_primitive_extension_shape() -> None:
    res = patient()
    res["name"][0]["_given"] = [{"extension": []}]
    # a shadow shorter than its values is read as HL7's JsonParser reads it (test_corpus_false_alarms); its
    # empty extension array is still an error where it stands
    assert ("array-unexpected", "Patient.name[0].given[0].extension") in errors(res)
    res["name"][0]["_given"] = {"extension": []}  # an object where the values are an array
    assert ("primitive-extension", "Patient.name[0].given") in errors(res)


def test_primitive_extension_unknown_property() -> None:
    assert errors(patient(_gender={"value": "x"})) == [("unknown-element", "Patient.gender.value")]


def test_ele1_empty_object() -> None:
    assert errors(patient(maritalStatus={})) == [("invariant", "Patient.maritalStatus")]


def test_unknown_resource_type() -> None:
    assert errors({"resourceType": "Patinet"}) == [("unknown-resource-type", "Patinet")]


def test_abstract_resource_type_is_not_a_resource_type() -> None:
    assert errors({"resourceType": "DomainResource"}) == [("unknown-resource-type", "DomainResource")]


def test_contained_resource_is_validated() -> None:
    res = patient()
    res["contained"][0]["active"] = "yes"
    assert errors(res) == [("json-type", "Patient.contained[0].active")]


@pytest.mark.parametrize(("data", "defect"), [
    (b"not json", "not-json"),
    (b"\xff\xfe", "not-json"),
    (b"[1, 2]", "not-resource"),
    (b'{"a": 1}', "not-resource"),
    (b"[" * 100_000 + b"]" * 100_000, "too-deep"),
])
def test_bad_input_is_an_issue_not_a_traceback(data: bytes, defect: str) -> None:
    issues = validate_bytes(data, base_source())
    assert [i.defect for i in issues] == [defect]
    assert to_outcome(issues)["issue"][0]["severity"] == "fatal"


def test_deeply_nested_resource_is_bounded() -> None:
    item: dict[str, Any] = {"linkId": "1", "text": "leaf"}
    for n in range(400):
        item = {"linkId": str(n), "text": "q", "item": [item]}
    q = {"resourceType": "Questionnaire", "status": "draft", "item": [item]}
    assert ("too-deep" in {d for d, _ in errors(q)})


def test_outcome_shape() -> None:
    outcome = to_outcome(validate_resource(patient(colour="blue"), base_source()))
    issue = outcome["issue"][0]
    assert outcome["resourceType"] == "OperationOutcome"
    assert issue["severity"] == "error" and issue["code"] == "structure"
    assert issue["expression"] == ["Patient.colour"]
    assert issue["details"]["coding"][0]["code"] == "unknown-element"
