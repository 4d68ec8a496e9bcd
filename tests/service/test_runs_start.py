"""Starting runs from the service: registered targets with credentials sealed under the service key,
the pages' forms (roles, CSRF), the API (runs:write), and a real run against the built-in sandbox on
loopback, started through the API, followed live and read back at its permalinks, with the target's
credential in no response, log line, report file or store row."""

from __future__ import annotations

import base64
import logging
import re
import sqlite3
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from conformance.evidence.store import EvidenceStore
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.server import SandboxServer
from conformance.service.accounts import parse_grant
from conformance.service.app import create_app
from conformance.service.auth import Principal, create_token, sign_in
from conformance.service.runs_start import Launcher
from conformance.service.secretbox import KEY_ENV, ServiceKeyError, key_file_for, load_box
from conformance.service.targets import for_run
from conformance.service.targets import register as add_target
from conformance.transports.http import HttpTransport
from tests.pg import fresh_database
from tests.security.leaks import expand, leaks
from tests.service.world import PASSWORD, build

SECRET = "synthetic-target-token-9f3c1e7a"  # synthetic, test-only: must never come back out
COOKIE = "conformance_session"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def launcher(app: FastAPI, store: EvidenceStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(KEY_ENV, raising=False)
        box = load_box(tmp_path_factory.mktemp("key") / "service.key")
    found = Launcher(store, box, tmp_path_factory.mktemp("reports"))
    app.state.launcher = found
    yield found
    found.close()
    app.state.launcher = None


def browser(app: FastAPI, session: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             cookies={COOKIE: session})


def api(app: FastAPI, token: str = "") -> httpx.AsyncClient:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers)


async def csrf_of(http: httpx.AsyncClient, path: str) -> str:
    page = await http.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


async def register(http: httpx.AsyncClient, name: str, ods: str, url: str, vendor: str = "",
                   csrf: str | None = None) -> httpx.Response:
    token = await csrf_of(http, "/targets") if csrf is None else csrf
    return await http.post("/targets", data={"csrf": token, "name": name, "ods_code": ods, "vendor": vendor,
                                             "product": "sandbox", "fhir_url": url, "sandbox": "yes",
                                             "auth_type": "bearer", "token": SECRET})


