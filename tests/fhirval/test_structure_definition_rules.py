"""A StructureDefinition's context, extension URL, constrained type and snapshot value types, as HL7's
StructureDefinitionValidator (SD_NO_CONTEXT_WHEN_NOT_EXTENSION, SD_EXTENSION_URL_MISMATCH,
SD_CONSTRAINED_TYPE_NO_MATCH, SD_NO_TYPES_OR_CONTENTREF, SD_VALUE_TYPE_IILEGAL)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, found

URL = "http://example.org/StructureDefinition/synthetic"
CORE = "http://hl7.org/fhir/StructureDefinition/"


def rule_errors(sd: dict[str, Any]) -> list[str]:
    return [loc for s, d, loc in found(sd) if s == "error" and d == "structure-type"]


def extension(url: str = URL, fixed: str | None = URL) -> dict[str, Any]:
    url_element: dict[str, Any] = {"id": "Extension.url", "path": "Extension.url"}
    if fixed is not None:
        url_element["fixedUri"] = fixed
    return {"resourceType": "StructureDefinition", "url": url, "name": "Synthetic", "status": "draft",
            "kind": "complex-type", "abstract": False, "type": "Extension", "baseDefinition": CORE + "Extension",
            "derivation": "constraint", "context": [{"type": "element", "expression": "Patient"}],
            "differential": {"element": [
                {"id": "Extension", "path": "Extension", "max": "1"}, url_element,
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "string"}]}]}}


def profile(rtype: str = "Patient", base: str = "Patient") -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": URL, "name": "Synthetic", "status": "draft",
            "kind": "resource", "abstract": False, "type": rtype, "baseDefinition": CORE + base,
            "derivation": "constraint", "differential": {"element": [{"id": rtype, "path": rtype}]}}


def test_an_extension_fixing_its_own_url_is_accepted() -> None:
    assert rule_errors(extension()) == []


def test_an_extension_that_does_not_fix_its_url_or_fixes_another_is_an_error() -> None:
    assert rule_errors(extension(fixed=None)) == ["StructureDefinition"]
    assert rule_errors(extension(fixed="http://example.org/other")) == ["StructureDefinition"]


def test_context_only_on_an_extension() -> None:
    assert rule_errors(profile()) == []
    sd = profile()
    sd["context"] = [{"type": "element", "expression": "Patient"}]
    sd["contextInvariant"] = ["true"]
    assert rule_errors(sd) == ["StructureDefinition.context[0]", "StructureDefinition.contextInvariant[0]"]


def test_an_element_context_names_a_fhir_type() -> None:
    """StructureDefinitionValidator.checkElementDefinition (SD_CONTEXT_SHOULD_ELEMENT_NOT_FOUND): a profile's name
    is no element; a core type, an R5 abstract type HL7 maps, a profile#path and a version-limited one pass."""
    sd = extension()
    sd["context"] = [{"type": "element", "expression": e} for e in (
        "Patient", "Observation.value[x]", "Element", "Base", "CanonicalResource", "http://example.org/SD/p#Patient",
        "SyntheticPatientProfile", "SyntheticPatientProfile.name")]
    sd["context"].append({"type": "element", "expression": "ActorDefinition", "extension": [
        {"url": CORE + "version-specific-use", "extension": [{"url": "startFhirVersion", "valueCode": "5.0.0"}]}]})
    sd["context"].append({"type": "fhirpath", "expression": "SyntheticPatientProfile"})
    assert rule_errors(sd) == ["StructureDefinition.context[6]", "StructureDefinition.context[7]"]


def test_a_constraint_keeps_its_bases_type() -> None:
    assert rule_errors(profile("Observation", "Patient")) == ["StructureDefinition.type"]


def snapshot_profile(**element: Any) -> dict[str, Any]:
    sd = profile()
    sd["snapshot"] = {"element": [{"id": "Patient", "path": "Patient", "min": 0, "max": "*"},
                                  {"id": "Patient.gender", "path": "Patient.gender", "min": 0, "max": "1"} | element]}
    return sd


