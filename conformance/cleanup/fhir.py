"""Find and delete what the harness left on a FHIR server, by the tag every harness write carries.

Each type the CapabilityStatement lets us search is searched by ``_tag`` (all pages, bounded), then
the hits are deleted: Subscriptions first (so nothing is notified of the deletes), then every other
hit after whatever refers to it (a server that enforces referential integrity refuses the other
order). A second search of the same types says what remains; a bounded number of rounds retries
what a server refused because something else still referred to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.cleanup.report import Report, TypeReport
from conformance.fhir.client import FhirClient
from conformance.transports.http import BodyBeyondLimit, HttpResponse, TransportError

PAGE = 100
MAX_PAGES = 20  # per type and round: at most 2,000 resources of one type found at a time
ROUNDS = 3
FIRST = "Subscription"
Found = dict[tuple[str, str], dict[str, Any]]  # (type, id) -> the resource as the search returned it


class CleanupError(Exception):
    """The endpoint could not be searched at all (no CapabilityStatement): said in one sentence."""


def _json(response: HttpResponse) -> Any:
    try:
        return response.json()
    except (ValueError, BodyBeyondLimit):  # not JSON, or past safejson's limits: nothing found in it
        return None


async def searchable(fhir: FhirClient) -> tuple[list[str], list[str]]:
    """(types we can search, types the harness could write but cannot search) from the statement."""
    try:
        response = await fhir.get("metadata")
    except TransportError as exc:
        raise CleanupError(f"GET {fhir.base}metadata: {exc}") from None
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, dict) or body.get("resourceType") != "CapabilityStatement":
        raise CleanupError(f"GET {fhir.base}metadata answered {response.status_code} without a CapabilityStatement: "
                           "the types to search cannot be known")
    found, blind = [], []
    for rest in body.get("rest") or []:
        for entry in (rest.get("resource") or []) if isinstance(rest, dict) else []:
            kind = entry.get("type") if isinstance(entry, dict) else None
            if not isinstance(kind, str):
                continue
            codes = {i.get("code") for i in entry.get("interaction") or [] if isinstance(i, dict)}
            if "search-type" in codes:
                found.append(kind)
            elif codes & {"create", "update"}:
                blind.append(kind)
    found.sort(key=lambda t: t != FIRST)
    return found, blind


async def search(fhir: FhirClient, kind: str, tag: str, row: TypeReport) -> Found:
    """Every resource of ``kind`` tagged ``tag``, following next links up to MAX_PAGES."""
    out: Found = {}
    untagged = 0
    url: str | None = kind
    params: dict[str, str] | None = {"_tag": tag, "_count": str(PAGE)}
    for _ in range(MAX_PAGES):
        if url is None:
            return _checked(out, untagged, row)
        try:
            response = await fhir.get(url, params=params)
        except TransportError as exc:
            row.note(f"search failed: {exc}")
            return _checked(out, untagged, row)
        bundle = _json(response)
        if response.status_code != 200 or not isinstance(bundle, dict):
            row.note(f"search answered {response.status_code}: {response.text[:120]!r}")
            return _checked(out, untagged, row)
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == kind:
                if not carries(resource, tag):
                    untagged += 1  # a server that ignores _tag: never delete what is not ours
                elif isinstance(resource.get("id"), str):
                    out[(kind, resource["id"])] = resource
        url = next((link.get("url") for link in bundle.get("link") or []
                    if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str)),
                   None)
        params = None
    if url is not None:
        row.note(f"more than {MAX_PAGES * PAGE} found; the rest is left for another round")
    return _checked(out, untagged, row)


def _checked(out: Found, untagged: int, row: TypeReport) -> Found:
    if untagged:
        row.note(f"the search by _tag returned {untagged} resource(s) without the tag (does the server "
                            "ignore _tag?): those were not touched")
    return out


def carries(resource: dict[str, Any], tag: str) -> bool:
    """The resource itself carries ``tag`` (``system|code``, or ``system|`` for any code of the system)."""
    system, _, code = tag.partition("|")
    meta = resource.get("meta")
    tags = meta.get("tag") if isinstance(meta, dict) else None
    return isinstance(tags, list) and any(
        isinstance(t, dict) and t.get("system") == system and (not code or t.get("code") == code) for t in tags)


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str):
            yield ref
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def delete_order(found: Found) -> list[tuple[str, str]]:
    """Subscriptions first; then each resource before any found resource it refers to (cycles: as found)."""
    keys = set(found)
    refers: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for key, resource in found.items():
        targets = set()
        for ref in _references(resource):
            parts = ref.split("/_history/")[0].rstrip("/").split("/")
            if len(parts) >= 2 and (parts[-2], parts[-1]) in keys and (parts[-2], parts[-1]) != key:
                targets.add((parts[-2], parts[-1]))
        refers[key] = targets
    order: list[tuple[str, str]] = sorted((k for k in keys if k[0] == FIRST), key=lambda k: k[1])
    left = [k for k in found if k[0] != FIRST]
    while left:
        referred = {t for k in left for t in refers[k]}
        ready = [k for k in left if k not in referred] or left[:1]  # a cycle: break it anywhere
        order += ready
        left = [k for k in left if k not in ready]
    return order


async def sweep(fhir: FhirClient, tag: str, report: Report, dry_run: bool, subscriptions: bool,
                types: tuple[list[str], list[str]] | None = None) -> None:
    """Search the searchable types for ``tag`` and delete the hits; record it all in ``report``.

    ``subscriptions``: Subscriptions only (the first pass over every endpoint), else every other type.
    ``types``: what :func:`searchable` answered for this endpoint already (else it is asked here).
    """
    endpoint = fhir.base.rstrip("/")
    try:
        kinds, blind = types if types is not None else await searchable(fhir)
    except CleanupError as exc:
        if not subscriptions:
            report.problems.append(str(exc))
        return
    kinds = [k for k in kinds if (k == FIRST) == subscriptions]
    for kind in [k for k in blind if (k == FIRST) == subscriptions]:
        report.problems.append(f"{endpoint}: {kind} can be written but not searched (no search-type declared): "
                               "what the harness wrote there cannot be found")
    rows = {k: report.row(endpoint, k) for k in kinds}
    seen: dict[str, set[str]] = {k: set() for k in kinds}
    for _ in range(ROUNDS):
        found: Found = {}
        for kind in kinds:
            hits = await search(fhir, kind, tag, rows[kind])
            seen[kind].update(rid for _, rid in hits)
            rows[kind].found = len(seen[kind])
            found.update(hits)
        if not found or dry_run:
            for kind in kinds:
                rows[kind].remaining = sum(1 for k in found if k[0] == kind)
            return
        refused: dict[tuple[str, str], str] = {}
        for kind, rid in delete_order(found):
            try:
                response = await fhir.delete(f"{kind}/{rid}")
            except TransportError as exc:
                refused[(kind, rid)] = str(exc)
                continue
            if response.status_code in (200, 202, 204, 404, 410):
                rows[kind].deleted += 1
            else:
                refused[(kind, rid)] = f"DELETE answered {response.status_code}: {response.text[:120]!r}"
        for kind in kinds:
            rows[kind].refused = {f"{k[0]}/{k[1]}": why for k, why in refused.items() if k[0] == kind}
    for kind in kinds:  # after the last round: what is still there
        rows[kind].remaining = len(await search(fhir, kind, tag, rows[kind]))
        if rows[kind].remaining and not rows[kind].refused:
            rows[kind].note(f"DELETE answered success {ROUNDS} times, yet the search still finds them")


async def sweep_tag(fhir: FhirClient, tag: str) -> Report:
    """Delete whatever on ``fhir`` carries ``tag`` (Subscriptions first): a suite's last step on a sandbox,
    catching what a write cut short by a timeout or Ctrl-C created without the suite learning its id."""
    report = Report(fhir.base.rstrip("/"), tag, False)
    try:  # one GET metadata for both passes (it was one each: a large body parsed twice per suite and run)
        types = await searchable(fhir)
    except CleanupError:  # the Subscriptions pass ends here, as when it asked; the other asks again and says why
        await sweep(fhir, tag, report, False, False)
        return report
    for subscriptions in (True, False):
        await sweep(fhir, tag, report, False, subscriptions, types)
    return report
