"""A profile on a profile, both given as differentials: what the derived differential does to what its base
profile already constrains, as HL7's generator merges it (ProfileUtilities.updateFromDefinition,
updateFromSlicing). Each case is a verdict on an instance of the derived profile."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import apply_differential, generate_snapshot
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

FHIR = "http://hl7.org/fhir/StructureDefinition/"
A, B = "https://conformance.example/fhir/StructureDefinition/a", "https://conformance.example/fhir/StructureDefinition/b"
MS = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"


def sd(url: str, base: str, *diff: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1], "status": "active",
            "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
            "baseDefinition": base, "differential": {"element": [{"id": d["path"], **d} for d in diff]}}


def errors(a: dict[str, Any], b: dict[str, Any], patient: dict[str, Any]) -> list[str]:
    source = LayeredSource([base_source(), MemorySource([a, b])])
    resource = {"resourceType": "Patient", "meta": {"profile": [B]}, **patient}
    return [f"{i.defect} {i.location}" for i in validate_resource(resource, source) if i.is_error]


def snapshot_b(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    source = LayeredSource([base_source(), MemorySource([a])])
    source = LayeredSource([base_source(), MemorySource([generate_snapshot(a, source)])])
    return {e["id"]: e for e in generate_snapshot(b, source)["snapshot"]["element"]}


def rule(expression: str) -> dict[str, Any]:
    return {"key": "tst-1", "severity": "error", "human": "tst", "expression": expression}


A_RULE = sd(A, FHIR + "Patient", {"path": "Patient", "constraint": [rule("name.exists()")]})


def test_a_restated_constraint_key_keeps_the_base_profiles_expression() -> None:
    """``if (!base.hasConstraint(s.getKey()))`` (ProfileUtilities.updateFromDefinition): a derived profile cannot
    redefine an inherited invariant, neither looser nor stricter."""
    looser = sd(B, A, {"path": "Patient", "constraint": [rule("true")]})
    stricter = sd(B, A, {"path": "Patient", "constraint": [rule("gender.exists()")]})
    assert errors(A_RULE, looser, {}) == ["invariant Patient"]  # still A's rule: a name is needed
    assert errors(A_RULE, stricter, {"name": [{"family": "F"}]}) == []  # B's restatement is not in force
    assert errors(A_RULE, stricter, {"gender": "male"}) == ["invariant Patient"]


CC = {"coding": [{"system": MS, "code": "M"}]}
A_FIXED = sd(A, FHIR + "Patient", {"path": "Patient.maritalStatus", "fixedCodeableConcept": CC})


def test_a_pattern_on_a_fixed_element_leaves_the_fixed_value() -> None:
    """setFixed and setPattern each leave the other in place (updateFromDefinition): the base profile's fixed
    value still holds where the derived one states a pattern."""
    b = sd(B, A, {"path": "Patient.maritalStatus", "patternCodeableConcept": CC})
    els = snapshot_b(A_FIXED, b)
    assert els["Patient.maritalStatus"]["fixedCodeableConcept"] == CC
    assert els["Patient.maritalStatus"]["patternCodeableConcept"] == CC
    assert errors(A_FIXED, b, {"maritalStatus": CC}) == []
    assert errors(A_FIXED, b, {"maritalStatus": {**CC, "text": "married"}}) != []


A_SLICED = sd(A, FHIR + "Patient",
              {"path": "Patient.identifier", "slicing": {"discriminator": [{"type": "value", "path": "system"}],
                                                         "rules": "open"}},
              {"path": "Patient.identifier", "id": "Patient.identifier:mrn", "sliceName": "mrn"},
              {"path": "Patient.identifier.system", "id": "Patient.identifier:mrn.system", "fixedUri": "http://mrn"})


def test_slicing_restated_with_rules_only_keeps_the_base_profiles_discriminator() -> None:
    """updateFromSlicing: the derived slicing's rules and ordered replace the base's, its discriminators are added
    to the base's; closing the slicing does not drop how slices are told apart."""
    b = sd(B, A, {"path": "Patient.identifier", "slicing": {"rules": "closed"}})
    slicing = snapshot_b(A_SLICED, b)["Patient.identifier"]["slicing"]
    assert slicing == {"discriminator": [{"type": "value", "path": "system"}], "rules": "closed"}
    assert errors(A_SLICED, b, {"identifier": [{"system": "http://mrn", "value": "1"}]}) == []
    assert errors(A_SLICED, b, {"identifier": [{"system": "http://other", "value": "1"}]}) != []


LOINC = "http://loinc.org"


