"""An extension slice's cardinality from its extension definition (snapshot_merge.slice_cardinality), as HL7's
generator gives it (ProfilePathProcessor); found with HL7's own generator tests (bench/fhir_snapshot_generation.py:
t11, t17, t45, ext-profile)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import generate_snapshot
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

FHIR = "http://hl7.org/fhir/StructureDefinition/"
A, B = "https://conformance.example/fhir/StructureDefinition/a", "https://conformance.example/fhir/StructureDefinition/b"
MAIDEN_NAME = FHIR + "patient-mothersMaidenName"  # root 0..1, on Patient
DISABILITY = FHIR + "patient-disability"  # root 0..*
SLICING = {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}


def sd(url: str, base: str, *diff: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1], "status": "active",
            "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
            "baseDefinition": base, "differential": {"element": list(diff)}}


def ext_slice(name: str, profile: str, **more: Any) -> dict[str, Any]:
    return {"id": f"Patient.extension:{name}", "path": "Patient.extension", "sliceName": name,
            "type": [{"code": "Extension", "profile": [profile]}], **more}


def slicer(**more: Any) -> dict[str, Any]:
    return {"id": "Patient.extension", "path": "Patient.extension", "slicing": SLICING, **more}


def snapshot(*profiles: dict[str, Any]) -> dict[str, dict[str, Any]]:
    source = LayeredSource([base_source(), MemorySource(profiles)])
    built = source.structure(profiles[-1]["url"])
    assert built is not None
    return {e["id"]: e for e in built["snapshot"]["element"]}


def test_a_new_slice_takes_its_definitions_max() -> None:
    """``template = merge(src, slicerElement)``: the slice starts from the definition's root element (0..1)."""
    els = snapshot(sd(A, FHIR + "Patient", slicer(), ext_slice("mn", MAIDEN_NAME), ext_slice("d", DISABILITY)))
    assert (els["Patient.extension:mn"]["min"], els["Patient.extension:mn"]["max"]) == (0, "1")
    assert els["Patient.extension:d"]["max"] == "*"


def test_the_differentials_max_wins_and_the_slicers_max_caps() -> None:
    """The differential's max overrides the definition's; no slice repeats more than its slicer allows
    (``outcome.getMaxAsInt() > slicerElement.getMaxAsInt()``)."""
    els = snapshot(sd(A, FHIR + "Patient", slicer(max="3"), ext_slice("mn", MAIDEN_NAME, max="*"),
                      ext_slice("d", DISABILITY)))
    assert els["Patient.extension:mn"]["max"] == "3"
    assert els["Patient.extension:d"]["max"] == "3"


def test_a_slice_added_to_the_bases_slicing_does_not_repeat_when_its_definition_does_not() -> None:
    """processPathWithSlicedBaseDefault: ``if (!edt.repeats() && outcome.repeats()) outcome.setMax(edt.getMax())``."""
    a = sd(A, FHIR + "Patient", slicer(), ext_slice("d", DISABILITY))
    b = sd(B, A, ext_slice("mn", MAIDEN_NAME, max="*"))
    source = LayeredSource([base_source(), MemorySource([a])])
    source = LayeredSource([base_source(), MemorySource([generate_snapshot(a, source)])])
    els = {e["id"]: e for e in generate_snapshot(b, source)["snapshot"]["element"]}
    assert els["Patient.extension:mn"]["max"] == "1"


def test_a_repeated_extension_breaks_the_slice_as_hl7_judges_it() -> None:
    profile = sd(A, FHIR + "Patient", slicer(), ext_slice("mn", MAIDEN_NAME))
    ext = {"url": MAIDEN_NAME, "valueString": "Smith"}
    patient = {"resourceType": "Patient", "meta": {"profile": [A]}, "extension": [ext, ext]}
    source = LayeredSource([base_source(), MemorySource([profile])])
    found = [f"{i.defect} {i.location}" for i in validate_resource(patient, source) if i.is_error]
    assert found == ["slice-max Patient.extension"]


def test_extension_slices_without_slicing_get_hl7s_slicing_and_their_mins_sum() -> None:
    """ProfileUtilities.makeExtensionSlicing (value:url, unordered, open) for an extension element sliced without a
    stated slicing, and ``SNAPSHOT_auto_added_slicing``: that element's min rises to its slices' (HL7 test t12)."""
    els = snapshot(sd(A, FHIR + "Patient", ext_slice("mn", MAIDEN_NAME, min=1), ext_slice("d", DISABILITY, min=1)))
    assert els["Patient.extension"]["slicing"] == {"discriminator": [{"type": "value", "path": "url"}],
                                                   "ordered": False, "rules": "open"}
    assert els["Patient.extension"]["min"] == 2
    stated = snapshot(sd(A, FHIR + "Patient", slicer(), ext_slice("mn", MAIDEN_NAME, min=1)))
    assert stated["Patient.extension"]["min"] == 0  # slicing the profile states: HL7 only tells (a message)


