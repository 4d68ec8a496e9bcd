"""Profile-step rules found by aligning our errors with HL7's issue by issue
(bench/fhir_issue_alignment.py --kind profile): each a small synthetic profile and resource that the rule changes."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import generate_snapshot
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

P = "http://example.test/StructureDefinition/"
LOINC = "http://loinc.org"


def profile(name: str, *elements: dict[str, Any], base: str = "http://hl7.org/fhir/StructureDefinition/Observation",
            kind: str = "Observation") -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": P + name, "name": name, "status": "draft",
            "kind": "resource", "abstract": False, "type": kind, "baseDefinition": base, "derivation": "constraint",
            "differential": {"element": list(elements)}}


def sliced_components(name: str, code_id: str) -> dict[str, Any]:
    """Observation.component sliced by pattern on code; the slice's code element carries ``code_id`` as its id."""
    return profile(name,
                   {"id": "Observation.component", "path": "Observation.component",
                    "slicing": {"discriminator": [{"type": "pattern", "path": "code"}], "rules": "open"}},
                   {"id": "Observation.component:dia", "path": "Observation.component", "sliceName": "dia",
                    "min": 1, "max": "1"},
                   {"id": code_id, "path": "Observation.component.code",
                    "patternCodeableConcept": {"coding": [{"system": LOINC, "code": "8462-4"}]}})


def observation(*components: str, profiles: tuple[str, ...] = ()) -> dict[str, Any]:
    meta = {"meta": {"profile": list(profiles)}} if profiles else {}
    return {"resourceType": "Observation", "status": "final", **meta,
            "code": {"coding": [{"system": LOINC, "code": "1234-4"}]},
            "component": [{"code": {"coding": [{"system": LOINC, "code": c}]}, "valueString": "x"}
                          for c in components]}


