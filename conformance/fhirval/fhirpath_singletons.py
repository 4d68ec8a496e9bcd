"""Where HL7's FHIRPath engine throws, or answers, on several items or on operands of the wrong type.

``InstanceValidator.checkInvariant`` fails an invariant whose evaluation throws (``invOK = false``, at the
invariant's own severity), and reports one whose expression does not parse as an error
(PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__PATH__). fhirpathpy raises plain exceptions in many of those places, and
in places where HL7's engine answers (empty, false, the first item), so such an invariant was "not evaluated"
(information) where HL7 judges it. Each rule here is org.hl7.fhir.r5 ``fhirpath/FHIRPathEngine.java``'s:

- arithmetic (``opPlus``, ``opMinus``, ``opTimes``, ``opDivideBy``, ``opDiv``, ``opMod``, ``opConcatenate``):
  several items on either side throw (FHIRPATH_LEFT_VALUE / FHIRPATH_RIGHT_VALUE); two primitives of types the
  operator does not combine throw (FHIRPATH_OP_INCOMPATIBLE; ``&`` FHIRPATH_LEFT/RIGHT_VALUE_WRONG_TYPE);
- comparison (``opLessThan`` ... ``opGreaterOrEqual``): two primitives of kinds that do not compare throw
  (FHIRPATH_CANT_COMPARE; ``opLessThan`` alone takes no unsignedInt / positiveInt); a primitive against a
  non-Quantity complex item is empty;
- string functions: ``upper()``, ``lower()``, ``toChars()``, ``trim()``, ``split()``, ``toQuantity()`` are empty on
  several items
  (and the first three on a non-string); ``endsWith()`` is false on several; ``indexOf()`` reads the first item;
  ``replace()``, ``toString()`` and ``toDateTime()`` on several throw (FHIRPATH_NO_COLLECTION);
- math functions (``abs`` ... ``truncate``, ``round``, ``lowBoundary``, ``highBoundary``, ``precision``): several
  items throw (FHIRPATH_FOCUS); one item that is not a number is empty (their ``makeException`` is built, not
  thrown);
- a function name HL7's parser does not know (``ExpressionNode.Function.fromCode``, the validator's host functions
  ``slice``, ``getResourceKey``, ``getReferenceKey``) is a parse error ("The name X is not a known function name").

Only items whose type is certain are judged (a FHIR primitive by its element type, a FHIRPath literal by its
Python type); anything else is left to the evaluation as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fhirpathpy.engine.nodes import FP_DateTime, FP_Quantity, FP_Time, ResourceNode
from fhirpathpy.engine.util import get_data

from conformance.fhirval.fhirpath_logic import EvaluationError

# FHIRPathEngine.FHIR_TYPES_STRING
STRINGS = frozenset({"string", "uri", "code", "oid", "id", "uuid", "sid", "markdown", "base64Binary", "canonical",
                     "url", "xhtml"})
_PRIMITIVES = STRINGS | {"boolean", "integer", "decimal", "positiveInt", "unsignedInt", "integer64", "date",
                         "dateTime", "instant", "time"}
_SYSTEM = {"System.String": "string", "System.Boolean": "boolean", "System.Integer": "integer",
           "System.Decimal": "decimal", "System.Date": "date", "System.DateTime": "dateTime", "System.Time": "time"}
NUMBERS = frozenset({"integer", "decimal", "unsignedInt", "positiveInt"})
_INT_DEC = frozenset({"integer", "decimal"})
_MOMENTS = frozenset({"date", "dateTime", "instant"})
_TEMPORAL_TEXT = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?(T[\d:.]*([Z+-][\d:]*)?)?|T?\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?")
COMPLEX = "complex"  # a complex item (a Quantity too): HL7's isPrimitive() is false

# HL7's ExpressionNode.Function.fromCode, and the validator's host functions (InstanceValidator.ValidatorHostServices
# .resolveFunction); the CLI and the test runner give InstanceValidator no external host services
KNOWN_FUNCTIONS = frozenset((
    "empty not exists subsetOf supersetOf isDistinct distinct count where select all repeat aggregate item as is "
    "single first last tail skip take union combine intersect exclude iif lower upper toChars indexOf substring "
    "startsWith endsWith matches matchesFull replaceMatches contains replace length children descendants memberOf "
    "trace defineVariable check today now resolve extension allFalse anyFalse allTrue anyTrue hasValue htmlChecks "
    "htmlchecks htmlChecks2 comparable encode decode escape unescape trim split join ofType type toInteger toDecimal "
    "toString toQuantity toBoolean toDateTime toTime convertsToInteger convertsToDecimal convertsToString "
    "convertsToQuantity convertsToBoolean convertsToDateTime convertsToDate convertsToTime conformsTo round sqrt abs "
    "ceiling exp floor ln log power truncate sort coalesce lowBoundary highBoundary precision hasTemplateIdOf debug "
    "section entry slice getResourceKey getReferenceKey").split())


def unknown_function(tree: Any) -> str | None:
    """The first function name in a parsed expression that HL7's parser rejects, or None."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "Functn":
            ident = (node.get("children") or [{}])[0]
            name = str(ident.get("text") or "").replace("`", "")
            if name not in KNOWN_FUNCTIONS:
                return name
        stack.extend(node.get("children") or ())
    return None


