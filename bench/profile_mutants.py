"""Mutants of a valid example that its claimed profile must reject, each derived from the profile's snapshot
as published (profile_raw.py reads it raw): the expected verdict follows from the StructureDefinition alone.

A class, and what it does at the first element of the profile where it applies:

- ``min-removed``: an element the profile makes min >= 1 (base min 0) removed wherever it stands;
- ``max-exceeded``: an element the profile narrowed to max n (base ``*``) given n + 1 times;
- ``max0-added``: an element the profile sets max = 0 (base allows it) added with a plain value;
- ``maxLength-exceeded``: a string the profile gives a maxLength (base R4 none) made one character longer;
- ``fixed-changed`` / ``pattern-changed``: a primitive of a fixed[x] / pattern[x] value changed in the instance;
- ``binding-required``: a code bound ``required`` by the profile (not by base R4) replaced by one outside the
  ValueSet, when the set is enumerable from loaded packages (the replacement comes from the same CodeSystem);
- ``closed-slicing``: an item added that no slice of a closed value/pattern slicing matches;
- ``slice-min``: the items of a slice with min >= 1 removed (value/pattern/url discriminators only);
- ``choice-type-removed``: a choice given a type the profile removed (base R4 allows it);
- ``reference-target``: a reference pointed at a contained resource of a type outside the profile's
  targetProfile (narrowed from base R4's).

Ambiguous cases are skipped, never guessed: an element under a sliced ancestor (which slice's children apply
depends on matching), inside extensions, through a choice that is not last, a parent left empty (``ele-1``
would fail it for another reason), discriminators of type, profile, exists or a FHIRPath function, bindings
not enumerable from loaded content, codings of systems outside the ValueSet.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from profile_raw import Json, RawDefinitions

SAMPLES: dict[str, Any] = {
    "string": "mutant", "markdown": "mutant", "boolean": True, "integer": 1, "decimal": 1.5,
    "dateTime": "2020-01-01", "date": "2020-01-01", "instant": "2020-01-01T00:00:00Z", "time": "10:00:00",
    "uri": "urn:mutant", "Period": {"start": "2020-01-01"}, "CodeableConcept": {"text": "mutant"},
    "Reference": {"display": "mutant"}, "Identifier": {"value": "mutant"}, "Quantity": {"value": 1},
    "Annotation": {"text": "mutant"}, "Range": {"low": {"value": 1}}, "Timing": {"event": ["2020-01-01"]},
    "HumanName": {"text": "mutant"}, "Address": {"text": "mutant"}, "Attachment": {"title": "mutant"},
    "Coding": {"display": "mutant"}, "Ratio": {"numerator": {"value": 1}},
}
CONTAINED = [("Location", {"name": "mutant"}), ("Basic", {"code": {"text": "mutant"}}),
             ("Substance", {"code": {"text": "mutant"}})]
SIMPLE_DISCRIMINATORS = ("value", "pattern")


@dataclass
class Mutant:
    cls: str
    element: str  # the profile element's id
    doc: Json


def whole(doc: Json) -> list[Json]:
    return [doc]


@dataclass
class Site:
    """Where an element's mutations apply: the objects it stands under in a copy (the resource, the items a
    slice matches, the values a datatype profile constrains), its path below them, and its id."""

    parts: list[str]
    eid: str
    scope: Callable[[Json], list[Json]] = whole

    def find(self, doc: Json, types: list[str], parts: list[str] | None = None) -> list[tuple[Json, str]]:
        return [spot for root in self.scope(doc) for spot in locate(root, self.parts if parts is None else parts,
                                                                      types)]


def cap(code: str) -> str:
    return code[:1].upper() + code[1:]


def type_codes(element: Json) -> list[str]:
    return [t.get("code", "") for t in element.get("type", [])]


def locate(resource: Json, parts: list[str], types: list[str]) -> list[tuple[Json, str]]:
    """(object, key) pairs where the element at ``parts`` (below the root) stands, through arrays."""
    objects = [resource]
    for i, part in enumerate(parts):
        if i == len(parts) - 1:
            if part.endswith("[x]"):
                keys = {part[:-3] + cap(t) for t in types}
                return [(o, k) for o in objects for k in o if k in keys]
            return [(o, part) for o in objects if part in o]
        if part.endswith("[x]"):
            return []
        objects = [item for o in objects for item in as_list(o.get(part)) if isinstance(item, dict)]
    return []


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def contains(have: Any, want: Any) -> bool:
    """Pattern matching as FHIR defines it: every property of ``want`` present in ``have``."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(contains(have.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and all(any(contains(h, w) for h in have) for w in want)
    return bool(have == want)


