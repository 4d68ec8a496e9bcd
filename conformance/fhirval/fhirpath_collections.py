"""FHIRPath ``|`` / ``union()`` and ``distinct()`` keeping the items they return, as HL7's engine does.

fhirpathpy 2.2.4 builds both on ``distinct_fn``, which, for a collection of resource nodes, rebuilds every node
from its JSON alone (``ResourceNode.create_node(item)``): the node's type (its path in the model) and a
primitive's ``_name`` object are lost. Whatever follows then reads an untyped object, where a choice element is
never found (``answer.value`` is ``valueString``... only for a node typed QuestionnaireResponse.item.answer) and
``is`` / ``ofType`` see no type. R4's qrs-2 (``repeat(answer|item).select(item.where(answer.value.exists())
.linkId.isDistinct()).allTrue()``) and SDC's sdcqr-2 were thereby true on every QuestionnaireResponse.

HL7's engine (org.hl7.fhir.r5 fhirpath/FHIRPathEngine) returns the items themselves: ``opUnion`` (for ``|`` and
``union()``) keeps the first of each group of equal items, in order (``doContains``); ``funcDistinct`` keeps an
item only when no later item equals it. Items are told equal here as fhirpathpy told them before (its JSON
text, ``util.uniq``); only which node is returned changes. A collection that is not all resource nodes (a
literal among them) is left to fhirpathpy, as before.

The membership operators, as ``opIn`` / ``opContains``: ``x in y`` with several items on the left throws in HL7's
engine (FHIRPATH_LEFT_VALUE), so the invariant fails there (checkInvariant's catch), where fhirpathpy's plain
exception left it "not evaluated"; ``x contains y`` with several items on the right is true when each is in ``x``
(fhirpathpy raised). Items are equal as ``doEquals`` tells them (fhirpath_equality.item_equal: a date that agrees
only as far as both are precise is no match).
"""

from __future__ import annotations

import json
from typing import Any

from fhirpathpy.engine.invocations import existence
from fhirpathpy.engine.nodes import ResourceNode

from conformance.fhirval.fhirpath_equality import item_equal
from conformance.fhirval.fhirpath_logic import EvaluationError


def _key(node: ResourceNode) -> str:
    """The identity fhirpathpy's ``util.uniq`` gives an item's data (its JSON, keys sorted; else its text)."""
    try:
        return json.dumps(node.data, sort_keys=True)
    except TypeError:
        return str(node.data)


def _first_of_each(items: list[Any]) -> list[Any]:
    """The first item of each group of equal items, in order (FHIRPathEngine.opUnion)."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = _key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def union(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    """``left | right``, ``left.union(right)``: the items of both, each once, the first kept (opUnion)."""
    items = list(left) + list(right)
    if not all(isinstance(item, ResourceNode) for item in items):
        return list(existence.distinct_fn(ctx, items))  # type: ignore[no-untyped-call]
    return _first_of_each(items)


def distinct(ctx: Any, items: list[Any]) -> list[Any]:
    """``distinct()``: each item that no later item equals (FHIRPathEngine.funcDistinct keeps the last of each)."""
    if len(items) <= 1:
        return list(items)
    if not all(isinstance(item, ResourceNode) for item in items):
        return list(existence.distinct_fn(ctx, items))  # type: ignore[no-untyped-call]
    keys = [_key(item) for item in items]
    last = {key: i for i, key in enumerate(keys)}
    return [item for i, item in enumerate(items) if last[keys[i]] == i]


_TEMPORAL = frozenset({"date", "dateTime", "instant", "time"})


def _text(item: Any) -> str | None:
    """An item's value when it is plain text (a string, code, uri... or a string literal), else None."""
    if isinstance(item, str):
        return item
    if isinstance(item, ResourceNode) and isinstance(item.data, str) and item.path not in _TEMPORAL:
        return item.data
    return None


def _member(ctx: Any, item: Any, collection: list[Any]) -> bool:
    """Whether an item equals one of the collection's (doContains); two texts compare as text (doEquals:
    ``Base.equals`` of the primitive values), at a fraction of item_equal's cost (``status in ('a' | 'b')``)."""
    text = _text(item)
    for other in collection:
        other_text = _text(other) if text is not None else None
        if other_text is not None:
            if other_text == text:
                return True
        elif item_equal(ctx, item, other) is True:
            return True
    return False


def member_in(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    """``left in right`` (FHIRPathEngine.opIn): empty on no item, false against none, an error on several."""
    if not left:
        return []
    if not right:
        return [False]
    if len(left) > 1:
        raise EvaluationError(f"in: {len(left)} items on the left (FHIRPATH_LEFT_VALUE)")
    return [_member(ctx, left[0], right)]


def member_contains(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    """``left contains right`` (FHIRPathEngine.opContains): empty on no item to look for, else whether every one is
    in ``left`` (false when ``left`` is empty)."""
    if not right:
        return []
    return [bool(left) and all(_member(ctx, item, left) for item in right)]


TABLE: dict[str, dict[str, Any]] = {
    "inOp": {"fn": member_in, "arity": {2: ["Any", "Any"]}},
    "containsOp": {"fn": member_contains, "arity": {2: ["Any", "Any"]}},
    "|": {"fn": union, "arity": {2: ["Any", "Any"]}},
    "union": {"fn": union, "arity": {1: ["AnyAtRoot"]}},
    "distinct": {"fn": distinct},
}
