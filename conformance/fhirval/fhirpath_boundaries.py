"""``lowBoundary()`` / ``highBoundary()`` (FHIRPath 2.0), which fhirpathpy 2.2.4 lacks ("Not implemented").

R5's per-1 is ``start.lowBoundary() < end.highBoundary()`` (R5 core carries eight such uses), so content and
profiles written with R5 tooling reach it; without it the invariant was never evaluated. The answers are
HL7's, ported from the Java engine's string arithmetic (org.hl7.fhir.utilities Utilities.lowBoundaryForDecimal
/ highBoundaryForDecimal / applyPrecision, DateTimeUtil.lowBoundaryForDate / ...ForTime, FHIRPathEngine
funcLowBoundary): a decimal's boundary at a precision of 0-16 digits (default 8), a date's at 4, 6, 8, 14
or 17 (default 10 for a date, 17 for a dateTime, 9 for a time), a missing zone taken as +14:00 (low) or
-12:00 (high).
"""

from __future__ import annotations

from calendar import monthrange
from decimal import Decimal
from typing import Any

from fhirpathpy.engine.nodes import FP_DateTime, FP_Quantity, FP_Time, ResourceNode
from fhirpathpy.engine.util import get_data

_FIVES = "50000000000000000000000000000"


def _is_zero(value: str) -> bool:
    return not value.replace(".", "").replace("-", "").replace("0", "")


def _minus_one(value: str) -> str:
    chars = list(value)
    for i in range(len(chars) - 1, -1, -1):
        if chars[i] == "0":
            chars[i] = "9"
        elif chars[i] != ".":
            chars[i] = chr(ord(chars[i]) - 1)
            break
    return "".join(chars)


def _apply_precision(v: str, p: int, down: bool) -> str:
    nv, dp = v, -1
    if "." in nv:
        dp = nv.index(".")
        nv = nv[:dp] + nv[dp + 1:]
    d = p - (len(v.split(".")[1]) if "." in v else 0)
    if d == 0:
        s = nv
    elif d > 0:
        s = nv + "0" * d
    else:
        ld = len(v) + d - (1 if dp > -1 else 0)
        s = nv[:ld - 1] + chr(ord(nv[ld - 1]) + 1) if nv[ld] >= "5" and not down else nv[:ld]
    s = s.removesuffix(".")
    return s if dp == -1 or dp >= len(s) else s[:dp] + "." + s[dp:]


def low_decimal(value: str, precision: int) -> str:
    if _is_zero(value):
        return _apply_precision("-0.5000000000000000000000000", precision, True)
    if value.startswith("-"):
        return "-" + high_decimal(value[1:], precision)
    return _apply_precision(_minus_one(value) + ("" if "." in value else ".") + _FIVES, precision, True)


def high_decimal(value: str, precision: int) -> str:
    if _is_zero(value):
        return _apply_precision("0." + _FIVES, precision, False)
    if value.startswith("-"):
        return "-" + low_decimal(value[1:], precision)
    return _apply_precision(value + ("" if "." in value else ".") + _FIVES, precision, False)


def _split_zone(value: str) -> tuple[str, str]:
    if "+" in value:
        return value[:value.index("+")], value[value.index("+"):]
    if "-" in value and "T" in value and value.rindex("-") > value.index("T"):
        return value[:value.rindex("-")], value[value.rindex("-"):]
    if "Z" in value:
        return value[:value.index("Z")], value[value.index("Z"):]
    return value, ""


_DATE_CUTS = {4: 4, 6: 7, 7: 7, 8: 10, 10: 10, 14: 16, 17: 23}
_TIME_CUTS = {2: 2, 4: 5, 6: 8, 9: 12}


def date_boundary(value: str, precision: int, high: bool) -> str:
    """DateTimeUtil.low/highBoundaryForDate (an hour without minutes is read as hh:00, as Java's parser does)."""
    text, zone = _split_zone(value)
    if len(text) == 4:
        text += "-12" if high else "-01"
    if len(text) == 7:
        text += f"-{monthrange(int(text[:4]), int(text[5:7]))[1]:02d}" if high else "-01"
    if len(text) == 10:
        text += "T23:59" if high else "T00:00"
    if len(text) == 13:
        text += ":00"
    if len(text) == 16:
        text += ":59" if high else ":00"
    if len(text) == 19:
        text += ".999" if high else ".000"
    if precision not in _DATE_CUTS:
        raise ValueError(f"unsupported date precision for a boundary: {precision}")
    tz = "" if precision <= 10 else zone or ("-12:00" if high else "+14:00")
    return text[:_DATE_CUTS[precision]] + tz


def time_boundary(value: str, precision: int, high: bool) -> str:
    text, zone = _split_zone(value)
    for size, low_part, high_part in ((2, ":00", ":59"), (5, ":00", ":59"), (8, ".000", ".999")):
        if len(text) == size:
            text += high_part if high else low_part
    if precision not in _TIME_CUTS:
        raise ValueError(f"unsupported time precision for a boundary: {precision}")
    return text[:_TIME_CUTS[precision]] + zone


_QUANTITIES = ("Quantity", "SimpleQuantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity")


def _boundary(inputs: list[Any], precision: Any, high: bool) -> list[Any]:
    if not inputs:
        return []
    if len(inputs) > 1:
        raise ValueError("lowBoundary/highBoundary: expected a single item")
    if isinstance(precision, list):
        precision = precision[0] if precision else None
    item, value = inputs[0], get_data(inputs[0])  # type: ignore[no-untyped-call]
    path = item.path if isinstance(item, ResourceNode) else None
    decimal = high_decimal if high else low_decimal
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        if precision is None or 0 <= precision < 17:
            return [Decimal(decimal(str(value), 8 if precision is None else precision))]
        return []
    if isinstance(value, FP_Quantity):
        text = decimal(str(value.value), 8 if precision is None else precision)
        return [FP_Quantity(Decimal(text), value.unit)]  # type: ignore[no-untyped-call]
    if isinstance(value, dict) and path in _QUANTITIES:
        # funcLowBoundary's ``base.hasType("Quantity")``: a copy of the resource's Quantity, its value moved
        if "value" not in value:
            return []
        text = decimal(str(value["value"]), 8 if precision is None else precision)
        return [ResourceNode.create_node({**value, "value": Decimal(text)}, path)]  # type: ignore[no-untyped-call]
    if isinstance(value, FP_Time):
        text = time_boundary(str(value.asStr).lstrip("T"), 9 if precision is None else precision, high)
        return [FP_Time(text)]  # type: ignore[no-untyped-call]
    if isinstance(value, FP_DateTime) or (isinstance(value, str) and path in ("date", "dateTime", "instant")):
        text = str(value.asStr if isinstance(value, FP_DateTime) else value).lstrip("@")
        default = 17 if "T" in text or path in ("dateTime", "instant") else 10
        return [FP_DateTime(date_boundary(text, default if precision is None else precision, high))]  # type: ignore[no-untyped-call]
    raise ValueError("lowBoundary/highBoundary: expected a decimal, a quantity, a date or a time")


def low_boundary(ctx: Any, inputs: list[Any], precision: Any = None) -> list[Any]:
    return _boundary(inputs, precision, False)


def high_boundary(ctx: Any, inputs: list[Any], precision: Any = None) -> list[Any]:
    return _boundary(inputs, precision, True)


TABLE: dict[str, dict[str, Any]] = {
    "lowBoundary": {"fn": low_boundary, "arity": {0: [], 1: ["Integer"]}},
    "highBoundary": {"fn": high_boundary, "arity": {0: [], 1: ["Integer"]}},
}
