"""What the sandbox claims about profiles (supportedProfile) and the profile faults it applies on write."""

from __future__ import annotations

import copy
from typing import Any

from conformance.sandbox.faults import Faults

BASE = "https://conformance.example/fhir/StructureDefinition/"
SUPPORTED = {"Patient": [BASE + "SandboxPatient"], "Observation": [BASE + "SandboxObservation"]}
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"


def apply(resource: dict[str, Any], faults: Faults) -> dict[str, Any]:
    """The resource as a faulty system would store it (a copy; unchanged on a clean sandbox)."""
    out = copy.deepcopy(resource)
    if faults.on("profiles-vendor-element"):
        out["legacyId"] = "L-000123"
    quantity = out.get("valueQuantity")
    if faults.on("profiles-unit-code-without-system") and isinstance(quantity, dict) and "code" in quantity:
        quantity.pop("system", None)
    if out.get("resourceType") != "Patient":
        return out
    if faults.on("profiles-gender-internal-code") and out.get("gender") in ("female", "male"):
        out["gender"] = out["gender"][0].upper()
    birth = out.get("birthDate")
    if faults.on("profiles-birthdate-local-format") and isinstance(birth, str) and len(birth) == 10:
        out["birthDate"] = f"{birth[8:10]}/{birth[5:7]}/{birth[0:4]}"
    if faults.on("profiles-attachment-size-stale"):
        # the placeholder's data is 11 bytes ("placeholder"); size and hash describe an earlier, larger image
        out.setdefault("photo", []).append({"contentType": "image/png", "data": "cGxhY2Vob2xkZXI=", "size": 2048,
                                            "hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="})
    if faults.on("profiles-birthdate-not-stored"):
        out.pop("birthDate", None)
    if faults.on("profiles-nhs-number-local-system"):
        for identifier in out.get("identifier", []):
            if isinstance(identifier, dict) and identifier.get("system") == NHS_NUMBER:
                identifier["system"] = "urn:oid:2.16.840.1.113883.2.1.4.1"
    return out
