"""Rules for conformance resources that reach past the resource itself to the definitions it names.

A vendor's CapabilityStatement and the SearchParameters of an implementation guide are claims about
search; each is only right if it agrees with the definition it points at. As HL7's validator does:

- a CapabilityStatement ``searchParam`` with a ``definition`` has that SearchParameter's type;
- a SearchParameter ``derivedFrom`` another keeps its type and searches only types the other
  searches; its expression names only resource types among its own ``base``; a composite one has at least
  two components;
- a constraining StructureDefinition's differential applies to its base (differential.py);
- a ValueSet's include/exclude system is an absolute URI, without a ``|version`` (that goes in ``version``);
- a ConceptMap maps codes its held code systems have (concept_maps.py);
- a profile that inherits obligations (``inherit-obligations``) inherits them from an obligation profile
  (``obligation-profile`` true) with the same base as its own; an obligation profile only adds obligations to its
  base (obligation_profiles.py).

A definition that is not loaded is left alone: nothing can be said about it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval import (
    complies_with,
    concept_maps,
    definition_expressions,
    differential,
    implementation_guides,
    invariant_keys,
    measure_criteria,
    measures,
    meta_rules,
    obligation_profiles,
    operation_profiles,
    questionnaire_derivation,
    questionnaire_rules,
    questionnaires,
    structure_definition_rules,
    structure_maps,
    structure_rules,
    terminology_rules,
    type_profiles,
    value_set_parameters,
    value_set_rules,
)
from conformance.fhirval.references import is_absolute_url
from conformance.fhirval.source import items, search_parameter

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_LEADING_TYPE = re.compile(r"\s*\(*\s*([A-Z][A-Za-z]+)\s*[.)]")
_GENERIC_BASES = frozenset({"Resource", "DomainResource"})


def check(w: Walker, res: Json, rtype: str, loc: str) -> None:
    meta_rules.check(w, res, loc)
    if rtype == "StructureDefinition":
        if structure_definition_rules.check_circular(w, res, loc):
            return
        differential.check(w, res, loc)
        structure_rules.check(w, res, loc)
        structure_definition_rules.check(w, res, loc)
        type_profiles.check(w, res, loc)
        invariant_keys.check(w, res, loc)
        definition_expressions.check_structure(w, res, loc)
        check_inherited_obligations(w, res, loc)
        obligation_profiles.check(w, res, loc)
        complies_with.check(w, res, loc)
    elif rtype == "SearchParameter":
        check_search_parameter(w, res, loc)
        definition_expressions.check_search_parameter(w, res, loc)
    elif rtype == "CapabilityStatement":
        check_capability_statement(w, res, loc)
    elif rtype == "Questionnaire":
        questionnaire_rules.check(w, res, loc)
        questionnaire_derivation.check(w, res, loc)
    elif rtype == "QuestionnaireResponse":
        questionnaires.check_response(w, res, loc)
    elif rtype == "Measure":
        measure_criteria.check_measure(w, res, loc)
    elif rtype == "MeasureReport":
        measures.check_report(w, res, loc)
    elif rtype == "ValueSet":
        check_value_set(w, res, loc)
        value_set_parameters.check(w, res, loc)
        value_set_rules.check(w, res, loc)
        terminology_rules.check(w, res, rtype, loc)
    elif rtype == "CodeSystem":
        terminology_rules.check(w, res, rtype, loc)
    elif rtype == "ImplementationGuide":
        implementation_guides.check(w, res, loc)
    elif rtype == "ConceptMap":
        concept_maps.check(w, res, loc)
    elif rtype == "OperationDefinition":
        operation_profiles.check(w, res, loc)
    elif rtype == "StructureMap":
        structure_maps.check(w, res, loc)


def check_capability_statement(w: Walker, cs: Json, loc: str) -> None:
    for i, rest in enumerate(items(cs.get("rest"))):
        for j, resource in enumerate(items(rest.get("resource") if isinstance(rest, dict) else None)):
            params = items(resource.get("searchParam") if isinstance(resource, dict) else None)
            for k, param in enumerate(params):
                if not isinstance(param, dict) or not isinstance(param.get("definition"), str):
                    continue
                sp = search_parameter(w.model.source, param["definition"])
                if sp is not None and isinstance(param.get("type"), str) and param["type"] != sp.get("type"):
                    w.sink.error("search-parameter", f"{loc}.rest[{i}].resource[{j}].searchParam[{k}]",
                                 f"type mismatch: the SearchParameter {param['definition']} is of type "
                                 f"{sp.get('type')}, but the type here is {param['type']}")


def check_value_set(w: Walker, vs: Json, loc: str) -> None:
    """A ValueSet's include/exclude ``system`` is an absolute URI: a code system is named by its canonical URL
    (a relative name, or ``#id`` of a contained CodeSystem, names none), as HL7's validator: Utilities.isAbsoluteUrl
    on the system without its ``|version`` (a lower-case scheme, no space: VALUESET_INCLUDE_SYSTEM_ABSOLUTE)."""
    compose = vs.get("compose")
    if not isinstance(compose, dict):
        return
    for part in ("include", "exclude"):
        for i, rule in enumerate(items(compose.get(part))):
            system = rule.get("system") if isinstance(rule, dict) else None
            if isinstance(system, str) and system and not is_absolute_url(system.partition("|")[0]):
                w.sink.error("value-set-rule", f"{loc}.compose.{part}[{i}].system",
                             f"the system {system!r} must be an absolute URI (a code system's canonical URL)")
            if isinstance(system, str) and system.partition("|")[2]:
                _versioned_system(w, system, rule.get("version"), f"{loc}.compose.{part}[{i}].system")
            if isinstance(system, str) and system.startswith("#"):
                _contained_system(w, vs, system, rule.get("version"), f"{loc}.compose.{part}[{i}]")


def _contained_system(w: Walker, vs: Json, system: str, version: Any, where: str) -> None:
    """A ``#id`` system names a contained CodeSystem all the same, and HL7 judges that too (ValueSetValidator.
    validateValueSetInclude): a contained resource with that id that is no CodeSystem (VALUESET_INCLUDE_CS_NOT_CS),
    none of the version asked for (_CS_NOT_FOUND / _CSVER_NOT_FOUND) or several (_CS_MULTI_FOUND)."""
    found = []
    for res in items(vs.get("contained")):
        if isinstance(res, dict) and f"#{res.get('id')}" == system:
            if res.get("resourceType") != "CodeSystem":
                w.sink.error("value-set-rule", where, f"the system {system!r} names a contained "
                                                      f"{res.get('resourceType')}, not a CodeSystem")
            elif version is None or version == res.get("version"):
                found.append(res)
    if len(found) != 1:
        w.sink.error("value-set-rule", where, f"{'no' if not found else 'more than one'} contained code system "
                                              f"matches the system {system!r}"
                                              + (f" version {version!r}" if version is not None else ""))


def _versioned_system(w: Walker, system: str, version: Any, where: str) -> None:
    """A code system's version goes in the include's ``version``, not after a ``|`` in ``system``: a consumer
    reads ``system`` as the code system's URL (ValueSetValidator.validateValueSetInclude,
    VALUESET_REFERENCE_INVALID_TYPE_NO_VERSION_1/_2/_3; an empty ``|`` is only its warning _0)."""
    stated = system.partition("|")[2]
    if not isinstance(version, str):
        said = f"put the version {stated!r} in the include's version"
    elif version != stated:
        said = f"its version {stated!r} differs from the include's version {version!r}"
    else:
        said = "the version is already in the include's version"
    w.sink.error("value-set-rule", where, f"the system {system!r} carries a version after '|': {said}")


# ExtensionDefinitions.EXT_OBLIGATION_INHERITS_NEW/_OLD and EXT_OBLIGATION_PROFILE_FLAG_NEW/_OLD: HL7 reads both
_INHERIT_OBLIGATIONS = frozenset({"http://hl7.org/fhir/StructureDefinition/inherit-obligations",
                                  "http://hl7.org/fhir/tools/StructureDefinition/inherit-obligations"})
_OBLIGATION_PROFILE = frozenset(obligation_profiles.FLAGS)


def check_inherited_obligations(w: Walker, sd: Json, loc: str) -> None:
    """Obligations are inherited only from an obligation profile of the same base: one of another base, or a
    plain profile, would put obligations on elements the profile does not have or never meant. Judged with the
    structure's base loaded, as HL7's validateInheritsObligationProfile runs only then."""
    base_url = sd.get("baseDefinition")
    if not isinstance(base_url, str) or w.model.index(base_url) is None:
        return
    for i, ext in enumerate(items(sd.get("extension"))):
        if not isinstance(ext, dict) or not isinstance(ext.get("url"), str) or ext["url"] not in _INHERIT_OBLIGATIONS:
            continue
        url = ext.get("valueCanonical")
        other = w.model.index(url.partition("|")[0]) if isinstance(url, str) else None
        if other is None:
            continue
        where = f"{loc}.extension[{i}]"
        marked = any(isinstance(e, dict) and isinstance(e.get("url"), str) and e["url"] in _OBLIGATION_PROFILE
                     and e.get("valueBoolean") is True for e in items(other.sd.get("extension")))
        if not marked:
            w.sink.error("obligation-profile", where, f"the profile {url} is not marked as an obligation profile "
                                                      "(obligation-profile): obligations cannot come from it")
            continue
        base, own = other.sd.get("baseDefinition"), sd.get("baseDefinition")
        if isinstance(base, str) and isinstance(own, str) and base != own:
            w.sink.error("obligation-profile", where, f"the profile {url} has a different base {base} from this "
                                                      f"profile's {own}")


def _union_parts(expression: str) -> list[str]:
    """The operands of an expression's top-level ``|``: not one inside brackets or a quoted string (a
    FHIRPath parse would do, but fhirpathpy's parse tree is costlier than this one scan)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(expression):
        if quote:
            quote = "" if ch == quote and expression[i - 1] != "\\" else quote
        elif ch in "'`\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(expression[start:i])
            start = i + 1
    parts.append(expression[start:])
    return parts