def test_snapshot_values_are_of_the_elements_types() -> None:
    assert rule_errors(snapshot_profile(type=[{"code": "code"}], fixedCode="male")) == []
    assert rule_errors(snapshot_profile(type=[{"code": "code"}], patternString="male")) == [
        "StructureDefinition.snapshot.element[1].patternString"]
    assert rule_errors(snapshot_profile()) == ["StructureDefinition.snapshot.element[1]"]
    assert rule_errors(snapshot_profile(contentReference="#Patient.name")) == []


def test_the_fhir_type_extension_names_the_type_of_a_system_typed_element() -> None:
    """R4 types Extension.url as System.String with the fhir-type extension saying uri (a fixedUri is right)."""
    sd = snapshot_profile(fixedUri="x", type=[{"code": "http://hl7.org/fhirpath/System.String", "extension": [
        {"url": CORE + "structuredefinition-fhir-type", "valueUrl": "uri"}]}])
    assert rule_errors(copy.deepcopy(sd)) == []


def test_a_structure_states_its_derivation_and_keeps_its_bases_kind() -> None:
    # SD_MUST_HAVE_DERIVATION, SD_CONSTRAINED_KIND_NO_MATCH, SD_DERIVATION_KIND_MISMATCH
    assert rule_errors(profile()) == []
    no_derivation = profile()
    del no_derivation["derivation"]
    assert rule_errors(no_derivation) == ["StructureDefinition"]
    # a constraint on Patient (not abstract) that says complex-type breaks both kind rules
    assert rule_errors(profile() | {"kind": "complex-type"}) == ["StructureDefinition.kind"] * 2
    # a logical model specializing the abstract Element may have its own kind
    model = {"resourceType": "StructureDefinition", "url": URL, "name": "Synthetic", "status": "draft",
             "kind": "logical", "abstract": False, "type": URL, "baseDefinition": CORE + "Element",
             "derivation": "specialization", "differential": {"element": [{"id": "Synthetic", "path": "Synthetic"}]}}
    assert [e for e in rule_errors(model) if e.endswith(".kind")] == []


def test_only_an_extension_gets_a_meaning_when_missing_in_a_constraint() -> None:
    # SD_ELEMENT_NOT_IN_CONSTRAINT (StructureDefinitionValidator.meaningWhenMissingAllowed)
    sd = profile()
    sd["differential"]["element"].append({"id": "Patient.active", "path": "Patient.active",
                                          "meaningWhenMissing": "taken as active"})
    assert rule_errors(sd) == ["StructureDefinition.differential.element[1].meaningWhenMissing"]
    ext = extension()
    ext["differential"]["element"][0]["meaningWhenMissing"] = "the patient was not asked"
    assert rule_errors(ext) == []
    sd["differential"]["element"][1] = {"id": "Patient.extension", "path": "Patient.extension",
                                        "meaningWhenMissing": "none given"}
    assert rule_errors(sd) == []


