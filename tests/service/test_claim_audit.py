"""The audit of self-assessment claims: an assessor in scope attests, disputes and resolves a claim (the
word sealed and signed with a copy of the claim), others in scope get 403, anyone else 404 (issue 22)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from conformance.evidence import records
from conformance.evidence.schema import AssessmentRow
from conformance.evidence.store import EvidenceStore
from conformance.maturity.records import SelfAssessment
from tests.service.test_attest import client, csrf_of

CAPABILITY = "uc-gp-record-access"


@pytest.fixture(scope="module")
def claim_id(store: EvidenceStore) -> int:
    records.save_assessments(store, [SelfAssessment("XOUT1", CAPABILITY, "yes", "2026-11-01", "synthetic note")])
    with store.transaction("read") as session:
        found = session.scalar(select(AssessmentRow.id).where(AssessmentRow.ods_code == "XOUT1"))
    assert found is not None
    return int(found)


async def test_an_assessor_disputes_and_resolves_a_claim(app: FastAPI, sessions: dict[str, str],
                                                         tokens: dict[str, str], store: EvidenceStore,
                                                         claim_id: int) -> None:
    path = f"/organisations/XOUT1/claims/{claim_id}/attestations"
    async with client(app, sessions["ass"]) as http:
        assert 'href="/organisations/XOUT1/claims"' in (await http.get("/organisations/XOUT1")).text
        page = (await http.get("/organisations/XOUT1/claims")).text
        assert f'action="{path}"' in page and "No assessor has attested" in page
        disputed = await http.post(path, data={"csrf": await csrf_of(http), "action": "dispute",
                                                "reason": "no shared care record was shown"})
        assert disputed.status_code == 303
        assert disputed.headers["location"] == f"/organisations/XOUT1/claims#claim-{claim_id}"
        page = (await http.get("/organisations/XOUT1/claims")).text
    assert "disputed</strong>" in page and "no shared care record was shown" in page
    async with client(app, sessions["ass"]) as http:
        assert "claim disputed</strong>" in (await http.get("/organisations/XOUT1")).text
    bearer = {"authorization": f"Bearer {tokens['nat']}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        data = (await http.get("/api/v1/organisations/XOUT1/claims", headers=bearer)).json()
    (claim,) = [c for c in data["claims"] if c["id"] == claim_id]
    assert claim["disputed"] is True and claim["attestations"][0]["claim_then"] == "yes"
    async with client(app, sessions["ass"]) as http:
        resolved = await http.post(path, data={"csrf": await csrf_of(http), "action": "resolve",
                                                "reason": "shown on a second visit"})
        assert resolved.status_code == 303
        assert "disputed</strong>" not in (await http.get("/organisations/XOUT1/claims")).text
        assert "claim disputed" not in (await http.get("/organisations/XOUT1")).text
    _, problems, note = store.verify_signed(None)
    assert problems == [] and "attestations unsigned" in note  # the world's store has no key: integrity only


@pytest.mark.parametrize(("user", "status"), [("nat", 403), ("mem", 404), ("comm", 404), ("panel", 404)])
async def test_only_an_assessor_in_scope_has_a_word_on_a_claim(app: FastAPI, sessions: dict[str, str],
                                                               claim_id: int, user: str, status: int) -> None:
    async with client(app, sessions[user]) as http:
        page = await http.get("/organisations/XOUT1/claims")
        assert page.status_code == (200 if status == 403 else 404)
        assert "/attestations" not in page.text
        response = await http.post(f"/organisations/XOUT1/claims/{claim_id}/attestations",
                                   data={"csrf": await csrf_of(http), "action": "dispute", "reason": "no"})
    assert response.status_code == status


async def test_a_claim_of_another_organisation_is_not_found_under_this_one(app: FastAPI, sessions: dict[str, str],
                                                                           claim_id: int) -> None:
    async with client(app, sessions["admin"]) as http:
        csrf = await csrf_of(http)
        wrong = await http.post(f"/organisations/X26/claims/{claim_id}/attestations",
                                data={"csrf": csrf, "action": "attest"})
        bad = await http.post(f"/organisations/XOUT1/claims/{claim_id}/attestations",
                              data={"csrf": csrf, "action": "dispute"})
        page = (await http.get("/organisations/XOUT1/claims")).text
    assert wrong.status_code == 404 and bad.status_code == 400 and "Give the reason" in bad.text
    assert re.search(r"<h2 id=\"claim-\d+-title\">", page)
