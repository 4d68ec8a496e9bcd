"""The audit of self-assessment claims: an assessor attests or disputes what an organisation claimed,
with a reason, or resolves a dispute (issue 22), as verdicts are audited (attest.py).

Anyone who may see the organisation reads its claims with every word said about them (page and API);
assessors of the organisation (or of a footprint it is in) and admins may write, others in scope get 403,
anyone else 404. Each word is sealed and signed into the store's log (evidence/attestations.py) with a
copy of the claim as it stood, since a later save the same day replaces the claim itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from conformance.evidence import attestations
from conformance.evidence.schema import AssessmentRow, AttestationRow
from conformance.evidence.store import EvidenceStore, now_iso
from conformance.service import pages
from conformance.service.api import NOT_FOUND, RecordsScope
from conformance.service.attest import refusal
from conformance.service.scope import NotVisible, Scope, may_attest, require

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", responses=NOT_FOUND)


def claims(store: EvidenceStore, ods_code: str) -> list[dict[str, Any]]:
    """Every claim of the organisation, newest first, each with its attestations (oldest first) and
    whether its latest word is a dispute."""
    with store.transaction("read claims and their audit") as session:
        rows = session.scalars(select(AssessmentRow).where(AssessmentRow.ods_code == ods_code)
                               .order_by(AssessmentRow.assessed_on.desc(), AssessmentRow.capability)).all()
        said: dict[int, list[dict[str, Any]]] = {}
        for a in session.scalars(select(AttestationRow).where(AttestationRow.assessment_id.in_([r.id for r in rows]))
                                 .order_by(AttestationRow.id)):
            said.setdefault(int(a.assessment_id or 0), []).append(
                {"action": a.action, "reason": a.reason, "by": a.by, "at": a.at,
                 "claim_then": a.subject.get("claim") if isinstance(a.subject, dict) else None})
        out = []
        for r in rows:
            words = said.get(r.id, [])
            out.append({"id": r.id, "capability": r.capability, "claim": r.claim, "assessed_on": r.assessed_on,
                        "note": r.note, "attestations": words,
                        "disputed": bool(words) and words[-1]["action"] == "dispute"})
        return out


@router.get("/organisations/{ods_code}/claims")
def page(request: Request, ods_code: str) -> Response:
    who, scope = pages.user(request)
    store = request.app.state.store
    require(store, scope, "organisation", ods_code)
    model = request.app.state.model
    titles = {key: cap.title for key, cap in model.capabilities.items()}
    return pages.render(request, "claims.html", {
        "title": f"Audit of claims: {ods_code}", "ods_code": ods_code, "claims": claims(store, ods_code),
        "titles": titles, "can_attest": may_attest(store, who, ods_code)})


def require_claim(store: EvidenceStore, scope: Scope, ods_code: str, claim_id: int) -> None:
    """The organisation in scope and the claim one of its own, else NotVisible (404)."""
    require(store, scope, "organisation", ods_code)
    with store.transaction("look up a claim") as session:
        claim = session.get(AssessmentRow, claim_id)
        if claim is None or claim.ods_code != ods_code:
            raise NotVisible(f"no claim #{claim_id} of {ods_code!r}")


@router.post("/organisations/{ods_code}/claims/{claim_id}/attestations")
def attest_claim(request: Request, ods_code: str, claim_id: int, action: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    who, scope = pages.user(request)
    store = request.app.state.store
    require_claim(store, scope, ods_code, claim_id)
    refused = refusal(request, who, ods_code, "Claims", action, reason, csrf)
    if refused is not None:
        return refused
    reason = reason.strip()
    with store.transaction("record an attestation of a claim") as session:
        attestations.record(session, store.signer, action=action, reason=reason, by=who.name, at=now_iso(),
                            assessment_id=claim_id, postgresql=store.backend == "postgresql")
    return RedirectResponse(f"/organisations/{ods_code}/claims#claim-{claim_id}", status_code=303)


@api_router.get("/organisations/{ods_code}/claims")
def api_claims(request: Request, ods_code: str, scope: RecordsScope) -> dict[str, Any]:
    """The organisation's self-assessment claims, newest first, each with the assessors' words on it."""
    require(request.app.state.store, scope, "organisation", ods_code)
    return {"organisation": ods_code, "claims": claims(request.app.state.store, ods_code)}
