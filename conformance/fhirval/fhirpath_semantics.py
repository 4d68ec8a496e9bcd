"""FHIRPath semantics fhirpathpy 2.2.4 (the newest release on PyPI) gets wrong, as HL7's engine has them.

Each was found by the official FHIRPath R4 test suite (bench/fhirpath_suite.py) and is checked against
HL7's Java engine (org.hl7.fhir.r5 fhirpath/FHIRPathEngine.java, model/BaseDateTimeType.java), which
judges the invariants the reference validator reports. A wrong answer here is a false alarm or a missed
error on any resource an invariant reaches:

- ``=`` / ``!=`` compare only the first items of two collections (``(1|2) = (1|3)`` was true) and call a
  date and a dateTime that agree up to the date's precision unequal where FHIRPath says empty;
- ``toString()`` writes booleans as Python does (``'True'``), and a decimal literal loses its decimal
  point (``1.0`` is an Integer, ``1.0.toString()`` is ``'1'``); ``toBoolean()`` ignores decimals;
- ``as`` / ``ofType`` take a FHIR primitive's ancestors (``gender.as(string)`` is the code), where HL7's
  engine walks the ancestry of complex types only, and accept an unknown type name silently;
- ``''.startsWith('')`` is false, where HL7's engine answers true; ``contains()`` (this replaces the
  validator's earlier wrap, which answered false to ``''`` and to no input) is empty on no input, as in
  HL7's funcContains (bdl-8 passes an entry without fullUrl through expression_fixes, as in HL7's);
- HL7's engine's own environment variables ``%sct``, ``%loinc``, ``%`vs-name``` and ``%`ext-name``` are
  undefined.

Only the validator's own evaluations are changed (contexts marked ``PRIMITIVES_WHOLE``, or entries of the
validator's own function table); fhirpathpy behaves as before for any other caller.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import equality as fp_equality
from fhirpathpy.engine.invocations import misc
from fhirpathpy.engine.nodes import FP_DateTime, FP_Time, ResourceNode, TypeInfo
from fhirpathpy.engine.util import get_data

from conformance.fhirval import fhirpath_quantities
from conformance.fhirval.fhirpath_primitives import PRIMITIVES_WHOLE

# ---- date / dateTime equality (BaseDateTimeType.equalsUsingFhirPathRules) ----------------------------

_DT = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?"
                 r"(Z|[+-]\d{2}:\d{2})?")
_TEMPORAL_TYPES = frozenset({"date", "dateTime", "instant"})
_YEAR, _MONTH, _DAY, _MINUTE, _SECOND, _MILLI = range(6)


class _Moment:
    """A date or dateTime's fields, its precision (Java's TemporalPrecisionEnum order) and its zone."""

    def __init__(self, m: re.Match[str]) -> None:
        year, month, day, hour, minute, second, fraction, zone = m.groups()
        self.fields = [int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                       int(second or 0), int((fraction or "0")[:3].ljust(3, "0"))]
        self.precision = (_MILLI if fraction else _SECOND if second else _MINUTE if minute else _DAY if day
                          else _MONTH if month else _YEAR)
        self.zone = None if zone is None else 0 if zone == "Z" else (
            (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6])))

    def start(self) -> datetime:
        y, mo, d, h, mi, s, ms = self.fields
        return datetime(y, mo, d, h, mi, s, ms * 1000) - timedelta(minutes=self.zone or 0)

    def zulu(self) -> _Moment:
        """The same instant in UTC (Java: setTimeZoneZulu for a precision past the day)."""
        if self.zone is None or self.precision <= _DAY:
            return self
        t = self.start()
        out = _Moment.__new__(_Moment)
        out.fields = [t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond // 1000]
        out.precision, out.zone = self.precision, 0
        return out

    def edges(self) -> tuple[datetime, datetime]:
        """The span the value can mean; without a zone, widened by 14 hours each way (Java couldBeTheSameTime)."""
        y, mo, d, h, mi, sec, ms = self.fields
        naive = datetime(y, mo, d, h, mi, sec, ms * 1000)
        if self.precision == _YEAR:
            high = naive.replace(year=y + 1)
        elif self.precision == _MONTH:
            high = naive.replace(year=y + mo // 12, month=mo % 12 + 1)
        else:
            high = naive + {_DAY: timedelta(days=1), _MINUTE: timedelta(minutes=1), _SECOND: timedelta(seconds=1),
                            _MILLI: timedelta(0)}[self.precision]
        shift = timedelta(minutes=self.zone or 0)
        low, high = naive - shift, high - shift
        slack = timedelta(hours=14 if self.zone is None else 0)
        return low - slack, high + slack


def _moment(item: Any) -> _Moment | None:
    """A date/dateTime operand as a _Moment: an FP_DateTime, or a resource's date/dateTime/instant value."""
    data = get_data(item)  # type: ignore[no-untyped-call]
    if isinstance(data, FP_DateTime):
        text = data.asStr
    elif isinstance(item, ResourceNode) and item.path in _TEMPORAL_TYPES and isinstance(data, str):
        text = data
    else:
        return None
    m = _DT.fullmatch(str(text).lstrip("@"))
    return _Moment(m) if m else None


def temporal_equal(a: _Moment, b: _Moment) -> bool | None:
    """HL7's equalsUsingFhirPathRules: None (empty) when the values agree as far as both are precise."""
    if (a.zone is None) != (b.zone is None):
        (low_a, high_a), (low_b, high_b) = a.edges(), b.edges()
        return None if low_a <= high_b and low_b <= high_a else False
    a, b = a.zulu(), b.zulu()
    for field in range(7):  # year, month, day, hour, minute, second, millisecond, as Java's compareTimes
        if a.fields[field] != b.fields[field]:
            return False
        level = _LEVEL_AFTER.get(field)
        if level is not None and a.precision == level and b.precision == level:
            return True
        if level is not None and level in (a.precision, b.precision):
            return None
        if field == 5 and a.precision == b.precision == _SECOND:
            return True
    return True


_LEVEL_AFTER = {0: _YEAR, 1: _MONTH, 2: _DAY, 4: _MINUTE}  # the hour is no precision of its own


def _item_equal(ctx: Any, a: Any, b: Any) -> bool | None:
    ma, mb = _moment(a), _moment(b)
    if ma is not None and (mb is not None or isinstance(get_data(b), str)):  # type: ignore[no-untyped-call]
        mb = mb or _moment(FP_DateTime(get_data(b)))  # type: ignore[no-untyped-call]
    elif mb is not None and isinstance(get_data(a), str):  # type: ignore[no-untyped-call]
        ma = _moment(FP_DateTime(get_data(a)))  # type: ignore[no-untyped-call]
    if ma is not None and mb is not None:
        return temporal_equal(ma, mb)
    same = fhirpath_quantities.equal(a, b, ctx.get("model") or {})
    if same != "other":
        return same if isinstance(same, bool) else None
    answer: bool | None = fp_equality.equality(ctx, [a], [b])  # type: ignore[no-untyped-call]
    return answer


def _equality(ctx: Any, left: list[Any], right: list[Any]) -> bool | None:
    """FHIRPath ``=`` on collections: each item equal, in order (fhirpathpy compares the first items only)."""
    if len(left) != len(right):
        return False
    answers = [_item_equal(ctx, a, b) for a, b in zip(left, right, strict=True)]
    if False in answers:
        return False
    return None if None in answers else True


def equal(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    if not left or not right:
        return []
    answer = _equality(ctx, left, right)
    return [] if answer is None else [answer]


def unequal(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    if not left or not right:
        return []
    answer = _equality(ctx, left, right)
    return [] if answer is None else [not answer]


# ---- toString() and decimal literals ------------------------------------------------------------------

def to_string(ctx: Any, inputs: list[Any]) -> list[Any]:
    """``toString()`` as FHIRPath writes values: booleans lower case, decimals as written."""
    if len(inputs) != 1:
        return []
    value = get_data(inputs[0])  # type: ignore[no-untyped-call]
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


def as_fn(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> list[Any]:
    TypeInfo.model = ctx.get("model")
    if len(inputs) > 1:
        raise ValueError(f"as: expected a single item, got {len(inputs)}")
    return [i for i in inputs if _type_matches(i, wanted)]


def of_type(ctx: Any, inputs: list[Any], wanted: TypeInfo) -> list[Any]:
    TypeInfo.model = ctx.get("model")
    return [i for i in inputs if _type_matches(i, wanted)]


# ---- string functions with an empty argument (FHIRPathEngine.funcContains / funcStartsWith) -----------

def _string_of(inputs: list[Any], fn: str) -> str | None:
    values = [v for v in (get_data(i) for i in inputs)  # type: ignore[no-untyped-call]
              if not (isinstance(v, dict) and set(v) <= {"extension", "id"})]
    if len(values) != 1:
        return None
    if not isinstance(values[0], str):
        raise ValueError(f"{fn}: expected a string, got {values[0]!r}")
    return values[0]


def contains(ctx: Any, inputs: list[Any], substring: Any) -> list[Any]:
    """Empty unless one string and one argument; an empty argument is contained in any string."""
    text = _string_of(inputs, "contains")
    if text is None or not isinstance(substring, str):
        return []
    return [substring in text]


def starts_with(ctx: Any, inputs: list[Any], prefix: Any) -> list[Any]:
    text = _string_of(inputs, "startsWith")
    if text is None or not isinstance(prefix, str):
        return []
    return [text.startswith(prefix)]


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
        if name.startswith("ext-"):
            return "http://hl7.org/fhir/StructureDefinition/" + name[4:]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (isinstance(name, str) and (
            name in ("sct", "loinc") or name.startswith(("vs-", "ext-"))))


TABLE: dict[str, dict[str, Any]] = {
    "=": {"fn": equal, "arity": {2: ["Any", "Any"]}, "nullable": True},
    "!=": {"fn": unequal, "arity": {2: ["Any", "Any"]}, "nullable": True},
    "toString": {"fn": to_string},
    "toBoolean": {"fn": to_boolean},
    "convertsToBoolean": {"fn": converts_to_boolean},
    "as": {"fn": as_fn, "arity": {1: ["TypeSpecifier"]}},
    "asOp": {"fn": as_fn, "arity": {2: ["Any", "TypeSpecifier"]}},
    "ofType": {"fn": of_type, "arity": {1: ["TypeSpecifier"]}},
    "contains": {"fn": contains, "arity": {1: ["String"]}, "nullable_input": True},
    "startsWith": {"fn": starts_with, "arity": {1: ["String"]}, "nullable_input": True},
}
_ = FP_Time  # FP_Time values are compared by fhirpathpy (``_moment`` leaves them alone)
