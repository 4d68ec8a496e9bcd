"""GS1 data the target already holds must itself be valid GS1 data (check digits, lengths, sets).

Found by searching the GS1 identifier systems (Medication code, Patient/Practitioner identifier of
system GSRN, Location/Organization identifier of system GLN) where the CapabilityStatement declares
the search, plus the resources this suite wrote (read by id). Every key is validated as its AI; a
UDI human-readable form is validated whole.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, fail, skip
from conformance.fhir.expect import entries, expect_resource, expect_status, searchset
from conformance.gs1 import validate
from conformance.gs1.fhir import GLN_SYSTEM, GSRN_SYSTEM, GTIN_SYSTEM, SERIAL_SYSTEM
from suites.gs1.context import METADATA, Gs1Context
from suites.gs1.roundtrip import BUILDERS, DATA, batch, carriers, cid, codes, element, identifiers

HELD = "gs1.held.valid"
# (type, search parameter, system): searches that find resources holding GS1 keys.
SEARCHES = (
    ("Medication", "code", GTIN_SYSTEM),
    ("Patient", "identifier", GSRN_SYSTEM),
    ("Practitioner", "identifier", GSRN_SYSTEM),
    ("Location", "identifier", GLN_SYSTEM),
    ("Organization", "identifier", GLN_SYSTEM),
)
MAX_PAGES = 5
# AIs that qualify a GTIN (batch, serial): validated together with it.
QUALIFIED = ("10", "21")


def gs1_values(resource: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(element, AI, value) for every GS1 datum the resource holds; AI "" = a whole HRF string."""
    out: list[tuple[str, str, Any]] = []
    for value in codes(resource, GTIN_SYSTEM):
        out.append(("code.coding (GTIN)", "01", value))
    for system, ai, name in ((GSRN_SYSTEM, "8018", "GSRN"), (GLN_SYSTEM, "414", "GLN"),
                             (SERIAL_SYSTEM, "21", "serial")):
        out += [(f"identifier ({name})", ai, v) for v in identifiers(resource, system)]
    if resource.get("resourceType") == "Medication":
        out += [("batch.lotNumber", "10", v) for v in batch(resource, "lotNumber")]
    if resource.get("resourceType") == "Device":
        out += [("udiCarrier.deviceIdentifier", "01", v) for v in carriers("deviceIdentifier")(resource)
                if isinstance(v, str) and v.isdigit()]
        # A carrier is GS1 data when its issuer is GS1 or its HRF is bracketed (HIBCC, ICCBBA are not).
        out += [("udiCarrier.carrierHRF", "", c.get("carrierHRF"))
                for c in resource.get("udiCarrier", []) or [] if isinstance(c, dict)
                and isinstance(c.get("carrierHRF"), str)
                and ("gs1" in str(c.get("issuer", "")).lower() or c["carrierHRF"].startswith("("))]
        out += [(key, ai, v) for key, ai in (("lotNumber", "10"), ("serialNumber", "21"))
                for v in element(key)(resource)]
    return out


def problems_of(resource: dict[str, Any]) -> list[str]:
    """What is wrong with the GS1 data of one resource, in words.

    Keys (GTIN, GSRN, GLN) are validated alone; batch and serial only mean something with the GTIN
    they qualify, so they are validated after the resource's first GTIN (and not at all without one).
    """
    where = f"{resource.get('resourceType')}/{resource.get('id')}"
    values = gs1_values(resource)
    gtins = [v for _, ai, v in values if ai == "01" and isinstance(v, str)]
    found = []
    for name, ai, value in values:
        if not isinstance(value, str):
            found.append(f"{where} {name} is {value!r}, not a string")
            continue
        text = value if not ai else f"({ai})" + value.replace("(", "\\(")
        if ai in QUALIFIED:
            if not gtins:
                continue
            text = f"(01){gtins[0]}{text}"
        result = validate(text, form="bracketed")  # keys and the HRF are held as bracketed text
        if not result.valid:
            issues = "; ".join(i.diagnostics for i in result.issues if i.severity in ("error", "fatal"))
            found.append(f"{where} {name} {value!r}: {issues}")
    return found


@check(
    id=HELD,
    title="GS1 data the target holds (found by GS1 identifier systems, and what this suite wrote) is valid",
    requirements=["GS1-GenSpecs:7.9", "GS1-GenSpecs:3.2"],
    capabilities=["interoperability", "gs1-scanning"],
    needs=[METADATA],
    after=[c for t in BUILDERS for c in (cid(t, "create"), *(cid(t, d.name) for d in DATA if d.rtype == t))],
)
async def held_valid(ctx: Gs1Context) -> None:
    cap = ctx.capability()
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for rtype, param, system in SEARCHES:
        if "search-type" not in cap.interactions(rtype) or param not in cap.search_params(rtype):
            continue
        path: str | None = rtype
        params: dict[str, str] | None = {param: f"{system}|", "_count": "100"}
        for _ in range(MAX_PAGES):
            if path is None:
                break
            response = await ctx.fhir.get(path, params=params)
            bundle = searchset(response, f"GET {rtype}?{param}={system}|")
            for resource in entries(bundle):
                seen[(str(resource.get("resourceType")), str(resource.get("id")))] = resource
            links = [lk.get("url") for lk in bundle.get("link", []) or []
                     if isinstance(lk, dict) and lk.get("relation") == "next"]
            path, params = (links[0], None) if links and isinstance(links[0], str) else (None, None)
    for rtype in BUILDERS:
        made = ctx.products.get(cid(rtype, "create"))
        if not isinstance(made, dict) or (rtype, str(made["id"])) in seen:
            continue
        response = await ctx.fhir.get(f"{rtype}/{made['id']}")
        expect_status(response, (200,), f"GET {rtype}/{made['id']}")
        seen[(rtype, str(made["id"]))] = expect_resource(response, rtype, f"GET {rtype}/{made['id']}")
    holding = [r for r in seen.values() if gs1_values(r)]
    if not holding:
        skip("no GS1 data found on the target (no GS1 identifier search declared in CapabilityStatement "
             "matched, and nothing was written)")
    found = [p for r in holding for p in problems_of(r)]
    if found:
        shown = "; ".join(found[:8]) + (f"; and {len(found) - 8} more" if len(found) > 8 else "")
        fail(f"{len(found)} invalid GS1 value(s) in {len(holding)} resource(s) holding GS1 data: {shown}")
