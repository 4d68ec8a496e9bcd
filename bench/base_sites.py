"""Where base-R4 mutations can apply: every property of a JSON resource, typed by R4's own StructureDefinitions
read raw (profile_raw.py), never by the validator's model, so a mutant's expected verdict follows from R4 alone.

A ``Site`` is one property of one object: the key, the raw value, the R4 element that defines it (with its
path as R4 writes it, ``Observation.value[x]``), the element's type for that property (a choice's type from the
key's suffix) and the keys and indexes that lead from the document to the object.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from profile_raw import Json, RawDefinitions

SD = "http://hl7.org/fhir/StructureDefinition/"
SYSTEM = "http://hl7.org/fhirpath/System."


def cap(code: str) -> str:
    return code[:1].upper() + code[1:]


@dataclass
class Site:
    where: list[Any]  # keys and indexes from the document to ``obj``
    obj: Json
    key: str
    value: Any
    element: Json
    tcode: str  # the property's type: ``string``, ``CodeableConcept``, ``BackboneElement``, ``Resource``...
    root: str  # the resource type the object stands in

    @property
    def path(self) -> str:
        return str(self.element.get("path", ""))

    @property
    def many(self) -> bool:
        return self.element.get("max") != "1"

    @property
    def primitive(self) -> bool:
        return self.tcode[:1].islower() and not self.tcode.startswith("http")


class Types:
    """R4's StructureDefinitions indexed by type name and element path."""

    def __init__(self, raw: RawDefinitions) -> None:
        self.raw = raw
        self._paths: dict[str, dict[str, Json]] = {}

    def elements(self, type_name: str) -> dict[str, Json]:
        if type_name not in self._paths:
            sd = self.raw.r4.get(SD + type_name) or {}
            self._paths[type_name] = {e["path"]: e for e in sd.get("snapshot", {}).get("element", [])}
        return self._paths[type_name]

    def is_resource(self, type_name: str) -> bool:
        sd = self.raw.r4.get(SD + type_name)
        return bool(sd and sd.get("kind") == "resource")

    def element_of(self, type_name: str, path: str, key: str) -> tuple[Json, str] | None:
        """(element, type code) defining ``key`` on an object at ``path`` of ``type_name``."""
        elements = self.elements(type_name)
        found = elements.get(f"{path}.{key}")
        if found is not None:
            if "contentReference" in found:
                return found, "BackboneElement"
            codes = [t.get("code", "") for t in found.get("type", [])]
            return found, codes[0] if len(codes) == 1 else ""
        for name, element in elements.items():
            if name.endswith("[x]") and name.rsplit(".", 1)[0] == path:
                base = name.rsplit(".", 1)[1][:-3]
                for t in element.get("type", []):
                    if key == base + cap(t.get("code", "")):
                        return element, t["code"]
        return None

    def child_scope(self, type_name: str, element: Json, tcode: str, value: Json) -> tuple[str, str] | None:
        """(type name, path) that the children of a complex value are read under."""
        if "contentReference" in element:
            return type_name, element["contentReference"].lstrip("#")
        if tcode == "Resource" or (tcode == "" and "resourceType" in value):
            kind = value.get("resourceType")
            return (kind, kind) if isinstance(kind, str) and self.is_resource(kind) else None
        path = element["path"]
        if tcode in ("BackboneElement", "Element") and any(p.startswith(path + ".") for p in self.elements(type_name)):
            return type_name, path
        if tcode and self.raw.r4.get(SD + tcode):
            return tcode, tcode
        return None

    def sites(self, doc: Json) -> Iterator[Site]:
        """Every typed property in ``doc``, contained resources and Bundle entries included, in document order."""
        kind = doc.get("resourceType")
        if isinstance(kind, str) and self.is_resource(kind):
            yield from self._walk(doc, kind, kind, [], kind)

    def _walk(self, obj: Json, type_name: str, path: str, where: list[Any], root: str) -> Iterator[Site]:
        for key, value in list(obj.items()):
            if key == "resourceType" or key.startswith("_") or key == "fhir_comments":
                continue
            found = self.element_of(type_name, path, key)
            if found is None:
                continue
            element, tcode = found
            yield Site(where, obj, key, value, element, tcode, root)
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                scope = self.child_scope(type_name, element, tcode, item)
                if scope is None:
                    continue
                step = [*where, key, i] if isinstance(value, list) else [*where, key]
                inner_root = scope[0] if self.is_resource(scope[0]) and scope[0] == scope[1] else root
                yield from self._walk(item, scope[0], scope[1], step, inner_root)


def follow(doc: Any, where: list[Any]) -> Any:
    for step in where:
        doc = doc[step]
    return doc


def edited(doc: Json, site: Site) -> tuple[Json, Json]:
    """A deep copy of ``doc`` and, in it, the object the site stands on."""
    copied = copy.deepcopy(doc)
    return copied, follow(copied, site.where)
