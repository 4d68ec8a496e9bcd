"""Compression bombs from a real loopback server: bounded memory, and a sentence instead of a crash."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest

from conformance.evidence.capture import collecting
from conformance.reporting.html_evidence import render_evidence
from conformance.targets import HttpSettings
from conformance.transports.http import HttpTransport, TransportError
from tests.hostile.peer import DECODED, bodies, make_app
from tests.servers import serve_app

PEAK_BOUND = 100 * 1024 * 1024  # generous: the 5 MB limit plus decoder buffers, far below the 200 MB bomb


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    with serve_app(make_app(bodies())) as url:
        yield url


async def _peak_of(url: str) -> tuple[int, str, list[str]]:
    """Fetch ``url``; the traced peak, the error sentence, and the evidence rendered as HTML."""
    transport = HttpTransport(HttpSettings())
    error = ""
    with collecting() as evidence:
        tracemalloc.start()
        try:
            await transport.request("GET", url)
        except TransportError as exc:
            error = str(exc)
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            await transport.aclose()
    return peak, error, [render_evidence(e) for e in evidence]


@pytest.mark.parametrize("path", ["/gzip", "/gzip-gzip", "/deflate", "/br"])
async def test_bomb_is_cut_off_with_bounded_memory(peer: str, path: str) -> None:
    peak, error, html = await _peak_of(peer + path)
    assert peak < PEAK_BOUND, f"{path}: peak {peak:,} bytes while decoding a {DECODED:,}-byte bomb"
    assert "larger than the 5,000,000-byte limit" in error
    assert html and "no response" in html[0]


async def test_small_gzip_still_decodes(peer: str) -> None:
    transport = HttpTransport(HttpSettings())
    try:
        response = await transport.request("GET", peer + "/small-gzip")
    finally:
        await transport.aclose()
    assert response.json() == {"resourceType": "Patient"}


async def test_corrupt_gzip_is_a_sentence(peer: str) -> None:
    _, error, html = await _peak_of(peer + "/corrupt-gzip")
    assert "cannot be decoded as its Content-Encoding says" in error
    assert "Traceback" not in html[0]


async def test_huge_plain_body_is_cut_off(peer: str) -> None:
    peak, error, _ = await _peak_of(peer + "/huge")
    assert "larger than" in error
    assert peak < PEAK_BOUND
