"""One QuestionnaireResponse answer against the limits its question sets, as HL7's validator.

QuestionnaireValidator.validateQuestionnaireResponseItem* judges each answer's value against the item's
``minValue``/``maxValue`` (integer, decimal, date, dateTime, time), ``minLength``/``maxLength`` and
``regex`` (string), its ``answerOption`` list (the value must be one of the options of its own type), the
SDC ``minQuantity``/``maxQuantity`` (Quantity, UCUM units converted) and an Attachment's ``mimeType`` and
``maxSize``; and the number of answers against ``questionnaire-minOccurs``/``-maxOccurs``. These rules
were met only by the cases the agreement measure leaves out (HL7's runner gives them a fetcher), so
bench/fhir_leftout_diagnostics.py found them. A bound or value that cannot be read is not judged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from conformance.fhirval.bounds import compiled_regex, convert, incommensurable
from conformance.fhirval.issues import Sink
from conformance.fhirval.java_text import java_length
from conformance.fhirval.source import Json, value_of

if TYPE_CHECKING:
    from conformance.fhirval.terminology import Terminology

_SD = "http://hl7.org/fhir/StructureDefinition/"
MIN_VALUE, MAX_VALUE = _SD + "minValue", _SD + "maxValue"
MIN_LENGTH, REGEX = _SD + "minLength", _SD + "regex"
MIN_OCCURS, MAX_OCCURS = _SD + "questionnaire-minOccurs", _SD + "questionnaire-maxOccurs"
MIME_TYPE, MAX_SIZE = _SD + "mimeType", _SD + "maxSize"
_SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-"
MIN_QUANTITY, MAX_QUANTITY = _SDC + "minQuantity", _SDC + "maxQuantity"
UNIT_OPTION = _SD + "questionnaire-unitOption"
UNIT_VALUE_SET = _SD + "questionnaire-unitValueSet"
UCUM = "http://unitsofmeasure.org"
REFERENCE_RESOURCE = _SD + "questionnaire-referenceResource"  # R5 ExtensionDefinitions.EXT_ALLOWEDRESOURCE

# the answer types whose value is compared with minValue/maxValue, and with answerOption values of that type
_ORDERED = {"Integer", "Decimal", "Date", "DateTime", "Time"}
_OPTIONED = {"Integer", "Decimal", "Date", "DateTime", "Time", "String"}


def _extensions(item: Json, url: str) -> list[Any]:
    """The values of an item's extensions with this URL."""
    return [value_of(e)
            for e in item.get("extension") or () if isinstance(e, dict) and e.get("url") == url]


def _first(item: Json, url: str) -> Any:
    found = _extensions(item, url)
    return found[0] if found else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_occurs(sink: Sink, q_item: Json, count: int, where: str) -> None:
    """questionnaire-minOccurs/-maxOccurs on the number of answers (QUESTIONNAIRE_QR_ITEM_MIN_OCCURS / _MAX_OCCURS).
    Reported only past the bound, as the spec reads it: HL7's test for maxOccurs also fails a count equal to it."""
    low, high = _int(_first(q_item, MIN_OCCURS)), _int(_first(q_item, MAX_OCCURS))
    if high is not None and high >= 0 and count > high:
        sink.error("questionnaire", where, f"the maximum number of answers is {high} but this has {count} answers")
    if low is not None and low >= 0 and count < low:
        sink.error("questionnaire", where, f"the minimum number of answers is {low} but this has {count} answers")


