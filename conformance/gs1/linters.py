"""Content checks ("linters") named in the Syntax Dictionary, one function per name.

Each takes a component's data and returns None when it is fine or a ``Defect``: a stable defect code
a test or a report can key on, a sentence for a person, and the offset of the bad part within the
component. Names the dictionary uses that we cannot check offline (``gcppos1``/``gcppos2`` need a
GS1 Company Prefix database) map to a no-op; names from a newer release that we do not know are
reported by the validator as not checked, never silently passed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import NamedTuple

from conformance.gs1.codes import ISO3166_ALPHA2, ISO3166_NUMERIC, ISO4217_NUMERIC

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
CSET39 = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CSET64 = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CSET82_VALUE = {ch: i for i, ch in enumerate(CSET82)}
_PRIMES = [p for p in range(2, 520) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


class Defect(NamedTuple):
    code: str
    message: str
    offset: int = 0


Linter = Callable[[str], Defect | None]


def check_digit(payload: str) -> int:
    """GS1 mod-10 check digit for the digits before it (weights 3,1,3... from the right)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += (ord(ch) - 48) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def csum(data: str) -> Defect | None:
    if len(data) < 2 or not (data.isascii() and data.isdigit()):
        return None  # length and character set are reported on their own
    expected = check_digit(data[:-1])
    if int(data[-1]) != expected:
        return Defect("check-digit", f"check digit is {data[-1]}, expected {expected}", len(data) - 1)
    return None


def check_pair(payload: str) -> str:
    """The two check characters (CSET 32) that end an alphanumeric key such as a GMN."""
    total = 0
    for i, ch in enumerate(payload):
        total += _CSET82_VALUE[ch] * _PRIMES[len(payload) - 1 - i]
    total %= 1021
    return CSET32[total >> 5] + CSET32[total & 31]


def csumalpha(data: str) -> Defect | None:
    if len(data) < 2:
        return Defect("check-pair", "too short to hold the two check characters")
    if any(ch not in _CSET82_VALUE for ch in data[:-2]) or len(data) - 2 > len(_PRIMES):
        return None  # character set reported on its own
    if any(ch not in CSET32 for ch in data[-2:]):
        return Defect("check-pair", f"check characters {data[-2:]!r} must be from CSET 32 ({CSET32})",
                      len(data) - 2)
    expected = check_pair(data[:-2])
    if data[-2:] != expected:
        return Defect("check-pair", f"check character pair is {data[-2:]}, expected {expected}", len(data) - 2)
    return None


def century(yy: int, today: datetime.date | None = None) -> int:
    """GS1 General Specifications 7.12: a two-digit year is within 49 years ahead / 50 behind."""
    now = (today or datetime.date.today()).year
    diff = yy - now % 100
    base = now - now % 100
    if diff >= 51:
        return base - 100 + yy
    if diff <= -50:
        return base + 100 + yy
    return base + yy


def _date(year: int, data: str, offset: int, allow_day_zero: bool) -> Defect | None:
    month, day = int(data[offset:offset + 2]), int(data[offset + 2:offset + 4])
    if not 1 <= month <= 12:
        return Defect("date", f"month {data[offset:offset + 2]} is not 01-12", offset)
    if day == 0 and allow_day_zero:
        return None
    if day == 0:
        return Defect("date", "day 00 is not allowed here (only YYMMD0 dates such as expiry may use it)",
                      offset + 2)
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    if day > last:
        return Defect("date", f"day {data[offset + 2:offset + 4]} does not exist in {year:04d}-{month:02d}",
                      offset + 2)
    return None


def _digits(data: str, n: int) -> bool:
    return len(data) == n and data.isascii() and data.isdigit()


def yymmd0(data: str) -> Defect | None:
    return _date(century(int(data[:2])), data, 2, True) if _digits(data, 6) else None


def yymmdd(data: str) -> Defect | None:
    return _date(century(int(data[:2])), data, 2, False) if _digits(data, 6) else None


def yyyymmdd(data: str) -> Defect | None:
    return _date(int(data[:4]), data, 4, False) if _digits(data, 8) else None


def yyyymmd0(data: str) -> Defect | None:
    return _date(int(data[:4]), data, 4, True) if _digits(data, 8) else None


def _bounded(name: str, limit: int) -> Linter:
    def lint(data: str) -> Defect | None:
        if data.isascii() and data.isdigit() and int(data) > limit:
            return Defect("time" if name in ("hour", "minute", "second") else "content",
                          f"{name} {data} is above {limit}")
        return None

    return lint


def hhmi(data: str) -> Defect | None:
    if not _digits(data, 4):
        return None
    if int(data[:2]) > 23:
        return Defect("time", f"hour {data[:2]} is not 00-23")
    if int(data[2:]) > 59:
        return Defect("time", f"minute {data[2:]} is not 00-59", 2)
    return None


