"""FHIRPath semantics fhirpathpy 2.2.4 (the newest release on PyPI) gets wrong, as HL7's engine has them.

Each was found by the official FHIRPath R4 test suite (bench/fhirpath_suite.py) and is checked against
HL7's Java engine (org.hl7.fhir.r5 fhirpath/FHIRPathEngine.java, model/BaseDateTimeType.java), which
judges the invariants the reference validator reports. A wrong answer here is a false alarm or a missed
error on any resource an invariant reaches:

- ``=`` / ``!=`` (fhirpath_equality.py): collections compared by their first items only, dates at different
  precisions unequal where FHIRPath says empty;
- ``toString()`` writes booleans as Python does (``'True'``), and a decimal literal loses its decimal
  point (``1.0`` is an Integer, ``1.0.toString()`` is ``'1'``); ``toBoolean()`` ignores decimals;
- ``as`` / ``ofType`` take a FHIR primitive's ancestors (``gender.as(string)`` is the code), where HL7's
  engine walks the ancestry of complex types only, and accept an unknown type name silently;
- ``''.startsWith('')`` is false, where HL7's engine answers true; ``contains()`` (this replaces the
  validator's earlier wrap, which answered false to ``''`` and to no input) is empty on no input, as in
  HL7's funcContains (bdl-8 passes an entry without fullUrl through expression_fixes, as in HL7's);
- ``~`` / ``!~`` compare collections in order, where equivalence ignores it (fhirpath_equality.py), and
  ``matchesFull()`` is missing;
- HL7's engine's own environment variables ``%sct``, ``%loinc``, ``%`vs-name```, ``%`cs-name``` and
  ``%`ext-name``` are undefined, and any other unknown one raised where HL7's validator answers it empty.

Only the validator's own evaluations are changed (contexts marked ``PRIMITIVES_WHOLE``, or entries of the
validator's own function table); fhirpathpy behaves as before for any other caller.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import misc, types
from fhirpathpy.engine.nodes import FP_DateTime, FP_TimeBase, TypeInfo
from fhirpathpy.engine.util import get_data

from conformance.fhirval.fhirpath_equality import equal, equivalent, not_equivalent, unequal
from conformance.fhirval.fhirpath_primitives import PRIMITIVES_WHOLE
from conformance.fhirval.java_regex import compile_java

# ---- toString() and decimal literals ------------------------------------------------------------------

def to_string(ctx: Any, inputs: list[Any]) -> list[Any]:
    """``toString()`` as FHIRPath writes values: booleans lower case, decimals as written, dates/times at
    their own precision (HL7's convertToString gives the literal: ``@2020-01`` is ``'2020-01'``; str() of
    fhirpathpy's FP_DateTime fills in a day from today's date)."""
    if len(inputs) != 1:
        return []
    value = get_data(inputs[0])  # type: ignore[no-untyped-call]
    written = getattr(value, "asStr", None) if isinstance(value, FP_TimeBase) else None
    if isinstance(written, str):
        return [written]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (dict, list)):
        return []
    return [str(value)]


def _no_decimal_bits(inputs: list[Any]) -> list[Any]:
    """Decimals 1.0 / 0.0 as the integers fhirpathpy's toBoolean() knows (it reads int and float only)."""
    out = []
    for item in inputs:
        value = get_data(item)  # type: ignore[no-untyped-call]
        out.append(int(value) if isinstance(value, Decimal) and value in (0, 1) else item)
    return out


def to_boolean(ctx: Any, inputs: list[Any]) -> Any:
    return misc.to_boolean(ctx, _no_decimal_bits(inputs))  # type: ignore[no-untyped-call]


def converts_to_boolean(ctx: Any, inputs: list[Any]) -> Any:
    return _CONVERTS_TO_BOOLEAN(ctx, _no_decimal_bits(inputs))


_CONVERTS_TO_BOOLEAN = misc.create_converts_to_fn(misc.to_boolean, "bool")  # type: ignore[no-untyped-call]
_FHIRPATHPY_NUMBER = evaluators["NumberLiteral"]


def _number_literal(ctx: Any, parent: Any, node: Any) -> list[Any]:
    """A literal written with a decimal point is a Decimal (``1.0``), as FHIRPath's grammar types it."""
    if ctx.get(PRIMITIVES_WHOLE) and "." in node["text"]:
        return [Decimal(node["text"])]
    result: list[Any] = _FHIRPATHPY_NUMBER(ctx, parent, node)
    return result