def test_a_reslice_starts_from_its_slice() -> None:
    """ProfilePathProcessor (``lid.contains("/")``): a re-slice ``loinc/bp`` is generated from slice ``loinc`` as
    the profile has it (here: its display is required), not from the unsliced coding; the value the re-slice
    holds is walked against it, so the slice's own constraints still hold."""
    coding = "Observation.code.coding"
    profile = {"resourceType": "StructureDefinition", "url": B, "name": "b", "status": "active",
               "kind": "resource", "abstract": False, "type": "Observation", "derivation": "constraint",
               "baseDefinition": FHIR + "Observation",
               "differential": {"element": [
                   {"id": coding, "path": coding,
                    "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
                   {"id": f"{coding}:loinc", "path": coding, "sliceName": "loinc",
                    "slicing": {"discriminator": [{"type": "value", "path": "code"}], "rules": "open"}},
                   {"id": f"{coding}:loinc.system", "path": f"{coding}.system", "fixedUri": LOINC},
                   {"id": f"{coding}:loinc.display", "path": f"{coding}.display", "min": 1},
                   {"id": f"{coding}:loinc/bp", "path": coding, "sliceName": "loinc/bp"},
                   {"id": f"{coding}:loinc/bp.code", "path": f"{coding}.code", "fixedCode": "2093-3"}]}}
    source = LayeredSource([base_source(), MemorySource([profile])])
    els = {e["id"]: e for e in generate_snapshot(profile, source)["snapshot"]["element"]}
    assert els[f"{coding}:loinc/bp"]["sliceName"] == "loinc/bp" and els[f"{coding}:loinc/bp"]["min"] == 0
    assert els[f"{coding}:loinc/bp.system"]["fixedUri"] == LOINC and els[f"{coding}:loinc/bp.display"]["min"] == 1
    ids = list(els)
    assert ids.index(f"{coding}:loinc.display") < ids.index(f"{coding}:loinc/bp") < ids.index(f"{coding}.code") \
        if f"{coding}.code" in ids else True

    def verdict(display: dict[str, str]) -> list[str]:
        obs = {"resourceType": "Observation", "meta": {"profile": [B]}, "status": "final",
               "code": {"coding": [{"system": LOINC, "code": "2093-3", **display}]}}
        return [f"{i.defect} {i.location}" for i in validate_resource(obs, source) if i.is_error]

    assert verdict({"display": "BP"}) == []
    assert verdict({}) != []


def test_a_base_snapshot_without_ids_is_matched_by_path() -> None:
    """HL7's generator matches a base's elements by path (its test ext-sort-issue registers an STU3-era extension
    whose snapshot has no ids); ours looked them up by id and crashed (KeyError) on such a base. Ids are now made
    from paths and slice names (snapshot_ids.with_ids, as ProfileUtilities.setIds makes them)."""
    base_url = "https://conformance.example/fhir/StructureDefinition/old-ext"
    r4 = LayeredSource([base_source()])
    extension = r4.structure("http://hl7.org/fhir/StructureDefinition/Extension")
    assert extension is not None
    old = [{k: v for k, v in e.items() if k != "id"} for e in extension["snapshot"]["element"]]
    base = {"resourceType": "StructureDefinition", "url": base_url, "type": "Extension", "kind": "complex-type",
            "derivation": "constraint", "snapshot": {"element": old}}
    sd = {"resourceType": "StructureDefinition", "url": base_url + "-derived", "type": "Extension",
          "derivation": "constraint", "baseDefinition": base_url, "differential": {"element": [
              {"id": "Extension.url", "path": "Extension.url", "mustSupport": True}]}}
    builder, landed = apply_differential(sd, LayeredSource([base_source(), MemorySource([base])]))
    assert landed == ["Extension.url"] and builder.elements[0]["id"] == "Extension"
    assert "id" not in old[0]  # the base itself is left as it was


def test_a_base_slice_made_mandatory_without_restating_its_slicer_raises_the_slicers_min() -> None:
    """ProfilePathProcessor.processPathWithSlicedBaseDefault: the base slices ``identifier``; the derived differential
    names only the slice ``identifier:MRN`` (a slice name, no slicing), so the outcome is marked
    SNAPSHOT_auto_added_slicing and ProfileUtilities.generateSnapshot raises its min to the slices' summed min
    (``setMin(count)``). HL7's generator test au-med-k (``medication.concept.coding`` 0 -> 1)."""
    slicing = {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}
    a = sd(A, FHIR + "Patient", {"path": "Patient.identifier", "slicing": slicing},
           {"id": "Patient.identifier:MRN", "path": "Patient.identifier", "sliceName": "MRN", "max": "1"},
           {"id": "Patient.identifier:MRN.system", "path": "Patient.identifier.system", "fixedUri": "urn:mrn"})
    b = sd(B, A, {"id": "Patient.identifier:MRN", "path": "Patient.identifier", "sliceName": "MRN", "min": 1})
    els = snapshot_b(a, b)
    assert els["Patient.identifier:MRN"]["min"] == 1 and els["Patient.identifier"]["min"] == 1
    stated = sd(B, A, {"path": "Patient.identifier", "short": "stated"},
                {"id": "Patient.identifier:MRN", "path": "Patient.identifier", "sliceName": "MRN", "min": 1})
    assert snapshot_b(a, stated)["Patient.identifier"]["min"] == 0  # the slicer stated: only a message in HL7
