"""Checks of HL7 v2 primitive values: dates and times, numbers, sequence ids, coded values, formats.

Each check returns None when the value is acceptable, else one sentence saying what is wrong, so the
validator can report it at the value's location. Dates are checked against the calendar, not just a
pattern: 20260230 is eight digits and still not a date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable

_DTM = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2}(?:\.\d{1,4})?)?([+-]\d{4})?$")
_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?$")
_TM = re.compile(r"^(\d{2})(\d{2})?(\d{2}(?:\.\d{1,4})?)?([+-]\d{4})?$")
_NM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_SI = re.compile(r"^\d{1,4}$")


def _date(year: str, month: str | None, day: str | None) -> str | None:
    if month is not None and not 1 <= int(month) <= 12:
        return f"month {month} is not 01-12"
    if day is not None and month is not None:
        last = calendar.monthrange(int(year), int(month))[1]
        if not 1 <= int(day) <= last:
            return f"day {day} does not exist in {year}-{month}"
    return None


def _time(hour: str | None, minute: str | None, second: str | None, zone: str | None) -> str | None:
    if hour is not None and int(hour) > 23:
        return f"hour {hour} is not 00-23"
    if minute is not None and int(minute) > 59:
        return f"minute {minute} is not 00-59"
    if second is not None and float(second) >= 60:
        return f"second {second} is not 00-59"
    if zone is not None and (int(zone[1:3]) > 14 or int(zone[3:]) > 59):
        return f"time zone offset {zone} is not a real offset"
    return None


def check_dtm(value: str) -> str | None:
    m = _DTM.match(value)
    if not m:
        return f"{value!r} is not a date/time YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]"
    year, month, day, hour, minute, second, zone = m.groups()
    if hour is not None and day is None:
        return f"{value!r} is not a date/time: a time needs a full date before it"
    return _date(year, month, day) or _time(hour, minute, second, zone)


def check_dt(value: str) -> str | None:
    m = _DT.match(value)
    if not m:
        return f"{value!r} is not a date YYYY[MM[DD]]"
    return _date(*m.groups())


def check_tm(value: str) -> str | None:
    m = _TM.match(value)
    if not m:
        return f"{value!r} is not a time HH[MM[SS[.S]]][+/-ZZZZ]"
    return _time(*m.groups())


def check_nm(value: str) -> str | None:
    return None if _NM.match(value) else f"{value!r} is not a number (NM: optional sign, digits, optional point)"


def check_si(value: str) -> str | None:
    return None if _SI.match(value) else f"{value!r} is not a sequence id (SI: a non-negative whole number)"


PRIMITIVES: dict[str, Callable[[str], str | None]] = {
    "DTM": check_dtm, "TS": check_dtm, "DT": check_dt, "TM": check_tm, "NM": check_nm, "SI": check_si,
}


def nhs_number(value: str) -> bool:
    """Ten digits whose modulus-11 check digit is right (NHS Data Dictionary: NHS NUMBER)."""
    if not re.fullmatch(r"\d{10}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(value[9])


FORMATS: dict[str, Callable[[str], bool]] = {
    "nhs-number": nhs_number,
    # ODS organisation codes: 3 to 6 letters and digits (trusts RXX, sites RXX01, practices A12345).
    "ods-code": lambda v: re.fullmatch(r"[A-Z0-9]{3,6}", v) is not None,
    "uk-postcode": lambda v: re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", v) is not None,
    "gmc-number": lambda v: re.fullmatch(r"[CG]?\d{7}", v) is not None,
    "date": lambda v: check_dt(v) is None,
    "datetime": lambda v: check_dtm(v) is None,
    "number": lambda v: check_nm(v) is None,
}
