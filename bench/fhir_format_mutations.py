"""Invalid twins for the format-parity bench: small, deterministic faults put into a valid JSON resource.

Valid examples only show false alarms that differ between the formats; a missed error that differs needs invalid
content in both forms. Each mutation breaks one thing every format can carry (so both forms must report it at
the same element), at the first place in the resource where it applies:

- ``empty-string``: a string primitive made ``""`` (``@value`` empty in XML);
- ``padded-code``: a code given with surrounding white space;
- ``primitive-id``: a primitive given an ``id`` and nothing else beside its value (``_name: {"id": ...}``);
- ``valueless-primitive``: a primitive's value dropped, an extension kept in its place;
- ``unknown-property``: a property no definition has, on a complex element;
- ``bad-boolean``: a boolean made the string ``"maybe"`` in JSON (a wrong JSON type there, a bad lexical form
  in XML; both errors, at the same element).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

Json = dict[str, Any]
_EXT = {"url": "http://example.org/fhir/StructureDefinition/parity-mutation", "valueString": "x"}
_SKIP = {"resourceType", "div", "url", "id", "reference", "system", "version"}


def _first(node: Any, want: Callable[[Json, str, Any], bool]) -> tuple[Json, str] | None:
    """The first (object, key) in document order whose value ``want`` accepts; contained resources included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _SKIP and not key.startswith("_") and want(node, key, value):
                return node, key
        for value in node.values():
            found = _first(value, want)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _first(value, want)
            if found:
                return found
    return None


def _string(obj: Json, key: str, value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "_" + key not in obj


def _code(obj: Json, key: str, value: Any) -> bool:
    return key in ("status", "gender", "use", "code") and _string(obj, key, value) and " " not in value


def _complex(obj: Json, key: str, value: Any) -> bool:
    return isinstance(value, dict) and "resourceType" not in value and key != "text"


def _boolean(obj: Json, key: str, value: Any) -> bool:
    return isinstance(value, bool) and "_" + key not in obj


def _valueless(obj: Json, key: str) -> None:
    obj["_" + key] = {"extension": [dict(_EXT)]}
    del obj[key]


def mutations(resource: Json) -> Iterator[tuple[str, Json]]:
    """(name, mutated copy) for each mutation that applies to the resource."""
    plans: list[tuple[str, Callable[[Json, str, Any], bool], Callable[[Json, str], None]]] = [
        ("empty-string", _string, lambda o, k: o.__setitem__(k, "")),
        ("padded-code", _code, lambda o, k: o.__setitem__(k, f" {o[k]} ")),
        ("primitive-id", _string, lambda o, k: o.__setitem__("_" + k, {"id": "parity1"})),
        ("valueless-primitive", _string, _valueless),
        ("unknown-property", _complex, lambda o, k: o[k].__setitem__("parityUnknown", {"text": "x"})),
        ("bad-boolean", _boolean, lambda o, k: o.__setitem__(k, "maybe")),
    ]
    for name, want, change in plans:
        mutated = copy.deepcopy(resource)
        found = _first(mutated, want)
        if found is not None:
            change(*found)
            yield name, mutated
