"""The CPU cuts on the request path decide exactly what the slower paths decided (issue 23)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from conformance import safejson
from conformance.fhir.capability import _validate_r4, validate_r4
from conformance.transports.client import Client, SameOrigin, origin

BASE = "http://127.0.0.1:8080/fhir"


@pytest.mark.parametrize("url", [
    f"{BASE}/Patient/1", "http://127.0.0.1:8080/", "http://127.0.0.1:8080", "http://127.0.0.1:8081/fhir",
    "https://127.0.0.1:8080/fhir", "http://127.0.0.1:80/fhir", "http://evil.test/fhir",
    "http://127.0.0.1:8080@evil.test/fhir", "http://127.0.0.1:8080\\@evil.test/", "HTTP://127.0.0.1:8080/x",
    "//127.0.0.1:8080/fhir", "Patient/1", "http://127.0.0.1:8080?x=/", "http://127.0.0.1:8080#/x",
])
def test_same_origin_decides_as_parsing_every_url(url: str) -> None:
    for base in (BASE, "http://127.0.0.1/fhir", "http://user@127.0.0.1:8080/fhir", "https://h.test"):
        same = SameOrigin(base)
        try:
            expected = origin(url) == origin(base)
        except httpx.InvalidURL:
            with pytest.raises(httpx.InvalidURL):
                same(url)
            continue
        assert same(url) is expected, (base, url)


def test_cookies_set_by_a_server_are_still_sent_back() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie", ""))
        headers = {"set-cookie": "session=abc; Path=/"} if len(seen) == 1 else {}
        return httpx.Response(200, headers=headers)

    async def go() -> None:
        async with Client(transport=httpx.MockTransport(answer)) as client:
            for _ in range(3):
                await client.get("http://127.0.0.1:8080/fhir/metadata")

    asyncio.run(go())
    assert seen == ["", "session=abc", "session=abc"]


@pytest.mark.parametrize("nesting", [1, 255, 256, 257, 300])
def test_depth_limit_with_and_without_the_bracket_bound(nesting: int) -> None:
    text = "[" * nesting + "]" * nesting
    for padded in (text, json.dumps({"pad": "[" * 400, "v": json.loads(text)})):
        found = safejson.depth(json.loads(padded))
        if found > safejson.MAX_DEPTH:
            with pytest.raises(safejson.JsonLimitError):
                safejson.loads(padded.encode())
        else:
            assert safejson.loads(padded.encode()) == json.loads(padded)


def test_validate_r4_remembered_by_exact_content() -> None:
    good = {"resourceType": "CapabilityStatement", "status": "active", "date": "2024-01-01", "kind": "instance",
            "fhirVersion": "4.0.1", "format": ["json"]}
    bad = {**good, "status": 1}
    first = validate_r4(good)
    first.append("changed by a caller")
    assert validate_r4(good) == []
    assert validate_r4(bad) and validate_r4(bad) == validate_r4(json.loads(json.dumps(bad)))
    for value in (good, bad, {**good, "date": 2024}, {**good, "status": True}, {"resourceType": "x"}):
        assert validate_r4(value) == _validate_r4(value)  # what the model says of each, remembered or not
