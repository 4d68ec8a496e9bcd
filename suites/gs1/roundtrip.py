"""Write scanned GS1 data through FHIR, read it back, compare exactly.

Per resource type: a create (W) that produces {id, sent}, then one check per GS1 datum, each reading
the resource again (its own evidence) and comparing what came back with what the scan said: same
characters (no leading zero lost, nothing truncated), same calendar day (no date shift).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from conformance.checks import check, expect, fail
from conformance.fhir.context import location_parts
from conformance.fhir.expect import a, describe, expect_resource, expect_status, snippet
from conformance.gs1 import validate
from conformance.gs1.fhir import GLN_SYSTEM, GSRN_SYSTEM, GTIN_SYSTEM, SERIAL_SYSTEM
from suites.gs1.context import METADATA, PACK_SCAN, Gs1Context, device, location, medication, patient, scanned

CAPS = ["interoperability", "gs1-scanning"]
BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "Medication": medication, "Device": device, "Patient": patient, "Location": location,
}


def cid(resource_type: str, name: str) -> str:
    return f"gs1.{resource_type.lower()}.{name}"


# --- where each GS1 datum lives in a resource -------------------------------------------------------

def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def identifiers(resource: dict[str, Any], system: str) -> list[Any]:
    return [i.get("value") for i in _list(resource.get("identifier"))
            if isinstance(i, dict) and i.get("system") == system]


def codes(resource: dict[str, Any], system: str) -> list[Any]:
    code = resource.get("code")
    codings = _list(code.get("coding")) if isinstance(code, dict) else []
    return [c.get("code") for c in codings if isinstance(c, dict) and c.get("system") == system]


def batch(resource: dict[str, Any], key: str) -> list[Any]:
    found = resource.get("batch")
    return [found[key]] if isinstance(found, dict) and key in found else []


def element(key: str) -> Callable[[dict[str, Any]], list[Any]]:
    return lambda resource: [resource[key]] if key in resource else []


def carriers(key: str) -> Callable[[dict[str, Any]], list[Any]]:
    return lambda resource: [c.get(key) for c in _list(resource.get("udiCarrier")) if isinstance(c, dict)
                             and key in c]


# --- judging -----------------------------------------------------------------------------------------

def same_text(what: str, sent: str, got: list[Any]) -> str | None:
    """None if ``sent`` came back character for character, else what went wrong, in words."""
    if sent in got:
        return None
    if not got:
        return f"{what} did not come back (sent {sent!r})"
    value = got[0]
    hint = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        hint = " (returned as a JSON number)"
    elif isinstance(value, str) and value == sent.lstrip("0"):
        hint = " (leading zeros lost)"
    elif isinstance(value, str) and value and sent.startswith(value):
        hint = f" (truncated to {len(value)} of {len(sent)} characters)"
    return f"{what}: sent {sent!r}, got {value!r}{hint}"


def same_day(what: str, sent: str, got: list[Any]) -> str | None:
    """A FHIR date sent; the same date (or a dateTime on that same day) must come back."""
    if any(isinstance(g, str) and (g == sent or g.startswith(sent + "T")) for g in got):
        return None
    if not got:
        return f"{what} did not come back (sent {sent!r})"
    value = got[0]
    hint = ""
    try:
        days = (date.fromisoformat(str(value)[:10]) - date.fromisoformat(sent)).days
        hint = f" ({abs(days)} day{'s' if abs(days) != 1 else ''} {'earlier' if days < 0 else 'later'})"
    except ValueError:
        pass
    return f"{what}: sent {sent!r}, got {value!r}{hint}"


def same_hrf(what: str, sent: str, got: list[Any]) -> str | None:
    """The human-readable form came back exactly and still validates to the scan's AIs."""
    problem = same_text(what, sent, got)
    if problem is None:
        return None
    value = got[0] if got else None
    if isinstance(value, str):
        result = validate(value, form="bracketed")  # the suite sent the HRF bracketed: judged as such
        if not result.valid:
            issues = "; ".join(i.diagnostics for i in result.issues if i.severity in ("error", "fatal"))
            problem += f"; it no longer validates as GS1 data: {issues}"
        elif result.ais != scanned(PACK_SCAN):
            problem += f"; it reads as AIs {result.ais}, the scan was {scanned(PACK_SCAN)}"
    return problem


def key_valid(ai: str) -> Callable[[str, str, list[Any]], str | None]:
    """Same characters, and (as a double check) the value is a valid GS1 key of that AI."""
    def judge(what: str, sent: str, got: list[Any]) -> str | None:
        problem = same_text(what, sent, got)
        if problem is not None and got and isinstance(got[0], str):
            result = validate(f"({ai}){got[0]}", form="bracketed")
            if not result.valid:
                problem += "; as (" + ai + ") it is invalid: " + "; ".join(i.diagnostics for i in result.issues)
        return problem
    return judge


@dataclass(frozen=True)
class Datum:
    rtype: str
    name: str
    title: str
    requirement: str
    select: Callable[[dict[str, Any]], list[Any]]
    judge: Callable[[str, str, list[Any]], str | None]
    where: str


