"""minValue[x] / maxValue[x] on a date, dateTime or instant, as HL7's validator judges them.

InstanceValidator.checkMinMaxValueDate (a ``date``) and checkMinMaxValueDateTime (``dateTime``, ``instant``), the
same in the release that recorded fhir-test-cases' outcomes (2026-06) and at HEAD (2026-08):

- values and bounds are compared as instants (BaseDateTimeType.after / before on java.util.Date), not as text: a
  value of year precision, ``2000``, is not before a minimum of ``2000-01-01`` (both are its first moment). A value
  or bound without a zone is read as UTC here (Java reads it in the machine's zone; both sides alike).
- a minimum of a temporal type (minValueDate on a date; minValueDateTime, minValueDate or minValueInstant on a
  dateTime or instant) is an error when the value is before it; a minimum of another type is not judged.
- a maximum of a temporal type is never an error there: the rule is written ``max.hasValue() || !max.before(v)``,
  true whenever the maximum has a value. A value after it is a warning here, so the fact is kept without failing a
  resource HL7's validator accepts.
- a Quantity bound is a duration from now (``limit.add(qty)`` for a maximum, ``subtract`` for a minimum, calendar
  years and months): a comparator on it, or a unit that is not an exact UCUM time (``a``, ``mo`` and ``ms`` whole
  numbers; ``wk``, ``d``, ``h``, ``min``, ``s``), is an error (TYPE_SPECIFIC_CHECKS_DT_QTY_COMP / _QTY_VALUE), else
  the value must not be after now + duration (maximum) or before now - duration (minimum).

``time`` bounds are compared as text by HL7 (TimeType.before / after: String.compareTo), which bounds.py does.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from conformance.fhirval.issues import Sink

UCUM: Final = "http://unitsofmeasure.org"
_TEMPORAL_BOUNDS: Final = {"date": ("Date",), "dateTime": ("DateTime", "Date", "Instant"),
                           "instant": ("DateTime", "Date", "Instant")}
# hasMaxValueQuantity / hasMinValueQuantity: ``instanceof Quantity``, its specialisations too (R5's maxValueDuration,
# written in R4 profiles, is read by HL7's lenient parser as such)
_QUANTITIES: Final = ("Quantity", "Duration", "Age", "Distance", "Count", "SimpleQuantity", "MoneyQuantity")
_FORM = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d\d)(?:-(?P<d>\d\d)(?:T(?P<hh>\d\d):(?P<mi>\d\d)(?::(?P<ss>\d\d)"
                   r"(?:\.(?P<frac>\d+))?)?(?P<tz>Z|[+-]\d\d:\d\d)?)?)?)?")
_EXACT: Final = {"wk": dt.timedelta(weeks=1), "d": dt.timedelta(days=1), "h": dt.timedelta(hours=1),
                 "min": dt.timedelta(minutes=1), "s": dt.timedelta(seconds=1), "ms": dt.timedelta(milliseconds=1)}


def moment(text: Any) -> dt.datetime | None:
    """The first instant a FHIR date, dateTime or instant denotes (UTC when it gives no zone); None if unreadable."""
    m = _FORM.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        return None
    tz = dt.UTC
    if m["tz"] and m["tz"] != "Z":
        sign = -1 if m["tz"][0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(m["tz"][1:3]), minutes=int(m["tz"][4:6])))
    micro = int((m["frac"] or "0")[:6].ljust(6, "0"))
    try:
        return dt.datetime(int(m["y"]), int(m["m"] or 1), int(m["d"] or 1), int(m["hh"] or 0), int(m["mi"] or 0),
                           min(int(m["ss"] or 0), 59), micro, tzinfo=tz)
    except ValueError:
        return None


def check_temporal_bounds(item: Any, tcode: str, ed: dict[str, Any], loc: str, sink: Sink,
                          now: dt.datetime | None = None) -> None:
    """The bounds of a date, dateTime or instant element on its value (see the module docstring)."""
    value = moment(item)
    if value is None:
        return  # HL7 judges the bounds only of a value of valid form, which primitives.py reports otherwise
    kinds = _TEMPORAL_BOUNDS.get(tcode, ())
    for side in ("max", "min"):
        bound = next(((k, ed[f"{side}Value{k}"]) for k in (*kinds, *_QUANTITIES) if f"{side}Value{k}" in ed), None)
        if bound is None:
            continue
        kind, given = bound
        if kind in _QUANTITIES:
            _duration(item, value, side, given, loc, sink, now or dt.datetime.now(dt.UTC))
            continue
        limit = moment(given)
        if limit is None:
            continue
        if side == "min" and limit > value:
            sink.error("min-value", loc, f"value {item} is before the minimum {given}")
        elif side == "max" and limit < value:
            sink.warning("max-value", loc, f"value {item} is after the maximum {given} (HL7's validator does not "
                                           f"report this: its maximum rule for {tcode} always passes)")


def _duration(item: Any, value: dt.datetime, side: str, qty: Any, loc: str, sink: Sink, now: dt.datetime) -> None:
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
    if side == "max":
        limit = _shift(now, amount, unit)
        if limit < value:
            sink.error("max-value", loc, f"value {item} is after today plus {shown} ({limit.date().isoformat()})")
    else:
        limit = _shift(now, -amount, unit)
        if limit > value:
            sink.error("min-value", loc, f"value {item} is before today minus {shown} ({limit.date().isoformat()})")


def _exact_time(qty: dict[str, Any]) -> tuple[Decimal, str] | None:
    """Quantity.isExactTime: a UCUM time unit, calendar years, months and milliseconds in whole numbers; the value
    must not be negative (BaseDateTimeType.add / subtract refuse it)."""
    code, raw = qty.get("code"), qty.get("value")
    if qty.get("system") != UCUM or not isinstance(code, str) or isinstance(raw, bool) or raw is None:
        return None
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0:
        return None
    if code in ("a", "mo", "ms"):
        return (amount, code) if amount == amount.to_integral_value() else None
    return (amount, code) if code in _EXACT else None


def _shift(now: dt.datetime, amount: Decimal, unit: str) -> dt.datetime:
    """now moved by a duration: calendar years and months as Java's Calendar adds them (the day clamped to the
    month's last), other units as fixed lengths."""
    if unit in ("a", "mo"):
        months = int(amount) * (12 if unit == "a" else 1)
        index = now.year * 12 + now.month - 1 + months
        year, month = divmod(index, 12)
        year = min(max(year, 1), 9999)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day)
    try:
        return now + _EXACT[unit] * float(amount)
    except OverflowError:
        return dt.datetime.max.replace(tzinfo=dt.UTC) if amount > 0 else \
            dt.datetime.min.replace(tzinfo=dt.UTC)


def _shown(qty: Any) -> str:
    if not isinstance(qty, dict):
        return str(qty)
    return f"{qty.get('comparator') or ''}{qty.get('value')} {qty.get('code') or qty.get('unit') or ''}".strip()
