"""Errors: unknown ids and types, invalid resources, mismatched bodies: the right 4xx with an OperationOutcome."""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, fail, skip
from conformance.fhir import fixtures
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import describe, expect_outcome, expect_status, ids_of, searchset, snippet
from conformance.fhir.fixtures import TYPES
from suites.fhir_rest.context import METADATA

CAPS = ["open-api", "interoperability"]
ID_SYSTEM = "https://conformance.example/Id/test-patient"


@check(
    id="fhir-rest.errors.not-found",
    title="Reading a missing resource returns 404 with an OperationOutcome",
    requirements=["FHIR-R4:http.html#read", "FHIR-R4:operationoutcome.html"],
    capabilities=CAPS,
    needs=[METADATA],
)
async def not_found(ctx: FhirContext) -> None:
    cap = ctx.capability()
    declared = [t for t in TYPES if "read" in cap.interactions(t)]
    if not declared:
        skip("read of any of the suite's resource types not declared in CapabilityStatement")
    path = f"{declared[0]}/{ctx.unique_id()}"
    response = await ctx.fhir.get(path)
    expect_status(response, (404,), f"GET {path} (an id that does not exist)")
    expect_outcome(response, f"GET {path}")


async def _rejected(ctx: FhirContext, body: dict[str, Any], what: str) -> None:
    response = await ctx.fhir.post("Patient", body)
    new_id = ctx.remember_response("Patient", response)
    if 200 <= response.status_code < 300:
        fail(f"{what}: expected 400 or 422, got {describe(response)}: the server accepted it"
             + (f" as Patient/{new_id}" if new_id else ""))
    expect_status(response, (400, 422), what)
    expect_outcome(response, what)


@check(
    id="fhir-rest.errors.invalid-resource",
    title="Creating a Patient that breaks R4 (bad date, unknown element) is refused with 400/422 and an outcome",
    requirements=["FHIR-R4:http.html#create", "FHIR-R4:operationoutcome.html"],
    capabilities=CAPS,
    needs=[METADATA],
    destructive=True,
)
async def invalid_resource(ctx: FhirContext) -> None:
    ctx.capability().require("Patient", "create")
    values = [ctx.unique_id(), ctx.unique_id()]
    bad_date = ctx.tagged(fixtures.extra_patient(5, values[0]))
    bad_date["birthDate"] = "1984-13-45"
    unknown = ctx.tagged(fixtures.extra_patient(6, values[1]))
    unknown["favouriteColour"] = "teal"
    await _rejected(ctx, bad_date, "POST Patient with birthDate 1984-13-45")
    await _rejected(ctx, unknown, "POST Patient with an unknown element favouriteColour")
    if "search-type" in ctx.capability().interactions("Patient"):
        criteria = ",".join(f"{ID_SYSTEM}|{v}" for v in values)
        response = await ctx.fhir.get("Patient", params={"identifier": criteria, "_tag": ctx.tag_param})
        found = ids_of(searchset(response, "search for the refused Patients"), "Patient")
        expect(not found, f"the refused Patients were stored anyway: Patient/{', Patient/'.join(found)}")


@check(
    id="fhir-rest.errors.invalid-code",
    title="Creating a Patient whose gender is not in its required value set ('banana') is refused (400/422)",
    # Optional: R4 says the *content* SHALL be from a required binding's value set (terminologies.html
    # #required), and http.html#create that a server returns 400 for data that is "incorrect or invalid",
    # but R4 does not oblige a server to validate terminology on write (validation.html leaves what a
    # server validates to it): a SHOULD for the server, so it never lowers a required verdict.
    requirements=["FHIR-R4:terminologies.html#required", "FHIR-R4:http.html#create",
                  "FHIR-R4:valueset-administrative-gender.html"],
    capabilities=CAPS,
    required=False,
    needs=[METADATA],
    destructive=True,
)
async def invalid_code(ctx: FhirContext) -> None:
    ctx.capability().require("Patient", "create")
    banana = ctx.tagged(fixtures.extra_patient(7, ctx.unique_id()))
    banana["gender"] = "banana"
    await _rejected(ctx, banana, "POST Patient with gender 'banana' (Patient.gender is bound required to "
                                 "http://hl7.org/fhir/ValueSet/administrative-gender: male, female, other, unknown)")


@check(
    id="fhir-rest.errors.unknown-type",
    title="An unknown resource type is answered 400 or 404 with an OperationOutcome, never 2xx or 5xx",
    requirements=["FHIR-R4:http.html#read", "FHIR-R4:http.html#search"],
    capabilities=CAPS,
)
async def unknown_type(ctx: FhirContext) -> None:
    for path in ("NotARealType/1", "NotARealType"):
        response = await ctx.fhir.get(path)
        if response.status_code not in (400, 404):
            fail(f"GET {path}: expected 400 or 404 for a type that does not exist, got {describe(response)}: "
                 f"{snippet(response, 80)}")
        expect_outcome(response, f"GET {path}")


@check(
    id="fhir-rest.errors.wrong-type-body",
    title="POST Patient with an Observation body is refused with 400/422 and an OperationOutcome",
    requirements=["FHIR-R4:http.html#create"],
    capabilities=CAPS,
    needs=[METADATA],
    destructive=True,
)
async def wrong_type_body(ctx: FhirContext) -> None:
    ctx.capability().require("Patient", "create")
    body = ctx.tagged({k: v for k, v in fixtures.raw("Observation").items()
                       if k not in ("subject", "performer")})
    what = "POST Patient with an Observation body"
    response = await ctx.fhir.post("Patient", body)
    if 200 <= response.status_code < 300:
        new_id = ctx.remember_response("Observation", response)
        fail(f"{what}: expected 400 or 422, got {describe(response)}: the server accepted it"
             + (f" (id {new_id})" if new_id else ""))
    expect_status(response, (400, 422), what)
    expect_outcome(response, what)
