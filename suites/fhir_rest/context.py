"""The fhir-rest suite's context: a FHIR client on the target, the run tag, and what the suite wrote.

Also the small helpers every check module shares to judge a response: parse JSON (a body that is not
JSON is a *fail* with the status, content type and a snippet, never an error), require a resource of
a type, an OperationOutcome, a version from an ETag.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import TYPE_CHECKING, Any, Self

from conformance.checks import BaseContext, SuiteRuntime, fail, skip, suite
from conformance.cleanup.fhir import sweep_tag
from conformance.evidence.capture import record
from conformance.fhir.client import FhirClient
from conformance.fhir.tags import TAG_SYSTEM, run_tag, with_tags
from conformance.model import Evidence
from conformance.transports.http import BodyBeyondLimit, HttpResponse, HttpTransport, TransportError
from conformance.writeguard import is_sandbox

if TYPE_CHECKING:
    from suites.fhir_rest.capability import Capability

SUITE_ID = "fhir-rest"
METADATA = "fhir-rest.capability.metadata"
TYPES = (
    "Patient", "Practitioner", "Organization", "Location", "Encounter", "Observation", "Condition",
    "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Device", "DocumentReference",
)


class FhirContext(BaseContext):
    # The check whose product is the parsed CapabilityStatement (another suite reusing this context
    # registers its own metadata check, since products are kept per suite).
    metadata_check = METADATA

    def __init__(self, target: Any, http: HttpTransport, run_id: str) -> None:
        super().__init__(target)
        self.http = http
        self.fhir = FhirClient(target.endpoints["fhir"], http)
        # One tag per run *and suite*: suites run concurrently against one target, and a search narrowed
        # to this tag (paging, conditional create) must not see another suite's resources come and go.
        suite_id = self.metadata_check.split(".")[0]
        run = run_id or secrets.token_hex(4)
        self.tag = {"system": TAG_SYSTEM, "code": f"run-{run}-{suite_id}"}
        # ...and the run's own tag, which `conformance cleanup --run` searches for.
        self.run_tag = run_tag(run)
        # Everything the suite created, in creation order: (type, id). Deleted at the end.
        self.created: list[tuple[str, str]] = []
        self.wrote = False  # a write was sent (every write body passes through tagged())

    @property
    def tag_param(self) -> str:
        return f"{self.tag['system']}|{self.tag['code']}"

    def unique_id(self) -> str:
        return "cf" + secrets.token_hex(10)

    def capability(self) -> Capability:
        value: Capability = self.product(self.metadata_check)
        return value

    def tagged(self, resource: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``resource`` carrying this suite's and this run's tags (searches narrow to the first)."""
        self.wrote = True
        return with_tags(resource, self.tag, self.run_tag)

    def remember(self, resource_type: str, resource_id: str) -> None:
        if (resource_type, resource_id) not in self.created:
            self.created.append((resource_type, resource_id))

    def forget(self, resource_type: str, resource_id: str) -> None:
        if (resource_type, resource_id) in self.created:
            self.created.remove((resource_type, resource_id))

    def remember_response(self, resource_type: str, response: HttpResponse) -> str | None:
        """After a write that may have created something: keep its id for clean-up; return it."""
        if not 200 <= response.status_code < 300:
            return None
        found = location_parts(response.headers.get("location", ""))
        if found:
            self.remember(found[0], found[1])
            return found[1]
        try:
            body = response.json()
        except (ValueError, BodyBeyondLimit):  # no id to be had from it
            return None
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            self.remember(str(body.get("resourceType") or resource_type), body["id"])
            return str(body["id"])
        return None

    async def aclose(self) -> None:
        try:
            if getattr(self.target, "sandbox", False):
                for resource_type, resource_id in reversed(list(self.created)):
                    try:
                        await self.fhir.delete(f"{resource_type}/{resource_id}")
                    except TransportError:
                        continue
                self.created.clear()
                if self.wrote:  # and whatever carries this suite's tag still (a create cut short or cancelled)
                    await sweep_tag(self.fhir, self.tag_param)
        finally:
            await self.http.aclose()

    @classmethod
    def for_runtime(cls, runtime: SuiteRuntime) -> Self:
        """A context on the target's FHIR endpoint (what every FHIR suite's context factory does)."""
        target = runtime.target
        endpoints = getattr(target, "endpoints", {}) or {}
        if not endpoints.get("fhir"):
            skip("the target names no FHIR endpoint (endpoints.fhir in the target file, or --target URL)")
        http = HttpTransport(target.http, target.auth, transport=runtime.options.get("http_transport"),
                             origin=endpoints["fhir"], read_only=not is_sandbox(target))
        return cls(target, http, runtime.run_id)


async def make_context(runtime: SuiteRuntime) -> FhirContext:
    return FhirContext.for_runtime(runtime)


