"""Which fixed[x] / pattern[x] values HL7's validator can turn into a slice's discriminator test.

InstanceValidator.sliceMatches builds one FHIRPath expression per slice; for a ``value`` or ``pattern``
discriminator whose element fixes or patterns a value it calls buildFixedExpression or buildPattternExpression.
Those throw a DefinitionException for a value they cannot express, and matchSlice reports that exception as
SLICING_CANNOT_BE_EVALUATED (an error at each value tried against the slice). ``problem`` says, for a fixed or
pattern value, the message HL7 throws (by its message id), or None when an expression is built.
"""

from __future__ import annotations

from typing import Any, Final

from conformance.fhirval.source import Json

# buildFixedExpression: a fixed value other than CodeableConcept, Identifier and Coding must be a StringType (string,
# code, id, markdown), a UriType (uri, url, canonical, oid, uuid), an IntegerType (integer, positiveInt,
# unsignedInt) or a BooleanType; anything else is UNSUPPORTED_FIXED_VALUE_TYPE_FOR_DISCRIMINATOR_FOR_SLICE__.
# (fixedDecimal goes to a cast to IntegerType that fails outside HL7's FHIRException handling: left as compared.)
_FIXED_PRIMITIVES: Final = frozenset({"String", "Code", "Id", "Markdown", "Uri", "Url", "Canonical", "Oid", "Uuid",
                                      "Integer", "PositiveInt", "UnsignedInt", "Boolean", "Decimal"})
# buildPattternExpression: any primitive (PrimitiveType), CodeableConcept, Coding, Identifier, HumanName and Address;
# any other type is UNSUPPORTED_FIXED_PATTERN_TYPE_FOR_DISCRIMINATOR_FOR_SLICE__.
_PATTERN_PRIMITIVES: Final = frozenset({"Boolean", "Integer", "Integer64", "Decimal", "String", "Code", "Id",
                                        "Markdown", "Uri", "Url", "Canonical", "Oid", "Uuid", "Date", "DateTime",
                                        "Instant", "Time", "Base64Binary", "PositiveInt", "UnsignedInt"})
_CODING_KEYS: Final = ("system", "version", "code", "display")
_NAME_UNSUPPORTED: Final = ("given", "prefix", "suffix", "period")  # buildHumanNameExpression throws on each
_NAME_KEYS: Final = ("use", "text", "family")
_ADDRESS_UNSUPPORTED: Final = ("line", "period")  # buildAddressExpression
_ADDRESS_KEYS: Final = ("use", "type", "text", "city", "district", "state", "postalCode", "country")


def problem(ed: Json, kind: str, type_name: str, value: Any) -> str | None:
    """Why HL7 cannot build the discriminator test for ``ed``'s ``fixed``/``pattern`` (``kind``) value of
    ``type_name``; None when it can."""
    if type_name == "CodeableConcept":
        return _concept(value)
    if type_name == "Coding":
        return _coding(value)
    if type_name == "Identifier":
        return _identifier(value)
    if kind == "fixed":
        return None if type_name in _FIXED_PRIMITIVES else f"UNSUPPORTED_FIXED_VALUE_TYPE ({type_name})"
    if type_name in _PATTERN_PRIMITIVES:
        # buildPrimitiveExpression: UNSUPPORTED_CODEABLECONCEPT_PATTERN__EXTENSIONS_ARE_NOT_ALLOWED
        # (p.hasExtension(): an element id alone on the pattern is no obstacle)
        return "extensions are not allowed" if _extended(ed.get(f"_pattern{type_name}")) else None
    if type_name == "HumanName":
        return _properties(value, _NAME_KEYS, _NAME_UNSUPPORTED, "HumanName")
    if type_name == "Address":
        return _properties(value, _ADDRESS_KEYS, _ADDRESS_UNSUPPORTED, "Address")
    return f"UNSUPPORTED_FIXED_PATTERN_TYPE ({type_name})"


def _extended(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("extension"))


def _coding(value: Any) -> str | None:
    """buildCodingExpression (and each coding of buildCodeableConceptExpression)."""
    if not isinstance(value, dict):
        return None
    if _extended(value):
        return "extensions are not allowed (UNSUPPORTED_CODEABLECONCEPT_PATTERN__EXTENSIONS_ARE_NOT_ALLOWED)"
    if not any(k in value for k in _CODING_KEYS):
        return "a Coding with none of system, version, code, display (UNSUPPORTED_IDENTIFIER_PATTERN_NO_PROPERTY)"
    return None


def _concept(value: Any) -> str | None:
    """buildCodeableConceptExpression: no text, at least one coding, no extensions."""
    if not isinstance(value, dict):
        return None
    if "text" in value:
        return "a CodeableConcept with text (UNSUPPORTED_CODEABLECONCEPT_PATTERN__USING_TEXT)"
    codings = value.get("coding")
    if not isinstance(codings, list) or not codings:
        return "a CodeableConcept without a coding (UNSUPPORTED_CODEABLECONCEPT_PATTERN__MUST_HAVE_AT_LEAST_ONE_CODING)"
    if _extended(value):
        return "extensions are not allowed (UNSUPPORTED_CODEABLECONCEPT_PATTERN__EXTENSIONS_ARE_NOT_ALLOWED)"
    return next((p for p in map(_coding, codings) if p is not None), None)


def _identifier(value: Any) -> str | None:
    """buildIdentifierExpression: no extensions, and at least one of system, value, use, type."""
    if not isinstance(value, dict):
        return None
    if _extended(value):
        return "extensions are not allowed (UNSUPPORTED_IDENTIFIER_PATTERN__EXTENSIONS_ARE_NOT_ALLOWED)"
    if not any(k in value for k in ("system", "value", "use", "type")):
        return "an Identifier with none of system, value, use, type (UNSUPPORTED_IDENTIFIER_PATTERN_NO_PROPERTY)"
    return _concept(value["type"]) if isinstance(value.get("type"), dict) else None


def _properties(value: Any, keys: tuple[str, ...], unsupported: tuple[str, ...], type_name: str) -> str | None:
    """buildHumanNameExpression / buildAddressExpression."""
    if not isinstance(value, dict):
        return None
    if _extended(value):
        return "extensions are not allowed (UNSUPPORTED_IDENTIFIER_PATTERN__EXTENSIONS_ARE_NOT_ALLOWED)"
    bad = next((k for k in unsupported if k in value), None)
    if bad is not None:
        return f"{type_name}.{bad} (UNSUPPORTED_IDENTIFIER_PATTERN_PROPERTY_NOT_SUPPORTED)"
    if not any(k in value for k in keys):
        return f"a {type_name} with none of {', '.join(keys)} (UNSUPPORTED_IDENTIFIER_PATTERN_NO_PROPERTY)"
    return None
