"""The sandbox as a bedside eMAR: positive patient and product match before an administration is stored.

An administration (MedicationAdministration) names the prescription it fulfils in ``request`` (a
MedicationRequest on this server: the patient and the prescribed GTIN) and the scanned pack as its
medication (contained or a stored Medication: GTIN, batch, expiry from the barcode). It is refused
with 422 and an OperationOutcome (code business-rule) when the patient scanned is not the
prescription's, the pack is past its expiry date (GS1 AI 17), or its GTIN is not the prescribed one.
An administration that carries an override reason (a ``note`` starting "Override:") is stored as an
override instead, which is what a target declaring ``override_policy = "record-with-reason"`` does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from conformance.gs1.fhir import GS1_SYSTEMS, GTIN_SYSTEM
from conformance.sandbox.bedside_faults import (
    BEDSIDE_ADMINISTRATION_REFERENCE_REFUSED,
    BEDSIDE_DEVICE_LOCATION_DROPPED,
    BEDSIDE_GLN_EXTENSION_DROPPED,
    BEDSIDE_MEDICATION_BATCH_REFUSED,
    EMAR_ACCEPTS_EXPIRED,
    EMAR_ACCEPTS_WRONG_PATIENT,
    EMAR_ACCEPTS_WRONG_PRODUCT,
    EMAR_GTIN_COMPARED_AS_NUMBER,
)
from conformance.sandbox.faults import Faults
from conformance.sandbox.fhir.responses import FhirError
from conformance.sandbox.fhir.store import Store

OVERRIDE_PREFIX = "override:"


def apply(resource: dict[str, Any], store: Store, faults: Faults) -> dict[str, Any]:
    """The resource as stored, after the bedside faults; raises FhirError for a refused administration."""
    rtype = resource.get("resourceType")
    if rtype == "Medication" and "batch" in resource and faults.on(BEDSIDE_MEDICATION_BATCH_REFUSED):
        raise FhirError(422, "Medication.batch is not supported: this server keeps formulary products", "not-supported")
    idents = resource.get("identifier")
    if rtype == "Location" and faults.on(BEDSIDE_GLN_EXTENSION_DROPPED) and isinstance(idents, list):
        resource["identifier"] = [i for i in idents if isinstance(i, dict) and i.get("system") in GS1_SYSTEMS]
    if rtype == "Device" and faults.on(BEDSIDE_DEVICE_LOCATION_DROPPED):
        resource.pop("location", None)
    if rtype == "MedicationAdministration":
        ref = resource.get("medicationReference")
        stored = isinstance(ref, dict) and not str(ref.get("reference", "")).startswith("#")
        if faults.on(BEDSIDE_ADMINISTRATION_REFERENCE_REFUSED) and stored:
            raise FhirError(422, "MedicationAdministration.medicationReference to a stored Medication is "
                                 "not supported: send medicationCodeableConcept or a contained Medication",
                            "not-supported")
        problem = mismatch(resource, store, faults)
        if problem and not overridden(resource):
            raise FhirError(422, f"administration refused at the bedside: {problem}", "business-rule")
    return resource


def overridden(resource: dict[str, Any]) -> bool:
    notes = resource.get("note") if isinstance(resource.get("note"), list) else []
    return any(isinstance(n, dict) and str(n.get("text", "")).strip().lower().startswith(OVERRIDE_PREFIX)
               and len(str(n.get("text", "")).strip()) > len(OVERRIDE_PREFIX) for n in notes or [])


def mismatch(resource: dict[str, Any], store: Store, faults: Faults) -> str | None:
    """What makes this administration unsafe, in words; None if it matches."""
    medication = _medication(resource, store)
    expiry = _batch(medication).get("expirationDate")
    if isinstance(expiry, str) and not faults.on(EMAR_ACCEPTS_EXPIRED):
        try:
            expired = date.fromisoformat(expiry[:10]) < datetime.now(UTC).date()
        except ValueError:
            expired = False
        if expired:
            return f"the product expired on {expiry[:10]} (GS1 AI 17)"
    request = _resolve(resource.get("request"), store, "MedicationRequest")
    if request is None:
        return None
    given_to, prescribed_for = _ref(resource.get("subject")), _ref(request.get("subject"))
    if given_to != prescribed_for and not faults.on(EMAR_ACCEPTS_WRONG_PATIENT):
        return f"the patient scanned ({given_to}) is not the prescription's patient ({prescribed_for})"
    prescribed = _gtins(request.get("medicationCodeableConcept"))
    scanned = _gtins(medication.get("code"))
    if faults.on(EMAR_GTIN_COMPARED_AS_NUMBER):
        scanned = [g.lstrip("0") for g in scanned]
    if prescribed and not set(scanned) & set(prescribed) and not faults.on(EMAR_ACCEPTS_WRONG_PRODUCT):
        return f"the product scanned (GTIN {', '.join(scanned) or 'none'}) is not the prescribed GTIN " \
               f"{', '.join(prescribed)}"
    return None


def _ref(value: Any) -> str:
    text = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(text, str):
        return ""
    parts = text.split("/_history/")[0].split("/")
    return "/".join(parts[-2:])


def _resolve(value: Any, store: Store, rtype: str) -> dict[str, Any] | None:
    ref = _ref(value)
    kind, _, rid = ref.partition("/")
    found = store.current(rtype, rid) if kind == rtype and rid else None
    return found.resource if found is not None else None


def _medication(resource: dict[str, Any], store: Store) -> dict[str, Any]:
    ref = resource.get("medicationReference")
    text = ref.get("reference") if isinstance(ref, dict) else None
    if isinstance(text, str) and text.startswith("#"):
        contained = resource.get("contained") if isinstance(resource.get("contained"), list) else []
        for item in contained or []:
            if isinstance(item, dict) and item.get("id") == text[1:]:
                return item
        return {}
    if isinstance(text, str):
        return _resolve(ref, store, "Medication") or {}
    concept = resource.get("medicationCodeableConcept")
    return {"code": concept} if isinstance(concept, dict) else {}


def _batch(medication: dict[str, Any]) -> dict[str, Any]:
    found = medication.get("batch")
    return found if isinstance(found, dict) else {}


def _gtins(concept: Any) -> list[str]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [str(c.get("code")) for c in codings or [] if isinstance(c, dict) and c.get("system") == GTIN_SYSTEM]
