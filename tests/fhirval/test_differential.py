"""A constraining StructureDefinition under validation: its differential must apply to its base."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_resource
from tests.fhirval.missing_dependency import guide_folder, loaded


@functools.cache
def source() -> DefinitionSource:
    return base_source()


def profile(*elements: dict[str, Any], base: str = "http://hl7.org/fhir/StructureDefinition/Patient",
            kind: str = "Patient") -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.test/StructureDefinition/p",
            "name": "P", "status": "draft", "kind": "resource", "abstract": False, "type": kind,
            "baseDefinition": base, "derivation": "constraint",
            "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'},
            "differential": {"element": list(elements)}}


def found(sd: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in validate_resource(sd, source())
            if i.defect in ("differential", "snapshot", "snapshot-not-checked")]


AT = "StructureDefinition.differential.element"


def test_a_differential_that_applies_has_nothing_to_say() -> None:
    sd = profile({"id": "Patient.identifier", "path": "Patient.identifier", "min": 1},
                 {"id": "Patient.gender", "path": "Patient.gender", "min": 1},
                 {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1})
    assert found(sd) == []
    assert all(not i.is_error for i in validate_resource(sd, source()))


def test_the_path_is_the_id_without_slice_names() -> None:
    ok = profile({"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs"})
    assert found(ok) == []
    bad = profile({"id": "Patient.gender", "path": "Patient.genderBla"})
    assert ("error", "differential", f"{AT}[0]") in found(bad)


def test_no_slicing_on_the_root() -> None:
    sd = profile({"id": "Patient", "path": "Patient", "slicing": {"rules": "open"}})
    assert ("error", "differential", f"{AT}[0]") in found(sd)


def test_elements_follow_the_base_order() -> None:
    sd = profile({"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
                 {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1})
    # the element HL7's snapshot generator passes over (it walks the base in order, so birthDate before identifier
    # leaves birthDate unmatched: "No match found for Patient.birthDate in the generated snapshot", at element[0]),
    # and the profile as a whole: "has 1 element in the differential (id: Patient.birthDate) that don't have a
    # matching element in the snapshot" (handleError, ai8)
    assert found(sd) == [("error", "differential", f"{AT}[0]"), ("error", "differential", "StructureDefinition")]
    # an element without an id is named only in the profile's error (the per-element one needs an id)
    del sd["differential"]["element"][0]["id"]
    assert found(sd) == [("error", "differential", "StructureDefinition")]


@pytest.mark.parametrize(("element", "type_code", "bad"), [
    ("birthDate", "date", True), ("gender", "code", False), ("maritalStatus", "CodeableConcept", False)])
def test_a_binding_only_where_a_type_can_be_bound(element: str, type_code: str, bad: bool) -> None:
    sd = profile({"id": f"Patient.{element}", "path": f"Patient.{element}", "type": [{"code": type_code}],
                  "binding": {"strength": "required", "valueSet": "http://example.test/ValueSet/v"}})
    assert (("error", "differential", f"{AT}[0]") in found(sd)) is bad


@pytest.mark.parametrize("element", ["birthDate", "contact"])
def test_a_binding_on_inherited_types_that_cannot_be_bound_is_not_judged(element: str) -> None:
    """HL7's validator judges a differential's binding by the types the element states (SD_ILLEGAL_CHARACTERISTICS);
    its snapshot generator drops one the inherited types cannot take (AU Base 6.0.0's Specimen.container)."""
    sd = profile({"id": f"Patient.{element}", "path": f"Patient.{element}",
                  "binding": {"strength": "preferred", "valueSet": "http://example.test/ValueSet/v"}})
    assert ("error", "differential", f"{AT}[0]") not in found(sd)


def test_what_the_snapshot_generator_refuses_is_an_error() -> None:
    sd = profile({"id": "Patient.nickname", "path": "Patient.nickname"})
    assert found(sd) == [("error", "snapshot", "StructureDefinition")]
    widened = profile({"id": "Patient.gender", "path": "Patient.gender", "max": "*"})
    assert found(widened) == [("error", "snapshot", "StructureDefinition")]


def test_an_unloaded_base_is_hl7s_warning() -> None:
    """StructureDefinitionValidator.validateStructureDefinition: a base its context cannot fetch is
    UNABLE_TO_FIND_BASE__FOR_ ("..., so can't check the differential"), a warning, for any StructureDefinition: the
    harness holds what HL7's runner holds, so the lack is HL7's too (a dependency not loaded: test below)."""
    sd = profile({"id": "Patient.gender", "path": "Patient.gender"}, base="http://example.test/StructureDefinition/x")
    assert found(sd) == [("warning", "snapshot-not-checked", "StructureDefinition")]
    specialization = {**profile(base="http://example.test/StructureDefinition/x"), "derivation": "specialization"}
    assert found(specialization) == [("warning", "snapshot-not-checked", "StructureDefinition")]


def test_a_base_in_a_dependency_not_loaded_is_information_only(tmp_path: Path) -> None:
    """A dependency of a loaded package that could not be loaded would define the base: HL7, holding it, checks the
    differential; the harness cannot, and says so (information)."""
    guide_folder(tmp_path)
    source = loaded(tmp_path)
    sd = profile({"id": "Patient.gender", "path": "Patient.gender"}, base="http://dep.test/StructureDefinition/x")
    assert [(i.severity, i.defect) for i in validate_resource(sd, source) if i.defect == "snapshot-not-checked"] == [
        ("information", "snapshot-not-checked")]


def test_specialisations_and_definitions_without_a_differential_are_left_alone() -> None:
    sd = profile({"id": "Patient.nickname", "path": "Patient.nickname"})
    sd["derivation"] = "specialization"
    assert found(sd) == []
    bare = profile()
    del bare["differential"]
    assert found(bare) == []


@pytest.mark.parametrize("element", [
    {"id": "Patient.gender", "path": "Patient.gender", "constraint": 5},
    None, "x", {"id": "", "path": ""},
])
def test_a_malformed_differential_is_an_error_not_a_traceback(element: Any) -> None:
    assert ("error", "snapshot", "StructureDefinition") in found(profile(element))


def test_a_differential_type_that_is_not_a_list_is_reported_by_the_walk_not_raised() -> None:
    sd = profile({"id": "Patient.gender", "path": "Patient.gender", "type": True})
    assert any(i.is_error for i in validate_resource(sd, source()))


def test_snapshot_and_differential_may_share_element_ids() -> None:
    """Every published profile repeats its differential's ids in its snapshot: not duplicate-id (sdf-16 and
    sdf-17 keep each list's own ids distinct)."""
    sd = profile({"id": "Patient.gender", "path": "Patient.gender", "min": 1})
    sd["snapshot"] = {"element": [{"id": "Patient", "path": "Patient", "min": 0, "max": "*"},
                                  {"id": "Patient.gender", "path": "Patient.gender", "min": 1, "max": "1"}]}
    assert [i for i in validate_resource(sd, source()) if i.defect == "duplicate-id"] == []
    sd["snapshot"]["element"].append({"id": "Patient.gender", "path": "Patient.gender", "min": 1, "max": "1"})
    assert any("sdf-16" in i.message for i in validate_resource(sd, source()) if i.is_error)


def test_cardinality_outside_the_base_is_still_reported_in_the_profile_itself() -> None:
    """The snapshot generator goes on past a max above the base's (as HL7's does), but validating the profile
    reports it (StructureDefinitionValidator reports the generator's error messages)."""
    sd = profile({"id": "Patient.gender", "path": "Patient.gender", "max": "*"})
    assert found(sd) == [("error", "snapshot", "StructureDefinition")]


def test_a_required_binding_cannot_be_weakened() -> None:
    """ProfileUtilities.updateFromDefinition: "illegal attempt to change the binding on ... from required to ..."
    is an error message of the generator, which StructureDefinitionValidator reports on the profile; a required
    binding restated, or an extensible one weakened, is not it."""
    gender = {"id": "Patient.gender", "path": "Patient.gender"}
    assert found(profile({**gender, "binding": {"strength": "extensible"}})) == [
        ("error", "snapshot", "StructureDefinition")]
    assert found(profile({**gender, "binding": {"strength": "required"}})) == []
    language = {"id": "Patient.communication.language", "path": "Patient.communication.language"}
    assert found(profile({**language, "binding": {"strength": "example"}})) == []


def test_a_base_hl7_generates_or_loads_by_itself_is_information_without_its_package() -> None:
    """HL7's runner always loads its extensions package (ValidationEngine.loadExt) and generates cross-version
    extensions (hl7.fhir.xver-extensions): with neither loaded here, a base of theirs is the harness's lack."""
    for base in ("http://hl7.org/fhir/StructureDefinition/organization-brand",
                 "http://hl7.org/fhir/5.0/StructureDefinition/extension-Patient.gender"):
        sd = {**profile(base=base, kind="Extension"), "derivation": "specialization"}
        assert found(sd) == [("information", "snapshot-not-checked", "StructureDefinition")]