def other(value: Any) -> Any:
    """A different primitive of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return f"{value}-mutant"


def break_pattern(item: Any, want: Any) -> bool:
    """Change one primitive of ``item`` that ``want`` fixes, so that ``item`` no longer contains ``want``."""
    if not isinstance(want, dict) or not isinstance(item, dict):
        return False
    for key in sorted(want, key=lambda k: k not in ("code", "value", "system")):
        wanted, have = want[key], item.get(key)
        if isinstance(wanted, (str, bool, int, float)) and have == wanted:
            item[key] = other(have)
            return True
        if isinstance(wanted, list) and len(wanted) == 1 and isinstance(have, list):
            hits = [h for h in have if contains(h, wanted[0])]
            if hits and all(break_pattern(h, wanted[0]) for h in hits):
                return True
        if isinstance(wanted, dict) and break_pattern(have, wanted):
            return True
    return False


class Profile:
    """One profile's snapshot, indexed for the mutations."""

    def __init__(self, sd: Json, raw: RawDefinitions) -> None:
        self.sd, self.raw = sd, raw
        self.elements: list[Json] = sd.get("snapshot", {}).get("element", [])
        self.by_id = {e.get("id", ""): e for e in self.elements}
        self.sliced = {e["path"] for e in self.elements if ":" not in e.get("id", ":") and e.get("slicing")}

    def plain(self, element: Json, last_may_be_extension: bool = False) -> bool:
        """Not a slice, not in an extension, no sliced ancestor, no choice before the last step."""
        path = element.get("path", "")
        parts = path.split(".")
        if ":" in element.get("id", ":") or len(parts) < 2 or any("[x]" in p for p in parts[:-1]):
            return False
        inner = parts[1:-1] if last_may_be_extension else parts[1:]
        if any(p in ("extension", "modifierExtension", "contained") for p in inner):
            return False
        return not any(".".join(parts[:i]) in self.sliced for i in range(2, len(parts)))

    def below(self, element: Json, root: Json) -> list[str] | None:
        """``element``'s path below ``root`` (a slice) when nothing between is sliced, a slice, an extension or
        a choice; else None."""
        rid, eid = root.get("id", ""), element.get("id", "")
        if not eid.startswith(rid + ".") or ":" in eid[len(rid):]:
            return None
        parts = element.get("path", "").split(".")[len(root.get("path", "").split(".")):]
        if any("[x]" in p for p in parts[:-1]) or any(p in ("extension", "modifierExtension") for p in parts):
            return None
        inner = {e.get("id") for e in self.elements if e.get("slicing")}
        steps = eid[len(rid) + 1:].split(".")
        if any(f"{rid}.{'.'.join(steps[:i])}" in inner for i in range(1, len(steps))):
            return None
        return parts

    def base(self, element: Json) -> Json | None:
        return self.raw.base_element(element.get("base", {}).get("path", element.get("path", "")))

    def fixed(self, element: Json, prefix: str) -> Any:
        for key, value in element.items():
            if key.startswith(prefix) and key != prefix:
                return value
        return None


def mutants(resource: Json, profile: Profile) -> Iterator[Mutant]:
    """Every mutant of ``resource`` the profile's snapshot decides (see the module docstring)."""
    from profile_mutants_more import slicing_mutants

    for element in profile.elements:
        if profile.plain(element) and element["path"] != "Extension.url":  # another url: another extension
            yield from site_mutants(resource, profile, element, Site(element["path"].split(".")[1:], element["id"]))
    yield from slicing_mutants(resource, profile)


