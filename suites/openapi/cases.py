"""schemathesis's generated cases, judged four ways: server errors, response schema, status codes and
content types. One shared run (OpenApiContext.cases); each verdict records the failing exchanges, or
on a pass one exchange per operation exercised.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, skip
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.openapi.cases import CasesRun
from conformance.openapi.created import summary
from conformance.openapi.document import operations
from suites.openapi.context import OpenApiContext, derived

CAPS = ["open-api"]
NEEDS = ["openapi.document.reachable"]  # generated cases judge behaviour even under a flawed document


# Kinds that judge what a success response carries: a run that met no 2xx has not judged them.
ON_SUCCESS = ("response-schema", "content-types")


def schema_for(doc: dict[str, Any], operation: str, status: int) -> Any:
    """The schema the document gives ``operation``'s ``status`` response (the first media type's), or
    None when it gives none. ``{}`` is a schema that every body matches."""
    method, _, path = operation.partition(" ")
    ops = {(m, p): op for m, p, op in operations(doc)}
    responses = ops.get((method, path), {}).get("responses")
    if not isinstance(responses, dict):
        return None
    found = next((responses[k] for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    content = found.get("content") if isinstance(found, dict) else None
    media = next(iter(content.values()), None) if isinstance(content, dict) and content else None
    return media.get("schema") if isinstance(media, dict) else None


def not_judged(doc: dict[str, Any], run: CasesRun, kind: str) -> str:
    """Why ``kind`` judged nothing in ``run`` ('' when it judged something)."""
    if kind not in ON_SUCCESS:
        return ""
    ok = [r for r in run.results if r.status is not None and 200 <= r.status < 300]
    if not ok:
        seen = sorted({str(r.status) for r in run.results if r.status is not None})
        examples = sum(r.example for r in run.results)
        source = (f"{examples} built from the document's own examples" if examples else
                  "none from examples: the document gives none")
        return (f"none of {len(run.results)} requests ({source}) met a success response (they met "
                f"{', '.join(seen) or 'no response'}), so success responses were not judged; give the document "
                "examples the API accepts, or mark operations it can call in api.safe_operations")
    if kind == "response-schema" and all(schema_for(doc, r.operation, r.status or 0) in ({}, None)
                                         for r in ok):
        return (f"the document gives the {len(ok)} success response(s) seen no schema or an empty schema {{}}, "
                "which any body matches: nothing was judged")
    return ""


def unsent_note(run: CasesRun) -> str:
    """What the harness could not send ('' when it sent every case): skipped, never counted against the API."""
    if not run.unsent:
        return ""
    op, why = run.unsent[0]
    return (f"{len(run.unsent)} generated case(s) could not be sent by the harness and were skipped, not judged "
            f"(first, {op}: {why})")


def _judged_on(run: CasesRun, operation: str) -> Any:
    """The exchange that shows what ``operation`` was judged on: a success response when one was met."""
    mine = [r for r in run.results if r.operation == operation]
    return next((r for r in mine if r.status is not None and 200 <= r.status < 300), mine[0])


async def judge(ctx: OpenApiContext, kind: str, rule: str) -> dict[str, Any]:
    doc: dict[str, Any] = ctx.product("openapi.document.reachable")
    run: CasesRun = await ctx.cases(doc)
    unsent = unsent_note(run)
    if unsent:
        derived(unsent, unsent=[{"operation": op, "why": why} for op, why in run.unsent[:20]])
    if not run.results and run.unsent:
        skip(f"no generated case reached the API: {unsent}")
    if not run.results:
        why = "; ".join(f"{op}: {reason}" for op, reason in list(run.not_exercised.items())[:3])
        skip(f"no operation was exercised ({why or 'the document declares none'})")
    failing = run.failing(kind)
    reason = "" if failing else not_judged(doc, run, kind)
    if reason:
        derived(f"{len(run.results)} generated cases on {len(run.exercised)} operations: not judged",
                exercised=run.exercised, statuses=sorted({str(r.status) for r in run.results}))
        skip(f"not judged: {reason}")
    metrics = {"cases": len(run.results), "operations": len(run.exercised), "failing_cases": len(failing),
               "unsent_cases": len(run.unsent),
               "example_cases": sum(r.example for r in run.results),
               "success_responses": sum(1 for r in run.results if r.status is not None and 200 <= r.status < 300)}
    derived(f"{len(run.results)} generated cases on {len(run.exercised)} operations: {len(failing)} broke the "
            f"rule ({rule})", exercised=run.exercised, not_exercised=run.not_exercised, stopped=run.stopped,
            failures=[{"operation": r.operation, "found": r.failures[kind]} for r in failing[:20]])
    if ctx.created:  # what the cases created, and what is still on the target: never left unsaid
        left = [c for c in ctx.created if not c.deleted]
        record(Evidence(kind="warning" if left else "derived", summary=summary(ctx.created),
                        data={"created": [c.to_dict() for c in ctx.created[:50]], "left": len(left)}))
    shown = failing[:5] if failing else [_judged_on(run, op) for op in run.exercised
                                         if any(r.operation == op for r in run.results)]
    for result in shown:
        for item in result.evidence:
            record(item)
    if failing:
        ops = sorted({r.operation for r in failing})
        first = failing[0]
        expect(False, f"{len(failing)} of {len(run.results)} generated cases broke the rule on {', '.join(ops[:5])}"
               f"; first, {first.operation}: {first.failures[kind]}")
    return {"metrics": metrics}


@check(id="openapi.cases.server-errors",
       title="Generated requests never meet a server error (5xx) or a dropped connection",
       requirements=["schemathesis:not_a_server_error", "OWASP-API:2023-API8 security misconfiguration"],
       capabilities=CAPS, needs=NEEDS)
async def server_errors(ctx: OpenApiContext) -> dict[str, Any]:
    return await judge(ctx, "server-errors", "no 5xx, no dropped connection")


@check(id="openapi.cases.response-schema", title="Every response body matches the schema the document gives it",
       requirements=["schemathesis:response_schema_conformance", "OpenAPI-3.0:4.7.17 Response Object"],
       capabilities=CAPS, needs=NEEDS)
async def response_schema(ctx: OpenApiContext) -> dict[str, Any]:
    return await judge(ctx, "response-schema", "bodies match their documented schema")


@check(id="openapi.cases.status-codes", title="Every response status code is one the operation documents",
       requirements=["schemathesis:status_code_conformance", "OpenAPI-3.0:4.7.16 Responses Object"],
       capabilities=CAPS, needs=NEEDS)
async def status_codes(ctx: OpenApiContext) -> dict[str, Any]:
    return await judge(ctx, "status-codes", "documented status codes only")


@check(id="openapi.cases.content-types",
       title="Every response's Content-Type is one the document gives for that status",
       requirements=["schemathesis:content_type_conformance", "OpenAPI-3.0:4.7.17 Response Object"],
       capabilities=CAPS, needs=NEEDS)
async def content_types(ctx: OpenApiContext) -> dict[str, Any]:
    return await judge(ctx, "content-types", "documented content types only")