def check_answer(sink: Sink, q_item: Json, answer: Json, where: str, term: Terminology | None = None) -> None:
    """The answer's value against its question's limits and the options of a question of the value's type;
    ``term`` answers for a Quantity's unit value set."""
    kind, value = next(((k[5:], v) for k, v in answer.items() if k.startswith("value") and len(k) > 5), ("", None))
    loc = f"{where}.value.ofType({kind[:1].lower() + kind[1:] if kind not in ('Quantity', 'Attachment') else kind})"
    q_type = str(q_item.get("type"))
    if kind in _ORDERED and q_type.lower() == kind.lower():  # as HL7's switch: bounds for a question of that type
        _bounds(sink, q_item, kind, value, loc)
    if kind == "String" and q_type == "string" and isinstance(value, str):
        _text(sink, q_item, value, loc)
        if term is not None:
            _string_value_set(sink, term, q_item, value, loc)
    # a choice or open-choice question's options: questionnaire_options.py (HL7's CODING branch); here the
    # options a question of the value's own type lists (the type validators' "2024-05-07" rules)
    # (HL7 checks them only in the switch cases of those question types: not for a text question, say)
    if kind in _OPTIONED and q_type.lower() == kind.lower():
        options = [v for o in q_item.get("answerOption") or () if isinstance(o, dict)
                   for k, v in o.items() if k == f"value{kind}"]
        # QUESTIONNAIRE_QR_ITEM_NOSTRING / _NOINTEGER / _NODATE / _NOTIME / _NODECIMAL: one of the options of its type
        if options and not any(_same(kind, value, o) for o in options):
            sink.error("questionnaire", loc, f"the {kind.lower()} {value!r} is not in the set of permitted values")
    if kind == "Decimal" and q_type == "decimal":
        _decimal_options(sink, q_item, value, loc)
    if kind == "Quantity" and isinstance(value, dict):
        _unit_option(sink, q_item, value, loc)
        if term is not None:
            _unit_value_set(sink, term, q_item, value, loc)
        for url, is_min in ((MIN_QUANTITY, True), (MAX_QUANTITY, False)):
            bound = _first(q_item, url)
            if isinstance(bound, dict):
                _quantity(sink, value, bound, is_min, loc)
    if kind == "Attachment" and isinstance(value, dict):
        _attachment(sink, q_item, value, where)


