"""Validate pages: FHIR, HL7 v2 and GS1 pasted in, judged by the project's validators, each result at a
permanent address that only its author (and an admin) can open."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi import FastAPI

PATIENT = json.dumps({"resourceType": "Patient", "id": "synthetic-1", "gender": "sometimes"})
ADT = "MSH|^~\\&|SENDER|XSB01|RECEIVER|X26|20260101120000||ADT^A01^ADT_A01|MSG0001|P|2.5.1\rEVN|A01|20260101120000\r"


def client(app: FastAPI, session: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"cookie": f"conformance_session={session}"})


async def submit(http: httpx.AsyncClient, kind: str, text: str) -> httpx.Response:
    found = re.search(r'name="csrf" value="([^"]+)"', (await http.get("/validate")).text)
    assert found is not None
    return await http.post("/validate", data={"csrf": found.group(1), "kind": kind, "text": text})


@pytest.mark.parametrize(("kind", "text", "valid", "said"), [
    ("fhir", PATIENT, False, "sometimes"),
    ("fhir", json.dumps({"resourceType": "Patient", "id": "synthetic-2", "gender": "female"}), True, ""),
    ("hl7v2", ADT, False, "PID"),
    ("gs1", "(01)09501101530003(17)250100(10)AB12", True, "09501101530003"),
    ("gs1", "(01)09501101530004", False, "check digit"),
])
async def test_a_validation_is_judged_and_kept_at_a_permanent_address(
        app: FastAPI, sessions: dict[str, str], tokens: dict[str, str], kind: str, text: str, valid: bool,
        said: str) -> None:
    async with client(app, sessions["sup"]) as http:
        posted = await submit(http, kind, text)
        assert posted.status_code == 303 and posted.headers["location"].startswith("/validations/")
        permalink = posted.headers["location"]
        page = await http.get(permalink)
        data = (await http.get(f"/api/v1{permalink}", headers={"authorization": f"Bearer {tokens['sup']}"})).json()
    assert page.status_code == 200 and ("tag--pass\">valid" in page.text) == valid
    assert data["valid"] is valid and data["kind"] == kind and data["input"] == text
    assert data["outcome"]["resourceType"] == "OperationOutcome"
    assert said.lower() in json.dumps(data["outcome"]).lower()
    for other in ("mem", "nat", "comm"):  # someone else's validation is not theirs to see
        async with client(app, sessions[other]) as http:
            assert (await http.get(permalink)).status_code == 404
    async with client(app, sessions["admin"]) as http:
        assert (await http.get(permalink)).status_code == 200


@pytest.mark.parametrize(("kind", "text", "status", "said"), [
    ("cobol", "x", 400, "Choose what the input is"),
    ("fhir", "   ", 400, "Paste something"),
    ("gs1", "(01)" + "9" * 1_000_000, 413, "the limit is 1,000,000"),
    ("fhir", "{not json", 303, ""),  # unreadable input is a verdict (not valid), never a traceback
])
async def test_bad_input_is_said(app: FastAPI, sessions: dict[str, str], kind: str, text: str, status: int,
                                 said: str) -> None:
    async with client(app, sessions["mem"]) as http:
        response = await submit(http, kind, text)
        assert response.status_code == status and said in response.text
        if status == 303:
            assert "not valid" in (await http.get(response.headers["location"])).text
        refused = await http.post("/validate", data={"kind": "gs1", "text": "(01)09501101530003"})
        assert refused.status_code == 403
