"""The contentReferenceProfile extension (FHIR-57265) on a recursive element, as HL7's validator reads it since
2026-05 (InstanceValidator.checkChild, resolveElementReference): the element is walked as the profile's element
of the id after ``#``, with that element's children, fixed values and invariants, instead of the element its
contentReference names. Here nested Questionnaire items are held to the slice of required items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import BASE, errors, profile

EXT = "http://hl7.org/fhir/StructureDefinition/contentReferenceProfile"


def _profile(with_extension: bool) -> dict[str, Any]:
    nested: dict[str, Any] = {"id": "Questionnaire.item.item", "path": "Questionnaire.item.item"}
    if with_extension:
        nested["extension"] = [{"url": EXT, "valueCanonical": BASE + "nested-required#Questionnaire.item:req"}]
    return profile("nested-required", "Questionnaire", [
        {"id": "Questionnaire.item", "path": "Questionnaire.item",
         "slicing": {"discriminator": [{"type": "value", "path": "required"}], "rules": "open"}},
        nested,
        {"id": "Questionnaire.item:req", "path": "Questionnaire.item", "sliceName": "req", "min": 0, "max": "*"},
        {"id": "Questionnaire.item:req.required", "path": "Questionnaire.item.required", "min": 1,
         "fixedBoolean": True}])


def _questionnaire(nested_required: bool) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "draft",
            "item": [{"linkId": "g", "type": "group", "required": True, "text": "group",
                      "item": [{"linkId": "q", "type": "string", "required": nested_required, "text": "q"}]}]}


def test_a_nested_item_is_held_to_the_element_the_extension_names(tmp_path: Path) -> None:
    assert errors(tmp_path, _questionnaire(True), [_profile(True)]) == []
    found = errors(tmp_path, _questionnaire(False), [_profile(True)])
    assert found == [("fixed-value", "Questionnaire.item[0].item[0].required")]


def test_without_the_extension_the_content_reference_decides(tmp_path: Path) -> None:
    assert errors(tmp_path, _questionnaire(False), [_profile(False)]) == []


def test_an_id_without_a_hash_is_read_whole(tmp_path: Path) -> None:
    """resolveElementReference takes the text after ``#``: with none, Java's substring(indexOf("#") + 1) is the whole
    value."""
    definition = _profile(True)
    nested = next(e for e in definition["differential"]["element"] if e["id"] == "Questionnaire.item.item")
    nested["extension"][0]["valueCanonical"] = "Questionnaire.item:req"
    assert errors(tmp_path, _questionnaire(False), [definition]) == [
        ("fixed-value", "Questionnaire.item[0].item[0].required")]


def test_an_element_named_without_children_is_walked_through_its_own_content_reference(tmp_path: Path) -> None:
    """The extension names ``Questionnaire.item:req.item``, which has no children of its own but a contentReference
    (``#Questionnaire.item``): ProfileUtilities.getChildMap follows it, so the nested item's properties are known.
    Before, the nested item was walked against an element with no children: every property "unrecognised"."""
    definition = _profile(True)
    nested = next(e for e in definition["differential"]["element"] if e["id"] == "Questionnaire.item.item")
    nested["extension"][0]["valueCanonical"] = BASE + "nested-required#Questionnaire.item:req.item"
    assert errors(tmp_path, _questionnaire(False), [definition]) == []