DATA = (
    Datum("Medication", "gtin", "The GTIN (AI 01) comes back exactly, leading zero kept", "GS1-GenSpecs:3.4.1",
          lambda r: codes(r, GTIN_SYSTEM), key_valid("01"), f"Medication.code.coding[system={GTIN_SYSTEM}].code"),
    Datum("Medication", "batch", "The batch/lot (AI 10) comes back exactly", "GS1-GenSpecs:3.4.3",
          lambda r: batch(r, "lotNumber"), same_text, "Medication.batch.lotNumber"),
    Datum("Medication", "expiry", "The expiry date (AI 17) comes back as the same calendar day",
          "GS1-GenSpecs:3.4.6", lambda r: batch(r, "expirationDate"), same_day, "Medication.batch.expirationDate"),
    Datum("Medication", "serial", "The serial number (AI 21) comes back exactly, not truncated",
          "GS1-GenSpecs:3.4.4", lambda r: identifiers(r, SERIAL_SYSTEM), same_text,
          f"Medication.identifier[system={SERIAL_SYSTEM}].value"),
    Datum("Device", "udi-di", "The UDI device identifier (the GTIN) comes back exactly, leading zero kept",
          "FHIR-R4:device-definitions.html#Device.udiCarrier.deviceIdentifier",
          carriers("deviceIdentifier"), key_valid("01"), "Device.udiCarrier.deviceIdentifier"),
    Datum("Device", "hrf", "The UDI human-readable form comes back exactly and re-validates to the scan's AIs",
          "FHIR-R4:device-definitions.html#Device.udiCarrier.carrierHRF",
          carriers("carrierHRF"), same_hrf, "Device.udiCarrier.carrierHRF"),
    Datum("Device", "lot", "The lot number (AI 10) comes back exactly", "GS1-GenSpecs:3.4.3",
          element("lotNumber"), same_text, "Device.lotNumber"),
    Datum("Device", "serial", "The serial number (AI 21) comes back exactly, not truncated", "GS1-GenSpecs:3.4.4",
          element("serialNumber"), same_text, "Device.serialNumber"),
    Datum("Device", "expiry", "The expiry date (AI 17) comes back as the same calendar day", "GS1-GenSpecs:3.4.6",
          element("expirationDate"), same_day, "Device.expirationDate"),
    Datum("Patient", "gsrn", "The GSRN (AI 8018) identifier comes back exactly, all 18 digits",
          "GS1-GenSpecs:3.7.12", lambda r: identifiers(r, GSRN_SYSTEM), key_valid("8018"),
          f"Patient.identifier[system={GSRN_SYSTEM}].value"),
    Datum("Location", "gln", "The GLN (AI 414) identifier comes back exactly, check digit unchanged",
          "GS1-GenSpecs:3.7.9", lambda r: identifiers(r, GLN_SYSTEM), key_valid("414"),
          f"Location.identifier[system={GLN_SYSTEM}].value"),
)


def created(ctx: Gs1Context, resource_type: str) -> dict[str, Any]:
    value: dict[str, Any] = ctx.product(cid(resource_type, "create"))
    return value


def _register_create(t: str) -> None:
    @check(
        id=cid(t, "create"),
        title=f"Create {a(t)} carrying scanned GS1 data: accepted, with an id",
        requirements=["FHIR-R4:http.html#create", "GS1-GenSpecs:2.1"],
        capabilities=CAPS,
        needs=[METADATA],
        destructive=True,
    )
    async def create(ctx: Gs1Context) -> dict[str, Any]:
        ctx.capability().require(t, "create", "read")
        sent = ctx.tagged(BUILDERS[t]())
        response = await ctx.fhir.post(t, sent)
        new_id = ctx.remember_response(t, response)
        expect_status(response, (200, 201), f"POST {t} with GS1 data")
        if new_id is None:
            parts = location_parts(response.headers.get("location", ""))
            new_id = parts[1] if parts else None
        expect(new_id, f"POST {t} with GS1 data: {describe(response)} names no id (no Location, no body id): "
                       f"{snippet(response)}")
        return {"id": new_id, "sent": sent}


def _register_datum(datum: Datum) -> None:
    t = datum.rtype

    @check(
        id=cid(t, datum.name),
        title=datum.title,
        requirements=["FHIR-R4:http.html#read", datum.requirement],
        capabilities=CAPS,
        needs=[METADATA, cid(t, "create")],
    )
    async def judge(ctx: Gs1Context) -> None:
        made = created(ctx, t)
        path = f"{t}/{made['id']}"
        response = await ctx.fhir.get(path)
        expect_status(response, (200,), f"GET {path}")
        body = expect_resource(response, t, f"GET {path}")
        sent = datum.select(made["sent"])
        if not sent or not isinstance(sent[0], str):  # the suite's own resource lacks it: a harness bug
            raise RuntimeError(f"the suite sent no {datum.where}")
        problem = datum.judge(datum.where, sent[0], datum.select(body))
        if problem:
            fail(f"GET {path}: {problem}")


for _type in BUILDERS:
    _register_create(_type)
    for _datum in DATA:
        if _datum.rtype == _type:
            _register_datum(_datum)
