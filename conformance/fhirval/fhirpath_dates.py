"""Date, dateTime and time plus or minus a quantity, as HL7's FHIRPathEngine computes it (``dateAdd`` / ``timeAdd``).

fhirpathpy 2.2 gave a zoned dateTime back in UTC (``@1973-12-25T00:00:00.000+10:00 + 7 days`` was
``1973-12-31T14:00:00.000+00:00``, the same instant written otherwise), dropped the fraction of a second
(``+ 0.1 's'`` added nothing), raised a TypeError on any time (``@T23:00:00 + 2 hours``) and a
ValueError on ``- 1 'month'``. HL7's engine adds on a copy of the value (``BaseDateTimeType.add`` on its own
Calendar, in its own zone) and keeps the value's precision; a time wraps at midnight. The amount is the
quantity's integer part, except seconds, whose fraction is added as milliseconds. The units are the calendar
words (singular or plural) and the UCUM ``wk d h min s ms``; UCUM ``a`` and ``mo`` raise
FHIRPATH_ARITHMETIC_QTY and any other unit FHIRPATH_ARITHMETIC_UNIT (both errors here too).

Only the validator's own evaluations (contexts marked ``PRIMITIVES_WHOLE``) are affected. So are literals
(``processDateConstant``): ``@2015T`` (a dateTime ending in ``T``, which fhirpath_syntax lets through as HL7's
lexer does) is the date before it, as Java's ``split("T")`` makes it; a time literal with a zone raises
(FHIRPATH_UNKNOWN_CONTEXT), where fhirpathpy read ``@T14:34:28Z`` as a time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import math as fp_math
from fhirpathpy.engine.nodes import FP_DateTime, FP_Quantity, FP_Time
from fhirpathpy.engine.util import get_data, val_data_converted

from conformance.fhirval.fhirpath_primitives import PRIMITIVES_WHOLE

_UNITS = {"year": "year", "years": "year", "month": "month", "months": "month", "week": "week", "weeks": "week",
          "wk": "week", "day": "day", "days": "day", "d": "day", "hour": "hour", "hours": "hour", "h": "hour",
          "minute": "minute", "minutes": "minute", "min": "minute", "second": "second", "seconds": "second",
          "s": "second", "millisecond": "millisecond", "milliseconds": "millisecond", "ms": "millisecond"}
_STEP = {"week": timedelta(weeks=1), "day": timedelta(days=1), "hour": timedelta(hours=1),
         "minute": timedelta(minutes=1), "second": timedelta(seconds=1), "millisecond": timedelta(milliseconds=1)}
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?)?"
                   r"(Z|[+-]\d{2}:\d{2})?")
_TIME = re.compile(r"(\d{2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?")


def _amount(quantity: FP_Quantity) -> tuple[str, int, int]:
    """The unit (HL7's case label), the integer amount and, for seconds, the milliseconds of the fraction."""
    unit = str(quantity.unit).strip("'")
    kind = _UNITS.get(unit)
    if kind is None:
        reason = "FHIRPATH_ARITHMETIC_QTY" if unit in ("a", "mo") else "FHIRPATH_ARITHMETIC_UNIT"
        raise ValueError(f"date arithmetic with the unit {unit!r} ({reason})")
    value = float(quantity.value)
    whole = int(value)  # Java's intValue(): towards zero
    return kind, whole, int((value - whole) * 1000) if kind == "second" else 0


def _shift(moment: datetime, kind: str, whole: int, ms: int) -> datetime:
    if kind in ("year", "month"):  # Calendar.add: the day kept, clamped to the month's length
        months = moment.month - 1 + whole * (12 if kind == "year" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
    return moment + _STEP[kind] * whole + timedelta(milliseconds=ms)


def add_to_date(text: str, quantity: FP_Quantity) -> str | None:
    """``text`` (a date or dateTime as written) plus the quantity, written at the same precision and zone."""
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                      int(second or 0), round(float(fraction or 0) * 1000) * 1000)
    moment = _shift(moment, *_amount(quantity))
    out = f"{moment.year:04d}"
    for part, value in (("-", month and moment.month), ("-", day and moment.day), ("T", hour and moment.hour),
                        (":", minute and moment.minute), (":", second and moment.second)):
        if value is None:
            break
        out += f"{part}{value:02d}"
    if fraction:  # precision MILLI: three digits
        out += f".{moment.microsecond // 1000:03d}"
    return out + (zone or "")


def add_to_time(text: str, quantity: FP_Quantity) -> str | None:
    """A time plus the quantity (hours and less), wrapping at midnight, at the same precision."""
    m = _TIME.fullmatch(text)
    kind, whole, ms = _amount(quantity)
    if m is None or kind not in ("hour", "minute", "second", "millisecond"):
        return None
    hour, minute, second, fraction = m.groups()
    moment = datetime(2000, 1, 1, int(hour), int(minute or 0), int(second or 0),
                      round(float(fraction or 0) * 1000) * 1000)
    moment = datetime(2000, 1, 1) + (_shift(moment, kind, whole, ms) - datetime(2000, 1, 1)) % timedelta(days=1)
    out = f"{moment.hour:02d}" + (f":{moment.minute:02d}" if minute else "")
    out += f":{moment.second:02d}" if second else ""
    return out + (f".{moment.microsecond // 1000:03d}" if fraction else "")


def _arith(sign: int, original: Callable[..., Any]) -> Callable[..., Any]:
    def op(ctx: dict[str, Any], left: list[Any], right: list[Any]) -> Any:
        if ctx.get(PRIMITIVES_WHOLE) and len(left) == 1 and len(right) == 1:
            x = get_data(val_data_converted(left[0]))  # type: ignore[no-untyped-call]
            y = get_data(val_data_converted(right[0]))  # type: ignore[no-untyped-call]
            if isinstance(y, FP_Quantity) and isinstance(x, FP_DateTime | FP_Time):
                amount = FP_Quantity(-y.value if sign < 0 else y.value, y.unit)  # type: ignore[no-untyped-call]
                text = str(getattr(x, "asStr", x)).lstrip("@T")
                if isinstance(x, FP_Time):
                    moved = add_to_time(text, amount)
                    return FP_Time(moved) if moved is not None else original(ctx, left, right)  # type: ignore[no-untyped-call]
                moved = add_to_date(text, amount)
                return FP_DateTime(moved) if moved is not None else original(ctx, left, right)  # type: ignore[no-untyped-call]
        return original(ctx, left, right)
    return op


TABLE: dict[str, dict[str, Any]] = {
    "+": {"fn": _arith(1, fp_math.plus), "arity": {2: ["Any", "Any"]}, "nullable": True},
    "-": {"fn": _arith(-1, fp_math.minus), "arity": {2: ["Any", "Any"]}, "nullable": True},
}


_FHIRPATHPY_DATETIME = evaluators["DateTimeLiteral"]
_FHIRPATHPY_TIME = evaluators["TimeLiteral"]
_ZONE = re.compile(r"[-+Z]")


def _date_time_literal(ctx: Any, parent: Any, node: dict[str, Any]) -> Any:
    text = str(node.get("text") or "")
    if text.endswith("T") and ctx.get(PRIMITIVES_WHOLE):  # a partial dateTime: Java's split("T") keeps the date
        node = {**node, "text": text[:-1]}
    return _FHIRPATHPY_DATETIME(ctx, parent, node)


def _time_literal(ctx: Any, parent: Any, node: dict[str, Any]) -> Any:
    if ctx.get(PRIMITIVES_WHOLE) and _ZONE.search(str(node.get("text") or "")[2:]):
        raise ValueError(f"a time literal has no time zone: {node.get('text')} (FHIRPATH_UNKNOWN_CONTEXT)")
    return _FHIRPATHPY_TIME(ctx, parent, node)


evaluators["DateTimeLiteral"] = _date_time_literal
evaluators["TimeLiteral"] = _time_literal
