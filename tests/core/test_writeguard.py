"""The write gate: what counts as a write, and the transports refusing one on a non-sandbox target."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conformance.transports.http import HttpTransport
from conformance.transports.mllp import MllpClient
from conformance.writeguard import WriteRefused, hl7_writes, http_writes

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