def _decimal_options(sink: Sink, q_item: Json, value: Any, loc: str) -> None:
    """QUESTIONNAIRE_QR_ITEM_NODECIMAL: R4's que-5 lets a decimal question list ``answerOption`` (of integer, date,
    time, string, Coding or Reference values: none decimal). HL7's validateQuestionnaireResponseItemDecimal reads
    each option as a decimal (``new DecimalType(value.primitiveValue())``) and wants the answer's text among the
    options' texts. Judged only when every option is a number: another value makes HL7's loop throw (no verdict).
    The answer is read as a float (its written text lost), so it matches an option with a point of equal value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    texts: list[str] = []
    for option in q_item.get("answerOption") or ():
        v = value_of(option) if isinstance(option, dict) else None
        if isinstance(v, bool) or not isinstance(v, int | str) or _decimal(v) is None:
            return
        texts.append(str(v))
    if isinstance(value, float):
        found = any(("." in t or "e" in t.lower()) and _decimal(t) == _decimal(value) for t in texts)
    else:
        found = str(value) in texts
    if texts and not found:
        sink.error("questionnaire", loc, f"the decimal {value!r} is not in the set of permitted values")


def _same(kind: str, value: Any, option: Any) -> bool:
    if kind in ("Integer", "Decimal"):
        return _decimal(value) is not None and _decimal(value) == _decimal(option)
    return bool(value == option)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    # NaN, sNaN and Infinity are no FHIR decimal (the walker reports the type) and cannot be ordered
    return number if number.is_finite() else None


def _instant(value: Any) -> tuple[dt.timedelta, bool] | None:
    """A date or dateTime at its first moment (HL7's DateTimeType.before/after), as the time since 0001-01-01,
    in UTC when it has a time zone, and whether it has one; None when it cannot be read. A timedelta, not a
    datetime, so that 0001-01-01T00:00:00+14:00 (before year 1 in UTC) still compares."""
    if not isinstance(value, str):
        return None
    if "T" not in value:
        if not re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", value):
            return None
        value += {4: "-01-01", 7: "-01"}.get(len(value), "")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    since = moment.replace(tzinfo=None) - dt.datetime.min
    offset = moment.utcoffset()
    return (since, False) if offset is None else (since - offset, True)


_ZONES = dt.timedelta(hours=14)  # the widest time-zone offset: a moment without a zone is at most this far off


def _order(kind: str, a: Any, b: Any) -> int | None:
    """The sign of a - b, or None when they cannot be compared for certain."""
    if kind in ("Integer", "Decimal"):
        x, y = _decimal(a), _decimal(b)
        return None if x is None or y is None else (x > y) - (x < y)
    if kind == "Time":
        return (a > b) - (a < b) if isinstance(a, str) and isinstance(b, str) else None
    x2, y2 = _instant(a), _instant(b)
    if x2 is None or y2 is None:
        return None
    if x2[1] != y2[1] and abs(x2[0] - y2[0]) <= _ZONES:
        return None  # one with a time zone and one without, too close to tell
    return (x2[0] > y2[0]) - (x2[0] < y2[0])


def _bounds(sink: Sink, q_item: Json, kind: str, value: Any, loc: str) -> None:
    """minValue/maxValue (QUESTIONNAIRE_QR_ITEM_INTEGER_MIN/_MAX, _DECIMAL_MIN/_MAX, _DATE_MIN/_MAX, _TIME_MIN/_MAX)."""
    for url, sign, word in ((MIN_VALUE, -1, "less than the allowed minimum"),
                            (MAX_VALUE, 1, "greater than the allowed maximum")):
        bound = _first(q_item, url)
        if bound is not None and _order(kind, value, bound) == sign:
            sink.error("questionnaire", loc, f"the value {value} is {word} of {bound}")


def _text(sink: Sink, q_item: Json, value: str, loc: str) -> None:
    """minLength, maxLength and regex on a string answer (QUESTIONNAIRE_QR_ITEM_STRING_MIN_LENGTH, _MAX_LENGTH,
    _STRING_REGEX: Java's String.matches, the whole value; lengths in UTF-16 units, as String.length())."""
    low, high = _int(_first(q_item, MIN_LENGTH)), _int(q_item.get("maxLength"))
    length = java_length(value)  # Java's String.length(): an emoji counts 2
    if low is not None and length < low:
        sink.error("questionnaire", loc, f"the answer {value!r} is shorter than the required minimum length of {low}")
    if high is not None and high >= 0 and length > high:
        sink.error("questionnaire", loc, f"the answer {value!r} is longer than the allowed maximum length of {high}")
    regex = _first(q_item, REGEX)
    pattern = compiled_regex(regex) if isinstance(regex, str) else None
    if pattern is not None and pattern.fullmatch(value) is None:
        sink.error("questionnaire", loc, f"the answer {value!r} does not match the required regex {regex!r}")


def _string_value_set(sink: Sink, term: Terminology, q_item: Json, value: str, loc: str) -> None:
    """A string question's ``answerValueSet``: QuestionnaireValidator.validateQuestionnaireResponseItemString
    validates the answer as a bare code against it (``context.validateCode(settings, v.primitiveValue(), vs)``) and
    not ok is QUESTIONNAIRE_QR_ITEM_VS_FAIL, an error. Judged only where the value set is held and tells here (a
    code no include can have); one not held is HL7's warning (QUESTIONNAIRE_QR_ITEM_VS_BAD), left alone."""
    url = q_item.get("answerValueSet")
    expansion = term.expand(url) if isinstance(url, str) and not url.startswith("#") else None
    if expansion is not None and expansion.contains(None, value) is False:
        sink.error("questionnaire", loc, f"The value {value!r} is not in the list of allowed values (value set "
                                         f"{url!r})")


def _quantity(sink: Sink, value: Json, bound: Json, is_min: bool, loc: str) -> None:
    """SDC minQuantity/maxQuantity (QUESTIONNAIRE_QR_ITEM_QUANTITY_MIN/_MAX; _DECIMAL_CANNOT_COMPARE_MIN/_MAX[_UNITS]
    when a unit is not coded or the units do not convert)."""
    word = "minimum" if is_min else "maximum"
    v, b = _decimal(value.get("value")), _decimal(bound.get("value"))
    if v is None or b is None:
        return
    units = [q.get(k) for q in (value, bound) for k in ("system", "code")]
    if not all(isinstance(u, str) and u for u in units):
        sink.error("questionnaire", loc, f"the quantity cannot be compared to the allowed {word} because no formal "
                                         "units are specified")
        return
    if (value["system"], value["code"]) != (bound["system"], bound["code"]):
        converted = (convert(float(v), value["code"], bound["code"])
                     if value["system"] == bound["system"] == UCUM else None)
        if converted is None:
            if value["system"] != UCUM or bound["system"] != UCUM or incommensurable(value["code"], bound["code"]):
                sink.error("questionnaire", loc, f"the quantity ({value['code']}) cannot be compared to the allowed "
                                                 f"{word} ({bound['code']})")
            return
        v = Decimal(repr(converted))
    if (v < b) if is_min else (v > b):
        sink.error("questionnaire", loc, f"the quantity {value.get('value')} {value['code']} is "
                                         f"{'less' if is_min else 'greater'} than the allowed {word} of "
                                         f"{bound.get('value')} {bound['code']}")


def _attachment(sink: Sink, q_item: Json, value: Json, where: str) -> None:
    """mimeType (a prefix match, as HL7's mimeTypeMatches) and maxSize (QUESTIONNAIRE_QR_ITEM_BAD_ATTACHMENT_MIMETYPE,
    _BAD_ATTACHMENT_LENGTH, the decoded bytes)."""
    allowed = [m for m in _extensions(q_item, MIME_TYPE) if isinstance(m, str)]
    content_type = value.get("contentType")
    if allowed and isinstance(content_type, str) and not any(content_type.startswith(m) for m in allowed):
        sink.error("questionnaire", where, f"the mime type {content_type} is not valid for this answer "
                                           f"(allowed = {', '.join(allowed)})")
    limit, data = _int(_first(q_item, MAX_SIZE)), value.get("data")
    if limit is not None and limit > 0 and isinstance(data, str):
        try:
            size = len(base64.b64decode(data))
        except (binascii.Error, ValueError):
            return
        if size > limit:
            sink.error("questionnaire", where, f"the attachment is too large (allowed = {limit}, found = {size})")


def _unit_option(sink: Sink, q_item: Json, value: Json, loc: str) -> None:
    """A Quantity answer's unit is one of the question's unitOption Codings, each given part matching
    (matchesUnit: system, code, display against the unit; QUESTIONNAIRE_QR_ITEM_DECIMAL_INVALID_UNITS)."""
    options = [c for c in _extensions(q_item, UNIT_OPTION) if isinstance(c, dict)]
    if options and not any(all(c.get(k) is None or c.get(k) == value.get(v)
                               for k, v in (("system", "system"), ("code", "code"), ("display", "unit")))
                           for c in options):
        sink.error("questionnaire", loc, f"the unit {value.get('unit') or value.get('code')!r} is not one of the "
                                         "question's unit options")


def _unit_value_set(sink: Sink, term: Terminology, q_item: Json, value: Json, loc: str) -> None:
    """A Quantity answer's unit is in the question's unitValueSet (QuestionnaireValidator: validateCode of the
    answer's system and code against it, QUESTIONNAIRE_QR_ITEM_DECIMAL_UNIT_FAIL_VS, an error; a unit with no code
    fails there too). Judged only where the value set is held and answers here; one not held is HL7's warning."""
    url = _first(q_item, UNIT_VALUE_SET)
    expansion = term.expand(url) if isinstance(url, str) else None
    if expansion is None:
        return
    system, code = value.get("system"), value.get("code")
    inside = expansion.contains(system if isinstance(system, str) else None, code) if isinstance(code, str) \
        else False
    if inside is False:
        shown = value.get("unit") or code
        sink.error("questionnaire", loc, f"the unit {shown!r} ({system}#{code}) is not in the question's unit "
                                         f"value set {url}")


def check_reference_answer(sink: Sink, q_item: Json, answer: Json, where: str,
                           is_resource_type: Callable[[str], bool]) -> None:
    """A reference question's answer names a type its ``questionnaire-referenceResource`` codes allow, else any
    resource type (QuestionnaireValidator.validateQuestionnaireResponseItemReference: QUESTIONNAIRE_QR_ITEM_REF_INVALID
    and _INVALID_GENERAL, run by HL7 only with assumeValidRestReferences). The type is the segment before the last
    (BaseValidator.extractResourceType), a version's ``/_history/n`` taken off first, where HL7 would read
    "_history" as the type; a ``#local`` reference or one without a '/' (where HL7 throws) is not judged."""
    value = answer.get("valueReference")
    ref = value.get("reference") if isinstance(value, dict) else None
    if q_item.get("type") != "reference" or not isinstance(ref, str) or ref.startswith("#") or "/" not in ref:
        return
    parts = ref.split("/_history/")[0].split("/")
    rtype = parts[-2] if len(parts) > 1 else ""
    loc = f"{where}.value.ofType(Reference)"
    allowed = [v for v in _extensions(q_item, REFERENCE_RESOURCE) if isinstance(v, str)]
    if allowed and rtype not in allowed:
        sink.error("questionnaire", loc, f"the resource type {rtype!r} in the reference {ref} is not allowed "
                                         f"(allowed = {','.join(allowed)})")
    elif not allowed and not is_resource_type(rtype):
        sink.error("questionnaire", loc, f"the resource type {rtype!r} in the reference {ref} is not a resource type")
