"""A third-party HL7 v2 MLLP receiver: hl7apy's ``MLLPServer`` (PyPI ``hl7apy``, MIT), with handlers
written the way hl7apy's documentation shows (docs/tutorial/mllp.rst): one ``AbstractHandler`` per
message type whose ``reply()`` builds the answer with hl7apy and returns ``to_mllp()``, and an ``ERR``
handler for unsupported types and unparsable messages.

MLLP framing, connection handling and message building come from hl7apy; this file only starts it.
Usage: python tests/realserver/hl7apy_receiver.py [--port N] (types: ADT^A01, ORU^R01). Binds
127.0.0.1; prints ``MLLP receiver (hl7apy X) ready at 127.0.0.1:N pid=P``; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from importlib.metadata import version
from typing import Any

from hl7apy.core import Message
from hl7apy.mllp import AbstractErrorHandler, AbstractHandler, MLLPServer, UnsupportedMessageType
from hl7apy.parser import parse_message


def ack(incoming: str, code: str, error: str = "") -> str:
    msg = parse_message(incoming, find_groups=False)
    res = Message("ACK", version=msg.msh.msh_12.value)
    res.msh.msh_3 = msg.msh.msh_5.value
    res.msh.msh_4 = msg.msh.msh_6.value
    res.msh.msh_5 = msg.msh.msh_3.value
    res.msh.msh_6 = msg.msh.msh_4.value
    res.msh.msh_11 = msg.msh.msh_11.value
    res.msa.msa_1 = code
    res.msa.msa_2 = msg.msh.msh_10.value
    if error:
        res.add_segment("ERR")
        res.err.err_3 = error
        res.err.err_4 = "E"
    return str(res.to_mllp())


class AckHandler(AbstractHandler):  # type: ignore[misc]
    def reply(self) -> str:
        return ack(self.incoming_message, "AA")


class ErrorHandler(AbstractErrorHandler):  # type: ignore[misc]
    def reply(self) -> str:
        if isinstance(self.exc, UnsupportedMessageType):
            return ack(self.incoming_message, "AR", "200^Unsupported message type^HL70357")
        return ack(self.incoming_message, "AE", "207^Application internal error^HL70357")


def main(port: int) -> None:
    handlers: dict[str, Any] = {"ADT^A01^ADT_A01": (AckHandler,), "ADT^A01": (AckHandler,),
                                "ORU^R01^ORU_R01": (AckHandler,), "ORU^R01": (AckHandler,), "ERR": (ErrorHandler,)}
    server = MLLPServer("127.0.0.1", port, handlers)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"MLLP receiver (hl7apy {version('hl7apy')}) ready at 127.0.0.1:{server.server_address[1]} "
          f"pid={os.getpid()}", flush=True)
    server.serve_forever()
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    main(parser.parse_args().port)