def test_the_key_file_is_made_0600_and_credentials_are_ciphertext(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    box = load_box(tmp_path / "k" / "service.key")
    assert (tmp_path / "k" / "service.key").stat().st_mode & 0o777 == 0o600
    assert "created service key file" in box.origin and "0600" in box.origin
    sealed = box.seal({"token": SECRET})
    assert not leaks(sealed, [SECRET]) and box.open(sealed) == {"token": SECRET}
    assert "from" in load_box(tmp_path / "k" / "service.key").origin  # the same file, read again
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(ServiceKeyError, match=KEY_ENV):
        load_box(tmp_path / "other.key")
    monkeypatch.setenv(KEY_ENV, box.fernet.generate_key().decode())
    with pytest.raises(ServiceKeyError, match="cannot be decrypted"):
        load_box().open(sealed)  # another key: refused with a sentence, never garbage


async def test_registering_needs_the_role_and_the_csrf_token(app: FastAPI, launcher: Launcher,
                                                             sessions: dict[str, str]) -> None:
    async with browser(app, sessions["comm"]) as http:  # a commissioner sees X26's runs but runs none
        refused = await register(http, "comm-target", "X26", "http://127.0.0.1:9/fhir")
        assert refused.status_code == 403
        assert "comm-target" not in (await http.get("/targets")).text
    async with browser(app, sessions["mem"]) as http:
        assert (await register(http, "no-csrf", "X26", "http://127.0.0.1:9/fhir", csrf="")).status_code == 403
        bad_url = await register(http, "bad-url", "X26", "ftp://example.invalid/")
        assert bad_url.status_code == 400 and "There is a problem" in bad_url.text
        assert not leaks(bad_url.text, [SECRET])  # the form comes back without the credential
        made = await register(http, "mem-target", "X26", "http://127.0.0.1:9/fhir")
        assert made.status_code == 303
        listing = (await http.get("/targets")).text
        assert "mem-target" in listing and "no-csrf" not in listing and "bad-url" not in listing
        page = await http.get(made.headers["location"])
        assert "Start run" in page.text and "stored encrypted (bearer)" in page.text
        assert not leaks(page.text, [SECRET])
        no_csrf = await http.post(made.headers["location"] + "/runs", data={"suites": "fhir-rest"})
        assert no_csrf.status_code == 403
    async with browser(app, sessions["comm"]) as http:
        page = await http.get(made.headers["location"])
        assert page.status_code == 200 and "Start run" not in page.text
        csrf = await csrf_of(http, "/targets")
        assert (await http.post(made.headers["location"] + "/runs", data={"csrf": csrf})).status_code == 403
    async with browser(app, sessions["sup"]) as http:  # a supplier adds no evidence to a provider's record
        refused = await register(http, "acme-at-x26", "X26", "http://127.0.0.1:9/fhir", vendor="Acme")
        assert refused.status_code == 400 and "X26 is a provider" in refused.text
        assert "acme-at-x26" not in (await http.get("/targets")).text
    async with browser(app, sessions["ass"]) as http:  # outside the scope: not found, as any run
        assert (await http.get(made.headers["location"])).status_code == 404
        assert "mem-target" not in (await http.get("/targets")).text
    assert not launcher.progress  # nothing refused started anything


async def test_the_api_wants_a_token_with_runs_write(app: FastAPI, store: EvidenceStore, launcher: Launcher,
                                                     sessions: dict[str, str], tokens: dict[str, str]) -> None:
    async with browser(app, sessions["mem"]) as http:
        made = await register(http, "api-target", "X26", "http://127.0.0.1:9/fhir")
    target = int(made.headers["location"].rsplit("/", 1)[1])
    async with api(app) as http:
        assert (await http.post("/api/v1/runs", json={"target": target})).status_code == 401
    async with api(app, tokens["mem"]) as http:  # the default token reads only
        refused = await http.post("/api/v1/runs", json={"target": target})
        assert refused.status_code == 403 and "runs:write" in refused.json()["detail"]
    async with browser(app, sessions["mem"]) as http:  # a session uses the form, not the API
        assert (await http.post("/api/v1/runs", json={"target": target})).status_code == 403
    _, writer = create_token(store, "comm", ("runs:read", "runs:write"))
    async with api(app, writer) as http:  # commissioner: sees the target, may not run it
        assert (await http.post("/api/v1/runs", json={"target": target})).status_code == 403
    _, outsider = create_token(store, "ass", ("runs:read", "runs:write"))
    async with api(app, outsider) as http:
        assert (await http.post("/api/v1/runs", json={"target": target})).status_code == 404
        assert (await http.get("/api/v1/targets")).json() == {"targets": []}
    assert not launcher.progress


async def wait_until_final(http: httpx.AsyncClient, run_id: str) -> dict[str, object]:
    for _ in range(600):  # at most a minute, polled; the run normally takes a few seconds
        status: dict[str, object] = (await http.get(f"/api/v1/runs/{run_id}/status")).json()
        if status["state"] in ("complete", "aborted", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end: {status}")


async def test_a_sandbox_run_started_through_the_api(app: FastAPI, store: EvidenceStore, world_url: str,
                                                     launcher: Launcher, sessions: dict[str, str],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    with SandboxServer(parse_faults([])) as sandbox:
        async with browser(app, sessions["mem"]) as http:
            made = await register(http, "sandbox", "X26", sandbox.base_url, vendor="conformance")
            bodies.append(made.text)
        target = int(made.headers["location"].rsplit("/", 1)[1])
        _, token = create_token(store, "mem", ("runs:read", "runs:write"))
        async with api(app, token) as http:
            listed = (await http.get("/api/v1/targets")).json()["targets"]
            assert {"id": target, "credentials": "stored encrypted"}.items() <= next(
                t for t in listed if t["id"] == target).items()
            started = await http.post("/api/v1/runs", json={"target": target, "suites": ["fhir-rest"],
                                                            "select": ["fhir-rest.capability.*"]})
            assert started.status_code == 202, started.text
            run_id = started.json()["run"]
            status = await wait_until_final(http, run_id)
            assert status["state"] == "complete", status
            assert status["done"] == status["total"] and int(str(status["total"])) >= 3
            run = (await http.get(f"/api/v1/runs/{run_id}")).json()
            assert run["run"]["status"] == "complete" and run["run"]["target"]["auth"] == {"type": "bearer"}
            assert run["summary"]["pass"] >= 3 and run["summary"]["fail"] == 0
            junit = await http.get(f"/api/v1/runs/{run_id}/junit")
            cases = ET.fromstring(junit.text).iter("testcase")
            assert sum(1 for _ in cases) == status["total"]
            results = (await http.get(f"/api/v1/runs/{run_id}/results")).json()["results"]
            bodies += [started.text, str(status), str(run), junit.text, str(results), str(listed)]
    async with browser(app, sessions["mem"]) as http:
        for result in results:
            page = await http.get(result["permalink"])
            assert page.status_code == 200 and result["id"] in page.text
            bodies.append(page.text)
        live = await http.get(f"/runs/{run_id}/live")
        assert live.status_code == 200 and "complete" in live.text and f"/runs/{run_id}" in live.text
        assert "script-src 'self'" in live.headers["content-security-policy"]
        events = await http.get(f"/runs/{run_id}/events")
        assert events.headers["content-type"].startswith("text/event-stream")
        assert events.text.startswith("event: progress\ndata: ") and '"state": "complete"' in events.text
        bodies += [live.text, events.text, (await http.get(f"/targets/{target}")).text]
    async with browser(app, sessions["ass"]) as http:  # another organisation's assessor: nothing to see
        assert (await http.get(f"/runs/{run_id}/live")).status_code == 404
        assert (await http.get(f"/runs/{run_id}/events")).status_code == 404
    assert not leaks("\n".join(bodies) + caplog.text, [SECRET])
    for path in (launcher.reports_dir / run_id).rglob("*"):
        if path.is_file():
            assert not leaks(path.read_bytes(), [SECRET]), path
    with sqlite3.connect(world_url.removeprefix("sqlite:///")) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "service_targets" in tables
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # names from sqlite_master
                for cell in row:
                    data = expand(cell) if isinstance(cell, bytes) else str(cell).encode()
                    assert not leaks(data, [SECRET]), table


def test_serve_keeps_the_key_beside_a_sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with EvidenceStore(f"sqlite:///{tmp_path / 'db' / 'conformance.db'}", find_key=False) as store:
        path = key_file_for(store)
    assert path == tmp_path / "db" / "service.key"
    assert str(path) in load_box(path).origin and path.stat().st_mode & 0o777 == 0o600


async def test_a_run_started_from_the_form_against_a_silent_target_fails_with_a_sentence(
        app: FastAPI, launcher: Launcher, sessions: dict[str, str]) -> None:
    async with browser(app, sessions["mem"]) as http:
        made = await register(http, "silent", "X26", "http://127.0.0.1:9/fhir")  # the discard port: refused
        csrf = await csrf_of(http, made.headers["location"])
        started = await http.post(made.headers["location"] + "/runs", data={"csrf": csrf, "suites": "fhir-rest"})
        assert started.status_code == 303 and started.headers["location"].endswith("/live")
        run_id = started.headers["location"].split("/")[2]
        first = await http.get(started.headers["location"])
        if "failed" not in first.text:  # still going: the page reloads itself without JavaScript
            assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in first.text
        _, token = create_token(launcher.store, "mem", ("runs:read",))
        async with api(app, token) as reader:
            status = await wait_until_final(reader, run_id)
        assert status["state"] == "failed" and "127.0.0.1:9" in str(status["message"]), status
        page = await http.get(started.headers["location"])
        assert "failed" in page.text and "refresh" not in page.text and not leaks(page.text, [SECRET])
        assert (await http.get(f"/runs/{run_id}")).status_code == 404  # nothing was stored: no run to show


async def test_a_builtin_sandbox_target_is_started_for_its_run(app: FastAPI, store: EvidenceStore,
                                                               launcher: Launcher, sessions: dict[str, str]) -> None:
    async with browser(app, sessions["admin"]) as http:
        made = await register(http, "built-in", "X26", "builtin:sandbox", vendor="conformance")
        assert made.status_code == 303, made.text
        assert "builtin:sandbox" in (await http.get(made.headers["location"])).text
    target = int(made.headers["location"].rsplit("/", 1)[1])
    _, token = create_token(store, "admin", ("runs:read", "runs:write"))
    async with api(app, token) as http:
        started = await http.post("/api/v1/runs", json={"target": target, "select": ["fhir-rest.capability.*"]})
        status = await wait_until_final(http, started.json()["run"])
        assert status["state"] == "complete", status
        run = (await http.get(f"/api/v1/runs/{started.json()['run']}")).json()["run"]
    assert run["target"]["name"] == "built-in" and run["target"]["endpoints"]["fhir"].startswith("http://127.0.0.1:")
    assert run["target"]["organisation"]["ods_code"] == "X26" and run["target"]["sandbox"] is True


SEES_X26 = {"admin", "nat", "comm", "mem"}  # who sees X26's runs (tests/service/world.py), so its targets
RUNS_X26 = {"admin", "mem"}  # ... and who may start runs on them (a supplier of vendor Acme may not: not its)


async def test_every_route_as_every_role(app: FastAPI, store: EvidenceStore, launcher: Launcher,
                                         sessions: dict[str, str]) -> None:
    async with browser(app, sessions["mem"]) as http:
        made = await register(http, "matrix", "X26", "http://127.0.0.1:9/fhir", vendor="conformance")
    target = int(made.headers["location"].rsplit("/", 1)[1])
    _, token = create_token(store, "mem", ("runs:read", "runs:write"))
    async with api(app, token) as http:
        run_id = (await http.post("/api/v1/runs", json={"target": target})).json()["run"]
        await wait_until_final(http, run_id)
    pages = [f"/targets/{target}", f"/runs/{run_id}/live", f"/runs/{run_id}/events"]
    for user in sorted(sessions):
        async with browser(app, sessions[user]) as http:
            absent = await http.get("/targets/999999")
            for path in pages:
                response = await http.get(path)
                if user in SEES_X26:
                    assert response.status_code == 200, (user, path)
                else:
                    assert response.status_code == 404 and response.text == absent.text, (user, path)
            csrf = await csrf_of(http, "/targets")
            before = len(launcher.progress)
            started = await http.post(f"/targets/{target}/runs", data={"csrf": csrf, "select": "none.*"})
            expected = 303 if user in RUNS_X26 else 403 if user in SEES_X26 else 404
            assert started.status_code == expected, user
            assert len(launcher.progress) == before + (user in RUNS_X26)
        _, reader = create_token(store, user, ("runs:read",))
        async with api(app, reader) as http:
            status = await http.get(f"/api/v1/runs/{run_id}/status")
            assert status.status_code == (200 if user in SEES_X26 else 404), user
            assert ("matrix" in str((await http.get("/api/v1/targets")).json())) == (user in SEES_X26)


async def test_targets_and_launches_on_postgresql(pg_server: str, cheap_hashing: None, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 0006 on PostgreSQL (its ``select`` column quoted), a sealed credential, a launch to its end."""
    url = fresh_database(pg_server, "t_service_runs_" + uuid.uuid4().hex[:8])
    build(url)
    monkeypatch.delenv(KEY_ENV, raising=False)
    with EvidenceStore(url, find_key=False) as pg:
        app = create_app(pg)
        app.state.launcher = Launcher(pg, load_box(tmp_path / "service.key"), tmp_path / "reports")
        try:
            _, token = create_token(pg, "admin", ("runs:read", "runs:write"))
            session, _ = sign_in(pg, "mem", PASSWORD, "192.0.2.1", time.time)
            async with browser(app, session) as http:
                made = await register(http, "pg-target", "X26", "http://127.0.0.1:9/fhir")
            target = int(made.headers["location"].rsplit("/", 1)[1])
            async with api(app, token) as http:
                run_id = (await http.post("/api/v1/runs", json={"target": target})).json()["run"]
                assert (await wait_until_final(http, run_id))["state"] == "failed"
        finally:
            app.state.launcher.close()
        with pg.engine.connect() as db:
            secret, state = db.execute(text("SELECT t.secret, l.state FROM service_targets t JOIN service_launches l "
                                            "ON l.target_id = t.id")).one()
    assert secret and not leaks(secret, [SECRET]) and state == "failed"


async def test_a_registered_credential_reaches_the_target_and_only_the_target(store: EvidenceStore,
                                                                              launcher: Launcher) -> None:
    """Decrypted for the run, the credential is what the HTTP transport sends, and the transport's
    evidence (its scrubber) hides it; no environment variable is involved."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"echo": request.headers.get("authorization", "")})

    admin = Principal(1, "admin", (parse_grant("admin", ""),), frozenset())
    made = add_target(store, launcher.box, admin, name="header-check", ods_code="X26", vendor="", product="",
                      fhir_url="http://127.0.0.1:9/fhir", sandbox=False, auth_type="basic", username="synthetic-user",
                      password=SECRET)
    target = for_run(store, launcher.box, made.id)
    assert target.auth.type == "basic" and "synthetic-user" not in repr(target.auth) and SECRET not in repr(target)
    http = HttpTransport(target.http, target.auth, transport=httpx.MockTransport(answer))
    try:
        response = await http.request("GET", "http://127.0.0.1:9/fhir/metadata")
    finally:
        await http.aclose()
    assert seen == ["Basic " + base64.b64encode(f"synthetic-user:{SECRET}".encode()).decode()]
    assert not leaks(str(response.text) + str(response.headers), [SECRET])
