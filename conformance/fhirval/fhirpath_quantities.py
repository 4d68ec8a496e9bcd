"""Quantity comparison in FHIRPath as HL7's engine does it (FHIRPathEngine.opLessThan, qtyEqual).

fhirpathpy 2.2.4 cannot order Quantities at all: a resource's Quantity (``Observation.value < 200
'[lb_av]'``) raises "did not match type", and two literals (``6 days < 1 week``, ``1 'kg' < 2000 'g'``) raise
TypeError inside FP_Quantity, so an invariant or a profile's constraint comparing quantities was never
evaluated. Its equality converts only a few units (``1 'kg' = 1000 'g'`` was false).

HL7's engine compares the values when the UCUM codes are the same and the canonical forms otherwise (its
UCUM service); here the conversion is ucumvert's (bounds.convert, the same the min/max checks use). Units
that measure different things are unequal, and ordering them is an error, as is a conversion that cannot be
made (the invariant is then "not evaluated", never failed). Calendar durations (``1 week``) are their UCUM units for
ordering, as HL7's engine reads them; their equality stays fhirpathpy's (calendar rules of FHIRPath 5.7), except
that a calendar year or month against a UCUM quantity (``1 year = 1 'a'``) is empty: HL7's parser gives those
two words no UCUM code, and qtyEqual answers empty for a code on one side only. A quantity can be negated
(``-(5.5 'mg')``: HL7 parses unary minus as ``0 - x``, and opMinus takes a Quantity after 0) and ``abs()``
takes one (funcAbs), and two UCUM quantities multiply and divide (opTimes / opDivideBy through the UCUM service:
the product's unit is the units' product, ``cm.m``, compared through conversion; a division UCUM cannot make is
empty), where fhirpathpy accepted numbers only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fhirpathpy.engine import check_number_param, do_eval
from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import math as fp_math
from fhirpathpy.engine.nodes import FP_Quantity, ResourceNode
from fhirpathpy.engine.util import get_data

from conformance.fhirval.bounds import convert, incommensurable
from conformance.fhirval.fhirpath_primitives import PRIMITIVES_WHOLE

UCUM = "http://unitsofmeasure.org"
_CALENDAR = {"year": "a", "month": "mo", "week": "wk", "day": "d", "hour": "h", "minute": "min", "second": "s",
             "millisecond": "ms"}
_CALENDAR.update({k + "s": v for k, v in list(_CALENDAR.items())})


class Quantity:
    """A value (None when absent) with its UCUM code (None when not UCUM), its display unit and its ``code``
    whatever the system (``written``: what HL7's opLessThan compares before any conversion)."""

    __slots__ = ("calendar", "code", "unit", "value", "written")

    def __init__(self, value: Decimal | None, code: str | None, unit: str | None, calendar: bool = False,
                 written: Any = None) -> None:
        self.value, self.code, self.unit, self.calendar = value, code, unit, calendar
        self.written = code if written is None and calendar is False else written


def _is_quantity_type(name: str, model: dict[str, Any]) -> bool:
    parents: dict[str, str] = model.get("type2Parent", {})
    while name:
        if name == "Quantity":
            return True
        name = parents.get(name, "")
    return False


def quantity_of(item: Any, model: dict[str, Any]) -> Quantity | None:
    """The item as a Quantity: a FHIRPath quantity literal, or a resource's Quantity (or Age, Duration...)."""
    data = get_data(item)  # type: ignore[no-untyped-call]
    if isinstance(data, FP_Quantity):
        unit = str(data.unit)
        calendar = not unit.startswith("'")
        code = _CALENDAR.get(unit, unit) if calendar else unit.strip("'")
        return Quantity(Decimal(str(data.value)), code, code, calendar, code)
    if not (isinstance(item, ResourceNode) and isinstance(data, dict) and isinstance(item.path, str)
            and _is_quantity_type(item.path, model)):
        return None
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, type(None))):
        return None
    ucum_code, shown_unit = data.get("code"), data.get("unit")
    is_ucum = data.get("system") == UCUM and isinstance(ucum_code, str)
    shown = shown_unit if isinstance(shown_unit, str) else None
    number = None if value is None else Decimal(str(value))
    return Quantity(number, ucum_code if is_ucum else None, shown, written=ucum_code)


def _in_units_of(a: Quantity, b: Quantity) -> Decimal | None:
    """a's value in b's unit; None when they measure different things. Raises when it cannot be told."""
    if a.code is not None and a.code == b.code:
        return a.value
    if a.code is None or b.code is None:
        if a.code is None and b.code is None and a.unit is not None and a.unit == b.unit:
            return a.value
        raise ValueError(f"cannot compare quantities in {a.code or a.unit!r} and {b.code or b.unit!r}")
    converted = convert(float(a.value or 0), a.code, b.code)
    if converted is not None:
        return Decimal(str(converted))
    if incommensurable(a.code, b.code):
        return None
    raise ValueError(f"cannot convert {a.code!r} to {b.code!r}")


