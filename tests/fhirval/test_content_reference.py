"""A profile snapshot whose contentReference names a structure (``http://...Questionnaire#Questionnaire.item``,
as R5-era tooling writes them: SDC 4.0.0, US Core 5.0.1): HL7's validator takes the nested item's children
from that structure (ProfileUtilities.getChildMap) and does not run the referenced element's invariants
(InstanceValidator.resolveNameReference matches only ``#id``), so a profile's item rule binds top-level items
only. fhir-test-cases ``sdc-inv-1`` records exactly that."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

BASE = "http://hl7.org/fhir/StructureDefinition/Questionnaire"
PROFILE = "https://conformance.example/fhir/StructureDefinition/q-no-x"


def profile(content_reference: str) -> dict[str, Any]:
    """Base Questionnaire constrained: no item linkId starts with 'x' (tst-1); nested items by the reference."""
    base = base_source().structure(BASE)
    assert base is not None
    sd = copy.deepcopy(base)
    sd.update(url=PROFILE, name="QNoX", derivation="constraint", baseDefinition=BASE)
    sd.pop("differential", None)
    for el in sd["snapshot"]["element"]:
        if el["id"] == "Questionnaire.item":
            el["constraint"] = [*el.get("constraint", []), {"key": "tst-1", "severity": "error", "human": "not x",
                                                             "expression": "linkId.startsWith('x').not()"}]
        if el["id"] == "Questionnaire.item.item":
            el["contentReference"] = content_reference
    return sd


def errors(content_reference: str) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([profile(content_reference)])])
    q = {"resourceType": "Questionnaire", "meta": {"profile": [PROFILE]}, "status": "active",
         "item": [{"linkId": "1", "type": "group", "item": [{"linkId": "x1", "type": "string"}]},
                  {"linkId": "x2", "type": "string"}]}
    return [(i.defect, i.location) for i in validate_resource(q, source) if i.is_error]


def test_a_content_reference_within_the_profile_carries_its_invariants() -> None:
    assert errors("#Questionnaire.item") == [("invariant", "Questionnaire.item[0].item[0]"),
                                             ("invariant", "Questionnaire.item[1]")]


def test_a_content_reference_naming_the_base_walks_the_base_without_the_profiles_invariant() -> None:
    assert errors(f"{BASE}#Questionnaire.item") == [("invariant", "Questionnaire.item[1]")]
