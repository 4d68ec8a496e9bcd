"""A third-party HL7 v2 MLLP receiver: python-hl7's asyncio server (PyPI ``hl7``, BSD), run with the
handler python-hl7's documentation gives: every message is answered with ``message.create_ack()``.

MLLP framing, parsing and the ACK come from python-hl7; this file only starts the server.
Usage: python tests/realserver/python_hl7_receiver.py [--port N]. Binds 127.0.0.1; prints
``MLLP receiver (python-hl7 X) ready at 127.0.0.1:N pid=P`` once listening; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

import hl7
import hl7.mllp


async def process_hl7_messages(reader: hl7.mllp.HL7StreamReader, writer: hl7.mllp.HL7StreamWriter) -> None:
    # As in python-hl7's documentation (docs/mllp.rst, "Server").
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            writer.writemessage(message.create_ack())
            await writer.drain()
    except asyncio.IncompleteReadError:
        if not writer.is_closing():
            writer.close()
            await writer.wait_closed()


async def main(port: int) -> None:
    server = await hl7.mllp.start_hl7_server(process_hl7_messages, host="127.0.0.1", port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    bound = server.sockets[0].getsockname()[1]
    print(f"MLLP receiver (python-hl7 {hl7.__version__}) ready at 127.0.0.1:{bound} pid={os.getpid()}", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
