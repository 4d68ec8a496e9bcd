"""FHIR R4 primitive types: the JSON type each one takes and the spec's lexical rules.

The regexes are the ones R4 (4.0.1) publishes on each primitive's ``value`` element (the
``regex`` extension); ``tests/fhirval/test_validate_primitives.py`` checks that this table still equals
the definitions, so it cannot drift. Where the regex admits values the spec forbids elsewhere
(30 February, integers beyond 32 bits, base64 of the wrong length) a semantic check follows the regex,
as the reference validator does.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from conformance.fhirval.issues import Sink
from conformance.fhirval.java_text import is_blank, letter_or_digit, trim_ws
from conformance.safejson import FloatText

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TZ = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"

REGEX: dict[str, str] = {
    "boolean": r"true|false",
    "integer": r"-?([0]|([1-9][0-9]*))",
    "string": r"[ \r\n\t\S]+",
    "decimal": r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?",
    "uri": r"\S*",
    "url": r"\S*",
    "canonical": r"\S*",
    "base64Binary": r"(\s*([0-9a-zA-Z\+/=]){4}\s*)+",
    "instant": _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T" + _TIME + _TZ,
    "date": _YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?",
    "dateTime": _YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T" + _TIME + _TZ + r")?)?)?",
    "time": _TIME,
    "code": r"[^\s]+(\s[^\s]+)*",
    "oid": r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+",
    "id": r"[A-Za-z0-9\-\.]{1,64}",
    "markdown": r"[ \r\n\t\S]+",
    "unsignedInt": r"[0]|([1-9][0-9]*)",
    "positiveInt": r"[1-9][0-9]*",
    "uuid": r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
}
PRIMITIVES = frozenset(REGEX) | {"xhtml"}
_COMPILED = {name: re.compile(pattern, re.ASCII) for name, pattern in REGEX.items()}  # \s as in Java: ASCII only
# HL7's validator replaces string's published regex by "any non-empty text" and exempts markdown
# (FHIRPathExpressionFixer.fixRegex, InstanceValidator ID_EXEMPT_LIST): a form feed or vertical tab is no error.
_COMPILED["string"] = _COMPILED["markdown"] = re.compile(r"[\s\S]+")
# HL7's time check is narrower than R4's published regex: no fractional seconds (InstanceValidator.checkPrimitive,
# TYPE_SPECIFIC_CHECKS_DT_TIME_VALID, the regex below); dateTime and instant keep them.
_COMPILED["time"] = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)", re.ASCII)
# And its code check (passesCodeWhitespaceRules): no whitespace but single spaces between tokens, where R4's regex
# allows a lone tab or newline. HL7's whitespace (Utilities.isWhitespace) holds ASCII's and Unicode's spaces, NBSP
# among them: R4's own CodeSystem-v2-0550 example ends three codes in NBSP, an error to HL7 (fhir-test-cases
# cs-v2-0550).
HL7_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_COMPILED["code"] = re.compile(f"[^{HL7_WHITESPACE}]+( [^{HL7_WHITESPACE}]+)*")
# base64Binary is exempt from its regex there too (InstanceValidator ID_EXEMPT_LIST): HL7 judges it only by
# Base64Util.isValidBase64, below (whitespace anywhere is a warning in R4, an error from R5).
del _COMPILED["base64Binary"]

# The JSON shape of each primitive (json-type in the spec's terms).
BOOLEAN = frozenset({"boolean"})
INTEGERS = frozenset({"integer", "unsignedInt", "positiveInt"})
NUMBERS = frozenset({"decimal"})
INT32 = (-(2**31), 2**31 - 1)
MAX_STRING = 1_048_576


def json_type_of(fhir_type: str) -> str:
    """``boolean``, ``integer``, ``number`` or ``string``: what the JSON value must be."""
    if fhir_type in BOOLEAN:
        return "boolean"
    if fhir_type in INTEGERS:
        return "integer"
    if fhir_type in NUMBERS:
        return "number"
    return "string"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def check_json_type(fhir_type: str, value: Any) -> str | None:
    """A message when the JSON value has the wrong JSON type for the primitive, else None."""
    want = json_type_of(fhir_type)
    got = _json_kind(value)
    if got == want or (want == "number" and got == "integer"):
        return None
    article = "an" if fhir_type[:1] in ("a", "e", "i", "o") else "a"  # an integer, an id; a uri, a uuid
    return f"the value of {article} {fhir_type} must be a JSON {want}, not a JSON {got} ({_show(value)})"


def check_lexical(fhir_type: str, value: Any) -> str | None:
    """A message when the (correctly typed) value breaks the type's rules, else None."""
    if fhir_type in INTEGERS:
        if not INT32[0] <= value <= INT32[1]:
            return f"{value} is outside the 32-bit range of {fhir_type}"
        if fhir_type == "unsignedInt" and value < 0:
            return f"{value} is not a valid unsignedInt (must be 0 or more)"
        if fhir_type == "positiveInt" and value < 1:
            return f"{value} is not a valid positiveInt (must be 1 or more)"
        return None
    if fhir_type == "decimal" or fhir_type == "boolean":
        if isinstance(value, FloatText):  # read from its text (decimal_range): no double's limit is HL7's
            return f"The value '{value.text}' is not a valid decimal" if _zero_led(value) else None
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return f"{value} is not a valid decimal"  # NaN, Infinity: words, not numbers, to HL7's JsonParser
        return None
    if not isinstance(value, str):
        return None
    if value == "":
        return f"a {fhir_type} value cannot be empty: leave the property out instead"
    if fhir_type == "xhtml":
        return None
    # the 1 MB limit is string's (R4 datatypes: "strings SHALL NOT exceed 1MB"), and HL7's validator judges it on
    # string alone (InstanceValidator.checkPrimitive: TYPE_SPECIFIC_CHECKS_DT_STRING_LENGTH in the "string" branch;
    # not markdown, the uri types or code; base64Binary only BASE64_TOO_LONG by a profile's maxSize)
    if len(value) > MAX_STRING and fhir_type == "string":
        return f"the {fhir_type} is {len(value)} characters, more than the {MAX_STRING} allowed"
    if fhir_type in _URI_TYPES and isinstance(value, str) and _uri_suspect(fhir_type, value):
        found = uri_problems(fhir_type, value)
        if found:
            return "\n".join(found)  # one error each (report_primitive)
    pattern = _COMPILED.get(fhir_type)
    if pattern is not None and fhir_type not in _ANY_TEXT and not pattern.fullmatch(value):
        return f"{_show(value)} is not a valid {fhir_type}{_hint(fhir_type)}"
    if fhir_type in ("date", "dateTime", "instant"):
        return _check_day(fhir_type, value)
    if fhir_type == "base64Binary" and not base64_valid(value):
        return f"{_show(value)} is not a valid base64Binary value"
    return None


