"""Attachment: its stated ``size`` and ``hash`` against its inline ``data`` (R4 datatypes.html#Attachment).

``size`` is the number of bytes of the data before base64 encoding and ``hash`` the base64 of its
SHA-1; when ``data`` is present both can be checked, and a mismatch means the attachment contradicts
itself (a truncated or substituted payload). Without ``data`` (a ``url``) they cannot be checked here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from conformance.fhirval.issues import Sink


def check_attachment(item: Any, loc: str, sink: Sink) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("data"), str):
        return
    size, digest = item.get("size"), item.get("hash")
    if size is None and digest is None:
        return
    try:
        data = base64.b64decode(item["data"], validate=False)
    except (binascii.Error, ValueError):
        return  # the base64Binary check reports it
    if isinstance(size, int) and not isinstance(size, bool) and size != len(data):
        sink.error("attachment", f"{loc}.size", f"the stated size {size} does not match the data's size "
                                                f"{len(data)} bytes")
    if isinstance(digest, str):
        actual = base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()
        if digest.strip() != actual:
            sink.error("attachment", f"{loc}.hash", f"the stated hash {digest} is not the SHA-1 of the data "
                                                    f"({actual})")
