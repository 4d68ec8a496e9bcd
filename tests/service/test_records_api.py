"""The record's writes through the API (token permission records:write): a lead's claims and an
assessor's word on a verdict or a claim, under the same rules as the forms."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from conformance.evidence.store import EvidenceStore
from conformance.service.auth import create_token
from conformance.service.runs_start import Launcher
from conformance.service.secretbox import KEY_ENV, load_box
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


async def test_validations_and_targets_through_the_api(app: FastAPI, store: EvidenceStore, tokens: dict[str, str],
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    secret = "synthetic-token-" + "q7" * 8
    with pytest.MonkeyPatch.context() as env:
        env.delenv(KEY_ENV, raising=False)
        box = load_box(tmp_path_factory.mktemp("key") / "service.key")
    app.state.launcher = Launcher(store, box, tmp_path_factory.mktemp("reports"))
    _, writes = create_token(store, "mem", ("runs:read", "runs:write"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            made = await http.post("/api/v1/validations", json={"kind": "gs1", "text": "(01)09501101530003"},
                                   headers=bearer(tokens["mem"]))
            assert made.status_code == 201 and made.json()["valid"] is True
            again = await http.get(made.json()["api"], headers=bearer(tokens["mem"]))
            assert again.status_code == 200 and again.json()["input"] == "(01)09501101530003"
            other = await http.get(made.json()["api"], headers=bearer(tokens["lead"]))
            assert other.status_code == 404  # a validation is its author's
            wrong = await http.post("/api/v1/validations", json={"kind": "pdf", "text": "x"},
                                    headers=bearer(tokens["mem"]))
            assert wrong.status_code == 400 and "kind" in wrong.json()["detail"]

            target = {"name": "api target", "ods_code": "X26", "fhir_url": "http://127.0.0.1:9/fhir",
                      "auth_type": "bearer"}
            read_only = await http.post("/api/v1/targets", json={**target, "token": secret},
                                        headers=bearer(tokens["mem"]))
            assert read_only.status_code == 403
            short = await http.post("/api/v1/targets", json={**target, "token": "short"}, headers=bearer(writes))
            assert short.status_code == 400 and "at least" in short.json()["detail"]
            foreign = await http.post("/api/v1/targets", json={**target, "ods_code": "XOUT1", "token": secret},
                                      headers=bearer(writes))
            assert foreign.status_code == 403
            ok = await http.post("/api/v1/targets", json={**target, "token": secret}, headers=bearer(writes))
            assert ok.status_code == 201, ok.text
            listed = await http.get("/api/v1/targets", headers=bearer(tokens["mem"]))
            assert "api target" in listed.text and secret not in listed.text + ok.text
    finally:
        app.state.launcher = None


async def test_a_body_past_the_limit_is_refused_unread(app: FastAPI, store: EvidenceStore) -> None:
    _, writes = create_token(store, "ass", ("records:write",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        huge = await http.post(f"/api/v1/runs/run-c/checks/{CHECK}/attestations", headers=bearer(writes),
                               content=b'{"action": "dispute", "reason": "' + b"x" * 300_000 + b'"}')
    assert huge.status_code == 413