def base64_valid(value: str) -> bool:
    """HL7's Base64Util.isValidBase64, the whole of its base64Binary check (every FHIR version): the letters,
    digits, ``+``, ``/`` and ``=`` come in quads; other characters (whitespace, a stray ``.``) are not counted.
    Stricter decoding here called examples invalid that HL7's validator passes (a contained Binary's data).
    A letter or digit is Java's (Character.isLetterOrDigit on each char: java_text.letter_or_digit), not
    str.isalnum, which also counts '²' or '½' and a supplementary letter."""
    if value.isascii():  # the common case: ASCII's letters and digits are the same to both
        return sum(1 for c in value if c.isalnum() or c in "+/=") % 4 == 0
    return sum(1 for c in value if letter_or_digit(c) or c in "+/=") % 4 == 0


def _check_day(fhir_type: str, value: str) -> str | None:
    """BaseDateTimeType.parse: the day no more than GregorianCalendar.getActualMaximum(DAY_OF_MONTH), a calendar
    that is Julian before October 1582 (every fourth year a leap year: 1500-02-29 is a valid date to HL7, where
    Python's proleptic Gregorian calendar has no such day)."""
    if len(value) >= 10 and value[8:10] > "28":  # the pattern allows months 01-12: each has a 28th
        year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
        last = 29 if month == 2 and year < 1582 and year % 4 == 0 else calendar.monthrange(year, month)[1]
        if day > last:
            return f"{_show(value)} is not a valid {fhir_type}: there is no day {day} in {year}-{month:02d}"
    return None


def _hint(fhir_type: str) -> str:
    hints = {
        "dateTime": " (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)",
        "instant": " (YYYY-MM-DDThh:mm:ss[.sss]+zz:zz or Z)",
        "date": " (YYYY, YYYY-MM or YYYY-MM-DD)",
        "time": " (hh:mm:ss)",
        "id": " (1-64 of A-Z a-z 0-9 - .)",
        "code": " (no leading, trailing or double whitespace)",
        "uri": " (no whitespace)",
    }
    return hints.get(fhir_type, "")


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_URI_TYPES = frozenset({"uri", "url", "canonical", "oid", "uuid"})
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")


