"""Hostile MLLP peers in their own process, so a test measures the harness's memory, not theirs.

``python -m tests.hostile.mllp_peer MODE [HOST:PORT]``. Receivers (the harness sends, they answer
badly) listen on a free loopback port printed as ``host:port`` on the first line:

- ``noend``: a frame started, never ended; ``giant``: a 100 MB frame; ``flood``: acknowledgements
  back to back, without end; ``drip``: one byte of an ACK every 0.2 s; ``junk``: endless non-MLLP bytes.

A sender (``send-flood HOST:PORT``) connects to the harness's listener (retrying until it listens)
and sends well-formed 200 KB messages back to back until the harness hangs up, then reconnects.
``send-many HOST:PORT`` opens 300 connections at once and starts a 900 KB frame on each, never ending it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

ACK = b"\x0bMSH|^~\\&|R|X|S|Y|20260101||ACK^A01|1|P|2.5.1\rMSA|AA|1\x1c\x0d"
MB = 1024 * 1024


def adt(n: int) -> bytes:
    """A well-formed ADT^A01 of about 200 KB (a long NTE), control id ``n``."""
    return (b"\x0bMSH|^~\\&|SND|FAC|CONFORMANCE|XCF01|20260101000000||ADT^A01^ADT_A01|F%d|P|2.5.1\r"
            b"EVN|A01|20260101000000\rPID|1||123^^^H^MR||DOE^JANE||19700101|F\rPV1|1|I\r"
            % n + b"NTE|1||" + b"x" * 200_000 + b"\x1c\x0d")


async def answer(mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        await reader.read(65536)
        if mode == "noend":
            writer.write(ACK[:-2])
            await writer.drain()
            await asyncio.sleep(3600)
        elif mode == "giant":
            writer.write(b"\x0bMSH|^~\\&|")
            for _ in range(100):
                writer.write(b"A" * MB)
                await writer.drain()
            writer.write(b"\x1c\x0d")
            await writer.drain()
            await asyncio.sleep(3600)
        elif mode == "flood":
            while True:
                writer.write(ACK * 1000)
                await writer.drain()
        elif mode == "drip":
            for byte in ACK * 100:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)
        elif mode == "junk":
            while True:
                writer.write(b"\xff" * 65536)
                await writer.drain()
    writer.close()


async def serve(mode: str) -> None:
    server = await asyncio.start_server(lambda r, w: answer(mode, r, w), "127.0.0.1", 0)
    print(f"127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


async def send_flood(host: str, port: int) -> None:
    n = 0
    while True:  # until killed by the test
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        with contextlib.suppress(Exception):
            while True:
                n += 1
                writer.write(adt(n))
                await writer.drain()
        writer.close()


async def send_many(host: str, port: int) -> None:
    async def one() -> None:
        while True:
            try:
                _, writer = await asyncio.open_connection(host, port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        with contextlib.suppress(Exception):
            writer.write(b"\x0bMSH|^~\\&|" + b"A" * 900_000)
            await writer.drain()
        await asyncio.sleep(3600)

    await asyncio.gather(*(one() for _ in range(300)))


if __name__ == "__main__":
    if sys.argv[1] in ("send-flood", "send-many"):
        host, _, port = sys.argv[2].rpartition(":")
        asyncio.run((send_flood if sys.argv[1] == "send-flood" else send_many)(host, int(port)))
    else:
        asyncio.run(serve(sys.argv[1]))
