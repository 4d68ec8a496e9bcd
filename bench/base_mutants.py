"""Mutants of one property (a base_sites.Site) that base R4 rejects, each with the line of HL7's Java validator
(org.hl7.fhir.core @ b06c7ee: InstanceValidator ``IV``, r5 elementmodel JsonParser ``JP``) that reports it as
an error:

- ``min-removed``: an element of min >= 1 taken out (with its ``_name``): IV 8130 VALIDATION_VAL_PROFILE_MINIMUM;
- ``array-for-single``: a max-1 element given as a two-item array: JP 705/707 THIS_PROPERTY_MUST_BE_AN_SIMPLE_VALUE
  / AN_OBJECT_NOT_AN_ARRAY (the JSON form of a max-1 element repeated);
- ``object-for-array``: a repeating element given as a bare value: JP 652 THIS_PROPERTY_MUST_BE_AN_ARRAY_NOT_;
- ``lexical-<type>``: a primitive's value replaced by a wrong lexical form of its type (IV checkPrimitive:
  3444 dateTime, 3476 date, 3591 instant, 3454 time, 3546 decimal, 3518/3525/3527 integer forms, 3407 id,
  3392 oid, uuid, 3601 code, 3500 base64Binary, JP 740/744/746 a wrong JSON type);
- ``empty-string``: a string made ``""``: IV 3222 / 3411 TYPE_SPECIFIC_CHECKS_DT_PRIMITIVE_NOTEMPTY;
- ``empty-object`` / ``id-only``: a complex element made ``{}`` (JP 257 OBJECT_MUST_HAVE_SOME_CONTENT) or
  ``{"id": ...}`` (ele-1, evaluated as any invariant);
- ``null-value``: a property's value made JSON ``null``: JP 611 THIS_PROPERTY_MUST_BE__NOT_;
- ``empty-array``: a repeating complex element made ``[]``: JP 451 ARRAY_CANNOT_BE_EMPTY (parseChildComplex's
  alone: parseChildPrimitive reads a primitive's ``[]`` as no values, without a word);
- ``unknown-element``: a property no definition has, on a complex element: JP 325 UNRECOGNISED_PROPERTY_;
- ``choice-two-types``: a second type of a max-1 choice beside the first: IV 8148 VALIDATION_VAL_PROFILE_MAXIMUM;
- ``binding-required``: a code bound ``required`` by R4 whose ValueSet is enumerable from R4's own content
  replaced by a code outside it (same system, for Coding and CodeableConcept): IV 4518 TERMINOLOGY_TX_NOVALID_*.

Left out as HL7 would not flag them (read in the Java): ``id`` lexical forms of ``Resource.id`` (IV 3405 skips
them here), a ``string``'s white-space-only value (a warning, IV 3412), elements typed by FHIRPath's System
types (``Element.id``, ``Extension.url``), bindings whose ValueSet needs a filter or an external system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from base_sites import Site, Types, cap, edited
from profile_mutants import SAMPLES
from profile_raw import Json

Mutant = tuple[str, str, Callable[[], Json]]  # class, element path, the mutated document (made when asked)
BAD_LEXICAL: dict[str, Any] = {
    "date": "2020-13-01", "dateTime": "2020-01-01T10:00:00", "instant": "2020-01-01", "time": "25:00:00",
    "decimal": "1.5", "integer": 1.5, "positiveInt": 0, "unsignedInt": -1, "id": "not an id",
    "oid": "urn:oid:1.2.x", "uuid": "urn:uuid:not-a-uuid", "uri": "urn:with space", "url": "http://x/with space",
    "canonical": "http://x/with space", "code": " padded", "base64Binary": "@@not base64@@", "boolean": "true",
    "markdown": 7, "string": 7,
}
_SKIP_KEYS = {"id", "url", "div"}
UNKNOWN = "mutantElement"


def _required_codes(types: Types, element: Json) -> set[tuple[str, str]] | None:
    binding = element.get("binding") or {}
    if binding.get("strength") != "required" or not isinstance(binding.get("valueSet"), str):
        return None
    return types.raw.expand(binding["valueSet"])


def _codings(site: Site) -> list[Any]:
    items = site.value if isinstance(site.value, list) else [site.value]
    if site.tcode == "Coding":
        return items
    return [c for item in items if isinstance(item, dict) for c in item.get("coding", [])]


def _replaceable(site: Site, codes: set[tuple[str, str]]) -> bool:
    """A code (not an array of them, no ``_name``), a Coding or a CodeableConcept whose codings all carry a
    system of the ValueSet: changing every code then leaves nothing the ValueSet holds."""
    if any(code == "mutant-code" for _, code in codes) or f"_{site.key}" in site.obj:
        return False
    if site.tcode == "code":
        return isinstance(site.value, str)
    systems = {s for s, _ in codes}
    codings = _codings(site) if site.tcode in ("Coding", "CodeableConcept") else []
    return bool(codings) and all(isinstance(c, dict) and c.get("system") in systems and "code" in c
                                 for c in codings)


def _replace_code(site: Site, codes: set[tuple[str, str]], doc: Json) -> Json:
    """``doc`` with the site's code (code, Coding.code, every CodeableConcept.coding.code) outside ``codes``."""
    copied, obj = edited(doc, site)
    if site.tcode == "code":
        obj[site.key] = "mutant-code"
        return copied
    for c in ([obj[site.key]] if isinstance(obj[site.key], dict) else obj[site.key]):
        for coding in ([c] if site.tcode == "Coding" else c.get("coding", [])):
            coding["code"] = "mutant-code"
            coding.pop("display", None)
            coding.pop("_code", None)
    return copied