def kind(item: Any) -> str | None:
    """HL7's ``fhirType()`` of an item when it is certain: a primitive's type name (its value present), COMPLEX for
    a complex element or a Quantity literal, None when unknown or a primitive with no value."""
    if isinstance(item, ResourceNode):
        path = str(item.path)
        data = item.data
        name = _SYSTEM.get(path, path)
        if name in _PRIMITIVES:
            return name if data is not None and not isinstance(data, (dict, list)) else None
        return COMPLEX if isinstance(data, dict) and name[:1].isupper() else None
    if isinstance(item, bool):
        return "boolean"
    if isinstance(item, int):
        return "integer"
    if isinstance(item, (Decimal, float)):
        return "decimal"
    if isinstance(item, str):  # fhirpathpy's today() / now() / timeOfDay() are text too: those are not told apart
        return None if _TEMPORAL_TEXT.fullmatch(item) else "string"
    if isinstance(item, FP_Quantity):
        return COMPLEX
    if isinstance(item, FP_Time):
        return "time"
    if isinstance(item, FP_DateTime):
        return "dateTime" if "T" in str(getattr(item, "asStr", "")) else "date"
    return None


# ---- arithmetic -------------------------------------------------------------------------------------------

def _arithmetic_allowed(op: str, left: str, right: str) -> bool:
    """Whether two primitives of these types meet a branch of HL7's operator (else FHIRPATH_OP_INCOMPATIBLE)."""
    if op == "+" and left in STRINGS and right in STRINGS:
        return True
    if op == "/":
        return left in NUMBERS and right in NUMBERS
    return left in _INT_DEC and right in _INT_DEC


def check_arithmetic(op: str, left: list[Any], right: list[Any]) -> None:
    """Raise where HL7's operator throws on these operands (both non-empty)."""
    if len(left) > 1:
        raise EvaluationError(f"{op}: {len(left)} items on the left (FHIRPATH_LEFT_VALUE)")
    if len(right) > 1:
        raise EvaluationError(f"{op}: {len(right)} items on the right (FHIRPATH_RIGHT_VALUE)")
    lk, rk = kind(left[0]), kind(right[0])
    if lk in _PRIMITIVES and rk in _PRIMITIVES and not _arithmetic_allowed(op, lk, rk):
        raise EvaluationError(f"{op}: {lk} and {rk} do not combine (FHIRPATH_OP_INCOMPATIBLE)")