def site_mutants(resource: Json, profile: Profile, element: Json, site: Site) -> Iterator[Mutant]:
    """Every class's mutants of one element at one site."""
    from profile_mutants_more import binding_mutants, reference_mutants, type_profile_mutants

    yield from element_mutants(resource, profile, element, site)
    yield from binding_mutants(resource, profile, element, site)
    yield from reference_mutants(resource, profile, element, site)
    yield from type_profile_mutants(resource, profile, element, site)


def element_mutants(resource: Json, profile: Profile, element: Json, site: Site) -> Iterator[Mutant]:
    parts = site.parts
    types = type_codes(element)
    base = element.get("base", {})
    eid = site.eid

    doc = copy.deepcopy(resource)
    spots = site.find(doc, types)
    if element.get("min", 0) >= 1 and base.get("min") == 0 and spots:
        for obj, key in spots:
            obj.pop(key, None)
            obj.pop("_" + key, None)
        if all(obj for obj, _ in spots):
            yield Mutant("min-removed", eid, doc)

    maximum = element.get("max", "*")
    if maximum not in ("*", "0") and base.get("max") == "*":
        doc = copy.deepcopy(resource)
        lists = [(o, k) for o, k in site.find(doc, types) if isinstance(o[k], list) and "_" + k not in o]
        if lists and lists[0][0][lists[0][1]]:
            items = lists[0][0][lists[0][1]]
            while len(items) <= int(maximum):
                items.append(copy.deepcopy(items[-1]))
            yield Mutant("max-exceeded", eid, doc)

    if maximum == "0" and base.get("max") != "0":
        yield from _max0(resource, element, site, types)

    length = element.get("maxLength")
    if isinstance(length, int) and length > 0 and not (profile.base(element) or {}).get("maxLength"):
        doc = copy.deepcopy(resource)
        spots = [(o, k) for o, k in site.find(doc, types) if isinstance(o[k], str)]
        if spots:
            obj, key = spots[0]
            obj[key] = (obj[key] * (length + 1))[:length + 1]
            yield Mutant("maxLength-exceeded", eid, doc)

    for prefix, cls in (("fixed", "fixed-changed"), ("pattern", "pattern-changed")):
        want = profile.fixed(element, prefix)
        if want is None:
            continue
        doc = copy.deepcopy(resource)
        spots = site.find(doc, types)
        if not spots:
            continue
        obj, key = spots[0]
        item = as_list(obj[key])[0]
        if isinstance(want, (str, bool, int, float)) and item == want:
            if isinstance(obj[key], list):
                obj[key][0] = other(item)
            else:
                obj[key] = other(item)
            yield Mutant(cls, eid, doc)
        elif break_pattern(item, want):
            yield Mutant(cls, eid, doc)

    if parts and parts[-1].endswith("[x]") and ":" not in eid.rsplit(".", 1)[-1]:
        yield from _choice(resource, profile, element, site, types)


def _max0(resource: Json, element: Json, site: Site, types: list[str]) -> Iterator[Mutant]:
    code = next((t for t in types if t in SAMPLES), None)
    parts = site.parts
    if code is None or not parts:
        return
    doc = copy.deepcopy(resource)
    parents = site.scope(doc) if len(parts) == 1 else [
        item for o, k in site.find(doc, [], parts[:-1]) for item in as_list(o[k]) if isinstance(item, dict)]
    if not parents or site.find(doc, types):
        return
    key = parts[-1][:-3] + cap(code) if parts[-1].endswith("[x]") else parts[-1]
    value = copy.deepcopy(SAMPLES[code])
    parents[0][key] = value if element.get("base", {}).get("max") == "1" else [value]
    yield Mutant("max0-added", site.eid, doc)


def _choice(resource: Json, profile: Profile, element: Json, site: Site, types: list[str]) -> Iterator[Mutant]:
    base = profile.base(element)
    removed = [t for t in type_codes(base or {}) if t not in types and t in SAMPLES]
    if not removed:
        return
    doc = copy.deepcopy(resource)
    spots = site.find(doc, types)
    if not spots:
        return
    obj, key = spots[0]
    if isinstance(obj[key], list):
        return
    del obj[key]
    obj.pop("_" + key, None)
    obj[site.parts[-1][:-3] + cap(removed[0])] = copy.deepcopy(SAMPLES[removed[0]])
    yield Mutant("choice-type-removed", site.eid, doc)