def errors(resource: dict[str, Any], *sds: dict[str, Any], asked: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    source = LayeredSource([base_source(), MemorySource(list(sds))])
    return [(i.defect, i.location, i.message) for i in validate_resource(resource, source, asked) if i.is_error]


def test_a_differential_element_goes_by_its_path_when_its_id_names_another_element() -> None:
    # fhir-test-cases observation-bp-profile: the slice's code written with the slice's own id; HL7's generator
    # matches by path (ProfileUtilities.getDiffMatches), so the pattern is on component:dia.code
    stray = sliced_components("stray", "Observation.component:dia")
    snapshot = {e["id"]: e for e in generate_snapshot(stray, base_source())["snapshot"]["element"]}
    assert "patternCodeableConcept" in snapshot["Observation.component:dia.code"]
    assert "patternCodeableConcept" not in snapshot["Observation.component:dia"]
    assert errors(observation("8462-4"), stray, asked=(P + "stray",)) == []
    # without the slice's component, the slice minimum (and only it) is reported
    assert [e[0] for e in errors(observation("8480-6"), stray, asked=(P + "stray",))] == ["slice-min"]


def test_a_choice_renamed_to_its_type_still_goes_by_its_id() -> None:
    # Observation.value[x]:valueQuantity written on the path Observation.valueQuantity is the same element
    sd = profile("typed", {"id": "Observation.value[x]:valueQuantity", "path": "Observation.valueQuantity",
                           "sliceName": "valueQuantity", "min": 1})
    snapshot = {e["id"]: e for e in generate_snapshot(sd, base_source())["snapshot"]["element"]}
    assert snapshot["Observation.value[x]:valueQuantity"]["min"] == 1


def test_each_profile_walked_reports_its_own_missing_slice() -> None:
    # HL7's cardinality messages end "(from {profile})" and its duplicate check is on the text: a resource walked
    # against two profiles that both require the slice has two errors (fhir-test-cases observation-bp-bad-*)
    one = sliced_components("one", "Observation.component:dia.code")
    two = sliced_components("two", "Observation.component:dia.code")
    found = errors(observation("8480-6", profiles=(P + "two",)), one, two, asked=(P + "one",))
    assert sorted(m for d, _, m in found if d == "slice-min") == [
        f"Observation.component:dia: minimum required = 1, but only found 0 (from {P}one)",
        f"Observation.component:dia: minimum required = 1, but only found 0 (from {P}two)"]


def test_a_target_profile_given_as_hash_id_is_the_profile_s_contained_profile() -> None:
    # HL7's InstanceValidator.resolveProfile: ``#id`` is found among the profile's contained resources
    named = profile("org", {"id": "Organization.name", "path": "Organization.name", "min": 1},
                    base="http://hl7.org/fhir/StructureDefinition/Organization", kind="Organization")
    patient = profile("pat", {"id": "Patient.generalPractitioner", "path": "Patient.generalPractitioner",
                              "type": [{"code": "Reference", "targetProfile": ["#org"]}]},
                      base="http://hl7.org/fhir/StructureDefinition/Patient", kind="Patient")
    patient["contained"] = [{**named, "id": "org"}]

    def resource(org: dict[str, Any]) -> dict[str, Any]:
        return {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", **org}],
                "generalPractitioner": [{"reference": "#o"}]}

    assert errors(resource({"name": "Acme"}), patient, asked=(P + "pat",)) == []
    nameless = resource({"identifier": [{"value": "1"}]})
    assert [d for d, _, _ in errors(nameless, patient, asked=(P + "pat",))] == ["reference-target"]


def by_system(name: str, element: str, fixed: dict[str, str], *rules: dict[str, Any],
              slicer: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Patient profile slicing ``element`` by system, with ``rules`` on the slicer's children before one slice
    ``s`` whose system is ``fixed``: HL7's generator builds that slice from the base, and gives it the ``rules``
    first (SnapshotGenerationPreProcessor.processSlices: they precede the first slice)."""
    at = f"Patient.{element}"
    return profile(name, {"id": at, "path": at, **(slicer or {}),
                          "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
                   *rules, {"id": f"{at}:s", "path": at, "sliceName": "s"},
                   {"id": f"{at}:s.system", "path": f"{at}.system", **fixed},
                   base="http://hl7.org/fhir/StructureDefinition/Patient", kind="Patient")


def test_a_value_in_a_slice_keeps_the_rules_its_slicer_s_element_adds() -> None:
    # HL7's checkChild checks a sliced value against the slice and the slicer (matchSlice sets ei.slice); the
    # slicer's own child rule (identifier.value min 1) holds in the slice too, reported once
    sd = by_system("ids", "identifier", {"fixedUri": "urn:nhs"},
                   {"id": "Patient.identifier.value", "path": "Patient.identifier.value", "min": 1})
    for system in ("urn:other", "urn:nhs"):  # in no slice (was reported), in the slice (was not)
        found = errors({"resourceType": "Patient", "identifier": [{"system": system}]}, sd, asked=(P + "ids",))
        assert [(d, loc) for d, loc, _ in found] == [("cardinality-min", "Patient.identifier[0]")]
    assert errors({"resourceType": "Patient", "identifier": [{"system": "urn:nhs", "value": "1"}]}, sd,
                  asked=(P + "ids",)) == []


def test_a_slicer_s_invariant_binds_each_value_of_its_slices() -> None:
    tst = {"key": "tst-1", "severity": "error", "human": "a use", "expression": "use.exists()"}
    sd = by_system("tel", "telecom", {"fixedCode": "phone"}, slicer={"constraint": [tst]})
    found = errors({"resourceType": "Patient", "telecom": [{"system": "phone", "value": "1"},
                                                           {"system": "email", "value": "a@b"}]}, sd,
                   asked=(P + "tel",))
    assert sorted((d, loc) for d, loc, _ in found) == [("invariant", "Patient.telecom[0]"),
                                                       ("invariant", "Patient.telecom[1]")]


def test_a_slicer_s_bounds_and_stronger_binding_bind_its_slices_values() -> None:
    rank = by_system("rank", "telecom", {"fixedCode": "phone"},
                     {"id": "Patient.telecom.rank", "path": "Patient.telecom.rank", "maxValuePositiveInt": 2})
    found = errors({"resourceType": "Patient", "telecom": [{"system": "phone", "value": "1", "rank": 3}]}, rank,
                   asked=(P + "rank",))
    assert [d for d, _, _ in found] == ["max-value"]
    # identifier.type is bound extensibly in R4; the slicer's required binding holds for the slice's value too
    required = {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/identifier-type"}
    typed = by_system("typed", "identifier", {"fixedUri": "urn:nhs"},
                      {"id": "Patient.identifier.type", "path": "Patient.identifier.type", "binding": required})
    local = {"coding": [{"system": "http://example.org/types", "code": "x"}]}
    found = errors({"resourceType": "Patient", "identifier": [{"system": "urn:nhs", "value": "1", "type": local}]},
                   typed, asked=(P + "typed",))
    assert [(d, loc) for d, loc, _ in found] == [("code-invalid", "Patient.identifier[0].type")]
    snapshot = {e["id"]: e for e in generate_snapshot(typed, base_source())["snapshot"]["element"]}
    # and HL7's generator gives the slice the slicer's child's binding too: the differential states it before the
    # first slice (SnapshotGenerationPreProcessor.processSlices; snapshot_preprocess.py)
    assert snapshot["Patient.identifier:s.type"]["binding"]["strength"] == "required"


def test_a_datatype_pattern_is_judged_property_by_property() -> None:
    # HL7's checkFixedValue -> checkIdentifier: each property of the pattern is its own error where it stands
    # (fhir-test-cases patient-patternidentifier-bad: 'Missing element type' and the system's 'fixed to')
    mr = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
    oid = "urn:oid:2.16.756.5.30.999999.1"
    sd = profile("pid", {"id": "Patient.identifier", "path": "Patient.identifier",
                         "patternIdentifier": {"type": mr, "system": oid}},
                 base="http://hl7.org/fhir/StructureDefinition/Patient", kind="Patient")
    found = errors({"resourceType": "Patient", "identifier": [{"system": oid + ".2", "value": "1"}]}, sd,
                   asked=(P + "pid",))
    assert [(d, loc) for d, loc, _ in found] == [("pattern-value", "Patient.identifier[0].type"),
                                                 ("pattern-value", "Patient.identifier[0].system")]
    wrong_type = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "DL"}]}
    found = errors({"resourceType": "Patient", "identifier": [{"system": oid, "type": wrong_type}]}, sd,
                   asked=(P + "pid",))  # a CodeableConcept is one error where it stands (checkCodeableConcept)
    assert [(d, loc) for d, loc, _ in found] == [("pattern-value", "Patient.identifier[0].type")]
    assert errors({"resourceType": "Patient", "identifier": [{"system": oid, "type": mr}]}, sd,
                  asked=(P + "pid",)) == []
