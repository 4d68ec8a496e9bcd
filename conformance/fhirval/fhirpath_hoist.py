"""A path from an environment variable evaluated once per evaluation, not once per item of an iteration.

StructureDefinition's base invariants compare every element with the first one through ``%resource``:
``element.tail().all(path.startsWith(%resource.snapshot.element.first().path & '.'))`` (sdf-8, sdf-8a: each
element's argument walks the whole snapshot again, quadratic in its size). fhirpathpy evaluates the argument for
each element; its value cannot differ between them. Such a path (``%name`` then member names and argument-less
or literal-argument calls of the functions in ``_PURE``) reads nothing but the variable, which is fixed for the
evaluation (fhirpath.engine makes a new ``Environment`` each time), so its value is kept for the evaluation
(``HOISTED``, a dict the engine puts in the context) and each later use gets a copy of the same list.

Exactly the same value: the path's first term ignores its input, each later step reads only the one before it;
the functions in ``_PURE`` read only their input and literal arguments (none iterates, so none sets ``$index`` or
``$total``, and a literal argument reads no ``$this``: fhirpath_scope puts ``$this`` back after it); an error is
not kept, so it is raised again at each use, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhirpathpy.engine.evaluators import evaluators

HOISTED = "conformanceHoisted"  # in a fhirpathpy context: {id(node): value} of the paths kept this evaluation
_FHIRPATHPY_INVOCATION: Callable[..., Any] = evaluators["InvocationExpression"]
_PURE = frozenset({
    "first", "last", "tail", "skip", "take", "count", "empty", "exists", "not", "distinct", "isDistinct",
    "hasValue", "toString", "length", "upper", "lower", "startsWith", "endsWith", "contains", "matches",
    "replaceMatches", "replace", "substring", "indexOf", "toInteger", "children", "descendants",
})
_ITERATING = frozenset({"exists"})  # its argument is evaluated per item ($this, $index): kept only without one
_LITERALS = frozenset({"StringLiteral", "NumberLiteral", "BooleanLiteral"})
_CLOSED: dict[int, tuple[Any, bool]] = {}  # id(node) -> (the node, kept alive so its id stays its own; closed?)
_CLOSED_LIMIT = 50_000


def closed(node: Any) -> bool:
    """Whether a parsed subexpression is ``%name`` followed by steps that read only the step before."""
    kind = node.get("type")
    children = node.get("children") or []
    if kind == "TermExpression":
        return len(children) == 1 and children[0].get("type") == "ExternalConstantTerm"
    if kind != "InvocationExpression" or len(children) != 2 or not closed(children[0]):
        return False
    step = children[1]
    if step.get("type") == "MemberInvocation":
        return True
    if step.get("type") != "FunctionInvocation" or len(step.get("children") or ()) != 1:
        return False
    functn = step["children"][0]
    parts = functn.get("children") or []
    if functn.get("type") != "Functn" or not parts or len(parts) > 2 or parts[0].get("type") != "Identifier":
        return False
    if parts[0].get("text") not in _PURE:
        return False
    params = (parts[1].get("children") or []) if len(parts) == 2 else []
    if params and parts[0].get("text") in _ITERATING:
        return False
    return (len(parts) == 1 or parts[1].get("type") == "ParamList") and all(_literal(p) for p in params)


def _literal(node: Any) -> bool:
    term = (node.get("children") or [{}])[0] if node.get("type") == "TermExpression" else {}
    inner = (term.get("children") or [{}])[0] if term.get("type") == "LiteralTerm" else {}
    return inner.get("type") in _LITERALS


def _is_closed(node: Any) -> bool:
    known = _CLOSED.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    answer = closed(node)
    if len(_CLOSED) >= _CLOSED_LIMIT:
        _CLOSED.clear()
    _CLOSED[id(node)] = (node, answer)
    return answer


def invocation_expression(ctx: Any, parent_data: Any, node: Any) -> Any:
    """fhirpathpy's InvocationExpression; a closed path's value kept for the evaluation (contexts with HOISTED)."""
    kept = ctx.get(HOISTED) if isinstance(ctx, dict) else None
    if kept is None or not _is_closed(node):
        return _FHIRPATHPY_INVOCATION(ctx, parent_data, node)
    value = kept.get(id(node))
    if value is None:
        value = kept[id(node)] = _FHIRPATHPY_INVOCATION(ctx, parent_data, node)
    return list(value)


evaluators["InvocationExpression"] = invocation_expression
