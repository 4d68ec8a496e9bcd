"""A JSON property given twice in one object: HL7's JSON reader reports it and keeps the first.

``json.loads`` keeps the last value of a repeated key and says nothing, so a resource whose ``active`` is given
twice would be judged on a value HL7 ignores. HL7's element-model JsonParser (org.hl7.fhir.r5 elementmodel
JsonParser.checkNotProcessed, every FHIR version) reports DUPLICATE_JSON_PROPERTY_KEY, an error ("The JSON
property 'x' is a duplicate and will be ignored"), at the object's path, and reads the first occurrence.
"""

from __future__ import annotations

from typing import Any


class DuplicateKeys:
    """An ``object_pairs_hook`` that keeps each key's first value and remembers the objects that repeat one."""

    def __init__(self) -> None:
        self.found: list[tuple[dict[str, Any], str]] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        obj = {}
        for key, value in pairs:
            if key in obj:
                self.found.append((obj, key))
            else:
                obj[key] = value
        return obj


def duplicate_locations(doc: Any, found: list[tuple[dict[str, Any], str]]) -> list[tuple[str, str]]:
    """(FHIRPath-style location of the object, repeated key) for each repeat, in document order."""
    if not found:
        return []
    wanted = {id(obj) for obj, _ in found}
    paths: dict[int, str] = {}
    root = doc.get("resourceType") if isinstance(doc, dict) else None
    stack: list[tuple[Any, str]] = [(doc, root if isinstance(root, str) else "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if id(node) in wanted:
                paths[id(node)] = path
            stack.extend((v, f"{path}.{k}" if path else k) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
    return [(paths.get(id(obj), ""), key) for obj, key in found]
