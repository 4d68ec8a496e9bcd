"""Item 2: product lookup by what the pack's barcode says.

One create check writes three packs of one GTIN (two of batch A, one of batch B, with different
expiry dates) and a device at the bed from identify. Each lookup runs only where the
CapabilityStatement declares its parameter; a declared parameter must find exactly what was written.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, fail
from conformance.gs1 import convert
from conformance.gs1.fhir import GTIN_SYSTEM, SERIAL_SYSTEM, fhir_date, scanned_medication
from suites.gs1_bedside.context import METADATA, BedsideContext, ids, scanned
from suites.gs1_bedside.identify import CREATE as PLACES
from suites.gs1_bedside.identify import create_tagged

CREATE = "gs1-bedside.product.create"
CAPS = ["gs1-scanning", "medicines-management"]
# (lot index, serial) of each pack; two packs of batch A make a recall that misses one detectable.
PACKS = (("a1", 0, "PACKA1"), ("a2", 0, "PACKA2"), ("b", 1, "PACKB1"))
EXPIRY_DAYS = (400, 500)  # batch A, batch B


def device(scan: str, location_id: str) -> dict[str, Any]:
    ais = scanned(scan)
    return {
        "resourceType": "Device",
        "status": "active",
        "udiCarrier": [{"deviceIdentifier": ais["01"], "issuer": "http://hl7.org/fhir/NamingSystem/gs1-di",
                        "carrierHRF": convert(scan, "bracketed")}],
        "identifier": [{"system": SERIAL_SYSTEM, "value": ais["21"]}],
        "lotNumber": ais["10"],
        "serialNumber": ais["21"],
        "expirationDate": fhir_date(ais["17"]),
        "deviceName": [{"name": "Synthetic infusion pump", "type": "user-friendly-name"}],
        "location": {"reference": f"Location/{location_id}"},
    }


@check(
    id=CREATE,
    title="Create three scanned packs (two batches) and a scanned device placed at the bed",
    requirements=["FHIR-R4:http.html#create", "GS1-GenSpecs:AI-01", "GS1-GenSpecs:AI-10", "GS1-GenSpecs:AI-17",
                  "GS1-GenSpecs:AI-21"],
    capabilities=CAPS,
    needs=[METADATA, PLACES],
    destructive=True,
)
async def create(ctx: BedsideContext) -> dict[str, Any]:
    ctx.capability().require("Medication", "create")
    ctx.capability().require("Device", "create")
    made: dict[str, Any] = {"packs": {}}
    for name, lot, serial in PACKS:
        ais = scanned(ctx.scans.pack(ctx.scans.lots[lot], serial, EXPIRY_DAYS[lot]))
        rid = await create_tagged(ctx, scanned_medication(ais), f"Medication (pack {name})")
        made["packs"][name] = {"id": rid, "ais": ais}
    scan = ctx.scans.device()
    bed = ctx.product(PLACES)["location"]["id"]
    made["device"] = {"id": await create_tagged(ctx, device(scan, bed), "Device (scanned UDI)"),
                      "ais": scanned(scan), "hrf": convert(scan, "bracketed"), "location": bed}
    return made


def judge(what: str, found: list[dict[str, Any]], want: set[str], rtype: str, must_not: set[str] | None = None) \
        -> None:
    got = set(ids(found))
    problems = []
    if want - got:
        problems.append(f"did not find {', '.join(f'{rtype}/{i}' for i in sorted(want - got))}")
    wrong = got & must_not if must_not else got - want
    if wrong:
        problems.append(f"also returned {', '.join(f'{rtype}/{i}' for i in sorted(wrong))}, which do not match")
    if problems:
        fail(f"{what}: " + "; ".join(problems))


def _lookup(name: str, title: str, rtype: str, param: str, requirements: list[str]) -> None:
    @check(
        id=f"gs1-bedside.product.{name}",
        title=title,
        requirements=["FHIR-R4:search.html", *requirements],
        capabilities=CAPS,
        needs=[METADATA, CREATE],
    )
    async def lookup(ctx: BedsideContext) -> None:
        ctx.require_params(rtype, param)
        made = ctx.product(CREATE)
        packs = made["packs"]
        a, b = ({packs["a1"]["id"], packs["a2"]["id"]}, {packs["b"]["id"]})
        if name == "medication-code":
            what, found = await ctx.search(rtype, [(param, f"{GTIN_SYSTEM}|{packs['a1']['ais']['01']}")])
            judge(what, found, a | b, rtype)
        elif name == "medication-lot":
            what, found = await ctx.search(rtype, [(param, packs["a1"]["ais"]["10"])])
            judge(what, found, a, rtype)
        elif name == "medication-expiry":
            what, found = await ctx.search(rtype, [(param, fhir_date(packs["a1"]["ais"]["17"]))])
            judge(what, found, a, rtype, must_not=b)  # another run's pack may share the day
        elif name == "device-udi-di":
            what, found = await ctx.search(rtype, [(param, made["device"]["ais"]["01"])])
            judge(what, found, {made["device"]["id"]}, rtype)
        else:
            what, found = await ctx.search(rtype, [(param, made["device"]["hrf"])])
            judge(what, found, {made["device"]["id"]}, rtype)


_lookup("medication-code", "Medication?code=<GTIN system>|<GTIN> finds every pack of the product, and only those",
        "Medication", "code", ["FHIR-R4:medication.html#search", "GS1-GenSpecs:AI-01"])
_lookup("medication-lot", "Medication?lot-number=<AI 10> finds exactly the packs of that batch",
        "Medication", "lot-number", ["FHIR-R4:medication.html#search", "GS1-GenSpecs:AI-10"])
_lookup("medication-expiry", "Medication?expiration-date=<AI 17 as a date> finds the packs expiring that day, "
        "not the other batch", "Medication", "expiration-date", ["FHIR-R4:medication.html#search",
                                                                 "GS1-GenSpecs:AI-17"])
_lookup("device-udi-di", "Device?udi-di=<GTIN> finds exactly the device", "Device", "udi-di",
        ["FHIR-R4:device.html#search", "FHIR-R4:device-mappings.html#udi", "GS1-GenSpecs:AI-01"])
_lookup("device-udi-carrier", "Device?udi-carrier=<human-readable form> finds exactly the device", "Device",
        "udi-carrier", ["FHIR-R4:device.html#search", "FHIR-R4:device-definitions.html#Device.udiCarrier.carrierHRF",
                        "GS1-GenSpecs:HRI"])
