"""Create, read, vread, update, history and delete of one fixture per resource type.

Registered in a loop over the 12 types, with stable ids ``fhir-rest.crud.<type>.<interaction>``. The
create produces {id, versionId, sent, resource} whenever the server created the resource and its id and
version can be learnt; how it announced them (Location, ETag) is judged apart by ``create-headers``, so
a header deviation does not leave the resource's read, update, history and searches unjudged. Order:
create -> read -> update -> history -> vread -> (searches) -> delete, and a resource is deleted only
after the resources that refer to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from conformance.checks import check, expect, fail, skip
from conformance.evidence.capture import record
from conformance.fhir import fixtures
from conformance.fhir.context import FhirContext, location_parts
from conformance.fhir.expect import (
    a,
    body_json,
    describe,
    etag_value,
    etag_version,
    expect_fhir_json,
    expect_outcome,
    expect_resource,
    expect_shape,
    expect_status,
    snippet,
    version_of,
)
from conformance.fhir.fixtures import TYPES
from conformance.model import Evidence
from suites.fhir_rest.context import METADATA

CAPS = ["open-api", "interoperability"]


def cid(resource_type: str, kind: str) -> str:
    return f"fhir-rest.crud.{resource_type.lower()}.{kind}"


def dependents(resource_type: str) -> list[str]:
    return [t for t in TYPES if resource_type in fixtures.dependencies(t)]


def created(ctx: FhirContext, resource_type: str) -> dict[str, Any]:
    value: dict[str, Any] = ctx.product(cid(resource_type, "create"))
    return value


def _register(t: str) -> None:
    deps = fixtures.dependencies(t)

    @check(
        id=cid(t, "create"),
        title=f"Create {a(t)}: 201 Created, and the new resource's id and version can be learnt",
        requirements=["FHIR-R4:http.html#create", "FHIR-R4:http.html#versioning"],
        capabilities=CAPS,
        needs=[METADATA, *(cid(d, "create") for d in deps)],
        destructive=True,
    )
    async def create(ctx: FhirContext) -> dict[str, Any]:
        ctx.capability().require(t, "create")
        ids = {d: created(ctx, d)["id"] for d in deps}
        sent = ctx.tagged(fixtures.build(t, ids))
        response = await ctx.fhir.post(t, sent)
        new_id = ctx.remember_response(t, response)
        if response.status_code != 201:
            fail(f"POST {t}: expected 201 Created, got {describe(response)}: {snippet(response)}")
        location = response.headers.get("location") or ""
        parts = location_parts(location)
        rid = parts[1] if parts and parts[0] == t else new_id
        if rid is None:
            fail(f"POST {t}: 201 but neither a Location ({location!r}) nor a body names the new {t}'s id")
        expect(new_id in (rid, None), f"POST {t}: Location names {rid}, the body {new_id}")
        resource = dict(sent, id=rid)
        body: Any = body_json(response, f"POST {t}") if response.content.strip() else None
        if isinstance(body, dict) and body.get("resourceType") == t:
            expect(body.get("id") == rid, f"POST {t}: body id {body.get('id')!r}, Location id {rid!r}")
            resource = body
        vid = (parts[2] if parts and parts[0] == t else None) or etag_version(response) or version_of(resource)
        if vid is None:  # the headers check judges their absence; the version is still needed to go on
            again = await ctx.fhir.get(f"{t}/{rid}")
            vid = version_of(expect_resource(again, t, f"GET {t}/{rid} (the version of the new {t})"))
        if vid is None:
            fail(f"POST {t}: no version of the new {t} in Location, ETag, body or a read of it (meta.versionId)")
        return {"id": rid, "versionId": vid, "sent": dict(sent, id=rid), "resource": resource,
                "location": location, "etag": response.headers.get("etag"), "body_version": version_of(resource),
                "url": f"{ctx.fhir.base.rstrip('/')}/{t}"}

    @check(
        id=cid(t, "create-headers"),
        title=f"Create {a(t)}: Location [base]/{t}/<id>/_history/<vid> and ETag W/\"<vid>\" of the new version",
        requirements=["FHIR-R4:http.html#create", "FHIR-R4:http.html#versioning"],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
    )
    async def create_headers(ctx: FhirContext) -> None:
        made = created(ctx, t)
        location, vid = made["location"], made["versionId"]
        record(Evidence(kind="derived", summary=f"POST {t}: Location {location!r}, ETag {made['etag']!r}",
                        data={"from_check": cid(t, "create"), "location": location, "etag": made["etag"]}))
        expect(location, f"POST {t}: Location header missing")
        base = ctx.fhir.base.rstrip("/")
        absolute = urljoin(made["url"], location)
        want = f"{base}/{t}/{made['id']}/_history/{vid}"
        expect(absolute == want, f"POST {t}: Location {location!r} (resolved against the request URL: "
                                 f"{absolute}) is not [base]/{t}/<id>/_history/<vid>, i.e. {want}")
        etag = etag_value(made["etag"])
        expect(etag is not None, f"POST {t}: ETag header missing or not W/\"<vid>\" (got {made['etag']!r})")
        expect(etag == vid, f"POST {t}: ETag version {etag!r} differs from Location's {vid!r}")
        body_version = made["body_version"]
        expect(body_version in (None, vid), f"POST {t}: body meta.versionId {body_version!r}, Location version {vid!r}")

    @check(
        id=cid(t, "read"),
        title=f"Read {a(t)}: 200, FHIR JSON, same id, ETag of the current version, data kept",
        requirements=["FHIR-R4:http.html#read", "FHIR-R4:http.html#versioning"],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
    )
    async def read(ctx: FhirContext) -> None:
        ctx.capability().require(t, "read")
        made = created(ctx, t)
        path = f"{t}/{made['id']}"
        response = await ctx.fhir.get(path)
        expect_status(response, (200,), f"GET {path}")
        expect_fhir_json(response, f"GET {path}")
        body = expect_resource(response, t, f"GET {path}")
        expect(body.get("id") == made["id"], f"GET {path}: body id is {body.get('id')!r}")
        etag = etag_version(response)
        expect(etag is not None, f"GET {path}: ETag header missing or not W/\"<vid>\" "
                                 f"(got {response.headers.get('etag')!r})")
        expect(etag == version_of(body), f"GET {path}: ETag version {etag!r} but meta.versionId "
                                         f"{version_of(body)!r}")
        sent = {k: v for k, v in made["sent"].items() if k not in ("meta", "id", "text")}
        lost = fixtures.subset_differences(sent, body, t)
        expect(not lost, f"GET {path}: the data sent did not come back: {'; '.join(lost[:5])}")

    @check(
        id=cid(t, "update"),
        title=f"Update {a(t)}: 200/201 with a new version and ETag; a read returns the change",
        requirements=["FHIR-R4:http.html#update", "FHIR-R4:http.html#versioning"],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
        after=[cid(t, "read")],
        destructive=True,
    )
    async def update(ctx: FhirContext) -> dict[str, Any]:
        ctx.capability().require(t, "update")
        made = created(ctx, t)
        path = f"{t}/{made['id']}"
        change = fixtures.updated(made["sent"])
        response = await ctx.fhir.put(path, change)
        expect_status(response, (200, 201), f"PUT {path}")
        body: Any = body_json(response, f"PUT {path}") if response.content.strip() else None
        etag = etag_version(response)
        expect(etag is not None, f"PUT {path}: ETag header missing or not W/\"<vid>\" "
                                 f"(got {response.headers.get('etag')!r})")
        vid = version_of(body) if isinstance(body, dict) and body.get("resourceType") == t else etag
        expect(vid == etag, f"PUT {path}: ETag version {etag!r} but meta.versionId {vid!r}")
        old = made["versionId"]
        expect(vid != old, f"PUT {path}: meta.versionId is still {old!r}; expected a new version")
        if str(vid).isdigit() and str(old).isdigit():
            expect(int(str(vid)) > int(old), f"PUT {path}: new version {vid} is not greater than {old}")
        again = await ctx.fhir.get(path)
        expect_status(again, (200,), f"GET {path} after the update")
        now = expect_resource(again, t, f"GET {path} after the update")
        key = fixtures.UPDATES[t][0]
        lost = fixtures.subset_differences(change[key], now.get(key), f"{t}.{key}")
        expect(not lost, f"GET {path} after the update does not show the change: {'; '.join(lost[:3])}")
        return {"versionId": vid}

    @check(
        id=cid(t, "history"),
        title=f"History of {a(t)}: a history Bundle with every version, newest first",
        requirements=["FHIR-R4:http.html#history"],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
        after=[cid(t, "update")],
        destructive=True,
    )
    async def history(ctx: FhirContext) -> None:
        ctx.capability().require(t, "history-instance")
        made = created(ctx, t)
        first = made["versionId"]
        # The second version is the update check's; when that check failed on how the server answered (an
        # ETag, say) or was not selected, history makes its own second version rather than go unjudged.
        updated = ctx.products.get(cid(t, "update"))
        newest = updated["versionId"] if updated else await second_version(ctx, t, made)
        path = f"{t}/{made['id']}/_history"
        # Asked twice: a server whose order is not stable must not pass by luck.
        seen: list[list[str | None]] = []
        for attempt in (1, 2):
            what = f"GET {path} (call {attempt} of 2)"
            response = await ctx.fhir.get(path)
            expect_status(response, (200,), what)
            bundle = expect_resource(response, "Bundle", what)
            expect(bundle.get("type") == "history", f"{what}: Bundle type is {bundle.get('type')!r}, not history")
            expect_shape(bundle, "entry", list, what)
            versions = [version_of(r) for r in _entry_resources(bundle) if r.get("id") == made["id"]]
            expect(len(versions) >= 2, f"{what}: expected at least 2 versions of {t}/{made['id']}, "
                                       f"got {len(versions)}")
            expect(first in versions and newest in versions,
                   f"{what}: versions {versions} do not include both {first!r} and {newest!r}")
            seen.append(versions)
            if attempt == 2 and seen[0] != seen[1]:
                fail(f"GET {path} asked twice with nothing written between: the order changed, first "
                     f"{seen[0]} then {seen[1]}; history must be a stable newest-first list")
            expect(versions.index(newest) < versions.index(first),
                   f"{what}: lists the oldest version first ({versions}); history must be newest first")

    @check(
        id=cid(t, "vread"),
        title=f"Vread {a(t)}: that exact version; an unknown version is 404",
        requirements=["FHIR-R4:http.html#vread"],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
        after=[cid(t, "update"), cid(t, "history")],
    )
    async def vread(ctx: FhirContext) -> None:
        ctx.capability().require(t, "vread")
        made = created(ctx, t)
        path = f"{t}/{made['id']}/_history/{made['versionId']}"
        response = await ctx.fhir.get(path)
        expect_status(response, (200,), f"GET {path}")
        body = expect_resource(response, t, f"GET {path}")
        expect(body.get("id") == made["id"], f"GET {path}: body id is {body.get('id')!r}")
        got = version_of(body) or etag_version(response)
        expect(got == made["versionId"], f"GET {path}: asked for version {made['versionId']!r}, got {got!r}")
        missing = f"{t}/{made['id']}/_history/{ctx.unique_id()}"
        unknown = await ctx.fhir.get(missing)
        expect_status(unknown, (404,), f"GET {missing} (a version that does not exist)")

    @check(
        id=cid(t, "delete"),
        title=f"Delete {a(t)}: 200/204, then a read answers 404 or 410",
        requirements=["FHIR-R4:http.html#delete"],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
        after=[*(cid(t, k) for k in ("read", "update", "history", "vread")),
               *(f"fhir-rest.search.{t.lower()}.{k}" for k in ("string", "token", "date", "reference")),
               *(cid(d, "delete") for d in dependents(t)), *LATE_USERS.get(t, ())],
        destructive=True,
    )
    async def delete(ctx: FhirContext) -> None:
        ctx.capability().require(t, "delete")
        made = created(ctx, t)
        path = f"{t}/{made['id']}"
        response = await ctx.fhir.delete(path)
        expect_status(response, (200, 202, 204), f"DELETE {path}")
        ctx.forget(t, made["id"])
        after = await ctx.fhir.get(path)
        if after.status_code not in (404, 410):
            fail(f"after DELETE, GET {path} answered {describe(after)}; expected 404 or 410")
        if after.content.strip():
            expect_outcome(after, f"GET {path} after DELETE")


async def second_version(ctx: FhirContext, resource_type: str, made: dict[str, Any]) -> str:
    """Update the created resource once more and return its new version (for history), or skip saying why
    there is none: the update itself is judged by the update check, not here."""
    path = f"{resource_type}/{made['id']}"
    response = await ctx.fhir.put(path, fixtures.updated(made["sent"]))
    if response.status_code not in (200, 201):
        skip(f"no second version of {path} to list: PUT {path} answered {describe(response)} (judged by "
             f"{cid(resource_type, 'update')}), so history is not judged")
    vid = etag_version(response)
    if vid is None:
        again = await ctx.fhir.get(path)
        try:
            body = again.json() if again.status_code == 200 else None
        except ValueError:  # not JSON: no version to be had from it
            body = None
        vid = version_of(body) if isinstance(body, dict) else None
    if vid in (None, made["versionId"]):
        skip(f"no second version of {path} to list: after PUT {path} a read shows version {vid!r}, not a new one "
             f"(judged by {cid(resource_type, 'update')}), so history is not judged")
    assert vid is not None
    return vid


# Checks outside this module that use the crud Patient / Observation: deleted only after them.
LATE_USERS: dict[str, tuple[str, ...]] = {
    "Patient": ("fhir-rest.search.paging", "fhir-rest.search.include", "fhir-rest.search.revinclude",
                "fhir-rest.search.unknown-param", "fhir-rest.format.accept-json", "fhir-rest.format.param-json",
                "fhir-rest.format.xml"),
    "Observation": ("fhir-rest.search.include", "fhir-rest.search.revinclude"),
}


def _entry_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    found = bundle.get("entry")
    entries = found if isinstance(found, list) else []
    return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


for _type in TYPES:
    _register(_type)
