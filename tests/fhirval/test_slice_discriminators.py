"""Slice discriminators as HL7's InstanceValidator.sliceMatches builds them (issue 21, s-fvprofstep): each synthetic
profile puts a value in a slice, or out of it, where a literal reading of the discriminator would not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import errors, profile

LOINC = "http://loinc.org"


def _coded(coding: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [coding]}}


def _by_fixed_coding() -> dict[str, Any]:
    return profile("fixed-coding-slice", "Observation", [
        {"id": "Observation.code.coding", "path": "Observation.code.coding",
         "slicing": {"discriminator": [{"type": "value", "path": "$this"}], "rules": "open"}},
        {"id": "Observation.code.coding:a", "path": "Observation.code.coding", "sliceName": "a", "min": 0,
         "max": "1", "fixedCoding": {"system": LOINC, "code": "1-8"}}])


def test_a_fixed_coding_discriminates_by_the_properties_it_gives(tmp_path: Path) -> None:
    """buildFixedExpression / buildCodingExpression: ``where(system = .. and code = ..).exists()``, so a coding with a
    display is in the slice, where the slice's fixed value then rejects the display (checkFixedValue,
    PROFILE_VAL_NOTALLOWED, at the display: checkCoding compares property by property). Compared whole, it fell in
    no slice of the open slicing and passed."""
    assert errors(tmp_path, _coded({"system": LOINC, "code": "1-8"}), [_by_fixed_coding()]) == []
    assert errors(tmp_path, _coded({"system": LOINC, "code": "2-6", "display": "x"}), [_by_fixed_coding()]) == []
    assert errors(tmp_path, _coded({"system": LOINC, "code": "1-8", "display": "x"}), [_by_fixed_coding()]) == [
        ("fixed-value", "Observation.code.coding[0].display")]


def test_a_profile_discriminator_on_a_slice_without_a_profile_matches_anything(tmp_path: Path) -> None:
    """sliceMatches: a profile discriminator whose slice names no profile adds no test ("we don't have to find
    something"), so with one discriminator every value is in that slice: closed slicing does not reject it."""
    sliced = profile("profile-slice-without-profile", "Observation", [
        {"id": "Observation.extension", "path": "Observation.extension",
         "slicing": {"discriminator": [{"type": "profile", "path": "$this"}], "rules": "closed"}},
        {"id": "Observation.extension:any", "path": "Observation.extension", "sliceName": "any", "min": 0,
         "max": "*", "type": [{"code": "Extension"}]}])
    ext = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
    res = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "extension": [ext]}
    assert errors(tmp_path, res, [sliced]) == []


def test_a_type_discriminator_on_a_prohibited_element_means_absent(tmp_path: Path) -> None:
    """sliceMatches tests max 0 before the discriminator's kind: ``discriminator.empty()``, for a type discriminator
    too (the slice of components without a value)."""
    sliced = profile("type-slice-max0", "Observation", [
        {"id": "Observation.component", "path": "Observation.component",
         "slicing": {"discriminator": [{"type": "type", "path": "value"}], "rules": "closed"}},
        {"id": "Observation.component:none", "path": "Observation.component", "sliceName": "none", "min": 1,
         "max": "1"},
        {"id": "Observation.component:none.value[x]", "path": "Observation.component.value[x]", "max": "0"},
        {"id": "Observation.component:q", "path": "Observation.component", "sliceName": "q", "min": 0, "max": "1"},
        {"id": "Observation.component:q.value[x]", "path": "Observation.component.value[x]",
         "type": [{"code": "Quantity"}]}])
    code = {"text": "c"}
    res = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "component": [{"code": code}, {"code": code, "valueQuantity": {"value": 1}}]}
    assert errors(tmp_path, res, [sliced]) == []
    res["component"] = res["component"][1:]
    assert errors(tmp_path, res, [sliced]) == [("slice-min", "Observation")]


def test_a_discriminator_the_slice_gives_nothing_for_is_left_out(tmp_path: Path) -> None:
    """sliceMatches adds a test only for a discriminator whose element fixes, patterns, prohibits or binds (required)
    something; the others decide. A slice by system and value that fixes only the system holds every identifier of
    that system (it matched none, so its minimum was reported short)."""
    sliced = profile("system-and-value", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}, {"type": "value", "path": "value"}],
                     "rules": "open"}},
        {"id": "Patient.identifier:mrn", "path": "Patient.identifier", "sliceName": "mrn", "min": 1, "max": "1"},
        {"id": "Patient.identifier:mrn.system", "path": "Patient.identifier.system",
         "fixedUri": "https://mrn.example"}])
    res = {"resourceType": "Patient", "identifier": [{"system": "https://mrn.example", "value": "1"}]}
    assert errors(tmp_path, res, [sliced]) == []
    res["identifier"][0]["system"] = "https://other.example"
    assert errors(tmp_path, res, [sliced]) == [("slice-min", "Patient")]


def test_a_profile_discriminator_reads_target_profiles_only_through_resolve(tmp_path: Path) -> None:
    """sliceMatches: ``resolve()`` takes the Reference's targetProfile, any other path the type's profile; a slice
    whose Reference names only target profiles has, by ``$this``, nothing to test by, and holds any reference."""
    sliced = profile("performer-by-profile", "Observation", [
        {"id": "Observation.performer", "path": "Observation.performer",
         "slicing": {"discriminator": [{"type": "profile", "path": "$this"}], "rules": "closed"}},
        {"id": "Observation.performer:org", "path": "Observation.performer", "sliceName": "org", "min": 0,
         "max": "*", "type": [{"code": "Reference",
                               "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Organization"]}]}])
    res = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "performer": [{"reference": "Organization/o1"}]}
    assert errors(tmp_path, res, [sliced]) == []
