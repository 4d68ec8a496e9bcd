"""What the sandbox claims about profiles (supportedProfile) and the profile faults it applies on write."""

from __future__ import annotations

from typing import Any

from conformance.sandbox.faults import Faults
from conformance.sandbox.fhir.store import json_copy
from conformance.sandbox.profile_faults import (
    PROFILES_ATTACHMENT_SIZE_STALE,
    PROFILES_BIRTHDATE_LOCAL_FORMAT,
    PROFILES_BIRTHDATE_NOT_STORED,
    PROFILES_GENDER_INTERNAL_CODE,
    PROFILES_NHS_NUMBER_LOCAL_SYSTEM,
    PROFILES_UNIT_CODE_WITHOUT_SYSTEM,
    PROFILES_VENDOR_ELEMENT,
)

BASE = "https://conformance.example/fhir/StructureDefinition/"
SUPPORTED = {"Patient": [BASE + "SandboxPatient"], "Observation": [BASE + "SandboxObservation"]}
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"


def apply(resource: dict[str, Any], faults: Faults) -> dict[str, Any]:
    """The resource as a faulty system would store it (a copy; unchanged on a clean sandbox)."""
    out: dict[str, Any] = json_copy(resource)
    if faults.on(PROFILES_VENDOR_ELEMENT):
        out["legacyId"] = "L-000123"
    quantity = out.get("valueQuantity")
    if faults.on(PROFILES_UNIT_CODE_WITHOUT_SYSTEM) and isinstance(quantity, dict) and "code" in quantity:
        quantity.pop("system", None)
    if out.get("resourceType") != "Patient":
        return out
    if faults.on(PROFILES_GENDER_INTERNAL_CODE) and out.get("gender") in ("female", "male"):
        out["gender"] = out["gender"][0].upper()
    birth = out.get("birthDate")
    if faults.on(PROFILES_BIRTHDATE_LOCAL_FORMAT) and isinstance(birth, str) and len(birth) == 10:
        out["birthDate"] = f"{birth[8:10]}/{birth[5:7]}/{birth[0:4]}"
    if faults.on(PROFILES_ATTACHMENT_SIZE_STALE):
        # the placeholder's data is 11 bytes ("placeholder"); size and hash describe an earlier, larger image
        out.setdefault("photo", []).append({"contentType": "image/png", "data": "cGxhY2Vob2xkZXI=", "size": 2048,
                                            "hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="})
    if faults.on(PROFILES_BIRTHDATE_NOT_STORED):
        out.pop("birthDate", None)
    if faults.on(PROFILES_NHS_NUMBER_LOCAL_SYSTEM):
        for identifier in out.get("identifier", []):
            if isinstance(identifier, dict) and identifier.get("system") == NHS_NUMBER:
                identifier["system"] = "urn:oid:2.16.840.1.113883.2.1.4.1"
    return out
