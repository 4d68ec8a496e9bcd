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
  (FHIRPATH_CANT_COMPARE; ``opLessThan`` alone takes no unsignedInt / positiveInt), and so does a primitive with no
  value (extensions only: its null ``primitiveValue()``); a primitive against a non-Quantity complex item is empty;
- string functions: ``upper()``, ``lower()``, ``toChars()``, ``trim()``, ``split()``, ``toQuantity()`` are empty on
  several items
  (and the first three on a non-string); ``endsWith()`` is false on several; ``indexOf()`` reads the first item;
  ``replace()``, ``toString()`` and ``toDateTime()`` on several throw (FHIRPATH_NO_COLLECTION); ``conformsTo()`` on
  other than one item is false (one item needs a validation: not done, so "not evaluated" as before);
- ``allTrue()``, ``anyTrue()``, ``allFalse()``, ``anyFalse()`` throw on an item that is not a boolean; ``toTime()``
  always throws (FHIRPATH_NOT_IMPLEMENTED);
- math functions (``abs`` ... ``truncate``, ``round``, ``lowBoundary``, ``highBoundary``, ``precision``): several
  items throw (FHIRPATH_FOCUS); one item that is not a number is empty (their ``makeException`` is built, not
  thrown);
- a function name HL7's parser does not know (``ExpressionNode.Function.fromCode``, the validator's host functions
  ``slice``, ``getResourceKey``, ``getReferenceKey``), or a known one given a number of parameters
  ``checkParameters`` does not allow, is a parse error.

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

# HL7's ExpressionNode.Function.fromCode and the parameter counts FHIRPathEngine.checkParameters allows each (None: no
# upper bound), and the validator's host functions (InstanceValidator.ValidatorHostServices.resolveFunction; the CLI
# and the test runner give InstanceValidator no external host services)
ARITIES: dict[str, tuple[int, int | None]] = {
    "abs": (0, 0), "aggregate": (1, 2), "all": (0, 1), "allFalse": (0, 0), "allTrue": (0, 0), "anyFalse": (0, 0),
    "anyTrue": (0, 0), "as": (1, 1), "ceiling": (0, 0), "check": (2, 2), "children": (0, 0), "coalesce": (1, None),
    "combine": (1, 1), "comparable": (1, 1), "conformsTo": (1, 1), "contains": (1, 1), "convertsToBoolean": (0, 0),
    "convertsToDate": (0, 0), "convertsToDateTime": (0, 0), "convertsToDecimal": (0, 0), "convertsToInteger": (0, 0),
    "convertsToQuantity": (0, 0), "convertsToString": (0, 0), "convertsToTime": (0, 0), "count": (0, 0),
    "debug": (0, 1), "decode": (1, 1), "defineVariable": (1, 2), "descendants": (0, 0), "distinct": (0, 0),
    "empty": (0, 0), "encode": (1, 1), "endsWith": (1, 1), "entry": (1, 1), "escape": (1, 1), "exclude": (1, 1),
    "exists": (0, 1), "exp": (0, 0), "extension": (1, 1), "first": (0, 0), "floor": (0, 0),
    "hasTemplateIdOf": (1, 1), "hasValue": (0, 0), "highBoundary": (0, 1), "htmlChecks": (0, 0),
    "htmlChecks2": (0, 0), "htmlchecks": (0, 0), "iif": (2, 3), "indexOf": (1, 1), "intersect": (1, 1),
    "is": (1, 1), "isDistinct": (0, 0), "item": (1, 1), "join": (0, 1), "last": (0, 0), "length": (0, 0),
    "ln": (0, 0), "log": (1, 1), "lowBoundary": (0, 1), "lower": (0, 0), "matches": (1, 1), "matchesFull": (1, 1),
    "memberOf": (1, 1), "not": (0, 0), "now": (0, 0), "ofType": (1, 1), "power": (1, 1), "precision": (0, 0),
    "repeat": (1, 1), "replace": (2, 2), "replaceMatches": (2, 2), "resolve": (0, 0), "round": (0, 1),
    "section": (1, 1), "select": (1, 1), "single": (0, 0), "skip": (1, 1), "sort": (0, 10), "split": (1, 1),
    "sqrt": (0, 0), "startsWith": (1, 1), "subsetOf": (1, 1), "substring": (1, 2), "supersetOf": (1, 1),
    "tail": (0, 0), "take": (1, 1), "toBoolean": (0, 0), "toChars": (0, 0), "toDateTime": (0, 0),
    "toDecimal": (0, 0), "toInteger": (0, 0), "toQuantity": (0, 0), "toString": (0, 0), "toTime": (0, 0),
    "today": (0, 0), "trace": (1, 2), "trim": (0, 0), "truncate": (0, 0), "type": (0, 0), "unescape": (1, 1),
    "union": (1, 1), "upper": (0, 0), "where": (1, 1),
    "slice": (2, 2), "getResourceKey": (0, 0), "getReferenceKey": (0, 1),
}


