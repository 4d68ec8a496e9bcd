"""Elements a specialization adds to its base (a logical model on a logical model, or on ``Base``), as HL7 adds them.

A specialization's differential may define elements its base does not have (``Boo.b`` on ``Foo``, ``TestBase.test``
on ``Base``). ProfilePathProcessor walks the base and leaves them unmatched; ProfileUtilities.generateSnapshot then
(``derivation == SPECIALIZATION``) inserts a copy of each after the last element under its parent's path
(findLastChildForParent), and when the next differential element walks into it (walksInto), appends the elements of
its one type below it, their paths renamed (addInheritedElementsForSpecialization: ``BackboneElement`` gives ``id``,
``extension``, ``modifierExtension``), the type root's constraints going to the new element. An element walked into
with several types is HL7's "Unsupported scenario: specialization walks into multiple types" (a refusal). HL7's
generator tests logical2, logical3, logical-boo, cdshooks-*, lm-spec, xt-logical.
"""

from __future__ import annotations

from conformance.fhirval.snapshot_checks import Refused
from conformance.fhirval.source import DefinitionSource, Json, deep_copy


def _last_child(elements: list[Json], parent_path: str) -> int | None:
    """findLastChildForParent: just past the elements whose path starts with the parent's (HL7 compares the path
    prefix without a dot), from the parent's first occurrence; None when no element has the parent's path."""
    index = next((n for n, el in enumerate(elements) if el.get("path") == parent_path), None)
    if index is None:
        return None
    while index < len(elements) and str(elements[index].get("path", "")).startswith(parent_path):
        index += 1
    return index


def add_specialized(url: str, source: DefinitionSource, elements: list[Json], diff: Json, element_id: str,
                    walks_into: bool) -> int | None:
    """Insert the differential element ``diff`` (as ``element_id``) into ``elements`` and return its index; None when
    its parent is not there either (then it matches nothing, as before)."""
    path = str(diff["path"])
    at = _last_child(elements, path.rsplit(".", 1)[0]) if "." in path else None
    if at is None:
        return None
    added = deep_copy(diff)
    added["id"] = element_id
    elements.insert(at, added)
    types = [t for t in added.get("type", []) if isinstance(t, dict)] if isinstance(added.get("type"), list) else []
    if walks_into and len(types) > 1:
        raise Refused(url, f"differential element {element_id}: Unsupported scenario: specialization walks into "
                           "multiple types")
    definition = source.structure(str(types[0].get("code"))) if walks_into and types else None
    inherited = (definition or {}).get("snapshot", {}).get("element", [])
    if inherited:
        root = str(inherited[0].get("path"))
        for el in inherited[1:]:
            child = deep_copy(el)
            child["path"] = path + str(child["path"])[len(root):]
            child["id"] = element_id + str(child.get("id") or el["path"])[len(root):]
            elements.append(child)
        added["constraint"] = [*added.get("constraint", []), *deep_copy(inherited[0].get("constraint", []))]
    return at
