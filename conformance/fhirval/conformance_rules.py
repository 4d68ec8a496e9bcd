"""Rules for conformance resources that reach past the resource itself to the definitions it names.

A vendor's CapabilityStatement and the SearchParameters of an implementation guide are claims about
search; each is only right if it agrees with the definition it points at. As HL7's validator does:

- a CapabilityStatement ``searchParam`` with a ``definition`` has that SearchParameter's type;
- a SearchParameter ``derivedFrom`` another keeps its type and searches only types the other
  searches; its expression names only resource types among its own ``base``;
- a constraining StructureDefinition's differential applies to its base (differential.py).

A definition that is not loaded is left alone: nothing can be said about it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval import differential, terminology_rules
from conformance.fhirval.source import search_parameter

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_LEADING_TYPE = re.compile(r"\s*\(*\s*([A-Z][A-Za-z]+)\s*[.)]")
_GENERIC_BASES = frozenset({"Resource", "DomainResource"})


def check(w: Walker, res: Json, rtype: str, loc: str) -> None:
    if rtype == "StructureDefinition":
        differential.check(w, res, loc)
    elif rtype == "SearchParameter":
        check_search_parameter(w, res, loc)
    elif rtype == "CapabilityStatement":
        check_capability_statement(w, res, loc)
    elif rtype in ("CodeSystem", "ValueSet"):
        terminology_rules.check(w, res, rtype, loc)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def check_capability_statement(w: Walker, cs: Json, loc: str) -> None:
    for i, rest in enumerate(_list(cs.get("rest"))):
        for j, resource in enumerate(_list(rest.get("resource") if isinstance(rest, dict) else None)):
            params = _list(resource.get("searchParam") if isinstance(resource, dict) else None)
            for k, param in enumerate(params):
                if not isinstance(param, dict) or not isinstance(param.get("definition"), str):
                    continue
                sp = search_parameter(w.model.source, param["definition"])
                if sp is not None and isinstance(param.get("type"), str) and param["type"] != sp.get("type"):
                    w.sink.error("search-parameter", f"{loc}.rest[{i}].resource[{j}].searchParam[{k}]",
                                 f"type mismatch: the SearchParameter {param['definition']} is of type "
                                 f"{sp.get('type')}, but the type here is {param['type']}")


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
    bases = {b for b in _list(sp.get("base")) if isinstance(b, str)}
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
    origin_url = sp.get("derivedFrom")
    origin = search_parameter(w.model.source, origin_url) if isinstance(origin_url, str) else None
    if origin is None:
        return
    if isinstance(sp.get("type"), str) and sp["type"] != origin.get("type"):
        w.sink.error("search-parameter", loc, f"the type {sp['type']} differs from the type {origin.get('type')} of "
                                              f"{origin_url}, which this SearchParameter is derived from")
    origin_bases = {b for b in _list(origin.get("base")) if isinstance(b, str)}
    if origin_bases & _GENERIC_BASES:
        return  # derived from a parameter on every resource: any base is one of its bases
    for base in sorted(bases - origin_bases):
        w.sink.error("search-parameter", loc, f"the resource type {base} is not a base of {origin_url}, which "
                                                  "this SearchParameter is derived from")