def parse_problem(tree: Any) -> str | None:
    """What HL7's parser rejects in a parsed expression (FHIRPathEngine.parse: "The name X is not a known function
    name"; checkParamCount: "The function X requires N parameters"), or None."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        children = node.get("children") or []
        if node.get("type") == "Functn" and children:
            name = str(children[0].get("text") or "").replace("`", "")
            arity = ARITIES.get(name)
            if arity is None:
                return f"the name {name} is not a known function name"
            given = len(children[1].get("children") or []) if len(children) > 1 else 0
            low, high = arity
            if given < low or (high is not None and given > high):
                wanted = str(low) if low == high else f"between {low} and {high}"
                return f"the function {name} requires {wanted} parameters"
        stack.extend(children)
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
    if (_valueless(left) and (rk in _PRIMITIVES or _valueless(right))) or (_valueless(right) and lk in _PRIMITIVES):
        # each branch reads primitiveValue(), null here: String.compareTo, Double.valueOf and a date built from it
        # throw (a NullPointerException, which checkInvariant catches as any other)
        raise EvaluationError(f"{op}: a primitive without a value (extensions only) cannot be compared")
    if lk in _PRIMITIVES and rk in _PRIMITIVES:
        if not _comparable(op, lk, rk):
            raise EvaluationError(f"{op}: a {lk} and a {rk} cannot be compared (FHIRPATH_CANT_COMPARE)")
        return False
    if lk is None or rk is None:
        return False
    return not (quantity(left) and quantity(right))


def _valueless(item: Any) -> bool:
    """A FHIR primitive with extensions and no value (fhirpathpy's item is its ``_name`` object)."""
    return (isinstance(item, ResourceNode) and _SYSTEM.get(str(item.path), str(item.path)) in _PRIMITIVES
            and isinstance(item.data, dict))


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
    table["conformsTo"] = {"fn": _conforms_to, "arity": {1: ["String"]}}
    for name in ("allTrue", "anyTrue", "allFalse", "anyFalse"):
        table[name] = _wrap(name, entry(name), _booleans_only(name))
    table["toTime"] = {"fn": _to_time}
    table["indexOf"] = _index_of(entry("indexOf"))


def _booleans_only(function: str) -> Callable[[list[Any]], list[Any] | None]:
    """funcAllTrue / funcAnyTrue / funcAllFalse / funcAnyFalse: an item that is not a boolean (canConvertToBoolean:
    ``isBooleanPrimitive()``) throws "Unable to convert '...' to a boolean"."""
    def check(inputs: list[Any]) -> list[Any] | None:
        for item in _items(inputs):
            k = kind(item)
            if k is not None and k != "boolean":
                raise EvaluationError(f"{function}(): unable to convert a {k} to a boolean")
        return None
    return check


def _to_time(ctx: Any, inputs: list[Any]) -> list[Any]:
    """funcToTime always throws FHIRPATH_NOT_IMPLEMENTED in HL7's engine (fhirpathpy converts)."""
    raise EvaluationError("toTime(): not implemented in HL7's engine (FHIRPATH_NOT_IMPLEMENTED)")


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


def _conforms_to(ctx: Any, inputs: list[Any], url: Any) -> list[Any]:
    """funcConformsTo: not one item is false; one item is a validation against the profile (hostServices
    .conformsToProfile), which is not done inside an expression here: the invariant stays "not evaluated"."""
    if len(_items(inputs)) != 1:
        return [False]
    raise NotImplementedError("conformsTo: a validation inside the expression is not done here")
