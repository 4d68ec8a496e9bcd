"""What counts as a write, and the one gate every writing check and transport asks.

Nothing that changes data may reach a target not marked ``sandbox = true``. Suites ask
:func:`require_sandbox` before they write (a skip with a sentence); the HTTP and MLLP transports
ask :func:`refuse_write` as a second line of defence, so a suite bug raises a harness error
instead of writing to production.

Two narrow exemptions, each named by the target itself: an OAuth2 token request (a form POST to the
one token endpoint the target declares or its SMART configuration names: it asks for a credential
and changes no record), and HL7 v2 test messages (MSH-11 = T) to a target whose ``[hl7v2]`` says
``allow_test_messages = true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from conformance.checks import ExchangeBroken, skip

if TYPE_CHECKING:
    from conformance.targets import Target

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# HL7 v2 message types that only ask: queries and their responses, and the ACK itself.
HL7_READ_TYPES = frozenset({"QRY", "QBP", "VXQ", "ACK", "RSP", "RTB", "RDY", "QCN"})
ADVICE = "target is not marked sandbox = true; set it in the target file to allow"
FORM = "application/x-www-form-urlencoded"
METHOD_OVERRIDES = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})


class WriteRefused(ExchangeBroken):
    """The harness was about to write to a target not marked as a sandbox: a harness error."""


def is_sandbox(target: Target) -> bool:
    return target.sandbox is True


def http_writes(method: str, url: str) -> bool:
    """Whether an HTTP request may change data; a FHIR ``POST .../_search`` is a read."""
    verb = method.upper()
    if verb in READ_METHODS:
        return False
    path = url.split("?", 1)[0].rstrip("/")
    return not (verb == "POST" and path.endswith("/_search"))


def effective_method(method: str, headers: Mapping[str, str] | None) -> str:
    """The method a server may act on: some honour an override header on a GET or POST (a DELETE
    tunnelled through a read would otherwise pass the gate)."""
    for key, value in (headers or {}).items():
        if key.lower() in METHOD_OVERRIDES and value.strip():
            return value.strip().upper()
    return method.upper()


def token_request(method: str, url: str, content_type: str, token_endpoints: frozenset[str]) -> bool:
    """Whether a request is an OAuth2 token request: a form POST to exactly a declared token endpoint."""
    return (method.upper() == "POST" and content_type.split(";", 1)[0].strip().lower() == FORM
            and endpoint_key(url) in token_endpoints)


def endpoint_key(url: str) -> str:
    """A URL without query or fragment and trailing slash, the scheme and host lower-cased."""
    bare = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    scheme, sep, rest = bare.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


def _msh_component(message: str | bytes, number: int) -> str:
    """The first component of MSH-``number`` ('' when there is no MSH segment or no such field)."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    msh = text.lstrip("\x0b").split("\r", 1)[0].split("\n", 1)[0]
    if not msh.startswith("MSH") or len(msh) < 4:
        return ""
    fields = msh.split(msh[3])  # fields[1] is MSH-2, so MSH-n is fields[n - 1]
    if len(fields) < number:
        return ""
    component = msh[4] if len(msh) > 4 else "^"
    return fields[number - 1].split(component, 1)[0].strip().upper()


def hl7_type(message: str | bytes) -> str:
    """MSH-9.1 of an HL7 v2 message ('' when there is no MSH segment to read)."""
    return _msh_component(message, 9)


def hl7_processing_id(message: str | bytes) -> str:
    """MSH-11.1, the processing id: P production, T training/test, D debugging ('' when absent)."""
    return _msh_component(message, 11)


def hl7_test_message(message: str | bytes) -> bool:
    """A message marked for test processing (MSH-11 = T), which a receiver must not apply as real."""
    return hl7_processing_id(message) == "T"


def hl7_writes(message: str | bytes) -> bool:
    """Any message that is not a pure query (ADT, ORM, ORU, ... or unreadable) counts as a write."""
    return hl7_type(message) not in HL7_READ_TYPES


def require_sandbox(target: Target, what: str) -> None:
    """Skip the calling check unless ``target`` is a sandbox; ``what`` names the write it needs."""
    if not is_sandbox(target):
        skip(f"{ADVICE} {what}")


def hl7_refused(message: str | bytes, read_only: bool, test_messages: bool) -> bool:
    """Whether the MLLP transport must refuse ``message``: a write to a non-sandbox, unless it is a
    test message (MSH-11 = T) and the target allows those."""
    return read_only and hl7_writes(message) and not (test_messages and hl7_test_message(message))


def refuse_write(read_only: bool, description: str) -> None:
    if read_only:
        raise WriteRefused(f"harness refused to send {description}: {ADVICE} writes "
                           "(a suite tried to write to a target that is not a sandbox)")