def compare(left: Any, right: Any, model: dict[str, Any]) -> int | bool | None:
    """-1/0/1 for two quantities; None (empty) when either has no value; False when either is not a quantity
    (the caller then compares as before). Quantities whose ``code`` is the same, or absent from both (a Range
    of bare counts: rng-2 on genomics positions), compare by value whatever their systems, as opLessThan does
    before it converts anything. Raises for quantities of different dimensions: HL7's engine then orders their
    canonical magnitudes whatever their units, an answer not worth copying, so the invariant is "not
    evaluated" here."""
    a, b = quantity_of(left, model), quantity_of(right, model)
    if a is None or b is None:
        return False
    if a.value is None or b.value is None:
        return None
    if a.written == b.written:
        return (a.value > b.value) - (a.value < b.value)
    value = _in_units_of(a, b)
    if value is None:
        raise ValueError(f"cannot order quantities in {a.code!r} and {b.code!r}")
    return (value > b.value) - (value < b.value)


def equal(left: Any, right: Any, model: dict[str, Any]) -> bool | str | None:
    """Quantity equality (qtyEqual), or ``"other"`` when it is not a question for this module: either side is
    not a quantity, or both are calendar durations (fhirpathpy's calendar rules answer)."""
    a, b = quantity_of(left, model), quantity_of(right, model)
    if a is None or b is None or a.value is None or b.value is None:
        return "other"
    if a.calendar != b.calendar and (a if a.calendar else b).code in ("a", "mo"):
        return None  # HL7's parser gives a calendar year or month no UCUM code, and qtyEqual then answers empty
    if a.calendar or b.calendar:
        return "other"
    return _equal_values(a, b)


def _equal_values(a: Quantity, b: Quantity) -> bool | None:
    try:
        value = _in_units_of(a, b)
    except ValueError:
        return None  # HL7's qtyEqual: units it cannot relate make the answer empty
    return False if value is None else value == b.value



_FHIRPATHPY_POLARITY = evaluators["PolarityExpression"]


def _polarity(ctx: dict[str, Any], parent: Any, node: Any) -> Any:
    """Unary minus of one Quantity literal or element, negated; anything else fhirpathpy's."""
    if ctx.get(PRIMITIVES_WHOLE) and node["terminalNodeText"][0] == "-":
        items = do_eval(ctx, parent, node["children"][0])  # type: ignore[no-untyped-call]
        if len(items) == 1 and isinstance(get_data(items[0]), FP_Quantity):  # type: ignore[no-untyped-call]
            q = get_data(items[0])  # type: ignore[no-untyped-call]
            return [FP_Quantity(-q.value, q.unit)]  # type: ignore[no-untyped-call]
    return _FHIRPATHPY_POLARITY(ctx, parent, node)


evaluators["PolarityExpression"] = _polarity


def _abs(ctx: Any, inputs: list[Any]) -> Any:
    """funcAbs: a Quantity's value made positive, its unit kept; numbers as fhirpathpy."""
    if len(inputs) == 1 and isinstance(get_data(inputs[0]), FP_Quantity):  # type: ignore[no-untyped-call]
        q = get_data(inputs[0])  # type: ignore[no-untyped-call]
        return FP_Quantity(abs(q.value), q.unit)  # type: ignore[no-untyped-call]
    return fp_math.abs(ctx, inputs)  # type: ignore[no-untyped-call]


def _product(sign: str, original: Any) -> Any:
    """``*`` or ``/`` of two UCUM quantities (literals or a resource's); numbers as fhirpathpy's."""
    def op(ctx: dict[str, Any], left: list[Any], right: list[Any]) -> Any:
        if len(left) != 1 or len(right) != 1:
            raise ValueError(f"{sign}: a singleton is needed on each side (FHIRPATH_LEFT_VALUE / FHIRPATH_RIGHT_VALUE)")
        model = ctx.get("model") or {}
        a, b = quantity_of(left[0], model), quantity_of(right[0], model)
        if a is None or b is None:
            return original(ctx, check_number_param(left[0]), check_number_param(right[0]))  # type: ignore[no-untyped-call]
        if a.calendar or b.calendar or a.code is None or b.code is None or a.value is None or b.value is None:
            raise ValueError(f"{sign}: quantities without UCUM units")  # HL7's qtyToPair: UCUM only
        if sign == "*":
            return FP_Quantity(a.value * b.value, f"'({a.code}).({b.code})'")  # type: ignore[no-untyped-call]
        if b.value == 0:
            return []  # UcumException: "just return nothing"
        return FP_Quantity(a.value / b.value, f"'({a.code})/({b.code})'")  # type: ignore[no-untyped-call]
    return op


TABLE: dict[str, dict[str, Any]] = {
    "abs": {"fn": _abs},
    "*": {"fn": _product("*", fp_math.mul), "arity": {2: ["Any", "Any"]}, "nullable": True},
    "/": {"fn": _product("/", fp_math.div), "arity": {2: ["Any", "Any"]}, "nullable": True},
}
