"""The service over a PostgreSQL store: migration 0004 there, sessions, tokens and the scope rule."""

from __future__ import annotations

import time
import uuid

import httpx

from conformance.evidence.store import EvidenceStore
from conformance.service.app import create_app
from conformance.service.auth import create_token, sign_in
from tests.pg import fresh_database
from tests.service.world import PASSWORD, build


async def test_the_service_on_postgresql(pg_server: str, cheap_hashing: None) -> None:
    url = fresh_database(pg_server, "t_service_world_" + uuid.uuid4().hex[:8])
    build(url)
    with EvidenceStore(url, find_key=False) as store:
        app = create_app(store)
        session_id, _ = sign_in(store, "lead", PASSWORD, "192.0.2.1", time.time)
        token = create_token(store, "sup", ("runs:read",))[1]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            page = await http.get("/runs", headers={"cookie": f"conformance_session={session_id}"})
            assert page.status_code == 200 and 'href="/runs/run-b"' in page.text and "run-a" not in page.text
            assert (await http.get("/organisations/X26",
                                   headers={"cookie": f"conformance_session={session_id}"})).status_code == 404
            runs = await http.get("/api/v1/runs", headers={"authorization": f"Bearer {token}"})
            assert [r["id"] for r in runs.json()["runs"]] == ["run-b"]
