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
type-checks the parsed expression against the element's types (``checkOnTypes``); that needs HL7's type
inference, so only its plainest case is done here: a search expression made of dotted names joined by ``|``
(``Patient.birthdate``) whose names each some focus type has, from the parameter's bases on (a name none has
is FHIRPATH_UNKNOWN_NAME, thrown by ``FHIRPathEngine.executeType`` and reported as ED_SEARCH_EXPRESSION_ERROR).
A step past a primitive, or onto a type that is not loaded, ends the judgement (nothing is said). A
profile's own invariants are typed further, on the element they sit on: constraint_types.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval.fhirpath_syntax import syntax_error
from conformance.fhirval.index import CHOICE_SUFFIX, Node, structure_index
from conformance.fhirval.source import items

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def _report(w: Walker, where: str, what: str, expression: Any) -> bool:
    """Reports an expression that does not parse; True when there is one that does."""
    if not isinstance(expression, str) or not expression.strip():
        return False
    problem = syntax_error(expression)
    if problem is not None:
        w.sink.error("fhirpath-syntax", where, f"the {what} {expression!r} is not valid FHIRPath ({problem})")
    return problem is None


def _type_check(w: Walker, sd: Json, ed: Any, constraint: Json, where: str) -> None:
    """HL7's checkOnTypes of a profile's own invariant, as far as constraint_types can type it."""
    if sd.get("derivation") != "constraint" or sd.get("kind") not in ("resource", "complex-type"):
        return  # a logical model's or a new type's elements are its own; not typed here
    index = structure_index(w.model.source, str(sd.get("type")))
    path = ed.get("path") if isinstance(ed, dict) else None
    context = index.by_id.get(path) if index is not None and isinstance(path, str) else None
    if context is None:
        return
    from conformance.fhirval import constraint_types  # it types with this module's _holders and _child

    found = constraint_types.unknown_name(w, constraint_types.parsed(constraint["expression"]), context)
    if found is not None:
        w.sink.error("fhirpath-syntax", where, f"the expression of the invariant {constraint.get('key')} "
                                               f"{constraint['expression']!r} names {found.name!r}, which is not "
                                               f"valid for any of the possible types ({', '.join(found.types)})")


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
            where = f"{loc}.snapshot.element[{i}].constraint[{j}].expression"
            if _report(w, where, f"expression of the invariant {c.get('key')}", c.get("expression")):
                _type_check(w, sd, ed, c, where)
    if not any(isinstance(c, dict) and c.get("type") in ("element", "extension") for c in items(sd.get("context"))):
        return  # HL7 finds no type to check it on (UNABLE_TO_DETERMINE_TYPE_CONTEXT_INV, a hint) and parses nothing
    for i, invariant in enumerate(items(sd.get("contextInvariant"))):
        _report(w, f"{loc}.contextInvariant[{i}]", "context invariant", invariant)


def check_search_parameter(w: Walker, sp: Json, loc: str) -> None:
    bases = [b for b in items(sp.get("base")) if isinstance(b, str)]
    expression = sp.get("expression")
    if bases:
        _report(w, f"{loc}.expression", "search expression", expression)
    if not bases or not isinstance(expression, str) or not all(_CHAIN.match(c) for c in expression.split("|")):
        return
    for chain in expression.split("|"):
        unknown = _unknown_name(w, bases, [n.strip() for n in chain.split(".")])
        if unknown is not None:
            w.sink.error("fhirpath-syntax", f"{loc}.expression", f"the search expression {expression!r} names "
                                                                 f"{unknown[0]!r}, which is not valid for any of "
                                                                 f"the possible types ({', '.join(unknown[1])})")
            return  # HL7's type check stops at the first unknown name


_CHAIN = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*(\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$")


def _unknown_name(w: Walker, bases: list[str], names: list[str]) -> tuple[str, list[str]] | None:
    """The first name no focus type has, with the focus types' names; None when all are known or undecidable."""
    roots = [structure_index(w.model.source, b) for b in bases]
    if any(r is None or r.root is None for r in roots):
        return None
    first = names[0]
    focus: list[Node] = [r.root for r in roots if r is not None and r.root is not None
                         and first[:1].isupper() and first in _type_and_ancestors(w, r.type)]
    for r in roots:
        focus += _child(r.root, first) if r is not None and r.root is not None else []
    if not focus:
        # a resource type that is no base: conformance_rules.check_search_parameter's error already (or, on a
        # generic base, left alone there); any other first name none of the bases has
        return None if w.model.is_resource_type(first) else (first, bases)
    for name in names[1:]:
        nodes: list[Node] = []
        for node in focus:
            holders = _holders(w, node)
            if holders is None:
                return None
            for holder in holders:
                nodes += _child(holder, name)
        if not nodes:
            return name, sorted({t.code for n in focus for t in n.types} or {n.path for n in focus})
        focus = nodes
    return None


def _type_and_ancestors(w: Walker, type_name: str) -> set[str]:
    found: set[str] = set()
    sd = w.model.source.structure(type_name)
    while isinstance(sd, dict) and sd.get("type") not in found and len(found) < 8:
        found.add(str(sd.get("type")))
        base = sd.get("baseDefinition")
        sd = w.model.source.structure(base) if isinstance(base, str) else None
    return found


def _holders(w: Walker, node: Node) -> list[Node] | None:
    """The nodes whose children a name after ``node`` is looked up in; None: a primitive or a type not loaded."""
    if node.children:
        return [node]
    ref = node.content_reference
    if ref is not None:
        index = structure_index(w.model.source, ref.partition("#")[0] or node.path.partition(".")[0])
        target = index.by_id.get(ref.partition("#")[2]) if index is not None else None
        return [target] if target is not None else None
    holders = []
    for t in node.types:
        # a Resource (Bundle.entry.resource) is every resource type to HL7 (getChildTypesByName): not judged
        abstract = t.code in ("Resource", "DomainResource")
        index = structure_index(w.model.source, t.code) if not t.primitive and not abstract else None
        if index is None or index.root is None:
            return None
        holders.append(index.root)
    return holders or None


def _child(holder: Node, name: str) -> list[Node]:
    hit = holder.children.get(name) or holder.children.get(name + CHOICE_SUFFIX) or \
        (holder.json_names.get(name) or (None, ""))[0]
    return [hit] if hit is not None else []
