"""Profile, slicing and extension rules audited against HL7's InstanceValidator (issue 21, s-fvaud2): each
synthetic resource breaks (or keeps) one rule as the Java validator judges it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import BASE, errors, profile


def _two_slices(ordered: bool = False, rules: str = "open") -> dict[str, Any]:
    """Patient.identifier sliced by system and use; ``a`` and ``c`` fix only the system, ``b`` the use too
    (``use`` has a required binding, so HL7 tests it by memberOf where a slice fixes nothing there: an
    identifier without a use is in no slice)."""
    return profile("two-slices", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}, {"type": "value", "path": "use"}],
                     "ordered": ordered, "rules": rules}},
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "*"},
        {"id": "Patient.identifier:a.system", "path": "Patient.identifier.system", "fixedUri": "urn:a"},
        {"id": "Patient.identifier:b", "path": "Patient.identifier", "sliceName": "b", "min": 0, "max": "*"},
        {"id": "Patient.identifier:b.system", "path": "Patient.identifier.system", "fixedUri": "urn:b"},
        {"id": "Patient.identifier:b.use", "path": "Patient.identifier.use", "fixedCode": "official"},
        {"id": "Patient.identifier:c", "path": "Patient.identifier", "sliceName": "c", "min": 0, "max": "*"},
        {"id": "Patient.identifier:c.system", "path": "Patient.identifier.system", "fixedUri": "urn:b"}])


def test_value_matching_two_slices(tmp_path: Path) -> None:
    """matchSlice tries every slice: VALIDATION_VAL_PROFILE_MATCHMULTIPLE (slice ``c`` tests only the system, so an
    official ``urn:b`` identifier is in ``b`` and in ``c``); one slice matched is fine."""
    defs = [_two_slices()]
    two = {"resourceType": "Patient", "identifier": [{"system": "urn:b", "use": "official", "value": "1"}]}
    assert errors(tmp_path, two, defs) == [("slice-multiple", "Patient.identifier[0]")]
    one = {"resourceType": "Patient", "identifier": [{"system": "urn:b", "use": "usual", "value": "1"},
                                                     {"system": "urn:a", "value": "2"}]}
    assert errors(tmp_path, one, defs) == []


def test_ordered_slices_after_an_unmatched_value(tmp_path: Path) -> None:
    """assignChildren compares a value's slice with the previous value's only (lastSlice, reset by a value in no
    slice): b, other, a passes; b, a is out of order (VALIDATION_VAL_PROFILE_SLICEORDER)."""
    defs = [_two_slices(ordered=True)]
    b, a = {"system": "urn:b", "use": "usual", "value": "1"}, {"system": "urn:a", "use": "usual", "value": "2"}
    other = {"system": "urn:other", "value": "3"}
    assert errors(tmp_path, {"resourceType": "Patient", "identifier": [b, other, a]}, defs) == []
    assert errors(tmp_path, {"resourceType": "Patient", "identifier": [b, a]}, defs) == [
        ("slice-order", "Patient.identifier[1]")]


def _typed_value(*profiles: str) -> dict[str, Any]:
    return profile("typed-value", "Observation", [
        {"id": "Observation.value[x]", "path": "Observation.value[x]",
         "type": [{"code": "Quantity", "profile": list(profiles)}]}])


OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "weight"},
       "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
SIMPLE = "http://hl7.org/fhir/StructureDefinition/SimpleQuantity"


def test_unknown_type_profile(tmp_path: Path) -> None:
    """checkChild: a type profile that cannot be found is VALIDATION_VAL_UNKNOWN_PROFILE, a rule (error) for one
    profile and for each of several (was a warning here); a loaded one is walked as before."""
    unknown = "https://conformance.example/fhir/StructureDefinition/not-loaded-quantity"
    for sub in ("one", "two", "ok"):
        (tmp_path / sub).mkdir()
    at = "Observation.value.ofType(Quantity)"
    assert errors(tmp_path / "one", OBS, [_typed_value(unknown)]) == [("unknown-profile", at)]
    assert errors(tmp_path / "two", OBS, [_typed_value(SIMPLE, unknown)]) == [("unknown-profile", at)]
    assert errors(tmp_path / "ok", OBS, [_typed_value(SIMPLE)]) == []


def _string_profile(name: str, fixed: str) -> dict[str, Any]:
    return {**profile(name, "string", [{"id": "string", "path": "string", "fixedString": fixed}]),
            "kind": "primitive-type", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/string"}


def test_profile_discriminator_on_a_primitive(tmp_path: Path) -> None:
    """A profile discriminator on a primitive (``text``) tries the value against the string profile
    (sliceMatches: ``text.conformsTo(p)``); the trial walked nothing for a primitive, so every string "conformed":
    "A" fell in slice ``b`` and slice ``a`` (min 1) was short, a false alarm (fhir-test-cases
    profile-slicing-missing-instance's pattern)."""
    sliced = profile("text-slices", "Observation", [
        {"id": "Observation.category", "path": "Observation.category",
         "slicing": {"discriminator": [{"type": "profile", "path": "text"}], "rules": "open"}},
        {"id": "Observation.category:b", "path": "Observation.category", "sliceName": "b", "min": 0, "max": "1"},
        {"id": "Observation.category:b.text", "path": "Observation.category.text", "min": 1,
         "type": [{"code": "string", "profile": [BASE + "text-b"]}]},
        {"id": "Observation.category:a", "path": "Observation.category", "sliceName": "a", "min": 1, "max": "1"},
        {"id": "Observation.category:a.text", "path": "Observation.category.text", "min": 1,
         "type": [{"code": "string", "profile": [BASE + "text-a"]}]}])
    defs = [sliced, _string_profile("text-a", "A"), _string_profile("text-b", "B")]
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert errors(tmp_path, {**obs, "category": [{"text": "A"}]}, defs) == []
    assert errors(tmp_path, {**obs, "category": [{"text": "B"}]}, defs) == [("slice-min", "Observation")]


def test_primitive_type_profile_is_walked(tmp_path: Path) -> None:
    """checkChild walks a value into its type profile, a primitive's too: ``code.text`` typed as a string profile
    that fixes "A" holds "A" only; a string profile not loaded is VALIDATION_VAL_UNKNOWN_PROFILE."""
    def typed(url: str) -> dict[str, Any]:
        return profile("typed-text", "Observation", [
            {"id": "Observation.code.text", "path": "Observation.code.text",
             "type": [{"code": "string", "profile": [url]}]}])

    defs = [typed(BASE + "text-a"), _string_profile("text-a", "A")]
    obs = {"resourceType": "Observation", "status": "final"}
    for sub in ("good", "bad", "unknown"):
        (tmp_path / sub).mkdir()
    assert errors(tmp_path / "good", {**obs, "code": {"text": "A"}}, defs) == []
    assert errors(tmp_path / "bad", {**obs, "code": {"text": "Z"}}, defs) == [("fixed-value", "Observation.code.text")]
    assert errors(tmp_path / "unknown", {**obs, "code": {"text": "A"}}, [typed(BASE + "not-loaded")]) == [
        ("unknown-profile", "Observation.code.text")]


def test_fhir_type_extension_takes_a_uri() -> None:
    """checkExtension's listExtensionTypes adds uri and url to structuredefinition-fhir-type's value types ("special
    hacks"): a StructureDefinition giving ``valueUri`` there passes; another type is still the wrong one."""
    from conformance.fhirval.base import base_source
    from conformance.fhirval.validate import validate_resource

    def sd(value: dict[str, Any]) -> dict[str, Any]:
        ext = {"url": "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type", **value}
        return profile("typed-id", "Patient", [{"id": "Patient.active", "path": "Patient.active",
                                                "type": [{"extension": [ext], "code": "boolean"}]}])

    def errs(resource: dict[str, Any]) -> list[tuple[str, str]]:
        return [(i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error]

    at = "StructureDefinition.differential.element[0].type[0].extension[0]"
    assert errs(sd({"valueUri": "boolean"})) == []
    assert errs(sd({"valueUrl": "boolean"})) == []
    assert errs(sd({"valueCode": "boolean"})) == [("choice-type", at + ".valueCode")]


def test_slicing_that_cannot_be_evaluated(tmp_path: Path) -> None:
    """A slice that gives its value discriminator nothing to test by (``code`` neither fixed, patterned nor bound):
    HL7's sliceMatches throws "Could not match discriminator" and matchSlice reports SLICING_CANNOT_BE_EVALUATED
    (an error) for a value there; its counts are then hints. No value, nothing evaluated: the minimum still holds."""
    sliced = profile("unevaluable", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "type"}], "rules": "open"}},
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 1, "max": "1"}])
    for sub in ("one", "none"):
        (tmp_path / sub).mkdir()
    with_value = {"resourceType": "Patient", "identifier": [{"system": "urn:a", "value": "1"}]}
    assert errors(tmp_path / "one", with_value, [sliced]) == [("structure-slicing", "Patient.identifier[0]")]
    assert errors(tmp_path / "none", {"resourceType": "Patient"}, [sliced]) == [("slice-min", "Patient")]


def test_reference_type_profile_in_a_choice_is_not_walked(tmp_path: Path) -> None:
    """checkChild adds a choice's type profile except a Reference's ("a kludge to get around versioning issues"):
    a Reference profile not loaded on ``medication[x]`` is no unknown-profile error; on a single-typed element
    it is."""
    unknown = BASE + "not-loaded-reference"
    ref = {"code": "Reference", "profile": [unknown],
           "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Medication"]}
    choice = profile("med-choice", "MedicationRequest", [
        {"id": "MedicationRequest.medication[x]", "path": "MedicationRequest.medication[x]",
         "type": [{"code": "CodeableConcept"}, ref]}])
    single = profile("requester", "MedicationRequest", [
        {"id": "MedicationRequest.requester", "path": "MedicationRequest.requester",
         "type": [{**ref, "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Practitioner"]}]}])
    res = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
           "subject": {"reference": "Patient/1"}, "medicationReference": {"reference": "Medication/1"},
           "requester": {"reference": "Practitioner/1"}}
    for sub in ("choice", "single"):
        (tmp_path / sub).mkdir()
    assert errors(tmp_path / "choice", res, [choice]) == []
    assert errors(tmp_path / "single", res, [single]) == [("unknown-profile", "MedicationRequest.requester")]
