"""A specialization's new elements (snapshot_special.py), as ProfileUtilities.generateSnapshot adds them after
ProfilePathProcessor has walked the base (``derivation == SPECIALIZATION``: findLastChildForParent, walksInto,
addInheritedElementsForSpecialization); HL7's generator tests logical3, logical-boo, lm-spec, xt-logical."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import apply_differential
from conformance.fhirval.source import MemorySource

EX = "https://conformance.example/fhir/StructureDefinition/"


def model(name: str, base: str, diff: list[dict[str, Any]], snapshot: list[dict[str, Any]] | None = None
          ) -> dict[str, Any]:
    sd: dict[str, Any] = {"resourceType": "StructureDefinition", "url": EX + name, "name": name, "status": "draft",
                          "kind": "logical", "abstract": False, "type": EX + name, "derivation": "specialization",
                          "baseDefinition": base, "differential": {"element": diff}}
    if snapshot is not None:
        sd["snapshot"] = {"element": snapshot}
    return sd


def el(path: str, **more: Any) -> dict[str, Any]:
    return {"id": path, "path": path, **more}


FOO = model("Foo", "http://hl7.org/fhir/StructureDefinition/Element", [el("Foo"), el("Foo.a", min=0, max="1")],
            [el("Foo", min=0, max="*"), el("Foo.a", min=0, max="1", type=[{"code": "string"}])])


def test_a_specialization_adds_its_new_elements_and_walks_into_a_new_backbone() -> None:
    boo = model("Boo", EX + "Foo", [
        el("Boo"), el("Boo.b", min=1, max="1", type=[{"code": "string"}]),
        el("Boo.c", min=0, max="*", type=[{"code": "BackboneElement"}]),
        el("Boo.c.d", min=1, max="1", type=[{"code": "code"}])])
    builder, landed = apply_differential(boo, LayeredSource([base_source(), MemorySource([FOO])]))
    assert [e["id"] for e in builder.elements] == [
        "Boo", "Boo.a", "Boo.b", "Boo.c", "Boo.c.id", "Boo.c.extension", "Boo.c.modifierExtension", "Boo.c.d"]
    assert builder.problems == [] and landed == ["Boo", "Boo.b", "Boo.c", "Boo.c.d"]
    assert builder.elements[2]["min"] == 1 and builder.elements[7]["type"] == [{"code": "code"}]


def test_a_constraint_adds_nothing_new() -> None:
    """Only a specialization adds elements: a constraint's unknown element is still HL7's "No match found"."""
    moo = {**model("Moo", EX + "Foo", [el("Foo"), el("Foo.b", min=1)]), "type": EX + "Foo", "derivation": "constraint"}
    builder, landed = apply_differential(moo, LayeredSource([base_source(), MemorySource([FOO])]))
    assert [e["id"] for e in builder.elements] == ["Foo", "Foo.a"] and landed == ["Foo", None]
