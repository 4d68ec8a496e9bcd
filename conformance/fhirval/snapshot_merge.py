"""How a differential element merges onto its snapshot element (snapshot.py): lists appended, slicing merged, and
what an extension slice takes from its extension definition.

A differential that slices ``extension`` names each slice's definition (``type.profile``) and often no
cardinality: HL7's generator then gives the slice the cardinality the definition's root element states (an
extension defined ``0..1`` is a ``0..1`` slice), so a second occurrence breaks the profile. Found by
bench/fhir_snapshot_generation.py (HL7's own generator tests t11, t17, t22, t45, ext-profile...).
"""

from __future__ import annotations

from typing import Any

from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.source import DefinitionSource, Json, deep_copy


def max_value(value: Any) -> float:
    """A max as a number (``*`` infinite), -1 for a missing or malformed one."""
    return float("inf") if value == "*" else float(value) if isinstance(value, str) and value.isdigit() else -1.0


def appended(base: list[Any], derived: list[Any]) -> list[Any]:
    """The base's constraints (conditions) and the derived ones whose key the base does not have: a restated key
    keeps the base's (ProfileUtilities.updateFromDefinition: ``if (!base.hasConstraint(s.getKey()))``)."""
    def ident(item: Any) -> Any:
        return item.get("key") if isinstance(item, dict) else item
    merged = list(base)
    for item in derived:
        if all(ident(m) != ident(item) for m in merged):
            merged.append(deep_copy(item))
    return merged


def merged_slicing(base: Json, derived: Json) -> Json:
    """Slicing restated on an element the base already slices: ``ordered`` and ``rules`` as the derived says,
    its discriminators added to the base's (ProfileUtilities.updateFromSlicing, from ProfilePathProcessor's
    processPathWithSlicedBaseDefault); a restatement giving only ``rules`` keeps the base's discriminators."""
    out: Json = deep_copy(base)
    for key in ("ordered", "rules"):
        if key in derived:
            out[key] = deep_copy(derived[key])
    have = out.setdefault("discriminator", [])
    for d in derived.get("discriminator", []) if isinstance(derived.get("discriminator"), list) else []:
        if isinstance(d, dict) and not any(isinstance(h, dict) and (h.get("type"), h.get("path"))
                                           == (d.get("type"), d.get("path")) for h in have):
            have.append(deep_copy(d))
    if not have:
        del out["discriminator"]
    return out


def merged_binding(base: Any, derived: Json) -> Json:
    """A differential's binding on the base's: the base's (without its description and extensions) with the strength,
    description, valueSet and extensions the differential states (ProfileUtilities.updateFromDefinition: ``nb =
    base.getBinding().copy()``, ``if (d.hasValueSet()) nb.setValueSetElement(...)``): a binding restated as
    ``example`` without a valueSet keeps the base's value set."""
    kept = {k: v for k, v in base.items() if k not in ("description", "extension")} if isinstance(base, dict) else {}
    return {**deep_copy(kept), **deep_copy(derived)}


BINDABLE_TYPES = frozenset({"Coding", "CodeableConcept", "Quantity", "uri", "string", "code", "CodeableReference"})
_BINDING_STYLE = "http://hl7.org/fhir/tools/StructureDefinition/elementdefinition-binding-style"
_CHARACTERISTICS = "http://hl7.org/fhir/StructureDefinition/structuredefinition-type-characteristics"


def bindable(element: Json, source: DefinitionSource) -> bool:
    """Whether one of the element's types can carry a binding; a merged element that has none loses its binding
    (ProfileUtilities.updateFromDefinition, "check that we still have a bindable type; if not, delete the binding",
    hasBindableType: the seven types, or a type definition marked binding-style or, first, ``can-bind``). A type
    slice ``medication[x]:medicationReference`` does not keep ``medication[x]``'s binding."""
    for t in element.get("type") or []:
        code = t.get("code") if isinstance(t, dict) else None
        if not isinstance(code, str):
            continue
        if code in BINDABLE_TYPES:
            return True
        try:
            sd = None if code.startswith("http://hl7.org/fhirpath/") else source.structure(code)
        except DefinitionLoadError:
            sd = None
        marks = [e for e in (sd or {}).get("extension") or [] if isinstance(e, dict)]
        if any(e.get("url") == _BINDING_STYLE for e in marks):
            return True
        kinds = [e.get("valueCode") for e in marks if e.get("url") == _CHARACTERISTICS]
        if kinds and kinds[0] == "can-bind":
            return True
    return False


