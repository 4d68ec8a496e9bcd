"""The record's writes through the API (token permission records:write): a lead's claims and an
assessor's word on a verdict or a claim, under the same rules as the forms."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from conformance.evidence.store import EvidenceStore
from conformance.service.auth import create_token
from tests.service.world import CHECK

WRITE = ("runs:read", "records:read", "records:write")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_an_assessor_disputes_a_verdict_and_the_check_shows_it(app: FastAPI, store: EvidenceStore,
                                                                      tokens: dict[str, str]) -> None:
    _, writes = create_token(store, "ass", WRITE)
    _, lead_writes = create_token(store, "lead", WRITE)
    where = f"/api/v1/runs/run-c/checks/{CHECK}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        read_only = await http.post(f"{where}/attestations", json={"action": "dispute", "reason": "x"},
                                    headers=bearer(tokens["ass"]))
        assert read_only.status_code == 403 and "records:write" in read_only.json()["detail"]
        elsewhere = await http.post(f"{where}/attestations", json={"action": "dispute", "reason": "x"},
                                    headers=bearer(lead_writes))
        assert elsewhere.status_code == 404  # run-c is not the lead's to see
        no_reason = await http.post(f"{where}/attestations", json={"action": "dispute"}, headers=bearer(writes))
        assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
        before = (await http.get(where, headers=bearer(tokens["ass"]))).json()
        said = await http.post(f"{where}/attestations", json={"action": "dispute", "reason": "the sandbox was down"},
                               headers=bearer(writes))
        assert said.status_code == 201 and said.json()["by"] == "ass"
        after = (await http.get(where, headers=bearer(tokens["ass"]))).json()
    assert not before["disputed"] and after["disputed"]
    assert any(a.get("reason") == "the sandbox was down" for a in after["attestations"])


async def test_a_lead_records_claims_and_an_assessor_disputes_one(app: FastAPI, store: EvidenceStore,
                                                                   tokens: dict[str, str]) -> None:
    capability = next(iter(app.state.model.capabilities))
    _, lead = create_token(store, "lead", WRITE)
    _, assessor = create_token(store, "ass", WRITE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        url = "/api/v1/organisations/XCOM1/self-assessment"
        bad = await http.post(url, json={"claims": [{"capability": "no-such", "claim": "met"}]}, headers=bearer(lead))
        assert bad.status_code == 400 and "no-such" in bad.json()["detail"]
        not_theirs = await http.post(url, json={"claims": [{"capability": capability, "claim": "met"}]},
                                     headers=bearer(assessor))
        assert not_theirs.status_code == 404  # the assessor's scope is XOUT1
        made = await http.post(url, json={"claims": [{"capability": capability, "claim": "met", "note": "api"}]},
                               headers=bearer(lead))
        assert made.status_code == 201 and made.json()["claims"][0]["claim"] == "met"
        listed = (await http.get("/api/v1/organisations/XCOM1/claims", headers=bearer(tokens["lead"]))).json()
        claim = next(c for c in listed["claims"] if c["capability"] == capability and c["note"] == "api")
        lead_word = await http.post(f"/api/v1/organisations/XCOM1/claims/{claim['id']}/attestations",
                                    json={"action": "attest"}, headers=bearer(lead))
        assert lead_word.status_code == 403  # a lead sees its claims but is no assessor of them
