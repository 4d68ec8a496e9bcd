"""The audit: an assessor attests or disputes a verdict, with a reason, or resolves a dispute.

A verdict whose latest word is a dispute is shown as disputed on its run and check pages and left out
of every maturity record's scoring until resolved (evidence/records.py reads the same table, so the
CLI's records agree). Assessors of the run's organisation (or of a footprint it is in) and admins may
write; others who can see the run get 403, anyone else 404. Each word is sealed into the store's log
and signed with the operator's key as it is written (evidence/attestations.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from conformance.evidence import attestations
from conformance.evidence.schema import OutcomeRow, RunRow
from conformance.evidence.store import EvidenceStore, now_iso
from conformance.service import pages
from conformance.service.auth import Principal, csrf_ok
from conformance.service.scope import NotVisible, may_attest, require

router = APIRouter(include_in_schema=False)
ACTIONS = ("attest", "dispute", "resolve")
MAX_REASON = 2000


def problem_of(action: str, reason: str) -> str:
    """What is wrong with an assessor's word ("" when nothing): verdicts and claims alike."""
    return ("Choose attest, dispute or resolve." if action not in ACTIONS else
            "Give the reason (it is kept with the attestation)." if action != "attest" and not reason else
            f"A reason is limited to {MAX_REASON} characters." if len(reason) > MAX_REASON else "")


def _ods_of(store: EvidenceStore, run_id: str, check_id: str) -> str:
    with store.transaction("read a run's organisation") as session:
        ods = session.scalar(select(RunRow.ods_code).where(RunRow.id == run_id))
        found = session.scalar(select(OutcomeRow.id).where(OutcomeRow.run_id == run_id,
                                                           OutcomeRow.check_id == check_id))
    if ods is None or found is None:
        raise NotVisible(f"no check {check_id!r} in run {run_id!r}")
    return str(ods)


def refusal(request: Request, who: Principal, ods: str, what: str, action: str, reason: str,
            csrf: str) -> Response | None:
    """The page a form's word gets instead of being recorded (not an assessor, a bad CSRF token, a word
    without its reason), or None: verdicts and claims alike."""
    if not may_attest(request.app.state.store, who, ods):
        return pages.render(request, "error.html", {
            "title": "Only an assessor can do this",
            "message": f"{what} are attested or disputed by an assessor of the organisation or its footprint "
                       "(`conformance users role NAME --role assessor --scope ODS|FOOTPRINT`)."}, 403)
    if not csrf_ok(who, csrf):
        return pages.refuse_csrf(request)
    problem = problem_of(action, reason.strip())
    if problem:
        return pages.render(request, "error.html", {"title": "Nothing recorded", "message": problem}, 400)
    return None


@router.post("/runs/{run_id}/checks/{check_id}/attestations")
def attest(request: Request, run_id: str, check_id: str, action: Annotated[str, Form()] = "",
           reason: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    who, scope = pages.user(request)
    store = request.app.state.store
    require(store, scope, "run", run_id)
    ods = _ods_of(store, run_id, check_id)
    refused = refusal(request, who, ods, "Verdicts", action, reason, csrf)
    if refused is not None:
        return refused
    reason = reason.strip()
    try:
        with store.transaction("record an attestation") as session:
            attestations.record(session, store.signer, action=action, reason=reason, by=who.name, at=now_iso(),
                                run_id=run_id, check_id=check_id, postgresql=store.backend == "postgresql")
    except attestations.NoSubject as exc:  # not sealed (yet): nothing to attest
        raise NotVisible(str(exc)) from None
    return RedirectResponse(f"/runs/{run_id}/checks/{check_id}#audit", status_code=303)
