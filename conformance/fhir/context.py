"""The context every FHIR suite builds on: a FHIR client on the target, the run tag, what the suite wrote
(deleted again at the end), and the run's one CapabilityStatement.

A suite subclasses :class:`FhirContext` and names its own metadata check (``metadata_check``), since
products are kept per suite; the statement itself is fetched once per run (conformance/fhir/capability.py).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any, Self

from conformance.checks import BaseContext, ProductKey, RunShared, SuiteRuntime, skip
from conformance.cleanup.fhir import sweep_tag
from conformance.fhir.client import FhirClient
from conformance.fhir.tags import TAG_SYSTEM, run_tag, with_tags
from conformance.transports.http import BodyBeyondLimit, HttpResponse, HttpTransport, TransportError
from conformance.writeguard import is_sandbox

if TYPE_CHECKING:
    from conformance.fhir.capability import Capability
    from conformance.targets import Target


class FhirContext(BaseContext):
    # The check whose product is the parsed CapabilityStatement: each FHIR suite registers its own
    # (conformance.fhir.capability.metadata_check), since products are kept per suite.
    metadata_check: ProductKey[Capability] = ProductKey("fhir-rest.capability.metadata")

    def __init__(self, target: Target, http: HttpTransport, run_id: str) -> None:
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
        # What this run's suites share (the CapabilityStatement); a private one outside a runner.
        self.shared = RunShared()

    @property
    def tag_param(self) -> str:
        return f"{self.tag['system']}|{self.tag['code']}"

    def unique_id(self) -> str:
        return "cf" + secrets.token_hex(10)

    def capability(self) -> Capability:
        return self.product(self.metadata_check)

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
            if self.target.sandbox:
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
        endpoints = target.endpoints
        if not endpoints.get("fhir"):
            skip("the target names no FHIR endpoint (endpoints.fhir in the target file, or --target URL)")
        http = HttpTransport(target.http, target.auth, transport=runtime.links.http_transport,
                             origin=endpoints["fhir"], read_only=not is_sandbox(target))
        ctx = cls(target, http, runtime.run_id)
        ctx.shared = runtime.shared
        return ctx


_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")


def location_parts(location: str) -> tuple[str, str, str | None] | None:
    """``[base]/Type/id/_history/vid`` (or without the history part) -> (Type, id, vid)."""
    match = _LOCATION.search(location.split("?")[0])
    return (match.group(1), match.group(2), match.group(3)) if match else None
