"""minValue[x] / maxValue[x] on a date, dateTime or instant, as HL7's validator judges them.

InstanceValidator.checkMinMaxValueDate (a ``date``) and checkMinMaxValueDateTime (``dateTime``, ``instant``), the
same in the release that recorded fhir-test-cases' outcomes (2026-06) and at HEAD (2026-08):

- values and bounds are compared as instants (BaseDateTimeType.after / before on java.util.Date, milliseconds, a
  leap second rolled into the next minute), not as text: a value of year precision, ``2000``, is not before a
  minimum of ``2000-01-01`` (both are its first moment). Java reads a value without a zone in its machine's zone;
  which zone recorded the outcomes is not known, so where only one side has a zone a value is judged out of bounds
  only when it is for every zone from -12:00 to +14:00 (never a false alarm for the zone).
- a minimum of a temporal type (minValueDate on a date; minValueDateTime, minValueDate or minValueInstant on a
  dateTime or instant) is an error when the value is before it.
- a maximum of a temporal type is never an error there: the rule is written ``max.hasValue() || !max.before(v)``,
  true whenever the maximum has a value. A value after it is a warning here, so the fact is kept without failing a
  resource HL7's validator accepts.
- a Quantity bound is a duration from now (``limit.add(qty)`` for a maximum, ``subtract`` for a minimum, calendar
  years and months): a comparator on it, or a unit that is not an exact UCUM time (``a``, ``mo`` and ``ms`` whole
  numbers; ``wk``, ``d``, ``h``, ``min``, ``s``), is an error (TYPE_SPECIFIC_CHECKS_DT_QTY_COMP / _QTY_VALUE), else
  the value must not be after now + duration (maximum) or before now - duration (minimum).
- what makes Java throw inside these methods is its catch's error (TYPE_SPECIFIC_CHECKS_DT_DATE_VALID /
  _DATETIME_VALID), and the rest of the method is skipped: a negative duration, one too large for Java's int years
  or long milliseconds, a fixed-length duration that is not a whole number of milliseconds, and a bound of another
  type (the message's argument ``getMaxValueDateType()`` throws "Type mismatch" for a maximum that is not a date).

``time`` bounds are compared as text by HL7 (TimeType.before / after: String.compareTo), which bounds.py does.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from conformance.fhirval.issues import Sink
from conformance.fhirval.ucum import UCUM

# the temporal bound types each method reads, besides a Quantity
_TEMPORAL_BOUNDS: Final = {"date": ("Date",), "dateTime": ("DateTime", "Date", "Instant"),
                           "instant": ("DateTime", "Date", "Instant")}
# hasMaxValueQuantity / hasMinValueQuantity: ``instanceof Quantity``, its specialisations too (R5's maxValueDuration,
# written in R4 profiles, is read by HL7's lenient parser as such)
_QUANTITIES: Final = ("Quantity", "Duration", "Age", "Distance", "Count", "SimpleQuantity", "MoneyQuantity")
_FORM = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d\d)(?:-(?P<d>\d\d)(?:T(?P<hh>\d\d):(?P<mi>\d\d)(?::(?P<ss>\d\d)"
                   r"(?:\.(?P<frac>\d+))?)?(?P<tz>Z|[+-]\d\d:\d\d)?)?)?)?")
_MILLIS: Final = {"wk": 604_800_000, "d": 86_400_000, "h": 3_600_000, "min": 60_000, "s": 1000}
_EARLIEST: Final = dt.datetime.min.replace(tzinfo=dt.UTC)
_LATEST: Final = dt.datetime.max.replace(tzinfo=dt.UTC)
_WEST, _EAST = dt.timedelta(hours=12), dt.timedelta(hours=14)  # the zones a value without one may be read in
_INT_MAX, _LONG_MAX = 2**31 - 1, 2**63 - 1


class _Thrown(Exception):
    """What makes Java's method throw: its catch reports the value invalid."""

    def __init__(self, side: str, why: str) -> None:
        super().__init__(why)
        self.side = side


def moment(text: Any) -> tuple[dt.datetime, bool] | None:
    """The first instant a FHIR date, dateTime or instant denotes, read as UTC when it gives no zone, and whether it
    gives one; None if unreadable. Milliseconds as Java keeps them; second 60 rolls into the next minute."""
    m = _FORM.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        return None
    try:
        tz = dt.UTC
        if m["tz"] and m["tz"] != "Z":
            sign = -1 if m["tz"][0] == "-" else 1
            tz = dt.timezone(sign * dt.timedelta(hours=int(m["tz"][1:3]), minutes=int(m["tz"][4:6])))
        start = dt.datetime(int(m["y"]), int(m["m"] or 1), int(m["d"] or 1), int(m["hh"] or 0), int(m["mi"] or 0),
                            tzinfo=tz)
        millis = int((m["frac"] or "0")[:3].ljust(3, "0"))
        return start + dt.timedelta(seconds=int(m["ss"] or 0), milliseconds=millis), bool(m["tz"])
    except (ValueError, OverflowError):  # a month 13, an offset of a day or more: not an instant
        return None


def check_temporal_bounds(item: Any, tcode: str, ed: dict[str, Any], loc: str, sink: Sink,
                          now: dt.datetime | None = None) -> None:
    """The bounds of a date, dateTime or instant element on its value (see the module docstring)."""
    value = moment(item)
    if value is None:
        return  # HL7 judges the bounds only of a value of valid form, which primitives.py reports otherwise
    now = now or dt.datetime.now(dt.UTC)
    try:
        for side in ("max", "min"):
            _side(item, value, tcode, side, ed, loc, sink, now)
    except _Thrown as why:
        sink.error(f"{why.side}-value", loc, f"the {tcode} value {item} cannot be checked against its profile's "
                                             f"bounds: {why}")


