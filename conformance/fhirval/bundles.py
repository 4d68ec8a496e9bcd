"""Bundles: entries indexed by fullUrl so references between them resolve, and the entry-level rules.

Each entry's resource is validated where it stands (``Bundle.entry[3].resource``) by the ordinary walk;
this module only supplies what the walk cannot see from inside one entry: the fullUrl table, the
fullUrl/id agreement, bdl-7 (fullUrl unique), checked natively (see invariants.py), and a search
result's own rules (the Bundle resource's "searchset" description, as HL7's validator applies them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from conformance.fhirval.references import FULLURL_OPTIONAL, RELATIVE, is_absolute_url, posted
from conformance.fhirval.source import Json

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker


def _entries(bundle: Json) -> list[Json]:
    entries = bundle.get("entry")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def index_entries(bundle: Json) -> dict[str, Json]:
    """fullUrl -> resource, the only key a reference between entries resolves by (see ``resolve``); and, for a
    versioned ``Type/id/_history/vid``, `` fullUrl/_history/versionId`` (a space first: no fullUrl has one)."""
    table: dict[str, Json] = {}
    for entry in _entries(bundle):
        res, full_url = entry.get("resource"), entry.get("fullUrl")
        if isinstance(res, dict) and isinstance(full_url, str):
            table.setdefault(full_url, res)
            meta = res.get("meta")
            version = meta.get("versionId") if isinstance(meta, dict) else None
            if isinstance(version, str):  # a history holds several versions under one fullUrl
                table.setdefault(f" {full_url}/_history/{version}", res)
    return table


def entry_full_url(bundle: Json, res: Json, host: Json) -> str | None:
    """The fullUrl of the entry that holds ``res``: the object being walked when the walk stands in that entry,
    else found among the entries (a slice's trial validation of ``entry.resource`` stands on the Bundle; without
    the fullUrl its ``Type/id`` references had no RESTful base to resolve against)."""
    entry = host if host.get("resource") is res else next(
        (e for e in _entries(bundle) if e.get("resource") is res), None)
    full_url = entry.get("fullUrl") if entry is not None else None
    return full_url if isinstance(full_url, str) else None


def resolve(table: dict[str, Json], ref: str, base_url: str | None) -> Json | None:
    """The entry a reference finds as HL7's validator finds it (BaseValidator.getFromBundle): an absolute one by its
    fullUrl; ``Type/id`` (optionally ``/_history/vid``, then of that meta.versionId) as the referring entry's base
    plus ``Type/id`` (a RESTful fullUrl's base: all but its last two segments), or, from an entry known by a
    ``urn:`` fullUrl, as that urn's namespace plus the id. Nothing else: an entry of that type and id on another
    base is not the one meant (HL7 only warns of a possible match), so its target profiles are not judged."""
    hit = table.get(ref)
    if hit is not None:
        return hit
    m = RELATIVE.fullmatch(ref)
    if m is None or not base_url:
        return None
    if base_url.startswith("urn:"):
        return table.get(f"{base_url.rpartition(':')[0]}:{m.group('id')}") if m.group("vid") is None else None
    target = f"{base_url.rstrip('/').rsplit('/', 2)[0]}/{m.group('type')}/{m.group('id')}"
    return table.get(target) if m.group("vid") is None else table.get(f" {target}/_history/{m.group('vid')}")


_PAGING = frozenset({"first", "previous", "next", "last"})
_REQUEST_TYPES = frozenset({"batch", "transaction", "history"})

_RESPONSE_TYPES = frozenset({"batch-response", "transaction-response", "history"})
# A fullUrl HL7's validator reads as a RESTful URL (Constants.URI_REGEX_XVER): http(s) or none, then Type/id.
REST_FULLURL = re.compile(r"(?:https?://(?:[A-Za-z0-9\\.:%$\-_]*/)*?)?(?P<type>[A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}" \
                           r"(?:/_history/[A-Za-z0-9\-.]{1,64})?")


def check_entries(w: Walker, bundle: Json, loc: str) -> None:
    """fullUrl agrees with the resource's type and id; fullUrl (+versionId) unique unless a history (bdl-7);
    entry.request only in batches/transactions/histories (bdl-3), entry.response only in their responses (bdl-4)."""
    seen: dict[tuple[str, str | None], int] = {}
    btype = bundle.get("type")
    history = btype == "history"
    for i, entry in enumerate(bundle.get("entry") or () if isinstance(bundle.get("entry"), list) else ()):
        if not isinstance(entry, dict):
            continue
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str) and full_url and not is_absolute_url(full_url):
            # BundleValidator.validateBundle (BUNDLE_ENTRY_URL_ABSOLUTE), by Utilities.isAbsoluteUrl: a lowercase
            # token scheme, so neither "HTTP://..." nor a relative "Patient/1" is a fullUrl
            w.sink.error("bundle-fullurl", f"{loc}.entry[{i}]",
                         f"the fullUrl must be an absolute URL (not {full_url!r})")
        elif full_url is None:
            # HL7's validator holds fullUrl optional in a whole transaction or batch (and their responses), whatever
            # the method, and requires it of every other entry, with a resource or not, posted or not
            # (BundleValidator.java: fullUrlOptional, BUNDLE_BUNDLE_ENTRY_FULLURL_REQUIRED); R4's text asks for it
            # except on a POST: a warning there.
            if not isinstance(btype, str) or btype not in FULLURL_OPTIONAL:
                w.sink.error("bundle-fullurl", f"{loc}.entry[{i}]", "the entry has no fullUrl (only a transaction or "
                                                                    "batch may omit it)")
            elif "resource" in entry and not posted(entry):
                w.sink.warning("bundle-fullurl", f"{loc}.entry[{i}]", "the entry has a resource but no fullUrl "
                                                                      "(R4 expects one except on a POST)")
        if isinstance(btype, str):
            if ("request" in entry) != (btype in _REQUEST_TYPES):
                w.sink.error("invariant", loc, "constraint failed: bdl-3: entry.request mandatory for "
                                               "batch/transaction/history, otherwise prohibited")
            if ("response" in entry) != (btype in _RESPONSE_TYPES):
                w.sink.error("invariant", loc, "constraint failed: bdl-4: entry.response mandatory for "
                                               "batch-response/transaction-response/history, otherwise prohibited")
        full_url, res = entry.get("fullUrl"), entry.get("resource")
        if not isinstance(full_url, str) or not isinstance(res, dict):
            continue
        where = f"{loc}.entry[{i}]"
        rest = REST_FULLURL.fullmatch(full_url) if is_absolute_url(full_url) else None
        named = rest.group("type") if rest is not None else None
        rid = res.get("id")
        # only a RESTful http(s) URL (its second-last segment a resource type) must end with type/id, as HL7's
        # validator (BundleValidator.java, the fullUrl matching urlRegex); another scheme is not read as one
        if named and w.model.is_resource_type(named) and isinstance(rid, str):
            tail = full_url.rstrip("/").rsplit("/", 2)
            if len(tail) == 3 and (tail[1] != res.get("resourceType") or tail[2] != rid):
                w.sink.error("bundle-fullurl", f"{where}.fullUrl", f"the fullUrl {full_url} does not match the "
                             f"resource's type and id ({res.get('resourceType')}/{rid})")
        elif named and w.model.is_resource_type(named) and rid is None:  # a relative fullUrl is reported above
            w.sink.error("bundle-fullurl", where, f"the fullUrl {full_url} looks like a RESTful server URL, but the "
                                                  "resource has no id")
        canonical = res.get("url")
        if canonical == full_url and not (rest and isinstance(rid, str) and full_url.endswith(f"/{rid}")) \
                and not full_url.startswith(("http://hl7.org/fhir/v3/", "http://hl7.org/fhir/v2/")):
            # BundleValidator.java (BUNDLE_BUNDLE_ENTRY_MISMATCHIDURL): a fullUrl may be the canonical URL only as
            # the resource's RESTful address on the canonical server, ending with its id
            w.sink.error("bundle-fullurl", where, f"the canonical URL {canonical} cannot be the fullUrl unless the "
                                                  f"resource's id ({rid}) also matches (a RESTful URL ending with it)")
        meta = res.get("meta")
        version = meta.get("versionId") if isinstance(meta, dict) else None
        key = (full_url, version if isinstance(version, str) else None)
        if key in seen and not history:
            w.sink.error("bundle-duplicate", where, f"constraint failed: bdl-7: the fullUrl {full_url} is also used "
                                                    f"by entry[{seen[key]}] (fullUrl must be unique in a Bundle)")
        seen.setdefault(key, i)
    # Links, as HL7's validator: paging relations only in search results and histories; there each paging
    # relation and 'self' once, elsewhere 'self' once (other relations, 'alternate', 'stylesheet'..., may repeat).
    paged = btype in ("searchset", "history")
    unique = _PAGING | {"self"} if paged else {"self"}
    relations: set[str] = set()
    for i, link in enumerate(bundle.get("link") or () if isinstance(bundle.get("link"), list) else ()):
        relation = link.get("relation") if isinstance(link, dict) else None
        if isinstance(relation, str):
            if relation in _PAGING and not paged and isinstance(btype, str):
                w.sink.error("bundle-link", f"{loc}.link[{i}].relation", f"the link relation {relation!r} is for "
                                                                         f"paging search results, not a {btype}")
            elif relation in relations and relation in unique:
                w.sink.error("bundle-duplicate", f"{loc}.link[{i}]", f"the link relation {relation!r} can only occur "
                                                                    "once")
            relations.add(relation)
            if relation == "stylesheet" and btype == "document":
                _check_stylesheet(w, bundle, link.get("url"), f"{loc}.link[{i}].url")
    if btype == "searchset":
        check_searchset(w, bundle, loc)


def _check_stylesheet(w: Walker, bundle: Json, url: Any, loc: str) -> None:
    """A document's stylesheet link that is not an absolute URL names an entry of the document as Type/id
    (BundleValidator.validateDocumentLink: BUNDLE_LINK_STYELSHEET_NOT_FOUND)."""
    if not isinstance(url, str) or is_absolute_url(url):
        return
    for entry in _entries(bundle):
        res = entry.get("resource")
        if isinstance(res, dict) and f"{res.get('resourceType')}/{res.get('id')}" == url:
            return
    w.sink.error("bundle-link", loc, f"the stylesheet {url!r} is not an entry of the document (Type/id)")


def check_searchset(w: Walker, bundle: Json, loc: str) -> None:
    """A search result: an 'outcome' entry is an OperationOutcome; a 'match' has an id, so the client can
    use it, and is of a type the search (its self link: path or ``_type``) asked for."""
    wanted = _searched_types(w, bundle)
    for i, entry in enumerate(_entries(bundle)):
        search, res = entry.get("search"), entry.get("resource")
        mode = search.get("mode") if isinstance(search, dict) else None
        if res is None:  # BundleValidator.checkSearchSet: BUNDLE_SEARCH_ENTRY_NO_RESOURCE
            w.sink.error("searchset", f"{loc}.entry[{i}]", "an entry of search results must have a resource")
        if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            continue
        rtype = res["resourceType"]
        where = f"{loc}.entry[{i}].resource"
        if mode == "outcome" and rtype != "OperationOutcome":
            w.sink.error("searchset", where, f"an entry of search mode 'outcome' must be an OperationOutcome, not "
                                             f"{rtype}")
        if mode in ("match", "include") and not isinstance(res.get("id"), str):
            w.sink.error("searchset", where, f"a search result (search mode {mode!r}) must have an id")
        if mode == "match":
            if wanted and rtype not in wanted:
                w.sink.error("searchset", where, f"{rtype} is not a type the search asked for "
                                                 f"({', '.join(sorted(wanted))}, from its self link)")


def _searched_types(w: Walker, bundle: Json) -> set[str]:
    """The resource types a searchset's self link asked for (``Type?...`` or ``_type=A,B``); empty: unknown."""
    links = bundle.get("link")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and link.get("relation") == "self" and isinstance(link.get("url"), str):
            # Split by hand: urlsplit raises on the placeholders examples use (UK Core's "https://[base]/...").
            # As BundleValidator.readSearchResourceTypes: the path's last segment when it is a type, else _type
            path, _, query = link["url"].partition("#")[0].partition("?")
            last = path.rstrip("/").rsplit("/", 1)[-1]
            if w.model.is_resource_type(last):
                return {last}
            named = {t for v in parse_qs(query).get("_type", []) for t in v.split(",") if t}
            return {t for t in named if w.model.is_resource_type(t)}
    return set()
