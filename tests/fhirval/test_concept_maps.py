"""A ConceptMap's source and target codes belong to the complete code systems held here, as HL7's
ConceptMapValidator (CONCEPTMAP_GROUP_SOURCE_CODE_INVALID / CONCEPTMAP_GROUP_TARGET_CODE_INVALID)."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

GENDER = "http://hl7.org/fhir/administrative-gender"
STATUS = "http://hl7.org/fhir/observation-status"


def concept_map(code: str, mapped: str, **group: Any) -> dict[str, Any]:
    return {"resourceType": "ConceptMap", "status": "draft", "group": [{
        "source": GENDER, "target": STATUS} | group | {
        "element": [{"code": code, "target": [{"code": mapped, "equivalence": "equivalent"}]}]}]}


def test_codes_of_the_held_systems_are_accepted() -> None:
    assert errors(concept_map("male", "final")) == []


def test_a_source_or_target_code_the_system_lacks_is_an_error() -> None:
    assert errors(concept_map("man", "final")) == [("code-unknown", "ConceptMap.group[0].element[0].code")]
    assert errors(concept_map("male", "done")) == [
        ("code-unknown", "ConceptMap.group[0].element[0].target[0].code")]


def test_a_system_not_held_or_held_at_another_version_is_not_judged() -> None:
    cm = concept_map("man", "done", sourceVersion="0.1", target="http://example.org/unknown-system")
    assert errors(cm) == []


def test_the_maps_source_and_target_are_value_sets() -> None:
    # CONCEPTMAP_VS_NOT_A_VS: R4's administrative-gender is a CodeSystem, its value set another URL
    cm = concept_map("male", "final") | {"sourceCanonical": "http://hl7.org/fhir/ValueSet/administrative-gender",
                                         "targetUri": "http://hl7.org/fhir/ValueSet/observation-status"}
    assert errors(cm) == []
    cm["sourceCanonical"] = GENDER
    cm["targetUri"] = "http://example.org/unknown|1.0"  # nothing held under it: not judged
    assert errors(cm) == [("value-set-rule", "ConceptMap.source")]
