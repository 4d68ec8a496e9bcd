"""A bound value set's own displays (HL7's useValueSetDisplays, set by its R4 test runner) and a binding's ``#id``
value set contained in the profile (BaseValidator.resolveBindingReference): fhir-test-cases patient-translated-codes."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

P = "http://example.test/StructureDefinition/"
V2 = "http://terminology.hl7.org/CodeSystem/v2-0131"
VS = {"resourceType": "ValueSet", "url": "http://example.test/ValueSet/rel", "status": "draft",
      "expansion": {"timestamp": "2019-05-23T10:18:03Z", "contains": [
          {"system": V2, "code": "C", "display": "alt-display"},
          {"system": V2, "code": "N", "designation": [{"value": "alt-designation"}]}]}}


def profile(name: str, value_set: str, *contained: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": P + name, "name": name, "status": "draft",
            "kind": "resource", "abstract": False, "type": "Patient", "contained": list(contained),
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
            "differential": {"element": [{"id": "Patient.contact.relationship", "path": "Patient.contact.relationship",
                                          "binding": {"strength": "required", "valueSet": value_set}}]}}


def patient(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"resourceType": "Patient", "contact": [{"name": {"text": "x"}, "relationship": [
        {"coding": [{"system": V2, "code": code, "display": display}]} for code, display in pairs]}]}


def issues(resource: dict[str, Any], asked: str, *resources: dict[str, Any]) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource(list(resources))])
    return [(i.defect, i.location) for i in validate_resource(resource, source, (asked,))
            if i.defect in ("code-display", "value-set-unknown", "code-invalid")]


PAIRS = (("C", "alt-display"), ("N", "alt-designation"), ("N", "other"))
WRONG = [("code-display", "Patient.contact[0].relationship[2].coding[0].display")]


def test_a_display_the_bound_value_set_gives_the_code_is_accepted() -> None:
    # the expansion's display and its designation are accepted; a display neither there nor in v2-0131 is not
    assert issues(patient(*PAIRS), P + "p", profile("p", VS["url"]), VS) == WRONG
    # without the profile (Patient's own binding) both alternates are wrong displays
    source = LayeredSource([base_source(), MemorySource([VS])])
    assert len([i for i in validate_resource(patient(*PAIRS), source) if i.defect == "code-display"]) == 3


def test_a_binding_to_a_contained_value_set_by_hash_id_resolves_in_the_profile() -> None:
    inner = {**copy.deepcopy(VS), "id": "rel"}
    del inner["url"]  # HL7 finds it by id among the profile's contained resources, url or not
    assert issues(patient(*PAIRS), P + "q", profile("q", "#rel", inner)) == WRONG
    # a code outside the contained value set breaks the required binding (it was "not held locally": unchecked)
    got = issues(patient(("O", "Other")), P + "q", profile("q", "#rel", inner))
    assert got == [("code-invalid", "Patient.contact[0].relationship[0]")]
