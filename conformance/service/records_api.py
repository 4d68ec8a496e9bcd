"""The API's side of the record's writes: a lead's self-assessment claims and an assessor's word on a
verdict or a claim, for tools that keep the record without the pages (a token of permission
``records:write``). The same rules as the forms: out of scope 404, in scope but not the role 403, a
bad word 400 saying why; claims are dated by the server and every attestation is sealed and signed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from conformance.evidence import attestations, records
from conformance.evidence.store import now_iso
from conformance.maturity.records import CLAIMS, SelfAssessment
from conformance.service import web
from conformance.service.api import NOT_FOUND, Credentials
from conformance.service.assess import MAX_NOTE
from conformance.service.attest import _ods_of, problem_of
from conformance.service.auth import Principal
from conformance.service.claim_audit import require_claim
from conformance.service.scope import NotVisible, Scope, may_assess, may_attest, require

router = APIRouter(prefix="/api/v1", responses=NOT_FOUND)
M = TypeVar("M", bound=BaseModel)


class Word(BaseModel):
    action: str = Field(description="attest | dispute | resolve")
    reason: str = Field("", description="Why (required to dispute or resolve)")


class Claim(BaseModel):
    capability: str
    claim: str = Field(description=" | ".join(CLAIMS))
    note: str = ""


class Claims(BaseModel):
    claims: list[Claim]


def writer(request: Request, _: Credentials) -> tuple[Principal, Scope]:
    """Who is asking and what they see; whether they may write is asked after the scope (out of scope is
    404 whatever the token, as everywhere)."""
    who = web.principal(request)
    if who is None:
        raise web.ApiRefused(401, "send Authorization: Bearer <token> (a token with the permission records:write)")
    return who, web.scope(request, who)


def may_write(who: Principal) -> None:
    if who.via != "token":
        raise web.ApiRefused(403, "write the record through the API with a token; in the pages, use the forms")
    if "records:write" not in who.permissions:
        raise web.ApiRefused(403, "this token lacks the permission records:write")


Writer = Annotated[tuple[Principal, Scope], Depends(writer)]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` put in place, for the OpenAPI document's request body."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        return [walk(v) for v in node] if isinstance(node, list) else node

    found: dict[str, Any] = walk(schema)
    return found


def body_of(model: type[BaseModel]) -> dict[str, Any]:
    """The route's documented JSON body. The body is read by the handler after the scope is judged, so a
    request outside the caller's scope is 404 whatever it carries (not 422 for a body never looked at)."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": _inline(model.model_json_schema())}}}}


MAX_BODY = 256_000  # a claims list or a word with its reason is a few KB; more is refused unread


