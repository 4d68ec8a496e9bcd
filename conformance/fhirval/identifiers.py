"""Identifier: its ``system`` names a namespace, and an RFC 3986 identifier's ``value`` is an absolute URI.

R4 datatypes.html#Identifier: the system is "the namespace for the identifier value", a URI; HL7's validator
(InstanceValidator.checkIdentifier, TYPE_SPECIFIC_CHECKS_DT_IDENTIFIER_SYSTEM) accepts only ``http:``,
``https:``, ``urn:`` and ``ldap:`` systems (isIdentifierSystemReferenceValid), since a relative or local
system cannot name a namespace anyone else can resolve. With the system ``urn:ietf:rfc:3986`` the value is
itself a URI and must be absolute (TYPE_SPECIFIC_CHECKS_DT_IDENTIFIER_IETF_SYSTEM_VALUE, by isAbsolute: a
token scheme before the first colon; ``file:`` needs a path). Under ``https://tools.ietf.org/html/rfc4122`` HL7's
validator warns that a UUID (or ``urn:uuid:``) value would rather use ``urn:ietf:rfc:3986`` (not repeated here)
and errs on a value that is not a lowercase UUID at all (TYPE_SPECIFIC_CHECKS_DT_IDENTIFIER_IETF_SYSTEM_WRONG_1).
"""

from __future__ import annotations

import re
from typing import Any

from conformance.fhirval.issues import Sink

_SYSTEM_SCHEMES = ("http:", "https:", "urn:", "ldap:")
_RFC3986 = "urn:ietf:rfc:3986"
_RFC4122 = "https://tools.ietf.org/html/rfc4122"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # UUIDUtilities.UUID_REGEX
# Utilities.isToken: a letter then letters, digits, '_' or '-' (HL7's token, not RFC 3986's scheme grammar)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _absolute(uri: str) -> bool:
    """HL7's InstanceValidator.isAbsolute: a token before the first colon; a ``file:`` URI needs a path."""
    scheme, colon, tail = uri.partition(":")
    if not colon or not _TOKEN.fullmatch(scheme):
        return False
    return scheme != "file" or tail.startswith("/") or ":" in tail


def check_identifier(item: Any, loc: str, sink: Sink) -> None:
    if not isinstance(item, dict):
        return
    system = item.get("system")
    if not isinstance(system, str) or not system:
        return  # an empty system is the primitive check's
    if not system.startswith(_SYSTEM_SCHEMES):
        sink.error("identifier", loc, f"the identifier's system '{system}' must be an absolute reference "
                                      "(http:, https:, urn: or ldap:), not a local one")
    value = item.get("value")
    if system == _RFC3986 and isinstance(value, str) and value and not _absolute(value):
        sink.error("identifier", loc, f"with the system {_RFC3986} the identifier's value must be a full "
                                      f"URI (starting with a scheme), not '{value}'")
    if system == _RFC4122 and isinstance(value, str) and not (value.startswith("urn:uuid:") or _UUID.fullmatch(value)):
        sink.error("identifier", loc, f"the system {_RFC4122} is not correct for the identifier '{value}', "
                                      "which is not a UUID")