def check_search_parameter(w: Walker, sp: Json, loc: str) -> None:
    bases = {b for b in items(sp.get("base")) if isinstance(b, str)}
    expression = sp.get("expression")
    if isinstance(expression, str) and bases and not bases & _GENERIC_BASES:
        for part in _union_parts(expression):
            m = _LEADING_TYPE.match(part)
            named = m.group(1) if m else None
            if named and named not in bases and named not in _GENERIC_BASES and w.model.is_resource_type(named):
                w.sink.error("search-parameter", f"{loc}.expression",
                             f"the expression starts from {named}, which is not one of the base types "
                             f"({', '.join(sorted(bases))})")
                break
    if sp.get("type") == "composite" and len(items(sp.get("component"))) < 2:
        # SearchParameterValidator: SEARCHPARAMETER_MISSING_COMPONENTS (a composite of one part searches nothing
        # a plain parameter does not)
        w.sink.error("search-parameter", loc, "a composite search parameter needs at least two components")
    origin_url = sp.get("derivedFrom")
    origin = search_parameter(w.model.source, origin_url) if isinstance(origin_url, str) else None
    if origin is None:
        return
    if isinstance(sp.get("type"), str) and sp["type"] != origin.get("type"):
        w.sink.error("search-parameter", loc, f"the type {sp['type']} differs from the type {origin.get('type')} of "
                                              f"{origin_url}, which this SearchParameter is derived from")
    origin_bases = {b for b in items(origin.get("base")) if isinstance(b, str)}
    if "Resource" in origin_bases:
        # derived from a parameter on every resource: any base is one of its bases. Only Resource, as HL7's
        # SEARCHPARAMETER_BASE_WRONG (`sp.hasBase(b) || sp.hasBase("Resource")`): DomainResource is matched as named
        return
    for base in sorted(bases - origin_bases):
        w.sink.error("search-parameter", loc, f"the resource type {base} is not a base of {origin_url}, which "
                                                  "this SearchParameter is derived from")
