"""A document Bundle's entries are all reachable from its Composition (R4 documents.html, "Document
Bundle": the resources in it are the Composition and what it references, directly or indirectly).

As HL7's validator: starting at the first entry (the Composition), an entry is reachable when a
reachable entry references it, or when it references a reachable entry (a Provenance of a section, a
Binary's ``securityContext`` owner); an entry reachable neither way is an orphan, an error. References
are every ``reference`` string in a resource, resolved as elsewhere in the Bundle (fullUrl, or
``Type/id`` against the entry's base, never to an entry known by a ``urn:`` fullUrl).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from conformance.fhirval.bundles import resolve
from conformance.fhirval.references import RELATIVE
from conformance.fhirval.source import Json

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            elif isinstance(item, (dict, list)):
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def check_reachable(w: Walker, bundle: Json, loc: str) -> None:
    entries = bundle.get("entry")
    if bundle.get("type") != "document" or not isinstance(entries, list) or len(entries) < 2 or not w.bundles:
        return
    table = w.bundles[-1]
    resources = [e.get("resource") if isinstance(e, dict) else None for e in entries]
    if not isinstance(resources[0], dict) or resources[0].get("resourceType") != "Composition":
        return  # bdl-11 (the first entry is a Composition) reports that
    index = {id(r): i for i, r in enumerate(resources) if isinstance(r, dict)}
    links: list[set[int]] = []
    for i, (entry, res) in enumerate(zip(entries, resources, strict=True)):
        base = entry.get("fullUrl") if isinstance(entry, dict) else None
        found: set[int] = set()
        for ref in _references(res) if isinstance(res, dict) else ():
            target = resolve(table, ref, base if isinstance(base, str) else None)
            m = RELATIVE.fullmatch(ref)
            if m is not None and target is not None and table.get(f"?{m.group('type')}/{m.group('id')}") is target:
                continue  # Type/id does not reach an entry known by a urn: fullUrl (references.check says so)
            if target is not None and id(target) in index and index[id(target)] != i:
                found.add(index[id(target)])
        links.append(found)
    reached = {0}
    changed = True
    while changed:  # bounded: each pass adds an entry or stops
        changed = False
        for i, targets in enumerate(links):
            if i in reached:
                new = targets - reached
            elif targets & reached:
                new = {i}
            else:
                continue
            if new:
                reached |= new
                changed = True
    for i, res in enumerate(resources):
        if isinstance(res, dict) and i not in reached:
            w.sink.error("bundle-orphan", f"{loc}.entry[{i}]", "this entry is not reachable from the document's "
                                                               "Composition by references, forward or backward")
