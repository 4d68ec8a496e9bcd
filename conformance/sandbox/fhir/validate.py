"""Light structural validation of posted resources, so invalid data is refused instead of stored.

Not a full validator: it checks the top-level elements of the 12 served types against elements.json
(unknown names, array vs single, complex vs primitive) and the R4 regexes of primitive values. That
catches what real clients get wrong most (typos, bad dates), which is what the suite probes.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.fhir.searchparams import date_range
from conformance.sandbox.fhir.capability import data

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_MONTH_DAY = r"-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
_PATTERNS: dict[str, re.Pattern[str]] = {
    "date": re.compile(rf"{_YEAR}({_MONTH_DAY})?)?"),
    "dateTime": re.compile(rf"{_YEAR}({_MONTH_DAY}(T{_TIME}{_ZONE})?)?)?"),
    "instant": re.compile(rf"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T{_TIME}{_ZONE}"),
    "id": re.compile(r"[A-Za-z0-9\-\.]{1,64}"),
    "code": re.compile(r"[^\s]+( [^\s]+)*"),
    "uri": re.compile(r"\S*"),
    "url": re.compile(r"\S*"),
    "canonical": re.compile(r"\S*"),
    "oid": re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+"),
    "uuid": re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "time": re.compile(_TIME),
}
_STRINGS = {"string", "markdown", "base64Binary", "xhtml"}
_INTEGERS = {"integer", "positiveInt", "unsignedInt"}


# Top-level codes whose R4 binding is required (a small table: what the suite probes and clients get wrong).
_GENDER = frozenset({"male", "female", "other", "unknown"})
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {("Patient", "gender"): _GENDER,
                                                         ("Practitioner", "gender"): _GENDER}


def code_problems(rtype: str, resource: dict[str, Any]) -> list[str]:
    """Codes outside their required binding's value set (administrative-gender...)."""
    return [f"{rtype}.{name}: {resource[name]!r} is not in the required value set ({', '.join(sorted(codes))})"
            for (t, name), codes in REQUIRED_CODES.items()
            if t == rtype and name in resource and resource[name] not in codes]


def problems(rtype: str, resource: dict[str, Any]) -> list[str]:
    """Everything structurally wrong with the resource's top level; empty if it looks valid R4."""
    elements: dict[str, list[Any]] = data()["elements"].get(rtype, {})
    found: list[str] = []
    for name, value in resource.items():
        if name == "resourceType":
            continue
        spec = elements.get(name.removeprefix("_")) if name.startswith("_") else elements.get(name)
        if spec is None:
            found.append(f"{rtype}.{name}: unknown element")
            continue
        if name.startswith("_"):
            continue  # extensions on a primitive: not checked further
        array, *codes = spec
        if array != isinstance(value, list):
            found.append(f"{rtype}.{name}: must be {'an array' if array else 'a single value, not an array'}")
            continue
        for item in value if isinstance(value, list) else [value]:
            issue = _check(item, codes)
            if issue:
                found.append(f"{rtype}.{name}: {issue}")
    return found


def _check(value: Any, codes: list[str]) -> str | None:
    code = codes[0] if len(codes) == 1 else ""
    if not code or code[0].isupper():  # complex types (and Resource for contained) are JSON objects
        return None if isinstance(value, dict) else "must be a JSON object"
    if code == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if code in _INTEGERS:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"must be an {code}"
    if code == "decimal":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a decimal number"
    if not isinstance(value, str):
        return f"must be a {code} string"
    if code in _STRINGS:
        return None if value.strip() or code == "xhtml" else "must not be empty"
    pattern = _PATTERNS.get(code)
    if pattern and not pattern.fullmatch(value):
        return f"{value!r} is not a valid {code}"
    if code in ("date", "dateTime", "instant") and date_range(value) is None:
        return f"{value!r} is not a real {code}"
    return None