async def body(request: Request) -> bytes:
    """The request's body, at most MAX_BODY bytes (413 past it, read no further)."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise web.ApiRefused(413, f"the body is over {MAX_BODY:,} bytes")
    return bytes(data)


def parsed(model: type[M], data: bytes) -> M:
    try:
        return model.model_validate_json(data or b"null")
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise web.ApiRefused(400, f"{where}: {first['msg']} (send JSON: {model.__name__})") from None


def _word(body: Word) -> tuple[str, str]:
    reason = body.reason.strip()
    problem = problem_of(body.action, reason)
    if problem:
        raise web.ApiRefused(400, problem)
    return body.action, reason


@router.post("/runs/{run_id}/checks/{check_id}/attestations", status_code=201, openapi_extra=body_of(Word),
             summary="An assessor attests, disputes or resolves a verdict (token: records:write)")
async def attest_verdict(request: Request, run_id: str, check_id: str, writer: Writer) -> dict[str, Any]:
    data = await body(request)
    return await run_in_threadpool(_attest_verdict, request, run_id, check_id, writer, data)  # the store is sync


def _attest_verdict(request: Request, run_id: str, check_id: str, writer: tuple[Principal, Scope],
                    data: bytes) -> dict[str, Any]:
    who, scope = writer
    store = request.app.state.store
    require(store, scope, "run", run_id)
    ods = _ods_of(store, run_id, check_id)
    may_write(who)
    if not may_attest(store, who, ods):
        raise web.ApiRefused(403, "verdicts are attested or disputed by an assessor of the organisation or its "
                                  "footprint")
    action, reason = _word(parsed(Word, data))
    try:
        with store.transaction("record an attestation") as session:
            attestations.record(session, store.signer, action=action, reason=reason, by=who.name, at=now_iso(),
                                run_id=run_id, check_id=check_id, postgresql=store.backend == "postgresql")
    except attestations.NoSubject as exc:
        raise NotVisible(str(exc)) from None
    return {"run": run_id, "check": check_id, "action": action, "reason": reason, "by": who.name}


@router.post("/organisations/{ods_code}/claims/{claim_id}/attestations", status_code=201, openapi_extra=body_of(Word),
             summary="An assessor attests, disputes or resolves a self-assessment claim (token: records:write)")
async def attest_claim(request: Request, ods_code: str, claim_id: int, writer: Writer) -> dict[str, Any]:
    data = await body(request)
    return await run_in_threadpool(_attest_claim, request, ods_code, claim_id, writer, data)


def _attest_claim(request: Request, ods_code: str, claim_id: int, writer: tuple[Principal, Scope],
                  data: bytes) -> dict[str, Any]:
    who, scope = writer
    store = request.app.state.store
    require_claim(store, scope, ods_code, claim_id)
    may_write(who)
    if not may_attest(store, who, ods_code):
        raise web.ApiRefused(403, "claims are attested or disputed by an assessor of the organisation or its "
                                  "footprint")
    action, reason = _word(parsed(Word, data))
    with store.transaction("record an attestation of a claim") as session:
        attestations.record(session, store.signer, action=action, reason=reason, by=who.name, at=now_iso(),
                            assessment_id=claim_id, postgresql=store.backend == "postgresql")
    return {"organisation": ods_code, "claim": claim_id, "action": action, "reason": reason, "by": who.name}


@router.post("/organisations/{ods_code}/self-assessment", status_code=201, openapi_extra=body_of(Claims),
             summary="The organisation's lead records its claims, one per capability (token: records:write)")
async def self_assess(request: Request, ods_code: str, writer: Writer) -> dict[str, Any]:
    data = await body(request)
    return await run_in_threadpool(_self_assess, request, ods_code, writer, data)


def _self_assess(request: Request, ods_code: str, writer: tuple[Principal, Scope], data: bytes) -> dict[str, Any]:
    who, scope = writer
    store, model = request.app.state.store, request.app.state.model
    require(store, scope, "organisation", ods_code)
    may_write(who)
    if not may_assess(who, ods_code):
        raise web.ApiRefused(403, "an organisation's self-assessment is recorded by its lead")
    day = datetime.fromtimestamp(request.app.state.clock(), UTC).date().isoformat()
    found: list[SelfAssessment] = []
    for item in parsed(Claims, data).claims:
        note = item.note.strip()
        if item.capability not in model.capabilities:
            raise web.ApiRefused(400, f"{item.capability!r} is not a capability of the model")
        if item.claim not in CLAIMS:
            raise web.ApiRefused(400, f"{item.claim!r} is not a claim (one of: {', '.join(CLAIMS)})")
        if len(note) > MAX_NOTE:
            raise web.ApiRefused(400, f"a note is limited to {MAX_NOTE} characters")
        found.append(SelfAssessment(ods_code, item.capability, item.claim, day, note))
    if not found:
        raise web.ApiRefused(400, "give a claim for at least one capability")
    records.save_assessments(store, found)
    return {"organisation": ods_code, "assessed_on": day,
            "claims": [{"capability": c.capability, "claim": c.claim, "note": c.note} for c in found]}