def uri_problems(fhir_type: str, value: str) -> list[str]:
    """InstanceValidator.checkPrimitive's rules on a uri-like value, in its order and each an error of its own (a
    value may break two: 'oid:1.2' has a bare scheme and, as an oid, lacks urn:oid:): no bare ``oid:``/``uuid:``
    scheme (TYPE_SPECIFIC_CHECKS_DT_URI_OID / _UUID); no space, nor whitespace at either end (Utilities.trimWS,
    _URI_WS); an oid starts urn:oid:, a uuid urn:uuid: (_OID_START, _UUID_STRAT); a ``urn:uuid:`` is a lowercase
    UUID (UUIDUtilities.isValidUUID); a ``urn:oid:`` a valid OID whose last arc starts past the 4th character
    unless under 1.3 (OIDUtilities.isValidOID, "roots shorter than 4 chars are almost never valid"). HL7 runs the
    type's regex only when none of these failed."""
    found = []
    if value.startswith(("oid:", "uuid:")):
        found.append(f"{_show(value)}: a URI cannot start with {value.partition(':')[0]}: "
                     f"(urn:{value.partition(':')[0]}:)")
    if " " in value or value != trim_ws(value):  # Utilities.trimWS: not Python's strip(), which takes U+001C-1F
        found.append(f"{_show(value)}: a URI cannot hold whitespace")
    if fhir_type in ("oid", "uuid") and not value.startswith(f"urn:{fhir_type}:"):
        found.append(f"{_show(value)}: an {fhir_type} must start with urn:{fhir_type}:")
    if value.startswith("urn:uuid:"):
        uuid = value.partition("#")[0][9:]
        uuid = uuid.rpartition("|")[0] if fhir_type == "canonical" and "|" in uuid else uuid
        if not _UUID.fullmatch(uuid):
            found.append(f"{_show(value)}: a UUID must be valid and lowercase")
    elif value.startswith("urn:oid:"):
        oid = value[8:].partition("|")[0] if fhir_type == "canonical" else value[8:]
        if not (_OID.fullmatch(oid) and (oid.rfind(".") >= 4 or oid.startswith("1.3"))):
            found.append(f"{_show(value)}: {oid!r} is not a valid OID")
    return found


def _uri_suspect(fhir_type: str, value: str) -> bool:
    """Whether a uri-like value may break a rule of :func:`uri_problems` (most do not: one cheap look)."""
    return (value[:4] in ("urn:", "oid:", "uuid") or fhir_type in ("oid", "uuid") or " " in value
            or value[:1].isspace() or value[-1:].isspace()) and not value.isspace()


_STRING_LIKE = PRIMITIVES - BOOLEAN - INTEGERS - NUMBERS
_SIMPLE_STRINGS = frozenset({"string", "markdown", "uri", "url", "canonical", "code", "id", "oid", "uuid"})
# types whose pattern (``[\s\S]+``, above) every non-empty string matches: the regex is not run, since it reads every
# character of each one, long narratives and descriptions included (3-4% of a clinical resource's validation CPU)
_ANY_TEXT = frozenset({"string", "markdown"})


def check_primitive(fhir_type: str, value: Any) -> tuple[str, str] | None:
    """(defect, message) for a JSON value that is not a valid ``fhir_type``, else None; the walker's fast path."""
    if fhir_type in _SIMPLE_STRINGS and type(value) is str:
        if not value:
            return "empty-value", f"a {fhir_type} value cannot be empty: leave the property out instead"
        if len(value) > MAX_STRING and fhir_type == "string":  # string's limit alone, as in check_lexical
            return "too-long", f"the {fhir_type} is {len(value)} characters, more than the {MAX_STRING} allowed"
        if fhir_type in _URI_TYPES and _uri_suspect(fhir_type, value):
            found = uri_problems(fhir_type, value)
            if found:
                return "primitive-format", "\n".join(found)  # one error each (report_primitive)
        if fhir_type in _ANY_TEXT or _COMPILED[fhir_type].fullmatch(value):
            return None
        if is_blank(value):
            return BLANK, _blank(fhir_type)
        return "primitive-format", f"{_show(value)} is not a valid {fhir_type}{_hint(fhir_type)}"
    wrong = check_json_type(fhir_type, value)
    if wrong:
        return "json-type", wrong
    if fhir_type == "decimal" and (type(value) is FloatText or type(value) is int) and decimal_range(value) \
            and not _zero_led(value):
        return DECIMAL_RANGE, f"The value '{value_text(value)}' is outside the range of commonly/reasonably " \
                              "supported decimals"
    problem = check_lexical(fhir_type, value)
    if problem:
        if value == "":
            return "empty-value", problem
        if isinstance(value, str) and is_blank(value):
            return BLANK, _blank(fhir_type)
        return "primitive-format", problem
    if fhir_type == "base64Binary" and type(value) is str and _JAVA_SPACE.search(value):
        return BASE64_SPACE, ("base64 encoded values SHOULD not contain any whitespace (per RFC 4648); "
                              "non-validating readers are encouraged to accept whitespace anyway")
    return None


