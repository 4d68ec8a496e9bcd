"""The write gate: what counts as a write, and the transports refusing one on a non-sandbox target."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conformance.auth.client import OAuthClient
from conformance.openapi.settings import OAuthSettings
from conformance.transports.http import HttpTransport
from conformance.transports.mllp import MllpClient
from conformance.writeguard import WriteRefused, hl7_processing_id, hl7_refused, hl7_writes, http_writes

ADT = "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rPID|1\r"
QBP = "MSH|^~\\&|A|B|C|D|20260101||QBP^Q22|1|P|2.5\r"


def test_what_counts_as_a_write() -> None:
    assert http_writes("POST", "http://x/fhir/Patient") and http_writes("delete", "http://x/a")
    assert not http_writes("GET", "http://x/a") and not http_writes("POST", "http://x/fhir/Patient/_search")
    assert hl7_writes(ADT) and hl7_writes("garbage") and not hl7_writes(QBP)


def test_http_transport_refuses_a_write_before_sending() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(200)

    async def go() -> None:
        http = HttpTransport(transport=httpx.MockTransport(handler), read_only=True)
        await http.request("GET", "http://127.0.0.1/a")
        with pytest.raises(WriteRefused, match="sandbox = true"):
            await http.request("PUT", "http://127.0.0.1/a")
        await http.aclose()

    asyncio.run(go())
    assert seen == ["GET"]


def test_mllp_client_refuses_a_non_query_message() -> None:
    async def go() -> None:
        client = MllpClient("127.0.0.1", 1, read_only=True)  # never connected: refused first
        with pytest.raises(WriteRefused, match="ADT"):
            await client.send(ADT)

    asyncio.run(go())


def test_token_requests_pass_a_read_only_transport_only_as_form_posts_to_the_declared_endpoint() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return httpx.Response(400)

    async def go() -> None:
        http = HttpTransport(transport=httpx.MockTransport(handler), read_only=True)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        with pytest.raises(WriteRefused):  # no endpoint declared yet: a token POST is a write like any other
            await http.request("POST", "http://127.0.0.1/oauth/token", headers=form, content=b"")
        OAuthClient(http, OAuthSettings(client_id="c"), "http://127.0.0.1/oauth/token")
        await http.request("POST", "http://127.0.0.1/oauth/token", headers=form, content=b"grant_type=x")
        for method, url, headers in (
            ("POST", "http://127.0.0.1/oauth/token", {"Content-Type": "application/json"}),
            ("PUT", "http://127.0.0.1/oauth/token", form),
            ("POST", "http://127.0.0.1/oauth/token/Patient", form),
            ("POST", "http://127.0.0.1:8080/oauth/token", form),
            ("POST", "http://127.0.0.1/fhir/Patient", form),
        ):
            with pytest.raises(WriteRefused):
                await http.request(method, url, headers=headers, content=b"{}")
        await http.aclose()

    asyncio.run(go())
    assert seen == ["POST http://127.0.0.1/oauth/token"]


def test_processing_id_and_test_messages() -> None:
    test_adt = ADT.replace("|1|P|", "|1|T|")
    assert hl7_processing_id(ADT) == "P" and hl7_processing_id(test_adt) == "T"
    assert hl7_processing_id("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|T^A|2.5\r") == "T"
    assert hl7_processing_id("garbage") == "" and hl7_processing_id("MSH|^~\\&|A") == ""
    assert hl7_refused(ADT, read_only=True, test_messages=True)
    assert not hl7_refused(test_adt, read_only=True, test_messages=True)
    assert hl7_refused(test_adt, read_only=True, test_messages=False)
    assert not hl7_refused(QBP, read_only=True, test_messages=False)
    assert not hl7_refused(ADT, read_only=False, test_messages=False)


def test_mllp_client_with_test_messages_sends_only_msh11_t() -> None:
    arrived: list[str] = []

    async def handler(data: bytes) -> bytes:
        arrived.append(hl7_processing_id(data))
        return b"MSH|^~\\&|C|D|A|B|20260101||ACK^A01|9|T|2.5\rMSA|AA|1\r"

    async def go() -> None:
        client = await MllpClient.linked(handler, read_only=True, test_messages=True)
        try:
            await client.send(ADT.replace("|1|P|", "|1|T|"))
            with pytest.raises(WriteRefused, match="MSH-11 = T"):
                await client.send(ADT)
        finally:
            await client.aclose()

    asyncio.run(go())
    assert arrived == ["T"]


def test_a_read_only_transport_does_not_follow_a_redirect_of_an_exempt_post() -> None:
    """A 307 repeats the POST and its body at another URL: on a non-sandbox that could be a create."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/_search"):
            return httpx.Response(307, headers={"Location": "http://127.0.0.1/fhir/Patient"})
        return httpx.Response(201)

    async def go(read_only: bool) -> int:
        http = HttpTransport(transport=httpx.MockTransport(handler), read_only=read_only)
        try:
            response = await http.request("POST", "http://127.0.0.1/fhir/Patient/_search", content=b"name=x")
        finally:
            await http.aclose()
        return response.status_code

    assert asyncio.run(go(True)) == 307 and seen == ["POST /fhir/Patient/_search"]
    seen.clear()
    assert asyncio.run(go(False)) == 201 and seen == ["POST /fhir/Patient/_search", "POST /fhir/Patient"]


def test_a_method_override_header_cannot_tunnel_a_write_through_a_read() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(200)

    async def go() -> None:
        http = HttpTransport(transport=httpx.MockTransport(handler), read_only=True)
        try:
            await http.request("GET", "http://127.0.0.1/a", headers={"X-HTTP-Method-Override": "GET"})
            for headers in ({"X-HTTP-Method-Override": "DELETE"}, {"x-http-method": "put"},
                            {"X-Method-Override": "PATCH"}):
                with pytest.raises(WriteRefused, match="override"):
                    await http.request("GET", "http://127.0.0.1/a", headers=headers)
            with pytest.raises(WriteRefused):  # an override to GET does not make a POST a read
                await http.request("POST", "http://127.0.0.1/a", headers={"X-HTTP-Method-Override": "GET"})
        finally:
            await http.aclose()

    asyncio.run(go())
    assert seen == ["GET"]
