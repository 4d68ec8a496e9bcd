"""A Bundle's entries sliced by type with a profile on the slice's resource (fhir-test-cases
aggregation-profile-bundle, found by bench/fhir_issue_alignment.py --kind profile): the slice written with its
slicer's id, the type discriminator read as FHIRPath ``is``, and the slicer's own type definition applied too."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import generate_snapshot
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

P = "http://example.test/StructureDefinition/"
SD = {"resourceType": "StructureDefinition", "status": "draft", "abstract": False, "derivation": "constraint"}
ENCOUNTER = {**SD, "url": P + "enc", "name": "Enc", "kind": "resource", "type": "Encounter",
             "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Encounter",
             "differential": {"element": [{"id": "Encounter.subject", "path": "Encounter.subject", "min": 1}]}}


def bundle_profile(slice_id: str) -> dict[str, Any]:
    """Bundle.entry sliced by the type of its resource; the slice's element written with ``slice_id`` as its id."""
    return {**SD, "url": P + "bundle", "name": "B", "kind": "resource", "type": "Bundle",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Bundle", "differential": {"element": [
                {"id": "Bundle.entry", "path": "Bundle.entry",
                 "slicing": {"discriminator": [{"type": "type", "path": "resource"}], "rules": "open"}},
                {"id": slice_id, "path": "Bundle.entry", "sliceName": "encounter"},
                {"id": "Bundle.entry.resource" if slice_id == "Bundle.entry" else "Bundle.entry:encounter.resource",
                 "path": "Bundle.entry.resource", "type": [{"code": "Resource", "profile": [P + "enc"]}]}]}}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:0000000{n}-0000-4000-8000-000000000000", "resource": r}
                      for n, r in enumerate(resources)]}


def errors(resource: dict[str, Any], slice_id: str) -> list[tuple[str, str, str]]:
    source = LayeredSource([base_source(), MemorySource([ENCOUNTER, bundle_profile(slice_id)])])
    return sorted((i.defect, i.location, i.message) for i in validate_resource(resource, source, (P + "bundle",))
                  if i.is_error)


ENC = {"resourceType": "Encounter", "status": "finished"}  # no class (1..1 in R4), no subject (1..1 in enc)


def test_a_slice_written_with_its_slicer_s_id_is_a_slice_and_the_elements_after_it_its_children() -> None:
    # HL7's generator matches by path (getDiffMatches) and regenerates ids (setIds): the second Bundle.entry is the
    # slice, the Bundle.entry.resource after it the slice's resource; the slicer's resource keeps no profile
    snapshot = {e["id"]: e for e in generate_snapshot(bundle_profile("Bundle.entry"), base_source())["snapshot"][
        "element"]}
    assert snapshot["Bundle.entry:encounter"]["sliceName"] == "encounter"
    assert "sliceName" not in snapshot["Bundle.entry"]
    assert snapshot["Bundle.entry:encounter.resource"]["type"][0]["profile"] == [P + "enc"]
    assert "profile" not in snapshot["Bundle.entry.resource"]["type"][0]
    assert errors(bundle(ENC), "Bundle.entry") == errors(bundle(ENC), "Bundle.entry:encounter")


def test_a_resource_in_a_typed_slice_meets_the_slice_s_profile_and_its_own_type_s_definition() -> None:
    # checkChild validates it against the slice (its profile) and the slicer (type Resource without a profile: the
    # resource's own definition): Encounter.class missing is reported from each, as HL7's messages end
    got = errors(bundle(ENC), "Bundle.entry:encounter")
    assert sorted((d, m.rsplit("(from ", 1)[-1]) for d, _, m in got if "Encounter.class" in m) == [
        ("cardinality-min", "http://example.test/StructureDefinition/enc)"),
        ("cardinality-min", "http://hl7.org/fhir/StructureDefinition/Encounter|4.0.1)")]
    assert any("Encounter.subject" in m for _, _, m in got)


def test_a_type_discriminator_on_a_resource_typed_element_takes_any_resource() -> None:
    # sliceMatches builds "resource is Resource": a Patient is in the slice, so the slice's Encounter profile is
    # applied to it (HL7: "The type 'Patient' is not valid - must be Encounter")
    got = errors(bundle({"resourceType": "Patient"}), "Bundle.entry:encounter")
    assert [(d, loc) for d, loc, _ in got] == [("profile-type", "Bundle.entry[0].resource")]
