"""The rules an element definition states of a value, beyond its datatype: fixed and pattern values, min/max
value, narrative controls and links, the binding, codes, references, extensions' ext-1, attachments,
identifiers, internal ``#id`` URLs and the element's own FHIRPath constraints.

Kept apart from elements_values.ValueWalker, which decides what to walk, so that the one function
judging a value against its definition reads in one place (and the walker stays under 500 lines).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval import constraint_types, extensions, internal_urls, references, text_links
from conformance.fhirval.additional_bindings import check_additional
from conformance.fhirval.attachments import check_attachment
from conformance.fhirval.bindings import (
    BOUND_TYPES,
    QUANTITY_TYPES,
    check_binding,
    check_coding,
    check_concept,
    check_quantity,
)
from conformance.fhirval.bounds import check_bounds
from conformance.fhirval.identifiers import check_identifier
from conformance.fhirval.index import CHOICE_SUFFIX, Node, TypeRef
from conformance.fhirval.invariants import constraints_of
from conformance.fhirval.narrative import check_language_control, check_source_control, language_controls
from conformance.fhirval.primitives import PRIMITIVES
from conformance.fhirval.values import differences

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

# (a CodeableConcept: one without a binding may still go to a terminology service, check_concept)
_JUDGED_TYPES = frozenset({"Coding", "Reference", "Extension", "canonical", "uri", "url", "Attachment", "Identifier",
                           "Narrative", "CodeableConcept", *QUANTITY_TYPES})


def judged(node: Node, tcode: str) -> bool:
    """Whether judge() has anything to check for a value of this element and type."""
    return bool(node.has_rules or node.binding is not None or tcode in _JUDGED_TYPES or constraints_of(node))


def local_only(node: Node) -> bool:
    """Whether judge_value() has nothing to check for a uri or url value of this element but the internal ``#id``
    rule (internal_urls): no fixed/pattern/bounds, no binding, no FHIRPath constraint of its own."""
    return not node.has_rules and node.binding is None and not constraints_of(node)


def judge(w: Walker, item: Any, node: Node, tcode: str, tref: TypeRef | None, loc: str) -> None:
    """Rules of the element definition itself: fixed, pattern, min/max value, binding, references, codes."""
    if judged(node, tcode):
        judge_value(w, item, node, tcode, tref, loc)


PRIMITIVE_BOUND = frozenset({"code", "string", "uri"})  # the primitives of BOUND_TYPES


def judge_value(w: Walker, item: Any, node: Node, tcode: str, tref: TypeRef | None, loc: str) -> None:
    """judge() where judged(node, tcode) is known to be true (the walker's plan for the element asked it once)."""
    ed = node.ed
    if node.has_rules:
        fixed = node.fixed()
        if fixed is not None:
            for where, why in differences(fixed[1], item, pattern=False):
                w.sink.error("fixed-value", loc + where, why)
        pattern = node.pattern()
        if pattern is not None:
            for where, why in differences(pattern[1], item, pattern=True):
                w.sink.error("pattern-value", loc + where, why)
        check_bounds(item, tcode, ed, loc, w.sink)
        if tcode == "Narrative":
            controls = language_controls(ed)
            if controls:
                check_language_control(controls, item, w.frames[-1].resource, loc, w.sink)
            check_source_control(ed, item, loc, w.sink)
    if tcode == "Narrative" and isinstance(item, dict) and w.frames and (
            "extension" in item or "<img" in str(item.get("div", ""))):
        # a contained resource's #id is searched in its container (InstanceValidator ~7293-7298: the resource
        # changes only at Bundle entries and Parameters; BaseValidator.getFragmentMatches)
        at = next((i for i in range(len(w.frames) - 1, 0, -1) if not w.frames[i].contained), 0)
        if "extension" in item:
            enclosing = w.frames[at - 1] if at > 0 and w.frames[at - 1].type == "Bundle" else None
            text_links.check(item, w.frames[at].resource, enclosing.resource if enclosing else None, loc,
                             w.sink, typed=lambda selector, kind: _selector_unknown(w, selector, kind))
        text_links.check_images(item, w.frames[at].resource, loc, w.sink)
    binding = node.binding
    # an implied vital-signs profile's bindings on primitives too (Walker.walk_implied): InstanceValidator
    # .checkPrimitive -> checkPrimitiveBinding (TERMINOLOGY_TX_NOVALID_*) runs in every profile walk
    if binding is not None and tcode in BOUND_TYPES and (not w.unbound or tcode in PRIMITIVE_BOUND):
        check_binding(w.model.term, binding, tcode, item, loc, w.sink, tx=w.tx,
                      language=w.language() if w.tx is not None else None)
        if "extension" in binding and tcode not in PRIMITIVE_BOUND:
            # R5's additional bindings, carried by an extension in R4; HL7's checkPrimitiveBinding reads none
            check_additional(w.model.term, binding, tcode, item, loc, w.sink, tx=w.tx,
                             language=w.language() if w.tx is not None else None)
    if tcode == "Coding" and isinstance(item, dict):
        in_concept = node.name == "coding"
        check_coding(w.model.term, item, loc, w.sink, binding=binding, in_codeable_concept=in_concept,
                     display_binding=binding if binding is not None or not in_concept else w.concept_binding,
                     language=w.language() if "display" in item or w.tx is not None else None,
                     tx=w.tx)
    elif tcode == "CodeableConcept" and w.tx is not None and isinstance(item, dict) and not w.unbound:
        check_concept(w.model.term, item, loc, w.sink, binding=binding, tx=w.tx, language=w.language())
    elif tcode in QUANTITY_TYPES and isinstance(item, dict):
        check_quantity(w.model.term, item, loc, w.sink, binding=binding, type_code=tcode, tx=w.tx,
                       language=w.language() if w.tx is not None else None)
    elif tcode == "Reference" and isinstance(item, dict):
        references.check(w, item, node, tref, loc)
    elif tcode == "Extension" and isinstance(item, dict):
        extensions.ext1(w, item, loc)
    elif tcode == "Attachment":
        check_attachment(item, loc, w.sink)
    elif tcode == "Identifier":
        check_identifier(item, loc, w.sink)
    elif tcode in ("canonical", "uri", "url") and isinstance(item, str) and item.startswith("#"):
        w.frames[-1].local_refs.add(item)
        internal_urls.check(w.frames, node.path, tcode, item, loc, w.sink, w.options.for_publication)
    if node.checks if node.checks is not None else constraints_of(node):  # most elements have none
        w.constraints(node, item, _typed_path(node, tcode), loc)


def _selector_unknown(w: Walker, selector: str, kind: str) -> str | None:
    """FHIRPathEngine.check of a textLink selector on the type of its data (InstanceValidator.checkNarrative):
    FHIRPATH_UNKNOWN_NAME, as far as constraint_types types it; None when nothing is found or the type is not
    loaded."""
    index = w.model.index(kind)
    if index is None or index.root is None:
        return None
    found = constraint_types.unknown_name(w, constraint_types.parsed(selector), index.root)
    if found is None:
        return None
    return f"the name {found.name!r} is not valid for any of the possible types ({', '.join(found.types)})"


def _typed_path(node: Node, tcode: str) -> str:
    """The path fhirpathpy types an element by: a primitive's or a choice's type name (``dateTime``), since
    it types a primitive at a dotted path as a BackboneElement (``$this as dateTime`` was empty: vs-1
    failed on every vital sign); the element path otherwise, which its model resolves."""
    if tcode in PRIMITIVES or (tcode and node.path.endswith(CHOICE_SUFFIX) and tcode[:1].isupper()):
        return tcode
    return node.path
