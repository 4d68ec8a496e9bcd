"""A StructureDefinition's type profiles and target profiles against the structures they name, as HL7's
StructureDefinitionValidator (SD_ED_TYPE_PROFILE_WRONG, _NOT_MODIFIER, _IS_MODIFIER, _WRONG_TARGET,
SD_ED_TYPE_NO_TARGET_PROFILE): each on a small synthetic profile that fails without the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

FHIR = "http://hl7.org/fhir/StructureDefinition/"
MOD_EXT = "http://example.org/StructureDefinition/synthetic-modifier"


def _profile(*elements: dict[str, Any], rtype: str = "Observation") -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": f"http://example.org/StructureDefinition/syn-{rtype}",
            "name": "Syn", "status": "draft", "kind": "resource", "abstract": False, "type": rtype,
            "baseDefinition": FHIR + rtype, "derivation": "constraint",
            "differential": {"element": [{"id": rtype, "path": rtype}, *elements]}}


def _element(path: str, **kind: Any) -> dict[str, Any]:
    return {"id": path, "path": path, "type": [kind]}


def _structure_type(resource: dict[str, Any], tmp_path: Path | None = None) -> list[tuple[str, str]]:
    source = None
    if tmp_path is not None:
        modifier = {"resourceType": "StructureDefinition", "url": MOD_EXT, "name": "SynMod", "status": "draft",
                    "kind": "complex-type", "abstract": False, "type": "Extension",
                    "baseDefinition": FHIR + "Extension",
                    "derivation": "constraint", "context": [{"type": "element", "expression": "Observation"}],
                    "differential": {"element": [{"id": "Extension", "path": "Extension", "isModifier": True,
                                                  "isModifierReason": "synthetic"},
                                                 {"id": "Extension.url", "path": "Extension.url", "fixedUri": MOD_EXT},
                                                 {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                                  "type": [{"code": "boolean"}]}]}}
        source = definitions(tmp_path, modifier)
    return [e for e in errors(resource, source) if e[0] == "structure-type"]


def test_a_type_profile_constrains_its_type() -> None:
    ok = _profile(_element("Observation.value[x]", code="Quantity", profile=[FHIR + "SimpleQuantity"]))
    assert _structure_type(ok) == []
    bad = _profile(_element("Observation.value[x]", code="Quantity", profile=[FHIR + "HumanName"]))
    assert _structure_type(bad) == [
        ("structure-type", "StructureDefinition.differential.element[1].type[0].profile[0]")]


def test_a_resource_profile_fits_a_resource_through_abstract_types() -> None:
    bundle = _profile(_element("Bundle.entry.resource", code="Resource", profile=[FHIR + "bodyweight"]),
                      rtype="Bundle")
    assert _structure_type(bundle) == []


def test_modifier_extensions_only_on_modifier_extension(tmp_path: Path) -> None:
    assert _structure_type(_profile(_element("Observation.modifierExtension", code="Extension",
                                             profile=[MOD_EXT])), tmp_path) == []
    assert _structure_type(_profile(_element("Observation.extension", code="Extension", profile=[MOD_EXT])),
                           tmp_path) == [
        ("structure-type", "StructureDefinition.differential.element[1].type[0].profile[0]")]
    plain = FHIR + "observation-bodyPosition"
    assert _structure_type(_profile(_element("Observation.extension", code="Extension", profile=[plain]))) == []
    assert _structure_type(_profile(_element("Observation.modifierExtension", code="Extension",
                                             profile=[plain]))) == [
        ("structure-type", "StructureDefinition.differential.element[1].type[0].profile[0]")]


def test_target_profiles_name_resources_or_canonical_resources() -> None:
    ok = _profile(_element("Observation.subject", code="Reference", targetProfile=[FHIR + "Patient"]),
                  _element("Observation.focus", code="Reference", targetProfile=[FHIR + "Resource"]))
    assert _structure_type(ok) == []
    bad = _profile(_element("Observation.subject", code="Reference", targetProfile=[FHIR + "HumanName"]))
    assert _structure_type(bad) == [
        ("structure-type", "StructureDefinition.differential.element[1].type[0].targetProfile[0]")]
    q = _profile(_element("QuestionnaireResponse.questionnaire", code="canonical",
                          targetProfile=[FHIR + "Questionnaire"]), rtype="QuestionnaireResponse")
    assert _structure_type(q) == []
    q["differential"]["element"][1]["type"][0]["targetProfile"] = [FHIR + "Patient"]
    assert _structure_type(q) == [
        ("structure-type", "StructureDefinition.differential.element[1].type[0].targetProfile[0]")]


def test_only_references_and_canonicals_have_target_profiles() -> None:
    bad = _profile(_element("Observation.value[x]", code="string", targetProfile=[FHIR + "Patient"]))
    assert _structure_type(bad) == [  # and at the element, validateElementDefinition's SD_ILLEGAL_CHARACTERISTICS
        ("structure-type", "StructureDefinition.differential.element[1]"),
        ("structure-type", "StructureDefinition.differential.element[1].type[0].targetProfile[0]")]
