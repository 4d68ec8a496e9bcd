"""The CapabilityStatement: fetched once per run, judged by each FHIR suite's metadata check, then the
source of truth for every other check.

Nothing the statement does not declare is tested: checks ask :class:`Capability` and skip with
"... not declared in CapabilityStatement" when the server does not claim the behaviour. Every FHIR suite
registers the same metadata check under its own id (:func:`metadata_check`), since products are kept per
suite; the GET itself is made once per run and FHIR base (:func:`fetch_metadata`), and each of those
checks keeps the exchange as its evidence.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from conformance.checks import check, fail
from conformance.evidence.capture import collecting, record
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import abody_json, describe, require_declared, snippet
from conformance.model import Evidence
from conformance.transports.http import HttpResponse

_VALIDATED: dict[bytes, tuple[str, ...]] = {}  # sha256 of a statement's JSON text -> validate_r4's errors
_VALIDATED_LOCK = threading.Lock()


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
# sends it) is judged by ``fhir-rest.capability.valid`` alone: the interactions and parameters can still
# be tested.
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
    """Structural errors as ``path: message``; remembered by content (about 4 ms of pydantic a call, made
    twice a run, by metadata and capability.valid, and again for every target on the same product).

    Caveat: fhir.resources 8 ships R5 (default) and R4B models, not R4. R4B's CapabilityStatement has
    the same elements and cardinalities as R4's for everything this suite reads, so the R4B model is
    used as the R4 structure; an R4-only nuance (none known for this resource) would go unnoticed.
    """
    try:  # the exact JSON text, key order and number spelling included: the same text, the same errors
        key = hashlib.sha256(json.dumps(raw, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        return _validate_r4(raw)
    with _VALIDATED_LOCK:
        known = _VALIDATED.get(key.digest())
    if known is None:
        known = tuple(_validate_r4(raw))
        with _VALIDATED_LOCK:
            _VALIDATED[key.digest()] = known
            while len(_VALIDATED) > 64:
                del _VALIDATED[next(iter(_VALIDATED))]
    return list(known)


def _validate_r4(raw: dict[str, Any]) -> list[str]:
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
    """The metadata check's declaration under ``check_id``: every FHIR suite registers the same check
    (:func:`metadata`) under its own id, since products (the parsed CapabilityStatement) are kept per suite."""
    return check(
        id=check_id,
        title="GET metadata returns an R4 CapabilityStatement whose declarations can be read",
        requirements=["FHIR-R4:http.html#capabilities", "FHIR-R4:capabilitystatement.html"],
        capabilities=["open-api", "interoperability"],
    )


async def fetch_metadata(ctx: FhirContext) -> HttpResponse:
    """``GET [base]/metadata``, once per run and base: the first suite to ask makes the exchange, the others
    await it; each caller records the exchange as its own evidence."""

    async def get() -> tuple[HttpResponse | Exception, list[Evidence]]:
        with collecting() as kept:
            try:
                response: HttpResponse | Exception = await ctx.fhir.get("metadata")
            except Exception as exc:  # noqa: BLE001  (re-raised below: a transport error still left its exchange)
                response = exc
        return response, list(kept)

    response, kept = await ctx.shared.once(("fhir-metadata", ctx.fhir.base), get)
    for item in kept:
        record(item)
    if isinstance(response, Exception):
        raise response
    return response


async def metadata(ctx: FhirContext) -> Capability:
    response = await fetch_metadata(ctx)
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