evaluators["NumberLiteral"] = _number_literal
_FHIRPATHPY_STRING = evaluators["StringLiteral"]
_STRINGS: dict[str, str] = {}  # a literal's text (quotes and escapes) -> its value
_STRINGS_LIMIT = 20_000


def _string_literal(ctx: Any, parent: Any, node: Any) -> list[Any]:
    """fhirpathpy's value of a string literal, worked out once per literal text: it strips the quotes and undoes
    the escapes with two regular expressions and eight replacements at every evaluation, an eighth of the time
    of ``coding.where(system = '...' and code = '...')``. The value depends on the text alone."""
    text = node["text"]
    value = _STRINGS.get(text)
    if value is None:
        value = process_constant(text) if "\\" in text else _FHIRPATHPY_STRING(ctx, parent, node)[0]
        if len(_STRINGS) < _STRINGS_LIMIT:
            _STRINGS[text] = value
    return [value]


evaluators["StringLiteral"] = _string_literal

_ESCAPED = {"t": "\t", "r": "\r", "n": "\n", "f": "\f", "'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def process_constant(text: str) -> str:
    """A quoted string literal's value as FHIRLexer.processConstant reads it: escapes undone left to right, so
    ``'\\\\n'`` is a backslash and an 'n' (fhirpathpy replaced '\\n' before '\\\\' and made it a backslash and a
    newline: a replaceMatches replacement then differed), ``\\/`` a slash, ``\\u`` four hex digits (fhirpathpy
    took decimal digits only). An escape HL7 does not know (its lexer throws) is left as fhirpathpy leaves it."""
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if ch == "\\" and nxt in _ESCAPED:
            out.append(_ESCAPED[nxt])
            i += 2
        elif ch == "\\" and nxt == "u" and _HEX4.fullmatch(body, i + 2, i + 6):
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ---- as / ofType on FHIR types (FHIRPathEngine.funcAs / funcOfType) ----------------------------------

_SYSTEM_TYPES = frozenset({"String", "Boolean", "Integer", "Decimal", "Quantity", "DateTime", "Date", "Time"})


def _type_matches(item: Any, wanted: TypeInfo) -> bool:
    """``wanted`` is the item's type, or (complex types only) an ancestor; a primitive matches its own type
    only (Java stops the walk at a PRIMITIVETYPE definition: ``gender.as(string)`` is empty)."""
    model: dict[str, Any] = TypeInfo.model or {}
    parents: dict[str, str] = model.get("type2Parent", {})
    name = wanted.name
    if wanted.namespace != TypeInfo.System and name not in parents and name not in _SYSTEM_TYPES:
        raise ValueError(f"as/ofType: unknown type {name!r}")
    have = TypeInfo.from_value(item)  # type: ignore[no-untyped-call]
    if have is None:
        return False
    if have.namespace == TypeInfo.FHIR and name[:1].islower() and wanted.namespace != TypeInfo.System:
        return bool(have.name == name)
    return bool(have.is_(wanted))


def of_type(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> list[Any]:
    """The items of the type: ``ofType``, and ``as`` too, which for R4 filters the same way, HL7's validator not
    enforcing the singleton rule on it (InstanceValidator ``fpe.setDoNotEnforceAsSingletonRule(!isR5Plus)``,
    FHIRPathEngine.funcAs)."""
    TypeInfo.model = ctx.get("model")
    return [i for i in inputs if _type_matches(i, wanted)]


# the System names FHIRPathEngine.isKnownType takes unqualified, and the FHIR type of a System value (fhirType())
_KNOWN_SYSTEM = frozenset({"String", "Boolean", "Integer", "Decimal", "Quantity", "DateTime", "Time", "SimpleTypeInfo",
                           "ClassInfo"})
_SYSTEM_AS_FHIR = {"String": "string", "Boolean": "boolean", "Integer": "integer", "Decimal": "decimal",
                   "DateTime": "dateTime", "Date": "date", "Time": "time", "Quantity": "Quantity"}


def as_operator(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> list[Any]:
    """opAs, the ``x as T`` form, as HL7's engine runs it for R4 (FHIRPathEngine.initFlags: not R5, so
    doNotEnforceAsCaseSensitive and doNotEnforceAsSingletonRule): the type name as written (``System.String``
    qualified, ``String`` not) against each item's ``fhirType()`` ignoring case, and no inheritance. So ``value as
    String`` keeps a FHIR string (``'String'.equalsIgnoreCase('string')``) and ``component.value as Integer`` an
    integer, where fhirpathpy's strict reading gave nothing and the invariant failed (KBV's pat-de-kbv-1 in
    fhir-test-cases' patient_as_operator_issue: "this error should occur in r5", and only there)."""
    TypeInfo.model = ctx.get("model")
    model: dict[str, Any] = TypeInfo.model or {}
    name, space = wanted.name, wanted.namespace
    fhir_types = model.get("type2Parent", {})  # every FHIR type but the roots (fetchTypeDefinition finds those too)
    fhir_known = name in fhir_types or name in ("Element", "Resource")
    known = (name in _KNOWN_SYSTEM or fhir_known if space is None
             else name in _KNOWN_SYSTEM if space == TypeInfo.System else fhir_known)
    if not known:
        raise ValueError(f"as: unknown type {name!r}")  # HL7 throws FHIRPATH_INVALID_TYPE: not judged here
    written = name if space is None else f"{space}.{name}"
    out = []
    for item in inputs:
        have = TypeInfo.from_value(item)  # type: ignore[no-untyped-call]
        if have is None:
            continue
        fhir_type = _SYSTEM_AS_FHIR.get(have.name, have.name) if have.namespace == TypeInfo.System else have.name
        if isinstance(item, FP_DateTime) and "T" not in str(getattr(item, "asStr", item)):
            fhir_type = "date"  # a date without a time (@2015, today()) is HL7's DateType: fhirType() 'date'
        if written.lower() == str(fhir_type).lower():
            out.append(item)
    return out


def is_type(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> Any:
    """funcIs: empty unless there is exactly one item (fhirpathpy raised for several); a date literal without a time
    (``@2015``) is a System Date, and a Date is also a DateTime (fhirpathpy typed every date literal DateTime)."""
    if len(inputs) != 1:
        return []
    return _is_one(ctx, inputs, wanted)


def is_operator(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> Any:
    """opIs, the ``x is T`` form: as funcIs, except that several items are false, not empty."""
    return [] if not inputs else (False if len(inputs) > 1 else _is_one(ctx, inputs, wanted))


def _is_one(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> Any:
    item = inputs[0]
    if (isinstance(item, FP_DateTime) and "T" not in str(getattr(item, "asStr", item))
            and wanted.namespace in (None, TypeInfo.System) and wanted.name in ("Date", "DateTime")):
        return True
    return types.is_fn(ctx, inputs, wanted)  # type: ignore[no-untyped-call]


# ---- string functions (FHIRPathEngine.funcContains / funcStartsWith / funcMatchesFull) ---------------

def _strings(inputs: list[Any]) -> list[Any]:
    """The items' values, a primitive with no value (extensions only) left out."""
    return [v for v in (get_data(i) for i in inputs)  # type: ignore[no-untyped-call]
            if not (isinstance(v, dict) and set(v) <= {"extension", "id"})]


def contains(ctx: Any, inputs: list[Any], substring: Any) -> list[Any]:
    """Empty unless one item and one argument; an empty argument is contained in anything; a non-string
    item is empty (funcContains: ``focus.size() != 1`` and no FHIR_TYPES_STRING answer nothing)."""
    values = _strings(inputs)
    if len(values) != 1 or not isinstance(substring, str):
        return []
    if substring == "":
        return [True]
    return [substring in values[0]] if isinstance(values[0], str) else []


def starts_with(ctx: Any, inputs: list[Any], prefix: Any) -> list[Any]:
    """The first item judged (funcStartsWith reads focus.get(0): for R4 the singleton rule is not enforced,
    InstanceValidator ``setDoNotEnforceAsSingletonRule(!isR5Plus)``); an empty prefix is true; a
    non-string first item is empty."""
    values = _strings(inputs)
    if not values or not isinstance(prefix, str):
        return []
    if prefix == "":
        return [True]
    return [values[0].startswith(prefix)] if isinstance(values[0], str) else []


# HL7 runs java.util.regex with "(?s)" and no other flag: compile_java reads the regex with Java's meaning (\w, \d,
# \s and \b ASCII: Python's, on text, are Unicode: a no-break space is \s, an Arabic-Indic digit \d)


def matches_full(ctx: Any, inputs: list[Any], regex: Any) -> list[Any]:
    """``matchesFull(regex)`` (FHIRPath 2.0, FHIRPathEngine.funcMatchesFull): the whole string matches;
    fhirpathpy lacks it. ``matches()`` itself is a search in both engines (``find`` with DOTALL). Not one
    item, or an empty regex, is false in funcMatchesFull; a non-string item is empty."""
    values = _strings(inputs)
    if not isinstance(regex, str):
        return []
    if len(values) != 1 or not regex:
        return [False]
    if not isinstance(values[0], str):
        return []
    return [values[0] != "" and compile_java(regex, dotall=True).fullmatch(values[0]) is not None]


NOT_STRINGS = frozenset({"date", "dateTime", "instant", "time", "boolean", "integer", "decimal", "positiveInt",
                          "unsignedInt", "integer64"})  # FHIR primitives outside FHIR_TYPES_STRING


def matches(ctx: Any, inputs: list[Any], regex: Any) -> list[Any]:
    """funcMatches: no item or no regex is empty; several items, or a regex of no text, false (fhirpathpy raised on
    several); one item not of a FHIR string type (a date, a number: the validator converts nothing implicitly) empty;
    else a search (``find`` with DOTALL), an empty string false."""
    values = _strings(inputs)
    if not values or regex == [] or regex is None:
        return []
    if len(values) != 1 or not isinstance(regex, str) or regex == "":
        return [False]
    value = values[0]
    if not isinstance(value, str) or getattr(inputs[0], "path", None) in NOT_STRINGS:
        return []
    return [value != "" and compile_java(regex, dotall=True).search(value) is not None]


# ---- HL7's environment variables (FHIRPathEngine.resolveConstant) -------------------------------------

class Environment(dict[str, Any]):
    """The variables of one evaluation, with the ones HL7's engine answers by name."""

    def __missing__(self, name: str) -> Any:
        if name == "sct":
            return "http://snomed.info/sct"
        if name == "loinc":
            return "http://loinc.org"
        if name.startswith("vs-"):
            return "http://hl7.org/fhir/ValueSet/" + name[3:]
        if name.startswith("cs-"):
            return "http://hl7.org/fhir/" + name[3:]
        if name.startswith("ext-"):
            return "http://hl7.org/fhir/StructureDefinition/" + name[4:]
        # any other name goes to the host services, and the validator's (InstanceValidator.ValidatorHostServices
        # .resolveConstant, no external host services in the CLI or the test runner) answer an empty list
        return []

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)


TABLE: dict[str, dict[str, Any]] = {
    "=": {"fn": equal, "arity": {2: ["Any", "Any"]}, "nullable": True},
    "!=": {"fn": unequal, "arity": {2: ["Any", "Any"]}, "nullable": True},
    "toString": {"fn": to_string},
    "toBoolean": {"fn": to_boolean},
    "convertsToBoolean": {"fn": converts_to_boolean},
    "as": {"fn": of_type, "arity": {1: ["TypeSpecifier"]}},
    "asOp": {"fn": as_operator, "arity": {2: ["Any", "TypeSpecifier"]}},
    "ofType": {"fn": of_type, "arity": {1: ["TypeSpecifier"]}},
    "is": {"fn": is_type, "arity": {1: ["TypeSpecifier"]}},
    "isOp": {"fn": is_operator, "arity": {2: ["Any", "TypeSpecifier"]}},
    "contains": {"fn": contains, "arity": {1: ["String"]}, "nullable_input": True},
    "startsWith": {"fn": starts_with, "arity": {1: ["String"]}, "nullable_input": True},
    "matches": {"fn": matches, "arity": {1: ["String"]}, "nullable_input": True},
    "matchesFull": {"fn": matches_full, "arity": {1: ["String"]}},  # no item: false (funcMatchesFull)
    "~": {"fn": equivalent, "arity": {2: ["Any", "Any"]}},
    "!~": {"fn": not_equivalent, "arity": {2: ["Any", "Any"]}},
}
