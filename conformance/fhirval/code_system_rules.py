"""A CodeSystem's own consistency, as HL7's CodeSystemValidator judges it without a terminology server.

- ``count`` of a ``complete`` CodeSystem is the number of its concepts, nested ones included
  (CODESYSTEM_CS_COUNT_COMPLETE_WRONG);
- ``content`` ``supplement`` names what it ``supplements`` (CODESYSTEM_CS_SUPP_NO_SUPP), and a supplement's
  concepts are codes of that CodeSystem when it is held here complete (CODESYSTEM_CS_SUPP_INVALID_CODE), and
  its ``hierarchyMeaning``, when both state one, is that CodeSystem's (CODESYSTEM_CS_SUPP_HIERARCHY_MEANING);
- each ``property`` has an absolute ``uri`` and a ``code`` and ``uri`` no other property has
  (CODESYSTEM_PROPERTY_ABSOLUTE_URI, _DUPLICATE_URI, _DUPLICATE_CODE), and a concept's property value has
  the type its definition declares (CODESYSTEM_PROPERTY_WRONG_TYPE); a code-typed property defined by HL7's
  ``parent``, ``child``, ``partOf`` or ``synonym`` URI names a code of this system (``checkCodeProperty``,
  INTERNAL_CODE: CODESYSTEM_PROPERTY_BAD_INTERNAL_REFERENCE; each bad code once, as HL7's isSeenPropertyCode;
  a supplement's, which HL7 looks up in the supplemented system, is not judged here);
- a property with one of HL7's twelve ``concept-properties`` URIs has that property's type, and a code that is
  not another of the twelve (``checkPropertyDefinition``: CODESYSTEM_PROPERTY_URI_TYPE_MISMATCH, _URI_CODE_MISMATCH);
- a supplement that states a ``count`` has as many concepts as the supplemented system's ``count`` says, as
  HL7 compares them (``metaChecks``: CODESYSTEM_CS_COUNT_SUPPLEMENT_WRONG);
- a supplement states no ``caseSensitive`` (the supplemented system's is the one that holds:
  ``metaChecks``, CODESYSTEM_CS_HL7_PRESENT_ELEMENT_SUPPL), and a code-typed property value of a supplement that
  HL7 checks as a code (``checkCodeProperty``: INTERNAL_CODE and INTERNAL_CODE_WARNING, an error for a supplement)
  is a code of the supplemented system when that is held here;
- a code-typed property bound to a value set by the ``codesystem-property-valueset`` extension (and not one of
  HL7's known properties by URI) has values of that value set, judged on a local expansion, each code once
  (``checkCodeProperty``, VS_ERROR: CODESYSTEM_PROPERTY_BAD_PROPERTY_CODE; a value set not held, or not
  expandable here, is not judged);
- a code is defined once, at any depth, compared exactly (CODESYSTEM_DUPLICATE_CODE, ``checkConcept``);
- the ``valueSet`` said to hold all its codes, when held here, includes exactly this whole system
  (CODESYSTEM_CS_VS_INVALID, _WRONGSYSTEM, _INCLUDEDETAILS, and its expansion the same size: _EXP_MISMATCH).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from conformance.fhirval.references import is_absolute_url
from conformance.fhirval.source import items

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties#"
# HL7's KnownProperty Parent, Child, PartOf and Synonym get the INTERNAL_CODE rule (an error)
_INTERNAL = frozenset(_CONCEPT_PROPERTIES + p for p in ("parent", "child", "partOf", "synonym"))
# CodeSystemValidator.KnownProperty: each known property's code and type (getType)
_KNOWN = {"status": "code", "inactive": "boolean", "effectiveDate": "dateTime", "deprecationDate": "dateTime",
          "retirementDate": "dateTime", "notSelectable": "boolean", "parent": "code", "child": "code",
          "partOf": "code", "synonym": "code", "comment": "string", "itemWeight": "decimal"}
_PROPERTY_VALUE_SETS = ("http://hl7.org/fhir/StructureDefinition/codesystem-property-valueset",
                        "http://hl7.org/fhir/6.0/StructureDefinition/extension-CodeSystem.property.valueSet")
_VALUE_TYPES = {"valueCode": "code", "valueCoding": "Coding", "valueString": "string", "valueInteger": "integer",
                "valueBoolean": "boolean", "valueDateTime": "dateTime", "valueDecimal": "decimal"}


def _concepts(holder: Json, where: str, depth: int = 0) -> Iterator[tuple[Json, str]]:
    for i, concept in enumerate(items(holder.get("concept"))):
        if isinstance(concept, dict):
            yield concept, f"{where}.concept[{i}]"
            if depth < 64:
                yield from _concepts(concept, f"{where}.concept[{i}]", depth + 1)


def check(w: Walker, cs: Json, loc: str) -> None:
    concepts = list(_concepts(cs, loc))
    content, count = cs.get("content"), cs.get("count")
    if content == "complete" and isinstance(count, int) and count != len(concepts):
        w.sink.error("code-system-content", f"{loc}.count", f"the CodeSystem is complete with {len(concepts)} "
                                                            f"concepts, but its count says {count}")
    supplements = cs.get("supplements")
    if content == "supplement" and not isinstance(supplements, str):
        w.sink.error("code-system-content", loc, "a CodeSystem whose content is 'supplement' names the code system "
                                                 "it supplements (supplements)")
    elif isinstance(supplements, str):
        base = supplements.partition("|")[0]
        term = w.model.term
        supplemented = term.code_system(base)
        if content == "supplement" and isinstance(count, int) and count >= 0 and supplemented is not None \
                and len(concepts) != supplemented.get("count", 0):
            # metaChecks, CODESYSTEM_CS_COUNT_SUPPLEMENT_WRONG: the supplement's concepts against the supplemented
            # system's stated count (0 when it states none), as HL7 compares them
            w.sink.error("code-system-content", f"{loc}.count", f"the supplement has {len(concepts)} concepts, but "
                                                                f"{base} states a count of "
                                                                f"{supplemented.get('count', 0)}")
        if "caseSensitive" in cs:
            w.sink.error("code-system-content", f"{loc}.caseSensitive", "a supplement does not say whether codes "
                                                                        "are case-sensitive: the supplemented "
                                                                        "code system does")
        _check_supplement_codes(w, cs, base, concepts)
        _check_hierarchy_meaning(w, cs, term.code_system(base), loc)
        top = items(cs.get("concept"))  # the top-level concepts, as HL7's validator
        if w.options.too_many_codes(len(top)) and term.code_system(base) is not None:
            # CodeSystemValidator: more concepts than codeSystemValidationSizeLimit (1000 unless set; HL7's runner
            # leaves it) are not checked against the base, a hint instead (CODESYSTEM_CS_SUPP_TOO_MANY_CODES)
            w.sink.info("too-many-codes", loc, f"the supplement has too many concepts to validate ({len(top)}, more "
                                               f"than the limit of {w.options.code_system_validation_size_limit}), so "
                                               "they have not been checked against the base CodeSystem")
            top = []
        for i, concept in enumerate(top):
            code = concept.get("code") if isinstance(concept, dict) else None
            where = f"{loc}.concept[{i}]"
            if isinstance(code, str) and term.code_in_system(base, code) is False:
                w.sink.error("code-unknown", where, f"the supplement's code {code!r} is not a code of {base}")
    _check_duplicates(w, concepts)
    _check_properties(w, cs, concepts, loc)
    _check_value_set(w, cs, len(concepts), loc)


def _check_hierarchy_meaning(w: Walker, cs: Json, supplemented: Json | None, loc: str) -> None:
    """A supplement adds designations and properties; it cannot change what the supplemented system's hierarchy
    means (both stated and different: CODESYSTEM_CS_SUPP_HIERARCHY_MEANING)."""
    own, theirs = cs.get("hierarchyMeaning"), (supplemented or {}).get("hierarchyMeaning")
    if isinstance(own, str) and isinstance(theirs, str) and own != theirs:
        w.sink.error("code-system-content", f"{loc}.hierarchyMeaning", f"the supplement's hierarchyMeaning {own!r} "
                                                                       f"is not the supplemented system's {theirs!r}")


def _check_duplicates(w: Walker, concepts: list[tuple[Json, str]]) -> None:
    """A code defined twice, at any depth, is ambiguous: which definition, display and properties hold?"""
    seen: set[str] = set()
    for concept, where in concepts:
        code = concept.get("code")
        if not isinstance(code, str):
            continue
        if code in seen:
            w.sink.error("code-system-content", where, f"the code {code!r} is defined more than once")
        seen.add(code)


def _check_properties(w: Walker, cs: Json, concepts: list[tuple[Json, str]], loc: str) -> None:
    types: dict[str, str] = {}
    uris: set[str] = set()
    codes: set[str] = set()
    internal: set[str] = set()
    for i, prop in enumerate(items(cs.get("property"))):
        if not isinstance(prop, dict):
            continue
        where, uri, code = f"{loc}.property[{i}]", prop.get("uri"), prop.get("code")
        if isinstance(uri, str):
            if not is_absolute_url(uri):  # Utilities.isAbsoluteUrl: CODESYSTEM_PROPERTY_ABSOLUTE_URI
                w.sink.error("code-system-content", f"{where}.uri", f"a property's uri is absolute (not {uri!r})")
            elif uri in uris:
                w.sink.error("code-system-content", f"{where}.uri", f"another property already has the uri {uri}")
            uris.add(uri)
        _check_known_property(w, uri, code, prop.get("type"), where)
        _check_hl7_uri(w, cs, uri, where)
        if isinstance(code, str):
            if code in codes:
                w.sink.error("code-system-content", f"{where}.code", f"another property already has the code {code!r}")
            elif isinstance(prop.get("type"), str):
                types[code] = prop["type"]
                if isinstance(uri, str) and uri in _INTERNAL and prop["type"] == "code" and "supplements" not in cs:
                    internal.add(code)
            codes.add(code)
    if not types:
        return
    for concept, where in concepts:
        for j, value in enumerate(items(concept.get("property"))):
            code = value.get("code") if isinstance(value, dict) else None
            declared = types.get(code) if isinstance(code, str) else None
            if declared is None or not isinstance(value, dict):
                continue
            found = next((t for k, t in _VALUE_TYPES.items() if k in value), None)
            if found is not None and found != declared:
                w.sink.error("code-system-content", f"{where}.property[{j}]",
                             f"the property {code!r} is a {declared}, but this value is a {found}")
    if internal:
        _check_internal(w, internal, concepts)
    _check_bound_values(w, cs, concepts)


def _check_bound_values(w: Walker, cs: Json, concepts: list[tuple[Json, str]]) -> None:
    bound: dict[str, str] = {}
    for prop in items(cs.get("property")):
        uri = prop.get("uri") if isinstance(prop, dict) else None
        if not isinstance(prop, dict) or prop.get("type") != "code" or not isinstance(prop.get("code"), str) \
                or _known_uri(uri):
            continue
        vs = next((e.get("valueCanonical") or e.get("valueUri") for e in items(prop.get("extension"))
                   if isinstance(e, dict) and e.get("url") in _PROPERTY_VALUE_SETS), None)
        if isinstance(vs, str):
            bound[prop["code"]] = vs
    seen: set[tuple[str, str]] = set()
    for where, prop_code, target in _code_values(concepts, set(bound)):
        vs = bound[prop_code]
        if (vs, target) in seen:
            continue
        seen.add((vs, target))
        expansion = w.model.term.expand(vs)
        if expansion is not None and expansion.contains(None, target) is False:
            w.sink.error("code-system-content", where, f"the property {prop_code!r} has the code {target!r}, which "
                                                       f"is not in the value set {vs} its definition binds it to")


def _check_known_property(w: Walker, uri: Any, code: Any, ptype: Any, where: str) -> None:
    """A property that names one of HL7's known concept properties by URI is that property: its type is the known
    one, and its code is not the code of another known property (a consumer reading either would misread it)."""
    if not isinstance(uri, str) or not uri.startswith(_CONCEPT_PROPERTIES):
        return
    known = uri[len(_CONCEPT_PROPERTIES):]
    if known not in _KNOWN:
        return
    if isinstance(code, str) and code in _KNOWN and code != known:
        w.sink.error("code-system-content", f"{where}.code", f"the property with the uri {uri} is the known property "
                                                             f"{known!r}, but its code {code!r} names another one")
    if isinstance(ptype, str) and ptype != _KNOWN[known]:
        w.sink.error("code-system-content", f"{where}.type", f"the property with the uri {uri} has the type "
                                                             f"{_KNOWN[known]}, not {ptype}")


def _check_hl7_uri(w: Walker, cs: Json, uri: Any, where: str) -> None:
    """checkPropertyDefinition: a property URI in HL7's space (``://hl7.org/fhir``) is one of the twelve known
    concept properties, unless the code system is one of the base specification's (``http://hl7.org/fhir/x``) or
    the URI is its own (CODESYSTEM_PROPERTY_BAD_HL7_URI, an error). Calibrated: a URI that is ``<code system>#<code>``
    for a code of a FHIR code system held here names a defined meaning, not a property HL7 forgot (R4's own
    v3-AddressPartType uses ``http://hl7.org/fhir/codesystem-hierarchy-meaning#part-of``); it is let pass."""
    if not isinstance(uri, str) or "://hl7.org/fhir" not in uri or _known_uri(uri):
        return
    url = cs.get("url")
    if isinstance(url, str) and ((url.startswith("http://hl7.org/fhir/") and "/" not in url[20:])
                                 or uri.startswith(url)):
        return
    system, _, code = uri.partition("#")
    if code and w.model.term.concept(system, code) is not None:
        return
    w.sink.error("code-system-content", f"{where}.uri", f"the property uri {uri} is in HL7's space but is not one of "
                                                        "HL7's known concept properties")


def _code_checked(prop: Json) -> bool:
    """Whether HL7 checks a code-typed property's values as codes (INTERNAL_CODE or INTERNAL_CODE_WARNING) rather
    than against a value set, or not at all (a known property other than parent/child/partOf/synonym). A URI with
    a fragment whose code system is held may name a property bound to a value set: left alone here."""
    uri = prop.get("uri")
    if prop.get("type") != "code":
        return False
    if _known_uri(uri):
        return uri in _INTERNAL
    if any(isinstance(e, dict) and e.get("url") in _PROPERTY_VALUE_SETS for e in items(prop.get("extension"))):
        return False
    return not (isinstance(uri, str) and "#" in uri)


def _known_uri(uri: Any) -> bool:
    """One of HL7's known concept properties, by URI (CodeSystemValidator's KnownProperty from the uri)."""
    return isinstance(uri, str) and uri.startswith(_CONCEPT_PROPERTIES) and uri[len(_CONCEPT_PROPERTIES):] in _KNOWN


def _code_values(concepts: list[tuple[Json, str]], properties: set[str]) -> Iterator[tuple[str, str, str]]:
    """(location, property code, code named) of each concept's ``valueCode`` under one of these properties."""
    for concept, where in concepts:
        for j, value in enumerate(items(concept.get("property"))):
            code, target = (value.get("code"), value.get("valueCode")) if isinstance(value, dict) else (None, None)
            if isinstance(code, str) and code in properties and isinstance(target, str):
                yield f"{where}.property[{j}]", code, target


def _check_supplement_codes(w: Walker, cs: Json, base: str, concepts: list[tuple[Json, str]]) -> None:
    """A supplement's code-typed property value names a code of the supplemented system (checkCodeProperty asks the
    terminology for it, an error for a supplement, each code once); judged when that system is held here."""
    checked = {p["code"] for p in items(cs.get("property"))
               if isinstance(p, dict) and isinstance(p.get("code"), str) and _code_checked(p)}
    reported: set[str] = set()
    for where, prop, target in _code_values(concepts, checked):
        if target not in reported and w.model.term.code_in_system(base, target) is False:
            reported.add(target)
            w.sink.error("code-system-content", where, f"the property {prop!r} names the code {target!r}, which is "
                                                       f"not a code of the supplemented code system {base}")


def _check_internal(w: Walker, internal: set[str], concepts: list[tuple[Json, str]]) -> None:
    """A parent/child/partOf/synonym property names a concept of this very system: one that names no concept
    breaks the hierarchy every consumer builds from it."""
    defined = {c["code"] for c, _ in concepts if isinstance(c.get("code"), str)}
    reported: set[str] = set()
    for where, prop, target in _code_values(concepts, internal):
        if target not in defined and target not in reported:
            reported.add(target)
            w.sink.error("code-system-content", where, f"the property {prop!r} names the code {target!r}, which "
                                                       "this CodeSystem does not define")


def _check_value_set(w: Walker, cs: Json, count: int, loc: str) -> None:
    url, vs_url = cs.get("url"), cs.get("valueSet")
    if not isinstance(url, str) or not isinstance(vs_url, str):
        return
    vs = w.model.term.value_set(vs_url)
    if vs is None:
        return
    compose = vs.get("compose")
    includes = items(compose.get("include")) if isinstance(compose, dict) else []
    if len(includes) != 1 or not isinstance(includes[0], dict):
        w.sink.error("code-system-content", f"{loc}.valueSet", f"the value set {vs_url} is said to hold all the "
                                                               "codes of this CodeSystem, but it does not include "
                                                               "one code system")
        return
    include = includes[0]
    if include.get("system") != url:
        w.sink.error("code-system-content", f"{loc}.valueSet", f"the value set {vs_url} includes "
                                                               f"{include.get('system')}, not this CodeSystem {url}")
    elif any(k in include for k in ("valueSet", "concept", "filter")):
        w.sink.error("code-system-content", f"{loc}.valueSet", f"the value set {vs_url} includes only part of "
                                                               "this CodeSystem (concepts, filters or value sets)")
    expansion = vs.get("expansion")
    if isinstance(expansion, dict) and "contains" in expansion and len(items(expansion["contains"])) != count:
        w.sink.error("code-system-content", f"{loc}.valueSet", f"the expansion of {vs_url} has "
                                                               f"{len(items(expansion['contains']))} codes, this "
                                                               f"CodeSystem {count}")