def _bound(ed: dict[str, Any], side: str) -> tuple[str, Any] | None:
    prefix = f"{side}Value"
    return next(((k[len(prefix):], v) for k, v in ed.items() if k.startswith(prefix) and len(k) > len(prefix)), None)


def _side(item: Any, value: tuple[dt.datetime, bool], tcode: str, side: str, ed: dict[str, Any], loc: str,
          sink: Sink, now: dt.datetime) -> None:
    bound = _bound(ed, side)
    if bound is None:
        return
    kind, given = bound
    if kind in _QUANTITIES:
        _duration(item, value, side, given, loc, sink, now)
        return
    if kind not in _TEMPORAL_BOUNDS[tcode]:
        # the method's last branch names ``getMaxValueDateType().primitiveValue()``: "Type mismatch" when the
        # maximum is there and is not a date (for a maximum, it is this one)
        maximum = _bound(ed, "max")
        if maximum is not None and maximum[0] != "Date":
            raise _Thrown(side, f"its {side}imum is a {kind}, which does not bound a {tcode}")
        return
    limit = moment(given)
    if limit is None:
        return
    if side == "min" and _earliest(limit, value) > _latest(value, limit):
        sink.error("min-value", loc, f"value {item} is before the minimum {given}")
    elif side == "max" and limit[0] < value[0]:
        sink.warning("max-value", loc, f"value {item} is after the maximum {given} (HL7's validator does not "
                                       f"report this: its maximum rule for {tcode} always passes)")


def _earliest(this: tuple[dt.datetime, bool], other: tuple[dt.datetime, bool]) -> dt.datetime:
    """The earliest instant ``this`` may be when only it lacks a zone (read in the easternmost zone), else itself."""
    return this[0] - _EAST if not this[1] and other[1] else this[0]


def _latest(this: tuple[dt.datetime, bool], other: tuple[dt.datetime, bool]) -> dt.datetime:
    return this[0] + _WEST if not this[1] and other[1] else this[0]


def _duration(item: Any, value: tuple[dt.datetime, bool], side: str, qty: Any, loc: str, sink: Sink,
              now: dt.datetime) -> None:
    shown = _shown(qty)
    if not isinstance(qty, dict):
        return
    if qty.get("comparator") is not None:
        sink.error(f"{side}-value", loc, f"the {side}imum {shown} is a duration with a comparator, which cannot "
                                         "bound a date")
        return
    delta = _exact_time(qty)
    if delta is None:
        sink.error(f"{side}-value", loc, f"the {side}imum {shown} is not an exact UCUM time (a, mo, wk, d, h, min, "
                                         "s, ms; a, mo and ms in whole numbers)")
        return
    amount, unit = delta
    limit = _shift(now, amount if side == "max" else -amount, unit, side)
    fixed = (limit, True)
    if side == "max" and limit < _earliest(value, fixed):
        sink.error("max-value", loc, f"value {item} is after now plus {shown} ({limit.date().isoformat()})")
    elif side == "min" and limit > _latest(value, fixed):
        sink.error("min-value", loc, f"value {item} is before now minus {shown} ({limit.date().isoformat()})")


def _exact_time(qty: dict[str, Any]) -> tuple[Decimal, str] | None:
    """Quantity.isExactTime: a UCUM time unit with a value, calendar years, months and milliseconds in whole
    numbers."""
    code, raw = qty.get("code"), qty.get("value")
    if qty.get("system") != UCUM or not isinstance(code, str) or isinstance(raw, bool) or raw is None:
        return None
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite():
        return None
    if code in ("a", "mo", "ms"):
        return (amount, code) if amount == amount.to_integral_value() else None
    return (amount, code) if code in _MILLIS else None


def _shift(now: dt.datetime, amount: Decimal, unit: str, side: str) -> dt.datetime:
    """now moved by a duration, as BaseDateTimeType.add / subtract (applyUcumDelta) move it: calendar years and
    months (the day clamped to the month's end), else whole milliseconds. What Java refuses raises _Thrown."""
    if (amount < 0) != (side == "min") and amount != 0:
        raise _Thrown(side, f"the {side}imum duration is negative")  # add / subtract: "Value must be non-negative"
    if unit in ("a", "mo"):
        if abs(amount) > _INT_MAX:
            raise _Thrown(side, f"the {side}imum duration is too large (Math.toIntExact)")
        months = int(amount) * (12 if unit == "a" else 1)
        index = now.year * 12 + now.month - 1 + months
        year, month = divmod(index, 12)
        if not 1 <= year <= 9999:
            return _LATEST if months > 0 else _EARLIEST
        return now.replace(year=year, month=month + 1, day=min(now.day, calendar.monthrange(year, month + 1)[1]))
    millis = amount * _MILLIS.get(unit, 1)
    if millis != millis.to_integral_value() or abs(millis) > _LONG_MAX:
        raise _Thrown(side, f"the {side}imum duration is not a whole number of milliseconds Java can hold")
    try:
        return now + dt.timedelta(milliseconds=int(millis))
    except OverflowError:
        return _LATEST if millis > 0 else _EARLIEST


def _shown(qty: Any) -> str:
    if not isinstance(qty, dict):
        return str(qty)
    return f"{qty.get('comparator') or ''}{qty.get('value')} {qty.get('code') or qty.get('unit') or ''}".strip()
