"""Bundles the sandbox answers: searchset pages (with _include/_revinclude) and instance history.

Kept apart from matching so paging and link rules (search.html 3.1.1.6) live in one place.
"""

from __future__ import annotations

from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from conformance.fhir import searchparams as sp
from conformance.sandbox.faults import (
    HISTORY_OLDEST_FIRST,
    INCLUDE_IGNORED,
    PAGING_BROKEN_NEXT_LINK,
    REVINCLUDE_IGNORED,
    SEARCH_IGNORES_COUNT,
    SEARCHSET_NO_SELF_LINK,
    Faults,
)
from conformance.sandbox.fhir.capability import declared
from conformance.sandbox.fhir.search import DEFAULT_COUNT, Query, link
from conformance.sandbox.fhir.store import Store, Version


@lru_cache(maxsize=4096)
def http_date(instant: str) -> str:
    """A version's lastUpdated as an HTTP date (remembered: every read, vread and write of the version asks)."""
    rng = sp.date_range(instant)
    assert rng is not None, instant
    return format_datetime(rng[0], usegmt=True)


def searchset(query: Query, matches: list[dict[str, Any]], store: Store, base: str,
              faults: Faults) -> dict[str, Any]:
    count = query.count if query.count is not None else DEFAULT_COUNT
    if faults.on(SEARCH_IGNORES_COUNT):
        page = matches[query.offset:]
    else:
        page = matches[query.offset:query.offset + count]
    links = [] if faults.on(SEARCHSET_NO_SELF_LINK) else [
        {"relation": "self", "url": link(base, query, query.offset, query.count)}]
    following = query.offset + count
    if following < len(matches) and not faults.on(SEARCH_IGNORES_COUNT):
        url = link(base, query, following, query.count)
        if faults.on(PAGING_BROKEN_NEXT_LINK):
            url = f"{base}/_page/{following:08x}-expired"
        links.append({"relation": "next", "url": url})
    if query.offset > 0:
        links.append({"relation": "previous", "url": link(base, query, max(0, query.offset - count), query.count)})
    entries = [_entry(r, base, "match") for r in page]
    seen = {(r["resourceType"], r["id"]) for r in page}
    extra: list[dict[str, Any]] = []
    if not faults.on(INCLUDE_IGNORED):
        extra += _included(query.include, page, store, base)
    if not faults.on(REVINCLUDE_IGNORED):
        extra += _revincluded(query.revinclude, page, store)
    for resource in extra:
        key = (resource["resourceType"], resource["id"])
        if key not in seen:
            seen.add(key)
            entries.append(_entry(resource, base, "include"))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "link": links}
    if entries:
        bundle["entry"] = entries
    return bundle


def history(rtype: str, rid: str, versions: list[Version], base: str, faults: Faults) -> dict[str, Any]:
    ordered = versions if faults.on(HISTORY_OLDEST_FIRST) else list(reversed(versions))
    entries = []
    for v in ordered:
        entry: dict[str, Any] = {
            "fullUrl": f"{base}/{rtype}/{rid}",
            "request": {"method": v.method, "url": f"{rtype}/{rid}" if v.method != "POST" else rtype},
            "response": {"status": {"POST": "201", "PUT": "200", "DELETE": "204"}[v.method],
                         "etag": f'W/"{v.version_id}"', "lastModified": v.last_updated},
        }
        if v.resource is not None:
            entry["resource"] = v.resource
        entries.append(entry)
    return {"resourceType": "Bundle", "type": "history", "total": len(entries),
            "link": [{"relation": "self", "url": f"{base}/{rtype}/{rid}/_history"}], "entry": entries}


def _entry(resource: dict[str, Any], base: str, mode: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource,
            "search": {"mode": mode}}


def _targets(spec: str) -> tuple[str, str, str | None]:
    source, code, *rest = spec.split(":")
    return source, code, rest[0] if rest else None


def _included(specs: list[str], page: list[dict[str, Any]], store: Store, base: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for spec in specs:
        source, code, only = _targets(spec)
        param = declared(source, code)
        if param is None:
            continue
        for resource in page:
            for ref in sp.references(resource, param):
                local = ref[len(base) + 1:] if ref.startswith(base + "/") else ref
                parts = local.split("/_history/")[0].split("/")
                if len(parts) != 2 or (only and parts[0] != only):
                    continue
                current = store.current(parts[0], parts[1])
                if current is not None and current.resource is not None:
                    out.append(current.resource)
    return out


def _revincluded(specs: list[str], page: list[dict[str, Any]], store: Store) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    wanted = {f"{r['resourceType']}/{r['id']}" for r in page}
    for spec in specs:
        source, code, only = _targets(spec)
        param = declared(source, code)
        if param is None:
            continue
        for candidate in store.live(source):
            refs = {"/".join(r.split("/_history/")[0].split("/")[-2:]) for r in sp.references(candidate, param)}
            if any(ref in wanted and (not only or ref.startswith(only + "/")) for ref in refs):
                out.append(candidate)
    return out
