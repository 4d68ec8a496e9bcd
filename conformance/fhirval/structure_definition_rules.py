"""A StructureDefinition's own consistency, as HL7's StructureDefinitionValidator checks it (structure_rules.py
has its paths and slicing, differential.py its differential against the base):

- only an extension has a ``context`` or ``contextInvariant``: nothing else is placed by context
  (SD_NO_CONTEXT_WHEN_NOT_EXTENSION, SD_NO_CONTEXT_INV_WHEN_NOT_EXTENSION; a logical model whose root
  element has a JSON name may be used as an extension and keeps its context);
- an extension defined on the core Extension fixes ``Extension.url``, in its differential, to its own
  canonical URL: otherwise no instance can name it (SD_EXTENSION_URL_MISSING, SD_EXTENSION_URL_MISMATCH);
- a structure does not derive from itself through its loaded bases (SD_CIRCULAR_DEFINITION);
- a constraint keeps the type of its base (SD_CONSTRAINED_TYPE_NO_MATCH), when the base is loaded, and then
  a structure states its derivation (SD_MUST_HAVE_DERIVATION) and has its base's kind: a constraint always
  (SD_DERIVATION_KIND_MISMATCH), a specialization unless the base is abstract (SD_CONSTRAINED_KIND_NO_MATCH);
- a constraint's differential gives no element but an extension a ``meaningWhenMissing``
  (SD_ELEMENT_NOT_IN_CONSTRAINT);
- a binding's ``valueSet`` is not a CodeSystem's URL (SD_ED_BIND_NOT_VS);
- in the snapshot, an element whose ``id`` is below the root has a type or a contentReference
  (SD_NO_TYPES_OR_CONTENTREF), and its ``defaultValue``, ``fixed`` and ``pattern`` are of one of its types
  (SD_VALUE_TYPE_IILEGAL); with the base loaded, as HL7 walks the element lists only then;
- a type states its code: a ``_code`` with extensions and no value names no type (SD_NO_TYPE_CODE_ON_CODE,
  R4 on; the ``structuredefinition-fhir-type`` extension on the type stands in for it), in both lists;
- a differential ``fixed[x]`` has the type of the base's fixed value where the base fixes one
  (SD_ELEMENT_FIXED_WRONG_TYPE): the base element is the one whose ``id`` is the element's ``path``
  (getDefinitionFromBase looks the path up as an id, after the id); a differential ``pattern[x]`` where that base
  element has a pattern and no fixed value (SD_ELEMENT_PATTERN_NO_FIXED, validateElementDefinition's else branch:
  HL7 wants a fixed value there, so even a pattern restated unchanged fails). Its twin for ``pattern[x]``
  (SD_ELEMENT_PATTERN_WRONG_TYPE) sits where the base has no fixed value, after SD_ELEMENT_PATTERN_NO_FIXED has
  failed, so HL7 never reaches it. Measured on published guides' profiles whose base is loaded (UK Core 2.0.2,
  US Core 5.0.1's, SDC 4.0.0-ballot, IPS 2.0.0, AU Base 6.0.0, mCODE 4.0.0, the extensions package, THO 7.0.1 and
  the R4 specification's own): it flags none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval import type_characteristics
from conformance.fhirval.source import as_loaded, definition_elements, element_places, objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_CORE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/Extension"
# ExtensionDefinitions.EXT_JSON_NAME and EXT_JSON_NAME_DEPRECATED (hasJsonName reads both)
_JSON_NAMES = ("http://hl7.org/fhir/tools/StructureDefinition/json-name",
               "http://hl7.org/fhir/tools/StructureDefinition/elementdefinition-json-name")
_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_VALUES = ("defaultValue", "fixed", "pattern")
_CORE = "http://hl7.org/fhir/StructureDefinition/"
_ADDITIONAL_BINDING = "http://hl7.org/fhir/tools/StructureDefinition/additional-binding"  # EXT_BINDING_ADDITIONAL
# ExtensionDefinitions.EXT_FHIRVERSION_SPECIFIC_USE: a context meant for other FHIR versions than R4
_VERSION_SPECIFIC = "http://hl7.org/fhir/StructureDefinition/version-specific-use"


def check(w: Walker, sd: Json, loc: str) -> None:
    rtype = sd.get("type")
    check_context(w, sd, rtype, loc)
    url = sd.get("url")
    if rtype == "Extension" and sd.get("baseDefinition") == _CORE_EXTENSION and isinstance(url, str):
        check_extension_url(w, sd, url, loc)
    base_url = sd.get("baseDefinition")
    if sd.get("derivation") == "constraint" and isinstance(base_url, str) and isinstance(rtype, str):
        index = w.model.index(base_url)
        base_type = index.sd.get("type") if index is not None else None
        if isinstance(base_type, str) and base_type != rtype:
            w.sink.error("structure-type", f"{loc}.type", f"a constraint keeps its base's type: {rtype} is not the "
                                                          f"type {base_type} of {base_url}")
    if isinstance(base_url, str):
        index = w.model.index(base_url)
        if index is not None:  # HL7 walks the element lists only with the base loaded (validateElementList)
            check_derivation(w, sd, index.sd, loc)
            if sd.get("derivation") == "constraint":
                check_meaning_when_missing(w, sd, loc)
            check_binding_targets(w, sd, loc)
            check_snapshot_values(w, sd, loc)
            check_type_codes(w, sd, loc)
            check_fixed_types(w, sd, index.sd, loc)
            type_characteristics.check(w, sd, loc)


def check_circular(w: Walker, sd: Json, loc: str) -> bool:
    """Whether the structure derives, through the loaded bases, from itself (reported: SD_CIRCULAR_DEFINITION,
    validateStructureDefinition). No snapshot can be built for it, so the caller judges nothing that needs one:
    the bases are followed as loaded (``raw_structure``), never generated, which would recurse."""
    url, current = sd.get("url"), sd.get("baseDefinition")
    source = w.model.source
    lookup = as_loaded(source)
    seen: set[str] = set()
    # As HL7: each base is fetched first and the FETCHED structure's url compared, so a baseDefinition naming
    # the structure's own url when no such structure is loaded (the instance itself is not) is no cycle.
    while isinstance(url, str) and isinstance(current, str) and current not in seen:
        seen.add(current)
        found = lookup(current)
        if not isinstance(found, dict):
            return False
        if found.get("url") == url:
            w.sink.error("structure-type", f"{loc}.baseDefinition", f"the structure {url} derives from itself "
                                                                    f"(through {sd.get('baseDefinition')})")
            return True
        current = found.get("baseDefinition")
    return False


def check_derivation(w: Walker, sd: Json, base: Json, loc: str) -> None:
    """With its base loaded: a structure says how it derives from it, and its kind is its base's (a constraint's
    always, a specialization's unless the base is abstract). SD_MUST_HAVE_DERIVATION, SD_CONSTRAINED_KIND_NO_MATCH,
    SD_DERIVATION_KIND_MISMATCH."""
    derivation, kind, base_kind = sd.get("derivation"), sd.get("kind"), base.get("kind")
    if derivation is None:
        w.sink.error("structure-type", loc, f"a structure with a baseDefinition says how it derives from it "
                                            f"(derivation), and {sd.get('url')} does not")
        return
    if base.get("abstract") is not True and kind != base_kind:
        w.sink.error("structure-type", f"{loc}.kind", f"the kind {kind} is not the kind {base_kind} of the base "
                                                      f"{base.get('url')}")
    if derivation == "constraint" and kind != base_kind:
        w.sink.error("structure-type", f"{loc}.kind", f"a constraint keeps its base's kind {base_kind}, not {kind}")


def check_meaning_when_missing(w: Walker, sd: Json, loc: str) -> None:
    """A constraint cannot say what an absent element means (that is the base's to define, and every instance of
    the base would read differently), except on an extension, where it says what the extension's absence means
    (SD_ELEMENT_NOT_IN_CONSTRAINT, in the differential; StructureDefinitionValidator.meaningWhenMissingAllowed)."""
    for i, ed in enumerate(definition_elements(sd, "differential")):
        path = ed.get("path")
        if "meaningWhenMissing" in ed and isinstance(path, str) and path != "Extension" \
                and not path.endswith(".extension"):
            w.sink.error("structure-type", f"{loc}.differential.element[{i}].meaningWhenMissing",
                         f"a constraint may not give {path} a meaningWhenMissing (only an extension may)")


def check_binding_targets(w: Walker, sd: Json, loc: str) -> None:
    """A binding's ``valueSet`` names a ValueSet: a CodeSystem's URL there (the commonest slip) binds to nothing a
    validator can expand (SD_ED_BIND_NOT_VS, validateBinding; judged when the CodeSystem is held and no ValueSet
    has that URL). R4's own ExplanationOfBenefit.priority binds the processpriority CodeSystem: HL7's loader
    patches that binding in its own copy (StructureDefinitionHacker), so a structure carrying it fails here as
    it does in HL7's validator."""
    term = w.model.term
    for place, ed in element_places(sd, loc):
        binding = ed.get("binding")
        if not isinstance(binding, dict):
            continue
        where = f"{place}.binding"
        named = [(f"{where}.valueSet", binding.get("valueSet"))]
        # R4's form of an additional binding, its valueSet sub-extension: the third SD_ED_BIND_NOT_VS site
        # (validateAdditionalBindingExtension; fvsite9)
        named += [(f"{where}.extension[{j}]", value_of(sub))
                  for j, ext in enumerate(binding.get("extension") or ()) if isinstance(ext, dict)
                  and ext.get("url") == _ADDITIONAL_BINDING for sub in objects(ext.get("extension"))
                  if sub.get("url") == "valueSet"]
        for at, ref in named:
            url = ref.partition("|")[0] if isinstance(ref, str) else None
            if url is not None and term.value_set(url) is None and term.code_system(url) is not None:
                w.sink.error("structure-type", at,
                             f"the binding of {ed.get('path')} names {ref}, which is a CodeSystem, not a ValueSet")