def _member(name: str, codes: frozenset[str]) -> Linter:
    def lint(data: str) -> Defect | None:
        return None if data in codes else Defect("code", f"{data!r} is not an {name} code")

    return lint


def _one_of(allowed: str, what: str) -> Linter:
    def lint(data: str) -> Defect | None:
        return None if data in allowed.split() else Defect("content", f"{data!r} is not {what}")

    return lint


def nonzero(data: str) -> Defect | None:
    return Defect("content", "must not be zero") if data.strip("0") == "" else None


def nozeroprefix(data: str) -> Defect | None:
    return Defect("content", "must not start with 0") if len(data) > 1 and data[0] == "0" else None


def hasnondigit(data: str) -> Defect | None:
    return Defect("content", "must contain at least one non-digit") if data.isdigit() else None


def pieceoftotal(data: str) -> Defect | None:
    if not _digits(data, 4):
        return None
    piece, total = int(data[:2]), int(data[2:])
    if piece == 0 or total == 0 or piece > total:
        return Defect("content", f"piece {data[:2]} of total {data[2:]} is not a valid piece number")
    return None


def posinseqslash(data: str) -> Defect | None:
    if len(data) != 3 or data[1] != "/" or not (data[0] + data[2]).isdigit():
        return Defect("content", f"{data!r} is not POSITION/SEQUENCE such as 1/2")
    if data[0] == "0" or data[2] == "0" or int(data[0]) > int(data[2]):
        return Defect("content", f"position {data[0]} of {data[2]} is not valid")
    return None


def pcenc(data: str) -> Defect | None:
    hexdigits = "0123456789ABCDEFabcdef"
    for i, ch in enumerate(data):
        if ch == "%" and not (len(data) >= i + 3 and data[i + 1] in hexdigits and data[i + 2] in hexdigits):
            return Defect("content", "'%' must start a percent-encoded byte such as %20", i)
    return None


def iban(data: str) -> Defect | None:
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if len(data) < 5 or data[:2] not in ISO3166_ALPHA2 or not data[2:4].isdigit() or \
            any(ch not in alnum for ch in data):
        return Defect("content", f"{data!r} is not an IBAN (country, two check digits, then 0-9 A-Z)")
    moved = data[4:] + data[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return None if int(number) % 97 == 1 else Defect("check-digit", "IBAN check digits do not match", 2)


def latitude(data: str) -> Defect | None:
    return _bounded("latitude", 1800000000)(data)


def longitude(data: str) -> Defect | None:
    return _bounded("longitude", 3600000000)(data)


def mediatype(data: str) -> Defect | None:
    if data.isdigit() and (1 <= int(data) <= 10 or 80 <= int(data) <= 99):
        return None
    return Defect("code", f"{data!r} is not an AIDC media type (01-10, 80-99)")


def importeridx(data: str) -> Defect | None:
    return None if len(data) == 1 and data in CSET64 else Defect("content", f"{data!r} is not an importer index")


def _noop(data: str) -> Defect | None:
    return None


LINTERS: dict[str, Linter] = {
    "csum": csum, "csumalpha": csumalpha,
    "yymmd0": yymmd0, "yymmdd": yymmdd, "yyyymmdd": yyyymmdd, "yyyymmd0": yyyymmd0,
    "hhmi": hhmi, "hh": _bounded("hour", 23), "mi": _bounded("minute", 59), "ss": _bounded("second", 59),
    "iso3166": _member("ISO 3166 numeric country", ISO3166_NUMERIC),
    "iso3166999": _member("ISO 3166 numeric country (or 999)", ISO3166_NUMERIC | {"999"}),
    "iso3166alpha2": _member("ISO 3166 alpha-2 country", ISO3166_ALPHA2),
    "iso4217": _member("ISO 4217 numeric currency", ISO4217_NUMERIC),
    "iso5218": _one_of("0 1 2 9", "an ISO 5218 sex code (0, 1, 2, 9)"),
    "yesno": _one_of("0 1", "0 or 1"), "zero": _one_of("0", "0"), "hyphen": _one_of("-", "'-'"),
    "winding": _one_of("0 1 9", "a winding direction (0, 1, 9)"),
    "importeridx": importeridx,
    "nonzero": nonzero, "nozeroprefix": nozeroprefix, "hasnondigit": hasnondigit,
    "pieceoftotal": pieceoftotal, "posinseqslash": posinseqslash, "pcenc": pcenc, "iban": iban,
    "latitude": latitude, "longitude": longitude, "mediatype": mediatype,
    # Need a GS1 Company Prefix database; the Syntax Engine also skips them without one.
    "gcppos1": _noop, "gcppos2": _noop,
}
