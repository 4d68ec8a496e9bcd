"""A collection read as a boolean the way HL7's FHIRPathEngine reads it (``asBool``), and its singleton errors.

fhirpathpy required each operand of and / or / xor / implies to be a boolean and raised otherwise
("Expected boolean"), so ``gender.exists() and gender`` was never evaluated; it read a ``where()`` /
``exists()`` / ``all()`` / ``iif()`` criterion by the Python truth of its first item, and answered
``single()``, ``not()`` and ``iif()`` on several items without an error. HL7's engine
(org.hl7.fhir.r5 ``FHIRPathEngine.asBool(List<Base>, ExpressionNode)``), which the validator runs for every
FHIR version, reads a collection as: empty -> empty; one boolean -> its value; one item of another type ->
true; several items -> FHIRPATH_UNABLE_BOOLEAN thrown. ``funcSingle`` and ``funcIif`` throw
FHIRPATH_NO_COLLECTION for several items (not gated by version, unlike ``as``'s singleton rule). And it
evaluates the left operand first: ``preOperate`` answers ``false and x`` / ``true or x`` / ``false implies x``
without evaluating ``x``, so x's errors never happen there.

An error HL7's engine throws too is an :class:`EvaluationError`: ``InstanceValidator.checkInvariant`` catches
any exception of the evaluation and fails the invariant (``invOK = false``), so invariants.py reports it as
failed, where any other exception (a lack of fhirpathpy's) stays "not evaluated".

Only the validator's own evaluations (contexts marked ``PRIMITIVES_WHOLE``) are affected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fhirpathpy.engine import do_eval
from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import existence
from fhirpathpy.engine.nodes import FP_Type
from fhirpathpy.engine.util import get_data

from conformance.fhirval.fhirpath_primitives import PRIMITIVES_WHOLE


class EvaluationError(Exception):
    """An error HL7's FHIRPathEngine raises as well: the invariant fails there (checkInvariant, invOK = false)."""


def _shadow(data: Any) -> bool:
    """A primitive's ``_name`` object alone (extensions, no value)."""
    return isinstance(data, Mapping) and not isinstance(data, FP_Type) and set(data) <= {"extension", "id"}


def as_bool(items: list[Any], where: str) -> bool | None:
    """True, False or None (empty) for a collection, as ``FHIRPathEngine.asBool``; several items raise."""
    if not items:
        return None
    if len(items) > 1:
        raise EvaluationError(f"{where}: unable to evaluate {len(items)} items as a boolean (FHIRPATH_UNABLE_BOOLEAN)")
    first = items[0]
    if first is True or first is False:  # the commonest answer (native atoms, the memo): no unwrapping needed
        return first
    data = get_data(first)  # type: ignore[no-untyped-call]
    if isinstance(data, bool):
        return data
    if _shadow(data):  # no value: HL7 reads a valueless boolean as empty; kept empty for any type
        return None
    return True  # one item that is not a boolean (asBool: "items.size() == 1 -> Equality.True")


def _combine(op: str, left: bool | None, right: bool | None) -> bool | None:
    """opAnd / opOr / opXor / opImplies on three-valued operands."""
    if op == "and":
        return False if False in (left, right) else (None if None in (left, right) else True)
    if op == "or":
        return True if True in (left, right) else (None if None in (left, right) else False)
    if op == "xor":
        return None if None in (left, right) else left != right
    if left is False or right is True:  # implies
        return True
    return None if left is None or right is None else False


_FHIRPATHPY_OPS: dict[str, Callable[..., Any]] = {k: evaluators[k] for k in (
    "AndExpression", "OrExpression", "XorExpression", "ImpliesExpression")}