def check_context(w: Walker, sd: Json, rtype: Any, loc: str) -> None:
    if rtype == "Extension":
        check_element_contexts(w, sd, loc)
        return
    if not _has_json_name(sd):
        for i, _ in enumerate(objects(sd.get("context"))):
            w.sink.error("structure-type", f"{loc}.context[{i}]",
                         f"a context is only for an extension, and this structure's type is {rtype}")
    invariants: Any = sd.get("contextInvariant")
    for i, _ in enumerate(invariants if isinstance(invariants, list) else []):
        w.sink.error("structure-type", f"{loc}.contextInvariant[{i}]",
                     f"a context invariant is only for an extension, and this structure's type is {rtype}")


def check_element_contexts(w: Walker, sd: Json, loc: str) -> None:
    """An ``element`` context names a type: its first step (before any ``.``) is a StructureDefinition of R4
    (StructureDefinitionValidator.checkElementDefinition, SD_CONTEXT_SHOULD_ELEMENT_NOT_FOUND, 2025-07-25: the
    url is ``http://hl7.org/fhir/StructureDefinition/`` + that step; CanonicalResource and MetadataResource,
    which R4 lacks, stand for CodeSystem and PlanDefinition). Left unjudged: ``Base`` (R5's root type, a
    context in HL7's own extensions package for R4), a ``profile#path`` context (its profile may sit in a
    package not loaded), one limited to other FHIR versions (``version-specific-use``) and the steps after the
    first (HL7 walks them with DefinitionNavigator). Found on FR Core 2.1.0's ``fr-core-organization-sae-category``
    (context ``FRCoreOrganizationEtablissementProfile``, a profile's name), which HL7's publisher faulted."""
    for i, ctx in enumerate(objects(sd.get("context"))):
        path = ctx.get("expression")
        if ctx.get("type") != "element" or not isinstance(path, str) or not path or "#" in path:
            continue
        if any(e.get("url") == _VERSION_SPECIFIC for e in objects(ctx.get("extension"))):
            continue
        first = path.split(".", 1)[0]
        if first in ("CanonicalResource", "MetadataResource", "Base") or w.model.index(_CORE + first) is not None:
            continue
        w.sink.error("structure-type", f"{loc}.context[{i}]", f"the element context {path!r} names no element: "
                                                              f"{first!r} is no FHIR R4 type")