def test_a_mandatory_slice_of_a_datatypes_own_extension_slicing_makes_the_extension_required() -> None:
    """R4's Address snapshot slices ``Address.extension`` itself; a differential that only adds a slice leaves that
    slicing to the generator (processPathWithSlicedBaseDefault: a first match with a slice name and no slicing,
    ``SNAPSHOT_auto_added_slicing``), so the slices' summed min raises it (HL7 tests t14, t34, t35)."""
    address = "Patient.address.extension"
    els = snapshot(sd(A, FHIR + "Patient", {"id": f"{address}:d", "path": address, "sliceName": "d", "min": 1,
                                            "type": [{"code": "Extension", "profile": [DISABILITY]}]}))
    assert els[address]["min"] == 1 and els[address]["slicing"]["discriminator"] == SLICING["discriminator"]
    assert els[f"{address}:d"]["min"] == 1
    # the differential stating that element (an element without an id, as HL7's document-structure writes them)
    # makes the slicing the profile's: only a message, the min stays (ProfileUtilities.generateSnapshot)
    stated = snapshot(sd(A, FHIR + "Patient", {"path": address, "slicing": SLICING},
                         {"path": address, "sliceName": "d", "min": 1,
                          "type": [{"code": "Extension", "profile": [DISABILITY]}]}))
    assert stated[address]["min"] == 0 and stated[f"{address}:d"]["min"] == 1


def test_a_slice_of_a_datatypes_extension_slicing_does_not_repeat_when_its_definition_does_not() -> None:
    """The slicing of R4's ``Address.extension`` is the base's to HL7 (processPathWithSlicedBaseDefault): a
    geolocation slice (root 0..1) stays 0..1 whatever max the differential gives it (``!edt.repeats()``; HL7 tests
    org2a, org2b), so a second geolocation in one address breaks the slice."""
    address, geo = "Patient.address.extension", FHIR + "geolocation"
    profile = sd(A, FHIR + "Patient", {"id": f"{address}:geo", "path": address, "sliceName": "geo", "max": "*",
                                       "type": [{"code": "Extension", "profile": [geo]}]})
    assert snapshot(profile)[f"{address}:geo"]["max"] == "1"
    ext = {"url": geo, "extension": [{"url": "latitude", "valueDecimal": 1.5}, {"url": "longitude", "valueDecimal": 2}]}
    patient = {"resourceType": "Patient", "meta": {"profile": [A]}, "address": [{"extension": [ext, ext]}]}
    source = LayeredSource([base_source(), MemorySource([profile])])
    found = [f"{i.defect} {i.location}" for i in validate_resource(patient, source) if i.is_error]
    assert found == ["slice-max Patient.address[0].extension"]


def string_extension_with_invariant() -> dict[str, Any]:
    """Extension B on Patient, a string value, with its own root invariant e-1 (no 'x')."""
    rule = {"key": "e-1", "severity": "error", "human": "no x", "expression": "value.exists() implies value != 'x'"}
    return {"resourceType": "StructureDefinition", "url": B, "name": "e", "status": "active", "kind": "complex-type",
            "abstract": False, "type": "Extension", "derivation": "constraint",
            "context": [{"type": "element", "expression": "Patient"}], "baseDefinition": FHIR + "Extension",
            "differential": {"element": [{"id": "Extension", "path": "Extension", "constraint": [rule]},
                                         {"id": "Extension.url", "path": "Extension.url", "fixedUri": B},
                                         {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                          "type": [{"code": "string"}]}]}}


def test_a_new_slice_carries_its_definitions_root_invariants() -> None:
    """ProfilePathProcessor.processSimplePathWithOneMatchingElementInDifferential: ``merge(src, slicerElement)``
    returns ``src.copy()`` (APPLY_PROPERTIES_FROM_SLICER is false), so a new extension slice starts from the
    definition's root with its own invariants, and fillOutFromBase adds the base element's keys it lacks (Plan-Net's
    ``extension:newpatients`` has ``new-patients-characteristics``; HL7's on-questionnaire ``sdc-lcext-1``, ``var-1``).
    An instance is told once, as before: the definition's root judges the extension too."""
    ext = string_extension_with_invariant()
    profile = sd(A, FHIR + "Patient", slicer(), ext_slice("e", B))
    els = snapshot(ext, profile)
    assert [c["key"] for c in els["Patient.extension:e"]["constraint"]] == ["ele-1", "ext-1", "e-1"]
    source = LayeredSource([base_source(), MemorySource([ext, profile])])
    patient = {"resourceType": "Patient", "meta": {"profile": [A]}, "extension": [{"url": B, "valueString": "x"}]}
    assert [i.defect for i in validate_resource(patient, source) if i.is_error] == ["invariant"]


def test_every_slice_of_extension_slicing_the_generator_made_carries_its_definitions_root_invariants() -> None:
    """ProfilePathProcessor.processSimplePathDefault makes an unstated extension slicing once
    (``makeExtensionSlicing()``, ``SNAPSHOT_auto_added_slicing``) and processes every slice against that slicer
    (processSimplePathWithOneMatchingElementInDifferential, ``merge(src, slicerElement)``): the second slice is as
    new as the first, not a slice added to a base's slicing (HL7 test on-questionnaire:
    ``item:group.extension:variable`` has ``var-1``)."""
    ext = string_extension_with_invariant()
    els = snapshot(ext, sd(A, FHIR + "Patient", ext_slice("mn", MAIDEN_NAME), ext_slice("e", B)))
    assert els["Patient.extension"]["slicing"]["rules"] == "open"
    assert [c["key"] for c in els["Patient.extension:e"]["constraint"]] == ["ele-1", "ext-1", "e-1"]
    assert els["Patient.extension:mn"]["max"] == "1"
