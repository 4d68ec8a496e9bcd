"""Comparing instance values with a profile's ``fixed[x]`` and ``pattern[x]``, and navigating instances.

``fixed`` means exactly this value (no more, no less); ``pattern`` means at least this: every property
the pattern has must be present with a matching value, and each element of a pattern array must
match some element of the instance array (FHIR R4 ElementDefinition.pattern[x]).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.fhirval.source import Json


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return bool(a == b)


def matches_pattern(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(k in value and matches_pattern(v, value[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(matches_pattern(p, v) for v in items) for p in pattern)
    return _same_scalar(pattern, value)


def equals_fixed(fixed: Any, value: Any) -> bool:
    if isinstance(fixed, dict):
        if not isinstance(value, dict):
            return False
        keys = {k for k in value if k != "id"}
        return keys == set(fixed) and all(equals_fixed(fixed[k], value[k]) for k in fixed)
    if isinstance(fixed, list):
        return isinstance(value, list) and len(value) == len(fixed) and all(
            equals_fixed(f, v) for f, v in zip(fixed, value, strict=True))
    return _same_scalar(fixed, value)


def children_named(item: Any, name: str) -> Iterator[tuple[Any, str | None]]:
    """Values of property ``name`` (a choice name without [x] matches ``nameType``), with the choice type."""
    if not isinstance(item, dict):
        return
    if name in item:
        value = item[name]
        for v in value if isinstance(value, list) else [value]:
            yield v, None
        return
    for key, value in item.items():
        if key.startswith(name) and len(key) > len(name) and key[len(name)].isupper():
            for v in value if isinstance(value, list) else [value]:
                yield v, key[len(name):]


def show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _conforms(expected: Any, value: Any, pattern: bool) -> bool:
    return matches_pattern(expected, value) if pattern else equals_fixed(expected, value)


def differences(expected: Any, value: Any, pattern: bool) -> list[tuple[str, str]]:
    """Where a value departs from a fixed value or pattern, as HL7's checkFixedValue reports it: a datatype is
    compared property by property (checkIdentifier, checkCoding, checkQuantity...), each departure an error at that
    property ("Missing element 'type' - required by fixed value", "Value is 'x' but is fixed to 'y'"; for a fixed
    value, a property it lacks is not allowed); a CodeableConcept by its text and codings (checkCodeableConcept,
    :func:`_codeable_concept`); a repeating property or a primitive is one error where it stands. Each is (location
    suffix, message); none when the value conforms."""
    if _conforms(expected, value, pattern):
        return []
    kind = "pattern" if pattern else "fixed value"
    if isinstance(expected, dict) and isinstance(value, dict) and isinstance(expected.get("coding"), list):
        return _codeable_concept(expected, value, pattern) or [
            ("", f"value {show(value)} does not match the {kind} {show(expected)}")]
    if not isinstance(expected, dict) or not isinstance(value, dict) or "coding" in expected:
        return [("", f"value {show(value)} does not match the pattern {show(expected)}" if pattern
                 else f"value is {show(value)} but must be exactly {show(expected)}")]
    out: list[tuple[str, str]] = []
    for key, want in expected.items():
        if key not in value:
            out.append((f".{key}", f"missing element '{key}', required by the {kind} in the profile"))
        elif isinstance(want, list) or isinstance(value[key], list):
            if not _conforms(want, value[key], pattern):
                out.append((f".{key}", f"{key} {show(value[key])} does not match the {kind} {show(want)}"))
        elif isinstance(want, dict):
            out.extend((f".{key}{where}", why) for where, why in differences(want, value[key], pattern))
        elif not _same_scalar(want, value[key]):
            out.append((f".{key}", f"value is {show(value[key])} but is fixed to {show(want)}"))
    if not pattern:
        out.extend((f".{key}", f"{key} is present in the instance but not allowed in the fixed value")
                   for key in value if key not in expected and key != "id")
    return out or [("", f"value {show(value)} does not match the {kind} {show(expected)}")]


def _codeable_concept(expected: Json, value: Json, pattern: bool) -> list[tuple[str, str]]:
    """InstanceValidator.checkCodeableConcept: the text as any fixed property; for a pattern, each of its codings
    matched by one of the value's (TYPE_CHECKS_PATTERN_CC, one error each) once there are as many
    (TERMINOLOGY_TX_CODING_COUNT); for a fixed value, as many codings, each compared as a Coding in its place, and
    no extension the fixed value lacks (EXTENSION_EXT_FIXED_BANNED)."""
    kind = "pattern" if pattern else "fixed value"
    out: list[tuple[str, str]] = []
    want, got = expected.get("text"), value.get("text")
    if want is None and got is not None and not pattern:
        out.append((".text", f"text is present in the instance but not allowed in the {kind}"))
    elif want is not None and got is None:
        out.append((".text", f"missing element 'text', required by the {kind} in the profile"))
    elif want is not None and not _same_scalar(want, got):
        out.append((".text", f"value is {show(got)} but is fixed to {show(want)}"))
    wanted, codings = expected["coding"], value.get("coding")
    codings = codings if isinstance(codings, list) else []
    if len(codings) < len(wanted) or (not pattern and len(codings) != len(wanted)):
        out.append(("", f"the {kind} has {len(wanted)} codings, but the instance has {len(codings)}"))
    elif pattern:
        out.extend(("", f"the coding {show(c)} of the pattern is not found in the instance") for c in wanted
                   if not any(matches_pattern(c, have) for have in codings))
    else:
        for i, (fixed, have) in enumerate(zip(wanted, codings, strict=True)):
            out.extend((f".coding[{i}]{where}", why) for where, why in differences(fixed, have, False))
        if value.get("extension") and not expected.get("extension"):
            out.append(("", "the instance has extensions, which the fixed value does not allow"))
    return out
