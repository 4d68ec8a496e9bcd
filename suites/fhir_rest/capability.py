"""The CapabilityStatement: fetched and parsed once, then the source of truth for every other check.

Nothing the statement does not declare is tested: checks ask :class:`Capability` and skip with
"... not declared in CapabilityStatement" when the server does not claim the behaviour.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from conformance.checks import check, expect, fail
from suites.fhir_rest.context import (
    METADATA,
    FhirContext,
    abody_json,
    describe,
    judged_from_metadata,
    require_declared,
    snippet,
)
from suites.fhir_rest.r4types import R4_RESOURCE_TYPES


class Capability:
    """Read-only questions about a CapabilityStatement (the raw JSON the server sent)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def rest(self) -> dict[str, Any]:
        entries = [r for r in items(self.raw, "rest") if isinstance(r, dict)]
        servers = [r for r in entries if r.get("mode") == "server"]
        return (servers or entries or [{}])[0]

    def resources(self) -> list[dict[str, Any]]:
        """The server rest entry's ``resource`` objects (anything else in that list is not one)."""
        return [r for r in items(self.rest(), "resource") if isinstance(r, dict)]

    def resource(self, resource_type: str) -> dict[str, Any] | None:
        for item in self.resources():
            if item.get("type") == resource_type:
                return item
        return None

    def interactions(self, resource_type: str) -> set[str]:
        found = self.resource(resource_type) or {}
        codes = (i.get("code") for i in items(found, "interaction") if isinstance(i, dict))
        return {c for c in codes if isinstance(c, str)}

    def require(self, resource_type: str, *interactions: str) -> dict[str, Any]:
        """The type's entry; skips when the type or any of the interactions is not declared."""
        found = self.resource(resource_type)
        require_declared(found, resource_type)
        assert found is not None
        missing = [i for i in interactions if i not in self.interactions(resource_type)]
        require_declared(not missing, f"interaction {', '.join(missing)} on {resource_type}")
        return found

    def search_params(self, resource_type: str) -> list[str]:
        found = self.resource(resource_type) or {}
        names = [p.get("name") for p in items(found, "searchParam") if isinstance(p, dict)]
        return [n for n in names if isinstance(n, str)]

    def formats(self) -> list[str]:
        return [f for f in items(self.raw, "format") if isinstance(f, str)]

    def declares_json(self) -> bool:
        return any(f == "json" or "json" in f for f in self.formats())

    def declares_xml(self) -> bool:
        return any(f == "xml" or "xml" in f for f in self.formats())


def items(data: dict[str, Any], key: str) -> list[Any]:
    """``data[key]`` when it is a list, else nothing: the metadata check has already failed a statement
    whose lists are not lists, and the checks that read it must not crash on it."""
    value = data.get(key)
    return value if isinstance(value, list) else []


REQUIRED_ELEMENTS = ("status", "date", "kind", "fhirVersion", "format")

# The elements the suites read from the statement (list indices dropped). A structural error there makes
# the statement unreadable, so the metadata check fails and everything built on it is not judged. An
# error anywhere else (e.g. ``rest.resource.profile`` as an STU3-style Reference, as node-fhir-server-core
# sends it) is judged by ``capability.valid`` alone: the interactions and parameters can still be tested.
READ_ELEMENTS = frozenset({
    "(root)", "resourceType", "format", "fhirVersion", "rest", "rest.mode", "rest.interaction",
    "rest.interaction.code", "rest.security", "rest.resource", "rest.resource.type",
    "rest.resource.interaction", "rest.resource.interaction.code", "rest.resource.searchParam",
    "rest.resource.searchParam.name", "rest.resource.searchParam.type", "rest.resource.searchInclude",
    "rest.resource.searchRevInclude", "rest.resource.versioning", "rest.resource.readHistory",
    "rest.resource.updateCreate", "rest.resource.conditionalCreate", "rest.resource.conditionalUpdate",
    "rest.resource.conditionalDelete", "rest.resource.supportedProfile",
})


def validate_r4(raw: dict[str, Any]) -> list[str]:
    """Structural errors as ``path: message``.

    Caveat: fhir.resources 8 ships R5 (default) and R4B models, not R4. R4B's CapabilityStatement has
    the same elements and cardinalities as R4's for everything this suite reads, so the R4B model is
    used as the R4 structure; an R4-only nuance (none known for this resource) would go unnoticed.
    """
    errors: list[str] = []
    try:
        CapabilityStatement.model_validate(raw)
    except pydantic.ValidationError as exc:
        for item in exc.errors():
            path = ".".join(str(p) for p in item["loc"]) or "(root)"
            errors.append(f"{path}: {' '.join(str(item['msg']).split())}")
    for name in REQUIRED_ELEMENTS:
        if raw.get(name) in (None, "", []):
            errors.append(f"{name}: required element missing")
    return errors


def blocks_reading(error: str) -> bool:
    """Whether a :func:`validate_r4` error lies on an element the suites read (see READ_ELEMENTS)."""
    if error.endswith(": required element missing"):  # judged by capability.valid (and fhir-version, formats)
        return False
    steps = [p for p in error.split(": ", 1)[0].split(".") if not p.isdigit()]
    return ".".join(steps) in READ_ELEMENTS


def listed(errors: list[str]) -> str:
    return "; ".join(errors[:10]) + (f"; and {len(errors) - 10} more" if len(errors) > 10 else "")


def metadata_check(check_id: str) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """The metadata check's declaration under ``check_id``: every FHIR suite registers the same check under
    its own id, since products (the parsed CapabilityStatement) are kept per suite."""
    return check(
        id=check_id,
        title="GET metadata returns an R4 CapabilityStatement whose declarations can be read",
        requirements=["FHIR-R4:http.html#capabilities", "FHIR-R4:capabilitystatement.html"],
        capabilities=["open-api", "interoperability"],
    )


@metadata_check(METADATA)
async def metadata(ctx: FhirContext) -> Capability:
    response = await ctx.fhir.get("metadata")
    what = "GET metadata"
    if response.status_code != 200:
        fail(f"{what}: expected 200, got {describe(response)}: {snippet(response)}")
    data = await abody_json(response, what)
    found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
    if found != "CapabilityStatement":
        fail(f"{what}: expected resourceType CapabilityStatement, got {found!r} ({describe(response)})")
    errors = [e for e in await asyncio.to_thread(validate_r4, data) if blocks_reading(e)]  # pydantic: off the loop
    if errors:
        fail(f"the CapabilityStatement's declarations do not parse as R4 ({len(errors)} errors): {listed(errors)}")
    return Capability(data)


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
