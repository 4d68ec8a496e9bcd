"""A hostile HTTP peer: a raw ASGI app serving compression bombs, deep JSON and huge integers.

The bodies are built once, streaming through the compressors, so building a 200 MB bomb never holds
200 MB; the tests measure peak memory only around the request, with ``tracemalloc``.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import Any

import brotlicffi

DECODED = 200 * 1024 * 1024  # what a bomb expands to: forty times the default 5 MB body limit
_ZEROS = bytes(1024 * 1024)


def _stream(compressor: Callable[[bytes], bytes], flush: Callable[[], bytes]) -> bytes:
    out = bytearray()
    for _ in range(DECODED // len(_ZEROS)):
        out += compressor(_ZEROS)
    out += flush()
    return bytes(out)


def gzip_bomb() -> bytes:
    obj = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return _stream(obj.compress, obj.flush)


def deflate_bomb() -> bytes:
    obj = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    return _stream(obj.compress, obj.flush)


def br_bomb() -> bytes:
    obj = brotlicffi.Compressor(quality=5)
    return _stream(obj.process, obj.finish)


def bodies() -> dict[str, tuple[bytes, str, str]]:
    """path -> (body, Content-Encoding, Content-Type)."""
    inner = gzip_bomb()
    huge = b'{"resourceType":"Patient","id":"p","count":' + b"9" * 5000 + b"}"
    return {
        "/gzip": (inner, "gzip", "application/json"),
        "/gzip-gzip": (gzip.compress(inner, 9), "gzip, gzip", "application/json"),
        "/deflate": (deflate_bomb(), "deflate", "application/json"),
        "/br": (br_bomb(), "br", "application/json"),
        "/deep": (b"[" * 1200 + b"]" * 1200, "", "application/fhir+json"),
        "/deep-obj": (b'{"a":' * 300 + b"1" + b"}" * 300, "", "application/fhir+json"),
        "/bigint": (huge, "", "application/fhir+json"),
        "/huge": (b'{"x":"' + b"a" * (8 * 1024 * 1024) + b'"}', "", "application/json"),
        "/small-gzip": (gzip.compress(b'{"resourceType":"Patient"}'), "gzip", "application/json"),
        "/corrupt-gzip": (b"\x1f\x8b\x08\x00garbage-not-gzip" * 10, "gzip", "application/json"),
    }


def make_app(served: dict[str, tuple[bytes, str, str]]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body, encoding, ctype = served.get(scope["path"], (b"not found", "", "text/plain"))
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        if encoding:
            headers.append((b"content-encoding", encoding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app
