"""A Bundle's JOSE signature carries its JWS base64-encoded, as HL7's BundleValidator.validateSignature reads it.

``Bundle.signature.data`` is base64Binary. For ``sigFormat`` ``application/jose`` HL7 first asks whether the data
is base64 at all (org.hl7.fhir.utilities.Base64.isBase64: every character in the base64 alphabet, URL-safe
``-``/``_`` and ``=`` included, or white space). When it is not: three ``.``-separated parts (Java's
``split("\\.")``, trailing empty parts dropped) are a compact JWS put there unencoded
(BUNDLE_SIGNATURE_CHECKED_DATA_B64), anything else cannot be read (BUNDLE_SIGNATURE_NOT_CHECKED_DATA_B64): both
errors, with no key or certificate needed. What follows in HL7 (the JWS header's time against ``when``, the
payload against the Bundle's canonical form, the signature against its certificate) is not done here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=\-_\t\n\r ]*")


def check(w: Walker, bundle: Json, loc: str) -> None:
    signature: Any = bundle.get("signature")
    if not isinstance(signature, dict) or signature.get("sigFormat") != "application/jose":
        return
    data = signature.get("data")
    if not isinstance(data, str) or _BASE64_CHARS.fullmatch(data):
        return
    parts = data.split(".")
    while parts and parts[-1] == "":
        parts.pop()
    where = f"{loc}.signature"
    if len(parts) == 3:
        w.sink.error("signature", where, "the signature's data is a JWS that is not base64 encoded (Signature.data "
                                         "is base64Binary: the compact JWS must be encoded)")
    else:
        w.sink.error("signature", where, "the signature's data is not base64 and not a JWS: it cannot be checked")