def _extension_root(diff: Json, source: DefinitionSource) -> Json | None:
    """The root element of the one extension definition the differential element names, if it is loaded."""
    types = diff.get("type")
    if not isinstance(types, list) or len(types) != 1 or not isinstance(types[0], dict):
        return None
    profiles = types[0].get("profile")
    if types[0].get("code") != "Extension" or not isinstance(profiles, list) or len(profiles) != 1:
        return None
    try:
        sd = source.structure(str(profiles[0]))
    except DefinitionLoadError:  # an unbuildable definition is the extension check's to report, not the slice's
        return None
    elements = (sd or {}).get("snapshot", {}).get("element") or []
    return elements[0] if elements and isinstance(elements[0], dict) else None


def slice_cardinality(target: Json, diff: Json, source: DefinitionSource, slicer_max: str | None) -> None:
    """Give a new extension slice (``target``, its differential merged) its definition's cardinality;
    ``slicer_max`` is the slicer's max when the slicing is new in this profile, None when the base sliced.

    Slicing new in this profile (ProfilePathProcessor.processSimplePathWithOneMatchingElementInDifferential): the
    slice starts from the definition's root element (``template = merge(src, slicerElement)``; min/max kept for an
    Extension), the differential's own min/max override it, a slice without min of open slicing is optional (as
    add_slice made it), and the slice's max is capped at the slicer's (``outcome.getMaxAsInt() >
    slicerElement.getMaxAsInt()``). A slice added to the base's slicing (processPathWithSlicedBaseDefault): a
    mandatory root makes it mandatory, a root that does not repeat caps its max (``edt.isMandatory()``,
    ``!edt.repeats()``), whatever the differential says."""
    if "sliceName" not in target:
        return
    root = _extension_root(diff, source)
    if root is None:
        return
    if slicer_max is None:
        if isinstance(root.get("min"), int) and root["min"] > 0 and not target.get("min"):
            target["min"] = root["min"]
        if 0 <= max_value(root.get("max")) <= 1 and max_value(target.get("max")) > 1:
            target["max"] = root["max"]
        return
    if "max" not in diff and isinstance(root.get("max"), str):
        target["max"] = root["max"]
    # the template is the root itself (APPLY_PROPERTIES_FROM_SLICER false: ``merge`` returns ``src.copy()``), so the
    # root's own invariants are the slice's (then fillOutFromBase adds the base element's keys it lacks)
    keys = {c.get("key") for c in target.get("constraint", []) if isinstance(c, dict)}
    extra = [deep_copy(c) for c in root.get("constraint", []) if isinstance(c, dict) and c.get("key") not in keys]
    if extra:
        target["constraint"] = [*target.get("constraint", []), *extra]
    if "min" not in diff and target.get("min") and isinstance(root.get("min"), int):
        target["min"] = root["min"]  # the one slice of closed slicing: the definition's min, not the slicer's
    if max_value(target.get("max")) > max_value(slicer_max) >= 0:
        target["max"] = slicer_max


def extension_slicing() -> Json:
    """The slicing HL7's generator gives an extension element a differential slices without stating one
    (ProfileUtilities.makeExtensionSlicing: by the value of ``url``, unordered, open)."""
    return {"discriminator": [{"type": "value", "path": "url"}], "ordered": False, "rules": "open"}


def raise_to_slice_mins(elements: list[Json], auto: set[str]) -> None:
    """An element whose slicing the generator added (``auto``: extension slicing the differential never stated, or
    slices added to the base's without restating it) takes the sum of its slices' mins where that is more (a
    repeating element only): ProfileUtilities.generateSnapshot, ``SNAPSHOT_auto_added_slicing`` ->
    ``slice.getFocus().setMin(count)``; slicing the profile states is only told about it."""
    for el in elements:
        if el.get("id") not in auto or (el.get("base") or {}).get("max", el.get("max")) == "1":
            continue
        prefix = f"{el['id']}:"
        count = sum(s.get("min", 0) for s in elements if isinstance(s.get("min"), int) and s.get("sliceName")
                    and s["path"] == el["path"] and str(s.get("id")).startswith(prefix)
                    and "." not in str(s["id"])[len(prefix):])
        if count > int(el.get("min") or 0):
            el["min"] = count
