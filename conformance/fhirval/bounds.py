"""minValue[x] / maxValue[x] of a profile: numbers, dates and times, and Quantities through UCUM.

A Quantity bound is compared with the value after converting the value into the bound's unit, as
HL7's validator does: same system and code compare directly; other UCUM units are converted with
``ucumvert`` (UCUM's grammar parsed into pint units, offline; ``pyucum`` calls the NLM's UCUM web
API, a network call a validator must not make, and ``ucum`` is not on PyPI). Units that are not
UCUM cannot be compared: that is information, never a verdict; two valid UCUM units that measure
different things (``m`` against a bound in ``kg``) are an error, as in HL7's checkQuantity. Bounds on a
date, dateTime or instant are temporal_bounds.py's (compared as instants, a Quantity as a duration from
now, as HL7's checkMinMaxValueDate / DateTime judge them). A text value's own rules, the ``minLength`` and ``regex``
extensions on a profile's element, are here too (``check_text_rules``), and its size rules, the
``maxDecimalPlaces`` and ``maxSize`` extensions (``check_size_rules``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from conformance.fhirval.issues import Sink
from conformance.fhirval.java_regex import compile_java
from conformance.fhirval.java_text import java_length
from conformance.fhirval.source import value_of
from conformance.fhirval.temporal_bounds import check_temporal_bounds
from conformance.fhirval.ucum import problem
from conformance.fhirval.values import show
from conformance.safejson import FloatText

UCUM = "http://unitsofmeasure.org"
_TEMPORAL = ("date", "dateTime", "instant")
_QUANTITY = ("Quantity", "SimpleQuantity", "MoneyQuantity")  # checkChildByDefinition calls checkQuantity for these


# the bound types InstanceValidator.checkPrimitive reads for each primitive type: ``instanceof IntegerType`` takes
# positiveInt and unsignedInt too; a decimal takes a decimal bound, else an integer one; another bound is not judged
_INTEGERS = ("Integer", "PositiveInt", "UnsignedInt")
_PRIMITIVE_BOUNDS: dict[str, tuple[str, ...]] = {
    "integer": _INTEGERS, "unsignedInt": _INTEGERS, "positiveInt": _INTEGERS, "integer64": ("Integer64",),
    "decimal": ("Decimal", *_INTEGERS), "time": ("Time",)}


MAX_DECIMALS = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"
MAX_SIZE = "http://hl7.org/fhir/StructureDefinition/maxSize"


def check_bounds(item: Any, tcode: str, ed: dict[str, Any], loc: str, sink: Sink) -> None:
    if "extension" in ed:
        check_size_rules(item, tcode, ed, loc, sink)
    if tcode in _TEMPORAL:
        check_temporal_bounds(item, tcode, ed, loc, sink)
        return
    if tcode not in _QUANTITY and tcode not in _PRIMITIVE_BOUNDS:
        return  # checkPrimitive reads bounds only for numbers, dates and times; checkQuantity for Quantities
    for key, bound in ed.items():
        if not key.startswith(("minValue", "maxValue")):
            continue
        is_min = key.startswith("min")
        if tcode in _PRIMITIVE_BOUNDS and key[8:] not in _PRIMITIVE_BOUNDS[tcode]:
            continue  # checkPrimitive reads only these bound types for this type (hasMaxValueIntegerType...)
        if tcode in _QUANTITY and not isinstance(bound, dict):
            # InstanceValidator.checkQuantity, its minValue and its maxValue site: a Quantity with a value is
            # compared with a Quantity bound only, any other is TYPE_SPECIFIC_CHECKS_DT_QTY_NO_QTY (fvsite9)
            if isinstance(item, dict) and item.get("value") is not None:
                sink.error(key[:3] + "-value", loc, f"the bound {key} of a Quantity must be a Quantity")
            continue
        if isinstance(bound, dict):
            diff = _quantity_diff(item, tcode, bound, loc, sink, key[:3] + "-value")
        else:
            diff = _diff(item, bound)
        if diff is None:
            continue
        if is_min and diff < 0:
            sink.error("min-value", loc, f"value {show(_shown(item))} is less than the minimum {show(_shown(bound))}")
        elif not is_min and diff > 0:
            sink.error("max-value", loc, f"value {show(_shown(item))} is more than the maximum {show(_shown(bound))}")


def decimal_places(value: Any) -> int | None:
    """The places after the point of a JSON number. It is read as a float, so trailing zeros are lost: "1.660"
    counts 2, never more than it was written with (a missed error, never a false one). A number with an exponent
    keeps its text (FloatText), counted as HL7 counts it (InstanceValidator.checkPrimitive / checkQuantity
    TYPE_SPECIFIC_CHECKS_DT_DECIMAL_CHARS, QuestionnaireValidator.precision: the characters after the '.', none
    without one): ``1e-7`` has no places, where its float (1e-07) had 7 (review15)."""
    if isinstance(value, FloatText):
        return len(value.text) - value.text.rfind(".") - 1 if "." in value.text else 0
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    exponent = Decimal(repr(value)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _limit(ed: dict[str, Any], url: str) -> int | None:
    for ext in ed.get("extension") or ():
        if isinstance(ext, dict) and ext.get("url") == url:
            value = value_of(ext)
            if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
                return int(value)
    return None


def _decoded_size(data: Any) -> int | None:
    try:
        return len(base64.b64decode(data, validate=False)) if isinstance(data, str) else None
    except (binascii.Error, ValueError):
        return None  # the base64Binary check reports it


def check_size_rules(item: Any, tcode: str, ed: dict[str, Any], loc: str, sink: Sink) -> None:
    """A profile element's ``maxDecimalPlaces`` on a decimal or a Quantity's value, and ``maxSize`` on a
    base64Binary or an Attachment's inline data, as HL7's validator (InstanceValidator.checkPrimitive and
    checkQuantity: TYPE_SPECIFIC_CHECKS_DT_DECIMAL_CHARS; checkPrimitive and checkAttachment:
    TYPE_SPECIFIC_CHECKS_DT_BASE64_TOO_LONG, TYPE_SPECIFIC_CHECKS_DT_ATT_TOO_LONG, in bytes once decoded)."""
    if tcode in ("decimal", "Quantity") and (limit := _limit(ed, MAX_DECIMALS)) is not None:
        places = decimal_places(item.get("value") if isinstance(item, dict) else item)
        if places is not None and places > limit:
            sink.error("max-value", loc, f"the value has {places} decimal places, more than the {limit} allowed "
                                         "(maxDecimalPlaces)")
    if tcode in ("base64Binary", "Attachment") and (limit := _limit(ed, MAX_SIZE)) is not None:
        size = _decoded_size(item.get("data") if isinstance(item, dict) else item)
        if size is not None and size > limit:
            sink.error("max-value", loc, f"the data is {size} bytes, more than the {limit} allowed (maxSize)")


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        return f"{value.get('value')} {value.get('code') or value.get('unit') or ''}".strip()
    return value


def _diff(a: Any, b: Any) -> float | None:
    """a - b for two numbers, its sign for two strings (dates and times, compared as text), else None."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not (_finite(a) and _finite(b)):
            return None
        x, y = _exact(a), _exact(b)  # HL7 compares BigDecimals: 1.00000000000000000001 is more than 1
        return float((x > y) - (x < y))
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    return None


