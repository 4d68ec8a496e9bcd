"""False alarms found on published guides' packages (issue 21, s-fvcorp3: the IG publisher's own output, its
``package.tgz`` and QA report: UDS+, CL Agenda, CEQ, Directory Query, FR Core and more; checked with
bench/fhir_examples_alarms.py --package), each pinned with a small synthetic resource that failed before its fix,
next to one that must still fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"
EX = "http://example.org/sd/"


def _profile(name: str, rtype: str, *elements: dict[str, Any]) -> dict[str, Any]:
    """A constraint on a core resource: its root element first, then ``elements``."""
    return {"resourceType": "StructureDefinition", "url": EX + name, "name": name, "status": "draft",
            "kind": "resource", "abstract": False, "type": rtype, "derivation": "constraint",
            "baseDefinition": CORE + rtype, "differential": {"element": [{"id": rtype, "path": rtype}, *elements]}}


def _income_profile() -> dict[str, Any]:
    return _profile("Income", "Observation",
                    {"id": "Observation.value[x]", "path": "Observation.value[x]",
                     "type": [{"code": "Range"}, {"code": "Quantity"}]},
                    {"id": "Observation.value[x].extension:dataAbsentReason", "path": "Observation.value[x].extension",
                     "sliceName": "dataAbsentReason", "max": "1",
                     "type": [{"code": "Extension", "profile": [CORE + "data-absent-reason"]}]})


def _observation(**value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o", "meta": {"profile": [EX + "Income"]}, "status": "final",
            "code": {"text": "income"}, **value}


def test_a_choice_constrained_only_in_its_element_children_keeps_the_types_children(tmp_path: Path) -> None:
    # UDS+'s income Observation: value[x] as Range or Quantity, with a slice on value[x].extension. The snapshot
    # lists only Element's children under the choice, so a Range's low and high were "unrecognised"; HL7's
    # InstanceValidator.validateElement merges the value's type's children in (mergeChildLists)
    source = definitions(tmp_path, _income_profile())
    assert errors(_observation(valueRange={"low": {"value": 101}, "high": {"value": 150}}), source) == []
    assert errors(_observation(valueQuantity={"value": 3, "unit": "a"}), source) == []
    assert errors(_observation(valueRange={"low": {"value": 1}, "middle": {"value": 2}}), source) == [
        ("unknown-element", "Observation.value.ofType(Range).middle")]
    assert errors(_observation(valueString="x"), source) == [("choice-type", "Observation.valueString")]


def _race(url: str, base: str, fixed_url: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rpartition("/")[2], "status": "draft",
            "kind": "complex-type", "abstract": False, "type": "Extension", "context": [
                {"type": "element", "expression": "Patient"}], "derivation": "constraint", "baseDefinition": base,
            "differential": {"element": [
                {"id": "Extension", "path": "Extension", "max": "1"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": fixed_url},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "string"}]}]}}


def _patient_profile() -> dict[str, Any]:
    return _profile("Pat", "Patient",
                    {"id": "Patient.extension", "path": "Patient.extension",
                     "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
                    {"id": "Patient.extension:race", "path": "Patient.extension", "sliceName": "race", "min": 1,
                     "max": "1", "type": [{"code": "Extension", "profile": [EX + "guide-race"]}]})


def test_an_extension_slice_matches_the_url_its_profile_fixes(tmp_path: Path) -> None:
    # UDS+'s race extension is a constraint on US Core's race that keeps US Core's url (Extension.url fixed to
    # it); its Patient profile requires a slice of that type, and every example's us-core-race extension missed
    # the slice. HL7's getCriteriaForDiscriminator follows the slice's type profile to its url element's fixed value
    core_race = EX + "core-race"
    source = definitions(tmp_path, _race(core_race, CORE + "Extension", core_race),
                         _race(EX + "guide-race", core_race, core_race), _patient_profile())
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "meta": {"profile": [EX + "Pat"]},
                               "extension": [{"url": core_race, "valueString": "White"}]}
    assert errors(patient, source) == []
    patient["extension"][0]["url"] = EX + "other-race"
    assert ("slice-min", "Patient") in errors(patient, source)


def _status_parameters(value_min: int) -> dict[str, Any]:
    return _profile("Status", "Parameters",
                    {"id": "Parameters.parameter", "path": "Parameters.parameter", "slicing": {
                        "discriminator": [{"type": "value", "path": "name"}], "rules": "open"}},
                    {"id": "Parameters.parameter:status", "path": "Parameters.parameter", "sliceName": "status",
                     "min": 1, "max": "1"},
                    {"id": "Parameters.parameter:status.name", "path": "Parameters.parameter.name",
                     "fixedString": "status"},
                    {"id": "Parameters.parameter:status.value[x]", "path": "Parameters.parameter.value[x]",
                     "slicing": {"discriminator": [{"type": "type", "path": "$this"}], "rules": "open"},
                     "min": value_min, "type": [{"code": "code"}]},
                    {"id": "Parameters.parameter:status.valueCode", "path": "Parameters.parameter.valueCode",
                     "min": 0, "max": "1"})


def test_a_renamed_choice_beside_its_choice_is_a_type_slice_of_its_own_min(tmp_path: Path) -> None:
    # old SUSHI (CEQ subscription-status, Directory Query's practitioner-qualification) writes value[x] min 1
    # sliced by type, then valueCode min 0: HL7's ProfilePathProcessor takes both as a type slicing
    # (diffsConstrainTypes) and names valueCode a slice, whose min is checked against nothing; the choice keeps 1
    profile = _status_parameters(1)
    assert errors(profile) == []
    derived = {**profile, "url": EX + "Status2", "name": "Status2", "baseDefinition": EX + "Status",
               "differential": {"element": [{"id": "Parameters", "path": "Parameters"}, {
                   "id": "Parameters.parameter:status.valueCode", "path": "Parameters.parameter.valueCode", "min": 0}]}}
    # a renamed choice alone is implicit type slicing too (ProfileUtilities.isImplicitSlicing, since 2019: QPath's
    # eventCoding 0..1 under event[x] 1..1, publisher 1.1.97, no error; s-fvqa5); a plain element below its base's
    # min is still refused
    assert errors(derived, definitions(tmp_path, profile)) == []
    below = {**derived, "differential": {"element": [{"id": "Parameters", "path": "Parameters"}, {
        "id": "Parameters.parameter:status.name", "path": "Parameters.parameter.name", "min": 0}]}}
    (tmp_path / "b").mkdir()
    assert errors(below, definitions(tmp_path / "b", profile)) == [("snapshot", "StructureDefinition")]
    source = definitions(tmp_path, profile)
    given: dict[str, Any] = {"resourceType": "Parameters", "id": "s", "meta": {"profile": [EX + "Status"]},
                             "parameter": [{"name": "status", "valueCode": "active"}]}
    assert errors(given, source) == []
    del given["parameter"][0]["valueCode"]
    given["parameter"][0]["part"] = [{"name": "x", "valueString": "y"}]
    assert ("cardinality-min", "Parameters.parameter[0]") in errors(given, source)


def test_a_profile_element_context_holds_in_a_resource_that_conforms_to_the_profile(tmp_path: Path) -> None:
    # CL Agenda's Servicios extension has the context CorePrestadorCl#Practitioner (CL Core's profile): HL7's
    # checkExtensionContext splits profile#element and checkConformsToProfile validates the resource against the
    # profile; we matched the whole string as an element path and refused it everywhere
    sexed = _profile("Sexed", "Patient", {"id": "Patient.gender", "path": "Patient.gender", "min": 1})
    ext = {"resourceType": "StructureDefinition", "url": EX + "nick", "name": "Nick", "status": "draft",
           "kind": "complex-type", "abstract": False, "type": "Extension", "context": [
               {"type": "element", "expression": EX + "Sexed#Patient"}], "derivation": "constraint",
           "baseDefinition": CORE + "Extension", "differential": {"element": [
               {"id": "Extension", "path": "Extension"},
               {"id": "Extension.url", "path": "Extension.url", "fixedUri": EX + "nick"},
               {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "string"}]}]}}
    source = definitions(tmp_path, sexed, ext)
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "gender": "other",
                               "extension": [{"url": EX + "nick", "valueString": "Bo"}]}
    assert errors(patient, source) == []
    del patient["gender"]
    assert errors(patient, source) == [("extension-context", "Patient.extension[0]")]
    patient["gender"] = "other"
    ext["context"][0]["expression"] = EX + "Unknown#Patient"  # a profile not found: HL7 says error too
    assert errors(patient, definitions(tmp_path, sexed, ext)) == [("extension-context", "Patient.extension[0]")]
