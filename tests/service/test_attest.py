"""The audit: an assessor disputes a verdict (shown as disputed, left out of every record's scoring, the
CLI's too) and resolves it; nobody else may; a dispute needs its reason."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from conformance.evidence import records
from conformance.evidence.store import EvidenceStore
from conformance.maturity.model import load_model
from tests.service.world import CHECK, FAILED

PATH = f"/runs/run-c/checks/{CHECK}"


def client(app: FastAPI, session: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"cookie": f"conformance_session={session}"})


async def csrf_of(http: httpx.AsyncClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', (await http.get("/account")).text)
    assert found is not None
    return found.group(1)


def scored(store: EvidenceStore) -> set[str]:
    """Checks of run-c that XOUT1's record is judged on (the same read as `conformance maturity`)."""
    (record,) = records.org_records(store, load_model(), ["XOUT1"], date(2026, 12, 1))
    return {c.check_id for cap in record.capabilities for r in cap.requirements for c in r.checks
            if c.run_id == "run-c"}


async def test_a_dispute_takes_a_verdict_out_of_scoring_until_resolved(app: FastAPI, sessions: dict[str, str],
                                                                       tokens: dict[str, str],
                                                                       store: EvidenceStore) -> None:
    assert CHECK in scored(store)
    async with client(app, sessions["ass"]) as http:
        page = (await http.get(PATH)).text
        assert page.count('action="/runs/run-c/checks/') == 1 and "No assessor has attested" in page
        csrf = await csrf_of(http)
        disputed = await http.post(f"{PATH}/attestations",
                                   data={"csrf": csrf, "action": "dispute",
                                         "reason": "read from a cache, not the EPR"})
        assert disputed.status_code == 303 and disputed.headers["location"] == f"{PATH}#audit"
        page = (await http.get(PATH)).text
        run = (await http.get("/runs/run-c")).text
    assert "This verdict is disputed" in page and "read from a cache, not the EPR" in page
    assert re.search(rf"{re.escape(CHECK)}</a> <strong class=\"tag tag--flag\">disputed", run)
    assert f"{FAILED}</a> <strong" not in run
    assert CHECK not in scored(store)
    (kept,) = records.run_outcomes(store, run_ids=["run-c"])
    assert [o.check_id for o in kept.outcomes] == [FAILED]  # only the disputed verdict is left out
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        data = (await http.get(f"/api/v1{PATH}", headers={"authorization": f"Bearer {tokens['nat']}"})).json()
    assert data["disputed"] is True and [a["action"] for a in data["attestations"]] == ["dispute"]
    async with client(app, sessions["ass"]) as http:
        resolved = await http.post(f"{PATH}/attestations", data={"csrf": await csrf_of(http), "action": "resolve",
                                                                   "reason": "re-read from the EPR: same answer"})
        assert resolved.status_code == 303
        assert "This verdict is disputed" not in (await http.get(PATH)).text
    assert CHECK in scored(store)


@pytest.mark.parametrize(("user", "status"), [("panel", 403), ("nat", 403), ("mem", 404), ("comm", 404)])
async def test_only_an_assessor_in_scope_has_a_word(app: FastAPI, sessions: dict[str, str], user: str,
                                                    status: int) -> None:
    async with client(app, sessions[user]) as http:
        assert 'action="/runs/run-c' not in (await http.get(PATH)).text
        response = await http.post(f"{PATH}/attestations",
                                   data={"csrf": await csrf_of(http), "action": "dispute", "reason": "no"})
    assert response.status_code == status


@pytest.mark.parametrize(("data", "status", "said"), [
    ({"action": "dispute"}, 400, "Give the reason"),
    ({"action": "overrule", "reason": "x"}, 400, "Choose attest, dispute or resolve"),
    ({"action": "attest", "reason": "x" * 2001}, 400, "limited to 2000 characters"),
])
async def test_bad_words_are_refused(app: FastAPI, sessions: dict[str, str], data: dict[str, str], status: int,
                                     said: str) -> None:
    async with client(app, sessions["ass"]) as http:
        before = (await http.get(PATH)).text.count("<tr><td>")
        response = await http.post(f"{PATH}/attestations", data={"csrf": await csrf_of(http), **data})
        no_csrf = await http.post(f"{PATH}/attestations", data={"action": "attest"})
        missing = await http.post("/runs/run-c/checks/no.such.check/attestations",
                                  data={"csrf": await csrf_of(http), "action": "attest"})
        after = (await http.get(PATH)).text.count("<tr><td>")
    assert response.status_code == status and said in response.text
    assert no_csrf.status_code == 403 and missing.status_code == 404 and before == after
