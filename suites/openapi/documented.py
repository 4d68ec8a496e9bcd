"""The document: published (readable without credentials), valid, and describing every operation's
responses and security; and nothing served that it does not describe.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, fail
from conformance.jsonshape import quote
from conformance.openapi.document import DocumentError, operations, validate
from conformance.transports.http import TransportError
from conformance.writeguard import is_sandbox
from suites.openapi.context import OpenApiContext, derived

CAPS = ["open-api"]
OAS = "OpenAPI-3.0:"
PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = "conformance-probe-1"


@check(id="openapi.document.reachable", title="The OpenAPI document is reachable without credentials",
       requirements=[OAS + "4.3 OpenAPI document", "NHS-OpenAPIs:published"], capabilities=CAPS)
async def reachable(ctx: OpenApiContext) -> dict[str, Any]:
    doc = await ctx.fetch()
    paths = doc.get("paths")
    derived(f"OpenAPI {doc.get('openapi') or doc.get('swagger')} document with "
            f"{len(paths) if isinstance(paths, dict) else 0} paths",
            source=ctx.source, openapi=doc.get("openapi"))
    return doc


@check(id="openapi.document.valid", title="The OpenAPI document is valid (openapi-spec-validator)",
       requirements=[OAS + "4.7 schema", "OpenAPI-3.1:4.8 schema"], capabilities=CAPS,
       needs=["openapi.document.reachable"])
async def valid(ctx: OpenApiContext) -> dict[str, Any]:
    doc: dict[str, Any] = ctx.product("openapi.document.reachable")
    try:
        problems = validate(doc)
    except DocumentError as exc:
        derived("the document could not be validated", reason=str(exc))
        fail(str(exc))
    derived(f"openapi-spec-validator: {len(problems)} problem(s)",
            problems=[{"at": p.where, "message": p.message} for p in problems])
    expect(not problems, "the document is not valid OpenAPI: " + "; ".join(
        f"at {p.where}: {p.message}" for p in problems[:5]))
    return doc


# Operations are judged whenever the document parses: validity is its own verdict (document.valid), and a
# document with one flaw still describes operations a vendor must get right.
PARSED = "openapi.document.reachable"


def _codes(op: dict[str, Any]) -> list[str]:
    responses = op.get("responses")
    return [str(k).upper() for k in responses] if isinstance(responses, dict) else []


@check(id="openapi.operations.responses",
       title="Every operation documents its success response and at least one error response",
       requirements=[OAS + "4.7.16 Responses Object"], capabilities=CAPS, needs=[PARSED])
async def responses(ctx: OpenApiContext) -> None:
    doc: dict[str, Any] = ctx.product(PARSED)
    missing = []
    for method, path, op in operations(doc):
        codes = _codes(op)
        lacks = [what for what, ok in (
            ("a success (2xx) response", any(c.startswith("2") for c in codes)),
            ("an error (4xx, 5xx or default) response", any(c[0] in "45" or c == "DEFAULT" for c in codes)),
        ) if not ok]
        if lacks:
            missing.append(f"{method} {path} lacks {' and '.join(lacks)} (documents {', '.join(codes) or 'none'})")
    derived(f"responses of {sum(1 for _ in operations(doc))} operations", missing=missing)
    expect(not missing, "; ".join(missing[:5]))


@check(id="openapi.operations.security",
       title="Every operation documents its security (a requirement, or an explicit empty one for public ones)",
       requirements=[OAS + "4.7.10 security", OAS + "4.7.33 Security Requirement Object"],
       capabilities=[*CAPS, "information-governance"], needs=[PARSED])
async def security(ctx: OpenApiContext) -> None:
    doc: dict[str, Any] = ctx.product(PARSED)
    components = doc.get("components")
    declared = (components.get("securitySchemes") if isinstance(components, dict) else None) \
        or doc.get("securityDefinitions")
    schemes = set(declared) if isinstance(declared, dict) else set()
    top = doc.get("security")
    problems = []
    for method, path, op in operations(doc):
        requirement = op.get("security", top)
        if requirement is None:
            problems.append(f"{method} {path} declares no security (and the document has no global security)")
            continue
        if not isinstance(requirement, list):
            problems.append(f"{method} {path}: security is {quote(requirement)}, not a list of requirements")
            continue
        unknown = sorted({name for req in requirement if isinstance(req, dict) for name in req} - schemes)
        if unknown:
            problems.append(f"{method} {path} names undefined security schemes {', '.join(unknown)}")
    derived("security of every operation", schemes=sorted(schemes), problems=problems)
    expect(not problems, "; ".join(problems[:5]))


@check(id="openapi.operations.undocumented-methods",
       title="Methods the document does not describe for a path are not served (405, not 2xx)",
       requirements=["OWASP-API:2023-API9 improper inventory management", "RFC9110:15.5.6 405"],
       capabilities=[*CAPS, "information-governance"], needs=[PARSED])
async def undocumented_methods(ctx: OpenApiContext) -> None:
    doc: dict[str, Any] = ctx.product(PARSED)
    base = ctx.api_base(doc)
    token = await ctx.token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    documented: dict[str, set[str]] = {}
    for method, path, _ in operations(doc):
        documented.setdefault(path, set()).add(method)
    served = []
    for path, methods in list(documented.items())[:15]:
        url = base + _fill(path)
        for method in PROBE_METHODS:
            if method in methods or (method != "GET" and not is_sandbox(ctx.target)):
                continue  # only safe probes against targets that are not sandboxes
            try:
                response = await ctx.http.request(method, url, headers=headers,
                                                  content=b"{}" if method in ("POST", "PUT", "PATCH") else None)
            except TransportError:
                continue  # a server that drops an undocumented method does not serve it
            if 200 <= response.status_code < 300:
                served.append(f"{method} {path} answered {response.status_code}")
    expect(not served, "operations are served that the document does not describe: " + "; ".join(served[:5]))


def _fill(path: str) -> str:
    import re

    return re.sub(r"\{[^}/]+\}", PLACEHOLDER, path)
