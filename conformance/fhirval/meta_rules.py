"""A resource's security labels are a set: the same label (system and code) twice is an error.

A label stated twice may be a copy that lost its distinction (another system, another code), and a
receiver cannot tell which was meant: HL7's validator says so (InstanceValidator ``validateResourceRules``:
META_RES_SECURITY_DUPLICATE, on every resource, contained ones too). Tags and profiles are not judged so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def check(w: Walker, res: Json, loc: str) -> None:
    meta = res.get("meta")
    labels: Any = meta.get("security") if isinstance(meta, dict) else None
    if not isinstance(labels, list):
        return
    seen: set[tuple[Any, Any]] = set()
    for i, label in enumerate(labels):
        if not isinstance(label, dict):
            continue
        key = (label.get("system"), label.get("code"))
        if key in seen:
            w.sink.error("security-duplicate", f"{loc}.meta.security[{i}]",
                         f"the security label {key[0]}#{key[1]} is given twice: security labels are a set")
        seen.add(key)