SUITE = suite(
    id=SUITE_ID,
    title="FHIR R4 RESTful API",
    context=make_context,
    description="Capability statement, CRUD, versioning, search, formats and errors of a FHIR R4 REST server, "
    "driven by what its CapabilityStatement declares.",
)


# --- judging responses -------------------------------------------------------------------------------

_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")


def location_parts(location: str) -> tuple[str, str, str | None] | None:
    """``[base]/Type/id/_history/vid`` (or without the history part) -> (Type, id, vid)."""
    match = _LOCATION.search(location.split("?")[0])
    return (match.group(1), match.group(2), match.group(3)) if match else None


def snippet(response: HttpResponse, size: int = 120) -> str:
    text = " ".join(response.text[:size].split())
    return repr(text) if text else "an empty body"


def describe(response: HttpResponse) -> str:
    return f"{response.status_code} ({response.content_type or 'no Content-Type'})"


def body_json(response: HttpResponse, what: str) -> Any:
    try:
        return response.json()
    except BodyBeyondLimit as exc:  # past the harness's own limits it cannot judge the body: an error
        raise BodyBeyondLimit(f"{what}: {exc}") from None
    except ValueError:
        fail(f"{what}: answered {describe(response)} with a body that is not JSON; it starts {snippet(response)}")


async def abody_json(response: HttpResponse, what: str) -> Any:
    """:func:`body_json` in a worker thread, for bodies that may be megabytes (metadata)."""
    return await asyncio.to_thread(body_json, response, what)


def expect_status(response: HttpResponse, allowed: tuple[int, ...], what: str) -> None:
    if response.status_code not in allowed:
        want = " or ".join(str(s) for s in allowed)
        fail(f"{what}: expected {want}, got {describe(response)}: {snippet(response)}")


def expect_resource(response: HttpResponse, resource_type: str, what: str) -> dict[str, Any]:
    data = body_json(response, what)
    found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
    if found != resource_type:
        fail(f"{what}: expected a {resource_type}, got {found or 'no resourceType'} ({describe(response)})")
    assert isinstance(data, dict)
    return data


def expect_shape(data: dict[str, Any], key: str, kind: type, what: str) -> Any:
    """``data[key]`` when absent (None) or of JSON type ``kind``; any other shape is a *fail* quoting it.

    Servers answer with bodies that parse but are bent: ``rest`` an object, ``entry`` null, an ``id`` a
    number. That is the system misbehaving, so a verdict, never a harness ``TypeError``."""
    value = data.get(key)
    if key in data and not isinstance(value, kind):
        names = {list: "a list", dict: "an object", str: "a string", bool: "a boolean"}
        fail(f"{what}: {key} is {quote(value)}, expected {names.get(kind, kind.__name__)}")
    return value


def quote(value: Any, size: int = 80) -> str:
    """A JSON value as the server sent it, shortened for a verdict message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= size else text[:size] + "..."


def expect_outcome(response: HttpResponse, what: str) -> dict[str, Any]:
    if not response.content.strip():
        fail(f"{what}: answered {describe(response)} with no body; expected an OperationOutcome")
    return expect_resource(response, "OperationOutcome", what)


def expect_fhir_json(response: HttpResponse, what: str) -> None:
    if response.content_type != "application/fhir+json":
        fail(f"{what}: expected Content-Type application/fhir+json, got {response.content_type or 'none'}")


def etag_version(response: HttpResponse) -> str | None:
    """The version in ``ETag: W/"<vid>"`` (a strong ``"<vid>"`` is accepted too); None if absent."""
    return etag_value(response.headers.get("etag"))


def etag_value(header: str | None) -> str | None:
    """The version in an ETag header's text; None if absent or not ``W/"<vid>"`` / ``"<vid>"``."""
    match = re.fullmatch(r'(?:W/)?"([^"]*)"', (header or "").strip())
    return match.group(1) if match else None


def version_of(resource: dict[str, Any]) -> str | None:
    meta = resource.get("meta")
    value = meta.get("versionId") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def require_declared(condition: object, what: str) -> None:
    if not condition:
        skip(f"{what} not declared in CapabilityStatement")


def judged_from_metadata(element: str, value: Any) -> None:
    """Evidence for a verdict drawn from the CapabilityStatement fetched by the metadata check.

    That check holds the HTTP exchange; this records which element was judged and the value seen, so
    the verdict carries its evidence without fetching the statement again.
    """
    record(Evidence(kind="derived", summary=f"CapabilityStatement.{element} = {value!r}",
                    data={"from_check": METADATA, "element": f"CapabilityStatement.{element}", "value": value}))


def a(noun: str) -> str:
    """``a Patient``, ``an Observation``."""
    return ("an " if noun[:1] in "AEIOU" else "a ") + noun
