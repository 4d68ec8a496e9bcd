"""fhir-rest's CapabilityStatement checks: the statement itself (conformance/fhir/capability.py: fetched
once per run, judged by each FHIR suite's metadata check), its FHIR version, formats and rest entry."""

from __future__ import annotations

import asyncio

from conformance.checks import check, expect
from conformance.fhir.capability import items, listed, metadata, metadata_check, validate_r4
from conformance.fhir.context import FhirContext
from suites.fhir_rest.context import METADATA, judged_from_metadata
from suites.fhir_rest.r4types import R4_RESOURCE_TYPES

metadata_check(METADATA)(metadata)


@check(
    id="fhir-rest.capability.valid",
    title="The CapabilityStatement is structurally valid R4 (every element, required elements present)",
    requirements=["FHIR-R4:capabilitystatement.html", "FHIR-R4:json.html"],
    capabilities=["interoperability"],
    needs=[METADATA],
)
async def valid(ctx: FhirContext) -> None:
    raw = ctx.capability().raw
    errors = await asyncio.to_thread(validate_r4, raw)
    judged_from_metadata("(structure)", f"{len(errors)} structural errors")
    expect(not errors, f"the CapabilityStatement does not parse as R4 ({len(errors)} errors): {listed(errors)}")


@check(
    id="fhir-rest.capability.fhir-version",
    title="The CapabilityStatement declares FHIR version 4.0.x",
    requirements=["FHIR-R4:capabilitystatement-definitions.html#CapabilityStatement.fhirVersion"],
    capabilities=["interoperability"],
    needs=[METADATA],
)
async def fhir_version(ctx: FhirContext) -> None:
    version = ctx.capability().raw.get("fhirVersion")
    judged_from_metadata("fhirVersion", version)
    expect(isinstance(version, str) and version.startswith("4.0."), f"expected fhirVersion 4.0.x, got {version!r}")


@check(
    id="fhir-rest.capability.formats",
    title="The CapabilityStatement lists JSON among its formats",
    requirements=["FHIR-R4:capabilitystatement-definitions.html#CapabilityStatement.format", "FHIR-R4:json.html"],
    capabilities=["interoperability"],
    needs=[METADATA],
)
async def formats(ctx: FhirContext) -> None:
    cap = ctx.capability()
    judged_from_metadata("format", cap.formats())
    expect(cap.declares_json(), f"expected format to list json or application/fhir+json, got {cap.formats()}")


@check(
    id="fhir-rest.capability.rest-server",
    title="The CapabilityStatement has a server rest entry naming only real R4 resource types",
    requirements=["FHIR-R4:capabilitystatement-definitions.html#CapabilityStatement.rest"],
    capabilities=["open-api", "interoperability"],
    needs=[METADATA],
)
async def rest_server(ctx: FhirContext) -> None:
    rest = [r for r in items(ctx.capability().raw, "rest") if isinstance(r, dict)]
    modes = [r.get("mode") for r in rest]
    judged_from_metadata("rest.mode", modes)
    expect("server" in modes, f"expected a rest entry with mode server, got modes {modes}")
    server = rest[modes.index("server")]
    types = [r.get("type") for r in items(server, "resource") if isinstance(r, dict)]
    unknown = [t for t in types if t not in R4_RESOURCE_TYPES]
    expect(not unknown, f"rest.resource.type names types that are not R4 resources: {unknown}")