def _has_json_name(sd: Json) -> bool:
    root = (definition_elements(sd, "snapshot") or definition_elements(sd, "differential") or [{}])[0]
    return any(e.get("url") in _JSON_NAMES for e in objects(root.get("extension")))


def check_extension_url(w: Walker, sd: Json, url: str, loc: str) -> None:
    fixed = next((_value(ed, "fixed") for ed in definition_elements(sd, "differential")
                  if ed.get("path") == "Extension.url"), None)
    if fixed is None:
        w.sink.error("structure-type", loc, f"the extension {url} does not fix Extension.url to its URL in its "
                                            "differential")
    elif fixed[1] != url:
        w.sink.error("structure-type", loc, f"the extension {url} fixes Extension.url to {fixed[1]!r}, not its URL")


def _value(ed: Json, prefix: str) -> tuple[str, Any] | None:
    """The element's ``prefix[x]`` as (type suffix, value), or None."""
    for key, value in ed.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key[len(prefix):], value
    return None


def _type_codes(ed: Json) -> set[str]:
    codes = set()
    for t in objects(ed.get("type")):
        code = next((e.get("valueUrl") or e.get("valueUri") for e in objects(t.get("extension"))
                     if e.get("url") == _FHIR_TYPE), None) or t.get("code")
        if isinstance(code, str):
            codes.add(code)
    return codes


