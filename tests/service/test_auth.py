"""Signing in and out, CSRF, session fixation, the brute-force limit, cookies, and API tokens."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from conformance.evidence.store import EvidenceStore
from conformance.service.accounts import add_user
from conformance.service.auth import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, WINDOW_SECONDS, create_token
from conformance.service.pages import local_path
from conformance.service.tables import TokenRow
from tests.service.conftest import Clock
from tests.service.world import PASSWORD

COOKIE = "conformance_session"


def client(app: FastAPI, address: str = "192.0.2.10", scheme: str = "http") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver")


async def login(http: httpx.AsyncClient, user: str, password: str = PASSWORD,
                csrf: str | None = None) -> httpx.Response:
    form = await http.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    return await http.post("/login", data={"username": user, "password": password, "next": "/runs",
                                           "csrf": token.group(1) if csrf is None else csrf})


def session_cookie(response: httpx.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{COOKIE}="):
            return header
    return ""


async def test_anonymous_pages_go_to_sign_in_and_the_api_says_401(app: FastAPI) -> None:
    async with client(app) as http:
        page = await http.get("/runs/run-a")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fruns%2Frun-a"
        api = await http.get("/api/v1/runs")
        assert api.status_code == 401 and api.headers["www-authenticate"].startswith("Bearer")
        forged = await http.get("/api/v1/runs", headers={"authorization": "Bearer cft_not-a-token"})
        assert forged.status_code == 401
        stale = await http.get("/runs", headers={"cookie": f"{COOKIE}=not-a-session"})
        assert stale.status_code == 303


async def test_sign_in_rotates_the_session_id_and_ignores_a_planted_one(app: FastAPI) -> None:
    async with client(app) as http:
        http.cookies.set(COOKIE, "planted-by-an-attacker")
        first = await login(http, "mem")
        assert first.status_code == 303 and first.headers["location"] == "/runs"
        issued = session_cookie(first)
        value = issued.split(";")[0].split("=", 1)[1]
        assert value and value != "planted-by-an-attacker"
        flags = issued.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags and "path=/" in flags
        http.cookies.clear()
        second = await login(http, "mem")
        assert session_cookie(second).split(";")[0].split("=", 1)[1] != value
    async with client(app) as http:
        planted = await http.get("/runs", headers={"cookie": f"{COOKIE}=planted-by-an-attacker"})
        assert planted.status_code == 303
        mine = await http.get("/runs", headers={"cookie": f"{COOKIE}={value}"})
        assert mine.status_code == 200 and "run-a" in mine.text


async def test_cookies_are_secure_over_tls(app: FastAPI) -> None:
    async with client(app, scheme="https") as http:
        response = await login(http, "mem")
        assert response.status_code == 303 and "; secure" in session_cookie(response).lower()


async def test_a_wrong_password_and_an_unknown_name_read_the_same(app: FastAPI) -> None:
    async with client(app, address="192.0.2.20") as http:
        wrong = await login(http, "mem", "not the password at all")
        unknown = await login(http, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert "not right" in wrong.text and not session_cookie(wrong) and not session_cookie(unknown)


async def test_forms_without_their_csrf_token_are_refused(app: FastAPI, sessions: dict[str, str],
                                                          store: EvidenceStore) -> None:
    async with client(app) as http:
        no_token = await login(http, "mem", csrf="")
        assert no_token.status_code == 403 and not session_cookie(no_token)
        other = await login(http, "mem", csrf="a-token-from-elsewhere")
        assert other.status_code == 403 and not session_cookie(other)
    token_id, token = create_token(store, "lead", label="csrf test")
    cookie = {"cookie": f"{COOKIE}={sessions['lead']}"}
    async with client(app) as http:
        for path, data in (("/logout", {}), ("/account/tokens", {"label": "x", "permission": "runs:read"}),
                           (f"/account/tokens/{token_id}/revoke", {})):
            for csrf in ({}, {"csrf": "wrong"}):
                refused = await http.post(path, data={**data, **csrf}, headers=cookie)
                assert refused.status_code == 403, path
        assert (await http.get("/runs", headers=cookie)).status_code == 200  # still signed in
        assert (await http.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})).status_code == 200
        page = await http.get("/account", headers=cookie)
        assert "x</td>" not in page.text  # no token was made


async def test_signing_out_ends_the_session_on_the_server(app: FastAPI) -> None:
    async with client(app) as http:
        value = session_cookie(await login(http, "lead")).split(";")[0].split("=", 1)[1]
        account = await http.get("/account")
        csrf = re.search(r'name="csrf" value="([^"]+)"', account.text)
        assert csrf is not None
        out = await http.post("/logout", data={"csrf": csrf.group(1)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
    async with client(app) as http:
        assert (await http.get("/runs", headers={"cookie": f"{COOKIE}={value}"})).status_code == 303


async def test_brute_force_on_an_account_is_stopped_even_with_the_right_password(
        app: FastAPI, store: EvidenceStore, clock: Clock) -> None:
    add_user(store, "victim", PASSWORD, "member", ("X26",))
    async with client(app, address="198.51.100.1") as http:
        for _ in range(MAX_FAILURES_PER_ACCOUNT):
            assert (await login(http, "victim", "guess-guess-guess")).status_code == 400
    async with client(app, address="198.51.100.2") as http:  # another address does not reset the account's count
        stopped = await login(http, "victim")
        assert stopped.status_code == 429 and "too many failed sign-ins" in stopped.text
        assert not session_cookie(stopped)
        clock.now += WINDOW_SECONDS + 1
        try:
            allowed = await login(http, "victim")
        finally:
            clock.now -= WINDOW_SECONDS + 1
        assert allowed.status_code == 303 and session_cookie(allowed)


async def test_brute_force_from_one_address_is_stopped_across_accounts(app: FastAPI, clock: Clock) -> None:
    async with client(app, address="203.0.113.9") as http:
        for n in range(MAX_FAILURES_PER_ADDRESS):
            assert (await login(http, f"sprayed-{n}", "guess-guess-guess")).status_code == 400
        assert (await login(http, "ass")).status_code == 429
    async with client(app, address="203.0.113.10") as http:
        assert (await login(http, "ass")).status_code == 303


async def test_tokens_are_hashed_at_rest_narrowed_by_permission_and_revocable(
        app: FastAPI, store: EvidenceStore, world_url: str) -> None:
    from conformance.service.auth import revoke_token

    token_id, token = create_token(store, "comm", ("runs:read",), "ci")
    with store.transaction("read tokens") as session:
        digests = set(session.scalars(select(TokenRow.token_sha256)))
    assert token not in digests
    database = world_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as raw:
        dump = "\n".join(raw.iterdump())
    assert token not in dump and token[4:] not in dump
    bearer = {"authorization": f"Bearer {token}"}
    async with client(app) as http:
        assert (await http.get("/api/v1/runs/run-a/junit", headers=bearer)).status_code == 200
        refused = await http.get("/api/v1/footprints/XFP01", headers=bearer)
        assert refused.status_code == 403 and "records:read" in refused.json()["detail"]
        assert (await http.get("/runs", headers=bearer)).status_code == 303  # a token opens no page
        assert revoke_token(store, token_id)
        assert (await http.get("/api/v1/runs", headers=bearer)).status_code == 401


async def test_a_token_made_in_the_account_page_is_shown_once_and_revoked_there(
        app: FastAPI, sessions: dict[str, str]) -> None:
    cookie = {"cookie": f"{COOKIE}={sessions['sup']}"}
    async with client(app) as http:
        account = await http.get("/account", headers=cookie)
        csrf = re.search(r'name="csrf" value="([^"]+)"', account.text)
        assert csrf is not None
        made = await http.post("/account/tokens", headers=cookie,
                               data={"csrf": csrf.group(1), "label": "pipeline", "permission": ["runs:read"]})
        assert made.status_code == 201
        shown = re.search(r'<code class="token">(cft_[^<]+)</code>', made.text)
        assert shown is not None
        token = shown.group(1)
        again = await http.get("/account", headers=cookie)
        assert token not in again.text and "pipeline" in again.text
        runs = await http.get("/api/v1/runs", headers={"authorization": f"Bearer {token}"})
        assert {r["id"] for r in runs.json()["runs"]} == {"run-b"}
        token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', again.text)
        assert token_id is not None
        other = await http.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf": csrf.group(1)},
                                headers={"cookie": f"{COOKIE}={sessions['panel']}"})
        assert other.status_code in (403, 404)  # panel's CSRF token is not sup's: refused either way
        revoked = await http.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf": csrf.group(1)},
                                  headers=cookie)
        assert revoked.status_code == 303
        assert (await http.get("/api/v1/runs", headers={"authorization": f"Bearer {token}"})).status_code == 401


async def test_someone_elses_token_cannot_be_revoked(app: FastAPI, store: EvidenceStore,
                                                     sessions: dict[str, str]) -> None:
    token_id, token = create_token(store, "nat", label="theirs")
    async with client(app) as http:
        cookie = {"cookie": f"{COOKIE}={sessions['panel']}"}
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await http.get("/account", headers=cookie)).text)
        assert csrf is not None
        response = await http.post(f"/account/tokens/{token_id}/revoke", data={"csrf": csrf.group(1)}, headers=cookie)
        assert response.status_code == 404
        assert (await http.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example"])
async def test_next_never_leaves_the_site(app: FastAPI, target: str) -> None:
    async with client(app) as http:
        form = await http.get("/login", params={"next": target})
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        response = await http.post("/login", data={"username": "nat", "password": PASSWORD, "next": target,
                                                   "csrf": csrf.group(1)})
        assert response.status_code == 303 and response.headers["location"] == "/"


@given(st.text(alphabet=st.sampled_from("/\\\t\n\r :.@%ae?#x"), max_size=12) | st.text(max_size=12))
def test_next_is_a_path_on_this_site_whatever_it_is(target: str) -> None:
    kept = local_path(target)
    assert kept == "/" or kept == target
    seen = "".join(c for c in kept if c not in "\t\n\r").replace("\\", "/")  # as a browser reads it
    parts = urlsplit(seen)
    assert seen.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc
