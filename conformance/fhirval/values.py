"""Comparing instance values with a profile's ``fixed[x]`` and ``pattern[x]``, and navigating instances.

``fixed`` means exactly this value (no more, no less); ``pattern`` means at least this: every property
the pattern has must be present with a matching value, and each element of a pattern array must
match some element of the instance array (FHIR R4 ElementDefinition.pattern[x]).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


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
