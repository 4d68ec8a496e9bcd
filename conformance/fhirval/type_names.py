"""Typing dotted FHIRPath names on a structure's element tree, as HL7's FHIRPathEngine.checkOnTypes does.

Shared by the search-expression check (definition_expressions), the typing of a profile's own invariants
(constraint_types) and fhirpath extension contexts (extensions): a name is looked up among the children of
the focus nodes, through content references and into the types' own structures; a primitive, an abstract
Resource or a type that is not loaded ends the judgement (None), so nothing is said where typing cannot go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.index import CHOICE_SUFFIX, Node, structure_index

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker


def unknown_name(w: Walker, bases: list[str], names: list[str]) -> tuple[str, list[str]] | None:
    """The first name no focus type has, with the focus types' names; None when all are known or undecidable."""
    roots = [structure_index(w.model.source, b) for b in bases]
    if any(r is None or r.root is None for r in roots):
        return None
    first = names[0]
    focus: list[Node] = [r.root for r in roots if r is not None and r.root is not None
                         and first[:1].isupper() and first in type_and_ancestors(w, r.type)]
    for r in roots:
        focus += child(r.root, first) if r is not None and r.root is not None else []
    if not focus:
        # a resource type that is no base: conformance_rules.check_search_parameter's error already (or, on a
        # generic base, left alone there); any other first name none of the bases has
        return None if w.model.is_resource_type(first) else (first, bases)
    for name in names[1:]:
        nodes = step(w, focus, name)
        if nodes is None:
            return None
        if not nodes:
            return name, focus_types(focus)
        focus = nodes
    return None


def step(w: Walker, focus: list[Node], name: str) -> list[Node] | None:
    """The nodes ``name`` reaches from the focus nodes (empty: none of their types has it); None when one of them
    is a primitive, ``Resource`` or a type not loaded (HL7 knows more than we do there: nothing is judged)."""
    found: list[Node] = []
    for node in focus:
        owners = holders(w, node)
        if owners is None:
            return None
        for holder in owners:
            found += child(holder, name)
    return found


def focus_types(focus: list[Node]) -> list[str]:
    """The focus's types' names, as HL7's FHIRPATH_UNKNOWN_NAME lists them (an element's path when untyped)."""
    return sorted({t.code for n in focus for t in n.types} or {n.path for n in focus})


def type_and_ancestors(w: Walker, type_name: str) -> set[str]:
    found: set[str] = set()
    sd = w.model.source.structure(type_name)
    while isinstance(sd, dict) and sd.get("type") not in found and len(found) < 8:
        found.add(str(sd.get("type")))
        base = sd.get("baseDefinition")
        sd = w.model.source.structure(base) if isinstance(base, str) else None
    return found


def holders(w: Walker, node: Node) -> list[Node] | None:
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


def child(holder: Node, name: str) -> list[Node]:
    hit = holder.children.get(name) or holder.children.get(name + CHOICE_SUFFIX) or \
        (holder.json_names.get(name) or (None, ""))[0]
    return [hit] if hit is not None else []
