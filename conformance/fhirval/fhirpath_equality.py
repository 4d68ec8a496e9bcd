"""FHIRPath ``=`` / ``!=`` as HL7's engine answers them (FHIRPathEngine.opEquals, BaseDateTimeType).

fhirpathpy 2.2.4 compares only the first items of two collections (``(1|2) = (1|3)`` was true) and calls a
date and a dateTime that agree up to the date's precision unequal, where FHIRPath (and HL7's
equalsUsingFhirPathRules) say empty: ``birthDate != @1974-12-25T12:34:00Z`` was true. Quantities are
compared by fhirpath_quantities.py; anything else is left to fhirpathpy's own item equality.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fhirpathpy.engine.invocations import equality as fp_equality
from fhirpathpy.engine.nodes import FP_DateTime, ResourceNode
from fhirpathpy.engine.util import get_data

from conformance.fhirval import fhirpath_quantities

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


def item_equal(ctx: Any, a: Any, b: Any) -> bool | None:
    """Two items as HL7's ``doEquals`` tells them: True, False, or None where it gives no answer (dates that agree
    only as far as both are precise); the item equality of ``=``, ``in`` and ``contains``."""
    return _item_equal(ctx, a, b)


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


def _item_equivalent(ctx: Any, a: Any, b: Any) -> bool:
    answer: bool = fp_equality.equivalence(ctx, [a], [b])  # type: ignore[no-untyped-call]
    return answer


def _equivalence(ctx: Any, left: list[Any], right: list[Any]) -> bool:
    """FHIRPath ``~`` on collections: the same size, each item of one equivalent to a distinct item of the
    other, in any order (fhirpathpy compared them in order). Equivalence is an equivalence relation, so a
    greedy matching finds one when one exists."""
    if len(left) != len(right):
        return False
    unused = list(right)
    for a in left:
        match = next((i for i, b in enumerate(unused) if _item_equivalent(ctx, a, b)), None)
        if match is None:
            return False
        unused.pop(match)
    return True


def equivalent(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    return [_equivalence(ctx, left, right)]


def not_equivalent(ctx: Any, left: list[Any], right: list[Any]) -> list[Any]:
    return [not _equivalence(ctx, left, right)]