def _finite(number: int | float) -> bool:
    """Not NaN or a float's infinity (a FloatText's 1e400 is a number: its text is kept)."""
    return isinstance(number, int | FloatText) or math.isfinite(number)


def _exact(number: int | float) -> Decimal:
    """A JSON number as written: the text a FloatText kept, else an int's digits or a float's shortest repr."""
    return Decimal(number.text if isinstance(number, FloatText) else number if isinstance(number, int)
                   else repr(number))


def _quantity_diff(item: Any, tcode: str, bound: dict[str, Any], loc: str, sink: Sink,
                   defect: str) -> float | None:
    if not isinstance(item, dict):
        return None
    value, limit = _number(item.get("value")), _number(bound.get("value"))
    if value is None or limit is None:
        return None
    if (item.get("system"), item.get("code")) == (bound.get("system"), bound.get("code")):
        return value - limit
    if item.get("system") != UCUM or bound.get("system") != UCUM:
        sink.info(defect, loc, f"the value's unit {item.get('code')!r} cannot be compared with the bound's "
                                    f"{bound.get('code')!r} (both must be UCUM)")
        return None
    converted = convert(value, str(item.get("code")), str(bound.get("code")))
    if converted is None:
        if incommensurable(str(item.get("code")), str(bound.get("code"))):
            # HL7's checkQuantity: TYPE_SPECIFIC_CHECKS_DT_QTY_MIN_MIN_NO_CONVERT / _MAX_MIN_NO_CONVERT, an error
            sink.error(defect, loc, f"the value's unit {item.get('code')!r} cannot be converted to the bound's "
                                    f"{bound.get('code')!r}: they measure different things")
        else:
            sink.info(defect, loc, f"the value's unit {item.get('code')!r} cannot be converted to the bound's "
                                   f"{bound.get('code')!r}")
        return None
    return converted - limit


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def convert(value: float, unit: str, to: str) -> float | None:
    """``value`` in UCUM ``unit`` expressed in ``to``; None when either is not UCUM or they do not convert."""
    registry = _registry()
    if registry is None:
        return None
    try:
        quantity = registry.Quantity(value, registry.from_ucum(unit))
        return float(quantity.to(registry.from_ucum(to)).magnitude)
    except Exception:  # noqa: BLE001 - lark and pint raise many kinds for a unit they cannot parse or convert
        return None


