"""Conditional create (If-None-Exist) and optimistic locking (If-Match), each on a Patient of its own.

Both write their own synthetic Patients (so they never disturb the versions the crud checks count) and
run only where the CapabilityStatement declares the behaviour for Patient.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, fail
from conformance.fhir import fixtures
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import (
    body_json,
    describe,
    etag_version,
    expect_resource,
    expect_status,
    ids_of,
    require_declared,
    searchset,
    snippet,
    version_of,
)
from suites.fhir_rest.context import METADATA

CAPS = ["open-api", "interoperability"]
ID_SYSTEM = "https://conformance.example/Id/test-patient"


async def _create_patient(ctx: FhirContext, n: int) -> tuple[dict[str, Any], str, str]:
    """POST a fresh synthetic Patient; (sent body, id, versionId) or a fail saying why not."""
    sent = ctx.tagged(fixtures.extra_patient(n, ctx.unique_id()))
    response = await ctx.fhir.post("Patient", sent)
    new_id = ctx.remember_response("Patient", response)
    expect_status(response, (201,), "POST Patient (setting up)")
    expect(new_id, "POST Patient (setting up): neither a Location header nor a body id")
    assert new_id is not None
    vid = etag_version(response)
    if vid is None and response.content.strip():
        body = body_json(response, "POST Patient (setting up)")
        vid = version_of(body) if isinstance(body, dict) else None
    expect(vid, "POST Patient (setting up): no ETag or meta.versionId to learn the version from")
    assert vid is not None
    return sent, new_id, vid


@check(
    id="fhir-rest.crud.conditional-create",
    title="Conditional create with If-None-Exist returns the existing Patient and creates no duplicate",
    requirements=["FHIR-R4:http.html#ccreate"],
    capabilities=CAPS,
    needs=[METADATA],
    destructive=True,
)
async def conditional_create(ctx: FhirContext) -> None:
    patient = ctx.capability().require("Patient", "create")
    require_declared(patient.get("conditionalCreate") is True, "conditionalCreate on Patient")
    sent, existing, _ = await _create_patient(ctx, 1)
    ident = sent["identifier"][0]
    criteria = f"identifier={ident['system']}|{ident['value']}"
    again = ctx.tagged(fixtures.extra_patient(1, ident["value"]))
    response = await ctx.fhir.post("Patient", again, headers={"If-None-Exist": criteria})
    new_id = ctx.remember_response("Patient", response)
    if response.status_code == 201:
        fail(f"POST Patient with If-None-Exist: {criteria} matching Patient/{existing}: expected 200, "
             f"got 201 Created (Patient/{new_id}, a duplicate)")
    expect_status(response, (200,), f"POST Patient with If-None-Exist: {criteria}")
    if new_id is not None:
        expect(new_id == existing, f"POST Patient with If-None-Exist: {criteria}: answered Patient/{new_id}, "
                                   f"expected the existing Patient/{existing}")
    search = await ctx.fhir.get("Patient", params={"identifier": f"{ident['system']}|{ident['value']}",
                                                   "_tag": ctx.tag_param})
    expect_status(search, (200,), "GET Patient?identifier=... after the conditional create")
    bundle = searchset(search, "GET Patient?identifier=...")
    ids = sorted(set(ids_of(bundle, "Patient")))
    expect(ids == [existing], f"search {criteria} after the conditional create found {ids}; "
                              f"expected only Patient/{existing}")


@check(
    id="fhir-rest.crud.if-match",
    title="Update with a stale If-Match is refused (409/412) and changes nothing; the current one succeeds",
    requirements=["FHIR-R4:http.html#concurrency"],
    capabilities=CAPS,
    needs=[METADATA],
    destructive=True,
)
async def if_match(ctx: FhirContext) -> None:
    patient = ctx.capability().require("Patient", "create", "update")
    require_declared(patient.get("versioning") == "versioned-update", "versioning versioned-update on Patient")
    sent, pid, first = await _create_patient(ctx, 2)
    path = f"Patient/{pid}"
    body = dict(sent, id=pid)
    second = await ctx.fhir.put(path, fixtures.updated(body))
    expect_status(second, (200,), f"PUT {path} (setting up a second version)")
    current = etag_version(second)
    expect(current and current != first, f"PUT {path}: no new version in the ETag ({second.headers.get('etag')!r})")
    stale = dict(body, gender="unknown")
    refused = await ctx.fhir.put(path, stale, headers={"If-Match": f'W/"{first}"'})
    if refused.status_code not in (409, 412):
        fail(f"PUT {path} with stale If-Match W/\"{first}\" (current {current}): expected 409 or 412, "
             f"got {describe(refused)}: {snippet(refused)}")
    now = await ctx.fhir.get(path)
    expect_status(now, (200,), f"GET {path} after the refused update")
    resource = expect_resource(now, "Patient", f"GET {path}")
    expect(resource.get("gender") != "unknown" and version_of(resource) == current,
           f"the refused update changed {path} (version {version_of(resource)!r}, expected {current!r})")
    accepted = await ctx.fhir.put(path, stale, headers={"If-Match": f'W/"{current}"'})
    expect_status(accepted, (200,), f"PUT {path} with the current If-Match W/\"{current}\"")
