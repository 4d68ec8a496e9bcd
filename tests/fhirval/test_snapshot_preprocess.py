"""What a differential states for all slices (between the slicing and its first slice) is given to each slice
(snapshot_preprocess.py), as HL7's SnapshotGenerationPreProcessor.processSlices does; found with HL7's generator
test t22 (bench/fhir_snapshot_generation.py). Instances are not judged differently by it (the validator checks a
slice's items against the unsliced element too): the generated snapshot, and the profiles built on it, are.
Also what a slice of a contentReference starts from (t21)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import apply_differential
from conformance.fhirval.snapshot_preprocess import preprocess

URL = "https://conformance.example/fhir/StructureDefinition/p"
MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def el(element_id: str, **more: Any) -> dict[str, Any]:
    path = ".".join(part.split(":")[0] for part in element_id.split("."))
    return {"id": element_id, "path": path, **more}


DIFF = [
    el("Patient.identifier", slicing={"discriminator": [{"type": "pattern", "path": "type"}], "rules": "open"}),
    el("Patient.identifier.use", fixedCode="official", mustSupport=True),
    el("Patient.identifier.system", min=1),
    el("Patient.identifier:MRN", sliceName="MRN"),
    el("Patient.identifier:MRN.use", short="own short, no fixed value"),
    el("Patient.identifier:MRN.type", patternCodeableConcept=MR),
    el("Patient.identifier:other", sliceName="other"),
    el("Patient.identifier:other.type", patternCodeableConcept={"text": "other"}),
    el("Patient.identifier:other.use", fixedCode="usual"),
]


def profile() -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": URL, "name": "P", "status": "active", "kind": "resource",
            "abstract": False, "type": "Patient", "derivation": "constraint",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "differential": {"element": DIFF}}


def test_each_slice_gets_what_the_differential_says_of_all_slices() -> None:
    builder, landed = apply_differential(profile(), LayeredSource([base_source()]))
    els = {e["id"]: e for e in builder.elements}
    assert els["Patient.identifier:MRN.system"]["min"] == 1  # added to the slice
    assert els["Patient.identifier:MRN.use"]["fixedCode"] == "official"  # merged: the slice's element lacked it
    assert els["Patient.identifier:MRN.use"]["short"] == "own short, no fixed value"
    assert els["Patient.identifier:other.use"]["fixedCode"] == "usual"  # the slice's own value stays
    assert els["Patient.identifier:other.use"]["mustSupport"] is True
    assert len(landed) == len(DIFF)  # differential.py judges the profile's own elements only


def test_the_profile_itself_is_not_changed_and_extension_slicing_is_left_alone() -> None:
    sd = profile()
    preprocess(sd["differential"]["element"])
    assert sd["differential"]["element"] == DIFF
    extension = [el("Patient.extension", slicing={"discriminator": [{"type": "value", "path": "url"}],
                                                   "rules": "open", "ordered": False}),
                 el("Patient.extension.id", short="x"), el("Patient.extension:a", sliceName="a")]
    assert preprocess(extension)[1] == set()



def test_a_content_reference_copies_the_bases_children_not_the_differentials() -> None:
    """ProfilePathProcessor copies a contentReference's children from the base (resolveContentReference on
    ``cursors.base``): ``PlanDefinition.action.action`` made 1..* does not make each slice's own ``action`` 1..*
    (HL7's generator test t21); ours copied the constrained element, a false alarm on a slice without actions."""
    slicing = {"discriminator": [{"type": "value", "path": "prefix"}], "rules": "open"}
    sd = {"resourceType": "StructureDefinition", "url": URL, "name": "P", "status": "active", "kind": "resource",
          "abstract": False, "type": "PlanDefinition", "derivation": "constraint",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/PlanDefinition", "differential": {"element": [
              el("PlanDefinition.action.action", slicing=slicing, min=1),
              el("PlanDefinition.action.action:a", sliceName="a", max="1"),
              el("PlanDefinition.action.action:a.prefix", min=1, fixedString="a")]}}
    builder, _ = apply_differential(sd, LayeredSource([base_source()]))
    els = {e["id"]: e for e in builder.elements}
    assert els["PlanDefinition.action.action"]["min"] == 1
    assert els["PlanDefinition.action.action:a.action"]["min"] == 0
    assert "slicing" not in els["PlanDefinition.action.action:a.action"]


def test_two_shared_slices_children_of_one_path_are_each_given() -> None:
    """SnapshotGenerationPreProcessor.mergeElements matches each shared element against the slice's part as written
    (``handled``) and inserts a copy of every one not matched: the children of two shared extension slices share a
    path (``extension.value[x]``), and each slice gets both. Ours matched the second against the copy of the first it
    had just inserted, so ``contact:c.extension:b.value[x]`` lost its fixed value (HL7's generator test slice23, the
    re-slices ``extOtherId/npi`` and ``extOtherId/provider-id``)."""
    slicing = {"discriminator": [{"type": "pattern", "path": "relationship"}], "rules": "open"}
    ext = "http://hl7.org/fhir/StructureDefinition/"
    sd = {**profile(), "differential": {"element": [
        el("Patient.contact", slicing=slicing),
        el("Patient.contact.extension", slicing={"discriminator": [{"type": "value", "path": "url"}],
                                                  "ordered": False, "rules": "open"}),
        el("Patient.contact.extension:a", sliceName="a", type=[{"code": "Extension",
                                                                 "profile": [ext + "patient-mothersMaidenName"]}]),
        el("Patient.contact.extension:a.value[x]", fixedString="A"),
        el("Patient.contact.extension:b", sliceName="b", type=[{"code": "Extension",
                                                                 "profile": [ext + "humanname-own-prefix"]}]),
        el("Patient.contact.extension:b.value[x]", fixedString="B"),
        el("Patient.contact:c", sliceName="c"),
        el("Patient.contact:c.relationship", patternCodeableConcept={"text": "c"})]}}
    builder, _ = apply_differential(sd, LayeredSource([base_source()]))
    els = {e["id"]: e for e in builder.elements}
    assert els["Patient.contact:c.extension:a.value[x]"]["fixedString"] == "A"
    assert els["Patient.contact:c.extension:b.value[x]"]["fixedString"] == "B"
