"""FHIRPath functions fhirpathpy 2.2.4 lacks or answers otherwise than HL7's engine, ported from it.

Found by the official FHIRPath R4 suite (bench/fhirpath_suite.py); each follows org.hl7.fhir.r5
fhirpath/FHIRPathEngine.java, whose answers the reference validator's invariants get:

- ``sort()`` ("Not implemented"): FHIRPathBaseSorter: no argument sorts by value; each argument is a key, a
  leading unary minus sorting it descending; an item without a key sorts last; a key with several values,
  or values of types that do not compare, is an error;
- ``precision()`` and ``comparable()`` ("Not implemented"): funcPrecision (a decimal's digits after the point,
  a date's, dateTime's or time's digits) and funcComparable (same system, same code, or UCUM units that
  convert into each other);
- ``round()`` without an argument (funcRound: zero places); fhirpathpy required one;
- ``indexOf({})``, ``replace(x, {})``: an empty argument gives empty (funcIndexOf, funcReplace); fhirpathpy
  raised a TypeError; ``replaceMatches('', x)`` is the input unchanged (funcReplaceMatches: an empty regex is
  no pattern), where Python's ``re.sub`` put ``x`` between every character;
- ``substring()`` (funcSubstring): one item of a FHIR string type (string, code, uri, id, markdown...: never a
  date or number, as the validator does no implicit string conversion), else empty where fhirpathpy raised
  (several items, a number) or cut a date's text; an empty result is no item (``'abc'.substring(1, 0)``);
- ``length()`` (funcLength): one item of a FHIR string type, in UTF-16 units as Java counts; else empty, where
  fhirpathpy raised (no item, several);
- ``toInteger()`` (funcToInteger, Utilities.isInteger): an optional ``-`` and at most ten digits within Java's
  int, or the text ``true`` / ``false``; fhirpathpy took ``+5``, any length and a decimal's whole value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fhirpathpy.engine.invocations import math, strings
from fhirpathpy.engine.nodes import FP_DateTime, FP_Quantity, FP_Time
from fhirpathpy.engine.util import get_data

from conformance.fhirval.bounds import convert
from conformance.fhirval.fhirpath_semantics import NOT_STRINGS
from conformance.fhirval.java_regex import compile_java, java_replace_all
from conformance.fhirval.java_text import java_length

_ZONE = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
_DATE_LIKE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?")
UCUM = "http://unitsofmeasure.org"

# ---- sort() ---------------------------------------------------------------------------------------------

def _rank(value: Any) -> tuple[str, Any]:
    """The class a value sorts in and its sort key (FHIRPathBaseSorter.isComparableTypes / compareNatural)."""
    if isinstance(value, bool):
        return "boolean", not value  # HL7 compares "true" / "false" deliberately reversed: true first
    if isinstance(value, int):
        return "integer", value
    if isinstance(value, (float, Decimal)):
        return "decimal", Decimal(str(value))
    if isinstance(value, FP_Time):
        return "time", str(value.asStr)
    if isinstance(value, FP_DateTime):
        return "date", str(value.asStr)
    if isinstance(value, str):
        return "string", value
    raise ValueError(f"sort: a {type(value).__name__} does not sort")


def _natural(a: Any, b: Any) -> int:
    if a is None or b is None:
        return (a is None) - (b is None)  # an item without a key goes last
    (kind_a, key_a), (kind_b, key_b) = _rank(a), _rank(b)
    if kind_a != kind_b:
        raise ValueError(f"sort: a {kind_a} and a {kind_b} do not compare")
    return int((key_a > key_b) - (key_a < key_b))


def sort(ctx: Any, inputs: list[Any], *keys: tuple[bool, Callable[[Any], Any]]) -> list[Any]:
    """The items in order: by value, or by each key in turn (a descending key was written ``-key``)."""
    def key_of(item: Any, fn: Callable[[Any], Any]) -> Any:
        found = fn(item)
        found = found if isinstance(found, list) else [found]
        if len(found) > 1:
            raise ValueError("sort: a key has several values")
        return get_data(found[0]) if found else None  # type: ignore[no-untyped-call]

    def order(a: Any, b: Any) -> int:
        if not keys:
            return _natural(get_data(a), get_data(b))  # type: ignore[no-untyped-call]
        for descending, fn in keys:
            res = _natural(key_of(a, fn), key_of(b, fn))
            if res:
                return -res if descending else res
        return 0
    return sorted(inputs, key=functools.cmp_to_key(order))


# ---- precision() / comparable() -------------------------------------------------------------------------

def precision(ctx: Any, inputs: list[Any]) -> list[Any]:
    if not inputs:
        return []
    if len(inputs) != 1:
        raise ValueError("precision: more than one item")
    value = get_data(inputs[0])  # type: ignore[no-untyped-call]
    if isinstance(value, (FP_DateTime, FP_Time)):
        value = str(value.asStr)
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool):
        text = str(value).lower().partition("e")[0]
        return [len(text.partition(".")[2])]
    if isinstance(value, str) and (_DATE_LIKE.fullmatch(value) or isinstance(get_data(inputs[0]), FP_Time)):  # type: ignore[no-untyped-call]
        return [len(re.sub(r"[-T:.]", "", _ZONE.sub("", value)))]
    return []  # funcPrecision builds its error for other types but never throws it


def _system_code(item: Any) -> tuple[Any, Any] | None:
    data = get_data(item)  # type: ignore[no-untyped-call]
    if isinstance(data, FP_Quantity):
        unit = str(data.unit)
        return (UCUM, unit.strip("'")) if unit.startswith("'") else None  # a calendar duration: no UCUM code
    if isinstance(data, dict) and "value" in data and ("code" in data or "system" in data):
        return data.get("system"), data.get("code")
    return None


def comparable(ctx: Any, inputs: list[Any], other: list[Any]) -> list[Any]:
    """Whether two quantities' units can be compared (funcComparable; its UCUM service's isComparable)."""
    if len(inputs) != 1 or len(other) != 1:
        return [False]
    a, b = _system_code(inputs[0]), _system_code(other[0])
    if a is None or b is None or a[0] is None or a[0] != b[0] or a[1] is None or b[1] is None:
        return [False]
    if a[1] == b[1]:
        return [True]
    if a[0] != UCUM:
        return [False]
    return [convert(1.0, str(a[1]), str(b[1])) is not None]


# ---- round() / indexOf() / replace() / replaceMatches() -------------------------------------------------

def round_fn(ctx: Any, inputs: list[Any], places: Any = ()) -> Any:
    return math.rround(ctx, inputs, list(places) if places == () else places)  # type: ignore[no-untyped-call]


def index_of(ctx: Any, inputs: list[Any], substring: Any) -> Any:
    return [] if substring == [] else strings.index_of(ctx, inputs, substring)  # type: ignore[no-untyped-call]


def replace(ctx: Any, inputs: list[Any], pattern: Any, substitution: Any) -> Any:
    if pattern == [] or substitution == []:
        return []
    return strings.replace(ctx, inputs, pattern, substitution)  # type: ignore[no-untyped-call]


def replace_matches(ctx: Any, inputs: list[Any], regex: Any, substitution: Any) -> Any:
    if regex == [] or substitution == [] or not inputs:
        return []
    if len(inputs) != 1 or regex == "":
        return [str(get_data(inputs[0]))]  # type: ignore[no-untyped-call]
    # RegexTimeout.replaceAll: Pattern.compile(regex).matcher(s).replaceAll(repl), read with Java's meaning (no
    # "(?s)": that is matches()'s alone) and Java's replacement syntax ($1, '\\' escapes: java_regex)
    text = strings.ensure_string_singleton(inputs)  # type: ignore[no-untyped-call]
    return java_replace_all(compile_java(str(regex)), text, str(substitution))


# ---- substring() / toInteger() (funcSubstring / funcToInteger) ------------------------------------------

def substring(ctx: Any, inputs: list[Any], start: Any, length: Any = None) -> list[Any]:
    if not inputs or start == [] or length == []:
        return []
    item = inputs[0]
    value = get_data(item)  # type: ignore[no-untyped-call]
    if len(inputs) != 1 or not isinstance(value, str) or getattr(item, "path", None) in NOT_STRINGS:
        return []
    first = int(start)
    if first < 0 or first >= len(value):
        return []
    if length is not None and int(length) < 0:
        raise ValueError("substring: a negative length (Java's StringIndexOutOfBoundsException)")
    text = value[first:] if length is None else value[first:first + int(length)]
    return [text] if text else []


def length(ctx: Any, inputs: list[Any]) -> list[Any]:
    value = get_data(inputs[0]) if len(inputs) == 1 else None  # type: ignore[no-untyped-call]
    if not isinstance(value, str) or getattr(inputs[0], "path", None) in NOT_STRINGS:
        return []
    return [java_length(value)]


_INT_MAX = "2147483647"


def to_integer(ctx: Any, inputs: list[Any]) -> list[Any]:
    values = [get_data(i) for i in inputs]  # type: ignore[no-untyped-call]
    if len(values) != 1:  # Java joins several with ',': never an integer, nor 'true' / 'false'
        return []
    value = values[0]
    text = ("true" if value else "false") if isinstance(value, bool) else str(value) \
        if isinstance(value, (str, int, float, Decimal)) else ""
    digits = text.removeprefix("-")
    if digits and digits.isdecimal() and len(digits) <= 10:
        if len(digits) == 10 and digits > _INT_MAX and not text.startswith("-"):
            return []
        return [int(text)]
    return [1] if text == "true" else [0] if text == "false" else []


TABLE: dict[str, dict[str, Any]] = {
    "sort": {"fn": sort, "variadic": "SortKey"},
    "precision": {"fn": precision},
    "comparable": {"fn": comparable, "arity": {1: ["Any"]}},
    "round": {"fn": round_fn, "arity": {0: [], 1: ["Number"]}},
    "indexOf": {"fn": index_of, "arity": {1: ["String"]}, "nullable_input": True},
    "replace": {"fn": replace, "arity": {2: ["String", "String"]}, "nullable_input": True},
    "replaceMatches": {"fn": replace_matches, "arity": {2: ["String", "String"]}, "nullable_input": True},
    "substring": {"fn": substring, "arity": {1: ["Integer"], 2: ["Integer", "Integer"]}},
    "toInteger": {"fn": to_integer},
    "length": {"fn": length},
}
