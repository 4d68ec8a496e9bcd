"""What counts as a write, and the one gate every writing check and transport asks.

Nothing that changes data may reach a target not marked ``sandbox = true``. Suites ask
:func:`require_sandbox` before they write (a skip with a sentence); the HTTP and MLLP transports
ask :func:`refuse_write` as a second line of defence, so a suite bug raises a harness error
instead of writing to production.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import ExchangeBroken, skip

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# HL7 v2 message types that only ask: queries and their responses, and the ACK itself.
HL7_READ_TYPES = frozenset({"QRY", "QBP", "VXQ", "ACK", "RSP", "RTB", "RDY", "QCN"})
ADVICE = "target is not marked sandbox = true; set it in the target file to allow"


class WriteRefused(ExchangeBroken):
    """The harness was about to write to a target not marked as a sandbox: a harness error."""


def is_sandbox(target: Any) -> bool:
    return getattr(target, "sandbox", False) is True


def http_writes(method: str, url: str) -> bool:
    """Whether an HTTP request may change data; a FHIR ``POST .../_search`` is a read."""
    verb = method.upper()
    if verb in READ_METHODS:
        return False
    path = url.split("?", 1)[0].rstrip("/")
    return not (verb == "POST" and path.endswith("/_search"))


def hl7_type(message: str | bytes) -> str:
    """MSH-9.1 of an HL7 v2 message ('' when there is no MSH segment to read)."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    msh = text.lstrip("\x0b").split("\r", 1)[0]
    if not msh.startswith("MSH") or len(msh) < 4:
        return ""
    fields = msh.split(msh[3])
    if len(fields) <= 8:
        return ""
    component = msh[4] if len(msh) > 4 else "^"
    return fields[8].split(component, 1)[0].upper()


def hl7_writes(message: str | bytes) -> bool:
    """Any message that is not a pure query (ADT, ORM, ORU, ... or unreadable) counts as a write."""
    return hl7_type(message) not in HL7_READ_TYPES


def require_sandbox(target: Any, what: str) -> None:
    """Skip the calling check unless ``target`` is a sandbox; ``what`` names the write it needs."""
    if not is_sandbox(target):
        skip(f"{ADVICE} {what}")


def refuse_write(read_only: bool, description: str) -> None:
    if read_only:
        raise WriteRefused(f"harness refused to send {description}: {ADVICE} writes "
                           "(a suite tried to write to a target that is not a sandbox)")
