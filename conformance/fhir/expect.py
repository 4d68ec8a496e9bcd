"""Judging a FHIR server's answers, shared by every FHIR suite: parse JSON (a body that is not JSON is a
*fail* with the status, content type and a snippet, never an error), require a resource of a type, an
OperationOutcome, a searchset, a version from an ETag. A bent shape is a quoted fail (check-contract.md).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from conformance.checks import expect, fail, skip
from conformance.transports.http import BodyBeyondLimit, HttpResponse


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


def a(noun: str) -> str:
    """``a Patient``, ``an Observation``."""
    return ("an " if noun[:1] in "AEIOU" else "a ") + noun


def searchset(response: HttpResponse, what: str) -> dict[str, Any]:
    expect_status(response, (200,), what)
    bundle = expect_resource(response, "Bundle", what)
    expect(bundle.get("type") == "searchset", f"{what}: Bundle type is {bundle.get('type')!r}, not searchset")
    expect_shape(bundle, "entry", list, what)
    expect_shape(bundle, "link", list, what)
    return bundle


def entries(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    """Resources of entries in ``mode`` (an entry without search.mode counts as a match)."""
    out = []
    found = bundle.get("entry")
    for entry in found if isinstance(found, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        search = entry.get("search") if isinstance(entry.get("search"), dict) else {}
        if (search or {}).get("mode", "match") == mode:
            out.append(entry["resource"])
    return out


def ids_of(bundle: dict[str, Any], resource_type: str, mode: str = "match") -> list[str]:
    return [r["id"] for r in entries(bundle, mode)
            if r.get("resourceType") == resource_type and isinstance(r.get("id"), str)]