def test_a_binding_names_a_value_set_not_a_code_system() -> None:
    # SD_ED_BIND_NOT_VS (validateBinding): the CodeSystem v3-MaritalStatus is held, no ValueSet has its URL
    sd = profile()
    gender = {"id": "Patient.gender", "path": "Patient.gender",
              "binding": {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/administrative-gender"}}
    sd["differential"]["element"].append(gender)
    assert rule_errors(sd) == []
    gender["binding"]["valueSet"] = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
    assert rule_errors(sd) == ["StructureDefinition.differential.element[1].binding.valueSet"]


def test_a_structure_does_not_derive_from_itself(tmp_path: Path) -> None:
    # SD_CIRCULAR_DEFINITION: a -> b -> a through the loaded definitions; was an uncaught SnapshotError
    a, b = profile(), profile()
    b["url"], a["baseDefinition"], b["baseDefinition"] = URL + "-b", URL + "-b", URL
    source = definitions(tmp_path, a, b)
    assert [(d, loc) for s, d, loc in found(a, source) if s == "error"] == [
        ("structure-type", "StructureDefinition.baseDefinition")]
    assert rule_errors(profile()) == []


def test_a_base_named_by_the_structures_own_url_but_not_loaded_is_no_cycle() -> None:
    # HL7 fetches each base first and compares the fetched structure's url: the instance being validated is not
    # in its context, so a baseDefinition naming its own url finds nothing there and reports no cycle
    sd = profile()
    sd["baseDefinition"] = URL
    assert all(loc != "StructureDefinition.baseDefinition" or d != "structure-type"
               for s, d, loc in found(sd) if s == "error")


def test_a_type_states_its_code() -> None:
    """SD_NO_TYPE_CODE_ON_CODE: a ``_code`` with only extensions names no type; the fhir-type extension on the
    type (R4's own System-typed elements) names it instead."""
    sd = profile()
    sd["differential"]["element"].append({"id": "Patient.gender", "path": "Patient.gender", "type": [
        {"_code": {"extension": [{"url": CORE + "structuredefinition-json-type", "valueString": "string"}]}}]})
    assert rule_errors(copy.deepcopy(sd)) == ["StructureDefinition.differential.element[1].type[0]"]
    sd["differential"]["element"][1]["type"][0]["extension"] = [
        {"url": CORE + "structuredefinition-fhir-type", "valueUrl": "code"}]
    assert rule_errors(sd) == []


def test_a_fixed_value_keeps_the_type_of_the_bases_fixed_value() -> None:
    """SD_ELEMENT_FIXED_WRONG_TYPE: a profile on R4's birthPlace extension (which fixes Extension.url as a uri)
    fixing Extension.url as a string."""
    sd = extension(fixed=None)
    sd["baseDefinition"] = CORE + "patient-birthPlace"
    sd["differential"]["element"][1]["fixedString"] = CORE + "patient-birthPlace"
    assert "StructureDefinition.differential.element[1].fixedString" in rule_errors(copy.deepcopy(sd))
    del sd["differential"]["element"][1]["fixedString"]
    sd["differential"]["element"][1]["fixedUri"] = CORE + "patient-birthPlace"
    assert "StructureDefinition.differential.element[1].fixedUri" not in rule_errors(sd)


def test_a_pattern_over_a_base_pattern_is_an_error(tmp_path: Path) -> None:
    """SD_ELEMENT_PATTERN_NO_FIXED (validateElementDefinition's else branch): where the base element (its path
    taken as an id) has a pattern and no fixed value, a differential pattern fails, even one restating the base's;
    a fixed value there, or a pattern where the base has none, does not."""
    code = {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]}
    base = {"resourceType": "StructureDefinition", "url": URL + "-base", "name": "SyntheticBase", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Observation", "baseDefinition": CORE + "Observation",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Observation", "path": "Observation"},
                {"id": "Observation.code", "path": "Observation.code", "patternCodeableConcept": code}]}}
    source = definitions(tmp_path, base)

    def derived(**element: Any) -> dict[str, Any]:
        return {**base, "url": URL, "name": "Synthetic", "baseDefinition": base["url"], "differential": {"element": [
            {"id": "Observation", "path": "Observation"}, {"id": "Observation.code", "path": "Observation.code",
                                                           **element}]}}

    def pattern_errors(sd: dict[str, Any]) -> list[str]:
        return [loc for s, d, loc in found(sd, source) if s == "error" and d == "structure-type"]

    assert pattern_errors(derived(patternCodeableConcept=code)) == [
        "StructureDefinition.differential.element[1].patternCodeableConcept"]
    assert pattern_errors(derived(fixedCodeableConcept=code)) == []
    assert pattern_errors(derived(short="no value")) == []
    on_core = derived(patternCodeableConcept=code)
    on_core["baseDefinition"] = CORE + "Observation"  # R4's Observation.code has no pattern
    assert pattern_errors(on_core) == []