def incommensurable(unit: str, to: str) -> bool:
    """Whether two valid UCUM units measure different things (``m`` and ``kg``): a verdict, where a unit that
    does not parse, or a conversion that fails otherwise, is only not known."""
    registry = _registry()
    if registry is None or problem(unit) != "" or problem(to) != "":
        return False
    from pint.errors import DimensionalityError

    try:
        registry.Quantity(1, registry.from_ucum(unit)).to(registry.from_ucum(to))
    except DimensionalityError:
        return True
    except Exception:  # noqa: BLE001 - as convert(): anything else is not a verdict
        return False
    return False


@functools.cache
def _registry() -> Any:
    try:
        from ucumvert import PintUcumRegistry
    except ImportError:  # not installed: units that differ are not compared (information)
        return None
    return PintUcumRegistry()


def check_text_rules(item: str, min_length: int | None, regex: str | None, loc: str, sink: Sink) -> None:
    """An element definition's ``minLength`` and ``regex`` extensions on a primitive value, as HL7's validator
    (InstanceValidator.checkPrimitive: PRIMITIVE_TOO_SHORT on ``primitiveValue().length()``, Java's length,
    Type_Specific_Checks_DT_Primitive_Regex; the regex matches the whole value, Java's ``String.matches``)."""
    length = java_length(item)
    if min_length is not None and length < min_length:
        sink.error("too-short", loc, f"the value is {length} characters, fewer than the minimum {min_length}")
    pattern = compiled_regex(regex) if regex is not None else None
    if pattern is not None and pattern.fullmatch(item) is None:
        sink.error("primitive-format", loc, f"the value {item!r} does not match the profile's regex {regex!r}")


@functools.lru_cache(maxsize=256)
def compiled_regex(regex: str) -> re.Pattern[str] | None:
    """A profile's regex, or None when Python cannot read it (then it is not judged: no verdict on a guess).

    Profiles write Java regexes, which HL7 runs with ``Pattern.matches`` and no flag (RegexTimeout.matches), read
    here with Java's meaning (java_regex.py: ASCII classes, so R4 string's own ``[ \\r\\n\\t\\S]+`` copied into a
    profile takes a no-break space as Java does; a hyphen after ``\\w`` in a class; Java's ``.``).
    Java's class intersection (``[a-z&&[^aeiou]]``) and nested classes compile in Python with another meaning (a
    literal ``[`` and ``&``), which would fail every valid value: compile_java refuses them (inside a class only: an
    escaped ``\\[`` in a class and ``&&`` outside one read alike), and they are not judged either."""
    try:
        return compile_java(regex)
    except re.error:
        return None
