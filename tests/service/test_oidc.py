"""Sign-in through an OpenID provider (a tiny one the tests start on loopback): a registered identity
signs in as its account with that account's roles; an unknown one is refused and nothing is made; a
token the provider did not sign, or for another client or flow, is refused; off unless configured."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import func, select

from conformance.cli import main
from conformance.evidence.store import EvidenceStore
from conformance.service.app import create_app
from conformance.service.oidc import OidcSettings, register_identity
from conformance.service.tables import UserRow
from tests.service.conftest import Clock
from tests.service.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as started:
        yield started


@pytest.fixture(scope="module")
def oidc_app(store: EvidenceStore, clock: Clock, provider: Provider) -> FastAPI:
    register_identity(store, "comm", provider.issuer, subject="sub-comm-1")
    register_identity(store, "lead", provider.issuer, email="lead@example.test")
    return create_app(store, clock=clock, oidc_settings=OidcSettings(provider.issuer, CLIENT_ID, CLIENT_SECRET))


@pytest.fixture(autouse=True)
def honest(provider: Provider) -> Iterator[None]:
    yield
    provider.fault = ""


def service(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def through_provider(app: FastAPI, provider: Provider, person: dict[str, object],
                           http: httpx.AsyncClient) -> httpx.Response:
    """Start at the service, let the provider sign ``person`` in, and return the service's callback answer."""
    provider.person = person
    start = await http.get("/login/oidc", params={"next": "/account"})
    assert start.status_code == 302 and start.headers["location"].startswith(f"{provider.issuer}/authorize?")
    async with httpx.AsyncClient() as real:  # the browser's trip to the provider (127.0.0.1)
        back = await real.get(start.headers["location"])
    assert back.status_code == 302 and back.headers["location"].startswith("http://testserver/login/oidc/callback?")
    return await http.get(back.headers["location"])


def users(store: EvidenceStore) -> int:
    with store.transaction("count") as session:
        return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)


async def test_a_registered_subject_signs_in_as_its_account(oidc_app: FastAPI, provider: Provider) -> None:
    async with service(oidc_app) as http:
        assert "/login/oidc?next=" in (await http.get("/login")).text
        done = await through_provider(oidc_app, provider, {"sub": "sub-comm-1"}, http)
        assert done.status_code == 303 and done.headers["location"] == "/account"
        account = (await http.get("/account")).text
        assert "comm" in account and "commissioner" in account
        assert (await http.get("/footprints/XFP01")).status_code == 200
        assert (await http.get("/organisations/XOUT1")).status_code == 404  # the account's scope, no more


async def test_a_verified_email_maps_but_an_unverified_one_does_not(oidc_app: FastAPI, provider: Provider) -> None:
    async with service(oidc_app) as http:
        refused = await through_provider(oidc_app, provider,
                                         {"sub": "x-9", "email": "lead@example.test", "email_verified": False}, http)
        assert refused.status_code == 403 and "No account here is registered" in refused.text
        done = await through_provider(oidc_app, provider,
                                      {"sub": "x-9", "email": "Lead@Example.test", "email_verified": True}, http)
        assert done.status_code == 303 and "lead" in (await http.get("/account")).text


async def test_an_unknown_identity_is_refused_and_nothing_is_made(oidc_app: FastAPI, provider: Provider,
                                                                  store: EvidenceStore) -> None:
    before = users(store)
    async with service(oidc_app) as http:
        refused = await through_provider(oidc_app, provider, {"sub": "stranger", "email": "s@example.test",
                                                              "email_verified": True}, http)
        assert refused.status_code == 403 and "never made from a sign-in" in refused.text
        assert "conformance_session" not in refused.headers.get("set-cookie", "")
        assert (await http.get("/account")).status_code in (302, 303)  # still signed out: sent to /login
    assert users(store) == before


@pytest.mark.parametrize("fault", ["other-key", "wrong-nonce", "wrong-audience"])
async def test_an_id_token_that_does_not_hold_is_refused(oidc_app: FastAPI, provider: Provider, fault: str) -> None:
    provider.fault = fault
    async with service(oidc_app) as http:
        refused = await through_provider(oidc_app, provider, {"sub": "sub-comm-1"}, http)
        assert refused.status_code == 502 and "ID token does not hold" in refused.text
        assert (await http.get("/account")).status_code in (302, 303)


async def test_a_callback_not_started_in_this_browser_is_refused(oidc_app: FastAPI, provider: Provider) -> None:
    async with service(oidc_app) as http:
        start = await http.get("/login/oidc")
    async with httpx.AsyncClient() as real:
        back = await real.get(start.headers["location"])
    async with service(oidc_app) as other:  # another browser: no state cookie (a planted sign-in)
        refused = await other.get(back.headers["location"])
    assert refused.status_code == 403 and "not started here" in refused.text


async def test_sign_ins_under_way_are_bounded(oidc_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.service import oidc

    monkeypatch.setattr(oidc, "MAX_PENDING", len(oidc_app.state.oidc_pending) + 2)
    async with service(oidc_app) as http:
        started = [(await http.get("/login/oidc")).status_code for _ in range(3)]
    assert started == [302, 302, 429]


async def test_off_unless_configured(app: FastAPI) -> None:
    async with service(app) as http:
        assert "/login/oidc" not in (await http.get("/login")).text
        assert (await http.get("/login/oidc")).status_code == 404


def test_the_cli_registers_an_identity_only_for_an_existing_account(world_url: str) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["users", "oidc", "mem", "--issuer", "https://idp.example.test", "--subject", "s-1",
                              "--store", world_url])
    assert ok.exit_code == 0 and "may sign in through https://idp.example.test as s-1" in ok.output
    missing = runner.invoke(main, ["users", "oidc", "nobody", "--issuer", "https://idp.example.test",
                                   "--subject", "s-2", "--store", world_url])
    both = runner.invoke(main, ["users", "oidc", "mem", "--issuer", "https://idp.example.test", "--subject", "s",
                                "--email", "m@example.test", "--store", world_url])
    assert (missing.exit_code, both.exit_code) == (2, 2) and "no user 'nobody'" in missing.output
