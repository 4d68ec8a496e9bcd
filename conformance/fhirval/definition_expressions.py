"""The FHIRPath a definition carries parses, as HL7's validator requires of every definition it validates.

An invariant, context invariant or search expression that is not FHIRPath cannot be run by anyone: every
validator either skips the rule (the instance goes unchecked) or fails on it. HL7's validator parses them
when it validates the definition itself and reports one that does not parse as an error:

- StructureDefinitionValidator.validateElementDefinitionInvariant: a snapshot constraint's ``expression``
  with a key, whose ``source`` is empty or this structure (one copied from elsewhere is judged there):
  ED_INVARIANT_EXPRESSION_ERROR;
- StructureDefinitionValidator.validateContextInvariant: each ``contextInvariant`` of an extension with an
  ``element`` or ``extension`` context (with only ``fhirpath`` ones HL7 has no type to parse it on):
  ED_CONTEXT_INVARIANT_EXPRESSION_ERROR;
- SearchParameterValidator.checkExpression: a SearchParameter's ``expression``, when it has a ``base``:
  ED_SEARCH_EXPRESSION_ERROR.

As in HL7's validator, a structure is judged so only when its base is loaded. HL7's engine then
type-checks the parsed expression against the element's types (``checkOnTypes``); that half needs HL7's
type inference and is not done here, so only a syntax error is reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.fhirpath_syntax import syntax_error
from conformance.fhirval.source import items

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def _report(w: Walker, where: str, what: str, expression: Any) -> None:
    if not isinstance(expression, str) or not expression.strip():
        return
    problem = syntax_error(expression)
    if problem is not None:
        w.sink.error("fhirpath-syntax", where, f"the {what} {expression!r} is not valid FHIRPath ({problem})")


def check_structure(w: Walker, sd: Json, loc: str) -> None:
    base = sd.get("baseDefinition")
    if not isinstance(base, str) or w.model.index(base) is None:
        return  # HL7 validates a structure's elements and context only with its base loaded
    url = sd.get("url")
    snapshot = sd.get("snapshot")
    elements = items(snapshot.get("element")) if isinstance(snapshot, dict) else []
    for i, ed in enumerate(elements):
        for j, c in enumerate(items(ed.get("constraint") if isinstance(ed, dict) else None)):
            if not isinstance(c, dict) or not c.get("key") or c.get("source") not in (None, "", url):
                continue
            _report(w, f"{loc}.snapshot.element[{i}].constraint[{j}].expression",
                    f"expression of the invariant {c.get('key')}", c.get("expression"))
    if not any(isinstance(c, dict) and c.get("type") in ("element", "extension") for c in items(sd.get("context"))):
        return  # HL7 finds no type to check it on (UNABLE_TO_DETERMINE_TYPE_CONTEXT_INV, a hint) and parses nothing
    for i, invariant in enumerate(items(sd.get("contextInvariant"))):
        _report(w, f"{loc}.contextInvariant[{i}]", "context invariant", invariant)


def check_search_parameter(w: Walker, sp: Json, loc: str) -> None:
    if items(sp.get("base")):
        _report(w, f"{loc}.expression", "search expression", sp.get("expression"))
