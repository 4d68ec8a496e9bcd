"""What a differential leaves in the generated snapshot (ProfileUtilities.updateFromDefinition, ProfilePathProcessor):
a binding merged onto the base's and dropped from an element left without a bindable type, a new slice inside an
expanded datatype started from the datatype's element. Found by bench/fhir_published_snapshots.py (AU Base 6.0.0's
medication profiles, SDC's usagecontext, PDex's member-match groups) and HL7's generator test t22."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import generate_snapshot

FHIR = "http://hl7.org/fhir/StructureDefinition/"
URL = "https://conformance.example/fhir/StructureDefinition/p"


def snapshot(kind: str, *diff: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sd = {"resourceType": "StructureDefinition", "url": URL, "name": "P", "status": "active", "kind": "resource",
          "abstract": False, "type": kind, "derivation": "constraint", "baseDefinition": FHIR + kind,
          "differential": {"element": [{"path": d["id"].replace(":", "@").split("@")[0], **d} for d in diff]}}
    return {e["id"]: e for e in generate_snapshot(sd, LayeredSource([base_source()]))["snapshot"]["element"]}


def test_a_binding_restated_without_a_value_set_keeps_the_bases() -> None:
    """``nb = base.getBinding().copy()``, then only what the differential states: ``example`` alone is a strength,
    not the removal of Observation.code's value set."""
    elements = snapshot("Observation", {"id": "Observation.code", "binding": {"strength": "example"}})
    assert elements["Observation.code"]["binding"] == {
        "strength": "example", "valueSet": "http://hl7.org/fhir/ValueSet/observation-codes"}


def test_a_type_slice_of_a_type_that_cannot_bind_loses_the_choices_binding() -> None:
    """hasBindableType: a Reference slice of MedicationRequest.medication[x] (bound to medication-codes) carries no
    binding; its CodeableConcept sibling keeps it."""
    elements = snapshot(
        "MedicationRequest",
        {"id": "MedicationRequest.medication[x]",
         "slicing": {"discriminator": [{"type": "type", "path": "$this"}], "rules": "closed"}},
        {"id": "MedicationRequest.medication[x]:medicationCodeableConcept", "sliceName": "medicationCodeableConcept",
         "type": [{"code": "CodeableConcept"}]},
        {"id": "MedicationRequest.medication[x]:medicationReference", "sliceName": "medicationReference",
         "type": [{"code": "Reference", "targetProfile": [FHIR + "Medication"]}]})
    assert "binding" not in elements["MedicationRequest.medication[x]:medicationReference"]
    assert elements["MedicationRequest.medication[x]:medicationCodeableConcept"]["binding"]["valueSet"] == (
        "http://hl7.org/fhir/ValueSet/medication-codes")


def test_an_element_narrowed_to_a_type_that_cannot_bind_loses_its_binding() -> None:
    """The check runs after every merge: Observation.value[x] narrowed to ``integer`` with a binding stated
    beside it keeps none (an integer is never judged against a value set)."""
    elements = snapshot("Observation", {"id": "Observation.value[x]", "type": [{"code": "integer"}], "binding": {
        "strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/observation-status"}})
    assert "binding" not in elements["Observation.value[x]"]


def test_a_new_slice_inside_an_expanded_datatype_starts_from_the_datatypes_element() -> None:
    """ProfilePathProcessor takes a new slice's template from the base (``cursors.base``), which inside an expanded
    datatype is the datatype's own element, not the element as this differential constrained it (HL7 test t22:
    ``type.coding:preferredCoding`` does not inherit ``type.coding``'s mustSupport)."""
    elements = snapshot(
        "Patient",
        {"id": "Patient.maritalStatus.coding", "mustSupport": True, "max": "2", "slicing": {
            "discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        {"id": "Patient.maritalStatus.coding:a", "sliceName": "a"})
    unsliced, sliced = elements["Patient.maritalStatus.coding"], elements["Patient.maritalStatus.coding:a"]
    assert unsliced["mustSupport"] is True and unsliced["max"] == "2"
    assert "mustSupport" not in sliced and sliced["max"] == "*" and "slicing" not in sliced
