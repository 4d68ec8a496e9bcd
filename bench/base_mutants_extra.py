"""More base-R4 mutants (references, extensions' definitions, choice types, resource ids, narrative
attributes, codes from a foreign system), each with the Java line (org.hl7.fhir.core @ b06c7ee) that reports it:

- ``reference-type``: Reference.type outside the element's targets (InstanceValidator (IV) 5130
  REFERENCE_REF_WRONGTARGET), or a target type other than the literal reference's (IV 5136 BADTARGETTYPE);
- ``extension-context``: R4's patient-birthPlace (context Patient) on another resource: IV 2878 _CONTEXT_WRONG;
- ``extension-value-type``: R4's rendering-style (valueString) given a valueInteger: IV 2660 EXTENSION_EXT_TYPE;
- ``modifier-not-modifier``: a known extension that is not a modifier put in modifierExtension: IV 2641 MISMATCHY;
- ``choice-bad-type``: a choice given a data type its element does not allow: JsonParser 325 UNRECOGNISED_PROPERTY;
- ``resource-id``: the resource's id with a space, or 65 characters: IV 8769 / 8767 RESOURCE_RES_ID_MALFORMED_*;
- ``xhtml-attribute``: an ``onclick`` attribute in the narrative: XhtmlValidator 309 XHTML_XHTML_ATTRIBUTE_ILLEGAL;
- ``binding-foreign-system``: a Coding bound ``required`` (enumerable ValueSet) given a system the set does not
  include: IV 4518 / 1814 TERMINOLOGY_TX_NOVALID_*.

Left out, as HL7 does not flag them: a literal reference to an unresolvable resource of a type outside the
targets (IV 5140 checks the type only of a resolved target), and an unknown non-modifier extension of an
allowed domain (IV 771).
"""

from __future__ import annotations

from collections.abc import Iterator

from base_mutants import Mutant, _codings, _required_codes
from base_mutants_more import _edit_value, _reference, _targets, _whole
from base_sites import Site, Types, cap, edited
from profile_mutants import SAMPLES
from profile_raw import Json

BIRTH_PLACE = {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "X"}}
STYLE_INTEGER = {"url": "http://hl7.org/fhir/StructureDefinition/rendering-style", "valueInteger": 1}
STYLE = {"url": "http://hl7.org/fhir/StructureDefinition/rendering-style", "valueString": "color:red"}
FOREIGN = "http://mutant.test/CodeSystem/foreign"


def reference_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    for site in sites:
        ref, targets = _reference(site), _targets(site)
        if not isinstance(ref, str) or not targets or "Resource" in targets or ref.count("/") != 1:
            continue
        kind = ref.split("/")[0]
        if kind not in targets:
            continue
        yield "reference-type", f"{site.path} outside", lambda s=site: _edit_value(doc, s, lambda v: bool(
            v.update(type="Basic")) is False)
        other = sorted(targets - {kind})
        if other:
            yield "reference-type", f"{site.path} mismatch", lambda s=site, o=other[0]: _edit_value(
                doc, s, lambda v: bool(v.update(type=o)) is False)


def extension_definition_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    kind = doc["resourceType"]
    if kind != "Patient" and "text" in doc:
        yield "extension-context", kind, lambda: {**doc, "extension": [*doc.get("extension", []), BIRTH_PLACE]}
    for site in sites:
        first = site.value[0] if isinstance(site.value, list) and site.value else site.value
        if site.primitive or site.tcode in ("Extension", "Narrative", "Resource", "") or not isinstance(first, dict) \
                or "resourceType" in first:
            continue
        yield "extension-value-type", site.path, lambda s=site: _edit_value(doc, s, lambda v: v.setdefault(
            "extension", []).append(STYLE_INTEGER))
        yield "modifier-not-modifier", site.path, lambda s=site: _edit_value(doc, s, lambda v: v.setdefault(
            "modifierExtension", []).append(STYLE))
        break


def choice_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    for site in sites:
        if not site.path.endswith("[x]") or isinstance(site.value, list):
            continue
        base = site.path.rsplit(".", 1)[1][:-3]
        allowed = {t.get("code") for t in site.element.get("type", [])}
        wrong = next((t for t in SAMPLES if t not in allowed and base + cap(t) not in site.obj), None)
        if wrong is not None:
            key = base + cap(wrong)
            yield "choice-bad-type", site.path, lambda s=site, k=key, w=wrong: _renamed(doc, s, k, SAMPLES[w])


def _renamed(doc: Json, site: Site, key: str, value: object) -> Json:
    copied, obj = edited(doc, site)
    obj.pop(site.key)
    obj.pop("_" + site.key, None)
    obj[key] = value
    return copied


def id_and_narrative_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    kind = doc["resourceType"]
    if isinstance(doc.get("id"), str):
        yield "resource-id", f"{kind} space", lambda: {**doc, "id": "mutant id"}
        yield "resource-id", f"{kind} length", lambda: {**doc, "id": "m" * 65}
    for site in sites:
        if site.tcode == "Narrative" and isinstance(site.value, dict) and site.where == []:
            yield "xhtml-attribute", kind, lambda s=site: _edit_value(doc, s, lambda v: bool(v.update(
                div='<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="alert(1)">mutant</p></div>')) is False)


def foreign_system_mutants(doc: Json, sites: list[Site], types: Types) -> Iterator[Mutant]:
    for site in sites:
        if site.tcode not in ("Coding", "CodeableConcept") or f"_{site.key}" in site.obj:
            continue
        codes = _required_codes(types, site.element)
        codings = _codings(site)
        if not codes or not codings or any(not isinstance(c, dict) or "system" not in c for c in codings) \
                or any(s == FOREIGN for s, _ in codes):
            continue
        yield "binding-foreign-system", site.path, lambda s=site: _whole(doc, lambda d: _foreign(d, s))


def _foreign(doc: Json, site: Site) -> None:
    obj = doc
    for step in site.where:
        obj = obj[step]
    value = obj[site.key]
    items = value if isinstance(value, list) else [value]
    for item in items:
        for coding in ([item] if site.tcode == "Coding" else item.get("coding", [])):
            coding["system"] = FOREIGN
            coding.pop("version", None)