# InstanceValidator.checkPrimitive, decimal: Utilities.checkDecimal(value, true, false) RANGE (an exponent of more
# than 4 digits, more than 18 digits before and after the point) is TYPE_SPECIFIC_CHECKS_DT_DECIMAL_RANGE, a warning;
# HL7 judges the number's text, so a number too large for a double (1e400) is no error (fvleft15)
DECIMAL_RANGE = "decimal-range"


def value_text(value: int | float) -> str:
    """A JSON number's text: kept for a FloatText, an int's digits."""
    return value.text if isinstance(value, FloatText) else str(value)


def decimal_range(value: int | float) -> bool:
    """Utilities.checkDecimal's bounds on a JSON number's text (a valid number: only the counts are asked)."""
    mantissa, _, exponent = value_text(value).lower().partition("e")
    return len(exponent.lstrip("+-")) > 4 or len(mantissa.lstrip("+-").replace(".", "")) > 18


# Utilities.checkDecimal(value, true, allowLeadingZero false) is SYNTAX, before any count, for a '0' (signed or not)
# followed by anything but '.': JSON's 0e5 and -0E1 (JsonLexer keeps the text) are
# TYPE_SPECIFIC_CHECKS_DT_DECIMAL_VALID, an error; only a number with an exponent can be so written in JSON, and it
# is a FloatText (review15)
_LEADING_ZERO = re.compile(r"[-+]?0[^.]")


def _zero_led(value: object) -> bool:
    return type(value) is FloatText and _LEADING_ZERO.match(value.text) is not None


# A value of whitespace only is a warning to HL7's validator, whatever the type, and no other rule of the value is
# judged (InstanceValidator.checkPrimitive: isBlank -> TYPE_SPECIFIC_CHECKS_DT_PRIMITIVE_WS, then return) except a
# required binding, which such a value cannot meet (Terminology_TX_Code_ValueSet_MISSING).
BLANK = "blank-value"


# A valid base64Binary value holding whitespace is a warning in R4 (an error from R5 on): InstanceValidator.
# checkPrimitive, Base64Util.base64HasWhitespace -> TYPE_SPECIFIC_CHECKS_DT_BASE64_NO_WS_WARNING. Not a problem of the
# value: the element's other rules are judged as for a valid one. Whitespace is Utilities.isWhitespace's.
BASE64_SPACE = "base64-whitespace"
# Warnings after which HL7's checkPrimitive judges the value on (DECIMAL_RANGE: its minValue/maxValue follow)
JUDGED_ON = frozenset((BASE64_SPACE, DECIMAL_RANGE))
_JAVA_SPACE = re.compile("[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def report_primitive(sink: Sink, problem: tuple[str, str], binding: dict[str, Any] | None, loc: str) -> None:
    """An error for a bad value (a uri-like value breaking several of HL7's rules: one for each); a warning for
    a value of whitespace only (:data:`BLANK`), unless a required binding asks for a code, and for base64 with
    whitespace in it or a decimal of too many digits (:data:`JUDGED_ON`)."""
    defect, why = problem
    if defect in JUDGED_ON:
        sink.warning(defect, loc, why)
    elif defect != BLANK:
        for each in why.split("\n"):  # HL7's uri rules give one error each (uri_problems); a value is shown by repr
            sink.error(defect, loc, each)
    elif binding is not None and binding.get("strength") == "required":
        sink.error("code-invalid", loc, f"{why}; the element has a required binding, so it needs a code")
    else:
        sink.warning(defect, loc, why)


def _blank(fhir_type: str) -> str:
    return f"a {fhir_type} value of whitespace only is no value: leave the property out instead"