def _set(doc: Json, site: Site, value: Any, drop_shadow: bool = False) -> Json:
    copied, obj = edited(doc, site)
    if value is _REMOVE:
        obj.pop(site.key)
        obj.pop("_" + site.key, None)
    else:
        obj[site.key] = value
        if drop_shadow:
            obj.pop("_" + site.key, None)
    return copied


_REMOVE = object()


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def site_mutants(doc: Json, site: Site, types: Types) -> Iterator[Mutant]:
    """Every mutant of one property that base R4 must reject."""
    path, value, single = site.path, site.value, _first(site.value)
    if site.element.get("min", 0) >= 1:
        choice = path.endswith("[x]")
        if not choice or sum(1 for k in site.obj if k.startswith(path.rsplit(".", 1)[1][:-3])) == 1:
            yield "min-removed", path, lambda: _set(doc, site, _REMOVE)
    if site.key in _SKIP_KEYS and not site.primitive:
        return
    if not site.many and not isinstance(value, list):
        yield "array-for-single", path, lambda: _set(doc, site, [value, value], drop_shadow=True)
    if site.many and isinstance(value, list) and len(value) == 1 and f"_{site.key}" not in site.obj:
        yield "object-for-array", path, lambda: _set(doc, site, value[0])
    if site.many and isinstance(value, list) and not site.primitive:
        yield "empty-array", path, lambda: _set(doc, site, [], drop_shadow=True)
    yield "null-value", path, lambda: _set(doc, site, None, drop_shadow=True)
    if site.primitive and site.key not in _SKIP_KEYS and f"_{site.key}" not in site.obj:
        bad = BAD_LEXICAL.get(site.tcode)
        if bad is not None and not isinstance(value, list):
            yield f"lexical-{site.tcode}", path, lambda: _set(doc, site, bad)
        if site.tcode in ("string", "markdown") and not isinstance(value, list):
            yield "empty-string", path, lambda: _set(doc, site, "")
    if isinstance(single, dict) and not site.primitive and "resourceType" not in single:
        yield "empty-object", path, lambda: _set(doc, site, [{}] if isinstance(value, list) else {})
        yield "id-only", path, lambda: _set(doc, site, [{"id": "m1"}] if isinstance(value, list) else {"id": "m1"})
        with_unknown = {**single, UNKNOWN: "x"}
        yield "unknown-element", path, lambda: _set(
            doc, site, [with_unknown, *value[1:]] if isinstance(value, list) else with_unknown)
    if path.endswith("[x]") and not site.many:
        base = path.rsplit(".", 1)[1][:-3]
        others = [t["code"] for t in site.element.get("type", []) if t.get("code") != site.tcode
                  and t.get("code") in SAMPLES and base + cap(t["code"]) not in site.obj]
        if others:
            yield "choice-two-types", path, lambda: _add(doc, site, base + cap(others[0]), SAMPLES[others[0]])
    codes = _required_codes(types, site.element)
    if codes and _replaceable(site, codes):
        yield "binding-required", path, lambda: _replace_code(site, codes, doc)


def _add(doc: Json, site: Site, key: str, value: Any) -> Json:
    copied, obj = edited(doc, site)
    obj[key] = value
    return copied


def root_unknown(doc: Json) -> Mutant:
    """An unknown property at the resource's root (JP 325)."""
    return "unknown-element", doc["resourceType"], lambda: {**doc, UNKNOWN: "x"}


def all_site_mutants(doc: Json, types: Types, keep: Callable[[str, str, str], bool]) -> Iterator[Mutant]:
    """Mutants of every site of ``doc``; ``keep(class, element path, root type)`` picks which are made."""
    for site in types.sites(doc):
        for cls, path, mutated in site_mutants(doc, site, types):
            if keep(cls, path, site.root):
                yield cls, path, mutated
