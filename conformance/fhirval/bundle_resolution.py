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
from conformance.fhirval.references import SCHEME, is_absolute_url
from conformance.fhirval.source import Json
from conformance.fhirval.text_links import count_ids, xhtml_ids

STRICT_TYPES = frozenset({"document", "message"})


@dataclass
class EntryMaps:
    """Entry indexes by fullUrl (and fullUrl/_history/version) and by Type/id (and Type/id/_history/version)."""

    resources: list[Json | None] = field(default_factory=list)
    entries: list[Json] = field(default_factory=list)
    by_url: dict[str, list[int]] = field(default_factory=dict)
    by_type_id: dict[str, list[int]] = field(default_factory=dict)


def entry_maps(bundle: Json) -> EntryMaps:
    maps = EntryMaps()
    entries = bundle.get("entry")
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        entry = entry if isinstance(entry, dict) else {}
        maps.entries.append(entry)
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


def fragment_matches(node: object, fragment: str) -> int:
    """BaseValidator.countFragmentMatches over an entry: every element (the entry, its resource, contained ones,
    any element) whose ``id`` is the fragment, and every XHTML element of a narrative whose ``id`` attribute is (the
    one reading text_links uses for textLink fragments: XHTML's attribute names are case-sensitive)."""
    return count_ids(node, fragment) + xhtml_ids(node, fragment)


def resolve_strict(maps: EntryMaps, ref: str, full_url: str | None, source: Json,
                   is_type: Callable[[str], bool]) -> tuple[int | None, tuple[str, str] | None]:
    """(the entry index the reference finds, or None; the error HL7's validator reports, as (defect, message)).

    ``full_url`` and ``source`` are the referring entry's fullUrl and resource."""
    ref, _, fragment = ref.partition("#")
    if SCHEME.match(ref):
        hits = maps.by_url.get(ref, [])
        if len(hits) > 1:
            return None, ("bundle-duplicate", f"{len(hits)} entries have the fullUrl {ref!r}: the reference is "
                                              "ambiguous")
        if hits and fragment and (n := fragment_matches(maps.entries[hits[0]], fragment)) > 1:
            # BaseValidator.resolveInBundle: BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE_FRAGMENT, a rule
            return hits[0], ("bundle-duplicate", f"{n} elements of the entry {ref!r} have the id {fragment!r}: the "
                                                 "reference is ambiguous")
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


def _java_split(text: str, sep: str) -> list[str]:
    """String.split as Java does it: trailing empty strings dropped."""
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def absolute_reference(ref: str) -> bool:
    """A reference BaseValidator resolves in a Bundle as it stands, not against the referring entry's fullUrl:
    ``ref.startsWith("http:") || ref.startsWith("urn:") || Utilities.isAbsoluteUrl(ref)``."""
    return ref.startswith(("http:", "urn:")) or is_absolute_url(ref)


def _target_url(ref: str, full_url: str | None) -> tuple[str, str] | None:
    """(target URL, version or "") that BaseValidator.getFromBundle looks for among the entries' fullUrls, or None
    where it looks for none (no fullUrl to resolve against, a relative reference of neither 1 nor 3 segments'
    slashes: errors of their own). An absolute reference with ``/_history/`` is cut, as HL7 cuts it, one
    character before ``/_history/`` (``ref.indexOf("/_history/") - 1``)."""
    if absolute_reference(ref):
        if "/_history/" in ref:
            i = ref.index("/_history/")
            return ref[:i - 1], ref[i + 10:]
        return ref, ""
    if full_url is None or ref.count("/") not in (1, 3):
        return None
    if full_url.startswith("urn"):
        base = "".join(p + ":" for p in _java_split(full_url, ":")[:-1])
    else:
        base = "".join(p + "/" for p in _java_split(full_url, "/")[:-2])
    if "/_history/" in ref:
        i = ref.index("/_history/")
        parts = _java_split(ref[:i], "/")
        return (base + parts[0] + "/" + parts[1], ref[i + 10:]) if len(parts) >= 2 else None
    if base.startswith("urn"):
        parts = _java_split(ref, "/")
        return (base + parts[1], "") if len(parts) >= 2 else None
    return base + ref, ""


def full_url_matches(maps: EntryMaps, ref: str, full_url: str | None) -> int:
    """How many entries a reference finds by BaseValidator.getFromBundle's rules: those whose fullUrl is the target
    URL (``_target_url``) and, for a versioned reference, whose resource's meta.versionId is that version. More
    than one is an error there (BUNDLE_BUNDLE_MULTIPLEMATCHES: ``rule(..., match == null, ...)`` on each later
    match), in a Bundle of any type; several entries may share a fullUrl in a history, or with different
    meta.versionIds anywhere (bdl-7). An unversioned match sets ``match = r``, which is null for an entry without a
    resource (a history's DELETE), so the match after such an entry is not counted against it: the answer is 1 plus
    the matches whose previous match held a resource."""
    target = _target_url(ref, full_url)  # a fragment stays in it, as there: such a reference finds no fullUrl
    if target is None:
        return 0
    url, version = target
    if version:  # only entries whose resource has that meta.versionId are indexed under it
        return len(maps.by_url.get(f"{url}/_history/{version}", []))
    found = maps.by_url.get(url, [])
    return min(len(found), 1) + sum(1 for prev in found[:-1] if maps.resources[prev] is not None)
