"""Hostile HTTP servers in their own process (raw asyncio, so they can break HTTP as no framework would).

``python -m tests.hostile.http_peer MODE`` listens on a free loopback port, printed as a base URL on
the first line, and answers every request by MODE: ``reset`` (headers, then a reset), ``chunked`` (a
1 GB chunked body), ``gzip`` (a 3 MB gzip body that inflates to 1 GB), ``garbage`` (200 and binary
junk, to everything), ``dribble`` (response headers one byte every 0.5 s, never finished).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import zlib

MB = 1024 * 1024


def gzip_bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MB)
    return b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()


def head(extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n" + extra + b"\r\n"


async def answer(mode: str, bomb: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            for line in request.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            if mode == "dribble":
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.5)
            if mode == "reset":
                writer.write(head(b"Content-Length: 100\r\n"))
                await writer.drain()
                writer.transport.abort()
                return
            if mode == "chunked":
                writer.write(head(b"Transfer-Encoding: chunked\r\n"))
                chunk = b"%x\r\n" % MB + b"a" * MB + b"\r\n"
                for _ in range(1024):
                    writer.write(chunk)
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            elif mode == "gzip":
                writer.write(head(b"Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(bomb)) + bomb)
            else:
                body = b"\x00\xffgarbage{{{<not json"
                writer.write(head(b"Content-Length: %d\r\n" % len(body)) + body)
            await writer.drain()
    writer.close()


async def serve(mode: str) -> None:
    bomb = gzip_bomb() if mode == "gzip" else b""
    server = await asyncio.start_server(lambda r, w: answer(mode, bomb, r, w), "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/fhir", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
