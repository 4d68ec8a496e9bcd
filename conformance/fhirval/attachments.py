"""Attachment: its stated ``size`` and ``hash`` against its inline ``data`` (R4 datatypes.html#Attachment).

``size`` is the number of bytes of the data before base64 encoding and ``hash`` the base64 of its
SHA-1; when ``data`` is present both can be checked, and a mismatch means the attachment contradicts
itself (a truncated or substituted payload). Without ``data`` (a ``url``) they cannot be checked here, but
``size`` must still be a whole number of bytes, 0 or more: HL7's InstanceValidator.checkAttachment raises
TYPE_SPECIFIC_CHECKS_DT_ATT_SIZE_INVALID on the Attachment at two sites (``Utilities.isLong`` fails, then
``size >= 0`` fails), beside the unsignedInt's own error on ``size`` (fvsite9).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from conformance.fhirval.issues import Sink

_LONG = re.compile(r"-?[0-9]{1,20}")


def _size_problem(size: Any) -> str | None:
    """InstanceValidator.checkAttachment's two TYPE_SPECIFIC_CHECKS_DT_ATT_SIZE_INVALID sites: the stated size is
    not a whole number (Utilities.isLong on its text), or is negative."""
    if size is None or isinstance(size, bool):
        return None
    if isinstance(size, int):
        return f"the stated size {size} is negative" if size < 0 else None
    if isinstance(size, float):
        return f"the stated size {size} is not a whole number of bytes"
    if isinstance(size, str):
        if not _LONG.fullmatch(size):
            return f"the stated size {size!r} is not a whole number of bytes"
        return f"the stated size {size} is negative" if size.startswith("-") and size.strip("-0") else None
    return None


def check_attachment(item: Any, loc: str, sink: Sink) -> None:
    if not isinstance(item, dict):
        return
    why = _size_problem(item.get("size"))
    if why is not None:
        sink.error("attachment", loc, why)
    if not isinstance(item.get("data"), str):
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
