"""References between the entries of a document or message Bundle, resolved by HL7's rules.

HL7's validator holds these Bundles to the fullUrl rules of R4 (bundle.html#references): an absolute
reference finds the entry with that fullUrl; a relative ``Type/id`` finds the entry whose fullUrl is the
referring entry's RESTful base plus ``Type/id``, and nothing else (BaseValidator.resolveInBundle, called
for every reference of every entry by BundleValidator.checkAllInterlinked). Two outcomes there are errors:
several entries match (BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE), and a relative reference that matches no
fullUrl while an entry has that type and id (BUNDLE_BUNDLE_ENTRY_NOTFOUND_APPARENT / _CANNOT: the entry
is known by another base, or by a ``urn:`` fullUrl). A reference that finds nothing at all is only a hint
there. Other Bundles (collections, searches...) resolve as BaseValidator.getFromBundle does (bundles.resolve): the
same fullUrl rules, where a ``Type/id`` on another base is only a possible match, not an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.fhirval.bundles import REST_FULLURL
from conformance.fhirval.references import SCHEME
from conformance.fhirval.source import Json

STRICT_TYPES = frozenset({"document", "message"})


@dataclass
class EntryMaps:
    """Entry indexes by fullUrl (and fullUrl/_history/version) and by Type/id (and Type/id/_history/version)."""

    resources: list[Json | None] = field(default_factory=list)
    by_url: dict[str, list[int]] = field(default_factory=dict)
    by_type_id: dict[str, list[int]] = field(default_factory=dict)


def entry_maps(bundle: Json) -> EntryMaps:
    maps = EntryMaps()
    entries = bundle.get("entry")
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        entry = entry if isinstance(entry, dict) else {}
        res = entry.get("resource")
        maps.resources.append(res if isinstance(res, dict) else None)
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str):
            maps.by_url.setdefault(full_url, []).append(i)
        if not isinstance(res, dict):
            continue
        rid, meta = res.get("id"), res.get("meta")
        version = meta.get("versionId") if isinstance(meta, dict) else None
        rel = f"{res.get('resourceType')}/{rid}" if isinstance(rid, str) else None
        if rel:
            maps.by_type_id.setdefault(rel, []).append(i)
        if isinstance(version, str):
            if isinstance(full_url, str):
                maps.by_url.setdefault(f"{full_url}/_history/{version}", []).append(i)
            if rel:
                maps.by_type_id.setdefault(f"{rel}/_history/{version}", []).append(i)
    return maps


def resolve_strict(maps: EntryMaps, ref: str, full_url: str | None, source: Json,
                   is_type: Callable[[str], bool]) -> tuple[int | None, tuple[str, str] | None]:
    """(the entry index the reference finds, or None; the error HL7's validator reports, as (defect, message)).

    ``full_url`` and ``source`` are the referring entry's fullUrl and resource."""
    ref = ref.partition("#")[0]
    if SCHEME.match(ref):
        hits = maps.by_url.get(ref, [])
        if len(hits) > 1:
            return None, ("bundle-duplicate", f"{len(hits)} entries have the fullUrl {ref!r}: the reference is "
                                              "ambiguous")
        return (hits[0] if hits else None), None
    tail = f"{source.get('resourceType')}/{source.get('id')}"
    hits = []
    if isinstance(full_url, str) and REST_FULLURL.fullmatch(full_url) and full_url.endswith(tail):
        hits = maps.by_url.get(full_url[:-len(tail)] + ref, [])
    if len(hits) > 1:
        return None, ("bundle-duplicate", f"{len(hits)} entries match {ref!r} by the Bundle's fullUrl rules: the "
                                          "reference is ambiguous")
    if hits:
        return hits[0], None
    parts = ref.split("/")
    same = maps.by_type_id.get(f"{parts[0]}/{parts[1]}", []) if len(parts) >= 2 and is_type(parts[0]) else []
    if same:
        return None, ("reference-unresolved", f"{ref!r} does not resolve in the Bundle: {len(same)} entry(ies) have "
                      "that type and id, but not the fullUrl it resolves to (the referring entry's RESTful base plus "
                      "Type/id; an entry known by a urn: fullUrl is reached only by it)")
    return None, None