def _connective(kind: str) -> Callable[..., Any]:
    original = _FHIRPATHPY_OPS[kind]

    def evaluate(ctx: dict[str, Any], parent: Any, node: Any) -> Any:
        if not ctx.get(PRIMITIVES_WHOLE):
            return original(ctx, parent, node)
        op = str((node.get("terminalNodeText") or [""])[0])
        left_node, right_node = node["children"]
        left_items = do_eval(ctx, parent, left_node)  # type: ignore[no-untyped-call]
        # preOperate: a boolean false before and, true before or, and anything false before implies decide alone
        if op == "and" and _is_boolean(left_items, False):
            return [False]
        if op == "or" and _is_boolean(left_items, True):
            return [True]
        left = as_bool(left_items, op)
        if op == "implies" and left is False:
            return [True]
        right_items = do_eval(ctx, parent, right_node)  # type: ignore[no-untyped-call]
        if op == "implies" and not right_items:  # opImplies: an empty consequent is empty, unless false decided
            return []
        value = _combine(op, left, as_bool(right_items, op))
        return [] if value is None else [value]
    return evaluate


def _is_boolean(items: list[Any], value: bool) -> bool:
    return len(items) == 1 and get_data(items[0]) is value  # type: ignore[no-untyped-call]


for _kind in _FHIRPATHPY_OPS:
    evaluators[_kind] = _connective(_kind)


def not_(ctx: Any, data: list[Any]) -> Any:
    """funcNot: the negation of asBool; several items raise."""
    value = as_bool(data, "not()")
    return [] if value is None else (not value)


def single(ctx: Any, data: list[Any]) -> Any:
    """funcSingle: the one item, empty for none, FHIRPATH_NO_COLLECTION for several (fhirpathpy: an error object)."""
    if len(data) > 1:
        raise EvaluationError(f"single(): {len(data)} items (FHIRPATH_NO_COLLECTION)")
    return data


def where(ctx: dict[str, Any], data: Any, criterion: Callable[[Any], Any]) -> Any:
    """funcWhere: the items whose criterion is true (a criterion with several items raises)."""
    out = []
    for i, item in enumerate(data if isinstance(data, list) else []):
        ctx["$index"] = i
        if as_bool(criterion(item), "where()") is True:
            out.append(item)
    return out


def exists(ctx: dict[str, Any], data: Any, criterion: Callable[[Any], Any] | None = None) -> Any:
    """funcExists: with a criterion, whether any item meets it (each item's criterion is read, as HL7 does)."""
    if criterion is None:
        return existence.exists_macro(ctx, data)  # type: ignore[no-untyped-call]
    found = False
    for i, item in enumerate(data if isinstance(data, list) else []):
        ctx["$index"] = i
        found = as_bool(criterion(item), "exists()") is True or found
    return found


def all_(ctx: dict[str, Any], data: Any, criterion: Callable[[Any], Any]) -> Any:
    """funcAll: true unless an item's criterion is not true (stops there, as HL7 does)."""
    for i, item in enumerate(data if isinstance(data, list) else []):
        ctx["$index"] = i
        if as_bool(criterion(item), "all()") is not True:
            return [False]
    return [True]


def iif(ctx: Any, data: list[Any], criterion: Callable[[Any], Any], then: Callable[[Any], Any],
        otherwise: Callable[[Any], Any] | None = None) -> Any:
    """funcIif: several items in the focus raise (FHIRPATH_NO_COLLECTION); a criterion that is not true (false or
    empty) takes the otherwise branch."""
    if len(data) > 1:
        raise EvaluationError(f"iif(): {len(data)} items in the focus (FHIRPATH_NO_COLLECTION)")
    if as_bool(criterion(data), "iif()") is True:
        return then(data)
    return otherwise(data) if otherwise is not None else []


TABLE: dict[str, dict[str, Any]] = {
    "not": {"fn": not_},
    "single": {"fn": single},
    "where": {"fn": where, "arity": {1: ["Expr"]}},
    "exists": {"fn": exists, "arity": {0: [], 1: ["Expr"]}},
    "all": {"fn": all_, "arity": {1: ["Expr"]}},
    "iif": {"fn": iif, "arity": {2: ["Expr", "Expr"], 3: ["Expr", "Expr", "Expr"]}},
}
