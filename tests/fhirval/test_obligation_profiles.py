"""An obligation profile only adds obligations to its base: HL7's StructureDefinitionValidator
(validateStructureDefinition, validateObligationProfileElement, validateObligationProfileElementBinding; the
SD_OBGLIGATION_PROFILE_* rules). Synthetic profiles on R4's Patient and Observation."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

FLAG = "http://hl7.org/fhir/StructureDefinition/obligation-profile"
TOOLS_FLAG = "http://hl7.org/fhir/tools/StructureDefinition/obligation-profile"
OBLIGATION = "http://hl7.org/fhir/StructureDefinition/obligation"
ADDITIONAL = "http://hl7.org/fhir/tools/StructureDefinition/additional-binding"
CORE = "http://hl7.org/fhir/StructureDefinition/"


def obligation_profile(*elements: dict[str, Any], rtype: str = "Patient", flag: str = FLAG,
                       derivation: str = "constraint") -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/op",
            "name": "SyntheticOP", "status": "draft", "kind": "resource", "abstract": False, "type": rtype,
            "baseDefinition": CORE + rtype, "derivation": derivation,
            "extension": [{"url": flag, "valueBoolean": True}],
            "differential": {"element": list(elements)}}


def op_errors(sd: dict[str, Any]) -> list[str]:
    return [loc for d, loc in errors(sd) if d == "obligation-profile"]


def test_an_obligation_profile_adding_must_support_cardinality_and_obligations_is_accepted() -> None:
    # HL7's own test case profile-patient-op1 (valid): mustSupport and min only
    sd = obligation_profile(
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "mustSupport": True,
         "extension": [{"url": OBLIGATION, "extension": [{"url": "code", "valueCode": "SHALL:populate"}]}]},
        {"id": "Patient.deceased[x]", "path": "Patient.deceased[x]", "min": 1, "max": "1"})
    assert op_errors(sd) == []


def test_only_a_constraint_is_an_obligation_profile() -> None:
    sd = obligation_profile({"id": "Patient.birthDate", "path": "Patient.birthDate", "mustSupport": True},
                            derivation="specialization")
    assert op_errors(sd) == ["StructureDefinition"]  # SD_OBGLIGATION_PROFILE_DERIVATION


def test_an_element_the_base_lacks_or_without_id_is_unmatched() -> None:
    sd = obligation_profile({"id": "Patient.birthDate:x", "path": "Patient.birthDate", "mustSupport": True},
                            {"path": "Patient.gender", "mustSupport": True})
    assert op_errors(sd) == ["StructureDefinition.differential.element[0]",
                             "StructureDefinition.differential.element[1]"]  # SD_OBGLIGATION_PROFILE_UNMATCHED


def test_anything_but_obligations_is_illegal_and_the_path_is_the_base_elements() -> None:
    sd = obligation_profile(
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "short": "changed",
         "extension": [{"url": OBLIGATION, "extension": [{"url": "code", "valueCode": "SHALL:populate"}]},
                       {"url": "http://example.org/other", "valueString": "x"}]},
        {"id": "Patient.gender", "path": "Patient.sex", "mustSupport": True}, flag=TOOLS_FLAG)
    assert op_errors(sd) == ["StructureDefinition.differential.element[0].short",  # SD_OBGLIGATION_PROFILE_ILLEGAL
                             "StructureDefinition.differential.element[0].extension[1]",
                             "StructureDefinition.differential.element[1].path"]  # _PATH_WRONG


def test_a_binding_only_repeats_the_base_strength_and_adds_bindings() -> None:
    good = obligation_profile({"id": "Patient.gender", "path": "Patient.gender", "binding": {
        "strength": "required", "extension": [{"url": ADDITIONAL, "extension": [
            {"url": "purpose", "valueCode": "preferred"},
            {"url": "valueSet", "valueCanonical": "http://example.org/ValueSet/x"}]}]}})
    assert op_errors(good) == []
    bad = obligation_profile(
        {"id": "Patient.gender", "path": "Patient.gender", "binding": {
            "strength": "extensible", "valueSet": "http://example.org/ValueSet/y", "extension": [
                {"url": ADDITIONAL, "extension": [{"url": "purpose", "valueCode": "required"}]}]}},
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "binding": {"strength": "required"}})
    assert sorted(op_errors(bad)) == sorted([
        "StructureDefinition.differential.element[0].binding.strength",  # _INVALID_BINDING_STRENGTH
        "StructureDefinition.differential.element[0].binding.valueSet",  # _ILLEGAL_ON_BINDING
        "StructureDefinition.differential.element[0].binding.extension[0]",  # _INVALID_BINDING_CODE
        "StructureDefinition.differential.element[1].binding"])  # _ILLEGAL_BINDING (the base has none)


def test_a_profile_not_flagged_or_flagged_false_is_not_judged_as_one() -> None:
    sd = obligation_profile({"id": "Patient.birthDate", "path": "Patient.birthDate", "short": "changed"})
    sd["extension"][0]["valueBoolean"] = False
    assert op_errors(sd) == []
    del sd["extension"]
    assert op_errors(sd) == []


def test_an_obligation_profile_on_a_base_not_loaded_is_not_judged() -> None:
    sd = obligation_profile({"id": "Patient.birthDate", "path": "Patient.birthDate", "short": "changed"})
    sd["baseDefinition"] = "http://example.org/StructureDefinition/not-loaded"
    assert op_errors(sd) == []


def test_the_core_flag_is_read_before_the_tools_flag() -> None:
    # src.getExtension(EXT_OBLIGATION_PROFILE_FLAG_NEW, _OLD): the core URL's extension wherever it stands
    sd = obligation_profile({"id": "Patient.birthDate", "path": "Patient.birthDate", "short": "changed"},
                            flag=TOOLS_FLAG)
    sd["extension"].append({"url": FLAG, "valueBoolean": False})
    assert op_errors(sd) == []
    sd["extension"][1]["valueBoolean"] = True
    sd["extension"][0]["valueBoolean"] = False
    assert op_errors(sd) == ["StructureDefinition.differential.element[0].short"]
