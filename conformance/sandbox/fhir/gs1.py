"""The sandbox's GS1 faults: what real systems do to scanned GS1 data on the way into storage.

Applied to every resource written (create and update) after validation, and only to GS1 data (the
systems in conformance.gs1.fhir, Medication batch, Device UDI fields), so the fhir-rest fixtures are
never touched. With no GS1 fault on, resources are stored exactly as sent.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from conformance.gs1.fhir import GLN_SYSTEM, GS1_SYSTEMS, GSRN_SYSTEM, GTIN_SYSTEM, SERIAL_SYSTEM
from conformance.sandbox.faults import (
    GS1_BATCH_DROPPED,
    GS1_EXPIRY_SHIFTED,
    GS1_GLN_CHECK_DIGIT_RECOMPUTED_WRONG,
    GS1_GSRN_FLOAT_PRECISION,
    GS1_GTIN_LEADING_ZERO_DROPPED,
    GS1_HOLDS_INVALID_GTIN,
    GS1_HRF_BRACKETS_STRIPPED,
    GS1_SERIAL_TRUNCATED,
    GS1_SYSTEM_REJECTED,
    Faults,
)
from conformance.sandbox.fhir.responses import FhirError
from conformance.sandbox.fhir.store import Store

SERIAL_KEPT = 10


def _identifiers(resource: dict[str, Any], system: str) -> list[dict[str, Any]]:
    found = resource.get("identifier")
    return [i for i in found if isinstance(i, dict) and i.get("system") == system] if isinstance(found, list) else []


def _codings(resource: dict[str, Any], system: str) -> list[dict[str, Any]]:
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list):
        return []
    return [c for c in codings if isinstance(c, dict) and c.get("system") == system]


def _carriers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = resource.get("udiCarrier") if resource.get("resourceType") == "Device" else None
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _batch(resource: dict[str, Any]) -> dict[str, Any]:
    found = resource.get("batch") if resource.get("resourceType") == "Medication" else None
    return found if isinstance(found, dict) else {}


def _has_gs1(resource: dict[str, Any]) -> bool:
    systems = {i.get("system") for i in resource.get("identifier", []) if isinstance(i, dict)} | {
        c.get("system") for s in GS1_SYSTEMS for c in _codings(resource, s)}
    return bool(systems & set(GS1_SYSTEMS)) or any("deviceIdentifier" in c for c in _carriers(resource))


def _as_number(value: Any) -> Any:
    return str(int(value)) if isinstance(value, str) and value.isdigit() else value


def _day_early(value: Any) -> Any:
    """``2027-11-30`` (or a dateTime starting so) -> ``2027-11-29``: local midnight read back as UTC."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value):
        return value
    return (date.fromisoformat(value[:10]) - timedelta(days=1)).isoformat() + value[10:]


def wrong_check_digit(payload: str) -> int:
    """The mod-10 check digit with the weights swapped (1,3,1... from the right instead of 3,1,3...)."""
    total = sum((ord(ch) - 48) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def apply(resource: dict[str, Any], faults: Faults) -> dict[str, Any]:
    """The resource as this sandbox would store it (modified in place and returned)."""
    if faults.on(GS1_SYSTEM_REJECTED) and _has_gs1(resource):
        raise FhirError(422, "code system not allowed: only locally registered code and identifier systems "
                             "may be used", "code-invalid")
    if faults.on(GS1_GTIN_LEADING_ZERO_DROPPED):
        for coding in _codings(resource, GTIN_SYSTEM):
            coding["code"] = _as_number(coding.get("code"))
        for carrier in _carriers(resource):
            carrier["deviceIdentifier"] = _as_number(carrier.get("deviceIdentifier"))
    if faults.on(GS1_SERIAL_TRUNCATED):
        for ident in _identifiers(resource, SERIAL_SYSTEM):
            if isinstance(ident.get("value"), str):
                ident["value"] = ident["value"][:SERIAL_KEPT]
        if resource.get("resourceType") == "Device" and isinstance(resource.get("serialNumber"), str):
            resource["serialNumber"] = resource["serialNumber"][:SERIAL_KEPT]
    if faults.on(GS1_EXPIRY_SHIFTED):
        batch = _batch(resource)
        if "expirationDate" in batch:
            batch["expirationDate"] = _day_early(batch["expirationDate"])
        if resource.get("resourceType") == "Device" and "expirationDate" in resource:
            resource["expirationDate"] = _day_early(resource["expirationDate"])
    if faults.on(GS1_BATCH_DROPPED):
        _batch(resource).pop("lotNumber", None)
        if resource.get("resourceType") == "Device":
            resource.pop("lotNumber", None)
    if faults.on(GS1_HRF_BRACKETS_STRIPPED):
        for carrier in _carriers(resource):
            if isinstance(carrier.get("carrierHRF"), str):
                carrier["carrierHRF"] = re.sub(r"\((\d{2,4})\)", r"\1", carrier["carrierHRF"])
    if faults.on(GS1_GLN_CHECK_DIGIT_RECOMPUTED_WRONG):
        for ident in _identifiers(resource, GLN_SYSTEM):
            value = ident.get("value")
            if isinstance(value, str) and len(value) == 13 and value.isdigit():
                ident["value"] = value[:-1] + str(wrong_check_digit(value[:-1]))
    if faults.on(GS1_GSRN_FLOAT_PRECISION):
        for ident in _identifiers(resource, GSRN_SYSTEM):
            value = ident.get("value")
            if isinstance(value, str) and value.isdigit():
                ident["value"] = str(int(float(value)))
    return resource


# A legacy import: the GTIN's last digit should be 3 (09501101530003).
LEGACY_MEDICATION: dict[str, Any] = {
    "resourceType": "Medication",
    "status": "active",
    "code": {"coding": [{"system": GTIN_SYSTEM, "code": "09501101530004"}], "text": "Legacy formulary item"},
}


def seed(store: Store, faults: Faults) -> None:
    """Data the server holds before any client writes (only under the faults that need it)."""
    if faults.on(GS1_HOLDS_INVALID_GTIN):
        store.create("Medication", dict(LEGACY_MEDICATION))