def check_snapshot_values(w: Walker, sd: Json, loc: str) -> None:
    """SD_NO_TYPES_OR_CONTENTREF and SD_VALUE_TYPE_IILEGAL: HL7 judges a snapshot element by its ``id``
    (``getIdBase``) only, so an element without an id, or the root, is not judged."""
    for i, ed in enumerate(definition_elements(sd, "snapshot")):
        ident = ed.get("id")
        if not isinstance(ident, str) or "." not in ident:
            continue
        where = f"{loc}.snapshot.element[{i}]"
        codes = _type_codes(ed)
        if not codes:
            if not isinstance(ed.get("contentReference"), str):
                w.sink.error("structure-type", where, f"the element {ident} has neither a type nor a contentReference")
            continue
        for prefix in _VALUES:
            found = _value(ed, prefix)
            if found is None:
                continue
            suffix = found[0]
            if suffix not in codes and suffix[0].lower() + suffix[1:] not in codes:
                w.sink.error("structure-type", f"{where}.{prefix}{suffix}",
                             f"the element {ident} has a {prefix} value of type {suffix}, which is not one of its "
                             f"types ({', '.join(sorted(codes))})")


def check_type_codes(w: Walker, sd: Json, loc: str) -> None:
    """SD_NO_TYPE_CODE_ON_CODE: a type whose ``code`` is there (``_code``) but empty, with no fhir-type extension
    to name the type instead (validateElementDefinition, R4 and later)."""
    for at, ed in element_places(sd, loc):
        for j, t in enumerate(objects(ed.get("type"))):
            if ("code" in t or "_code" in t) and not t.get("code") and not _type_codes({"type": [t]}):
                w.sink.error("structure-type", f"{at}.type[{j}]",
                             f"a type of {ed.get('path')} has a code element without a value: it names no type")


def check_fixed_types(w: Walker, sd: Json, base: Json, loc: str) -> None:
    """SD_ELEMENT_FIXED_WRONG_TYPE: a differential fixed value of another type than the base element's fixed value
    (the base element found by the element's path taken as an id, as getDefinitionFromBase);
    SD_ELEMENT_PATTERN_NO_FIXED: a differential pattern where that base element has a pattern and no fixed value
    (validateElementDefinition)."""
    by_id = {ed["id"]: ed for ed in definition_elements(base, "snapshot") if isinstance(ed.get("id"), str)}
    for i, ed in enumerate(definition_elements(sd, "differential")):
        fixed, path = _value(ed, "fixed"), ed.get("path")
        key = path if isinstance(path, str) else ed.get("id")
        base_ed = by_id.get(key) if isinstance(key, str) else None
        if base_ed is None:
            continue
        base_fixed = _value(base_ed, "fixed")
        if fixed is not None and base_fixed is not None and fixed[0] != base_fixed[0]:
            w.sink.error("structure-type", f"{loc}.differential.element[{i}].fixed{fixed[0]}",
                         f"the fixed value of {path} is a {_lower(fixed[0])}, but its base fixes a "
                         f"{_lower(base_fixed[0])}")
        pattern, base_pattern = _value(ed, "pattern"), _value(base_ed, "pattern")
        if pattern is not None and base_fixed is None and base_pattern is not None:
            w.sink.error("structure-type", f"{loc}.differential.element[{i}].pattern{pattern[0]}",
                         f"the base element {key} has a pattern, so this element must have a fixed value, not a "
                         f"pattern ({_lower(pattern[0])})")


def _lower(suffix: str) -> str:
    return suffix[0].lower() + suffix[1:]
