"""A document Bundle's entries are all reachable from its Composition (R4 documents.html, "Document
Bundle": the resources in it are the Composition and what it references, directly or indirectly).

As HL7's validator: starting at the first entry (the Composition), an entry is reachable when a
reachable entry references it, or when it references a reachable entry (a Provenance of a section, a
Binary's ``securityContext`` owner); an entry reachable neither way is an orphan, an error. References
are every ``reference`` string in a resource, resolved by a document's fullUrl rules (fullUrl, or
``Type/id`` against the entry's RESTful base, never to an entry known by another base or a ``urn:``
fullUrl: bundle_resolution.py). And what the
Composition (or a message's MessageHeader) refers to must be in the Bundle (``check_references``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from conformance.fhirval.bundle_resolution import absolute_reference, entry_maps, fragment_matches, resolve_strict
from conformance.fhirval.bundles import REST_FULLURL
from conformance.fhirval.extensions import CANONICAL_RESOURCES
from conformance.fhirval.source import Json

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker


# Strings that are not links to another entry: HL7's validator leaves out these uri/url elements (and canonicals).
_NOT_LINKS = frozenset({"system", "fullUrl", "profile", "div", "id", "endpoint", "address"})


def _references(value: Any) -> Iterator[str]:
    """Every Reference.reference, and (as HL7's validator, BundleValidator.findReferences) every uri/url value,
    an Attachment.url naming a Binary entry among them; not into a Bundle inside the resource. A string that
    names no entry resolves to nothing, so reading any other string value as a possible link is harmless."""
    if isinstance(value, dict):
        if value.get("resourceType") == "Bundle":
            return
        is_extension = isinstance(value.get("url"), str) and any(k.startswith(("value", "extension")) for k in value)
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            elif isinstance(item, str):
                if key not in _NOT_LINKS and not (key == "url" and is_extension) and not item.startswith("#") \
                        and (":" in item or "/" in item) and " " not in item:
                    yield item
            elif isinstance(item, (dict, list)):
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def check_first_resource(w: Walker, bundle: Json, loc: str) -> None:
    """A document's or a message's first entry has a resource: BundleValidator.validateBundle says so at both its
    sites (BUNDLE_BUNDLE_ENTRY_NOFIRSTRESOURCE, document and message), besides the invariants bdl-5 and bdl-11 /
    bdl-12 that fail with it (fvsite9)."""
    entries = bundle.get("entry")
    kind = bundle.get("type")
    if kind in ("document", "message") and isinstance(entries, list) and entries and isinstance(entries[0], dict) \
            and "resource" not in entries[0]:
        w.sink.error("invariant", f"{loc}.entry[0]", f"the first entry of a {kind} must have a resource")


def check_reachable(w: Walker, bundle: Json, loc: str) -> None:
    entries = bundle.get("entry")
    if bundle.get("type") != "document" or not isinstance(entries, list) or len(entries) < 2 or not w.bundles:
        return
    maps = entry_maps(bundle)
    resources = maps.resources
    if not isinstance(resources[0], dict) or resources[0].get("resourceType") != "Composition":
        return  # bdl-11 (the first entry is a Composition) reports that
    links: list[set[int]] = []
    for i, (entry, res) in enumerate(zip(entries, resources, strict=True)):
        base = entry.get("fullUrl") if isinstance(entry, dict) else None
        found: set[int] = set()
        links.append(found)
        if res is None:
            continue
        for ref in _references(res):
            # by the fullUrl rules of a document (bundle_resolution.py; references.check reports what they refuse)
            target = resolve_strict(maps, ref, base if isinstance(base, str) else None, res, w.model.is_resource_type)
            if target[0] is not None and target[0] != i:
                found.add(target[0])
    reached = {0}
    # an entry a 'stylesheet' link names as Type/id is part of the document (BundleValidator.visitBundleLinks)
    for link in bundle.get("link") or () if isinstance(bundle.get("link"), list) else ():
        if isinstance(link, dict) and link.get("relation") == "stylesheet" and isinstance(link.get("url"), str):
            reached |= {i for i, r in enumerate(resources) if isinstance(r, dict)
                        and f"{r.get('resourceType')}/{r.get('id')}" == link["url"]}
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


# What must resolve inside a document (from its Composition, sections recursively) or a message (from its
# MessageHeader), as HL7's validator: (element, repeats) at each level.
_COMPOSITION_LINKS = (("subject", False), ("author", True), ("encounter", False), ("custodian", False))
_SUB_LINKS = (("attester", "party", False), ("event", "detail", True))
_SECTION_LINKS = (("author", True), ("focus", False), ("entry", True))


def check_references(w: Walker, bundle: Json, loc: str) -> None:
    """A document's Composition (subject, authors, encounter, custodian, attesters, event details, and each
    section's authors, focus and entries) and a message's MessageHeader (focus) reference resources in the
    Bundle: a reference that finds no entry is an error. ``#`` references are the resource's own business."""
    entries = bundle.get("entry")
    kind = bundle.get("type")
    if kind not in ("document", "message") or not isinstance(entries, list) or not entries or not w.bundles:
        return
    first = entries[0] if isinstance(entries[0], dict) else {}
    head, base = first.get("resource"), first.get("fullUrl")
    wanted = {"document": "Composition", "message": "MessageHeader"}[str(kind)]
    if not isinstance(head, dict) or head.get("resourceType") != wanted:
        return
    where = f"{loc}.entry[0].resource"
    found: list[tuple[str, Any]] = []
    if kind == "message":
        found += _links(head, where, (("focus", True),))
    else:
        found += _links(head, where, _COMPOSITION_LINKS)
        for name, child, repeats in _SUB_LINKS:
            for i, part in enumerate(head.get(name) or () if isinstance(head.get(name), list) else ()):
                if isinstance(part, dict):
                    found += _links(part, f"{where}.{name}[{i}]", ((child, repeats),))
        found += _sections(head, where)
    maps = entry_maps(bundle)
    for at, ref in found:
        target, problem = resolve_strict(maps, ref, base if isinstance(base, str) else None, head,
                                         w.model.is_resource_type)
        # a problem is reported where the reference stands (references.py)
        if target is None and problem is None and _must_be_entry(w, ref.partition("#")[0]):
            w.sink.error("reference-unresolved", at, f"{ref!r} is not in the {kind}: what its {wanted} refers to "
                                                     f"there must be one of the Bundle's entries")


def _must_be_entry(w: Walker, ref: str) -> bool:
    """Whether HL7's validator calls it an error that the reference finds no entry (BaseValidator.resolveInBundle,
    BUNDLE_BUNDLE_ENTRY_NOTFOUND): an absolute one unless it is a RESTful URL of a canonical resource type (a
    definition, not content of the document); a relative one only when it starts with a resource type."""
    if absolute_reference(ref):
        rest = REST_FULLURL.fullmatch(ref)
        return rest is None or rest.group("type") not in CANONICAL_RESOURCES
    parts = ref.split("/")
    return len(parts) >= 2 and w.model.is_resource_type(parts[0])


def _links(holder: Json, where: str, names: tuple[tuple[str, bool], ...]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name, repeats in names:
        value = holder.get(name)
        values = (list(enumerate(value)) if isinstance(value, list) else []) if repeats else [(None, value)]
        for i, item in values:
            ref = item.get("reference") if isinstance(item, dict) else None
            if isinstance(ref, str) and ref and not ref.startswith("#"):
                out.append((f"{where}.{name}" + (f"[{i}]" if i is not None else ""), ref))
    return out


def _sections(holder: Json, where: str, depth: int = 0) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    sections = holder.get("section")
    for i, section in enumerate(sections if isinstance(sections, list) and depth < 50 else ()):
        if isinstance(section, dict):
            here = f"{where}.section[{i}]"
            out += _links(section, here, _SECTION_LINKS)
            out += _sections(section, here, depth + 1)
    return out


NARRATIVE_LINK = "http://hl7.org/fhir/StructureDefinition/narrativeLink"


def check_narrative_links(w: Walker, bundle: Json, loc: str) -> None:
    """A narrativeLink extension's valueUrl in an entry of a document or message, as BundleValidator.checkAllInterlinked
    resolves it (BaseValidator.resolveInBundle with isNLLink): an absolute URL naming one entry, with a fragment that
    is the id of no element or narrative XHTML element there, is an error (BUNDLE_BUNDLE_ENTRY_NOTFOUND_FRAGMENT,
    hintOrError(isNLLink)); of several, an error too (BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE_FRAGMENT). One naming no
    entry is a hint there; one naming several entries is references.py's and resolve_strict's (_FOUND_MULTIPLE)."""
    entries = bundle.get("entry")
    kind = bundle.get("type")
    if kind not in ("document", "message") or not isinstance(entries, list) or not entries or not w.bundles:
        return
    if kind == "message" and not (isinstance(entries[0], dict) and isinstance(entries[0].get("resource"), dict)):
        return  # checkAllInterlinked runs for a message only when its first entry has a resource
    maps = entry_maps(bundle)
    for i, entry in enumerate(entries):
        seen: set[str] = set()  # findReferences keeps each value once per entry (hasReference)
        for at, url in _narrative_links(entry, f"{loc}.entry[{i}]"):
            if url in seen:
                continue
            seen.add(url)
            base, _, fragment = url.partition("#")
            hits = maps.by_url.get(base, [])
            if not fragment or len(hits) != 1 or not absolute_reference(base):
                continue
            n = fragment_matches(maps.entries[hits[0]], fragment)
            if n != 1:
                w.sink.error("reference-unresolved" if n == 0 else "bundle-duplicate", at,
                             f"{n} elements of the entry {base!r} have the id {fragment!r} the narrative link names")


def _narrative_links(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(path, valueUrl) of every narrativeLink in an ``extension`` (BundleValidator.isNLLink: the parent is named
    extension), not into a Bundle inside the entry."""
    if isinstance(value, dict):
        if value.get("resourceType") == "Bundle":
            return
        for key, item in value.items():
            if key == "extension" and isinstance(item, list):
                for k, ext in enumerate(item):
                    link = ext.get("valueUrl") if isinstance(ext, dict) and ext.get("url") == NARRATIVE_LINK else None
                    if isinstance(link, str):
                        yield f"{where}.extension[{k}].valueUrl", link
            if isinstance(item, (dict, list)):
                yield from _narrative_links(item, f"{where}.{key}")
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from _narrative_links(item, f"{where}[{k}]")