def check_concatenate(left: list[Any], right: list[Any]) -> None:
    """opConcatenate: at most one item a side, each of a FHIR string type."""
    for side, items in (("left", left), ("right", right)):
        if len(items) > 1:
            raise EvaluationError(f"&: {len(items)} items on the {side} (FHIRPATH_{side.upper()}_VALUE)")
        k = kind(items[0]) if items else None
        if k is not None and k not in STRINGS:
            raise EvaluationError(f"&: a {k} on the {side} (FHIRPATH_{side.upper()}_VALUE_WRONG_TYPE)")


def _operator(op: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The table entry of an arithmetic operator with HL7's checks before the evaluation it had."""
    from fhirpathpy.engine import param_check_table, util

    types = entry["arity"][2]
    inner = entry["fn"]

    def run(ctx: Any, left: list[Any], right: list[Any]) -> Any:
        if op == "&":
            check_concatenate(left, right)
        elif left and right:
            check_arithmetic(op, left, right)
        params: list[Any] = [ctx]
        for kind_name, value in zip(types, (left, right), strict=True):
            if kind_name == "Any" or not value:
                params.append(value if kind_name == "Any" else [])
            else:
                params.append(param_check_table[kind_name](value[0]))  # type: ignore[no-untyped-call]
        if "nullable" in entry and any(util.is_nullable(x) for x in params):  # type: ignore[no-untyped-call]
            return []
        return inner(*params)

    return {"fn": run, "arity": {2: ["Any", "Any"]}}


# ---- comparison -------------------------------------------------------------------------------------------

def _comparable(op: str, left: str, right: str) -> bool:
    if left in STRINGS and right in STRINGS:
        return True
    numbers = _INT_DEC if op == "<" else NUMBERS  # opLessThan alone names integer and decimal only
    if left in numbers and right in numbers:
        return True
    return (left in _MOMENTS and right in _MOMENTS) or (left == "time" and right == "time")


def compare_check(op: str, left: Any, right: Any, quantity: Callable[[Any], bool]) -> bool:
    """For one item a side: raise where opLessThan / opGreater / opLessOrEqual / opGreaterOrEqual throw
    (FHIRPATH_CANT_COMPARE); True where they are empty (a primitive against a complex item that is not a Quantity
    pair); False to compare as before."""
    lk, rk = kind(left), kind(right)
    if lk in _PRIMITIVES and rk in _PRIMITIVES:
        if not _comparable(op, lk, rk):
            raise EvaluationError(f"{op}: a {lk} and a {rk} cannot be compared (FHIRPATH_CANT_COMPARE)")
        return False
    if lk is None or rk is None:
        return False
    return not (quantity(left) and quantity(right))


# ---- functions --------------------------------------------------------------------------------------------

def _items(inputs: list[Any]) -> list[Any]:
    """The items, a primitive's ``_name`` object alone (extensions, no value) left out, as the string functions
    of fhirpath_semantics count them."""
    return [i for i in inputs if not (isinstance(get_data(i), dict)  # type: ignore[no-untyped-call]
                                      and set(get_data(i)) <= {"extension", "id"})]  # type: ignore[no-untyped-call]


def _not_string(item: Any) -> bool:
    k = kind(item)
    return k is not None and k not in STRINGS


def _wrap(name: str, entry: dict[str, Any], check: Callable[[list[Any]], list[Any] | None]) -> dict[str, Any]:
    """The entry with ``check`` first: it raises, answers (a list), or lets the entry's function run (None)."""
    inner = entry["fn"]

    def run(ctx: Any, inputs: list[Any], *params: Any) -> Any:
        answer = check(inputs)
        return answer if answer is not None else inner(ctx, inputs, *params)

    run.__name__ = f"hl7_{name}"
    return {**entry, "fn": run}


def _one_string(inputs: list[Any]) -> list[Any] | None:
    """funcUpper / funcLower / funcToChars: one item of a FHIR string type, else empty."""
    items = _items(inputs)
    return [] if len(items) != 1 or _not_string(items[0]) else None


def _one_item(inputs: list[Any]) -> list[Any] | None:
    """funcTrim / funcSplit / funcToQuantity: one item, else empty."""
    return [] if len(_items(inputs)) != 1 else None


def _several_throw(function: str, message: str) -> Callable[[list[Any]], list[Any] | None]:
    def check(inputs: list[Any]) -> list[Any] | None:
        n = len(_items(inputs))
        if n > 1:
            raise EvaluationError(f"{function}(): {n} items ({message})")
        return None
    return check


def _number_function(function: str, takes: frozenset[str] | None = NUMBERS) -> Callable[[list[Any]], list[Any] | None]:
    """funcAbs ... funcTruncate, funcRound, funcLowBoundary / funcHighBoundary / funcPrecision: several items throw
    (FHIRPATH_FOCUS); one item of a type the function does not take (``takes``; None: not judged here) is empty."""
    def check(inputs: list[Any]) -> list[Any] | None:
        items = _items(inputs)
        if len(items) > 1:
            raise EvaluationError(f"{function}(): {len(items)} items (FHIRPATH_FOCUS)")
        if items and takes is not None:
            k = kind(items[0])
            if k is not None and k not in takes:
                return []
        return None
    return check


def install(table: dict[str, dict[str, Any]]) -> None:
    """Put HL7's checks in front of the entries of the validator's function table (fhirpath.py's ``_TABLE``)."""
    from fhirpathpy.engine.invocations import invocation_registry

    def entry(name: str) -> dict[str, Any]:
        found: Any = table.get(name) or invocation_registry[name]
        return dict(found)

    for op in ("+", "-", "*", "/", "div", "mod", "&"):
        table[op] = _operator(op, entry(op))
    for name in ("upper", "lower", "toChars"):
        table[name] = _wrap(name, entry(name), _one_string)
    for name in ("trim", "split", "toQuantity"):
        table[name] = _wrap(name, entry(name), _one_item)
    table["replace"] = _wrap("replace", entry("replace"), _several_throw("replace", "FHIRPATH_NO_COLLECTION"))
    table["toString"] = _wrap("toString", entry("toString"), _several_throw("toString", "FHIRPATH_NO_COLLECTION"))
    table["toDateTime"] = _wrap("toDateTime", entry("toDateTime"),
                                _several_throw("toDateTime", "FHIRPATH_NO_COLLECTION"))
    for name in ("ceiling", "exp", "floor", "ln", "log", "power", "sqrt", "truncate", "round"):
        table[name] = _wrap(name, entry(name), _number_function(name))
    table["abs"] = _wrap("abs", entry("abs"), _number_function("abs", NUMBERS | {COMPLEX}))  # a Quantity too
    for name in ("lowBoundary", "highBoundary", "precision"):  # decimals, dates, times, quantities
        table[name] = _wrap(name, entry(name), _number_function(name, None))
    table["endsWith"] = _ends_with(entry("endsWith"))
    table["indexOf"] = _index_of(entry("indexOf"))


def _ends_with(entry: dict[str, Any]) -> dict[str, Any]:
    """funcEndsWith: an empty suffix true; a first item of a FHIR string type: several items false."""
    inner = entry["fn"]

    def run(ctx: Any, inputs: list[Any], suffix: Any) -> Any:
        items = _items(inputs)
        if not items or not isinstance(suffix, str):
            return inner(ctx, inputs, suffix)
        if suffix == "":
            return [True]
        if _not_string(items[0]):
            return []
        return [False] if len(items) > 1 else inner(ctx, items, suffix)

    return {**entry, "fn": run}


def _index_of(entry: dict[str, Any]) -> dict[str, Any]:
    """funcIndexOf: the first item's index (``focus.get(0)``); a first item not of a FHIR string type, nothing."""
    inner = entry["fn"]

    def run(ctx: Any, inputs: list[Any], substring: Any) -> Any:
        items = _items(inputs)
        if items and _not_string(items[0]) and substring not in ("", []):
            return []
        return inner(ctx, items[:1] if items else inputs, substring)

    return {**entry, "fn": run}
