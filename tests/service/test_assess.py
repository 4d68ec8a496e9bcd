"""The self-assessment form: only the organisation's lead writes; the record then sets the claim beside
the evidence and keeps the history."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from conformance.evidence import records
from conformance.evidence.store import EvidenceStore

CAPABILITY = "uc-gp-record-access"


def client(app: FastAPI, session: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"cookie": f"conformance_session={session}"})


async def csrf_of(http: httpx.AsyncClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', (await http.get(path)).text)
    assert found is not None
    return found.group(1)


async def test_the_lead_records_claims_and_the_record_sets_them_beside_the_evidence(
        app: FastAPI, sessions: dict[str, str], store: EvidenceStore) -> None:
    path = "/organisations/XCOM1/self-assessment"
    async with client(app, sessions["lead"]) as http:
        assert 'href="/organisations/XCOM1/self-assessment"' in (await http.get("/organisations/XCOM1")).text
        form = await http.get(path)
        assert form.status_code == 200 and f'name="claim-{CAPABILITY}"' in form.text
        csrf = await csrf_of(http, path)
        saved = await http.post(path, data={"csrf": csrf, f"claim-{CAPABILITY}": "met",
                                            f"note-{CAPABILITY}": "<b>live</b> on every ward"})
        assert saved.status_code == 303 and saved.headers["location"] == "/organisations/XCOM1"
        record = (await http.get("/api/v1/organisations/XCOM1/record")).json()
        history = (await http.get(path)).text
    claim = next(c for c in record["capabilities"] if c["id"] == CAPABILITY)
    assert claim["claim"]["claim"] == "met" and claim["claim"]["note"] == "<b>live</b> on every ward"
    assert "&lt;b&gt;live" in history and "<b>live" not in history
    stored = [c for c in records.assessments(store, ["XCOM1"]) if c.capability == CAPABILITY]
    assert stored[-1].claim == "met" and len(stored) >= 2  # the demo's earlier claim stays as history
    assert stored[0].assessed_on in history


@pytest.mark.parametrize(("user", "status"), [("mem", 404), ("comm", 403), ("nat", 403), ("sup", 404)])
async def test_nobody_but_the_lead_writes(app: FastAPI, sessions: dict[str, str], store: EvidenceStore, user: str,
                                          status: int) -> None:
    before = records.assessments(store, ["XCOM1"])
    path = "/organisations/XCOM1/self-assessment"
    async with client(app, sessions[user]) as http:
        csrf = await csrf_of(http, "/account")
        assert (await http.get(path)).status_code == status
        posted = await http.post(path, data={"csrf": csrf, f"claim-{CAPABILITY}": "not met"})
        assert posted.status_code == status
    assert records.assessments(store, ["XCOM1"]) == before


@pytest.mark.parametrize(("data", "said"), [
    ({f"claim-{CAPABILITY}": "brilliant"}, "is not a claim"),
    ({f"claim-{CAPABILITY}": "met", f"note-{CAPABILITY}": "x" * 501}, "limited to 500 characters"),
    ({}, "Choose a claim for at least one capability"),
])
async def test_bad_input_is_said_and_nothing_is_saved(app: FastAPI, sessions: dict[str, str], store: EvidenceStore,
                                                      data: dict[str, str], said: str) -> None:
    before = records.assessments(store, ["XCOM1"])
    path = "/organisations/XCOM1/self-assessment"
    async with client(app, sessions["lead"]) as http:
        response = await http.post(path, data={"csrf": await csrf_of(http, path), **data})
        refused = await http.post(path, data={f"claim-{CAPABILITY}": "not met"})  # no CSRF token
    assert response.status_code == 400 and said in response.text
    assert refused.status_code == 403
    assert records.assessments(store, ["XCOM1"]) == before
